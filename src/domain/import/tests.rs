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
    assert_eq!(plan.organizations[0].display_name.as_str(), "edX");
    assert_eq!(plan.partner_orgs, [(0, 0)]);
    assert_eq!(plan.conflicts.len(), 4, "{:#?}", plan.conflicts);
}

/// docs/adopting.md: every value passes the API's rules; what does not fit is cut or left out, or
/// its row skipped, and each is reported by table and key.
#[test]
fn values_that_do_not_fit_are_cut_left_out_or_skipped_and_reported() {
    let long_logo = format!("https://lms.test/{}", "l".repeat(1_992));
    assert_eq!(long_logo.chars().count(), 2_009);
    let mut big = org("BigX", &"N".repeat(300));
    big.description = Some("d".repeat(50_000));
    big.logo = Some(long_logo);
    let mut nul = org("NulX", "Bad\0name");
    nul.description = Some("ok".into());
    let mut quiet = org("QuietX", "  ");
    quiet.description = Some("a\0b".into());
    let sources = Sources {
        organizations: vec![big, nul, quiet, org("a b", "spaced")],
        links: vec![
            SourceLink {
                course_key: "course-v1:NulX+A+1".into(),
                short_name: "NulX".into(),
                active: true,
            },
            SourceLink {
                course_key: format!("course-v1:BigX+{}+1", "c".repeat(300)),
                short_name: "BigX".into(),
                active: true,
            },
        ],
        ..Sources::default()
    };
    let plan = plan(&sources);
    let names: Vec<&str> = plan.organizations.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["BigX", "QuietX"], "NulX and `a b` skipped");
    let big = &plan.organizations[0];
    assert_eq!(big.display_name.as_str().chars().count(), 255);
    assert_eq!(
        big.description.as_ref().map(|d| d.as_str().len()),
        Some(10_000)
    );
    assert_eq!(big.logo_url, None);
    let quiet = &plan.organizations[1];
    assert_eq!(
        quiet.display_name.as_str(),
        "QuietX",
        "a blank name is the short name"
    );
    assert_eq!(quiet.description, None);
    assert!(
        plan.links.is_empty(),
        "NulX's link has no organization; BigX's key is too long"
    );
    let report = plan.conflicts.join("\n");
    for expected in [
        r#"organizations_organization "BigX": name of 300 characters cut to fit"#,
        r#"organizations_organization "BigX": description of 50000 characters cut to 10000"#,
        r#"organizations_organization "BigX": logo of 2009 characters left out: must be an http(s) URL of at most 255 characters"#,
        r#"organizations_organization "NulX": skipped: name must be 1-255 characters, not blank, without NUL"#,
        r#"organizations_organization "QuietX": blank name: named "QuietX""#,
        r#"organizations_organization "QuietX": description left out: must be at most 10000 characters, without NUL"#,
        r#"organizations_organization "a b": skipped: short name must be"#,
        r#"organizations_organizationcourse "course-v1:BigX+ccc"#,
    ] {
        assert!(report.contains(expected), "{expected}\nnot in:\n{report}");
    }
    assert_eq!(plan.conflicts.len(), 8, "{report}");
}

/// Links find their organization by the same key as every lookup: `Straße`'s links are
/// kept whatever spelling the link row's organization has.
#[test]
fn links_find_their_organization_by_its_folded_key() {
    let link = |key: &str, org: &str| SourceLink {
        course_key: key.into(),
        short_name: org.into(),
        active: true,
    };
    let sources = Sources {
        organizations: vec![org("Straße", "Straße U"), org("ﬁx", "Fix")],
        links: vec![
            link("course-v1:Straße+A+1", "Straße"),
            link("course-v1:STRASSE+B+1", "STRASSE"),
            link("course-v1:ﬁx+C+1", "FIX"),
        ],
        site_orgs: vec![("lms.test".into(), "strasse".into())],
        sites: vec![("LMS.test".into(), "LMS".into())],
        ..Sources::default()
    };
    let plan = plan(&sources);
    assert_eq!(plan.organizations.len(), 2);
    let owners: Vec<(usize, &str)> = plan
        .links
        .iter()
        .map(|(k, o, _)| (*o, k.as_str()))
        .collect();
    assert_eq!(
        owners,
        [
            (0, "course-v1:STRASSE+B+1"),
            (0, "course-v1:Straße+A+1"),
            (1, "course-v1:ﬁx+C+1")
        ]
    );
    assert_eq!(plan.site_orgs, [(0, 0)]);
    assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
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
