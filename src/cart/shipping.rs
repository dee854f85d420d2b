//! Shipping methods, configured in settings: a flat rate (free above a threshold) and
//! local pickup.

use rusqlite::Connection;
use serde::Serialize;

use crate::error::AppResult;
use crate::settings;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShippingMethod {
    /// `flat` or `pickup`.
    pub code: String,
    pub label: String,
    /// What it costs for this cart, in minor units.
    pub price: i64,
    /// E.g. "Free from 50.00" or the pickup address.
    pub note: String,
}

pub fn label(code: &str) -> &'static str {
    match code {
        "flat" => "Delivery",
        "pickup" => "Local pickup",
        _ => "Unknown",
    }
}

/// The methods on offer for a cart with this subtotal, cheapest rule applied.
pub fn methods(
    conn: &Connection,
    subtotal: i64,
    money: &dyn Fn(i64) -> String,
) -> AppResult<Vec<ShippingMethod>> {
    let mut out = Vec::new();
    if settings::get(conn, "shipping.flat_enabled")? == "true" {
        let rate = settings::get_i64(conn, "shipping.flat_rate")?;
        let free_above = settings::get_i64(conn, "shipping.free_above")?;
        let free = free_above > 0 && subtotal >= free_above;
        out.push(ShippingMethod {
            code: "flat".into(),
            label: label("flat").into(),
            price: if free { 0 } else { rate },
            note: if free_above > 0 {
                format!("Free from {}", money(free_above))
            } else {
                String::new()
            },
        });
    }
    if settings::get(conn, "shipping.pickup_enabled")? == "true" {
        out.push(ShippingMethod {
            code: "pickup".into(),
            label: label("pickup").into(),
            price: 0,
            note: settings::get(conn, "shipping.pickup_address")?,
        });
    }
    Ok(out)
}
