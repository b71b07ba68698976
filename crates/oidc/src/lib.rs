//! National e-ID federation for Motcua (issue #4, R-ID-12): the portal as an
//! OpenID Connect relying party of the national identification and
//! authentication system (VNeID). See `docs/EID.md`.
//!
//! The flow, for the web crate:
//!
//! 1. At start: [`LazyRp::new`] with a [`Config`] (the `[eid]` section);
//!    [`LazyRp::get`] runs discovery ([`Rp::discover`]) on first use.
//! 2. "Log in with VNeID": [`Rp::begin`] gives the provider's URL and a
//!    [`Pending`] (state, nonce, PKCE verifier) to keep bound to the browser.
//! 3. Callback: [`Rp::check_callback`] (state in constant time, `iss`,
//!    provider errors) gives the code; the caller spends its stored
//!    `Pending` once; [`Rp::exchange`] returns a [`Login`] or an
//!    [`OidcError`].
//!
//! Authorization code flow with PKCE S256; `client_secret_basic`; ID tokens
//! signed with an allow-listed asymmetric algorithm (never `none` or `HS*`),
//! keys from the provider's JWKS refetched on an unknown `kid` at most once a
//! minute; `iss`, `aud`/`azp`, `exp`/`iat`/`nbf` against `now` with leeway,
//! `nonce`, `at_hash`; then userinfo. Nothing here reads the clock.
//!
//! Feature `devop`: [`devop`], a development OpenID Provider for `motcua
//! demo`, never for production.

pub mod config;
pub mod discovery;
pub mod error;
mod http;
pub mod idtoken;
pub mod jwks;
pub mod rp;

#[cfg(feature = "devop")]
pub mod devop;

pub use config::{ClientAuth, Config, SigningAlg};
pub use discovery::ProviderMetadata;
pub use error::OidcError;
pub use motcua_domain::Millis;
pub use rp::{
    pkce_challenge, random_token, state_matches, AuthorizeOptions, Callback, LazyRp, Login,
    Pending, Rp,
};
