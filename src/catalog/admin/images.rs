//! Product images on the edit page: upload several at once, move up or down, make one
//! the main image (position 0), delete. Each file becomes a `product_images` row first
//! (`pending`), then goes through `media::pipeline` on a blocking thread and ends `ready`
//! (with its size and thumbnail) or `failed` with the refusal in words; a refused file
//! never reaches the disk. At most MAX_IMAGES per product (POLICY; a trigger enforces it).

use rocket::fs::TempFile;
use rocket::response::{Flash, Redirect};
use rocket::tokio::io::AsyncReadExt;
use rocket::{post, routes, FromForm};
use rusqlite::{params, Connection};
use serde_json::{json, Value};

use super::product;
use crate::audit;
use crate::catalog::model::media_url;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::media::pipeline::{self, Limits};
use crate::staff::perm::UpdateProducts;
use crate::staff::Can;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::flash_redirect;

pub const MAX_IMAGES: i64 = 20;
/// Where product images live under media/ (the demo's pictures too).
pub const FOLDER: &str = "products";

/// The rows the edit page lists, in order: ready and pending first by position, then
/// failed ones with their reason.
pub fn for_page(c: &Connection, product_id: i64) -> AppResult<Vec<Value>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, path, thumb, status, error, width, height FROM product_images
         WHERE product_id = ?1 ORDER BY status = 'failed', position, id",
    )?;
    let rows: Vec<(i64, String, String, String, String, i64, i64)> = stmt
        .query_map([product_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let live = rows.iter().filter(|r| r.3 != "failed").count();
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, (id, path, thumb, status, error, w, h))| {
            let shown = if thumb.is_empty() { path } else { thumb };
            json!({
                "id": id, "status": status, "error": error, "width": w, "height": h,
                "url": if status == "ready" { media_url(shown) } else { String::new() },
                "full_url": media_url(path),
                "main": i == 0 && status == "ready",
                "first": i == 0, "last": i + 1 >= live,
            })
        })
        .collect())
}

#[derive(FromForm)]
pub struct Upload<'r> {
    images: Vec<TempFile<'r>>,
}

/// What became of one file.
pub enum Outcome {
    Ready(i64),
    Failed(String),
}

/// Takes one uploaded file through the pipeline: a `pending` row, then `ready` with its
/// files written, or `failed` with the reason (the 21st image gets no row at all: the
/// trigger refuses it, and the reason is returned).
pub async fn add(
    db: &Db,
    media_dir: &std::path::Path,
    product_id: i64,
    bytes: Vec<u8>,
    by: &product::By,
) -> AppResult<Outcome> {
    let by2 = by.clone();
    let reserved = db
        .write(move |tx| {
            product::must_get(tx, product_id)?;
            let limits = Limits::from_settings(tx)?;
            let (placeholder, _) = pipeline::new_name(FOLDER, "pending");
            tx.execute(
                "INSERT INTO product_images (product_id, path, status, position, created_at)
                 VALUES (?1, ?2, 'pending',
                         (SELECT coalesce(max(position), -1) + 1 FROM product_images WHERE product_id = ?1), ?3)",
                params![product_id, placeholder, by2.now],
            )?;
            Ok((tx.last_insert_rowid(), limits))
        })
        .await;
    let (row, limits) = match reserved {
        Ok(r) => r,
        Err(AppError::Conflict(why)) => return Ok(Outcome::Failed(why)),
        Err(e) => return Err(e),
    };
    let dir = media_dir.to_path_buf();
    let done = rocket::tokio::task::spawn_blocking(move || {
        let p = pipeline::process(&bytes, &limits)?;
        pipeline::write(&dir, FOLDER, &p)
            .map(|s| (s, p.width, p.height))
            .map_err(|e| pipeline::Refusal(format!("The image could not be saved: {e}.")))
    })
    .await
    .map_err(AppError::internal)?;
    let (by2, media) = (by.clone(), media_dir.to_path_buf());
    match done {
        Ok((stored, w, h)) => {
            let s2 = stored.clone();
            let saved = db
                .write(move |tx| {
                    let n = tx.execute(
                        "UPDATE product_images SET status = 'ready', path = ?2, thumb = ?3,
                            width = ?4, height = ?5 WHERE id = ?1 AND status = 'pending'",
                        params![row, s2.path, s2.thumb, w, h],
                    )?;
                    if n == 0 {
                        return Err(AppError::Conflict(
                            "The image was deleted while it was being processed.".into(),
                        ));
                    }
                    audit_added(tx, product_id, row, &s2.path, (w, h), &by2)
                })
                .await;
            if let Err(e) = saved {
                pipeline::remove(&media, &stored);
                return match e {
                    AppError::Conflict(why) => Ok(Outcome::Failed(why)),
                    e => Err(e),
                };
            }
            Ok(Outcome::Ready(row))
        }
        Err(refusal) => {
            let why = refusal.0.clone();
            db.write(move |tx| {
                tx.execute(
                    "UPDATE product_images SET status = 'failed', error = ?2 WHERE id = ?1",
                    params![row, why],
                )?;
                audit_refused(tx, product_id, json!({ "image": row, "reason": why }), &by2)
            })
            .await?;
            Ok(Outcome::Failed(refusal.0))
        }
    }
}

