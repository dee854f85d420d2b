//! A target group's filter: what the form sends (`FilterForm`, text as typed), what is
//! kept and what the API takes (`GroupFilter`: dates as days, money in minor units, JSON),
//! the checks both pass (one sentence per field), the filter in words, and as SQL.
//!
//! Decisions: "country" matches a customer with any saved address in it; registered and
//! last-order days are shop days, both ends included ("last order before" excludes its
//! day); a customer without orders has no last order, so a last-order condition leaves
//! them out, while "orders at most 0" finds them. Orders and money spent are counted as on
//! the customer page (`customers::query`): orders placed, drafts left out; spent = totals
//! of orders whose sale stands.

use std::collections::BTreeMap;

use rocket::FromForm;
use rusqlite::types::Value as Sql;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, PrimitiveDateTime, Time};
use utoipa::ToSchema;

use crate::accounts::countries::country_name;
use crate::clock::sql_time;
use crate::db::like_contains;
use crate::money::Currency;
use crate::orders::query::SPENT_STATUSES;

/// Field name → message.
pub type Errors = BTreeMap<&'static str, String>;

const DAY: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The kept filter; every field may be left out (no condition).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GroupFilter {
    /// First and last name contain this (ignoring case).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The email contains this.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// The email's domain is this ("example.com").
    #[serde(skip_serializing_if = "String::is_empty")]
    pub domain: String,
    /// ISO 3166 code of a country the customer has an address in ("AT").
    #[serde(skip_serializing_if = "String::is_empty")]
    pub country: String,
    /// Born on or after this day (YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub born_from: Option<String>,
    /// Born on or before this day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub born_to: Option<String>,
    /// Birthday in this month, 1–12.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday_month: Option<u8>,
    /// Registered on or after this shop day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_from: Option<String>,
    /// Registered on or before this shop day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders_min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orders_max: Option<i64>,
    /// Minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spent_min: Option<i64>,
    /// Minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spent_max: Option<i64>,
    /// The last order was placed on or after this shop day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_order_from: Option<String>,
    /// The last order was placed before this shop day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_order_before: Option<String>,
    /// Only verified (true) or only unverified (false) accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Only active (true) or only deactivated (false) accounts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// The filter form as typed (every field text; money in the shop currency, "yes"/"no").
#[derive(FromForm, Debug, Clone, Default, Serialize)]
pub struct FilterForm {
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub domain: String,
    #[field(default = String::new())]
    pub country: String,
    #[field(default = String::new())]
    pub born_from: String,
    #[field(default = String::new())]
    pub born_to: String,
    #[field(default = String::new())]
    pub birthday_month: String,
    #[field(default = String::new())]
    pub registered_from: String,
    #[field(default = String::new())]
    pub registered_to: String,
    #[field(default = String::new())]
    pub orders_min: String,
    #[field(default = String::new())]
    pub orders_max: String,
    #[field(default = String::new())]
    pub spent_min: String,
    #[field(default = String::new())]
    pub spent_max: String,
    #[field(default = String::new())]
    pub last_order_from: String,
    #[field(default = String::new())]
    pub last_order_before: String,
    #[field(default = String::new())]
    pub verified: String,
    #[field(default = String::new())]
    pub active: String,
}

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

impl FilterForm {
    /// The form showing a kept filter.
    pub fn of(f: &GroupFilter, cur: &Currency) -> FilterForm {
        let day = |d: &Option<String>| d.clone().unwrap_or_default();
        let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let money = |n: Option<i64>| n.map(|n| cur.to_major(n)).unwrap_or_default();
        FilterForm {
            name: f.name.clone(),
            email: f.email.clone(),
            domain: f.domain.clone(),
            country: f.country.clone(),
            born_from: day(&f.born_from),
            born_to: day(&f.born_to),
            birthday_month: f.birthday_month.map(|m| m.to_string()).unwrap_or_default(),
            registered_from: day(&f.registered_from),
            registered_to: day(&f.registered_to),
            orders_min: num(f.orders_min),
            orders_max: num(f.orders_max),
            spent_min: money(f.spent_min),
            spent_max: money(f.spent_max),
            last_order_from: day(&f.last_order_from),
            last_order_before: day(&f.last_order_before),
            verified: yes_no(f.verified),
            active: yes_no(f.active),
        }
    }

    /// The form as query pairs (empty ones dropped by `web::query::url`).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("name", self.name.clone()),
            ("email", self.email.clone()),
            ("domain", self.domain.clone()),
            ("country", self.country.clone()),
            ("born_from", self.born_from.clone()),
            ("born_to", self.born_to.clone()),
            ("birthday_month", self.birthday_month.clone()),
            ("registered_from", self.registered_from.clone()),
            ("registered_to", self.registered_to.clone()),
            ("orders_min", self.orders_min.clone()),
            ("orders_max", self.orders_max.clone()),
            ("spent_min", self.spent_min.clone()),
            ("spent_max", self.spent_max.clone()),
            ("last_order_from", self.last_order_from.clone()),
            ("last_order_before", self.last_order_before.clone()),
            ("verified", self.verified.clone()),
            ("active", self.active.clone()),
        ]
    }

    /// Whether nothing was typed (the page then shows every customer).
    pub fn is_empty(&self) -> bool {
        self.pairs().iter().all(|(_, v)| v.trim().is_empty())
    }

    /// The typed form as a filter, checked; or a sentence per field that is wrong.
    pub fn parse(&self, cur: &Currency) -> Result<GroupFilter, Errors> {
        let mut errors = Errors::new();
        let text = |v: &str| v.trim().to_string();
        let opt = |v: &str| Some(v.trim().to_string()).filter(|v| !v.is_empty());
        let count = |name: &'static str, v: &str, errors: &mut Errors| -> Option<i64> {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            match v.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.insert(name, "Give a whole number, such as 3.".into());
                    None
                }
            }
        };
        let orders_min = count("orders_min", &self.orders_min, &mut errors);
        let orders_max = count("orders_max", &self.orders_max, &mut errors);
        let money = |name: &'static str, v: &str, errors: &mut Errors| -> Option<i64> {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            match cur.parse_major(v) {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.insert(name, e);
                    None
                }
            }
        };
        let spent_min = money("spent_min", &self.spent_min, &mut errors);
        let spent_max = money("spent_max", &self.spent_max, &mut errors);
        let flag = |name: &'static str, v: &str, errors: &mut Errors| match v.trim() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                errors.insert(name, "Choose yes, no or either.".into());
                None
            }
        };
        let verified = flag("verified", &self.verified, &mut errors);
        let active = flag("active", &self.active, &mut errors);
        let birthday_month = match self.birthday_month.trim() {
            "" => None,
            m => match m.parse::<u8>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.insert("birthday_month", "Choose a month.".into());
                    None
                }
            },
        };
        let f = GroupFilter {
            name: text(&self.name),
            email: text(&self.email),
            domain: text(&self.domain),
            country: text(&self.country).to_ascii_uppercase(),
            born_from: opt(&self.born_from),
            born_to: opt(&self.born_to),
            birthday_month,
            registered_from: opt(&self.registered_from),
            registered_to: opt(&self.registered_to),
            orders_min,
            orders_max,
            spent_min,
            spent_max,
            last_order_from: opt(&self.last_order_from),
            last_order_before: opt(&self.last_order_before),
            verified,
            active,
        };
        for (k, v) in f.check() {
            errors.entry(k).or_insert(v);
        }
        if errors.is_empty() {
            Ok(f)
        } else {
            Err(errors)
        }
    }
}

