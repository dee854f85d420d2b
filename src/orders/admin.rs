//! Back office: orders. The list (filter by status, search by number or email) and an
//! order's page: lines, totals, address, payments, status history, and exactly the status
//! moves the database allows from here (a refused one shows why). Cancelling restocks;
//! shipping takes a tracking number. Marking an order paid records a payment, so it has a
//! button of its own (payments module) instead of being a plain status move.

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm, State};
use rusqlite::params;
use serde_json::{json, Value};

use super::access::{self, OrderHead};
use super::{cancel, mails, status};
use crate::accounts::guard::BaseUrl;
use crate::accounts::pages::country_name;
use crate::audit;
use crate::clock::{shown_time, Clock};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::staff::perm::{ReadOrders, UpdateOrders};
use crate::staff::{nav, Can};
use crate::web::client::ClientIp;
use crate::web::csrf::CsrfForm;
use crate::web::page::{flash_redirect, Page};
use crate::web::pagination;
use crate::web::query::ListQuery;
use crate::web::templates::Templates;

const PER_PAGE: u32 = 50;

#[get("/admin/orders")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadOrders>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let list = ListQuery::parse(uri, &[("status", status::ALL)])?;
    let (st, q, page_no) = (list.filter("status"), list.q.clone(), list.page);
    let (s2, q2) = (st.clone(), q.clone());
    let (orders, total) = db
        .read(move |c| {
            let like = crate::db::like_contains(&q2);
            let filter = "(?1 = '' OR status = ?1) AND (?2 = '' OR number LIKE ?3 ESCAPE '\\' OR email LIKE ?3 ESCAPE '\\')";
            let total: i64 = c.query_row(
                &format!("SELECT count(*) FROM orders WHERE {filter}"),
                params![s2, q2, like],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(&format!(
                "SELECT {} FROM orders WHERE {filter} ORDER BY id DESC LIMIT ?4 OFFSET ?5",
                access::COLUMNS
            ))?;
            let rows: Vec<OrderHead> = stmt
                .query_map(
                    params![s2, q2, like, PER_PAGE, (page_no as i64 - 1) * PER_PAGE as i64],
                    access::head,
                )?
                .collect::<Result<_, _>>()?;
            Ok((rows, total as u64))
        })
        .await?;
    let shown: Vec<Value> = orders
        .iter()
        .map(|o| json!({ "url": format!("/admin/orders/{}", o.id), "number": o.number, "email": o.email,
                          "placed_at": shown_time(&o.placed_at), "status": o.status, "status_label": status::label(&o.status),
                          "total": o.formatter()(o.total), "payment": crate::payments::label(&o.payment_method) }))
        .collect();
    let mut ctx = nav::context(&page, &me.staff, "orders");
    ctx.insert("orders", &shown);
    ctx.insert(
        "statuses",
        &status::ALL
            .iter()
            .map(|s| json!({ "value": s, "label": status::label(s), "selected": *s == st }))
            .collect::<Vec<_>>(),
    );
    ctx.insert("q", &q);
    ctx.insert(
        "pagination",
        &pagination::for_list(
            "/admin/orders",
            &[("status", st), ("q", q.clone())],
            page_no,
            PER_PAGE,
            total,
        ),
    );
    tpl.page("backoffice/orders.html.tera", &ctx)
}

