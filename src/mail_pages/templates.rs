//! Back office: the mail templates. A list, and an editor per template with the variables
//! it can use and a live preview rendered from sample data. A save is checked first (Tera
//! syntax, and rendering with the sample data): a broken template is refused with Tera's
//! message and the stored one stays; a good one is stored and audited in one transaction.

use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes};
use serde_json::{json, Map, Value};

use crate::audit;
use crate::clock::shown_time;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::mail::templates::{
    check, defaults, load, render_parts, save, spec, PartError, Parts, Spec,
};
use crate::settings;
use crate::staff::guard::StaffUser;
use crate::staff::perm::{Action, ReadMailTemplates, UpdateMailTemplates};
use crate::staff::{nav, Can};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::headers::SandboxedHtml;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

const AREA: &str = "mail_templates";

#[derive(FromForm)]
struct TemplateForm {
    subject: String,
    html: String,
    text: String,
}

impl TemplateForm {
    fn parts(&self) -> Parts {
        Parts::from_form(&self.subject, &self.html, &self.text)
    }
}

fn find(name: &str) -> AppResult<&'static Spec> {
    spec::find(name)
        .ok_or_else(|| AppError::NotFound(format!("There is no mail template '{name}'.")))
}

fn edit_url(name: &str) -> String {
    format!("/admin/mail-templates/{name}")
}

/// Who saved a row last, as the back office shows it ("" for the built-in version).
fn saved_by(updated_by: &str) -> &str {
    if updated_by == "seed" {
        ""
    } else {
        updated_by
    }
}

#[get("/admin/mail-templates")]
async fn list(me: Can<ReadMailTemplates>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let rows = cx
        .db
        .read(|c| {
            spec::SPECS
                .iter()
                .map(|s| {
                    let stored = load(c, s.name)?;
                    let default = defaults(s.name);
                    Ok(match stored {
                        Some(st) => json!({
                            "name": s.name,
                            "label": s.label,
                            "description": s.description,
                            "url": edit_url(s.name),
                            "subject": st.parts.subject,
                            "updated": shown_time(&st.updated_at),
                            "by": saved_by(&st.updated_by),
                            "customised": default.as_ref() != Some(&st.parts),
                        }),
                        None => json!({
                            "name": s.name,
                            "label": s.label,
                            "description": s.description,
                            "url": edit_url(s.name),
                            "subject": default.map(|d| d.subject).unwrap_or_default(),
                            "updated": "",
                            "by": "",
                            "customised": false,
                        }),
                    })
                })
                .collect::<AppResult<Vec<Value>>>()
        })
        .await?;
    let mut ctx = nav::context(&page, &me.staff, AREA);
    ctx.insert("templates", &rows);
    cx.tpl.page("backoffice/mail_templates.html.tera", &ctx)
}

/// The editor page for `spec`, showing `values` (stored or as typed) and `errors`.
async fn editor(
    spec: &'static Spec,
    staff: &StaffUser,
    page: &Page,
    db: &Db,
    tpl: &Templates,
    values: Option<Parts>,
    errors: &[PartError],
) -> AppResult<RawHtml<String>> {
    let name = spec.name;
    let stored = db.read(move |c| load(c, name)).await?;
    let default = defaults(name);
    let (stored_parts, updated, by) = match &stored {
        Some(s) => (
            s.parts.clone(),
            shown_time(&s.updated_at),
            saved_by(&s.updated_by).to_string(),
        ),
        None => (
            default.clone().unwrap_or(Parts::from_form("", "", "")),
            String::new(),
            String::new(),
        ),
    };
    let customised = default.as_ref() != Some(&stored_parts);
    let typed = values.is_some();
    let values = values.unwrap_or(stored_parts);
    let mut errs = Map::new();
    for e in errors {
        errs.insert(
            serde_json::to_value(e.part)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            Value::String(e.message.clone()),
        );
    }
    let vars: Vec<Value> = crate::mail::templates::COMMON
        .iter()
        .chain(spec.vars)
        .map(
            |v| json!({ "name": v.name, "tag": format!("{{{{ {} }}}}", v.name), "about": v.about }),
        )
        .collect();
    let mut ctx = nav::context(page, staff, AREA);
    ctx.insert(
        "tpl",
        &json!({
            "name": name,
            "label": spec.label,
            "description": spec.description,
            "url": edit_url(name),
            "preview_url": format!("{}/preview", edit_url(name)),
            "reset_url": format!("{}/reset", edit_url(name)),
            "updated": updated,
            "by": by,
            "customised": customised,
        }),
    );
    ctx.insert("values", &values);
    ctx.insert("errors", &Value::Object(errs));
    ctx.insert("typed", &typed);
    ctx.insert("variables", &vars);
    ctx.insert("can_edit", &staff.perms.can(AREA, Action::Update));
    tpl.page("backoffice/mail_template.html.tera", &ctx)
}

