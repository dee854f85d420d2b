//! Mail templates (DESIGN §6): Tera sources in the `mail_templates` table, one row per mail
//! the shop sends, each with a subject, an HTML part and a text part. The built-in versions
//! are the files under `templates/mail/<name>/` (`subject.tera`, `body.html.tera`,
//! `body.txt.tera`), compiled into the binary; `seed` inserts the missing ones at start, so
//! the owner's edits survive upgrades, and "Reset to default" goes back to them.
//!
//! A feature that sends mail calls `queue_templated` in its own write transaction with the
//! variables listed in `spec` (the contract, see docs/MAIL_TEMPLATES.md).

pub mod engine;
pub mod spec;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::mail::{self, NewMail};
use crate::money::Currency;
use crate::settings;
use crate::web::templates::TemplateFiles;

pub use spec::{Spec, Var, COMMON, SPECS};

/// The longest subject source the table accepts.
pub const MAX_SUBJECT: usize = 300;

/// A template's sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parts {
    pub subject: String,
    pub html: String,
    pub text: String,
}

impl Parts {
    /// Parts as typed into a form: line endings made `\n`, the subject trimmed.
    pub fn from_form(subject: &str, html: &str, text: &str) -> Parts {
        let lf = |s: &str| s.replace("\r\n", "\n").replace('\r', "\n");
        Parts {
            subject: lf(subject).trim().to_string(),
            html: lf(html),
            text: lf(text),
        }
    }
}

/// A rendered mail: subject on one line, the HTML part (empty when the template has none)
/// and the text part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The stored row of a template.
#[derive(Debug, Clone)]
pub struct Stored {
    pub parts: Parts,
    pub updated_at: String,
    pub updated_by: String,
}

/// Which part of a template a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Subject,
    Html,
    Text,
}

impl Part {
    pub fn label(self) -> &'static str {
        match self {
            Part::Subject => "Subject",
            Part::Html => "HTML part",
            Part::Text => "Text part",
        }
    }
}

/// A problem with one part: Tera's message (with its causes) or a rule of ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartError {
    pub part: Part,
    pub message: String,
}

/// The built-in version of a template, from `templates/mail/<name>/`.
pub fn defaults(name: &str) -> Option<Parts> {
    spec::find(name)?;
    let file = |f: &str| {
        TemplateFiles::get(&format!("mail/{name}/{f}"))
            .map(|d| String::from_utf8_lossy(&d.data).into_owned())
    };
    Some(Parts {
        subject: file("subject.tera")?.trim().to_string(),
        html: file("body.html.tera")?,
        text: file("body.txt.tera")?,
    })
}

/// Inserts every built-in template the table lacks; stored ones (maybe edited) stay as
/// they are. Returns how many were added.
pub fn seed(conn: &Connection) -> AppResult<usize> {
    let mut added = 0;
    for s in SPECS {
        let d = defaults(s.name).ok_or_else(|| {
            AppError::internal(format!(
                "mail template '{}' has no files under templates/mail/",
                s.name
            ))
        })?;
        added += conn
            .prepare_cached(
                "INSERT INTO mail_templates (name, subject, html, text) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO NOTHING",
            )?
            .execute(params![s.name, d.subject, d.html, d.text])?;
    }
    Ok(added)
}

/// The stored row, if there is one.
pub fn load(conn: &Connection, name: &str) -> AppResult<Option<Stored>> {
    Ok(conn
        .prepare_cached(
            "SELECT subject, html, text, updated_at, updated_by FROM mail_templates WHERE name = ?1",
        )?
        .query_row([name], |r| {
            Ok(Stored {
                parts: Parts {
                    subject: r.get(0)?,
                    html: r.get(1)?,
                    text: r.get(2)?,
                },
                updated_at: r.get(3)?,
                updated_by: r.get(4)?,
            })
        })
        .optional()?)
}

