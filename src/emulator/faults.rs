//! Fault injection for the `/v2` routes: added latency (fixed plus jitter), a per-token request
//! rate limit answering 429 `rate-limit-exceeded`, a 5xx rate, dropped connections, lost
//! responses (the change is made, the answer never arrives), a maximum page size, and a script
//! of faults for the next requests. Random choices come from one RNG seeded with `seed`, so a
//! sequence of requests meets the same faults on every run.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The fault settings; all off by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Faults {
    /// Seed of the random choices (jitter, error and drop rates).
    pub seed: u64,
    /// Added to every `/v2` request.
    pub latency_ms: u64,
    /// A further random delay in `[0, jitter_ms]`.
    pub jitter_ms: u64,
    /// Requests per second allowed per token (a token bucket holding one second's worth);
    /// beyond it, 429 `rate-limit-exceeded`. `None`: no limit.
    pub rate_limit: Option<f64>,
    /// The share of requests answered with a 5xx error, in `[0, 1]`.
    pub error_rate: f64,
    /// The share of requests whose connection is closed without an answer, in `[0, 1]`.
    pub drop_rate: f64,
    /// The share of requests that are carried out but whose connection is then closed
    /// without an answer (a lost response), in `[0, 1]`.
    pub lost_response_rate: f64,
    /// List pages hold at most this many items, whatever `limit` asks for.
    pub max_page_size: Option<usize>,
    /// When set, 429 answers carry `Retry-After` with this many seconds.
    pub retry_after_secs: Option<u64>,
    /// Faults for the next `/v2` requests, one each, in order, before any random fault.
    pub script: VecDeque<InjectedFault>,
    /// Random errors, drops and lost responses hit only writes (POST, PUT, DELETE), so reads
    /// succeed while writes fail.
    pub writes_only: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            seed: 0,
            latency_ms: 0,
            jitter_ms: 0,
            rate_limit: None,
            error_rate: 0.0,
            drop_rate: 0.0,
            lost_response_rate: 0.0,
            max_page_size: None,
            retry_after_secs: None,
            script: VecDeque::new(),
            writes_only: false,
        }
    }
}

impl Faults {
    /// Checks the rates and limits.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error rate", self.error_rate),
            ("drop rate", self.drop_rate),
            ("lost-response rate", self.lost_response_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, not {rate}"));
            }
        }
        if let Some(rate) = self.rate_limit
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(format!("rate limit must be a positive number, not {rate}"));
        }
        if self.max_page_size == Some(0) {
            return Err("max page size must be at least 1".to_owned());
        }
        Ok(())
    }
}

/// One scripted fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedFault {
    /// Answer with this status and the matching error body (429 `rate-limit-exceeded`,
    /// 5xx `internal-server-error`, ...), without doing anything.
    Status(u16),
    /// Close the connection without an answer, without doing anything.
    Drop,
    /// Do the request, then close the connection without an answer.
    LostResponse,
}

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InjectedFault::Status(status) => write!(f, "{status}"),
            InjectedFault::Drop => f.write_str("drop"),
            InjectedFault::LostResponse => f.write_str("lost-response"),
        }
    }
}

impl FromStr for InjectedFault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "drop" => Ok(InjectedFault::Drop),
            "lost-response" => Ok(InjectedFault::LostResponse),
            other => match other.parse::<u16>() {
                Ok(status) if (400..600).contains(&status) => Ok(InjectedFault::Status(status)),
                _ => Err(format!(
                    "unknown fault {other:?} (expected an HTTP status 400-599, `drop` or \
                     `lost-response`)"
                )),
            },
        }
    }
}

