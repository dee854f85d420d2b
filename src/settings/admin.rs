//! Back office: every setting, read-only (secrets masked), with a link to the pages that
//! edit them: mail settings at /admin/settings/mail (`mail::settings_admin`); the others
//! are changed with `cornershop settings set` for now.

use rocket::response::content::RawHtml;
use rocket::{get, routes, State};
use serde_json::json;

use crate::db::Db;
use crate::error::AppResult;
use crate::staff::perm::ReadSettings;
use crate::staff::{nav, Can};
use crate::web::page::Page;
use crate::web::templates::Templates;

#[get("/admin/settings")]
async fn list(
    me: Can<ReadSettings>,
    page: Page,
    db: &State<Db>,
    tpl: &State<Templates>,
) -> AppResult<RawHtml<String>> {
    let rows = db.read(super::list).await?;
    let mut ctx = nav::context(&page, &me.staff, "settings");
    let settings: Vec<_> = rows
        .iter()
        .map(|(k, v)| json!({ "name": k.name, "value": v, "default": k.default, "help": k.help }))
        .collect();
    ctx.insert("settings", &settings);
    tpl.page("backoffice/settings.html.tera", &ctx)
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list]
}
