//! One product's validation and storage, shared by the back-office form, the CSV import
//! and the staff API: one `validate` (per-field messages), one `save` (row, stock
//! movement and audit entry in the caller's transaction), one `delete`.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::audit;
use crate::catalog::stock::{self, Movement};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::money::Currency;
pub use crate::staff::By;

pub const STATUSES: [&str; 3] = ["draft", "active", "archived"];
/// Stock and thresholds above this are typing mistakes, not shops.
pub const MAX_COUNT: i64 = 1_000_000;

/// Field name → what is wrong with it.
pub type Errors = BTreeMap<&'static str, String>;

/// A product as typed (form fields, CSV cells, or API values turned into text).
#[derive(Debug, Clone, Default, Serialize, rocket::FromForm)]
pub struct ProductInput {
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub slug: String,
    #[field(default = String::new())]
    pub sku: String,
    #[field(default = String::new())]
    pub description: String,
    /// In the shop currency's major units, as typed ("12.50").
    #[field(default = String::new())]
    pub price: String,
    /// Empty for none.
    #[field(default = String::new())]
    pub compare_at_price: String,
    #[field(default = String::new())]
    pub stock: String,
    /// Empty means the default, 5.
    #[field(default = String::new())]
    pub low_stock_threshold: String,
    /// A category id, or empty for none.
    #[field(default = String::new())]
    pub category_id: String,
    #[field(default = String::new())]
    pub status: String,
    /// The stock the form (or API request) started from; when the stored stock moved
    /// since (an order), an untouched stock field keeps the new value and a changed one is
    /// refused, so a save never undoes a sale.
    #[field(default = String::new())]
    pub stock_was: String,
}

/// A product as stored; money in minor units. The staff API answers with it (plus images).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub sku: String,
    pub description: String,
    /// Minor units of the shop currency.
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub stock: i64,
    pub low_stock_threshold: i64,
    pub category_id: Option<i64>,
    /// draft, active or archived.
    pub status: String,
}

const COLUMNS: &str = "id, name, slug, sku, description, price, compare_at_price, stock,
    low_stock_threshold, category_id, status";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: r.get(0)?,
        name: r.get(1)?,
        slug: r.get(2)?,
        sku: r.get(3)?,
        description: r.get(4)?,
        price: r.get(5)?,
        compare_at_price: r.get(6)?,
        stock: r.get(7)?,
        low_stock_threshold: r.get(8)?,
        category_id: r.get(9)?,
        status: r.get(10)?,
    })
}

pub fn get(c: &Connection, id: i64) -> AppResult<Option<Product>> {
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM products WHERE id = ?1"))?
            .query_row([id], from_row)
            .optional()?,
    )
}

/// The product or a 404.
pub fn must_get(c: &Connection, id: i64) -> AppResult<Product> {
    get(c, id)?.ok_or_else(|| AppError::NotFound("There is no such product.".into()))
}

/// By SKU, ignoring case (as the unique index does).
pub fn get_by_sku(c: &Connection, sku: &str) -> AppResult<Option<Product>> {
    Ok(
        c.prepare_cached(&format!("SELECT {COLUMNS} FROM products WHERE sku = ?1"))?
            .query_row([sku], from_row)
            .optional()?,
    )
}

impl Product {
    /// The values as a form shows them.
    pub fn as_input(&self, cur: &Currency) -> ProductInput {
        ProductInput {
            name: self.name.clone(),
            slug: self.slug.clone(),
            sku: self.sku.clone(),
            description: self.description.clone(),
            price: cur.to_major(self.price),
            compare_at_price: self
                .compare_at_price
                .map(|c| cur.to_major(c))
                .unwrap_or_default(),
            stock: self.stock.to_string(),
            low_stock_threshold: self.low_stock_threshold.to_string(),
            category_id: self.category_id.map(|c| c.to_string()).unwrap_or_default(),
            status: self.status.clone(),
            stock_was: self.stock.to_string(),
        }
    }
}

