//! What a voucher takes off an order, and why one cannot be used.
//!
//! The rule: a voucher applies to the subtotal after promotions (what the goods cost the
//! buyer). A percent is taken off that subtotal rounded half up to the minor unit; an
//! amount is taken off up to the whole subtotal, so an order never goes below zero (its
//! shipping is not reduced). The minimum order subtotal is compared with the same
//! subtotal after promotions. Refusals are checked in the order a buyer can do something
//! about them: used, someone else's, not yet valid, expired, the subtotal too small.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

pub use crate::marketing::promotions::rule::Kind;

/// A voucher as pricing and the pages read it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Voucher {
    pub id: i64,
    pub code: String,
    /// The one customer who may use it; None for anyone.
    pub customer_id: Option<i64>,
    /// That customer's email, for the back office.
    pub customer_email: Option<String>,
    pub kind: Kind,
    pub value: i64,
    pub min_subtotal: i64,
    /// UTC; valid from `valid_from` up to (not including) `valid_to`.
    pub valid_from: String,
    pub valid_to: String,
    pub note: String,
    /// The order that redeemed it (id and number), if one did.
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub used_at: Option<String>,
    pub created_at: String,
}

/// What the shop needs to word a refusal: its offset from UTC and its money format.
pub struct Wording<'a> {
    pub offset_minutes: i64,
    pub money: &'a dyn Fn(i64) -> String,
}

impl Voucher {
    /// What it takes off a subtotal (after promotions) of `subtotal`.
    pub fn off(&self, subtotal: i64) -> i64 {
        self.kind.off(self.value, subtotal)
    }

    /// "−10 %" or "−€5.00".
    pub fn badge(&self, money: &dyn Fn(i64) -> String) -> String {
        self.kind.badge(self.value, money)
    }

    /// Where it stands at `now`: used, expired, not yet valid or usable.
    pub fn state(&self, now: &str) -> &'static str {
        if self.order_id.is_some() {
            "used"
        } else if now >= self.valid_to.as_str() {
            "expired"
        } else if now < self.valid_from.as_str() {
            "scheduled"
        } else {
            "usable"
        }
    }

    /// Why `buyer` (a customer id, None for a guest) cannot use it now on an order whose
    /// subtotal after promotions is `subtotal`; None when they can.
    pub fn refusal(
        &self,
        buyer: Option<i64>,
        subtotal: i64,
        now: &str,
        w: &Wording,
    ) -> Option<String> {
        if self.order_id.is_some() {
            return Some(format!(
                "This voucher was already used on order {}.",
                self.order_number.as_deref().unwrap_or("another order")
            ));
        }
        match (self.customer_id, buyer) {
            (Some(_), None) => {
                return Some("This voucher belongs to a customer account: log in to use it.".into())
            }
            (Some(owner), Some(b)) if owner != b => {
                return Some("This voucher belongs to another account.".into())
            }
            _ => {}
        }
        if now < self.valid_from.as_str() {
            return Some(format!(
                "This voucher is not valid before {}.",
                shop_day(&self.valid_from, false, now, w.offset_minutes)
            ));
        }
        if now >= self.valid_to.as_str() {
            return Some(format!(
                "This voucher expired on {}.",
                shop_day(&self.valid_to, true, now, w.offset_minutes)
            ));
        }
        if subtotal < self.min_subtotal {
            return Some(format!(
                "For this voucher the order subtotal must be at least {}.",
                (w.money)(self.min_subtotal)
            ));
        }
        None
    }
}

