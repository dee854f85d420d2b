//! Mail over SMTP, against a real (small) SMTP server on a loopback port: what arrives,
//! logins with the encrypted password, retries after a temporary failure, clear errors,
//! switching back to the outbox, and the back-office mail settings page with its
//! test-mail button.

mod common;

use std::time::Duration;

use common::smtp::{Received, SmtpServer};
use common::{TestApp, OWNER_PW};
use cornershop::mail::{queue, NewMail};

fn queue_mail(app: &TestApp, subject: &str, text: &str) -> i64 {
    let now = app.clock.now();
    app.db
        .write_blocking(|tx| {
            queue(
                tx,
                &NewMail {
                    template: "welcome",
                    to_address: "mira@tea.test",
                    to_name: "Mira Tan",
                    subject,
                    text,
                    html: "<p>Hello <b>Mira</b></p>",
                },
                now,
            )
        })
        .unwrap()
}

/// (status, attempts, last_error, eml_path) of a queued mail.
fn row(app: &TestApp, id: i64) -> (String, i64, String, String) {
    app.sql(|c| {
        c.query_row(
            "SELECT status, attempts, last_error, eml_path FROM mail_outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    })
}

fn eml_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir().join("outbox"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// The parts of a multipart message: (content type, body).
fn parts(m: &Received) -> Vec<(String, String)> {
    let ct = m.header("Content-Type").expect("a Content-Type");
    let boundary = ct
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .expect("a boundary")
        .trim_matches('"')
        .to_string();
    m.data
        .split(&format!("--{boundary}"))
        .skip(1)
        .filter(|p| !p.starts_with("--"))
        .map(|p| {
            let p = p.trim_start_matches("\r\n");
            let (head, body) = p.split_once("\r\n\r\n").expect("part header and body");
            let ct = head
                .split("\r\n")
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-type:")
                        .map(|v| v.trim().to_string())
                })
                .unwrap_or_default();
            (ct, body.to_string())
        })
        .collect()
}

#[test]
fn a_queued_mail_goes_out_over_smtp_and_arrives_whole() {
    let app = TestApp::ready();
    let server = SmtpServer::start();
    app.set_setting("shop.name", "Mira's Tea");
    app.set_setting("mail.from", "shop@tea.test");
    app.use_smtp(&server);
    // Lines starting with a dot must survive SMTP's dot-stuffing.
    let text = "Hello Mira\r\n.a line with a leading dot\r\n..and two";
    let id = queue_mail(&app, "Welcome to the shop", text);

    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("1 sent, 0 to retry, 0 failed")
    );
    let m = server.expect_message();
    assert_eq!(m.from, "shop@tea.test");
    assert_eq!(m.to, ["mira@tea.test"]);
    assert_eq!(m.user, None, "no user name set, so no login");
    let from = m.header("From").unwrap();
    assert!(
        from.contains("Mira's Tea") && from.ends_with("<shop@tea.test>"),
        "{from}"
    );
    let to = m.header("To").unwrap();
    assert!(
        to.contains("Mira Tan") && to.ends_with("<mira@tea.test>"),
        "{to}"
    );
    assert_eq!(m.header("Subject").as_deref(), Some("Welcome to the shop"));
    assert!(m
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    let parts = parts(&m);
    assert_eq!(parts.len(), 2, "{parts:?}");
    let plain = parts
        .iter()
        .find(|(ct, _)| ct.starts_with("text/plain"))
        .expect("a text part");
    assert!(
        plain
            .1
            .contains("Hello Mira\r\n.a line with a leading dot\r\n..and two"),
        "{:?}",
        plain.1
    );
    let html = parts
        .iter()
        .find(|(ct, _)| ct.starts_with("text/html"))
        .expect("an HTML part");
    assert!(html.1.contains("<b>Mira</b>"), "{:?}", html.1);

    let (status, attempts, error, eml) = row(&app, id);
    assert_eq!(
        (status.as_str(), attempts, error.as_str(), eml.as_str()),
        ("sent", 1, "", "")
    );
    assert_eq!(eml_files(&app), 0, "SMTP writes no .eml");
    assert_eq!(app.run_mail_job(), None, "sent once");
}

#[test]
fn one_connection_carries_every_mail_of_a_pass() {
    let app = TestApp::ready();
    let server = SmtpServer::start();
    app.use_smtp(&server);
    for s in ["One", "Two", "Three"] {
        queue_mail(&app, s, "Hello");
    }
    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("3 sent, 0 to retry, 0 failed")
    );
    assert_eq!(server.accepted(), 3);
    assert_eq!(server.connections(), 1);
}

#[test]
fn the_encrypted_password_is_used_to_log_in() {
    let app = TestApp::ready();
    let server = SmtpServer::with_login("shop-user", "pa ss wörd 42");
    app.use_smtp(&server);
    app.set_setting("mail.smtp.username", "shop-user");
    app.set_setting("mail.smtp.password", "pa ss wörd 42");
    let stored: String = app.sql(|c| {
        c.query_row(
            "SELECT value FROM settings WHERE key = 'mail.smtp.password'",
            [],
            |r| r.get(0),
        )
    });
    assert!(
        stored.starts_with("enc1:") && !stored.contains("wörd"),
        "{stored}"
    );

    queue_mail(&app, "Welcome", "Hello");
    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("1 sent, 0 to retry, 0 failed")
    );
    assert_eq!(server.expect_message().user.as_deref(), Some("shop-user"));
}

