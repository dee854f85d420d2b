//! Paying from a request: the web form and the API both call `pay`, PayPal's return and
//! cancel pages call `paypal_return` and `paypal_cancel`. Talking to PayPal happens on a
//! blocking thread between two short write transactions, never while holding the
//! database's writer; the second transaction looks at the order again, so a state that
//! changed meanwhile is refused there.

use rusqlite::Connection;
use time::OffsetDateTime;

use super::pay::{self, state_refusal, Outcome, PayRequest, Refusal, Step};
use super::paypal::{self, Captured, Config, Created, NewOrder};
use super::store::{self, Attempt, Status, Who};
use super::Method;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::orders::access::{self, OrderHead, Viewer};
use crate::orders::mails::move_and_tell;
use crate::secret::Secret;
use crate::settings;

/// Who PayPal's verified answers are recorded as.
pub const PAYPAL: &str = "paypal";

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    rocket::tokio::task::spawn_blocking(f)
        .await
        .map_err(AppError::internal)
}

/// One attempt to pay, for `viewer`; returns what it came to and the order as it is now.
/// Errors only for what is not an attempt: 404 (not their order), a broken database.
#[allow(clippy::too_many_arguments)]
pub async fn pay(
    db: &Db,
    secret: &Secret,
    order_id: i64,
    viewer: Viewer,
    req: PayRequest,
    who: Who,
    base_url: String,
    now: OffsetDateTime,
) -> AppResult<(Outcome, OrderHead)> {
    let (s, w, base) = (secret.clone(), who.clone(), base_url.clone());
    let step = db
        .write(move |tx| pay::attempt(tx, &s, order_id, &viewer, &req, &w, &base, now))
        .await?;
    let outcome = match step {
        Step::Done(outcome) => outcome,
        Step::PayPal(order) => {
            let s = secret.clone();
            let (cfg, shop) = db
                .read(move |c| Ok((Config::load(c, &s)?, settings::get(c, "shop.name")?)))
                .await?;
            let new = NewOrder::for_order(&order, &shop, &base_url);
            let created = match cfg {
                None => Err(
                    "PayPal is not set up in this shop yet; please contact the shop to pay.".into(),
                ),
                Some(cfg) => blocking(move || paypal::create_order(&cfg, &new)).await?,
            };
            db.write(move |tx| paypal_started(tx, order_id, created, &who, now))
                .await?
        }
    };
    let order = db.read(move |c| access::get(c, order_id)).await?;
    Ok((outcome, order))
}

/// Records what creating the PayPal order came to: `started` with its id (the buyer goes
/// to PayPal next), or `failed` with the reason.
pub fn paypal_started(
    conn: &Connection,
    order_id: i64,
    created: Result<Created, String>,
    who: &Who,
    now: OffsetDateTime,
) -> AppResult<Outcome> {
    let o = access::get(conn, order_id)?;
    let (status, reference, message, outcome) = match created {
        Err(why) => {
            tracing::warn!("PayPal payment of order {} not started: {why}", o.number);
            let msg =
                format!("The payment could not be started at PayPal; nothing was charged. {why}");
            (
                Status::Failed,
                String::new(),
                msg.clone(),
                Outcome::Failed(msg),
            )
        }
        Ok(_) if state_refusal(&o).is_some() => {
            let why = state_refusal(&o).unwrap_or_default();
            let outcome = Outcome::Refused {
                why: Refusal::State,
                message: why.clone(),
            };
            (Status::Refused, String::new(), why, outcome)
        }
        Ok(c) => (
            Status::Started,
            c.id,
            "Sent to PayPal to approve the payment.".to_string(),
            Outcome::Redirect(c.approve_url),
        ),
    };
    store::record(
        conn,
        &Attempt {
            order_id,
            method: Method::Paypal,
            amount: o.total,
            status,
            reference: &reference,
            message: &message,
        },
        who,
        now,
    )?;
    Ok(outcome)
}

