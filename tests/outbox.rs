//! The back-office outbox: every queued mail is visible, and a failed one can be retried
//! by a role that may update the outbox.

mod common;
use common::{TestApp, OWNER_PW};
use cornershop::mail::{queue, NewMail};

fn queue_mail(app: &TestApp, subject: &str) -> i64 {
    let now = app.clock.now();
    app.db
        .write_blocking(|tx| {
            queue(
                tx,
                &NewMail {
                    template: "welcome",
                    to_address: "mira@tea.test",
                    to_name: "Mira",
                    subject,
                    text: "Hello <Mira>",
                    html: "<p>Hello</p>",
                },
                now,
            )
        })
        .unwrap()
}

#[test]
fn the_owner_sees_every_mail_and_can_retry_a_failed_one() {
    let app = TestApp::ready();
    let welcome = queue_mail(&app, "Welcome to the shop");
    let failed = queue_mail(&app, "Your order");
    app.sql(|c| c.execute("UPDATE mail_outbox SET status = 'failed', attempts = 8, last_error = 'connection refused' WHERE id = ?1", [failed]));
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);

    let list = app.get("/admin/outbox");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Welcome to the shop") && list.body.contains("Your order"));
    assert!(list.body.contains("connection refused"));
    let only_failed = app.get("/admin/outbox?status=failed");
    assert!(!only_failed.body.contains("Welcome to the shop"));

    let detail = app.get(&format!("/admin/outbox/{welcome}"));
    assert!(
        detail.body.contains("Hello &lt;Mira&gt;"),
        "the body is shown, escaped"
    );
    assert!(
        !detail.body.contains("Retry now"),
        "a queued mail has nothing to retry"
    );

    let page = format!("/admin/outbox/{failed}");
    let res = app.post_form(&page, &format!("/admin/outbox/{failed}/retry"), &[]);
    assert_eq!(res.status, 303, "{}", res.body);
    let status: String = app.sql(|c| {
        c.query_row(
            "SELECT status FROM mail_outbox WHERE id = ?1",
            [failed],
            |r| r.get(0),
        )
    });
    assert_eq!(status, "queued");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'mail.retried'"),
        1
    );

    // Retrying again (no longer failed) is refused with the reason, and changes nothing.
    let again = app.post_csrf(&page, &format!("/admin/outbox/{failed}/retry"), &[]);
    assert_eq!(again.status, 409);
    assert!(again.body.contains("Only a failed mail can be retried"));
    assert_eq!(app.get("/admin/outbox/99999").status, 404);
}

#[test]
fn a_viewer_reads_the_outbox_but_cannot_retry() {
    let app = TestApp::ready();
    let failed = queue_mail(&app, "Your order");
    app.sql(|c| {
        c.execute(
            "UPDATE mail_outbox SET status = 'failed' WHERE id = ?1",
            [failed],
        )
    });
    app.login_as("Viewer");
    let page = format!("/admin/outbox/{failed}");
    let detail = app.get(&page);
    assert_eq!(detail.status, 200);
    assert!(
        !detail.body.contains("Retry now"),
        "no button for a role without update"
    );
    let res = app.post_csrf(&page, &format!("/admin/outbox/{failed}/retry"), &[]);
    assert_eq!(res.status, 403);
    let status: String = app.sql(|c| {
        c.query_row(
            "SELECT status FROM mail_outbox WHERE id = ?1",
            [failed],
            |r| r.get(0),
        )
    });
    assert_eq!(status, "failed");
}
