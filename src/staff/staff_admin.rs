//! Back office: staff at /admin/staff. The list (search by name or email, filter by role
//! and by active state, paged), adding a member (name, email, role: they get an
//! invitation mail with a set-password link), and a member's page: edit name and role,
//! deactivate / reactivate, mail a set-password link, turn two-factor login off.
//!
//! Rules: only an owner may give the Owner role or change an owner's account; the last
//! active owner can be neither deactivated nor moved to another role (a trigger,
//! `staff_keeps_an_owner`, refuses it too, whatever the path). Deactivating ends the
//! member's sessions and API tokens; a new role ends their other sessions (a privilege
//! change). Every change is audited with old → new. The one-button actions on a
//! member's page are in `member_actions.rs`.

use std::collections::HashMap;

use rocket::http::uri::Origin;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use rusqlite::params;
use serde_json::{json, Value};

use super::account_two_factor::end_sessions;
use super::directory;
use super::invite::{self, Purpose};
use super::perm::{CreateStaff, ReadStaff, UpdateStaff};
use super::roles_store;
use super::{nav, store, two_factor, Can, StaffUser};
use crate::audit;
use crate::clock::shown_time;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::web::base_url::BaseUrl;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::pagination;
use crate::web::query::ListQuery;
use crate::web::templates::Templates;

const PER_PAGE: u32 = 50;

#[get("/admin/staff")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadStaff>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let roles = cx.db.read(roles_store::list).await?;
    let role_ids: Vec<String> = roles.iter().map(|r| r.id.to_string()).collect();
    let allowed: Vec<&str> = role_ids.iter().map(String::as_str).collect();
    let list = ListQuery::parse(
        uri,
        &[("role", &allowed), ("state", &["active", "inactive"])],
    )?;
    let (role, state, q, page_no) = (
        list.filter("role"),
        list.filter("state"),
        list.q.clone(),
        list.page,
    );
    let (r2, s2, q2) = (role.clone(), state.clone(), q.clone());
    let (rows, total) = cx
        .db
        .read(move |c| directory::list(c, &r2, &s2, &q2, page_no, PER_PAGE))
        .await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|m| json!({
            "id": m.id, "name": m.name, "email": m.email, "role": m.role, "is_owner": m.is_owner,
            "active": m.active, "last_login": m.last_login_at.as_deref().map(shown_time),
            "two_factor": m.two_factor, "invited": m.invited,
        }))
        .collect();
    let mut ctx = nav::context(&page, &me.staff, "staff");
    ctx.insert("members", &rows);
    ctx.insert("q", &q);
    ctx.insert(
        "roles",
        &roles
            .iter()
            .map(|r| json!({ "value": r.id.to_string(), "label": r.name, "selected": r.id.to_string() == role }))
            .collect::<Vec<_>>(),
    );
    ctx.insert("state", &state);
    ctx.insert("total", &total);
    ctx.insert(
        "pagination",
        &pagination::for_list(
            "/admin/staff",
            &[("q", q.clone()), ("role", role), ("state", state)],
            page_no,
            PER_PAGE,
            total,
        ),
    );
    cx.tpl.page("backoffice/staff_list.html.tera", &ctx)
}

#[derive(FromForm, Default)]
pub struct MemberForm {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    role: String,
}

/// Only an owner may hand out an owner role.
fn role_choice(
    c: &rusqlite::Connection,
    me: &StaffUser,
    role: &str,
) -> Result<roles_store::RoleRow, String> {
    let Some(id) = role.trim().parse::<i64>().ok() else {
        return Err("Choose a role.".into());
    };
    let r = roles_store::get(c, id).map_err(|_| "Choose one of the roles listed.".to_string())?;
    if r.is_owner && !me.is_owner {
        return Err("Only an owner can give the Owner role.".into());
    }
    Ok(r)
}

fn role_options(c: &rusqlite::Connection, selected: &str) -> AppResult<Vec<Value>> {
    Ok(roles_store::list(c)?
        .into_iter()
        .map(|r| json!({ "value": r.id.to_string(), "label": r.name, "selected": r.id.to_string() == selected }))
        .collect())
}

