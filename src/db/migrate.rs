//! Schema versions. A fresh database gets `schema.sql` (always the current schema) and
//! `user_version = SCHEMA_VERSION`. An older one gets each `migrations/NNN_*.sql` above its
//! version, all in one transaction. A newer one is refused: this binary cannot know what
//! the newer schema means.

use std::path::Path;

use rusqlite::Connection;

pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Upgrades, in order; `MIGRATIONS[i]` takes version i+1 to i+2. Every migration also
/// updates schema.sql, so a fresh database equals an upgraded one.
pub const MIGRATIONS: &[(&str, &str)] = &[];

/// The schema version this binary writes: 1 for schema.sql's first release, plus one per
/// migration since.
pub const SCHEMA_VERSION: i64 = 1 + MIGRATIONS.len() as i64;

pub fn bring_up_to_date(conn: &mut Connection, path: &Path) -> Result<(), String> {
    let fail = |e: rusqlite::Error| format!("cannot prepare database {}: {e}", path.display());
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    if version > SCHEMA_VERSION {
        return Err(format!(
            "database {} was written by a newer Cornershop (schema version {version}; this \
             binary knows up to {SCHEMA_VERSION}). Upgrade Cornershop, or restore a backup \
             made by this version.",
            path.display()
        ));
    }
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction().map_err(fail)?;
    if version == 0 {
        let tables: i64 = tx
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(fail)?;
        if tables > 0 {
            return Err(format!(
                "{} is not a Cornershop database (it has tables but no Cornershop schema version).",
                path.display()
            ));
        }
        tx.execute_batch(SCHEMA).map_err(fail)?;
    } else {
        for (name, sql) in &MIGRATIONS[(version - 1) as usize..] {
            tx.execute_batch(sql)
                .map_err(|e| format!("migration {name} failed on {}: {e}", path.display()))?;
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(fail)?;
    tx.commit().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_from_a_newer_version_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let mut c = Connection::open(&path).unwrap();
        bring_up_to_date(&mut c, &path).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = bring_up_to_date(&mut c, &path).unwrap_err();
        assert!(err.contains("newer Cornershop"), "{err}");
    }

    #[test]
    fn a_foreign_database_is_not_touched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let mut c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE t (x)").unwrap();
        let err = bring_up_to_date(&mut c, &path).unwrap_err();
        assert!(err.contains("not a Cornershop database"), "{err}");
    }
}