#[get("/admin/mail-templates/<name>")]
async fn edit(
    name: &str,
    me: Can<ReadMailTemplates>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let spec = find(name)?;
    editor(spec, &me.staff, &page, cx.db, cx.tpl, None, &[]).await
}

/// What an audit entry says about a change from `old` to `new`: the parts that changed,
/// each with its old and new source.
fn changes(old: &Parts, new: &Parts) -> Value {
    let mut changed = Map::new();
    for (part, o, n) in [
        ("subject", &old.subject, &new.subject),
        ("html", &old.html, &new.html),
        ("text", &old.text, &new.text),
    ] {
        if o != n {
            changed.insert(part.into(), json!({ "old": o, "new": n }));
        }
    }
    Value::Object(changed)
}

#[post("/admin/mail-templates/<name>", data = "<form>")]
async fn update(
    name: &str,
    form: CsrfForm<TemplateForm>,
    me: Can<UpdateMailTemplates>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Result<Flash<Redirect>, status::Custom<RawHtml<String>>>> {
    let spec = find(name)?;
    let parts = form.0.parts();
    if let Err(errors) = check(spec.name, &parts) {
        let body = editor(spec, &me.staff, &page, cx.db, cx.tpl, Some(parts), &errors).await?;
        return Ok(Err(status::Custom(Status::UnprocessableEntity, body)));
    }
    let actor = me.staff.actor();
    let by = me.staff.email.clone();
    let now = cx.clock.now();
    let name = spec.name;
    let changed = cx
        .db
        .write(move |tx| {
            let Some(old) = save(tx, name, &parts, &by, now)? else {
                return Ok(false);
            };
            audit::record(
                tx,
                &audit::Entry::event("mail", "mail_template.updated")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("mail_template", name)
                    .details(changes(&old, &parts)),
            )?;
            Ok(true)
        })
        .await?;
    Ok(Ok(if changed {
        flash_redirect(
            edit_url(name),
            "success",
            format!(
                "The template “{}” is saved; mails sent from now on use it.",
                spec.label
            ),
        )
    } else {
        flash_redirect(
            edit_url(name),
            "info",
            "Nothing changed, so nothing was saved.",
        )
    }))
}

/// Puts the built-in version back (the replaced one stays in the audit log).
#[post("/admin/mail-templates/<name>/reset", data = "<_form>")]
async fn reset(
    name: &str,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateMailTemplates>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let spec = find(name)?;
    let name = spec.name;
    let default = defaults(name).ok_or_else(|| {
        AppError::internal(format!("mail template '{name}' has no built-in version"))
    })?;
    let actor = me.staff.actor();
    let by = me.staff.email.clone();
    let now = cx.clock.now();
    let changed = cx
        .db
        .write(move |tx| {
            let Some(old) = save(tx, name, &default, &by, now)? else {
                return Ok(false);
            };
            audit::record(
                tx,
                &audit::Entry::event("mail", "mail_template.reset")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("mail_template", name)
                    .details(changes(&old, &default)),
            )?;
            Ok(true)
        })
        .await?;
    Ok(if changed {
        flash_redirect(
            edit_url(name),
            "success",
            format!(
                "The template “{}” is back to its built-in version.",
                spec.label
            ),
        )
    } else {
        flash_redirect(
            edit_url(name),
            "info",
            "This template already is the built-in version.",
        )
    })
}

/// The page shown in the preview frame: subject, HTML part and text part of `parts`
/// rendered with the template's sample data (amounts in the shop's currency, the shop's
/// name and address), or what stops them from rendering.
async fn preview(
    spec: &'static Spec,
    parts: Parts,
    page: &Page,
    db: &Db,
    tpl: &Templates,
) -> AppResult<SandboxedHtml> {
    let name = spec.name;
    let mut sample = spec::sample(name, page.shop.currency)
        .ok_or_else(|| AppError::internal(format!("no sample data for '{name}'")))?;
    let base = db.read(|c| settings::get(c, "shop.base_url")).await?;
    sample["shop"]["name"] = Value::String(page.shop.name.clone());
    if !base.trim().is_empty() {
        sample["shop"]["url"] = Value::String(base.trim().trim_end_matches('/').to_string());
    }
    let customer = &sample["customer"];
    let to = format!(
        "{} {} <{}>",
        customer["first_name"].as_str().unwrap_or_default(),
        customer["last_name"].as_str().unwrap_or_default(),
        customer["email"].as_str().unwrap_or_default()
    );
    let mut ctx = tera::Context::new();
    ctx.insert("label", spec.label);
    ctx.insert("from", &page.shop.name);
    ctx.insert("to", &to);
    let status = match render_parts(name, &parts, &sample) {
        Ok(r) => {
            ctx.insert("mail", &r);
            Status::Ok
        }
        Err(errors) => {
            let errors: Vec<Value> = errors
                .iter()
                .map(|e| json!({ "part": e.part.label(), "message": e.message }))
                .collect();
            ctx.insert("errors", &errors);
            Status::UnprocessableEntity
        }
    };
    let html = tpl.render("backoffice/mail_preview.html.tera", &ctx)?;
    Ok(SandboxedHtml { status, html })
}

/// The stored template, previewed (the frame's first page).
#[get("/admin/mail-templates/<name>/preview")]
async fn preview_stored(
    name: &str,
    _me: Can<ReadMailTemplates>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<SandboxedHtml> {
    let spec = find(name)?;
    let n = spec.name;
    let parts = match cx.db.read(move |c| load(c, n)).await? {
        Some(s) => s.parts,
        None => defaults(n).ok_or_else(|| AppError::internal(format!("no built-in '{n}'")))?,
    };
    preview(spec, parts, &page, cx.db, cx.tpl).await
}

/// The template as typed, previewed: the editor's "Preview" button (and, with JavaScript,
/// every pause in typing) posts the form here into the preview frame. Changes nothing, so
/// reading the templates is enough.
#[post("/admin/mail-templates/<name>/preview", data = "<form>")]
async fn preview_typed(
    name: &str,
    form: CsrfForm<TemplateForm>,
    _me: Can<ReadMailTemplates>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<SandboxedHtml> {
    let spec = find(name)?;
    preview(spec, form.0.parts(), &page, cx.db, cx.tpl).await
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, edit, update, reset, preview_stored, preview_typed]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::templates::Part;

    #[test]
    fn audit_details_name_only_the_changed_parts_with_old_and_new() {
        let old = Parts::from_form("A", "<p>x</p>", "x");
        let new = Parts::from_form("B", "<p>x</p>", "y");
        assert_eq!(
            changes(&old, &new),
            json!({ "subject": { "old": "A", "new": "B" }, "text": { "old": "x", "new": "y" } })
        );
        assert_eq!(Part::Html.label(), "HTML part");
    }
}
