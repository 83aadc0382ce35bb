//! The merge rules of import.

use super::*;

fn org(short_name: &str, name: &str) -> SourceOrg {
    SourceOrg {
        short_name: short_name.into(),
        name: name.into(),
        description: None,
        logo: None,
        active: true,
    }
}

#[test]
fn case_duplicates_fold_and_the_lms_wins() {
    let sources = Sources {
        organizations: vec![org("edX", "edX"), org("edx", "other"), org("a b", "bad")],
        partner_orgs: vec![
            ("edx".into(), org("EDX", "x")),
            ("edx".into(), org("edX", "Disc")),
        ],
        partners: vec![(
            "discovery",
            SourcePartner {
                short_code: "edx".into(),
                name: "edX".into(),
                lms_url: None,
                studio_url: None,
                marketing_site_url: None,
            },
        )],
        ..Sources::default()
    };
    let plan = plan(&sources);
    assert_eq!(plan.organizations.len(), 1);
    assert_eq!(plan.organizations[0].row.name, "edX");
    assert_eq!(plan.partner_orgs, [(0, 0)]);
    assert_eq!(plan.conflicts.len(), 4, "{:#?}", plan.conflicts);
}

#[test]
fn course_org_filter_is_a_string_or_a_list() {
    assert_eq!(
        course_org_filter(r#"{"course_org_filter": "edX"}"#),
        ["edX"]
    );
    assert_eq!(
        course_org_filter(r#"{"course_org_filter": ["a", "b"]}"#),
        ["a", "b"]
    );
    assert!(course_org_filter("{}").is_empty());
    assert_eq!(
        logo_url(Some("https://lms.test/media/"), "organization_logos/x.png").as_deref(),
        Some("https://lms.test/media/organization_logos/x.png")
    );
    assert_eq!(logo_url(None, "x.png"), None);
}
