//! What the pages for people (GraphiQL's comment, the admin console's sign-in page) tell them to
//! run: the lines `serve` worked out at start-up (it knows how it was started, which database
//! it serves and which keys verify: `cli::hints`). One set per process, set before the first
//! page is served.

use std::sync::OnceLock;

/// Commands as a person at the server's terminal would type them.
#[derive(Clone, Debug)]
pub struct PageHints {
    /// How to get a token with which to write (or why there is none).
    pub token: String,
    /// How to load the example data into this server's database.
    pub seed: String,
}

static HINTS: OnceLock<PageHints> = OnceLock::new();

/// Sets the hints for this process (the first call wins).
pub fn set(hints: PageHints) {
    let _ = HINTS.set(hints);
}

/// The hints; until `serve` sets them (in-process tests), the installed binary's commands.
pub(super) fn get() -> PageHints {
    HINTS.get().cloned().unwrap_or_else(|| PageHints {
        token: "tenancy-gateway token --subject ada --administrator".to_owned(),
        seed: "tenancy-gateway seed --demo".to_owned(),
    })
}

/// `text` inside a single-quoted JavaScript string in an HTML `<script>`.
pub(super) fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\x27"),
            '"' => out.push_str("\\x22"),
            '<' => out.push_str("\\x3c"),
            '>' => out.push_str("\\x3e"),
            '&' => out.push_str("\\x26"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// `text` inside a double-quoted HTML attribute.
pub(super) fn html_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_leave_no_way_out_of_the_string() {
        let hostile = "a' + alert(1) + '</script><b>\"&\\";
        let js = js_string(hostile);
        assert!(
            !js.contains('\'') && !js.contains('<') && !js.contains('"'),
            "{js}"
        );
        let attr = html_attribute(hostile);
        assert!(!attr.contains('"') && !attr.contains('<'), "{attr}");
    }
}
