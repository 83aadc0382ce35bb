//! Media types: what the client sent (`Content-Type`) and what it accepts (`Accept`).

use axum::http::{HeaderMap, header};

/// The two media types a GraphQL response can be sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: the GraphQL-over-HTTP type, whose status codes say
    /// whether the request was executed.
    GraphqlResponse,
    /// `application/json`: the legacy type, answered 200 for every well-formed GraphQL response.
    Json,
}

impl MediaType {
    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            MediaType::Json => "application/json; charset=utf-8",
        }
    }

    fn essence(self) -> &'static str {
        match self {
            MediaType::GraphqlResponse => "application/graphql-response+json",
            MediaType::Json => "application/json",
        }
    }
}

/// The response type for a request's `Accept` header, or `None` when it accepts neither type.
///
/// No header, `*/*` and `application/*` get `application/json`, as the spec asks for clients that
/// predate `application/graphql-response+json`; a client naming both types with equal weight
/// gets the newer one.
pub fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let ranges: Vec<(String, f32)> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(media_range)
        .collect();
    if ranges.is_empty() {
        return Some(MediaType::Json);
    }
    // (weight, specificity, preference) for each candidate; the largest wins.
    let score = |candidate: MediaType| {
        let (q, specificity) = ranges
            .iter()
            .filter_map(|(range, q)| {
                let specificity = match range.as_str() {
                    r if r == candidate.essence() => 2,
                    "application/*" => 1,
                    "*/*" => 0,
                    _ => return None,
                };
                Some((*q, specificity))
            })
            .max_by_key(|&(_, specificity)| specificity)?;
        if q <= 0.0 {
            return None;
        }
        let preferred = match candidate {
            MediaType::GraphqlResponse => specificity == 2,
            MediaType::Json => specificity < 2,
        };
        Some((q, specificity, preferred))
    };
    [MediaType::GraphqlResponse, MediaType::Json]
        .into_iter()
        .filter_map(|m| score(m).map(|s| (m, s)))
        .max_by(|(_, a), (_, b)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)))
        .map(|(m, _)| m)
}

/// `type/subtype` in lower case and its `q` weight; `None` for an empty or malformed range.
fn media_range(text: &str) -> Option<(String, f32)> {
    let mut parts = text.split(';');
    let range = parts.next()?.trim().to_ascii_lowercase();
    if !range.contains('/') {
        return None;
    }
    let mut q = 1.0;
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            q = value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))?;
        }
    }
    Some((range, q))
}

/// Whether a GET should get GraphiQL: browsers put `text/html` first.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.trim().starts_with("text/html"))
}

/// Why a POST body cannot be read as GraphQL.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyTypeError {
    Missing,
    Unsupported(String),
}

impl BodyTypeError {
    pub fn message(&self) -> String {
        match self {
            BodyTypeError::Missing => "a POST needs Content-Type: application/json".to_owned(),
            BodyTypeError::Unsupported(ct) => {
                format!("unsupported Content-Type {ct:?}: send application/json (UTF-8)")
            }
        }
    }
}

/// Accepts `application/json`, with no charset or UTF-8.
pub fn check_body_type(headers: &HeaderMap) -> Result<(), BodyTypeError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(BodyTypeError::Missing);
    };
    let text = value.to_str().unwrap_or("");
    let unsupported = || BodyTypeError::Unsupported(text.chars().take(100).collect());
    let mut parts = text.split(';');
    let essence = parts.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(unsupported());
    }
    for param in parts {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
            && !value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        {
            return Err(unsupported());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: Option<&str>) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        if let Some(v) = value {
            headers.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        negotiate(&headers)
    }

    #[test]
    fn negotiation_follows_the_spec() {
        use MediaType::*;
        assert_eq!(accept(None), Some(Json));
        assert_eq!(accept(Some("*/*")), Some(Json));
        assert_eq!(accept(Some("application/*")), Some(Json));
        assert_eq!(accept(Some("application/json")), Some(Json));
        assert_eq!(
            accept(Some("application/graphql-response+json")),
            Some(GraphqlResponse)
        );
        assert_eq!(
            accept(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(GraphqlResponse)
        );
        assert_eq!(
            accept(Some("application/json, application/graphql-response+json")),
            Some(GraphqlResponse)
        );
        assert_eq!(
            accept(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(Json)
        );
        assert_eq!(
            accept(Some("application/graphql-response+json, */*;q=0.1")),
            Some(GraphqlResponse)
        );
        assert_eq!(accept(Some("text/plain")), None);
        assert_eq!(accept(Some("application/json;q=0")), None);
    }

    fn body_type(value: Option<&str>) -> Result<(), BodyTypeError> {
        let mut headers = HeaderMap::new();
        if let Some(v) = value {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
        }
        check_body_type(&headers)
    }

    #[test]
    fn only_utf8_json_bodies_are_read() {
        assert_eq!(body_type(Some("application/json")), Ok(()));
        assert_eq!(body_type(Some("Application/JSON; charset=UTF-8")), Ok(()));
        assert_eq!(body_type(None), Err(BodyTypeError::Missing));
        for ct in [
            "text/plain",
            "application/json; charset=latin1",
            "application/graphql",
            "multipart/form-data",
        ] {
            assert!(
                matches!(body_type(Some(ct)), Err(BodyTypeError::Unsupported(_))),
                "{ct}"
            );
        }
    }
}
