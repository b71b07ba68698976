//! The sso context's tables (`sso_clients`, `sso_keys`, `sso_codes`,
//! `sso_grants`, `sso_refresh`): every SQL statement on them is here.
pub mod assertions;
pub mod clients;
pub mod codes;
pub mod grants;
pub mod keys;
pub mod refresh;
pub mod sessions;
