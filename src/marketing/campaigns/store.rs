//! Campaign rows: a draft written and changed until it is sent, then `sending` while the
//! job works through the members, then `done`. Only a draft can be changed or deleted; a
//! campaign that went out stays as the record of what was sent to whom.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::form::Draft;
use crate::audit;
use crate::clock::to_shop_time;
use crate::error::{AppError, AppResult};
use crate::marketing::groups::store as groups;
use crate::marketing::who;
use crate::staff::By;

/// A campaign and how far its sending got.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    /// Null when the group has been deleted since.
    pub group_id: Option<i64>,
    pub group_name: String,
    pub title: String,
    pub message: String,
    /// A full address or a shop path ("" for none).
    pub link: String,
    /// `draft`, `sending` or `done`.
    pub state: String,
    /// The group's members when sending started (0 for a draft).
    pub members: i64,
    /// Members a mail was queued for so far.
    pub mailed: i64,
    /// Members passed over: opted out of marketing mail, or an inactive or deleted account.
    pub opted_out: i64,
    pub inactive: i64,
    /// Their mails: still waiting, sent, failed.
    pub mails_queued: i64,
    pub mails_sent: i64,
    pub mails_failed: i64,
    pub created_by: String,
    /// UTC.
    pub created_at: String,
    pub updated_at: String,
    pub sent_by: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The shop's address the mails' links use, fixed when sending started ("" before).
    pub shop_url: String,
}

const SELECT: &str = "SELECT k.id, k.group_id, k.group_name, k.title, k.message, k.link, k.state, k.members,
        (SELECT count(*) FROM campaign_recipients r WHERE r.campaign_id = k.id AND r.mail_id IS NOT NULL),
        (SELECT count(*) FROM campaign_recipients r WHERE r.campaign_id = k.id AND r.skipped = 'opted_out'),
        (SELECT count(*) FROM campaign_recipients r WHERE r.campaign_id = k.id AND r.skipped = 'inactive'),
        (SELECT count(*) FROM campaign_recipients r JOIN mail_outbox m ON m.id = r.mail_id WHERE r.campaign_id = k.id AND m.status = 'queued'),
        (SELECT count(*) FROM campaign_recipients r JOIN mail_outbox m ON m.id = r.mail_id WHERE r.campaign_id = k.id AND m.status = 'sent'),
        (SELECT count(*) FROM campaign_recipients r JOIN mail_outbox m ON m.id = r.mail_id WHERE r.campaign_id = k.id AND m.status = 'failed'),
        k.created_by, k.created_at, k.updated_at, k.sent_by, k.started_at, k.finished_at, k.shop_url
    FROM campaigns k";

fn from_row(r: &Row) -> rusqlite::Result<Campaign> {
    Ok(Campaign {
        id: r.get(0)?,
        group_id: r.get(1)?,
        group_name: r.get(2)?,
        title: r.get(3)?,
        message: r.get(4)?,
        link: r.get(5)?,
        state: r.get(6)?,
        members: r.get(7)?,
        mailed: r.get(8)?,
        opted_out: r.get(9)?,
        inactive: r.get(10)?,
        mails_queued: r.get(11)?,
        mails_sent: r.get(12)?,
        mails_failed: r.get(13)?,
        created_by: r.get(14)?,
        created_at: r.get(15)?,
        updated_at: r.get(16)?,
        sent_by: r.get(17)?,
        started_at: r.get(18)?,
        finished_at: r.get(19)?,
        shop_url: r.get(20)?,
    })
}

impl Campaign {
    /// The shop address its links use: fixed when sending started; before that, the one
    /// the shop is served at now (`served`).
    pub fn links_base(&self, served: &str) -> String {
        if self.shop_url.is_empty() {
            served.to_string()
        } else {
            self.shop_url.clone()
        }
    }
}

