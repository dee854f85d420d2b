//! Upgrades never lose a shop. `tests/fixtures/shop-vN.db` is a shop made by the code of
//! schema version N through its real pages: demo products with images, customers, orders
//! in every status, payments, mails, stock movements, settings and audit rows. Opening a
//! copy migrates it: every row stays exactly as it was (new columns aside), the schema
//! equals a fresh shop's, a copy of the old database is left in `backups/`, and the shop
//! runs on it. Every committed fixture is migrated, the oldest and the newest.
//!
//! The generator below made the fixture; each release writes its own with
//! `CORNERSHOP_FIXTURE_OUT=tests/fixtures/shop-vN.db cargo test --test migrations generator`
//! (tests/fixtures/README.md).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::accounts::{no_captcha, register, registration, verified_customer, Browser};
use common::form::HtmlForm;
use common::products::login_owner;
use common::shop::{add, checkout, guest_order, GUEST_PICKUP};
use common::TestApp;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

/// Moves order `id` along a status button of its back-office page.
fn move_to(app: &TestApp, id: i64, to: &str, extra: &[(&str, &str)]) {
    let page = format!("/admin/orders/{id}");
    let body = app.get(&page).body;
    let mut form = HtmlForm::find_all(&body, &page, &format!("{page}/status"))
        .into_iter()
        .find(|f| f.controls.iter().any(|c| c.name == "to" && c.value == to))
        .unwrap_or_else(|| panic!("order {id} offers no move to {to}"));
    form.fill(extra);
    let res = app.submit(&form);
    assert_eq!(res.status, 303, "order {id} to {to}: {}", res.body);
}

fn mark_paid(app: &TestApp, id: i64) {
    let page = format!("/admin/orders/{id}");
    let res = app.post_form(
        &page,
        &format!("{page}/mark-paid"),
        &[("reference", "BANK-7731")],
    );
    assert_eq!(res.status, 303, "order {id} paid: {}", res.body);
}

