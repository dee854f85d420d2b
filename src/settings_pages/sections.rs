//! The back office's settings sections (each a page at /admin/settings/<slug>) and the
//! rules of their fields beyond what a key's kind checks. Mail has its own page
//! (`mail_pages::settings`) because of its test button, but saves through `form::save`.

use super::form::{Field, Input, Section, Values};
use crate::payments::qr;

const fn f(
    name: &'static str,
    key: &'static str,
    label: &'static str,
    input: Input,
    group: &'static str,
) -> Field {
    Field {
        name,
        key,
        label,
        input,
        group,
        rule: None,
        help: "",
    }
}

const fn ruled(
    name: &'static str,
    key: &'static str,
    label: &'static str,
    input: Input,
    group: &'static str,
    rule: super::form::Rule,
) -> Field {
    Field {
        name,
        key,
        label,
        input,
        group,
        rule: Some(rule),
        help: "",
    }
}

/// An image a section's owner uploads (the logo, the payment QR image), kept under
/// `media/<folder>/` with its path in `key`.
pub struct ImageSetting {
    pub key: &'static str,
    pub folder: &'static str,
    pub title: &'static str,
    pub help: &'static str,
}

pub struct Page {
    pub section: Section,
    pub image: Option<ImageSetting>,
}

// ---- rules ----

pub fn iban(v: &str) -> Result<String, String> {
    let n = qr::normalise_iban(v);
    if n.len() < 15 || n.len() > 34 || !n.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(
            "Enter the IBAN as on a bank statement, such as DE89 3704 0044 0532 0130 00.".into(),
        );
    }
    if !qr::iban_valid(&n) {
        return Err("This IBAN's check digits do not match: look for a typing error.".into());
    }
    Ok(n)
}

pub fn bic(v: &str) -> Result<String, String> {
    let n: String = v
        .split_whitespace()
        .collect::<String>()
        .to_ascii_uppercase();
    let ok = (n.len() == 8 || n.len() == 11)
        && n[..6].chars().all(|c| c.is_ascii_alphabetic())
        && n[6..].chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(n)
    } else {
        Err("A BIC has 8 or 11 letters and digits, such as COBADEFFXXX.".into())
    }
}

