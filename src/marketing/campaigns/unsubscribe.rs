//! One-click unsubscribe from marketing mail, without logging in. Every campaign mail
//! links to `/unsubscribe/<customer>/<key>`, the key an HMAC of the customer's id under
//! `secret.key` (no storage; nobody without the key file can make one). GET shows one
//! button; POST (that button, or a mail program's RFC 8058 one-click request) records the
//! opt-out. Customer 0 is the link of test mails and previews: it unsubscribes nobody.

use hmac::{Hmac, Mac};
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::{get, post, routes};
use rusqlite::OptionalExtension;
use sha2::Sha256;

use crate::audit::Actor;
use crate::error::AppResult;
use crate::secret::{constant_eq, Secret};
use crate::web::ctx::Ctx;
use crate::web::page::Page;

/// The key of customer `id`'s unsubscribe link.
pub fn key(secret: &Secret, id: i64) -> String {
    use base64::Engine;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.bytes()).expect("any key length");
    mac.update(format!("unsubscribe:{id}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn url(secret: &Secret, shop_url: &str, id: i64) -> String {
    format!(
        "{}/unsubscribe/{id}/{}",
        shop_url.trim_end_matches('/'),
        key(secret, id)
    )
}

/// The link test mails and previews carry.
pub fn test_url(shop_url: &str) -> String {
    format!("{}/unsubscribe/0/test", shop_url.trim_end_matches('/'))
}

/// What the link's page says.
enum Link {
    /// A test mail's link.
    Test,
    /// Not a link the shop made, or a deleted account.
    Invalid,
    /// (customer id, email, already opted out)
    Customer(i64, String, bool),
}

fn mask(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "your address".into(),
    }
}

async fn link(cx: &Ctx<'_>, id: i64, given: &str) -> AppResult<Link> {
    if id == 0 {
        return Ok(Link::Test);
    }
    if !constant_eq(key(cx.secret, id).as_bytes(), given.as_bytes()) {
        return Ok(Link::Invalid);
    }
    let row: Option<(String, bool)> = cx
        .db
        .read(move |c| {
            Ok(c.prepare_cached(
                "SELECT email, marketing_opt_out_at IS NOT NULL FROM customers WHERE id = ?1 AND deleted_at IS NULL",
            )?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
        })
        .await?;
    Ok(match row {
        Some((email, out)) => Link::Customer(id, email, out),
        None => Link::Invalid,
    })
}

fn page_for(
    page: &Page,
    cx: &Ctx<'_>,
    link: &Link,
    path: &str,
    done: bool,
) -> AppResult<(Status, RawHtml<String>)> {
    let mut ctx = crate::accounts::pages::account_context(page);
    ctx.insert("action", path);
    let (status, state) = match link {
        Link::Test => (Status::Ok, "test"),
        Link::Invalid => (Status::NotFound, "invalid"),
        Link::Customer(_, email, out) => {
            ctx.insert("email", &mask(email));
            (
                Status::Ok,
                if done {
                    "done"
                } else if *out {
                    "already"
                } else {
                    "ask"
                },
            )
        }
    };
    ctx.insert("state", state);
    Ok((
        status,
        cx.tpl.page("storefront/unsubscribe.html.tera", &ctx)?,
    ))
}

#[get("/unsubscribe/<id>/<key>")]
async fn ask(id: i64, key: &str, page: Page, cx: Ctx<'_>) -> AppResult<(Status, RawHtml<String>)> {
    let l = link(&cx, id, key).await?;
    page_for(&page, &cx, &l, &format!("/unsubscribe/{id}/{key}"), false)
}

/// The page's button and RFC 8058 one-click requests alike: no login and no CSRF token,
/// as the link's key is the proof (and a mail program has no form to read a token from).
#[post("/unsubscribe/<id>/<key>")]
async fn confirm(
    id: i64,
    key: &str,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<(Status, RawHtml<String>)> {
    let l = link(&cx, id, key).await?;
    if let Link::Customer(customer, email, false) = &l {
        let (customer, label) = (*customer, email.clone());
        let now = cx.clock.now_sql();
        let ip = cx.ip;
        cx.db
            .write(move |tx| {
                crate::accounts::marketing::choose(
                    tx,
                    customer,
                    false,
                    Actor::Customer {
                        id: customer,
                        label,
                    },
                    Some(ip),
                    "the unsubscribe link of a campaign mail",
                    &now,
                )
            })
            .await?;
    }
    page_for(&page, &cx, &l, &format!("/unsubscribe/{id}/{key}"), true)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![ask, confirm]
}
