//! Back office: promotions (`/admin/promotions`, area `promotions`). The list filtered by
//! status, a promotion's page to create or change it, switching it off and on, and
//! deleting it (archived instead when orders were charged with it).

use rocket::http::uri::Origin;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::form::{check, Errors, PromotionForm};
use super::rule::Kind;
use super::store::{self, Promotion, Removed};
use crate::clock::to_shop_time;
use crate::error::{AppError, AppResult};
use crate::money::Currency;
use crate::settings;
use crate::staff::perm::{CreatePromotions, DeletePromotions, ReadPromotions, UpdatePromotions};
use crate::staff::{nav, Can, StaffUser};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::query::ListQuery;

const URL: &str = "/admin/promotions";
const STATUSES: [&str; 5] = ["scheduled", "active", "ended", "disabled", "archived"];

fn status_label(s: &str) -> &'static str {
    match s {
        "scheduled" => "Scheduled",
        "active" => "Running",
        "ended" => "Ended",
        "disabled" => "Switched off",
        _ => "Archived",
    }
}

/// What the pages need beside the promotions: currency, shop offset, category choices.
struct Shop {
    currency: &'static Currency,
    offset: i64,
    categories: Vec<(i64, String)>,
}

fn shop(c: &Connection) -> AppResult<Shop> {
    let mut stmt = c.prepare_cached(
        "WITH RECURSIVE tree(id, label, path) AS (
             SELECT id, name, printf('%08d', position) || name FROM categories WHERE parent_id IS NULL
             UNION ALL
             SELECT c.id, '\u{2014} ' || t.label || ' › ' || c.name, t.path || '/' || printf('%08d', c.position) || c.name
             FROM categories c JOIN tree t ON c.parent_id = t.id)
         SELECT id, label FROM tree ORDER BY path",
    )?;
    let categories = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Shop {
        currency: settings::currency(c)?,
        offset: settings::get_i64(c, "shop.utc_offset_minutes")?,
        categories,
    })
}

fn discount_label(p: &Promotion, cur: &Currency) -> String {
    match Kind::parse(&p.kind) {
        Some(Kind::Amount) => format!("\u{2212}{} each", cur.format(p.value)),
        _ => format!("\u{2212}{} %", p.value),
    }
}

fn reach_label(p: &Promotion, shop: &Shop) -> String {
    match p.scope.as_str() {
        "category" => {
            let name = shop
                .categories
                .iter()
                .find(|(id, _)| Some(*id) == p.category_id)
                .map(|(_, l)| l.trim_start_matches("\u{2014} ").to_string())
                .unwrap_or_default();
            format!("{name} (with subcategories)")
        }
        "products" => match p.product_ids.len() {
            1 => "1 product".into(),
            n => format!("{n} products"),
        },
        _ => "The whole shop".into(),
    }
}

fn shown(t: &str, offset: i64) -> String {
    to_shop_time(t, offset).replace('T', " ")
}

fn row_json(p: &Promotion, shop: &Shop) -> Value {
    let status = if p.archived_at.is_some() {
        "archived"
    } else {
        p.status.as_str()
    };
    json!({
        "id": p.id, "url": format!("{URL}/{}", p.id), "name": p.name,
        "discount": discount_label(p, shop.currency), "reach": reach_label(p, shop),
        "starts": shown(&p.starts_at, shop.offset), "ends": shown(&p.ends_at, shop.offset),
        "status": status, "status_label": status_label(status),
    })
}

#[get("/admin/promotions")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadPromotions>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let q = ListQuery::parse(uri, &[("status", &STATUSES)])?;
    let status = q.filter("status");
    let s = status.clone();
    let (rows, shop) = cx
        .db
        .read(move |c| Ok((store::list(c, &s)?, shop(c)?)))
        .await?;
    let mut ctx = nav::context(&page, &me.staff, "promotions");
    ctx.insert(
        "promotions",
        &rows.iter().map(|p| row_json(p, &shop)).collect::<Vec<_>>(),
    );
    ctx.insert(
        "statuses",
        &STATUSES
            .iter()
            .map(|s| json!({ "value": s, "label": status_label(s), "selected": *s == status }))
            .collect::<Vec<_>>(),
    );
    ctx.insert("status", &status);
    cx.tpl.page("backoffice/promotions.html.tera", &ctx)
}

/// The promotion page: a new one (`p` None) or a stored one, with the form as typed.
fn render(
    page: &Page,
    staff: &StaffUser,
    cx: &Ctx<'_>,
    shop: &Shop,
    p: Option<(&Promotion, i64)>,
    form: &PromotionForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, staff, "promotions");
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert(
        "categories",
        &shop
            .categories
            .iter()
            .map(|(id, label)| json!({ "value": id.to_string(), "label": label, "selected": id.to_string() == form.category_id }))
            .collect::<Vec<_>>(),
    );
    ctx.insert("currency", shop.currency.code);
    ctx.insert("offset", &offset_label(shop.offset));
    ctx.insert(
        "promotion",
        &p.map(|(p, lines)| {
            let mut v = row_json(p, shop);
            v["order_lines"] = json!(lines);
            v
        }),
    );
    cx.tpl.page("backoffice/promotion.html.tera", &ctx)
}

