//! Staff API for product images (tag "staff"), so a headless import can finish a product:
//! list, upload one or several files (multipart), put them in order, make one the main
//! image, delete. The same pipeline, limits and refusals as the edit page (`images`), but
//! all or nothing: if any file is refused the answer is 422 naming each refused file and
//! why, and nothing is stored, so a script can fix the file and send the batch again.

use rocket::form::{Errors as FormErrors, Form};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, FromForm};
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::images::{self, FOLDER, MAX_IMAGES};
use super::product;
use crate::catalog::model::media_url;
use crate::error::{AppError, AppResult};
use crate::media::pipeline::{self, Limits, Processed, Stored};
use crate::staff::perm::{ReadProducts, UpdateProducts};
use crate::staff::ApiCan;
use crate::web::body::Body;
use crate::web::ctx::Ctx;
use crate::web::json::{invalid as refusal, FieldErrorBody, Invalid};

#[derive(Serialize, ToSchema, Clone)]
pub struct ImageBody {
    pub id: i64,
    /// pending, ready or failed.
    pub status: String,
    pub url: String,
    pub thumb_url: Option<String>,
    pub width: i64,
    pub height: i64,
    /// Why a failed upload was refused.
    pub error: String,
    /// The first ready image: the one lists and the product page show.
    pub main: bool,
}

/// A product's images: ready and pending ones in order (the first is the main image),
/// then failed uploads from the edit page with their reason.
#[derive(Serialize, ToSchema)]
pub struct ImageList {
    pub images: Vec<ImageBody>,
}

/// The answer to an upload: the images stored by it, and all of the product's images.
#[derive(Serialize, ToSchema)]
pub struct UploadBody {
    pub added: Vec<ImageBody>,
    pub images: Vec<ImageBody>,
}

/// The multipart body of an upload (documentation only; `Upload` reads it).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImageUpload {
    /// One or several JPEG, PNG or WebP files, each in a part named `images`.
    #[schema(value_type = Vec<String>, format = Binary)]
    images: Vec<u8>,
}

#[derive(FromForm)]
pub struct Upload<'r> {
    images: Vec<TempFile<'r>>,
}

#[derive(Deserialize, ToSchema)]
pub struct OrderRequest {
    /// Every live (not failed) image id of the product, exactly once, main image first.
    pub ids: Vec<i64>,
}

type Answer<T> = Result<T, Result<Invalid, AppError>>;

