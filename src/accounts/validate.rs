//! What a customer types, checked once for the web forms and the API alike. Each check
//! gives a sentence for the field it belongs to, so every error can be shown next to its
//! field and nothing is stored unless all of them pass.

use std::collections::BTreeMap;

use time::{Date, Month};

use super::calling_codes::CallingCode;
use crate::auth::identity::{validate_email, validate_name};
use crate::auth::password;

/// Field name → message.
pub type Errors = BTreeMap<&'static str, String>;

/// A postal address as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct AddressInput {
    /// Recipient; the customer's own name when left empty.
    #[serde(default)]
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    pub postcode: String,
    /// ISO 3166-1 alpha-2, e.g. "BG".
    pub country: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postcode: String,
    pub country: String,
}

/// Profile fields shared by registration and the profile page.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub first_name: String,
    pub last_name: String,
    /// ISO country ("BG") from the web form, or a calling code ("+359") from the API.
    pub phone_country: String,
    pub phone: String,
    /// YYYY-MM-DD or empty.
    pub birth_date: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    pub phone_country: String,
    /// International form, "+359 888123456".
    pub phone: String,
    pub birth_date: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct RegisterInput {
    pub email: String,
    pub password: String,
    pub profile: ProfileInput,
    pub address: Option<AddressInput>,
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub profile: Profile,
    pub address: Option<Address>,
}

/// Several countries share a calling code; a code typed alone means the main one.
fn country_for(typed: &str) -> Option<&'static CallingCode> {
    let typed = typed.trim();
    if !typed.starts_with('+') {
        return CallingCode::find(typed);
    }
    let matches = CallingCode::by_code(typed);
    let preferred = match typed {
        "+1" => "US",
        "+7" => "RU",
        "+44" => "GB",
        "+47" => "NO",
        "+39" => "IT",
        "+61" => "AU",
        "+262" => "RE",
        "+590" => "GP",
        "+599" => "CW",
        "+358" => "FI",
        "+212" => "MA",
        "+290" => "SH",
        _ => "",
    };
    matches
        .iter()
        .find(|c| c.iso2 == preferred)
        .or(matches.first())
        .copied()
}

/// A date of birth: in the past and within a human lifetime.
pub fn birth_date(typed: &str, today: Date) -> Result<Option<String>, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = typed.split('-').collect();
    let parsed = match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            match (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) {
                (Ok(y), Ok(m), Ok(d)) => Month::try_from(m)
                    .ok()
                    .and_then(|m| Date::from_calendar_date(y, m, d).ok()),
                _ => None,
            }
        }
        _ => None,
    };
    let Some(date) = parsed else {
        return Err("Enter the date as YYYY-MM-DD, e.g. 1990-04-23.".into());
    };
    if date >= today {
        return Err("A date of birth must be in the past.".into());
    }
    if today.year() - date.year() > 120 {
        return Err("That date is more than 120 years ago; check the year.".into());
    }
    Ok(Some(date.to_string()))
}

fn limited(
    errors: &mut Errors,
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let v = value.trim();
    if required && v.is_empty() {
        errors.insert(field, "This field is required.".into());
    } else if v.chars().count() > max {
        errors.insert(field, format!("Use at most {max} characters."));
    } else if v.chars().any(char::is_control) {
        errors.insert(
            field,
            "This field cannot contain control characters.".into(),
        );
    }
    v.to_string()
}

/// Checks an address; errors are keyed `address_<field>` so a form shows them in place.
pub fn address(input: &AddressInput, default_name: &str, errors: &mut Errors) -> Option<Address> {
    let before = errors.len();
    let mut name = limited(errors, "address_name", &input.name, 100, false);
    if name.is_empty() {
        name = default_name.chars().take(100).collect();
    }
    let line1 = limited(errors, "address_line1", &input.line1, 200, true);
    let line2 = limited(errors, "address_line2", &input.line2, 200, false);
    let city = limited(errors, "address_city", &input.city, 100, true);
    let postcode = limited(errors, "address_postcode", &input.postcode, 20, true);
    let country = match CallingCode::find(&input.country) {
        Some(c) => c.iso2.to_string(),
        None => {
            errors.insert("address_country", "Choose a country from the list.".into());
            String::new()
        }
    };
    (errors.len() == before).then_some(Address {
        name,
        line1,
        line2,
        city,
        postcode,
        country,
    })
}

