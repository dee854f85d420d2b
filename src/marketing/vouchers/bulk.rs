//! Vouchers issued in bulk to a target group: one run with the voucher's terms, worked off
//! by the `marketing` job in batches. Each batch is one transaction that inserts a
//! voucher per member with its `voucher_issued` mail, so a run killed midway resumes with
//! the members who have none yet; the unique index on (run, customer) makes a second one
//! for a member impossible. Members whose account is deactivated or deleted are passed
//! over (counted as skipped). A member who opted out of marketing mail gets the voucher
//! (it is in their account) without the mail. The group cannot be refreshed or deleted
//! while it runs.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use serde_json::{json, Value};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::form::{check, unused_code, Errors, VoucherForm};
use super::rule::{shop_day, Kind};
use crate::audit::{self, Actor};
use crate::clock::sql_time;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::mail::templates::queue_templated;
use crate::marketing::groups::store as groups;
use crate::money::Currency;
use crate::settings;
use crate::staff::By;

/// Members handled per transaction, so a run never holds the writer for long.
const BATCH: i64 = 100;
/// Vouchers one pass of the job issues at most; the next pass goes on.
const PER_PASS: usize = 5_000;

/// A run and how far it got.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoucherRun {
    pub id: i64,
    /// Null when the group has been deleted since.
    pub group_id: Option<i64>,
    pub group_name: String,
    /// `percent` or `amount`.
    #[schema(value_type = String)]
    pub kind: Kind,
    /// Percent 1–100, or minor units.
    pub value: i64,
    pub min_subtotal: i64,
    /// UTC.
    pub valid_from: String,
    pub valid_to: String,
    pub note: String,
    /// The group's members when the run started.
    pub members: i64,
    /// Vouchers issued so far.
    pub issued: i64,
    /// Members passed over (deactivated or deleted accounts); known when done.
    pub skipped: i64,
    /// Their mails: still queued, sent, failed.
    pub mails_queued: i64,
    pub mails_sent: i64,
    pub mails_failed: i64,
    /// `running` or `done`.
    pub state: String,
    pub created_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
}

const SELECT: &str = "SELECT r.id, r.group_id, r.group_name, r.kind, r.value, r.min_subtotal,
        r.valid_from, r.valid_to, r.note, r.members,
        (SELECT count(*) FROM vouchers v WHERE v.issue_run_id = r.id),
        r.skipped,
        (SELECT count(*) FROM vouchers v JOIN mail_outbox m ON m.id = v.mail_id WHERE v.issue_run_id = r.id AND m.status = 'queued'),
        (SELECT count(*) FROM vouchers v JOIN mail_outbox m ON m.id = v.mail_id WHERE v.issue_run_id = r.id AND m.status = 'sent'),
        (SELECT count(*) FROM vouchers v JOIN mail_outbox m ON m.id = v.mail_id WHERE v.issue_run_id = r.id AND m.status = 'failed'),
        r.state, r.created_by, r.created_at, r.finished_at
    FROM voucher_runs r";

fn from_row(r: &Row) -> rusqlite::Result<VoucherRun> {
    let kind: String = r.get(3)?;
    Ok(VoucherRun {
        id: r.get(0)?,
        group_id: r.get(1)?,
        group_name: r.get(2)?,
        kind: Kind::parse(&kind).unwrap_or(Kind::Percent),
        value: r.get(4)?,
        min_subtotal: r.get(5)?,
        valid_from: r.get(6)?,
        valid_to: r.get(7)?,
        note: r.get(8)?,
        members: r.get(9)?,
        issued: r.get(10)?,
        skipped: r.get(11)?,
        mails_queued: r.get(12)?,
        mails_sent: r.get(13)?,
        mails_failed: r.get(14)?,
        state: r.get(15)?,
        created_by: r.get(16)?,
        created_at: r.get(17)?,
        finished_at: r.get(18)?,
    })
}

