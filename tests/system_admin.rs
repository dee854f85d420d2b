//! The system page: health, every job with its last run and errors, the mail queue's
//! depth, database size, version and the last backup; only for roles that read `system`.

mod common;

use std::sync::Arc;

use common::settings_admin::login_owner;
use common::TestApp;

fn queue_mail(app: &TestApp, to: &str) {
    let now = app.clock.now();
    app.db
        .write_blocking(|tx| {
            cornershop::mail::queue(
                tx,
                &cornershop::mail::NewMail {
                    template: "test",
                    to_address: to,
                    to_name: "",
                    subject: "Hello",
                    text: "Hi",
                    html: "",
                },
                now,
            )
        })
        .unwrap();
}

/// The number shown in the stat marked `data-queue="NAME"`.
fn stat(body: &str, name: &str) -> String {
    let needle = format!("data-queue=\"{name}\">");
    let at = body.find(&needle).expect("the stat") + needle.len();
    body[at..].split('<').next().unwrap().trim().to_string()
}

#[test]
fn the_system_page_shows_health_jobs_queue_depth_size_and_backups() {
    let app = TestApp::ready();
    login_owner(&app);
    let page = app.get("/admin/system");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("All systems working"));
    assert_eq!(stat(&page.body, "queued"), "0");
    assert!(page.body.contains("never"), "no backup yet");
    assert!(page.body.contains(env!("CARGO_PKG_VERSION")));
    assert!(page.body.contains(&app.data_dir().display().to_string()));
    for job in cornershop::schedule::JOBS {
        assert!(page
            .body
            .contains(&format!("<code class=\"key\">{}</code>", job.name)));
    }

    // Three mails queued: the page counts them.
    for to in ["a@x.test", "b@x.test", "c@x.test"] {
        queue_mail(&app, to);
    }
    let page = app.get("/admin/system");
    assert_eq!(stat(&page.body, "queued"), "3");
    assert_eq!(stat(&page.body, "failed"), "0");
    // Those writes sit in the write-ahead log, and the page sees its file.
    let wal = std::fs::metadata(app.data_dir().join("shop.db-wal")).map_or(0, |m| m.len());
    assert!(wal > 0, "the shop writes ahead");
    let shown = page
        .body
        .split("<dt>Write-ahead log</dt>")
        .nth(1)
        .and_then(|r| r.split("</dd>").next())
        .expect("the write-ahead log fact");
    assert!(
        !shown.ends_with(">0 bytes"),
        "the WAL size is read: {shown}"
    );

    // A recorded pass of the mail job (to the outbox) and a failed run of another job.
    let ctx = cornershop::jobs::JobCtx {
        db: app.db.clone(),
        clock: app.clock.clone(),
        data_dir: app.data_dir(),
        secret: Arc::new(app.secret()),
    };
    let job = cornershop::schedule::JOBS
        .iter()
        .find(|j| j.name == "mail_queue")
        .unwrap();
    cornershop::jobs::run_and_record(job, &ctx).unwrap();
    app.sql(|c| {
        c.execute(
            "INSERT INTO job_runs (job, started_at, finished_at, outcome, summary)
             VALUES ('cart_cleanup', '2026-01-02T03:04:00Z', '2026-01-02T03:04:05Z', 'error', 'disk full')",
            [],
        )
    });
    app.set_setting("jobs.cart_cleanup.interval_seconds", "7200");
    // And a backup file.
    std::fs::write(
        app.data_dir().join("backups").join("shop-2026.db"),
        vec![0u8; 2048],
    )
    .unwrap();

    let page = app.get("/admin/system");
    assert_eq!(stat(&page.body, "queued"), "0", "sent by the job");
    assert!(
        page.body.contains("3 sent, 0 to retry, 0 failed"),
        "{}",
        page.body
    );
    assert!(page.body.contains("disk full"));
    assert!(page.body.contains("2026-01-02 03:04:05"));
    assert!(page.body.contains("2 h"), "the interval from settings");
    assert!(page.body.contains("shop-2026.db, 2.0 KB"), "{}", page.body);
    assert!(!page.body.contains(">never<"));
}

#[test]
fn only_roles_that_read_system_see_it() {
    let app = TestApp::ready();
    app.login_as("Manager");
    assert_eq!(
        app.get("/admin/system").status,
        200,
        "the Manager reads system"
    );
    let courier = TestApp::ready();
    courier.login_as("Courier");
    assert_eq!(courier.get("/admin/system").status, 403);
}
