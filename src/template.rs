//! The platform's rules for payload and headers templates.
