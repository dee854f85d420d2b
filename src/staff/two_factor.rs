//! Two-factor login for staff, the stored side: the TOTP secret sealed at rest with the
//! shop key (`settings::sealed`, the member's id as associated data, so a secret copied
//! onto another member opens nothing), the last step used, the recovery codes (hashed,
//! single use), and the half-login between password and code (`staff_login_challenges`).

use rusqlite::{params, Connection, OptionalExtension};
use time::{Duration, OffsetDateTime};

use super::totp;
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::secret::{hash_token, random_token, Secret};
use crate::settings::sealed;

/// POLICY: a half-login waits 5 minutes for its code, and allows 5 wrong codes.
pub const CHALLENGE_MINUTES: i64 = 5;
pub const CHALLENGE_ATTEMPTS: i64 = 5;
/// The browser cookie holding the half-login's token (back office only).
pub const CHALLENGE_COOKIE: &str = "cs_staff_2fa";

fn seal_name(staff_id: i64) -> String {
    format!("staff.totp.{staff_id}")
}

fn open_key(secret: &Secret, staff_id: i64, stored: &str) -> AppResult<Vec<u8>> {
    let b32 = sealed::open(secret, &seal_name(staff_id), stored).map_err(|_| {
        AppError::Conflict(
            "The two-factor secret of this account cannot be decrypted (secret.key changed?). \
             An owner can turn two-factor login off for it on the staff page."
                .into(),
        )
    })?;
    totp::base32_decode(&b32).ok_or_else(|| AppError::internal("stored TOTP secret is not base32"))
}

pub struct State {
    pub enabled_at: Option<String>,
    pub secret: String,
    pub pending: String,
    pub last_step: i64,
}

pub fn state(conn: &Connection, staff_id: i64) -> AppResult<State> {
    Ok(conn.query_row(
        "SELECT totp_enabled_at, totp_secret, totp_pending, totp_last_step FROM staff WHERE id = ?1",
        [staff_id],
        |r| {
            Ok(State {
                enabled_at: r.get(0)?,
                secret: r.get(1)?,
                pending: r.get(2)?,
                last_step: r.get(3)?,
            })
        },
    )?)
}

/// The secret being set up (base32), made and stored sealed on first call, so reloading
/// the set-up page keeps the same QR code.
pub fn pending_secret(conn: &Connection, secret: &Secret, staff_id: i64) -> AppResult<String> {
    let st = state(conn, staff_id)?;
    if !st.pending.is_empty() {
        if let Ok(b32) = sealed::open(secret, &seal_name(staff_id), &st.pending) {
            return Ok(b32);
        }
    }
    let b32 = totp::base32_encode(&totp::new_secret());
    conn.execute(
        "UPDATE staff SET totp_pending = ?2 WHERE id = ?1",
        params![staff_id, sealed::seal(secret, &seal_name(staff_id), &b32)],
    )?;
    Ok(b32)
}

/// Turns two-factor login on when `code` fits the pending secret; returns the recovery
/// codes (to show once), or None for a wrong code.
pub fn confirm(
    conn: &Connection,
    secret: &Secret,
    staff_id: i64,
    code: &str,
    now: OffsetDateTime,
) -> AppResult<Option<Vec<String>>> {
    let st = state(conn, staff_id)?;
    if st.enabled_at.is_some() {
        return Err(AppError::Conflict(
            "Two-factor login is already on for your account.".into(),
        ));
    }
    if st.pending.is_empty() {
        return Ok(None);
    }
    let key = open_key(secret, staff_id, &st.pending)?;
    let Some(step) = totp::verify(&key, code, now.unix_timestamp(), 0) else {
        return Ok(None);
    };
    conn.execute(
        "UPDATE staff SET totp_secret = totp_pending, totp_pending = '', totp_enabled_at = ?2,
                          totp_last_step = ?3 WHERE id = ?1",
        params![staff_id, sql_time(now), step],
    )?;
    Ok(Some(new_recovery_codes(conn, staff_id)?))
}

fn recovery_hash(staff_id: i64, code: &str) -> String {
    hash_token(&format!("{staff_id}:{}", totp::normalise_recovery(code)))
}

/// Replaces the member's recovery codes with 10 new ones and returns them.
pub fn new_recovery_codes(conn: &Connection, staff_id: i64) -> AppResult<Vec<String>> {
    conn.execute(
        "DELETE FROM staff_recovery_codes WHERE staff_id = ?1",
        [staff_id],
    )?;
    let mut codes = Vec::with_capacity(totp::RECOVERY_CODES);
    for _ in 0..totp::RECOVERY_CODES {
        let code = totp::new_recovery_code();
        conn.execute(
            "INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES (?1, ?2)",
            params![staff_id, recovery_hash(staff_id, &code)],
        )?;
        codes.push(code);
    }
    Ok(codes)
}

