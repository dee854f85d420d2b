//! Expired ways in, deleted by the hourly clean-up job so these tables hold only what can
//! still be used: sessions, API tokens, half-finished two-factor logins, and one-time links
//! (kept a week past their expiry, so a late click still reads "expired").

use rusqlite::{params, Connection};
use time::{Duration, OffsetDateTime};

use crate::clock::sql_time;
use crate::error::AppResult;

pub fn expired(conn: &Connection, now: OffsetDateTime) -> AppResult<usize> {
    let now_s = sql_time(now);
    let week_ago = sql_time(now - Duration::days(7));
    let mut n = conn.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1 OR absolute_expires_at <= ?1",
        [&now_s],
    )?;
    n += conn.execute("DELETE FROM api_tokens WHERE expires_at <= ?1", [&now_s])?;
    n += conn.execute(
        "DELETE FROM staff_login_challenges WHERE expires_at <= ?1",
        [&now_s],
    )?;
    for table in ["customer_tokens", "staff_tokens"] {
        n += conn.execute(
            &format!("DELETE FROM {table} WHERE expires_at <= ?1"),
            params![week_ago],
        )?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    #[test]
    fn only_what_has_expired_is_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let now = time::macros::datetime!(2026-11-22 10:00 UTC);
        let t = |d: Duration| sql_time(now + d);
        db.write_blocking(|tx| {
            tx.execute(
                "INSERT INTO staff (email, name, password_hash, role_id) VALUES ('a@b.c', 'A', 'x', 1)",
                [],
            )?;
            for (hash, exp, abs) in [
                ("live", t(Duration::hours(1)), t(Duration::days(1))),
                ("idle", t(-Duration::minutes(1)), t(Duration::days(1))),
                ("old", t(Duration::hours(1)), t(-Duration::minutes(1))),
            ] {
                tx.execute(
                    "INSERT INTO sessions (token_hash, kind, user_id, created_at, last_seen_at, expires_at, absolute_expires_at)
                     VALUES (?1, 'staff', 1, ?2, ?2, ?3, ?4)",
                    params![hash, t(-Duration::days(2)), exp, abs],
                )?;
            }
            for (hash, exp) in [("tok-live", t(Duration::days(1))), ("tok-dead", t(-Duration::seconds(1)))] {
                tx.execute(
                    "INSERT INTO api_tokens (kind, user_id, token_hash, created_at, expires_at)
                     VALUES ('staff', 1, ?1, ?2, ?3)",
                    params![hash, t(-Duration::days(7)), exp],
                )?;
            }
            for (hash, exp) in [("link-late", t(-Duration::days(1))), ("link-gone", t(-Duration::days(8)))] {
                tx.execute(
                    "INSERT INTO staff_tokens (staff_id, purpose, token_hash, created_at, expires_at)
                     VALUES (1, 'invite', ?1, ?2, ?3)",
                    params![hash, t(-Duration::days(10)), exp],
                )?;
            }
            Ok(())
        })
        .unwrap();
        let n = db.write_blocking(|tx| expired(tx, now)).unwrap();
        assert_eq!(n, 4);
        let left = |sql: &str| -> Vec<String> {
            db.read_blocking(|c| {
                let mut st = c.prepare(sql)?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .unwrap()
        };
        assert_eq!(left("SELECT token_hash FROM sessions"), ["live"]);
        assert_eq!(left("SELECT token_hash FROM api_tokens"), ["tok-live"]);
        assert_eq!(left("SELECT token_hash FROM staff_tokens"), ["link-late"]);
    }
}
