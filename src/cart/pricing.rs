//! The one pricing function: a cart's lines become a priced quote from the database's
//! current prices and stock. The cart page, the checkout and order creation all use it,
//! so what a buyer sees is what they pay; nothing sent by a client is ever a price.
//! Promotions running at the quote's `now` take their part off each line (the rule is
//! `marketing::promotions::rule`); the line keeps which one applied.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use time::OffsetDateTime;

use super::shipping::{self, ShippingMethod};
use crate::catalog::stock::too_many;
use crate::clock::sql_time;
use crate::error::AppResult;
use crate::marketing::promotions::rule::{best, Offer};
use crate::marketing::promotions::store::offers_at;
use crate::marketing::vouchers::{self, code::normalise};

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
    /// The list price of a unit.
    pub unit_price: i64,
    /// What a unit costs after the promotion (the list price without one).
    pub sale_price: i64,
    pub quantity: i64,
    /// Units in stock now.
    pub available: i64,
    /// Taken off the line: the promotion's part of a unit times the quantity.
    pub discount: i64,
    pub line_total: i64,
    /// The promotion that applied, if one did.
    pub promotion: Option<LinePromotion>,
    /// Why this line blocks checkout (gone, out of stock, more than in stock), if it does.
    pub problem: Option<String>,
}

/// The promotion a line is charged with, as the order records and the pages show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LinePromotion {
    pub id: i64,
    pub name: String,
    /// "−20 %" or "−€2.00".
    pub badge: String,
}

/// The voucher a quote is charged with.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QuoteVoucher {
    pub id: i64,
    pub code: String,
    /// "−10 %" or "−€5.00".
    pub badge: String,
    /// Taken off the subtotal after promotions.
    pub discount: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    pub subtotal: i64,
    /// What promotions take off the lines.
    pub discount: i64,
    /// What the voucher takes off the subtotal after promotions.
    pub voucher_discount: i64,
    pub shipping: i64,
    pub total: i64,
    /// The voucher code asked for (normalised; empty for none).
    pub voucher_code: String,
    /// The voucher applied, when the code asked for can be used.
    pub voucher: Option<QuoteVoucher>,
    /// Why the code asked for cannot be used, if it cannot; it blocks checkout, so nobody
    /// pays a total they were not shown.
    pub voucher_problem: Option<String>,
    /// The chosen shipping method, if one was asked for and is on offer.
    pub shipping_method: Option<ShippingMethod>,
    /// What is on offer for this cart.
    pub shipping_methods: Vec<ShippingMethod>,
}

