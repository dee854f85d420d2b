//! Back office: vouchers (`/admin/vouchers`, area `vouchers`). The list filtered by state,
//! customer and code, a voucher's page to create or change it (an unused one), and
//! deleting an unused one. A used voucher stays as it was, with its order.

use rocket::http::uri::Origin;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes};
use rusqlite::OptionalExtension;
use serde_json::{json, Value};

use super::form::{check, Errors, VoucherForm};
use super::rule::{shop_day, Voucher};
use super::store::{self, Filter};
use crate::clock::to_shop_time;
use crate::error::{AppError, AppResult};
use crate::marketing::shop;
use crate::money::Currency;
use crate::staff::perm::{CreateVouchers, DeleteVouchers, ReadVouchers, UpdateVouchers};
use crate::staff::{nav, By, Can, StaffUser};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::pagination;
use crate::web::query::ListQuery;

const URL: &str = "/admin/vouchers";
const STATES: [&str; 3] = ["unused", "used", "expired"];
const PER_PAGE: u32 = 50;

fn state_label(s: &str) -> &'static str {
    match s {
        "usable" => "Unused",
        "scheduled" => "Not valid yet",
        "used" => "Used",
        _ => "Expired",
    }
}

fn row_json(v: &Voucher, cur: &Currency, offset: i64, now: &str) -> Value {
    let state = v.state(now);
    json!({
        "id": v.id, "url": format!("{URL}/{}", v.id), "code": v.code,
        "customer": v.customer_email, "customer_id": v.customer_id,
        "discount": v.badge(&|m| cur.format(m)),
        "min_subtotal": (v.min_subtotal > 0).then(|| cur.format(v.min_subtotal)),
        "valid": format!("{} – {}", shop_day(&v.valid_from, false, now, offset), shop_day(&v.valid_to, true, now, offset)),
        "state": state, "state_label": state_label(state),
        "order": v.order_number, "order_url": v.order_id.map(|id| format!("/admin/orders/{id}")),
        "used_at": v.used_at.as_ref().map(|t| to_shop_time(t, offset).replace('T', " ")),
        "note": v.note,
    })
}

#[get("/admin/vouchers")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadVouchers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let q = ListQuery::parse(uri, &[("state", &STATES)])?;
    let state = q.filter("state");
    let customer_q = crate::web::query::pairs(uri)
        .into_iter()
        .find(|(k, _)| k == "customer")
        .map(|(_, v)| v.trim().chars().take(254).collect::<String>())
        .unwrap_or_default();
    let now = cx.clock.now_sql();
    let (code, st, cust, n, pg) = (
        super::code::normalise(&q.q),
        state.clone(),
        customer_q.clone(),
        now.clone(),
        q.page,
    );
    let (rows, total, unknown_customer, (cur, offset)) = cx
        .db
        .read(move |c| {
            let customer_id: Option<i64> = if cust.is_empty() {
                None
            } else {
                c.prepare_cached("SELECT id FROM customers WHERE email = ?1")?
                    .query_row([&cust], |r| r.get(0))
                    .optional()?
            };
            let unknown = !cust.is_empty() && customer_id.is_none();
            let f = Filter {
                state: st,
                customer_id: customer_id.or(if unknown { Some(-1) } else { None }),
                code,
            };
            let offset = i64::from(pg - 1) * i64::from(PER_PAGE);
            let (rows, total) = store::list(c, &f, &n, i64::from(PER_PAGE), offset)?;
            Ok((rows, total, unknown, shop(c)?))
        })
        .await?;
    let mut ctx = nav::context(&page, &me.staff, "vouchers");
    ctx.insert(
        "vouchers",
        &rows
            .iter()
            .map(|v| row_json(v, cur, offset, &now))
            .collect::<Vec<_>>(),
    );
    ctx.insert("total", &total);
    ctx.insert(
        "states",
        &STATES
            .iter()
            .map(|s| json!({ "value": s, "label": state_label(if *s == "unused" { "usable" } else { s }), "selected": *s == state }))
            .collect::<Vec<_>>(),
    );
    ctx.insert("state", &state);
    ctx.insert("q", &q.q);
    ctx.insert("customer", &customer_q);
    ctx.insert("unknown_customer", &unknown_customer);
    let params = [
        ("state", state.clone()),
        ("customer", customer_q.clone()),
        ("q", q.q.clone()),
    ];
    ctx.insert(
        "pagination",
        &pagination::for_list(URL, &params, q.page, PER_PAGE, total as u64),
    );
    cx.tpl.page("backoffice/vouchers.html.tera", &ctx)
}

