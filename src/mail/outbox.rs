//! Delivery without a mail server: each message is written as an `.eml` file under the
//! data dir's `outbox/`, so a shop with no SMTP still has every mail, and any mail program
//! can open it. Written to a temporary name, synced, then renamed, so a file in the outbox
//! is always complete.

use std::io::Write;
use std::path::PathBuf;

use time::OffsetDateTime;

/// Where a message was delivered to, for the queue row (a path relative to the data dir).
pub type Delivered = String;

/// Something that can take a finished message: the outbox folder here, SMTP later.
pub trait Transport: Send + Sync {
    fn deliver(&self, id: i64, message: &[u8], now: OffsetDateTime) -> Result<Delivered, String>;
}

pub struct OutboxDir {
    pub data_dir: PathBuf,
}

impl Transport for OutboxDir {
    fn deliver(&self, id: i64, message: &[u8], now: OffsetDateTime) -> Result<Delivered, String> {
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
            f.write_all(message)?;
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
