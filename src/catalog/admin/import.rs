//! CSV import at /admin/products/import: upsert by SKU. The whole file is checked first
//! and a report says per line what would be created, updated or refused and why; nothing
//! is written until the staff member confirms. The checked file waits under the data
//! dir's `imports/` (named by a random id); on confirm it is checked again and written in
//! ONE transaction. A file with any refused line is refused as a whole: nothing of it is
//! written, so a file is either in the catalogue entirely or not at all.
//!
//! Text cells beginning with `=`, `+`, `-`, `@`, TAB or CR (or full-width forms) are
//! refused, not altered: such a value is almost always a spreadsheet formula that slipped
//! in, and silently changing a product's name would be worse than asking.

use std::path::{Path, PathBuf};

use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::status;
use rocket::tokio::io::AsyncReadExt;
use rocket::{get, post, routes, FromForm};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;

use super::product::{self, By, ProductInput};
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::exports::cells::formula_like;
use crate::exports::csv::CsvFile;
use crate::staff::guard::StaffUser;
use crate::staff::perm::{CreateProducts, UpdateProducts};
use crate::staff::{nav, Can};
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::Page;
use crate::web::templates::Templates;

/// POLICY "Request limits": CSV imports up to 20 MB.
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
/// The columns, in the order of the template and the export.
pub const HEADERS: [&str; 10] = [
    "sku",
    "name",
    "slug",
    "description",
    "price",
    "compare_at_price",
    "stock",
    "low_stock_threshold",
    "category",
    "status",
];
/// The columns as the page documents them: (name, required, what).
pub const COLUMNS: [(&str, &str, &str); 10] = [
    ("sku", "yes", "The product's SKU, unique, up to 64 characters without spaces. A product with this SKU is updated; otherwise one is created."),
    ("name", "yes", "Up to 200 characters."),
    ("slug", "no", "The address in the shop (/products/slug): lower-case letters, digits and hyphens. Empty: made from the name for a new product, kept for an existing one."),
    ("description", "no", "Plain text, up to 10,000 characters."),
    ("price", "yes", "In the shop currency, with a dot or comma for decimals: 12.50"),
    ("compare_at_price", "no", "The old price shown crossed out; higher than the price, or empty."),
    ("stock", "yes", "A whole number from 0. A change is recorded as a stock movement (import)."),
    ("low_stock_threshold", "no", "At or below this stock the product is listed as low on stock. Empty: 5."),
    ("category", "no", "The category's slug (shown on the Categories page), or empty for none."),
    ("status", "no", "draft, active or archived. Empty: draft for a new product, unchanged for an existing one."),
];
const TEXT_COLUMNS: [usize; 5] = [0, 1, 2, 3, 8];
/// Lines shown in the report besides the refused ones (all refused lines are shown).
const SHOWN_OK: usize = 500;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Line {
    pub line: u64,
    pub sku: String,
    pub name: String,
    /// created, updated, unchanged or refused.
    pub outcome: &'static str,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The whole file was refused (wrong headers, not UTF-8, no lines).
    pub file_error: Option<String>,
    pub lines: Vec<Line>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub refused: usize,
}

impl Report {
    pub fn acceptable(&self) -> bool {
        self.file_error.is_none() && self.refused == 0 && self.created + self.updated > 0
    }
}

fn file_refused(why: String) -> Report {
    Report {
        file_error: Some(why),
        ..Default::default()
    }
}

