//! Request guards for the back office. `StaffUser`: a logged-in, active staff member (else
//! 401, which pages turn into a redirect to the login form). `Can<P>`: that staff member's
//! role holds permission `P` (else 403, audited). `ApiStaff` and `ApiCan<P>` are the same
//! for the staff JSON API, from a bearer token (never a cookie).

use std::marker::PhantomData;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use time::Duration;

use super::perm::{Permission, Perms};
use super::store;
use crate::audit::{self, Actor, AuditSink};
use crate::auth::api_token;
use crate::auth::session::{self, Kind, Lifetime};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::AppResult;
use crate::settings;
use crate::web::client::ClientIp;
use crate::web::errors::FailMessage;
use crate::web::errors::LoginInstead;

#[derive(Debug, Clone)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub is_owner: bool,
    pub perms: Perms,
    /// The web session, or `None` when the request came with an API bearer token.
    pub session_id: Option<i64>,
    /// Two-factor login is on for this member.
    pub totp_enabled: bool,
    /// Their role requires two-factor login and they have not set it up yet: they may
    /// reach the set-up page (`EnrollingStaff`) and nothing else.
    pub must_enrol: bool,
}

/// Where a member whose role requires two-factor login sets it up.
pub const ENROL_URL: &str = "/admin/account/two-factor";

impl StaffUser {
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            id: self.id,
            label: self.email.clone(),
        }
    }
}

/// Staff session lengths from settings (POLICY: 2 h idle, 12 h absolute by default).
pub fn lifetime(conn: &rusqlite::Connection) -> AppResult<Lifetime> {
    Ok(Lifetime {
        idle: Duration::minutes(settings::get_i64(
            conn,
            "security.staff_session_idle_minutes",
        )?),
        absolute: Duration::hours(settings::get_i64(conn, "security.staff_session_max_hours")?),
    })
}

async fn lookup(req: &Request<'_>) -> Option<StaffUser> {
    let token = req
        .cookies()
        .get(Kind::Staff.cookie_name())?
        .value()
        .to_string();
    let db = req.rocket().state::<Db>()?;
    let now = req.rocket().state::<Clock>()?.now();
    let found = db
        .read(move |c| {
            let Some(s) = session::find(c, Kind::Staff, &token, now)? else {
                return Ok(None);
            };
            let Some((row, perms)) = load(c, s.user_id)? else {
                return Ok(None);
            };
            let touch = session::needs_touch(&s, now)
                .then(|| lifetime(c))
                .transpose()?;
            Ok(Some((s, row, perms, touch)))
        })
        .await
        .ok()
        .flatten()?;
    let (s, row, perms, touch) = found;
    let session_id = Some(s.id);
    if let Some(life) = touch {
        let id = s.id;
        if let Err(e) = db.write(move |tx| session::touch(tx, id, &life, now)).await {
            tracing::warn!("cannot extend staff session: {e}");
        }
    }
    Some(StaffUser::new(row, perms, session_id))
}

/// An active staff member and their role's rights.
fn load(c: &rusqlite::Connection, id: i64) -> AppResult<Option<(store::StaffRow, Perms)>> {
    let Some(row) = store::get(c, id)?.filter(|r| r.active) else {
        return Ok(None);
    };
    let perms = store::permissions(c, row.role_id)?;
    Ok(Some((row, perms)))
}

