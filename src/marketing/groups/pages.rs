//! Back office: target groups (`/admin/target-groups`, area `target_groups`). The filter
//! page shows the customers a filter finds without saving anything ("Filter") and saves
//! them as a group ("Create group"); a group's page lists its members, refreshes them
//! from the filter, exports them to CSV and deletes the group.

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::filter::{Errors, FilterForm, GroupFilter, MONTHS};
use super::store::{self, Group};
use crate::accounts::countries::address_countries;
use crate::clock::to_shop_time;
use crate::customers::admin::summary_json;
use crate::customers::query::CustomerSummary;
use crate::error::{AppError, AppResult};
use crate::exports::cells::neutralise;
use crate::exports::csv::CsvFile;
use crate::marketing::shop;
use crate::money::Currency;
use crate::settings;
use crate::staff::perm::{
    CreateTargetGroups, DeleteTargetGroups, ReadTargetGroups, UpdateTargetGroups,
};
use crate::staff::{nav, Can, StaffUser};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::pagination::{self, parse_page};
use crate::web::query::url;

pub const URL: &str = "/admin/target-groups";
pub const PER_PAGE: u32 = 50;

fn shop_time(t: &str, offset: i64) -> String {
    to_shop_time(t, offset).replace('T', " ")
}

pub fn group_json(g: &Group, cur: &Currency, offset: i64) -> Value {
    json!({
        "id": g.id, "url": format!("{URL}/{}", g.id), "name": g.name, "members": g.members,
        "created_by": g.created_by, "created_at": shop_time(&g.created_at, offset),
        "refreshed_by": g.refreshed_by,
        "refreshed_at": g.refreshed_at.as_deref().map(|t| shop_time(t, offset)),
        "conditions": g.filter.describe(cur),
        "reuse_url": url(&format!("{URL}/new"), &FilterForm::of(&g.filter, cur).pairs()),
    })
}

fn page_no(page: Option<&str>) -> AppResult<u32> {
    page.map_or(Ok(1), |p| parse_page(p, 100_000))
}

#[get("/admin/target-groups")]
async fn list(me: Can<ReadTargetGroups>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let (groups, (cur, offset)) = cx.db.read(|c| Ok((store::list(c)?, shop(c)?))).await?;
    let mut ctx = nav::context(&page, &me.staff, "target_groups");
    ctx.insert(
        "groups",
        &groups
            .iter()
            .map(|g| group_json(g, cur, offset))
            .collect::<Vec<_>>(),
    );
    cx.tpl.page("backoffice/target_groups.html.tera", &ctx)
}

/// What the filter page shows: the form as typed, its refusals, and (when it parses) the
/// customers it finds.
struct Found {
    people: Vec<CustomerSummary>,
    total: i64,
}

#[allow(clippy::too_many_arguments)]
fn render_filter(
    page: &Page,
    staff: &StaffUser,
    cx: &Ctx<'_>,
    cur: &Currency,
    form: &FilterForm,
    errors: &Errors,
    found: Option<&Found>,
    group_name: &str,
    page_no: u32,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, staff, "target_groups");
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert("currency", cur.code);
    ctx.insert("group_name", group_name);
    ctx.insert("countries", &address_countries(&form.country));
    ctx.insert(
        "months",
        &MONTHS
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let v = (i + 1).to_string();
                json!({ "value": v, "label": m, "selected": form.birthday_month == v })
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert("filter_pairs", &form.pairs());
    if let Some(f) = found {
        ctx.insert(
            "customers",
            &f.people
                .iter()
                .map(|c| summary_json(c, cur))
                .collect::<Vec<_>>(),
        );
        ctx.insert("total", &f.total);
        ctx.insert(
            "pagination",
            &pagination::for_list(
                &format!("{URL}/new"),
                &form.pairs(),
                page_no,
                PER_PAGE,
                f.total as u64,
            ),
        );
    }
    cx.tpl.page("backoffice/target_group_new.html.tera", &ctx)
}

