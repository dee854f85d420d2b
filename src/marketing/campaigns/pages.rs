//! Back office: campaigns (area `target_groups`). The list; a draft's form; a campaign's
//! page with the mail previewed as a chosen member gets it, a test send to oneself and
//! the send button; its progress as JSON, which the page reads every few seconds so the
//! counts move without a reload.

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::serde::json::Json;
use rocket::{get, post, routes};
use serde_json::{json, Value};

use super::form::{check, CampaignForm, Errors};
use super::send::{self, Member};
use super::store::{self, campaign_json, Campaign};
use super::unsubscribe;
use crate::error::{AppError, AppResult};
use crate::marketing::groups::store as groups;
use crate::marketing::shop;
use crate::staff::perm::{
    CreateTargetGroups, DeleteTargetGroups, ReadTargetGroups, UpdateTargetGroups,
};
use crate::staff::{nav, Can, StaffUser};
use crate::web::base_url::BaseUrl;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::headers::SandboxedHtml;
use crate::web::page::{flash_redirect, Page};

const URL: &str = "/admin/campaigns";

type FormResult = AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>>;

#[get("/admin/campaigns")]
async fn list(me: Can<ReadTargetGroups>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let (all, (_, offset)) = cx.db.read(|c| Ok((store::list(c)?, shop(c)?))).await?;
    let mut ctx = nav::context(&page, &me.staff, URL);
    ctx.insert(
        "campaigns",
        &all.iter()
            .map(|k| campaign_json(k, offset))
            .collect::<Vec<_>>(),
    );
    cx.tpl.page("backoffice/campaigns.html.tera", &ctx)
}

/// The draft form, new (`id` None) or a draft's.
async fn form_page(
    page: &Page,
    staff: &StaffUser,
    cx: &Ctx<'_>,
    id: Option<i64>,
    f: &CampaignForm,
    errors: &Errors,
) -> AppResult<RawHtml<String>> {
    let all = cx.db.read(groups::list).await?;
    let mut ctx = nav::context(page, staff, URL);
    ctx.insert(
        "groups",
        &all.iter()
            .map(|g| json!({ "value": g.id.to_string(), "label": format!("{} ({} member{})", g.name, g.members, if g.members == 1 { "" } else { "s" }), "selected": g.id.to_string() == f.group }))
            .collect::<Vec<_>>(),
    );
    ctx.insert("id", &id);
    ctx.insert(
        "action",
        &match id {
            Some(id) => format!("{URL}/{id}/edit"),
            None => URL.to_string(),
        },
    );
    ctx.insert("form", f);
    ctx.insert("errors", errors);
    cx.tpl.page("backoffice/campaign_edit.html.tera", &ctx)
}

#[get("/admin/campaigns/new?<group>")]
async fn new_form(
    group: Option<i64>,
    me: Can<CreateTargetGroups>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let f = CampaignForm {
        group: group.map(|g| g.to_string()).unwrap_or_default(),
        ..CampaignForm::default()
    };
    form_page(&page, &me.staff, &cx, None, &f, &Errors::new()).await
}

#[post("/admin/campaigns", data = "<form>")]
async fn create(
    form: CsrfForm<CampaignForm>,
    me: Can<CreateTargetGroups>,
    page: Page,
    cx: Ctx<'_>,
) -> FormResult {
    let f = form.0;
    let draft = match check(&f) {
        Ok(d) => d,
        Err(errors) => return refused(&page, &me.staff, &cx, None, &f, errors).await,
    };
    let by = me.by(cx.clock);
    match cx.db.write(move |tx| store::create(tx, &draft, &by)).await {
        Ok(id) => Ok(Ok(flash_redirect(
            format!("{URL}/{id}"),
            "success",
            "The campaign is saved as a draft. Check the preview, send yourself a test, then send it.",
        ))),
        Err(AppError::Invalid(why)) => {
            refused(&page, &me.staff, &cx, None, &f, Errors::from([("group", why)])).await
        }
        Err(e) => Err(e),
    }
}

async fn refused(
    page: &Page,
    staff: &StaffUser,
    cx: &Ctx<'_>,
    id: Option<i64>,
    f: &CampaignForm,
    errors: Errors,
) -> FormResult {
    let html = form_page(page, staff, cx, id, f, &errors).await?;
    Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
}

