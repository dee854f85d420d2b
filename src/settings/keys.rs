//! Every setting the shop knows: its type, default, and whether it is a secret. A key not
//! listed here cannot be set, so a typo is an error instead of a silent no-op.

use crate::money::Currency;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text {
        max: usize,
    },
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    Currency,
    /// One of a fixed list of words.
    Choice(&'static [&'static str]),
    /// Comma-separated web origins (`scheme://host[:port]`), or `*`.
    Origins,
}

#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    pub secret: bool,
    pub help: &'static str,
}

const fn key(name: &'static str, kind: Kind, default: &'static str, help: &'static str) -> Key {
    Key {
        name,
        kind,
        default,
        secret: false,
        help,
    }
}

/// A key whose value is stored encrypted and never shown back (passwords of other services).
const fn secret(name: &'static str, max: usize, help: &'static str) -> Key {
    Key {
        name,
        kind: Kind::Text { max },
        default: "",
        secret: true,
        help,
    }
}

pub const KEYS: &[Key] = &[
    key(
        "shop.name",
        Kind::Text { max: 80 },
        "Cornershop",
        "The shop's name, shown on every page.",
    ),
    key(
        "shop.currency",
        Kind::Currency,
        "EUR",
        "ISO 4217 code of the currency prices are in.",
    ),
    key(
        "shop.base_url",
        Kind::Text { max: 200 },
        "",
        "Absolute URL used in links sent by mail; empty means the address served.",
    ),
    key(
        "shop.utc_offset_minutes",
        Kind::Int {
            min: -840,
            max: 840,
        },
        "0",
        "The shop's time zone as minutes east of UTC (60 for Paris in winter); dates typed in back-office filters are days of the shop.",
    ),
    key(
        "security.logins_per_ip_per_minute",
        Kind::Int {
            min: 1,
            max: 100_000,
        },
        "20",
        "Login attempts allowed from one client IP per minute.",
    ),
    key(
        "security.trusted_proxies",
        Kind::Text { max: 1000 },
        "",
        "Comma-separated proxy IPs whose X-Forwarded-For is believed.",
    ),
    key(
        "api.cors_origins",
        Kind::Origins,
        "",
        "Web origins (https://shop.example, comma-separated, or *) whose pages may call /api from a browser; empty sends no CORS header at all.",
    ),
    key(
        "security.staff_session_idle_minutes",
        Kind::Int {
            min: 5,
            max: 10_080,
        },
        "120",
        "A staff session ends after this many minutes without use.",
    ),
    key(
        "security.staff_session_max_hours",
        Kind::Int { min: 1, max: 720 },
        "12",
        "A staff session ends this many hours after login, used or not.",
    ),
    key(
        "security.registrations_per_ip_per_hour",
        Kind::Int {
            min: 1,
            max: 100_000,
        },
        "10",
        "Customer registrations allowed from one client IP per hour.",
    ),
    key(
        "security.customer_login_attempts",
        Kind::Int { min: 1, max: 100 },
        "5",
        "Failed logins on one customer account within the lock-out time that lock it.",
    ),
    key(
        "security.customer_lockout_minutes",
        Kind::Int { min: 1, max: 1440 },
        "15",
        "How long a customer account's login stays locked after too many failures.",
    ),
    key(
        "captcha.enabled",
        Kind::Bool,
        "true",
        "Ask for a CAPTCHA at registration (switch off only for a test shop).",
    ),
    key(
        "captcha.max_attempts",
        Kind::Int { min: 1, max: 100 },
        "3",
        "Wrong CAPTCHA answers from one client before registration is locked for it.",
    ),
    key(
        "captcha.lockout_seconds",
        Kind::Int {
            min: 1,
            max: 86_400,
        },
        "300",
        "How long registration stays locked for a client after too many wrong CAPTCHAs.",
    ),
    key(
        "mail.transport",
        Kind::Choice(&["outbox", "smtp"]),
        "outbox",
        "outbox writes each mail as an .eml file in the data dir; smtp sends it.",
    ),
    key(
        "mail.smtp.host",
        Kind::Text { max: 253 },
        "",
        "SMTP server host name.",
    ),
    key(
        "mail.smtp.port",
        Kind::Int {
            min: 1,
            max: 65_535,
        },
        "587",
        "SMTP server port (587 for STARTTLS, 465 for TLS, 25 for none).",
    ),
    key(
        "mail.smtp.security",
        Kind::Choice(&["starttls", "tls", "none"]),
        "starttls",
        "How the SMTP connection is protected.",
    ),
    key(
        "mail.smtp.username",
        Kind::Text { max: 254 },
        "",
        "SMTP user name; empty means no login.",
    ),
    secret(
        "mail.smtp.password",
        500,
        "SMTP password; stored encrypted with the shop's secret key.",
    ),
    key(
        "mail.from",
        Kind::Text { max: 254 },
        "shop@localhost",
        "Address mails are sent from (a plain address; the shop name is shown with it).",
    ),
    key(
        "mail.max_attempts",
        Kind::Int { min: 1, max: 50 },
        "8",
        "How often sending a mail is tried before it is marked failed.",
    ),
    key(
        "orders.cancel_window_minutes",
        Kind::Int {
            min: 0,
            max: 10_080,
        },
        "5",
        "Minutes after placing an order during which the customer may cancel it (unpaid or paid).",
    ),
    key(
        "orders.auto_advance_minutes",
        Kind::Int {
            min: 1,
            max: 10_080,
        },
        "5",
        "Minutes after payment before a paid order moves to processing on its own.",
    ),
    key(
        "shipping.flat_enabled",
        Kind::Bool,
        "true",
        "Offer delivery at a flat rate.",
    ),
    key(
        "shipping.flat_rate",
        Kind::Int {
            min: 0,
            max: 100_000_000,
        },
        "490",
        "The flat delivery rate, in minor units of the shop currency (490 = 4.90).",
    ),
    key(
        "shipping.free_above",
        Kind::Int {
            min: 0,
            max: 100_000_000,
        },
        "5000",
        "Orders of at least this subtotal (minor units) ship free; 0 means never free.",
    ),
    key(
        "shipping.pickup_enabled",
        Kind::Bool,
        "true",
        "Offer local pickup (free).",
    ),
    key(
        "shipping.pickup_address",
        Kind::Text { max: 300 },
        "",
        "Where customers pick up their orders, shown at checkout.",
    ),
    key(
        "payments.cod.enabled",
        Kind::Bool,
        "true",
        "Offer cash on delivery.",
    ),
    key(
        "payments.bank_transfer.enabled",
        Kind::Bool,
        "true",
        "Offer bank transfer (or UPI); staff mark such orders paid.",
    ),
    key(
        "payments.bobi.enabled",
        Kind::Bool,
        "true",
        "Offer Bobi: the customer confirms by typing the exact amount.",
    ),
    key(
        "payments.paypal.enabled",
        Kind::Bool,
        "false",
        "Offer PayPal (needs the PayPal credentials).",
    ),
    key(
        "payments.bank_transfer.holder",
        Kind::Text { max: 70 },
        "",
        "Account holder shown for bank transfers and put in the payment QR code.",
    ),
    key(
        "payments.bank_transfer.iban",
        Kind::Text { max: 42 },
        "",
        "IBAN customers transfer to (needed for the SEPA QR code).",
    ),
    key(
        "payments.bank_transfer.bic",
        Kind::Text { max: 11 },
        "",
        "BIC of the shop's bank (optional).",
    ),
    key(
        "payments.bank_transfer.upi_id",
        Kind::Text { max: 100 },
        "",
        "UPI ID (VPA, like shop@bank) customers pay to (needed for the UPI QR code).",
    ),
    key(
        "payments.bank_transfer.qr",
        Kind::Choice(&["epc", "upi", "image", "none"]),
        "epc",
        "QR code shown with the bank details: epc (SEPA, EUR), upi (India, INR), image (the uploaded payments.bank_transfer.qr_image) or none.",
    ),
    key(
        "payments.bank_transfer.qr_image",
        Kind::Text { max: 200 },
        "",
        "Path under media/ of the uploaded QR image (set by uploading it on the payments settings page).",
    ),
    key(
        "payments.paypal.base_url",
        Kind::Text { max: 200 },
        "https://api-m.sandbox.paypal.com",
        "PayPal REST API address: https://api-m.sandbox.paypal.com (sandbox) or https://api-m.paypal.com (live).",
    ),
    key(
        "payments.paypal.client_id",
        Kind::Text { max: 200 },
        "",
        "Client ID of the shop's PayPal REST app.",
    ),
    secret(
        "payments.paypal.client_secret",
        500,
        "Secret of the shop's PayPal REST app; stored encrypted with the shop's secret key.",
    ),
    key(
        "media.max_upload_mb",
        Kind::Int { min: 1, max: 50 },
        "5",
        "Largest image file accepted for upload, in MB.",
    ),
    key(
        "media.max_megapixels",
        Kind::Int { min: 1, max: 40 },
        "40",
        "Largest image accepted, in megapixels (width × height / 1,000,000).",
    ),
    // Shop identity and contact (settings page "Shop").
    key(
        "shop.address",
        Kind::Text { max: 300 },
        "",
        "The shop's postal address, shown in the storefront's footer.",
    ),
    key(
        "shop.contact_email",
        Kind::Text { max: 254 },
        "",
        "Address customers can write to, shown in the storefront's footer.",
    ),
    key(
        "shop.contact_phone",
        Kind::Text { max: 40 },
        "",
        "Phone number customers can call, shown in the storefront's footer.",
    ),
    key(
        "shop.logo",
        Kind::Text { max: 200 },
        "",
        "Path under media/ of the uploaded logo (set by uploading it on the shop settings page).",
    ),
    // Background job intervals (read by the job loop before every pass).
    key(
        "jobs.mail_queue.interval_seconds",
        Kind::Int { min: 1, max: 3600 },
        "5",
        "Seconds between two passes of the mail queue.",
    ),
    key(
        "jobs.marketing.interval_seconds",
        Kind::Int { min: 1, max: 3600 },
        "5",
        "Seconds between two passes that issue vouchers to target groups and queue campaign mails.",
    ),
    key(
        "jobs.orders_auto_advance.interval_seconds",
        Kind::Int { min: 5, max: 3600 },
        "30",
        "Seconds between two looks for paid orders to move to processing.",
    ),
    key(
        "jobs.cart_cleanup.interval_seconds",
        Kind::Int {
            min: 60,
            max: 86_400,
        },
        "3600",
        "Seconds between two clean-ups of idle guest carts and expired sessions and links.",
    ),
    key(
        "jobs.media_cleanup.interval_seconds",
        Kind::Int {
            min: 60,
            max: 86_400,
        },
        "3600",
        "Seconds between two clean-ups of failed uploads and checks of media files against the database.",
    ),
    key(
        "jobs.audit_retention.interval_seconds",
        Kind::Int {
            min: 3600,
            max: 604_800,
        },
        "86400",
        "Seconds between two passes that move audit entries older than the retention to exports/.",
    ),
    key(
        "audit.retention_days",
        Kind::Int {
            min: 1,
            max: 36_500,
        },
        "365",
        "Audit log entries older than this many days are moved to a compressed file under exports/ once a day and deleted from the database.",
    ),
];