/// The audit entry for an image that is now `ready`.
pub fn audit_added(
    tx: &Connection,
    product_id: i64,
    image: i64,
    path: &str,
    (width, height): (u32, u32),
    by: &product::By,
) -> AppResult<()> {
    audit::record(
        tx,
        &audit::Entry::event("products", "product.image_added")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("product", product_id)
            .details(json!({ "image": image, "new": { "path": path, "width": width, "height": height } })),
    )
}

/// The audit entry for a file the pipeline refused (`details` say which and why).
pub fn audit_refused(
    tx: &Connection,
    product_id: i64,
    details: Value,
    by: &product::By,
) -> AppResult<()> {
    audit::record(
        tx,
        &audit::Entry::error("products", "product.image_refused")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("product", product_id)
            .details(details),
    )
}

/// One uploaded part as (the name it was sent with, for messages only; its bytes), or
/// None for the empty part a browser sends when no file was chosen.
pub async fn read_upload(file: &TempFile<'_>) -> AppResult<Option<(String, Vec<u8>)>> {
    let name = file
        .raw_name()
        .map(|n| n.dangerous_unsafe_unsanitized_raw().as_str().to_string())
        .unwrap_or_default();
    if name.is_empty() && file.len() == 0 {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(file.len() as usize);
    file.open().await?.read_to_end(&mut bytes).await?;
    Ok(Some((shown_name(&name), bytes)))
}

#[post("/admin/products/<id>/images", data = "<form>")]
async fn upload(
    id: i64,
    form: CsrfForm<Upload<'_>>,
    me: Can<UpdateProducts>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let back = format!("/admin/products/{id}#images");
    let by = me.by(cx.clock);
    let media = cx.config.data_dir.join("media");
    let (mut added, mut refused) = (0, Vec::new());
    for file in form.0.images.iter() {
        let Some((name, bytes)) = read_upload(file).await? else {
            continue;
        };
        match add(cx.db, &media, id, bytes, &by).await? {
            Outcome::Ready(_) => added += 1,
            Outcome::Failed(why) => refused.push(format!("{name}: {why}")),
        }
    }
    if added == 0 && refused.is_empty() {
        return Ok(flash_redirect(
            back,
            "error",
            "Choose one or more images to upload.",
        ));
    }
    let mut msg = match added {
        0 => String::new(),
        1 => "1 image added. ".to_string(),
        n => format!("{n} images added. "),
    };
    if !refused.is_empty() {
        msg.push_str(&format!("Refused: {}", refused.join(" ")));
    }
    let kind = if refused.is_empty() {
        "success"
    } else {
        "error"
    };
    Ok(flash_redirect(back, kind, msg.trim().to_string()))
}

/// The uploaded name, for messages only (never used on disk).
fn shown_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(80).collect();
    if clean.is_empty() {
        "(a file)".into()
    } else {
        clean
    }
}

/// Rewrites positions 0..n in the given order.
fn renumber(tx: &Connection, ids: &[i64]) -> AppResult<()> {
    let mut stmt = tx.prepare_cached("UPDATE product_images SET position = ?2 WHERE id = ?1")?;
    for (i, id) in ids.iter().enumerate() {
        stmt.execute(params![id, i as i64])?;
    }
    Ok(())
}

