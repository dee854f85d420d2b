//! Target groups: each filter against a known set of customers (one assertion per
//! filter), groups created, refreshed, exported and deleted through the back-office forms,
//! bad input refused with its sentence, vouchers issued to a group once per member even
//! when a run is cut short and resumed, and the staff API with its permissions.

mod common;

use std::collections::BTreeSet;

use common::backoffice::{api, customer, staff_token, OrderRow};
use common::html::unescape;
use common::products::login_owner;
use common::{Res, TestApp};
use rusqlite::params;
use serde_json::json;

/// A customer with the given facts (verified and active unless set otherwise).
struct Person {
    email: &'static str,
    first: &'static str,
    last: &'static str,
    birth: Option<&'static str>,
    country: Option<&'static str>,
    registered: &'static str,
    verified: bool,
    active: bool,
}

fn person(email: &'static str, first: &'static str, last: &'static str) -> Person {
    Person {
        email,
        first,
        last,
        birth: None,
        country: None,
        registered: "2026-02-01T10:00:00Z",
        verified: true,
        active: true,
    }
}

fn add(app: &TestApp, p: &Person) -> i64 {
    let id = customer(app, p.email, p.first, p.last, "");
    app.sql(|c| {
        c.execute(
            "UPDATE customers SET birth_date = ?2, created_at = ?3, active = ?4,
                    verified_at = CASE WHEN ?5 THEN verified_at END WHERE id = ?1",
            params![id, p.birth, p.registered, p.active, p.verified],
        )?;
        if let Some(country) = p.country {
            c.execute(
                "INSERT INTO customer_addresses (customer_id, name, line1, city, postcode, country, is_default)
                 VALUES (?1, 'Home', '1 Street', 'Town', '1000', ?2, 1)",
                params![id, country],
            )?;
        }
        Ok(())
    });
    id
}

/// A shop with eight customers whose facts tell them apart:
/// - ann@alpha.test: born 1985-03-14, Austria, 3 paid orders (€150), last 2026-05-20
/// - bob@beta.test: born 1992-07-02, Germany, 1 delivered order (€20) on 2026-01-15
/// - cara@alpha.test: born 1979-03-30, registered 2026-04-10, a cancelled order only
/// - dan@gamma.test: not verified, Austria
/// - eve@beta.test: deactivated, born 2000-12-24
/// - fay@alpha.test: 2 pending-payment orders (spent nothing), last 2026-06-01
/// - gus@gamma.test: registered 2025-12-31 23:30 UTC (1 January in the shop at UTC+1)
/// - hal@delta.test: nothing special
fn shop() -> TestApp {
    let app = TestApp::ready();
    common::accounts::set(&app, "shop.utc_offset_minutes", "60");
    let item = common::add_product(&app, "Thing", 1000, 50, None, "active");
    let ann = add(
        &app,
        &Person {
            birth: Some("1985-03-14"),
            country: Some("AT"),
            ..person("ann@alpha.test", "Ann", "Adler")
        },
    );
    let bob = add(
        &app,
        &Person {
            birth: Some("1992-07-02"),
            country: Some("DE"),
            ..person("bob@beta.test", "Bob", "Berger")
        },
    );
    let cara = add(
        &app,
        &Person {
            birth: Some("1979-03-30"),
            registered: "2026-04-10T08:00:00Z",
            ..person("cara@alpha.test", "Cara", "Annaberg")
        },
    );
    add(
        &app,
        &Person {
            verified: false,
            country: Some("AT"),
            ..person("dan@gamma.test", "Dan", "Dorn")
        },
    );
    add(
        &app,
        &Person {
            active: false,
            birth: Some("2000-12-24"),
            ..person("eve@beta.test", "Eve", "Egger")
        },
    );
    let fay = add(&app, &person("fay@alpha.test", "Fay", "Fink"));
    add(
        &app,
        &Person {
            registered: "2025-12-31T23:30:00Z",
            ..person("gus@gamma.test", "Gus", "Gruber")
        },
    );
    add(&app, &person("hal@delta.test", "Hal", "Huber"));
    let mut n = 0;
    let mut order = |who: i64, status: &str, total: i64, at: &str| {
        n += 1;
        OrderRow::new(&format!("2026-{n:06}"), item)
            .customer(who)
            .status(status)
            .total(total)
            .placed_at(at)
            .insert(&app);
    };
    order(ann, "paid", 5000, "2026-03-01T10:00:00Z");
    order(ann, "shipped", 5000, "2026-04-01T10:00:00Z");
    order(ann, "delivered", 5000, "2026-05-20T10:00:00Z");
    order(bob, "delivered", 2000, "2026-01-15T10:00:00Z");
    order(cara, "cancelled", 9000, "2026-04-12T10:00:00Z");
    order(fay, "pending_payment", 3000, "2026-05-01T10:00:00Z");
    order(fay, "pending_payment", 3000, "2026-06-01T10:00:00Z");
    login_owner(&app);
    app
}

