//! The registration CAPTCHA, drawn and checked by the shop itself (no outside service).
//!
//! `Captchas` holds the live challenges and the per-client lock-outs in memory: a restart
//! forgets them, which only means a visitor answers a new picture. POLICY: a challenge is
//! valid 10 minutes and answers once; `captcha.max_attempts` wrong answers from one client
//! lock registration for it for `captcha.lockout_seconds`.
//!
//! A caller (the registration form or `POST /api/v1/auth/register`) does:
//! `settings` → if enabled: `locked` (refuse early), `issue` for the form or API,
//! and on submit `check`, whose error becomes an `AppError` with `into_app_error`.
//!
//! Expired, unknown or already used ids are refused but not counted as wrong answers: a
//! visitor who left the form open should not be punished, and asking for fresh ids without
//! answering gains an attacker nothing, since every id is single use and every answer
//! given counts.

pub mod image;
pub mod routes;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use rand::Rng;
use rusqlite::Connection;
use time::{Duration, OffsetDateTime};

use crate::error::{AppError, AppResult};
use crate::settings;

pub use routes::routes;

/// How long a challenge can be answered (POLICY: 10 minutes).
pub const LIFETIME_SECS: i64 = 600;
/// Live challenges kept at most; over it the oldest are dropped (each takes ~150 bytes).
pub const MAX_CHALLENGES: usize = 10_000;
/// Clients with wrong answers remembered at most; over it, those not locked are forgotten.
const MAX_CLIENTS: usize = 50_000;

/// The lock-out rule, read from the settings by `settings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_attempts: u32,
    pub lockout_seconds: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_attempts: 3,
            lockout_seconds: 300,
        }
    }
}

/// Whether the CAPTCHA is switched on (`captcha.enabled`), and the lock-out rule.
pub fn settings(conn: &Connection) -> AppResult<(bool, Limits)> {
    let enabled = settings::get(conn, "captcha.enabled")? == "true";
    let limits = Limits {
        max_attempts: settings::get_i64(conn, "captcha.max_attempts")?.clamp(1, 1000) as u32,
        lockout_seconds: settings::get_i64(conn, "captcha.lockout_seconds")?.max(1),
    };
    Ok((enabled, limits))
}

/// The address of a challenge's picture.
pub fn image_url(id: &str) -> String {
    format!("/captcha/{id}")
}

/// Why an answer was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptchaError {
    /// Too many wrong answers from this client; registration is refused for `retry_after`
    /// more seconds.
    Locked { retry_after: i64 },
    /// Not the text in the picture; after `attempts_left` more wrong ones, locked.
    Wrong { attempts_left: u32 },
    /// The id is unknown, expired or already used (not counted as a wrong answer).
    Expired,
}

impl CaptchaError {
    pub fn message(&self) -> String {
        match self {
            CaptchaError::Locked { retry_after } => format!(
                "Too many wrong answers. Try again in {}.",
                wait_text(*retry_after)
            ),
            CaptchaError::Wrong { attempts_left } => format!(
                "That was not the text in the picture. Please answer the new one \
                 ({attempts_left} {} left).",
                if *attempts_left == 1 {
                    "attempt"
                } else {
                    "attempts"
                }
            ),
            CaptchaError::Expired => {
                "This CAPTCHA has expired or was already used; please answer the new one.".into()
            }
        }
    }

    /// Locked → 429 with Retry-After; a wrong or stale answer → 422 naming the CAPTCHA.
    pub fn into_app_error(self) -> AppError {
        match self {
            CaptchaError::Locked { retry_after } => AppError::TooManyRequests {
                message: self.message(),
                retry_after: retry_after.max(1) as u64,
            },
            other => AppError::Invalid(other.message()),
        }
    }
}

impl std::fmt::Display for CaptchaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for CaptchaError {}

/// "4 minutes" (rounded up), or seconds under a minute.
fn wait_text(secs: i64) -> String {
    let secs = secs.max(1);
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs < 60 {
        plural(secs, "second")
    } else {
        plural((secs + 59) / 60, "minute")
    }
}

