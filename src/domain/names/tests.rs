use proptest::prelude::*;

use super::text::check;
use super::*;

#[test]
fn short_names() {
    for good in [
        "MITx",
        "edX",
        "VJx",
        "a",
        "Université_de-Montréal",
        "x~y.z:1%2",
        "٣²中",
    ] {
        assert_eq!(
            ShortName::parse(good).map(|s| s.to_string()),
            Ok(good.to_owned())
        );
    }
    let longest = "x".repeat(255);
    assert!(ShortName::parse(&longest).is_ok());
    for bad in [
        "", " ", "MIT x", "a+b", "a/b", "a@b", "a#b", "MITx\n", " MITx", "e\u{301}",
    ] {
        assert!(ShortName::parse(bad).is_err(), "{bad:?} accepted");
    }
    assert!(ShortName::parse(&format!("{longest}x")).is_err());
    // 255 characters, not bytes.
    assert!(ShortName::parse(&"é".repeat(255)).is_ok());
    let mit = ShortName::parse("MITx").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mit.key().as_str(), "mitx");
    assert_eq!(mit.as_str(), "MITx");
}

#[test]
fn partner_codes() {
    for good in ["edx", "mitpe", "hxplus", "A-b_9", "12345678"] {
        assert!(PartnerCode::parse(good).is_ok(), "{good:?} refused");
    }
    for bad in ["", "123456789", "é", "a b", "a.b", "a+b", "edx\n"] {
        let err = PartnerCode::parse(bad).err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some("must be 1-8 characters of A-Z, a-z, 0-9, _ or -".to_owned()),
            "{bad:?}"
        );
    }
}

#[test]
fn domains() {
    for bad in [
        "",
        "a b",
        "a\tb",
        "example.com\n",
        "a\u{a0}b",
        "a\u{0}b",
        &"x".repeat(101),
        "evil.com/x",
        "ex_ample.com:80",
        "::1",
        "example.com:",
        "example.com:80a",
        "a:1:2",
        "a..b",
        "-a.com",
    ] {
        assert!(Domain::parse(bad).is_err(), "{bad:?} accepted");
    }
    let retry = |d: &str| {
        Domain::parse(d)
            .map(|d| d.without_port().map(str::to_owned))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    assert_eq!(retry("example.com:8000"), Some("example.com".to_owned()));
    assert_eq!(retry("Example.COM:8000"), Some("Example.COM".to_owned()));
    assert_eq!(retry("example.com.:80"), Some("example.com".to_owned()));
    assert_eq!(
        retry("example.com."),
        None,
        "stored without its trailing dot"
    );
    let dotted = Domain::parse("edx.org.").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dotted.as_str(), "edx.org");
    assert_eq!(retry("[::1]:8000"), Some("[::1]".to_owned()));
    assert_eq!(retry("[2001:DB8::1]:443"), Some("[2001:DB8::1]".to_owned()));
    assert_eq!(retry("127.0.0.1:8000"), Some("127.0.0.1".to_owned()));
    for none in ["example.com", "[::1]"] {
        assert_eq!(retry(none), None, "{none:?}");
    }
    let d = Domain::parse("Courses.Example.com").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.key().as_str(), "courses.example.com");
}