/// The emails listed on a page of customers (the found table or a group's members).
fn emails(page: &Res) -> BTreeSet<String> {
    page.body
        .split("<td data-label=\"Email\">")
        .skip(1)
        .map(|rest| unescape(rest.split(['<', ' ']).next().unwrap_or("")))
        .collect()
}

fn set(emails: &[&str]) -> BTreeSet<String> {
    emails.iter().map(|e| e.to_string()).collect()
}

/// Fills the filter form as a browser would and sends it ("Filter").
fn filter(app: &TestApp, fields: &[(&str, &str)]) -> Res {
    let mut form = app.form("/admin/target-groups/new", "/admin/target-groups/new");
    form.fill(fields);
    app.submit(&form)
}

fn found(app: &TestApp, fields: &[(&str, &str)]) -> BTreeSet<String> {
    let res = filter(app, fields);
    assert_eq!(res.status, 200, "{fields:?}: {}", res.body);
    emails(&res)
}

#[test]
fn each_filter_finds_exactly_its_customers() {
    let app = shop();
    let all = found(&app, &[]);
    assert_eq!(all.len(), 8, "no condition: every customer");
    assert_eq!(
        found(&app, &[("name", "ann")]),
        set(&["ann@alpha.test", "cara@alpha.test"]),
        "name contains (first or last name, any case)"
    );
    assert_eq!(
        found(&app, &[("email", "BET")]),
        set(&["bob@beta.test", "eve@beta.test"]),
        "email contains"
    );
    assert_eq!(
        found(&app, &[("domain", "@Alpha.test")]),
        set(&["ann@alpha.test", "cara@alpha.test", "fay@alpha.test"]),
        "email domain"
    );
    assert_eq!(
        found(&app, &[("country", "AT")]),
        set(&["ann@alpha.test", "dan@gamma.test"]),
        "country"
    );
    assert_eq!(
        found(
            &app,
            &[("born_from", "1980-01-01"), ("born_to", "1992-07-02")]
        ),
        set(&["ann@alpha.test", "bob@beta.test"]),
        "birth date range, both ends included"
    );
    assert_eq!(
        found(&app, &[("birthday_month", "3")]),
        set(&["ann@alpha.test", "cara@alpha.test"]),
        "birthday month"
    );
    assert_eq!(
        found(
            &app,
            &[
                ("registered_from", "2026-01-01"),
                ("registered_to", "2026-01-01")
            ]
        ),
        set(&["gus@gamma.test"]),
        "registered between, in shop days (23:30 UTC is the next day at UTC+1)"
    );
    assert_eq!(
        found(&app, &[("orders_min", "2"), ("orders_max", "3")]),
        set(&["ann@alpha.test", "fay@alpha.test"]),
        "orders count between (placed orders, whatever their payment)"
    );
    assert_eq!(
        found(&app, &[("orders_max", "0")]),
        set(&[
            "dan@gamma.test",
            "eve@beta.test",
            "gus@gamma.test",
            "hal@delta.test"
        ]),
        "no orders at all"
    );
    assert_eq!(
        found(&app, &[("spent_min", "20"), ("spent_max", "100")]),
        set(&["bob@beta.test"]),
        "total spent between: cancelled and unpaid orders count for nothing"
    );
    assert_eq!(
        found(&app, &[("last_order_from", "2026-05-01")]),
        set(&["ann@alpha.test", "fay@alpha.test"]),
        "last order on or after"
    );
    assert_eq!(
        found(&app, &[("last_order_before", "2026-04-12")]),
        set(&["bob@beta.test"]),
        "last order before (a customer without orders has none)"
    );
    assert_eq!(
        found(&app, &[("verified", "no")]),
        set(&["dan@gamma.test"]),
        "verified"
    );
    assert_eq!(
        found(&app, &[("active", "no")]),
        set(&["eve@beta.test"]),
        "active"
    );
    assert_eq!(
        found(
            &app,
            &[
                ("domain", "alpha.test"),
                ("birthday_month", "3"),
                ("orders_min", "1")
            ]
        ),
        set(&["ann@alpha.test", "cara@alpha.test"]),
        "conditions together must all hold"
    );
}