/// "UTC+02:00" for the shop's offset.
fn offset_label(minutes: i64) -> String {
    let sign = if minutes < 0 { '\u{2212}' } else { '+' };
    let m = minutes.abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

#[get("/admin/promotions/new")]
async fn new_form(
    me: Can<CreatePromotions>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let shop = cx.db.read(shop).await?;
    render(
        &page,
        &me.staff,
        &cx,
        &shop,
        None,
        &PromotionForm::blank(),
        &Errors::new(),
    )
}

type Answer = Result<Flash<Redirect>, status::Custom<RawHtml<String>>>;

/// Checks and saves in one write transaction; the refusals, or (id, warnings).
async fn save(
    cx: &Ctx<'_>,
    id: Option<i64>,
    f: PromotionForm,
    by: crate::staff::By,
) -> AppResult<Result<(i64, Vec<String>), Errors>> {
    let now = cx.clock.now_sql();
    cx.db
        .write(move |tx| {
            let sh = shop(tx)?;
            let before = id.map(|id| store::must_get(tx, id)).transpose()?;
            match check(tx, &f, sh.currency, sh.offset)? {
                Err(errors) => Ok(Err(errors)),
                Ok((draft, warnings)) => {
                    let id = store::save(tx, before.as_ref(), &draft, &by, &now)?;
                    Ok(Ok((id, warnings)))
                }
            }
        })
        .await
}

fn saved(id: i64, what: &str, warnings: &[String]) -> Flash<Redirect> {
    let to = format!("{URL}/{id}");
    if warnings.is_empty() {
        flash_redirect(to, "success", what)
    } else {
        flash_redirect(to, "info", format!("{what} {}", warnings.join(" ")))
    }
}

#[post("/admin/promotions", data = "<form>")]
async fn create(
    form: CsrfForm<PromotionForm>,
    me: Can<CreatePromotions>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    match save(&cx, None, f.clone(), me.by(cx.clock)).await? {
        Ok((id, warnings)) => Ok(Ok(saved(id, "The promotion is saved.", &warnings))),
        Err(errors) => {
            let shop = cx.db.read(shop).await?;
            let html = render(&page, &me.staff, &cx, &shop, None, &f, &errors)?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
    }
}

/// A stored promotion with how many order lines name it, and its SKUs.
async fn stored(cx: &Ctx<'_>, id: i64) -> AppResult<(Promotion, i64, Vec<String>, Shop)> {
    cx.db
        .read(move |c| {
            let p = store::must_get(c, id)?;
            let lines = store::order_lines(c, id)?;
            let mut skus = Vec::new();
            for pid in &p.product_ids {
                skus.push(
                    c.query_row("SELECT sku FROM products WHERE id = ?1", [pid], |r| {
                        r.get::<_, String>(0)
                    })?,
                );
            }
            Ok((p, lines, skus, shop(c)?))
        })
        .await
}

#[get("/admin/promotions/<id>")]
async fn edit(
    id: i64,
    me: Can<ReadPromotions>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let (p, lines, skus, shop) = stored(&cx, id).await?;
    let form = PromotionForm::of(&p, &skus, shop.currency, shop.offset);
    render(
        &page,
        &me.staff,
        &cx,
        &shop,
        Some((&p, lines)),
        &form,
        &Errors::new(),
    )
}

#[post("/admin/promotions/<id>", data = "<form>")]
async fn update(
    id: i64,
    form: CsrfForm<PromotionForm>,
    me: Can<UpdatePromotions>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    match save(&cx, Some(id), f.clone(), me.by(cx.clock)).await? {
        Ok((id, warnings)) => Ok(Ok(saved(id, "The promotion is saved.", &warnings))),
        Err(errors) => {
            let (p, lines, _, shop) = stored(&cx, id).await?;
            let html = render(&page, &me.staff, &cx, &shop, Some((&p, lines)), &f, &errors)?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
    }
}

/// Switches a promotion off or on again (audited like any change).
async fn switch(
    cx: &Ctx<'_>,
    id: i64,
    on: bool,
    by: crate::staff::By,
) -> AppResult<Flash<Redirect>> {
    let now = cx.clock.now_sql();
    let done = cx
        .db
        .write(move |tx| store::set_enabled(tx, id, on, &by, &now))
        .await;
    let back = format!("{URL}/{id}");
    match done {
        Ok(_) if on => Ok(flash_redirect(
            back,
            "success",
            "The promotion is switched on again.",
        )),
        Ok(_) => Ok(flash_redirect(
            back,
            "success",
            "The promotion is switched off: prices are back to normal.",
        )),
        Err(AppError::Conflict(why)) => Ok(flash_redirect(back, "error", why)),
        Err(e) => Err(e),
    }
}

#[post("/admin/promotions/<id>/disable", data = "<_form>")]
async fn disable(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdatePromotions>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    switch(&cx, id, false, by).await
}

#[post("/admin/promotions/<id>/enable", data = "<_form>")]
async fn enable(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdatePromotions>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    switch(&cx, id, true, by).await
}

#[post("/admin/promotions/<id>/delete", data = "<_form>")]
async fn delete(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<DeletePromotions>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let (by, now) = (me.by(cx.clock), cx.clock.now_sql());
    let done = cx
        .db
        .write(move |tx| store::remove(tx, id, &by, &now))
        .await?;
    Ok(flash_redirect(
        URL.into(),
        "success",
        match done {
            Removed::Deleted => "The promotion is deleted.",
            Removed::Archived => {
                "Orders were charged with this promotion, so it is archived rather than deleted: it no longer applies, and those orders keep it."
            }
        },
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, new_form, create, edit, update, disable, enable, delete]
}
