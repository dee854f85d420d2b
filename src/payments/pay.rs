//! The rules of paying. An order is paid only while it is `pending_payment`, only with the
//! method chosen at checkout, and every attempt becomes a `payments` row — a refusal too:
//! these functions record it and return `Outcome::Refused` (so the caller's transaction
//! commits it) instead of an `Err` that would roll it back.
//!
//! Marking paid is done by three things only (POLICY): Bobi's exact amount, a verified
//! PayPal capture (`paypal`/`flow`), and staff (`mark_paid_by_staff`).

use rocket::http::Status as HttpStatus;
use rusqlite::Connection;
use time::OffsetDateTime;

use super::store::{self, Attempt, Status, Who};
use super::Method;
use crate::error::{AppError, AppResult};
use crate::money::Currency;
use crate::orders::access::{self, OrderHead, Viewer};
use crate::orders::mails::move_and_tell;
use crate::secret::Secret;
use crate::web::client::ClientIp;

/// Why an attempt was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The order is not waiting for payment (paid, cancelled, …): 409.
    State,
    /// Not the method chosen for this order: 422.
    Method,
    /// Bobi: not the order's amount: 422.
    Amount,
    /// The provider did not complete the payment (declined, cancelled, wrong amount): 422.
    Declined,
}

/// What an attempt came to. Every one of them has been recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The order is paid now.
    Paid,
    /// Cash on delivery: nothing to pay online, the order is being prepared.
    Processing,
    /// Bank transfer: the buyer pays from their bank; staff mark it paid.
    Waiting,
    /// PayPal: the buyer approves the payment at this address.
    Redirect(String),
    Refused {
        why: Refusal,
        message: String,
    },
    /// The provider could not be reached or answered with an error.
    Failed(String),
}

impl Outcome {
    /// What the buyer reads.
    pub fn message(&self) -> String {
        match self {
            Outcome::Paid => "Thank you: your payment is confirmed and the order is paid.".into(),
            Outcome::Processing => {
                "You pay in cash when the order is delivered; we are preparing it now.".into()
            }
            Outcome::Waiting => {
                "Thank you: we mark the order paid as soon as your transfer arrives.".into()
            }
            Outcome::Redirect(_) => "Continue at PayPal to approve the payment.".into(),
            Outcome::Refused { message, .. } | Outcome::Failed(message) => message.clone(),
        }
    }

    pub fn is_ok(&self) -> bool {
        !matches!(self, Outcome::Refused { .. } | Outcome::Failed(_))
    }

    /// The HTTP status the API answers with.
    pub fn http_status(&self) -> HttpStatus {
        match self {
            Outcome::Refused {
                why: Refusal::State,
                ..
            } => HttpStatus::Conflict,
            Outcome::Refused { .. } => HttpStatus::UnprocessableEntity,
            Outcome::Failed(_) => HttpStatus::ServiceUnavailable,
            _ => HttpStatus::Ok,
        }
    }

    /// The API's error for a refusal or failure (the same message).
    pub fn into_error(self) -> Result<Outcome, AppError> {
        match self {
            Outcome::Refused {
                why: Refusal::State,
                message,
            } => Err(AppError::Conflict(message)),
            Outcome::Refused { message, .. } => Err(AppError::Invalid(message)),
            Outcome::Failed(message) => Err(AppError::Unavailable(message)),
            ok => Ok(ok),
        }
    }
}

/// Why an order in this state cannot be paid; None while it waits for payment.
pub fn state_refusal(o: &OrderHead) -> Option<String> {
    let cod_on_its_way =
        o.payment_method == "cod" && matches!(o.status.as_str(), "processing" | "shipped");
    Some(match o.status.as_str() {
        "pending_payment" => return None,
        _ if cod_on_its_way => {
            "This order is paid in cash on delivery, so there is nothing to pay online.".into()
        }
        "paid" | "processing" | "shipped" | "delivered" => "This order is already paid.".into(),
        "cancelled" => "This order was cancelled, so it cannot be paid.".into(),
        "refunded" => "This order was refunded, so it cannot be paid again.".into(),
        "draft" => "This order is not placed yet, so it cannot be paid.".into(),
        other => format!("This order is {other} and cannot be paid."),
    })
}