/// The product's images as the API shows them.
pub fn list(c: &Connection, product_id: i64) -> AppResult<Vec<ImageBody>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, status, path, thumb, width, height, error FROM product_images
         WHERE product_id = ?1 ORDER BY status = 'failed', position, id",
    )?;
    let mut rows = stmt
        .query_map([product_id], |r| {
            let thumb: String = r.get(3)?;
            Ok(ImageBody {
                id: r.get(0)?,
                status: r.get(1)?,
                url: media_url(&r.get::<_, String>(2)?),
                thumb_url: (!thumb.is_empty()).then(|| media_url(&thumb)),
                width: r.get(4)?,
                height: r.get(5)?,
                error: r.get(6)?,
                main: false,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(first) = rows.first_mut().filter(|r| r.status == "ready") {
        first.main = true;
    }
    Ok(rows)
}

fn listed(c: &Connection, product_id: i64) -> AppResult<Json<ImageList>> {
    product::must_get(c, product_id)?;
    Ok(Json(ImageList {
        images: list(c, product_id)?,
    }))
}

/// A product's images.
#[utoipa::path(
    get, path = "/api/v1/admin/products/{id}/images", tag = "staff",
    params(("id" = i64, Path, description = "Product id", example = 1)),
    responses(
        (status = 200, description = "The images in order", body = ImageList),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not read products", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such product", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v1/admin/products/<id>/images")]
pub async fn api_list_images(
    id: i64,
    _me: ApiCan<ReadProducts>,
    cx: Ctx<'_>,
) -> AppResult<Json<ImageList>> {
    cx.db.read(move |c| listed(c, id)).await
}

/// Adds images to the end of the product's list. Every file goes through the upload
/// pipeline (content must be JPEG, PNG or WebP within the shop's size and pixel limits;
/// re-encoded without metadata, with a thumbnail). All or nothing: one refused file and
/// none is stored.
#[utoipa::path(
    post, path = "/api/v1/admin/products/{id}/images", tag = "staff",
    params(("id" = i64, Path, description = "Product id", example = 1)),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored; `added` are the new images, `images` all of them", body = UploadBody),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not update products", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such product", body = crate::web::json::ErrorBody),
        (status = 413, description = "The body is larger than a request may send", body = crate::web::json::ErrorBody),
        (status = 415, description = "The body is not multipart/form-data", body = crate::web::json::ErrorBody),
        (status = 422, description = "No file, too many images, or files refused: `fields` names each refused file (by the name it was sent with) and why; nothing was stored", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/products/<id>/images", data = "<form>")]
pub async fn api_add_images(
    id: i64,
    form: Result<Form<Upload<'_>>, FormErrors<'_>>,
    me: ApiCan<UpdateProducts>,
    cx: Ctx<'_>,
) -> Answer<status::Created<Json<UploadBody>>> {
    let form = form.map_err(|errors| Ok(unreadable(&errors)))?;
    let mut files = Vec::new();
    for file in form.into_inner().images.iter() {
        if let Some(f) = images::read_upload(file).await.map_err(Err)? {
            files.push(f);
        }
    }
    if files.is_empty() {
        return Err(Ok(refusal(
            "Send one or more image files, each in a part named images.",
            [("images", "No file was sent.".to_string())],
        )));
    }
    let (limits, live) = cx
        .db
        .read(move |c| {
            product::must_get(c, id)?;
            Ok((
                Limits::from_settings(c)?,
                images::order(c, id)?.len() as i64,
            ))
        })
        .await
        .map_err(Err)?;
    let n = files.len() as i64;
    if live + n > MAX_IMAGES {
        return Err(Ok(refusal(
            format!("A product can have at most {MAX_IMAGES} images: it has {live}, and {n} more would make {}. Delete some first.", live + n),
            vec![("images", format!("At most {} more.", MAX_IMAGES - live))],
        )));
    }

    let by = me.by(cx.clock);
    let (processed, refused) =
        rocket::tokio::task::spawn_blocking(move || process_all(files, &limits))
            .await
            .map_err(|e| Err(AppError::internal(e)))?;
    if !refused.is_empty() {
        let (count, sent) = (refused.len(), n);
        let details = json!({
            "via": "api",
            "refused": refused.iter().map(|(f, why)| json!({ "file": f, "reason": why })).collect::<Vec<_>>(),
        });
        let by2 = by.clone();
        cx.db
            .write(move |tx| images::audit_refused(tx, id, details, &by2))
            .await
            .map_err(Err)?;
        return Err(Ok(refusal(
            format!("{count} of {sent} files were refused, so none was stored."),
            refused,
        )));
    }

    let media = cx.config.data_dir.join("media");
    let m2 = media.clone();
    let stored = rocket::tokio::task::spawn_blocking(move || write_all(&m2, &processed))
        .await
        .map_err(|e| Err(AppError::internal(e)))?
        .map_err(|e| {
            Err(AppError::internal(format!(
                "an image could not be saved: {e}"
            )))
        })?;
    let s2 = stored.clone();
    let saved = cx
        .db
        .write(move |tx| {
            product::must_get(tx, id)?;
            let ids = insert_all(tx, id, &s2, &by)?;
            Ok((list(tx, id)?, ids))
        })
        .await;
    let (all, ids) = match saved {
        Ok(v) => v,
        Err(e) => {
            for (s, _) in &stored {
                pipeline::remove(&media, s);
            }
            return Err(match e {
                // Another upload filled the product meanwhile (the trigger's limit).
                AppError::Conflict(why) => Ok(refusal(format!("{why}."), vec![("images", why)])),
                e => Err(e),
            });
        }
    };
    let added = all
        .iter()
        .filter(|i| ids.contains(&i.id))
        .cloned()
        .collect();
    Ok(
        status::Created::new(format!("/api/v1/admin/products/{id}/images"))
            .body(Json(UploadBody { added, images: all })),
    )
}

/// What Rocket could not read of the multipart body, as fields.
fn unreadable(errors: &FormErrors<'_>) -> Invalid {
    let fields: Vec<(String, String)> = errors
        .iter()
        .map(|e| {
            let name = e
                .name
                .as_ref()
                .map(|n| n.to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "images".into());
            (name, e.kind.to_string())
        })
        .collect();
    refusal(
        "The body could not be read: send multipart/form-data with image files in parts named images.",
        fields,
    )
}

/// Every file through the pipeline: the processed ones, and (name, why) for each refused.
/// Two refused files with one name are told apart by their place in the request.
fn process_all(
    files: Vec<(String, Vec<u8>)>,
    limits: &Limits,
) -> (Vec<Processed>, Vec<(String, String)>) {
    let (mut ok, mut refused) = (Vec::new(), Vec::<(String, String)>::new());
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        match pipeline::process(&bytes, limits) {
            Ok(p) => ok.push(p),
            Err(why) => {
                let key = if refused.iter().any(|(k, _)| *k == name) {
                    format!("{name} (file {})", i + 1)
                } else {
                    name
                };
                refused.push((key, why.0));
            }
        }
    }
    (ok, refused)
}

/// Writes every processed image; on a failure removes the ones already written.
fn write_all(
    media: &std::path::Path,
    all: &[Processed],
) -> std::io::Result<Vec<(Stored, (u32, u32))>> {
    let mut out: Vec<(Stored, (u32, u32))> = Vec::new();
    for p in all {
        match pipeline::write(media, FOLDER, p) {
            Ok(s) => out.push((s, (p.width, p.height))),
            Err(e) => {
                for (s, _) in &out {
                    pipeline::remove(media, s);
                }
                return Err(e);
            }
        }
    }
    Ok(out)
}

/// The rows for stored images, `ready`, at the end of the order; each audited.
fn insert_all(
    tx: &Connection,
    product_id: i64,
    stored: &[(Stored, (u32, u32))],
    by: &product::By,
) -> AppResult<Vec<i64>> {
    let mut ids = Vec::new();
    for (s, (w, h)) in stored {
        tx.execute(
            "INSERT INTO product_images (product_id, path, thumb, width, height, status, position, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'ready',
                     (SELECT coalesce(max(position), -1) + 1 FROM product_images WHERE product_id = ?1), ?6)",
            params![product_id, s.path, s.thumb, w, h, by.now],
        )?;
        let row = tx.last_insert_rowid();
        images::audit_added(tx, product_id, row, &s.path, (*w, *h), by)?;
        ids.push(row);
    }
    Ok(ids)
}

/// Puts the images in the order given: every live image id exactly once, main first.
#[utoipa::path(
    put, path = "/api/v1/admin/products/{id}/images/order", tag = "staff",
    params(("id" = i64, Path, description = "Product id", example = 1)),
    request_body = OrderRequest,
    responses(
        (status = 200, description = "The images in their new order", body = ImageList),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not update products", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such product", body = crate::web::json::ErrorBody),
        (status = 422, description = "The ids are not the product's images, each once", body = FieldErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/api/v1/admin/products/<id>/images/order", data = "<req>")]
pub async fn api_order_images(
    id: i64,
    req: Body<OrderRequest>,
    me: ApiCan<UpdateProducts>,
    cx: Ctx<'_>,
) -> Answer<Json<ImageList>> {
    let by = me.by(cx.clock);
    let ids = req.into_inner().ids;
    let done = cx
        .db
        .write(move |tx| {
            product::must_get(tx, id)?;
            match images::set_order(tx, id, &ids, &by)? {
                Ok(()) => listed(tx, id).map(Ok),
                Err(why) => Ok(Err(why)),
            }
        })
        .await
        .map_err(Err)?;
    done.map_err(|why| Ok(refusal(why.clone(), vec![("ids", why)])))
}

/// Makes an image the main one (first); the others keep their order.
#[utoipa::path(
    post, path = "/api/v1/admin/products/{id}/images/{image}/main", tag = "staff",
    params(
        ("id" = i64, Path, description = "Product id", example = 1),
        ("image" = i64, Path, description = "Image id", example = 1),
    ),
    responses(
        (status = 200, description = "The images in their new order", body = ImageList),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not update products", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such product, or no such image on it", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v1/admin/products/<id>/images/<image>/main")]
pub async fn api_main_image(
    id: i64,
    image: i64,
    me: ApiCan<UpdateProducts>,
    cx: Ctx<'_>,
) -> AppResult<Json<ImageList>> {
    let by = me.by(cx.clock);
    cx.db
        .write(move |tx| {
            product::must_get(tx, id)?;
            images::reorder(tx, id, image, "main", &by)?;
            listed(tx, id)
        })
        .await
}

/// Deletes an image and its files; the next one becomes the main image.
#[utoipa::path(
    delete, path = "/api/v1/admin/products/{id}/images/{image}", tag = "staff",
    params(
        ("id" = i64, Path, description = "Product id", example = 1),
        ("image" = i64, Path, description = "Image id", example = 1),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid staff bearer token", body = crate::web::json::ErrorBody),
        (status = 403, description = "The role may not update products", body = crate::web::json::ErrorBody),
        (status = 404, description = "No such product, or no such image on it", body = crate::web::json::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/api/v1/admin/products/<id>/images/<image>")]
pub async fn api_delete_image(
    id: i64,
    image: i64,
    me: ApiCan<UpdateProducts>,
    cx: Ctx<'_>,
) -> AppResult<Status> {
    let by = me.by(cx.clock);
    let files = cx
        .db
        .write(move |tx| {
            product::must_get(tx, id)?;
            images::delete(tx, id, image, &by)
        })
        .await?;
    let files: Vec<String> = files.into_iter().filter(|f| !f.is_empty()).collect();
    super::form::remove_files(&cx.config.data_dir, &files);
    Ok(Status::NoContent)
}

/// This file's operations in the API document (`api::document` collects every part).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    api_list_images,
    api_add_images,
    api_order_images,
    api_main_image,
    api_delete_image
))]
pub struct ApiDoc;

pub fn routes() -> Vec<rocket::Route> {
    routes![
        api_list_images,
        api_add_images,
        api_order_images,
        api_main_image,
        api_delete_image
    ]
}
