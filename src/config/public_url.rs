//! `TENANCY_PUBLIC_URL`: where clients reach the service, for the links it writes.

/// An absolute `http` or `https` URL with no user, query or fragment. Its scheme, host, port and
/// path prefix are those of every link the service writes (REST `next`/`previous`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    /// The URL without its trailing slash: `https://tenancy.example.com/prefix`.
    base: String,
}

impl PublicUrl {
    /// The absolute URL of `path` (which starts with `/`) under this one.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl std::str::FromStr for PublicUrl {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected an absolute http(s) URL such as https://tenancy.example.com";
        let url = url::Url::parse(text.trim()).map_err(|err| format!("{expected} ({err})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{expected} (the scheme is {:?})", url.scheme()));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{expected} (it names no host)"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{expected}, without a user or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{expected}, without ?query or #fragment"));
        }
        Ok(PublicUrl {
            base: url.as_str().trim_end_matches('/').to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::PublicUrl;

    fn join(url: &str, path: &str) -> Result<String, String> {
        Ok(url.parse::<PublicUrl>()?.join(path))
    }

    #[test]
    fn its_scheme_host_port_and_prefix_make_the_links() -> Result<(), String> {
        let path = "/api/organizations/v0/organizations/?page=2";
        assert_eq!(
            join("https://Tenancy.Example.com", path)?,
            "https://tenancy.example.com/api/organizations/v0/organizations/?page=2"
        );
        assert_eq!(
            join("http://127.0.0.1:8080/edge/tenancy/", path)?,
            "http://127.0.0.1:8080/edge/tenancy/api/organizations/v0/organizations/?page=2"
        );
        assert_eq!(
            join("https://example.com:443/", path)?,
            "https://example.com/api/organizations/v0/organizations/?page=2",
            "the scheme's own port is dropped"
        );
        Ok(())
    }

    #[test]
    fn anything_but_an_absolute_http_url_is_refused() {
        for bad in [
            "",
            "tenancy.example.com",
            "/prefix",
            "javascript:alert(1)",
            "ftp://example.com",
            "file:///etc/passwd",
            "https://user:pass@example.com",
            "https://example.com/?next=1",
            "https://example.com/#top",
            "http://",
        ] {
            assert!(bad.parse::<PublicUrl>().is_err(), "{bad:?}");
        }
    }
}
