//! The mail queue as the back office reads it: a page of mails, the count per status, one
//! mail whole, and queuing a failed one again.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{AppError, AppResult};

/// One row of the outbox list.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub created_at: String,
    pub status: String,
    pub to_address: String,
    pub subject: String,
    pub attempts: i64,
    pub last_error: String,
}

/// A page of mails, newest first, of one status (`""`: all), with the count of all.
pub fn page(c: &Connection, status: &str, page: u32, per_page: u32) -> AppResult<(Vec<Row>, u64)> {
    let total: i64 = c.query_row(
        "SELECT count(*) FROM mail_outbox WHERE ?1 = '' OR status = ?1",
        [status],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare_cached(
        "SELECT id, created_at, status, to_address, subject, attempts, last_error FROM mail_outbox
         WHERE ?1 = '' OR status = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
    )?;
    let offset = (i64::from(page.max(1)) - 1) * i64::from(per_page);
    let rows = stmt
        .query_map(params![status, per_page, offset], |r| {
            Ok(Row {
                id: r.get(0)?,
                created_at: r.get(1)?,
                status: r.get(2)?,
                to_address: r.get(3)?,
                subject: r.get(4)?,
                attempts: r.get(5)?,
                last_error: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok((rows, total as u64))
}

/// How many mails each status holds (statuses with none are left out).
pub fn counts(c: &Connection) -> AppResult<Vec<(String, i64)>> {
    let mut stmt = c.prepare_cached("SELECT status, count(*) FROM mail_outbox GROUP BY status")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One mail whole, as queued and as far as it got.
#[derive(Debug, Clone)]
pub struct Mail {
    pub id: i64,
    pub created_at: String,
    pub status: String,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: String,
    pub eml_path: String,
    /// Empty until sent.
    pub sent_at: String,
    pub template: String,
}

pub fn get(c: &Connection, id: i64) -> AppResult<Option<Mail>> {
    Ok(c.query_row(
        "SELECT id, created_at, status, to_address, to_name, subject, text_body, html_body, attempts,
                next_attempt_at, last_error, eml_path, coalesce(sent_at, ''), template
         FROM mail_outbox WHERE id = ?1",
        [id],
        |r| {
            Ok(Mail {
                id: r.get(0)?,
                created_at: r.get(1)?,
                status: r.get(2)?,
                to_address: r.get(3)?,
                to_name: r.get(4)?,
                subject: r.get(5)?,
                text_body: r.get(6)?,
                html_body: r.get(7)?,
                attempts: r.get(8)?,
                next_attempt_at: r.get(9)?,
                last_error: r.get(10)?,
                eml_path: r.get(11)?,
                sent_at: r.get(12)?,
                template: r.get(13)?,
            })
        },
    )
    .optional()?)
}

/// Queues a failed mail again, due at `now`; Conflict for a mail that has not failed.
pub fn retry(tx: &Connection, id: i64, now: &str) -> AppResult<()> {
    let changed = tx.execute(
        "UPDATE mail_outbox SET status = 'queued', next_attempt_at = ?2 WHERE id = ?1 AND status = 'failed'",
        params![id, now],
    )?;
    if changed == 0 {
        return Err(AppError::Conflict(
            "Only a failed mail can be retried; this one is not failed.".into(),
        ));
    }
    Ok(())
}

/// The queue's depth: (queued, of which due now, failed, sent).
pub fn depth(c: &Connection, now: &str) -> AppResult<(i64, i64, i64, i64)> {
    Ok(c.query_row(
        "SELECT coalesce(sum(status = 'queued'), 0),
                coalesce(sum(status = 'queued' AND next_attempt_at <= ?1), 0),
                coalesce(sum(status = 'failed'), 0),
                coalesce(sum(status = 'sent'), 0)
         FROM mail_outbox",
        params![now],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?)
}
