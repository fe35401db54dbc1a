//! The retry policy of the HTTP client, as pure functions: which outcomes are retried, how long
//! to wait before the next attempt (exponential backoff with jitter, `Retry-After`), and how long
//! one attempt may take. This is the official clients' policy: 8 retries, delays from 500 ms
//! doubling with jitter in `[d, 2d)`, 429 / 5xx / transport errors retried, other 4xx not;
//! except that a connection that cannot be made at all (refused, unknown host, TLS failure) is
//! retried only for [`RetryPolicy::connect_budget`], and the whole run's waiting is bounded by
//! `--timeout` ([`parse_timeout`], enforced by the client).

use std::time::{Duration, SystemTime};

use super::PlatformError;

/// The environment variable the CLI reads to shorten (or lengthen) the first retry delay, in
/// milliseconds. Tests and demos against the emulator set it low.
pub const RETRY_BASE_ENV: &str = "APIFY_WEBHOOKS_RETRY_BASE_MS";

/// How one kind of request is timed: quick single-object calls or (possibly big) lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutTier {
    /// Get, create, update, delete of one object (the Python client's `short`, 5 s).
    Short,
    /// Lists and the webhook test (the Python client's `medium`, 30 s).
    Medium,
}

/// When and how often to retry, and how long each attempt may take.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (8: nine attempts in all).
    pub max_retries: u32,
    /// The first retry waits between `base_delay` and twice that; each later one doubles.
    pub base_delay: Duration,
    /// The longest `Retry-After` that is honoured as such; longer values are cut to this.
    pub max_retry_after: Duration,
    /// Timeout of the first attempt of a [`TimeoutTier::Short`] request; doubles per attempt.
    pub short_timeout: Duration,
    /// Timeout of the first attempt of a [`TimeoutTier::Medium`] request; doubles per attempt.
    pub medium_timeout: Duration,
    /// No attempt may take longer than this (360 s, the official clients' overall timeout).
    pub max_timeout: Duration,
    /// Connection-level failures (refused, unknown host, TLS) are retried only while the next
    /// attempt would start within this long of the first (3 s): a blip is ridden out, a wrong
    /// URL or a server that is down fails in seconds instead of minutes.
    pub connect_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 8,
            base_delay: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(120),
            short_timeout: Duration::from_secs(5),
            medium_timeout: Duration::from_secs(30),
            max_timeout: Duration::from_secs(360),
            connect_budget: Duration::from_secs(3),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry): `d = base * 2^(retry-1)`,
    /// plus `unit * d` of jitter, where `unit` is a random number in `[0, 1)`; so the wait is in
    /// `[d, 2d)`. A `Retry-After` from the server raises the wait to at least that long
    /// (capped at [`RetryPolicy::max_retry_after`]).
    pub fn delay(&self, retry: u32, unit: f64, retry_after: Option<Duration>) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let d = self.base_delay.saturating_mul(1u32 << exponent);
        let jitter = d
            .mul_f64(unit.clamp(0.0, 1.0))
            .min(d.saturating_sub(Duration::from_nanos(1)));
        let backoff = d.saturating_add(jitter);
        match retry_after {
            Some(server) => backoff.max(server.min(self.max_retry_after)),
            None => backoff,
        }
    }

    /// The timeout of attempt number `attempt` (1 for the first): the tier's base doubled per
    /// earlier attempt, never more than [`RetryPolicy::max_timeout`].
    pub fn attempt_timeout(&self, tier: TimeoutTier, attempt: u32) -> Duration {
        let base = match tier {
            TimeoutTier::Short => self.short_timeout,
            TimeoutTier::Medium => self.medium_timeout,
        };
        let exponent = attempt.saturating_sub(1).min(30);
        base.saturating_mul(1u32 << exponent).min(self.max_timeout)
    }

    /// Whether a connection-level failure is worth another attempt that would start after
    /// `delay`, when the request was first tried `elapsed` ago.
    pub fn retries_connect(&self, elapsed: Duration, delay: Duration) -> bool {
        elapsed.saturating_add(delay) <= self.connect_budget
    }
}

/// The default of `--timeout`: how long a run may wait on the platform in all.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Parses a `--timeout` value in humantime form (`30s`, `2m`, `1m 30s`); zero is refused.
pub fn parse_timeout(value: &str) -> Result<Duration, String> {
    // humantime's own messages list every unit it knows, a paragraph after a typo; one short
    // line says what to type instead.
    let timeout = humantime::parse_duration(value.trim()).map_err(|err| match err {
        humantime::DurationError::NumberOverflow => "the duration is too long".to_owned(),
        _ => "expected a duration such as 30s, 2m or 1m30s".to_owned(),
    })?;
    if timeout.is_zero() {
        return Err("the timeout must be longer than zero".to_owned());
    }
    Ok(timeout)
}

