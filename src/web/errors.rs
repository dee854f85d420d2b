//! Rendering errors: the finished HTML error page, or `{"error": {code, message}}` under
//! /api. Guards that refuse a request leave a `FailMessage` for the catcher to show.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::response::{self, Redirect, Responder, Response};
use rocket::{catch, catchers, Catcher, Request};

use crate::audit::{self, AuditSink};
use crate::error::AppError;
use crate::settings;
use crate::web::client::ClientIp;
use crate::web::templates::Templates;

/// A message a guard or data guard left for the error page.
pub struct FailMessage(pub String);

/// The field a JSON body guard could not read, and why: the API's 422 names it in
/// `fields`, as a handler's own refusal does.
pub struct FailField(pub Option<(String, String)>);

/// Left by a guard whose refusal (401) must send a browser somewhere other than the
/// login form: a member whose role requires two-factor login sets it up first.
pub struct LoginInstead(pub Option<&'static str>);

/// A finished error response (catchers return it).
pub struct ErrorPage(Response<'static>);

impl<'r> Responder<'r, 'static> for ErrorPage {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        Ok(self.0)
    }
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        if let AppError::Internal(cause) = &self {
            tracing::error!("{} {}: {cause}", req.method(), req.uri().path());
        }
        let mut res = render(req, self.status(), self.code(), &self.public_message()).0;
        if let AppError::TooManyRequests { retry_after, .. } = self {
            res.set_header(Header::new("Retry-After", retry_after.to_string()));
        }
        Ok(res)
    }
}

/// Builds the error response for this request's surface.
pub fn render(req: &Request<'_>, status: Status, code: &str, message: &str) -> ErrorPage {
    let (body, ct) = if super::is_api_path(req.uri().path().as_str()) {
        let mut json = serde_json::json!({ "error": { "code": code, "message": message } });
        // Every API 422 has `fields` (empty when no one field is to blame), so one schema
        // (FieldErrorBody) tells the truth about all of them.
        if status == Status::UnprocessableEntity {
            let fields: serde_json::Map<String, serde_json::Value> = req
                .local_cache(|| FailField(None))
                .0
                .iter()
                .map(|(f, m)| (f.clone(), m.clone().into()))
                .collect();
            json["error"]["fields"] = fields.into();
        }
        (json.to_string(), ContentType::JSON)
    } else {
        (html_page(req, status, message), ContentType::HTML)
    };
    ErrorPage(
        Response::build()
            .status(status)
            .header(ct)
            .sized_body(body.len(), Cursor::new(body))
            .finalize(),
    )
}

fn title(status: Status) -> &'static str {
    match status.code {
        400 => "That request was not understood",
        401 => "Please log in",
        403 => "Not allowed",
        404 => "Page not found",
        409 => "That could not be done",
        410 => "This link has been used",
        413 => "That was too large",
        415 => "That kind of content is not read here",
        422 => "Please check what you entered",
        429 => "Too many attempts",
        503 => "Temporarily unavailable",
        _ => "Something went wrong",
    }
}

fn html_page(req: &Request<'_>, status: Status, message: &str) -> String {
    let site_name = req
        .rocket()
        .state::<settings::Cache>()
        .and_then(|c| c.peek())
        .map(|s| s.name)
        .unwrap_or_else(|| "Cornershop".into());
    let mut ctx = tera::Context::new();
    ctx.insert(
        "site",
        &serde_json::json!({ "name": site_name, "currency": "" }),
    );
    ctx.insert("csrf", "");
    ctx.insert("q", "");
    ctx.insert("nav", &Vec::<()>::new());
    ctx.insert("account_url", "/account");
    ctx.insert("status", &status.code);
    ctx.insert("title", title(status));
    ctx.insert("message", message);
    let (back, back_label) = if req.uri().path().starts_with("/admin") {
        ("/admin", "Back to the back office")
    } else {
        ("/", "Back to the shop")
    };
    ctx.insert("back_url", back);
    ctx.insert("back_label", back_label);
    let rendered = req
        .rocket()
        .state::<Templates>()
        .map(|t| t.render("error.html.tera", &ctx));
    match rendered {
        Some(Ok(html)) => html,
        Some(Err(e)) => {
            tracing::error!("error page failed to render: {e}");
            plain_page(status, message)
        }
        None => plain_page(status, message),
    }
}

