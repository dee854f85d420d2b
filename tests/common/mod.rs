//! The one test helper: a real Cornershop on a fresh temporary data dir, listening on a
//! real loopback port, driven over HTTP with a cookie-keeping client.
#![allow(dead_code)]

pub mod form;
pub mod html;
pub mod paypal;
pub mod process;
pub mod settings_admin;
pub mod smtp;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use cornershop::audit::AuditSink;
use cornershop::captcha::Captchas;
use cornershop::clock::Clock;
use cornershop::config::Config;
use cornershop::db::Db;
use cornershop::Options;

pub mod accounts;
pub mod backoffice;
pub mod bo_staff;
pub mod products;
pub mod shop;
pub mod webdriver;

pub struct TestApp {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub db: Db,
    pub clock: Clock,
    pub setup_token: Option<String>,
    /// The running shop's CAPTCHA store (to read answers in tests).
    pub captchas: Captchas,
    agent: ureq::Agent,
    sink: AuditSink,
    shutdown: rocket::Shutdown,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub struct Res {
    pub status: u16,
    pub headers: HashMap<String, Vec<String>>,
    pub body: String,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The value of the first `<input name="NAME" value="...">` on the page.
    pub fn input_value(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\"");
        let at = self.body.find(&needle)?;
        let tag_start = self.body[..at].rfind('<')?;
        let tag_end = at + self.body[at..].find('>')?;
        let tag = &self.body[tag_start..tag_end];
        let v = tag.find("value=\"")? + 7;
        let end = tag[v..].find('"')?;
        Some(html_unescape(&tag[v..v + end]))
    }
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

impl TestApp {
    /// A fresh shop with set-up not done yet.
    pub fn new() -> TestApp {
        TestApp::start(|_| {})
    }

    /// A fresh shop; `seed` runs on its database before the server starts.
    pub fn start(seed: impl FnOnce(&Db)) -> TestApp {
        TestApp::start_in(tempfile::tempdir().expect("temp dir"), seed)
    }

