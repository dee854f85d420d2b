//! Which mail templates exist, what each is for, the variables it receives (the contract
//! the features that send mail code against, see docs/MAIL_TEMPLATES.md) and the sample
//! data previews and validation render with.

use serde_json::{json, Value};

use crate::money::Currency;

/// One variable a template can use, and what it holds.
#[derive(Debug, Clone, Copy)]
pub struct Var {
    pub name: &'static str,
    pub about: &'static str,
}

/// One mail template the shop sends.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    /// The variables of this template besides `COMMON`.
    pub vars: &'static [Var],
}

const fn var(name: &'static str, about: &'static str) -> Var {
    Var { name, about }
}

/// Every template receives these.
pub const COMMON: &[Var] = &[
    var("shop.name", "The shop's name."),
    var(
        "shop.url",
        "Absolute address of the shop, without a trailing slash.",
    ),
    var("customer.first_name", "The customer's first name."),
    var("customer.last_name", "The customer's last name."),
    var("customer.email", "The customer's email address."),
];

const ORDER: &[Var] = &[
    var("order.number", "The order number."),
    var(
        "order.url",
        "Where the customer sees the order in their account.",
    ),
    var(
        "order.total",
        "What the order costs in all, formatted with the currency.",
    ),
    var("order.status", "The order's status."),
    var("order.payment_method", "How the customer pays."),
    var("order.shipping_method", "How the order is delivered."),
    var("order.shipping", "The shipping cost, formatted."),
    var(
        "order.subtotal",
        "The items at their list prices, before any discount, formatted.",
    ),
    var(
        "order.voucher_code",
        "The voucher code the order was charged with (may be empty).",
    ),
    var(
        "order.voucher_discount",
        "What the voucher took off, formatted (empty without a voucher). Promotions show on their lines.",
    ),
    var(
        "order.lines",
        "The ordered items: each has name, sku, quantity, unit_price and line_total (prices formatted), and discount with promotion when a promotion took something off (both empty otherwise). Use {% for line in order.lines %}.",
    ),
    var(
        "order.tracking_number",
        "The parcel's tracking number (shipped mails; may be empty).",
    ),
    var(
        "order.reason",
        "Why the order was cancelled (cancelled mails; may be empty).",
    ),
];

pub const SPECS: &[Spec] = &[
    Spec {
        name: "verification",
        label: "Email verification",
        description: "Sent after registration: the link that confirms the customer's email address.",
        vars: &[
            var("link", "The one-time confirmation link."),
            var("expires_hours", "How many hours the link works."),
        ],
    },
    Spec {
        name: "password_reset",
        label: "Password reset",
        description: "Sent when a customer asks to reset a forgotten password.",
        vars: &[
            var("link", "The one-time link to choose a new password."),
            var("expires_minutes", "How many minutes the link works."),
        ],
    },
    Spec {
        name: "email_change",
        label: "Email change",
        description: "Sent to the new address when a customer changes their email address, to confirm it.",
        vars: &[
            var("link", "The one-time confirmation link."),
            var("new_email", "The new address (this mail goes to it)."),
            var("expires_hours", "How many hours the link works."),
        ],
    },
    Spec {
        name: "order_placed",
        label: "Order placed",
        description: "Sent when a customer places an order: what they ordered and what it costs.",
        vars: ORDER,
    },
    Spec {
        name: "order_paid",
        label: "Order paid",
        description: "Sent when the payment of an order has arrived.",
        vars: ORDER,
    },
    Spec {
        name: "order_shipped",
        label: "Order shipped",
        description: "Sent when an order leaves the shop, with the tracking number if there is one.",
        vars: ORDER,
    },
    Spec {
        name: "order_delivered",
        label: "Order delivered",
        description: "Sent when an order has reached the customer (a courier marked it delivered, or staff did).",
        vars: ORDER,
    },
    Spec {
        name: "order_cancelled",
        label: "Order cancelled",
        description: "Sent when an order is cancelled, by the customer or by the shop.",
        vars: ORDER,
    },
    Spec {
        name: "voucher_issued",
        label: "Voucher issued",
        description: "Sent when the shop gives a customer a voucher.",
        vars: &[
            var("voucher.code", "The code to enter at checkout."),
            var("voucher.value", "What the voucher is worth, formatted."),
            var(
                "voucher.expires_at",
                "Until when it is valid, as text (may be empty: no end).",
            ),
        ],
    },
    Spec {
        name: "campaign",
        label: "Campaign",
        description: "A marketing mail to a target group: news, offers, new products.",
        vars: &[
            var("campaign.title", "The campaign's title (also the default subject)."),
            var(
                "campaign.message",
                "The message as plain text. In the HTML part, {{ campaign.message | paragraphs }} escapes it and turns blank lines into paragraphs.",
            ),
            var("campaign.link", "Where the campaign points (may be empty)."),
            var(
                "campaign.unsubscribe_url",
                "The member's one-click unsubscribe link. A mail part that does not carry it gets an unsubscribe line added at the end.",
            ),
        ],
    },
    Spec {
        name: "staff_invite",
        label: "Staff invitation",
        description: "Sent to a staff member: the link to set their back-office password, when an owner adds them (or asks for a new password for them). The customer variables hold the staff member.",
        vars: &[
            var("staff.name", "The staff member's name."),
            var("staff.email", "The staff member's email address (their login)."),
            var("staff.role", "The role they have, such as Manager."),
            var("invited_by", "The name of who added them or asked for the new password."),
            var("reset", "true when this is a new password for an existing member, false for an invitation."),
            var("link", "The one-time link to set the password."),
            var("expires_hours", "How many hours the link works."),
        ],
    },
];