/// Stores `parts` as template `name` (checked by the caller with `check`). Returns the
/// previous parts when something changed, None when the parts were already these.
pub fn save(
    conn: &Connection,
    name: &str,
    parts: &Parts,
    updated_by: &str,
    now: OffsetDateTime,
) -> AppResult<Option<Parts>> {
    let old = match load(conn, name)? {
        Some(s) => s.parts,
        None => defaults(name)
            .ok_or_else(|| AppError::NotFound(format!("There is no mail template '{name}'.")))?,
    };
    if old == *parts {
        return Ok(None);
    }
    conn.prepare_cached(
        "INSERT INTO mail_templates (name, subject, html, text, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (name) DO UPDATE SET subject = excluded.subject, html = excluded.html,
             text = excluded.text, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    )?
    .execute(params![
        name,
        parts.subject,
        parts.html,
        parts.text,
        sql_time(now),
        updated_by
    ])?;
    Ok(Some(old))
}

/// `shop.name` from the settings and `shop.url` from `shop.base_url`, or `served_url`
/// (the address this request came in on) when that setting is empty; no trailing slash.
pub fn shop_vars(conn: &Connection, served_url: &str) -> AppResult<Value> {
    let base = settings::get(conn, "shop.base_url")?;
    let url = if base.trim().is_empty() {
        served_url
    } else {
        base.trim()
    };
    Ok(json!({
        "name": settings::get(conn, "shop.name")?,
        "url": url.trim_end_matches('/'),
    }))
}

/// The caller's variables, completed: `shop.name` / `shop.url` from the settings when
/// missing (`shop.url` never ends in `/`), and the optional variables of the contract
/// (`order.tracking_number`, `order.reason`, `voucher.expires_at`) as "" when missing, so
/// a template may use them whatever the caller knew.
fn complete(conn: &Connection, name: &str, ctx: &Value) -> AppResult<Value> {
    let mut ctx = ctx.clone();
    let obj = ctx.as_object_mut().ok_or_else(|| {
        AppError::internal(format!(
            "mail template '{name}': the variables must be a JSON object"
        ))
    })?;
    let shop = obj.entry("shop").or_insert_with(|| json!({}));
    if let Some(shop) = shop.as_object_mut() {
        if !shop.contains_key("name") {
            shop.insert("name".into(), settings::get(conn, "shop.name")?.into());
        }
        if !shop.contains_key("url") {
            shop.insert("url".into(), settings::get(conn, "shop.base_url")?.into());
        }
        if let Some(Value::String(url)) = shop.get_mut("url") {
            let trimmed = url.trim().trim_end_matches('/').to_string();
            *url = trimmed;
        }
    }
    let optional: &[(&str, &str)] = match name {
        "order_placed" | "order_paid" | "order_shipped" | "order_delivered" | "order_cancelled" => {
            &[("order", "tracking_number"), ("order", "reason")]
        }
        "voucher_issued" => &[("voucher", "expires_at")],
        _ => &[],
    };
    for (outer, key) in optional {
        if let Some(o) = obj.get_mut(*outer).and_then(Value::as_object_mut) {
            o.entry(*key)
                .or_insert_with(|| Value::String(String::new()));
        }
    }
    Ok(ctx)
}

