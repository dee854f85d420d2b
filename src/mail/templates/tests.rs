use serde_json::json;

use super::*;
use crate::db::Db;

fn eur() -> &'static Currency {
    Currency::find("EUR").unwrap()
}

fn sample(name: &str) -> Value {
    spec::sample(name, eur()).unwrap()
}

fn open() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("shop.db")).unwrap();
    db.write_blocking(|tx| seed(tx)).unwrap();
    (dir, db)
}

/// The value at a dotted path ("order.lines").
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

#[test]
fn every_template_has_files_and_renders_its_sample_on_one_subject_line() {
    assert_eq!(SPECS.len(), 11);
    for s in SPECS {
        let d = defaults(s.name).unwrap_or_else(|| panic!("{}: no files", s.name));
        let r = check(s.name, &d).unwrap_or_else(|e| panic!("{}: {e:?}", s.name));
        assert!(
            !r.subject.is_empty() && !r.subject.contains(['\r', '\n']),
            "{}: {:?}",
            s.name,
            r.subject
        );
        assert!(!r.subject.contains("{{"), "{}: {}", s.name, r.subject);
        assert!(r.html.starts_with("<!DOCTYPE html>"), "{}", s.name);
        for part in [&r.html, &r.text] {
            assert!(part.contains("Mira"), "{}: greets the customer", s.name);
            assert!(
                part.contains("https://shop.example"),
                "{}: links the shop",
                s.name
            );
            assert!(!part.contains("{{") && !part.contains("{%"), "{}", s.name);
        }
        assert!(
            !r.text.contains("<p") && !r.text.contains("\n\n\n"),
            "{}: {}",
            s.name,
            r.text
        );
    }
}

#[test]
fn every_contract_variable_is_in_the_sample_and_nothing_else() {
    for s in SPECS {
        let v = sample(s.name);
        let listed: Vec<&str> = COMMON.iter().chain(s.vars).map(|v| v.name).collect();
        for name in &listed {
            assert!(at(&v, name).is_some(), "{}: sample lacks {name}", s.name);
        }
        // Every leaf of the sample is a listed variable (or inside one, like order.lines).
        fn leaves(v: &Value, prefix: String, out: &mut Vec<String>) {
            match v.as_object() {
                Some(o) => {
                    for (k, v) in o {
                        let p = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        leaves(v, p, out);
                    }
                }
                None => out.push(prefix),
            }
        }
        let mut all = Vec::new();
        leaves(&v, String::new(), &mut all);
        for leaf in all {
            assert!(
                listed.contains(&leaf.as_str()),
                "{}: {leaf} is not in the contract",
                s.name
            );
        }
    }
    let lines = at(&sample("order_paid"), "order.lines")
        .unwrap()
        .as_array()
        .unwrap()
        .clone();
    for l in lines {
        for k in ["name", "sku", "quantity", "unit_price", "line_total"] {
            assert!(l.get(k).is_some(), "order line lacks {k}");
        }
    }
}

#[test]
fn html_escapes_a_script_in_the_name_and_text_and_subject_keep_it_literal() {
    for s in SPECS {
        let mut v = sample(s.name);
        v["customer"]["first_name"] = json!("<script>alert(1)</script>");
        let r = render_parts(s.name, &defaults(s.name).unwrap(), &v).unwrap();
        assert!(!r.html.contains("<script>"), "{}", s.name);
        assert!(
            r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{}",
            s.name
        );
        assert!(
            r.text.contains("Hello <script>alert(1)</script>,"),
            "{}: {}",
            s.name,
            r.text
        );
    }
    let parts = Parts::from_form("Hi {{ customer.first_name }} & co", "", "x");
    let mut v = sample("verification");
    v["customer"]["first_name"] = json!("<b>Mira</b>");
    let r = render_parts("verification", &parts, &v).unwrap();
    assert_eq!(r.subject, "Hi <b>Mira</b> & co", "the subject is not HTML");
    assert_eq!(r.html, "", "no HTML source, no HTML part");
}