fn day(v: &Option<String>) -> Option<Result<Date, ()>> {
    v.as_ref().map(|d| Date::parse(d, DAY).map_err(|_| ()))
}

impl GroupFilter {
    /// What is wrong with it, a sentence per field (empty when nothing): the form and the
    /// API check the same.
    pub fn check(&self) -> Errors {
        let mut e = Errors::new();
        let long = |v: &str| v.chars().count() > 100 || v.chars().any(char::is_control);
        for (name, v) in [
            ("name", &self.name),
            ("email", &self.email),
            ("domain", &self.domain),
        ] {
            if long(v) {
                e.insert(name, "At most 100 characters, on one line.".into());
            }
        }
        let d = self.domain.trim_start_matches('@');
        if !d.is_empty() && (!d.contains('.') || d.contains('@') || d.contains(' ')) {
            e.insert(
                "domain",
                "Give a domain such as example.com (the part after the @).".into(),
            );
        }
        if !self.country.is_empty() && country_name(&self.country).is_empty() {
            e.insert("country", "Choose a country from the list.".into());
        }
        if self.birthday_month.is_some_and(|m| !(1..=12).contains(&m)) {
            e.insert("birthday_month", "Choose a month.".into());
        }
        for (from, to, a, b) in [
            ("born_from", "born_to", &self.born_from, &self.born_to),
            (
                "registered_from",
                "registered_to",
                &self.registered_from,
                &self.registered_to,
            ),
            (
                "last_order_from",
                "last_order_before",
                &self.last_order_from,
                &self.last_order_before,
            ),
        ] {
            let (x, y) = (day(a), day(b));
            for (name, v) in [(from, &x), (to, &y)] {
                if let Some(Err(())) = v {
                    e.insert(name, "Give a date like 2026-05-31 (year-month-day).".into());
                }
            }
            if let (Some(Ok(x)), Some(Ok(y))) = (x, y) {
                let before = if to == "last_order_before" {
                    x >= y
                } else {
                    x > y
                };
                if before {
                    e.insert(to, "The end cannot be before the start.".into());
                }
            }
        }
        for (min, max, a, b, what) in [
            (
                "orders_min",
                "orders_max",
                self.orders_min,
                self.orders_max,
                "A number of orders",
            ),
            (
                "spent_min",
                "spent_max",
                self.spent_min,
                self.spent_max,
                "An amount spent",
            ),
        ] {
            for (name, v) in [(min, a), (max, b)] {
                if v.is_some_and(|v| v < 0) {
                    e.insert(name, format!("{what} cannot be below zero."));
                }
            }
            if let (Some(a), Some(b)) = (a, b) {
                if a > b && a >= 0 && b >= 0 {
                    e.insert(max, "The most cannot be less than the least.".into());
                }
            }
        }
        e
    }