pub fn recovery_codes_left(conn: &Connection, staff_id: i64) -> AppResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM staff_recovery_codes WHERE staff_id = ?1 AND used_at IS NULL",
        [staff_id],
        |r| r.get(0),
    )?)
}

/// How a second factor was proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    App,
    Recovery,
}

impl Proof {
    pub fn as_str(self) -> &'static str {
        match self {
            Proof::App => "authenticator",
            Proof::Recovery => "recovery code",
        }
    }
}

/// Checks an app code (recording its step, so it never works again) or a recovery code
/// (marking it used), in the caller's transaction. None when it is wrong.
pub fn check_code(
    conn: &Connection,
    secret: &Secret,
    staff_id: i64,
    code: &str,
    now: OffsetDateTime,
) -> AppResult<Option<Proof>> {
    let st = state(conn, staff_id)?;
    if st.enabled_at.is_none() {
        return Ok(None);
    }
    if totp::looks_like_recovery(code) {
        let used = conn.execute(
            "UPDATE staff_recovery_codes SET used_at = ?3
             WHERE staff_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
            params![staff_id, recovery_hash(staff_id, code), sql_time(now)],
        )?;
        return Ok((used > 0).then_some(Proof::Recovery));
    }
    let key = open_key(secret, staff_id, &st.secret)?;
    match totp::verify(&key, code, now.unix_timestamp(), st.last_step) {
        Some(step) => {
            // Claimed with a guarded update: of two logins racing with one code, one wins.
            let claimed = conn.execute(
                "UPDATE staff SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2",
                params![staff_id, step],
            )?;
            Ok((claimed == 1).then_some(Proof::App))
        }
        None => Ok(None),
    }
}

/// Turns two-factor login off and forgets the secret and recovery codes.
pub fn disable(conn: &Connection, staff_id: i64) -> AppResult<()> {
    conn.execute(
        "UPDATE staff SET totp_secret = '', totp_pending = '', totp_enabled_at = NULL,
                          totp_last_step = 0 WHERE id = ?1",
        [staff_id],
    )?;
    conn.execute(
        "DELETE FROM staff_recovery_codes WHERE staff_id = ?1",
        [staff_id],
    )?;
    Ok(())
}

/// A half-login: the password was right, the code is still to come.
pub struct Challenge {
    pub id: i64,
    pub staff_id: i64,
    pub next: String,
    pub attempts: i64,
}

/// Starts a half-login; returns the token for the cookie. Older ones of the member go.
pub fn start_challenge(
    conn: &Connection,
    staff_id: i64,
    next: &str,
    now: OffsetDateTime,
) -> AppResult<String> {
    conn.execute(
        "DELETE FROM staff_login_challenges WHERE staff_id = ?1 OR expires_at <= ?2",
        params![staff_id, sql_time(now)],
    )?;
    let token = random_token();
    conn.execute(
        "INSERT INTO staff_login_challenges (token_hash, staff_id, next, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            hash_token(&token),
            staff_id,
            next,
            sql_time(now + Duration::minutes(CHALLENGE_MINUTES))
        ],
    )?;
    Ok(token)
}

/// The live half-login of a cookie token.
pub fn find_challenge(
    conn: &Connection,
    token: &str,
    now: OffsetDateTime,
) -> AppResult<Option<Challenge>> {
    Ok(conn
        .query_row(
            "SELECT c.id, c.staff_id, c.next, c.attempts FROM staff_login_challenges c
             JOIN staff s ON s.id = c.staff_id
             WHERE c.token_hash = ?1 AND c.expires_at > ?2 AND c.attempts < ?3 AND s.active = 1",
            params![hash_token(token), sql_time(now), CHALLENGE_ATTEMPTS],
            |r| {
                Ok(Challenge {
                    id: r.get(0)?,
                    staff_id: r.get(1)?,
                    next: r.get(2)?,
                    attempts: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// Counts a wrong code; returns how many attempts are left.
pub fn fail_challenge(conn: &Connection, id: i64) -> AppResult<i64> {
    conn.execute(
        "UPDATE staff_login_challenges SET attempts = attempts + 1 WHERE id = ?1",
        [id],
    )?;
    let attempts: i64 = conn
        .query_row(
            "SELECT attempts FROM staff_login_challenges WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(CHALLENGE_ATTEMPTS);
    if attempts >= CHALLENGE_ATTEMPTS {
        end_challenge(conn, id)?;
    }
    Ok((CHALLENGE_ATTEMPTS - attempts).max(0))
}

pub fn end_challenge(conn: &Connection, id: i64) -> AppResult<()> {
    conn.execute("DELETE FROM staff_login_challenges WHERE id = ?1", [id])?;
    Ok(())
}
