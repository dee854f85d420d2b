//! The public page a staff member's invitation or reset mail links to:
//! /admin/set-password/<token>. The password follows the shop's strength rules
//! (`auth::password`); setting it uses the link up, ends every session and API token of
//! the account, and sends the member to the login form.

use std::collections::HashMap;

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use serde_json::json;

use super::account_two_factor::end_sessions;
use super::{invite, store};
use crate::audit::{self, Actor};
use crate::auth::password;
use crate::db::Db;
use crate::error::AppResult;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

fn render(
    page: &Page,
    tpl: &Templates,
    token: &str,
    member: &store::StaffRow,
    invited: bool,
    errors: &HashMap<&'static str, String>,
) -> AppResult<RawHtml<String>> {
    let mut ctx = page.context();
    ctx.insert("token", token);
    ctx.insert(
        "member",
        &json!({ "name": member.name, "email": member.email, "role": member.role }),
    );
    ctx.insert("invited", &invited);
    ctx.insert("errors", errors);
    ctx.insert("min_len", &password::MIN_LEN);
    tpl.page("backoffice/set_password.html.tera", &ctx)
}

async fn lookup(
    db: &Db,
    token: &str,
    now: time::OffsetDateTime,
) -> AppResult<(store::StaffRow, bool)> {
    let t = token.to_string();
    db.read(move |c| {
        let v = invite::check(c, &t, now)?;
        let row = store::get(c, v.staff_id)?
            .ok_or_else(|| crate::error::AppError::NotFound("This link is not valid.".into()))?;
        Ok((row, v.purpose == "invite"))
    })
    .await
}

#[get("/admin/set-password/<token>")]
async fn form(token: &str, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let (member, invited) = lookup(cx.db, token, cx.clock.now()).await?;
    render(&page, cx.tpl, token, &member, invited, &HashMap::new())
}

#[derive(FromForm)]
pub struct PasswordForm {
    #[field(default = String::new())]
    password: String,
    #[field(default = String::new())]
    password_again: String,
}

#[post("/admin/set-password/<token>", data = "<form>")]
async fn submit(
    token: &str,
    form: CsrfForm<PasswordForm>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let now = cx.clock.now();
    let (member, invited) = lookup(cx.db, token, now).await?;
    let f = form.0;
    let mut errors = HashMap::new();
    if let Err(why) = password::check_strength(&f.password, &[&member.email, &member.name]) {
        errors.insert("password", why);
    } else if f.password != f.password_again {
        errors.insert(
            "password_again",
            "The two passwords are not the same.".to_string(),
        );
    }
    if !errors.is_empty() {
        let html = render(&page, cx.tpl, token, &member, invited, &errors)?;
        return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
    }
    let hash = password::hash_off_thread(&f.password).await?;
    let (t, id, email) = (token.to_string(), member.id, member.email.clone());
    cx.db
        .write(move |tx| {
            let v = invite::consume(tx, &t, now)?;
            store::set_password(tx, v.staff_id, &hash)?;
            // A password change ends every session and API token of the account.
            let ended = end_sessions(tx, v.staff_id, None)?;
            audit::record(
                tx,
                &audit::Entry::event("staff", "password.set")
                    .actor(Actor::Staff { id, label: email })
                    .ip(Some(cx.ip))
                    .entity("staff", id)
                    .details(json!({ "via": v.purpose, "sessions_ended": ended })),
            )
        })
        .await?;
    Ok(Ok(flash_redirect(
        "/admin/login".into(),
        "success",
        "Your password is set. Log in with your email address and the new password.",
    )))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![form, submit]
}
