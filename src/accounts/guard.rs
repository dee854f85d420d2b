//! Request guards for customers: `CustomerUser` from the web session cookie (else 401, which
//! pages turn into a redirect to /account/login), `ApiCustomer` from an `Authorization:
//! Bearer` token (the API never accepts cookies, so cross-site forms cannot reach it), and
//! `BaseUrl` for links in mails.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use time::Duration;

use super::store::{self, Customer};
use crate::audit::Actor;
use crate::auth::api_token;
use crate::auth::session::{self, Kind, Lifetime};
use crate::clock::Clock;
use crate::db::Db;

/// POLICY: customer web sessions slide over 7 days, and end 30 days after login.
pub fn lifetime() -> Lifetime {
    Lifetime {
        idle: Duration::days(7),
        absolute: Duration::days(30),
    }
}

#[derive(Debug, Clone)]
pub struct CustomerUser {
    pub customer: Customer,
    pub session_id: i64,
}

impl CustomerUser {
    pub fn id(&self) -> i64 {
        self.customer.id
    }

    pub fn actor(&self) -> Actor {
        actor(&self.customer)
    }
}

pub fn actor(c: &Customer) -> Actor {
    Actor::Customer {
        id: c.id,
        label: c.email.clone(),
    }
}

async fn lookup(req: &Request<'_>) -> Option<CustomerUser> {
    let token = req
        .cookies()
        .get(Kind::Customer.cookie_name())?
        .value()
        .to_string();
    let db = req.rocket().state::<Db>()?;
    let now = req.rocket().state::<Clock>()?.now();
    let (s, customer) = db
        .read(move |c| {
            let Some(s) = session::find(c, Kind::Customer, &token, now)? else {
                return Ok(None);
            };
            Ok(store::get(c, s.user_id)?
                .filter(|u| u.active)
                .map(|u| (s, u)))
        })
        .await
        .ok()
        .flatten()?;
    if session::needs_touch(&s, now) {
        let id = s.id;
        if let Err(e) = db
            .write(move |tx| session::touch(tx, id, &lifetime(), now))
            .await
        {
            tracing::warn!("cannot extend customer session: {e}");
        }
    }
    Some(CustomerUser {
        customer,
        session_id: s.id,
    })
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CustomerUser {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match req.local_cache_async(lookup(req)).await {
            Some(user) => Outcome::Success(user.clone()),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// A customer calling the API with a bearer token.
#[derive(Debug, Clone)]
pub struct ApiCustomer {
    pub customer: Customer,
    pub token: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiCustomer {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        api_token::user(req, Kind::Customer, |c, id| {
            Ok(store::get(c, id)?.filter(|u| u.active))
        })
        .await
        .map(|(customer, token)| ApiCustomer { customer, token })
    }
}
