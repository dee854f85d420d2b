//! The promotion form as typed, and its checks: one sentence per field, nothing saved
//! unless all pass. Times are typed in shop time and stored UTC; chosen products are typed
//! as SKUs. A fixed amount at or above the price of products it reaches is allowed (a
//! shop may give something away) but said as a warning.

use std::collections::BTreeMap;

use rocket::FromForm;
use rusqlite::Connection;
use serde::Serialize;

use super::rule::Kind;
use super::store::{Draft, Promotion};
use crate::clock::{from_shop_time, to_shop_time};
use crate::error::AppResult;
use crate::money::Currency;

/// Field name → message.
pub type Errors = BTreeMap<&'static str, String>;

#[derive(FromForm, Default, Clone, Debug, Serialize)]
pub struct PromotionForm {
    #[field(default = String::new())]
    pub name: String,
    /// `percent` or `amount`.
    #[field(default = String::new())]
    pub kind: String,
    /// A percent ("20") or an amount in the shop currency ("2.50").
    #[field(default = String::new())]
    pub value: String,
    /// `shop`, `category` or `products`.
    #[field(default = String::new())]
    pub scope: String,
    #[field(default = String::new())]
    pub category_id: String,
    /// SKUs, separated by commas, spaces or lines.
    #[field(default = String::new())]
    pub products: String,
    /// Shop time, "YYYY-MM-DDTHH:MM".
    #[field(default = String::new())]
    pub starts_at: String,
    #[field(default = String::new())]
    pub ends_at: String,
    #[field(default = false)]
    pub enabled: bool,
    #[field(default = String::new())]
    pub banner: String,
}

impl PromotionForm {
    /// A new promotion's form: enabled, for the whole shop, percent off.
    pub fn blank() -> PromotionForm {
        PromotionForm {
            kind: "percent".into(),
            scope: "shop".into(),
            enabled: true,
            ..Default::default()
        }
    }

    /// The form showing a stored promotion.
    pub fn of(p: &Promotion, skus: &[String], currency: &Currency, offset: i64) -> PromotionForm {
        PromotionForm {
            name: p.name.clone(),
            value: if p.kind == "amount" {
                currency.to_major(p.value)
            } else {
                p.value.to_string()
            },
            kind: p.kind.clone(),
            scope: p.scope.clone(),
            category_id: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
            products: skus.join(", "),
            starts_at: to_shop_time(&p.starts_at, offset),
            ends_at: to_shop_time(&p.ends_at, offset),
            enabled: p.enabled,
            banner: p.banner.clone(),
        }
    }
}

/// A percent ("20", "20 %") or an amount in the shop currency ("2.50") as typed, in the
/// stored unit (percent, or minor units); 0 with the refusal under `value` when it is not
/// one. The voucher form checks its value the same way.
pub fn value_of(kind: Kind, typed: &str, currency: &Currency, errors: &mut Errors) -> i64 {
    let refused = match kind {
        Kind::Percent => match typed.trim().trim_end_matches('%').trim().parse::<i64>() {
            Ok(v) if (1..=100).contains(&v) => return v,
            _ => "A percent off is a whole number from 1 to 100.".to_string(),
        },
        Kind::Amount => match currency.parse_major(typed) {
            Ok(v) if v > 0 => return v,
            Ok(_) => "An amount off is more than zero.".to_string(),
            Err(e) => e,
        },
    };
    errors.insert("value", refused);
    0
}

/// One line of text, at most `max` characters.
fn one_line(errors: &mut Errors, field: &'static str, v: &str, max: usize, what: &str) -> String {
    let v = v.trim();
    if v.chars().count() > max || v.chars().any(char::is_control) {
        errors.insert(
            field,
            format!("{what} has at most {max} characters, on one line."),
        );
    }
    v.to_string()
}