pub fn upi_id(v: &str) -> Result<String, String> {
    let ok = v.split_once('@').is_some_and(|(name, handle)| {
        !name.is_empty()
            && !handle.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            && handle.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if ok {
        Ok(v.to_string())
    } else {
        Err("A UPI ID looks like shopname@bank.".into())
    }
}

/// An absolute http(s) address without a trailing slash. Plain http only for this
/// machine (a test server); anything else must be https.
fn url(v: &str, https_only: bool) -> Result<String, String> {
    let v = v.trim_end_matches('/');
    let rest = v
        .strip_prefix("https://")
        .or_else(|| v.strip_prefix("http://"));
    let Some(host) = rest.map(|r| r.split(['/', ':']).next().unwrap_or("")) else {
        return Err("Enter an address that starts with https://.".into());
    };
    if host.is_empty() || v.contains(char::is_whitespace) {
        return Err("Enter an address that starts with https://, then a host name.".into());
    }
    let local = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    if https_only && v.starts_with("http://") && !local {
        return Err("Use https:// (plain http is only accepted for this machine).".into());
    }
    Ok(v.to_string())
}

fn base_url(v: &str) -> Result<String, String> {
    url(v, false)
}

fn paypal_url(v: &str) -> Result<String, String> {
    url(v, true)
}

fn email(v: &str) -> Result<String, String> {
    match v.parse::<lettre::Address>() {
        Ok(_) => Ok(v.to_string()),
        Err(_) => Err("Enter an e-mail address, such as hello@example.com.".into()),
    }
}

fn phone(v: &str) -> Result<String, String> {
    let digits = v.chars().filter(|c| c.is_ascii_digit()).count();
    if digits >= 5
        && v.chars()
            .all(|c| c.is_ascii_digit() || " +-()/.".contains(c))
    {
        Ok(v.to_string())
    } else {
        Err("Enter a phone number with digits, spaces, +, -, ( and ) only.".into())
    }
}

fn proxies(v: &str) -> Result<String, String> {
    let mut out = Vec::new();
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.parse::<std::net::IpAddr>() {
            Ok(ip) => out.push(ip.to_string()),
            Err(_) => return Err(format!("'{part}' is not an IP address.")),
        }
    }
    Ok(out.join(","))
}

// ---- sections ----

const YES: &str = "true";

fn shop_across(v: &Values, _: &dyn Fn(&str) -> bool) -> Vec<(&'static str, String)> {
    let mut e = Vec::new();
    if v.get("shop.name").is_none_or(|n| n.is_empty()) {
        e.push(("name", "The shop needs a name.".to_string()));
    }
    e
}

fn checkout_across(v: &Values, _: &dyn Fn(&str) -> bool) -> Vec<(&'static str, String)> {
    let on = |k: &str| v.get(k).is_some_and(|x| x == YES);
    let mut e = Vec::new();
    if !on("shipping.flat_enabled") && !on("shipping.pickup_enabled") {
        e.push((
            "flat_enabled",
            "Offer at least one way to get the order: delivery or pickup.".to_string(),
        ));
    }
    e
}

fn payments_across(v: &Values, stored: &dyn Fn(&str) -> bool) -> Vec<(&'static str, String)> {
    let on = |k: &str| v.get(k).is_some_and(|x| x == YES);
    let has = |k: &str| v.get(k).is_some_and(|x| !x.is_empty());
    let mut e = Vec::new();
    if !["cod", "bank_transfer", "bobi", "paypal"]
        .iter()
        .any(|m| on(&format!("payments.{m}.enabled")))
    {
        e.push((
            "cod_enabled",
            "Offer at least one payment method, or nobody can order.".to_string(),
        ));
    }
    if on("payments.bank_transfer.enabled") {
        if !has("payments.bank_transfer.holder") {
            e.push((
                "holder",
                "Enter the account holder: buyers need it for a transfer.".to_string(),
            ));
        }
        if !has("payments.bank_transfer.iban") && !has("payments.bank_transfer.upi_id") {
            e.push((
                "iban",
                "Enter an IBAN or a UPI ID to receive transfers.".to_string(),
            ));
        }
    }
    match v.get("payments.bank_transfer.qr").map(String::as_str) {
        Some("epc") if !has("payments.bank_transfer.iban") => e.push((
            "qr",
            "A SEPA QR code needs the IBAN: enter it, or choose another QR code.".to_string(),
        )),
        Some("upi") if !has("payments.bank_transfer.upi_id") => e.push((
            "qr",
            "A UPI QR code needs the UPI ID: enter it, or choose another QR code.".to_string(),
        )),
        Some("image") if !stored("payments.bank_transfer.qr_image") => e.push((
            "qr",
            "Upload a QR image below first, then choose it here.".to_string(),
        )),
        _ => {}
    }
    if on("payments.paypal.enabled") {
        if !has("payments.paypal.client_id") {
            e.push((
                "paypal_client_id",
                "PayPal needs the client ID of your PayPal REST app.".to_string(),
            ));
        }
        if !stored("payments.paypal.client_secret") {
            e.push((
                "paypal_client_secret",
                "PayPal needs the secret of your PayPal REST app.".to_string(),
            ));
        }
    }
    e
}

const QR_KINDS: &[(&str, &str)] = &[
    ("epc", "SEPA QR code, made for each order (euro)"),
    ("upi", "UPI QR code, made for each order (rupees)"),
    ("image", "The QR image uploaded below"),
    ("none", "No QR code"),
];

pub static PAGES: &[Page] = &[
    Page {
        section: Section {
            slug: "shop",
            title: "Shop",
            intro: "Your shop's name, logo, currency and how customers reach you.",
            fields: &[
                f("name", "shop.name", "Shop name", Input::Text, "Identity"),
                f("currency", "shop.currency", "Currency", Input::Currency, "Identity")
                    .help("Prices are in this currency. Orders already placed keep theirs."),
                ruled("base_url", "shop.base_url", "Shop address (URL)", Input::Text, "Identity", base_url),
                f("address", "shop.address", "Postal address", Input::Text, "Contact"),
                ruled("contact_email", "shop.contact_email", "Contact e-mail", Input::Text, "Contact", email),
                ruled("contact_phone", "shop.contact_phone", "Contact phone", Input::Text, "Contact", phone),
            ],
            across: Some(shop_across),
        },
        image: Some(ImageSetting {
            key: "shop.logo",
            folder: "shop",
            title: "Logo",
            help: "Shown in the storefront's header instead of the shop's initial. PNG with a transparent background works best; JPEG, PNG or WebP.",
        }),
    },
    Page {
        section: Section {
            slug: "checkout",
            title: "Checkout",
            intro: "How orders reach customers, what delivery costs, and the order timings.",
            fields: &[
                f("flat_enabled", "shipping.flat_enabled", "Offer delivery at a flat rate", Input::Checkbox, "Shipping")
                    .help("Delivery to the customer's address for the flat rate below."),
                f("flat_rate", "shipping.flat_rate", "Flat rate", Input::Money, "Shipping")
                    .help("What delivery costs, for example 4.90."),
                f("free_above", "shipping.free_above", "Free delivery from a subtotal of", Input::Money, "Shipping")
                    .help("Orders of at least this subtotal ship free; 0 means delivery is never free."),
                f("pickup_enabled", "shipping.pickup_enabled", "Offer pickup at the shop", Input::Checkbox, "Shipping")
                    .help("Customers collect their order at the address below, free."),
                f("pickup_address", "shipping.pickup_address", "Pickup address", Input::Text, "Shipping"),
                f("cancel_window", "orders.cancel_window_minutes", "Customers may cancel for", Input::Number("minutes"), "Orders"),
                f("auto_advance", "orders.auto_advance_minutes", "Paid orders move to processing after", Input::Number("minutes"), "Orders"),
            ],
            across: Some(checkout_across),
        },
        image: None,
    },
    Page {
        section: Section {
            slug: "payments",
            title: "Payments",
            intro: "Which payment methods buyers can choose, and the details each needs.",
            fields: &[
                f("cod_enabled", "payments.cod.enabled", "Cash on delivery", Input::Checkbox, "Methods offered")
                    .help("The courier collects the money at the door."),
                f("bank_transfer_enabled", "payments.bank_transfer.enabled", "Bank transfer / UPI", Input::Checkbox, "Methods offered")
                    .help("Buyers transfer the money; staff mark the order paid when it arrives."),
                f("bobi_enabled", "payments.bobi.enabled", "Bobi", Input::Checkbox, "Methods offered")
                    .help("The buyer confirms by typing the exact amount (a test method)."),
                f("paypal_enabled", "payments.paypal.enabled", "PayPal", Input::Checkbox, "Methods offered")
                    .help("Needs the PayPal client ID and secret below."),
                f("holder", "payments.bank_transfer.holder", "Account holder", Input::Text, "Bank transfer"),
                ruled("iban", "payments.bank_transfer.iban", "IBAN", Input::Text, "Bank transfer", iban),
                ruled("bic", "payments.bank_transfer.bic", "BIC", Input::Text, "Bank transfer", bic),
                ruled("upi_id", "payments.bank_transfer.upi_id", "UPI ID", Input::Text, "Bank transfer", upi_id),
                f("qr", "payments.bank_transfer.qr", "QR code shown to the buyer", Input::Select(QR_KINDS), "Bank transfer")
                    .help("A SEPA code needs the IBAN, a UPI code the UPI ID; an uploaded image is the same for every order."),
                ruled("paypal_base_url", "payments.paypal.base_url", "PayPal API address", Input::Text, "PayPal", paypal_url),
                f("paypal_client_id", "payments.paypal.client_id", "Client ID", Input::Text, "PayPal"),
                f("paypal_client_secret", "payments.paypal.client_secret", "Client secret", Input::Secret, "PayPal")
                    .help("Stored encrypted with the shop's secret key and never shown again."),
            ],
            across: Some(payments_across),
        },
        image: Some(ImageSetting {
            key: "payments.bank_transfer.qr_image",
            folder: "payments",
            title: "QR image for transfers",
            help: "A QR code from your bank or UPI app, shown to buyers paying by transfer when “The QR image uploaded below” is chosen. JPEG, PNG or WebP.",
        }),
    },
    Page {
        section: Section {
            slug: "security",
            title: "Security",
            intro: "CAPTCHA, login limits, lock-outs, how long staff stay logged in, and which other sites may call the API.",
            fields: &[
                f("captcha_enabled", "captcha.enabled", "Ask for a CAPTCHA at registration", Input::Checkbox, "CAPTCHA")
                    .help("Switch it off only for a test shop."),
                f("captcha_attempts", "captcha.max_attempts", "Wrong answers allowed", Input::Number("attempts"), "CAPTCHA"),
                f("captcha_lockout", "captcha.lockout_seconds", "Then locked for", Input::Number("seconds"), "CAPTCHA"),
                f("logins_per_ip", "security.logins_per_ip_per_minute", "Login attempts per IP", Input::Number("per minute"), "Logins"),
                f("registrations_per_ip", "security.registrations_per_ip_per_hour", "Registrations per IP", Input::Number("per hour"), "Logins"),
                f("customer_attempts", "security.customer_login_attempts", "Failed customer logins before lock-out", Input::Number("attempts"), "Logins"),
                f("customer_lockout", "security.customer_lockout_minutes", "Customer account locked for", Input::Number("minutes"), "Logins"),
                f("staff_idle", "security.staff_session_idle_minutes", "Staff session ends after idle", Input::Number("minutes"), "Staff sessions"),
                f("staff_max", "security.staff_session_max_hours", "Staff session ends after at most", Input::Number("hours"), "Staff sessions"),
                ruled("trusted_proxies", "security.trusted_proxies", "Trusted proxies", Input::Text, "Network", proxies),
                f("cors_origins", "api.cors_origins", "Origins allowed to call the API", Input::Text, "API")
                    .help("For a front-end on another site: its origin, like https://shop.example (several separated by commas, or * for any). Empty: browsers on other sites cannot call the API. Never with cookies: the API uses bearer tokens."),
            ],
            across: None,
        },
        image: None,
    },
    Page {
        section: Section {
            slug: "media",
            title: "Media",
            intro: "Limits for uploaded images (product pictures, the logo, the QR image).",
            fields: &[
                f("max_upload_mb", "media.max_upload_mb", "Largest file", Input::Number("MB"), "Uploads"),
                f("max_megapixels", "media.max_megapixels", "Largest image", Input::Number("megapixels"), "Uploads"),
            ],
            across: None,
        },
        image: None,
    },
    Page {
        section: Section {
            slug: "jobs",
            title: "Jobs",
            intro: "How often each background job runs. A change applies from the job's next pass, without a restart.",
            fields: &[
                f("mail_queue", "jobs.mail_queue.interval_seconds", "Send queued mail every", Input::Number("seconds"), "Intervals"),
                f("orders_auto_advance", "jobs.orders_auto_advance.interval_seconds", "Move paid orders on every", Input::Number("seconds"), "Intervals"),
                f("cart_cleanup", "jobs.cart_cleanup.interval_seconds", "Delete idle guest carts and expired sessions every", Input::Number("seconds"), "Intervals"),
                f("media_cleanup", "jobs.media_cleanup.interval_seconds", "Clean up failed uploads and check media files every", Input::Number("seconds"), "Intervals"),
                f("audit_retention", "jobs.audit_retention.interval_seconds", "Move old audit entries to exports/ every", Input::Number("seconds"), "Intervals"),
                f("retention_days", "audit.retention_days", "Keep audit entries in the database for", Input::Number("days"), "Audit log"),
            ],
            across: None,
        },
        image: None,
    },
];

pub fn find(slug: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.section.slug == slug)
}