    /// The shop on a data dir prepared by the test (a copied database, say).
    pub fn start_in(dir: tempfile::TempDir, seed: impl FnOnce(&Db)) -> TestApp {
        let config = Config::for_dir(dir.path(), 0);
        let data = cornershop::open_data_dir(dir.path()).expect("data dir opens");
        seed(&data.db);
        let db = data.db.clone();
        let clock = Clock::default();
        let (tx, rx) = mpsc::channel();
        let opts = Options {
            clock: clock.clone(),
            demo_logins: Vec::new(),
            run_jobs: false,
            on_ready: Some(Box::new(move |rocket, token| {
                let sink = rocket.state::<AuditSink>().expect("sink").clone();
                let captchas = rocket.state::<Captchas>().expect("captchas").clone();
                tx.send((
                    rocket.config().port,
                    token,
                    sink,
                    captchas,
                    rocket.shutdown(),
                ))
                .expect("test waits");
            })),
        };
        let rocket = cornershop::build(config, data, opts).expect("shop builds");
        let thread = std::thread::spawn(move || {
            let _ = rocket::execute(rocket.launch());
        });
        let (port, setup_token, sink, captchas, shutdown) = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("shop starts");
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(30))
            .build();
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            dir,
            db,
            clock,
            setup_token,
            captchas,
            agent,
            sink,
            shutdown,
            thread: Some(thread),
        }
    }

    /// A shop whose set-up is done, with an owner `owner@shop.test` / OWNER_PW.
    pub fn ready() -> TestApp {
        TestApp::start(|db| {
            cornershop::staff::cli::create(
                db,
                "owner@shop.test",
                Some("Olive Owner"),
                OWNER_PW,
                "Owner",
            )
            .expect("owner");
        })
    }

    /// This app's own HTTP client (its cookies).
    pub fn agent(&self) -> &ureq::Agent {
        &self.agent
    }

    /// Another browser on the same shop (own cookies).
    pub fn new_client(&self) -> ureq::Agent {
        ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(30))
            .build()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// A response of any status, read whole.
    pub fn collect(r: Result<ureq::Response, ureq::Error>) -> Res {
        let resp = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        let status = resp.status();
        let mut headers: HashMap<String, Vec<String>> = HashMap::new();
        for name in resp.headers_names() {
            let all = resp.all(&name).into_iter().map(String::from).collect();
            headers.insert(name.to_ascii_lowercase(), all);
        }
        let body = resp.into_string().unwrap_or_default();
        Res {
            status,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Res {
        Self::collect(self.agent.get(&format!("{}{path}", self.base)).call())
    }

    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Res {
        let mut req = self.agent.get(&format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        Self::collect(req.call())
    }

    /// Posts a form exactly as given (no CSRF token added).
    pub fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Res {
        Self::collect(
            self.agent
                .post(&format!("{}{path}", self.base))
                .send_form(fields),
        )
    }

    /// Posts a form with extra request headers (no CSRF token added).
    pub fn post_raw_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Res {
        let mut req = self.agent.post(&format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.set(k, v);
        }
        Self::collect(req.send_form(fields))
    }

    /// Submits the form of `form_page` that posts to `path`, read from the page's HTML and
    /// filled with `fields` (see `form::HtmlForm::fill`), exactly as a browser sends it:
    /// every field the page has, its CSRF token, checkboxes as they stand. Fails when the
    /// page has no such form or field, or when the shop cannot read what its own page sent.
    pub fn post_form(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Res {
        let form = form::load_filled(&self.agent, &self.base, form_page, path, fields);
        self.submit(&form)
    }

    /// Submits the form posting to `action` on a page already loaded (the answer to a
    /// previous submission), filled with `fields`.
    pub fn post_form_on(&self, page: &Res, action: &str, fields: &[(&str, &str)]) -> Res {
        let form = form::HtmlForm::find_filled(&page.body, action, action, fields);
        self.submit(&form)
    }

    /// The form of `page` that posts to `action`, as the page has it.
    pub fn form(&self, page: &str, action: &str) -> form::HtmlForm {
        form::load(&self.agent, &self.base, page, action)
    }

    /// Sends `form` as a browser does, through this app's client.
    pub fn submit(&self, form: &form::HtmlForm) -> Res {
        form::send(&self.agent, &self.base, form)
    }

    /// A hand-made POST with `form_page`'s CSRF token: for requests no page sends (replays,
    /// forged values), never for the forms a page has (use `post_form`).
    pub fn post_csrf(&self, form_page: &str, path: &str, fields: &[(&str, &str)]) -> Res {
        let page = self.get(form_page);
        let token = page.input_value("_csrf").unwrap_or_else(|| {
            panic!(
                "no CSRF token on {form_page} ({}): {}",
                page.status,
                &page.body[..page.body.len().min(300)]
            )
        });
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &token));
        self.post_raw(path, &all)
    }

    pub fn login_staff(&self, email: &str, password: &str) -> Res {
        self.post_form(
            "/admin/login",
            "/admin/login",
            &[("email", email), ("password", password)],
        )
    }

    /// Creates a staff member with `role` and logs this client in as them.
    pub fn login_as(&self, role: &str) -> String {
        let email = format!("{}@shop.test", role.to_lowercase());
        cornershop::staff::cli::create(&self.db, &email, None, STAFF_PW, role)
            .expect("staff created");
        let res = self.login_staff(&email, STAFF_PW);
        assert_eq!(res.status, 303, "login as {role}: {}", res.body);
        email
    }

    /// Runs SQL on the shop's database (a separate connection, like any other process).
    pub fn sql<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>) -> T {
        let c = rusqlite::Connection::open(self.dir.path().join("shop.db")).expect("db opens");
        c.busy_timeout(Duration::from_secs(5)).unwrap();
        f(&c).expect("sql")
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.sql(|c| c.query_row(sql, [], |r| r.get(0)))
    }

    /// The shop's secret.key (as the running shop has it).
    pub fn secret(&self) -> cornershop::secret::Secret {
        cornershop::secret::Secret::load_or_create(&self.dir.path().join("secret.key"))
            .expect("secret.key")
    }

    /// Changes a setting the way `cornershop settings set` does (a secret is sealed).
    pub fn set_setting(&self, name: &str, value: &str) {
        let secret = self.secret();
        self.db
            .write_blocking(|tx| cornershop::settings::set(tx, &secret, name, value))
            .unwrap_or_else(|e| panic!("set {name}: {e}"));
    }

    /// Points the shop's mail at a test SMTP server (plain connection on 127.0.0.1).
    pub fn use_smtp(&self, server: &smtp::SmtpServer) {
        self.set_setting("mail.transport", "smtp");
        self.set_setting("mail.smtp.host", "127.0.0.1");
        self.set_setting("mail.smtp.port", &server.port.to_string());
        self.set_setting("mail.smtp.security", "none");
    }

    /// One pass of the `mail_queue` job, as the running loop would do it at `self.clock`;
    /// its summary ("1 sent, 0 to retry, 0 failed"), None when nothing was due.
    pub fn run_mail_job(&self) -> Option<String> {
        let ctx = cornershop::jobs::JobCtx {
            db: self.db.clone(),
            clock: self.clock.clone(),
            data_dir: self.data_dir(),
            secret: std::sync::Arc::new(self.secret()),
        };
        let job = cornershop::schedule::JOBS
            .iter()
            .find(|j| j.name == "mail_queue")
            .expect("the mail job");
        (job.run)(&ctx).expect("a mail pass runs")
    }

    /// Waits until audit entries sent so far are written.
    pub fn flush_audit(&self) {
        let sink = self.sink.clone();
        rocket::execute(async move { sink.flush().await });
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub const OWNER_PW: &str = "tea-kettle-lighthouse-7";
pub const STAFF_PW: &str = "quiet-river-stones-42";

/// Adds a category and returns its id.
pub fn add_category(app: &TestApp, slug: &str, name: &str, parent: Option<i64>) -> i64 {
    app.sql(|c| {
        c.execute(
            "INSERT INTO categories (slug, name, parent_id) VALUES (?1, ?2, ?3)",
            rusqlite::params![slug, name, parent],
        )?;
        Ok(c.last_insert_rowid())
    })
}

/// Adds a product (price in cents) and returns its id.
pub fn add_product(
    app: &TestApp,
    name: &str,
    price: i64,
    stock: i64,
    category: Option<i64>,
    status: &str,
) -> i64 {
    let dashed: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let slug = dashed.trim_matches('-').to_string();
    let sku = format!("SKU-{}", slug.to_uppercase());
    app.sql(|c| {
        c.execute(
            "INSERT INTO products (slug, sku, name, description, price, stock, category_id, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                slug,
                sku,
                name,
                format!("A fine {name}."),
                price,
                stock,
                category,
                status
            ],
        )?;
        Ok(c.last_insert_rowid())
    })
}
