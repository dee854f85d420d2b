//! Back office: the settings pages. `/admin/settings` lists the sections (and every setting,
//! read-only, secrets masked); `/admin/settings/<section>` is one form per section
//! (`sections::PAGES`; mail has its own page in `mail_pages::settings`). Saving goes through
//! `form::check` (every field, nothing saved when one is wrong) and `form::save` (one
//! transaction, one audit row per changed key). A section with an image (the shop's logo,
//! the payment QR image) has an upload form: the file goes through the media pipeline, its
//! path is stored in the image's setting, and the file it replaces is deleted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rocket::form::FromForm;
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::tokio::io::AsyncReadExt;
use rocket::{get, post, routes, State};
use rusqlite::Connection;
use serde_json::json;

use super::form::{self, Errors};
use super::sections::{self, ImageSetting};
use crate::audit;
use crate::config::Config;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::media::pipeline;
use crate::secret::Secret;
use crate::staff::guard::StaffUser;
use crate::staff::perm::{ReadSettings, UpdateSettings};
use crate::staff::{nav, Can};
use crate::web::client::ClientIp;
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

type Answer = Result<Flash<Redirect>, status::Custom<RawHtml<String>>>;

fn menu(current: &str) -> serde_json::Value {
    json!(sections::menu()
        .into_iter()
        .map(|(slug, title, intro)| json!({
            "slug": slug, "title": title, "intro": intro, "current": slug == current,
        }))
        .collect::<Vec<_>>())
}

/// The settings menu for another settings page (mail).
pub fn menu_for(current: &str) -> serde_json::Value {
    menu(current)
}

#[get("/admin/settings")]
async fn list(me: Can<ReadSettings>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let rows = cx.db.read(crate::settings::list).await?;
    let mut ctx = nav::context(&page, &me.staff, "settings");
    let settings: Vec<_> = rows
        .iter()
        .map(|(k, v)| json!({ "name": k.name, "value": v, "default": k.default, "help": k.help }))
        .collect();
    ctx.insert("settings", &settings);
    ctx.insert("menu", &menu(""));
    cx.tpl.page("backoffice/settings.html.tera", &ctx)
}

fn find(slug: &str) -> AppResult<&'static sections::Page> {
    sections::find(slug).ok_or_else(|| AppError::NotFound("There is no such settings page.".into()))
}

/// What a section page shows besides its typed values.
struct Saved {
    values: HashMap<String, String>,
    /// Secrets stored (by field name) and image keys set (by key), for "keep" and rules.
    stored: HashMap<String, bool>,
    image: String,
    currency: &'static crate::money::Currency,
    notes: Vec<String>,
}

fn read_saved(c: &Connection, p: &sections::Page) -> AppResult<Saved> {
    let mut stored = p.section.secrets_stored(c)?;
    let image = match &p.image {
        Some(img) => crate::settings::get(c, img.key)?,
        None => String::new(),
    };
    if let Some(img) = &p.image {
        stored.insert(img.key.to_string(), !image.is_empty());
    }
    Ok(Saved {
        values: p.section.current(c)?,
        stored,
        image,
        currency: crate::settings::currency(c)?,
        notes: notes(c, p)?,
    })
}

