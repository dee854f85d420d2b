//! Back office: issuing vouchers to a target group (the form on the group, area
//! `vouchers`), a run's page with its progress, and the progress as JSON, which the page
//! reads every few seconds so it moves without a reload.

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::serde::json::Json;
use rocket::{get, post, routes};
use serde_json::Value;

use super::bulk::{self, run_json};
use super::form::{Errors, VoucherForm};
use crate::clock::to_shop_time;
use crate::error::{AppError, AppResult};
use crate::marketing::groups::pages::group_json;
use crate::marketing::groups::store as groups;
use crate::marketing::shop;
use crate::staff::perm::{CreateVouchers, ReadVouchers};
use crate::staff::{nav, Can, StaffUser};
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};

async fn render(
    page: &Page,
    staff: &StaffUser,
    cx: &Ctx<'_>,
    group: i64,
    form: &VoucherForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let (g, busy, (cur, offset)) = cx
        .db
        .read(move |c| {
            Ok((
                groups::must_get(c, group)?,
                groups::busy(c, group)?,
                shop(c)?,
            ))
        })
        .await?;
    let mut ctx = nav::context(page, staff, "vouchers");
    ctx.insert("group", &group_json(&g, cur, offset));
    ctx.insert("busy", &busy);
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert("currency", cur.code);
    cx.tpl.page("backoffice/voucher_run_new.html.tera", &ctx)
}

#[get("/admin/target-groups/<id>/vouchers")]
async fn new_form(
    id: i64,
    me: Can<CreateVouchers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let offset = cx.db.read(|c| Ok(shop(c)?.1)).await?;
    let today = to_shop_time(&cx.clock.now_sql(), offset);
    let form = VoucherForm::blank(today.get(..10).unwrap_or(""));
    render(&page, &me.staff, &cx, id, &form, &Errors::new()).await
}

/// Starts the run; the job issues the vouchers and their mails.
#[post("/admin/target-groups/<id>/vouchers", data = "<form>")]
async fn start(
    id: i64,
    form: CsrfForm<VoucherForm>,
    me: Can<CreateVouchers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let f = form.0;
    let by = me.by(cx.clock);
    let terms = f.clone();
    match cx
        .db
        .write(move |tx| bulk::start(tx, id, &terms, &by))
        .await
    {
        Ok(Ok(run)) => Ok(Ok(flash_redirect(
            format!("/admin/vouchers/runs/{run}"),
            "success",
            "The vouchers are being issued: each member gets one, with its mail.",
        ))),
        Ok(Err(errors)) => {
            let html = render(&page, &me.staff, &cx, id, &f, &errors).await?;
            Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
        }
        Err(AppError::Conflict(why)) => Ok(Ok(flash_redirect(
            format!("/admin/target-groups/{id}"),
            "error",
            why,
        ))),
        Err(e) => Err(e),
    }
}

async fn progress_of(cx: &Ctx<'_>, run: i64) -> AppResult<Value> {
    cx.db
        .read(move |c| {
            let (cur, offset) = shop(c)?;
            Ok(run_json(&bulk::get(c, run)?, cur, offset))
        })
        .await
}

#[get("/admin/vouchers/runs/<run>")]
async fn show(
    run: i64,
    me: Can<ReadVouchers>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let r = progress_of(&cx, run).await?;
    let mut ctx = nav::context(&page, &me.staff, "vouchers");
    ctx.insert("run", &r);
    cx.tpl.page("backoffice/voucher_run.html.tera", &ctx)
}

/// The run's progress, for the page to show without a reload.
#[get("/admin/vouchers/runs/<run>/progress")]
async fn progress(run: i64, _me: Can<ReadVouchers>, cx: Ctx<'_>) -> AppResult<Json<Value>> {
    Ok(Json(progress_of(&cx, run).await?))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![new_form, start, show, progress]
}
