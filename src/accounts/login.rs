//! Customer login and logout at /account/login. `authenticate` is shared with the API:
//! per-IP rate limit, per-account lock-out (POLICY: 5 failures in 15 minutes lock the
//! login for 15 minutes), the same answer and the same work for an unknown address.

use rocket::http::{CookieJar, Status};
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::guard::{actor, lifetime, CustomerUser};
use super::pages::account_context;
use super::store::{self, Customer};
use super::tokens;
use crate::audit::{self, AuditSink};
use crate::auth::password;
use crate::auth::ratelimit::RateLimiter;
use crate::auth::session::{self, Kind};
use crate::clock::sql_time;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::settings;
use crate::web::client::{ClientIp, Https};
use crate::web::csrf::{self, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

pub const WRONG: &str = "That email and password do not match an account.";

/// Why a login did not work. `NotVerified` is only said after the right password.
#[derive(Debug)]
pub enum Refused {
    Wrong,
    Locked { minutes: i64 },
    NotVerified,
    Inactive,
    RateLimited(AppError),
    Failed(AppError),
}

impl Refused {
    pub fn message(&self) -> String {
        match self {
            Refused::Wrong => WRONG.into(),
            Refused::Locked { minutes } => format!(
                "Too many failed logins for this account. Try again in {minutes} minute{}, or reset your password to unlock it now.",
                if *minutes == 1 { "" } else { "s" }
            ),
            Refused::NotVerified => "Please verify your email address first: open the link in the mail we sent you. No mail? Ask for a new link below.".into(),
            Refused::Inactive => "This account has been deactivated. Please contact the shop.".into(),
            Refused::RateLimited(e) | Refused::Failed(e) => e.public_message(),
        }
    }

    pub fn into_app_error(self) -> AppError {
        match self {
            Refused::RateLimited(e) | Refused::Failed(e) => e,
            Refused::Locked { minutes } => AppError::TooManyRequests {
                message: Refused::Locked { minutes }.message(),
                retry_after: (minutes * 60) as u64,
            },
            other => AppError::LoginFailed(other.message()),
        }
    }
}

fn minutes_until(until: &str, now: OffsetDateTime) -> i64 {
    let until = time::PrimitiveDateTime::parse(
        until,
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
    )
    .map(|t| t.assume_utc())
    .unwrap_or(now);
    ((until - now).whole_seconds().max(1) + 59) / 60
}

pub struct Login<'a> {
    pub db: &'a Db,
    pub limiter: &'a RateLimiter,
    pub sink: &'a AuditSink,
    pub ip: ClientIp,
    pub now: OffsetDateTime,
}

