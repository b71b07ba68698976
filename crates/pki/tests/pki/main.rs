//! The crate's one integration-test binary: certificate validation against
//! a real test PKI, and SIM signatures against the simulated MSSP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test binary: helpers may fail loudly
mod limbo;
mod mss;
mod paths;
mod validation;
