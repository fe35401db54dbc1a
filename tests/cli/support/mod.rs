//! Helpers shared by the integration tests.

pub(crate) mod emulator;
pub(crate) mod openapi;
