//! The database: many readers, exactly one writer. Handlers never see a connection pool;
//! they hand a closure to `read` or `write`, which runs it on a blocking thread.
//! `write` runs in `BEGIN IMMEDIATE` and commits, or rolls back when the closure fails.

pub mod errors;
pub mod migrate;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{AppError, AppResult};

/// Prepared statements each connection keeps (rusqlite's default is 16): placing an order
/// runs a few dozen distinct statements on the writer, which would otherwise keep evicting
/// and re-preparing each other.
const STATEMENT_CACHE: usize = 128;

/// Every connection, reader or writer, gets the same pragmas (DESIGN §3).
fn configure(c: &Connection) -> rusqlite::Result<()> {
    c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    c.busy_timeout(Duration::from_secs(5))?;
    c.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;",
    )
}

/// A LIKE pattern matching `text` anywhere, with `%`, `_` and `\\` taken literally
/// (use with `ESCAPE '\\'`).
/// (schema version, page count, page size) of the open database.
pub fn size(c: &Connection) -> AppResult<(i64, i64, i64)> {
    Ok((
        c.query_row("PRAGMA user_version", [], |r| r.get(0))?,
        c.query_row("PRAGMA page_count", [], |r| r.get(0))?,
        c.query_row("PRAGMA page_size", [], |r| r.get(0))?,
    ))
}

pub fn like_contains(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    readers: r2d2::Pool<SqliteConnectionManager>,
    writer: Mutex<Connection>,
    path: PathBuf,
    /// Committed writes by this process; caches re-check the data when it moves.
    commits: AtomicU64,
}

#[derive(Debug)]
struct ReaderInit;

impl r2d2::CustomizeConnection<Connection, rusqlite::Error> for ReaderInit {
    fn on_acquire(&self, c: &mut Connection) -> Result<(), rusqlite::Error> {
        configure(c)?;
        // Readers can never write, whatever a caller tries.
        c.execute_batch("PRAGMA query_only = ON;")
    }
}

impl Db {
    /// Opens (creating if needed) the shop database, applies the schema or migrations, and
    /// refuses a database made by a newer Cornershop.
    pub fn open(path: &Path) -> Result<Db, String> {
        let mut writer = Connection::open(path)
            .map_err(|e| format!("cannot open database {}: {e}", path.display()))?;
        writer
            .execute_batch("PRAGMA journal_mode = WAL;")
            .and_then(|_| configure(&writer))
            .map_err(|e| format!("cannot use database {}: {e}", path.display()))?;
        migrate::bring_up_to_date(&mut writer, path)?;

        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX);
        let readers = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            // A local file does not drop connections; checking each checkout costs a query.
            .test_on_check_out(false)
            .connection_customizer(Box::new(ReaderInit))
            .build(manager)
            .map_err(|e| format!("cannot open database readers for {}: {e}", path.display()))?;
        Ok(Db {
            inner: Arc::new(Inner {
                readers,
                writer: Mutex::new(writer),
                path: path.to_path_buf(),
                commits: AtomicU64::new(0),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// How many write transactions this process has committed so far.
    pub fn commits(&self) -> u64 {
        self.inner.commits.load(Ordering::Acquire)
    }

    /// Runs `f` with a read-only connection, off the async threads.
    pub async fn read<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> AppResult<T> + Send + 'static,
    {
        let db = self.clone();
        off_thread(move || db.read_blocking(f)).await?
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the single writer, off the async
    /// threads. `Err` rolls everything back.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> AppResult<T> + Send + 'static,
    {
        let db = self.clone();
        off_thread(move || db.write_blocking(f)).await?
    }

    /// `read` for code that is already on a blocking thread (CLI, jobs).
    pub fn read_blocking<T>(&self, f: impl FnOnce(&Connection) -> AppResult<T>) -> AppResult<T> {
        let conn = self.inner.readers.get()?;
        f(&conn)
    }

    /// `write` for code that is already on a blocking thread (CLI, jobs).
    pub fn write_blocking<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> AppResult<T>,
    ) -> AppResult<T> {
        // A panic while holding the lock leaves no transaction open (it rolled back on
        // drop), so the connection is still good to use.
        let mut conn = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        self.inner.commits.fetch_add(1, Ordering::AcqRel);
        Ok(out)
    }
}

/// Runs `job` on the blocking threads and hands back its result (a panic in it is an
/// internal error). The job goes to tokio boxed, as one task type: a `spawn_blocking` per
/// closure type compiled tokio's task machinery once for every query in the shop (about
/// 200 copies, over a megabyte of the release binary).
pub async fn off_thread<T: Send + 'static>(
    job: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    let (tx, rx) = rocket::tokio::sync::oneshot::channel();
    run_boxed(Box::new(move || {
        // The receiver is gone only if the request was dropped; nobody wants the answer.
        let _ = tx.send(job());
    }))
    .await?;
    rx.await.map_err(AppError::internal)
}

async fn run_boxed(task: Box<dyn FnOnce() + Send>) -> AppResult<()> {
    rocket::tokio::task::spawn_blocking(task)
        .await
        .map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let res: AppResult<()> = db.write_blocking(|tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('shop.name', 'X')",
                [],
            )?;
            Err(AppError::Invalid("no".into()))
        });
        assert!(res.is_err());
        let n: i64 = db
            .read_blocking(|c| Ok(c.query_row("SELECT count(*) FROM settings", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_contains("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn readers_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let res = db.read_blocking(|c| {
            c.execute("INSERT INTO settings (key, value) VALUES ('a', 'b')", [])?;
            Ok(())
        });
        assert!(res.is_err());
    }

    #[test]
    fn pragmas_are_set_on_every_connection() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let (mode, fk, sync): (String, i64, i64) = db
            .read_blocking(|c| {
                Ok((
                    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                    c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
                    c.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
                ))
            })
            .unwrap();
        assert_eq!((mode.as_str(), fk, sync), ("wal", 1, 2));
    }
}
