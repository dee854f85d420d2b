//! Secret settings at rest (keys marked `secret: true`, such as `mail.smtp.password`).
//! The value is encrypted with XChaCha20-Poly1305 under a key derived from `secret.key`
//! (HMAC-SHA256 of the label "cornershop settings v1"), with a random 192-bit nonce, and
//! the setting's name as associated data, so a value copied onto another setting does not
//! open either. Stored as `enc1:` + base64(nonce ‖ ciphertext ‖ tag). An empty value stays
//! empty (it means "not set"). A copy of the database alone reveals no secret.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::error::{AppError, AppResult};
use crate::secret::Secret;

/// What every sealed value starts with (the version of the scheme).
pub const PREFIX: &str = "enc1:";
const NONCE_LEN: usize = 24;

fn cipher(secret: &Secret) -> XChaCha20Poly1305 {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.bytes()).expect("any key length works");
    mac.update(b"cornershop settings v1");
    XChaCha20Poly1305::new(&mac.finalize().into_bytes())
}

/// Encrypts `plain` for the setting `name`; "" stays "".
pub fn seal(secret: &Secret, name: &str, plain: &str) -> String {
    if plain.is_empty() {
        return String::new();
    }
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(secret)
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain.as_bytes(),
                aad: name.as_bytes(),
            },
        )
        .expect("encrypting a short value cannot fail");
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&sealed);
    format!("{PREFIX}{}", STANDARD_NO_PAD.encode(bytes))
}

/// Whether a stored value is in the sealed form (not necessarily intact).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// Decrypts a stored value of setting `name`. A damaged value, one written under another
/// `secret.key`, or one that is not sealed at all is an error naming the setting.
pub fn open(secret: &Secret, name: &str, stored: &str) -> AppResult<String> {
    if stored.is_empty() {
        return Ok(String::new());
    }
    let refused = || {
        AppError::Conflict(format!(
            "Setting {name} cannot be decrypted (it is damaged, or was stored with another \
             secret.key); set it again."
        ))
    };
    let bytes = stored
        .strip_prefix(PREFIX)
        .and_then(|b64| STANDARD_NO_PAD.decode(b64).ok())
        .filter(|b| b.len() > NONCE_LEN)
        .ok_or_else(refused)?;
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let plain = cipher(secret)
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: name.as_bytes(),
            },
        )
        .map_err(|_| refused())?;
    String::from_utf8(plain).map_err(|_| refused())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(dir: &tempfile::TempDir, file: &str) -> Secret {
        Secret::load_or_create(&dir.path().join(file)).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_again_and_does_not_contain_the_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let secret = key(&dir, "secret.key");
        let plain = "correct horse battery staple ✓";
        let a = seal(&secret, "mail.smtp.password", plain);
        let b = seal(&secret, "mail.smtp.password", plain);
        assert!(a.starts_with(PREFIX), "{a}");
        assert_ne!(a, b, "a fresh nonce every time");
        assert!(!a.contains("horse"));
        assert_eq!(open(&secret, "mail.smtp.password", &a).unwrap(), plain);
        assert_eq!(seal(&secret, "mail.smtp.password", ""), "");
        assert_eq!(open(&secret, "mail.smtp.password", "").unwrap(), "");
    }

    #[test]
    fn tampering_another_key_or_another_setting_is_refused_with_the_settings_name() {
        let dir = tempfile::tempdir().unwrap();
        let secret = key(&dir, "secret.key");
        let other = key(&dir, "other.key");
        let good = seal(&secret, "mail.smtp.password", "hunter22");

        // Flip one character of the base64 text.
        let mut chars: Vec<char> = good.chars().collect();
        let i = chars.len() - 5;
        chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
        let tampered: String = chars.into_iter().collect();

        for (secret, name, stored) in [
            (&secret, "mail.smtp.password", tampered.as_str()),
            (&other, "mail.smtp.password", good.as_str()),
            (&secret, "some.other.secret", good.as_str()),
            (&secret, "mail.smtp.password", "enc1:%%%"),
            (&secret, "mail.smtp.password", "enc1:AAAA"),
            (&secret, "mail.smtp.password", "hunter22"),
        ] {
            let err = open(secret, name, stored).unwrap_err().to_string();
            assert!(
                err.contains(name)
                    && err.contains("cannot be decrypted")
                    && err.contains("set it again"),
                "{err}"
            );
        }
    }
}
