use proptest::prelude::*;

use super::*;

/// Written by `tests/data/gen_course_keys.py` with the real edx-opaque-keys.
const CORPUS: &str = include_str!("../../../tests/data/course_keys.tsv");

fn json(field: &str) -> String {
    serde_json::from_str(field).unwrap_or_else(|e| panic!("bad corpus field {field}: {e}"))
}

#[test]
fn corpus_matches_edx_opaque_keys() {
    let mut rows = 0;
    let mut valid = 0;
    let mut disagreements = Vec::new();
    for line in CORPUS.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "corpus row {line:?}");
        let (key, org, canonical) = (json(cols[0]), json(cols[2]), json(cols[3]));
        let expected = (cols[1] == "1").then_some((org.as_str(), canonical.as_str()));
        rows += 1;
        valid += usize::from(expected.is_some());
        let parsed = CourseKey::parse(&key);
        let got = parsed.as_ref().ok().map(|k| (k.org(), k.as_str()));
        if got != expected {
            disagreements.push(format!(
                "{key:?}: library says {expected:?}, we say {:?}",
                parsed
                    .as_ref()
                    .map(|k| (k.org(), k.as_str()))
                    .map_err(|e| &e.reason)
            ));
        }
    }
    assert!(
        rows >= 5000 && valid >= 1000,
        "corpus too small: {rows} rows, {valid} valid"
    );
    assert!(
        disagreements.is_empty(),
        "{} of {rows} keys disagree with edx-opaque-keys, first ones:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

fn ok(s: &str) -> (String, String, CourseKeyKind) {
    let k = CourseKey::parse(s).unwrap_or_else(|e| panic!("{s:?} rejected: {e}"));
    (k.as_str().to_owned(), k.org().to_owned(), k.kind())
}

fn own(key: &str, org: &str, kind: CourseKeyKind) -> (String, String, CourseKeyKind) {
    (key.to_owned(), org.to_owned(), kind)
}

const V: &str = "519665f6223ebd6980884f2b";

#[test]
fn the_four_forms() {
    use CourseKeyKind::*;
    let course = "course-v1:edX+DemoX+2020";
    assert_eq!(ok(course), own(course, "edX", CourseRun));
    assert_eq!(
        ok("edX/DemoX/2020"),
        own("edX/DemoX/2020", "edX", DeprecatedCourseRun)
    );
    assert_eq!(
        ok("library-v1:edX+lib1"),
        own("library-v1:edX+lib1", "edX", LibraryV1)
    );
    assert_eq!(ok("lib:edX:lib2"), own("lib:edX:lib2", "edX", LibraryV2));
    let key: CourseKey = course.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(key.to_string(), course);
}

#[test]
fn normalisations_follow_str_of_the_key() {
    use CourseKeyKind::*;
    let c = "course-v1:edX+DemoX+2020";
    assert_eq!(ok("slashes:edX+DemoX+2020"), own(c, "edX", CourseRun));
    assert_eq!(
        ok(&format!("{c}+type@problem+block@a%b")),
        own(c, "edX", CourseRun)
    );
    let version_only = format!("course-v1:version@{V}");
    assert_eq!(
        ok(&format!("course-v1:edX+DemoX+version@{V}")),
        own(&version_only, "", CourseRun)
    );
    assert_eq!(
        ok(&format!("course-v1:branch@b+version@{V}")),
        own(&version_only, "", CourseRun)
    );
    let full = format!("{c}+branch@b+version@{V}");
    assert_eq!(ok(&full), own(&full, "edX", CourseRun));
    let lib = "library-v1:edX+lib1+branch@b";
    assert_eq!(
        ok("library-v1:edX+lib1+run+branch@b"),
        own(lib, "edX", LibraryV1)
    );
    assert_eq!(
        ok("edX/DemoX/"),
        own("edX/DemoX/", "edX", DeprecatedCourseRun)
    );
    // Python's `$` lets each lib: field end in one newline.
    assert_eq!(
        ok("lib:edX\n:s\n"),
        own("lib:edX\n:s\n", "edX\n", LibraryV2)
    );
}

#[test]
fn rejections() {
    for bad in [
        "",
        "course-v1:edX+DemoX",
        "course-v1:edX+DemoX+2020+",
        "course-v1:edX+DemoX+2020\n",
        "edX/DemoX/2020\n",
        "Course-v1:edX+DemoX+2020",
        " course-v1:edX+DemoX+2020",
        "course-v1:branch@b",
        &format!("course-v1:edX+DemoX+2020+version@{}", &V[1..]),
        &format!(
            "course-v1:edX+DemoX+2020+version@{}",
            V.to_ascii_uppercase()
        ),
        &format!("course-v1:edX+DemoX+2020+version@{V}+branch@b"),
        "edX//2020",
        "edX/DemoX/2020/",
        "edX/Demo X/2020",
        "edX/Demo~X/2020",
        "lib:edX:lib:2",
        "lib:éX:lib2",
        "lib:edX:lib2\n\n",
        "e\u{301}/b/c", // a combining mark is not a Python word character
        "o/b/\u{203f}", // nor is connector punctuation other than `_`
        "o/b/\u{24b6}", // nor a circled letter (So, though Unicode-Alphabetic)
        "ccx-v1:edX+DemoX+2020+ccx@1",
    ] {
        assert!(CourseKey::parse(bad).is_err(), "{bad:?} accepted");
    }
    // `No` numbers are Python word characters, unlike in the regex crate's `\w`.
    assert_eq!(ok("o/b/\u{b2}\u{bd}").1, "o");
}

/// A field of Python word characters plus the extra characters `extra` allows.
fn field(extra: &'static str) -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        6 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('0', '9'),
        1 => proptest::sample::select("_-.".chars().chain(extra.chars()).collect::<Vec<_>>()),
        2 => proptest::sample::select(vec!['é', 'ß', 'Σ', 'ǅ', 'ʰ', '中', 'ا', '٣', '²', '½', 'Ⅻ', '〇', '𝟘', '𐐀']),
    ];
    proptest::collection::vec(chars, 1..12).prop_map(|v| v.into_iter().collect())
}

