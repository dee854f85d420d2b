//! Whose cart a request is about: a logged-in customer's, or a guest's by the `cs_cart`
//! cookie (a random token; the table keeps its hash). The cookie is only set when a
//! guest first puts something in a cart.

use rocket::http::{Cookie, CookieJar, SameSite};

use super::store::{Owner, GUEST_DAYS};
use crate::accounts::guard::CustomerUser;
use crate::secret::random_token;

pub const COOKIE: &str = "cs_cart";

/// The cart owner if there is one yet (a customer, or a guest with a cart cookie).
pub fn current(me: Option<&CustomerUser>, jar: &CookieJar<'_>) -> Option<Owner> {
    match me {
        Some(m) => Some(Owner::Customer(m.id())),
        None => jar
            .get(COOKIE)
            .map(|c| c.value().to_string())
            .filter(|v| v.len() >= 32)
            .map(Owner::Guest),
    }
}

/// The cart owner, giving a guest a cart cookie when they have none.
pub fn current_or_new(me: Option<&CustomerUser>, jar: &CookieJar<'_>, secure: bool) -> Owner {
    if let Some(owner) = current(me, jar) {
        return owner;
    }
    let token = random_token();
    jar.add(
        Cookie::build((COOKIE, token.clone()))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .path("/")
            .max_age(rocket::time::Duration::days(GUEST_DAYS))
            .build(),
    );
    Owner::Guest(token)
}

/// The guest token, for merging at login; the cookie is dropped with it.
pub fn take_guest(jar: &CookieJar<'_>) -> Option<String> {
    let token = jar.get(COOKIE).map(|c| c.value().to_string())?;
    jar.remove(Cookie::build(COOKIE).path("/"));
    Some(token)
}