/// An amount as the buyer gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amount {
    None,
    /// Typed on the web form in major units ("12.34").
    Typed(String),
    /// Sent on the API in minor units (1234).
    Minor(i64),
}

/// A request to pay an order.
#[derive(Debug, Clone)]
pub struct PayRequest {
    pub method: String,
    pub amount: Amount,
}

/// What `attempt` leaves to do.
#[derive(Debug, Clone)]
pub enum Step {
    Done(Outcome),
    /// PayPal: allowed; the caller talks to PayPal (off this transaction) and then records
    /// what came of it (`flow::paypal_started`).
    PayPal(Box<OrderHead>),
}

#[allow(clippy::too_many_arguments)]
fn refuse(
    conn: &Connection,
    o: &OrderHead,
    method: Method,
    amount: i64,
    why: Refusal,
    message: String,
    who: &Who,
    now: OffsetDateTime,
) -> AppResult<Outcome> {
    store::record(
        conn,
        &Attempt {
            order_id: o.id,
            method,
            amount,
            status: Status::Refused,
            reference: "",
            message: &message,
        },
        who,
        now,
    )?;
    Ok(Outcome::Refused { why, message })
}

fn order_method(o: &OrderHead) -> AppResult<Method> {
    Method::from_code(&o.payment_method).ok_or_else(|| {
        AppError::internal(format!(
            "order {} has an unknown payment method {}",
            o.id, o.payment_method
        ))
    })
}