fn detail(c: &rusqlite::Connection, o: &OrderHead) -> AppResult<Value> {
    let money = o.formatter();
    let mut stmt = c.prepare_cached("SELECT name, sku, unit_price, quantity, line_total FROM order_lines WHERE order_id = ?1 ORDER BY id")?;
    let lines: Vec<Value> = stmt
        .query_map([o.id], |r| Ok(json!({ "name": r.get::<_, String>(0)?, "sku": r.get::<_, String>(1)?, "unit_price": money(r.get(2)?), "quantity": r.get::<_, i64>(3)?, "line_total": money(r.get(4)?) })))?
        .collect::<Result<_, _>>()?;
    let mut stmt = c.prepare_cached("SELECT from_status, to_status, at, actor FROM order_status_history WHERE order_id = ?1 ORDER BY id")?;
    let history: Vec<Value> = stmt
        .query_map([o.id], |r| {
            let from: Option<String> = r.get(0)?;
            let to: String = r.get(1)?;
            Ok(json!({ "from": from.as_deref().map(status::label), "to": status::label(&to), "at": shown_time(&r.get::<_, String>(2)?), "actor": r.get::<_, String>(3)? }))
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = c.prepare_cached("SELECT method, amount, status, reference, message, actor, created_at FROM payments WHERE order_id = ?1 ORDER BY id")?;
    let payments: Vec<Value> = stmt
        .query_map([o.id], |r| Ok(json!({ "method": crate::payments::label(&r.get::<_, String>(0)?), "amount": money(r.get(1)?), "status": r.get::<_, String>(2)?, "reference": r.get::<_, String>(3)?, "message": r.get::<_, String>(4)?, "actor": r.get::<_, String>(5)?, "at": shown_time(&r.get::<_, String>(6)?) })))?
        .collect::<Result<_, _>>()?;
    let moves: Vec<Value> = status::allowed_from(c, &o.status)?
        .into_iter()
        .filter(|to| to != "paid")
        .map(|to| json!({ "to": to, "label": status::label(&to) }))
        .collect();
    Ok(json!({
        "id": o.id, "number": o.number, "email": o.email, "status": o.status, "status_label": status::label(&o.status),
        "placed_at": shown_time(&o.placed_at), "lines": lines, "history": history, "payments": payments, "moves": moves,
        "can_mark_paid": o.status == "pending_payment",
        "subtotal": money(o.subtotal), "discount": money(o.discount), "shipping": money(o.shipping), "total": money(o.total),
        "shipping_method": crate::cart::shipping::label(&o.shipping_method), "payment_method": crate::payments::label(&o.payment_method),
        "address": if o.ship_line1.is_empty() { Value::Null } else { json!({ "name": o.ship_name, "line1": o.ship_line1, "line2": o.ship_line2, "city": o.ship_city, "postcode": o.ship_postcode, "country": country_name(&o.ship_country) }) },
        "tracking_number": o.tracking_number, "customer_id": o.customer_id,
    }))
}

#[get("/admin/orders/<id>")]
async fn show(
    id: i64,
    me: Can<ReadOrders>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let view = db.read(move |c| detail(c, &access::get(c, id)?)).await?;
    let mut ctx = nav::context(&page, &me.staff, "orders");
    ctx.insert("order", &view);
    tpl.page("backoffice/order.html.tera", &ctx)
}

#[derive(FromForm)]
pub struct StatusForm {
    to: String,
    #[field(default = String::new())]
    tracking_number: String,
}

#[allow(clippy::too_many_arguments)]
#[post("/admin/orders/<id>/status", data = "<form>")]
async fn change_status(
    id: i64,
    form: CsrfForm<StatusForm>,
    me: Can<UpdateOrders>,
    ip: ClientIp,
    base: BaseUrl,
    db: &State<Db>,
    secret: &State<Secret>,
    clock: &State<Clock>,
) -> AppResult<Flash<Redirect>> {
    let f = form.0;
    let back = format!("/admin/orders/{id}");
    if f.to == "paid" {
        return Ok(flash_redirect(
            back,
            "error",
            "Use “Record payment” to mark an order paid, so the payment is on record.",
        ));
    }
    let tracking = f.tracking_number.trim().to_string();
    if f.to == "shipped" && (tracking.is_empty() || tracking.chars().count() > 100) {
        return Ok(flash_redirect(
            back,
            "error",
            "Enter the tracking number (up to 100 characters) to mark the order shipped.",
        ));
    }
    let staff = me.staff.clone();
    let (s, now) = (Secret::clone(secret), clock.now());
    let to = f.to.clone();
    let done = db
        .write(move |tx| {
            let before = access::get(tx, id)?;
            let actor = status::actor_staff(staff.id);
            if to == "shipped" {
                tx.execute(
                    "UPDATE orders SET tracking_number = ?2 WHERE id = ?1",
                    params![id, tracking],
                )?;
            }
            let reason = if to == "cancelled" {
                "Cancelled by the shop."
            } else {
                ""
            };
            mails::move_and_tell(tx, &s, id, &to, &actor, reason, &base.0, now)?;
            if to == "cancelled" {
                cancel::restock(tx, id, &actor, now)?;
            }
            audit::record(
                tx,
                &audit::Entry::event("orders", "order.status")
                    .actor(staff.actor())
                    .ip(Some(ip))
                    .entity("order", id)
                    .details(json!({ "old": before.status, "new": to })),
            )
        })
        .await;
    match done {
        Ok(()) => Ok(flash_redirect(
            back,
            "success",
            format!("The order is now {}.", status::label(&f.to).to_lowercase()),
        )),
        Err(AppError::Conflict(why)) => Ok(flash_redirect(back, "error", why)),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, show, change_status]
}
