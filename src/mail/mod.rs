//! Mail (DESIGN §6): the `mail_outbox` queue, how a queued row becomes an RFC 5322
//! message, where it is delivered (the local outbox folder or an SMTP server, chosen by
//! `transport::from_settings`), and the step that drains the queue with retries. A feature
//! queues a mail inside the transaction of the change that causes it, so the mail exists
//! exactly when the change does: usually with `templates::queue_templated`, which renders
//! the template the owner edits in the back office and calls `queue`.

pub mod message;
pub mod outbox;
pub mod queue;
pub mod sender;
pub mod smtp;
pub mod templates;
pub mod transport;

use rusqlite::{params, Connection};
use time::OffsetDateTime;

use crate::clock::sql_time;
use crate::error::{AppError, AppResult};

/// A mail to queue. `html` may be empty (plain text only).
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub template: &'a str,
    pub to_address: &'a str,
    pub to_name: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

fn no_line_breaks(what: &str, value: &str) -> AppResult<()> {
    if value.contains(['\r', '\n']) {
        return Err(AppError::Invalid(format!(
            "{what} cannot contain line breaks."
        )));
    }
    Ok(())
}

/// Queues a mail in the caller's transaction; refuses what could not be sent safely
/// (line breaks in header fields, a malformed address), so nothing half-made is stored.
pub fn queue(conn: &Connection, m: &NewMail<'_>, now: OffsetDateTime) -> AppResult<i64> {
    no_line_breaks("The recipient's name", m.to_name)?;
    no_line_breaks("The subject", m.subject)?;
    if m.subject.trim().is_empty() {
        return Err(AppError::Invalid("A mail needs a subject.".into()));
    }
    m.to_address
        .parse::<lettre::Address>()
        .map_err(|_| AppError::Invalid(format!("'{}' is not an email address.", m.to_address)))?;
    conn.prepare_cached(
        "INSERT INTO mail_outbox (template, to_address, to_name, subject, text_body, html_body, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![m.template, m.to_address, m.to_name, m.subject.trim(), m.text, m.html, sql_time(now)])?;
    Ok(conn.last_insert_rowid())
}

/// Queues a marketing mail (`queue`'s checks): sent at most once (`sender` claims it
/// before the transport gets it) and carrying its one-click unsubscribe address.
pub fn queue_marketing(
    conn: &Connection,
    m: &NewMail<'_>,
    unsubscribe_url: &str,
    now: OffsetDateTime,
) -> AppResult<i64> {
    no_line_breaks("The unsubscribe address", unsubscribe_url)?;
    let id = queue(conn, m, now)?;
    conn.prepare_cached(
        "UPDATE mail_outbox SET at_most_once = 1, unsubscribe_url = ?2 WHERE id = ?1",
    )?
    .execute(params![id, unsubscribe_url])?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    fn mail<'a>(to: &'a str, subject: &'a str) -> NewMail<'a> {
        NewMail {
            template: "test",
            to_address: to,
            to_name: "Mira",
            subject,
            text: "Hello",
            html: "",
        }
    }

    #[test]
    fn header_injection_and_bad_addresses_are_refused_and_nothing_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let now = OffsetDateTime::now_utc();
        for (m, needle) in [
            (
                mail("mira@tea.test", "Hi\r\nBcc: all@evil.test"),
                "line breaks",
            ),
            (
                NewMail {
                    to_name: "Mira\nBcc: x@evil.test",
                    ..mail("mira@tea.test", "Hi")
                },
                "line breaks",
            ),
            (mail("not an address", "Hi"), "not an email address"),
            (mail("mira@tea.test", "   "), "needs a subject"),
        ] {
            let err = db.write_blocking(|tx| queue(tx, &m, now)).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
        }
        // Even raw SQL cannot store a line break in a header field.
        let raw = db.write_blocking(|tx| {
            tx.execute(
                "INSERT INTO mail_outbox (to_address, subject, text_body, next_attempt_at) VALUES ('a@b.test', 'x' || char(10) || 'y', '', '')",
                [],
            )?;
            Ok(())
        });
        assert!(raw.is_err());
        let n: i64 = db
            .read_blocking(|c| {
                Ok(c.query_row("SELECT count(*) FROM mail_outbox", [], |r| r.get(0))?)
            })
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn a_mail_queued_in_a_transaction_that_fails_never_exists() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let res: AppResult<()> = db.write_blocking(|tx| {
            queue(
                tx,
                &mail("mira@tea.test", "Welcome"),
                OffsetDateTime::now_utc(),
            )?;
            Err(AppError::Conflict("the change itself was refused".into()))
        });
        assert!(res.is_err());
        let n: i64 = db
            .read_blocking(|c| {
                Ok(c.query_row("SELECT count(*) FROM mail_outbox", [], |r| r.get(0))?)
            })
            .unwrap();
        assert_eq!(n, 0);
    }
}