#[test]
fn a_server_that_needs_a_login_refuses_mail_without_one_and_the_row_says_so() {
    let app = TestApp::ready();
    let server = SmtpServer::with_login("shop-user", "secret-pass");
    app.use_smtp(&server);
    let id = queue_mail(&app, "Welcome", "Hello");
    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("0 sent, 1 to retry, 0 failed")
    );
    let (_, _, error, _) = row(&app, id);
    assert!(
        error.contains("refused the sender <shop@localhost>") && error.contains("530"),
        "{error}"
    );
}

#[test]
fn a_temporary_failure_is_retried_later_and_the_row_says_why() {
    let app = TestApp::ready();
    let server = SmtpServer::start();
    app.use_smtp(&server);
    server.fail_next_data(1);
    let id = queue_mail(&app, "Your order", "Hello");

    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("0 sent, 1 to retry, 0 failed")
    );
    let (status, attempts, error, _) = row(&app, id);
    assert_eq!((status.as_str(), attempts), ("queued", 1));
    assert!(
        error.starts_with(&format!(
            "SMTP server 127.0.0.1:{} did not accept the message: 451",
            server.port
        )),
        "{error}"
    );
    assert!(error.contains("try again later"), "{error}");
    assert_eq!(app.run_mail_job(), None, "not due again yet");
    assert_eq!(server.accepted(), 0);

    app.clock.advance(31);
    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("1 sent, 0 to retry, 0 failed")
    );
    assert_eq!(
        server.expect_message().header("Subject").as_deref(),
        Some("Your order")
    );
    let (status, attempts, error, _) = row(&app, id);
    assert_eq!((status.as_str(), attempts, error.as_str()), ("sent", 2, ""));
}

#[test]
fn a_refused_login_is_the_rows_error_and_the_pass_stops_trying() {
    let app = TestApp::ready();
    let server = SmtpServer::with_login("shop-user", "secret-pass");
    server.reject_logins();
    app.use_smtp(&server);
    app.set_setting("mail.smtp.username", "shop-user");
    app.set_setting("mail.smtp.password", "secret-pass");
    let a = queue_mail(&app, "One", "Hello");
    let b = queue_mail(&app, "Two", "Hello");

    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("0 sent, 2 to retry, 0 failed")
    );
    for id in [a, b] {
        let (status, _, error, _) = row(&app, id);
        assert_eq!(status, "queued");
        assert_eq!(
            error,
            format!(
                "SMTP server 127.0.0.1:{} refused the login: 535 5.7.8 Authentication credentials invalid",
                server.port
            )
        );
    }
    assert_eq!(
        server.login_attempts(),
        1,
        "the second mail did not try again"
    );
    assert_eq!(server.accepted(), 0);
}

