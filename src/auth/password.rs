//! Passwords: argon2id with the OWASP minimum (m=19 MiB, t=2, p=1), always hashed on a
//! blocking thread by the callers, and a strength check that says why a password is refused.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 128;

fn hasher() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters"),
    )
}

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash password: {e}"))
}

/// `hash` off the async threads (argon2 takes tens of milliseconds by design).
pub async fn hash_off_thread(password: &str) -> crate::error::AppResult<String> {
    let pw = password.to_string();
    rocket::tokio::task::spawn_blocking(move || hash(&pw))
        .await
        .map_err(crate::error::AppError::internal)?
        .map_err(crate::error::AppError::Internal)
}

pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifies against a fixed hash, so "no such account" takes as long as "wrong password".
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored =
        DUMMY.get_or_init(|| hash("not a real password, only for timing").unwrap_or_default());
    let _ = verify(password, stored);
}

const COMMON: &str = include_str!("../../assets/data/common-passwords.txt");

/// Refuses passwords that are too short or long, common, or trivially guessable from the
/// person's own details. The message says which rule and is meant to be shown as is.
pub fn check_strength(password: &str, personal: &[&str]) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(format!(
            "Use at least {MIN_LEN} characters (this one has {n})."
        ));
    }
    if n > MAX_LEN {
        return Err(format!("Use at most {MAX_LEN} characters."));
    }
    let lower = password.to_lowercase();
    if COMMON.lines().any(|c| c == lower) {
        return Err(
            "This password is on the list of the most common passwords; choose another.".into(),
        );
    }
    let chars: Vec<char> = lower.chars().collect();
    let distinct = {
        let mut d = chars.clone();
        d.sort_unstable();
        d.dedup();
        d.len()
    };
    if distinct < 4 {
        return Err("This password repeats too few different characters; choose another.".into());
    }
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| w[1] as i64 - w[0] as i64)
        .collect();
    if steps.iter().all(|&s| s == steps[0]) && steps[0].abs() <= 1 {
        return Err("This password is a simple sequence; choose another.".into());
    }
    const ROWS: [&str; 4] = [
        "qwertyuiopasdfghjklzxcvbnm",
        "1234567890",
        "azertyuiop",
        "qwertzuiop",
    ];
    if ROWS
        .iter()
        .any(|row| row.contains(lower.as_str()) || lower.contains(&row[..MIN_LEN.min(row.len())]))
    {
        return Err("This password follows the keyboard; choose another.".into());
    }
    for p in personal {
        let p = p.trim().to_lowercase();
        let p = p.split('@').next().unwrap_or("");
        if p.chars().count() >= 4 && lower.contains(p) {
            return Err(
                "This password contains your name or email address; choose another.".into(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert!(check_strength("short", &[])
            .unwrap_err()
            .contains("at least 10"));
        assert!(check_strength("password123", &[])
            .unwrap_err()
            .contains("common"));
        assert!(check_strength("aaaaaaaaaaaa", &[])
            .unwrap_err()
            .contains("few different"));
        assert!(check_strength("abcdefghijkl", &[]).is_err());
        assert!(check_strength("sdfghjklzxcv", &[])
            .unwrap_err()
            .contains("keyboard"));
        assert!(check_strength("QwertyUiop12", &[])
            .unwrap_err()
            .contains("common"));
        assert!(check_strength("maria-loves-tea", &["maria@example.com"])
            .unwrap_err()
            .contains("name"));
        assert!(check_strength(&"x1".repeat(65), &[])
            .unwrap_err()
            .contains("at most"));
        assert!(check_strength("correct horse battery", &["maria@example.com"]).is_ok());
    }

    #[test]
    fn hashes_verify_only_the_right_password() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("anything", "not a hash"));
    }
}