#[test]
fn line_breaks_from_data_never_reach_the_subject() {
    let mut v = sample("campaign");
    v["campaign"]["title"] = json!("  Big news\r\nBcc: all@evil.test\n\tsoon ");
    let r = render_parts("campaign", &defaults("campaign").unwrap(), &v).unwrap();
    assert_eq!(r.subject, "Big news Bcc: all@evil.test soon");
}

#[test]
fn the_campaign_message_is_escaped_and_split_into_paragraphs_in_html_only() {
    let mut v = sample("campaign");
    v["campaign"]["message"] = json!("First <i>line</i>\nsame paragraph\n\nSecond & last");
    let r = render_parts("campaign", &defaults("campaign").unwrap(), &v).unwrap();
    assert!(
        r.html
            .contains("First &lt;i&gt;line&lt;/i&gt;<br>\nsame paragraph</p>"),
        "{}",
        r.html
    );
    assert!(r.html.contains(">Second &amp; last</p>"), "{}", r.html);
    assert!(
        r.text
            .contains("First <i>line</i>\nsame paragraph\n\nSecond & last"),
        "{}",
        r.text
    );
}

#[test]
fn broken_templates_are_refused_part_by_part_with_teras_message() {
    let d = defaults("verification").unwrap();
    let broken = Parts {
        subject: "Hi {{ customer.first_name ".into(),
        text: "{{ nosuch.var }}".into(),
        ..d.clone()
    };
    let errors = check("verification", &broken).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].part, Part::Subject);
    assert!(
        errors[0]
            .message
            .contains("Failed to parse 'verification/subject.txt'"),
        "{}",
        errors[0].message
    );
    assert!(
        errors[0].message.contains("1:"),
        "the cause (line:column) is included: {}",
        errors[0].message
    );
    assert_eq!(errors[1].part, Part::Text);
    assert!(
        errors[1].message.contains("nosuch.var"),
        "{}",
        errors[1].message
    );

    let unknown_filter = Parts {
        html: "{{ shop.name | shout }}".into(),
        ..d.clone()
    };
    let errors = check("verification", &unknown_filter).unwrap_err();
    assert_eq!(errors[0].part, Part::Html);
    assert!(errors[0].message.contains("shout"), "{}", errors[0].message);

    let empty = Parts {
        subject: "".into(),
        text: " \n".into(),
        ..d.clone()
    };
    assert_eq!(check("verification", &empty).unwrap_err().len(), 2);
    let long = Parts {
        subject: "x".repeat(301),
        ..d.clone()
    };
    assert!(check("verification", &long).unwrap_err()[0]
        .message
        .contains("at most 300"));
    let blank_out = Parts {
        subject: "{{ shop.name | replace(from=shop.name, to='') }}".into(),
        ..d
    };
    assert!(check("verification", &blank_out).unwrap_err()[0]
        .message
        .contains("comes out empty"));
}

