//! A SoftHSM2 token for tests and the demo (feature `testca`): a token in
//! a folder of its own (`SOFTHSM2_CONF`), holding keys and certificates
//! from [`crate::testca`], for the signing tool to use over PKCS#11.
//! Uses Debian's `softhsm2-util` and OpenSC's `pkcs11-tool`.
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian and Ubuntu install the SoftHSM2 PKCS#11 module.
pub const MODULE_PATHS: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
];

/// The SoftHSM2 module, if installed.
pub fn module() -> Option<PathBuf> {
    MODULE_PATHS.iter().map(PathBuf::from).find(|p| p.exists())
}

/// What is missing to make a token, if anything.
pub fn missing() -> Option<&'static str> {
    let has = |cmd: &str| Command::new(cmd).arg("--help").output().is_ok();
    if module().is_none() || !has("softhsm2-util") {
        return Some("softhsm2 (softhsm2-util and libsofthsm2.so)");
    }
    if !has("pkcs11-tool") {
        return Some("opensc (pkcs11-tool)");
    }
    None
}

/// One initialised token.
#[derive(Debug, Clone)]
pub struct SoftToken {
    /// The `SOFTHSM2_CONF` file to export for the signing tool.
    pub conf: PathBuf,
    pub module: PathBuf,
    pub label: String,
    pub pin: String,
    dir: PathBuf,
}

impl SoftToken {
    /// Creates an empty token under `dir` (its own token directory).
    pub fn create(dir: &Path, label: &str, pin: &str) -> Result<Self, String> {
        let module = module().ok_or("SoftHSM2 module not found")?;
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).map_err(|e| format!("{}: {e}", tokens.display()))?;
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .map_err(|e| format!("{}: {e}", conf.display()))?;
        let t = Self {
            conf,
            module,
            label: label.into(),
            pin: pin.into(),
            dir: dir.to_path_buf(),
        };
        t.run(
            "softhsm2-util",
            &[
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                "12345678",
                "--pin",
                pin,
            ],
        )?;
        Ok(t)
    }

    /// Puts a private key (PKCS#8 PEM) and its certificate under one id
    /// (hex, e.g. "01"), as a CA puts them on a USB token.
    pub fn put(
        &self,
        label: &str,
        id_hex: &str,
        key_pem: &str,
        cert_der: &[u8],
    ) -> Result<(), String> {
        let key = self.dir.join(format!(".{label}.key.pem"));
        std::fs::write(&key, key_pem).map_err(|e| e.to_string())?;
        let r = self.run(
            "softhsm2-util",
            &[
                "--import",
                &key.to_string_lossy(),
                "--token",
                &self.label,
                "--label",
                label,
                "--id",
                id_hex,
                "--pin",
                &self.pin,
            ],
        );
        let _ = std::fs::remove_file(&key);
        r?;
        self.put_cert(label, id_hex, cert_der)
    }

    /// Puts a certificate under `label` and `id_hex` (with [`Self::put`],
    /// the key's certificate; alone, a CA certificate completing the
    /// chains of the keys on the token).
    pub fn put_cert(&self, label: &str, id_hex: &str, cert_der: &[u8]) -> Result<(), String> {
        let cert = self.dir.join(format!(".{label}.der"));
        std::fs::write(&cert, cert_der).map_err(|e| e.to_string())?;
        let r = self.run(
            "pkcs11-tool",
            &[
                "--module",
                &self.module.to_string_lossy(),
                "--token-label",
                &self.label,
                "--login",
                "--pin",
                &self.pin,
                "--write-object",
                &cert.to_string_lossy(),
                "--type",
                "cert",
                "--id",
                id_hex,
                "--label",
                label,
            ],
        );
        let _ = std::fs::remove_file(&cert);
        r
    }

    fn run(&self, cmd: &str, args: &[&str]) -> Result<(), String> {
        let out = Command::new(cmd)
            .args(args)
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .map_err(|e| format!("{cmd}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{cmd} {}: {}{}",
                args.first().copied().unwrap_or_default(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}