/// Applies `stock_was` (see `ProductInput`) against the stored product.
pub fn reconcile_stock(input: &mut ProductInput, stored: &Product) -> Result<(), Errors> {
    let Ok(was) = input.stock_was.trim().parse::<i64>() else {
        return Ok(());
    };
    if was == stored.stock {
        return Ok(());
    }
    if input.stock.trim() == input.stock_was.trim() {
        input.stock = stored.stock.to_string();
        input.stock_was = input.stock.clone();
        return Ok(());
    }
    let msg = format!(
        "The stock changed from {was} to {} while you were editing (an order or another \
         change); check the number and save again.",
        stored.stock
    );
    input.stock_was = stored.stock.to_string();
    Err(Errors::from([("stock", msg)]))
}

/// Lower-case ASCII letters, digits and single hyphens, from any name.
pub fn slugify(name: &str) -> String {
    let flat = crate::demo::words::slugify(name);
    flat.chars()
        .take(100)
        .collect::<String>()
        .trim_matches('-')
        .to_string()
}

fn slug_ok(s: &str) -> bool {
    s.len() <= 100
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn taken(c: &Connection, sql: &str, value: &str, id: Option<i64>) -> AppResult<Option<String>> {
    Ok(c.prepare_cached(sql)?
        .query_row(params![value, id.unwrap_or(0)], |r| r.get(0))
        .optional()?)
}

const SLUG_TAKEN: &str = "SELECT name FROM products WHERE slug = ?1 AND id <> ?2";
const SKU_TAKEN: &str = "SELECT name FROM products WHERE sku = ?1 AND id <> ?2";

fn count(text: &str, field: &'static str, errors: &mut Errors, label: &str) -> i64 {
    match text.trim().parse::<i64>() {
        Ok(n) if (0..=MAX_COUNT).contains(&n) => n,
        _ => {
            errors.insert(
                field,
                format!("Enter {label} as a whole number from 0 to {MAX_COUNT}."),
            );
            0
        }
    }
}

/// Checks every field of `input` for the product `id` (None: a new one). Returns the
/// product to store, or a message per wrong field. An empty slug is made from the name
/// (with -2, -3… when taken).
pub fn validate(
    c: &Connection,
    input: &ProductInput,
    id: Option<i64>,
    cur: &Currency,
) -> AppResult<Result<Product, Errors>> {
    let mut errors = Errors::new();
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        errors.insert(
            "name",
            "Enter the product's name: 1 to 200 characters on one line.".into(),
        );
    }
    let mut slug = input.slug.trim().to_string();
    if slug.is_empty() {
        let base = match slugify(&name) {
            s if s.is_empty() => "product".to_string(),
            s => s,
        };
        slug = base.clone();
        let mut n = 2;
        while taken(c, SLUG_TAKEN, &slug, id)?.is_some() {
            slug = format!("{base}-{n}");
            n += 1;
        }
    } else if !slug_ok(&slug) {
        errors.insert(
            "slug",
            "Use up to 100 lower-case letters, digits and hyphens, starting with a letter or \
             digit (or leave it empty to make one from the name)."
                .into(),
        );
    } else if let Some(other) = taken(c, SLUG_TAKEN, &slug, id)? {
        errors.insert(
            "slug",
            format!("The slug “{slug}” is already used by “{other}”; choose another."),
        );
    }
    let sku = input.sku.trim().to_string();
    if sku.is_empty()
        || sku.chars().count() > 64
        || sku.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        errors.insert(
            "sku",
            "Enter the SKU: 1 to 64 characters without spaces.".into(),
        );
    } else if let Some(other) = taken(c, SKU_TAKEN, &sku, id)? {
        errors.insert(
            "sku",
            format!("The SKU “{sku}” is already used by “{other}”; SKUs must be unique."),
        );
    }
    let description = input.description.trim().to_string();
    if description.chars().count() > 10_000 {
        errors.insert(
            "description",
            "The description can have at most 10,000 characters.".into(),
        );
    }
    let price = match cur.parse_major(&input.price) {
        Ok(p) => p,
        Err(_) if input.price.trim().is_empty() => {
            errors.insert("price", "Enter the price.".into());
            0
        }
        Err(e) => {
            errors.insert("price", format!("{e}."));
            0
        }
    };
    let compare_at_price = match input.compare_at_price.trim() {
        "" => None,
        t => match cur.parse_major(t) {
            Ok(v) if v > price || errors.contains_key("price") => Some(v),
            Ok(_) => {
                errors.insert(
                    "compare_at_price",
                    "The compare-at price must be higher than the price (or left empty).".into(),
                );
                None
            }
            Err(e) => {
                errors.insert("compare_at_price", format!("{e}."));
                None
            }
        },
    };
    let stock = count(&input.stock, "stock", &mut errors, "the stock");
    let low_stock_threshold = if input.low_stock_threshold.trim().is_empty() {
        5
    } else {
        count(
            &input.low_stock_threshold,
            "low_stock_threshold",
            &mut errors,
            "the low-stock threshold",
        )
    };
    let category_id = match input.category_id.trim() {
        "" => None,
        t => {
            let known = match t.parse::<i64>() {
                Ok(cid) => c
                    .prepare_cached("SELECT id FROM categories WHERE id = ?1")?
                    .query_row([cid], |r| r.get::<_, i64>(0))
                    .optional()?,
                Err(_) => None,
            };
            if known.is_none() {
                errors.insert("category_id", "Choose a category from the list.".into());
            }
            known
        }
    };
    let status = input.status.trim().to_string();
    if !STATUSES.contains(&status.as_str()) {
        errors.insert("status", "Choose draft, active or archived.".into());
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    Ok(Ok(Product {
        id: id.unwrap_or(0),
        name,
        slug,
        sku,
        description,
        price,
        compare_at_price,
        stock,
        low_stock_threshold,
        category_id,
        status,
    }))
}

