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

/// A shop-time "YYYY-MM-DDTHH:MM" (what a `datetime-local` field sends) as stored UTC,
/// given the shop's offset from UTC; None when it is not such a time.
pub fn from_shop_time(typed: &str, offset_minutes: i64) -> Option<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let typed = typed.trim();
    // Browsers may add seconds; the minute is what a person picks.
    let typed = typed.get(..16).unwrap_or(typed);
    let local = time::PrimitiveDateTime::parse(typed, &format).ok()?;
    Some(sql_time(
        local.assume_utc() - time::Duration::minutes(offset_minutes),
    ))
}

/// A stored UTC time in shop time, "YYYY-MM-DDTHH:MM" (a `datetime-local` value).
pub fn to_shop_time(stored: &str, offset_minutes: i64) -> String {
    match OffsetDateTime::parse(stored, &Rfc3339) {
        Ok(t) => {
            let local = t + time::Duration::minutes(offset_minutes);
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}",
                local.year(),
                local.month() as u8,
                local.day(),
                local.hour(),
                local.minute()
            )
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_times_round_trip_through_utc() {
        let utc = from_shop_time("2026-06-01T09:30", 120).unwrap();
        assert_eq!(utc, "2026-06-01T07:30:00Z");
        assert_eq!(to_shop_time(&utc, 120), "2026-06-01T09:30");
        assert_eq!(
            from_shop_time("2026-06-01T00:15:00", -60).unwrap(),
            "2026-06-01T01:15:00Z"
        );
        assert!(from_shop_time("1 June", 0).is_none());
        assert!(from_shop_time("2026-02-30T10:00", 0).is_none());
    }

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
