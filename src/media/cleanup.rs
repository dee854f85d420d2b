//! The hourly `media_cleanup` job: reconciles `media/products/` with `product_images`
//! both ways and clears what uploads leave behind.
//!
//! - failed upload rows older than GRACE are deleted (a failed upload never wrote a file;
//!   any file a row still names is removed with it);
//! - pending rows older than GRACE (the server stopped mid-upload) become failed;
//! - ready rows whose file is gone become failed with "file missing" (a missing
//!   thumbnail only makes pages fall back to the full image);
//! - files under `media/products/` (demo pictures included) that no row names as its
//!   image or thumbnail are removed once older than GRACE, so an upload being written
//!   right now is never taken. Other folders (payments/, the logo) belong to other
//!   features and are left alone;
//! - CSV imports checked but never confirmed (`imports/`) are removed after a day.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rusqlite::params;
use time::{Duration, OffsetDateTime};

use crate::clock::sql_time;
use crate::db::Db;
use crate::error::AppResult;

/// How old a failed row, a pending row or an unreferenced file must be to be cleared.
pub const GRACE: Duration = Duration::hours(1);
pub const IMPORT_KEEP: Duration = Duration::hours(24);
pub const FOLDER: &str = "products";
pub const MISSING: &str = "The image file is missing from the media folder (file missing).";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub failed_deleted: usize,
    pub pending_failed: usize,
    pub missing_marked: usize,
    pub files_removed: usize,
    pub imports_removed: usize,
}

impl Summary {
    /// In words for the system page; None when nothing was done.
    pub fn words(&self) -> Option<String> {
        let parts: Vec<String> = [
            (self.failed_deleted, "failed upload(s) deleted"),
            (self.pending_failed, "interrupted upload(s) marked failed"),
            (self.missing_marked, "image(s) marked failed (file missing)"),
            (self.files_removed, "unreferenced file(s) removed"),
            (self.imports_removed, "unconfirmed import(s) removed"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(&p, out),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
}

fn older_than(path: &Path, cutoff: SystemTime) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t < cutoff)
}

/// One pass; `now` is the shop's clock (tests move it instead of waiting).
pub fn run_once(db: &Db, data_dir: &Path, now: OffsetDateTime) -> AppResult<Summary> {
    let media = data_dir.join("media");
    let cutoff = sql_time(now - GRACE);
    let mut sum = Summary::default();

    // Rows first, so the file pass below sees the rows as they are now.
    let ready: Vec<(i64, String, String)> = db.read_blocking(|c| {
        let mut s =
            c.prepare("SELECT id, path, thumb FROM product_images WHERE status = 'ready'")?;
        let rows = s
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    })?;
    let missing: Vec<i64> = ready
        .iter()
        .filter(|(_, path, _)| !media.join(path).is_file())
        .map(|r| r.0)
        .collect();
    let no_thumb: Vec<i64> = ready
        .iter()
        .filter(|(_, path, thumb)| {
            !thumb.is_empty() && media.join(path).is_file() && !media.join(thumb).is_file()
        })
        .map(|r| r.0)
        .collect();
    let doomed: Vec<(String, String)> = db.write_blocking(|tx| {
        for id in &missing {
            sum.missing_marked += tx.execute(
                "UPDATE product_images SET status = 'failed', error = ?2 WHERE id = ?1 AND status = 'ready'",
                params![id, MISSING],
            )?;
        }
        for id in &no_thumb {
            tx.execute("UPDATE product_images SET thumb = '' WHERE id = ?1", [id])?;
        }
        sum.pending_failed = tx.execute(
            "UPDATE product_images SET status = 'failed',
                error = 'The upload was interrupted before it was processed; upload it again.'
             WHERE status = 'pending' AND created_at < ?1",
            [&cutoff],
        )?;
        let mut s = tx.prepare(
            "SELECT path, thumb FROM product_images WHERE status = 'failed' AND created_at < ?1",
        )?;
        let doomed = s
            .query_map([&cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        sum.failed_deleted = tx.execute(
            "DELETE FROM product_images WHERE status = 'failed' AND created_at < ?1",
            [&cutoff],
        )?;
        Ok(doomed)
    })?;

    // Every path a remaining row names; everything else under products/ may go.
    let named: HashSet<PathBuf> = db.read_blocking(|c| {
        let mut s = c.prepare("SELECT path, thumb FROM product_images")?;
        let rows = s
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .flat_map(|(p, t)| [p, t])
            .filter(|p| !p.is_empty())
            .map(|p| media.join(p))
            .collect())
    })?;
    for (path, thumb) in doomed {
        for f in [path, thumb].iter().filter(|f| !f.is_empty()) {
            let p = media.join(f);
            if !named.contains(&p) && std::fs::remove_file(&p).is_ok() {
                sum.files_removed += 1;
            }
        }
    }
    let file_cutoff = SystemTime::from(now - GRACE);
    let mut files = Vec::new();
    files_under(&media.join(FOLDER), &mut files);
    for f in files {
        if !named.contains(&f) && older_than(&f, file_cutoff) && std::fs::remove_file(&f).is_ok() {
            sum.files_removed += 1;
        }
    }

    let import_cutoff = SystemTime::from(now - IMPORT_KEEP);
    let mut imports = Vec::new();
    files_under(&data_dir.join("imports"), &mut imports);
    for f in imports {
        if older_than(&f, import_cutoff) && std::fs::remove_file(&f).is_ok() {
            sum.imports_removed += 1;
        }
    }
    Ok(sum)
}