#[test]
fn bad_filters_are_refused_with_a_sentence_at_the_field() {
    let app = shop();
    let res = filter(
        &app,
        &[
            ("orders_min", "many"),
            ("spent_min", "abc"),
            ("domain", "nodot"),
            ("registered_from", "2026-05-02"),
            ("registered_to", "2026-05-01"),
        ],
    );
    assert_eq!(res.status, 422);
    let body = unescape(&res.body);
    for message in [
        "Give a whole number, such as 3.",
        "Give a domain such as example.com (the part after the @).",
        "The end cannot be before the start.",
    ] {
        assert!(body.contains(message), "{message}");
    }
    assert!(
        !body.contains("customers found") && !body.contains("customer found"),
        "nothing is listed for a broken filter"
    );
    assert!(
        res.input_value("orders_min").as_deref() == Some("many"),
        "the typed value is kept"
    );
}

fn create_group(app: &TestApp, fields: &[(&str, &str)], name: &str) -> Res {
    let page = filter(app, fields);
    app.post_form_on(&page, "/admin/target-groups", &[("group_name", name)])
}

fn group_id(app: &TestApp, name: &str) -> i64 {
    app.sql(|c| {
        c.query_row(
            "SELECT id FROM target_groups WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
    })
}

#[test]
fn a_group_is_saved_refreshed_exported_and_deleted_with_audit_rows() {
    let app = shop();
    let res = create_group(&app, &[("domain", "alpha.test")], "Alpha people");
    assert_eq!(res.status, 303, "{}", res.body);
    let id = group_id(&app, "Alpha people");
    let page = app.get(&format!("/admin/target-groups/{id}"));
    assert_eq!(page.status, 200);
    assert_eq!(
        emails(&page),
        set(&["ann@alpha.test", "cara@alpha.test", "fay@alpha.test"])
    );
    assert!(unescape(&page.body).contains("Email domain: alpha.test"));
    let list = app.get("/admin/target-groups");
    assert!(
        list.body.contains("Alpha people") && list.body.contains(">3<"),
        "the list shows the member count"
    );

    // The name must be given and unique (ignoring case); nothing is saved otherwise.
    for (name, message) in [
        ("", "Give the group a name of up to 100 characters."),
        (
            "alpha PEOPLE",
            "A group is already called “alpha PEOPLE”: choose another name.",
        ),
    ] {
        let res = create_group(&app, &[("domain", "alpha.test")], name);
        assert_eq!(res.status, 422, "{name:?}");
        assert!(unescape(&res.body).contains(message), "{message}");
    }
    assert_eq!(app.count("SELECT count(*) FROM target_groups"), 1);

    // A new customer who matches is not a member until the group is refreshed.
    add(&app, &person("=cmd@alpha.test", "=HYPERLINK(\"x\")", "Zed"));
    assert_eq!(
        emails(&app.get(&format!("/admin/target-groups/{id}"))).len(),
        3
    );
    let page = format!("/admin/target-groups/{id}");
    let res = app.post_form(&page, &format!("{page}/refresh"), &[]);
    assert_eq!(res.status, 303);
    let after = app.get(&page);
    assert!(
        unescape(&after.body).contains("Refreshed from its filter: 3 members before, 4 now."),
        "{}",
        after.body
    );
    assert_eq!(emails(&after).len(), 4);
    let details: String = app.sql(|c| {
        c.query_row(
            "SELECT details FROM audit_log WHERE action = 'target_group.refreshed'",
            [],
            |r| r.get(0),
        )
    });
    let d: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(
        (d["before"].as_i64(), d["after"].as_i64()),
        (Some(3), Some(4))
    );

    // The export: every member, formula-like cells neutralised, and whether they want
    // marketing mail (fay said no).
    app.sql(|c| {
        c.execute(
            "UPDATE customers SET marketing_opt_out_at = '2026-06-01T00:00:00Z' WHERE email = 'fay@alpha.test'",
            [],
        )
    });
    let csv = app.get(&format!("/admin/target-groups/{id}/members.csv"));
    assert_eq!(csv.status, 200);
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("target-group-alpha-people.csv"));
    let mut rd = csv::Reader::from_reader(csv.body.as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    let zed = rows.iter().find(|r| r[2] == *"Zed").unwrap();
    assert_eq!(&zed[0], "'=cmd@alpha.test");
    assert_eq!(&zed[1], "'=HYPERLINK(\"x\")");
    let ann = rows.iter().find(|r| &r[0] == "ann@alpha.test").unwrap();
    assert_eq!(
        (&ann[4], &ann[5], &ann[9], &ann[10], &ann[12]),
        ("1985-03-14", "AT", "3", "150.00", "yes")
    );
    assert_eq!(&rd.headers().unwrap()[12], "marketing_mail");
    let fay = rows.iter().find(|r| &r[0] == "fay@alpha.test").unwrap();
    assert_eq!(&fay[12], "no");

    // Deleting keeps the customers.
    let res = app.post_form(&page, &format!("{page}/delete"), &[]);
    assert_eq!(res.status, 303);
    assert_eq!(app.count("SELECT count(*) FROM target_groups"), 0);
    assert_eq!(app.count("SELECT count(*) FROM target_group_members"), 0);
    assert_eq!(app.count("SELECT count(*) FROM customers"), 9);
    for action in [
        "target_group.created",
        "target_group.refreshed",
        "target_group.deleted",
    ] {
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}'"
            )),
            1,
            "{action}"
        );
    }
}