/// What the visitor typed, made comparable: case and spaces do not matter.
fn normalise(answer: &str) -> String {
    answer
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Whom lock-outs apply to: the IP, or for IPv6 its /64 (one subscriber gets a whole /64,
/// so single addresses would be free for the taking).
fn client_key(client: &str) -> String {
    match client.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6.to_ipv4_mapped().expect("checked").to_string(),
        _ => client.to_string(),
    }
}

struct Challenge {
    answer: String,
    seed: u64,
    expires: OffsetDateTime,
    /// Position in `Inner::order`.
    seq: u64,
}

#[derive(Default)]
struct Strikes {
    wrong: u32,
    last_wrong: Option<OffsetDateTime>,
    locked_until: Option<OffsetDateTime>,
}

#[derive(Default)]
struct Inner {
    challenges: HashMap<String, Challenge>,
    /// Challenge ids by issue order, so the oldest and the expired are found first.
    order: BTreeMap<u64, String>,
    next_seq: u64,
    clients: HashMap<String, Strikes>,
}

impl Inner {
    fn take(&mut self, id: &str) -> Option<Challenge> {
        let c = self.challenges.remove(id)?;
        self.order.remove(&c.seq);
        Some(c)
    }

    /// Drops expired challenges, then the oldest while over the cap.
    fn prune(&mut self, now: OffsetDateTime) {
        while let Some((&seq, id)) = self.order.first_key_value() {
            let stale = self.challenges.get(id).is_none_or(|c| c.expires <= now);
            if !stale && self.challenges.len() < MAX_CHALLENGES {
                break;
            }
            let id = id.clone();
            self.order.remove(&seq);
            self.challenges.remove(&id);
        }
    }
}

/// The live challenges and lock-outs; Rocket-managed, cheap to clone.
#[derive(Clone, Default)]
pub struct Captchas {
    inner: Arc<Mutex<Inner>>,
}

impl Captchas {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new challenge; returns its id (a random token), valid `LIFETIME_SECS` from `now`.
    pub fn issue(&self, now: OffsetDateTime) -> String {
        let mut rng = rand::thread_rng();
        let answer = image::random_text(&mut rng);
        let seed = rng.gen();
        let id = crate::secret::random_token();
        let mut inner = self.lock();
        inner.prune(now);
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.order.insert(seq, id.clone());
        inner.challenges.insert(
            id.clone(),
            Challenge {
                answer,
                seed,
                expires: now + Duration::seconds(LIFETIME_SECS),
                seq,
            },
        );
        id
    }

    /// The picture of a live challenge (drawn on demand: ~1 ms); None once expired or used.
    pub fn png(&self, id: &str, now: OffsetDateTime) -> Option<Vec<u8>> {
        let (answer, seed) = {
            let inner = self.lock();
            let c = inner.challenges.get(id).filter(|c| c.expires > now)?;
            (c.answer.clone(), c.seed)
        };
        Some(image::render(&answer, seed))
    }

    /// Seconds until this client may try again, if it is locked out.
    pub fn locked(&self, client: &str, now: OffsetDateTime) -> Option<i64> {
        let key = client_key(client);
        let mut inner = self.lock();
        let until = inner.clients.get(&key)?.locked_until?;
        if until > now {
            Some(seconds_until(until, now))
        } else {
            // The lock is over: counting starts again.
            inner.clients.remove(&key);
            None
        }
    }

    /// Checks an answer. The challenge is used up whatever the outcome, so a failed
    /// registration must show a new one (`issue`).
    pub fn check(
        &self,
        client: &str,
        id: &str,
        answer: &str,
        limits: &Limits,
        now: OffsetDateTime,
    ) -> Result<(), CaptchaError> {
        if let Some(retry_after) = self.locked(client, now) {
            self.lock().take(id);
            return Err(CaptchaError::Locked { retry_after });
        }
        let key = client_key(client);
        let mut inner = self.lock();
        let challenge = inner
            .take(id)
            .filter(|c| c.expires > now)
            .ok_or(CaptchaError::Expired)?;
        if normalise(answer) == challenge.answer {
            inner.clients.remove(&key);
            return Ok(());
        }
        if inner.clients.len() >= MAX_CLIENTS {
            forget_idle(&mut inner.clients, limits, now);
        }
        let strikes = inner.clients.entry(key).or_default();
        // Wrong answers older than a lock-out are forgotten: waiting that long between
        // guesses is no faster than being locked, and memory stays bounded.
        if strikes
            .last_wrong
            .is_some_and(|t| t + Duration::seconds(limits.lockout_seconds) <= now)
        {
            strikes.wrong = 0;
        }
        strikes.wrong += 1;
        strikes.last_wrong = Some(now);
        if strikes.wrong >= limits.max_attempts {
            strikes.wrong = 0;
            strikes.locked_until = Some(now + Duration::seconds(limits.lockout_seconds));
            return Err(CaptchaError::Locked {
                retry_after: limits.lockout_seconds,
            });
        }
        Err(CaptchaError::Wrong {
            attempts_left: limits.max_attempts - strikes.wrong,
        })
    }

    /// The answer of a live challenge, for tests driving the real server in-process.
    /// Nothing routes to it.
    #[doc(hidden)]
    pub fn peek_answer(&self, id: &str) -> Option<String> {
        self.lock().challenges.get(id).map(|c| c.answer.clone())
    }
}

fn seconds_until(until: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let left = until - now;
    // Round up: "try again in 0 seconds" must not happen while still locked.
    (left.whole_seconds() + i64::from(left.subsec_nanoseconds() > 0)).max(1)
}

/// Forgets clients that are neither locked nor recently wrong; if all are, forgets the
/// unlocked ones anyway (a flood from many addresses must not grow memory without bound).
fn forget_idle(clients: &mut HashMap<String, Strikes>, limits: &Limits, now: OffsetDateTime) {
    let window = Duration::seconds(limits.lockout_seconds);
    clients.retain(|_, s| {
        s.locked_until.is_some_and(|t| t > now) || s.last_wrong.is_some_and(|t| t + window > now)
    });
    if clients.len() >= MAX_CLIENTS {
        clients.retain(|_, s| s.locked_until.is_some_and(|t| t > now));
    }
}

#[cfg(test)]
mod tests;
