//! The one-button actions on a staff member's page: deactivate and reactivate (the last
//! active owner stays), mail a set-password link, turn two-factor login off. Each is
//! audited; deactivating or turning two-factor off ends the member's sessions.

use rocket::response::{Flash, Redirect};
use rocket::{post, routes};
use rusqlite::params;
use serde_json::json;

use super::account_two_factor::end_sessions;
use super::invite::{self, Purpose};
use super::perm::UpdateStaff;
use super::staff_admin::changeable;
use super::{two_factor, Can, StaffUser};
use crate::audit;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::web::base_url::BaseUrl;
use crate::web::client::ClientIp;
use crate::web::csrf::{Csrf, CsrfForm};
use crate::web::ctx::Ctx;
use crate::web::page::flash_redirect;

async fn set_active(
    id: i64,
    active: bool,
    me: &StaffUser,
    ip: ClientIp,
    db: &Db,
) -> AppResult<Flash<Redirect>> {
    let back = format!("/admin/staff/{id}");
    let before = changeable(db, me, id).await?;
    if !active && id == me.id {
        return Ok(flash_redirect(
            back,
            "error",
            "You cannot deactivate your own account; another owner can.",
        ));
    }
    if before.active == active {
        return Ok(flash_redirect(
            back,
            "info",
            if active {
                "This account is already active."
            } else {
                "This account is already deactivated."
            },
        ));
    }
    let actor = me.actor();
    let done = db
        .write(move |tx| {
            tx.execute(
                "UPDATE staff SET active = ?2 WHERE id = ?1",
                params![id, active],
            )?;
            let ended = if active { 0 } else { end_sessions(tx, id, None)? };
            audit::record(
                tx,
                &audit::Entry::event(
                    "staff",
                    if active {
                        "staff.reactivated"
                    } else {
                        "staff.deactivated"
                    },
                )
                .actor(actor)
                .ip(Some(ip))
                .entity("staff", id)
                .details(json!({ "old": { "active": !active }, "new": { "active": active }, "sessions_ended": ended })),
            )
        })
        .await;
    match done {
        Ok(()) => Ok(flash_redirect(
            back,
            "success",
            if active {
                format!("{} can log in again.", before.name)
            } else {
                format!(
                    "{} is deactivated: logged out everywhere, API tokens revoked.",
                    before.name
                )
            },
        )),
        Err(AppError::Conflict(m)) => Ok(flash_redirect(back, "error", m)),
        Err(e) => Err(e),
    }
}

#[post("/admin/staff/<id>/deactivate", data = "<_form>")]
async fn deactivate(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateStaff>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    set_active(id, false, &me.staff, cx.ip, cx.db).await
}

#[post("/admin/staff/<id>/reactivate", data = "<_form>")]
async fn reactivate(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateStaff>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    set_active(id, true, &me.staff, cx.ip, cx.db).await
}

/// Mails a set-password link (the invitation again, for a member who never set one).
#[post("/admin/staff/<id>/password-link", data = "<_form>")]
async fn password_link(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateStaff>,
    base: BaseUrl,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    let row = changeable(cx.db, &me.staff, id).await?;
    if !row.active {
        return Ok(flash_redirect(
            format!("/admin/staff/{id}"),
            "error",
            "Reactivate the account first: a deactivated member cannot set a password.",
        ));
    }
    let (actor, by, now) = (me.staff.actor(), me.staff.name.clone(), cx.clock.now());
    let email = row.email.clone();
    cx.db.write(move |tx| {
        let (hash,): (String,) = tx.query_row(
            "SELECT password_hash FROM staff WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?,)),
        )?;
        let purpose = if hash == invite::NO_PASSWORD {
            Purpose::Invite
        } else {
            Purpose::Reset
        };
        invite::send(tx, &row, purpose, &by, &base.0, now)?;
        audit::record(
            tx,
            &audit::Entry::event("staff", "staff.password_link_sent")
                .actor(actor)
                .ip(Some(cx.ip))
                .entity("staff", id)
                .details(json!({ "to": row.email, "purpose": if purpose == Purpose::Invite { "invite" } else { "reset" } })),
        )
    })
    .await?;
    Ok(flash_redirect(
        format!("/admin/staff/{id}"),
        "success",
        format!(
            "A link to set a new password was sent to {email}. Their current password keeps working until they use it."
        ),
    ))
}

/// For a member who lost their phone and recovery codes: owners only.
#[post("/admin/staff/<id>/two-factor/off", data = "<_form>")]
async fn two_factor_off(
    id: i64,
    _form: CsrfForm<Csrf>,
    me: Can<UpdateStaff>,
    cx: Ctx<'_>,
) -> AppResult<Flash<Redirect>> {
    if !me.staff.is_owner {
        return Err(AppError::Forbidden(
            "Only an owner can turn off another member's two-factor login.".into(),
        ));
    }
    let row = changeable(cx.db, &me.staff, id).await?;
    let actor = me.staff.actor();
    cx.db
        .write(move |tx| {
            two_factor::disable(tx, id)?;
            let ended = end_sessions(tx, id, None)?;
            audit::record(
            tx,
            &audit::Entry::event("staff", "two_factor.disabled")
                .actor(actor)
                .ip(Some(cx.ip))
                .entity("staff", id)
                .details(
                    json!({ "old": "on", "new": "off", "by_owner": true, "sessions_ended": ended }),
                ),
        )
        })
        .await?;
    Ok(flash_redirect(
        format!("/admin/staff/{id}"),
        "success",
        format!(
            "Two-factor login is off for {}.{}",
            row.name,
            if row.require_totp {
                " Their role requires it, so they set it up again at their next login."
            } else {
                ""
            }
        ),
    ))
}

pub fn routes() -> Vec<rocket::Route> {
    routes![deactivate, reactivate, password_link, two_factor_off]
}