#[test]
fn vouchers_go_to_each_member_once_even_when_a_run_is_cut_short_and_resumed() {
    let app = shop();
    // 230 more members, so the run takes several batches.
    app.sql(|c| {
        for i in 0..230 {
            c.execute(
                "INSERT INTO customers (email, password_hash, first_name, last_name, verified_at)
                 VALUES (?1, 'x', 'Many', 'Member', '2026-01-01T00:00:00Z')",
                [format!("m{i:03}@many.test")],
            )?;
        }
        Ok(())
    });
    let res = create_group(&app, &[("email", "a")], "Everyone with an a");
    assert_eq!(res.status, 303, "{}", res.body);
    let id = group_id(&app, "Everyone with an a");
    let members = app.count(&format!(
        "SELECT count(*) FROM target_group_members WHERE group_id = {id}"
    ));
    // ann, cara, fay, dan (gamma), gus (gamma), hal (delta), eve (beta), bob (beta) and the 230.
    assert_eq!(members, 238);
    // Eve is deactivated: she is passed over. Hal said no to marketing mail: he gets his
    // voucher (it is in his account) without the mail.
    app.sql(|c| {
        c.execute(
            "UPDATE customers SET marketing_opt_out_at = '2026-06-01T00:00:00Z' WHERE email = 'hal@delta.test'",
            [],
        )
    });

    let page = format!("/admin/target-groups/{id}/vouchers");
    let bad = app.post_form(&page, &page, &[("kind", "percent"), ("value", "150")]);
    assert_eq!(bad.status, 422, "a percent above 100 is refused");
    assert_eq!(app.count("SELECT count(*) FROM voucher_runs"), 0);
    let res = app.post_form(
        &page,
        &page,
        &[("kind", "amount"), ("value", "5"), ("note", "Spring")],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let run_url = res.header("location").unwrap().to_string();
    let run: i64 = run_url.rsplit('/').next().unwrap().parse().unwrap();

    // While it runs, the group cannot change under it.
    let group = format!("/admin/target-groups/{id}");
    let res = app.post_csrf(&group, &format!("{group}/refresh"), &[]);
    assert_eq!(res.status, 303);
    assert!(unescape(&app.get(&group).body)
        .contains("Vouchers are being issued to this group's members"));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'target_group.refreshed'"),
        0,
        "the refresh was refused"
    );

    // A pass cut short after one batch: as a shop killed between two transactions leaves it.
    let issued =
        cornershop::marketing::vouchers::bulk::run_batches(&app.db, app.clock.now(), 1).unwrap();
    assert_eq!(issued, 100);
    let progress = app.get(&format!("{run_url}/progress")).json();
    assert_eq!(progress["state"], "running");
    assert_eq!(progress["issued"], 100);
    assert_eq!(
        progress["mails_queued"], 99,
        "hal (among the first 100) gets no mail"
    );

    // The job resumes where it stopped, then finds nothing more to do.
    let rest = cornershop::marketing::run_once(&app.db, &app.secret(), app.clock.now()).unwrap();
    assert_eq!(
        rest.as_deref(),
        Some("137 voucher(s) issued to target groups")
    );
    assert_eq!(
        cornershop::marketing::run_once(&app.db, &app.secret(), app.clock.now()).unwrap(),
        None
    );
    let progress = app.get(&format!("{run_url}/progress")).json();
    assert_eq!(progress["state"], "done");
    assert_eq!(
        (progress["issued"].as_i64(), progress["skipped"].as_i64()),
        (Some(237), Some(1))
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM (SELECT customer_id FROM vouchers WHERE issue_run_id = {run}
             GROUP BY customer_id HAVING count(*) > 1)"
        )),
        0,
        "never two for one member"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM vouchers v JOIN customers c ON c.id = v.customer_id
             WHERE v.issue_run_id = {run} AND c.email = 'eve@beta.test'"
        )),
        0,
        "a deactivated account gets none"
    );
    // Each has its own code and its mail, to its owner.
    assert_eq!(
        app.count(&format!(
            "SELECT count(DISTINCT v.code) FROM vouchers v JOIN mail_outbox m ON m.id = v.mail_id
             JOIN customers c ON c.id = v.customer_id
             WHERE v.issue_run_id = {run} AND m.template = 'voucher_issued' AND m.to_address = c.email
               AND instr(m.text_body, v.code) > 0 AND instr(m.text_body, '€5.00') > 0"
        )),
        236
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM vouchers v JOIN customers c ON c.id = v.customer_id
             WHERE v.issue_run_id = {run} AND c.email = 'hal@delta.test' AND v.mail_id IS NULL"
        )),
        1,
        "the member who opted out has the voucher, without a mail"
    );
    // Even raw SQL cannot give a member a second one from the same run.
    let second = app.db.write_blocking(|tx| {
        tx.execute(
            &format!(
                "INSERT INTO vouchers (code, customer_id, kind, value, valid_from, valid_to, issue_run_id)
                 SELECT 'SECONDONE', customer_id, kind, value, valid_from, valid_to, issue_run_id
                 FROM vouchers WHERE issue_run_id = {run} LIMIT 1"
            ),
            [],
        )
        .map_err(Into::into)
    });
    assert!(second.is_err(), "the unique index refuses it");

    // A member sees theirs in the account and can use it.
    let run_page = app.get(&run_url);
    assert!(run_page.body.contains("data-progress-url"));
    assert!(run_page.body.contains(">237<"), "issued count on the page");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action IN ('voucher_run.started', 'voucher_run.finished')"),
        2
    );
    // And the group can be refreshed again.
    let res = app.post_form(&group, &format!("{group}/refresh"), &[]);
    assert_eq!(res.status, 303);
    assert!(unescape(&app.get(&group).body).contains("238 members before, 238 now"));
}

