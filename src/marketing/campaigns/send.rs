//! Sending a campaign: the mail as one member gets it (for the preview and the test send
//! too), and the `marketing` job's batches. Each batch is one transaction that writes a
//! recipient row per member with the mail queued for them (or why they were passed over),
//! so a campaign killed midway resumes with the members who have no row yet; the primary
//! key makes a second mail to one member from one campaign impossible, and the outbox
//! sends campaign mail at most once (`mail::sender`).

use rusqlite::{params, Connection};
use serde_json::json;
use time::OffsetDateTime;

use super::form::absolute;
use super::store::{must_get, Campaign};
use super::unsubscribe;
use crate::audit::{self, Actor};
use crate::clock::sql_time;
use crate::db::Db;
use crate::error::AppResult;
use crate::mail::templates::{render, Rendered};
use crate::mail::{queue_marketing, NewMail};
use crate::secret::Secret;
use crate::settings;
use crate::web::templates::escape_html;

/// Members handled per transaction, so sending never holds the writer for long.
const BATCH: i64 = 100;
/// Members one pass of the job handles at most; the next pass goes on.
const PER_PASS: usize = 5_000;

/// Who a mail is for.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl Member {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Up to `n` members of `group` a campaign would reach now (active, not deleted, not
/// opted out), for choosing whose data the preview shows.
pub fn reachable(c: &Connection, group: i64, n: i64) -> AppResult<Vec<Member>> {
    let mut stmt = c.prepare_cached(
        "SELECT c.id, c.email, c.first_name, c.last_name
         FROM target_group_members m JOIN customers c ON c.id = m.customer_id
         WHERE m.group_id = ?1 AND c.active = 1 AND c.deleted_at IS NULL AND c.marketing_opt_out_at IS NULL
         ORDER BY c.id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![group, n], |r| {
        Ok(Member {
            id: r.get(0)?,
            email: r.get(1)?,
            first_name: r.get(2)?,
            last_name: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The campaign mail as `member` gets it, with `unsubscribe_url` as its unsubscribe link:
/// the `campaign` template rendered with their data, and the unsubscribe line added to a
/// part that does not carry the link already (an edited template may have dropped it).
pub fn mail_for(
    c: &Connection,
    k: &Campaign,
    shop_url: &str,
    member: &Member,
    unsubscribe_url: &str,
) -> AppResult<Rendered> {
    let shop_name = settings::get(c, "shop.name")?;
    let vars = json!({
        "shop": { "name": shop_name, "url": shop_url },
        "customer": { "first_name": member.first_name, "last_name": member.last_name, "email": member.email },
        "campaign": {
            "title": k.title, "message": k.message, "link": absolute(&k.link, shop_url),
            "unsubscribe_url": unsubscribe_url,
        },
    });
    let mut r = render(c, "campaign", &vars)?;
    if !r.text.contains(unsubscribe_url) {
        r.text = format!(
            "{}\n\n--\nYou get this mail as a customer of {shop_name}. No more news and offers: {unsubscribe_url}",
            r.text
        );
    }
    if !r.html.is_empty() && !r.html.contains(&escape_html(unsubscribe_url)) {
        let line = format!(
            "<p style=\"margin:24px 0 0;font-size:12px;color:#5b6763\">You get this mail as a customer of {}. \
             <a href=\"{}\" style=\"color:#5b6763\">Unsubscribe</a> from news and offers with one click.</p>",
            escape_html(&shop_name),
            escape_html(unsubscribe_url)
        );
        r.html = match r.html.rfind("</body>") {
            Some(at) => format!("{}{line}{}", &r.html[..at], &r.html[at..]),
            None => format!("{}{line}", r.html),
        };
    }
    Ok(r)
}

/// Queues the campaign mail for `member` in the caller's transaction; its outbox id.
fn queue_for(
    tx: &Connection,
    secret: &Secret,
    k: &Campaign,
    member: &Member,
    now: OffsetDateTime,
) -> AppResult<i64> {
    let unsub = unsubscribe::url(secret, &k.shop_url, member.id);
    let r = mail_for(tx, k, &k.shop_url, member, &unsub)?;
    queue_marketing(
        tx,
        &NewMail {
            template: "campaign",
            to_address: &member.email,
            to_name: &member.name(),
            subject: &r.subject,
            text: &r.text,
            html: &r.html,
        },
        &unsub,
        now,
    )
}

/// A test of the campaign mail, to `to`, with `member`'s data and a link that
/// unsubscribes nobody; queued like the real ones.
pub fn queue_test(
    tx: &Connection,
    k: &Campaign,
    shop_url: &str,
    member: &Member,
    to: &str,
    now: OffsetDateTime,
) -> AppResult<i64> {
    let unsub = unsubscribe::test_url(shop_url);
    let r = mail_for(tx, k, shop_url, member, &unsub)?;
    queue_marketing(
        tx,
        &NewMail {
            template: "campaign",
            to_address: to,
            to_name: "",
            subject: &format!("[Test] {}", r.subject),
            text: &r.text,
            html: &r.html,
        },
        &unsub,
        now,
    )
}

/// Works off the next batch of campaign `id`: how many members it handled; 0 means none
/// was left, and the campaign is then marked done.
fn batch(tx: &Connection, secret: &Secret, id: i64, now: OffsetDateTime) -> AppResult<usize> {
    let k = must_get(tx, id)?;
    if k.state != "sending" {
        return Ok(0);
    }
    let Some(group) = k.group_id else {
        return finish(tx, &k, now).map(|_| 0);
    };
    let people: Vec<(Member, &'static str)> = tx
        .prepare_cached(
            "SELECT c.id, c.email, c.first_name, c.last_name,
                    CASE WHEN c.active = 0 OR c.deleted_at IS NOT NULL THEN 'inactive'
                         WHEN c.marketing_opt_out_at IS NOT NULL THEN 'opted_out' ELSE '' END
             FROM target_group_members m JOIN customers c ON c.id = m.customer_id
             WHERE m.group_id = ?1
               AND NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = ?2 AND r.customer_id = c.id)
             ORDER BY c.id LIMIT ?3",
        )?
        .query_map(params![group, id, BATCH], |r| {
            let skipped: String = r.get(4)?;
            Ok((
                Member {
                    id: r.get(0)?,
                    email: r.get(1)?,
                    first_name: r.get(2)?,
                    last_name: r.get(3)?,
                },
                match skipped.as_str() {
                    "inactive" => "inactive",
                    "opted_out" => "opted_out",
                    _ => "",
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    if people.is_empty() {
        return finish(tx, &k, now).map(|_| 0);
    }
    for (member, skipped) in &people {
        let mail = if skipped.is_empty() {
            Some(queue_for(tx, secret, &k, member, now)?)
        } else {
            None
        };
        tx.prepare_cached(
            "INSERT INTO campaign_recipients (campaign_id, customer_id, mail_id, skipped) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id, member.id, mail, skipped])?;
    }
    Ok(people.len())
}

/// Marks a campaign done, audited with what it did.
fn finish(tx: &Connection, k: &Campaign, now: OffsetDateTime) -> AppResult<()> {
    tx.prepare_cached(
        "UPDATE campaigns SET state = 'done', finished_at = ?2 WHERE id = ?1 AND state = 'sending'",
    )?
    .execute(params![k.id, sql_time(now)])?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "campaign.finished")
            .actor(Actor::System)
            .entity("campaign", k.id)
            .details(json!({
                "title": k.title, "group": k.group_name, "mailed": k.mailed,
                "opted_out": k.opted_out, "inactive": k.inactive,
            })),
    )
}

/// One pass of the job: works off the campaigns being sent, oldest first, a batch per
/// transaction, up to `PER_PASS` members. Returns how many members it handled.
pub fn run_once(db: &Db, secret: &Secret, now: OffsetDateTime) -> AppResult<usize> {
    run_batches(db, secret, now, PER_PASS)
}

/// `run_once` that stops after about `most` members (whole batches): a pass cut short, as
/// a shop killed between two batches leaves it.
pub fn run_batches(db: &Db, secret: &Secret, now: OffsetDateTime, most: usize) -> AppResult<usize> {
    crate::marketing::in_batches(
        db,
        "SELECT id FROM campaigns WHERE state = 'sending' ORDER BY id",
        most,
        |tx, id| batch(tx, secret, id, now),
    )
}