    /// Whether it asks about orders (the SQL then joins each customer's order figures).
    fn about_orders(&self) -> bool {
        self.orders_min.is_some()
            || self.orders_max.is_some()
            || self.spent_min.is_some()
            || self.spent_max.is_some()
            || self.last_order_from.is_some()
            || self.last_order_before.is_some()
    }

    /// The filter in words, one condition per item ("Country: Austria").
    pub fn describe(&self, cur: &Currency) -> Vec<String> {
        let mut out = Vec::new();
        let range = |a: Option<String>, b: Option<String>, sep_to: &str| match (a, b) {
            (Some(a), Some(b)) => Some(format!("{a} – {b}")),
            (Some(a), None) => Some(format!("from {a}")),
            (None, Some(b)) => Some(format!("{sep_to} {b}")),
            (None, None) => None,
        };
        if !self.name.is_empty() {
            out.push(format!("Name contains “{}”", self.name));
        }
        if !self.email.is_empty() {
            out.push(format!("Email contains “{}”", self.email));
        }
        if !self.domain.is_empty() {
            out.push(format!(
                "Email domain: {}",
                self.domain.trim_start_matches('@')
            ));
        }
        if !self.country.is_empty() {
            out.push(format!("Has an address in {}", country_name(&self.country)));
        }
        if let Some(r) = range(self.born_from.clone(), self.born_to.clone(), "until") {
            out.push(format!("Born {r}"));
        }
        if let Some(m) = self.birthday_month {
            let month = MONTHS.get(usize::from(m).wrapping_sub(1)).unwrap_or(&"?");
            out.push(format!("Birthday in {month}"));
        }
        if let Some(r) = range(
            self.registered_from.clone(),
            self.registered_to.clone(),
            "until",
        ) {
            out.push(format!("Registered {r}"));
        }
        let n = |v: Option<i64>| v.map(|v| v.to_string());
        if let Some(r) = range(n(self.orders_min), n(self.orders_max), "at most") {
            out.push(format!("Orders: {}", r.replacen("from", "at least", 1)));
        }
        let m = |v: Option<i64>| v.map(|v| cur.format(v));
        if let Some(r) = range(m(self.spent_min), m(self.spent_max), "at most") {
            out.push(format!("Spent: {}", r.replacen("from", "at least", 1)));
        }
        if let Some(d) = &self.last_order_from {
            out.push(format!("Last order on or after {d}"));
        }
        if let Some(d) = &self.last_order_before {
            out.push(format!("Last order before {d}"));
        }
        match self.verified {
            Some(true) => out.push("Email verified".into()),
            Some(false) => out.push("Email not verified".into()),
            None => {}
        }
        match self.active {
            Some(true) => out.push("Active account".into()),
            Some(false) => out.push("Deactivated account".into()),
            None => {}
        }
        out
    }

