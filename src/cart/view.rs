//! The priced cart as the pages show it: the cart page and the checkout read the same
//! quote, turned into the same view.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::pricing::{quote, Quote};
use super::store::{self, Owner};
use crate::db::Db;
use crate::error::AppResult;
use crate::web::page::Page;

/// The quote as the cart and checkout pages show it.
pub fn quote_json(page: &Page, q: &Quote) -> Value {
    let lines: Vec<Value> = q
        .lines
        .iter()
        .map(|l| {
            json!({
                "product_id": l.product_id, "name": l.name, "sku": l.sku,
                "url": if l.slug.is_empty() { String::new() } else { format!("/products/{}", l.slug) },
                "quantity": l.quantity, "unit_price": page.money(l.unit_price),
                "sale_price": if l.promotion.is_some() { page.money(l.sale_price) } else { String::new() },
                "badge": l.promotion.as_ref().map(|p| p.badge.clone()).unwrap_or_default(),
                "line_total": page.money(l.line_total),
                "discount": if l.discount > 0 { page.money(l.discount) } else { String::new() },
                "problem": l.problem,
            })
        })
        .collect();
    json!({
        "lines": lines,
        "count": q.lines.iter().map(|l| l.quantity).sum::<i64>(),
        "subtotal": page.money(q.subtotal),
        "discount": if q.discount > 0 { page.money(q.discount) } else { String::new() },
        "shipping": q.shipping_method.as_ref().map(|m| if m.price == 0 { "Free".to_string() } else { page.money(m.price) }),
        "shipping_label": q.shipping_method.as_ref().map(|m| m.label.clone()),
        "total": page.money(q.total),
        "problems": q.problems(),
    })
}

/// Prices the owner's cart at `now`.
pub async fn priced(
    db: &Db,
    page: &Page,
    owner: Option<Owner>,
    shipping: Option<String>,
    now: OffsetDateTime,
) -> AppResult<Quote> {
    let currency = page.shop.currency;
    db.read(move |c| {
        let items = match &owner {
            Some(o) => store::items_of(c, o)?,
            None => Vec::new(),
        };
        quote(c, &items, shipping.as_deref(), &|m| currency.format(m), now)
    })
    .await
}
