//! The request log: one entry per `/v2` request (admin requests are not logged), for tests and
//! benchmarks to count calls and for the contract tests to check bodies. The query's `token`
//! and the `Authorization` header's value are never recorded.

use std::collections::VecDeque;

use serde::Serialize;
use serde_json::Value;

/// One request the emulator received on a `/v2` route.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// Position in the log since the emulator started (not reset by clearing the log).
    pub seq: u64,
    /// The HTTP method.
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The query string with any `token` value replaced by `(redacted)`; `None` when empty.
    pub query: Option<String>,
    /// Request headers, names lower-case; the `Authorization` value is `(redacted)`.
    pub headers: Vec<(String, String)>,
    /// How the caller authenticated: `bearer`, `query` or `none`.
    pub auth: &'static str,
    /// The username of the caller, when the token was known.
    pub user: Option<String>,
    /// The status sent; `None` when the connection was closed without an answer.
    pub status: Option<u16>,
    /// The fault injected into this request, if any (`status`, `rate-limit`, `drop`,
    /// `lost-response`).
    pub fault: Option<String>,
    /// The JSON request body, when there was one.
    pub request_body: Option<Value>,
    /// The JSON response body, when there was one.
    pub response_body: Option<Value>,
    /// How many `/v2` requests were being handled when this one arrived, itself included: more
    /// than 1 shows that a client sends requests concurrently.
    pub concurrent: usize,
}

impl LogEntry {
    /// Whether this request reached the handlers (no fault stopped it before).
    pub fn was_handled(&self) -> bool {
        matches!(self.fault.as_deref(), None | Some("lost-response"))
    }
}

/// A bounded log: the oldest entries go once `capacity` is reached.
pub(crate) struct RequestLog {
    entries: VecDeque<LogEntry>,
    capacity: usize,
    next_seq: u64,
}

impl RequestLog {
    pub(super) fn new(capacity: usize) -> Self {
        RequestLog {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            next_seq: 0,
        }
    }

    pub(super) fn push(&mut self, mut entry: LogEntry) {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub(super) fn entries(&self) -> Vec<LogEntry> {
        self.entries.iter().cloned().collect()
    }

    pub(super) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// The query string with the value of every `token` parameter replaced by `(redacted)`.
pub(crate) fn redact_query(query: &str) -> String {
    let pairs = url::form_urlencoded::parse(query.as_bytes()).map(|(key, value)| {
        let value = if key == "token" {
            "(redacted)".into()
        } else {
            value
        };
        (key, value)
    });
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_tokens_are_redacted() {
        assert_eq!(
            redact_query("offset=0&token=s3cret&limit=2"),
            "offset=0&token=%28redacted%29&limit=2"
        );
        assert_eq!(
            redact_query("token=a%20b&token=c"),
            "token=%28redacted%29&token=%28redacted%29"
        );
    }

    #[test]
    fn the_log_is_bounded_and_numbers_entries() {
        let mut log = RequestLog::new(2);
        for path in ["/a", "/b", "/c"] {
            log.push(LogEntry {
                seq: 0,
                method: "GET".into(),
                path: path.into(),
                query: None,
                headers: Vec::new(),
                auth: "none",
                user: None,
                status: Some(200),
                fault: None,
                request_body: None,
                response_body: None,
                concurrent: 1,
            });
        }
        let entries = log.entries();
        assert_eq!(
            entries
                .iter()
                .map(|e| (e.seq, e.path.as_str()))
                .collect::<Vec<_>>(),
            [(1, "/b"), (2, "/c")]
        );
    }
}