pub fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

impl Key {
    /// Checks and normalises a value; the error names the key and what it expects.
    pub fn validate(&self, value: &str) -> Result<String, String> {
        let value = value.trim();
        match self.kind {
            Kind::Text { max } => {
                if value.chars().count() > max {
                    return Err(format!("{} must be at most {max} characters", self.name));
                }
                if value.chars().any(|c| c.is_control()) {
                    return Err(format!("{} cannot contain control characters", self.name));
                }
                Ok(value.to_string())
            }
            Kind::Int { min, max } => match value.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
                _ => Err(format!(
                    "{} must be a whole number from {min} to {max}",
                    self.name
                )),
            },
            Kind::Bool => match value.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok("true".into()),
                "false" | "0" | "no" | "off" => Ok("false".into()),
                _ => Err(format!("{} must be true or false", self.name)),
            },
            Kind::Choice(words) => {
                let lower = value.to_ascii_lowercase();
                match words.iter().find(|w| **w == lower) {
                    Some(w) => Ok(w.to_string()),
                    None => Err(format!(
                        "{} must be one of: {}",
                        self.name,
                        words.join(", ")
                    )),
                }
            }
            Kind::Origins => origins(value).map_err(|e| format!("{}: {e}", self.name)),
            Kind::Currency => match Currency::find(value) {
                Some(c) => Ok(c.code.to_string()),
                None => Err(format!(
                    "{} must be an ISO 4217 currency code such as EUR, USD or JPY",
                    self.name
                )),
            },
        }
    }
}

