//! Schema versions. A fresh database gets `schema.sql` (always the current schema) and
//! `user_version = SCHEMA_VERSION`. An older one is first copied whole into `backups/`,
//! then gets each `migrations/NNN_*.sql` above its version, all in one transaction: a
//! step that fails rolls everything back, is named in the error, and the shop does not
//! start. A newer one is refused: this binary cannot know what the newer schema means.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

pub const SCHEMA: &str = include_str!("../../schema.sql");

/// One upgrade: its file name and its SQL.
pub type Migration = (&'static str, &'static str);

/// Upgrades, in order; `MIGRATIONS[i]` takes version i+1 to i+2. Every migration also
/// updates schema.sql, so a fresh database equals an upgraded one (tests/migrations.rs).
pub const MIGRATIONS: &[Migration] = &[
    (
        "001_audit_retention.sql",
        include_str!("../../migrations/001_audit_retention.sql"),
    ),
    (
        "002_promotions.sql",
        include_str!("../../migrations/002_promotions.sql"),
    ),
    (
        "003_vouchers.sql",
        include_str!("../../migrations/003_vouchers.sql"),
    ),
    (
        "004_target_groups.sql",
        include_str!("../../migrations/004_target_groups.sql"),
    ),
    (
        "005_campaigns.sql",
        include_str!("../../migrations/005_campaigns.sql"),
    ),
];

/// The schema version this binary writes: 1 for schema.sql's first release, plus one per
/// migration since.
pub const SCHEMA_VERSION: i64 = 1 + MIGRATIONS.len() as i64;

pub fn bring_up_to_date(conn: &mut Connection, path: &Path) -> Result<(), String> {
    upgrade(conn, path, MIGRATIONS)
}

/// `bring_up_to_date` with the migrations given (tests inject a failing one).
pub fn upgrade(conn: &mut Connection, path: &Path, migrations: &[Migration]) -> Result<(), String> {
    let target = 1 + migrations.len() as i64;
    let fail = |e: rusqlite::Error| format!("cannot prepare database {}: {e}", path.display());
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(fail)?;
    if version > target {
        return Err(format!(
            "database {} was written by a newer Cornershop (schema version {version}; this \
             binary knows up to {target}). Upgrade Cornershop, or restore a backup \
             made by this version.",
            path.display()
        ));
    }
    if version == target {
        return Ok(());
    }
    if version > 0 {
        let copy = backup_before(conn, path, version)?;
        tracing::info!(
            "database schema {version} is older than {target}: copied it to {} before migrating",
            copy.display()
        );
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
        for (name, sql) in &migrations[(version - 1) as usize..] {
            // Dropping `tx` on the way out rolls every step back: nothing half-migrated.
            tx.execute_batch(sql).map_err(|e| {
                format!(
                    "migration {name} failed on {}: {e}. Nothing was changed; the copy made \
                     before migrating is in the backups folder.",
                    path.display()
                )
            })?;
        }
        let broken: i64 = tx
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .map_err(fail)?;
        if broken > 0 {
            return Err(format!(
                "the migrations left {broken} broken reference(s) in {}; nothing was changed.",
                path.display()
            ));
        }
    }
    tx.pragma_update(None, "user_version", target)
        .map_err(fail)?;
    tx.commit().map_err(fail)
}

/// A consistent copy of the database in `backups/` next to it, written to disk before
/// the migration starts: `shop-v1-before-migration-20261206T140000Z.db`.
fn backup_before(conn: &Connection, path: &Path, version: i64) -> Result<PathBuf, String> {
    let dir = path.parent().unwrap_or(Path::new(".")).join("backups");
    std::fs::create_dir_all(&dir).map_err(|e| {
        format!(
            "cannot create {} for the copy before migrating: {e}",
            dir.display()
        )
    })?;
    let stamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_default();
    let mut copy = dir.join(format!("shop-v{version}-before-migration-{stamp}.db"));
    let mut n = 1;
    while copy.exists() {
        n += 1;
        copy = dir.join(format!("shop-v{version}-before-migration-{stamp}-{n}.db"));
    }
    let refuse = |e: String| {
        format!(
            "cannot copy {} to {} before migrating, so it was not migrated: {e}",
            path.display(),
            copy.display()
        )
    };
    conn.execute("VACUUM INTO ?1", [copy.to_string_lossy()])
        .map_err(|e| refuse(e.to_string()))?;
    std::fs::File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(|e| refuse(e.to_string()))?;
    Ok(copy)
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

    /// A shop at version 1 with one row, in `dir/shop.db`.
    fn v1_shop(dir: &Path) -> (PathBuf, Connection) {
        let path = dir.join("shop.db");
        let mut c = Connection::open(&path).unwrap();
        upgrade(&mut c, &path, &[]).unwrap();
        c.execute(
            "INSERT INTO settings (key, value) VALUES ('shop.name', 'Tea')",
            [],
        )
        .unwrap();
        (path, c)
    }

    #[test]
    fn a_failing_migration_changes_nothing_names_its_step_and_leaves_a_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut c) = v1_shop(dir.path());
        let steps: &[Migration] = &[
            (
                "001_fine.sql",
                "CREATE TABLE added_by_one (x); UPDATE settings SET value = 'Changed';",
            ),
            ("002_broken.sql", "ALTER TABLE no_such_table ADD COLUMN y;"),
        ];
        let err = upgrade(&mut c, &path, steps).unwrap_err();
        assert!(err.contains("migration 002_broken.sql failed"), "{err}");
        assert!(err.contains("no such table: no_such_table"), "{err}");
        let version: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 1, "still version 1");
        let name: String = c
            .query_row(
                "SELECT value FROM settings WHERE key = 'shop.name'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(name, "Tea", "the first step was rolled back too");
        let added: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'added_by_one'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(added, 0);
        let copies: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(copies.len(), 1, "{copies:?}");
        assert!(
            copies[0].starts_with("shop-v1-before-migration-"),
            "{copies:?}"
        );
    }

    #[test]
    fn a_migration_runs_after_a_copy_of_the_old_database_is_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let (path, mut c) = v1_shop(dir.path());
        let steps: &[Migration] = &[(
            "001_more.sql",
            "UPDATE settings SET value = 'New' WHERE key = 'shop.name';",
        )];
        upgrade(&mut c, &path, steps).unwrap();
        let version: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 2);
        let copy = std::fs::read_dir(dir.path().join("backups"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let old = Connection::open(&copy).unwrap();
        let (v, name): (i64, String) = old
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version), value FROM settings WHERE key = 'shop.name'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (v, name.as_str()),
            (1, "Tea"),
            "the copy is the database as it was"
        );
        // Already current: no second copy.
        upgrade(&mut c, &path, steps).unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path().join("backups"))
                .unwrap()
                .count(),
            1
        );
    }
}
