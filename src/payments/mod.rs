//! Payments: one interface, several methods (cash on delivery, bank transfer / UPI with a
//! QR code, Bobi exact-amount confirmation, PayPal Orders v2). Every attempt is a row in
//! `payments`, refused ones too.
//!
//! - `methods`: the `Method` enum (what each is called and does) and `offered`, the list a
//!   cart or order may choose from.
//! - `store`: the `payments` rows (and their audit entries), and `Who` made them.
//! - `pay`: the rules of paying: only while `pending_payment`, each method's step,
//!   `after_placed` for the checkout, `mark_paid_by_staff` for the back office.
//! - `offline`: the shop's bank details; `qr`: EPC (SEPA) and UPI payloads, PNG drawing.
//! - `paypal`: the PayPal REST client (token, create, capture) and what a capture must show.
//! - `flow`: paying from a request, HTTP to PayPal off the database's writer.
//! - `panel`: what the order page shows (`templates/storefront/payments/panel.html.tera`).
//! - `routes`: storefront and back-office routes; `api`: the JSON API.

pub mod api;
pub mod flow;
pub mod methods;
pub mod offline;
pub mod panel;
pub mod pay;
pub mod paypal;
pub mod qr;
pub mod routes;
pub mod store;

pub use methods::{offered, Method, MethodInfo};
pub use panel::panel;
pub use pay::{after_placed, mark_paid_by_staff, Outcome};

/// The method codes of the API and the database.
pub const CODES: &[&str] = &["cod", "bank_transfer", "bobi", "paypal"];

/// What a buyer reads for a method code.
pub fn label(code: &str) -> &'static str {
    Method::from_code(code).map_or("Unknown", Method::label)
}

/// Whether the shop offers `code` now: its `payments.<code>.enabled` setting is on (and,
/// for PayPal, the credentials are set). The same answer as `offered`.
pub fn is_enabled(conn: &rusqlite::Connection, code: &str) -> crate::error::AppResult<bool> {
    match Method::from_code(code) {
        Some(m) => m.is_offered(conn),
        None => Ok(false),
    }
}

/// Every payment route of the storefront, back office and API.
pub fn routes() -> Vec<rocket::Route> {
    let mut r = routes::routes();
    r.extend(api::routes());
    r
}
