//! Security headers on every response, and one log line per request.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Data, Request, Response};

/// No inline script or style, nothing from another host, never framed.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
    script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; \
    object-src 'none'";

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