fn plain_page(status: Status, message: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<!doctype html><meta charset=utf-8><title>{}</title><h1>{}</h1><p>{}</p>",
        status.code,
        esc(title(status)),
        esc(message)
    )
}

fn message_or(req: &Request<'_>, default: &str) -> String {
    let m = &req.local_cache(|| FailMessage(String::new())).0;
    if m.is_empty() {
        default.to_string()
    } else {
        m.clone()
    }
}

#[catch(400)]
fn bad_request(req: &Request<'_>) -> ErrorPage {
    render(
        req,
        Status::BadRequest,
        "bad_request",
        &message_or(req, "The request could not be read."),
    )
}

/// Not logged in: pages go to the right login form and come back; the API answers 401.
#[catch(401)]
fn unauthorized(req: &Request<'_>) -> Result<Redirect, Box<ErrorPage>> {
    let path = req.uri().path();
    if let Some(to) = req.local_cache(|| LoginInstead(None)).0 {
        return Ok(Redirect::to(to));
    }
    let login = if path.starts_with("/admin") {
        Some("/admin/login")
    } else if path.starts_with("/account") {
        Some("/account/login")
    } else {
        None
    };
    if let Some(login) = login {
        let next = req.uri().to_string();
        return Ok(Redirect::to(format!(
            "{login}?next={}",
            rocket::http::RawStr::new(&next).percent_encode()
        )));
    }
    Err(Box::new(render(
        req,
        Status::Unauthorized,
        "unauthorized",
        &message_or(req, "Please log in first."),
    )))
}

#[catch(403)]
fn forbidden(req: &Request<'_>) -> ErrorPage {
    render(
        req,
        Status::Forbidden,
        "forbidden",
        &message_or(req, "Your account is not allowed to do this."),
    )
}

#[catch(404)]
async fn not_found(req: &Request<'_>) -> ErrorPage {
    if let Some(sink) = req.rocket().state::<AuditSink>() {
        let ip = req.guard::<ClientIp>().await.succeeded();
        sink.send(
            audit::Entry::error("web", "http.not_found")
                .ip(ip)
                .details(serde_json::json!({ "path": req.uri().path().as_str() })),
        );
    }
    render(
        req,
        Status::NotFound,
        "not_found",
        &message_or(
            req,
            "There is nothing at this address. It may have moved, or the link may be mistyped.",
        ),
    )
}

#[catch(413)]
fn too_large(req: &Request<'_>) -> ErrorPage {
    render(
        req,
        Status::PayloadTooLarge,
        "too_large",
        &message_or(req, "What was sent is larger than the shop accepts."),
    )
}

/// A body of a kind the route does not read (JSON sent to a multipart upload).
#[catch(415)]
fn unsupported_media_type(req: &Request<'_>) -> ErrorPage {
    let ct = req
        .content_type()
        .map(|c| c.to_string())
        .unwrap_or_else(|| "none".into());
    render(
        req,
        Status::UnsupportedMediaType,
        "unsupported_media_type",
        &message_or(
            req,
            &format!("This address does not read a body of Content-Type {ct}; see /api/openapi.json for what it reads."),
        ),
    )
}

#[catch(422)]
fn unprocessable(req: &Request<'_>) -> ErrorPage {
    render(
        req,
        Status::UnprocessableEntity,
        "invalid",
        &message_or(
            req,
            "Some of what was sent could not be read. Please check it and try again.",
        ),
    )
}

#[catch(default)]
fn default(status: Status, req: &Request<'_>) -> ErrorPage {
    if status.code >= 500 {
        tracing::error!(
            "{} {} failed with {}",
            req.method(),
            req.uri().path(),
            status.code
        );
    }
    let msg = if status.code >= 500 {
        "Something went wrong on our side. It has been logged; please try again.".to_string()
    } else {
        message_or(req, title(status))
    };
    render(req, status, "error", &msg)
}

pub fn catchers() -> Vec<Catcher> {
    catchers![
        bad_request,
        unauthorized,
        forbidden,
        not_found,
        too_large,
        unsupported_media_type,
        unprocessable,
        default
    ]
}
