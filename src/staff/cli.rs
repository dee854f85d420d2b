//! `cornershop admin create|reset-password`: staff recovery without a browser.

use crate::audit::{self, Actor};
use crate::auth::password;
use crate::auth::session::{self, Kind};
use crate::db::Db;
use crate::error::AppError;

use super::store;

/// Creates a staff account; returns its id.
pub fn create(
    db: &Db,
    email: &str,
    name: Option<&str>,
    pw: &str,
    role: &str,
) -> Result<i64, String> {
    let email = crate::auth::identity::validate_email(email)?;
    let name = crate::auth::identity::validate_name(
        name.unwrap_or_else(|| email.split('@').next().unwrap_or("Staff")),
    )?;
    password::check_strength(pw, &[&email, &name]).map_err(|e| format!("password refused: {e}"))?;
    let hash = password::hash(pw)?;
    let role = role.to_string();
    db.write_blocking(|tx| {
        let role_id = store::role_id(tx, &role)?;
        let id = store::insert(tx, &email, &name, &hash, role_id)?;
        audit::record(
            tx,
            &audit::Entry::event("staff", "staff.created")
                .actor(Actor::Cli)
                .entity("staff", id)
                .details(serde_json::json!({ "email": email, "role": role })),
        )?;
        Ok(id)
    })
    .map_err(|e| e.public_message())
}

/// Sets a new password (given, or generated and returned) and ends the account's sessions;
/// with `disable_two_factor`, also turns off two-factor login (the way back in for a sole
/// owner who lost both phone and recovery codes).
pub fn reset_password(
    db: &Db,
    email: &str,
    given: Option<&str>,
    disable_two_factor: bool,
) -> Result<String, String> {
    let row = db
        .read_blocking(|c| store::find_for_login(c, email))
        .map_err(|e| e.public_message())?
        .ok_or_else(|| format!("no staff account has the email address {}", email.trim()))?;
    let pw = match given {
        Some(p) => p.to_string(),
        None => crate::secret::random_token()[..20].to_string(),
    };
    password::check_strength(&pw, &[email, &row.name])
        .map_err(|e| format!("password refused: {e}"))?;
    let hash = password::hash(&pw)?;
    db.write_blocking(|tx| {
        store::set_password(tx, row.id, &hash)?;
        let ended = session::delete_all(tx, Kind::Staff, row.id)?;
        // POLICY: a password reset revokes every session and token of the account.
        crate::auth::api_token::revoke_all(tx, Kind::Staff, row.id)?;
        if disable_two_factor {
            super::two_factor::disable(tx, row.id)?;
        }
        audit::record(
            tx,
            &audit::Entry::event("staff", "password.reset")
                .actor(Actor::Cli)
                .entity("staff", row.id)
                .details(serde_json::json!({
                    "sessions_ended": ended,
                    "two_factor_disabled": disable_two_factor,
                })),
        )?;
        Ok::<_, AppError>(())
    })
    .map_err(|e| e.public_message())?;
    Ok(pw)
}