    /// The customers it finds, as `SELECT c.id FROM customers c …` with named parameters;
    /// `offset` is the shop's minutes from UTC (its days start at its midnight). Checked
    /// filters only (`check` empty): a date that does not parse is no condition.
    pub fn sql(&self, offset: i64) -> (String, Vec<(&'static str, Sql)>) {
        let text = |v: &str| Sql::Text(v.to_string());
        let opt_text = |v: &Option<String>| v.clone().map_or(Sql::Null, Sql::Text);
        let int = |v: Option<i64>| v.map_or(Sql::Null, Sql::Integer);
        let flag = |v: Option<bool>| v.map_or(Sql::Null, |b| Sql::Integer(i64::from(b)));
        // A shop day's first moment, stored UTC; `after` days later.
        let start = |v: &Option<String>, after: i64| match day(v) {
            Some(Ok(d)) => {
                let local = PrimitiveDateTime::new(d + Duration::days(after), Time::MIDNIGHT);
                Sql::Text(sql_time(local.assume_utc() - Duration::minutes(offset)))
            }
            _ => Sql::Null,
        };
        let domain = self.domain.trim_start_matches('@');
        let args = vec![
            (":name", text(&self.name)),
            (":name_like", text(&like_contains(&self.name))),
            (":email", text(&self.email)),
            (":email_like", text(&like_contains(&self.email))),
            (":domain", text(domain)),
            (":country", text(&self.country)),
            (":born_from", opt_text(&self.born_from)),
            (":born_to", opt_text(&self.born_to)),
            (
                ":month",
                self.birthday_month
                    .map_or(Sql::Null, |m| Sql::Integer(m.into())),
            ),
            (":reg_from", start(&self.registered_from, 0)),
            (":reg_to", start(&self.registered_to, 1)),
            (":orders_min", int(self.orders_min)),
            (":orders_max", int(self.orders_max)),
            (":spent_min", int(self.spent_min)),
            (":spent_max", int(self.spent_max)),
            (":last_from", start(&self.last_order_from, 0)),
            (":last_before", start(&self.last_order_before, 0)),
            (":verified", flag(self.verified)),
            (":active", flag(self.active)),
        ];
        let (join, n, spent, last) = if self.about_orders() {
            (
                format!(
                    "LEFT JOIN (SELECT customer_id, count(*) AS n,
                        sum(CASE WHEN status IN {SPENT_STATUSES} THEN total ELSE 0 END) AS spent,
                        max(placed_at) AS last
                     FROM orders WHERE customer_id IS NOT NULL AND status <> 'draft'
                     GROUP BY customer_id) s ON s.customer_id = c.id"
                ),
                "coalesce(s.n, 0)",
                "coalesce(s.spent, 0)",
                "s.last",
            )
        } else {
            (String::new(), "0", "0", "NULL")
        };
        let sql = format!(
            "SELECT c.id FROM customers c {join}
             WHERE c.deleted_at IS NULL
               AND (:name = '' OR (c.first_name || ' ' || c.last_name) LIKE :name_like ESCAPE '\\')
               AND (:email = '' OR c.email LIKE :email_like ESCAPE '\\')
               AND (:domain = '' OR lower(substr(c.email, instr(c.email, '@') + 1)) = lower(:domain))
               AND (:country = '' OR EXISTS (SELECT 1 FROM customer_addresses a
                                             WHERE a.customer_id = c.id AND a.country = :country))
               AND (:born_from IS NULL OR c.birth_date >= :born_from)
               AND (:born_to IS NULL OR c.birth_date <= :born_to)
               AND (:month IS NULL OR CAST(substr(c.birth_date, 6, 2) AS INTEGER) = :month)
               AND (:reg_from IS NULL OR c.created_at >= :reg_from)
               AND (:reg_to IS NULL OR c.created_at < :reg_to)
               AND (:orders_min IS NULL OR {n} >= :orders_min)
               AND (:orders_max IS NULL OR {n} <= :orders_max)
               AND (:spent_min IS NULL OR {spent} >= :spent_min)
               AND (:spent_max IS NULL OR {spent} <= :spent_max)
               AND (:last_from IS NULL OR {last} >= :last_from)
               AND (:last_before IS NULL OR {last} < :last_before)
               AND (:verified IS NULL OR (c.verified_at IS NOT NULL) = :verified)
               AND (:active IS NULL OR c.active = :active)"
        );
        (sql, args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> &'static Currency {
        Currency::find("EUR").unwrap()
    }

    #[test]
    fn a_typed_form_becomes_a_filter_and_back() {
        let form = FilterForm {
            name: " ann ".into(),
            domain: "@example.com".into(),
            country: "at".into(),
            birthday_month: "3".into(),
            spent_min: "50".into(),
            orders_max: "0".into(),
            verified: "yes".into(),
            ..Default::default()
        };
        let f = form.parse(eur()).unwrap();
        assert_eq!(f.name, "ann");
        assert_eq!(f.country, "AT");
        assert_eq!(f.spent_min, Some(5000));
        assert_eq!(f.orders_max, Some(0));
        assert_eq!(f.verified, Some(true));
        let back = FilterForm::of(&f, eur());
        assert_eq!(back.spent_min, "50.00");
        assert_eq!(back.parse(eur()).unwrap(), f);
        assert_eq!(
            f.describe(eur()),
            [
                "Name contains “ann”",
                "Email domain: example.com",
                "Has an address in Austria",
                "Birthday in March",
                "Orders: at most 0",
                "Spent: at least €50.00",
                "Email verified",
            ]
        );
        let json = serde_json::to_string(&f).unwrap();
        assert!(
            !json.contains("born_from"),
            "unset fields are left out: {json}"
        );
        assert_eq!(serde_json::from_str::<GroupFilter>(&json).unwrap(), f);
    }

    #[test]
    fn each_wrong_field_gets_its_own_sentence() {
        let form = FilterForm {
            domain: "nodot".into(),
            country: "XX".into(),
            born_from: "31.12.1990".into(),
            registered_from: "2026-05-02".into(),
            registered_to: "2026-05-01".into(),
            orders_min: "two".into(),
            spent_min: "-5".into(),
            spent_max: "abc".into(),
            last_order_from: "2026-05-01".into(),
            last_order_before: "2026-05-01".into(),
            verified: "maybe".into(),
            birthday_month: "13".into(),
            ..Default::default()
        };
        let e = form.parse(eur()).unwrap_err();
        for field in [
            "domain",
            "country",
            "born_from",
            "registered_to",
            "orders_min",
            "spent_min",
            "spent_max",
            "last_order_before",
            "verified",
            "birthday_month",
        ] {
            assert!(e.contains_key(field), "{field}: {e:?}");
        }
        assert_eq!(e["registered_to"], "The end cannot be before the start.");
        assert_eq!(e["orders_min"], "Give a whole number, such as 3.");
    }

    #[test]
    fn an_empty_form_is_no_condition_and_the_sql_has_one_text() {
        let f = FilterForm::default().parse(eur()).unwrap();
        assert_eq!(f, GroupFilter::default());
        assert!(f.describe(eur()).is_empty());
        let (a, args) = f.sql(60);
        assert!(!a.contains("JOIN"), "no order figures needed");
        let g = GroupFilter {
            orders_min: Some(1),
            ..Default::default()
        };
        let (b, _) = g.sql(60);
        assert!(b.contains("LEFT JOIN"));
        assert_eq!(args.len(), 19);
        let h = GroupFilter {
            registered_from: Some("2026-05-01".into()),
            ..Default::default()
        };
        let (_, args) = h.sql(120);
        let reg = args.iter().find(|(k, _)| *k == ":reg_from").unwrap();
        assert_eq!(
            reg.1,
            Sql::Text("2026-04-30T22:00:00Z".into()),
            "a shop day starts at the shop's midnight"
        );
    }
}