async fn render_new(
    page: &Page,
    me: &StaffUser,
    db: &Db,
    tpl: &Templates,
    values: &MemberForm,
    errors: &HashMap<&'static str, String>,
) -> AppResult<RawHtml<String>> {
    let sel = values.role.clone();
    let roles = db.read(move |c| role_options(c, &sel)).await?;
    let mut ctx = nav::context(page, me, "staff");
    ctx.insert(
        "values",
        &json!({ "name": values.name, "email": values.email }),
    );
    ctx.insert("roles", &roles);
    ctx.insert("errors", errors);
    ctx.insert("hours", &invite::HOURS);
    tpl.page("backoffice/staff_new.html.tera", &ctx)
}

#[get("/admin/staff/new")]
async fn new_form(me: Can<CreateStaff>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    render_new(
        &page,
        &me.staff,
        cx.db,
        cx.tpl,
        &MemberForm::default(),
        &HashMap::new(),
    )
    .await
}

type Answer = Result<Flash<Redirect>, status::Custom<RawHtml<String>>>;

#[post("/admin/staff", data = "<form>")]
async fn create(
    form: CsrfForm<MemberForm>,
    me: Can<CreateStaff>,
    base: BaseUrl,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    let staff = me.staff.clone();
    let (name, email, role) = (f.name.clone(), f.email.clone(), f.role.clone());
    let checked = cx
        .db
        .read(move |c| {
            let mut errors = HashMap::new();
            let name = crate::auth::identity::validate_name(&name)
                .map_err(|e| errors.insert("name", e))
                .ok();
            let email = crate::auth::identity::validate_email(&email)
                .map_err(|e| errors.insert("email", e))
                .ok();
            if let Some(e) = &email {
                if store::find_for_login(c, e)?.is_some() {
                    errors.insert(
                        "email",
                        "A staff member with that email address already exists.".into(),
                    );
                }
            }
            let role = role_choice(c, &staff, &role)
                .map_err(|e| errors.insert("role", e))
                .ok();
            Ok(match (name, email, role) {
                (Some(n), Some(e), Some(r)) if errors.is_empty() => Ok((n, e, r)),
                _ => Err(errors),
            })
        })
        .await?;
    let (name, email, role) = match checked {
        Ok(v) => v,
        Err(errors) => {
            let html = render_new(&page, &me.staff, cx.db, cx.tpl, &f, &errors).await?;
            return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
        }
    };
    let (actor, by, now) = (me.staff.actor(), me.staff.name.clone(), cx.clock.now());
    let done = cx.db
        .write(move |tx| {
            let id = store::insert(tx, &email, &name, invite::NO_PASSWORD, role.id)?;
            let row = store::get(tx, id)?.ok_or_else(|| AppError::internal("new staff row"))?;
            invite::send(tx, &row, Purpose::Invite, &by, &base.0, now)?;
            audit::record(
                tx,
                &audit::Entry::event("staff", "staff.created")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("staff", id)
                    .details(json!({ "new": { "name": name, "email": email, "role": role.name, "active": true }, "invited": true })),
            )?;
            Ok((id, email))
        })
        .await;
    match done {
        Ok((id, email)) => Ok(Ok(flash_redirect(
            format!("/admin/staff/{id}"),
            "success",
            format!("Added. An invitation with a link to set a password was sent to {email}."),
        ))),
        Err(AppError::Conflict(m)) => {
            let errors = HashMap::from([("email", m)]);
            let html = render_new(&page, &me.staff, cx.db, cx.tpl, &f, &errors).await?;
            Ok(Err(status::Custom(Status::Conflict, html)))
        }
        Err(e) => Err(e),
    }
}

async fn render_member(
    page: &Page,
    me: &StaffUser,
    db: &Db,
    tpl: &Templates,
    id: i64,
    values: Option<&MemberForm>,
    errors: &HashMap<&'static str, String>,
) -> AppResult<RawHtml<String>> {
    let typed_role = values.map(|v| v.role.clone());
    let (row, last_login, sessions, invited, roles, codes_left, created) = db
        .read(move |c| {
            let row = store::get(c, id)?
                .ok_or_else(|| AppError::NotFound("There is no such staff member.".into()))?;
            let facts = directory::facts(c, id)?;
            let sel = typed_role.unwrap_or_else(|| row.role_id.to_string());
            let roles = role_options(c, &sel)?;
            let left = two_factor::recovery_codes_left(c, id)?;
            Ok((
                row,
                facts.last_login_at,
                facts.sessions,
                facts.invited,
                roles,
                left,
                facts.created_at,
            ))
        })
        .await?;
    let mut ctx = nav::context(page, me, "staff");
    ctx.insert(
        "member",
        &json!({
            "id": row.id, "name": row.name, "email": row.email, "role": row.role, "is_owner": row.is_owner,
            "active": row.active, "two_factor": row.totp_enabled, "require_totp": row.require_totp,
            "last_login": last_login.as_deref().map(shown_time), "sessions": sessions, "invited": invited,
            "codes_left": codes_left, "created": shown_time(&created), "is_me": row.id == me.id,
        }),
    );
    ctx.insert(
        "values",
        &json!({ "name": values.map(|v| v.name.clone()).unwrap_or(row.name.clone()) }),
    );
    ctx.insert("roles", &roles);
    ctx.insert("errors", errors);
    // Owners' accounts are changed by owners only.
    ctx.insert("may_change", &(me.is_owner || !row.is_owner));
    ctx.insert("me_owner", &me.is_owner);
    tpl.page("backoffice/staff_member.html.tera", &ctx)
}

