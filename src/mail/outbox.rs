//! Delivery without a mail server: each message is written as an `.eml` file under the
//! data dir's `outbox/`, so a shop with no SMTP still has every mail, and any mail program
//! can open it. Written to a temporary name, synced, then renamed, so a file in the outbox
//! is always complete.

use std::io::Write;
use std::path::PathBuf;

use time::OffsetDateTime;

use super::message::Outgoing;

/// The `.eml` file a message was written to, relative to the data dir, for the queue row;
/// empty when the transport keeps no file (SMTP).
pub type Delivered = String;

/// Something that can take a finished message: the outbox folder, or an SMTP server
/// (`mail::smtp`). `mail::transport::from_settings` picks one for each sender pass. An
/// error is one sentence in plain words; it becomes the queue row's `last_error`.
pub trait Transport: Send + Sync {
    fn deliver(
        &self,
        id: i64,
        message: &Outgoing,
        now: OffsetDateTime,
    ) -> Result<Delivered, String>;

    /// Where messages go, in a few words for messages to the owner.
    fn describe(&self) -> String;
}

pub struct OutboxDir {
    pub data_dir: PathBuf,
}

impl Transport for OutboxDir {
    fn describe(&self) -> String {
        "the outbox folder".into()
    }

    fn deliver(
        &self,
        id: i64,
        message: &Outgoing,
        now: OffsetDateTime,
    ) -> Result<Delivered, String> {
        let dir = self.data_dir.join("outbox");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let stamp = format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        let name = format!("{stamp}-{id:06}.eml");
        let tmp = dir.join(format!(".{name}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&message.bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, dir.join(&name))
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", dir.join(&name).display())
        })?;
        Ok(format!("outbox/{name}"))
    }
}