/// Checks the whole file; with `apply`, also writes each good line as it goes (the caller
/// rolls back if anything was refused). Later lines see earlier ones, so two new products
/// with the same name get distinct slugs.
pub fn run(c: &Connection, bytes: &[u8], apply: Option<&By>) -> AppResult<Report> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(file_refused(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.".into(),
        ));
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match rd.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            return Ok(file_refused(format!(
                "The file cannot be read as CSV: {e}."
            )))
        }
    };
    let mut index = [usize::MAX; 10];
    let mut wrong = headers.len() != HEADERS.len();
    for (i, want) in HEADERS.iter().enumerate() {
        match headers.iter().position(|h| h == want) {
            Some(at) => index[i] = at,
            None => wrong = true,
        }
    }
    if wrong {
        return Ok(file_refused(format!(
            "The first line must name exactly these columns (in any order): {}. This file has: {}.",
            HEADERS.join(", "),
            if headers.iter().all(|h| h.is_empty()) {
                "nothing".to_string()
            } else {
                headers.join(", ")
            }
        )));
    }
    let cur = crate::settings::currency(c)?;
    let cats = super::categories(c)?;
    let mut report = Report::default();
    let mut seen_sku: Vec<(String, u64)> = Vec::new();
    let mut seen_slug: Vec<(String, u64)> = Vec::new();
    for rec in rd.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                report.refused += 1;
                report.lines.push(Line {
                    line,
                    sku: String::new(),
                    name: String::new(),
                    outcome: "refused",
                    reasons: vec![format!("cannot be read: {e}")],
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line());
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |i: usize| rec.get(index[i]).unwrap_or("").to_string();
        let (sku, name) = (cell(0).trim().to_string(), cell(1).trim().to_string());
        let mut reasons = Vec::new();
        if rec.len() != HEADERS.len() {
            reasons.push(format!(
                "has {} cells; every line needs {}",
                rec.len(),
                HEADERS.len()
            ));
        }
        for &i in &TEXT_COLUMNS {
            if formula_like(&cell(i)) {
                reasons.push(format!(
                    "{}: begins with “{}”, which a spreadsheet would run as a formula; remove that character",
                    HEADERS[i],
                    cell(i).chars().next().map(|c| c.escape_debug().to_string()).unwrap_or_default()
                ));
            }
        }
        let key = sku.to_lowercase();
        if let Some((_, first)) = seen_sku.iter().find(|(s, _)| !key.is_empty() && *s == key) {
            reasons.push(format!(
                "sku: “{sku}” is also on line {first}; each SKU may appear once"
            ));
        } else {
            seen_sku.push((key, line));
        }
        let slug = cell(2).trim().to_string();
        if !slug.is_empty() {
            if let Some((_, first)) = seen_slug.iter().find(|(s, _)| *s == slug) {
                reasons.push(format!("slug: “{slug}” is also on line {first}"));
            } else {
                seen_slug.push((slug.clone(), line));
            }
        }
        let cat_slug = cell(8).trim().to_string();
        let category_id = if cat_slug.is_empty() {
            String::new()
        } else {
            match cats.iter().find(|c| c.1 == cat_slug) {
                Some(c) => c.0.to_string(),
                None => {
                    reasons.push(format!(
                        "category: there is no category with the slug “{cat_slug}”"
                    ));
                    String::new()
                }
            }
        };
        let existing = if sku.is_empty() {
            None
        } else {
            product::get_by_sku(c, &sku)?
        };
        let mut input = ProductInput {
            name: name.clone(),
            slug: slug.clone(),
            sku: sku.clone(),
            description: cell(3),
            price: cell(4),
            compare_at_price: cell(5),
            stock: cell(6),
            low_stock_threshold: cell(7),
            category_id,
            status: cell(9).trim().to_lowercase(),
            stock_was: String::new(),
        };
        if let Some(e) = &existing {
            if input.slug.is_empty() {
                input.slug = e.slug.clone();
            }
            if input.status.is_empty() {
                input.status = e.status.clone();
            }
        } else if input.status.is_empty() {
            input.status = "draft".into();
        }
        let checked = product::validate(c, &input, existing.as_ref().map(|e| e.id), cur)?;
        let valid = match checked {
            Ok(p) => Some(p),
            Err(errors) => {
                for (field, msg) in errors {
                    let field = if field == "category_id" {
                        "category"
                    } else {
                        field
                    };
                    reasons.push(format!("{field}: {msg}"));
                }
                None
            }
        };
        let outcome = match (&valid, &existing) {
            _ if !reasons.is_empty() => "refused",
            (Some(p), Some(e)) if *p == *e => "unchanged",
            (Some(_), Some(_)) => "updated",
            _ => "created",
        };
        match outcome {
            "refused" => report.refused += 1,
            "unchanged" => report.unchanged += 1,
            "updated" => report.updated += 1,
            _ => report.created += 1,
        }
        if let (Some(by), Some(p), "created" | "updated") = (apply, &valid, outcome) {
            product::save(c, existing.as_ref(), p, by, "import")?;
        }
        if outcome == "refused" || report.lines.len() < SHOWN_OK {
            report.lines.push(Line {
                line,
                sku,
                name,
                outcome,
                reasons,
            });
        }
    }
    if report.created + report.updated + report.unchanged + report.refused == 0 {
        return Ok(file_refused(
            "The file has its header line but no products.".into(),
        ));
    }
    Ok(report)
}

