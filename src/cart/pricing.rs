//! The one pricing function: a cart's lines become a priced quote from the database's
//! current prices and stock. The cart page, the checkout and order creation all use it,
//! so what a buyer sees is what they pay; nothing sent by a client is ever a price.
//! Discounts plug in at `apply_discounts` (promotions and vouchers come later).

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::shipping::{self, ShippingMethod};
use crate::error::AppResult;

/// A line as asked for: product and quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub product_id: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuoteLine {
    pub product_id: i64,
    pub name: String,
    pub sku: String,
    pub slug: String,
    pub unit_price: i64,
    pub quantity: i64,
    /// Units in stock now.
    pub available: i64,
    pub discount: i64,
    pub line_total: i64,
    /// Why this line blocks checkout (gone, out of stock, more than in stock), if it does.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub total: i64,
    /// The chosen shipping method, if one was asked for and is on offer.
    pub shipping_method: Option<ShippingMethod>,
    /// What is on offer for this cart.
    pub shipping_methods: Vec<ShippingMethod>,
}

impl Quote {
    /// Every reason this cart cannot be checked out, one sentence each.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .lines
            .iter()
            .filter_map(|l| l.problem.clone())
            .collect();
        if self.lines.is_empty() {
            out.push("Your cart is empty.".into());
        }
        out
    }

    pub fn quantity_of(&self, product_id: i64) -> i64 {
        self.lines
            .iter()
            .find(|l| l.product_id == product_id)
            .map_or(0, |l| l.quantity)
    }
}

/// The sentence for asking more than there is; shared by the cart and the order.
pub fn too_many(name: &str, available: i64, asked: i64) -> String {
    if available <= 0 {
        format!("'{name}' is out of stock.")
    } else {
        format!("Only {available} of '{name}' left — your cart has {asked}.")
    }
}

fn line(conn: &Connection, item: Item) -> AppResult<QuoteLine> {
    let row: Option<(String, String, String, i64, i64, String)> = conn
        .prepare_cached("SELECT name, sku, slug, price, stock, status FROM products WHERE id = ?1")?
        .query_row([item.product_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .optional()?;
    let Some((name, sku, slug, price, stock, status)) = row else {
        return Ok(QuoteLine {
            product_id: item.product_id,
            name: "A product that no longer exists".into(),
            sku: String::new(),
            slug: String::new(),
            unit_price: 0,
            quantity: item.quantity,
            available: 0,
            discount: 0,
            line_total: 0,
            problem: Some(
                "A product in your cart no longer exists; remove it to check out.".into(),
            ),
        });
    };
    let problem = if status != "active" {
        Some(format!(
            "'{name}' is no longer sold; remove it to check out."
        ))
    } else if item.quantity > stock {
        Some(too_many(&name, stock, item.quantity))
    } else {
        None
    };
    Ok(QuoteLine {
        product_id: item.product_id,
        line_total: price * item.quantity,
        name,
        sku,
        slug,
        unit_price: price,
        quantity: item.quantity,
        available: stock,
        discount: 0,
        problem,
    })
}

/// Where promotions and vouchers will change line discounts; none exist yet.
fn apply_discounts(_conn: &Connection, _lines: &mut [QuoteLine]) -> AppResult<()> {
    Ok(())
}

/// Prices `items` now. `shipping_method` picks one of the offered methods (by code).
pub fn quote(
    conn: &Connection,
    items: &[Item],
    shipping_method: Option<&str>,
    money: &dyn Fn(i64) -> String,
) -> AppResult<Quote> {
    let mut lines = items
        .iter()
        .map(|&i| line(conn, i))
        .collect::<AppResult<Vec<_>>>()?;
    apply_discounts(conn, &mut lines)?;
    for l in &mut lines {
        l.line_total = l.unit_price * l.quantity - l.discount;
    }
    let subtotal: i64 = lines.iter().map(|l| l.unit_price * l.quantity).sum();
    let discount: i64 = lines.iter().map(|l| l.discount).sum();
    let shipping_methods = shipping::methods(conn, subtotal - discount, money)?;
    let chosen =
        shipping_method.and_then(|code| shipping_methods.iter().find(|m| m.code == code).cloned());
    let shipping = chosen.as_ref().map_or(0, |m| m.price);
    Ok(Quote {
        total: subtotal - discount + shipping,
        lines,
        subtotal,
        discount,
        shipping,
        shipping_method: chosen,
        shipping_methods,
    })
}