#[test]
fn bounded_texts() {
    let name = |v: &str| OrganizationName::parse(v).map(|n| n.into_string());
    assert_eq!(name("MIT"), Ok("MIT".to_owned()));
    assert_eq!(name(" MIT "), Ok(" MIT ".to_owned()), "kept as given");
    assert!(name("").is_err());
    assert!(name(" \t\n").is_err(), "blank");
    assert!(name("M\0IT").is_err(), "NUL");
    assert!(name(&"é".repeat(255)).is_ok(), "characters, not bytes");
    assert!(name(&"é".repeat(256)).is_err());
    assert!(SiteName::parse(&"s".repeat(50)).is_ok());
    assert!(SiteName::parse(&"s".repeat(51)).is_err());
    assert!(PartnerName::parse(&"p".repeat(128)).is_ok());
    assert!(PartnerName::parse(&"p".repeat(129)).is_err());
    assert!(Subject::parse(&"u".repeat(256)).is_err());
    assert_eq!(
        Description::parse("").map(|d| d.into_string()),
        Ok(String::new())
    );
    assert_eq!(
        Description::parse("  ").map(|d| d.into_string()),
        Ok("  ".to_owned())
    );
    assert!(Description::parse(&"d".repeat(10_000)).is_ok());
    let refused = Description::parse(&"d".repeat(10_001)).err();
    assert_eq!(
        refused.map(|e| e.0),
        Some("must be at most 10000 characters, without NUL".to_owned())
    );
    assert!(Description::parse("a\0b").is_err());
}

#[test]
fn texts_are_cut_to_their_limit_but_not_past_other_rules() {
    let (kept, cut) = Description::cut(&"é".repeat(50_000)).unwrap_or_else(|e| panic!("{e}"));
    assert!(cut);
    assert_eq!(kept.as_str().chars().count(), Description::MAX);
    let (kept, cut) = OrganizationName::cut("MIT").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((kept.as_str(), cut), ("MIT", false));
    assert!(OrganizationName::cut("  ").is_err());
    assert!(Description::cut("a\0b").is_err());
    let (kept, cut) = PartnerName::cut(&"p".repeat(200)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((kept.as_str().len(), cut), (PartnerName::MAX, true));
}

#[test]
fn urls() {
    for good in [
        "https://edx.org/logo.png",
        "http://localhost:8000/x",
        "https://例え.jp/ロゴ",
    ] {
        assert!(Url::parse(good).is_ok(), "{good:?}");
    }
    let long = format!("https://lms.test/{}", "a".repeat(2_000));
    for bad in [
        "",
        "edx.org/logo.png",
        "ftp://edx.org/x",
        "https://",
        "https://a/\0",
        long.as_str(),
    ] {
        assert!(Url::parse(bad).is_err(), "{bad:?}");
    }
    let longest = format!("https://lms.test/{}", "a".repeat(Url::MAX - 17));
    assert_eq!(longest.chars().count(), Url::MAX);
    assert!(Url::parse(&longest).is_ok());
}

/// The spellings DESIGN 4.1 names: each row is one identity.
pub(crate) const SPELLINGS: &[&[&str]] = &[
    &["Straße", "STRASSE", "strasse", "STRAẞE"],
    &["MITx", "ＭＩＴx", "ＭＩＴｘ", "mitx"],
    &["ﬁx", "FIX", "fix", "ＦＩＸ"],
    &["\u{212A}x", "Kx", "kx"],
    &["ΣIGMA", "σigma", "ςigma"],
];

#[test]
fn spellings_of_one_identity_share_one_key_and_no_other() {
    let mut keys = Vec::new();
    for row in SPELLINGS {
        let row_keys: Vec<Key> = row
            .iter()
            .map(|s| {
                ShortName::parse(s)
                    .unwrap_or_else(|e| panic!("{s:?}: {e}"))
                    .key()
            })
            .collect();
        assert!(
            row_keys.iter().all(|k| *k == row_keys[0]),
            "{row:?}: {row_keys:?}"
        );
        keys.push(row_keys[0].clone());
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), SPELLINGS.len(), "rows stay apart");
    // Every other folded identity agrees: searches, partner names, domains.
    let search = Search::parse("STRASS").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(search.key().as_str(), "strass");
    assert_eq!(search.lowered(), "strass");
    let a = PartnerName::parse("Straße Partners").unwrap_or_else(|e| panic!("{e}"));
    let b = PartnerName::parse("STRASSE PARTNERS").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.key(), b.key());
    let d = Domain::parse("EDX.org:8000").unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<String> = d
        .lookup_keys()
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    assert_eq!(keys, ["edx.org:8000", "edx.org"]);
}

