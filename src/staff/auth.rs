//! Staff login and logout at /admin/login. Answers never reveal whether an account
//! exists: unknown emails verify a dummy hash and get the same message.

use rocket::http::{CookieJar, Status};
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm, State};
use serde_json::json;

use super::guard::{lifetime, StaffUser};
use super::store;
use crate::audit::{self, Actor, AuditSink};
use crate::auth::password;
use crate::auth::session::{self, Kind};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::web::client::{ClientIp, Https};
use crate::web::csrf::{self, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

/// Logins shown on the login page of a throw-away demo shop: (role, email, password).
#[derive(Default)]
pub struct DemoLogins(pub Vec<(String, String, String)>);

/// The active staff member these credentials belong to. Unknown emails verify a dummy hash,
/// so the answer takes as long either way; failures are audited. Shared by the web login
/// and the staff API.
pub async fn check_credentials(
    db: &Db,
    sink: &AuditSink,
    ip: ClientIp,
    email: &str,
    password: &str,
) -> AppResult<Option<i64>> {
    let lookup_email = email.to_string();
    let row = db
        .read(move |c| store::find_for_login(c, &lookup_email))
        .await?;
    let pw = password.to_string();
    let ok_id = rocket::tokio::task::spawn_blocking(move || match row {
        Some(r) if password::verify(&pw, &r.password_hash) && r.active => Some(r.id),
        Some(_) => None,
        None => {
            password::verify_dummy(&pw);
            None
        }
    })
    .await
    .map_err(AppError::internal)?;
    if ok_id.is_none() {
        sink.send(
            audit::Entry::error("staff", "login.failed")
                .ip(Some(ip))
                .details(json!({ "email": email.chars().take(254).collect::<String>() })),
        );
    }
    Ok(ok_id)
}

#[derive(FromForm)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// Only back-office paths on this host are followed after login.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/admin") && !n.starts_with("//") && !n.contains('\\') => {
            n.to_string()
        }
        _ => "/admin".to_string(),
    }
}

async fn login_page(
    page: &Page,
    db: &Db,
    tpl: &Templates,
    demo: &DemoLogins,
    email: &str,
    error: &str,
    next: &str,
) -> AppResult<RawHtml<String>> {
    let staff_count = db.read(store::count_active).await?;
    let mut ctx = page.context();
    ctx.insert("email", email);
    ctx.insert("error", error);
    ctx.insert("next", next);
    ctx.insert("setup_pending", &(staff_count == 0));
    let logins: Vec<_> = demo
        .0
        .iter()
        .map(
            |(role, email, password)| json!({ "role": role, "email": email, "password": password }),
        )
        .collect();
    ctx.insert("demo_logins", &logins);
    tpl.page("backoffice/login.html.tera", &ctx)
}

#[get("/admin/login?<next>")]
async fn login_form(
    next: Option<&str>,
    me: Option<StaffUser>,
    page: Page,
    demo: &State<DemoLogins>,
    cx: Ctx<'_>,
) -> AppResult<Result<RawHtml<String>, Redirect>> {
    let next = safe_next(next);
    if me.is_some() {
        return Ok(Err(Redirect::to(next)));
    }
    Ok(Ok(
        login_page(&page, cx.db, cx.tpl, demo, "", "", &next).await?
    ))
}