async fn find(cx: &Ctx<'_>, f: GroupFilter, page_no: u32) -> AppResult<(Found, &'static Currency)> {
    cx.db
        .read(move |c| {
            let (cur, offset) = shop(c)?;
            let skip = i64::from(page_no - 1) * i64::from(PER_PAGE);
            let (people, total) = store::matching(c, &f, offset, i64::from(PER_PAGE), skip)?;
            Ok((Found { people, total }, cur))
        })
        .await
}

/// The filter form and the customers it finds now; nothing is saved.
#[get("/admin/target-groups/new?<page>&<f..>")]
async fn new_form(
    page: Option<&str>,
    f: FilterForm,
    me: Can<ReadTargetGroups>,
    pg: Page,
    cx: Ctx<'_>,
) -> AppResult<status::Custom<RawHtml<String>>> {
    let n = page_no(page)?;
    let cur = cx.db.read(settings::currency).await?;
    match f.parse(cur) {
        Ok(filter) => {
            let (found, cur) = find(&cx, filter, n).await?;
            let html = render_filter(
                &pg,
                &me.staff,
                &cx,
                cur,
                &f,
                &Errors::new(),
                Some(&found),
                "",
                n,
            )?;
            Ok(status::Custom(Status::Ok, html))
        }
        Err(errors) => {
            let html = render_filter(&pg, &me.staff, &cx, cur, &f, &errors, None, "", n)?;
            Ok(status::Custom(Status::UnprocessableEntity, html))
        }
    }
}

#[derive(FromForm)]
pub struct CreateForm {
    #[field(default = String::new())]
    group_name: String,
    filter: FilterForm,
}

type Answer = Result<Flash<Redirect>, status::Custom<RawHtml<String>>>;

