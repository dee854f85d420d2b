//! Voucher codes: matched ignoring case, spaces and dashes (what people add when they copy
//! a code from a mail), and generated from characters nobody mistakes for each other.

use rand::Rng;

/// No 0/O, 1/I/L: a code read aloud or off paper is typed right the first time.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 31^10 ≈ 8 × 10^14 codes: guessing one is hopeless at any request rate the shop allows.
pub const GENERATED_LEN: usize = 10;

/// The code as stored and matched: upper case, without spaces or dashes.
pub fn normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Why a normalised code cannot be a voucher's, if it cannot.
pub fn refusal(code: &str) -> Option<String> {
    if !(4..=32).contains(&code.chars().count()) {
        return Some("A code has 4 to 32 letters and digits.".into());
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some(
            "A code has only the letters A–Z and digits (spaces and dashes are ignored).".into(),
        );
    }
    None
}

pub fn generate() -> String {
    let mut rng = rand::rngs::OsRng;
    (0..GENERATED_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_ignoring_case_spaces_and_dashes() {
        assert_eq!(normalise(" summer-20 \t"), "SUMMER20");
        assert_eq!(normalise("k7qm xp3r"), "K7QMXP3R");
        assert_eq!(refusal(&normalise("summer 20")), None);
    }

    #[test]
    fn a_code_is_four_to_thirty_two_letters_and_digits() {
        assert!(refusal("AB1").is_some());
        assert!(refusal(&"A".repeat(33)).is_some());
        assert!(refusal("SALE%20").is_some());
        assert!(refusal("ÄPFEL").is_some());
    }

    #[test]
    fn generated_codes_use_only_unambiguous_characters_and_differ() {
        let a = generate();
        assert_eq!(a.len(), GENERATED_LEN);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)), "{a}");
        assert!(!a.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(refusal(&a), None);
        assert_ne!(a, generate());
    }
}
