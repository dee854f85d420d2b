//! The shop's secret key (`secret.key` in the data dir, 0600): signs CSRF tokens and
//! encrypts secret settings at rest (`settings::sealed`). Also the one source of random
//! tokens.

use std::io::Write;
use std::path::Path;

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Cloned where a blocking task needs it (a transaction closure, the jobs); never printed
/// (no `Debug`).
#[derive(Clone)]
pub struct Secret([u8; 32]);

impl Secret {
    /// Reads the key, creating it (readable by the owner only) on first start.
    pub fn load_or_create(path: &Path) -> Result<Secret, String> {
        match std::fs::read(path) {
            Ok(bytes) if bytes.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                Ok(Secret(key))
            }
            Ok(_) => Err(format!(
                "{} is damaged (it must hold exactly 32 bytes); restore it from a backup",
                path.display()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts
                    .open(path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                f.write_all(&key)
                    .and_then(|_| f.sync_all())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(Secret(key))
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// 32 random bytes as URL-safe text: session ids, one-time links, CSRF cookies.
pub fn random_token() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How tokens are stored: only their SHA-256, so a copy of the database opens nothing.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether two secrets (tokens, codes, keys) are equal, in a time that depends only on
/// their lengths, so response times never tell how much of a guess was right.
pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private_and_stable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let a = Secret::load_or_create(&path).unwrap();
        let b = Secret::load_or_create(&path).unwrap();
        assert_eq!(a.bytes(), b.bytes());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
