//! Ages out the audit log (POLICY: kept 365 days, setting `audit.retention_days`), which is
//! what a Pi's SD card needs. Nothing is lost: the entries older than the retention are
//! first written to a gzip-compressed CSV under `exports/`, flushed to disk, and only then
//! deleted, in the same transaction that records the pruning itself. A trigger
//! (`audit_log_kept`) refuses to delete anything younger, so this is the one way out.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use rusqlite::{params, Connection};
use serde_json::json;
use time::OffsetDateTime;

use super::{record, Actor, Entry};
use crate::clock::sql_time;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::exports::cells::neutralise;

const COLUMNS: &[&str] = &[
    "id",
    "at",
    "subsystem",
    "action",
    "outcome",
    "actor_kind",
    "actor_id",
    "actor_label",
    "ip",
    "entity_type",
    "entity_id",
    "details",
];

/// What one pass did: how many entries went, and the file that holds them.
#[derive(Debug, PartialEq)]
pub struct Pruned {
    pub rows: usize,
    pub file: PathBuf,
}

/// Moves the entries older than `days` (at `now`) into `exports/`; None when none is.
pub fn run_once(
    db: &Db,
    exports: &Path,
    now: OffsetDateTime,
    days: i64,
) -> AppResult<Option<Pruned>> {
    let cutoff = sql_time(now - time::Duration::days(days));
    db.write_blocking(|tx| {
        let Some((first, last, max_id)) = span(tx, &cutoff)? else {
            return Ok(None);
        };
        let file = archive_name(exports, &first, &last, now);
        let rows = write_archive(tx, &cutoff, max_id, &file)?;
        // Recorded before the delete, so its id is above every deleted one and never
        // reuses the id of an archived entry.
        record(
            tx,
            &Entry::event("audit", "audit.pruned")
                .actor(Actor::System)
                .details(json!({ "rows": rows, "older_than": cutoff, "file": file.file_name().map(|f| f.to_string_lossy().to_string()) })),
        )?;
        let deleted = tx.execute(
            "DELETE FROM audit_log WHERE at < ?1 AND id <= ?2",
            params![cutoff, max_id],
        )?;
        if deleted != rows {
            return Err(AppError::internal(format!(
                "the audit archive {} holds {rows} entries but {deleted} would be deleted; nothing was deleted",
                file.display()
            )));
        }
        Ok(Some(Pruned { rows, file }))
    })
}

/// The first and last time and the highest id of the entries older than `cutoff`.
fn span(conn: &Connection, cutoff: &str) -> AppResult<Option<(String, String, i64)>> {
    let row: (Option<String>, Option<String>, Option<i64>) = conn.query_row(
        "SELECT min(at), max(at), max(id) FROM audit_log WHERE at < ?1",
        [cutoff],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(match row {
        (Some(a), Some(b), Some(id)) => Some((a, b, id)),
        _ => None,
    })
}

/// `exports/audit-2025-01-03-to-2025-12-05-pruned-20261206T030000Z.csv.gz`: the days it
/// holds and when it was made, with a number added should that name exist already.
fn archive_name(exports: &Path, first: &str, last: &str, now: OffsetDateTime) -> PathBuf {
    let day = |t: &str| t.get(..10).unwrap_or(t).to_string();
    let stamp: String = sql_time(now)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let base = format!("audit-{}-to-{}-pruned-{stamp}", day(first), day(last));
    let mut path = exports.join(format!("{base}.csv.gz"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = exports.join(format!("{base}-{n}.csv.gz"));
    }
    path
}

/// Writes the entries to `file` (through a temporary name, renamed once on disk) and
/// returns how many there were.
fn write_archive(conn: &Connection, cutoff: &str, max_id: i64, file: &Path) -> AppResult<usize> {
    let fail =
        |e: std::io::Error| AppError::internal(format!("cannot write {}: {e}", file.display()));
    let partial = file.with_extension("partial");
    let out = File::create(&partial).map_err(fail)?;
    let mut csv = csv::Writer::from_writer(GzEncoder::new(out, Compression::default()));
    csv.write_record(COLUMNS).map_err(AppError::internal)?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM audit_log WHERE at < ?1 AND id <= ?2 ORDER BY id",
        COLUMNS.join(", ")
    ))?;
    let mut rows = stmt.query(params![cutoff, max_id])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let cells: Vec<String> = (0..COLUMNS.len())
            .map(|i| match r.get_ref(i) {
                Ok(rusqlite::types::ValueRef::Integer(v)) => v.to_string(),
                Ok(rusqlite::types::ValueRef::Text(t)) => neutralise(&String::from_utf8_lossy(t)),
                _ => String::new(),
            })
            .collect();
        csv.write_record(&cells).map_err(AppError::internal)?;
        n += 1;
    }
    let gz = csv
        .into_inner()
        .map_err(|e| AppError::internal(format!("cannot write {}: {e}", file.display())))?;
    let mut out = gz.finish().map_err(fail)?;
    out.flush().map_err(fail)?;
    out.sync_all().map_err(fail)?;
    std::fs::rename(&partial, file).map_err(fail)?;
    if let Some(dir) = file.parent() {
        File::open(dir).and_then(|d| d.sync_all()).map_err(fail)?;
    }
    Ok(n)
}
