use super::*;

fn org(short_name: &str, name: &str, active: bool) -> SourceOrg {
    SourceOrg {
        short_name: short_name.into(),
        name: name.into(),
        description: None,
        logo: None,
        active,
    }
}

fn link(course_key: &str, organization_id: i64, active: bool) -> LmsLink {
    LmsLink {
        course_key: course_key.into(),
        organization_id,
        active,
    }
}

fn names(sources: &Sources) -> Vec<(&str, &str, bool)> {
    sources
        .organizations
        .iter()
        .map(|o| (o.short_name.as_str(), o.name.as_str(), o.active))
        .collect()
}

fn directory() -> Directory {
    Directory::new([(1, "edX".into()), (2, "MITx".into()), (3, "edx".into())])
}

#[test]
fn a_changed_row_brings_the_lms_values_and_a_link_only_what_is_held() {
    let mut dir = directory();
    let mut round = LmsRound::default();
    let rows = BTreeMap::from([(2, Some(org("MITx", "MIT renamed", true)))]);
    round.moves = dir.apply(&rows);
    assert_eq!(round.moves, Moves::default());
    round.changed = BTreeMap::from([(2, org("MITx", "MIT renamed", true))]);
    round.links = vec![
        link("course-v1:edX+A+1", 1, true),
        link("course-v1:MITx+B+1", 2, false),
    ];
    let links = round.source_links(&dir);
    // edX is held here under a local name: the link must not overwrite it.
    let held = HashMap::from([(key("edX").unwrap(), org("edX", "edX (local)", false))]);
    let sources = sources(&dir, &round, links, &held, Sources::default());
    assert_eq!(
        names(&sources),
        [("edX", "edX (local)", false), ("MITx", "MIT renamed", true)]
    );
    let links: Vec<(&str, &str, bool)> = sources
        .links
        .iter()
        .map(|l| (l.course_key.as_str(), l.short_name.as_str(), l.active))
        .collect();
    assert_eq!(
        links,
        [
            ("course-v1:edX+A+1", "edX", true),
            ("course-v1:MITx+B+1", "MITx", false)
        ]
    );
}

#[test]
fn only_the_first_lms_holder_of_a_name_speaks_for_it() {
    let mut dir = directory();
    // The LMS's later "edx" (id 3) changed: edX (id 1) is the organization here, as held.
    let mut round = LmsRound {
        moves: dir.apply(&BTreeMap::from([(3, Some(org("edx", "edx again!", true)))])),
        changed: BTreeMap::from([(3, org("edx", "edx again!", true))]),
        ..LmsRound::default()
    };
    let held = HashMap::from([(key("edX").unwrap(), org("edX", "edX Inc.", true))]);
    let s = sources(&dir, &round, vec![], &held, Sources::default());
    assert_eq!(names(&s), [("edX", "edX Inc.", true)]);
    // Not held yet: the first holder's LMS row (read as context), never the later one's.
    round.context = BTreeMap::from([(1, org("edX", "edX from the LMS", true))]);
    let s = sources(&dir, &round, vec![], &HashMap::new(), Sources::default());
    assert_eq!(names(&s), [("edX", "edX from the LMS", true)]);
}

#[test]
fn a_deleted_organization_is_deactivated_and_its_links_named_as_before() {
    let mut dir = directory();
    let mut round = LmsRound {
        moves: dir.apply(&BTreeMap::from([(2, None)])),
        ..LmsRound::default()
    };
    assert_eq!(round.moves.vacated, ["MITx"]);
    assert_eq!(round.moves.deleted, HashMap::from([(2, "MITx".to_owned())]));
    round.links = vec![link("course-v1:MITx+B+1", 2, false)];
    let links = round.source_links(&dir);
    assert_eq!(links[0].short_name, "MITx");
    let held = HashMap::from([(key("MITx").unwrap(), org("MITx", "MIT", true))]);
    let s = sources(&dir, &round, links, &held, Sources::default());
    assert_eq!(names(&s), [("MITx", "MIT", false)]);
    // Deleting the later of two case twins vacates nothing: edX still holds the name.
    let moves = dir.apply(&BTreeMap::from([(3, None)]));
    assert!(moves.vacated.is_empty(), "{moves:?}");
    assert_eq!(dir.first(&key("EDX").unwrap()), Some(1));
}

#[test]
fn a_renamed_organization_takes_its_links_to_the_new_name() {
    let mut dir = directory();
    let mut round = LmsRound {
        moves: dir.apply(&BTreeMap::from([(2, Some(org("MITxPro", "MIT", true)))])),
        ..LmsRound::default()
    };
    assert_eq!(round.moves.renamed, [(2, "MITx".to_owned())]);
    assert_eq!(round.moves.vacated, ["MITx"]);
    round.changed = BTreeMap::from([(2, org("MITxPro", "MIT", true))]);
    round.moved = vec![link("course-v1:MITx+B+1", 2, true)];
    let links = round.source_links(&dir);
    let pairs: Vec<(&str, bool)> = links
        .iter()
        .map(|l| (l.short_name.as_str(), l.active))
        .collect();
    assert_eq!(pairs, [("MITx", false), ("MITxPro", true)]);
    let held = HashMap::from([(key("MITx").unwrap(), org("MITx", "MIT", true))]);
    let s = sources(&dir, &round, links, &held, Sources::default());
    assert_eq!(
        names(&s),
        [("MITxPro", "MIT", true), ("MITx", "MIT", false)]
    );
    // A change of case only is no rename.
    let moves = dir.apply(&BTreeMap::from([(2, Some(org("MITXPRO", "MIT", true)))]));
    assert_eq!(moves, Moves::default());
}

#[test]
fn memberships_of_other_sources_name_organizations_as_held() {
    let dir = directory();
    let round = LmsRound::default();
    let others = Sources {
        site_orgs: vec![("mit.lms.test".into(), "mitx".into())],
        partner_orgs: vec![("edx".into(), org("HarvardX", "Harvard", true))],
        ..Sources::default()
    };
    let held = HashMap::from([(key("MITx").unwrap(), org("MITx", "MIT (held)", true))]);
    let s = sources(&dir, &round, vec![], &held, others);
    // HarvardX is not the LMS's: discovery's own row (in partner_orgs) speaks for it.
    assert_eq!(names(&s), [("MITx", "MIT (held)", true)]);
    assert_eq!(s.partner_orgs.len(), 1);
    assert_eq!(s.site_orgs.len(), 1);
}
