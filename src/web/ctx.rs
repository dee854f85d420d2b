//! `Ctx`: what almost every handler needs besides its own input and its caller, in one
//! request guard — the database, the clock, the configuration, the templates, the audit
//! sink, the rate limiter, the secret key and the client's address. A handler then reads
//! `(input, caller, cx)` and does its job.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use crate::audit::AuditSink;
use crate::auth::ratelimit::RateLimiter;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::secret::Secret;
use crate::web::client::ClientIp;
use crate::web::templates::Templates;

pub struct Ctx<'r> {
    pub db: &'r Db,
    pub clock: &'r Clock,
    pub config: &'r Config,
    pub tpl: &'r Templates,
    pub sink: &'r AuditSink,
    pub limiter: &'r RateLimiter,
    pub secret: &'r Secret,
    pub ip: ClientIp,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Ctx<'r> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let r = req.rocket();
        let ip = match req.guard::<ClientIp>().await {
            Outcome::Success(ip) => ip,
            Outcome::Error((s, _)) => return Outcome::Error((s, ())),
            Outcome::Forward(s) => return Outcome::Forward(s),
        };
        // All of it is managed by `build`; missing state is a programming error.
        match (
            r.state::<Db>(),
            r.state::<Clock>(),
            r.state::<Config>(),
            r.state::<Templates>(),
            r.state::<AuditSink>(),
            r.state::<RateLimiter>(),
            r.state::<Secret>(),
        ) {
            (
                Some(db),
                Some(clock),
                Some(config),
                Some(tpl),
                Some(sink),
                Some(limiter),
                Some(secret),
            ) => Outcome::Success(Ctx {
                db,
                clock,
                config,
                tpl,
                sink,
                limiter,
                secret,
                ip,
            }),
            _ => Outcome::Error((Status::InternalServerError, ())),
        }
    }
}
