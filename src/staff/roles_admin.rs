//! Back office: roles at /admin/roles. The list (name, description, how many staff hold
//! each), and a role's page: name, description, "require two-factor login", and the grid
//! of rights — one row per area, four boxes (read, create, update, delete). Create,
//! update or delete imply read (a page one cannot open is no use). The Owner role keeps
//! every right (its grid is shown, not editable; the database refuses anyway) and cannot
//! be deleted; any role is deleted only when nobody holds it. Every change is audited
//! with old → new.

use std::collections::HashMap;

use rocket::http::Status;
use rocket::response::content::RawHtml;
use rocket::response::{status, Flash, Redirect};
use rocket::{get, post, routes, FromForm};
use serde_json::{json, Map, Value};

use super::perm::{CreateRoles, DeleteRoles, ReadRoles, Rights, UpdateRoles};
use super::roles_store::{self as rs, Grid, RoleRow};
use super::{nav, Can, StaffUser};
use crate::audit;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::web::csrf::CsrfForm;
use crate::web::ctx::Ctx;
use crate::web::page::{flash_redirect, Page};
use crate::web::templates::Templates;

#[get("/admin/roles")]
async fn list(me: Can<ReadRoles>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let roles = cx.db.read(rs::list).await?;
    let mut ctx = nav::context(&page, &me.staff, "roles");
    ctx.insert("roles", &roles);
    cx.tpl.page("backoffice/roles.html.tera", &ctx)
}

#[derive(FromForm, Default)]
pub struct RoleForm {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    description: String,
    #[field(default = false)]
    require_totp: bool,
    /// Ticked boxes, each "area:action".
    #[field(default = Vec::new())]
    rights: Vec<String>,
}

struct Checked {
    name: String,
    description: String,
    require_totp: bool,
    grid: Grid,
}

/// Every field checked; a message per wrong field otherwise.
fn check(
    f: &RoleForm,
    areas: &[(String, String)],
) -> Result<Checked, HashMap<&'static str, String>> {
    let mut errors = HashMap::new();
    let name = f.name.trim().to_string();
    match name.chars().count() {
        0 => {
            errors.insert("name", "Enter a name for the role.".to_string());
        }
        n if n > 60 => {
            errors.insert("name", "Use at most 60 characters.".to_string());
        }
        _ if name.chars().any(char::is_control) => {
            errors.insert(
                "name",
                "A name cannot contain control characters.".to_string(),
            );
        }
        _ => {}
    }
    let description = f.description.trim().replace("\r\n", "\n");
    if description.chars().count() > 300 {
        errors.insert("description", "Use at most 300 characters.".to_string());
    }
    let mut grid: Grid = areas
        .iter()
        .map(|(code, _)| (code.clone(), Rights::default()))
        .collect();
    for r in &f.rights {
        let cell = r.split_once(':').and_then(|(area, action)| {
            let rights = grid.get_mut(area)?;
            match action {
                "read" => rights.read = true,
                "create" => rights.create = true,
                "update" => rights.update = true,
                "delete" => rights.delete = true,
                _ => return None,
            }
            Some(())
        });
        if cell.is_none() {
            errors.insert("rights", format!("'{r}' is not a known area and right."));
        }
    }
    for rights in grid.values_mut() {
        if rights.create || rights.update || rights.delete {
            rights.read = true;
        }
    }
    if errors.is_empty() {
        Ok(Checked {
            name,
            description,
            require_totp: f.require_totp,
            grid,
        })
    } else {
        Err(errors)
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    page: &Page,
    me: &StaffUser,
    tpl: &Templates,
    role: Option<&RoleRow>,
    values: &RoleForm,
    grid: &Grid,
    areas: &[(String, String)],
    errors: &HashMap<&'static str, String>,
) -> AppResult<RawHtml<String>> {
    let mut ctx = nav::context(page, me, "roles");
    let is_owner = role.is_some_and(|r| r.is_owner);
    let editable = match role {
        None => me.perms.can("roles", super::perm::Action::Create),
        // A non-owner cannot change the role they hold (the server refuses it too).
        Some(r) => {
            me.perms.can("roles", super::perm::Action::Update) && (me.is_owner || r.name != me.role)
        }
    };
    let rows: Vec<Value> = areas
        .iter()
        .map(|(code, label)| {
            let r = grid.get(code).copied().unwrap_or_default();
            json!({ "code": code, "label": label, "read": r.read, "create": r.create, "update": r.update, "delete": r.delete })
        })
        .collect();
    ctx.insert("role", &role);
    ctx.insert(
        "values",
        &json!({ "name": values.name, "description": values.description, "require_totp": values.require_totp }),
    );
    ctx.insert("grid", &rows);
    ctx.insert("errors", errors);
    ctx.insert("editable", &editable);
    ctx.insert("grid_locked", &(is_owner || !editable));
    ctx.insert("is_owner", &is_owner);
    ctx.insert(
        "action",
        &match role {
            Some(r) => format!("/admin/roles/{}", r.id),
            None => "/admin/roles".to_string(),
        },
    );
    tpl.page("backoffice/role.html.tera", &ctx)
}