impl StaffUser {
    fn new(row: store::StaffRow, perms: Perms, session_id: Option<i64>) -> StaffUser {
        StaffUser {
            id: row.id,
            email: row.email,
            name: row.name,
            role: row.role,
            is_owner: row.is_owner,
            perms,
            session_id,
            totp_enabled: row.totp_enabled,
            must_enrol: row.require_totp && !row.totp_enabled,
        }
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for StaffUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.local_cache_async(lookup(req)).await {
            Some(user) if user.must_enrol => {
                // The 401 catcher sends the browser to the set-up page, not the login form.
                req.local_cache(|| LoginInstead(Some(ENROL_URL)));
                Outcome::Error((Status::Unauthorized, ()))
            }
            Some(user) => Outcome::Success(user.clone()),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// A logged-in member who may still have to set up two-factor login: only the set-up
/// pages and logout take this guard.
pub struct EnrollingStaff(pub StaffUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for EnrollingStaff {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.local_cache_async(lookup(req)).await {
            Some(user) => Outcome::Success(EnrollingStaff(user.clone())),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

pub struct Can<P: Permission> {
    pub staff: StaffUser,
    /// Where the request came from, for the audit entry.
    pub ip: Option<ClientIp>,
    _p: PhantomData<P>,
}

impl<P: Permission> Can<P> {
    /// This member acting now, for the audit entry and the rows the action writes.
    pub fn by(&self, clock: &Clock) -> By {
        By::new(&self.staff, self.ip, clock)
    }
}

/// Who is acting and from where, for the audit log and the rows an action writes (a stock
/// movement's `staff:7`).
#[derive(Debug, Clone)]
pub struct By {
    pub actor: Actor,
    pub ip: Option<ClientIp>,
    pub staff_id: i64,
    pub now: String,
}

impl By {
    pub fn new(staff: &StaffUser, ip: Option<ClientIp>, clock: &Clock) -> By {
        By {
            actor: staff.actor(),
            ip,
            staff_id: staff.id,
            now: clock.now_sql(),
        }
    }

    pub fn label(&self) -> String {
        format!("staff:{}", self.staff_id)
    }
}

#[rocket::async_trait]
impl<'r, P: Permission> FromRequest<'r> for Can<P> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let staff = match req.guard::<StaffUser>().await {
            Outcome::Success(s) => s,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(f) => return Outcome::Forward(f),
        };
        match permit::<P>(req, staff).await {
            Ok(staff) => Outcome::Success(Can {
                staff,
                ip: req.guard::<ClientIp>().await.succeeded(),
                _p: PhantomData,
            }),
            Err(status) => Outcome::Error((status, ())),
        }
    }
}

/// Lets `staff` through when their role holds `P`; otherwise audits the refusal and leaves
/// the message for the 403 page or JSON answer.
async fn permit<P: Permission>(req: &Request<'_>, staff: StaffUser) -> Result<StaffUser, Status> {
    if staff.perms.can(P::AREA, P::ACTION) {
        return Ok(staff);
    }
    if let Some(sink) = req.rocket().state::<AuditSink>() {
        let ip = req.guard::<ClientIp>().await.succeeded();
        sink.send(
            audit::Entry::error("staff", "permission.refused")
                .actor(staff.actor())
                .ip(ip)
                .details(serde_json::json!({
                    "area": P::AREA,
                    "action": P::ACTION.verb(),
                    "path": req.uri().path().as_str(),
                })),
        );
    }
    req.local_cache(|| {
        FailMessage(format!(
            "Your role ({}) may not {} {}. Ask the shop owner if you need this.",
            staff.role,
            P::ACTION.verb(),
            P::AREA.replace('_', " ")
        ))
    });
    Err(Status::Forbidden)
}

/// Why the staff API refuses a member whose role requires two-factor login.
pub const MUST_ENROL_API: &str = "Your role requires two-factor login. Set it up in the back \
    office (your account, Two-factor login) first, then log in to the API with your code.";

/// A staff member calling the staff API with a bearer token.
#[derive(Debug, Clone)]
pub struct ApiStaff {
    pub staff: StaffUser,
    pub token: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiStaff {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match api_token::user(req, Kind::Staff, load).await {
            Outcome::Success(((row, _), _)) if row.require_totp && !row.totp_enabled => {
                req.local_cache(|| FailMessage(MUST_ENROL_API.into()));
                Outcome::Error((Status::Unauthorized, ()))
            }
            Outcome::Success(((row, perms), token)) => Outcome::Success(ApiStaff {
                staff: StaffUser::new(row, perms, None),
                token,
            }),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}

/// `Can<P>` for the staff API: the bearer token's staff member holds `P`.
pub struct ApiCan<P: Permission> {
    pub staff: StaffUser,
    /// Where the request came from, for the audit entry.
    pub ip: Option<ClientIp>,
    _p: PhantomData<P>,
}

impl<P: Permission> ApiCan<P> {
    /// This member acting now, for the audit entry and the rows the action writes.
    pub fn by(&self, clock: &Clock) -> By {
        By::new(&self.staff, self.ip, clock)
    }
}

#[rocket::async_trait]
impl<'r, P: Permission> FromRequest<'r> for ApiCan<P> {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let api = match req.guard::<ApiStaff>().await {
            Outcome::Success(s) => s,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(f) => return Outcome::Forward(f),
        };
        match permit::<P>(req, api.staff).await {
            Ok(staff) => Outcome::Success(ApiCan {
                staff,
                ip: req.guard::<ClientIp>().await.succeeded(),
                _p: PhantomData,
            }),
            Err(status) => Outcome::Error((status, ())),
        }
    }
}
