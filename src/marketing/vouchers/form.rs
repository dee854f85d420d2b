//! The voucher form as typed, and its checks: one sentence per field, nothing saved unless
//! all pass. Days are typed in shop time ("valid from" its start, "valid until" its end)
//! and stored UTC; the customer is typed as their email, empty for anyone; an empty code
//! is generated. An amount that makes a qualifying order cost nothing is allowed but
//! said as a warning.

use std::collections::BTreeMap;

use rocket::FromForm;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use time::{Date, Duration};

use super::code;
use super::rule::{Kind, Voucher};
use super::store::Draft;
use crate::clock::{from_shop_time, to_shop_time};
use crate::error::AppResult;
use crate::marketing::promotions::form::value_of;
use crate::money::Currency;

/// Field name → message.
pub type Errors = BTreeMap<&'static str, String>;

#[derive(FromForm, Default, Clone, Debug, Serialize)]
pub struct VoucherForm {
    /// Empty: one is generated.
    #[field(default = String::new())]
    pub code: String,
    /// The customer's email; empty for anyone.
    #[field(default = String::new())]
    pub customer: String,
    /// `percent` or `amount`.
    #[field(default = String::new())]
    pub kind: String,
    /// A percent ("10") or an amount in the shop currency ("5.00").
    #[field(default = String::new())]
    pub value: String,
    /// An amount in the shop currency; empty for none.
    #[field(default = String::new())]
    pub min_subtotal: String,
    /// Shop days, "YYYY-MM-DD", both included.
    #[field(default = String::new())]
    pub valid_from: String,
    #[field(default = String::new())]
    pub valid_until: String,
    #[field(default = String::new())]
    pub note: String,
}

const DAY: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl VoucherForm {
    /// A new voucher's form: percent off, valid from `today` for 30 days.
    pub fn blank(today: &str) -> VoucherForm {
        let until = Date::parse(today, DAY)
            .map(|d| d + Duration::days(29))
            .ok()
            .and_then(|d| d.format(DAY).ok())
            .unwrap_or_default();
        VoucherForm {
            kind: "percent".into(),
            valid_from: today.into(),
            valid_until: until,
            ..Default::default()
        }
    }

    /// The form showing a stored voucher.
    pub fn of(v: &Voucher, currency: &Currency, offset: i64) -> VoucherForm {
        VoucherForm {
            code: v.code.clone(),
            customer: v.customer_email.clone().unwrap_or_default(),
            kind: v.kind.as_str().into(),
            value: match v.kind {
                Kind::Amount => currency.to_major(v.value),
                Kind::Percent => v.value.to_string(),
            },
            min_subtotal: if v.min_subtotal > 0 {
                currency.to_major(v.min_subtotal)
            } else {
                String::new()
            },
            valid_from: shop_date(&v.valid_from, offset, false),
            valid_until: shop_date(&v.valid_to, offset, true),
            note: v.note.clone(),
        }
    }
}