/// The PayPal order `token` must be one the shop started for this order; else 404.
fn started(conn: &Connection, order_id: i64, token: &str) -> AppResult<OrderHead> {
    let o = access::get(conn, order_id)?;
    if !paypal::valid_id(token)
        || store::find(conn, order_id, Method::Paypal, Status::Started, token)?.is_none()
    {
        return Err(AppError::NotFound(
            "There is no such PayPal payment for this order.".into(),
        ));
    }
    Ok(o)
}

/// The buyer is back from approving PayPal order `token`: capture it, and mark the order
/// paid only if `paypal::verify` accepts the capture.
pub async fn paypal_return(
    db: &Db,
    secret: &Secret,
    order_id: i64,
    token: String,
    who: Who,
    base_url: String,
    now: OffsetDateTime,
) -> AppResult<(Outcome, OrderHead)> {
    let (s, t) = (secret.clone(), token.clone());
    let (order, cfg, done) = db
        .read(move |c| {
            let o = started(c, order_id, &t)?;
            let done = store::find(c, order_id, Method::Paypal, Status::Succeeded, &t)?.is_some();
            Ok((o, Config::load(c, &s)?, done))
        })
        .await?;
    if done {
        // A reload of the return page: already captured and recorded.
        return Ok((Outcome::Paid, order));
    }
    let captured = if state_refusal(&order).is_some() {
        None
    } else {
        Some(match cfg {
            None => Err("PayPal is not set up in this shop any more.".to_string()),
            Some(cfg) => {
                let t = token.clone();
                blocking(move || paypal::capture(&cfg, &t)).await?
            }
        })
    };
    let s = secret.clone();
    let outcome = db
        .write(move |tx| paypal_captured(tx, &s, order_id, &token, captured, &who, &base_url, now))
        .await?;
    let order = db.read(move |c| access::get(c, order_id)).await?;
    Ok((outcome, order))
}

