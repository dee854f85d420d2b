//! The methods paid outside the shop: the shop's bank details for a transfer (or UPI),
//! the QR code that carries them with an order's amount and reference, and the note for
//! cash on delivery. Staff mark a transfer paid once the money is in the account.

use rusqlite::Connection;

use super::qr;
use crate::error::AppResult;
use crate::money::Currency;
use crate::orders::access::OrderHead;
use crate::settings;

/// Which QR code goes with the bank details (setting `payments.bank_transfer.qr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrKind {
    /// SEPA credit transfer (EPC069-12 "BCD" payload); euro only.
    Epc,
    /// UPI `upi://pay` link; rupees only.
    Upi,
    /// A QR image the owner uploaded (from their bank or UPI app): the same for every
    /// order, so the buyer types the amount and reference themselves.
    Image,
    None,
}

impl QrKind {
    pub fn label(self) -> &'static str {
        match self {
            QrKind::Epc => "SEPA QR code (scan it with your banking app)",
            QrKind::Upi => "UPI QR code (scan it with your UPI app)",
            QrKind::Image => "The shop’s QR code: scan it, then enter the amount and the reference",
            QrKind::None => "",
        }
    }
}

/// The shop's account, from settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankDetails {
    pub holder: String,
    /// Without spaces, upper case.
    pub iban: String,
    pub bic: String,
    pub upi_id: String,
    pub qr: QrKind,
    /// Path under `media/` of the uploaded QR image ("" when none).
    pub qr_image: String,
}

impl BankDetails {
    pub fn load(conn: &Connection) -> AppResult<BankDetails> {
        let get = |k: &str| -> AppResult<String> {
            Ok(settings::get(conn, &format!("payments.bank_transfer.{k}"))?
                .trim()
                .to_string())
        };
        Ok(BankDetails {
            holder: get("holder")?,
            iban: qr::normalise_iban(&get("iban")?),
            bic: get("bic")?.to_ascii_uppercase().replace(' ', ""),
            upi_id: get("upi_id")?,
            qr: match get("qr")?.as_str() {
                "epc" => QrKind::Epc,
                "upi" => QrKind::Upi,
                // Chosen but removed since: no QR rather than a broken picture.
                "image" if !get("qr_image")?.is_empty() => QrKind::Image,
                _ => QrKind::None,
            },
            qr_image: get("qr_image")?,
        })
    }

    /// Whether a buyer can pay with what the shop entered: a holder and an account.
    pub fn complete(&self) -> bool {
        !self.holder.is_empty() && (!self.iban.is_empty() || !self.upi_id.is_empty())
    }

    /// The IBAN in groups of four, as people read it.
    pub fn iban_grouped(&self) -> String {
        self.iban
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The QR payload for `order`, or why there is none (shown to the buyer).
    pub fn qr_payload(&self, order: &OrderHead) -> Result<(QrKind, String), String> {
        let currency = Currency::find(&order.currency).unwrap_or_else(Currency::fallback);
        let text = reference(order);
        match self.qr {
            QrKind::None | QrKind::Image => Err(String::new()),
            QrKind::Epc => qr::epc_payload(
                &self.holder,
                &self.iban,
                &self.bic,
                order.total,
                currency,
                &text,
            )
            .map(|p| (QrKind::Epc, p)),
            QrKind::Upi => {
                qr::upi_payload(&self.upi_id, &self.holder, order.total, currency, &text)
                    .map(|p| (QrKind::Upi, p))
            }
        }
    }
}

/// What the buyer writes as the transfer's reference, so staff can match the money to
/// the order: "Order 2026-000012".
pub fn reference(order: &OrderHead) -> String {
    format!("Order {}", order.number)
}

/// The QR image of an order paid by transfer, while it waits for the money; None when
/// there is nothing to show (another method, another state, no QR chosen or possible).
pub fn qr_png(conn: &Connection, order: &OrderHead) -> AppResult<Option<Vec<u8>>> {
    if order.payment_method != "bank_transfer" || order.status != "pending_payment" {
        return Ok(None);
    }
    let bank = BankDetails::load(conn)?;
    match bank.qr_payload(order) {
        Ok((_, payload)) => Ok(Some(crate::media::qr::png(&payload)?)),
        Err(_) => Ok(None),
    }
}
