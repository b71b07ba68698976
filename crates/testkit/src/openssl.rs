//! OpenSSL as the peer that reads the agencies' CMS signatures.
use std::path::Path;
use std::process::{Command, Output};

/// `openssl cms -verify` of the detached DER signature `signature` over
/// `content`: against the CA certificate in `ca` (PEM) for any purpose,
/// or, with None, the signature alone (`-noverify`: no chain). Panics when
/// `openssl` cannot run (CI installs it).
pub fn openssl_cms_verify(signature: &Path, content: &Path, ca: Option<&Path>) -> Output {
    let mut cmd = Command::new("openssl");
    cmd.args(["cms", "-verify", "-binary", "-inform", "DER"]);
    match ca {
        Some(ca) => {
            cmd.args(["-purpose", "any", "-CAfile"]).arg(ca);
        }
        None => {
            cmd.arg("-noverify");
        }
    }
    cmd.arg("-in")
        .arg(signature)
        .arg("-content")
        .arg(content)
        .args(["-out", "/dev/null"])
        .output()
        .expect("openssl (CI installs it)")
}