/// A checked promotion and the warnings to show after saving it, or the refusals.
pub fn check(
    c: &Connection,
    f: &PromotionForm,
    currency: &Currency,
    offset: i64,
) -> AppResult<Result<(Draft, Vec<String>), Errors>> {
    let mut errors = Errors::new();
    let name = one_line(&mut errors, "name", &f.name, 100, "A name");
    if name.is_empty() {
        errors.insert("name", "Give the promotion a name.".into());
    }
    let kind = Kind::parse(&f.kind);
    if kind.is_none() {
        errors.insert("kind", "Choose percent off or an amount off.".into());
    }
    let value = kind.map_or(0, |k| value_of(k, &f.value, currency, &mut errors));
    let scope = f.scope.trim().to_string();
    let mut category_id = None;
    let mut product_ids = Vec::new();
    match scope.as_str() {
        "shop" => {}
        "category" => match f.category_id.trim().parse::<i64>() {
            Ok(id) if exists(c, "SELECT 1 FROM categories WHERE id = ?1", id)? => {
                category_id = Some(id)
            }
            _ => {
                errors.insert("category_id", "Choose a category from the list.".into());
            }
        },
        "products" => {
            let skus: Vec<&str> = f
                .products
                .split(|ch: char| ch == ',' || ch.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect();
            let mut unknown = Vec::new();
            for sku in &skus {
                let id: Option<i64> = c
                    .prepare_cached("SELECT id FROM products WHERE sku = ?1")?
                    .query_row([sku], |r| r.get(0))
                    .ok();
                match id {
                    Some(id) if !product_ids.contains(&id) => product_ids.push(id),
                    Some(_) => {}
                    None => unknown.push(*sku),
                }
            }
            if !unknown.is_empty() {
                errors.insert(
                    "products",
                    format!("No product has the SKU {}.", unknown.join(", ")),
                );
            } else if product_ids.is_empty() {
                errors.insert(
                    "products",
                    "Give the SKUs of the products it is for.".into(),
                );
            }
            product_ids.sort_unstable();
        }
        _ => {
            errors.insert(
                "scope",
                "Choose what it is for: the whole shop, a category or chosen products.".into(),
            );
        }
    }
    let starts_at = from_shop_time(&f.starts_at, offset);
    if starts_at.is_none() {
        errors.insert("starts_at", "Give the day and time it starts.".into());
    }
    let ends_at = from_shop_time(&f.ends_at, offset);
    match (&starts_at, &ends_at) {
        (_, None) => {
            errors.insert("ends_at", "Give the day and time it ends.".into());
        }
        (Some(s), Some(e)) if e <= s => {
            errors.insert("ends_at", "It must end after it starts.".into());
        }
        _ => {}
    }
    let banner = one_line(&mut errors, "banner", &f.banner, 200, "A banner");
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let kind = kind.unwrap_or(Kind::Percent);
    let draft = Draft {
        name,
        kind,
        value,
        scope,
        category_id,
        product_ids,
        starts_at: starts_at.unwrap_or_default(),
        ends_at: ends_at.unwrap_or_default(),
        enabled: f.enabled,
        banner,
    };
    let mut warnings = Vec::new();
    if kind == Kind::Amount {
        let free = free_products(c, &draft)?;
        if free > 0 {
            warnings.push(format!(
                "{} off is at least the price of {free} product{} it is for: {} free while it runs.",
                currency.format(value),
                if free == 1 { "" } else { "s" },
                if free == 1 { "that one is" } else { "those are" },
            ));
        }
    }
    Ok(Ok((draft, warnings)))
}

fn exists(c: &Connection, sql: &str, id: i64) -> AppResult<bool> {
    Ok(c.prepare_cached(sql)?.query_row([id], |_| Ok(())).is_ok())
}

/// How many active products the draft reaches cost no more than its amount off.
fn free_products(c: &Connection, d: &Draft) -> AppResult<i64> {
    let ids = format!(
        "[{}]",
        d.product_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    Ok(c.prepare_cached(
        "WITH RECURSIVE below(id) AS (
                 SELECT ?3 UNION SELECT c.id FROM categories c JOIN below b ON c.parent_id = b.id)
             SELECT count(*) FROM products p
             WHERE p.status = 'active' AND p.price <= ?1
               AND CASE ?2 WHEN 'shop' THEN 1
                           WHEN 'category' THEN p.category_id IN (SELECT id FROM below)
                           ELSE p.id IN (SELECT value FROM json_each(?4)) END",
    )?
    .query_row(
        rusqlite::params![d.value, d.scope, d.category_id, ids],
        |r| r.get(0),
    )?)
}
