//! PayPal's Orders v2 REST API, as a small blocking client (ureq over rustls; call it on a
//! blocking thread): an OAuth2 client-credentials token, create an order to approve, and
//! capture it when the buyer comes back. `verify` is the rule for marking an order paid:
//! only a COMPLETED capture of exactly the order's amount and currency.
//!
//! The address (`payments.paypal.base_url`: sandbox by default, or live) and the
//! credentials (`payments.paypal.client_id`, the encrypted `payments.paypal.client_secret`)
//! are settings; the tests point the address at a stand-in server.

use std::time::Duration;

use base64::Engine;
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::error::AppResult;
use crate::money::Currency;
use crate::orders::access::OrderHead;
use crate::secret::Secret;
use crate::settings;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom the shop talks to PayPal.
#[derive(Clone)]
pub struct Config {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &settings::MASK)
            .finish()
    }
}

impl Config {
    /// The settings, the secret decrypted; None when the credentials are not set.
    pub fn load(conn: &Connection, secret: &Secret) -> AppResult<Option<Config>> {
        let client_id = settings::get(conn, "payments.paypal.client_id")?
            .trim()
            .to_string();
        let client_secret = settings::get_secret(conn, secret, "payments.paypal.client_secret")?;
        if client_id.is_empty() || client_secret.is_empty() {
            return Ok(None);
        }
        Ok(Some(Config {
            base_url: settings::get(conn, "payments.paypal.base_url")?
                .trim()
                .trim_end_matches('/')
                .to_string(),
            client_id,
            client_secret,
        }))
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout(TIMEOUT)
        .redirects(0)
        .build()
}

/// PayPal's error body (`{name, message, details: [{issue, description}]}`) as one line.
fn error_text(body: &str) -> String {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return body.chars().take(200).collect();
    };
    let issue = v["details"][0]["issue"]
        .as_str()
        .or(v["name"].as_str())
        .or(v["error"].as_str())
        .unwrap_or("");
    let text = v["details"][0]["description"]
        .as_str()
        .or(v["message"].as_str())
        .or(v["error_description"].as_str())
        .unwrap_or("");
    match (issue.is_empty(), text.is_empty()) {
        (false, false) => format!("{issue}: {text}"),
        (false, true) => issue.to_string(),
        _ => text.to_string(),
    }
}

/// A call that did not give a 2xx answer.
#[derive(Debug)]
enum CallError {
    /// PayPal answered with this status and error body.
    Status(u16, String),
    /// PayPal could not be reached (or the answer could not be read).
    Transport(String),
}

impl CallError {
    fn sentence(&self, base: &str, step: &str) -> String {
        match self {
            CallError::Status(code, body) => {
                format!(
                    "PayPal ({base}) refused to {step}: {code} {}",
                    error_text(body)
                )
            }
            CallError::Transport(e) => {
                format!("PayPal ({base}) could not be reached to {step}: {e}")
            }
        }
    }
}

fn call(req: ureq::Request, body: Option<&Value>, form: Option<&str>) -> Result<Value, CallError> {
    let res = match (body, form) {
        (Some(b), _) => req.send_json(b),
        (None, Some(f)) => req
            .set("Content-Type", "application/x-www-form-urlencoded")
            .send_string(f),
        (None, None) => req.call(),
    };
    match res {
        Ok(r) => {
            let text = r
                .into_string()
                .map_err(|e| CallError::Transport(e.to_string()))?;
            serde_json::from_str(&text)
                .map_err(|e| CallError::Transport(format!("the answer is not JSON ({e})")))
        }
        Err(ureq::Error::Status(code, r)) => {
            Err(CallError::Status(code, r.into_string().unwrap_or_default()))
        }
        Err(ureq::Error::Transport(t)) => Err(CallError::Transport(t.to_string())),
    }
}

/// An OAuth2 access token (client credentials).
fn token(agent: &ureq::Agent, cfg: &Config) -> Result<String, String> {
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", cfg.client_id, cfg.client_secret));
    let v = call(
        agent
            .post(&format!("{}/v1/oauth2/token", cfg.base_url))
            .set("Authorization", &format!("Basic {basic}"))
            .set("Accept", "application/json"),
        None,
        Some("grant_type=client_credentials"),
    )
    .map_err(|e| e.sentence(&cfg.base_url, "sign the shop in"))?;
    v["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("PayPal ({}) gave no access token.", cfg.base_url))
}

/// The order PayPal is asked to create for one of ours.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Our order number (PayPal's `reference_id` and `invoice_id`).
    pub number: String,
    pub currency: String,
    /// Major units with the currency's decimals: "12.34".
    pub value: String,
    pub description: String,
    pub brand_name: String,
    pub return_url: String,
    pub cancel_url: String,
}