#[post("/admin/login", data = "<form>")]
async fn login(
    form: CsrfForm<LoginForm>,
    https: Https,
    jar: &CookieJar<'_>,
    page: Page,
    demo: &State<DemoLogins>,
    cx: Ctx<'_>,
) -> AppResult<Result<Redirect, status::Custom<RawHtml<String>>>> {
    let LoginForm {
        email,
        password,
        next,
    } = form.0;
    let next = safe_next(next.as_deref());
    let now = cx.clock.now();

    crate::auth::ratelimit::check_login(cx.db, cx.limiter, cx.sink, "staff", cx.ip, now).await?;

    let Some(id) = check_credentials(cx.db, cx.sink, cx.ip, &email, &password).await? else {
        let html = login_page(
            &page,
            cx.db,
            cx.tpl,
            demo,
            &email,
            "That email and password do not match an active staff account.",
            &next,
        )
        .await?;
        return Ok(Err(status::Custom(Status::Unauthorized, html)));
    };

    let enrolled = cx
        .db
        .read(move |c| Ok(super::two_factor::state(c, id)?.enabled_at.is_some()))
        .await?;
    if enrolled {
        // The password was right; no session until the code is right too.
        let token = cx
            .db
            .write(move |tx| super::two_factor::start_challenge(tx, id, &next, now))
            .await?;
        super::second_step::set_cookie(jar, token, https.0);
        return Ok(Ok(Redirect::to(super::second_step::URL)));
    }
    start_session(&cx, jar, https, id, None).await?;
    Ok(Ok(Redirect::to(next)))
}

/// Logs the browser in as `id`: a new session id (any session this browser had is
/// ended), the login recorded and audited, a fresh CSRF cookie.
pub async fn start_session(
    cx: &Ctx<'_>,
    jar: &CookieJar<'_>,
    https: Https,
    id: i64,
    two_factor: Option<super::two_factor::Proof>,
) -> AppResult<()> {
    let (db, secret, ip, now) = (cx.db, cx.secret, cx.ip, cx.clock.now());
    let old = jar
        .get(Kind::Staff.cookie_name())
        .map(|c| c.value().to_string());
    let ua = String::new();
    let ip_text = ip.to_string();
    let token = db
        .write(move |tx| {
            if let Some(old) = old {
                session::delete(tx, Kind::Staff, &old)?;
            }
            let life = lifetime(tx)?;
            let token = session::create(tx, Kind::Staff, id, &life, now, &ip_text, &ua)?;
            store::record_login(tx, id, &crate::clock::sql_time(now))?;
            let email = store::get(tx, id)?.map(|s| s.email).unwrap_or_default();
            let mut entry = audit::Entry::event("staff", "login")
                .actor(Actor::Staff { id, label: email })
                .ip(Some(ip))
                .entity("staff", id);
            if let Some(p) = two_factor {
                entry = entry.details(json!({ "two_factor": p.as_str() }));
            }
            audit::record(tx, &entry)?;
            Ok(token)
        })
        .await?;
    session::set_cookie(jar, Kind::Staff, token, https.0);
    csrf::rotate(jar, secret, https);
    Ok(())
}

#[post("/admin/logout", data = "<_form>")]
async fn logout(
    _form: CsrfForm<csrf::Csrf>,
    me: Option<StaffUser>,
    https: Https,
    jar: &CookieJar<'_>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    if let Some(token) = jar
        .get(Kind::Staff.cookie_name())
        .map(|c| c.value().to_string())
    {
        let actor = me.as_ref().map(|m| m.actor());
        cx.db
            .write(move |tx| {
                session::delete(tx, Kind::Staff, &token)?;
                if let Some(actor) = actor {
                    audit::record(
                        tx,
                        &audit::Entry::event("staff", "logout")
                            .actor(actor)
                            .ip(Some(cx.ip)),
                    )?;
                }
                Ok(())
            })
            .await?;
    }
    session::remove_cookie(jar, Kind::Staff);
    csrf::rotate(jar, cx.secret, https);
    Ok(flash_redirect(
        "/admin/login".into(),
        "success",
        "You have been logged out.",
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![login_form, login, logout]
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_back_office_paths_are_followed_after_login() {
        assert_eq!(
            safe_next(Some("/admin/products?page=2")),
            "/admin/products?page=2"
        );
        assert_eq!(safe_next(Some("https://evil.example/admin")), "/admin");
        assert_eq!(safe_next(Some("//evil.example")), "/admin");
        assert_eq!(safe_next(None), "/admin");
    }
}
