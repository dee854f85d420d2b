//! The priced cart as the pages show it: the cart page and the checkout read the same
//! quote, turned into the same view.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::pricing::{apply_voucher, quote, Quote};
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
        "voucher_code": q.voucher_code,
        "voucher": q.voucher.as_ref().map(|v| json!({
            "code": v.code, "badge": v.badge, "discount": page.money(v.discount),
        })),
        "voucher_problem": q.voucher_problem,
        "shipping": q.shipping_method.as_ref().map(|m| if m.price == 0 { "Free".to_string() } else { page.money(m.price) }),
        "shipping_label": q.shipping_method.as_ref().map(|m| m.label.clone()),
        "total": page.money(q.total),
        "problems": q.problems(),
    })
}

/// Prices the owner's cart at `now`, with the voucher code applied in the cart (or
/// `voucher`, a code typed at checkout, when given).
pub async fn priced(
    db: &Db,
    page: &Page,
    owner: Option<Owner>,
    shipping: Option<String>,
    voucher: Option<String>,
    now: OffsetDateTime,
) -> AppResult<Quote> {
    let currency = page.shop.currency;
    db.read(move |c| {
        let money = |m| currency.format(m);
        let Some(o) = &owner else {
            return quote(c, &[], shipping.as_deref(), &money, now);
        };
        let mut q = quote(c, &store::items_of(c, o)?, shipping.as_deref(), &money, now)?;
        let code = match voucher {
            Some(code) => code,
            None => store::voucher_code(c, o)?,
        };
        apply_voucher(c, &mut q, &code, o.customer_id(), &money, now)?;
        Ok(q)
    })
    .await
}
