//! The payment methods: one enum, and the one place that says what each is called, what
//! it asks of the buyer, and whether the shop offers it now.

use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppResult;
use crate::settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Cash on delivery: nothing to pay online; the courier collects.
    Cod,
    /// Bank transfer or UPI to the shop's account, with a QR code; staff mark it paid.
    BankTransfer,
    /// Bobi: the buyer confirms by typing the exact amount.
    Bobi,
    /// PayPal Orders v2: approve at PayPal, captured on return.
    Paypal,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::Cod,
        Method::BankTransfer,
        Method::Bobi,
        Method::Paypal,
    ];

    pub fn from_code(code: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.code() == code.trim())
    }

    pub fn code(self) -> &'static str {
        match self {
            Method::Cod => "cod",
            Method::BankTransfer => "bank_transfer",
            Method::Bobi => "bobi",
            Method::Paypal => "paypal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Method::Cod => "Cash on delivery",
            Method::BankTransfer => "Bank transfer",
            Method::Bobi => "Bobi",
            Method::Paypal => "PayPal",
        }
    }

    /// One sentence for the checkout: what the buyer will do.
    pub fn description(self, conn: &Connection) -> AppResult<String> {
        Ok(match self {
            Method::Cod => "Pay in cash to the courier when the order is delivered.".into(),
            Method::BankTransfer => {
                match settings::get(conn, "payments.bank_transfer.qr")?.as_str() {
                    "upi" => "Pay by UPI or bank transfer to the shop's account; scan the QR code with your UPI app. The order ships once the money arrives.".into(),
                    "epc" => "Transfer the amount to the shop's bank account; scan the QR code with your banking app. The order ships once the money arrives.".into(),
                    "image" => "Transfer the amount to the shop's account; you can scan the shop's QR code with your banking or UPI app. The order ships once the money arrives.".into(),
                    _ => "Transfer the amount to the shop's bank account. The order ships once the money arrives.".into(),
                }
            }
            Method::Bobi => "Confirm the payment by typing the exact amount of your order.".into(),
            Method::Paypal => {
                "Pay with your PayPal account; you come back to the shop when done.".into()
            }
        })
    }

    /// Whether the shop offers this method now: its `.enabled` setting is on, and PayPal
    /// also needs its credentials (an order that nobody can pay helps no one).
    pub fn is_offered(self, conn: &Connection) -> AppResult<bool> {
        if settings::get(conn, &format!("payments.{}.enabled", self.code()))? != "true" {
            return Ok(false);
        }
        Ok(match self {
            Method::Paypal => {
                !settings::get(conn, "payments.paypal.client_id")?
                    .trim()
                    .is_empty()
                    && !settings::get_shown(conn, "payments.paypal.client_secret")?.is_empty()
            }
            _ => true,
        })
    }
}

/// A method as the checkout and the API list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MethodInfo {
    /// `cod`, `bank_transfer`, `bobi` or `paypal`: the `payment_method` of a checkout.
    pub code: String,
    pub label: String,
    /// What the buyer will do, in one or two sentences.
    pub description: String,
}

/// The methods a cart or order may choose from now, in a fixed order.
pub fn offered(conn: &Connection) -> AppResult<Vec<MethodInfo>> {
    let mut out = Vec::new();
    for m in Method::ALL {
        if m.is_offered(conn)? {
            out.push(MethodInfo {
                code: m.code().into(),
                label: m.label().into(),
                description: m.description(conn)?,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_the_schema_list() {
        for m in Method::ALL {
            assert_eq!(Method::from_code(m.code()), Some(m));
        }
        let codes: Vec<_> = Method::ALL.iter().map(|m| m.code()).collect();
        assert_eq!(codes, super::super::CODES);
        assert_eq!(Method::from_code("card"), None);
    }
}