#[get("/admin/roles/new")]
async fn new_form(me: Can<CreateRoles>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let areas = cx.db.read(rs::areas).await?;
    let grid: Grid = areas
        .iter()
        .map(|(c, _)| (c.clone(), Rights::default()))
        .collect();
    render(
        &page,
        &me.staff,
        cx.tpl,
        None,
        &RoleForm::default(),
        &grid,
        &areas,
        &HashMap::new(),
    )
}

#[get("/admin/roles/<id>")]
async fn show(id: i64, me: Can<ReadRoles>, page: Page, cx: Ctx<'_>) -> AppResult<RawHtml<String>> {
    let (role, grid, areas) = cx
        .db
        .read(move |c| Ok((rs::get(c, id)?, rs::grid(c, id)?, rs::areas(c)?)))
        .await?;
    let values = RoleForm {
        name: role.name.clone(),
        description: role.description.clone(),
        require_totp: role.require_totp,
        rights: Vec::new(),
    };
    render(
        &page,
        &me.staff,
        cx.tpl,
        Some(&role),
        &values,
        &grid,
        &areas,
        &HashMap::new(),
    )
}

type Answer = Result<Flash<Redirect>, status::Custom<RawHtml<String>>>;

#[post("/admin/roles", data = "<form>")]
async fn create(
    form: CsrfForm<RoleForm>,
    me: Can<CreateRoles>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    let areas = cx.db.read(rs::areas).await?;
    let c = match check(&f, &areas) {
        Ok(c) => c,
        Err(errors) => {
            let grid = typed_grid(&f, &areas);
            let html = render(&page, &me.staff, cx.tpl, None, &f, &grid, &areas, &errors)?;
            return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
        }
    };
    let actor = me.staff.actor();
    let done = cx.db
        .write(move |tx| {
            let id = rs::insert(tx, &c.name, &c.description, c.require_totp)?;
            rs::save_grid(tx, id, &c.grid)?;
            audit::record(
                tx,
                &audit::Entry::event("staff", "role.created")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("role", id)
                    .details(json!({ "new": snapshot(&c.name, &c.description, c.require_totp, &c.grid, None) })),
            )?;
            Ok(id)
        })
        .await;
    match done {
        Ok(id) => Ok(Ok(flash_redirect(
            format!("/admin/roles/{id}"),
            "success",
            "Role created.",
        ))),
        Err(AppError::Conflict(m)) => {
            let grid = typed_grid(&f, &areas);
            let errors = HashMap::from([("name", m)]);
            let html = render(&page, &me.staff, cx.tpl, None, &f, &grid, &areas, &errors)?;
            Ok(Err(status::Custom(Status::Conflict, html)))
        }
        Err(e) => Err(e),
    }
}

/// What was ticked, to show again with the messages (read implied as saving would).
fn typed_grid(f: &RoleForm, areas: &[(String, String)]) -> Grid {
    let mut grid: Grid = areas
        .iter()
        .map(|(c, _)| (c.clone(), Rights::default()))
        .collect();
    for r in &f.rights {
        if let Some((area, action)) = r.split_once(':') {
            if let Some(x) = grid.get_mut(area) {
                match action {
                    "read" => x.read = true,
                    "create" => x.create = true,
                    "update" => x.update = true,
                    "delete" => x.delete = true,
                    _ => {}
                }
            }
        }
    }
    grid
}

/// A role as the audit log shows it; with `only`, just the areas whose rights differ.
fn snapshot(
    name: &str,
    description: &str,
    require_totp: bool,
    grid: &Grid,
    only: Option<&[String]>,
) -> Value {
    let mut rights = Map::new();
    for (area, r) in grid {
        if only.is_none_or(|o| o.contains(area)) {
            rights.insert(area.clone(), rs::rights_text(r).into());
        }
    }
    json!({ "name": name, "description": description, "require_totp": require_totp, "rights": rights })
}