/// Checks an email and password; on success the caller opens a session or token.
pub async fn authenticate(l: &Login<'_>, email: &str, pw: &str) -> Result<Customer, Refused> {
    let email = email.trim().to_lowercase();
    crate::auth::ratelimit::check_login(l.db, l.limiter, l.sink, "customer", l.ip, l.now)
        .await
        .map_err(|e| match e {
            e @ AppError::TooManyRequests { .. } => Refused::RateLimited(e),
            e => Refused::Failed(e),
        })?;
    let (max_failures, lock_minutes) =
        l.db.read(|c| {
            Ok((
                settings::get_i64(c, "security.customer_login_attempts")?,
                settings::get_i64(c, "security.customer_lockout_minutes")?,
            ))
        })
        .await
        .map_err(Refused::Failed)?;
    let ts = l.now.unix_timestamp();
    let lookup = email.clone();
    let row =
        l.db.read(move |c| store::find_for_login(c, &lookup))
            .await
            .map_err(Refused::Failed)?;
    let pw = pw.to_string();
    let (row, ok) = rocket::tokio::task::spawn_blocking(move || match row {
        Some(r) => {
            let ok = password::verify(&pw, &r.password_hash);
            (Some(r), ok)
        }
        None => {
            password::verify_dummy(&pw);
            (None, false)
        }
    })
    .await
    .map_err(|e| Refused::Failed(AppError::internal(e)))?;
    let details = json!({ "email": email.chars().take(254).collect::<String>() });
    let window = Duration::minutes(lock_minutes);

    let Some(row) = row else {
        // An unknown address is locked out just like a real one, so the answers match.
        l.sink.send(
            audit::Entry::error("customer", "login.failed")
                .ip(Some(l.ip))
                .details(details),
        );
        // The limiter refuses the attempt after `limit`; an account locks at its 5th failure.
        let locked = l.limiter.check(
            "customer_login_unknown",
            &email,
            (max_failures as u32).saturating_sub(1).max(1),
            window.whole_seconds(),
            ts,
        );
        return Err(match locked {
            Err(secs) => Refused::Locked {
                minutes: (secs as i64 + 59) / 60,
            },
            Ok(()) => Refused::Wrong,
        });
    };
    if let Some(until) = row
        .locked_until
        .as_deref()
        .filter(|u| *u > &*sql_time(l.now))
    {
        l.sink.send(
            audit::Entry::error("customer", "login.locked")
                .ip(Some(l.ip))
                .entity("customer", row.id)
                .details(details),
        );
        return Err(Refused::Locked {
            minutes: minutes_until(until, l.now),
        });
    }
    if !ok {
        let (id, now, ip) = (row.id, l.now, l.ip);
        let locked =
            l.db.write(move |tx| {
                let locked = store::record_failure(tx, id, max_failures, window, now)?;
                audit::record(
                    tx,
                    &audit::Entry::error("customer", "login.failed")
                        .ip(Some(ip))
                        .entity("customer", id)
                        .details(json!({ "email": details["email"], "locked": locked })),
                )?;
                Ok(locked)
            })
            .await
            .map_err(Refused::Failed)?;
        return Err(if locked {
            Refused::Locked {
                minutes: lock_minutes,
            }
        } else {
            Refused::Wrong
        });
    }
    if !row.active {
        return Err(Refused::Inactive);
    }
    if !row.verified {
        return Err(Refused::NotVerified);
    }
    let (id, now, ip) = (row.id, l.now, l.ip);
    l.db.write(move |tx| {
        store::record_login(tx, id, now)?;
        let c = store::get(tx, id)?.ok_or_else(|| AppError::internal("customer vanished"))?;
        audit::record(
            tx,
            &audit::Entry::event("customer", "login")
                .actor(actor(&c))
                .ip(Some(ip))
                .entity("customer", id),
        )?;
        Ok(c)
    })
    .await
    .map_err(Refused::Failed)
}

#[derive(FromForm)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// Only account and shop paths on this host are followed after login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/admin")
                && !n.contains('\\') =>
        {
            n.to_string()
        }
        _ => "/account".to_string(),
    }
}

fn login_page(
    page: &Page,
    tpl: &Templates,
    email: &str,
    error: &str,
    unverified: bool,
    next: &str,
) -> AppResult<RawHtml<String>> {
    let mut ctx = account_context(page);
    ctx.insert("email", email);
    ctx.insert("error", error);
    ctx.insert("unverified", &unverified);
    ctx.insert("next", next);
    tpl.page("storefront/account/login.html.tera", &ctx)
}

