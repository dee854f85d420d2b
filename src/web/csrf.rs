//! CSRF protection for every state-changing form. A random `cs_csrf` cookie (HttpOnly,
//! SameSite=Lax) identifies the browser; the form token is an HMAC, under the shop's
//! secret key, of that cookie and of the browser's session cookies, so a page of another
//! site can neither read nor forge it, and a cookie/token pair planted from elsewhere
//! (cookie tossing) does not fit a logged-in browser. The cookie is replaced at every login
//! and logout, which kills tokens rendered before.
//!
//! Forms are read through `CsrfForm<T>`, url-encoded and multipart alike: it checks
//! `_csrf` before handing `T` over, so no handler checks, or can forget, the token.

use hmac::{Hmac, Mac};
use rocket::data::{Data, FromData, Outcome as DataOutcome};
use rocket::form::{Form, FromForm, Lenient};
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
    sent.is_some_and(|s| crate::secret::constant_eq(s.as_bytes(), expected.as_bytes()))
}

pub const REFUSED: &str = "This form has expired or did not come from this shop, so nothing was \
    changed. Go back, reload the page and try again.";

/// Refuses the request: the message for the error page, the audit entry, 403.
async fn refuse<'r, T>(req: &'r Request<'_>) -> DataOutcome<'r, T, String> {
    req.local_cache(|| FailMessage(REFUSED.into()));
    if let Some(sink) = req.rocket().state::<AuditSink>() {
        let ip = req.guard::<ClientIp>().await.succeeded();
        sink.send(
            audit::Entry::error("web", "csrf.refused")
                .ip(ip)
                .details(serde_json::json!({ "path": req.uri().path().as_str() })),
        );
    }
    DataOutcome::Error((Status::Forbidden, "csrf".into()))
}

/// A form the shop's own page sent but that `T` cannot read: 422, and what failed.
fn unreadable<'r, T>(
    req: &'r Request<'_>,
    errors: rocket::form::Errors<'_>,
) -> DataOutcome<'r, T, String> {
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

/// The body is read once, as `Signed<T>`: the token taken out beside `T`, which is handed
/// over only when the token fits. Files of a refused multipart upload are dropped with
/// their temp files. Read leniently, as a browser's form may carry fields `T` ignores.
#[rocket::async_trait]
impl<'r, T: FromForm<'r> + Send + 'r> FromData<'r> for CsrfForm<T> {
    type Error = String;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        // No form at all (a bare POST): there is no token either.
        if !req
            .content_type()
            .is_some_and(|ct| ct.is_form() || ct.is_form_data())
        {
            return refuse(req).await;
        }
        match Form::<Lenient<Signed<'r, T>>>::from_data(req, data).await {
            DataOutcome::Success(f) => {
                let Signed { csrf, inner } = f.into_inner().into_inner();
                if !verify(req, csrf.as_deref()) {
                    return refuse(req).await;
                }
                match inner {
                    Ok(v) => DataOutcome::Success(CsrfForm(v)),
                    Err(errors) => unreadable(req, errors),
                }
            }
            DataOutcome::Error((status, errors)) => {
                let msg = match status {
                    Status::PayloadTooLarge => "The form is too large.".to_string(),
                    _ => format!("The form could not be read: {errors}"),
                };
                req.local_cache(|| FailMessage(msg.clone()));
                DataOutcome::Error((status, msg))
            }
            DataOutcome::Forward(f) => DataOutcome::Forward(f),
        }
    }
}

/// `T` read from a form, with the `_csrf` field taken out beside it; whether `T` could be
/// read is kept, so the token is judged first either way.
struct Signed<'r, T: FromForm<'r>> {
    csrf: Option<String>,
    inner: rocket::form::Result<'r, T>,
}

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + Send> FromForm<'r> for Signed<'r, T> {
    type Context = (Option<String>, T::Context);

    fn init(opts: rocket::form::Options) -> Self::Context {
        (None, T::init(opts))
    }

    fn push_value(ctxt: &mut Self::Context, field: rocket::form::ValueField<'r>) {
        if field.name.source() == "_csrf" {
            ctxt.0 = Some(field.value.to_string());
        } else {
            T::push_value(&mut ctxt.1, field);
        }
    }

    async fn push_data(ctxt: &mut Self::Context, field: rocket::form::DataField<'r, '_>) {
        T::push_data(&mut ctxt.1, field).await;
    }

    fn finalize(ctxt: Self::Context) -> rocket::form::Result<'r, Self> {
        Ok(Signed {
            csrf: ctxt.0,
            inner: T::finalize(ctxt.1),
        })
    }
}

/// A form with nothing but its token (log out, "retry now" buttons); anything else it
/// carries is ignored.
pub struct Csrf;

#[rocket::async_trait]
impl<'r> FromForm<'r> for Csrf {
    type Context = ();

    fn init(_: rocket::form::Options) {}

    fn push_value(_: &mut (), _: rocket::form::ValueField<'r>) {}

    async fn push_data(_: &mut (), _: rocket::form::DataField<'r, '_>) {}

    fn finalize(_: ()) -> rocket::form::Result<'r, Self> {
        Ok(Csrf)
    }
}
