//! Campaigns: a draft written through the back-office form, previewed with a real
//! member's data, sent to oneself as a test, then sent to a target group through the mail
//! queue to a real SMTP server; members who opted out (account page, the one-click link,
//! the API) are passed over; a campaign cut short resumes without mailing anyone twice,
//! and the real binary killed mid-send (kill -9) sends nobody a second mail.

mod common;

use std::collections::BTreeSet;

use common::accounts::{verified_customer, Browser, CUSTOMER_PW};
use common::html::unescape;
use common::products::{api, login_owner};
use common::smtp::{Received, SmtpServer};
use common::TestApp;
use rusqlite::params;
use serde_json::json;

/// A customer made through the register form and verified; deactivated if not `active`.
fn member(app: &TestApp, email: &str, first: &str, active: bool) -> i64 {
    verified_customer(app, email);
    app.sql(|c| {
        c.execute(
            "UPDATE customers SET first_name = ?2, active = ?3 WHERE email = ?1",
            params![email, first, active],
        )
    });
    customer_id(app, email)
}

fn customer_id(app: &TestApp, email: &str) -> i64 {
    app.sql(|c| {
        c.query_row("SELECT id FROM customers WHERE email = ?1", [email], |r| {
            r.get(0)
        })
    })
}

/// Saves a target group of the customers whose email contains `email`, through the filter
/// form and the create form; its id.
fn group(app: &TestApp, email: &str, name: &str) -> i64 {
    let mut form = app.form("/admin/target-groups/new", "/admin/target-groups/new");
    form.fill(&[("email", email)]);
    let found = app.submit(&form);
    assert_eq!(found.status, 200, "{}", found.body);
    let res = app.post_form_on(&found, "/admin/target-groups", &[("group_name", name)]);
    assert_eq!(res.status, 303, "{}", res.body);
    app.sql(|c| {
        c.query_row(
            "SELECT id FROM target_groups WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
    })
}

/// Writes a campaign through the new-campaign form; its page's path.
fn draft(app: &TestApp, group: i64, title: &str, message: &str, link: &str) -> String {
    let g = group.to_string();
    let res = app.post_form(
        "/admin/campaigns/new",
        "/admin/campaigns",
        &[
            ("group", &g),
            ("title", title),
            ("message", message),
            ("link", link),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    res.header("location").unwrap().to_string()
}

fn run_marketing(app: &TestApp) -> Option<String> {
    cornershop::marketing::run_once(&app.db, &app.secret(), app.clock.now()).unwrap()
}

fn campaign_id(path: &str) -> i64 {
    path.rsplit('/').next().unwrap().parse().unwrap()
}

/// Each message the SMTP server got, by recipient.
fn inbox(server: &SmtpServer, n: usize) -> Vec<Received> {
    (0..n).map(|_| server.expect_message()).collect()
}

#[test]
fn a_campaign_is_previewed_tested_and_sent_once_to_each_member_who_wants_it() {
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    let ann = member(&app, "ann@people.test", "Ann", true);
    let bob = member(&app, "bob@people.test", "Bob", true);
    member(&app, "cara@people.test", "Cara", true);
    member(&app, "dan@people.test", "Dan", false);
    // Cara says no to news and offers on her account page.
    let cara = Browser::new(&app);
    assert_eq!(
        cara.login("cara@people.test", CUSTOMER_PW).status,
        303,
        "cara logs in"
    );
    let res = cara.post_form("/account", "/account/marketing", &[("news", "")]);
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(unescape(&cara.follow(&res).body).contains("no more news and offers"));
    login_owner(&app);
    let cara_id = customer_id(&app, "cara@people.test");
    let cara_page = unescape(&app.get(&format!("/admin/customers/{cara_id}")).body);
    assert!(
        cara_page.contains("News and offers by mail: <strong>no</strong>"),
        "{cara_page}"
    );
    let ann_page = unescape(&app.get(&format!("/admin/customers/{ann}")).body);
    assert!(ann_page.contains("News and offers by mail: <strong>yes</strong>"));
    // The registration mails go to the outbox folder first.
    app.run_mail_job();
    let g = group(&app, "@people.test", "People");

    // Bad input changes nothing and says why, at the field.
    let bad = app.post_form(
        "/admin/campaigns/new",
        "/admin/campaigns",
        &[
            ("group", &g.to_string()),
            ("title", "  "),
            ("message", "Hello"),
            ("link", "javascript:alert(1)"),
        ],
    );
    assert_eq!(bad.status, 422);
    let body = unescape(&bad.body);
    assert!(body.contains("Give the campaign a title"), "{body}");
    assert!(body.contains("Enter a full address"), "{body}");
    assert!(body.contains("Hello"), "the typed message is kept");
    assert_eq!(app.count("SELECT count(*) FROM campaigns"), 0);

    let page = draft(
        &app,
        g,
        "Autumn teas have arrived",
        "Smoky lapsang is back.\n\nShipping is free this week.",
        "/c/teas",
    );
    let id = campaign_id(&page);

    // The preview shows a real member's data: the first one reachable, or the one chosen.
    let shown = app.get(&page);
    assert_eq!(shown.status, 200);
    let preview = format!("{page}/preview?member={ann}");
    assert!(
        shown.body.contains(&preview),
        "the frame shows ann first: {}",
        shown.body
    );
    assert!(
        !shown.body.contains("cara@people.test") && !shown.body.contains("dan@people.test"),
        "members the campaign would not reach are not offered for the preview"
    );
    let as_ann = unescape(&app.get(&preview).body);
    assert!(as_ann.contains("Hello Ann,"), "{as_ann}");
    assert!(as_ann.contains("ann@people.test"));
    assert!(as_ann.contains("Autumn teas have arrived"));
    assert!(as_ann.contains(&format!("{}/c/teas", app.base)), "{as_ann}");
    let as_bob = unescape(&app.get(&format!("{page}/preview?member={bob}")).body);
    assert!(as_bob.contains("Hello Bob,"), "{as_bob}");

    // A test to oneself, with bob's data (the preview's choice), marked and harmless.
    let chosen = app.get(&format!("{page}?member={bob}"));
    let res = app.post_form_on(&chosen, &format!("{page}/test"), &[]);
    assert_eq!(res.status, 303, "{}", res.body);
    let (to, subject, unsubscribe): (String, String, String) = app.sql(|c| {
        c.query_row(
            "SELECT to_address, subject, unsubscribe_url FROM mail_outbox WHERE template = 'campaign'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    });
    assert_eq!(to, "owner@shop.test");
    assert_eq!(subject, "[Test] Autumn teas have arrived");
    assert!(
        unsubscribe.ends_with("/unsubscribe/0/test"),
        "{unsubscribe}"
    );
    assert_eq!(app.count("SELECT count(*) FROM campaign_recipients"), 0);

    // Send: the job queues one mail per member who wants it.
    let shown = app.get(&page);
    let res = app.post_form_on(&shown, &format!("{page}/send"), &[]);
    assert_eq!(res.status, 303, "{}", res.body);
    let group_page = format!("/admin/target-groups/{g}");
    let shown_group = unescape(&app.get(&group_page).body);
    assert!(shown_group.contains("A campaign is being sent to this group's members"));
    assert!(
        !shown_group.contains("Refresh from the filter"),
        "no refresh button meanwhile"
    );
    // A refresh sent anyway (an old tab) is refused.
    let res = app.post_csrf(&group_page, &format!("{group_page}/refresh"), &[]);
    assert_eq!(res.status, 303);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'target_group.refreshed'"),
        0,
        "the group cannot change while the campaign is sent"
    );
    assert_eq!(
        run_marketing(&app).as_deref(),
        Some("4 campaign recipient(s) handled")
    );
    assert_eq!(run_marketing(&app), None, "nothing is left to do");
    let rows: Vec<(String, String, bool)> = app.sql(|c| {
        let mut s = c.prepare(
            "SELECT c.email, r.skipped, r.mail_id IS NOT NULL FROM campaign_recipients r
             JOIN customers c ON c.id = r.customer_id WHERE r.campaign_id = ?1 ORDER BY c.email",
        )?;
        let rows = s
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect();
        rows
    });
    assert_eq!(
        rows,
        vec![
            ("ann@people.test".into(), "".into(), true),
            ("bob@people.test".into(), "".into(), true),
            ("cara@people.test".into(), "opted_out".into(), false),
            ("dan@people.test".into(), "inactive".into(), false),
        ]
    );

    // Through a real SMTP server: the test and the two members' mails, each once.
    let server = SmtpServer::start();
    app.use_smtp(&server);
    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("3 sent, 0 to retry, 0 failed")
    );
    let mut got = inbox(&server, 3);
    got.sort_by(|a, b| a.to.cmp(&b.to));
    let to: Vec<String> = got.iter().map(|m| m.to.join(",")).collect();
    assert_eq!(
        to,
        ["ann@people.test", "bob@people.test", "owner@shop.test"]
    );
    let ann_mail = &got[0];
    let key_url = ann_mail
        .header("List-Unsubscribe")
        .expect("a List-Unsubscribe header");
    assert!(
        key_url.starts_with(&format!("<{}/unsubscribe/{ann}/", app.base)),
        "{key_url}"
    );
    assert_eq!(
        ann_mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(
        ann_mail.header("Subject").as_deref(),
        Some("Autumn teas have arrived")
    );

    let progress = app.get(&format!("{page}/progress")).json();
    assert_eq!(progress["state"], "done");
    assert_eq!(progress["mailed"], 2);
    assert_eq!(progress["opted_out"], 1);
    assert_eq!(progress["inactive"], 1);
    assert_eq!(progress["mails_sent"], 2);
    assert_eq!(progress["mails_queued"], 0);

    // A campaign that went out stays as it was.
    let edit = app.get(&format!("{page}/edit"));
    assert_eq!(edit.status, 303, "a sent campaign's form is not offered");
    let res = app.post_csrf(&page, &format!("{page}/delete"), &[]);
    assert_eq!(res.status, 303);
    assert_eq!(
        app.count("SELECT count(*) FROM campaigns"),
        1,
        "not deleted"
    );
    for action in [
        "campaign.created",
        "campaign.test_sent",
        "campaign.started",
        "campaign.finished",
    ] {
        app.flush_audit();
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}'"
            )),
            1,
            "{action}"
        );
    }
    let list = unescape(&app.get("/admin/campaigns").body);
    assert!(
        list.contains("Autumn teas have arrived") && list.contains("2 of 2"),
        "{list}"
    );
}

/// The unsubscribe link of `customer`'s campaign mail, as the outbox holds it.
fn link_of(app: &TestApp, email: &str) -> String {
    let url: String = app.sql(|c| {
        c.query_row(
            "SELECT unsubscribe_url FROM mail_outbox WHERE to_address = ?1 AND template = 'campaign'",
            [email],
            |r| r.get(0),
        )
    });
    url.strip_prefix(&app.base)
        .expect("the shop's own address")
        .to_string()
}

fn opted_out(app: &TestApp, email: &str) -> bool {
    app.count(&format!(
        "SELECT count(*) FROM customers WHERE email = '{email}' AND marketing_opt_out_at IS NOT NULL"
    )) == 1
}

#[test]
fn one_click_unsubscribes_without_a_login_and_the_account_and_api_can_undo_it() {
    let app = TestApp::ready();
    common::accounts::no_captcha(&app);
    member(&app, "ann@people.test", "Ann", true);
    member(&app, "bob@people.test", "Bob", true);
    login_owner(&app);
    let g = group(&app, "@people.test", "People");
    let page = draft(&app, g, "News", "Hello", "");
    let shown = app.get(&page);
    assert_eq!(
        app.post_form_on(&shown, &format!("{page}/send"), &[])
            .status,
        303
    );
    run_marketing(&app);

    // Ann follows her link in a browser that never logged in: one button, then done.
    let ann_link = link_of(&app, "ann@people.test");
    let stranger = Browser::new(&app);
    let ask = stranger.get(&ann_link);
    assert_eq!(ask.status, 200);
    let body = unescape(&ask.body);
    assert!(
        body.contains("Unsubscribe?") && body.contains("a•••@people.test"),
        "{body}"
    );
    assert!(!opted_out(&app, "ann@people.test"), "a GET changes nothing");
    let done = stranger.submit(&ask, &ann_link, &[]);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(unescape(&done.body).contains("You are unsubscribed"));
    assert!(opted_out(&app, "ann@people.test"));
    assert!(unescape(&stranger.get(&ann_link).body).contains("You are unsubscribed"));

    // Bob's mail program sends RFC 8058's one-click POST: no cookie, no token.
    let bob_link = link_of(&app, "bob@people.test");
    let res = TestApp::collect(
        ureq::post(&format!("{}{bob_link}", app.base))
            .send_form(&[("List-Unsubscribe", "One-Click")]),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(opted_out(&app, "bob@people.test"));
    app.flush_audit();
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'marketing.opted_out'"),
        2
    );

    // A link with a wrong key, or another customer's id under someone's key, does nothing.
    let ann = customer_id(&app, "ann@people.test");
    let bob = customer_id(&app, "bob@people.test");
    app.sql(|c| c.execute("UPDATE customers SET marketing_opt_out_at = NULL", []));
    let key = ann_link.rsplit('/').next().unwrap();
    for forged in [
        format!("/unsubscribe/{ann}/{}x", &key[..key.len() - 1]),
        format!("/unsubscribe/{bob}/{key}"),
    ] {
        let res = TestApp::collect(ureq::post(&format!("{}{forged}", app.base)).call());
        assert_eq!(res.status, 404, "{forged}");
        assert!(unescape(&res.body).contains("This link does not work"));
    }
    // The link of tests and previews unsubscribes nobody.
    let test = stranger.get("/unsubscribe/0/test");
    assert!(unescape(&test.body).contains("This link came in a test"));
    assert_eq!(
        TestApp::collect(ureq::post(&format!("{}/unsubscribe/0/test", app.base)).call()).status,
        200
    );
    assert_eq!(
        app.count("SELECT count(*) FROM customers WHERE marketing_opt_out_at IS NOT NULL"),
        0,
        "nobody was unsubscribed by a forged or test link"
    );

    // On the account page the box shows the choice, and ticking it undoes an opt-out.
    stranger.post_form(&ann_link, &ann_link, &[]);
    assert!(opted_out(&app, "ann@people.test"));
    let browser = Browser::new(&app);
    assert_eq!(browser.login("ann@people.test", CUSTOMER_PW).status, 303);
    let account = browser.get("/account");
    let form = common::form::HtmlForm::find(&account.body, "/account", "/account/marketing");
    assert!(form.has("news"));
    assert!(
        !account
            .body
            .contains("name=\"news\" value=\"true\" aria-describedby=\"f-news-help\" checked"),
        "the box is not ticked for an opted-out customer"
    );
    let res = browser.post_form("/account", "/account/marketing", &[("news", "true")]);
    assert_eq!(res.status, 303);
    assert!(!opted_out(&app, "ann@people.test"));

    // The API reads and changes the same choice.
    let login = api(
        &app,
        "POST",
        "/api/v1/auth/login",
        Some(json!({ "email": "ann@people.test", "password": CUSTOMER_PW })),
        None,
    );
    assert_eq!(login.status, 200, "{}", login.body);
    let token = login.json()["token"].as_str().unwrap().to_string();
    let me = api(&app, "GET", "/api/v1/me", None, Some(&token)).json();
    assert_eq!(me["marketing_mail"], true);
    let res = api(
        &app,
        "PUT",
        "/api/v1/me/marketing",
        Some(json!({ "marketing_mail": false })),
        Some(&token),
    );
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(opted_out(&app, "ann@people.test"));
    assert_eq!(
        api(&app, "GET", "/api/v1/me", None, Some(&token)).json()["marketing_mail"],
        false
    );
    let res = api(
        &app,
        "PUT",
        "/api/v1/me/marketing",
        Some(json!({ "marketing_mail": "no" })),
        Some(&token),
    );
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(
        opted_out(&app, "ann@people.test"),
        "a refused body changes nothing"
    );
}

#[test]
fn a_campaign_cut_short_resumes_and_mails_each_member_once() {
    let app = TestApp::ready();
    app.sql(|c| {
        for i in 0..250 {
            c.execute(
                "INSERT INTO customers (email, password_hash, first_name, last_name, verified_at)
                 VALUES (?1, 'x', 'Many', 'Member', '2026-01-01T00:00:00Z')",
                [format!("m{i:03}@many.test")],
            )?;
        }
        Ok(())
    });
    login_owner(&app);
    let g = group(&app, "@many.test", "Many");
    let page = draft(
        &app,
        g,
        "News for many",
        "Hello",
        "https://blog.example/autumn",
    );
    let shown = app.get(&page);
    assert_eq!(
        app.post_form_on(&shown, &format!("{page}/send"), &[])
            .status,
        303
    );

    // The shop stops after the first batch (as a kill between two transactions leaves it).
    let secret = app.secret();
    let first =
        cornershop::marketing::campaigns::send::run_batches(&app.db, &secret, app.clock.now(), 1)
            .unwrap();
    assert_eq!(first, 100);
    let progress = app.get(&format!("{page}/progress")).json();
    assert_eq!(progress["state"], "sending");
    assert_eq!(progress["mailed"], 100);
    assert_eq!(progress["mails_queued"], 100);
    // It resumes with the members who have no mail yet.
    assert_eq!(
        run_marketing(&app).as_deref(),
        Some("150 campaign recipient(s) handled")
    );
    assert_eq!(run_marketing(&app), None);
    let (mails, people): (i64, i64) = app.sql(|c| {
        c.query_row(
            "SELECT count(*), count(DISTINCT to_address) FROM mail_outbox WHERE template = 'campaign'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    });
    assert_eq!(
        (mails, people),
        (250, 250),
        "one mail for each member, none twice"
    );
    // A second recipient row for a member is refused even by raw SQL.
    let id = campaign_id(&page);
    let again = app.db.write_blocking(|tx| {
        tx.execute(
            "INSERT INTO campaign_recipients (campaign_id, customer_id, mail_id)
             SELECT ?1, customer_id, 1 FROM campaign_recipients WHERE campaign_id = ?1 LIMIT 1",
            [id],
        )?;
        Ok(())
    });
    assert!(again.is_err());
    let link: String = app.sql(|c| {
        c.query_row(
            "SELECT text_body FROM mail_outbox WHERE template = 'campaign' LIMIT 1",
            [],
            |r| r.get(0),
        )
    });
    assert!(link.contains("https://blog.example/autumn"), "{link}");
}

#[test]
fn a_shop_killed_while_sending_a_campaign_mails_nobody_twice() {
    use common::process::{cornershop_in, Server};
    const MEMBERS: usize = 30;
    // The shop is prepared in-process, then copied (database and key) for the real binary.
    let server = SmtpServer::start();
    let data = tempfile::tempdir().unwrap();
    {
        let app = TestApp::ready();
        app.sql(|c| {
            for i in 0..MEMBERS {
                c.execute(
                    "INSERT INTO customers (email, password_hash, first_name, last_name, verified_at)
                     VALUES (?1, 'x', 'Kill', 'Test', '2026-01-01T00:00:00Z')",
                    [format!("k{i:02}@kill.test")],
                )?;
            }
            Ok(())
        });
        login_owner(&app);
        let g = group(&app, "@kill.test", "Kill");
        let page = draft(&app, g, "Sent once", "Hello", "");
        let shown = app.get(&page);
        assert_eq!(
            app.post_form_on(&shown, &format!("{page}/send"), &[])
                .status,
            303
        );
        app.use_smtp(&server);
        app.set_setting("jobs.mail_queue.interval_seconds", "1");
        app.set_setting("jobs.marketing.interval_seconds", "1");
        let out = data.path().join("shop.db");
        app.sql(|c| c.execute("VACUUM INTO ?1", [out.to_str().unwrap()]));
        std::fs::copy(
            app.dir.path().join("secret.key"),
            data.path().join("secret.key"),
        )
        .unwrap();
    }
    let serve = || {
        let mut cmd = cornershop_in(data.path(), &["serve", "--no-browser", "--port", "0"]);
        cmd.arg("--data-dir").arg(data.path());
        Server::start(cmd)
    };

    // The fifth message reaches the mail server, which holds its answer: the shop has
    // handed it over but not heard back, and is killed right there.
    server.hold_after(5);
    let shop = serve();
    server.wait_accepted(5);
    shop.stop();
    server.release();

    let shop = serve();
    server.wait_accepted(MEMBERS);
    let db = rusqlite::Connection::open(data.path().join("shop.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let settled = || -> (i64, i64, i64) {
        db.query_row(
            "SELECT coalesce(sum(status = 'queued'), 0), coalesce(sum(status = 'sent'), 0),
                    coalesce(sum(status = 'failed'), 0) FROM mail_outbox WHERE template = 'campaign'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    // Wait (bounded) until the restarted shop has nothing left queued.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while settled().0 > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "mail left queued: {:?}",
            settled()
        );
        server.next_event(std::time::Duration::from_millis(200));
    }
    drop(shop);
    let got: Vec<String> = std::iter::from_fn(|| server.take())
        .map(|m| m.to.join(","))
        .collect();
    let distinct: BTreeSet<&String> = got.iter().collect();
    assert_eq!(got.len(), MEMBERS, "every member got the mail: {got:?}");
    assert_eq!(distinct.len(), MEMBERS, "nobody got it twice: {got:?}");
    let (queued, sent, failed) = settled();
    assert_eq!(
        (queued, sent, failed),
        (0, MEMBERS as i64 - 1, 1),
        "the mail handed over when the shop was killed is failed, not sent again"
    );
    let error: String = db
        .query_row(
            "SELECT last_error FROM mail_outbox WHERE status = 'failed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(error.contains("may have gone out"), "{error}");
}