#[get("/account/login?<next>")]
fn login_form(
    next: Option<&str>,
    me: Option<CustomerUser>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<RawHtml<String>, Redirect>> {
    let next = safe_next(next);
    if me.is_some() {
        return Ok(Err(Redirect::to(next)));
    }
    Ok(Ok(login_page(&page, cx.tpl, "", "", false, &next)?))
}

#[post("/account/login", data = "<form>")]
async fn login(
    form: CsrfForm<LoginForm>,
    https: Https,
    jar: &CookieJar<'_>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<Redirect, status::Custom<RawHtml<String>>>> {
    let LoginForm {
        email,
        password,
        next,
    } = form.0;
    let next = safe_next(next.as_deref());
    let l = Login {
        db: cx.db,
        limiter: cx.limiter,
        sink: cx.sink,
        ip: cx.ip,
        now: cx.clock.now(),
    };
    let customer = match authenticate(&l, &email, &password).await {
        Ok(c) => c,
        Err(Refused::Failed(e)) => return Err(e),
        Err(refused) => {
            let status = match &refused {
                Refused::RateLimited(_) | Refused::Locked { .. } => Status::TooManyRequests,
                Refused::NotVerified | Refused::Inactive => Status::Forbidden,
                _ => Status::Unauthorized,
            };
            let unverified = matches!(refused, Refused::NotVerified);
            let html = login_page(&page, cx.tpl, &email, &refused.message(), unverified, &next)?;
            return Ok(Err(status::Custom(status, html)));
        }
    };
    start_session(
        cx.db,
        jar,
        cx.secret,
        https,
        cx.ip,
        customer.id,
        cx.clock.now(),
    )
    .await?;
    Ok(Ok(Redirect::to(next)))
}

/// A new session id at every login; the session this browser had is ended, and a guest
/// cart merges into the customer's.
pub async fn start_session(
    db: &Db,
    jar: &CookieJar<'_>,
    secret: &Secret,
    https: Https,
    ip: ClientIp,
    customer_id: i64,
    now: OffsetDateTime,
) -> AppResult<()> {
    let old = jar
        .get(Kind::Customer.cookie_name())
        .map(|c| c.value().to_string());
    let ip_text = ip.to_string();
    // What a guest put in their cart before logging in joins the account's cart.
    let guest_cart = crate::cart::owner::take_guest(jar);
    let token = db
        .write(move |tx| {
            if let Some(old) = old {
                session::delete(tx, Kind::Customer, &old)?;
            }
            if let Some(guest) = guest_cart {
                crate::cart::store::merge_guest(tx, &guest, customer_id, now)?;
            }
            session::create(
                tx,
                Kind::Customer,
                customer_id,
                &lifetime(),
                now,
                &ip_text,
                "",
            )
        })
        .await?;
    session::set_cookie(jar, Kind::Customer, token, https.0);
    csrf::rotate(jar, secret, https);
    Ok(())
}

#[derive(FromForm)]
pub struct LogoutForm {
    everywhere: bool,
}

#[post("/account/logout", data = "<form>")]
async fn logout(
    form: CsrfForm<LogoutForm>,
    me: Option<CustomerUser>,
    https: Https,
    jar: &CookieJar<'_>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let everywhere = form.0.everywhere;
    if let Some(me) = me {
        let token = jar
            .get(Kind::Customer.cookie_name())
            .map(|c| c.value().to_string())
            .unwrap_or_default();
        cx.db
            .write(move |tx| {
                if everywhere {
                    tokens::revoke_all(tx, me.id(), None)?;
                } else {
                    session::delete(tx, Kind::Customer, &token)?;
                }
                audit::record(
                    tx,
                    &audit::Entry::event(
                        "customer",
                        if everywhere {
                            "logout.everywhere"
                        } else {
                            "logout"
                        },
                    )
                    .actor(me.actor())
                    .ip(Some(cx.ip))
                    .entity("customer", me.id()),
                )?;
                Ok(())
            })
            .await?;
    }
    session::remove_cookie(jar, Kind::Customer);
    csrf::rotate(jar, cx.secret, https);
    Ok(flash_redirect(
        "/account/login".into(),
        "success",
        if everywhere {
            "You have been logged out on every device."
        } else {
            "You have been logged out."
        },
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![login_form, login, logout]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_shop_paths_on_this_host_are_followed_after_login() {
        assert_eq!(safe_next(Some("/account/addresses")), "/account/addresses");
        assert_eq!(safe_next(Some("//evil.example")), "/account");
        assert_eq!(safe_next(Some("https://evil.example")), "/account");
        assert_eq!(safe_next(Some("/admin")), "/account");
        assert_eq!(safe_next(None), "/account");
    }

    #[test]
    fn lock_out_minutes_round_up() {
        let now = time::macros::datetime!(2026-11-22 10:00:00 UTC);
        assert_eq!(minutes_until("2026-11-22T10:14:01Z", now), 15);
        assert_eq!(minutes_until("2026-11-22T10:00:30Z", now), 1);
    }
}