/// The fields that differ, as {"old": {...}, "new": {...}}.
fn diff(old: &Product, new: &Product) -> Value {
    let (a, b) = (json!(old), json!(new));
    let (mut o, mut n) = (Map::new(), Map::new());
    if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
        for (k, v) in b {
            if k != "id" && a.get(k) != Some(v) {
                o.insert(k.clone(), a.get(k).cloned().unwrap_or(Value::Null));
                n.insert(k.clone(), v.clone());
            }
        }
    }
    json!({ "old": o, "new": n, "sku": new.sku })
}

/// Inserts (`before` None) or updates a validated product, with a stock movement when the
/// stock changes (`stock_reason`: `edit` from forms and the API, `import` from CSV) and
/// an audit entry with old → new. The caller owns the transaction. Returns the id.
pub fn save(
    tx: &Connection,
    before: Option<&Product>,
    p: &Product,
    by: &By,
    stock_reason: &'static str,
) -> AppResult<i64> {
    let id = match before {
        None => {
            tx.prepare_cached(
                "INSERT INTO products (name, slug, sku, description, price, compare_at_price,
                    stock, low_stock_threshold, category_id, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9)",
            )?
            .execute(params![
                p.name,
                p.slug,
                p.sku,
                p.description,
                p.price,
                p.compare_at_price,
                p.low_stock_threshold,
                p.category_id,
                p.status
            ])?;
            tx.last_insert_rowid()
        }
        Some(b) => {
            tx.prepare_cached(
                "UPDATE products SET name = ?2, slug = ?3, sku = ?4, description = ?5,
                    price = ?6, compare_at_price = ?7, low_stock_threshold = ?8,
                    category_id = ?9, status = ?10
                 WHERE id = ?1",
            )?
            .execute(params![
                b.id,
                p.name,
                p.slug,
                p.sku,
                p.description,
                p.price,
                p.compare_at_price,
                p.low_stock_threshold,
                p.category_id,
                p.status
            ])?;
            b.id
        }
    };
    let note = if before.is_none() {
        "initial stock"
    } else {
        "stock set in the product"
    };
    let (from, actor) = (before.map_or(0, |b| b.stock), by.label());
    let m = Movement::staff(stock_reason, note, &actor, &by.now);
    stock::set(tx, id, from, p.stock, &m)?;
    let stored = Product { id, ..p.clone() };
    let (action, details) = match before {
        None => ("product.created", json!({ "new": stored })),
        Some(b) if *b == stored => return Ok(id),
        Some(b) => ("product.updated", diff(b, &stored)),
    };
    audit::record(
        tx,
        &audit::Entry::event("products", action)
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("product", id)
            .details(details),
    )?;
    Ok(id)
}