#[get("/admin/staff/<id>")]
async fn show(id: i64, me: Can<ReadStaff>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    render_member(&page, &me.staff, cx.db, cx.tpl, id, None, &HashMap::new()).await
}

/// The member, if `me` may change them (an owner's account: owners only).
pub(super) async fn changeable(db: &Db, me: &StaffUser, id: i64) -> AppResult<store::StaffRow> {
    let row = db
        .read(move |c| store::get(c, id))
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such staff member.".into()))?;
    if row.is_owner && !me.is_owner {
        return Err(AppError::Forbidden(
            "Only an owner can change an owner's account.".into(),
        ));
    }
    Ok(row)
}

#[post("/admin/staff/<id>", data = "<form>")]
async fn save(
    id: i64,
    form: CsrfForm<MemberForm>,
    me: Can<UpdateStaff>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    let before = changeable(cx.db, &me.staff, id).await?;
    let staff = me.staff.clone();
    let (name, role) = (f.name.clone(), f.role.clone());
    let checked = cx
        .db
        .read(move |c| {
            let mut errors = HashMap::new();
            let name = crate::auth::identity::validate_name(&name)
                .map_err(|e| errors.insert("name", e))
                .ok();
            let role = role_choice(c, &staff, &role)
                .map_err(|e| errors.insert("role", e))
                .ok();
            Ok(match (name, role) {
                (Some(n), Some(r)) if errors.is_empty() => Ok((n, r)),
                _ => Err(errors),
            })
        })
        .await?;
    let (name, role) = match checked {
        Ok(v) => v,
        Err(errors) => {
            let html =
                render_member(&page, &me.staff, cx.db, cx.tpl, id, Some(&f), &errors).await?;
            return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
        }
    };
    if name == before.name && role.id == before.role_id {
        return Ok(Ok(flash_redirect(
            format!("/admin/staff/{id}"),
            "info",
            "Nothing to save: the account was already like this.",
        )));
    }
    let (actor, keep) = (
        me.staff.actor(),
        (me.staff.id == id).then_some(me.staff.session_id).flatten(),
    );
    let role_changed = role.id != before.role_id;
    let done = cx
        .db
        .write(move |tx| {
            tx.execute(
                "UPDATE staff SET name = ?2, role_id = ?3 WHERE id = ?1",
                params![id, name, role.id],
            )?;
            // A new role is a privilege change: the member logs in again everywhere
            // (keeping only this browser's session when they changed their own role).
            let ended = if role_changed {
                end_sessions(tx, id, keep)?
            } else {
                0
            };
            audit::record(
                tx,
                &audit::Entry::event("staff", "staff.updated")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("staff", id)
                    .details(json!({
                        "old": { "name": before.name, "role": before.role },
                        "new": { "name": name, "role": role.name },
                        "sessions_ended": ended,
                    })),
            )
        })
        .await;
    match done {
        Ok(()) => Ok(Ok(flash_redirect(
            format!("/admin/staff/{id}"),
            "success",
            if role_changed {
                "Saved. The new role applies from their next login; their sessions were ended."
            } else {
                "Saved."
            },
        ))),
        Err(AppError::Conflict(m)) => {
            let errors = HashMap::from([("role", m)]);
            let html =
                render_member(&page, &me.staff, cx.db, cx.tpl, id, Some(&f), &errors).await?;
            Ok(Err(status::Custom(Status::Conflict, html)))
        }
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, new_form, create, show, save]
}