/// Fills a fresh shop the way its users would, through its pages.
fn fill(app: &TestApp) {
    no_captcha(app);
    cornershop::demo::shop::fill_db(&app.db, &app.data_dir().join("media"), 24, 7).expect("demo");
    login_owner(app);
    let res = app.post_form(
        "/admin/settings/shop",
        "/admin/settings/shop",
        &[
            ("name", "Fixture Tea Shop"),
            ("contact_email", "hello@fixture.test"),
        ],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    let products: Vec<(i64, String)> = app.sql(|c| {
        let mut s = c.prepare(
            "SELECT id, sku FROM products WHERE status = 'active' AND stock >= 20 ORDER BY id LIMIT 2",
        )?;
        let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    });
    let (tea, tea_sku) = products[0].clone();
    let page = format!("/admin/products/{tea}");
    let res = app.post_form(
        &page,
        &format!("{page}/stock"),
        &[("change", "12"), ("reason", "Delivery from the farm")],
    );
    assert_eq!(res.status, 303, "{}", res.body);

    // Schema 3: a running promotion on the product the orders buy, so their lines carry it.
    let start = cornershop::clock::to_shop_time(
        &cornershop::clock::sql_time(app.clock.now() - time::Duration::hours(1)),
        0,
    );
    let end = cornershop::clock::to_shop_time(
        &cornershop::clock::sql_time(app.clock.now() + time::Duration::days(3650)),
        0,
    );
    let promoted = products[1].1.clone();
    let res = app.post_form(
        "/admin/promotions/new",
        "/admin/promotions",
        &[
            ("name", "Fixture sale"),
            ("kind", "percent"),
            ("value", "10"),
            ("scope", "products"),
            ("products", &promoted),
            ("starts_at", &start),
            ("ends_at", &end),
        ],
    );
    assert_eq!(res.status, 303, "promotion: {}", res.body);
    let mira = verified_customer(app, "mira@fixture.test");
    assert_eq!(
        register(&Browser::new(app), &registration("unverified@fixture.test")).status,
        303
    );
    // Schema 4: a voucher of mira's, used on her first order, and one for anyone, unused.
    let today = &cornershop::clock::to_shop_time(&app.clock.now_sql(), 0)[..10];
    let until = &cornershop::clock::to_shop_time(
        &cornershop::clock::sql_time(app.clock.now() + time::Duration::days(3650)),
        0,
    )[..10];
    for (code, customer, kind, value) in [
        ("MIRA-WELCOME", "mira@fixture.test", "amount", "1.50"),
        ("FOR-ANYONE", "", "percent", "5"),
    ] {
        let res = app.post_form(
            "/admin/vouchers/new",
            "/admin/vouchers",
            &[
                ("code", code),
                ("customer", customer),
                ("kind", kind),
                ("value", value),
                ("valid_from", today),
                ("valid_until", until),
            ],
        );
        assert_eq!(res.status, 303, "voucher {code}: {}", res.body);
    }
    let mut orders = Vec::new();
    for i in 0..7 {
        add(&mira, products[1].0, "1");
        if i == 0 {
            let res = mira.post_form(
                "/cart",
                "/cart/voucher",
                &[("voucher_code", "mira welcome")],
            );
            assert_eq!(res.status, 303, "voucher applied: {}", res.body);
        }
        let res = checkout(
            &mira,
            &[
                ("shipping_method", "flat"),
                ("payment_method", "bank_transfer"),
            ],
        );
        assert_eq!(res.status, 303, "{}", res.body);
        let to = res.header("location").unwrap().to_string();
        orders.push(
            to.trim_start_matches("/account/orders/")
                .parse::<i64>()
                .unwrap(),
        );
    }
    guest_order(app, tea, "2", GUEST_PICKUP);
    let cancelled = orders[1];
    let res = mira.post_form(
        &format!("/account/orders/{cancelled}"),
        &format!("/orders/{cancelled}/cancel"),
        &[],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    for &id in &orders[2..] {
        mark_paid(app, id);
    }
    for &id in &orders[3..6] {
        move_to(app, id, "processing", &[]);
    }
    for &id in &orders[4..6] {
        move_to(app, id, "shipped", &[("tracking_number", "JJD000390007")]);
    }
    move_to(app, orders[5], "delivered", &[]);
    move_to(app, orders[6], "refunded", &[]);
    let res = app.post_form(
        "/admin/orders/new",
        "/admin/orders/new",
        &[
            ("email", "phone-order@fixture.test"),
            ("lines[0].sku", &tea_sku),
            ("lines[0].quantity", "3"),
            ("shipping_method", "pickup"),
        ],
    );
    assert_eq!(res.status, 303, "draft: {}", res.body);
    // Some mail sent (to the outbox folder), the rest still queued, one that failed.
    // Schema 5: a target group of the fixture's customers and vouchers issued to it.
    let mut page = app.form("/admin/target-groups/new", "/admin/target-groups/new");
    page.fill(&[("email", "fixture.test")]);
    let found = app.submit(&page);
    assert_eq!(found.status, 200, "{}", found.body);
    let res = app.post_form_on(
        &found,
        "/admin/target-groups",
        &[("group_name", "Fixture customers")],
    );
    assert_eq!(res.status, 303, "group: {}", res.body);
    let group = res.header("location").unwrap().to_string();
    let page = format!("{group}/vouchers");
    let res = app.post_form(
        &page,
        &page,
        &[("kind", "amount"), ("value", "2"), ("note", "Thanks")],
    );
    assert_eq!(res.status, 303, "voucher run: {}", res.body);
    let job = cornershop::schedule::JOBS
        .iter()
        .find(|j| j.name == "marketing")
        .expect("the marketing job");
    (job.run)(&cornershop::jobs::JobCtx {
        db: app.db.clone(),
        clock: app.clock.clone(),
        data_dir: app.data_dir(),
        secret: std::sync::Arc::new(app.secret()),
    })
    .expect("the marketing job runs");
    app.run_mail_job();
    add(&mira, tea, "1");
    for who in ["late1@fixture.test", "late2@fixture.test"] {
        assert_eq!(register(&Browser::new(app), &registration(who)).status, 303);
    }
    app.sql(|c| {
        c.execute(
            "UPDATE mail_outbox SET status = 'failed', attempts = 8, last_error = '550 mailbox unavailable'
             WHERE id = (SELECT min(id) FROM mail_outbox WHERE status = 'queued')",
            [],
        )
    });
    common::bo_staff::member(app, "manager@fixture.test", "Manager");
    app.flush_audit();
}

/// Every table's columns, in order.
fn columns(path: &Path) -> BTreeMap<String, Vec<String>> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let stmt = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let cols = stmt.column_names().iter().map(|n| n.to_string()).collect();
            (t, cols)
        })
        .collect()
}

/// Every row of every table, sorted: the content of a database.
fn dump(path: &Path) -> BTreeMap<String, Vec<Vec<Value>>> {
    dump_columns(path, &columns(path))
}

/// The rows of the tables and columns named (those of an older database), sorted.
fn dump_columns(
    path: &Path,
    of: &BTreeMap<String, Vec<String>>,
) -> BTreeMap<String, Vec<Vec<Value>>> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    of.iter()
        .map(|(t, cols)| {
            let list = cols
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let mut stmt = c
                .prepare(&format!("SELECT {list} FROM \"{t}\""))
                .unwrap_or_else(|e| panic!("{t}: the old columns are all there: {e}"));
            let n = stmt.column_count();
            let mut rows: Vec<Vec<Value>> = stmt
                .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort_by_key(|r| format!("{r:?}"));
            (t.clone(), rows)
        })
        .collect()
}

