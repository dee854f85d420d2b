//! Two-factor login codes (RFC 6238 TOTP on RFC 4226 HOTP): HMAC-SHA1, 30-second steps,
//! 6 digits, as every authenticator app does by default. Pure functions; the store and
//! pages that use them are in `two_factor.rs`.
//!
//! A code is accepted for the current step and one step either side (clocks drift), and a
//! step is never accepted twice: the caller stores the last step used and passes it in.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

pub const STEP_SECS: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps either side of now that still count.
pub const WINDOW: i64 = 1;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_LEN: usize = 20;
pub const RECOVERY_CODES: usize = 10;

/// RFC 4226 HOTP: the `DIGITS`-digit code of `counter` under `key`.
pub fn hotp(key: &[u8], counter: u64) -> u32 {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).expect("any key length works");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    bin % 10u32.pow(DIGITS)
}

/// The 30-second step a Unix time falls in.
pub fn step_at(unix: i64) -> i64 {
    unix.div_euclid(STEP_SECS)
}

/// The code an app shows at `unix` (zero-padded).
pub fn code_at(key: &[u8], unix: i64) -> String {
    format!(
        "{:0width$}",
        hotp(key, step_at(unix) as u64),
        width = DIGITS as usize
    )
}

/// The step `code` belongs to, if it is right for now ± `WINDOW` and later than
/// `last_used` (a step already used is refused: a code seen over a shoulder or in a log
/// cannot be replayed).
pub fn verify(key: &[u8], code: &str, unix: i64, last_used: i64) -> Option<i64> {
    let code = normalise_code(code);
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix);
    let mut found = None;
    // Every candidate is computed, so the time taken does not say which one matched.
    for step in now - WINDOW..=now + WINDOW {
        if step < 0 {
            continue;
        }
        let want = format!(
            "{:0width$}",
            hotp(key, step as u64),
            width = DIGITS as usize
        );
        if crate::secret::constant_eq(want.as_bytes(), code.as_bytes())
            && step > last_used
            && found.is_none()
        {
            found = Some(step);
        }
    }
    found
}

/// What a person typed, without spaces or dashes ("123 456" works).
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding (what authenticator apps take).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Base32 back to bytes (case, spaces and padding ignored); None for other characters.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET
            .iter()
            .position(|&a| a as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A fresh random secret.
pub fn new_secret() -> Vec<u8> {
    let mut key = vec![0u8; SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

/// The base32 secret in groups of four, easier to type into an app by hand.
pub fn grouped(secret_b32: &str) -> String {
    secret_b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://` URI the QR code holds (Google Authenticator's key URI format).
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| rocket::http::RawStr::new(s).percent_encode().to_string();
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// A recovery code: 10 characters from an alphabet without look-alikes, shown as
/// `xxxxx-xxxxx`.
pub fn new_recovery_code() -> String {
    const SET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes
        .iter()
        .map(|b| SET[*b as usize % SET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// A recovery code as stored and compared: lower case, no spaces or dashes.
pub fn normalise_recovery(code: &str) -> String {
    normalise_code(code).to_ascii_lowercase()
}

/// Whether typed text looks like a recovery code rather than an app code.
pub fn looks_like_recovery(code: &str) -> bool {
    let n = normalise_recovery(code);
    n.len() == 10 && !n.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 column: the seed is the ASCII "12345678901234567890",
    /// codes are 8 digits there; the last 6 digits are what a 6-digit app shows.
    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_test_vectors() {
        for (t, eight) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            assert_eq!(code_at(SEED, t), eight[2..], "T = {t}");
        }
    }

    #[test]
    fn rfc_4226_hotp_test_vectors() {
        let want = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, code) in want.iter().enumerate() {
            assert_eq!(hotp(SEED, counter as u64), *code);
        }
    }

    #[test]
    fn one_step_either_side_counts_and_a_used_step_never_again() {
        let t = 1_111_111_111;
        let now = step_at(t);
        let code = code_at(SEED, t);
        assert_eq!(verify(SEED, &code, t, 0), Some(now));
        assert_eq!(verify(SEED, &code, t + 30, 0), Some(now), "one step late");
        assert_eq!(verify(SEED, &code, t - 30, 0), Some(now), "one step early");
        assert_eq!(verify(SEED, &code, t + 60, 0), None, "two steps late");
        assert_eq!(verify(SEED, &code, t, now), None, "the same step twice");
        assert_eq!(
            verify(SEED, &code, t, now - 1),
            Some(now),
            "a later step after an earlier one"
        );
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(SEED, &spaced, t, 0), Some(now));
        assert_eq!(verify(SEED, "12345", t, 0), None);
        assert_eq!(verify(SEED, "abcdef", t, 0), None);
        assert_eq!(verify(b"another key here....", &code, t, 0), None);
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b""), "");
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_encode(b"fo"), "MZXQ");
        assert_eq!(base32_encode(b"foo"), "MZXW6");
        assert_eq!(base32_encode(b"foob"), "MZXW6YQ");
        assert_eq!(base32_encode(b"fooba"), "MZXW6YTB");
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32_encode(SEED),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "the RFC seed as apps know it"
        );
        let key = new_secret();
        assert_eq!(base32_decode(&base32_encode(&key)).unwrap(), key);
        assert_eq!(
            base32_decode("mzxw 6ytb oi======").unwrap(),
            b"foobar".to_vec()
        );
        assert_eq!(base32_decode("MZX1"), None);
    }

    #[test]
    fn the_uri_and_recovery_codes_have_their_shape() {
        let uri = otpauth_uri("Tea & Co", "ann@shop.test", "MZXW6YTBOI");
        assert_eq!(uri, "otpauth://totp/Tea%20%26%20Co:ann@shop.test?secret=MZXW6YTBOI&issuer=Tea%20%26%20Co&algorithm=SHA1&digits=6&period=30");
        let c = new_recovery_code();
        assert_eq!(c.len(), 11);
        assert_eq!(&c[5..6], "-");
        assert!(looks_like_recovery(&c));
        assert!(!looks_like_recovery("123456"));
        assert_eq!(normalise_recovery("ABCDE-FGHJK "), "abcdefghjk");
        assert_eq!(grouped("MZXW6YTBOI"), "MZXW 6YTB OI");
    }
}