#[test]
fn seeding_adds_only_missing_templates_and_keeps_edits() {
    let (_dir, db) = open();
    let n: i64 = db
        .read_blocking(
            |c| Ok(c.query_row("SELECT count(*) FROM mail_templates", [], |r| r.get(0))?),
        )
        .unwrap();
    assert_eq!(n, SPECS.len() as i64);
    db.write_blocking(|tx| {
        tx.execute(
            "UPDATE mail_templates SET subject = 'Mine' WHERE name = 'order_paid'",
            [],
        )?;
        tx.execute("DELETE FROM mail_templates WHERE name = 'campaign'", [])?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        db.write_blocking(|tx| seed(tx)).unwrap(),
        1,
        "only the missing one comes back"
    );
    let (paid, campaign) = db
        .read_blocking(|c| {
            Ok((
                load(c, "order_paid")?.unwrap(),
                load(c, "campaign")?.unwrap(),
            ))
        })
        .unwrap();
    assert_eq!(paid.parts.subject, "Mine");
    assert_eq!(campaign.parts, defaults("campaign").unwrap());
    assert_eq!(campaign.updated_by, "seed");
}

#[test]
fn queue_templated_renders_the_stored_template_and_completes_the_variables() {
    let (_dir, db) = open();
    let now = OffsetDateTime::now_utc();
    let id = db
        .write_blocking(|tx| {
            tx.execute("INSERT INTO settings (key, value) VALUES ('shop.name', 'Tea & Co'), ('shop.base_url', 'https://tea.test/')", [])?;
            tx.execute(
                "UPDATE mail_templates SET subject = 'Shipped: {{ order.number }}{% if order.tracking_number %} ({{ order.tracking_number }}){% endif %}',
                        text = '{{ shop.name }} at {{ shop.url }}: {{ order.number }}.' WHERE name = 'order_shipped'",
                [],
            )?;
            let mut v = sample("order_shipped");
            v.as_object_mut().unwrap().remove("shop");
            v["order"].as_object_mut().unwrap().remove("tracking_number");
            queue_templated(tx, "order_shipped", "mira@example.com", "Mira\nLindqvist", &v, now)
        })
        .unwrap();
    let (template, to_name, subject, text, html): (String, String, String, String, String) = db
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT template, to_name, subject, text_body, html_body FROM mail_outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?)
        })
        .unwrap();
    assert_eq!(template, "order_shipped");
    assert_eq!(to_name, "Mira Lindqvist");
    assert_eq!(
        subject, "Shipped: 1042",
        "a missing tracking number is empty, not an error"
    );
    assert_eq!(text, "Tea & Co at https://tea.test: 1042.");
    assert!(
        html.contains("Tea &amp; Co"),
        "the stored HTML part is used"
    );
}

#[test]
fn a_stored_template_that_fails_to_render_is_an_error_naming_it() {
    let (_dir, db) = open();
    let err = db
        .write_blocking(|tx| {
            tx.execute(
                "UPDATE mail_templates SET text = '{{ nosuch }}' WHERE name = 'password_reset'",
                [],
            )?;
            queue_templated(
                tx,
                "password_reset",
                "mira@example.com",
                "Mira",
                &sample("password_reset"),
                OffsetDateTime::now_utc(),
            )
        })
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("mail template 'password_reset'") && msg.contains("nosuch"),
        "{msg}"
    );
    let err = db
        .read_blocking(|c| render(c, "no_such_mail", &json!({})))
        .unwrap_err();
    assert!(err.to_string().contains("no_such_mail"));
}

#[test]
fn saving_reports_the_old_parts_only_when_something_changed() {
    let (_dir, db) = open();
    let now = OffsetDateTime::now_utc();
    let d = defaults("campaign").unwrap();
    assert_eq!(
        db.write_blocking(|tx| save(tx, "campaign", &d, "a@b.test", now))
            .unwrap(),
        None
    );
    let new = Parts {
        subject: "News: {{ campaign.title }}".into(),
        ..d.clone()
    };
    let old = db
        .write_blocking(|tx| save(tx, "campaign", &new, "a@b.test", now))
        .unwrap();
    assert_eq!(old, Some(d));
    let stored = db.read_blocking(|c| load(c, "campaign")).unwrap().unwrap();
    assert_eq!(
        (stored.parts, stored.updated_by),
        (new, "a@b.test".to_string())
    );
}

#[test]
fn text_is_tidied_and_form_input_normalised() {
    assert_eq!(tidy_text("\n\nA  \r\n\n\n\nB\t\n\n"), "A\n\nB");
    let p = Parts::from_form("  Hi \r\n", "<p>\r\n</p>", "a\r\nb");
    assert_eq!(
        (p.subject.as_str(), p.html.as_str(), p.text.as_str()),
        ("Hi", "<p>\n</p>", "a\nb")
    );
}
