//! Argon2id password hashing off the async runtime. A fixed pool of one
//! thread per core does all hashing: a burst of logins queues instead of
//! starving request threads, and each thread reuses its own Argon2 memory
//! (19 MiB at the default parameters) instead of allocating and faulting
//! in fresh pages for every hash — which keeps both the login rate close
//! to the raw hash rate and the resident memory bounded (cores × memory).
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::Rng;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use subtle::ConstantTimeEq;

pub use motcua_kernel::settings::Argon2Params;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl From<HashError> for motcua_kernel::service::ServiceError {
    fn from(e: HashError) -> Self {
        motcua_kernel::service::ServiceError::Internal(e.to_string())
    }
}

fn err(e: impl std::fmt::Display) -> HashError {
    HashError(e.to_string())
}

pub fn argon2(p: Argon2Params) -> Result<Argon2<'static>, HashError> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None).map_err(err)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn fill(
    a: &Argon2<'_>,
    mem: &mut Vec<Block>,
    pw: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), HashError> {
    let n = a.params().block_count();
    if mem.len() != n {
        *mem = vec![Block::default(); n];
    }
    a.hash_password_into_with_memory(pw, salt, out, &mut mem[..])
        .map_err(err)
}

/// Hashes into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`),
/// reusing `mem` as the Argon2 working memory.
pub fn hash_with(
    mem: &mut Vec<Block>,
    p: Argon2Params,
    password: &str,
) -> Result<String, HashError> {
    let a = argon2(p)?;
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; 32];
    fill(&a, mem, password.as_bytes(), &salt, &mut out)?;
    let salt = Salt::new(&salt).map_err(err)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(a.params()).map_err(err)?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(err)?),
    };
    Ok(phc.to_string())
}

/// Verifies against a PHC string, with the parameters it records.
pub fn verify_with(mem: &mut Vec<Block>, password: &str, phc: &str) -> bool {
    let mut check = || -> Result<bool, HashError> {
        let parsed = PasswordHash::new(phc).map_err(err)?;
        let algorithm = Algorithm::new(parsed.algorithm).map_err(err)?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(err)?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(err)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let mut out = vec![0u8; expected.len()];
        fill(
            &Argon2::new(algorithm, version, params),
            mem,
            password.as_bytes(),
            &salt,
            &mut out,
        )?;
        Ok(bool::from(expected.as_bytes().ct_eq(&out)))
    };
    check().unwrap_or(false)
}

/// Hashes on the calling thread (CPU-bound: for benchmarks and the CLI).
pub fn hash_blocking(p: Argon2Params, password: &str) -> Result<String, HashError> {
    hash_with(&mut Vec::new(), p, password)
}

pub fn verify_blocking(password: &str, phc: &str) -> bool {
    verify_with(&mut Vec::new(), password, phc)
}

type Task = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

#[derive(Clone)]
pub struct Hasher {
    params: Argon2Params,
    tasks: mpsc::Sender<Task>,
    dummy: Arc<OnceLock<String>>,
}

impl Hasher {
    /// Starts one hashing thread per core. The threads end when the last
    /// clone of the `Hasher` is dropped.
    pub fn new(params: Argon2Params) -> Hasher {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let (tx, rx) = mpsc::channel::<Task>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..cores {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    let mut mem = Vec::new();
                    loop {
                        let task = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match task {
                            Ok(task) => task(&mut mem),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a hashing thread");
            }
        }
        Hasher {
            params,
            tasks: tx,
            dummy: Arc::new(OnceLock::new()),
        }
    }

    pub fn params(&self) -> Argon2Params {
        self.params
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tasks
            .send(Box::new(move |mem: &mut Vec<Block>| {
                let _ = tx.send(f(mem));
            }))
            .map_err(|_| HashError("hashing threads stopped".into()))?;
        rx.await
            .map_err(|_| HashError("hashing thread failed".into()))
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let p = self.params;
        let pw = password.to_string();
        self.run(move |mem| hash_with(mem, p, &pw)).await?
    }

    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, HashError> {
        let pw = password.to_string();
        let phc = phc.to_string();
        self.run(move |mem| verify_with(mem, &pw, &phc)).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    const FAST: Argon2Params = Argon2Params {
        memory_kib: 1024,
        iterations: 2,
        parallelism: 1,
    };

    #[test]
    fn phc_strings_interoperate_with_the_reference_api() {
        let phc = hash_blocking(FAST, "mật khẩu dài").unwrap_or_default();
        assert!(phc.starts_with("$argon2id$v=19$m=1024,t=2,p=1$"), "{phc}");
        // Our hash verifies with the argon2 crate's own verifier…
        let parsed = PasswordHash::new(&phc).map_err(|e| e.to_string());
        assert!(parsed.is_ok_and(|p| Argon2::default()
            .verify_password("mật khẩu dài".as_bytes(), &p)
            .is_ok()));
        // …and a hash made by it verifies with ours, memory reused across calls.
        let reference = argon2::password_hash::PasswordHasher::hash_password_with_salt(
            &Argon2::default(),
            b"other",
            b"0123456789abcdef",
        )
        .map(|h| h.to_string())
        .unwrap_or_default();
        let mut mem = Vec::new();
        assert!(verify_with(&mut mem, "mật khẩu dài", &phc));
        assert!(verify_with(&mut mem, "other", &reference));
        assert!(!verify_with(&mut mem, "wrong", &phc));
        assert!(!verify_with(&mut mem, "x", "not a phc string"));
    }

    #[tokio::test]
    async fn pool_hashes_and_verifies() {
        let h = Hasher::new(FAST);
        let phc = h.hash("correct horse").await.unwrap_or_default();
        assert!(h.verify("correct horse", &phc).await.unwrap_or(false));
        assert!(!h.verify("wrong horse", &phc).await.unwrap_or(true));
        assert!(!h.verify_dummy("anything").await.unwrap_or(true));
    }
}