/// A stored UTC time as the shop day a date field shows (an end: the day before).
fn shop_date(stored: &str, offset: i64, end: bool) -> String {
    let local = to_shop_time(stored, offset);
    let day = Date::parse(local.get(..10).unwrap_or(""), DAY);
    match day {
        Ok(d) if end => (d - Duration::days(1)).format(DAY).unwrap_or_default(),
        Ok(d) => d.format(DAY).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The start of a typed shop day, stored UTC; `after` days later.
fn day_start(typed: &str, after: i64, offset: i64) -> Option<String> {
    let d = Date::parse(typed.trim(), DAY).ok()? + Duration::days(after);
    from_shop_time(&format!("{}T00:00", d.format(DAY).ok()?), offset)
}

/// A checked voucher and the warnings to show after saving it, or the refusals. `id` is
/// the voucher being changed (None for a new one).
pub fn check(
    c: &Connection,
    f: &VoucherForm,
    id: Option<i64>,
    currency: &Currency,
    offset: i64,
) -> AppResult<Result<(Draft, Vec<String>), Errors>> {
    let mut errors = Errors::new();
    let typed = code::normalise(&f.code);
    let code = if typed.is_empty() {
        unused_code(c)?
    } else {
        typed
    };
    if let Some(why) = code::refusal(&code) {
        errors.insert("code", why);
    } else {
        let other: Option<i64> = c
            .prepare_cached("SELECT id FROM vouchers WHERE code = ?1")?
            .query_row([&code], |r| r.get(0))
            .optional()?;
        if other.is_some() && other != id {
            errors.insert("code", format!("Another voucher has the code {code}."));
        }
    }
    let email = f.customer.trim();
    let customer_id = if email.is_empty() {
        None
    } else {
        let found: Option<(i64, bool)> = c
            .prepare_cached(
                "SELECT id, active FROM customers WHERE email = ?1 AND deleted_at IS NULL",
            )?
            .query_row([email], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match found {
            Some((id, true)) => Some(id),
            Some((_, false)) => {
                errors.insert(
                    "customer",
                    "That customer's account is deactivated, so the voucher could not be used: reactivate the account first.".into(),
                );
                None
            }
            None => {
                errors.insert("customer", format!("No customer has the email {email}."));
                None
            }
        }
    };
    let kind = Kind::parse(&f.kind);
    let value = match kind {
        Some(k) => value_of(k, &f.value, currency, &mut errors),
        None => {
            errors.insert("kind", "Choose percent off or an amount off.".into());
            0
        }
    };
    let min_subtotal = if f.min_subtotal.trim().is_empty() {
        0
    } else {
        match currency.parse_major(&f.min_subtotal) {
            Ok(v) if v >= 0 => v,
            Ok(_) => {
                errors.insert("min_subtotal", "A minimum cannot be below zero.".into());
                0
            }
            Err(e) => {
                errors.insert("min_subtotal", e);
                0
            }
        }
    };
    let valid_from = day_start(&f.valid_from, 0, offset);
    if valid_from.is_none() {
        errors.insert("valid_from", "Give the first day it can be used.".into());
    }
    let valid_to = day_start(&f.valid_until, 1, offset);
    match (&valid_from, &valid_to) {
        (_, None) => {
            errors.insert("valid_until", "Give the last day it can be used.".into());
        }
        (Some(s), Some(e)) if e <= s => {
            errors.insert(
                "valid_until",
                "The last day cannot be before the first.".into(),
            );
        }
        _ => {}
    }
    let note = f.note.trim().to_string();
    if note.chars().count() > 200 || note.chars().any(char::is_control) {
        errors.insert(
            "note",
            "A note has at most 200 characters, on one line.".into(),
        );
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let kind = kind.unwrap_or(Kind::Percent);
    let mut warnings = Vec::new();
    if kind == Kind::Amount && value >= min_subtotal {
        warnings.push(format!(
            "{} off with {}: an order of up to {} costs nothing but its shipping.",
            currency.format(value),
            if min_subtotal == 0 {
                "no minimum subtotal".to_string()
            } else {
                format!("a minimum subtotal of {}", currency.format(min_subtotal))
            },
            currency.format(value),
        ));
    }
    Ok(Ok((
        Draft {
            code,
            customer_id,
            kind,
            value,
            min_subtotal,
            valid_from: valid_from.unwrap_or_default(),
            valid_to: valid_to.unwrap_or_default(),
            note,
        },
        warnings,
    )))
}

/// A generated code no voucher has yet.
pub fn unused_code(c: &Connection) -> AppResult<String> {
    loop {
        let code = code::generate();
        let taken = c
            .prepare_cached("SELECT 1 FROM vouchers WHERE code = ?1")?
            .query_row([&code], |_| Ok(()))
            .optional()?
            .is_some();
        if !taken {
            return Ok(code);
        }
    }
}
