//! CSRF protection for every state-changing form. A random `cs_csrf` cookie (HttpOnly,
//! SameSite=Lax) identifies the browser; the form token is an HMAC, under the shop's
//! secret key, of that cookie and of the browser's session cookies, so a page of another
//! site can neither read nor forge it, and a cookie/token pair planted from elsewhere
//! (cookie tossing) does not fit a logged-in browser. The cookie is replaced at every login
//! and logout, which kills tokens rendered before.
//!
//! Forms are read through `CsrfForm<T>`: it checks `_csrf` before parsing `T`, so no
//! handler can forget the check.

use hmac::{Hmac, Mac};
use rocket::data::{Data, FromData, Limits, Outcome as DataOutcome};
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};
use sha2::Sha256;

use crate::audit::{self, AuditSink};
use crate::auth::session::Kind;
use crate::secret::Secret;
use crate::web::client::{ClientIp, Https};
use crate::web::errors::FailMessage;

pub const COOKIE: &str = "cs_csrf";

fn token_for(secret: &Secret, jar: &CookieJar<'_>, cookie: &str) -> String {
    let session = |k: Kind| {
        jar.get(k.cookie_name())
            .map(|c| c.value().to_string())
            .unwrap_or_default()
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.bytes()).expect("any key length works");
    mac.update(b"csrf\0");
    mac.update(cookie.as_bytes());
    mac.update(b"\0");
    mac.update(session(Kind::Staff).as_bytes());
    mac.update(b"\0");
    mac.update(session(Kind::Customer).as_bytes());
    base64_url(&mac.finalize().into_bytes())
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}

/// Gives a fresh CSRF cookie (at login and logout) and returns its form token.
pub fn rotate(jar: &CookieJar<'_>, secret: &Secret, https: Https) -> String {
    let value = crate::secret::random_token();
    let token = token_for(secret, jar, &value);
    jar.add(cookie(value, https.0));
    token
}

/// The token to put in this page's forms; sets the cookie on a browser's first visit.
pub struct CsrfToken(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(secret) = req.rocket().state::<Secret>() else {
            return Outcome::Error((Status::InternalServerError, ()));
        };
        let jar = req.cookies();
        let https = req
            .guard::<Https>()
            .await
            .succeeded()
            .unwrap_or(Https(false));
        let token = req.local_cache(|| match jar.get(COOKIE) {
            Some(c) if c.value().len() >= 32 => token_for(secret, jar, c.value()),
            _ => rotate(jar, secret, https),
        });
        Outcome::Success(CsrfToken(token.clone()))
    }
}

/// A form body whose `_csrf` field matched; `T` is then parsed leniently from it.
pub struct CsrfForm<T>(pub T);

fn verify(req: &Request<'_>, sent: Option<&str>) -> bool {
    let (Some(secret), Some(c)) = (req.rocket().state::<Secret>(), req.cookies().get(COOKIE))
    else {
        return false;
    };
    let expected = token_for(secret, req.cookies(), c.value());
    match sent {
        // Constant-time comparison of equal-length strings.
        Some(s) if s.len() == expected.len() => {
            s.bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        }
        _ => false,
    }
}

pub const REFUSED: &str = "This form has expired or did not come from this shop, so nothing was \
    changed. Go back, reload the page and try again.";

#[rocket::async_trait]
impl<'r, T: for<'a> FromForm<'a> + Send + 'static> FromData<'r> for CsrfForm<T> {
    type Error = String;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        let limit = req.limits().get("form").unwrap_or(Limits::FORM);
        let body = match data.open(limit).into_string().await {
            Ok(s) if s.is_complete() => s.into_inner(),
            Ok(_) => {
                req.local_cache(|| FailMessage("The form is too large.".into()));
                return DataOutcome::Error((Status::PayloadTooLarge, "form too large".into()));
            }
            Err(e) => return DataOutcome::Error((Status::BadRequest, e.to_string())),
        };
        let body: &'r str = rocket::request::local_cache!(req, body);
        let raw = rocket::http::RawStr::new(body);
        let sent = Form::<Csrf>::parse_encoded(raw).ok().map(|c| c.csrf);
        if !verify(req, sent.as_deref()) {
            req.local_cache(|| FailMessage(REFUSED.into()));
            if let Some(sink) = req.rocket().state::<AuditSink>() {
                let ip = req.guard::<ClientIp>().await.succeeded();
                sink.send(
                    audit::Entry::error("web", "csrf.refused")
                        .ip(ip)
                        .details(serde_json::json!({ "path": req.uri().path().as_str() })),
                );
            }
            return DataOutcome::Error((Status::Forbidden, "csrf".into()));
        }
        match Form::<T>::parse_encoded(raw) {
            Ok(v) => DataOutcome::Success(CsrfForm(v)),
            Err(errors) => {
                let msg = errors
                    .iter()
                    .map(|e| match e.name.as_ref() {
                        Some(n) => format!("{n}: {}", e.kind),
                        None => e.kind.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                req.local_cache(|| FailMessage(format!("The form could not be read: {msg}")));
                DataOutcome::Error((Status::UnprocessableEntity, msg))
            }
        }
    }
}

/// A form with nothing but its token (log out, "retry now" buttons).
#[derive(FromForm)]
pub struct Csrf {
    #[field(name = "_csrf")]
    csrf: String,
}