impl NewOrder {
    pub fn for_order(o: &OrderHead, shop_name: &str, base_url: &str) -> NewOrder {
        let cur = Currency::find(&o.currency).unwrap_or_else(Currency::fallback);
        NewOrder {
            number: o.number.clone(),
            currency: cur.code.to_string(),
            value: cur.to_major(o.total),
            description: format!("Order {} at {shop_name}", o.number)
                .chars()
                .take(127)
                .collect(),
            brand_name: shop_name.chars().take(127).collect(),
            return_url: format!("{base_url}/orders/{}/paypal/return", o.id),
            cancel_url: format!("{base_url}/orders/{}/paypal/cancel", o.id),
        }
    }

    /// The body of `POST /v2/checkout/orders`.
    pub fn body(&self) -> Value {
        json!({
            "intent": "CAPTURE",
            "purchase_units": [{
                "reference_id": self.number,
                "invoice_id": self.number,
                "description": self.description,
                "amount": { "currency_code": self.currency, "value": self.value },
            }],
            "payment_source": { "paypal": { "experience_context": {
                "brand_name": self.brand_name,
                "user_action": "PAY_NOW",
                "shipping_preference": "NO_SHIPPING",
                "return_url": self.return_url,
                "cancel_url": self.cancel_url,
            }}},
        })
    }
}

/// A PayPal order waiting for the buyer's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: String,
    /// Where the buyer approves it (PayPal's `payer-action` or `approve` link).
    pub approve_url: String,
}

/// PayPal's ids are letters and digits; anything else never goes into a URL path.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Creates the PayPal order; blocking.
pub fn create_order(cfg: &Config, new: &NewOrder) -> Result<Created, String> {
    let agent = agent();
    let token = token(&agent, cfg)?;
    let v = call(
        agent
            .post(&format!("{}/v2/checkout/orders", cfg.base_url))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Accept", "application/json"),
        Some(&new.body()),
        None,
    )
    .map_err(|e| e.sentence(&cfg.base_url, "create the payment"))?;
    let id = v["id"].as_str().unwrap_or("").to_string();
    if !valid_id(&id) {
        return Err(format!("PayPal ({}) gave no order id.", cfg.base_url));
    }
    let links = v["links"].as_array().cloned().unwrap_or_default();
    let approve = ["payer-action", "approve"].iter().find_map(|rel| {
        links
            .iter()
            .find(|l| l["rel"].as_str() == Some(rel))
            .and_then(|l| l["href"].as_str())
    });
    match approve {
        Some(url) if url.starts_with("https://") || url.starts_with("http://") => Ok(Created {
            id,
            approve_url: url.to_string(),
        }),
        _ => Err(format!(
            "PayPal ({}) gave no address to approve the payment at.",
            cfg.base_url
        )),
    }
}

/// What a capture call came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Captured {
    /// PayPal answered with the order and its capture (look at them with `verify`).
    Answer(Capture),
    /// PayPal refused to capture (422: declined instrument, not approved, …).
    Refused(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The PayPal order's status (`COMPLETED` when captured).
    pub order_status: String,
    pub capture_id: String,
    /// The capture's status: `COMPLETED`, `DECLINED`, `PENDING`, …
    pub status: String,
    pub currency: String,
    pub value: String,
}

impl Capture {
    fn from_json(v: &Value) -> Capture {
        let c = &v["purchase_units"][0]["payments"]["captures"][0];
        let s = |x: &Value| x.as_str().unwrap_or("").to_string();
        Capture {
            order_status: s(&v["status"]),
            capture_id: s(&c["id"]),
            status: s(&c["status"]),
            currency: s(&c["amount"]["currency_code"]),
            value: s(&c["amount"]["value"]),
        }
    }
}

/// Captures an approved PayPal order; blocking. `Err` when PayPal could not be reached or
/// failed on its side.
pub fn capture(cfg: &Config, paypal_id: &str) -> Result<Captured, String> {
    if !valid_id(paypal_id) {
        return Ok(Captured::Refused("That is not a PayPal order id.".into()));
    }
    let agent = agent();
    let token = token(&agent, cfg)?;
    let res = call(
        agent
            .post(&format!(
                "{}/v2/checkout/orders/{paypal_id}/capture",
                cfg.base_url
            ))
            .set("Authorization", &format!("Bearer {token}"))
            .set("Accept", "application/json")
            // The same capture asked twice (a reload) is answered, not repeated.
            .set(
                "PayPal-Request-Id",
                &format!("cornershop-capture-{paypal_id}"),
            ),
        Some(&json!({})),
        None,
    );
    match res {
        Ok(v) => Ok(Captured::Answer(Capture::from_json(&v))),
        Err(CallError::Status(code, body)) if (400..500).contains(&code) && code != 401 => {
            Ok(Captured::Refused(error_text(&body)))
        }
        Err(e) => Err(e.sentence(&cfg.base_url, "capture the payment")),
    }
}

