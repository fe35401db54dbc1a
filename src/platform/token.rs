//! The API token: a secret type that never prints its value, and the resolution of where the
//! token comes from (`--token-file`, `APIFY_TOKEN`, or the file `apify login` writes for
//! apify-cli). Resolution takes its inputs as arguments, so it is testable without touching the
//! real environment; the CLI reads the environment and passes the values in.

use std::fmt;
use std::path::{Path, PathBuf};

use super::PlatformError;
use crate::files::FileError;

/// The most a `--token-file` may hold: a token is about 50 characters, so anything near this is
/// not a token file (and `/dev/zero`-like files are not read for ever).
pub const MAX_TOKEN_FILE_BYTES: u64 = 4 * 1024;

/// The most of apify-cli's `auth.json` that is read (it holds a few more fields than the token).
const MAX_AUTH_FILE_BYTES: u64 = 64 * 1024;

/// The longest token accepted; real ones are about 50 characters.
const MAX_TOKEN_CHARS: usize = 1024;

/// An Apify API token. `Debug` and `Display` print `(redacted)`; the value is reachable only
/// through [`ApiToken::expose`], which the HTTP client uses to set the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken(String);

/// Why a value is not an API token. Never holds the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Nothing but whitespace.
    #[error("it is empty")]
    Empty,
    /// Something that cannot be sent as a token (in an HTTP header).
    #[error("{0}")]
    Malformed(&'static str),
}

impl ApiToken {
    /// Checks and wraps a token value; surrounding whitespace (a trailing newline in a file) is
    /// dropped. What is left must be one word of printable ASCII, as every Apify token is: a
    /// second line, a space or a control character would otherwise fail every request with an
    /// unhelpful "invalid header value" (and be retried as if that could help).
    pub fn new(value: impl Into<String>) -> Result<Self, TokenError> {
        let value = value.into();
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(TokenError::Empty);
        }
        if let Some(why) = token_problem(trimmed) {
            return Err(TokenError::Malformed(why));
        }
        Ok(ApiToken(trimmed.to_owned()))
    }

    /// The secret value. Only for the `Authorization` header and for redacting text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What is wrong with a trimmed, non-empty token, if anything; never quotes it.
fn token_problem(token: &str) -> Option<&'static str> {
    if token.contains(['\n', '\r']) {
        Some("it has more than one line (the token must be the only thing there)")
    } else if token.chars().any(char::is_whitespace) {
        Some("it contains a space or tab (the token must be the only thing there)")
    } else if token.chars().any(char::is_control) {
        Some("it contains a control character")
    } else if !token.is_ascii() {
        Some("it contains a non-ASCII character")
    } else if token.len() > MAX_TOKEN_CHARS {
        Some("it is far longer than an API token")
    } else {
        None
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
/// `Ok(None)` when there is no token anywhere. A token file that cannot be read, is not a
/// regular file, is larger than [`MAX_TOKEN_FILE_BYTES`] or is empty is an error (the user asked
/// for it); a missing or unreadable apify-cli file is not. A malformed token is an error
/// wherever it came from, naming where, never quoting it.
pub fn resolve_token(
    env_token: Option<&str>,
    token_file: Option<&Path>,
    home: Option<&Path>,
) -> Result<Option<(ApiToken, TokenSource)>, PlatformError> {
    if let Some(path) = token_file {
        let text = read_text(path, MAX_TOKEN_FILE_BYTES).map_err(|why| {
            PlatformError::Config(format!("cannot read token file {}: {why}", path.display()))
        })?;
        let source = TokenSource::File(path.to_owned());
        return match ApiToken::new(text) {
            Ok(token) => Ok(Some((token, source))),
            Err(TokenError::Empty) => Err(PlatformError::Config(format!(
                "token file {} is empty",
                path.display()
            ))),
            Err(err) => Err(malformed(&source, &err)),
        };
    }
    if let Some(value) = env_token {
        match ApiToken::new(value) {
            Ok(token) => return Ok(Some((token, TokenSource::Env))),
            Err(TokenError::Empty) => {}
            Err(err) => return Err(malformed(&TokenSource::Env, &err)),
        }
    }
    let Some(home) = home else { return Ok(None) };
    let path = apify_cli_auth_path(home);
    let text = match read_text(&path, MAX_AUTH_FILE_BYTES) {
        Ok(text) => text,
        Err(ReadError::File(err)) if err.is_not_found() => return Ok(None),
        Err(why) => {
            tracing::debug!(path = %path.display(), "apify-cli auth file ignored: {why}");
            return Ok(None);
        }
    };
    let value = serde_json::from_str::<serde_json::Value>(&text).ok();
    let Some(field) = value
        .as_ref()
        .and_then(|v| v.get("token"))
        .and_then(|t| t.as_str())
    else {
        tracing::debug!(path = %path.display(), "apify-cli auth file holds no token");
        return Ok(None);
    };
    let source = TokenSource::ApifyCli(path);
    match ApiToken::new(field) {
        Ok(token) => Ok(Some((token, source))),
        Err(TokenError::Empty) => Ok(None),
        Err(err) => Err(malformed(&source, &err)),
    }
}

fn malformed(source: &TokenSource, err: &TokenError) -> PlatformError {
    PlatformError::Config(format!("the API token from {source} is malformed: {err}"))
}

/// Why a credentials file could not be read, in the words that follow its name in a message.
#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error("{}", file_reason(.0))]
    File(FileError),
    #[error("not UTF-8 text")]
    NotUtf8,
}