/// Checks the profile fields (names, phone for its country, date of birth).
pub fn profile(input: &ProfileInput, today: Date, errors: &mut Errors) -> Option<Profile> {
    let before = errors.len();
    let first_name = validate_name(&input.first_name)
        .map_err(|e| errors.insert("first_name", e))
        .unwrap_or_default();
    let last_name = validate_name(&input.last_name)
        .map_err(|e| errors.insert("last_name", e))
        .unwrap_or_default();
    let mut phone_country = String::new();
    let mut phone = String::new();
    match country_for(&input.phone_country) {
        None => {
            errors.insert(
                "phone_country",
                "Choose the country of your phone number from the list.".into(),
            );
        }
        Some(cc) => {
            phone_country = cc.iso2.to_string();
            match cc.normalise_phone(&input.phone) {
                Ok(national) => phone = cc.e164(&national),
                Err(e) => {
                    errors.insert("phone", e);
                }
            }
        }
    }
    let birth_date = birth_date(&input.birth_date, today)
        .map_err(|e| errors.insert("birth_date", e))
        .unwrap_or_default();
    (errors.len() == before).then_some(Profile {
        first_name,
        last_name,
        phone_country,
        phone,
        birth_date,
    })
}

/// A new password: the strength rules of POLICY, and not built from the person's details.
pub fn new_password(
    password: &str,
    personal: &[&str],
    field: &'static str,
    errors: &mut Errors,
) -> bool {
    match password::check_strength(password, personal) {
        Ok(()) => true,
        Err(e) => {
            errors.insert(field, e);
            false
        }
    }
}

pub fn email(typed: &str, errors: &mut Errors) -> String {
    match validate_email(typed) {
        Ok(e) => e,
        Err(e) => {
            errors.insert("email", e);
            String::new()
        }
    }
}

/// Everything registration needs, or every problem found.
pub fn registration(input: &RegisterInput, today: Date) -> Result<Registration, Errors> {
    let mut errors = Errors::new();
    let email = email(&input.email, &mut errors);
    let profile = profile(&input.profile, today, &mut errors);
    let personal = [
        input.email.as_str(),
        input.profile.first_name.as_str(),
        input.profile.last_name.as_str(),
    ];
    new_password(&input.password, &personal, "password", &mut errors);
    let full_name = format!(
        "{} {}",
        input.profile.first_name.trim(),
        input.profile.last_name.trim()
    );
    let address = input
        .address
        .as_ref()
        .map(|a| address(a, &full_name, &mut errors));
    match (errors.is_empty(), profile) {
        (true, Some(profile)) => Ok(Registration {
            email,
            password: input.password.clone(),
            profile,
            address: address.flatten(),
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn input() -> RegisterInput {
        RegisterInput {
            email: " mira@tea.test ".into(),
            password: "copper-kettle-garden-9".into(),
            profile: ProfileInput {
                first_name: "Mira".into(),
                last_name: "Ivanova".into(),
                phone_country: "BG".into(),
                phone: "0888 123 456".into(),
                birth_date: "1990-04-23".into(),
            },
            address: Some(AddressInput {
                name: String::new(),
                line1: "1 Vitosha Blvd".into(),
                line2: String::new(),
                city: "Sofia".into(),
                postcode: "1000".into(),
                country: "BG".into(),
            }),
        }
    }

    #[test]
    fn a_good_registration_is_normalised() {
        let r = registration(&input(), date!(2026 - 11 - 22)).unwrap();
        assert_eq!(r.email, "mira@tea.test");
        assert_eq!(r.profile.phone, "+359 888123456");
        assert_eq!(r.profile.phone_country, "BG");
        assert_eq!(r.profile.birth_date.as_deref(), Some("1990-04-23"));
        assert_eq!(r.address.unwrap().name, "Mira Ivanova");
    }

    #[test]
    fn the_api_may_give_a_calling_code_instead_of_a_country() {
        let mut i = input();
        i.profile.phone_country = "+1".into();
        i.profile.phone = "(415) 555-0100".into();
        let r = registration(&i, date!(2026 - 11 - 22)).unwrap();
        assert_eq!(r.profile.phone_country, "US");
        assert_eq!(r.profile.phone, "+1 4155550100");
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let mut i = input();
        i.email = "not-an-email".into();
        i.password = "password123".into();
        i.profile.first_name = "x".repeat(101);
        i.profile.last_name = "  ".into();
        i.profile.phone = "12".into();
        i.profile.birth_date = "2030-01-01".into();
        i.address.as_mut().unwrap().city = String::new();
        i.address.as_mut().unwrap().country = "ZZ".into();
        let e = registration(&i, date!(2026 - 11 - 22)).unwrap_err();
        let fields: Vec<_> = e.keys().copied().collect();
        assert_eq!(
            fields,
            [
                "address_city",
                "address_country",
                "birth_date",
                "email",
                "first_name",
                "last_name",
                "password",
                "phone"
            ]
        );
        assert!(e["phone"].contains("Bulgaria"), "{}", e["phone"]);
        assert!(e["birth_date"].contains("past"));
    }

    #[test]
    fn birth_dates_must_be_real_and_plausible() {
        let today = date!(2026 - 11 - 22);
        assert!(birth_date("2001-02-29", today).is_err(), "not a leap year");
        assert!(birth_date("23/04/1990", today).is_err());
        assert!(birth_date("1890-01-01", today).is_err());
        assert!(
            birth_date("2026-11-22", today).is_err(),
            "today is not past"
        );
        assert_eq!(birth_date("", today), Ok(None));
    }
}
