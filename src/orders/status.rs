//! Order statuses (DESIGN §4). The database holds the rules: `order_transitions` lists the
//! allowed moves and a trigger refuses every other one, raw SQL included, while another
//! trigger writes `order_status_history`. Code moves an order only through `transition`,
//! which names the actor and time for that history and turns a refusal into a sentence.

use rusqlite::{params, Connection, OptionalExtension};
use time::OffsetDateTime;

use crate::clock::sql_time;
use crate::error::{AppError, AppResult};

pub const ALL: &[&str] = &[
    "draft",
    "pending_payment",
    "paid",
    "processing",
    "shipped",
    "delivered",
    "cancelled",
    "refunded",
];

/// What a customer reads for a status.
pub fn label(status: &str) -> &'static str {
    match status {
        "draft" => "Draft",
        "pending_payment" => "Ready for paying",
        "paid" => "Paid",
        "processing" => "Being prepared",
        "shipped" => "Shipped",
        "delivered" => "Delivered",
        "cancelled" => "Cancelled",
        "refunded" => "Refunded",
        _ => "Unknown",
    }
}

/// Who makes a change, as history records it: "customer:7", "staff:2", "system".
pub fn actor_customer(id: i64) -> String {
    format!("customer:{id}")
}

pub fn actor_staff(id: i64) -> String {
    format!("staff:{id}")
}

pub const SYSTEM: &str = "system";

pub fn current(conn: &Connection, order_id: i64) -> AppResult<String> {
    conn.query_row("SELECT status FROM orders WHERE id = ?1", [order_id], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| AppError::NotFound("There is no such order.".into()))
}

/// The moves the table allows from `from`, in the workflow's order.
pub fn allowed_from(conn: &Connection, from: &str) -> AppResult<Vec<String>> {
    let mut stmt =
        conn.prepare_cached("SELECT to_status FROM order_transitions WHERE from_status = ?1")?;
    let rows = stmt.query_map([from], |r| r.get::<_, String>(0))?;
    let mut moves: Vec<String> = rows.collect::<Result<_, _>>()?;
    moves.sort_by_key(|s| ALL.iter().position(|a| a == s));
    Ok(moves)
}

/// Moves an order to `to`, in the caller's transaction. A move the table forbids is a
/// Conflict saying from what to what.
pub fn transition(
    conn: &Connection,
    order_id: i64,
    to: &str,
    actor: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let from = current(conn, order_id)?;
    if from == to {
        return Ok(());
    }
    let res = conn.execute(
        "UPDATE orders SET status = ?2, changed_by = ?3, updated_at = ?4 WHERE id = ?1",
        params![order_id, to, actor, sql_time(now)],
    );
    match res {
        Ok(_) => Ok(()),
        Err(e) => match AppError::from(e) {
            // The trigger's own words first, then what it means for this order.
            AppError::Conflict(why) => Err(AppError::Conflict(format!(
                "{}: this order is {} and cannot become {}.",
                why.trim_end_matches('.'),
                label(&from).to_lowercase(),
                label(to).to_lowercase()
            ))),
            other => Err(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    fn order(db: &Db) -> i64 {
        db.write_blocking(|tx| {
            tx.execute(
                "INSERT INTO orders (number, email, status, currency, subtotal, shipping, total,
                                     shipping_method, payment_method, placed_at, updated_at, changed_by)
                 VALUES ('T-1', 'a@b.test', 'pending_payment', 'EUR', 1000, 0, 1000, 'pickup', 'cod',
                         '2026-11-22T10:00:00Z', '2026-11-22T10:00:00Z', 'customer:1')",
                [],
            )?;
            Ok(tx.last_insert_rowid())
        })
        .unwrap()
    }

    #[test]
    fn only_listed_moves_happen_even_by_raw_sql_and_each_is_in_the_history() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let id = order(&db);
        let raw = db.write_blocking(|tx| {
            tx.execute("UPDATE orders SET status = 'delivered' WHERE id = ?1", [id])?;
            Ok(())
        });
        let err = raw.unwrap_err().to_string();
        assert!(err.contains("not allowed"), "{err}");

        let now = time::macros::datetime!(2026-11-22 10:05:00 UTC);
        db.write_blocking(|tx| transition(tx, id, "paid", "staff:2", now))
            .unwrap();
        let err = db
            .write_blocking(|tx| transition(tx, id, "pending_payment", "staff:2", now))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "That status change is not allowed for this order: this order is paid and cannot become ready for paying."
        );
        let history: Vec<(Option<String>, String, String, String)> = db
            .read_blocking(|c| {
                let mut s = c.prepare(
                    "SELECT from_status, to_status, at, actor FROM order_status_history WHERE order_id = ?1 ORDER BY id",
                )?;
                let rows = s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .unwrap();
        assert_eq!(
            history,
            [
                (
                    None,
                    "pending_payment".into(),
                    "2026-11-22T10:00:00Z".into(),
                    "customer:1".into()
                ),
                (
                    Some("pending_payment".into()),
                    "paid".into(),
                    "2026-11-22T10:05:00Z".into(),
                    "staff:2".into()
                ),
            ]
        );
        let moves = db.read_blocking(|c| allowed_from(c, "paid")).unwrap();
        assert_eq!(moves, ["processing", "cancelled", "refunded"]);
    }
}