/// Renders the three parts of `parts` with `ctx`. The subject comes out on one line
/// (whitespace, line breaks included, collapsed to single spaces), the text part tidied
/// (no trailing spaces, at most one blank line in a row); an empty HTML source gives an
/// empty HTML part. Every broken part is reported.
pub fn render_parts(name: &str, parts: &Parts, ctx: &Value) -> Result<Rendered, Vec<PartError>> {
    let err = |part, message: String| PartError { part, message };
    let ctx = tera::Context::from_value(ctx.clone()).map_err(|e| {
        vec![err(
            Part::Subject,
            format!("The variables are not an object: {e}"),
        )]
    })?;
    let mut errors = Vec::new();
    let subject = engine::render(&format!("{name}/subject.txt"), &parts.subject, &ctx)
        .map(|s| one_line(&s))
        .and_then(|s| {
            if s.is_empty() {
                Err("The subject comes out empty; every mail needs one.".to_string())
            } else {
                Ok(s)
            }
        })
        .map_err(|m| errors.push(err(Part::Subject, m)));
    let html = if parts.html.trim().is_empty() {
        Ok(String::new())
    } else {
        engine::render(&format!("{name}/body.html"), &parts.html, &ctx)
            .map_err(|m| errors.push(err(Part::Html, m)))
    };
    let text = engine::render(&format!("{name}/body.txt"), &parts.text, &ctx)
        .map(|t| tidy_text(&t))
        .and_then(|t| {
            if t.is_empty() {
                Err("The text part comes out empty; every mail needs one.".to_string())
            } else {
                Ok(t)
            }
        })
        .map_err(|m| errors.push(err(Part::Text, m)));
    match (subject, html, text) {
        (Ok(subject), Ok(html), Ok(text)) => Ok(Rendered {
            subject,
            html,
            text,
        }),
        _ => Err(errors),
    }
}

/// Whether `parts` may be stored as template `name`: within the table's limits, and
/// rendering with the template's sample data. Returns the rendered sample.
pub fn check(name: &str, parts: &Parts) -> Result<Rendered, Vec<PartError>> {
    let mut errors = Vec::new();
    if parts.subject.is_empty() {
        errors.push(PartError {
            part: Part::Subject,
            message: "Please enter a subject.".into(),
        });
    } else if parts.subject.chars().count() > MAX_SUBJECT {
        errors.push(PartError {
            part: Part::Subject,
            message: format!("The subject can be at most {MAX_SUBJECT} characters long."),
        });
    }
    if parts.text.trim().is_empty() {
        errors.push(PartError {
            part: Part::Text,
            message:
                "Please enter a text part: every mail has one, for mail programs that show no HTML."
                    .into(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let sample = spec::sample(name, Currency::fallback()).ok_or_else(|| {
        vec![PartError {
            part: Part::Subject,
            message: format!("There is no mail template '{name}'."),
        }]
    })?;
    render_parts(name, parts, &sample)
}

/// Renders the stored template `name` (the built-in one if the row is missing) with the
/// caller's variables, completed as `complete` says. A template that fails to render is an
/// internal error naming the template and Tera's message.
pub fn render(conn: &Connection, name: &str, ctx: &Value) -> AppResult<Rendered> {
    let parts = match load(conn, name)? {
        Some(s) => s.parts,
        None => defaults(name)
            .ok_or_else(|| AppError::internal(format!("there is no mail template '{name}'")))?,
    };
    let ctx = complete(conn, name, ctx)?;
    render_parts(name, &parts, &ctx).map_err(|errors| {
        let what: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.part.label(), e.message))
            .collect();
        AppError::Internal(format!(
            "mail template '{name}' could not be rendered: {}",
            what.join("; ")
        ))
    })
}

/// Renders template `name` and queues the mail in the caller's transaction (through
/// `mail::queue`, which records the template's name). Returns the outbox row's id.
pub fn queue_templated(
    conn: &Connection,
    name: &str,
    to_address: &str,
    to_name: &str,
    ctx: &Value,
    now: OffsetDateTime,
) -> AppResult<i64> {
    let r = render(conn, name, ctx)?;
    let to_name = one_line(to_name);
    mail::queue(
        conn,
        &NewMail {
            template: name,
            to_address,
            to_name: &to_name,
            subject: &r.subject,
            text: &r.text,
            html: &r.html,
        },
        now,
    )
}

/// Every run of whitespace (line breaks too) as one space, trimmed.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `\n` line endings, no trailing spaces, at most one blank line in a row, no blank lines
/// at either end.
fn tidy_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_matches('\n').to_string()
}

#[cfg(test)]
mod tests;
