//! Storefront and back-office routes of payments:
//!
//! - `POST /orders/<id>/pay` — the panel's forms (fields `method`, `amount`, and `key` for
//!   a guest's order); back to the order page with a message, or on to PayPal.
//! - `GET /orders/<id>/payment-qr.png[?key=]` — the bank-transfer QR code, for the order's
//!   customer or the holder of its link (404 for anyone else).
//! - `GET /orders/<id>/paypal/return?token=` and `/paypal/cancel?token=` — PayPal sends the
//!   buyer back here; the token must be a PayPal order the shop started for this order.
//! - `POST /admin/orders/<id>/mark-paid` — staff with `orders` update permission record
//!   the money as received (field `reference`); back to `/admin/orders/<id>`.

use rocket::form::FromForm;
use rocket::http::Header;
use rocket::response::{Flash, Redirect, Responder};
use rocket::{get, post, routes};

use super::flow;
use super::offline;
use super::pay::{self, Amount, Outcome, PayRequest};
use super::store::Who;
use crate::accounts::guard::CustomerUser;
use crate::error::{AppError, AppResult};
use crate::orders::access::{self, OrderHead, Viewer};
use crate::orders::mails::order_url;
use crate::secret::Secret;
use crate::staff::perm::UpdateOrders;
use crate::staff::Can;
use crate::web::base_url::BaseUrl;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::flash_redirect;

#[derive(FromForm)]
pub struct PayForm {
    method: String,
    amount: Option<String>,
    key: Option<String>,
}

#[derive(Responder)]
pub enum Answer {
    Back(Flash<Redirect>),
    /// To PayPal's approval page.
    Away(Redirect),
}

/// Who is looking: the holder of a guest link (its key), else the logged-in customer.
fn viewer(me: Option<&CustomerUser>, key: Option<&str>) -> Option<Viewer> {
    match (key.map(str::trim).filter(|k| !k.is_empty()), me) {
        (Some(k), _) => Some(Viewer::Guest(k.to_string())),
        (None, Some(c)) => Some(Viewer::Customer(c.id())),
        (None, None) => None,
    }
}

/// The order page this viewer came from.
fn back_to(id: i64, viewer: &Viewer) -> String {
    match viewer {
        Viewer::Guest(key) => format!("/orders/{id}?key={key}"),
        Viewer::Customer(_) => format!("/account/orders/{id}"),
    }
}

fn flash_kind(o: &Outcome) -> &'static str {
    match o {
        Outcome::Paid | Outcome::Processing | Outcome::Waiting => "success",
        _ => "error",
    }
}

#[post("/orders/<id>/pay", data = "<form>")]
async fn pay_form(
    id: i64,
    form: CsrfForm<PayForm>,
    me: Option<CustomerUser>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    let viewer = viewer(me.as_ref(), f.key.as_deref()).ok_or_else(access::not_found)?;
    // The buyer is who holds the link, or the logged-in customer.
    let who = match (&viewer, &me) {
        (Viewer::Customer(_), Some(c)) => Who::customer(c.id(), &c.customer.email, Some(cx.ip)),
        _ => Who::guest(Some(cx.ip)),
    };
    let req = PayRequest {
        method: f.method,
        amount: f.amount.map_or(Amount::None, Amount::Typed),
    };
    let back = back_to(id, &viewer);
    let (outcome, _) = flow::pay(
        cx.db,
        cx.secret,
        id,
        viewer,
        req,
        who,
        base.0,
        cx.clock.now(),
    )
    .await?;
    Ok(match outcome {
        Outcome::Redirect(url) => Answer::Away(Redirect::to(url)),
        o => Answer::Back(flash_redirect(back, flash_kind(&o), o.message())),
    })
}

#[derive(Responder)]
#[response(content_type = "image/png")]
pub struct Png {
    body: Vec<u8>,
    cache: Header<'static>,
}

#[get("/orders/<id>/payment-qr.png?<key>")]
async fn payment_qr(
    id: i64,
    key: Option<String>,
    me: Option<CustomerUser>,
    cx: Ctx<'_>,
) -> AppResult<Png> {
    let viewer = viewer(me.as_ref(), key.as_deref()).ok_or_else(access::not_found)?;
    let s = cx.secret.clone();
    let png = cx
        .db
        .read(move |c| {
            let o = access::find(c, &s, id, &viewer)?;
            offline::qr_png(c, &o)
        })
        .await?
        .ok_or_else(|| AppError::NotFound("This order has no payment QR code.".into()))?;
    Ok(Png {
        body: png,
        cache: Header::new("Cache-Control", "private, no-store"),
    })
}

fn back_from_paypal(secret: &Secret, o: &OrderHead, outcome: &Outcome) -> Flash<Redirect> {
    flash_redirect(
        order_url(secret, o, ""),
        flash_kind(outcome),
        outcome.message(),
    )
}

#[get("/orders/<id>/paypal/return?<token>")]
async fn paypal_return(
    id: i64,
    token: String,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let who = Who::provider(flow::PAYPAL, Some(cx.ip));
    let (outcome, order) =
        flow::paypal_return(cx.db, cx.secret, id, token, who, base.0, cx.clock.now()).await?;
    Ok(back_from_paypal(cx.secret, &order, &outcome))
}

#[get("/orders/<id>/paypal/cancel?<token>")]
async fn paypal_cancel(id: i64, token: String, cx: Ctx<'_>) -> AppResult<Flash<Redirect>> {
    let who = Who::provider(flow::PAYPAL, Some(cx.ip));
    let now = cx.clock.now();
    let (outcome, order) = cx
        .db
        .write(move |tx| flow::paypal_cancel(tx, id, &token, &who, now))
        .await?;
    Ok(back_from_paypal(cx.secret, &order, &outcome))
}

#[derive(FromForm)]
pub struct MarkPaidForm {
    reference: Option<String>,
}

#[post("/admin/orders/<id>/mark-paid", data = "<form>")]
async fn mark_paid(
    id: i64,
    form: CsrfForm<MarkPaidForm>,
    me: Can<UpdateOrders>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let who = Who::staff(me.staff.id, &me.staff.email, Some(cx.ip));
    let reference = form.0.reference.unwrap_or_default();
    let s = cx.secret.clone();
    let now = cx.clock.now();
    let back = format!("/admin/orders/{id}");
    let res = cx
        .db
        .write(move |tx| pay::mark_paid(tx, &s, id, &who, &reference, &base.0, now))
        .await;
    Ok(match res {
        Ok(Outcome::Paid) => flash_redirect(back, "success", "The order is marked paid."),
        Ok(o) => flash_redirect(back, "error", o.message()),
        Err(AppError::Invalid(m)) => flash_redirect(back, "error", m),
        Err(e) => return Err(e),
    })
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        pay_form,
        payment_qr,
        paypal_return,
        paypal_cancel,
        mark_paid
    ]
}