pub fn find(name: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.name == name)
}

/// Believable data for `name`, with amounts formatted in `currency`; None for an unknown
/// template. Every variable of the contract is present, so a template that renders with
/// it uses no variable a real mail lacks.
pub fn sample(name: &str, currency: &Currency) -> Option<Value> {
    let spec = find(name)?;
    let money = |minor: i64| currency.format(minor);
    let url = "https://shop.example";
    let mut v = json!({
        "shop": { "name": "Cornershop", "url": url },
        "customer": { "first_name": "Mira", "last_name": "Lindqvist", "email": "mira@example.com" },
    });
    let extra = match spec.name {
        "verification" => json!({
            "link": format!("{url}/account/verify?token=q7Hc2RkX9vLmT4aZ"),
            "expires_hours": 24,
        }),
        "password_reset" => json!({
            "link": format!("{url}/account/reset?token=Zp3VwK8sN1yBf6Qe"),
            "expires_minutes": 60,
        }),
        "email_change" => json!({
            "link": format!("{url}/account/email/confirm?token=Hn5XtE2cJ9gR7uWd"),
            "new_email": "mira.lindqvist@example.org",
            "expires_hours": 24,
        }),
        "voucher_issued" => json!({
            "voucher": { "code": "THANKS-7QK2", "value": money(1000), "expires_at": "31 December 2026" },
        }),
        "staff_invite" => json!({
            "staff": { "name": "Mira Lindqvist", "email": "mira@example.com", "role": "Manager" },
            "invited_by": "Olive Owner",
            "reset": false,
            "link": format!("{url}/admin/set-password/Vb8QmT2xLk5RwZ3n"),
            "expires_hours": 72,
        }),
        "campaign" => json!({
            "campaign": {
                "title": "Autumn teas have arrived",
                "message": "The first harvest of the season is here: smoky lapsang, a mellow roasted hojicha and our spiced winter blend are back on the shelves.\n\nAs a thank-you for being a customer, shipping is free on every order this week.",
                "link": format!("{url}/c/autumn-teas"),
                "unsubscribe_url": format!("{url}/unsubscribe/0/test"),
            },
        }),
        order => {
            let (status, tracking, reason) = match order {
                "order_placed" => ("placed", "", ""),
                "order_paid" => ("paid", "", ""),
                "order_shipped" => ("shipped", "JJD00994410285", ""),
                "order_delivered" => ("delivered", "JJD00994410285", ""),
                _ => ("cancelled", "", "You asked us to cancel it."),
            };
            json!({
                "order": {
                    "number": "1042",
                    "url": format!("{url}/account/orders/1042"),
                    "total": money(5000),
                    "status": status,
                    "payment_method": "Bank transfer",
                    "shipping_method": "Tracked parcel",
                    "shipping": money(490),
                    "subtotal": money(5350),
                    "voucher_code": "WELCOME5",
                    "voucher_discount": money(500),
                    "lines": [
                        { "name": "Sencha green tea, 100 g", "sku": "TEA-SEN-100", "quantity": 2,
                          "unit_price": money(850), "line_total": money(1360),
                          "discount": money(340), "promotion": "Winter tea sale" },
                        { "name": "Stoneware teapot, 0.8 l", "sku": "POT-STN-08", "quantity": 1,
                          "unit_price": money(3200), "line_total": money(3200),
                          "discount": "", "promotion": "" },
                        { "name": "Wildflower honey, 250 g", "sku": "HON-WLD-250", "quantity": 1,
                          "unit_price": money(450), "line_total": money(450),
                          "discount": "", "promotion": "" },
                    ],
                    "tracking_number": tracking,
                    "reason": reason,
                },
            })
        }
    };
    if let (Some(base), Some(more)) = (v.as_object_mut(), extra.as_object()) {
        base.extend(more.clone());
    }
    Some(v)
}
