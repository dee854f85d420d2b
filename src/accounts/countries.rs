//! The countries as forms offer them (phone and address drop-downs) and as an address
//! shows them; one list, the calling codes', for every feature that shows an address.

use serde_json::{json, Value};

use super::calling_codes::CallingCode;

/// Every country for a drop-down, "Bulgaria (+359)", with `selected` (an ISO code).
pub fn phone_countries(selected: &str) -> Vec<Value> {
    CallingCode::all()
        .iter()
        .map(|c| {
            json!({
                "value": c.iso2,
                "label": format!("{} ({})", c.name, c.code),
                "selected": c.iso2.eq_ignore_ascii_case(selected),
            })
        })
        .collect()
}

/// Every country for an address, by name.
pub fn address_countries(selected: &str) -> Vec<Value> {
    CallingCode::all()
        .iter()
        .map(|c| json!({ "value": c.iso2, "label": c.name, "selected": c.iso2.eq_ignore_ascii_case(selected) }))
        .collect()
}

/// A country's name for showing an address.
pub fn country_name(iso2: &str) -> &'static str {
    CallingCode::find(iso2).map(|c| c.name).unwrap_or("")
}
