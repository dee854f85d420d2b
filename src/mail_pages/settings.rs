//! Back office: mail settings at /admin/settings/mail. Where mail goes (outbox folder or
//! SMTP server), the sender address and the SMTP server with its login; and a "send a
//! test mail" button that delivers at once through the saved settings and shows the
//! result (or the server's exact error).
//!
//! Saving checks every field first and saves nothing unless all are valid; the page then
//! shows a message next to each wrong field, with what was typed kept (except the
//! password, which is never sent back to the browser). An empty password field keeps the
//! stored password. Each changed setting is audited in the saving transaction, a secret
//! masked.

use std::collections::HashMap;
use std::path::PathBuf;

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm, State};
use rusqlite::Connection;
use serde_json::json;

use crate::audit;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::mail::message::{build, Queued};
use crate::mail::smtp::{is_host, Security, SmtpConfig};
use crate::mail::transport;
use crate::secret::Secret;
use crate::settings::{self, keys};
use crate::staff::guard::StaffUser;
use crate::staff::perm::{ReadSettings, UpdateSettings};
use crate::staff::{nav, Can};
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

const URL: &str = "/admin/settings/mail";

/// Form fields and the settings they edit.
const FIELDS: [(&str, &str); 7] = [
    ("transport", "mail.transport"),
    ("from", "mail.from"),
    ("host", "mail.smtp.host"),
    ("port", "mail.smtp.port"),
    ("security", "mail.smtp.security"),
    ("username", "mail.smtp.username"),
    ("password", "mail.smtp.password"),
];

fn field_of(key: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|(_, k)| *k == key)
        .map(|(f, _)| *f)
        .unwrap_or("form")
}

#[derive(FromForm, Default, Debug)]
pub struct MailForm {
    transport: String,
    from: String,
    host: String,
    port: String,
    security: String,
    username: String,
    /// Empty keeps the stored password.
    password: String,
    /// Erase the stored password.
    forget_password: bool,
    /// Not a field: a password was typed in a form that is shown again.
    #[field(default = false)]
    password_typed: bool,
}

#[derive(FromForm)]
pub struct TestForm {
    to: String,
}

/// The saved mail settings; the password decrypted, or why it cannot be.
struct Saved {
    form: MailForm,
    password: Result<String, String>,
}

impl Saved {
    fn read(c: &Connection, secret: &Secret) -> AppResult<Saved> {
        let get = |k: &str| settings::get(c, k);
        Ok(Saved {
            form: MailForm {
                transport: get("mail.transport")?,
                from: get("mail.from")?,
                host: get("mail.smtp.host")?,
                port: get("mail.smtp.port")?,
                security: get("mail.smtp.security")?,
                username: get("mail.smtp.username")?,
                password: String::new(),
                forget_password: false,
                password_typed: false,
            },
            password: match settings::get_secret(c, secret, "mail.smtp.password") {
                Ok(p) => Ok(p),
                Err(AppError::Conflict(m)) => Err(m),
                Err(e) => return Err(e),
            },
        })
    }

    fn password_stored(&self) -> bool {
        !matches!(&self.password, Ok(p) if p.is_empty())
    }

    /// Where mail goes now, in words.
    fn summary(&self) -> String {
        let f = &self.form;
        if f.transport != "smtp" {
            return "Mail is written to the outbox folder in the data folder; nothing leaves \
                    this machine."
                .into();
        }
        let how = match Security::parse(&f.security) {
            Some(Security::StartTls) => "STARTTLS",
            Some(Security::Tls) => "TLS",
            _ => "no encryption",
        };
        let login = if f.username.is_empty() {
            "without a login".to_string()
        } else {
            format!("logging in as {}", f.username)
        };
        format!(
            "Mail is sent through {}:{} ({how}, {login}).",
            if f.host.is_empty() {
                "(no server)"
            } else {
                &f.host
            },
            f.port
        )
    }
}

