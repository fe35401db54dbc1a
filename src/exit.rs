//! Exit codes: a documented API, like Terraform's. Every exit of the process goes through one of
//! these constants; `crate::error::Error::exit_code` maps errors onto them.

/// Success. With `plan --detailed-exitcode`: success and no changes.
pub const SUCCESS: u8 = 0;
/// An error (network, API, internal) before any change was made.
pub const ERROR: u8 = 1;
/// `plan --detailed-exitcode`: success, and changes are pending.
pub const CHANGES_PENDING: u8 = 2;
/// Refused: a safety threshold, a stale saved plan or an ownership conflict.
pub const REFUSED: u8 = 3;
/// `apply` finished partially: some operations failed, the rest were applied.
pub const PARTIAL: u8 = 4;
/// `status`: some managed webhooks are failing to deliver; `test`: the receiver did not
/// accept the test dispatch (or it did not finish in time).
pub const DELIVERY_FAILING: u8 = 5;
/// The command line was not understood (sysexits `EX_USAGE`).
pub const USAGE: u8 = 64;
/// A manifest is invalid (sysexits `EX_DATAERR`).
pub const INVALID_MANIFEST: u8 = 65;
