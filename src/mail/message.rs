//! Turns a queued row into the bytes of an RFC 5322 message (multipart/alternative when
//! there is an HTML part). The same bytes go to the outbox folder or to SMTP, so what the
//! shop owner reads in the outbox is exactly what a mail server would get.

use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};

/// A finished message: its bytes and the envelope (sender and recipients) SMTP needs.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

/// What the sender needs of a queued row.
#[derive(Debug, Clone)]
pub struct Queued {
    pub id: i64,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attempts: i64,
    /// The one-click unsubscribe address of a marketing mail ("" for none): sent as
    /// `List-Unsubscribe` with `List-Unsubscribe-Post` (RFC 8058), so mail programs offer
    /// their own unsubscribe button.
    pub unsubscribe_url: String,
}

/// Builds the message from `from_address` with the shop's name as the display name.
pub fn build(mail: &Queued, shop_name: &str, from_address: &str) -> Result<Outgoing, String> {
    let from_addr: Address = from_address
        .parse()
        .map_err(|_| format!("setting mail.from ('{from_address}') is not an email address"))?;
    let domain = from_addr.domain().to_string();
    let from = Mailbox::new(Some(shop_name.to_string()), from_addr);
    let to_addr: Address = mail
        .to_address
        .parse()
        .map_err(|_| format!("'{}' is not an email address", mail.to_address))?;
    let to = Mailbox::new(
        (!mail.to_name.is_empty()).then(|| mail.to_name.clone()),
        to_addr,
    );
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!(
            "<cornershop.{}.{}@{domain}>",
            mail.id,
            crate::secret::random_token()
        )));
    if !mail.unsubscribe_url.is_empty() {
        if mail.unsubscribe_url.contains(['\r', '\n', '<', '>']) {
            return Err("the unsubscribe address cannot hold line breaks or angle brackets".into());
        }
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", mail.unsubscribe_url),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    let message = if mail.html.is_empty() {
        builder.body(mail.text.clone())
    } else {
        builder.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
    }
    .map_err(|e| format!("cannot build the message: {e}"))?;
    Ok(Outgoing {
        envelope: message.envelope().clone(),
        bytes: message.formatted(),
    })
}

/// A small finished message for transport tests.
#[cfg(test)]
pub fn sample() -> Outgoing {
    let mail = Queued {
        id: 1,
        to_address: "a@b.test".into(),
        to_name: String::new(),
        subject: "Hi".into(),
        text: "Hello".into(),
        html: String::new(),
        attempts: 0,
        unsubscribe_url: String::new(),
    };
    build(&mail, "Shop", "shop@b.test").expect("a valid sample")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_has_both_parts_and_encodes_what_is_not_ascii() {
        let mail = Queued {
            id: 7,
            to_address: "mira@tea.test".into(),
            to_name: "Míra Çay".into(),
            subject: "Your order — thank you".into(),
            text: "Hello Míra".into(),
            html: "<p>Hello <b>Míra</b></p>".into(),
            attempts: 0,
            unsubscribe_url: String::new(),
        };
        let out = build(&mail, "Mira's Tea", "shop@tea.test").unwrap();
        assert_eq!(out.envelope.from().unwrap().to_string(), "shop@tea.test");
        assert_eq!(out.envelope.to()[0].to_string(), "mira@tea.test");
        let text = String::from_utf8(out.bytes).unwrap();
        let header = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_default()
                .to_string()
        };
        assert!(header("From: ").ends_with("<shop@tea.test>"), "{text}");
        assert!(
            header("To: ").contains("=?utf-8?") && header("To: ").ends_with("<mira@tea.test>"),
            "{text}"
        );
        assert!(
            header("Subject: ").contains("=?utf-8?"),
            "non-ASCII subject is encoded: {text}"
        );
        assert!(text.contains("multipart/alternative"));
        assert!(text.contains("Message-ID: <cornershop.7."));
        assert!(text.contains("text/plain") && text.contains("text/html"));
    }

    #[test]
    fn a_marketing_mail_carries_the_one_click_unsubscribe_headers() {
        let mut mail = Queued {
            id: 3,
            to_address: "mira@tea.test".into(),
            to_name: String::new(),
            subject: "News".into(),
            text: "Hello".into(),
            html: String::new(),
            attempts: 0,
            unsubscribe_url: "https://tea.test/unsubscribe/7/abc".into(),
        };
        let text = String::from_utf8(build(&mail, "Tea", "shop@tea.test").unwrap().bytes).unwrap();
        assert!(
            text.contains("List-Unsubscribe: <https://tea.test/unsubscribe/7/abc>\r\n"),
            "{text}"
        );
        assert!(
            text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
            "{text}"
        );
        mail.unsubscribe_url = "https://tea.test/x>\r\nBcc: all@evil.test".into();
        assert!(
            build(&mail, "Tea", "shop@tea.test").is_err(),
            "no header injection"
        );
        mail.unsubscribe_url = String::new();
        let plain = String::from_utf8(build(&mail, "Tea", "shop@tea.test").unwrap().bytes).unwrap();
        assert!(!plain.contains("List-Unsubscribe"), "{plain}");
    }

    #[test]
    fn a_bad_sender_setting_says_which_setting() {
        let mail = Queued {
            id: 1,
            to_address: "a@b.test".into(),
            to_name: String::new(),
            subject: "x".into(),
            text: "y".into(),
            html: String::new(),
            attempts: 0,
            unsubscribe_url: String::new(),
        };
        assert!(build(&mail, "Shop", "nonsense")
            .unwrap_err()
            .contains("mail.from"));
    }
}