#[post("/admin/roles/<id>", data = "<form>")]
async fn save(
    id: i64,
    form: CsrfForm<RoleForm>,
    me: Can<UpdateRoles>,
    page: Page,
    cx: Ctx<'_>,
) -> AppResult<Answer> {
    let f = form.0;
    let (role, old_grid, areas) = cx
        .db
        .read(move |c| Ok((rs::get(c, id)?, rs::grid(c, id)?, rs::areas(c)?)))
        .await?;
    if !me.staff.is_owner && role.id == own_role(cx.db, me.staff.id).await? {
        return Err(AppError::Forbidden(
            "You cannot change the role you hold yourself; ask an owner.".into(),
        ));
    }
    let mut c = match check(&f, &areas) {
        Ok(c) => c,
        Err(errors) => {
            let grid = if role.is_owner {
                old_grid
            } else {
                typed_grid(&f, &areas)
            };
            let html = render(
                &page,
                &me.staff,
                cx.tpl,
                Some(&role),
                &f,
                &grid,
                &areas,
                &errors,
            )?;
            return Ok(Err(status::Custom(Status::UnprocessableEntity, html)));
        }
    };
    if role.is_owner {
        // The Owner role's rights are not the form's to change.
        c.grid = old_grid.clone();
    }
    let changed_areas: Vec<String> = c
        .grid
        .iter()
        .filter(|(a, r)| {
            old_grid
                .get(*a)
                .is_none_or(|o| rs::rights_text(o) != rs::rights_text(r))
        })
        .map(|(a, _)| a.clone())
        .collect();
    if changed_areas.is_empty()
        && c.name == role.name
        && c.description == role.description
        && c.require_totp == role.require_totp
    {
        return Ok(Ok(flash_redirect(
            format!("/admin/roles/{id}"),
            "info",
            "Nothing to save: the role was already like this.",
        )));
    }
    let actor = me.staff.actor();
    let old = snapshot(
        &role.name,
        &role.description,
        role.require_totp,
        &old_grid,
        Some(&changed_areas),
    );
    let new = snapshot(
        &c.name,
        &c.description,
        c.require_totp,
        &c.grid,
        Some(&changed_areas),
    );
    let done = cx
        .db
        .write(move |tx| {
            rs::update(tx, id, &c.name, &c.description, c.require_totp)?;
            rs::save_grid(tx, id, &c.grid)?;
            audit::record(
                tx,
                &audit::Entry::event("staff", "role.updated")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("role", id)
                    .details(json!({ "old": old, "new": new })),
            )
        })
        .await;
    match done {
        Ok(()) => Ok(Ok(flash_redirect(
            format!("/admin/roles/{id}"),
            "success",
            "Role saved.",
        ))),
        Err(AppError::Conflict(m)) => {
            let grid = typed_grid(&f, &areas);
            let errors = HashMap::from([("name", m)]);
            let html = render(
                &page,
                &me.staff,
                cx.tpl,
                Some(&role),
                &f,
                &grid,
                &areas,
                &errors,
            )?;
            Ok(Err(status::Custom(Status::Conflict, html)))
        }
        Err(e) => Err(e),
    }
}

async fn own_role(db: &Db, staff_id: i64) -> AppResult<i64> {
    db.read(move |c| {
        Ok(super::store::get(c, staff_id)?
            .map(|r| r.role_id)
            .unwrap_or(0))
    })
    .await
}

#[post("/admin/roles/<id>/delete", data = "<_form>")]
async fn delete(
    id: i64,
    _form: CsrfForm<crate::web::csrf::Csrf>,
    me: Can<DeleteRoles>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let back = format!("/admin/roles/{id}");
    let role = cx.db.read(move |c| rs::get(c, id)).await?;
    if role.is_owner {
        return Ok(flash_redirect(
            back,
            "error",
            "The Owner role cannot be deleted: the shop always needs a role with every right.",
        ));
    }
    if role.staff_count > 0 {
        return Ok(flash_redirect(
            back,
            "error",
            format!(
                "“{}” is held by {} staff member{}; give {} another role first.",
                role.name,
                role.staff_count,
                if role.staff_count == 1 { "" } else { "s" },
                if role.staff_count == 1 {
                    "them"
                } else {
                    "each"
                }
            ),
        ));
    }
    let actor = me.staff.actor();
    let done = cx.db
        .write(move |tx| {
            let grid = rs::grid(tx, id)?;
            rs::delete(tx, id)?;
            audit::record(
                tx,
                &audit::Entry::event("staff", "role.deleted")
                    .actor(actor)
                    .ip(Some(cx.ip))
                    .entity("role", id)
                    .details(json!({ "old": snapshot(&role.name, &role.description, role.require_totp, &grid, None), "new": null })),
            )?;
            Ok(role.name)
        })
        .await;
    match done {
        Ok(name) => Ok(flash_redirect(
            "/admin/roles".into(),
            "success",
            format!("Role “{name}” deleted."),
        )),
        Err(AppError::Conflict(m)) => Ok(flash_redirect(back, "error", m)),
        Err(e) => Err(e),
    }
}

pub fn routes() -> Vec<rocket::Route> {
    routes![list, new_form, show, create, save, delete]
}
