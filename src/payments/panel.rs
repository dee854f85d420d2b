//! The payment panel of an order page: what `templates/storefront/payments/panel.html.tera`
//! shows (as the variable `payment`, beside `csrf`). While the order waits for payment, the
//! way to pay with its method: Bobi's amount field, PayPal's button, the bank details with
//! the QR code, the cash-on-delivery note; otherwise a sentence about its state.

use rusqlite::Connection;
use serde_json::{json, Value};

use super::offline::{self, BankDetails, QrKind};
use super::pay::state_refusal;
use super::Method;
use crate::error::AppResult;
use crate::money::Currency;
use crate::orders::access::{self, OrderHead};
use crate::orders::status;
use crate::secret::Secret;

/// The panel's variables for `order`. `guest_key` is the key of a guest's order link (the
/// forms and the QR image carry it; for a guest's order it is made when not given);
/// `money` formats minor units as the page does.
pub fn panel(
    conn: &Connection,
    secret: &Secret,
    order: &OrderHead,
    guest_key: Option<&str>,
    base_url: &str,
    money: &dyn Fn(i64) -> String,
) -> AppResult<Value> {
    let cur = Currency::find(&order.currency).unwrap_or_else(Currency::fallback);
    let method = Method::from_code(&order.payment_method);
    // A guest's order is reached only with its key, so its forms always carry it.
    let computed = match (guest_key, order.customer_id) {
        (None, None) => access::guest_key(secret, order.id),
        _ => String::new(),
    };
    let key = guest_key.unwrap_or(&computed);
    let with_key = |path: String| {
        if key.is_empty() {
            path
        } else {
            format!("{path}?key={key}")
        }
    };
    let state_message = state_refusal(order);
    let payable = state_message.is_none() && method.is_some();
    // Cash on delivery on its way is not a refusal on this page, just what happens next.
    let state_message = match (method, order.status.as_str()) {
        (Some(Method::Cod), "processing" | "shipped") => Some(format!(
            "You pay {} in cash to the courier when the order is delivered.",
            money(order.total)
        )),
        _ => state_message,
    };
    let mut p = json!({
        "order_id": order.id,
        "number": order.number,
        "key": key,
        "action": format!("/orders/{}/pay", order.id),
        "method": order.payment_method,
        "method_label": super::label(&order.payment_method),
        "status": order.status,
        "status_label": status::label(&order.status),
        "payable": payable,
        "state_message": state_message.unwrap_or_default(),
        "amount": money(order.total),
        "amount_major": cur.to_major(order.total),
        "currency": cur.code,
        "currency_symbol": cur.symbol,
        "decimals": cur.exponent,
        "order_url": format!("{base_url}{}", order_url(order, key)),
    });
    if !payable {
        return Ok(p);
    }
    match method {
        Some(Method::BankTransfer) => {
            let bank = BankDetails::load(conn)?;
            let (qr_url, qr_label, qr_note) = match bank.qr_payload(order) {
                // The uploaded image is the same for every order: served as media.
                Err(_) if bank.qr == QrKind::Image => (
                    format!("/media/{}", bank.qr_image),
                    QrKind::Image.label(),
                    String::new(),
                ),
                Ok((kind, _)) => (
                    with_key(format!("/orders/{}/payment-qr.png", order.id)),
                    kind.label(),
                    String::new(),
                ),
                Err(why) if bank.qr != QrKind::None => (String::new(), "", why),
                Err(_) => (String::new(), "", String::new()),
            };
            p["bank"] = json!({
                "complete": bank.complete(),
                "holder": bank.holder,
                "iban": bank.iban_grouped(),
                "bic": bank.bic,
                "upi_id": bank.upi_id,
                "reference": offline::reference(order),
                "qr_url": qr_url,
                "qr_label": qr_label,
                "qr_note": qr_note,
                "qr_image": bank.qr == QrKind::Image,
            });
        }
        Some(Method::Paypal) => {
            p["paypal"] = json!({ "ready": Method::Paypal.is_offered(conn)? });
        }
        Some(Method::Bobi) | Some(Method::Cod) | None => {}
    }
    Ok(p)
}

/// The order page a buyer comes back to: their account for a customer's order, the
/// order link with its key for a guest's.
pub fn order_url(order: &OrderHead, guest_key: &str) -> String {
    match (order.customer_id, guest_key) {
        (Some(_), "") => format!("/account/orders/{}", order.id),
        (_, key) => format!("/orders/{}?key={key}", order.id),
    }
}