/// The product's live (not failed) image ids in order.
pub fn order(tx: &Connection, product_id: i64) -> AppResult<Vec<i64>> {
    let mut stmt = tx.prepare_cached(
        "SELECT id FROM product_images WHERE product_id = ?1 AND status <> 'failed'
         ORDER BY position, id",
    )?;
    let ids = stmt
        .query_map([product_id], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

/// Moves an image: "up", "down" or "main" (to the front). Audited with old → new order.
pub fn reorder(
    tx: &Connection,
    product_id: i64,
    image: i64,
    how: &str,
    by: &product::By,
) -> AppResult<()> {
    let old = order(tx, product_id)?;
    let Some(at) = old.iter().position(|&i| i == image) else {
        return Err(AppError::NotFound(
            "There is no such image on this product.".into(),
        ));
    };
    let mut new = old.clone();
    match how {
        "up" if at > 0 => new.swap(at, at - 1),
        "down" if at + 1 < new.len() => new.swap(at, at + 1),
        "main" => {
            let id = new.remove(at);
            new.insert(0, id);
        }
        "up" | "down" => {}
        _ => return Err(AppError::BadRequest("Unknown move.".into())),
    }
    apply_order(tx, product_id, &old, &new, by)
}

/// Puts the live images in the order `ids` gives, which must name each exactly once.
pub fn set_order(
    tx: &Connection,
    product_id: i64,
    ids: &[i64],
    by: &product::By,
) -> AppResult<Result<(), String>> {
    let old = order(tx, product_id)?;
    let (mut a, mut b) = (old.clone(), ids.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    if a != b {
        return Ok(Err(format!(
            "Name each of the product's images exactly once, in the new order: {old:?}."
        )));
    }
    apply_order(tx, product_id, &old, ids, by).map(Ok)
}

/// Renumbers from `old` to `new` (no-op when equal), audited with both.
fn apply_order(
    tx: &Connection,
    product_id: i64,
    old: &[i64],
    new: &[i64],
    by: &product::By,
) -> AppResult<()> {
    if new == old {
        return Ok(());
    }
    renumber(tx, new)?;
    audit::record(
        tx,
        &audit::Entry::event("products", "product.images_reordered")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("product", product_id)
            .details(json!({ "old": old, "new": new })),
    )
}

/// Deletes an image row (audited); returns its files to remove after commit.
pub fn delete(
    tx: &Connection,
    product_id: i64,
    image: i64,
    by: &product::By,
) -> AppResult<Vec<String>> {
    let found: Option<(String, String, String)> =
        rusqlite::OptionalExtension::optional(tx.query_row(
            "SELECT path, thumb, status FROM product_images WHERE id = ?1 AND product_id = ?2",
            params![image, product_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        ))?;
    let Some((path, thumb, status)) = found else {
        return Err(AppError::NotFound(
            "There is no such image on this product.".into(),
        ));
    };
    tx.execute("DELETE FROM product_images WHERE id = ?1", [image])?;
    renumber(tx, &order(tx, product_id)?)?;
    audit::record(
        tx,
        &audit::Entry::event("products", "product.image_deleted")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("product", product_id)
            .details(json!({ "old": { "image": image, "path": path, "status": status } })),
    )?;
    Ok(if status == "ready" {
        vec![path, thumb]
    } else {
        Vec::new()
    })
}

#[post("/admin/products/<id>/images/<image>/<how>", data = "<_form>")]
async fn change(
    id: i64,
    image: i64,
    how: &str,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateProducts>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let by = me.by(cx.clock);
    let back = format!("/admin/products/{id}#images");
    let how = how.to_string();
    if how == "delete" {
        let files = cx.db.write(move |tx| delete(tx, id, image, &by)).await?;
        let files: Vec<String> = files.into_iter().filter(|f| !f.is_empty()).collect();
        super::form::remove_files(&cx.config.data_dir, &files);
        return Ok(flash_redirect(back, "success", "The image was deleted."));
    }
    let h = how.clone();
    cx.db
        .write(move |tx| reorder(tx, id, image, &h, &by))
        .await?;
    let msg = if how == "main" {
        "That image is now the main image."
    } else {
        "Image order saved."
    };
    Ok(flash_redirect(back, "success", msg))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![upload, change]
}
