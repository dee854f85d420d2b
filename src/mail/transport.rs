//! Which transport a sender pass (or the test-mail button) uses, read from the settings
//! at that moment, so a change in the back office or with `cornershop settings set` takes
//! effect at the next pass: `mail.transport = outbox` writes `.eml` files under the data
//! dir's `outbox/`, `smtp` sends to the server in `mail.smtp.*`.
//!
//! An SMTP configuration that cannot work (no host, a password that cannot be decrypted,
//! a password over plain text to another machine) gives a transport that refuses every
//! mail with the reason, so each queued row says what to fix and retries with back-off
//! instead of the job failing every 5 seconds.

use std::path::Path;

use rusqlite::Connection;
use time::OffsetDateTime;

use super::message::Outgoing;
pub use super::outbox::Transport;
use super::outbox::{Delivered, OutboxDir};
use super::smtp::{Security, SmtpConfig, SmtpMail};
use crate::error::{AppError, AppResult};
use crate::secret::Secret;
use crate::settings;

/// Reads the SMTP settings; the password decrypted with `secret`. A password that cannot
/// be decrypted is an `AppError::Conflict` naming the setting.
pub fn smtp_config(conn: &Connection, secret: &Secret) -> AppResult<SmtpConfig> {
    let security = settings::get(conn, "mail.smtp.security")?;
    Ok(SmtpConfig {
        host: settings::get(conn, "mail.smtp.host")?,
        port: u16::try_from(settings::get_i64(conn, "mail.smtp.port")?).unwrap_or(0),
        security: Security::parse(&security).ok_or_else(|| {
            AppError::internal(format!("setting mail.smtp.security is '{security}'"))
        })?,
        username: settings::get(conn, "mail.smtp.username")?,
        password: settings::get_secret(conn, secret, "mail.smtp.password")?,
    })
}

/// The transport the settings choose now. Errors are only database errors; a broken SMTP
/// configuration is a transport that refuses with the reason (see the module docs).
pub fn from_settings(
    conn: &Connection,
    data_dir: &Path,
    secret: &Secret,
) -> AppResult<Box<dyn Transport>> {
    if settings::get(conn, "mail.transport")? != "smtp" {
        return Ok(Box::new(OutboxDir {
            data_dir: data_dir.to_path_buf(),
        }));
    }
    let config = match smtp_config(conn, secret) {
        Ok(c) => c,
        Err(AppError::Conflict(reason)) => return Ok(Box::new(Unusable(reason))),
        Err(e) => return Err(e),
    };
    let problems = config.problems();
    if !problems.is_empty() {
        let reasons: Vec<String> = problems
            .into_iter()
            .map(|(key, msg)| format!("{msg} ({key})"))
            .collect();
        return Ok(Box::new(Unusable(format!(
            "SMTP is not set up correctly: {}",
            reasons.join(" ")
        ))));
    }
    Ok(Box::new(SmtpMail::new(config)))
}

/// SMTP is chosen but cannot work: every mail is refused with this reason.
pub struct Unusable(pub String);

impl Transport for Unusable {
    fn describe(&self) -> String {
        "SMTP (not set up correctly)".into()
    }

    fn deliver(&self, _: i64, _: &Outgoing, _: OffsetDateTime) -> Result<Delivered, String> {
        Err(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    #[test]
    fn the_settings_choose_the_transport_and_a_broken_smtp_setup_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let secret = Secret::load_or_create(&dir.path().join("secret.key")).unwrap();
        let pick = || {
            db.read_blocking(|c| from_settings(c, dir.path(), &secret))
                .unwrap()
                .describe()
        };
        assert_eq!(pick(), "the outbox folder");
        let set = |k: &str, v: &str| {
            db.write_blocking(|tx| settings::set(tx, &secret, k, v))
                .unwrap();
        };
        set("mail.transport", "smtp");
        assert_eq!(pick(), "SMTP (not set up correctly)", "no host yet");
        set("mail.smtp.host", "smtp.x.test");
        set("mail.smtp.port", "465");
        set("mail.smtp.security", "tls");
        assert_eq!(pick(), "SMTP server smtp.x.test:465");

        // A password sealed under another key: every mail says which setting to fix.
        let other = Secret::load_or_create(&dir.path().join("other.key")).unwrap();
        db.write_blocking(|tx| settings::set(tx, &other, "mail.smtp.password", "pw"))
            .unwrap();
        set("mail.smtp.username", "shop");
        let t = db
            .read_blocking(|c| from_settings(c, dir.path(), &secret))
            .unwrap();
        let msg = crate::mail::message::sample();
        let err = t.deliver(1, &msg, OffsetDateTime::now_utc()).unwrap_err();
        assert!(
            err.contains("mail.smtp.password") && err.contains("set it again"),
            "{err}"
        );
    }
}
