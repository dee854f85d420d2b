//! Registration end to end through real mail delivery: the verification mail goes out over
//! SMTP to a real (test) SMTP server, or into the outbox folder as an `.eml` file, and the
//! link read from the delivered message verifies the account.

mod common;

use base64::Engine;
use common::accounts::{no_captcha, register, registration, Browser, CUSTOMER_PW};
use common::smtp::{decode_words, SmtpServer};
use common::TestApp;

/// The plain-text part of a delivered message, decoded from its transfer encoding.
fn text_part(message: &str) -> String {
    let message = message.replace("\r\n", "\n");
    let at = message
        .find("Content-Type: text/plain")
        .expect("a text/plain part");
    let part = &message[at..];
    let (head, body) = part.split_once("\n\n").expect("part headers end");
    let body = body.split("\n--").next().unwrap_or(body);
    let encoding = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Transfer-Encoding: "))
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "quoted-printable" => {
            let joined = body.replace("=\n", "");
            let mut out = Vec::new();
            let bytes = joined.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 2 < bytes.len() {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).expect("QP escape"));
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).expect("UTF-8 text")
        }
        "base64" => {
            let clean: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .expect("base64 body"),
            )
            .expect("UTF-8 text")
        }
        _ => body.to_string(),
    }
}

/// The path and query of the verification link in a text, which must be on this shop.
fn verify_link(app: &TestApp, text: &str) -> String {
    let start = text
        .find(&format!("{}/account/verify?token=", app.base))
        .unwrap_or_else(|| panic!("an absolute link to this shop in: {text}"));
    let url = text[start..].split_whitespace().next().unwrap();
    url[app.base.len()..].to_string()
}

fn verify_and_log_in(app: &TestApp, b: &Browser, link: &str, email: &str) {
    let res = b.get(link);
    assert_eq!(res.status, 303);
    assert!(b.follow(&res).body.contains("is verified"));
    let res = b.login(email, CUSTOMER_PW);
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(b.get("/account").status, 200);
    assert_eq!(
        app.count("SELECT count(*) FROM customers WHERE verified_at IS NOT NULL"),
        1
    );
}

#[test]
fn the_verification_mail_arrives_over_smtp_and_its_link_verifies() {
    let app = TestApp::ready();
    no_captcha(&app);
    let server = SmtpServer::start();
    app.use_smtp(&server);
    let b = Browser::new(&app);
    assert_eq!(register(&b, &registration("smtp@tea.test")).status, 303);

    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("1 sent, 0 to retry, 0 failed")
    );
    let mail = server.expect_message();
    assert_eq!(mail.to, ["smtp@tea.test"]);
    assert!(mail
        .header("To")
        .unwrap()
        .contains("\"Mira Ivanova\" <smtp@tea.test>"));
    assert_eq!(
        decode_words(&mail.header("Subject").unwrap()),
        "Please confirm your email address for Cornershop"
    );
    let text = text_part(&mail.data);
    assert!(text.starts_with("Hello Mira,"), "{text}");
    verify_and_log_in(&app, &b, &verify_link(&app, &text), "smtp@tea.test");
}

#[test]
fn without_smtp_the_verification_mail_is_an_eml_file_in_the_outbox() {
    let app = TestApp::ready();
    no_captcha(&app);
    let b = Browser::new(&app);
    assert_eq!(register(&b, &registration("eml@tea.test")).status, 303);
    assert_eq!(
        app.run_mail_job().as_deref(),
        Some("1 sent, 0 to retry, 0 failed")
    );

    let files: Vec<_> = std::fs::read_dir(app.data_dir().join("outbox"))
        .expect("the outbox folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("\r\n"), "RFC 5322 line ends");
    assert!(eml.contains("To: \"Mira Ivanova\" <eml@tea.test>"), "{eml}");
    assert!(eml.contains("multipart/alternative"));
    let text = text_part(&eml);
    verify_and_log_in(&app, &b, &verify_link(&app, &text), "eml@tea.test");
}