impl Serialize for InjectedFault {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for InjectedFault {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let text = match &value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            _ => {
                return Err(serde::de::Error::custom(
                    "a fault is a status number or a name",
                ));
            }
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Handle it normally.
    Pass,
    /// Answer with an error status; `rate_limited` for the token bucket's 429s.
    Status {
        status: u16,
        retry_after: Option<u64>,
        rate_limited: bool,
    },
    /// Close the connection, no answer.
    Drop,
    /// Handle it, then close the connection, no answer.
    LostResponse,
}

/// The fault settings with their running state (RNG, token buckets).
pub(crate) struct FaultEngine {
    faults: Faults,
    rng: fastrand::Rng,
    buckets: HashMap<String, Bucket>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl FaultEngine {
    pub(super) fn new(faults: Faults) -> Self {
        let rng = fastrand::Rng::with_seed(faults.seed);
        FaultEngine {
            faults,
            rng,
            buckets: HashMap::new(),
        }
    }

    pub(super) fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Replaces the settings; the RNG restarts from the new seed.
    pub(super) fn set(&mut self, faults: Faults) {
        *self = FaultEngine::new(faults);
    }

    /// Appends faults to the script.
    pub(super) fn inject(&mut self, faults: impl IntoIterator<Item = InjectedFault>) {
        self.faults.script.extend(faults);
    }

    /// The added delay for the next request.
    pub(super) fn latency(&mut self) -> Duration {
        let jitter = if self.faults.jitter_ms > 0 {
            self.rng.u64(0..=self.faults.jitter_ms)
        } else {
            0
        };
        Duration::from_millis(self.faults.latency_ms.saturating_add(jitter))
    }

    /// What to do with the next `/v2` request, made with `token` (if any).
    pub(super) fn decide(&mut self, token: Option<&str>, is_write: bool, now: Instant) -> Decision {
        let retry_after = self.faults.retry_after_secs;
        if let Some(fault) = self.faults.script.pop_front() {
            return match fault {
                InjectedFault::Status(status) => Decision::Status {
                    status,
                    retry_after: if status == 429 { retry_after } else { None },
                    rate_limited: false,
                },
                InjectedFault::Drop => Decision::Drop,
                InjectedFault::LostResponse => Decision::LostResponse,
            };
        }
        // Draw every number every time, so one fault's rate does not shift the others.
        let eligible = is_write || !self.faults.writes_only;
        let drop = self.rng.f64() < self.faults.drop_rate && eligible;
        let error = self.rng.f64() < self.faults.error_rate && eligible;
        let lost = self.rng.f64() < self.faults.lost_response_rate && eligible;
        if drop {
            return Decision::Drop;
        }
        if error {
            return Decision::Status {
                status: 500,
                retry_after: None,
                rate_limited: false,
            };
        }
        if let (Some(rate), Some(token)) = (self.faults.rate_limit, token) {
            let capacity = rate.max(1.0);
            let bucket = self.buckets.entry(token.to_owned()).or_insert(Bucket {
                tokens: capacity,
                updated: now,
            });
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
            bucket.updated = now;
            if bucket.tokens < 1.0 {
                return Decision::Status {
                    status: 429,
                    retry_after,
                    rate_limited: true,
                };
            }
            bucket.tokens -= 1.0;
        }
        if lost {
            return Decision::LostResponse;
        }
        Decision::Pass
    }

    /// The page size cap, if any.
    pub(super) fn max_page_size(&self) -> Option<usize> {
        self.faults.max_page_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_faults_spare_reads() {
        let mut engine = FaultEngine::new(Faults {
            error_rate: 1.0,
            writes_only: true,
            ..Faults::default()
        });
        let now = Instant::now();
        assert_eq!(engine.decide(None, false, now), Decision::Pass);
        assert!(matches!(
            engine.decide(None, true, now),
            Decision::Status { status: 500, .. }
        ));
    }

    #[test]
    fn scripted_faults_come_first_and_in_order() {
        let mut engine = FaultEngine::new(Faults {
            script: ["429", "503", "drop", "lost-response"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
            retry_after_secs: Some(0),
            ..Faults::default()
        });
        let now = Instant::now();
        assert_eq!(
            engine.decide(None, true, now),
            Decision::Status {
                status: 429,
                retry_after: Some(0),
                rate_limited: false
            }
        );
        assert_eq!(
            engine.decide(None, true, now),
            Decision::Status {
                status: 503,
                retry_after: None,
                rate_limited: false
            }
        );
        assert_eq!(engine.decide(None, true, now), Decision::Drop);
        assert_eq!(engine.decide(None, true, now), Decision::LostResponse);
        assert_eq!(engine.decide(None, true, now), Decision::Pass);
    }

    #[test]
    fn random_faults_are_deterministic_for_a_seed() {
        let faults = Faults {
            seed: 7,
            error_rate: 0.3,
            drop_rate: 0.1,
            ..Faults::default()
        };
        let now = Instant::now();
        let run = |faults: &Faults| {
            let mut engine = FaultEngine::new(faults.clone());
            (0..200)
                .map(|_| engine.decide(Some("t"), true, now))
                .collect::<Vec<_>>()
        };
        let first = run(&faults);
        assert_eq!(first, run(&faults));
        let errors = first
            .iter()
            .filter(|d| matches!(d, Decision::Status { .. }))
            .count();
        let drops = first.iter().filter(|d| **d == Decision::Drop).count();
        assert!((30..90).contains(&errors), "{errors} errors of 200");
        assert!((5..40).contains(&drops), "{drops} drops of 200");
        assert_ne!(first, run(&Faults { seed: 8, ..faults }));
    }

    #[test]
    fn rate_limit_is_per_token_and_refills() {
        let mut engine = FaultEngine::new(Faults {
            rate_limit: Some(2.0),
            ..Faults::default()
        });
        let start = Instant::now();
        assert_eq!(engine.decide(Some("a"), true, start), Decision::Pass);
        assert_eq!(engine.decide(Some("a"), true, start), Decision::Pass);
        assert!(matches!(
            engine.decide(Some("a"), true, start),
            Decision::Status { status: 429, .. }
        ));
        assert_eq!(engine.decide(Some("b"), true, start), Decision::Pass);
        let later = start + Duration::from_millis(500);
        assert_eq!(engine.decide(Some("a"), true, later), Decision::Pass);
        assert!(matches!(
            engine.decide(Some("a"), true, later),
            Decision::Status { status: 429, .. }
        ));
    }

    #[test]
    fn fault_names_parse_and_print() {
        for text in ["429", "500", "drop", "lost-response"] {
            assert_eq!(text.parse::<InjectedFault>().unwrap().to_string(), text);
        }
        assert!("200".parse::<InjectedFault>().is_err());
        assert!("boom".parse::<InjectedFault>().is_err());
        let parsed: Vec<InjectedFault> = serde_json::from_str(r#"[503, "drop"]"#).unwrap();
        assert_eq!(parsed, [InjectedFault::Status(503), InjectedFault::Drop]);
    }

    #[test]
    fn invalid_settings_are_refused() {
        assert!(
            Faults {
                error_rate: 1.5,
                ..Faults::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            Faults {
                rate_limit: Some(0.0),
                ..Faults::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            Faults {
                max_page_size: Some(0),
                ..Faults::default()
            }
            .validate()
            .is_err()
        );
        assert!(Faults::default().validate().is_ok());
    }
}
