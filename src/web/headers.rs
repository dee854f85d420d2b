//! Security headers on every response, and one log line per request.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Status};
use rocket::response::content::RawHtml;
use rocket::response::{self, Responder};
use rocket::{Data, Request, Response};

/// No inline script or style, nothing from another host, never framed.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
    script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; \
    object-src 'none'";

/// The one exception, for a mail preview only: a mail's HTML is all inline styles, and the
/// back office shows it in an iframe. So: inline styles but no script at all, nothing
/// fetched but the shop's own images, no forms, a sandbox (opaque origin, no script,
/// no top navigation), and framed by the shop's own pages only.
pub const PREVIEW_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; \
    img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox";

/// An HTML response under `PREVIEW_CSP` and `X-Frame-Options: SAMEORIGIN`. The fairing
/// below keeps headers a response already has, so only these responses differ.
pub struct SandboxedHtml {
    pub status: Status,
    pub html: String,
}

impl<'r> Responder<'r, 'static> for SandboxedHtml {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        Response::build_from(RawHtml(self.html).respond_to(req)?)
            .status(self.status)
            .raw_header("Content-Security-Policy", PREVIEW_CSP)
            .raw_header("X-Frame-Options", "SAMEORIGIN")
            .ok()
    }
}

pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers and request log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(Instant::now);
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let set = |res: &mut Response<'r>, name: &'static str, value: &'static str| {
            if !res.headers().contains(name) {
                res.set_header(Header::new(name, value));
            }
        };
        set(res, "Content-Security-Policy", CSP);
        set(res, "X-Frame-Options", "DENY");
        set(res, "X-Content-Type-Options", "nosniff");
        set(res, "Referrer-Policy", "same-origin");
        set(res, "Cross-Origin-Opener-Policy", "same-origin");
        set(
            res,
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        );
        if !res.headers().contains("Cache-Control") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
        let started = req.local_cache(Instant::now);
        // Path only: query strings can carry one-time tokens.
        tracing::info!(
            target: "cornershop::http",
            "{} {} {} {:.1}ms",
            req.method(),
            req.uri().path(),
            res.status().code,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
}