#[get("/admin/campaigns/<id>/edit")]
async fn edit_form(
    id: i64,
    me: Can<UpdateTargetGroups>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<RawHtml<String>, Flash<Redirect>>> {
    let k = cx.db.read(move |c| store::must_get(c, id)).await?;
    if k.state != "draft" {
        return Ok(Err(flash_redirect(
            format!("{URL}/{id}"),
            "error",
            "This campaign has been sent, so it cannot be changed: start a new one instead.",
        )));
    }
    let f = CampaignForm {
        group: k.group_id.map(|g| g.to_string()).unwrap_or_default(),
        title: k.title,
        message: k.message,
        link: k.link,
    };
    Ok(Ok(form_page(
        &page,
        &me.staff,
        &cx,
        Some(id),
        &f,
        &Errors::new(),
    )
    .await?))
}

#[post("/admin/campaigns/<id>/edit", data = "<form>")]
async fn update(
    id: i64,
    form: CsrfForm<CampaignForm>,
    me: Can<UpdateTargetGroups>,
    page: Page,
    cx: Ctx<'_>,
) -> FormResult {
    let f = form.0;
    let draft = match check(&f) {
        Ok(d) => d,
        Err(errors) => return refused(&page, &me.staff, &cx, Some(id), &f, errors).await,
    };
    let by = me.by(cx.clock);
    match cx
        .db
        .write(move |tx| store::update(tx, id, &draft, &by))
        .await
    {
        Ok(()) => Ok(Ok(flash_redirect(
            format!("{URL}/{id}"),
            "success",
            "The draft is saved.",
        ))),
        Err(AppError::Invalid(why)) => {
            refused(
                &page,
                &me.staff,
                &cx,
                Some(id),
                &f,
                Errors::from([("group", why)]),
            )
            .await
        }
        Err(AppError::Conflict(why)) => Ok(Ok(flash_redirect(format!("{URL}/{id}"), "error", why))),
        Err(e) => Err(e),
    }
}

/// The member whose data the preview and the test use: `wanted` if the campaign would
/// reach them, else the first it would; None when it would reach nobody.
fn preview_member(
    c: &rusqlite::Connection,
    k: &Campaign,
    wanted: Option<i64>,
) -> AppResult<(Option<Member>, Vec<Member>)> {
    let Some(group) = k.group_id else {
        return Ok((None, Vec::new()));
    };
    let some = send::reachable(c, group, 50)?;
    let chosen = wanted
        .and_then(|w| some.iter().find(|m| m.id == w).cloned())
        .or_else(|| some.first().cloned());
    Ok((chosen, some))
}

#[get("/admin/campaigns/<id>?<member>")]
async fn show(
    id: i64,
    member: Option<i64>,
    me: Can<ReadTargetGroups>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let (k, (chosen, some), busy, (_, offset)) = cx
        .db
        .read(move |c| {
            let k = store::must_get(c, id)?;
            let members = preview_member(c, &k, member)?;
            let busy = match k.group_id {
                Some(g) => groups::busy(c, g)?,
                None => None,
            };
            Ok((k, members, busy, shop(c)?))
        })
        .await?;
    let mut ctx = nav::context(&page, &me.staff, URL);
    ctx.insert("campaign", &campaign_json(&k, offset));
    ctx.insert(
        "members",
        &some
            .iter()
            .map(|m| json!({ "id": m.id, "label": format!("{} <{}>", m.name(), m.email), "selected": chosen.as_ref().is_some_and(|c| c.id == m.id) }))
            .collect::<Vec<_>>(),
    );
    ctx.insert(
        "preview_url",
        &format!(
            "{URL}/{id}/preview{}",
            chosen
                .as_ref()
                .map(|m| format!("?member={}", m.id))
                .unwrap_or_default()
        ),
    );
    ctx.insert("preview_member", &chosen.as_ref().map(|m| m.id));
    ctx.insert("busy", &busy);
    cx.tpl.page("backoffice/campaign.html.tera", &ctx)
}

/// The mail as `member` gets it, in the sandboxed preview frame (the mail template
/// editor's page). Its unsubscribe link is the test one, so a click in the preview
/// unsubscribes nobody.
#[get("/admin/campaigns/<id>/preview?<member>")]
async fn preview(
    id: i64,
    member: Option<i64>,
    _me: Can<ReadTargetGroups>,
    base: BaseUrl,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<SandboxedHtml> {
    let (k, chosen, rendered) = cx
        .db
        .read(move |c| {
            let k = store::must_get(c, id)?;
            let url = k.links_base(&base.0);
            let (chosen, _) = preview_member(c, &k, member)?;
            let rendered = match &chosen {
                Some(m) => Some(send::mail_for(
                    c,
                    &k,
                    &url,
                    m,
                    &unsubscribe::test_url(&url),
                )?),
                None => None,
            };
            Ok((k, chosen, rendered))
        })
        .await?;
    let mut ctx = tera::Context::new();
    ctx.insert("label", &format!("Campaign “{}”", k.title));
    ctx.insert("from", &page.shop.name);
    match (chosen, rendered) {
        (Some(m), Some(r)) => {
            ctx.insert("to", &format!("{} <{}>", m.name(), m.email));
            ctx.insert("mail", &r);
        }
        _ => {
            ctx.insert("to", "—");
            ctx.insert(
                "errors",
                &[json!({ "part": "Recipients", "message": "The campaign would reach nobody: its group has no member who is active and has not opted out of marketing mail." })],
            );
        }
    }
    let html = cx.tpl.render("backoffice/mail_preview.html.tera", &ctx)?;
    Ok(SandboxedHtml {
        status: Status::Ok,
        html,
    })
}

#[derive(rocket::FromForm, Default)]
pub struct TestForm {
    /// Whose data the test shows (the preview's choice).
    #[field(default = None)]
    member: Option<i64>,
}

/// Queues the mail to the staff member's own address, with a chosen member's data.
#[post("/admin/campaigns/<id>/test", data = "<form>")]
async fn test_send(
    id: i64,
    form: CsrfForm<TestForm>,
    me: Can<CreateTargetGroups>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let member = form.0.member;
    let to = me.staff.email.clone();
    let by = me.by(cx.clock);
    let now = cx.clock.now();
    let sent_to = to.clone();
    let outcome = cx
        .db
        .write(move |tx| {
            let k = store::must_get(tx, id)?;
            let url = k.links_base(&base.0);
            let (chosen, _) = preview_member(tx, &k, member)?;
            let Some(m) = chosen else {
                return Ok(None);
            };
            let mail = send::queue_test(tx, &k, &url, &m, &to, now)?;
            crate::audit::record(
                tx,
                &crate::audit::Entry::event("marketing", "campaign.test_sent")
                    .actor(by.actor.clone())
                    .ip(by.ip)
                    .entity("campaign", id)
                    .details(json!({ "to": to, "as": m.email, "mail": mail })),
            )?;
            Ok(Some(m))
        })
        .await?;
    let back = match &member {
        Some(m) => format!("{URL}/{id}?member={m}"),
        None => format!("{URL}/{id}"),
    };
    Ok(match outcome {
        Some(m) => flash_redirect(
            back,
            "success",
            format!(
                "A test with {}'s data is queued to {sent_to}; it leaves with the next mail pass (see the outbox).",
                m.name()
            ),
        ),
        None => flash_redirect(
            back,
            "error",
            "The campaign would reach nobody, so there is no member's data to test with.",
        ),
    })
}

#[post("/admin/campaigns/<id>/send", data = "<_form>")]
async fn start(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<CreateTargetGroups>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    match cx
        .db
        .write(move |tx| store::start(tx, id, &base.0, &by))
        .await
    {
        Ok(members) => Ok(flash_redirect(
            format!("{URL}/{id}"),
            "success",
            format!(
                "Sending to the group's {members} member{}: each gets the mail once; members who opted out are passed over.",
                if members == 1 { "" } else { "s" }
            ),
        )),
        Err(AppError::Conflict(why)) => Ok(flash_redirect(format!("{URL}/{id}"), "error", why)),
        Err(e) => Err(e),
    }
}

#[post("/admin/campaigns/<id>/delete", data = "<_form>")]
async fn delete(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<DeleteTargetGroups>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    match cx.db.write(move |tx| store::remove(tx, id, &by)).await {
        Ok(title) => Ok(flash_redirect(
            URL.into(),
            "success",
            format!("The draft “{title}” is deleted."),
        )),
        Err(AppError::Conflict(why)) => Ok(flash_redirect(format!("{URL}/{id}"), "error", why)),
        Err(e) => Err(e),
    }
}

#[get("/admin/campaigns/<id>/progress")]
async fn progress(id: i64, _me: Can<ReadTargetGroups>, cx: Ctx<'_>) -> AppResult<Json<Value>> {
    cx.db
        .read(move |c| {
            let offset = shop(c)?.1;
            Ok(Json(campaign_json(&store::must_get(c, id)?, offset)))
        })
        .await
}

pub fn routes() -> Vec<rocket::Route> {
    routes![
        list, new_form, create, edit_form, update, show, preview, test_send, start, delete,
        progress
    ]
}
