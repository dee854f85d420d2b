//! Per-client rate limits (POLICY: logins per IP per minute, …). A sliding log of recent
//! attempts per (bucket, key), using the shop's clock so tests move time instead of waiting.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

#[derive(Default)]
pub struct RateLimiter {
    hits: Mutex<HashMap<(&'static str, String), VecDeque<i64>>>,
}

impl RateLimiter {
    /// Counts an attempt; `Err(seconds)` says how long until one is allowed again.
    pub fn check(
        &self,
        bucket: &'static str,
        key: &str,
        limit: u32,
        window_secs: i64,
        now: i64,
    ) -> Result<(), u64> {
        let mut map = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            // Forget clients whose attempts are all old, so memory stays bounded.
            map.retain(|_, log| log.back().is_some_and(|&t| t > now - window_secs));
        }
        let log = map.entry((bucket, key.to_string())).or_default();
        while log.front().is_some_and(|&t| t <= now - window_secs) {
            log.pop_front();
        }
        if log.len() >= limit as usize {
            let oldest = *log.front().expect("limit is at least one");
            return Err((oldest + window_secs - now).max(1) as u64);
        }
        log.push_back(now);
        Ok(())
    }
}

/// POLICY: login attempts per client IP per minute (`security.logins_per_ip_per_minute`),
/// for staff and customer logins alike; a refusal is audited under `subsystem`.
pub async fn check_login(
    db: &crate::db::Db,
    limiter: &RateLimiter,
    sink: &crate::audit::AuditSink,
    subsystem: &'static str,
    ip: impl Into<std::net::IpAddr>,
    now: time::OffsetDateTime,
) -> crate::error::AppResult<()> {
    let ip: std::net::IpAddr = ip.into();
    let per_minute = db
        .read(|c| crate::settings::get_i64(c, "security.logins_per_ip_per_minute"))
        .await?;
    let bucket = if subsystem == "staff" {
        "staff_login"
    } else {
        "customer_login"
    };
    if let Err(retry_after) = limiter.check(
        bucket,
        &ip.to_string(),
        per_minute as u32,
        60,
        now.unix_timestamp(),
    ) {
        sink.send(crate::audit::Entry::error(subsystem, "login.rate_limited").ip(Some(ip)));
        return Err(crate::error::AppError::TooManyRequests {
            message: format!(
                "Too many login attempts from your network. Try again in {retry_after} seconds."
            ),
            retry_after,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_within_the_window_and_frees_after_it() {
        let r = RateLimiter::default();
        for i in 0..3 {
            assert!(r.check("login", "1.2.3.4", 3, 60, 1000 + i).is_ok());
        }
        assert_eq!(r.check("login", "1.2.3.4", 3, 60, 1010), Err(50));
        assert!(
            r.check("login", "5.6.7.8", 3, 60, 1010).is_ok(),
            "other clients are not affected"
        );
        assert!(r.check("login", "1.2.3.4", 3, 60, 1061).is_ok());
    }
}
