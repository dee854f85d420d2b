//! Back office: the outbox. Every mail the shop queued, whether it went out, and what it
//! said; a failed one can be queued again ("retry now").

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, routes};
use serde_json::{json, Value};

use crate::audit;
use crate::clock::shown_time;
use crate::error::{AppError, AppResult};
use crate::mail::queue;
use crate::staff::perm::{ReadOutbox, UpdateOutbox};
use crate::staff::{nav, Can};
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::pagination;
use crate::web::query::ListQuery;

const PER_PAGE: u32 = 50;
const STATUSES: [&str; 3] = ["queued", "sent", "failed"];

#[get("/admin/outbox")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadOutbox>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<RawHtml<String>> {
    let list = ListQuery::parse(uri, &[("status", &STATUSES)])?;
    let (status, page_no) = (list.filter("status"), list.page);
    let s = status.clone();
    let ((rows, total), counts) = cx
        .db
        .read(move |c| Ok((queue::page(c, &s, page_no, PER_PAGE)?, queue::counts(c)?)))
        .await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|m| {
            json!({
                "url": format!("/admin/outbox/{}", m.id), "at": shown_time(&m.created_at),
                "status": m.status, "to": m.to_address, "subject": m.subject,
                "attempts": m.attempts, "error": m.last_error,
            })
        })
        .collect();
    let counts: serde_json::Map<String, Value> =
        counts.into_iter().map(|(k, n)| (k, n.into())).collect();
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
    cx.tpl.page("backoffice/outbox.html.tera", &ctx)
}

#[get("/admin/outbox/<id>")]
async fn show(id: i64, me: Can<ReadOutbox>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let m = cx
        .db
        .read(move |c| queue::get(c, id))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no mail {id} in the outbox.")))?;
    let mail = json!({
        "id": m.id, "at": shown_time(&m.created_at), "status": m.status, "to": m.to_address,
        "to_name": m.to_name, "subject": m.subject, "text": m.text_body, "html": m.html_body,
        "attempts": m.attempts, "next_attempt": shown_time(&m.next_attempt_at), "error": m.last_error,
        "eml_path": m.eml_path, "sent_at": shown_time(&m.sent_at), "template": m.template,
        "retry_url": format!("/admin/outbox/{}/retry", m.id),
    });
    let mut ctx = nav::context(&page, &me.staff, "outbox");
    ctx.insert("mail", &mail);
    cx.tpl.page("backoffice/outbox_mail.html.tera", &ctx)
}

/// Queues a failed mail again, to go out with the next pass of the mail job.
#[post("/admin/outbox/<id>/retry", data = "<_form>")]
async fn retry(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateOutbox>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let now = cx.clock.now_sql();
    let (actor, ip) = (me.staff.actor(), cx.ip);
    cx.db
        .write(move |tx| {
            queue::retry(tx, id, &now)?;
            audit::record(
                tx,
                &audit::Entry::event("mail", "mail.retried")
                    .actor(actor)
                    .ip(Some(ip))
                    .entity("mail", id),
            )
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
