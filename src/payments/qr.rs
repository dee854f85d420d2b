//! Payment QR codes: the payload texts (SEPA EPC069-12 "BCD" and UPI `upi://pay`); the PNG
//! is drawn by `media::qr`.

use crate::money::Currency;

/// An IBAN as stored in a payload: no spaces, upper case.
pub fn normalise_iban(iban: &str) -> String {
    iban.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// ISO 13616: two letters, two check digits, up to 30 letters or digits, and the
/// whole passes the mod-97 check.
pub fn iban_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// 8 or 11 letters and digits, the country (5th and 6th) in letters.
pub fn bic_valid(bic: &str) -> bool {
    let b = bic.as_bytes();
    matches!(b.len(), 8 | 11)
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b[4..6].iter().all(u8::is_ascii_uppercase)
}

/// One line of a payload: no line breaks or other control characters, trimmed.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The EPC069-12 (version 002, UTF-8, SEPA credit transfer) payload:
///
/// ```text
/// BCD / 002 / 1 / SCT / BIC / name / IBAN / EUR12.34 / purpose / structured ref / text
/// ```
///
/// one element per line (LF), the last being the unstructured remittance `text`. Euro
/// only, 0.01 to 999,999,999.99; the name at most 70 characters, the text at most 140.
pub fn epc_payload(
    holder: &str,
    iban: &str,
    bic: &str,
    amount: i64,
    currency: &Currency,
    text: &str,
) -> Result<String, String> {
    if currency.code != "EUR" {
        return Err(format!(
            "A SEPA QR code is for euro amounts; this order is in {}.",
            currency.code
        ));
    }
    let name = one_line(holder);
    if name.is_empty() || name.chars().count() > 70 {
        return Err("The account holder's name (1 to 70 characters) is missing.".into());
    }
    let iban = normalise_iban(iban);
    if !iban_valid(&iban) {
        return Err("The shop's IBAN is missing or not valid.".into());
    }
    let bic = bic.trim().to_ascii_uppercase();
    if !bic.is_empty() && !bic_valid(&bic) {
        return Err("The shop's BIC is not valid.".into());
    }
    if !(1..=99_999_999_999).contains(&amount) {
        return Err("A SEPA QR code holds amounts from 0.01 to 999,999,999.99 EUR.".into());
    }
    let text: String = one_line(text).chars().take(140).collect();
    let payload = format!(
        "BCD\n002\n1\nSCT\n{bic}\n{name}\n{iban}\nEUR{}\n\n\n{text}",
        currency.to_major(amount)
    );
    if payload.len() > 331 {
        return Err("The payment details are too long for a SEPA QR code.".into());
    }
    Ok(payload)
}

/// Percent-encodes a query value (RFC 3986: letters, digits and `-._~` stay; `@` too,
/// as UPI IDs are written).
fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The UPI deep link: `upi://pay?pa=<UPI ID>&pn=<name>&am=<12.34>&tn=<note>&cu=INR`.
/// Rupees only (UPI knows no other currency).
pub fn upi_payload(
    upi_id: &str,
    holder: &str,
    amount: i64,
    currency: &Currency,
    note: &str,
) -> Result<String, String> {
    if currency.code != "INR" {
        return Err(format!(
            "A UPI QR code is for rupee amounts; this order is in {}.",
            currency.code
        ));
    }
    let pa = upi_id.trim();
    let valid_id = pa.split_once('@').is_some_and(|(user, handle)| {
        !user.is_empty()
            && !handle.is_empty()
            && pa
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c))
    });
    if !valid_id {
        return Err("The shop's UPI ID (like shop@bank) is missing or not valid.".into());
    }
    let name = one_line(holder);
    if name.is_empty() {
        return Err("The account holder's name is missing.".into());
    }
    if amount <= 0 {
        return Err("There is nothing to pay.".into());
    }
    Ok(format!(
        "upi://pay?pa={}&pn={}&am={}&tn={}&cu=INR",
        query_value(pa),
        query_value(&name),
        currency.to_major(amount),
        query_value(&one_line(note))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> &'static Currency {
        Currency::find("EUR").unwrap()
    }

    fn inr() -> &'static Currency {
        Currency::find("INR").unwrap()
    }

    #[test]
    fn ibans_are_checked_with_mod_97() {
        assert!(iban_valid("DE89370400440532013000"));
        assert!(iban_valid(&normalise_iban("be71 0961 2345 6769")));
        assert!(!iban_valid("DE89370400440532013001"), "check digits");
        assert!(!iban_valid("DE8937040044"), "too short");
        assert!(!iban_valid(""));
        assert!(bic_valid("COBADEFFXXX") && bic_valid("GEBABEBB"));
        assert!(!bic_valid("COBA1EFF") && !bic_valid("COBADEF"));
    }

    #[test]
    fn the_epc_payload_is_exactly_the_bcd_format() {
        let p = epc_payload(
            "Corner Shop Ltd",
            "DE89 3704 0044 0532 0130 00",
            "cobadeffxxx",
            1234,
            eur(),
            "Order 2026-000012",
        )
        .unwrap();
        assert_eq!(
            p,
            "BCD\n002\n1\nSCT\nCOBADEFFXXX\nCorner Shop Ltd\nDE89370400440532013000\nEUR12.34\n\n\nOrder 2026-000012"
        );
        // BIC left out (allowed in version 002), whole euros with cents, a line break in
        // the name flattened.
        let p = epc_payload(
            "Corner\nShop",
            "DE89370400440532013000",
            "",
            500,
            eur(),
            "Order 1",
        )
        .unwrap();
        assert_eq!(
            p,
            "BCD\n002\n1\nSCT\n\nCorner Shop\nDE89370400440532013000\nEUR5.00\n\n\nOrder 1"
        );
    }

    #[test]
    fn an_epc_payload_that_cannot_work_says_why() {
        let iban = "DE89370400440532013000";
        let usd = Currency::find("USD").unwrap();
        assert!(epc_payload("A", iban, "", 100, usd, "x")
            .unwrap_err()
            .contains("euro"));
        assert!(epc_payload("A", "DE00123", "", 100, eur(), "x")
            .unwrap_err()
            .contains("IBAN"));
        assert!(epc_payload("", iban, "", 100, eur(), "x")
            .unwrap_err()
            .contains("holder"));
        assert!(epc_payload("A", iban, "XX", 100, eur(), "x")
            .unwrap_err()
            .contains("BIC"));
        assert!(epc_payload("A", iban, "", 0, eur(), "x").is_err());
        assert!(epc_payload("A", iban, "", 100_000_000_000, eur(), "x").is_err());
    }

    #[test]
    fn the_upi_link_is_exactly_the_upi_pay_format() {
        let p = upi_payload(
            "cornershop@okbank",
            "Corner Shop & Co",
            123450,
            inr(),
            "Order 2026-000012",
        )
        .unwrap();
        assert_eq!(
            p,
            "upi://pay?pa=cornershop@okbank&pn=Corner%20Shop%20%26%20Co&am=1234.50&tn=Order%202026-000012&cu=INR"
        );
        assert!(upi_payload("cornershop", "A", 100, inr(), "x")
            .unwrap_err()
            .contains("UPI ID"));
        assert!(upi_payload("a@b", "A", 100, eur(), "x")
            .unwrap_err()
            .contains("rupee"));
        assert!(upi_payload("a@b&x=1", "A", 100, inr(), "x").is_err());
    }
}