/// Checks every field; the settings to store (password only when typed or forgotten), or
/// a message per wrong field.
fn check(
    f: &MailForm,
    saved: &Saved,
) -> Result<Vec<(&'static str, String)>, HashMap<&'static str, String>> {
    let mut errors: HashMap<&'static str, String> = HashMap::new();
    let mut values = Vec::new();
    // In the order of FIELDS.
    let messages = [
        "Choose where mail goes: the outbox folder or an SMTP server.",
        "Enter the address mails are sent from, such as shop@example.com.",
        "The server name can have at most 253 characters, without control characters.",
        "Enter a port from 1 to 65535.",
        "Choose STARTTLS, TLS or no encryption.",
        "The user name can have at most 254 characters, without control characters.",
        "The password can have at most 500 characters, without control characters.",
    ];
    let typed = [
        &f.transport,
        &f.from,
        &f.host,
        &f.port,
        &f.security,
        &f.username,
        &f.password,
    ];
    for (((field, key), raw), message) in FIELDS.iter().zip(typed).zip(messages) {
        if *field == "password" && raw.is_empty() {
            continue;
        }
        let k = keys::find(key).expect("known mail setting");
        match settings::normalise(k, raw) {
            Ok(v) => values.push((*key, v)),
            Err(_) => {
                errors.insert(field, message.to_string());
            }
        }
    }
    let value = |key: &str| {
        values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !errors.contains_key("from") && value("mail.from").parse::<lettre::Address>().is_err() {
        errors.insert("from", messages[1].to_string());
    }
    let host = value("mail.smtp.host");
    if !errors.contains_key("host") && !host.is_empty() && !is_host(&host) {
        errors.insert(
            "host",
            format!("'{host}' is not a host name or IP address."),
        );
    }
    let smtp = value("mail.transport") == "smtp";
    let password = if f.forget_password {
        String::new()
    } else if !f.password.is_empty() {
        value("mail.smtp.password")
    } else {
        match &saved.password {
            Ok(p) => p.clone(),
            Err(_) if smtp && !f.username.trim().is_empty() => {
                errors.insert(
                    "password",
                    "The stored password cannot be decrypted (it was damaged, or stored with \
                     another secret.key); type it again."
                        .into(),
                );
                String::new()
            }
            Err(_) => String::new(),
        }
    };
    // How the fields work together matters only when SMTP is what will be used.
    if errors.is_empty() && smtp {
        let config = SmtpConfig {
            host,
            port: value("mail.smtp.port").parse().unwrap_or(0),
            security: Security::parse(&value("mail.smtp.security")).unwrap_or(Security::None),
            username: value("mail.smtp.username"),
            password,
        };
        for (key, message) in config.problems() {
            errors.entry(field_of(key)).or_insert(message);
        }
    }
    if errors.is_empty() {
        if f.forget_password {
            values.retain(|(k, _)| *k != "mail.smtp.password");
            values.push(("mail.smtp.password", String::new()));
        }
        Ok(values)
    } else {
        Err(errors)
    }
}

fn render(
    page: &Page,
    staff: &StaffUser,
    tpl: &Templates,
    saved: &Saved,
    form: &MailForm,
    errors: &HashMap<&'static str, String>,
    test_to: &str,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, staff, "settings");
    ctx.insert("menu", &crate::settings_pages::pages::menu_for("mail"));
    ctx.insert(
        "values",
        &json!({
            "transport": form.transport,
            "from": form.from,
            "host": form.host,
            "port": form.port,
            "security": form.security,
            "username": form.username,
            "forget_password": form.forget_password,
            "password_typed": form.password_typed,
        }),
    );
    ctx.insert("errors", errors);
    ctx.insert("form_invalid", &errors.keys().any(|k| *k != "test_to"));
    ctx.insert("password_stored", &saved.password_stored());
    ctx.insert("saved_transport", &saved.form.transport);
    ctx.insert("password_broken", &saved.password.as_ref().err());
    ctx.insert("summary", &saved.summary());
    ctx.insert("test_to", test_to);
    ctx.insert(
        "transports",
        &json!([
            { "value": "outbox", "label": "Outbox folder", "help": "Every mail is saved as an .eml file in the data folder and listed in the Outbox. Nothing is sent: good for trying the shop out." },
            { "value": "smtp", "label": "SMTP server", "help": "Mail is sent through your mail provider's server, set up below." },
        ]),
    );
    ctx.insert(
        "securities",
        &json!([
            { "value": "starttls", "label": "STARTTLS (usually port 587)" },
            { "value": "tls", "label": "TLS (usually port 465)" },
            { "value": "none", "label": "None (a server on this machine only)" },
        ]),
    );
    tpl.page("backoffice/settings_mail.html.tera", &ctx)
}

#[get("/admin/settings/mail")]
async fn show(me: Can<ReadSettings>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let secret = cx.secret.clone();
    let saved = cx.db.read(move |c| Saved::read(c, &secret)).await?;
    render(
        &page,
        &me.staff,
        cx.tpl,
        &saved,
        &saved.form,
        &HashMap::new(),
        &me.staff.email,
    )
}

type Answer = Result<Flash<Redirect>, status::Custom<RawHtml<String>>>;

#[post("/admin/settings/mail", data = "<form>")]
async fn save(
    form: CsrfForm<MailForm>,
    me: Can<UpdateSettings>,
    page: Page,
    cache: &State<settings::Cache>,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let mut f = form.0;
    let key = cx.secret.clone();
    let saved = cx.db.read(move |c| Saved::read(c, &key)).await?;
    let values = match check(&f, &saved) {
        Ok(v) => v,
        Err(errors) => {
            // Never sent back to the browser: the page asks for it again if it was typed.
            f.password_typed = !f.password.is_empty();
            f.password.clear();
            let html = render(
                &page,
                &me.staff,
                cx.tpl,
                &saved,
                &f,
                &errors,
                &me.staff.email,
            )?;
            return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
        }
    };
    let key = cx.secret.clone();
    let actor = me.staff.actor();
    // The shared settings save: changed keys only, each audited (the password masked).
    let changed = cx
        .db
        .write(move |tx| crate::settings_pages::form::save(tx, &key, &actor, Some(cx.ip), &values))
        .await?
        .len();
    cache.invalidate();
    let message = crate::settings_pages::form::saved_message("Mail", changed);
    Ok(Ok(flash_redirect(URL.into(), "success", message)))
}

#[post("/admin/settings/mail/test", data = "<form>")]
async fn send_test(
    form: CsrfForm<TestForm>,
    me: Can<UpdateSettings>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let to = form.0.to.trim().to_string();
    if to.contains(['\r', '\n']) || to.parse::<lettre::Address>().is_err() {
        let key = cx.secret.clone();
        let saved = cx.db.read(move |c| Saved::read(c, &key)).await?;
        let errors = HashMap::from([(
            "test_to",
            "Enter the address to send the test mail to, such as you@example.com.".to_string(),
        )]);
        let html = render(&page, &me.staff, cx.tpl, &saved, &saved.form, &errors, &to)?;
        return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
    }
    let (db_c, key, data_dir): (Db, Secret, PathBuf) =
        (cx.db.clone(), cx.secret.clone(), cx.config.data_dir.clone());
    let staff_name = me.staff.name.clone();
    let recipient = to.clone();
    let now = cx.clock.now();
    // Delivered right here, not queued, so the owner sees the outcome at once; on a
    // blocking thread, as SMTP may take up to its timeout.
    let (via, outcome) = rocket::tokio::task::spawn_blocking(move || -> AppResult<_> {
        let (transport, shop, from) = db_c.read_blocking(|c| {
            Ok((
                transport::from_settings(c, &data_dir, &key)?,
                settings::get(c, "shop.name")?,
                settings::get(c, "mail.from")?,
            ))
        })?;
        let mail = Queued {
            id: 0,
            to_address: recipient.clone(),
            to_name: String::new(),
            subject: format!("Test mail from {shop}"),
            text: format!(
                "Hello,\n\nthis is a test mail from {shop}, sent by {staff_name} from the mail \
                 settings page. If you can read it, the shop's mail settings work.\n"
            ),
            html: format!(
                "<p>Hello,</p><p>this is a test mail from <strong>{}</strong>, sent by {} from \
                 the mail settings page. If you can read it, the shop's mail settings work.</p>",
                crate::web::templates::escape_html(&shop),
                crate::web::templates::escape_html(&staff_name)
            ),
            attempts: 0,
            unsubscribe_url: String::new(),
        };
        let outcome = build(&mail, &shop, &from).and_then(|m| transport.deliver(0, &m, now));
        Ok((transport.describe(), outcome))
    })
    .await
    .map_err(AppError::internal)??;

    let entry = match &outcome {
        Ok(_) => audit::Entry::event("mail", "mail.test_sent"),
        Err(_) => audit::Entry::error("mail", "mail.test_sent"),
    };
    let details = json!({ "to": to, "via": via, "error": outcome.as_ref().err() });
    let actor = me.staff.actor();
    cx.db
        .write(move |tx| audit::record(tx, &entry.actor(actor).ip(Some(cx.ip)).details(details)))
        .await?;
    Ok(Ok(match outcome {
        Ok(path) if !path.is_empty() => flash_redirect(
            URL.into(),
            "success",
            format!(
                "Test mail to {to} written to {via} as {path}; mail goes to the outbox folder \
                 until you choose an SMTP server."
            ),
        ),
        Ok(_) => flash_redirect(
            URL.into(),
            "success",
            format!("Test mail to {to} accepted by {via}."),
        ),
        Err(e) => flash_redirect(
            URL.into(),
            "error",
            format!("The test mail to {to} could not be sent: {e}"),
        ),
    }))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![show, save, send_test]
}