/// A random name for a waiting file.
fn new_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn imports_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("imports")
}

/// A waiting file's path, for an id of 32 hex digits only (never a path from outside).
fn waiting(data_dir: &Path, id: &str) -> Option<PathBuf> {
    (id.len() == 32
        && id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
    .then(|| imports_dir(data_dir).join(format!("{id}.csv")))
}

fn render(
    page: &Page,
    staff: &StaffUser,
    tpl: &Templates,
    report: Option<&Report>,
    upload_id: &str,
    file_name: &str,
    written: bool,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, staff, "products");
    let cols: Vec<_> = COLUMNS
        .iter()
        .map(|(n, r, w)| json!({ "name": n, "required": r, "what": w }))
        .collect();
    ctx.insert("columns", &cols);
    ctx.insert("max_mb", &(MAX_BYTES / 1024 / 1024));
    ctx.insert("currency", &page.shop.currency.code);
    if let Some(r) = report {
        ctx.insert("report", r);
        ctx.insert("acceptable", &r.acceptable());
    }
    ctx.insert("upload_id", upload_id);
    ctx.insert("file_name", file_name);
    ctx.insert("written", &written);
    tpl.page("backoffice/products_import.html.tera", &ctx)
}

#[get("/admin/products/import")]
async fn show(
    me: Can<CreateProducts>,
    _up: Can<UpdateProducts>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    render(&page, &me.staff, cx.tpl, None, "", "", false)
}

/// A template to fill in: the header line and two examples.
#[get("/admin/products/import/template.csv")]
async fn template(_me: Can<CreateProducts>) -> CsvFile {
    let body = format!(
        "{}\nMUG-BLUE,Blue mug,blue-mug,\"A sturdy mug, 350 ml.\",12.50,15.00,40,5,,active\nTEA-01,Green tea 100 g,,,4.90,,120,10,,draft\n",
        HEADERS.join(",")
    );
    CsvFile::named(body.into_bytes(), "products-template.csv")
}

#[derive(FromForm)]
pub struct Upload<'r> {
    file: Option<TempFile<'r>>,
}

type Answer = status::Custom<RawHtml<String>>;