/// Strings close to the grammar, so that many of them parse.
fn near_key() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("course-v1:".to_owned()),
        Just("library-v1:".to_owned()),
        Just("lib:".to_owned()),
        Just("slashes:".to_owned()),
        Just("+".to_owned()),
        Just("/".to_owned()),
        Just(":".to_owned()),
        Just("\n".to_owned()),
        Just("branch@".to_owned()),
        Just(format!("version@{V}")),
        Just("type@".to_owned()),
        Just("block@".to_owned()),
        field("~:%"),
    ];
    proptest::collection::vec(piece, 0..10).prop_map(|v| v.concat())
}

fn check_reparse(s: &str) {
    if let Ok(key) = CourseKey::parse(s) {
        let again = CourseKey::parse(key.as_str())
            .unwrap_or_else(|e| panic!("{s:?} -> {:?} does not re-parse: {e}", key.as_str()));
        assert_eq!(again, key);
        assert_eq!(again.org(), key.org());
        assert!(key.as_str().contains(key.org()));
    }
}

proptest! {
    #[test]
    fn never_panics_and_reparses(s in any::<String>()) {
        check_reparse(&s);
    }

    #[test]
    fn near_keys_reparse(s in near_key()) {
        check_reparse(&s);
    }

    #[test]
    fn grammar_keys_are_accepted(
        org in field("~:"), course in field("~:"), run in field("~:"),
        branch in proptest::option::of(field("~:")), version in proptest::option::of("[0-9a-f]{24}"),
        block in proptest::option::of(field("~:%")),
    ) {
        let mut key = format!("course-v1:{org}+{course}+{run}");
        if let Some(b) = &branch { key += &format!("+branch@{b}"); }
        if let Some(v) = &version { key += &format!("+version@{v}"); }
        let canonical = key.clone();
        if let Some(b) = &block { key += &format!("+block@{b}"); }
        prop_assert_eq!(ok(&key), (canonical, org.clone(), CourseKeyKind::CourseRun));
        let library = format!("library-v1:{org}+{course}");
        prop_assert_eq!(ok(&library), (library.clone(), org.clone(), CourseKeyKind::LibraryV1));
        let (o, c, r) = (org.replace([':', '~'], "%"), course.replace([':', '~'], "."), run.replace([':', '~'], "-"));
        let deprecated = format!("{o}/{c}/{r}");
        prop_assert_eq!(ok(&deprecated), (deprecated.clone(), o, CourseKeyKind::DeprecatedCourseRun));
    }

    #[test]
    fn library_v2_keys_are_accepted(org in "[A-Za-z0-9_.-]{1,12}", slug in field("")) {
        let key = format!("lib:{org}:{slug}");
        prop_assert_eq!(ok(&key), (key.clone(), org, CourseKeyKind::LibraryV2));
    }
}