/// One attempt to pay order `order_id`, by `viewer` (404 if they may not see it), in the
/// caller's write transaction.
#[allow(clippy::too_many_arguments)]
pub fn attempt(
    conn: &Connection,
    secret: &Secret,
    order_id: i64,
    viewer: &Viewer,
    req: &PayRequest,
    who: &Who,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<Step> {
    let o = access::find(conn, secret, order_id, viewer)?;
    let chosen = order_method(&o)?;
    let asked = Method::from_code(&req.method);
    if let Some(why) = state_refusal(&o) {
        let r = refuse(
            conn,
            &o,
            asked.unwrap_or(chosen),
            0,
            Refusal::State,
            why,
            who,
            now,
        )?;
        return Ok(Step::Done(r));
    }
    if asked != Some(chosen) {
        let message = format!(
            "This order is to be paid by {}; choose that method to pay it.",
            chosen.label()
        );
        let r = refuse(
            conn,
            &o,
            asked.unwrap_or(chosen),
            0,
            Refusal::Method,
            message,
            who,
            now,
        )?;
        return Ok(Step::Done(r));
    }
    Ok(Step::Done(match chosen {
        Method::Cod => cash_on_delivery(conn, secret, &o, who, base_url, now)?,
        Method::BankTransfer => {
            store::record(
                conn,
                &Attempt {
                    order_id: o.id,
                    method: chosen,
                    amount: o.total,
                    status: Status::Started,
                    reference: "",
                    message: "Waiting for the bank transfer.",
                },
                who,
                now,
            )?;
            Outcome::Waiting
        }
        Method::Bobi => bobi(conn, secret, &o, &req.amount, who, base_url, now)?,
        Method::Paypal => return Ok(Step::PayPal(Box::new(o))),
    }))
}

/// Bobi: the exact amount of the order pays it; anything else is refused, saying the
/// amount to type.
fn bobi(
    conn: &Connection,
    secret: &Secret,
    o: &OrderHead,
    amount: &Amount,
    who: &Who,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<Outcome> {
    let cur = Currency::find(&o.currency).unwrap_or_else(Currency::fallback);
    let given = match amount {
        Amount::None => None,
        Amount::Typed(t) => cur.parse_major(t).ok(),
        Amount::Minor(m) => Some(*m),
    };
    if given != Some(o.total) {
        let message = format!(
            "That is not the amount of this order: type exactly {} {}.",
            cur.to_major(o.total),
            cur.symbol
        );
        return refuse(
            conn,
            o,
            Method::Bobi,
            given.unwrap_or(0),
            Refusal::Amount,
            message,
            who,
            now,
        );
    }
    store::record(
        conn,
        &Attempt {
            order_id: o.id,
            method: Method::Bobi,
            amount: o.total,
            status: Status::Succeeded,
            reference: "",
            message: "Confirmed with the exact amount.",
        },
        who,
        now,
    )?;
    move_and_tell(
        conn,
        secret,
        o.id,
        "paid",
        &who.actor,
        "Paid with Bobi.",
        base_url,
        now,
    )?;
    Ok(Outcome::Paid)
}

fn cash_on_delivery(
    conn: &Connection,
    secret: &Secret,
    o: &OrderHead,
    who: &Who,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<Outcome> {
    store::record(
        conn,
        &Attempt {
            order_id: o.id,
            method: Method::Cod,
            amount: o.total,
            status: Status::Started,
            reference: "",
            message: "To be paid in cash on delivery.",
        },
        who,
        now,
    )?;
    move_and_tell(
        conn,
        secret,
        o.id,
        "processing",
        &who.actor,
        "Cash on delivery.",
        base_url,
        now,
    )?;
    Ok(Outcome::Processing)
}

/// Called by the checkout right after `orders::place::place`, in the same transaction.
/// Cash on delivery needs nothing paid online: the order moves `pending_payment` →
/// `processing` (DESIGN §4) with a `started` payment row. Other methods wait for the
/// buyer to pay, so nothing happens. Safe to call again for a repeated confirm.
pub fn after_placed(
    conn: &Connection,
    secret: &Secret,
    order_id: i64,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let o = access::get(conn, order_id)?;
    if o.payment_method == "cod" && o.status == "pending_payment" {
        let who = Who::buyer_of(o.customer_id, &o.email);
        cash_on_delivery(conn, secret, &o, &who, base_url, now)?;
    }
    Ok(())
}

/// The longest reference staff may note with a payment (a bank statement line).
pub const MAX_REFERENCE: usize = 100;

/// Staff received the money (a bank transfer, usually): the order becomes paid, with a
/// `succeeded` row carrying `reference`. An order not waiting for payment is refused
/// (recorded). 404 for an unknown order; 422 for a reference too long.
pub fn mark_paid_by_staff(
    conn: &Connection,
    secret: &Secret,
    order_id: i64,
    staff_id: i64,
    reference: &str,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<Outcome> {
    let staff = crate::staff::store::get(conn, staff_id)?
        .ok_or_else(|| AppError::Forbidden("There is no such staff member.".into()))?;
    let who = Who::staff(staff.id, &staff.email, None);
    mark_paid(conn, secret, order_id, &who, reference, base_url, now)
}

/// `mark_paid_by_staff` for a caller that knows who (and from where) already.
pub fn mark_paid(
    conn: &Connection,
    secret: &Secret,
    order_id: i64,
    who: &Who,
    reference: &str,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<Outcome> {
    let reference = reference.trim();
    if reference.chars().count() > MAX_REFERENCE || reference.chars().any(char::is_control) {
        return Err(AppError::Invalid(format!(
            "The payment reference must be one line of at most {MAX_REFERENCE} characters."
        )));
    }
    let o = access::get(conn, order_id)?;
    let method = order_method(&o)?;
    if let Some(why) = state_refusal(&o) {
        return refuse(conn, &o, method, 0, Refusal::State, why, who, now);
    }
    store::record(
        conn,
        &Attempt {
            order_id: o.id,
            method,
            amount: o.total,
            status: Status::Succeeded,
            reference,
            message: "Payment received; marked paid by staff.",
        },
        who,
        now,
    )?;
    move_and_tell(
        conn,
        secret,
        o.id,
        "paid",
        &who.actor,
        "Payment received.",
        base_url,
        now,
    )?;
    Ok(Outcome::Paid)
}

/// Cash on delivery is paid when delivered (DESIGN §4): a `succeeded` payment row for the
/// order's total, by the staff member who delivered it. Nothing for other methods.
pub fn cash_collected(
    tx: &rusqlite::Connection,
    o: &access::OrderHead,
    staff: &crate::staff::StaffUser,
    ip: Option<ClientIp>,
    now: time::OffsetDateTime,
) -> AppResult<()> {
    if o.payment_method != "cod" {
        return Ok(());
    }
    let who = Who::staff(staff.id, &staff.email, ip);
    store::record(
        tx,
        &Attempt {
            order_id: o.id,
            method: Method::Cod,
            amount: o.total,
            status: Status::Succeeded,
            reference: "",
            message: "Cash collected on delivery.",
        },
        &who,
        now,
    )?;
    Ok(())
}
