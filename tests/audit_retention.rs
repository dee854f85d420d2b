//! The audit log is aged out, never emptied: the daily job writes the entries older than
//! `audit.retention_days` to a compressed CSV under exports/, then deletes them and records
//! that it did; the database refuses to delete anything younger, whoever asks.

mod common;

use std::io::Read;

use common::TestApp;
use rusqlite::Connection;

/// Adds an audit entry `days_ago` days before now (real time, as the trigger sees it).
fn entry(app: &TestApp, days_ago: i64, label: &str) -> i64 {
    app.sql(|c| {
        c.execute(
            "INSERT INTO audit_log (at, subsystem, action, actor_kind, actor_label, details)
             VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1), 'test', 'test.entry', 'system', ?2, '{\"n\":1}')",
            rusqlite::params![format!("-{days_ago} days"), label],
        )?;
        Ok(c.last_insert_rowid())
    })
}

fn run_job(app: &TestApp) -> Option<String> {
    let ctx = cornershop::jobs::JobCtx {
        db: app.db.clone(),
        clock: app.clock.clone(),
        data_dir: app.data_dir(),
        secret: std::sync::Arc::new(app.secret()),
    };
    let job = cornershop::schedule::JOBS
        .iter()
        .find(|j| j.name == "audit_retention")
        .expect("the retention job");
    (job.run)(&ctx).expect("a pass runs")
}

fn archives(app: &TestApp) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(app.data_dir().join("exports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".csv.gz"))
        .collect();
    v.sort();
    v
}

fn gunzip(path: &std::path::Path) -> String {
    let mut s = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn delete(app: &TestApp, id: i64) -> Result<usize, String> {
    let c = Connection::open(app.data_dir().join("shop.db")).unwrap();
    c.execute("DELETE FROM audit_log WHERE id = ?1", [id])
        .map_err(|e| e.to_string())
}

#[test]
fn old_entries_are_archived_then_deleted_and_recent_ones_stay() {
    let app = TestApp::ready();
    let old = entry(&app, 400, "=HYPERLINK(\"http://evil\")");
    let older = entry(&app, 500, "Olive Owner");
    let recent = entry(&app, 10, "Recent");
    let before = app.count("SELECT count(*) FROM audit_log");

    let summary = run_job(&app).expect("something was old");
    assert!(
        summary.starts_with("2 audit entries older than 365 days moved to exports/audit-"),
        "{summary}"
    );

    let files = archives(&app);
    assert_eq!(files.len(), 1, "{files:?}");
    let csv = gunzip(&files[0]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,at,subsystem,action,outcome,actor_kind,actor_id,actor_label,ip,entity_type,entity_id,details"
    );
    assert_eq!(lines.len(), 3, "a header and the two old entries: {csv}");
    assert!(
        lines[1].starts_with(&format!("{old},")),
        "in the order they were written: {csv}"
    );
    assert!(lines[2].starts_with(&format!("{older},")), "{csv}");
    assert!(
        lines[1].contains("'=HYPERLINK"),
        "a formula-like cell is neutralised: {csv}"
    );
    assert!(
        lines[1].contains("{\"\"n\"\":1}"),
        "details kept as they were: {csv}"
    );

    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE id IN ({old}, {older})"
        )),
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE id = {recent}"
        )),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log"),
        before - 2 + 1,
        "the two went, the pruning itself was recorded"
    );
    let details: String = app.sql(|c| {
        c.query_row(
            "SELECT details FROM audit_log WHERE action = 'audit.pruned'",
            [],
            |r| r.get(0),
        )
    });
    let d: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(d["rows"], 2);
    assert_eq!(
        d["file"],
        files[0].file_name().unwrap().to_string_lossy().as_ref()
    );

    // Nothing old left: the next pass does nothing and writes no file.
    assert_eq!(run_job(&app), None);
    assert_eq!(archives(&app).len(), 1);
}

#[test]
fn the_database_refuses_to_delete_an_entry_younger_than_the_retention() {
    let app = TestApp::ready();
    let recent = entry(&app, 45, "Recent");
    let err = delete(&app, recent).unwrap_err();
    assert!(err.contains("younger than the retention period"), "{err}");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE id = {recent}"
        )),
        1
    );
    let refused = app.sql(|c| {
        Ok(c.execute(
            "UPDATE audit_log SET action = 'rewritten' WHERE id = ?1",
            [recent],
        )
        .is_err())
    });
    assert!(refused, "nor can an entry be rewritten");

    // A shorter retention makes the same entry old: then the job moves it out.
    app.set_setting("audit.retention_days", "30");
    let summary = run_job(&app).expect("it is old now");
    assert!(
        summary.starts_with("1 audit entry older than 30 days"),
        "{summary}"
    );
    let csv = gunzip(&archives(&app)[0]);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("{recent},")),
        "{csv}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_log WHERE id = {recent}"
        )),
        0
    );
}

#[test]
fn the_retention_is_a_setting_on_the_jobs_page() {
    let app = TestApp::ready();
    common::products::login_owner(&app);
    let page = "/admin/settings/jobs";
    let res = app.post_form(page, page, &[("retention_days", "90")]);
    assert_eq!(res.status, 303, "{}", res.body);
    let stored: String = app.sql(|c| {
        c.query_row(
            "SELECT value FROM settings WHERE key = 'audit.retention_days'",
            [],
            |r| r.get(0),
        )
    });
    assert_eq!(stored, "90");
    let res = app.post_form(page, page, &[("retention_days", "0")]);
    assert_eq!(res.status, 422, "at least a day");
}