proptest! {
    #[test]
    fn never_panic(s in any::<String>()) {
        let _ = ShortName::parse(&s);
        let _ = PartnerCode::parse(&s);
        if let Ok(d) = Domain::parse(&s) {
            let _ = d.without_port();
        }
        let _ = OrganizationName::parse(&s);
        let _ = Description::cut(&s);
        let _ = Url::parse(&s);
        let _ = Search::parse(&s).map(|s| (s.key(), s.lowered()));
    }

    #[test]
    fn short_names_round_trip(s in r"[\p{L}\p{N}_~.:%-]{1,40}") {
        let name = ShortName::parse(&s);
        prop_assert!(name.is_ok(), "{:?} refused", s);
        let name = name.unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(name.as_str(), s.as_str());
        prop_assert_eq!(ShortName::parse(&name.to_string()), Ok(name.clone()));
    }

    #[test]
    fn keys_fold_case(s in r"[A-Za-z0-9_-]{1,8}") {
        let code = PartnerCode::parse(&s).unwrap_or_else(|e| panic!("{e}"));
        let upper = PartnerCode::parse(&s.to_ascii_uppercase()).unwrap_or_else(|e| panic!("{e}"));
        let lower = PartnerCode::parse(code.key().as_str()).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(lower.key(), code.key());
        prop_assert_eq!(upper.key(), code.key());
        prop_assert_eq!(s.eq_ignore_ascii_case(upper.as_str()), true);
    }

    #[test]
    fn accepted_domains_round_trip(s in any::<String>()) {
        if let Ok(d) = Domain::parse(&s) {
            prop_assert_eq!(Domain::parse(d.as_str()), Ok(d.clone()));
            prop_assert_eq!(Domain::parse(d.key().as_str()).map(|k| k.key()), Ok(d.key()));
            if let Some(host) = d.without_port() {
                prop_assert!(d.as_str().starts_with(host) && host.len() < d.as_str().len());
            }
        }
    }

    #[test]
    fn short_name_keys_ignore_case(s in r"[\p{L}\p{N}_~.:%-]{1,40}", flips in any::<u64>()) {
        let name = ShortName::parse(&s).unwrap_or_else(|e| panic!("{e}"));
        let key = name.key();
        prop_assert_eq!(Key::of(key.as_str()), key.clone());
        // The same name with its ASCII letters' case flipped at random is the same record.
        let flipped: String = s.chars().enumerate().map(|(i, c)| match flips >> (i % 64) & 1 {
            1 if c.is_ascii_lowercase() => c.to_ascii_uppercase(),
            1 => c.to_ascii_lowercase(),
            _ => c,
        }).collect();
        let other = ShortName::parse(&flipped).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(other.key(), key);
        prop_assert_eq!(other == name, flipped == s);
    }

    #[test]
    fn texts_hold_exactly_their_rule(s in "[a \u{0}é\u{3000}]{0,40}", max in 1usize..30) {
        let len = s.chars().count();
        let nul = s.contains('\0');
        let ok = check(&s, 0, max).is_ok();
        prop_assert_eq!(ok, len <= max && !nul);
        let required = check(&s, 1, max).is_ok();
        prop_assert_eq!(required, ok && !s.trim().is_empty());
        let (fit, was_cut) = text::cut(&s, max);
        prop_assert!(s.starts_with(fit));
        prop_assert_eq!(fit.chars().count(), len.min(max));
        prop_assert_eq!(was_cut, len > max);
    }

    #[test]
    fn accepted_urls_fit_their_column(s in "https?://[a-z]{1,10}(\\.[a-z]{2,3})?/[a-zA-Z0-9/%\u{0}é-]{0,300}") {
        match Url::parse(&s) {
            Ok(url) => {
                prop_assert!(url.as_str().chars().count() <= Url::MAX);
                prop_assert!(!url.as_str().contains('\0'));
            }
            Err(_) => prop_assert!(s.chars().count() > Url::MAX || s.contains('\0')),
        }
    }
}