/// Saves the group with the customers its filter finds at this moment.
#[post("/admin/target-groups", data = "<form>")]
async fn create(
    form: CsrfForm<CreateForm>,
    me: Can<CreateTargetGroups>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let CreateForm { group_name, filter } = form.0;
    let by = me.by(cx.clock);
    let (form_c, name) = (filter.clone(), group_name.clone());
    let saved = cx
        .db
        .write(move |tx| {
            let (cur, offset) = shop(tx)?;
            match form_c.parse(cur) {
                Err(errors) => Ok(Err(errors)),
                Ok(f) => store::create(tx, &name, &f, offset, &by),
            }
        })
        .await?;
    match saved {
        Ok(id) => Ok(Ok(flash_redirect(
            format!("{URL}/{id}"),
            "success",
            "The group is saved with the customers its filter finds now.",
        ))),
        Err(errors) => {
            let cur = cx.db.read(settings::currency).await?;
            let found = match filter.parse(cur) {
                Ok(f) => Some(find(&cx, f, 1).await?.0),
                Err(_) => None,
            };
            let html = render_filter(
                &page,
                &me.staff,
                &cx,
                cur,
                &filter,
                &errors,
                found.as_ref(),
                &group_name,
                1,
            )?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
    }
}

#[get("/admin/target-groups/<id>?<page>")]
async fn show(
    id: i64,
    page: Option<&str>,
    me: Can<ReadTargetGroups>,
    pg: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let n = page_no(page)?;
    let (g, (people, total), busy, runs, (cur, offset)) = cx
        .db
        .read(move |c| {
            let skip = i64::from(n - 1) * i64::from(PER_PAGE);
            Ok((
                store::must_get(c, id)?,
                store::members(c, id, i64::from(PER_PAGE), skip)?,
                store::busy(c, id)?,
                crate::marketing::vouchers::bulk::of_group(c, id)?,
                shop(c)?,
            ))
        })
        .await?;
    let mut ctx = nav::context(&pg, &me.staff, "target_groups");
    ctx.insert("group", &group_json(&g, cur, offset));
    ctx.insert("busy", &busy);
    ctx.insert(
        "members",
        &people
            .iter()
            .map(|c| summary_json(c, cur))
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "pagination",
        &pagination::for_list(&format!("{URL}/{id}"), &[], n, PER_PAGE, total as u64),
    );
    ctx.insert(
        "runs",
        &runs
            .iter()
            .map(|r| crate::marketing::vouchers::bulk::run_json(r, cur, offset))
            .collect::<Vec<_>>(),
    );
    ctx.insert("currency", cur.code);
    ctx.insert(
        "voucher_form",
        &crate::marketing::vouchers::form::VoucherForm::blank(
            to_shop_time(&cx.clock.now_sql(), offset)
                .get(..10)
                .unwrap_or(""),
        ),
    );
    cx.tpl.page("backoffice/target_group.html.tera", &ctx)
}

#[post("/admin/target-groups/<id>/refresh", data = "<_form>")]
async fn refresh(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateTargetGroups>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    let back = format!("{URL}/{id}");
    let done = cx
        .db
        .write(move |tx| {
            let (_, offset) = shop(tx)?;
            store::refresh(tx, id, offset, &by)
        })
        .await;
    match done {
        Ok((before, after)) => Ok(flash_redirect(
            back,
            "success",
            format!(
                "Refreshed from its filter: {before} member{} before, {after} now.",
                if before == 1 { "" } else { "s" }
            ),
        )),
        Err(AppError::Conflict(why)) => Ok(flash_redirect(back, "error", why)),
        Err(e) => Err(e),
    }
}

#[post("/admin/target-groups/<id>/delete", data = "<_form>")]
async fn delete(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<DeleteTargetGroups>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    match cx.db.write(move |tx| store::remove(tx, id, &by)).await {
        Ok(()) => Ok(flash_redirect(
            URL.into(),
            "success",
            "The group is deleted; its customers' accounts are as they were.",
        )),
        Err(AppError::Conflict(why)) => Ok(flash_redirect(format!("{URL}/{id}"), "error", why)),
        Err(e) => Err(e),
    }
}

/// The CSV's columns.
pub const CSV_HEADERS: [&str; 13] = [
    "email",
    "first_name",
    "last_name",
    "phone",
    "birth_date",
    "country",
    "verified",
    "active",
    "registered_at",
    "orders",
    "total_spent",
    "last_order_at",
    "marketing_mail",
];

/// The members as CSV: text cells that could start a formula are prefixed with `'`
/// (POLICY "Exports"), as in the product export; money in the shop currency, times UTC.
pub fn members_csv(c: &Connection, id: i64) -> AppResult<(String, Vec<u8>)> {
    let cur = settings::currency(c)?;
    let g = store::must_get(c, id)?;
    let rows = store::export_rows(c, id)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADERS).map_err(AppError::internal)?;
    for r in rows {
        let s = &r.summary;
        w.write_record([
            neutralise(&s.email),
            neutralise(&s.first_name),
            neutralise(&s.last_name),
            neutralise(&s.phone),
            r.birth_date,
            r.country,
            if s.verified { "yes" } else { "no" }.into(),
            if s.active { "yes" } else { "no" }.into(),
            s.created_at.clone(),
            s.stats.orders_count.to_string(),
            cur.to_major(s.stats.total_spent),
            s.stats.last_order_at.clone().unwrap_or_default(),
            if r.marketing_mail { "yes" } else { "no" }.into(),
        ])
        .map_err(AppError::internal)?;
    }
    let slug: String = g
        .name
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() {
                ch.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches('-').to_string();
    let name = if slug.is_empty() {
        format!("target-group-{id}.csv")
    } else {
        format!("target-group-{slug}.csv")
    };
    Ok((name, w.into_inner().map_err(AppError::internal)?))
}

#[get("/admin/target-groups/<id>/members.csv")]
async fn export(id: i64, _me: Can<ReadTargetGroups>, cx: Ctx<'_>) -> AppResult<CsvFile> {
    let (name, bytes) = cx.db.read(move |c| members_csv(c, id)).await?;
    Ok(CsvFile::named(bytes, &name))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, new_form, create, show, refresh, delete, export]
}
