//! One pass over the mail queue: every due row is built, handed to the transport and
//! marked sent, or tried again later with a growing delay, or marked failed after the last
//! attempt (setting `mail.max_attempts`). A job runs this every few seconds; tests call it
//! directly with the clock where they want it.

use rusqlite::{params, Connection};
use time::{Duration, OffsetDateTime};

use super::message::{build, Queued};
use super::outbox::Transport;
use crate::clock::sql_time;
use crate::db::Db;
use crate::error::AppResult;
use crate::settings;

/// Rows handled per pass, so one pass never holds up for long.
const BATCH: i64 = 50;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Wait before attempt `n + 1` after `n` failed ones: 30 s, 1 min, 2 min, … up to 1 hour.
pub fn retry_delay(failed_attempts: i64) -> Duration {
    let exp = failed_attempts.clamp(1, 8) - 1;
    Duration::seconds((30i64 << exp).min(3600))
}

fn due(conn: &Connection, now: OffsetDateTime) -> AppResult<Vec<Queued>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, to_address, to_name, subject, text_body, html_body, attempts FROM mail_outbox
         WHERE status = 'queued' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![sql_time(now), BATCH], |r| {
        Ok(Queued {
            id: r.get(0)?,
            to_address: r.get(1)?,
            to_name: r.get(2)?,
            subject: r.get(3)?,
            text: r.get(4)?,
            html: r.get(5)?,
            attempts: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn run_once(db: &Db, transport: &dyn Transport, now: OffsetDateTime) -> AppResult<Summary> {
    let (shop_name, from, max_attempts, mails) = db.read_blocking(|c| {
        Ok((
            settings::get(c, "shop.name")?,
            settings::get(c, "mail.from")?,
            settings::get_i64(c, "mail.max_attempts")?,
            due(c, now)?,
        ))
    })?;
    let mut summary = Summary::default();
    for mail in mails {
        // Marked sent only after the transport has it: a crash in between sends it again.
        let outcome = build(&mail, &shop_name, &from)
            .and_then(|message| transport.deliver(mail.id, &message, now));
        let attempts = mail.attempts + 1;
        db.write_blocking(|tx| {
            match &outcome {
                Ok(path) => {
                    tx.execute(
                        "UPDATE mail_outbox SET status = 'sent', attempts = ?2, sent_at = ?3, eml_path = ?4, last_error = ''
                         WHERE id = ?1 AND status = 'queued'",
                        params![mail.id, attempts, sql_time(now), path],
                    )?;
                }
                Err(error) => {
                    let give_up = attempts >= max_attempts;
                    tx.execute(
                        "UPDATE mail_outbox SET status = ?2, attempts = ?3, last_error = ?4, next_attempt_at = ?5
                         WHERE id = ?1 AND status = 'queued'",
                        params![
                            mail.id,
                            if give_up { "failed" } else { "queued" },
                            attempts,
                            error,
                            sql_time(now + retry_delay(attempts))
                        ],
                    )?;
                }
            }
            Ok(())
        })?;
        match (&outcome, attempts >= max_attempts) {
            (Ok(_), _) => summary.sent += 1,
            (Err(_), true) => summary.failed += 1,
            (Err(_), false) => summary.retried += 1,
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::message::Outgoing;
    use crate::mail::outbox::OutboxDir;
    use crate::mail::{queue, NewMail};

    struct Broken;
    impl Transport for Broken {
        fn describe(&self) -> String {
            "nowhere".into()
        }
        fn deliver(&self, _: i64, _: &Outgoing, _: OffsetDateTime) -> Result<String, String> {
            Err("connection refused by mail.example".into())
        }
    }

    fn shop() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        (dir, db)
    }

    fn queue_one(db: &Db, now: OffsetDateTime) -> i64 {
        db.write_blocking(|tx| {
            queue(
                tx,
                &NewMail {
                    template: "welcome",
                    to_address: "mira@tea.test",
                    to_name: "Mira",
                    subject: "Welcome to the shop",
                    text: "Hello Mira",
                    html: "<p>Hello Mira</p>",
                },
                now,
            )
        })
        .unwrap()
    }

    fn row(db: &Db, id: i64) -> (String, i64, String, String) {
        db.read_blocking(|c| {
            Ok(c.query_row(
                "SELECT status, attempts, last_error, eml_path FROM mail_outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?)
        })
        .unwrap()
    }

    #[test]
    fn the_outbox_gets_a_complete_eml_and_the_row_is_marked_sent() {
        let (dir, db) = shop();
        let now = OffsetDateTime::now_utc();
        let id = queue_one(&db, now);
        let out = OutboxDir {
            data_dir: dir.path().to_path_buf(),
        };
        assert_eq!(
            run_once(&db, &out, now).unwrap(),
            Summary {
                sent: 1,
                retried: 0,
                failed: 0
            }
        );
        let (status, attempts, _, path) = row(&db, id);
        assert_eq!((status.as_str(), attempts), ("sent", 1));
        let eml = std::fs::read_to_string(dir.path().join(&path)).unwrap();
        assert!(
            eml.contains("To: \"Mira\" <mira@tea.test>")
                || eml.contains("To: Mira <mira@tea.test>"),
            "{eml}"
        );
        assert!(eml.contains("Subject: Welcome to the shop"));
        assert!(eml.contains("Hello Mira"));
        // Sent once: a second pass has nothing to do.
        assert_eq!(run_once(&db, &out, now).unwrap(), Summary::default());
        let files = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .count();
        assert_eq!(files, 1, "no temporary files are left behind");
    }

    #[test]
    fn a_failing_transport_retries_later_and_gives_up_after_the_last_attempt() {
        let (dir, db) = shop();
        let secret = crate::secret::Secret::load_or_create(&dir.path().join("secret.key")).unwrap();
        db.write_blocking(|tx| settings::set(tx, &secret, "mail.max_attempts", "3"))
            .unwrap();
        let mut now = OffsetDateTime::now_utc();
        let id = queue_one(&db, now);
        assert_eq!(run_once(&db, &Broken, now).unwrap().retried, 1);
        let (status, attempts, error, _) = row(&db, id);
        assert_eq!((status.as_str(), attempts), ("queued", 1));
        assert!(error.contains("connection refused"));
        assert_eq!(
            run_once(&db, &Broken, now).unwrap(),
            Summary::default(),
            "not due again yet"
        );
        now += retry_delay(1);
        assert_eq!(run_once(&db, &Broken, now).unwrap().retried, 1);
        now += retry_delay(2);
        assert_eq!(run_once(&db, &Broken, now).unwrap().failed, 1);
        assert_eq!(row(&db, id).0, "failed");
    }

    #[test]
    fn delays_grow_and_are_capped() {
        assert_eq!(retry_delay(1), Duration::seconds(30));
        assert_eq!(retry_delay(2), Duration::seconds(60));
        assert_eq!(retry_delay(20), Duration::seconds(3600));
    }

    #[test]
    fn a_sent_mail_cannot_be_queued_again_even_by_raw_sql() {
        let (dir, db) = shop();
        let now = OffsetDateTime::now_utc();
        let id = queue_one(&db, now);
        run_once(
            &db,
            &OutboxDir {
                data_dir: dir.path().to_path_buf(),
            },
            now,
        )
        .unwrap();
        let err = db
            .write_blocking(|tx| {
                tx.execute(
                    "UPDATE mail_outbox SET status = 'queued' WHERE id = ?1",
                    [id],
                )?;
                Ok(())
            })
            .unwrap_err();
        assert!(err.to_string().contains("cannot be sent again"), "{err}");
    }
}
