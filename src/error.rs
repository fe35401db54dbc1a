//! The errors a command can end with, and the one place that maps them to exit codes. How an
//! error is worded for people is [`crate::render::error`]'s job; the types here carry what
//! happened, with its sources, and nothing pre-formatted that the renderer would repeat.

use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::exit;
use crate::plan::saved::Staleness;
use crate::plan::{Conflict, Refusal};
use crate::platform::PlatformError;
use crate::refresh::RefreshError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifests are invalid; the diagnostics say where and why.
    #[error("invalid manifests")]
    InvalidManifest(Vec<Diagnostic>),
    /// The command line asked for something impossible.
    #[error("{0}")]
    Usage(String),
    /// The platform could not be read or written.
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// A safety rule, a stale saved plan or an ownership conflict stopped the command.
    #[error("{0}")]
    Refused(Refused),
    /// A local file (or another local resource) could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What the tool was doing, e.g. "cannot write the plan to `plan.json`".
        what: String,
        /// The underlying error (the operating system's, a file check's, the emulator's).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A saved plan file is not one this tool can apply.
    #[error("`{}` is not a saved plan of apify-webhooks: {reason}", path.display())]
    NotASavedPlan {
        /// The file.
        path: PathBuf,
        /// Why (not JSON, not UTF-8, missing fields).
        reason: String,
    },
    /// The user declined at the confirmation prompt; nothing was changed.
    #[error("Apply cancelled: only 'yes' is accepted to approve. Nothing was changed.")]
    Cancelled,
}

/// What a refusal refused. Rendered once, by [`crate::render::error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The plan cannot be applied: ownership conflicts, or a safety rule that tripped.
    #[error("the plan is refused")]
    Plan {
        /// Live states the plan cannot resolve without guessing.
        conflicts: Vec<Conflict>,
        /// The safety rule that tripped, if any.
        rule: Option<Refusal>,
    },
    /// A saved plan no longer matches the manifests, the secrets or the live account.
    #[error("the saved plan is stale")]
    Stale {
        /// The saved plan's file.
        plan_file: PathBuf,
        /// Every reason that holds, none that does not.
        reasons: Vec<Staleness>,
        /// The command that makes a fresh plan from the same manifests, where the saved one was
        /// made.
        replan: String,
    },
}

impl Error {
    /// The documented exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::InvalidManifest(_) => exit::INVALID_MANIFEST,
            Error::Usage(_) | Error::NotASavedPlan { .. } => exit::USAGE,
            Error::Platform(e) if e.is_usage() => exit::USAGE,
            Error::Refused(_) => exit::REFUSED,
            Error::Platform(_) | Error::Io { .. } | Error::Cancelled => exit::ERROR,
        }
    }

    /// An [`Error::Io`]: `what` the tool was doing, and the `source` error that stopped it.
    pub fn io(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Io {
            what: what.into(),
            source: source.into(),
        }
    }
}

impl From<crate::emulator::FireError> for Error {
    /// A URL that is not the emulator's or a run it refuses is the user's to fix (64); an
    /// emulator that cannot be reached or answers oddly is an error (1).
    fn from(e: crate::emulator::FireError) -> Self {
        use crate::emulator::FireError;
        match e {
            FireError::NotLoopback(_) | FireError::Refused(_) => Error::Usage(e.to_string()),
            other => Error::io("emulator fire", other),
        }
    }
}

impl From<RefreshError> for Error {
    fn from(e: RefreshError) -> Self {
        match e {
            RefreshError::UnknownTargets(diagnostics) => Error::InvalidManifest(diagnostics),
            RefreshError::Platform(e) => Error::Platform(e),
        }
    }
}