/// Whether an HTTP status is worth another attempt: 429 and every 5xx.
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// Parses a `Retry-After` header value: delay seconds (`120`) or an HTTP date, which is turned
/// into the time left from `now` (zero when it is in the past). `None` when unparsable.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Reads the value of [`RETRY_BASE_ENV`] (milliseconds, `0` allowed) into a base delay.
pub fn parse_retry_base_ms(value: &str) -> Result<Duration, PlatformError> {
    value
        .trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| {
            PlatformError::Config(format!(
                "{RETRY_BASE_ENV} must be a whole number of milliseconds, not {value:?}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_500ms_with_jitter_in_d_to_2d() {
        let policy = RetryPolicy::default();
        let low: Vec<u64> = (1..=8)
            .map(|r| u64::try_from(policy.delay(r, 0.0, None).as_millis()).unwrap())
            .collect();
        assert_eq!(low, [500, 1000, 2000, 4000, 8000, 16000, 32000, 64000]);
        for retry in 1..=8 {
            let d = policy.delay(retry, 0.0, None);
            let high = policy.delay(retry, 0.999_999, None);
            assert!(
                high >= d && high < d * 2,
                "retry {retry}: {high:?} not in [{d:?}, 2d)"
            );
        }
        // Out-of-range jitter units cannot escape [d, 2d).
        assert!(policy.delay(1, 5.0, None) < Duration::from_secs(1));
        assert_eq!(policy.delay(1, -1.0, None), Duration::from_millis(500));
    }

    #[test]
    fn default_policy_is_eight_retries() {
        assert_eq!(RetryPolicy::default().max_retries, 8);
    }

    #[test]
    fn retry_after_raises_the_wait_but_is_capped() {
        let policy = RetryPolicy::default();
        let wait = policy.delay(1, 0.0, Some(Duration::from_secs(3)));
        assert_eq!(wait, Duration::from_secs(3));
        // A shorter Retry-After does not shorten the backoff.
        let wait = policy.delay(3, 0.0, Some(Duration::from_millis(10)));
        assert_eq!(wait, Duration::from_secs(2));
        let wait = policy.delay(1, 0.0, Some(Duration::from_secs(100_000)));
        assert_eq!(wait, policy.max_retry_after);
    }

    #[test]
    fn attempt_timeouts_double_and_cap_at_360s() {
        let policy = RetryPolicy::default();
        let short: Vec<u64> = (1..=9)
            .map(|a| policy.attempt_timeout(TimeoutTier::Short, a).as_secs())
            .collect();
        assert_eq!(short, [5, 10, 20, 40, 80, 160, 320, 360, 360]);
        assert_eq!(policy.attempt_timeout(TimeoutTier::Medium, 1).as_secs(), 30);
        assert_eq!(
            policy.attempt_timeout(TimeoutTier::Medium, 5).as_secs(),
            360
        );
        assert_eq!(
            policy.attempt_timeout(TimeoutTier::Medium, 1000).as_secs(),
            360
        );
    }

    #[test]
    fn connection_failures_are_retried_for_three_seconds_only() {
        let policy = RetryPolicy::default();
        let ms = Duration::from_millis;
        assert!(policy.retries_connect(Duration::ZERO, ms(999)));
        assert!(policy.retries_connect(ms(1000), ms(2000)));
        assert!(!policy.retries_connect(ms(1000), ms(2001)));
        assert!(!policy.retries_connect(ms(2500), ms(2000)));
        // With the official delays, that is three attempts at most, within the budget.
        let mut elapsed = Duration::ZERO;
        let mut attempts = 1;
        while policy.retries_connect(elapsed, policy.delay(attempts, 0.0, None)) {
            elapsed += policy.delay(attempts, 0.0, None);
            attempts += 1;
        }
        assert_eq!((attempts, elapsed), (3, ms(1500)));
    }

    #[test]
    fn timeouts_parse_as_humantime_and_zero_is_refused() {
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2m"), Ok(DEFAULT_TIMEOUT));
        assert_eq!(parse_timeout("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert!(
            parse_timeout("0s")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!(parse_timeout("soon").unwrap_err().contains("such as 30s"));
        assert_eq!(
            parse_timeout("5x"),
            Err("expected a duration such as 30s, 2m or 1m30s".to_owned()),
            "one short line, not humantime's list of units"
        );
        assert_eq!(
            parse_timeout("99999999999999999999s"),
            Err("the duration is too long".to_owned())
        );
        assert!(parse_timeout("30").is_err(), "a unit is required");
    }

    #[test]
    fn retryable_statuses_are_429_and_5xx_only() {
        for status in [429, 500, 502, 503, 504, 599] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [
            200, 201, 204, 301, 400, 401, 403, 404, 405, 409, 413, 415, 422,
        ] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
    }

    #[test]
    fn retry_base_env_value_parses_milliseconds() {
        assert_eq!(
            parse_retry_base_ms("25").unwrap(),
            Duration::from_millis(25)
        );
        assert_eq!(parse_retry_base_ms("0").unwrap(), Duration::ZERO);
        assert!(parse_retry_base_ms("fast").is_err());
    }
}
