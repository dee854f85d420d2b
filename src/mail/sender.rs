//! One pass over the mail queue: every due row is built, handed to the transport and
//! marked sent, or tried again later with a growing delay, or marked failed after the last
//! attempt (setting `mail.max_attempts`). A job runs this every few seconds; tests call it
//! directly with the clock where they want it.
//!
//! Most mail is sent at least once: a stop between the transport taking a message and the
//! row being marked sent sends it again, as an order confirmation must not be lost. Mail
//! queued `at_most_once` (campaigns) is claimed first, in a committed write naming this
//! process; a claim found from another process means that process stopped mid-send, so
//! the mail may have gone out and is marked failed instead of sent twice.

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

/// Why a claimed mail from a stopped process is not sent again.
pub const INTERRUPTED: &str =
    "The shop stopped while handing this mail to the mail server, so it may have gone out; \
     as a marketing mail it is sent at most once. Retry it if it did not arrive.";

/// This process, as it names itself on the mail it claims.
fn process() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(crate::secret::random_token)
}

fn due(conn: &Connection, now: OffsetDateTime) -> AppResult<Vec<(Queued, bool)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, to_address, to_name, subject, text_body, html_body, attempts, unsubscribe_url,
                at_most_once
         FROM mail_outbox
         WHERE status = 'queued' AND next_attempt_at <= ?1 AND claimed_by IS NULL
         ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![sql_time(now), BATCH], |r| {
        Ok((
            Queued {
                id: r.get(0)?,
                to_address: r.get(1)?,
                to_name: r.get(2)?,
                subject: r.get(3)?,
                text: r.get(4)?,
                html: r.get(5)?,
                attempts: r.get(6)?,
                unsubscribe_url: r.get(7)?,
            },
            r.get::<_, bool>(8)?,
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Marks failed the at-most-once mail another process claimed and never finished.
fn fail_interrupted(tx: &Connection) -> AppResult<usize> {
    Ok(tx
        .prepare_cached(
            "UPDATE mail_outbox SET status = 'failed', claimed_by = NULL, last_error = ?2
             WHERE status = 'queued' AND at_most_once = 1 AND claimed_by IS NOT NULL AND claimed_by <> ?1",
        )?
        .execute(params![process(), INTERRUPTED])?)
}

/// Claims an at-most-once mail for this process; false if it is no longer free.
fn claim(tx: &Connection, id: i64) -> AppResult<bool> {
    Ok(tx
        .prepare_cached(
            "UPDATE mail_outbox SET claimed_by = ?2 WHERE id = ?1 AND status = 'queued' AND claimed_by IS NULL",
        )?
        .execute(params![id, process()])?
        == 1)
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
    summary.failed += db.write_blocking(|tx| fail_interrupted(tx))?;
    for (mail, once) in mails {
        if once && !db.write_blocking(|tx| claim(tx, mail.id))? {
            continue;
        }
        // Marked sent only after the transport has it: a crash in between sends it again,
        // unless it was claimed above.
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
                        "UPDATE mail_outbox SET status = ?2, attempts = ?3, last_error = ?4, next_attempt_at = ?5,
                                claimed_by = NULL
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

    /// Counts what it is given, and takes it.
    #[derive(Default)]
    struct Counting(std::sync::Mutex<Vec<i64>>);
    impl Transport for Counting {
        fn describe(&self) -> String {
            "a counter".into()
        }
        fn deliver(&self, id: i64, _: &Outgoing, _: OffsetDateTime) -> Result<String, String> {
            self.0.lock().unwrap().push(id);
            Ok(String::new())
        }
    }

    fn queue_marketing_one(db: &Db, now: OffsetDateTime) -> i64 {
        db.write_blocking(|tx| {
            crate::mail::queue_marketing(
                tx,
                &NewMail {
                    template: "campaign",
                    to_address: "mira@tea.test",
                    to_name: "Mira",
                    subject: "Autumn teas",
                    text: "Hello Mira",
                    html: "",
                },
                "https://tea.test/unsubscribe/1/k",
                now,
            )
        })
        .unwrap()
    }

    #[test]
    fn an_at_most_once_mail_a_stopped_process_claimed_is_failed_not_sent_again() {
        let (_dir, db) = shop();
        let now = OffsetDateTime::now_utc();
        let (interrupted, free, ordinary) = (
            queue_marketing_one(&db, now),
            queue_marketing_one(&db, now),
            queue_one(&db, now),
        );
        // A process that stopped between its claim and marking the row sent.
        db.write_blocking(|tx| {
            tx.execute(
                "UPDATE mail_outbox SET claimed_by = 'a-process-that-died' WHERE id = ?1",
                [interrupted],
            )?;
            Ok(())
        })
        .unwrap();
        let transport = Counting::default();
        let summary = run_once(&db, &transport, now).unwrap();
        assert_eq!(
            summary,
            Summary {
                sent: 2,
                retried: 0,
                failed: 1
            }
        );
        let mut given = transport.0.lock().unwrap().clone();
        given.sort();
        assert_eq!(
            given,
            vec![free, ordinary],
            "the interrupted mail is not handed over again"
        );
        let (status, _, error, _) = row(&db, interrupted);
        assert_eq!(status, "failed");
        assert!(error.contains("may have gone out"), "{error}");
        assert_eq!(row(&db, free).0, "sent");
        // A retry by hand queues it once more, unclaimed.
        db.write_blocking(|tx| crate::mail::queue::retry(tx, interrupted, &sql_time(now)))
            .unwrap();
        assert_eq!(run_once(&db, &transport, now).unwrap().sent, 1);
        assert_eq!(row(&db, interrupted).0, "sent");
    }

    #[test]
    fn an_at_most_once_mail_this_process_is_sending_is_left_to_it() {
        let (_dir, db) = shop();
        let now = OffsetDateTime::now_utc();
        let id = queue_marketing_one(&db, now);
        // Claimed by this process: another pass of ours is handing it over right now.
        assert!(db.write_blocking(|tx| claim(tx, id)).unwrap());
        assert!(
            !db.write_blocking(|tx| claim(tx, id)).unwrap(),
            "one claim only"
        );
        let transport = Counting::default();
        assert_eq!(run_once(&db, &transport, now).unwrap(), Summary::default());
        assert!(transport.0.lock().unwrap().is_empty());
        assert_eq!(row(&db, id).0, "queued");
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
