//! Back office: orders. The list (filter by status, search by number or email) and an
//! order's page: lines, totals, address, payments, status history, and exactly the status
//! moves the database allows from here (a refused one shows why). Cancelling restocks;
//! shipping takes a tracking number. Marking an order paid records a payment, so it has a
//! button of its own (payments module) instead of being a plain status move.

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use serde_json::{json, Value};

use super::moves::{assign, staff_move, MoveRequest, Mover};
use super::{query, status};
use crate::accounts::countries::country_name;
use crate::clock::shown_time;
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::staff::perm::{ReadOrders, UpdateOrders};
use crate::staff::{nav, Can};
use crate::web::base_url::BaseUrl;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::pagination;

/// A stored UTC time as the back office shows it.
fn at(t: &str) -> String {
    shown_time(t)
}

fn row_json(o: &query::OrderSummary) -> Value {
    let cur =
        crate::money::Currency::find(&o.currency).unwrap_or_else(crate::money::Currency::fallback);
    json!({ "url": format!("/admin/orders/{}", o.id), "number": o.number, "email": o.email,
            "customer_name": o.customer_name, "customer_url": o.customer_id.map(|c| format!("/admin/customers/{c}")),
            "placed_at": at(&o.placed_at), "status": o.status, "status_label": status::label(&o.status),
            "total": cur.format(o.total), "payment": crate::payments::label(&o.payment_method),
            "courier": o.courier_name })
}

/// `{value, label, selected}` for a drop-down of codes (statuses, methods).
pub(super) fn options<L: Into<String>>(
    all: &[&str],
    selected: &str,
    label: impl Fn(&str) -> L,
) -> Vec<Value> {
    all.iter()
        .map(|s| json!({ "value": s, "label": label(s).into(), "selected": *s == selected }))
        .collect()
}

#[get("/admin/orders")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadOrders>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let f = query::OrderFilter::parse(&crate::web::query::pairs(uri))?;
    let f2 = f.clone();
    let ((orders, total), couriers) = cx
        .db
        .read(move |c| Ok((query::list(c, &f2)?, query::couriers(c)?)))
        .await?;
    let shown: Vec<Value> = orders.iter().map(row_json).collect();
    let mut ctx = nav::context(&page, &me.staff, "orders");
    ctx.insert("orders", &shown);
    ctx.insert("total_count", &total);
    ctx.insert("statuses", &options(status::ALL, &f.status, status::label));
    ctx.insert(
        "payments",
        &options(query::PAYMENT_METHODS, &f.payment, crate::payments::label),
    );
    ctx.insert(
        "sorts",
        &query::SORTS
            .iter()
            .map(|s| json!({ "value": s.0, "label": s.1, "selected": s.0 == f.sort }))
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "couriers",
        &couriers
            .iter()
            .map(|(id, name)| json!({ "id": id, "name": name, "selected": Some(*id) == f.courier_id }))
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "f",
        &json!({ "q": f.q, "customer": f.customer, "from": f.from, "to": f.to,
                 "customer_id": f.customer_id, "filtered": f.pairs().iter().any(|(_, v)| !v.is_empty()) }),
    );
    ctx.insert(
        "pagination",
        &pagination::for_list("/admin/orders", &f.pairs(), f.page, query::PER_PAGE, total),
    );
    cx.tpl.page("backoffice/orders.html.tera", &ctx)
}

