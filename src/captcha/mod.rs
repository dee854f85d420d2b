//! STUB replaced by the captcha branch (kept only so accounts compile meanwhile).
use std::sync::Arc;
use time::OffsetDateTime;

use crate::error::{AppError, AppResult};

pub struct Limits {
    pub max_attempts: u32,
    pub lockout_seconds: i64,
}

pub fn settings(conn: &rusqlite::Connection) -> AppResult<(bool, Limits)> {
    Ok((
        crate::settings::get(conn, "captcha.enabled")? == "true",
        Limits {
            max_attempts: crate::settings::get_i64(conn, "captcha.max_attempts")? as u32,
            lockout_seconds: crate::settings::get_i64(conn, "captcha.lockout_seconds")?,
        },
    ))
}

#[derive(Clone, Default)]
pub struct Captchas(Arc<()>);

pub enum CaptchaError {
    Locked { retry_after: i64 },
    Wrong { attempts_left: u32 },
    Expired,
}

impl CaptchaError {
    pub fn message(&self) -> String {
        "stub".into()
    }
    pub fn into_app_error(self) -> AppError {
        AppError::Invalid(self.message())
    }
}

impl Captchas {
    pub fn issue(&self, _now: OffsetDateTime) -> String {
        String::new()
    }
    pub fn locked(&self, _client: &str, _now: OffsetDateTime) -> Option<i64> {
        None
    }
    pub fn check(
        &self,
        _client: &str,
        _id: &str,
        _answer: &str,
        _limits: &Limits,
        _now: OffsetDateTime,
    ) -> Result<(), CaptchaError> {
        Ok(())
    }
}
