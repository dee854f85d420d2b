//! A staff member's own two-factor login at /admin/account/two-factor: set it up (QR code
//! of the `otpauth://` URI plus the secret as text, confirmed with a code, then the 10
//! recovery codes shown once), see how many recovery codes are left, make new ones, turn
//! it off (with a current code or the password; not when the role requires it).
//! A member whose role requires two-factor login lands here after the password and can
//! reach nothing else until it is on (`guard::EnrollingStaff`).

use rocket::http::{ContentType, Header, Status};
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect, Responder};
use rocket::{get, post, routes, FromForm};
use serde_json::json;

use super::guard::{EnrollingStaff, StaffUser, ENROL_URL};
use super::{nav, totp, two_factor};
use crate::audit;
use crate::auth::api_token;
use crate::auth::password;
use crate::auth::session::{self, Kind};
use crate::clock::shown_time;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

/// A page that must not stay in any cache (it shows recovery codes or a secret).
#[derive(Responder)]
pub struct NoStore<T> {
    inner: T,
    cache: Header<'static>,
}

fn no_store<T>(inner: T) -> NoStore<T> {
    NoStore {
        inner,
        cache: Header::new("Cache-Control", "no-store"),
    }
}

/// What the page shows besides the base context.
#[derive(Default)]
struct View {
    error: String,
    recovery_codes: Vec<String>,
}

async fn render(
    page: &Page,
    me: &StaffUser,
    db: &Db,
    secret: &Secret,
    tpl: &Templates,
    view: View,
) -> AppResult<RawHtml<String>> {
    let (id, key) = (me.id, secret.clone());
    let (st, left, pending) = db
        .write(move |tx| {
            let st = two_factor::state(tx, id)?;
            let left = two_factor::recovery_codes_left(tx, id)?;
            let pending = if st.enabled_at.is_none() {
                Some(two_factor::pending_secret(tx, &key, id)?)
            } else {
                None
            };
            Ok((st, left, pending))
        })
        .await?;
    let mut ctx = nav::context(page, me, "");
    if me.must_enrol {
        ctx.insert("nav_areas", &Vec::<()>::new());
    }
    ctx.insert("must_enrol", &me.must_enrol);
    ctx.insert(
        "required",
        &(me.must_enrol || role_requires(db, me.id).await?),
    );
    ctx.insert("enabled_at", &st.enabled_at.as_deref().map(shown_time));
    ctx.insert("codes_left", &left);
    ctx.insert("error", &view.error);
    ctx.insert("recovery_codes", &view.recovery_codes);
    if let Some(b32) = pending {
        ctx.insert("secret_text", &totp::grouped(&b32));
    }
    tpl.page("backoffice/two_factor.html.tera", &ctx)
}

async fn role_requires(db: &Db, id: i64) -> AppResult<bool> {
    db.read(move |c| Ok(super::store::get(c, id)?.is_some_and(|r| r.require_totp)))
        .await
}

#[get("/admin/account/two-factor")]
async fn show(me: EnrollingStaff, page: Page, cx: Ctx<'_>) -> AppResult<NoStore<RawHtml<String>>> {
    Ok(no_store(
        render(&page, &me.0, cx.db, cx.secret, cx.tpl, View::default()).await?,
    ))
}

