//! The identity stored in the `*_key` columns: what two spellings must share to be one record.
//!
//! Unicode compatibility caseless matching (Unicode 3.13, D146): `Straße` and `STRASSE`,
//! `ΣIGMA` and `ςigma`, fullwidth `ＭＩＴｘ` and `MITx` are one identity. Lower-casing alone
//! keeps them apart (and the engines' `lower()` disagree outside ASCII), so the key is computed
//! here, once, for the service and its migrations alike.

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;

/// NFKD(casefold(NFKD(casefold(NFD(s))))), recomposed (NFC) to store compactly.
pub fn fold(s: &str) -> String {
    s.chars()
        .nfd()
        .default_case_fold()
        .nfkd()
        .default_case_fold()
        .nfkd()
        .nfc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn spellings_of_one_identity_share_a_key() {
        assert_eq!(fold("MITx"), "mitx");
        assert_eq!(fold("Straße"), fold("STRASSE"));
        assert_eq!(fold("ΣIGMA"), fold("ςigma"));
        assert_eq!(fold("ＭＩＴｘ"), fold("MITx"));
        assert_eq!(fold("e\u{301}"), fold("É"));
        assert_ne!(fold("MITx"), fold("HarvardX"));
    }
}
