//! The errors a command can end with, and the one place that maps them to exit codes.

use crate::diagnostic::Diagnostic;
use crate::exit;
use crate::platform::PlatformError;

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
    Refused(String),
    /// A local file could not be read or written.
    #[error("{0}")]
    Io(String),
    /// The user declined at the confirmation prompt; nothing was changed.
    #[error("Apply cancelled: only 'yes' is accepted to approve. Nothing was changed.")]
    Cancelled,
}

impl Error {
    /// The documented exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::InvalidManifest(_) => exit::INVALID_MANIFEST,
            Error::Usage(_) => exit::USAGE,
            Error::Platform(e) if e.is_usage() => exit::USAGE,
            Error::Refused(_) => exit::REFUSED,
            Error::Platform(_) | Error::Io(_) | Error::Cancelled => exit::ERROR,
        }
    }
}
