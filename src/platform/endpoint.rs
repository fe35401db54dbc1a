//! Where requests go: the validated API base URL (`https://`, or `http://` on loopback only),
//! building `/v2/...` URLs with properly encoded path segments, and the `username/name` to
//! `username~name` conversion the official clients do for resource references.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

use super::PlatformError;

/// The default API base URL.
pub const DEFAULT_API_URL: &str = "https://api.apify.com";

/// A validated API base URL such as `https://api.apify.com`; the client appends `/v2/...`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiBaseUrl(Url);

impl ApiBaseUrl {
    /// Checks a base URL: `https://` anywhere, plain `http://` only when the host is loopback
    /// (127.0.0.0/8, `::1`, `localhost`), no credentials, query or fragment. A trailing `/v2`
    /// is accepted and dropped, since the client adds it. Errors are
    /// [`PlatformError::ApiUrl`] (a usage error).
    pub fn parse(text: &str) -> Result<Self, PlatformError> {
        let bad = |why: &str| PlatformError::ApiUrl(format!("invalid API URL {text:?}: {why}"));
        let mut url = Url::parse(text.trim()).map_err(|err| bad(&err.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                if !url.host().is_some_and(|host| is_loopback_host(&host)) {
                    return Err(PlatformError::ApiUrl(format!(
                        "refusing plain http:// API URL {}: only loopback hosts may use http \
                         (use https://)",
                        url.origin().ascii_serialization()
                    )));
                }
            }
            other => return Err(bad(&format!("unsupported scheme {other:?}"))),
        }
        if url.host().is_none() {
            return Err(bad("no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Do not echo the URL: the userinfo may be a credential.
            return Err(PlatformError::ApiUrl(
                "invalid API URL: credentials in the URL are not allowed".to_owned(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(PlatformError::ApiUrl(
                "invalid API URL: a query string or fragment is not allowed".to_owned(),
            ));
        }
        let path = url.path().trim_end_matches('/');
        let path = path.strip_suffix("/v2").unwrap_or(path).to_owned();
        url.set_path(&path);
        Ok(ApiBaseUrl(url))
    }

    /// `<base>/v2/<segments...>`, each segment percent-encoded as needed.
    pub fn v2(&self, segments: &[&str]) -> Url {
        let mut url = self.0.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("v2").extend(segments);
        }
        url
    }

    /// The base URL as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }
}

impl fmt::Debug for ApiBaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiBaseUrl({})", self.as_str())
    }
}

impl fmt::Display for ApiBaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a URL host is a loopback address: 127.0.0.0/8, `::1` or `localhost`.
pub fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.');
            name.eq_ignore_ascii_case("localhost")
                || name.to_ascii_lowercase().ends_with(".localhost")
        }
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// A resource reference as the API path wants it: `username/name` becomes `username~name`
/// (only the first `/`, like the official clients); IDs and `username~name` pass unchanged.
pub fn to_safe_id(id_or_name: &str) -> String {
    id_or_name.replacen('/', "~", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_accepted_and_v2_is_appended_once() {
        let base = ApiBaseUrl::parse("https://api.apify.com").unwrap();
        assert_eq!(
            base.v2(&["webhooks"]).as_str(),
            "https://api.apify.com/v2/webhooks"
        );
        let base = ApiBaseUrl::parse("https://api.apify.com/v2/").unwrap();
        assert_eq!(base.as_str(), "https://api.apify.com");
        let base = ApiBaseUrl::parse("https://proxy.example.com/apify/").unwrap();
        assert_eq!(
            base.v2(&["users", "me"]).as_str(),
            "https://proxy.example.com/apify/v2/users/me"
        );
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.10.0.1",
            "http://[::1]:9000",
            "http://localhost:1234",
            "http://LOCALHOST",
            "http://api.localhost",
        ] {
            assert!(ApiBaseUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.apify.com",
            "http://10.0.0.1",
            "http://192.168.1.2:80",
            "http://[::2]",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
        ] {
            let err = ApiBaseUrl::parse(bad).unwrap_err();
            assert!(
                err.to_string().contains("refusing plain http"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn refused_urls_are_usage_errors() {
        for bad in [
            "ftp://api.apify.com",
            "not a url",
            "http://example.com",
            "https://u:p@api.apify.com",
            "https://api.apify.com/#x",
        ] {
            let err = ApiBaseUrl::parse(bad).unwrap_err();
            assert!(err.is_usage(), "{bad}: {err:?}");
        }
    }

    #[test]
    fn other_schemes_credentials_and_queries_are_refused() {
        assert!(ApiBaseUrl::parse("ftp://api.apify.com").is_err());
        assert!(ApiBaseUrl::parse("not a url").is_err());
        let err = ApiBaseUrl::parse("https://user:hunter2@api.apify.com").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(ApiBaseUrl::parse("https://api.apify.com/?token=x").is_err());
    }

    #[test]
    fn path_segments_are_encoded() {
        let base = ApiBaseUrl::parse("https://api.apify.com").unwrap();
        let url = base.v2(&["actors", "a b?c/d"]);
        assert_eq!(
            url.as_str(),
            "https://api.apify.com/v2/actors/a%20b%3Fc%2Fd"
        );
        assert_eq!(
            base.v2(&["actors", "acme~web-scraper"]).path(),
            "/v2/actors/acme~web-scraper"
        );
    }

    #[test]
    fn safe_id_converts_only_the_first_slash() {
        assert_eq!(to_safe_id("apify/web-scraper"), "apify~web-scraper");
        assert_eq!(to_safe_id("a/b/c"), "a~b/c");
        assert_eq!(to_safe_id("apify~web-scraper"), "apify~web-scraper");
        assert_eq!(to_safe_id("moJRLRc85AitArpNN"), "moJRLRc85AitArpNN");
    }
}
