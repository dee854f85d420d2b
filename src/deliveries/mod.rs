//! Back office: deliveries (area `deliveries`). A courier sees the orders in `shipped`
//! assigned to them and marks each delivered; staff who may read orders see every
//! shipped order, with a courier filter. A courier cannot touch another courier's
//! delivery: it answers 404, as if it did not exist. Cash on delivery is recorded as paid
//! (a `succeeded` payment row) when the courier marks it delivered (DESIGN §4).

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes};
use serde_json::{json, Value};

use crate::accounts::countries::country_name;
use crate::audit;
use crate::clock::shown_time;
use crate::error::{AppError, AppResult};
use crate::orders::{access, mails, query, status};
use crate::secret::Secret;
use crate::staff::perm::{Action, ReadDeliveries, UpdateDeliveries};
use crate::staff::{nav, Can, StaffUser};
use crate::web::base_url::BaseUrl;
use crate::web::client::ClientIp;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::pagination;

/// Staff who may read orders see every delivery; a courier only their own.
fn sees_all(staff: &StaffUser) -> bool {
    staff.perms.can("orders", Action::Read)
}

#[get("/admin/deliveries")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadDeliveries>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let mut f = query::OrderFilter::parse(&crate::web::query::pairs(uri))?;
    f.status = "shipped".into();
    f.sort = if f.sort == "newest" {
        "oldest".into()
    } else {
        f.sort
    };
    let all = sees_all(&me.staff);
    if !all {
        f.courier_id = Some(me.staff.id);
    }
    let f2 = f.clone();
    let (rows, total, couriers, extra) = cx
        .db
        .read(move |c| {
            let (rows, total) = query::list(c, &f2)?;
            let mut extra = Vec::new();
            for r in &rows {
                let o = access::get(c, r.id)?;
                let phone: Option<String> = match o.customer_id {
                    Some(id) => crate::accounts::store::get(c, id)?.map(|c| c.phone),
                    None => None,
                };
                extra.push((o, phone));
            }
            Ok((rows, total, query::couriers(c)?, extra))
        })
        .await?;
    let shown: Vec<Value> = rows
        .iter()
        .zip(extra.iter())
        .map(|(r, (o, phone))| {
            let money = o.formatter();
            json!({
                "id": r.id, "number": r.number, "customer_name": r.customer_name, "email": r.email,
                "phone": phone, "tracking_number": r.tracking_number, "courier": r.courier_name,
                "placed_at": shown_time(&r.placed_at), "total": money(r.total),
                "cod": r.payment_method == "cod", "payment": crate::payments::label(&r.payment_method),
                "order_url": format!("/admin/orders/{}", r.id),
                "address": if o.ship_line1.is_empty() { Value::Null } else { json!({ "name": o.ship_name, "line1": o.ship_line1, "line2": o.ship_line2, "city": o.ship_city, "postcode": o.ship_postcode, "country": country_name(&o.ship_country) }) },
            })
        })
        .collect();
    let mut ctx = nav::context(&page, &me.staff, "deliveries");
    ctx.insert("deliveries", &shown);
    ctx.insert("sees_all", &all);
    ctx.insert(
        "couriers",
        &couriers
            .iter()
            .map(|(id, name)| json!({ "id": id, "name": name, "selected": Some(*id) == f.courier_id }))
            .collect::<Vec<_>>(),
    );
    let keep: Vec<(&str, String)> = if all {
        vec![(
            "courier",
            f.courier_id.map(|c| c.to_string()).unwrap_or_default(),
        )]
    } else {
        Vec::new()
    };
    ctx.insert(
        "pagination",
        &pagination::for_list("/admin/deliveries", &keep, f.page, query::PER_PAGE, total),
    );
    cx.tpl.page("backoffice/deliveries.html.tera", &ctx)
}

/// Marks a shipped order delivered, for its courier (or staff who may change orders), in
/// one transaction: the move (history row), the buyer's mail when a template for it
/// exists, cash collected for COD, and the audit entry.
pub fn mark_delivered(
    tx: &rusqlite::Connection,
    secret: &Secret,
    id: i64,
    staff: &StaffUser,
    ip: Option<ClientIp>,
    base_url: &str,
    now: time::OffsetDateTime,
) -> AppResult<()> {
    let mine = || AppError::NotFound("There is no such delivery assigned to you.".into());
    let o = access::get(tx, id).map_err(|_| mine())?;
    let courier: Option<i64> =
        tx.query_row("SELECT courier_id FROM orders WHERE id = ?1", [id], |r| {
            r.get(0)
        })?;
    let may_any = staff.perms.can("orders", Action::Update);
    if courier != Some(staff.id) && !may_any {
        return Err(mine());
    }
    if o.status == "delivered" {
        return Err(AppError::Conflict(
            "This order is already delivered.".into(),
        ));
    }
    let actor = status::actor_staff(staff.id);
    mails::move_and_tell(tx, secret, id, "delivered", &actor, "", base_url, now)?;
    crate::payments::pay::cash_collected(tx, &o, staff, ip, now)?;
    audit::record(
        tx,
        &audit::Entry::event("deliveries", "delivery.delivered")
            .actor(staff.actor())
            .ip(ip)
            .entity("order", id)
            .details(json!({ "old": { "status": o.status }, "new": { "status": "delivered" } })),
    )
}

#[post("/admin/deliveries/<id>/delivered", data = "<_form>")]
async fn delivered(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateDeliveries>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let staff = me.staff.clone();
    let (s, now) = (Secret::clone(cx.secret), cx.clock.now());
    let done = cx
        .db
        .write(move |tx| mark_delivered(tx, &s, id, &staff, Some(cx.ip), &base.0, now))
        .await;
    match done {
        Ok(()) => Ok(flash_redirect(
            "/admin/deliveries".into(),
            "success",
            "Marked delivered. Thank you!",
        )),
        Err(AppError::Conflict(why)) => {
            Ok(flash_redirect("/admin/deliveries".into(), "error", why))
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, delivered]
}
