//! Stock: every change of a product's stock goes through here, together with its
//! `stock_movements` row, so the figure and its history cannot drift apart. Orders take
//! and put back units, the back office sets or adjusts the figure; all in the caller's
//! transaction.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{AppError, AppResult};

/// Why the stock moved and who moved it: the movement row's columns but the figures.
#[derive(Debug, Clone, Copy)]
pub struct Movement<'a> {
    /// One of the schema's reasons: order, cancel, adjust, import, edit.
    pub reason: &'static str,
    pub order_id: Option<i64>,
    pub note: &'a str,
    /// The history label (`staff:3`, `customer:12`, `guest`, `system`).
    pub actor: &'a str,
    /// UTC, as `clock::sql_time` writes it.
    pub at: &'a str,
}

impl<'a> Movement<'a> {
    /// A movement for an order (placing, editing or cancelling it).
    pub fn order(reason: &'static str, order_id: i64, actor: &'a str, at: &'a str) -> Self {
        Movement {
            reason,
            order_id: Some(order_id),
            note: "",
            actor,
            at,
        }
    }

    /// A movement made by hand in the back office (a product saved, adjusted, imported).
    pub fn staff(reason: &'static str, note: &'a str, actor: &'a str, at: &'a str) -> Self {
        Movement {
            reason,
            order_id: None,
            note,
            actor,
            at,
        }
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

/// Takes `quantity` units of an active product: a guarded decrement, so two buyers can
/// never both take the last unit. Conflict (naming `name`) when there are not enough.
pub fn take(
    conn: &Connection,
    product_id: i64,
    name: &str,
    quantity: i64,
    m: &Movement,
) -> AppResult<()> {
    if quantity <= 0 {
        return Ok(());
    }
    let taken = conn
        .prepare_cached(
            "UPDATE products SET stock = stock - ?2 WHERE id = ?1 AND stock >= ?2 AND status = 'active'",
        )?
        .execute(params![product_id, quantity])?;
    if taken == 0 {
        let left: i64 = conn
            .prepare_cached("SELECT stock FROM products WHERE id = ?1")?
            .query_row([product_id], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        return Err(AppError::Conflict(too_many(name, left, quantity)));
    }
    record(conn, product_id, -quantity, m)
}

/// Puts `quantity` units back (a cancelled order, a line taken out of one).
pub fn put_back(conn: &Connection, product_id: i64, quantity: i64, m: &Movement) -> AppResult<()> {
    if quantity <= 0 {
        return Ok(());
    }
    conn.prepare_cached("UPDATE products SET stock = stock + ?2 WHERE id = ?1")?
        .execute(params![product_id, quantity])?;
    record(conn, product_id, quantity, m)
}

/// Sets the stock from `from` to `to` (the product form, the API, an import or an
/// adjustment); nothing is written when they are equal.
pub fn set(conn: &Connection, product_id: i64, from: i64, to: i64, m: &Movement) -> AppResult<()> {
    if from == to {
        return Ok(());
    }
    conn.prepare_cached("UPDATE products SET stock = ?2 WHERE id = ?1")?
        .execute(params![product_id, to])?;
    record(conn, product_id, to - from, m)
}

/// The movement row; private, so no figure changes without one and no row without a figure.
fn record(conn: &Connection, product_id: i64, delta: i64, m: &Movement) -> AppResult<()> {
    conn.prepare_cached(
        "INSERT INTO stock_movements (product_id, delta, reason, order_id, note, actor, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        product_id, delta, m.reason, m.order_id, m.note, m.actor, m.at
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE products (id INTEGER PRIMARY KEY, stock INTEGER NOT NULL CHECK (stock >= 0),
                                    status TEXT NOT NULL);
             CREATE TABLE stock_movements (id INTEGER PRIMARY KEY, product_id INTEGER, delta INTEGER
                 CHECK (delta <> 0), reason TEXT, order_id INTEGER, note TEXT, actor TEXT, at TEXT);
             INSERT INTO products VALUES (1, 3, 'active'), (2, 5, 'archived');",
        )
        .unwrap();
        c
    }

    fn stock(c: &Connection, id: i64) -> i64 {
        c.query_row("SELECT stock FROM products WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    }

    fn deltas(c: &Connection) -> Vec<(i64, String)> {
        let mut s = c
            .prepare("SELECT delta, reason FROM stock_movements ORDER BY id")
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    const AT: &str = "2026-12-07T10:00:00Z";

    #[test]
    fn taking_more_than_there_is_changes_nothing_and_says_how_many_are_left() {
        let c = shop();
        let m = Movement::order("order", 7, "guest", AT);
        let err = take(&c, 1, "Mug", 4, &m).unwrap_err();
        assert!(
            matches!(err, AppError::Conflict(ref s) if s == "Only 3 of 'Mug' left — your cart has 4.")
        );
        assert_eq!(stock(&c, 1), 3);
        assert!(deltas(&c).is_empty());
        take(&c, 1, "Mug", 3, &m).unwrap();
        assert_eq!(stock(&c, 1), 0);
        let err = take(&c, 1, "Mug", 1, &m).unwrap_err();
        assert!(matches!(err, AppError::Conflict(ref s) if s == "'Mug' is out of stock."));
        assert_eq!(deltas(&c), vec![(-3, "order".to_string())]);
    }

    #[test]
    fn an_inactive_product_cannot_be_taken_but_can_be_put_back() {
        let c = shop();
        let m = Movement::order("cancel", 7, "guest", AT);
        assert!(take(&c, 2, "Old", 1, &m).is_err());
        put_back(&c, 2, 2, &m).unwrap();
        assert_eq!(stock(&c, 2), 7);
        assert_eq!(deltas(&c), vec![(2, "cancel".to_string())]);
    }

    #[test]
    fn setting_records_the_difference_and_an_unchanged_figure_writes_nothing() {
        let c = shop();
        let m = Movement {
            reason: "edit",
            order_id: None,
            note: "stock set in the product",
            actor: "staff:1",
            at: AT,
        };
        set(&c, 1, 3, 3, &m).unwrap();
        assert!(deltas(&c).is_empty());
        set(&c, 1, 3, 10, &m).unwrap();
        set(&c, 1, 10, 4, &m).unwrap();
        assert_eq!(stock(&c, 1), 4);
        assert_eq!(
            deltas(&c),
            vec![(7, "edit".to_string()), (-6, "edit".to_string())]
        );
    }
}