/// The schema as SQLite keeps it: (type, name, table, SQL with whitespace collapsed).
fn schema(path: &Path) -> Vec<(String, String, String, String)> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut s = c
        .prepare(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name",
        )
        .unwrap();
    let rows = s
        .query_map([], |r| {
            let sql: String = r.get(3)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                sql.split_whitespace().collect::<Vec<_>>().join(" "),
            ))
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn user_version(path: &Path) -> i64 {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_v1_fixture_migrates_keeping_every_row_and_equals_a_fresh_shop() {
    migrates("tests/fixtures/shop-v1.db", 1);
}

#[test]
fn the_v2_fixture_migrates_keeping_every_row_and_equals_a_fresh_shop() {
    migrates("tests/fixtures/shop-v2.db", 2);
}

#[test]
fn the_v3_fixture_migrates_keeping_every_row_and_equals_a_fresh_shop() {
    migrates("tests/fixtures/shop-v3.db", 3);
}

#[test]
fn the_v4_fixture_migrates_keeping_every_row_and_equals_a_fresh_shop() {
    migrates("tests/fixtures/shop-v4.db", 4);
}

#[test]
fn the_v5_fixture_migrates_keeping_every_row_and_equals_a_fresh_shop() {
    migrates("tests/fixtures/shop-v5.db", 5);
}

fn migrates(file: &str, version: i64) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    assert_eq!(
        user_version(&fixture),
        version,
        "the fixture is a version {version} shop"
    );
    let before = dump(&fixture);
    let statuses: Vec<String> = before["orders"]
        .iter()
        .filter_map(|r| {
            r.iter().find_map(|v| match v {
                Value::Text(t)
                    if [
                        "draft",
                        "pending_payment",
                        "paid",
                        "processing",
                        "shipped",
                        "delivered",
                        "cancelled",
                        "refunded",
                    ]
                    .contains(&t.as_str()) =>
                {
                    Some(t.clone())
                }
                _ => None,
            })
        })
        .collect();
    for s in [
        "draft",
        "pending_payment",
        "paid",
        "processing",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
    ] {
        assert!(
            statuses.iter().any(|x| x == s),
            "the fixture has a {s} order: {statuses:?}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&fixture, dir.path().join("shop.db")).unwrap();
    let data = cornershop::open_data_dir(dir.path()).expect("the fixture opens");
    drop(data);
    let db = dir.path().join("shop.db");
    assert_eq!(user_version(&db), cornershop::db::migrate::SCHEMA_VERSION);

    // Every row of every table is there, exactly as it was (in the columns it had).
    let after = dump_columns(&db, &columns(&fixture));
    for (table, rows) in &before {
        let now = after
            .get(table)
            .unwrap_or_else(|| panic!("table {table} is gone"));
        assert_eq!(now.len(), rows.len(), "{table}: row count");
        assert_eq!(now, rows, "{table}: rows changed");
    }

    // The migrated schema is a fresh shop's, both ways.
    let fresh = tempfile::tempdir().unwrap();
    drop(cornershop::open_data_dir(fresh.path()).unwrap());
    let (migrated, new) = (schema(&db), schema(&fresh.path().join("shop.db")));
    for item in &new {
        assert!(
            migrated.contains(item),
            "a fresh shop has {item:?}, the migrated one does not"
        );
    }
    for item in &migrated {
        assert!(
            new.contains(item),
            "the migrated shop has {item:?}, a fresh one does not"
        );
    }

    // The database as it was is in backups/, whole.
    let copies: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    let name = copies[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with(&format!("shop-v{version}-before-migration-")) && name.ends_with(".db"),
        "{name}"
    );
    assert_eq!(user_version(&copies[0]), version);
    assert_eq!(
        dump(&copies[0]),
        before,
        "the copy holds every row of the old database"
    );

    // And the shop runs on it: the owner logs in and finds the orders.
    let app = TestApp::start_in(dir, |_| {});
    login_owner(&app);
    let list = app.get("/admin/orders");
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("mira@fixture.test"),
        "{}",
        &list.body[..list.body.len().min(500)]
    );
}

#[test]
fn the_fixture_generator_makes_a_shop_with_orders_in_every_status() {
    let app = TestApp::ready();
    fill(&app);
    for s in [
        "draft",
        "pending_payment",
        "paid",
        "processing",
        "shipped",
        "delivered",
        "cancelled",
        "refunded",
    ] {
        assert!(
            app.count(&format!("SELECT count(*) FROM orders WHERE status = '{s}'")) > 0,
            "an order in {s}"
        );
    }
    for (table, least) in [
        ("payments", 5),
        ("stock_movements", 8),
        ("product_images", 24),
        ("customers", 2),
        ("staff", 2),
        ("audit_log", 20),
        ("promotions", 1),
        ("vouchers", 3),
        ("target_groups", 1),
        ("target_group_members", 2),
        ("voucher_runs", 1),
    ] {
        assert!(
            app.count(&format!("SELECT count(*) FROM {table}")) >= least,
            "{table}"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE voucher_code = 'MIRAWELCOME' AND voucher_discount = 150"),
        1,
        "an order carries mira's voucher"
    );
    for status in ["queued", "sent", "failed"] {
        assert!(
            app.count(&format!(
                "SELECT count(*) FROM mail_outbox WHERE status = '{status}'"
            )) > 0,
            "a {status} mail"
        );
    }
    // Writing a release's fixture: a compact copy of this shop.
    if let Ok(out) = std::env::var("CORNERSHOP_FIXTURE_OUT") {
        let _ = std::fs::remove_file(&out);
        app.sql(|c| c.execute("VACUUM INTO ?1", [&out]));
        println!("wrote {out}");
    }
}
