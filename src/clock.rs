//! The shop's idea of "now". Production reads the system clock; tests move it forward
//! instead of sleeping (lock-outs, expiries, cancel windows).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
            + time::Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every copy of it) forward; for tests.
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }

    /// `now` as stored in the database: UTC, seconds, trailing Z.
    pub fn now_sql(&self) -> String {
        sql_time(self.now())
    }
}

/// Formats a time the way the schema stores it (comparable as text).
pub fn sql_time(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

/// A stored time as the back office shows it: "2026-11-22 06:27:59" (UTC).
pub fn shown_time(stored: &str) -> String {
    stored.replace('T', " ").trim_end_matches('Z').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_sort_as_text_and_end_in_z() {
        let c = Clock::default();
        let a = c.now_sql();
        c.advance(90);
        let b = c.now_sql();
        assert!(a.ends_with('Z') && a.len() == 20, "{a}");
        assert!(b > a);
    }
}
