use super::*;
use chrono::Utc;

fn org(active: bool) -> organization::Model {
    organization::Model {
        id: 7,
        short_name: "MITx".into(),
        short_name_key: "mitx".into(),
        name: "MIT".into(),
        description: None,
        logo_url: None,
        active,
        created: Utc::now(),
        modified: Utc::now(),
    }
}

#[test]
fn kinds_follow_the_active_flag() {
    assert_eq!(ChangeKind::of(None, Some(true)), ChangeKind::Created);
    assert_eq!(
        ChangeKind::of(Some(true), Some(false)),
        ChangeKind::Deactivated
    );
    assert_eq!(
        ChangeKind::of(Some(false), Some(true)),
        ChangeKind::Reactivated
    );
    assert_eq!(ChangeKind::of(Some(true), Some(true)), ChangeKind::Updated);
    assert_eq!(ChangeKind::of(Some(true), None), ChangeKind::Removed);
    for k in ChangeKind::ALL {
        assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
    }
    for e in ChangeEntity::ALL {
        assert_eq!(ChangeEntity::parse(e.as_str()), Some(e));
    }
}

#[test]
fn nothing_changed_is_no_change() {
    assert!(NewChange::organization(Some(&org(true)), &org(true)).is_none());
    assert!(NewChange::course_link(&org(true), "lib:MITx:a", Some(true), true).is_none());
}

#[test]
fn a_deactivation_is_public_because_the_record_was() -> Result<(), String> {
    let change = NewChange::organization(Some(&org(true)), &org(false)).ok_or("no change")?;
    assert_eq!(change.kind, ChangeKind::Deactivated);
    assert!(change.public);
    let hidden =
        NewChange::course_link(&org(false), "lib:MITx:a", Some(true), false).ok_or("no change")?;
    assert!(
        !hidden.public,
        "links of an inactive organization are not public"
    );
    assert_eq!(hidden.key, "lib:MITx:a/MITx");
    Ok(())
}