/// Validates and saves in one write transaction (so a slug or SKU taken a moment ago is
/// still caught), for the form and the API alike. Refused: the messages and the input to
/// show again (its `stock_was` brought up to date).
pub async fn create_or_update(
    db: &Db,
    id: Option<i64>,
    input: ProductInput,
    by: By,
) -> AppResult<Result<i64, (Errors, ProductInput)>> {
    db.write(move |tx| {
        let mut input = input;
        let cur = crate::settings::currency(tx)?;
        let before = id.map(|id| must_get(tx, id)).transpose()?;
        if let Some(b) = &before {
            if let Err(errors) = reconcile_stock(&mut input, b) {
                return Ok(Err((errors, input)));
            }
        }
        match validate(tx, &input, id, cur)? {
            Err(errors) => Ok(Err((errors, input))),
            Ok(p) => Ok(Ok(save(tx, before.as_ref(), &p, &by, "edit")?)),
        }
    })
    .await
}

pub const IN_ORDERS: &str = "This product appears in orders, so it cannot be deleted: \
    archive it instead (it then leaves the shop, and old orders still show it).";

/// How many order lines name the product.
pub fn order_lines(c: &Connection, id: i64) -> AppResult<i64> {
    Ok(
        c.prepare_cached("SELECT count(*) FROM order_lines WHERE product_id = ?1")?
            .query_row([id], |r| r.get(0))?,
    )
}

/// Deletes a product that no order names (Conflict with IN_ORDERS otherwise), with its
/// image rows (cascade) and stock history; returns the image files to remove after commit.
pub fn delete(tx: &Connection, id: i64, by: &By) -> AppResult<Vec<String>> {
    let p = must_get(tx, id)?;
    if order_lines(tx, id)? > 0 {
        return Err(AppError::Conflict(IN_ORDERS.into()));
    }
    let mut stmt =
        tx.prepare_cached("SELECT path, thumb FROM product_images WHERE product_id = ?1")?;
    let files: Vec<String> = stmt
        .query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flat_map(|(a, b)| [a, b])
        .filter(|f| !f.is_empty())
        .collect();
    tx.execute("DELETE FROM stock_movements WHERE product_id = ?1", [id])?;
    tx.execute("DELETE FROM cart_items WHERE product_id = ?1", [id])?;
    tx.execute("DELETE FROM products WHERE id = ?1", [id])?;
    audit::record(
        tx,
        &audit::Entry::event("products", "product.deleted")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("product", id)
            .details(json!({ "old": p })),
    )?;
    Ok(files)
}

/// Sets the status to archived (audited); a no-op when it already is.
pub fn archive(tx: &Connection, id: i64, by: &By) -> AppResult<()> {
    let before = must_get(tx, id)?;
    let after = Product {
        status: "archived".into(),
        ..before.clone()
    };
    save(tx, Some(&before), &after, by, "edit")?;
    Ok(())
}

/// Adds `delta` to the stock with a reason (a stock movement `adjust`, audited). Refused
/// when it would take the stock below zero.
pub fn adjust_stock(tx: &Connection, id: i64, delta: i64, note: &str, by: &By) -> AppResult<i64> {
    let p = must_get(tx, id)?;
    if delta == 0 {
        return Err(AppError::Invalid("Enter a change other than 0.".into()));
    }
    let new = p.stock + delta;
    if new < 0 {
        return Err(AppError::Conflict(format!(
            "Only {} in stock: taking away {} would go below zero.",
            p.stock, -delta
        )));
    }
    if new > MAX_COUNT {
        return Err(AppError::Invalid(format!(
            "Stock can be at most {MAX_COUNT}."
        )));
    }
    let actor = by.label();
    stock::set(
        tx,
        id,
        p.stock,
        new,
        &Movement::staff("adjust", note, &actor, &by.now),
    )?;
    audit::record(
        tx,
        &audit::Entry::event("products", "product.stock_adjusted")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("product", id)
            .details(json!({ "old": { "stock": p.stock }, "new": { "stock": new }, "change": delta, "reason": note })),
    )?;
    Ok(new)
}