/// Facts worth knowing on a section page (what buyers are offered now, and the like).
fn notes(c: &Connection, p: &sections::Page) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    if p.section.slug == "shop" {
        out.push(
            "Changing the currency does not convert prices: they keep their numbers in the new currency."
                .to_string(),
        );
    }
    if p.section.slug == "payments" {
        let offered = crate::payments::methods::offered(c)?;
        out.push(if offered.is_empty() {
            "Buyers are offered no payment method now: nobody can order.".to_string()
        } else {
            format!(
                "Buyers can choose now: {}.",
                offered
                    .iter()
                    .map(|m| m.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn render(
    page: &Page,
    staff: &StaffUser,
    tpl: &Templates,
    p: &sections::Page,
    saved: &Saved,
    values: &HashMap<String, String>,
    errors: &Errors,
    secrets_typed: &[String],
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, staff, "settings");
    ctx.insert("menu", &menu(p.section.slug));
    ctx.insert(
        "section",
        &p.section
            .view(values, errors, &saved.stored, saved.currency),
    );
    ctx.insert("form_invalid", &errors.keys().any(|k| k != "image"));
    ctx.insert("secrets_typed", secrets_typed);
    ctx.insert("notes", &saved.notes);
    if let Some(img) = &p.image {
        ctx.insert(
            "image",
            &json!({
                "title": img.title,
                "help": img.help,
                "path": saved.image,
                "url": if saved.image.is_empty() { String::new() } else { format!("/media/{}", saved.image) },
                "error": errors.get("image").cloned().unwrap_or_default(),
                "action": format!("/admin/settings/{}/image", p.section.slug),
            }),
        );
    }
    tpl.page("backoffice/settings_section.html.tera", &ctx)
}

#[get("/admin/settings/<slug>", rank = 5)]
async fn show(
    slug: &str,
    me: Can<ReadSettings>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let p = find(slug)?;
    let saved = cx.db.read(move |c| read_saved(c, p)).await?;
    render(
        &page,
        &me.staff,
        cx.tpl,
        p,
        &saved,
        &saved.values,
        &Errors::new(),
        &[],
    )
}

#[post("/admin/settings/<slug>", data = "<form>", rank = 5)]
async fn save(
    slug: &str,
    form: CsrfForm<HashMap<String, String>>,
    me: Can<UpdateSettings>,
    page: Page,
    cache: &State<crate::settings::Cache>,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let p = find(slug)?;
    let typed = form.0;
    let saved = cx.db.read(move |c| read_saved(c, p)).await?;
    let values = match p.section.check(&typed, saved.currency, &saved.stored) {
        Ok(v) => v,
        Err(errors) => {
            // What was typed is shown again, except secrets (never sent back).
            let mut shown = typed.clone();
            let mut secrets_typed = Vec::new();
            for f in p.section.fields {
                if f.input == form::Input::Secret {
                    if shown.get(f.name).is_some_and(|v| !v.is_empty()) {
                        secrets_typed.push(f.name.to_string());
                    }
                    shown.insert(f.name.to_string(), String::new());
                }
            }
            let html = render(
                &page,
                &me.staff,
                cx.tpl,
                p,
                &saved,
                &shown,
                &errors,
                &secrets_typed,
            )?;
            return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
        }
    };
    let key = cx.secret.clone();
    let actor = me.staff.actor();
    let changes = cx
        .db
        .write(move |tx| form::save(tx, &key, &actor, Some(cx.ip), &values))
        .await?;
    cache.invalidate();
    Ok(Ok(flash_redirect(
        format!("/admin/settings/{slug}"),
        "success",
        form::saved_message(p.section.title, changes.len()),
    )))
}

#[derive(FromForm)]
struct Upload<'r> {
    image: Option<TempFile<'r>>,
}

/// The settings to write with a new image path ("" removes it): the path itself, and for
/// the payment QR image which QR code buyers see.
fn image_values(
    c: &Connection,
    img: &ImageSetting,
    path: &str,
) -> AppResult<Vec<(&'static str, String)>> {
    let mut values = vec![(img.key, path.to_string())];
    if img.key == "payments.bank_transfer.qr_image" {
        let qr = crate::settings::get(c, "payments.bank_transfer.qr")?;
        if !path.is_empty() {
            values.push(("payments.bank_transfer.qr", "image".into()));
        } else if qr == "image" {
            // Back to the code the shop can make from its details, if any.
            let iban = crate::settings::get(c, "payments.bank_transfer.iban")?;
            let upi = crate::settings::get(c, "payments.bank_transfer.upi_id")?;
            let fallback = if !iban.is_empty() {
                "epc"
            } else if !upi.is_empty() {
                "upi"
            } else {
                "none"
            };
            values.push(("payments.bank_transfer.qr", fallback.into()));
        }
    }
    Ok(values)
}

fn media_dir(config: &Config) -> PathBuf {
    config.data_dir.join("media")
}

/// Deletes a stored image and its thumbnail (after the setting stopped pointing at it).
fn delete_image(media: &Path, path: &str) {
    // Only a relative path inside media/ (the setting could have been set by hand).
    if path.is_empty()
        || path.contains("..")
        || Path::new(path).is_absolute()
        || path.contains('\\')
    {
        return;
    }
    pipeline::remove(
        media,
        &pipeline::Stored {
            path: path.to_string(),
            thumb: pipeline::thumb_of(path).to_string_lossy().into_owned(),
        },
    );
}

/// Writes the new image path (and what goes with it), audited; then deletes the old file.
async fn store_image(
    db: &Db,
    secret: &Secret,
    media: &Path,
    actor: audit::Actor,
    ip: ClientIp,
    img: &'static ImageSetting,
    path: String,
) -> AppResult<usize> {
    let key = secret.clone();
    let new = path.clone();
    let (old, n) = db
        .write(move |tx| {
            let old = crate::settings::get(tx, img.key)?;
            let values = image_values(tx, img, &new)?;
            let changes = form::save(tx, &key, &actor, Some(ip), &values)?;
            Ok((old, changes.len()))
        })
        .await?;
    if old != path {
        delete_image(media, &old);
    }
    Ok(n)
}

#[post("/admin/settings/<slug>/image", data = "<form>")]
async fn upload(
    slug: &str,
    form: CsrfForm<Upload<'_>>,
    me: Can<UpdateSettings>,
    page: Page,
    cache: &State<crate::settings::Cache>,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let p = find(slug)?;
    let img = p
        .image
        .as_ref()
        .ok_or_else(|| AppError::NotFound("This settings page has no image.".into()))?;
    let mut form = form.0;
    let (limits, saved) = cx
        .db
        .read(move |c| Ok((pipeline::Limits::from_settings(c)?, read_saved(c, p)?)))
        .await?;
    let refuse = |saved: &Saved, message: String| -> AppResult<Answer> {
        let errors = Errors::from([("image".to_string(), message)]);
        let html = render(
            &page,
            &me.staff,
            cx.tpl,
            p,
            saved,
            &saved.values,
            &errors,
            &[],
        )?;
        Ok(Err(status::Custom(Status::UnprocessableEntity, html)))
    };
    let bytes = match form.image.as_mut() {
        Some(file) if file.len() > 0 => {
            if file.len() > limits.max_bytes {
                let mb = limits.max_bytes / (1024 * 1024);
                return refuse(
                    &saved,
                    format!("The file is larger than the {mb} MB allowed; nothing was changed."),
                );
            }
            let mut bytes = Vec::with_capacity(file.len() as usize);
            file.open().await?.read_to_end(&mut bytes).await?;
            bytes
        }
        _ => return refuse(&saved, "Choose an image file to upload.".into()),
    };
    let processed = rocket::tokio::task::spawn_blocking(move || pipeline::process(&bytes, &limits))
        .await
        .map_err(AppError::internal)?;
    let processed = match processed {
        Ok(p) => p,
        Err(refusal) => {
            let actor = me.staff.actor();
            let details = json!({ "setting": img.key, "reason": refusal.0 });
            cx.db
                .write(move |tx| {
                    audit::record(
                        tx,
                        &audit::Entry::error("settings", "image.refused")
                            .actor(actor)
                            .ip(Some(cx.ip))
                            .details(details),
                    )
                })
                .await?;
            return refuse(&saved, format!("{refusal} Nothing was changed."));
        }
    };
    let media = media_dir(cx.config);
    let folder = img.folder;
    let m2 = media.clone();
    let written =
        rocket::tokio::task::spawn_blocking(move || pipeline::write(&m2, folder, &processed))
            .await
            .map_err(AppError::internal)??;
    let result = store_image(
        cx.db,
        cx.secret,
        &media,
        me.staff.actor(),
        cx.ip,
        img,
        written.path.clone(),
    )
    .await;
    if let Err(e) = result {
        pipeline::remove(&media, &written);
        return Err(e);
    }
    cache.invalidate();
    Ok(Ok(flash_redirect(
        format!("/admin/settings/{slug}"),
        "success",
        format!("{} uploaded and in use.", img.title),
    )))
}

#[post("/admin/settings/<slug>/image/remove", data = "<_form>")]
async fn remove(
    slug: &str,
    _form: CsrfForm<crate::web::csrf::Csrf>,
    me: Can<UpdateSettings>,
    cache: &State<crate::settings::Cache>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let p = find(slug)?;
    let img = p
        .image
        .as_ref()
        .ok_or_else(|| AppError::NotFound("This settings page has no image.".into()))?;
    let n = store_image(
        cx.db,
        cx.secret,
        &media_dir(cx.config),
        me.staff.actor(),
        cx.ip,
        img,
        String::new(),
    )
    .await?;
    cache.invalidate();
    Ok(flash_redirect(
        format!("/admin/settings/{slug}"),
        "success",
        if n == 0 {
            format!("There was no {} to remove.", img.title.to_lowercase())
        } else {
            format!("{} removed.", img.title)
        },
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, show, save, upload, remove]
}

#[cfg(test)]
mod tests {
    use super::delete_image;

    #[test]
    fn only_files_inside_the_media_folder_are_ever_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir_all(media.join("payments")).unwrap();
        let outside = dir.path().join("shop.db");
        std::fs::write(&outside, b"db").unwrap();
        for bad in [
            outside.to_str().unwrap(),
            "../shop.db",
            "payments/../../shop.db",
        ] {
            delete_image(&media, bad);
            assert!(outside.exists(), "{bad} must not delete anything");
        }
        let inside = media.join("payments/a.png");
        let thumb = media.join("payments/a.thumb.png");
        std::fs::write(&inside, b"x").unwrap();
        std::fs::write(&thumb, b"x").unwrap();
        delete_image(&media, "payments/a.png");
        assert!(
            !inside.exists() && !thumb.exists(),
            "image and thumbnail removed"
        );
    }
}