pub fn get(c: &Connection, id: i64) -> AppResult<VoucherRun> {
    c.prepare_cached(&format!("{SELECT} WHERE r.id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| AppError::NotFound("There is no such voucher run.".into()))
}

/// A group's runs, newest first.
pub fn of_group(c: &Connection, group: i64) -> AppResult<Vec<VoucherRun>> {
    let mut stmt = c.prepare_cached(&format!(
        "{SELECT} WHERE r.group_id = ?1 ORDER BY r.id DESC LIMIT 50"
    ))?;
    let rows = stmt.query_map([group], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A run for pages: its terms in words and its progress.
pub fn run_json(r: &VoucherRun, cur: &Currency, offset: i64) -> Value {
    let now = r.created_at.clone();
    let done = r.issued + r.skipped;
    json!({
        "id": r.id, "url": format!("/admin/vouchers/runs/{}", r.id),
        "progress_url": format!("/admin/vouchers/runs/{}/progress", r.id),
        "group_id": r.group_id, "group_name": r.group_name,
        "group_url": r.group_id.map(|g| format!("/admin/target-groups/{g}")),
        "discount": r.kind.badge(r.value, &|m| cur.format(m)),
        "min_subtotal": (r.min_subtotal > 0).then(|| cur.format(r.min_subtotal)),
        "valid": format!("{} – {}", shop_day(&r.valid_from, false, &now, offset), shop_day(&r.valid_to, true, &now, offset)),
        "note": r.note, "members": r.members, "issued": r.issued, "skipped": r.skipped,
        "done": done, "total": r.members.max(done),
        "mails_queued": r.mails_queued, "mails_sent": r.mails_sent, "mails_failed": r.mails_failed,
        "state": r.state, "state_label": if r.state == "done" { "Done" } else { "Issuing" },
        "created_by": r.created_by,
        "created_at": crate::clock::to_shop_time(&r.created_at, offset).replace('T', " "),
        "finished_at": r.finished_at.as_deref().map(|t| crate::clock::to_shop_time(t, offset).replace('T', " ")),
    })
}

/// Starts a run for `group` with the terms of `f` (its code and customer are ignored: each
/// member gets a generated code of their own). The run's id, or what is wrong.
pub fn start(
    tx: &Connection,
    group: i64,
    f: &VoucherForm,
    by: &By,
) -> AppResult<Result<i64, Errors>> {
    let g = groups::must_get(tx, group)?;
    if let Some(why) = groups::busy(tx, group)? {
        return Err(AppError::Conflict(why));
    }
    let cur = settings::currency(tx)?;
    let offset = settings::get_i64(tx, "shop.utc_offset_minutes")?;
    let terms = VoucherForm {
        code: String::new(),
        customer: String::new(),
        ..f.clone()
    };
    let (draft, _) = match check(tx, &terms, None, cur, offset)? {
        Ok(d) => d,
        Err(errors) => return Ok(Err(errors)),
    };
    if g.members == 0 {
        return Err(AppError::Conflict(
            "This group has no members: refresh it from its filter first.".into(),
        ));
    }
    tx.prepare_cached(
        "INSERT INTO voucher_runs (group_id, group_name, kind, value, min_subtotal, valid_from,
                                   valid_to, note, members, created_by, created_at)
         VALUES (:group, :name, :kind, :value, :min, :from, :to, :note, :members, :by, :now)",
    )?
    .execute(rusqlite::named_params! {
        ":group": group, ":name": g.name, ":kind": draft.kind.as_str(), ":value": draft.value,
        ":min": draft.min_subtotal, ":from": draft.valid_from, ":to": draft.valid_to,
        ":note": draft.note, ":members": g.members, ":by": crate::marketing::who(by), ":now": by.now,
    })?;
    let id = tx.last_insert_rowid();
    audit::record(
        tx,
        &audit::Entry::event("marketing", "voucher_run.started")
            .actor(by.actor.clone())
            .ip(by.ip)
            .entity("voucher_run", id)
            .details(json!({ "group": g.name, "members": g.members, "terms": draft })),
    )?;
    Ok(Ok(id))
}

/// Issues the next batch of `run`: how many vouchers it issued; 0 means none was left, and
/// the run is then marked done.
fn batch(tx: &Connection, run: i64, now: OffsetDateTime) -> AppResult<usize> {
    let r = get(tx, run)?;
    if r.state != "running" {
        return Ok(0);
    }
    let Some(group) = r.group_id else {
        return finish(tx, &r, now).map(|_| 0);
    };
    let people: Vec<(i64, String, String, String, bool)> = tx
        .prepare_cached(
            "SELECT c.id, c.email, c.first_name, c.last_name, c.marketing_opt_out_at IS NOT NULL
             FROM target_group_members m JOIN customers c ON c.id = m.customer_id
             WHERE m.group_id = ?1 AND c.active = 1 AND c.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM vouchers v WHERE v.issue_run_id = ?2 AND v.customer_id = c.id)
             ORDER BY c.id LIMIT ?3",
        )?
        .query_map(params![group, run, BATCH], |x| {
            Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?, x.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    if people.is_empty() {
        return finish(tx, &r, now).map(|_| 0);
    }
    let cur = settings::currency(tx)?;
    let offset = settings::get_i64(tx, "shop.utc_offset_minutes")?;
    let at = sql_time(now);
    let value = match r.kind {
        Kind::Percent => format!("{} %", r.value),
        Kind::Amount => cur.format(r.value),
    };
    let expires = shop_day(&r.valid_to, true, &at, offset);
    let mut issued = 0;
    for (customer, email, first, last, opted_out) in people {
        let code = unused_code(tx)?;
        let added = tx
            .prepare_cached(
                "INSERT INTO vouchers (code, customer_id, kind, value, min_subtotal, valid_from,
                                       valid_to, note, created_by, created_at, issue_run_id)
                 VALUES (:code, :customer, :kind, :value, :min, :from, :to, :note, :by, :at, :run)
                 ON CONFLICT (issue_run_id, customer_id) WHERE issue_run_id IS NOT NULL DO NOTHING",
            )?
            .execute(rusqlite::named_params! {
                ":code": code, ":customer": customer, ":kind": r.kind.as_str(), ":value": r.value,
                ":min": r.min_subtotal, ":from": r.valid_from, ":to": r.valid_to, ":note": r.note,
                ":by": format!("run:{run}"), ":at": at, ":run": run,
            })?;
        if added == 0 {
            continue;
        }
        let voucher = tx.last_insert_rowid();
        issued += 1;
        if opted_out {
            continue;
        }
        let vars = json!({
            "customer": { "first_name": first, "last_name": last, "email": email },
            "voucher": { "code": code, "value": value, "expires_at": expires },
        });
        let name = format!("{first} {last}");
        let mail = queue_templated(tx, "voucher_issued", &email, &name, &vars, now)?;
        tx.prepare_cached("UPDATE vouchers SET mail_id = ?2 WHERE id = ?1")?
            .execute(params![voucher, mail])?;
    }
    Ok(issued)
}

/// Marks a run done, with the members it passed over, audited.
fn finish(tx: &Connection, r: &VoucherRun, now: OffsetDateTime) -> AppResult<()> {
    let left: i64 = match r.group_id {
        Some(g) => tx
            .prepare_cached("SELECT count(*) FROM target_group_members WHERE group_id = ?1")?
            .query_row([g], |x| x.get(0))?,
        None => r.members,
    };
    let skipped = (left - r.issued).max(0);
    tx.prepare_cached(
        "UPDATE voucher_runs SET state = 'done', skipped = ?2, finished_at = ?3 WHERE id = ?1",
    )?
    .execute(params![r.id, skipped, sql_time(now)])?;
    audit::record(
        tx,
        &audit::Entry::event("marketing", "voucher_run.finished")
            .actor(Actor::System)
            .entity("voucher_run", r.id)
            .details(json!({ "group": r.group_name, "issued": r.issued, "skipped": skipped })),
    )
}

/// One pass of the job: works off the running runs, oldest first, a batch per
/// transaction, up to `PER_PASS` vouchers. Returns how many it issued.
pub fn run_once(db: &Db, now: OffsetDateTime) -> AppResult<usize> {
    run_batches(db, now, PER_PASS)
}

/// `run_once` that stops after about `most` vouchers (whole batches): a pass cut short,
/// as a shop killed between two batches leaves it.
pub fn run_batches(db: &Db, now: OffsetDateTime, most: usize) -> AppResult<usize> {
    crate::marketing::in_batches(
        db,
        "SELECT id FROM voucher_runs WHERE state = 'running' ORDER BY id",
        most,
        |tx, run| batch(tx, run, now),
    )
}