/// The one rule for a PayPal payment to mark an order paid: the capture is COMPLETED and
/// took exactly the order's amount in the order's currency. Err says what was wrong.
pub fn verify(o: &OrderHead, c: &Capture) -> Result<(), String> {
    if c.order_status != "COMPLETED" || c.status != "COMPLETED" {
        let status = if c.status.is_empty() {
            &c.order_status
        } else {
            &c.status
        };
        return Err(format!(
            "PayPal did not complete the payment (status {}), so the order is not paid. You can try again.",
            if status.is_empty() { "unknown" } else { status }
        ));
    }
    let cur = Currency::find(&o.currency).unwrap_or_else(Currency::fallback);
    let amount_ok = c.currency.eq_ignore_ascii_case(cur.code)
        && cur.parse_major(&c.value).ok() == Some(o.total);
    if !amount_ok {
        return Err(format!(
            "PayPal took {} {} instead of this order's {} {}, so the order is not marked paid; the shop will look into it.",
            c.value,
            c.currency,
            cur.to_major(o.total),
            cur.code
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(total: i64, currency: &str) -> OrderHead {
        OrderHead {
            id: 7,
            number: "2026-000007".into(),
            customer_id: None,
            email: "a@b.test".into(),
            status: "pending_payment".into(),
            currency: currency.into(),
            subtotal: total,
            discount: 0,
            shipping: 0,
            total,
            shipping_method: "pickup".into(),
            payment_method: "paypal".into(),
            ship_name: String::new(),
            ship_line1: String::new(),
            ship_line2: String::new(),
            ship_city: String::new(),
            ship_postcode: String::new(),
            ship_country: String::new(),
            tracking_number: String::new(),
            placed_at: "2026-11-22T10:00:00Z".into(),
            updated_at: "2026-11-22T10:00:00Z".into(),
            voucher_code: String::new(),
            voucher_discount: 0,
        }
    }

    fn capture(status: &str, currency: &str, value: &str) -> Capture {
        Capture {
            order_status: "COMPLETED".into(),
            capture_id: "3C679366HH908993F".into(),
            status: status.into(),
            currency: currency.into(),
            value: value.into(),
        }
    }

    #[test]
    fn only_a_completed_capture_of_the_exact_amount_verifies() {
        let o = order(1234, "EUR");
        assert_eq!(verify(&o, &capture("COMPLETED", "EUR", "12.34")), Ok(()));
        assert!(verify(&o, &capture("DECLINED", "EUR", "12.34"))
            .unwrap_err()
            .contains("DECLINED"));
        assert!(verify(&o, &capture("PENDING", "EUR", "12.34")).is_err());
        assert!(verify(&o, &capture("COMPLETED", "EUR", "1.00"))
            .unwrap_err()
            .contains("instead of"));
        assert!(verify(&o, &capture("COMPLETED", "USD", "12.34")).is_err());
        assert!(verify(&o, &capture("COMPLETED", "EUR", "12.345")).is_err());
        let mut c = capture("COMPLETED", "EUR", "12.34");
        c.order_status = "APPROVED".into();
        assert!(verify(&o, &c).is_err());
    }

    #[test]
    fn the_create_body_names_our_order_and_the_way_back() {
        let o = order(1234, "EUR");
        let b = NewOrder::for_order(&o, "Cornershop", "https://shop.test").body();
        assert_eq!(b["intent"], "CAPTURE");
        assert_eq!(b["purchase_units"][0]["reference_id"], "2026-000007");
        assert_eq!(
            b["purchase_units"][0]["amount"],
            json!({"currency_code": "EUR", "value": "12.34"})
        );
        let ctx = &b["payment_source"]["paypal"]["experience_context"];
        assert_eq!(
            ctx["return_url"],
            "https://shop.test/orders/7/paypal/return"
        );
        assert_eq!(
            ctx["cancel_url"],
            "https://shop.test/orders/7/paypal/cancel"
        );
    }

    #[test]
    fn error_bodies_become_one_line() {
        assert_eq!(
            error_text(
                r#"{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"INSTRUMENT_DECLINED","description":"The instrument presented was declined."}]}"#
            ),
            "INSTRUMENT_DECLINED: The instrument presented was declined."
        );
        assert_eq!(
            error_text(
                r#"{"error":"invalid_client","error_description":"Client Authentication failed"}"#
            ),
            "invalid_client: Client Authentication failed"
        );
        assert!(valid_id("5O190127TN364715T") && !valid_id("../x") && !valid_id(""));
    }
}