#[test]
fn the_staff_api_does_the_same_with_the_same_permissions() {
    let app = shop();
    let owner = staff_token(&app, "boss@shop.test", "Owner");
    let viewer = staff_token(&app, "viewer@shop.test", "Viewer");
    let preview = api(
        &app,
        "POST",
        "/api/v1/admin/target-groups/preview",
        Some(json!({ "filter": { "country": "AT" } })),
        Some(&viewer),
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.json()["total"], 2);
    let bad = api(
        &app,
        "POST",
        "/api/v1/admin/target-groups",
        Some(
            json!({ "name": "X", "filter": { "spent_min": 500, "spent_max": 100, "country": "ZZ" } }),
        ),
        Some(&owner),
    );
    assert_eq!(bad.status, 422);
    let fields = &bad.json()["error"]["fields"];
    assert_eq!(
        fields["filter.spent_max"],
        "The most cannot be less than the least."
    );
    assert_eq!(fields["filter.country"], "Choose a country from the list.");
    let unknown = api(
        &app,
        "POST",
        "/api/v1/admin/target-groups",
        Some(json!({ "name": "X", "filter": { "colour": "red" } })),
        Some(&owner),
    );
    assert!(
        unknown.status == 400 || unknown.status == 422,
        "{}",
        unknown.body
    );
    let denied = api(
        &app,
        "POST",
        "/api/v1/admin/target-groups",
        Some(json!({ "name": "Big spenders", "filter": { "spent_min": 10000 } })),
        Some(&viewer),
    );
    assert_eq!(denied.status, 403);
    let made = api(
        &app,
        "POST",
        "/api/v1/admin/target-groups",
        Some(json!({ "name": "Big spenders", "filter": { "spent_min": 10000 } })),
        Some(&owner),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    let g = made.json();
    assert_eq!(g["members"], 1);
    assert_eq!(g["filter"], json!({ "spent_min": 10000 }));
    let id = g["id"].as_i64().unwrap();
    let members = api(
        &app,
        "GET",
        &format!("/api/v1/admin/target-groups/{id}/members"),
        None,
        Some(&viewer),
    );
    assert_eq!(members.json()["customers"][0]["email"], "ann@alpha.test");
    let listed = api(
        &app,
        "GET",
        "/api/v1/admin/target-groups",
        None,
        Some(&viewer),
    );
    assert_eq!(listed.json()["groups"][0]["name"], "Big spenders");
    let refreshed = api(
        &app,
        "POST",
        &format!("/api/v1/admin/target-groups/{id}/refresh"),
        None,
        Some(&owner),
    );
    assert_eq!(refreshed.status, 200);
    assert_eq!(
        (
            refreshed.json()["before"].as_i64(),
            refreshed.json()["after"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let issue = api(
        &app,
        "POST",
        &format!("/api/v1/admin/target-groups/{id}/vouchers"),
        Some(
            json!({ "kind": "percent", "value": 15, "valid_from": "2026-01-01", "valid_until": "2030-12-31" }),
        ),
        Some(&owner),
    );
    assert_eq!(issue.status, 202, "{}", issue.body);
    let run = issue.json()["id"].as_i64().unwrap();
    let busy = api(
        &app,
        "DELETE",
        &format!("/api/v1/admin/target-groups/{id}"),
        None,
        Some(&owner),
    );
    assert_eq!(busy.status, 409, "not while vouchers are being issued");
    cornershop::marketing::run_once(&app.db, &app.secret(), app.clock.now()).unwrap();
    let r = api(
        &app,
        "GET",
        &format!("/api/v1/admin/voucher-runs/{run}"),
        None,
        Some(&viewer),
    );
    assert_eq!(
        (r.json()["state"].as_str(), r.json()["issued"].as_i64()),
        (Some("done"), Some(1))
    );
    let mine: i64 = app.count("SELECT count(*) FROM vouchers v JOIN customers c ON c.id = v.customer_id WHERE c.email = 'ann@alpha.test' AND v.value = 15");
    assert_eq!(mine, 1);
    let gone = api(
        &app,
        "DELETE",
        &format!("/api/v1/admin/target-groups/{id}"),
        None,
        Some(&owner),
    );
    assert_eq!(gone.status, 204);
    assert_eq!(
        api(
            &app,
            "GET",
            &format!("/api/v1/admin/target-groups/{id}"),
            None,
            Some(&owner)
        )
        .status,
        404
    );
}