#[test]
fn a_wrong_security_choice_says_what_is_wrong() {
    let app = TestApp::ready();
    let server = SmtpServer::start();
    app.use_smtp(&server);
    let id = queue_mail(&app, "One", "Hello");

    // The test server offers no STARTTLS: required, so never a silent plain connection.
    app.set_setting("mail.smtp.security", "starttls");
    app.run_mail_job();
    let error = row(&app, id).2;
    assert!(error.contains("does not offer STARTTLS"), "{error}");

    // Implicit TLS against a plain server: the handshake fails, and says so.
    app.set_setting("mail.smtp.security", "tls");
    app.clock.advance(31);
    app.run_mail_job();
    let error = row(&app, id).2;
    assert!(
        error.starts_with(&format!("TLS with SMTP server 127.0.0.1:{}", server.port)),
        "{error}"
    );
    assert_eq!(server.accepted(), 0);
}

#[test]
fn switching_back_to_the_outbox_writes_an_eml_again() {
    let app = TestApp::ready();
    let server = SmtpServer::start();
    app.use_smtp(&server);
    queue_mail(&app, "By SMTP", "Hello");
    app.run_mail_job();
    assert_eq!(server.accepted(), 1);
    assert_eq!(eml_files(&app), 0);

    app.set_setting("mail.transport", "outbox");
    let id = queue_mail(&app, "To the outbox", "Hello");
    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("1 sent, 0 to retry, 0 failed")
    );
    let (status, _, _, eml) = row(&app, id);
    assert_eq!(status, "sent");
    assert!(eml.starts_with("outbox/") && eml.ends_with(".eml"), "{eml}");
    let text = std::fs::read_to_string(app.data_dir().join(&eml)).unwrap();
    assert!(text.contains("Subject: To the outbox"));
    assert_eq!(eml_files(&app), 1);
    assert_eq!(server.accepted(), 1, "nothing more went to the server");
    assert!(server.next_message(Duration::ZERO).is_some());
    assert!(server.next_message(Duration::ZERO).is_none());
}

// ---------------------------------------------------------------------------------------
// The back-office mail settings page and its test-mail button

const PAGE: &str = "/admin/settings/mail";

fn owner(app: &TestApp) {
    assert_eq!(app.login_staff("owner@shop.test", OWNER_PW).status, 303);
}

fn setting(app: &TestApp, name: &str) -> String {
    let secret = app.secret();
    app.db
        .read_blocking(|c| {
            if cornershop::settings::keys::find(name).is_some_and(|k| k.secret) {
                cornershop::settings::get_secret(c, &secret, name)
            } else {
                cornershop::settings::get(c, name)
            }
        })
        .unwrap()
}

fn changes_audited(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM audit_log WHERE action = 'setting.changed'")
}

/// A port on 127.0.0.1 that nobody listens on.
fn dead_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn form<'a>(port: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("transport", "smtp"),
        ("from", "shop@tea.test"),
        ("host", "127.0.0.1"),
        ("port", port),
        ("security", "none"),
        ("username", "shop-user"),
        ("password", password),
    ]
}

#[test]
fn the_settings_list_links_to_the_mail_settings() {
    let app = TestApp::ready();
    owner(&app);
    let list = app.get("/admin/settings");
    assert!(list.body.contains(&format!("href=\"{PAGE}\"")));
    let page = app.get(PAGE);
    assert_eq!(page.status, 200);
    assert_eq!(page.input_value("to").as_deref(), Some("owner@shop.test"));
    assert_eq!(page.input_value("from").as_deref(), Some("shop@localhost"));
    assert!(page.body.contains("Now: outbox folder"));
}

