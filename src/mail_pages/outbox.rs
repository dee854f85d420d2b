//! Back office: the outbox. Every mail the shop queued, whether it went out, and what it
//! said; a failed one can be queued again ("retry now").

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes, State};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

use crate::audit;
use crate::clock::{shown_time, sql_time, Clock};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::staff::perm::{ReadOutbox, UpdateOutbox};
use crate::staff::{nav, Can};
use crate::web::client::ClientIp;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::page::{flash_redirect, Page};
use crate::web::pagination;
use crate::web::query::ListQuery;
use crate::web::templates::Templates;

const PER_PAGE: u32 = 50;
const STATUSES: [&str; 3] = ["queued", "sent", "failed"];

#[get("/admin/outbox")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadOutbox>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let list = ListQuery::parse(uri, &[("status", &STATUSES)])?;
    let (status, page_no) = (list.filter("status"), list.page);
    let s = status.clone();
    let (rows, total, counts) = db
        .read(move |c| {
            let total: i64 = c.query_row("SELECT count(*) FROM mail_outbox WHERE ?1 = '' OR status = ?1", [&s], |r| r.get(0))?;
            let mut stmt = c.prepare(
                "SELECT id, created_at, status, to_address, subject, attempts, last_error FROM mail_outbox
                 WHERE ?1 = '' OR status = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
            )?;
            let rows = stmt
                .query_map(params![s, PER_PAGE, (page_no as i64 - 1) * PER_PAGE as i64], |r| {
                    Ok(json!({
                        "url": format!("/admin/outbox/{}", r.get::<_, i64>(0)?),
                        "at": shown_time(&r.get::<_, String>(1)?),
                        "status": r.get::<_, String>(2)?,
                        "to": r.get::<_, String>(3)?,
                        "subject": r.get::<_, String>(4)?,
                        "attempts": r.get::<_, i64>(5)?,
                        "error": r.get::<_, String>(6)?,
                    }))
                })?
                .collect::<Result<Vec<Value>, _>>()?;
            let mut counts = serde_json::Map::new();
            let mut stmt = c.prepare("SELECT status, count(*) FROM mail_outbox GROUP BY status")?;
            for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
                let (k, n) = row?;
                counts.insert(k, n.into());
            }
            Ok((rows, total as u64, Value::Object(counts)))
        })
        .await?;
    let mut ctx = nav::context(&page, &me.staff, "outbox");
    ctx.insert("mails", &rows);
    ctx.insert("counts", &counts);
    ctx.insert("filters", &json!({ "status": status }));
    ctx.insert(
        "pagination",
        &pagination::for_list(
            "/admin/outbox",
            &[("status", status.clone())],
            page_no,
            PER_PAGE,
            total,
        ),
    );
    tpl.page("backoffice/outbox.html.tera", &ctx)
}

#[get("/admin/outbox/<id>")]
async fn show(
    id: i64,
    me: Can<ReadOutbox>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let mail = db
        .read(move |c| {
            Ok(c.query_row(
                "SELECT id, created_at, status, to_address, to_name, subject, text_body, html_body, attempts,
                        next_attempt_at, last_error, eml_path, coalesce(sent_at, ''), template
                 FROM mail_outbox WHERE id = ?1",
                [id],
                |r| {
                    Ok(json!({
                        "id": r.get::<_, i64>(0)?,
                        "at": shown_time(&r.get::<_, String>(1)?),
                        "status": r.get::<_, String>(2)?,
                        "to": r.get::<_, String>(3)?,
                        "to_name": r.get::<_, String>(4)?,
                        "subject": r.get::<_, String>(5)?,
                        "text": r.get::<_, String>(6)?,
                        "html": r.get::<_, String>(7)?,
                        "attempts": r.get::<_, i64>(8)?,
                        "next_attempt": shown_time(&r.get::<_, String>(9)?),
                        "error": r.get::<_, String>(10)?,
                        "eml_path": r.get::<_, String>(11)?,
                        "sent_at": shown_time(&r.get::<_, String>(12)?),
                        "template": r.get::<_, String>(13)?,
                        "retry_url": format!("/admin/outbox/{}/retry", r.get::<_, i64>(0)?),
                    }))
                },
            )
            .optional()?)
        })
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no mail {id} in the outbox.")))?;
    let mut ctx = nav::context(&page, &me.staff, "outbox");
    ctx.insert("mail", &mail);
    tpl.page("backoffice/outbox_mail.html.tera", &ctx)
}

/// Queues a failed mail again, to go out with the next pass of the mail job.
#[post("/admin/outbox/<id>/retry", data = "<_form>")]
async fn retry(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateOutbox>,
    ip: ClientIp,
    db: &State<Db>,
    clock: &State<Clock>,
) -> AppResult<Flash<Redirect>> {
    let now = sql_time(clock.now());
    let actor = me.staff.actor();
    db.write(move |tx| {
        let changed = tx.execute(
            "UPDATE mail_outbox SET status = 'queued', next_attempt_at = ?2 WHERE id = ?1 AND status = 'failed'",
            params![id, now],
        )?;
        if changed == 0 {
            return Err(AppError::Conflict("Only a failed mail can be retried; this one is not failed.".into()));
        }
        audit::record(tx, &audit::Entry::event("mail", "mail.retried").actor(actor).ip(Some(ip)).entity("mail", id))
    })
    .await?;
    Ok(flash_redirect(
        format!("/admin/outbox/{id}"),
        "success",
        "The mail is queued again and goes out within a few seconds.",
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, show, retry]
}
