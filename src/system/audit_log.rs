//! Back office: the audit log, newest first, filterable by outcome and text.

use rocket::http::uri::Origin;
use rocket::response::content::RawHtml;
use rocket::{get, routes, State};
use rusqlite::params;
use serde_json::{json, Value};

use crate::clock::shown_time;
use crate::db::{like_contains, Db};
use crate::error::AppResult;
use crate::staff::perm::ReadAudit;
use crate::staff::{nav, Can};
use crate::web::page::Page;
use crate::web::pagination;
use crate::web::query::ListQuery;
use crate::web::templates::Templates;

const PER_PAGE: u32 = 50;

#[get("/admin/audit")]
async fn list(
    uri: &Origin<'_>,
    me: Can<ReadAudit>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let list = ListQuery::parse(uri, &[("outcome", &["event", "error"])])?;
    let (outcome, q, page_no) = (list.filter("outcome"), list.q, list.page);
    let (o, t) = (outcome.clone(), q.clone());
    let (rows, total) = db
        .read(move |c| {
            let like = like_contains(&t);
            let filter = "(?1 = '' OR outcome = ?1) AND (?2 = '' OR action LIKE ?3 ESCAPE '\\' OR subsystem LIKE ?3 ESCAPE '\\'
                 OR actor_label LIKE ?3 ESCAPE '\\' OR ip LIKE ?3 ESCAPE '\\' OR details LIKE ?3 ESCAPE '\\')";
            let total: i64 = c.query_row(&format!("SELECT count(*) FROM audit_log WHERE {filter}"), params![o, t, like], |r| r.get(0))?;
            let mut stmt = c.prepare(&format!(
                "SELECT at, subsystem, action, outcome, actor_kind, actor_label, ip, entity_type, entity_id, details
                 FROM audit_log WHERE {filter} ORDER BY id DESC LIMIT ?4 OFFSET ?5"
            ))?;
            let rows = stmt
                .query_map(params![o, t, like, PER_PAGE, (page_no as i64 - 1) * PER_PAGE as i64], |r| {
                    let actor_kind: String = r.get(4)?;
                    let label: String = r.get(5)?;
                    let et: String = r.get(7)?;
                    let eid: String = r.get(8)?;
                    Ok(json!({
                        "at": shown_time(&r.get::<_, String>(0)?),
                        "subsystem": r.get::<_, String>(1)?,
                        "action": r.get::<_, String>(2)?,
                        "outcome": r.get::<_, String>(3)?,
                        "actor": if label.is_empty() { actor_kind } else { label },
                        "ip": r.get::<_, String>(6)?,
                        "entity": if et.is_empty() { String::new() } else { format!("{et} {eid}") },
                        "details": r.get::<_, String>(9)?,
                    }))
                })?
                .collect::<Result<Vec<Value>, _>>()?;
            Ok((rows, total as u64))
        })
        .await?;
    let mut ctx = nav::context(&page, &me.staff, "audit");
    ctx.insert("entries", &rows);
    ctx.insert("filters", &json!({ "outcome": outcome, "q": q }));
    ctx.insert(
        "pagination",
        &pagination::for_list(
            "/admin/audit",
            &[("outcome", outcome), ("q", q)],
            page_no,
            PER_PAGE,
            total,
        ),
    );
    tpl.page("backoffice/audit.html.tera", &ctx)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list]
}
