//! CORS for the JSON API, so a shop's own front-end on another origin can call `/api`.
//! Off unless the owner lists origins in `api.cors_origins` (then not one CORS header is
//! sent). Only `/api/...` paths ever get the headers. Credentials are never allowed: the
//! API authenticates with bearer tokens, not cookies, so `Access-Control-Allow-Credentials`
//! is never sent, with `*` or without.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::uri::{fmt::Path, Segments};
use rocket::http::{Header, Method, Status};
use rocket::{options, routes, Request, Response};

use crate::db::Db;
use crate::settings;

pub const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
pub const ALLOW_HEADERS: &str = "Authorization, Content-Type, Idempotency-Key";
/// What a front-end script may read beyond the CORS-safelisted headers.
pub const EXPOSE_HEADERS: &str = "Retry-After, Location, Content-Disposition";
/// How long a browser may reuse a preflight answer (seconds).
pub const MAX_AGE: &str = "600";

/// Every preflight (`OPTIONS /api/...`) is answered 204 with an empty body; the fairing
/// adds the CORS headers only for an allowed origin, so a refused one learns nothing.
#[options("/api/<_path..>")]
fn cors_preflight(_path: Segments<'_, Path>) -> Status {
    Status::NoContent
}

pub fn routes() -> Vec<rocket::Route> {
    routes![cors_preflight]
}

pub struct Cors;

async fn allowed_origins(req: &Request<'_>) -> Vec<String> {
    match (
        req.rocket().state::<settings::Cache>(),
        req.rocket().state::<Db>(),
    ) {
        // A failed read answers as if nothing were allowed: no headers, never too many.
        (Some(cache), Some(db)) => cache
            .shop(db)
            .await
            .map(|s| s.cors_origins)
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The header value to send for `origin`, if it may read the answer.
pub fn allow_origin(allowed: &[String], origin: &str) -> Option<String> {
    if allowed.iter().any(|a| a == "*") {
        return Some("*".into());
    }
    // Stored origins are lower-case; echo what the browser sent, it compares exactly.
    let lower = origin.to_ascii_lowercase();
    allowed.contains(&lower).then(|| origin.to_string())
}

#[rocket::async_trait]
impl Fairing for Cors {
    fn info(&self) -> Info {
        Info {
            name: "CORS on /api",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        if !super::is_api_path(req.uri().path().as_str()) {
            return;
        }
        // Set by nobody else; a handler cannot switch credentials on either.
        res.remove_header("Access-Control-Allow-Credentials");
        let allowed = allowed_origins(req).await;
        if allowed.is_empty() {
            return;
        }
        if !allowed.iter().any(|a| a == "*") {
            // The answer differs by Origin, so a shared cache must keep them apart.
            let vary = match res.headers().get_one("Vary") {
                Some(v) if v.to_ascii_lowercase().contains("origin") => v.to_string(),
                Some(v) => format!("{v}, Origin"),
                None => "Origin".into(),
            };
            res.set_header(Header::new("Vary", vary));
        }
        let Some(origin) = req.headers().get_one("Origin") else {
            return;
        };
        let Some(value) = allow_origin(&allowed, origin) else {
            return;
        };
        res.set_header(Header::new("Access-Control-Allow-Origin", value));
        let preflight = req.method() == Method::Options
            && req.headers().contains("Access-Control-Request-Method");
        if preflight {
            res.set_header(Header::new("Access-Control-Allow-Methods", ALLOW_METHODS));
            res.set_header(Header::new("Access-Control-Allow-Headers", ALLOW_HEADERS));
            res.set_header(Header::new("Access-Control-Max-Age", MAX_AGE));
        } else {
            res.set_header(Header::new("Access-Control-Expose-Headers", EXPOSE_HEADERS));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_origins_or_star() {
        let list = vec!["https://shop.example".to_string()];
        assert_eq!(
            allow_origin(&list, "https://Shop.example").as_deref(),
            Some("https://Shop.example")
        );
        assert_eq!(allow_origin(&list, "https://evil.example"), None);
        assert_eq!(allow_origin(&list, "null"), None);
        assert_eq!(
            allow_origin(&["*".to_string()], "https://any.example").as_deref(),
            Some("*")
        );
    }
}
