//! First-run set-up at /setup: shop name, currency, the owner's account and optional demo
//! data. The link carries a token printed on the console at start; it works once, and the
//! page is gone once an owner exists.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use rocket::http::{CookieJar, Status};
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm, State};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::password;
use crate::auth::session::{self, Kind};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::money::Currency;
use crate::settings;
use crate::staff::{guard::lifetime, store};
use crate::web::client::Https;
use crate::web::csrf::{self, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

/// Products added when the owner ticks "fill with demo data".
pub const SETUP_DEMO_PRODUCTS: usize = 60;

/// The one-time set-up token, held in memory only; None once set-up is done.
pub struct SetupToken(Mutex<Option<String>>);

impl SetupToken {
    pub fn new(needed: bool) -> SetupToken {
        SetupToken(Mutex::new(needed.then(crate::secret::random_token)))
    }

    pub fn peek(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn matches(&self, given: &str) -> bool {
        match self.peek() {
            Some(t) => crate::secret::constant_eq(t.as_bytes(), given.as_bytes()),
            None => false,
        }
    }

    fn consume(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[derive(FromForm, Default)]
pub struct SetupForm {
    token: String,
    shop_name: String,
    currency: String,
    owner_name: String,
    email: String,
    password: String,
    password2: String,
    demo: bool,
}

const DONE: &str = "This shop is already set up. Log in to the back office at /admin.";
const BAD_TOKEN: &str = "This set-up link is not valid. Use the link printed in the console where Cornershop started (it changes at every start until set-up is done).";

fn render(
    page: &Page,
    tpl: &Templates,
    f: &SetupForm,
    errors: &HashMap<&str, String>,
) -> AppResult<RawHtml<String>> {
    let mut ctx = page.context();
    ctx.insert("nav", &Vec::<()>::new());
    ctx.insert("q", "");
    ctx.insert("account_url", "");
    ctx.insert("token", &f.token);
    ctx.insert(
        "values",
        &json!({ "shop_name": f.shop_name, "currency": f.currency, "owner_name": f.owner_name, "email": f.email, "demo": f.demo }),
    );
    ctx.insert("errors", errors);
    let currencies: Vec<_> = Currency::list()
        .iter()
        .map(|c| json!({ "code": c.code, "label": format!("{} — {}", c.code, c.name), "selected": c.code == f.currency }))
        .collect();
    ctx.insert("currencies", &currencies);
    tpl.page("setup.html.tera", &ctx)
}

async fn setup_done(db: &Db) -> AppResult<bool> {
    Ok(db.read(store::count_active).await? > 0)
}

#[get("/setup?<token>")]
async fn form(
    token: Option<&str>,
    page: Page,
    setup: &State<SetupToken>,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    if setup_done(cx.db).await? {
        return Err(AppError::Gone(DONE.into()));
    }
    if !setup.matches(token.unwrap_or("")) {
        return Err(AppError::Forbidden(BAD_TOKEN.into()));
    }
    let f = SetupForm {
        token: token.unwrap_or("").into(),
        shop_name: page.shop.name.clone(),
        currency: page.shop.currency.code.into(),
        ..SetupForm::default()
    };
    render(&page, cx.tpl, &f, &HashMap::new())
}

fn validate(f: &SetupForm) -> HashMap<&'static str, String> {
    let mut e = HashMap::new();
    if let Err(m) = settings::keys::find("shop.name")
        .expect("known key")
        .validate(&f.shop_name)
    {
        e.insert("shop_name", m.replace("shop.name", "The shop name"));
    } else if f.shop_name.trim().is_empty() {
        e.insert("shop_name", "Enter the shop's name.".into());
    }
    if Currency::find(&f.currency).is_none() {
        e.insert("currency", "Choose the currency your prices are in.".into());
    }
    if let Err(m) = crate::auth::identity::validate_name(&f.owner_name) {
        e.insert("owner_name", m);
    }
    if let Err(m) = crate::auth::identity::validate_email(&f.email) {
        e.insert("email", m);
    }
    if let Err(m) = password::check_strength(&f.password, &[&f.email, &f.owner_name]) {
        e.insert("password", m);
    } else if f.password != f.password2 {
        e.insert("password2", "The two passwords are not the same.".into());
    }
    e
}

#[post("/setup", data = "<form>")]
async fn submit(
    form: CsrfForm<SetupForm>,
    https: Https,
    jar: &CookieJar<'_>,
    page: Page,
    setup: &State<SetupToken>,
    cache: &State<settings::Cache>,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let mut f = form.0;
    if setup_done(cx.db).await? {
        return Err(AppError::Gone(DONE.into()));
    }
    if !setup.matches(&f.token) {
        return Err(AppError::Forbidden(BAD_TOKEN.into()));
    }
    let errors = validate(&f);
    if !errors.is_empty() {
        f.password.clear();
        f.password2.clear();
        return Ok(Err(status::Custom(
            Status::UnprocessableEntity,
            render(&page, cx.tpl, &f, &errors)?,
        )));
    }
    let pw = std::mem::take(&mut f.password);
    let hash = password::hash_off_thread(&pw).await?;
    let now = cx.clock.now();
    let media: PathBuf = cx.config.data_dir.join("media");
    let ip_text = cx.ip.to_string();
    let sealer = cx.secret.clone();
    let (token, demo_count) = cx.db
        .write(move |tx| {
            if store::count_active(tx)? > 0 {
                return Err(AppError::Gone(DONE.into()));
            }
            settings::set(tx, &sealer, "shop.name", &f.shop_name)?;
            let (_, currency) = settings::set(tx, &sealer, "shop.currency", &f.currency)?;
            let email = crate::auth::identity::validate_email(&f.email).map_err(AppError::Invalid)?;
            let name = crate::auth::identity::validate_name(&f.owner_name).map_err(AppError::Invalid)?;
            let id = store::insert(tx, &email, &name, &hash, store::role_id(tx, "Owner")?)?;
            settings::set_internal(tx, "setup.completed_at", &crate::clock::sql_time(now))?;
            let actor = Actor::Staff { id, label: email.clone() };
            let mut demo_count = 0;
            if f.demo {
                let exponent = Currency::find(&currency).map(|c| c.exponent).unwrap_or(2);
                let opts = crate::demo::DemoOptions { products: SETUP_DEMO_PRODUCTS, seed: now.unix_timestamp() as u64, currency_exponent: exponent };
                demo_count = crate::demo::fill(tx, &media, &opts).map_err(AppError::Internal)?.products;
            }
            audit::record(
                tx,
                &audit::Entry::event("setup", "setup.completed")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("staff", id)
                    .details(json!({ "shop_name": f.shop_name, "currency": currency, "demo_products": demo_count })),
            )?;
            let token = session::create(tx, Kind::Staff, id, &lifetime(tx)?, now, &ip_text, "")?;
            Ok((token, demo_count))
        })
        .await?;
    setup.consume();
    cache.invalidate();
    session::set_cookie(jar, Kind::Staff, token, https.0);
    csrf::rotate(jar, cx.secret, https);
    let msg = if demo_count > 0 {
        format!("Your shop is ready, with {demo_count} demo products to try it out.")
    } else {
        "Your shop is ready. It has no products yet; `cornershop demo --products 50` adds sample ones to try it out.".to_string()
    };
    Ok(Ok(flash_redirect("/admin".into(), "success", msg)))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![form, submit]
}
