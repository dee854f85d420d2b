//! Mail templates: seeded at start without overwriting edits, edited in the back office
//! (checked, audited, refused when broken), previewed under their own CSP, reset to the
//! built-in version, and used by `queue_templated` for the next mail.

mod common;
use common::{html_unescape, TestApp, OWNER_PW};
use cornershop::mail::templates::{self, spec, Parts};
use cornershop::web::headers::PREVIEW_CSP;

const EDIT: &str = "/admin/mail-templates/order_shipped";

fn stored(app: &TestApp, name: &str) -> (String, String, String, String) {
    app.sql(|c| {
        c.query_row(
            "SELECT subject, html, text, updated_by FROM mail_templates WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    })
}

fn owner(app: &TestApp) {
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
}

fn defaults(name: &str) -> Parts {
    templates::defaults(name).expect("built-in version")
}

#[test]
fn every_template_is_seeded_and_an_edited_one_survives_a_restart() {
    let app = TestApp::ready();
    assert_eq!(
        app.count("SELECT count(*) FROM mail_templates WHERE updated_by = 'seed'"),
        templates::SPECS.len() as i64
    );
    let (subject, html, text, _) = stored(&app, "verification");
    assert_eq!(
        Parts {
            subject,
            html,
            text
        },
        defaults("verification")
    );

    app.sql(|c| {
        c.execute("UPDATE mail_templates SET subject = 'Our own words', updated_by = 'owner@shop.test' WHERE name = 'verification'", [])?;
        c.execute("DELETE FROM mail_templates WHERE name = 'campaign'", [])
    });
    // Start the shop again on the same data folder: seeding runs again in `build`.
    let config = cornershop::config::Config::for_dir(app.dir.path(), 0);
    let data = cornershop::open_data_dir(app.dir.path()).expect("data dir opens");
    drop(cornershop::build(config, data, cornershop::Options::default()).expect("shop builds"));

    assert_eq!(stored(&app, "verification").0, "Our own words");
    assert_eq!(
        stored(&app, "campaign").0,
        defaults("campaign").subject,
        "a missing one comes back"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM mail_templates"),
        templates::SPECS.len() as i64
    );
}

#[test]
fn the_owner_sees_the_list_and_the_editor() {
    let app = TestApp::ready();
    owner(&app);
    let list = app.get("/admin/mail-templates");
    assert_eq!(list.status, 200);
    assert!(
        list.body
            .contains("href=\"/admin/mail-templates\" class=\"is-active\""),
        "in the navigation"
    );
    for s in templates::SPECS {
        assert!(
            list.body
                .contains(&format!("href=\"/admin/mail-templates/{}\"", s.name)),
            "{}",
            s.name
        );
        assert!(list.body.contains(s.label), "{}", s.label);
    }

    let page = app.get(EDIT);
    assert_eq!(page.status, 200);
    assert_eq!(
        page.input_value("subject").as_deref(),
        Some(defaults("order_shipped").subject.as_str())
    );
    let body = html_unescape(&page.body);
    assert!(
        body.contains("{{ order.tracking_number }}"),
        "the variables are listed"
    );
    assert!(
        body.contains("{{ customer.first_name }}"),
        "the common ones too"
    );
    assert!(page
        .body
        .contains("src=\"/admin/mail-templates/order_shipped/preview\""));
    assert!(
        page.body.contains("formtarget=\"mail-preview\""),
        "preview works without JavaScript"
    );
    assert!(page.body.contains("Save template") && page.body.contains("Reset to default"));
    assert_eq!(app.get("/admin/mail-templates/no_such_mail").status, 404);
}

#[test]
fn a_viewer_reads_but_saving_and_resetting_answer_403_and_change_nothing() {
    let app = TestApp::ready();
    app.sql(|c| {
        c.execute(
            "UPDATE mail_templates SET subject = 'Edited' WHERE name = 'order_shipped'",
            [],
        )
    });
    let before = stored(&app, "order_shipped");
    app.login_as("Viewer");
    assert_eq!(app.get("/admin/mail-templates").status, 200);
    let page = app.get(EDIT);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Save template") && !page.body.contains("Reset to default"));
    assert!(page.body.contains("readonly"));

    let save = app.post_form(
        EDIT,
        EDIT,
        &[("subject", "Hacked"), ("html", ""), ("text", "Hacked")],
    );
    assert_eq!(save.status, 403);
    let reset = app.post_csrf(EDIT, &format!("{EDIT}/reset"), &[]);
    assert_eq!(reset.status, 403);
    assert_eq!(stored(&app, "order_shipped"), before);

    // A role without the area neither sees it in the navigation nor reads it.
    let courier = TestApp::ready();
    courier.login_as("Courier");
    assert!(!courier.get("/admin").body.contains("/admin/mail-templates"));
    assert_eq!(courier.get("/admin/mail-templates").status, 403);
}

#[test]
fn a_broken_template_is_refused_with_teras_message_and_the_stored_one_stays() {
    let app = TestApp::ready();
    owner(&app);
    let before = stored(&app, "order_shipped");
    let d = defaults("order_shipped");

    let unclosed = "Your order {{ customer.first_name ";
    let res = app.post_form(
        EDIT,
        EDIT,
        &[("subject", unclosed), ("html", &d.html), ("text", &d.text)],
    );
    assert_eq!(res.status, 422);
    let body = html_unescape(&res.body);
    assert!(body.contains("The template was not saved"));
    assert!(
        body.contains("Failed to parse 'order_shipped/subject.txt'"),
        "Tera's message"
    );
    assert!(
        body.contains("expected `or`, `and`"),
        "and its cause, with what was expected"
    );
    assert_eq!(
        res.input_value("subject").as_deref(),
        Some(unclosed.trim()),
        "what was typed is kept"
    );

    let typed_text = "Hi {{ nosuch.var }}, see you";
    let res = app.post_form(
        EDIT,
        EDIT,
        &[
            ("subject", &d.subject),
            ("html", "<p>{{ shop.name | shout }}</p>"),
            ("text", typed_text),
        ],
    );
    assert_eq!(res.status, 422);
    let body = html_unescape(&res.body);
    assert!(
        body.contains("Variable `nosuch.var` not found in context"),
        "an unknown variable"
    );
    assert!(
        body.contains("Filter 'shout' not found"),
        "an unknown filter"
    );
    assert!(body.contains(typed_text) && body.contains("<p>{{ shop.name | shout }}</p>"));

    assert_eq!(stored(&app, "order_shipped"), before);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'mail_template.%'"),
        0
    );
}

#[test]
fn a_valid_edit_is_stored_audited_and_used_by_the_next_mail() {
    let app = TestApp::ready();
    owner(&app);
    let d = defaults("order_shipped");
    let subject = "On its way: {{ order.number }} for {{ customer.first_name }}";
    let text =
        "Dear {{ customer.first_name }},\r\n\r\nparcel {{ order.tracking_number }} left today.";
    let res = app.post_form(
        EDIT,
        EDIT,
        &[("subject", subject), ("html", &d.html), ("text", text)],
    );
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.header("location"), Some(EDIT));

    let (s, h, t, by) = stored(&app, "order_shipped");
    assert_eq!(
        (s.as_str(), h.as_str(), by.as_str()),
        (subject, d.html.as_str(), "owner@shop.test")
    );
    assert_eq!(
        t,
        text.replace("\r\n", "\n"),
        "line endings from the browser become \\n"
    );

    let (actor, entity, details): (String, String, String) = app.sql(|c| {
        c.query_row(
            "SELECT actor_label, entity_id, details FROM audit_log WHERE action = 'mail_template.updated'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    });
    assert_eq!(
        (actor.as_str(), entity.as_str()),
        ("owner@shop.test", "order_shipped")
    );
    let details: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(details["subject"]["old"], d.subject.as_str());
    assert_eq!(details["subject"]["new"], subject);
    assert!(
        details.get("html").is_none(),
        "only changed parts are recorded"
    );

    let page = app.get(EDIT);
    assert!(page.body.contains("is saved") && page.body.contains("Customised"));
    assert!(app
        .get("/admin/mail-templates")
        .body
        .contains("owner@shop.test"));

    // Saving the same again changes nothing and records nothing.
    let again = app.post_form(
        EDIT,
        EDIT,
        &[("subject", subject), ("html", &d.html), ("text", text)],
    );
    assert_eq!(again.status, 303);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'mail_template.updated'"),
        1
    );

    let ctx = spec::sample(
        "order_shipped",
        cornershop::money::Currency::find("EUR").unwrap(),
    )
    .unwrap();
    let now = app.clock.now();
    let id = app
        .db
        .write_blocking(|tx| {
            templates::queue_templated(
                tx,
                "order_shipped",
                "mira@example.com",
                "Mira Lindqvist",
                &ctx,
                now,
            )
        })
        .unwrap();
    let (template, subject, text): (String, String, String) = app.sql(|c| {
        c.query_row(
            "SELECT template, subject, text_body FROM mail_outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
    });
    assert_eq!(template, "order_shipped");
    assert_eq!(subject, "On its way: 1042 for Mira");
    assert_eq!(text, "Dear Mira,\n\nparcel JJD00994410285 left today.");
}

#[test]
fn the_preview_renders_sample_data_under_its_own_csp() {
    let app = TestApp::ready();
    app.sql(|c| {
        c.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('shop.name', 'Tea & Toast')",
            [],
        )
    });
    owner(&app);
    let preview = format!("{EDIT}/preview");

    let res = app.get(&preview);
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-security-policy"), Some(PREVIEW_CSP));
    assert!(PREVIEW_CSP.contains("sandbox") && !PREVIEW_CSP.contains("script-src"));
    assert_eq!(res.header("x-frame-options"), Some("SAMEORIGIN"));
    assert!(
        res.body.contains("Your order 1042 is on its way"),
        "the subject, rendered"
    );
    assert!(
        res.body.contains("JJD00994410285"),
        "the sample's tracking number"
    );
    assert!(
        res.body.contains("srcdoc=\"&lt;!DOCTYPE html&gt;"),
        "the HTML part, escaped into its frame"
    );
    assert!(
        res.body.contains("Tea &amp;amp; Toast"),
        "the shop's own name, escaped in the mail and again in srcdoc"
    );

    // The page around it keeps the strict policy.
    let page = app.get(EDIT);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("style-src 'self'"),
        "{csp}"
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));

    // What is typed is previewed without being saved.
    let before = stored(&app, "order_shipped");
    let typed = app.post_form(
        EDIT,
        &preview,
        &[
            ("subject", "Psst, {{ customer.first_name }}"),
            ("html", ""),
            ("text", "Only text"),
        ],
    );
    assert_eq!(typed.status, 200);
    assert_eq!(typed.header("content-security-policy"), Some(PREVIEW_CSP));
    assert!(typed.body.contains("Psst, Mira") && typed.body.contains("Only text"));
    assert!(typed.body.contains("no HTML part"));
    let broken = app.post_form(
        EDIT,
        &preview,
        &[("subject", "{{ nosuch }}"), ("html", ""), ("text", "x")],
    );
    assert_eq!(broken.status, 422);
    assert_eq!(broken.header("content-security-policy"), Some(PREVIEW_CSP));
    assert!(html_unescape(&broken.body).contains("Variable `nosuch` not found"));
    assert_eq!(stored(&app, "order_shipped"), before);

    // A preview post needs the form's token like any other.
    let forged = app.post_raw(&preview, &[("subject", "x"), ("html", ""), ("text", "x")]);
    assert_eq!(forged.status, 403);
}

#[test]
fn reset_to_default_puts_the_built_in_version_back() {
    let app = TestApp::ready();
    app.sql(|c| {
        c.execute(
            "UPDATE mail_templates SET subject = 'Mine', html = '', text = 'Mine too', updated_by = 'someone' WHERE name = 'order_shipped'",
            [],
        )
    });
    owner(&app);
    assert!(app.get(EDIT).body.contains("Customised"));
    let res = app.post_form(EDIT, &format!("{EDIT}/reset"), &[]);
    assert_eq!(res.status, 303, "{}", res.body);
    let (subject, html, text, by) = stored(&app, "order_shipped");
    assert_eq!(
        Parts {
            subject,
            html,
            text
        },
        defaults("order_shipped")
    );
    assert_eq!(by, "owner@shop.test");
    let details: String = app.sql(|c| {
        c.query_row("SELECT details FROM audit_log WHERE action = 'mail_template.reset' AND entity_id = 'order_shipped'", [], |r| r.get(0))
    });
    assert!(
        details.contains("Mine too"),
        "the replaced version stays in the audit log: {details}"
    );
    let page = app.get(EDIT);
    assert!(page.body.contains("back to its built-in version"));
    assert!(!page.body.contains("Customised"));
}
