//! Helpers for the staff, roles and two-factor tests: set-password links from mails,
//! roles made through the back office, codes from an authenticator "app".

use cornershop::staff::totp;

use super::accounts::Browser;
use super::{Res, TestApp, STAFF_PW};

/// The path of the set-password link in the newest mail to `to`.
pub fn set_password_link(app: &TestApp, to: &str) -> String {
    let text: String = app.sql(|c| {
        c.query_row(
            "SELECT text_body FROM mail_outbox WHERE to_address = ?1 ORDER BY id DESC LIMIT 1",
            [to],
            |r| r.get(0),
        )
    });
    let at = text
        .find("/admin/set-password/")
        .unwrap_or_else(|| panic!("no set-password link in: {text}"));
    let end = text[at..]
        .find(char::is_whitespace)
        .map(|e| at + e)
        .unwrap_or(text.len());
    text[at..end].to_string()
}

pub fn role_id(app: &TestApp, name: &str) -> i64 {
    app.sql(|c| c.query_row("SELECT id FROM roles WHERE name = ?1", [name], |r| r.get(0)))
}

pub fn staff_id(app: &TestApp, email: &str) -> i64 {
    app.sql(|c| {
        c.query_row("SELECT id FROM staff WHERE email = ?1", [email], |r| {
            r.get(0)
        })
    })
}

/// Creates a role through the back office (the app's client must be an owner); returns its id.
pub fn create_role(app: &TestApp, name: &str, rights: &[&str]) -> i64 {
    let mut fields = vec![("name", name), ("description", "Made by a test")];
    for r in rights {
        fields.push(("rights", r));
    }
    let res = app.post_form("/admin/roles/new", "/admin/roles", &fields);
    assert_eq!(res.status, 303, "create role {name}: {}", res.body);
    role_id(app, name)
}

/// A staff member with `role` (by name) and STAFF_PW, logged in on a browser of their own.
pub fn member(app: &TestApp, email: &str, role: &str) -> Browser {
    cornershop::staff::cli::create(&app.db, email, None, STAFF_PW, role).expect("staff created");
    let b = Browser::new(app);
    let res = staff_login(&b, email, STAFF_PW);
    assert_eq!(res.status, 303, "login {email}: {}", res.body);
    b
}

pub fn staff_login(b: &Browser, email: &str, password: &str) -> Res {
    b.post_form(
        "/admin/login",
        "/admin/login",
        &[("email", email), ("password", password)],
    )
}

/// The TOTP key shown on the set-up page ("Key: <code ...>XXXX XXXX ...</code>").
pub fn key_on_page(page: &Res) -> Vec<u8> {
    let at = page.body.find("Key: <code").expect("the key on the page");
    let start = at + page.body[at..].find('>').unwrap() + 1;
    let end = start + page.body[start..].find('<').unwrap();
    totp::base32_decode(&page.body[start..end]).expect("base32 key")
}

/// What the authenticator app shows now (the shop's clock).
pub fn code(app: &TestApp, key: &[u8]) -> String {
    totp::code_at(key, app.clock.now().unix_timestamp())
}

/// Recovery codes shown on a page (`<li>xxxxx-xxxxx</li>` in the recovery list).
pub fn recovery_codes(page: &Res) -> Vec<String> {
    let at = page
        .body
        .find("recovery-codes")
        .expect("recovery codes shown");
    let end = at + page.body[at..].find("</ol>").unwrap();
    page.body[at..end]
        .split("<li>")
        .skip(1)
        .map(|s| s.split("</li>").next().unwrap().to_string())
        .collect()
}

/// Sets up two-factor login for the browser's member; returns (key, recovery codes).
/// The clock moves on a step afterwards, so the confirming code is not the current one.
pub fn enrol(app: &TestApp, b: &Browser) -> (Vec<u8>, Vec<String>) {
    let page = b.get("/admin/account/two-factor");
    assert_eq!(page.status, 200, "{}", page.body);
    let key = key_on_page(&page);
    let res = b.submit(
        &page,
        "/admin/account/two-factor/confirm",
        &[("code", &code(app, &key))],
    );
    assert_eq!(res.status, 200, "{}", res.body);
    let codes = recovery_codes(&res);
    assert_eq!(codes.len(), 10);
    app.clock.advance(30);
    (key, codes)
}
