//! Payments: one interface, several methods (cash on delivery, bank transfer / UPI with a
//! QR code, Bobi exact-amount confirmation, PayPal Orders v2). Every attempt is a row in
//! `payments`.

/// The method codes of the API and the database.
pub const CODES: &[&str] = &["cod", "bank_transfer", "bobi", "paypal"];

/// What a buyer reads for a method code.
pub fn label(code: &str) -> &'static str {
    match code {
        "cod" => "Cash on delivery",
        "bank_transfer" => "Bank transfer",
        "bobi" => "Bobi",
        "paypal" => "PayPal",
        _ => "Unknown",
    }
}

/// Whether the shop offers `code` now (setting `payments.<code>.enabled`).
pub fn is_enabled(conn: &rusqlite::Connection, code: &str) -> crate::error::AppResult<bool> {
    if !CODES.contains(&code) {
        return Ok(false);
    }
    Ok(crate::settings::get(conn, &format!("payments.{code}.enabled"))? == "true")
}
