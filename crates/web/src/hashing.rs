//! Argon2id password hashing, off the async runtime: each hash runs on the
//! blocking pool, at most one per core at a time, so a burst of logins
//! queues instead of starving the request threads.
use crate::config::Argon2Params;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Hasher {
    params: Argon2Params,
    permits: Arc<Semaphore>,
    dummy: Arc<OnceLock<String>>,
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

pub fn argon2(p: Argon2Params) -> Result<Argon2<'static>, HashError> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes synchronously (CPU-bound: call from a blocking thread).
pub fn hash_blocking(p: Argon2Params, password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Ok(argon2(p)?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| HashError(e.to_string()))?
        .to_string())
}

/// Verifies with the parameters recorded in the PHC string.
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

impl Hasher {
    pub fn new(params: Argon2Params) -> Hasher {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Hasher {
            params,
            permits: Arc::new(Semaphore::new(cores)),
            dummy: Arc::new(OnceLock::new()),
        }
    }

    pub fn params(&self) -> Argon2Params {
        self.params
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| HashError(e.to_string()))
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let p = self.params;
        let pw = password.to_string();
        self.run(move || hash_blocking(p, &pw)).await?
    }

    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, HashError> {
        let pw = password.to_string();
        let phc = phc.to_string();
        self.run(move || verify_blocking(&pw, &phc)).await
    }

    /// Spends the same time as a real verification, for unknown usernames,
    /// so response time does not reveal which usernames exist.
    pub async fn verify_dummy(&self, password: &str) -> Result<bool, HashError> {
        let dummy = match self.dummy.get() {
            Some(d) => d.clone(),
            None => {
                let h = self.hash("motcua-dummy-password-for-timing").await?;
                let _ = self.dummy.set(h.clone());
                h
            }
        };
        self.verify(password, &dummy).await.map(|_| false)
    }
}