pub fn must_get(c: &Connection, id: i64) -> AppResult<Campaign> {
    c.prepare_cached(&format!("{SELECT} WHERE k.id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| AppError::NotFound("There is no such campaign.".into()))
}

/// The latest 200 campaigns, newest first.
pub fn list(c: &Connection) -> AppResult<Vec<Campaign>> {
    let mut stmt = c.prepare_cached(&format!("{SELECT} ORDER BY k.id DESC LIMIT 200"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A campaign for pages: its state in words and its progress.
pub fn campaign_json(k: &Campaign, offset: i64) -> Value {
    let at = |t: &Option<String>| {
        t.as_deref()
            .map(|t| to_shop_time(t, offset).replace('T', " "))
    };
    let done = k.mailed + k.opted_out + k.inactive;
    json!({
        "id": k.id, "url": format!("/admin/campaigns/{}", k.id),
        "progress_url": format!("/admin/campaigns/{}/progress", k.id),
        "group_id": k.group_id, "group_name": k.group_name,
        "group_url": k.group_id.map(|g| format!("/admin/target-groups/{g}")),
        "title": k.title, "message": k.message, "link": k.link,
        "state": k.state,
        "state_label": match k.state.as_str() { "draft" => "Draft", "sending" => "Sending", _ => "Sent" },
        "members": k.members, "mailed": k.mailed, "opted_out": k.opted_out, "inactive": k.inactive,
        "skipped": k.opted_out + k.inactive, "done": done, "total": k.members.max(done),
        "mails_queued": k.mails_queued, "mails_sent": k.mails_sent, "mails_failed": k.mails_failed,
        "created_by": k.created_by,
        "created_at": to_shop_time(&k.created_at, offset).replace('T', " "),
        "updated_at": to_shop_time(&k.updated_at, offset).replace('T', " "),
        "sent_by": k.sent_by, "started_at": at(&k.started_at), "finished_at": at(&k.finished_at),
    })
}

fn must_be_draft(k: &Campaign, doing: &str) -> AppResult<()> {
    if k.state == "draft" {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "This campaign has been sent, so it cannot be {doing}: start a new one instead."
        )))
    }
}

/// The group a draft names, which must exist.
fn group_of(tx: &Connection, d: &Draft) -> AppResult<groups::Group> {
    groups::get(tx, d.group_id)?.ok_or_else(|| {
        AppError::Invalid("That target group does not exist (any more): choose another.".into())
    })
}

pub fn create(tx: &Connection, d: &Draft, by: &By) -> AppResult<i64> {
    let g = group_of(tx, d)?;
    tx.prepare_cached(
        "INSERT INTO campaigns (group_id, group_name, title, message, link, created_by, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![g.id, g.name, d.title, d.message, d.link, who(by), by.now])?;
    let id = tx.last_insert_rowid();
    audit::record(
        tx,
        &audit::Entry::event("marketing", "campaign.created")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("campaign", id)
            .details(json!({ "group": g.name, "title": d.title })),
    )?;
    Ok(id)
}

pub fn update(tx: &Connection, id: i64, d: &Draft, by: &By) -> AppResult<()> {
    let old = must_get(tx, id)?;
    must_be_draft(&old, "changed")?;
    let g = group_of(tx, d)?;
    tx.prepare_cached(
        "UPDATE campaigns SET group_id = ?2, group_name = ?3, title = ?4, message = ?5, link = ?6,
                updated_at = ?7 WHERE id = ?1 AND state = 'draft'",
    )?
    .execute(params![
        id, g.id, g.name, d.title, d.message, d.link, by.now
    ])?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "campaign.updated")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("campaign", id)
            .details(json!({
                "old": { "group": old.group_name, "title": old.title, "message": old.message, "link": old.link },
                "new": { "group": g.name, "title": d.title, "message": d.message, "link": d.link },
            })),
    )
}

pub fn remove(tx: &Connection, id: i64, by: &By) -> AppResult<String> {
    let k = must_get(tx, id)?;
    must_be_draft(&k, "deleted")?;
    tx.prepare_cached("DELETE FROM campaigns WHERE id = ?1 AND state = 'draft'")?
        .execute([id])?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "campaign.deleted")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("campaign", id)
            .details(json!({ "group": k.group_name, "title": k.title })),
    )?;
    Ok(k.title)
}

/// Starts sending a draft to its group's members: the job queues their mails. `shop_url`
/// is the address the mails' links use, fixed now.
pub fn start(tx: &Connection, id: i64, shop_url: &str, by: &By) -> AppResult<i64> {
    let k = must_get(tx, id)?;
    must_be_draft(&k, "sent again")?;
    let g = k
        .group_id
        .map(|g| groups::get(tx, g))
        .transpose()?
        .flatten()
        .ok_or_else(|| {
            AppError::Conflict(
                "The campaign's target group has been deleted: edit it and choose another.".into(),
            )
        })?;
    if g.members == 0 {
        return Err(AppError::Conflict(
            "The target group has no members: refresh it from its filter first.".into(),
        ));
    }
    if let Some(why) = groups::busy(tx, g.id)? {
        return Err(AppError::Conflict(why));
    }
    tx.prepare_cached(
        "UPDATE campaigns SET state = 'sending', members = ?2, shop_url = ?3, sent_by = ?4,
                started_at = ?5, group_name = ?6
         WHERE id = ?1 AND state = 'draft'",
    )?
    .execute(params![id, g.members, shop_url, who(by), by.now, g.name])?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "campaign.started")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("campaign", id)
            .details(json!({ "group": g.name, "members": g.members, "title": k.title })),
    )?;
    Ok(g.members)
}