/// The section menu: (slug, title, intro), mail included where it belongs.
pub fn menu() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut out: Vec<_> = PAGES
        .iter()
        .map(|p| (p.section.slug, p.section.title, p.section.intro))
        .collect();
    out.insert(
        3,
        (
            "mail",
            "Mail",
            "Where mail goes (outbox folder or SMTP server), the sender, and a test mail.",
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::keys;

    #[test]
    fn every_field_names_a_known_key_and_names_are_unique() {
        for p in PAGES {
            let mut names = std::collections::HashSet::new();
            for fl in p.section.fields {
                assert!(keys::find(fl.key).is_some(), "{}", fl.key);
                assert!(names.insert(fl.name), "{} twice", fl.name);
                if fl.input == Input::Secret {
                    assert!(keys::find(fl.key).unwrap().secret, "{}", fl.key);
                }
            }
            if let Some(img) = &p.image {
                assert!(keys::find(img.key).is_some(), "{}", img.key);
            }
        }
    }

    #[test]
    fn bank_rules() {
        assert_eq!(
            iban("de89 3704 0044 0532 0130 00").unwrap(),
            "DE89370400440532013000"
        );
        assert!(iban("DE89370400440532013001").is_err());
        assert!(iban("hello").is_err());
        assert_eq!(bic("cobadeff xxx").unwrap(), "COBADEFFXXX");
        assert!(bic("COBA").is_err());
        assert!(upi_id("shop@okbank").is_ok());
        assert!(upi_id("shop").is_err());
        assert!(paypal_url("http://api.paypal.com").is_err());
        assert!(paypal_url("http://127.0.0.1:9000").is_ok());
        assert_eq!(
            base_url("https://shop.example/").unwrap(),
            "https://shop.example"
        );
        assert!(proxies("10.0.0.1, nope").is_err());
    }
}