impl Quote {
    /// Every reason this cart cannot be checked out, one sentence each.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.voucher_problem.iter().cloned().collect();
        out.extend(self.lines.iter().filter_map(|l| l.problem.clone()));
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

fn line(
    conn: &Connection,
    item: Item,
    offers: &[Offer],
    money: &dyn Fn(i64) -> String,
) -> AppResult<QuoteLine> {
    type Found = (String, String, String, i64, i64, String, Option<i64>);
    let row: Option<Found> = conn
        .prepare_cached(
            "SELECT name, sku, slug, price, stock, status, category_id FROM products WHERE id = ?1",
        )?
        .query_row([item.product_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?;
    let Some((name, sku, slug, price, stock, status, category)) = row else {
        return Ok(QuoteLine {
            product_id: item.product_id,
            name: "A product that no longer exists".into(),
            sku: String::new(),
            slug: String::new(),
            unit_price: 0,
            sale_price: 0,
            quantity: item.quantity,
            available: 0,
            discount: 0,
            line_total: 0,
            promotion: None,
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
    let applied = best(offers, item.product_id, category, price);
    let off = applied.map_or(0, |(_, off)| off);
    Ok(QuoteLine {
        product_id: item.product_id,
        line_total: (price - off) * item.quantity,
        name,
        sku,
        slug,
        unit_price: price,
        sale_price: price - off,
        quantity: item.quantity,
        available: stock,
        discount: off * item.quantity,
        promotion: applied.map(|(o, _)| LinePromotion {
            id: o.id,
            name: o.name.clone(),
            badge: o.badge(money),
        }),
        problem,
    })
}

/// Prices `items` at `now`. `shipping_method` picks one of the offered methods (by code).
pub fn quote(
    conn: &Connection,
    items: &[Item],
    shipping_method: Option<&str>,
    money: &dyn Fn(i64) -> String,
    now: OffsetDateTime,
) -> AppResult<Quote> {
    let offers = offers_at(conn, &sql_time(now))?;
    let lines = items
        .iter()
        .map(|&i| line(conn, i, &offers, money))
        .collect::<AppResult<Vec<_>>>()?;
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
        voucher_discount: 0,
        shipping,
        voucher_code: String::new(),
        voucher: None,
        voucher_problem: None,
        shipping_method: chosen,
        shipping_methods,
    })
}

/// Applies the voucher `code` (as typed; empty for none) for `buyer` (a customer id, None
/// for a guest) at `now`: it comes off the subtotal after promotions
/// (`marketing::vouchers::rule`), and the total follows. A code that cannot be used
/// becomes the quote's problem, with its reason.
pub fn apply_voucher(
    conn: &Connection,
    q: &mut Quote,
    code: &str,
    buyer: Option<i64>,
    money: &dyn Fn(i64) -> String,
    now: OffsetDateTime,
) -> AppResult<()> {
    let code = normalise(code);
    q.voucher_code = code.clone();
    q.voucher = None;
    q.voucher_problem = None;
    q.voucher_discount = 0;
    if !code.is_empty() {
        match vouchers::check(conn, &code, buyer, q.subtotal - q.discount, money, now)? {
            Ok((v, off)) => {
                q.voucher = Some(QuoteVoucher {
                    id: v.id,
                    badge: v.badge(money),
                    code: v.code,
                    discount: off,
                });
                q.voucher_discount = off;
            }
            Err(why) => q.voucher_problem = Some(why),
        }
    }
    q.total = q.subtotal - q.discount - q.voucher_discount + q.shipping;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    const NOW: OffsetDateTime = time::macros::datetime!(2026-12-07 10:00 UTC);

    /// A real shop database (schema and default settings) with three products:
    /// 1 active (€12.50, 4 in stock), 2 archived, 3 active and sold out.
    fn shop() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        db.write_blocking(|tx| {
            tx.execute_batch(
                "INSERT INTO products (id, slug, sku, name, price, stock, status) VALUES
                     (1, 'mug', 'M-1', 'Mug', 1250, 4, 'active'),
                     (2, 'old', 'O-1', 'Old mug', 900, 9, 'archived'),
                     (3, 'cup', 'C-1', 'Cup', 300, 0, 'active');",
            )?;
            Ok(())
        })
        .unwrap();
        (dir, db)
    }

    fn priced(db: &Db, items: &[(i64, i64)], shipping: Option<&str>) -> Quote {
        let items: Vec<Item> = items
            .iter()
            .map(|&(product_id, quantity)| Item {
                product_id,
                quantity,
            })
            .collect();
        db.read_blocking(|c| quote(c, &items, shipping, &|m| format!("€{m}"), NOW))
            .unwrap()
    }

    #[test]
    fn prices_come_from_the_database_and_add_up_with_the_chosen_shipping() {
        let (_dir, db) = shop();
        let q = priced(&db, &[(1, 3)], Some("flat"));
        assert_eq!(q.lines[0].unit_price, 1250);
        assert_eq!(q.lines[0].line_total, 3750);
        assert_eq!((q.subtotal, q.discount), (3750, 0));
        // Below the free-delivery threshold (5000) the flat rate (490) applies.
        assert_eq!(q.shipping, 490);
        assert_eq!(q.total, 3750 + 490);
        assert!(q.problems().is_empty());
    }

    #[test]
    fn delivery_is_free_from_the_threshold_and_an_unknown_method_costs_nothing_but_is_not_chosen() {
        let (_dir, db) = shop();
        let q = priced(&db, &[(1, 4)], Some("flat"));
        assert_eq!((q.subtotal, q.shipping, q.total), (5000, 0, 5000));
        let q = priced(&db, &[(1, 1)], Some("teleport"));
        assert!(q.shipping_method.is_none());
        assert_eq!(q.total, 1250);
        let offered: Vec<&str> = q.shipping_methods.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(offered, ["flat", "pickup"]);
    }

    #[test]
    fn each_line_that_cannot_be_bought_says_why() {
        let (_dir, db) = shop();
        let q = priced(&db, &[(1, 5), (2, 1), (3, 1), (99, 1)], None);
        assert_eq!(
            q.problems(),
            [
                "Only 4 of 'Mug' left — your cart has 5.",
                "'Old mug' is no longer sold; remove it to check out.",
                "'Cup' is out of stock.",
                "A product in your cart no longer exists; remove it to check out.",
            ]
        );
        // A vanished product is priced at nothing rather than at a stale price.
        assert_eq!(q.lines[3].line_total, 0);
    }

    #[test]
    fn an_empty_cart_is_a_problem_of_its_own() {
        let (_dir, db) = shop();
        let q = priced(&db, &[], Some("pickup"));
        assert_eq!(q.problems(), ["Your cart is empty."]);
        assert_eq!(q.total, 0);
    }
}