/// Records what capturing came to; only a verified capture marks the order paid. `None`:
/// the order was no longer waiting for payment, so nothing was captured.
#[allow(clippy::too_many_arguments)]
pub fn paypal_captured(
    conn: &Connection,
    secret: &Secret,
    order_id: i64,
    paypal_id: &str,
    captured: Option<Result<Captured, String>>,
    who: &Who,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<Outcome> {
    let o = access::get(conn, order_id)?;
    if store::find(conn, order_id, Method::Paypal, Status::Succeeded, paypal_id)?.is_some() {
        // Two returns at once: the other one recorded this very capture already.
        return Ok(Outcome::Paid);
    }
    let record = |status: Status, message: &str| {
        store::record(
            conn,
            &Attempt {
                order_id,
                method: Method::Paypal,
                amount: o.total,
                status,
                reference: paypal_id,
                message,
            },
            who,
            now,
        )
    };
    let capture = match captured {
        None => {
            let why = state_refusal(&o).unwrap_or_default();
            record(Status::Refused, &why)?;
            return Ok(Outcome::Refused {
                why: Refusal::State,
                message: why,
            });
        }
        Some(Err(why)) => {
            tracing::warn!("PayPal capture for order {} failed: {why}", o.number);
            let msg = format!(
                "The payment could not be completed at PayPal; the order is not paid yet. {why}"
            );
            record(Status::Failed, &msg)?;
            return Ok(Outcome::Failed(msg));
        }
        Some(Ok(Captured::Refused(why))) => {
            let msg = format!(
                "PayPal refused the payment ({why}), so the order is not paid. You can try again."
            );
            record(Status::Refused, &msg)?;
            return Ok(Outcome::Refused {
                why: Refusal::Declined,
                message: msg,
            });
        }
        Some(Ok(Captured::Answer(c))) => c,
    };
    if let Err(why) = paypal::verify(&o, &capture) {
        record(Status::Refused, &why)?;
        return Ok(Outcome::Refused {
            why: Refusal::Declined,
            message: why,
        });
    }
    if let Some(why) = state_refusal(&o) {
        // Paid another way while the buyer was at PayPal: the money came twice.
        let msg = format!(
            "PayPal took the payment (capture {}), but {} The shop will refund it.",
            capture.capture_id,
            why.to_lowercase().replacen("this order", "the order", 1)
        );
        record(Status::Refused, &msg)?;
        return Ok(Outcome::Refused {
            why: Refusal::State,
            message: msg,
        });
    }
    record(
        Status::Succeeded,
        &format!("Captured by PayPal (capture {}).", capture.capture_id),
    )?;
    move_and_tell(
        conn,
        secret,
        order_id,
        "paid",
        PAYPAL,
        "Paid with PayPal.",
        base_url,
        now,
    )?;
    Ok(Outcome::Paid)
}

/// The buyer cancelled at PayPal: recorded; the order still waits for payment.
pub fn paypal_cancel(
    conn: &Connection,
    order_id: i64,
    token: &str,
    who: &Who,
    now: OffsetDateTime,
) -> AppResult<(Outcome, OrderHead)> {
    let o = started(conn, order_id, token)?;
    let message = "You cancelled the payment at PayPal; nothing was charged. You can pay again.";
    store::record(
        conn,
        &Attempt {
            order_id,
            method: Method::Paypal,
            amount: o.total,
            status: Status::Refused,
            reference: token,
            message,
        },
        who,
        now,
    )?;
    Ok((
        Outcome::Refused {
            why: Refusal::Declined,
            message: message.into(),
        },
        o,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::paypal::Capture;

    fn shop() -> (tempfile::TempDir, Db, Secret, i64) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let secret = Secret::load_or_create(&dir.path().join("secret.key")).unwrap();
        let id = db
            .write_blocking(|tx| {
                crate::mail::templates::seed(tx)?;
                tx.execute(
                    "INSERT INTO orders (number, email, status, currency, subtotal, shipping, total,
                                         shipping_method, payment_method, placed_at, updated_at)
                     VALUES ('2026-000001', 'a@b.test', 'pending_payment', 'EUR', 1234, 0, 1234,
                             'pickup', 'paypal', '2026-11-22T10:00:00Z', '2026-11-22T10:00:00Z')",
                    [],
                )?;
                Ok(tx.last_insert_rowid())
            })
            .unwrap();
        (dir, db, secret, id)
    }

    fn completed() -> Option<Result<Captured, String>> {
        Some(Ok(Captured::Answer(Capture {
            order_status: "COMPLETED".into(),
            capture_id: "CAP1".into(),
            status: "COMPLETED".into(),
            currency: "EUR".into(),
            value: "12.34".into(),
        })))
    }

    fn rows(db: &Db, id: i64) -> Vec<String> {
        db.read_blocking(|c| store::list(c, id))
            .unwrap()
            .into_iter()
            .map(|p| p.status)
            .collect()
    }

    #[test]
    fn two_returns_with_one_capture_pay_once_and_a_capture_after_another_payment_is_flagged() {
        let (_dir, db, secret, id) = shop();
        let now = time::OffsetDateTime::now_utc();
        let who = Who::provider(PAYPAL, None);
        let started = Created {
            id: "PP1".into(),
            approve_url: "https://paypal.test/approve".into(),
        };
        let out = db
            .write_blocking(|tx| paypal_started(tx, id, Ok(started), &who, now))
            .unwrap();
        assert_eq!(out, Outcome::Redirect("https://paypal.test/approve".into()));
        for _ in 0..2 {
            let out = db
                .write_blocking(|tx| {
                    paypal_captured(tx, &secret, id, "PP1", completed(), &who, "http://x", now)
                })
                .unwrap();
            assert_eq!(out, Outcome::Paid);
        }
        assert_eq!(rows(&db, id), ["started", "succeeded"]);

        // Another PayPal order captured after the order was paid: flagged for a refund,
        // never a second "succeeded".
        let out = db
            .write_blocking(|tx| {
                paypal_captured(tx, &secret, id, "PP2", completed(), &who, "http://x", now)
            })
            .unwrap();
        let Outcome::Refused { message, .. } = out else {
            panic!("{out:?}")
        };
        assert!(
            message.contains("CAP1") && message.contains("refund"),
            "{message}"
        );
        assert_eq!(rows(&db, id), ["started", "succeeded", "refused"]);
    }
}