/// `*` alone, or exact origins: http(s), a host, an optional port, nothing after. Kept
/// lower-case and without a trailing slash, because browsers send the Origin header so and
/// CORS compares it byte for byte.
pub fn origins(value: &str) -> Result<String, String> {
    let parts: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.contains(&"*") {
        return if parts.len() == 1 {
            Ok("*".into())
        } else {
            Err("* allows every origin and cannot be combined with others".into())
        };
    }
    let mut out: Vec<String> = Vec::new();
    for part in parts {
        let lower = part.to_ascii_lowercase();
        let o = lower.strip_suffix('/').unwrap_or(&lower);
        if !is_origin(o) {
            return Err(format!(
                "'{part}' is not an origin: write scheme://host or scheme://host:port (like https://shop.example), without a path"
            ));
        }
        if !out.iter().any(|x| x == o) {
            out.push(o.to_string());
        }
    }
    Ok(out.join(","))
}

fn is_origin(o: &str) -> bool {
    let Some((scheme, rest)) = o.split_once("://") else {
        return false;
    };
    if scheme != "http" && scheme != "https" {
        return false;
    }
    // An IPv6 host is bracketed; otherwise the last ':' starts the port.
    let (host, port) = match rest.find(']') {
        Some(end) if rest.starts_with('[') => match &rest[end + 1..] {
            "" => (rest, None),
            after => match after.strip_prefix(':') {
                Some(p) => (&rest[..=end], Some(p)),
                None => return false,
            },
        },
        _ => match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        },
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = if let Some(v6) = host.strip_prefix('[') {
        v6.strip_suffix(']')
            .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok())
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host
                .split('.')
                .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact_or_a_star() {
        assert_eq!(origins(""), Ok(String::new()));
        assert_eq!(origins(" * "), Ok("*".into()));
        assert_eq!(
            origins("https://Shop.example/, http://localhost:8080,https://shop.example"),
            Ok("https://shop.example,http://localhost:8080".into())
        );
        assert_eq!(origins("http://[::1]:3000"), Ok("http://[::1]:3000".into()));
        for bad in [
            "shop.example",
            "https://shop.example/app",
            "ftp://shop.example",
            "https://shop.example:port",
            "https://",
            "https://a b.example",
            "*, https://shop.example",
            "https://shop.example?x=1",
        ] {
            assert!(origins(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_default_is_valid_for_its_own_key() {
        for k in KEYS {
            assert_eq!(
                k.validate(k.default).as_deref(),
                Ok(k.default),
                "{}",
                k.name
            );
        }
    }

    #[test]
    fn values_are_checked_against_their_kind() {
        let logins = find("security.logins_per_ip_per_minute").unwrap();
        assert!(logins.validate("0").is_err());
        assert!(logins.validate("ten").is_err());
        assert_eq!(logins.validate(" 50 ").unwrap(), "50");
        assert_eq!(
            find("shop.currency").unwrap().validate("jpy").unwrap(),
            "JPY"
        );
        assert!(find("shop.currency").unwrap().validate("XYZ").is_err());
    }
}