/// The order's page as the template reads it.
fn view(c: &rusqlite::Connection, id: i64) -> AppResult<Value> {
    let (o, d) = query::detail(c, id)?;
    let money = o.formatter();
    let lines: Vec<Value> = d.lines.iter()
        .map(|l| json!({ "product_id": l.product_id, "name": l.name, "sku": l.sku, "unit_price": money(l.unit_price),
                          "quantity": l.quantity, "line_total": money(l.line_total),
                          "discount": if l.discount > 0 { money(l.discount) } else { String::new() }, "promotion": l.promotion }))
        .collect();
    let history: Vec<Value> = d.history.iter()
        .map(|h| json!({ "from": h.from_status.as_deref().map(status::label), "to": status::label(&h.to_status),
                          "at": at(&h.at), "actor": h.actor_name.clone().unwrap_or_else(|| h.actor.clone()), "actor_code": h.actor }))
        .collect();
    let payments: Vec<Value> = d.payments.iter()
        .map(|p| json!({ "method": crate::payments::label(&p.method), "amount": money(p.amount), "status": p.status,
                          "reference": p.reference, "message": p.message, "actor": p.actor, "at": at(&p.created_at) }))
        .collect();
    let mails: Vec<Value> = d.mails.iter()
        .map(|m| json!({ "url": format!("/admin/outbox/{}", m.id), "subject": m.subject, "status": m.status,
                          "to": m.to_address, "at": at(&m.created_at), "sent_at": m.sent_at.as_deref().map(at) }))
        .collect();
    let moves: Vec<Value> = d
        .allowed_moves
        .iter()
        .map(|to| json!({ "to": to, "label": status::label(to) }))
        .collect();
    let couriers: Vec<Value> = query::couriers(c)?
        .into_iter()
        .map(|(id, name)| json!({ "id": id, "name": name, "selected": Some(id) == d.summary.courier_id }))
        .collect();
    Ok(json!({
        "id": o.id, "number": o.number, "email": o.email, "status": o.status, "status_label": status::label(&o.status),
        "placed_at": at(&o.placed_at), "lines": lines, "history": history, "payments": payments, "mails": mails, "moves": moves,
        "editable": matches!(o.status.as_str(), "draft" | "pending_payment"),
        "subtotal": money(o.subtotal), "discount": money(o.discount - o.voucher_discount), "has_discount": o.discount > o.voucher_discount,
        "voucher_code": o.voucher_code, "voucher_discount": money(o.voucher_discount), "has_voucher": o.voucher_discount > 0,
        "shipping": money(o.shipping), "total": money(o.total),
        "shipping_method": crate::cart::shipping::label(&o.shipping_method), "payment_method": crate::payments::label(&o.payment_method),
        "address": if o.ship_line1.is_empty() { Value::Null } else { json!({ "name": o.ship_name, "line1": o.ship_line1, "line2": o.ship_line2, "city": o.ship_city, "postcode": o.ship_postcode, "country": country_name(&o.ship_country) }) },
        "tracking_number": o.tracking_number, "customer_id": o.customer_id, "customer_name": d.summary.customer_name,
        "courier": d.summary.courier_name, "couriers": couriers,
    }))
}

#[get("/admin/orders/<id>")]
async fn show(id: i64, me: Can<ReadOrders>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let view = cx.db.read(move |c| view(c, id)).await?;
    let mut ctx = nav::context(&page, &me.staff, "orders");
    ctx.insert("order", &view);
    cx.tpl.page("backoffice/order.html.tera", &ctx)
}

#[derive(FromForm)]
pub struct StatusForm {
    to: String,
    #[field(default = String::new())]
    tracking_number: String,
    #[field(default = String::new())]
    courier_id: String,
}

#[post("/admin/orders/<id>/status", data = "<form>")]
async fn change_status(
    id: i64,
    form: CsrfForm<StatusForm>,
    me: Can<UpdateOrders>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let f = form.0;
    let back = format!("/admin/orders/{id}");
    let m = MoveRequest {
        to: f.to.clone(),
        tracking_number: f.tracking_number,
        courier_id: f.courier_id.trim().parse().ok(),
    };
    let staff = me.staff.clone();
    let (s, now) = (Secret::clone(cx.secret), cx.clock.now());
    let done = cx
        .db
        .write(move |tx| staff_move(tx, &s, id, &m, &Mover::new(&staff, cx.ip), &base.0, now))
        .await;
    match done {
        Ok(()) => Ok(flash_redirect(
            back,
            "success",
            format!("The order is now {}.", status::label(&f.to).to_lowercase()),
        )),
        Err(AppError::Conflict(why) | AppError::Invalid(why)) => {
            Ok(flash_redirect(back, "error", why))
        }
        Err(e) => Err(e),
    }
}

#[derive(FromForm)]
pub struct CourierForm {
    #[field(default = String::new())]
    courier_id: String,
}

/// Assigns (or clears) the courier of an order; the trigger checks their role.
#[post("/admin/orders/<id>/courier", data = "<form>")]
async fn assign_courier(
    id: i64,
    form: CsrfForm<CourierForm>,
    me: Can<UpdateOrders>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let back = format!("/admin/orders/{id}");
    let courier: Option<i64> = form.0.courier_id.trim().parse().ok();
    let staff = me.staff.clone();
    let done = cx
        .db
        .write(move |tx| assign(tx, id, courier, &Mover::new(&staff, cx.ip)))
        .await;
    match done {
        Ok(()) => Ok(flash_redirect(back, "success", "The courier is saved.")),
        Err(AppError::Conflict(why)) => Ok(flash_redirect(back, "error", why)),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, show, change_status, assign_courier]
}
