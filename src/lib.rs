//! apify-webhooks: Apify webhooks as code.
//!
//! YAML manifests declare the webhooks of Actors and tasks; `plan` diffs them against the live
//! platform and `apply` makes the platform match. The modules, and the one direction their
//! imports flow in:
//!
//! - [`webhook`]: the shared vocabulary (event types, platform constants). Imports nothing.
//! - [`template`]: the platform's payload and headers template rules. Imports `webhook`.
//! - [`event`]: the platform's events (event data, run and build objects) and the rendering of a
//!   webhook's request for an event. Imports `webhook`, `template` and `diagnostic`.
//! - [`diagnostic`]: located, user-facing problems (`file:line:column`). Imports nothing.
//! - [`exit`]: the documented exit codes. Imports nothing.
//! - [`files`]: bounded reads of regular files and atomic, private writes. Imports nothing.
//! - [`manifest`]: loads and validates manifests into the desired state. Knows nothing of HTTP.
//! - [`project`]: the project file `apify-webhooks.yaml` (environments: manifests, owner,
//!   token source, API URL, plain vars), located diagnostics. Imports `diagnostic`,
//!   `manifest::yaml`, `files` and the platform's URL check.
//! - [`platform`]: the API trait, its HTTP client and wire types. Knows nothing of manifests.
//! - [`emulator`]: a local Apify API for tests, demos and `--local`. Knows nothing of manifests.
//! - [`plan`]: the plan as a value, a pure function of desired and live state (no I/O, no
//!   clock); saved plans. Imports `webhook`, `template` and the platform's wire types.
//! - [`refresh`]: reads the live state a plan needs through the `Platform` trait.
//! - [`apply`]: carries out a plan through the `Platform` trait, concurrently.
//! - [`error`]: the typed errors a command ends with, mapped to exit codes in one place.
//! - [`delivery`]: will it deliver? `status` and `test` over the `Platform` trait.
//! - [`export`]: turns the live account into manifests (`export`), keys and secrets included.
//! - [`session`]: the reconcile pipeline every command that reads the account shares: load,
//!   resolve, connect, refresh, plan, save. Prints nothing.
//! - [`render`]: the only module that writes to the terminal.
//! - [`cli`]: parses the command line and wires everything together: one call into the
//!   library per command, then rendering.

pub mod apply;
pub mod cli;
pub mod delivery;
pub mod diagnostic;
pub mod emulator;
pub mod error;
pub mod event;
pub mod exit;
pub mod export;
pub mod files;
pub mod manifest;
pub mod plan;
pub mod platform;
pub mod project;
pub mod refresh;
pub mod render;
pub mod session;
pub mod template;
pub mod webhook;