/// Checks the uploaded file and shows the report; a file that could be written waits
/// under imports/ for the confirmation.
#[post("/admin/products/import", data = "<form>")]
async fn check(
    form: CsrfForm<Upload<'_>>,
    me: Can<CreateProducts>,
    _up: Can<UpdateProducts>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let Some(file) = form.0.file.as_ref().filter(|f| f.len() > 0) else {
        let r = file_refused("Choose a CSV file to import.".into());
        let html = render(&page, &me.staff, cx.tpl, Some(&r), "", "", false)?;
        return Ok(status::Custom(Status::UnprocessableEntity, html));
    };
    let name: String = file
        .raw_name()
        .map(|n| {
            n.dangerous_unsafe_unsanitized_raw()
                .as_str()
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect()
        })
        .unwrap_or_default();
    if file.len() > MAX_BYTES {
        let r = file_refused(format!(
            "The file is larger than {} MB; split it into smaller files.",
            MAX_BYTES / 1024 / 1024
        ));
        let html = render(&page, &me.staff, cx.tpl, Some(&r), "", &name, false)?;
        return Ok(status::Custom(Status::PayloadTooLarge, html));
    }
    let mut bytes = Vec::with_capacity(file.len() as usize);
    file.open().await?.read_to_end(&mut bytes).await?;
    let (b2, data_dir) = (bytes.clone(), cx.config.data_dir.clone());
    let report = cx.db.read(move |c| run(c, &b2, None)).await?;
    let mut id = String::new();
    if report.acceptable() {
        id = new_id();
        let path = waiting(&data_dir, &id).ok_or_else(|| AppError::internal("bad import id"))?;
        rocket::tokio::fs::create_dir_all(imports_dir(&data_dir)).await?;
        rocket::tokio::fs::write(&path, &bytes).await?;
    }
    let code = if report.file_error.is_some() || report.refused > 0 {
        Status::UnprocessableEntity
    } else {
        Status::Ok
    };
    let html = render(&page, &me.staff, cx.tpl, Some(&report), &id, &name, false)?;
    Ok(status::Custom(code, html))
}

#[derive(FromForm)]
pub struct Confirm {
    #[field(default = String::new())]
    upload: String,
    #[field(default = String::new())]
    file_name: String,
}

/// Writes the waiting file in one transaction, checking it again first (the catalogue
/// may have changed since); any refused line rolls back everything.
#[post("/admin/products/import/confirm", data = "<form>")]
async fn confirm(
    form: CsrfForm<Confirm>,
    me: Can<CreateProducts>,
    _up: Can<UpdateProducts>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let Some(path) = waiting(&cx.config.data_dir, &form.0.upload) else {
        return Err(AppError::BadRequest("That import is unknown.".into()));
    };
    let Ok(bytes) = rocket::tokio::fs::read(&path).await else {
        let r = file_refused(
            "This import was already written or has expired; upload the file again.".into(),
        );
        let html = render(
            &page,
            &me.staff,
            cx.tpl,
            Some(&r),
            "",
            &form.0.file_name,
            false,
        )?;
        return Ok(status::Custom(Status::Gone, html));
    };
    let by = me.by(cx.clock);
    let (b2, name) = (bytes.clone(), form.0.file_name.clone());
    let written = cx.db
        .write(move |tx| {
            let report = run(tx, &b2, Some(&by))?;
            if !report.acceptable() {
                return Err(AppError::Conflict("refused".into()));
            }
            audit::record(
                tx,
                &audit::Entry::event("products", "products.imported")
                    .actor(by.actor.clone())
                    .ip(by.ip)
                    .details(json!({ "file": name, "created": report.created, "updated": report.updated, "unchanged": report.unchanged })),
            )?;
            Ok(report)
        })
        .await;
    let report = match written {
        Ok(r) => {
            let _ = rocket::tokio::fs::remove_file(&path).await;
            r
        }
        Err(AppError::Conflict(_)) => {
            // Shown as it stands now; nothing was written.
            cx.db.read(move |c| run(c, &bytes, None)).await?
        }
        Err(e) => return Err(e),
    };
    let done = report.acceptable();
    let mut shown = report;
    if !done && shown.file_error.is_none() && shown.refused == 0 {
        shown.file_error =
            Some("Nothing to write any more: every line matches the catalogue.".into());
    }
    let html = render(
        &page,
        &me.staff,
        cx.tpl,
        Some(&shown),
        "",
        &form.0.file_name,
        done,
    )?;
    Ok(status::Custom(
        if done { Status::Ok } else { Status::Conflict },
        html,
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![show, template, check, confirm]
}
