//! The buyer's order pages: /account/orders (list) and /account/orders/<id> for customers,
//! /orders/<id>?key=... for guests: status timeline, lines, totals, payment and shipping,
//! tracking number, and "cancel" while the window is open.

use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use serde_json::{json, Value};

use super::access::{self, OrderHead, Viewer};
use super::cancel;
use super::checkout::order_path;
use super::status;
use crate::accounts::countries::country_name;
use crate::accounts::guard::CustomerUser;
use crate::accounts::pages::{account_context, member_context};
use crate::clock::shown_time;
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::web::base_url::BaseUrl;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};

/// Everything the order page shows, read in one go.
fn detail(
    conn: &rusqlite::Connection,
    o: &OrderHead,
    now: time::OffsetDateTime,
) -> AppResult<Value> {
    let fmt = o.formatter();
    let lines: Vec<Value> = super::query::lines(conn, o.id)?
        .iter()
        .map(|l| {
            json!({ "name": l.name, "sku": l.sku, "unit_price": fmt(l.unit_price),
                    "quantity": l.quantity, "line_total": fmt(l.line_total),
                    "discount": if l.discount > 0 { fmt(l.discount) } else { String::new() },
                    "promotion": l.promotion })
        })
        .collect();
    let history: Vec<Value> = super::query::history(conn, o.id)?
        .iter()
        .map(|h| json!({ "status": h.to_status, "label": status::label(&h.to_status), "at": shown_time(&h.at) }))
        .collect();
    let cancel_refusal = cancel::customer_refusal(conn, o, now)?;
    Ok(json!({
        "id": o.id, "number": o.number, "status": o.status, "status_label": status::label(&o.status),
        "placed_at": shown_time(&o.placed_at), "email": o.email,
        "lines": lines, "history": history,
        "subtotal": fmt(o.subtotal), "discount": if o.discount > o.voucher_discount { fmt(o.discount - o.voucher_discount) } else { String::new() },
        "voucher_code": o.voucher_code, "voucher_discount": if o.voucher_discount > 0 { fmt(o.voucher_discount) } else { String::new() },
        "shipping": if o.shipping == 0 { "Free".to_string() } else { fmt(o.shipping) }, "total": fmt(o.total),
        "shipping_method": crate::cart::shipping::label(&o.shipping_method),
        "payment_method": crate::payments::label(&o.payment_method),
        "address": if o.ship_line1.is_empty() { Value::Null } else { json!({
            "name": o.ship_name, "line1": o.ship_line1, "line2": o.ship_line2, "city": o.ship_city,
            "postcode": o.ship_postcode, "country": country_name(&o.ship_country) }) },
        "tracking_number": o.tracking_number,
        "can_cancel": cancel_refusal.is_none(),
    }))
}

#[get("/account/orders")]
async fn list(me: CustomerUser, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let id = me.id();
    let orders = cx.db.read(move |c| access::of_customer(c, id)).await?;
    let shown: Vec<Value> = orders
        .iter()
        .map(|o| json!({ "id": o.id, "number": o.number, "placed_at": shown_time(&o.placed_at),
                          "status": o.status, "status_label": status::label(&o.status), "total": o.formatter()(o.total) }))
        .collect();
    let mut ctx = member_context(&page, &me, "orders");
    ctx.insert("orders", &shown);
    cx.tpl.page("storefront/account/orders.html.tera", &ctx)
}

/// The order page for its customer or, by the mailed link, its guest.
async fn show(
    page: &Page,
    cx: &Ctx<'_>,
    id: i64,
    viewer: Viewer,
    me: Option<&CustomerUser>,
    base_url: &str,
) -> AppResult<RawHtml<String>> {
    let (key_secret, now) = (Secret::clone(cx.secret), cx.clock.now());
    let v = viewer.clone();
    let base = base_url.to_string();
    let (view, payment) = cx
        .db
        .read(move |c| {
            let o = access::find(c, &key_secret, id, &v)?;
            let guest_key = match &v {
                Viewer::Guest(k) => Some(k.as_str()),
                Viewer::Customer(_) => None,
            };
            let payment =
                crate::payments::panel(c, &key_secret, &o, guest_key, &base, &o.formatter())?;
            Ok((detail(c, &o, now)?, payment))
        })
        .await?;
    let mut ctx = match me {
        Some(m) => member_context(page, m, "orders"),
        None => account_context(page),
    };
    ctx.insert("order", &view);
    ctx.insert("payment", &payment);
    ctx.insert(
        "guest_key",
        &match &viewer {
            Viewer::Guest(k) => k.clone(),
            Viewer::Customer(_) => String::new(),
        },
    );
    ctx.insert("guest", &me.is_none());
    cx.tpl.page(
        if me.is_some() {
            "storefront/account/order.html.tera"
        } else {
            "storefront/order_guest.html.tera"
        },
        &ctx,
    )
}

#[get("/account/orders/<id>")]
async fn account_order(
    id: i64,
    me: CustomerUser,
    page: Page,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    show(
        &page,
        &cx,
        id,
        Viewer::Customer(me.id()),
        Some(&me),
        &base.0,
    )
    .await
}

#[get("/orders/<id>?<key>")]
async fn guest_order(
    id: i64,
    key: &str,
    page: Page,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    show(
        &page,
        &cx,
        id,
        Viewer::Guest(key.to_string()),
        None,
        &base.0,
    )
    .await
}

#[derive(FromForm)]
pub struct CancelForm {
    #[field(default = String::new())]
    key: String,
}

#[post("/orders/<id>/cancel", data = "<form>")]
async fn cancel_order(
    id: i64,
    form: CsrfForm<CancelForm>,
    me: Option<CustomerUser>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let (viewer, actor) = match &me {
        Some(m) => (Viewer::Customer(m.id()), status::actor_customer(m.id())),
        None if !form.0.key.is_empty() => (Viewer::Guest(form.0.key.clone()), "guest".to_string()),
        None => return Err(access::not_found()),
    };
    let back = order_path(cx.secret, id, me.is_none());
    let (key_secret, now) = (Secret::clone(cx.secret), cx.clock.now());
    let done = cx
        .db
        .write(move |tx| cancel::by_buyer(tx, &key_secret, id, &viewer, &actor, &base.0, now))
        .await;
    match done {
        Ok(o) => Ok(flash_redirect(
            back,
            "success",
            format!("Order {} is cancelled.", o.number),
        )),
        Err(AppError::Conflict(why)) => Ok(flash_redirect(back, "error", why)),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, account_order, guest_order, cancel_order]
}