/// The reason for a [`FileError`], short enough for "cannot read token file PATH: ...".
fn file_reason(err: &FileError) -> String {
    match err {
        FileError::NotRegular { .. } => "not a regular file".to_owned(),
        FileError::TooLarge { limit, .. } => {
            format!("larger than {limit} bytes, so not a token file")
        }
        FileError::Io { source, .. } => source.to_string(),
    }
}

/// Reads a regular file of at most `limit` bytes as text, through [`crate::files::read_bounded`]
/// (which refuses devices, FIFOs and folders without opening or draining them).
fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = crate::files::read_bounded(path, limit).map_err(ReadError::File)?;
    String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)
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
        assert_eq!(ApiToken::new(""), Err(TokenError::Empty));
        assert_eq!(ApiToken::new(" \n"), Err(TokenError::Empty));
        assert_eq!(ApiToken::new(" abc\r\n").unwrap().expose(), "abc");
    }

    #[test]
    fn values_that_cannot_be_a_header_are_malformed() {
        for (value, why) in [
            ("apify_api_one\nsecond line", "more than one line"),
            ("apify_api_one\r\nx", "more than one line"),
            ("apify api", "space or tab"),
            ("apify\tapi", "space or tab"),
            ("apify_api_\u{7}", "control character"),
            ("apify_api_\u{0}x", "control character"),
            ("apify_api_é", "non-ASCII"),
        ] {
            let err = ApiToken::new(value).unwrap_err();
            assert!(err.to_string().contains(why), "{value:?}: {err}");
        }
        assert!(ApiToken::new("x".repeat(MAX_TOKEN_CHARS + 1)).is_err());
        assert!(ApiToken::new("x".repeat(MAX_TOKEN_CHARS)).is_ok());
        // Every real token shape passes.
        assert!(ApiToken::new("apify_api_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5").is_ok());
    }

    #[test]
    fn a_malformed_token_is_an_error_naming_its_source_never_its_value() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "apify_api_SECRETVALUE\nsecond line\n").unwrap();
        let err = resolve_token(None, Some(&file), None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("malformed"), "{text}");
        assert!(text.contains(&file.display().to_string()), "{text}");
        assert!(!text.contains("SECRETVALUE"), "{text}");

        let err = resolve_token(Some("apify_api_SECRETVALUE\nx"), None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the API token from APIFY_TOKEN is malformed: it has more than one line \
             (the token must be the only thing there)"
        );

        std::fs::create_dir_all(dir.path().join(".apify")).unwrap();
        let auth = apify_cli_auth_path(dir.path());
        std::fs::write(&auth, r#"{"token":"apify_api_SECRETVALUE second"}"#).unwrap();
        let err = resolve_token(None, None, Some(dir.path())).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("apify-cli login") && text.contains("malformed"),
            "{text}"
        );
        assert!(!text.contains("SECRETVALUE"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn token_files_that_are_devices_fifos_or_huge_are_refused_without_reading_them() {
        let started = std::time::Instant::now();
        let err = resolve_token(None, Some(Path::new("/dev/zero")), None).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let folder = resolve_token(None, Some(dir.path()), None).unwrap_err();
        assert!(
            folder.to_string().contains("not a regular file"),
            "{folder}"
        );
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            let err = resolve_token(None, Some(&fifo), None).unwrap_err();
            assert!(err.to_string().contains("not a regular file"), "{err}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));

        let big = dir.path().join("big");
        let limit = usize::try_from(MAX_TOKEN_FILE_BYTES).unwrap();
        std::fs::write(&big, "x".repeat(limit + 1)).unwrap();
        let err = resolve_token(None, Some(&big), None).unwrap_err();
        assert!(err.to_string().contains("larger than 4096 bytes"), "{err}");
        // At the limit, the size is no reason to refuse (the content still is).
        std::fs::write(&big, format!("{}\n", "x".repeat(limit - 1))).unwrap();
        let err = resolve_token(None, Some(&big), None).unwrap_err();
        assert!(err.to_string().contains("far longer"), "{err}");

        // An apify-cli auth file that is not a regular file is ignored, not waited on.
        std::fs::create_dir_all(dir.path().join(".apify")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", apify_cli_auth_path(dir.path())).unwrap();
        assert!(
            resolve_token(None, None, Some(dir.path()))
                .unwrap()
                .is_none()
        );
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
