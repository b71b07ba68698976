//! The crate's one integration-test binary: certificate validation against
//! a real test PKI, and SIM signatures against the simulated MSSP.
mod limbo;
mod mss;
mod paths;
mod validation;