/// A stored UTC time as a day in shop time: "3 May", with the year when it is not the
/// year of `now`, and the time when it is not midnight. An end (`end` true) is the last
/// day it covers: a voucher valid up to 4 May 00:00 expired on 3 May.
pub fn shop_day(stored: &str, end: bool, now: &str, offset_minutes: i64) -> String {
    let (Ok(t), Ok(n)) = (
        OffsetDateTime::parse(stored, &Rfc3339),
        OffsetDateTime::parse(now, &Rfc3339),
    ) else {
        return stored.to_string();
    };
    let shift = Duration::minutes(offset_minutes);
    let (t, n) = (t + shift, n + shift);
    let midnight = t.hour() == 0 && t.minute() == 0 && t.second() == 0;
    let day = if end && midnight {
        t - Duration::days(1)
    } else {
        t
    };
    let mut out = format!("{} {}", day.day(), day.month());
    if day.year() != n.year() {
        out.push_str(&format!(" {}", day.year()));
    }
    if !midnight {
        out.push_str(&format!(" at {:02}:{:02}", t.hour(), t.minute()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-06-10T12:00:00Z";

    fn voucher(kind: Kind, value: i64) -> Voucher {
        Voucher {
            id: 1,
            code: "SUMMER20".into(),
            customer_id: Some(7),
            customer_email: Some("mira@tea.test".into()),
            kind,
            value,
            min_subtotal: 2000,
            valid_from: "2026-06-01T00:00:00Z".into(),
            valid_to: "2026-07-01T00:00:00Z".into(),
            note: String::new(),
            order_id: None,
            order_number: None,
            used_at: None,
            created_at: "2026-05-01T00:00:00Z".into(),
        }
    }

    fn euro(m: i64) -> String {
        format!("€{}.{:02}", m / 100, m % 100)
    }

    fn why(v: &Voucher, buyer: Option<i64>, subtotal: i64, now: &str) -> Option<String> {
        let w = Wording {
            offset_minutes: 0,
            money: &euro,
        };
        v.refusal(buyer, subtotal, now, &w)
    }

    #[test]
    fn a_percent_is_taken_off_the_subtotal_rounded_half_up() {
        let v = voucher(Kind::Percent, 10);
        // 10 % of 24.95 is 2.495: half up to 2.50; of 24.94, 2.494 to 2.49.
        assert_eq!(v.off(2495), 250);
        assert_eq!(v.off(2494), 249);
        assert_eq!(voucher(Kind::Percent, 100).off(1999), 1999);
    }

    #[test]
    fn an_amount_never_takes_the_order_below_zero() {
        let v = voucher(Kind::Amount, 500);
        assert_eq!(v.off(2000), 500);
        assert_eq!(v.off(300), 300);
        assert_eq!(v.off(0), 0);
        assert_eq!(v.off(-5), 0);
    }

    #[test]
    fn each_refusal_says_exactly_why() {
        let mut v = voucher(Kind::Percent, 10);
        assert_eq!(why(&v, Some(7), 2000, NOW), None);
        assert_eq!(
            why(&v, Some(7), 1999, NOW).unwrap(),
            "For this voucher the order subtotal must be at least €20.00."
        );
        assert_eq!(
            why(&v, Some(8), 5000, NOW).unwrap(),
            "This voucher belongs to another account."
        );
        assert_eq!(
            why(&v, None, 5000, NOW).unwrap(),
            "This voucher belongs to a customer account: log in to use it."
        );
        assert_eq!(
            why(&v, Some(7), 5000, "2026-05-31T23:59:59Z").unwrap(),
            "This voucher is not valid before 1 June."
        );
        assert_eq!(
            why(&v, Some(7), 5000, "2026-07-01T00:00:00Z").unwrap(),
            "This voucher expired on 30 June."
        );
        v.order_id = Some(3);
        v.order_number = Some("2026-001042".into());
        assert_eq!(
            why(&v, Some(7), 5000, NOW).unwrap(),
            "This voucher was already used on order 2026-001042."
        );
    }

    #[test]
    fn an_anyones_voucher_is_for_guests_too() {
        let mut v = voucher(Kind::Amount, 500);
        v.customer_id = None;
        assert_eq!(why(&v, None, 2000, NOW), None);
        assert_eq!(why(&v, Some(99), 2000, NOW), None);
    }

    #[test]
    fn days_are_shop_days_with_the_year_and_time_only_when_needed() {
        assert_eq!(shop_day("2026-05-04T00:00:00Z", true, NOW, 0), "3 May");
        assert_eq!(shop_day("2026-05-04T00:00:00Z", false, NOW, 0), "4 May");
        assert_eq!(
            shop_day("2027-01-01T00:00:00Z", false, NOW, 0),
            "1 January 2027"
        );
        assert_eq!(
            shop_day("2026-06-01T14:30:00Z", false, NOW, 0),
            "1 June at 14:30"
        );
        // Midnight in UTC+02:00 is 22:00 UTC the day before.
        assert_eq!(shop_day("2026-05-03T22:00:00Z", true, NOW, 120), "3 May");
    }

    #[test]
    fn the_state_follows_use_and_the_validity_window() {
        let mut v = voucher(Kind::Percent, 10);
        assert_eq!(v.state(NOW), "usable");
        assert_eq!(v.state("2026-05-01T00:00:00Z"), "scheduled");
        assert_eq!(v.state("2026-07-01T00:00:00Z"), "expired");
        v.order_id = Some(1);
        assert_eq!(v.state(NOW), "used");
    }
}
