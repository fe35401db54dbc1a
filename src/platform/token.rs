//! The API token: a secret type that never prints its value, and the resolution of where the
//! token comes from (`--token-file`, `APIFY_TOKEN`, or the file `apify login` writes for
//! apify-cli). Resolution takes its inputs as arguments, so it is testable without touching the
//! real environment; the CLI reads the environment and passes the values in.

use std::fmt;
use std::path::{Path, PathBuf};

use super::PlatformError;

/// An Apify API token. `Debug` and `Display` print `(redacted)`; the value is reachable only
/// through [`ApiToken::expose`], which the HTTP client uses to set the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

impl ApiToken {
    /// Wraps a token value; surrounding whitespace (a trailing newline in a file) is dropped.
    /// `None` when nothing is left.
    pub fn new(value: impl Into<String>) -> Option<Self> {
        let value = value.into();
        let trimmed = value.trim();
        if trimmed.is_empty() {
            None
        } else {
            Some(ApiToken(trimmed.to_owned()))
        }
    }

    /// The secret value. Only for the `Authorization` header and for redacting text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Where a resolved token came from (for `-v` output and error messages; never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The file given with `--token-file`.
    File(PathBuf),
    /// The `APIFY_TOKEN` environment variable.
    Env,
    /// The file `apify login` writes for apify-cli (`~/.apify/auth.json`, field `token`).
    ApifyCli(PathBuf),
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::File(path) => write!(f, "token file {}", path.display()),
            TokenSource::Env => f.write_str("APIFY_TOKEN"),
            TokenSource::ApifyCli(path) => write!(f, "apify-cli login ({})", path.display()),
        }
    }
}

/// The apify-cli credentials file below a home directory: `<home>/.apify/auth.json`.
pub fn apify_cli_auth_path(home: &Path) -> PathBuf {
    home.join(".apify").join("auth.json")
}

/// Finds the API token, in this order: the `--token-file` (an explicit flag wins), the value of
/// `APIFY_TOKEN` (empty counts as unset), then the token apify-cli stores after `apify login`
/// below `home`, if that file exists and holds one.
///
/// `Ok(None)` when there is no token anywhere. A token file that cannot be read or is empty is
/// an error (the user asked for it); a missing or malformed apify-cli file is not.
pub fn resolve_token(
    env_token: Option<&str>,
    token_file: Option<&Path>,
    home: Option<&Path>,
) -> Result<Option<(ApiToken, TokenSource)>, PlatformError> {
    if let Some(path) = token_file {
        let text = std::fs::read_to_string(path).map_err(|err| {
            PlatformError::Config(format!("cannot read token file {}: {err}", path.display()))
        })?;
        return match ApiToken::new(text) {
            Some(token) => Ok(Some((token, TokenSource::File(path.to_owned())))),
            None => Err(PlatformError::Config(format!(
                "token file {} is empty",
                path.display()
            ))),
        };
    }
    if let Some(token) = env_token.and_then(ApiToken::new) {
        return Ok(Some((token, TokenSource::Env)));
    }
    let Some(home) = home else { return Ok(None) };
    let path = apify_cli_auth_path(home);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let token = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|value| {
            value
                .get("token")
                .and_then(|t| t.as_str())
                .and_then(ApiToken::new)
        });
    if let Some(token) = token {
        Ok(Some((token, TokenSource::ApifyCli(path))))
    } else {
        tracing::debug!(path = %path.display(), "apify-cli auth file holds no token");
        Ok(None)
    }
}

/// Replaces every occurrence of the token in `text` with `(redacted)`: a last line of defence
/// for text that came from elsewhere (a server message) before it goes into an error.
pub(crate) fn redact(text: &str, token: &ApiToken) -> String {
    if token.0.is_empty() || !text.contains(&token.0) {
        text.to_owned()
    } else {
        text.replace(&token.0, "(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let token = ApiToken::new("apify_api_secret").unwrap();
        assert_eq!(format!("{token}"), "(redacted)");
        assert_eq!(format!("{token:?}"), "(redacted)");
        assert_eq!(format!("{:?}", Some(&token)), "Some((redacted))");
        assert_eq!(token.expose(), "apify_api_secret");
    }

    #[test]
    fn blank_values_are_no_token() {
        assert!(ApiToken::new("").is_none());
        assert!(ApiToken::new(" \n").is_none());
        assert_eq!(ApiToken::new(" abc\n").unwrap().expose(), "abc");
    }

    #[test]
    fn token_file_wins_over_env_and_apify_cli() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "from-file\n").unwrap();
        std::fs::create_dir_all(dir.path().join(".apify")).unwrap();
        std::fs::write(apify_cli_auth_path(dir.path()), r#"{"token":"from-cli"}"#).unwrap();
        let (token, source) = resolve_token(Some("from-env"), Some(&file), Some(dir.path()))
            .unwrap()
            .unwrap();
        assert_eq!(token.expose(), "from-file");
        assert_eq!(source, TokenSource::File(file));
    }

    #[test]
    fn env_wins_over_apify_cli_and_empty_env_is_unset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".apify")).unwrap();
        let auth = apify_cli_auth_path(dir.path());
        std::fs::write(&auth, r#"{"username":"me","token":"from-cli"}"#).unwrap();
        let (token, source) = resolve_token(Some("from-env"), None, Some(dir.path()))
            .unwrap()
            .unwrap();
        assert_eq!((token.expose(), source), ("from-env", TokenSource::Env));
        let (token, source) = resolve_token(Some(""), None, Some(dir.path()))
            .unwrap()
            .unwrap();
        assert_eq!(
            (token.expose(), source),
            ("from-cli", TokenSource::ApifyCli(auth))
        );
    }

    #[test]
    fn nothing_anywhere_is_none_and_bad_cli_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            resolve_token(None, None, Some(dir.path()))
                .unwrap()
                .is_none()
        );
        assert!(resolve_token(None, None, None).unwrap().is_none());
        std::fs::create_dir_all(dir.path().join(".apify")).unwrap();
        std::fs::write(apify_cli_auth_path(dir.path()), "not json").unwrap();
        assert!(
            resolve_token(None, None, Some(dir.path()))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn unreadable_or_empty_token_file_is_an_error_without_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = resolve_token(Some("x"), Some(&missing), None).unwrap_err();
        assert!(err.to_string().contains("cannot read token file"), "{err}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let err = resolve_token(None, Some(&empty), None).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
    }

    #[test]
    fn redact_replaces_every_occurrence() {
        let token = ApiToken::new("s3cr3t").unwrap();
        assert_eq!(
            redact("a s3cr3t b s3cr3t", &token),
            "a (redacted) b (redacted)"
        );
        assert_eq!(redact("clean", &token), "clean");
    }
}