/// The QR code of the secret being set up (nothing once two-factor login is on).
#[get("/admin/account/two-factor/qr.png")]
async fn qr(
    me: EnrollingStaff,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<NoStore<(ContentType, Vec<u8>)>> {
    let (id, key) = (me.0.id, cx.secret.clone());
    let b32 = cx
        .db
        .write(move |tx| {
            if two_factor::state(tx, id)?.enabled_at.is_some() {
                return Err(AppError::NotFound(
                    "Two-factor login is already on; the code is not shown again.".into(),
                ));
            }
            two_factor::pending_secret(tx, &key, id)
        })
        .await?;
    let uri = totp::otpauth_uri(&page.shop.name, &me.0.email, &b32);
    let png = rocket::tokio::task::spawn_blocking(move || crate::media::qr::png(&uri))
        .await
        .map_err(AppError::internal)??;
    Ok(no_store((ContentType::PNG, png)))
}

#[derive(FromForm)]
pub struct CodeForm {
    #[field(default = String::new())]
    code: String,
    #[field(default = String::new())]
    password: String,
}

type Answer = Result<Flash<Redirect>, status::Custom<NoStore<RawHtml<String>>>>;

#[post("/admin/account/two-factor/confirm", data = "<form>")]
async fn confirm(
    form: CsrfForm<CodeForm>,
    me: EnrollingStaff,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let me = me.0;
    let (id, key, now, actor) = (me.id, cx.secret.clone(), cx.clock.now(), me.actor());
    let code = form.0.code;
    let keep = me.session_id;
    let codes = cx
        .db
        .write(move |tx| {
            let Some(codes) = two_factor::confirm(tx, &key, id, &code, now)? else {
                return Ok(None);
            };
            // A privilege change: the member's other sessions and API tokens end.
            let ended = end_other_sessions(tx, id, keep)?;
            audit::record(
                tx,
                &audit::Entry::event("staff", "two_factor.enabled")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("staff", id)
                    .details(json!({ "old": "off", "new": "on", "sessions_ended": ended })),
            )?;
            Ok(Some(codes))
        })
        .await?;
    let mut me = me;
    let (status, view) = match codes {
        Some(recovery_codes) => {
            me.must_enrol = false;
            me.totp_enabled = true;
            (
                Status::Ok,
                View {
                    recovery_codes,
                    ..View::default()
                },
            )
        }
        None => (
            Status::UnprocessableEntity,
            View {
                error: "That code is not right. Check that the app shows the account just added, \
                        and that this device's cx.clock is correct, then type the current code."
                    .into(),
                ..View::default()
            },
        ),
    };
    let html = render(&page, &me, cx.db, cx.secret, cx.tpl, view).await?;
    Ok(Err(status::Custom(status, no_store(html))))
}

/// Ends every session of `id` but `keep`, and every API token.
fn end_other_sessions(tx: &rusqlite::Connection, id: i64, keep: Option<i64>) -> AppResult<usize> {
    let ended = tx.execute(
        "DELETE FROM sessions WHERE kind = 'staff' AND user_id = ?1 AND id IS NOT ?2",
        rusqlite::params![id, keep],
    )?;
    api_token::revoke_all(tx, Kind::Staff, id)?;
    Ok(ended)
}

/// A current app code, a recovery code, or the password proves it is really the member.
async fn proven(
    db: &Db,
    secret: &Secret,
    me: &StaffUser,
    form: &CodeForm,
    now: time::OffsetDateTime,
) -> AppResult<bool> {
    if !form.code.trim().is_empty() {
        let (id, key, code) = (me.id, secret.clone(), form.code.clone());
        return Ok(db
            .write(move |tx| two_factor::check_code(tx, &key, id, &code, now))
            .await?
            .is_some());
    }
    if form.password.is_empty() {
        return Ok(false);
    }
    let email = me.email.clone();
    let row = db
        .read(move |c| super::store::find_for_login(c, &email))
        .await?;
    let pw = form.password.clone();
    rocket::tokio::task::spawn_blocking(move || {
        row.is_some_and(|r| password::verify(&pw, &r.password_hash))
    })
    .await
    .map_err(AppError::internal)
}

#[post("/admin/account/two-factor/disable", data = "<form>")]
async fn disable(
    form: CsrfForm<CodeForm>,
    me: StaffUser,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    if role_requires(cx.db, me.id).await? {
        return Ok(Ok(flash_redirect(
            ENROL_URL.into(),
            "error",
            format!(
                "Your role ({}) requires two-factor login, so it cannot be turned off.",
                me.role
            ),
        )));
    }
    let now = cx.clock.now();
    if !proven(cx.db, cx.secret, &me, &form.0, now).await? {
        let view = View {
            error: "Type a current code from your app, a recovery code, or your password to turn two-factor login off.".into(),
            ..View::default()
        };
        let html = render(&page, &me, cx.db, cx.secret, cx.tpl, view).await?;
        return Ok(Err(status::Custom(
            Status::UnprocessableEntity,
            no_store(html),
        )));
    }
    let (id, actor) = (me.id, me.actor());
    cx.db
        .write(move |tx| {
            two_factor::disable(tx, id)?;
            audit::record(
                tx,
                &audit::Entry::event("staff", "two_factor.disabled")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("staff", id)
                    .details(json!({ "old": "on", "new": "off" })),
            )
        })
        .await?;
    Ok(Ok(flash_redirect(
        ENROL_URL.into(),
        "success",
        "Two-factor login is off. Your password alone now logs you in.",
    )))
}

#[post("/admin/account/two-factor/recovery-codes", data = "<form>")]
async fn new_codes(
    form: CsrfForm<CodeForm>,
    me: StaffUser,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<status::Custom<NoStore<RawHtml<String>>>> {
    let now = cx.clock.now();
    if !me.totp_enabled || !proven(cx.db, cx.secret, &me, &form.0, now).await? {
        let view = View {
            error:
                "Type a current code from your app, or your password, to make new recovery codes."
                    .into(),
            ..View::default()
        };
        let html = render(&page, &me, cx.db, cx.secret, cx.tpl, view).await?;
        return Ok(status::Custom(Status::UnprocessableEntity, no_store(html)));
    }
    let (id, actor) = (me.id, me.actor());
    let recovery_codes = cx
        .db
        .write(move |tx| {
            let codes = two_factor::new_recovery_codes(tx, id)?;
            audit::record(
                tx,
                &audit::Entry::event("staff", "two_factor.recovery_codes")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("staff", id),
            )?;
            Ok(codes)
        })
        .await?;
    let view = View {
        recovery_codes,
        ..View::default()
    };
    let html = render(&page, &me, cx.db, cx.secret, cx.tpl, view).await?;
    Ok(status::Custom(Status::Ok, no_store(html)))
}

/// Used by the staff pages too: ends a member's sessions (all, or all but `keep`).
pub fn end_sessions(tx: &rusqlite::Connection, id: i64, keep: Option<i64>) -> AppResult<usize> {
    let n = match keep {
        Some(_) => end_other_sessions(tx, id, keep)?,
        None => {
            let n = session::delete_all(tx, Kind::Staff, id)?;
            api_token::revoke_all(tx, Kind::Staff, id)?;
            n
        }
    };
    Ok(n)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![show, qr, confirm, disable, new_codes]
}