/// The voucher page: a new one (`v` None) or a stored one, with the form as typed.
fn render(
    page: &Page,
    staff: &StaffUser,
    cx: &Ctx<'_>,
    shop: (&Currency, i64),
    v: Option<&Voucher>,
    form: &VoucherForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let (cur, offset) = shop;
    let mut ctx = nav::context(page, staff, "vouchers");
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert("currency", cur.code);
    let now = cx.clock.now_sql();
    ctx.insert("voucher", &v.map(|v| row_json(v, cur, offset, &now)));
    cx.tpl.page("backoffice/voucher.html.tera", &ctx)
}

fn today(cx: &Ctx<'_>, offset: i64) -> String {
    to_shop_time(&cx.clock.now_sql(), offset)
        .get(..10)
        .unwrap_or("")
        .to_string()
}

#[get("/admin/vouchers/new?<customer>")]
async fn new_form(
    customer: Option<String>,
    me: Can<CreateVouchers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let shop = cx.db.read(shop).await?;
    let mut form = VoucherForm::blank(&today(&cx, shop.1));
    form.customer = customer.unwrap_or_default();
    render(&page, &me.staff, &cx, shop, None, &form, &Errors::new())
}

type Answer = Result<Flash<Redirect>, status::Custom<RawHtml<String>>>;

/// Checks and saves in one write transaction: the id and warnings, or the refusals.
pub async fn save(
    cx: &Ctx<'_>,
    id: Option<i64>,
    f: VoucherForm,
    by: By,
) -> AppResult<Result<(i64, Vec<String>), Errors>> {
    cx.db
        .write(move |tx| {
            let (cur, offset) = shop(tx)?;
            let before = id.map(|id| store::must_get(tx, id)).transpose()?;
            match check(tx, &f, id, cur, offset)? {
                Err(errors) => Ok(Err(errors)),
                Ok((draft, warnings)) => {
                    let id = store::save(tx, before.as_ref(), &draft, &by)?;
                    Ok(Ok((id, warnings)))
                }
            }
        })
        .await
}

fn saved(id: i64, warnings: &[String]) -> Flash<Redirect> {
    let to = format!("{URL}/{id}");
    let what = "The voucher is saved.";
    if warnings.is_empty() {
        flash_redirect(to, "success", what)
    } else {
        flash_redirect(to, "info", format!("{what} {}", warnings.join(" ")))
    }
}

#[post("/admin/vouchers", data = "<form>")]
async fn create(
    form: CsrfForm<VoucherForm>,
    me: Can<CreateVouchers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    match save(&cx, None, f.clone(), me.by(cx.clock)).await? {
        Ok((id, warnings)) => Ok(Ok(saved(id, &warnings))),
        Err(errors) => {
            let shop = cx.db.read(shop).await?;
            let html = render(&page, &me.staff, &cx, shop, None, &f, &errors)?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
    }
}

async fn stored(cx: &Ctx<'_>, id: i64) -> AppResult<(Voucher, (&'static Currency, i64))> {
    cx.db
        .read(move |c| Ok((store::must_get(c, id)?, shop(c)?)))
        .await
}

#[get("/admin/vouchers/<id>")]
async fn edit(
    id: i64,
    me: Can<ReadVouchers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let (v, shop) = stored(&cx, id).await?;
    let form = VoucherForm::of(&v, shop.0, shop.1);
    render(&page, &me.staff, &cx, shop, Some(&v), &form, &Errors::new())
}

#[post("/admin/vouchers/<id>", data = "<form>")]
async fn update(
    id: i64,
    form: CsrfForm<VoucherForm>,
    me: Can<UpdateVouchers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    let back = format!("{URL}/{id}");
    match save(&cx, Some(id), f.clone(), me.by(cx.clock)).await {
        Ok(Ok((id, warnings))) => Ok(Ok(saved(id, &warnings))),
        Ok(Err(errors)) => {
            let (v, shop) = stored(&cx, id).await?;
            let html = render(&page, &me.staff, &cx, shop, Some(&v), &f, &errors)?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
        Err(AppError::Conflict(why)) => Ok(Ok(flash_redirect(back, "error", why))),
        Err(e) => Err(e),
    }
}

#[post("/admin/vouchers/<id>/delete", data = "<_form>")]
async fn delete(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<DeleteVouchers>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    match cx.db.write(move |tx| store::remove(tx, id, &by)).await {
        Ok(()) => Ok(flash_redirect(
            URL.into(),
            "success",
            "The voucher is deleted.",
        )),
        Err(AppError::Conflict(why)) => Ok(flash_redirect(format!("{URL}/{id}"), "error", why)),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, new_form, create, edit, update, delete]
}
