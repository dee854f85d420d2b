//! Helpers for customer-account tests: a second browser, registering, reading links
//! out of queued mails.

use std::time::Duration;

use super::{Res, TestApp};

pub const CUSTOMER_PW: &str = "copper-kettle-garden-9";

/// Another browser with its own cookies, on the same shop.
pub struct Browser {
    pub base: String,
    agent: ureq::Agent,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.base.clone(),
            agent: ureq::AgentBuilder::new()
                .redirects(0)
                .timeout(Duration::from_secs(30))
                .build(),
        }
    }

    pub fn get(&self, path: &str) -> Res {
        TestApp::collect(self.agent.get(&format!("{}{path}", self.base)).call())
    }

    /// This browser's HTTP client (its cookies), for requests `Res` cannot hold (images).
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// Submits the form of `form_page` posting to `path`, read from its HTML and filled
    /// with `fields`, as this browser (see `TestApp::post_form`).
    pub fn post_form(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Res {
        let form = super::form::load_filled(&self.agent, &self.base, form_page, path, fields);
        super::form::send(&self.agent, &self.base, &form)
    }

    /// Submits the form posting to `path` on a page already loaded.
    pub fn submit(&self, page: &Res, path: &str, fields: &[(&str, &str)]) -> Res {
        let form = super::form::HtmlForm::find_filled(&page.body, path, path, fields);
        super::form::send(&self.agent, &self.base, &form)
    }

    /// A hand-made POST with `form_page`'s CSRF token, for requests no page sends.
    pub fn post_csrf(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Res {
        let page = self.get(form_page);
        let token = page
            .input_value("_csrf")
            .unwrap_or_else(|| panic!("no CSRF token on {form_page}: {}", page.status));
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &token));
        TestApp::collect(
            self.agent
                .post(&format!("{}{path}", self.base))
                .send_form(&all),
        )
    }

    /// Sends JSON with optional bearer token.
    pub fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        token: Option<&str>,
    ) -> Res {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        TestApp::collect(match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        })
    }

    /// Follows a redirect's flash message: the page it lands on.
    pub fn follow(&self, res: &Res) -> Res {
        let to = res.header("location").expect("a redirect");
        self.get(to)
    }

    pub fn login(&self, email: &str, password: &str) -> Res {
        self.post_form(
            "/account/login",
            "/account/login",
            &[("email", email), ("password", password)],
        )
    }
}

/// Switches the CAPTCHA off (most tests are not about it).
pub fn no_captcha(app: &TestApp) {
    set(app, "captcha.enabled", "false");
}

pub fn set(app: &TestApp, key: &str, value: &str) {
    app.sql(|c| {
        c.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )
    });
}

/// The registration form's fields for `email`, with a valid everything.
pub fn registration(email: &str) -> Vec<(&'static str, String)> {
    vec![
        ("email", email.to_string()),
        ("password", CUSTOMER_PW.to_string()),
        ("first_name", "Mira".to_string()),
        ("last_name", "Ivanova".to_string()),
        ("phone_country", "BG".to_string()),
        ("phone", "0888 123 456".to_string()),
        ("birth_date", "1990-04-23".to_string()),
        ("address_line1", "1 Vitosha Blvd".to_string()),
        ("address_city", "Sofia".to_string()),
        ("address_postcode", "1000".to_string()),
        ("address_country", "BG".to_string()),
    ]
}

pub fn register(b: &Browser, fields: &[(&'static str, String)]) -> Res {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form("/account/register", "/account/register", &f)
}

/// The newest queued mail to `to`: (template, subject, text).
pub fn last_mail(app: &TestApp, to: &str) -> Option<(String, String, String)> {
    app.sql(|c| {
        use rusqlite::OptionalExtension;
        c.query_row(
            "SELECT template, subject, text_body FROM mail_outbox WHERE to_address = ?1 ORDER BY id DESC LIMIT 1",
            [to],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
    })
}

/// The path and query of the first link to `path` in the newest mail to `to`.
pub fn link_in_mail(app: &TestApp, to: &str, path: &str) -> String {
    let (_, _, text) = last_mail(app, to).unwrap_or_else(|| panic!("no mail to {to}"));
    let at = text
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in: {text}"));
    let end = text[at..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .map(|e| at + e)
        .unwrap_or(text.len());
    text[at..end].to_string()
}

/// A registered and verified customer; returns a browser logged in as them.
pub fn verified_customer(app: &TestApp, email: &str) -> Browser {
    let b = Browser::new(app);
    let res = register(&b, &registration(email));
    assert_eq!(res.status, 303, "registration: {}", res.body);
    let link = link_in_mail(app, email, "/account/verify");
    assert_eq!(b.get(&link).status, 303);
    let res = b.login(email, CUSTOMER_PW);
    assert_eq!(res.status, 303, "login: {}", res.body);
    b
}