#[test]
fn saving_stores_every_field_audits_each_change_and_an_empty_password_keeps_the_stored_one() {
    let app = TestApp::ready();
    let server = SmtpServer::with_login("shop-user", "pass word 7");
    owner(&app);
    let port = server.port.to_string();
    let res = app.post_form(PAGE, PAGE, &form(&port, "pass word 7"));
    assert_eq!(res.status, 303, "{}", res.body);
    let page = app.get(PAGE);
    assert!(
        page.body.contains("Mail settings saved (7 changes)."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Now: SMTP server"));
    for (name, value) in [
        ("mail.transport", "smtp"),
        ("mail.from", "shop@tea.test"),
        ("mail.smtp.host", "127.0.0.1"),
        ("mail.smtp.port", port.as_str()),
        ("mail.smtp.security", "none"),
        ("mail.smtp.username", "shop-user"),
        ("mail.smtp.password", "pass word 7"),
    ] {
        assert_eq!(setting(&app, name), value, "{name}");
    }
    let stored: String = app.sql(|c| {
        c.query_row(
            "SELECT value FROM settings WHERE key = 'mail.smtp.password'",
            [],
            |r| r.get(0),
        )
    });
    assert!(stored.starts_with("enc1:"));
    // Each change audited, by the staff member, the password masked.
    assert_eq!(changes_audited(&app), 7);
    let details: String = app.sql(|c| {
        c.query_row(
            "SELECT details FROM audit_log WHERE action = 'setting.changed'
             AND entity_id = 'mail.smtp.password' AND actor_kind = 'staff'",
            [],
            |r| r.get(0),
        )
    });
    assert_eq!(details, r#"{"new":"********","old":""}"#);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE details LIKE '%pass word%'"),
        0
    );

    // Saved again with an empty password and one change: only that one is stored.
    let mut again = form(&port, "");
    again[1] = ("from", "hello@tea.test");
    let res = app.post_form(PAGE, PAGE, &again);
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(app
        .get(PAGE)
        .body
        .contains("Mail settings saved (1 change)."));
    assert_eq!(setting(&app, "mail.smtp.password"), "pass word 7");
    assert_eq!(setting(&app, "mail.from"), "hello@tea.test");
    assert_eq!(changes_audited(&app), 8);

    // And the stored password works: the test mail logs in with it.
    let res = app.post_form(PAGE, &format!("{PAGE}/test"), &[("to", "mira@tea.test")]);
    assert_eq!(res.status, 303);
    let m = server.expect_message();
    assert_eq!(m.user.as_deref(), Some("shop-user"));
    assert_eq!(m.from, "hello@tea.test");
}

#[test]
fn the_page_never_shows_the_stored_password() {
    let app = TestApp::ready();
    app.set_setting("mail.smtp.username", "shop-user");
    app.set_setting("mail.smtp.password", "hunter2-very-secret");
    let sealed: String = app.sql(|c| {
        c.query_row(
            "SELECT value FROM settings WHERE key = 'mail.smtp.password'",
            [],
            |r| r.get(0),
        )
    });
    owner(&app);
    for path in [PAGE, "/admin/settings"] {
        let page = app.get(path);
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("hunter2"), "{path} shows the password");
        assert!(
            !page.body.contains(&sealed[5..20]),
            "{path} shows the sealed text"
        );
    }
    let page = app.get(PAGE);
    assert!(page.body.contains("A password is stored"));
    assert_eq!(page.input_value("password"), None, "the field is empty");
    // Even a refused form does not send back the password that was typed.
    let res = app.post_form(PAGE, PAGE, &form("0", "typed-new-secret"));
    assert_eq!(res.status, 422);
    assert!(!res.body.contains("typed-new-secret"));
    assert!(res.body.contains("Type the password again"));
}

#[test]
fn bad_values_change_nothing_and_each_is_explained_next_to_its_field() {
    let app = TestApp::ready();
    owner(&app);
    let before = changes_audited(&app);
    let mut bad = form("0", "pw");
    bad[2] = ("host", "smtp.tea.test");
    bad[4] = ("security", "ssl2");
    let res = app.post_csrf(PAGE, PAGE, &bad);
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("Nothing was saved."));
    let port_error = res.body.find("id=\"f-port-error\"").expect("a port error");
    assert!(res.body[port_error..].starts_with(
        "id=\"f-port-error\"><span class=\"field-error-icon\" aria-hidden=\"true\">!</span>Enter a port from 1 to 65535."
    ));
    assert!(res.body.contains("aria-describedby=\"f-port-error\""));
    assert!(res
        .body
        .contains("id=\"f-security-error\"><span class=\"field-error-icon\" aria-hidden=\"true\">!</span>Choose STARTTLS, TLS or no encryption."));
    // What was typed is kept.
    assert_eq!(res.input_value("port").as_deref(), Some("0"));
    assert_eq!(res.input_value("host").as_deref(), Some("smtp.tea.test"));
    assert_eq!(res.input_value("from").as_deref(), Some("shop@tea.test"));
    // The valid fields were not saved either.
    assert_eq!(changes_audited(&app), before);
    assert_eq!(setting(&app, "mail.transport"), "outbox");
    assert_eq!(setting(&app, "mail.smtp.host"), "");
    assert_eq!(setting(&app, "mail.smtp.port"), "587");
    assert_eq!(setting(&app, "mail.smtp.password"), "");

    // A plain-text login to another machine is refused on the security field.
    let mut far = form("25", "pw");
    far[2] = ("host", "smtp.tea.test");
    let res = app.post_form(PAGE, PAGE, &far);
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"f-security-error\""));
    assert!(res
        .body
        .contains("password would cross the network in plain text"));
    assert_eq!(setting(&app, "mail.transport"), "outbox");

    // Without the form's CSRF token nothing is even read.
    let res = app.post_raw(PAGE, &form("25", "pw"));
    assert_eq!(res.status, 403);
    assert_eq!(changes_audited(&app), before);
}

