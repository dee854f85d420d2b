//! The second step of a staff login with two-factor login on: after the password, the
//! browser holds only a half-login cookie (`two_factor::CHALLENGE_COOKIE`, 5 minutes, its
//! hash stored); the session is created here, once the app code or a recovery code is
//! right. Wrong codes count against the login rate limit and the half-login (5 tries).

use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use serde_json::json;

use super::auth::start_session;
use super::two_factor;
use crate::audit::{self};
use crate::error::AppResult;
use crate::web::client::Https;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

pub const URL: &str = "/admin/login/two-factor";

pub fn set_cookie(jar: &CookieJar<'_>, token: String, secure: bool) {
    jar.add(
        Cookie::build((two_factor::CHALLENGE_COOKIE, token))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .path("/admin")
            .max_age(time::Duration::minutes(two_factor::CHALLENGE_MINUTES))
            .build(),
    );
}

fn remove_cookie(jar: &CookieJar<'_>) {
    jar.remove(Cookie::build(two_factor::CHALLENGE_COOKIE).path("/admin"));
}

fn cookie_token(jar: &CookieJar<'_>) -> Option<String> {
    jar.get(two_factor::CHALLENGE_COOKIE)
        .map(|c| c.value().to_string())
}

fn expired() -> Flash<Redirect> {
    flash_redirect(
        "/admin/login".into(),
        "error",
        "The login was not finished in time (5 minutes) or had too many wrong codes. Log in again.",
    )
}

fn render(page: &Page, tpl: &Templates, error: &str) -> AppResult<RawHtml<String>> {
    let mut ctx = page.context();
    ctx.insert("error", error);
    tpl.page("backoffice/login_two_factor.html.tera", &ctx)
}

#[get("/admin/login/two-factor")]
async fn form(
    jar: &CookieJar<'_>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<RawHtml<String>, Flash<Redirect>>> {
    let Some(token) = cookie_token(jar) else {
        return Ok(Err(expired()));
    };
    let now = cx.clock.now();
    let live = cx
        .db
        .read(move |c| two_factor::find_challenge(c, &token, now))
        .await?;
    if live.is_none() {
        remove_cookie(jar);
        return Ok(Err(expired()));
    }
    Ok(Ok(render(&page, cx.tpl, "")?))
}

#[derive(FromForm)]
pub struct CodeForm {
    code: String,
}

type Answer = Result<Redirect, Result<status::Custom<RawHtml<String>>, Flash<Redirect>>>;

#[post("/admin/login/two-factor", data = "<form>")]
async fn submit(
    form: CsrfForm<CodeForm>,
    https: Https,
    jar: &CookieJar<'_>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let now = cx.clock.now();
    crate::auth::ratelimit::check_login(cx.db, cx.limiter, cx.sink, "staff", cx.ip, now).await?;
    let Some(token) = cookie_token(jar) else {
        return Ok(Err(Err(expired())));
    };
    let code = form.0.code;
    let key = cx.secret.clone();
    // Checking and recording the code (its step, or the recovery code as used) is one
    // transaction, so two requests with the same code cannot both pass.
    let outcome = cx
        .db
        .write(move |tx| {
            let Some(ch) = two_factor::find_challenge(tx, &token, now)? else {
                return Ok(None);
            };
            match two_factor::check_code(tx, &key, ch.staff_id, &code, now)? {
                Some(proof) => {
                    two_factor::end_challenge(tx, ch.id)?;
                    Ok(Some((ch, Ok(proof))))
                }
                None => {
                    let left = two_factor::fail_challenge(tx, ch.id)?;
                    Ok(Some((ch, Err(left))))
                }
            }
        })
        .await?;
    let Some((ch, result)) = outcome else {
        remove_cookie(jar);
        return Ok(Err(Err(expired())));
    };
    match result {
        Ok(proof) => {
            remove_cookie(jar);
            start_session(&cx, jar, https, ch.staff_id, Some(proof)).await?;
            let next = super::auth::safe_next(Some(&ch.next));
            if proof == two_factor::Proof::Recovery {
                return Ok(Err(Err(flash_redirect(
                    super::guard::ENROL_URL.into(),
                    "info",
                    "You logged in with a recovery code; it cannot be used again. Check how many you have left.",
                ))));
            }
            Ok(Ok(Redirect::to(next)))
        }
        Err(left) => {
            cx.sink.send(
                audit::Entry::error("staff", "login.two_factor_failed")
                    .ip(Some(cx.ip))
                    .entity("staff", ch.staff_id)
                    .details(json!({ "attempts_left": left })),
            );
            if left == 0 {
                remove_cookie(jar);
                return Ok(Err(Err(expired())));
            }
            let html = render(
                &page,
                cx.tpl,
                &format!(
                    "That code is not right (or was already used). {left} {} left.",
                    if left == 1 { "try" } else { "tries" }
                ),
            )?;
            Ok(Err(Ok(status::Custom(Status::Unauthorized, html))))
        }
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![form, submit]
}