#[test]
fn the_test_mail_button_delivers_through_smtp_at_once() {
    let app = TestApp::ready();
    let server = SmtpServer::start();
    app.use_smtp(&server);
    app.set_setting("shop.name", "Mira's Tea");
    app.set_setting("mail.from", "shop@tea.test");
    owner(&app);
    let res = app.post_form(PAGE, &format!("{PAGE}/test"), &[("to", "mira@tea.test")]);
    assert_eq!(res.status, 303, "{}", res.body);
    let m = server.expect_message();
    assert_eq!(m.to, ["mira@tea.test"]);
    assert_eq!(
        m.header("Subject").as_deref(),
        Some("Test mail from Mira's Tea")
    );
    assert!(m.header("From").unwrap().contains("Mira's Tea"));
    let page = app.get(PAGE);
    assert!(
        page.body.contains(&format!(
            "Test mail to mira@tea.test accepted by SMTP server 127.0.0.1:{}.",
            server.port
        )),
        "{}",
        page.body
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'mail.test_sent' AND outcome = 'event' AND actor_kind = 'staff'"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox"),
        0,
        "a test mail is not queued"
    );

    // A recipient that is not an address is refused next to the field; nothing is sent.
    let res = app.post_form(PAGE, &format!("{PAGE}/test"), &[("to", "not an address")]);
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"f-to-error\""));
    assert_eq!(res.input_value("to").as_deref(), Some("not an address"));
    assert_eq!(server.accepted(), 1);
}

#[test]
fn the_test_mail_button_shows_the_error_when_the_server_is_down() {
    let app = TestApp::ready();
    let port = dead_port();
    app.set_setting("mail.transport", "smtp");
    app.set_setting("mail.smtp.host", "127.0.0.1");
    app.set_setting("mail.smtp.port", &port.to_string());
    app.set_setting("mail.smtp.security", "none");
    owner(&app);
    let res = app.post_form(PAGE, &format!("{PAGE}/test"), &[("to", "mira@tea.test")]);
    assert_eq!(res.status, 303);
    let page = app.get(PAGE);
    assert!(
        page.body.contains(&format!(
            "The test mail to mira@tea.test could not be sent: cannot connect to SMTP server 127.0.0.1:{port}:"
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("alert-error"));
    let details: String = app.sql(|c| {
        c.query_row(
            "SELECT details FROM audit_log WHERE action = 'mail.test_sent' AND outcome = 'error'",
            [],
            |r| r.get(0),
        )
    });
    assert!(details.contains("cannot connect"), "{details}");
}

#[test]
fn with_the_outbox_chosen_the_test_mail_is_written_there() {
    let app = TestApp::ready();
    owner(&app);
    let res = app.post_form(PAGE, &format!("{PAGE}/test"), &[("to", "mira@tea.test")]);
    assert_eq!(res.status, 303);
    assert_eq!(eml_files(&app), 1);
    let page = app.get(PAGE);
    assert!(
        page.body
            .contains("written to the outbox folder as outbox/"),
        "{}",
        page.body
    );
}

#[test]
fn a_viewer_sees_the_page_but_cannot_save_or_send() {
    let app = TestApp::ready();
    let server = SmtpServer::start();
    app.use_smtp(&server);
    app.login_as("Viewer");
    let page = app.get(PAGE);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Save mail settings"));
    assert!(!page.body.contains("Send test mail"));
    let before = changes_audited(&app);
    let res = app.post_csrf(PAGE, PAGE, &form("2525", "pw"));
    assert_eq!(res.status, 403);
    let res = app.post_csrf(PAGE, &format!("{PAGE}/test"), &[("to", "mira@tea.test")]);
    assert_eq!(res.status, 403);
    assert_eq!(changes_audited(&app), before);
    assert_eq!(setting(&app, "mail.smtp.port"), server.port.to_string());
    assert_eq!(server.accepted(), 0);
}

#[test]
fn a_damaged_stored_password_is_named_on_the_page_and_in_the_queue() {
    let app = TestApp::ready();
    let server = SmtpServer::with_login("shop-user", "secret-pass");
    app.use_smtp(&server);
    app.set_setting("mail.smtp.username", "shop-user");
    app.set_setting("mail.smtp.password", "secret-pass");
    // Damage the sealed value (as a broken disk or a foreign secret.key would).
    app.sql(|c| {
        c.execute(
            "UPDATE settings SET value = value || 'AAAA' WHERE key = 'mail.smtp.password'",
            [],
        )
    });
    let id = queue_mail(&app, "Welcome", "Hello");
    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("0 sent, 1 to retry, 0 failed")
    );
    let error = row(&app, id).2;
    assert!(
        error.contains("mail.smtp.password cannot be decrypted") && error.contains("set it again"),
        "{error}"
    );
    assert_eq!(server.connections(), 0, "no attempt with a wrong password");

    owner(&app);
    let page = app.get(PAGE);
    assert!(page.body.contains("mail.smtp.password cannot be decrypted"));
    // Saving without typing the password again is refused on the password field …
    let res = app.post_form(PAGE, PAGE, &form(&server.port.to_string(), ""));
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"f-password-error\""));
    // … and typing it again repairs it.
    let res = app.post_form(PAGE, PAGE, &form(&server.port.to_string(), "secret-pass"));
    assert_eq!(res.status, 303, "{}", res.body);
    app.clock.advance(31);
    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("1 sent, 0 to retry, 0 failed")
    );
    assert_eq!(server.expect_message().user.as_deref(), Some("shop-user"));
}
