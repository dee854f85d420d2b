//! Country calling codes (ITU-T E.164) for the phone field of the registration form: every
//! country and territory with a code, its English name and how many digits its national
//! numbers have, so that a number can be checked and stored in one form ("+359 888123456").
//! The table is our own data file, compiled from ISO 3166-1 (Debian's `iso-codes`) and the
//! number lengths of libphonenumber's metadata (fixed line and mobile).

use std::sync::OnceLock;

const DATA: &str = include_str!("../../assets/data/calling-codes.tsv");

#[derive(Debug, PartialEq, Eq)]
pub struct CallingCode {
    /// ISO 3166-1 alpha-2, plus XK (Kosovo) and AC (Ascension), which have codes of their own.
    pub iso2: &'static str,
    pub name: &'static str,
    /// With the plus: "+359". Several countries share one ("+1", "+7", "+44").
    pub code: &'static str,
    /// Length range of the national significant number (after the code, no trunk prefix).
    pub min_digits: usize,
    pub max_digits: usize,
}

fn all() -> &'static [CallingCode] {
    static LIST: OnceLock<Vec<CallingCode>> = OnceLock::new();
    LIST.get_or_init(|| {
        DATA.lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.split('\t');
                Some(CallingCode {
                    iso2: f.next()?,
                    name: f.next()?,
                    code: f.next()?,
                    min_digits: f.next()?.parse().ok()?,
                    max_digits: f.next()?.parse().ok()?,
                })
            })
            .collect()
    })
}

impl CallingCode {
    /// The whole table, sorted by name (the data file's order), for the drop-down.
    pub fn all() -> &'static [CallingCode] {
        all()
    }

    pub fn find(iso2: &str) -> Option<&'static CallingCode> {
        all()
            .iter()
            .find(|c| c.iso2.eq_ignore_ascii_case(iso2.trim()))
    }

    /// Every country using this code ("+1" gives the US, Canada and the NANP islands).
    pub fn by_code(code: &str) -> Vec<&'static CallingCode> {
        let digits = code.trim().trim_start_matches('+');
        all().iter().filter(|c| &c.code[1..] == digits).collect()
    }

    /// The code's digits without the plus: "359".
    fn code_digits(&self) -> &'static str {
        &self.code[1..]
    }

    /// Prefixes dialled before a national number inside the country, which are not part of
    /// it. Mostly 0; none where a leading 0 belongs to the number (Italy, Côte d'Ivoire...).
    fn trunk_prefixes(&self) -> &'static [&'static str] {
        match self.iso2 {
            "BF" | "BJ" | "CG" | "CI" | "GA" | "IT" | "SM" | "TJ" | "VA" => &[],
            "HU" => &["06"],
            "RU" | "KZ" | "TM" => &["8"],
            "BY" => &["80", "0"],
            _ if self.code == "+1" => &["1"],
            _ => &["0"],
        }
    }

    /// Drops a trunk prefix. One starting with 0 always goes (no national number here starts
    /// with it); others ("1", "8") only from a number too long without them, since 800 or
    /// 812 can also begin a real number.
    fn strip_trunk<'a>(&self, digits: &'a str) -> &'a str {
        for prefix in self.trunk_prefixes() {
            if let Some(rest) = digits.strip_prefix(prefix) {
                if prefix.starts_with('0') || digits.len() > self.max_digits {
                    return rest;
                }
            }
        }
        digits
    }

    /// Normalises a phone number typed for this country to its national digits: allows
    /// spaces, dashes, dots, slashes and brackets, drops a trunk prefix (the leading 0) and this
    /// country's own code if typed ("+359 ..." or "00359 ..."), then checks the length.
    /// Errors are sentences for the form.
    pub fn normalise_phone(&self, typed: &str) -> Result<String, String> {
        let typed = typed.trim();
        let (plus, body) = match typed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, typed),
        };
        let mut digits = String::with_capacity(body.len());
        for ch in body.chars() {
            match ch {
                '0'..='9' => digits.push(ch),
                ' ' | '-' | '.' | '(' | ')' | '/' => {}
                _ => {
                    return Err(format!(
                        "A phone number can have only digits, spaces, dashes, dots and \
                         brackets, not \"{ch}\"."
                    ))
                }
            }
        }
        if digits.is_empty() {
            return Err("Enter a phone number.".to_string());
        }
        let cc = self.code_digits();
        let national = if plus {
            match digits.strip_prefix(cc) {
                Some(rest) => self.strip_trunk(rest),
                None => {
                    return Err(format!(
                        "This number does not start with {}, the code for {}: choose its \
                         country in the list, or type the number without the country code.",
                        self.code, self.name
                    ))
                }
            }
        } else {
            match digits.strip_prefix("00").and_then(|d| d.strip_prefix(cc)) {
                Some(rest) if self.fits(self.strip_trunk(rest)) => self.strip_trunk(rest),
                _ => self.strip_trunk(&digits),
            }
        };
        if !self.fits(national) {
            let range = if self.min_digits == self.max_digits {
                self.min_digits.to_string()
            } else {
                format!("{} to {}", self.min_digits, self.max_digits)
            };
            return Err(format!(
                "A phone number for {} ({}) has {range} digits after the country code; \
                 this one has {}.",
                self.name,
                self.code,
                national.len()
            ));
        }
        Ok(national.to_string())
    }

    fn fits(&self, national: &str) -> bool {
        (self.min_digits..=self.max_digits).contains(&national.len())
    }

    /// "+359 888123456": the international form of a normalised national number, as stored
    /// and shown (the space keeps the code readable; drop it for a strict E.164 string).
    pub fn e164(&self, national: &str) -> String {
        format!("{} {}", self.code, national)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn cc(iso2: &str) -> &'static CallingCode {
        CallingCode::find(iso2).unwrap_or_else(|| panic!("{iso2} is in the table"))
    }

    #[test]
    fn the_table_is_complete_and_unique() {
        let list = CallingCode::all();
        assert!(list.len() > 200, "{} entries", list.len());
        let iso: HashSet<_> = list.iter().map(|c| c.iso2).collect();
        assert_eq!(iso.len(), list.len(), "an iso2 appears twice");
        for c in list {
            assert!(c.code.len() >= 2 && c.code[1..].bytes().all(|b| b.is_ascii_digit()));
            assert!(c.code.starts_with('+') && c.code.len() <= 4, "{}", c.code);
            assert!(4 <= c.min_digits && c.min_digits <= c.max_digits && c.max_digits <= 14);
        }
    }

    #[test]
    fn names_are_in_alphabetical_order() {
        let fold = |s: &str| -> String {
            s.chars()
                .map(|ch| match ch {
                    'Å' => 'a',
                    'ç' => 'c',
                    'é' => 'e',
                    'ô' => 'o',
                    'ü' => 'u',
                    _ => ch.to_ascii_lowercase(),
                })
                .collect()
        };
        let names: Vec<String> = CallingCode::all().iter().map(|c| fold(c.name)).collect();
        for pair in names.windows(2) {
            assert!(pair[0] < pair[1], "{} before {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn well_known_countries_have_their_codes() {
        assert_eq!(cc("BG").code, "+359");
        assert_eq!(cc("bg").name, "Bulgaria");
        assert_eq!(cc("US").code, "+1");
        assert_eq!(cc("GB").code, "+44");
        assert_eq!(cc("DE").code, "+49");
        assert_eq!(cc("IN").code, "+91");
        assert_eq!(cc("XK").name, "Kosovo");
        assert_eq!(cc("CI").name, "Côte d'Ivoire");
        assert!(CallingCode::find("ZZ").is_none());
        let nanp: Vec<_> = CallingCode::by_code("+1").iter().map(|c| c.iso2).collect();
        assert!(nanp.contains(&"US") && nanp.contains(&"CA") && nanp.contains(&"PR"));
        let seven: Vec<_> = CallingCode::by_code("7").iter().map(|c| c.iso2).collect();
        assert_eq!(seven, ["KZ", "RU"]);
        assert_eq!(CallingCode::by_code(" 359 ")[0].iso2, "BG");
        assert!(CallingCode::by_code("+999").is_empty());
    }

    #[test]
    fn typed_numbers_normalise_to_national_digits() {
        let bg = cc("BG");
        assert_eq!(bg.normalise_phone("0888 123 456"), Ok("888123456".into()));
        assert_eq!(
            bg.normalise_phone(" (0888) 123-45.6 "),
            Ok("888123456".into())
        );
        assert_eq!(
            bg.normalise_phone("+359 888 123 456"),
            Ok("888123456".into())
        );
        assert_eq!(
            bg.normalise_phone("00359 888 123 456"),
            Ok("888123456".into())
        );
        assert_eq!(bg.normalise_phone("02 987 6543"), Ok("29876543".into()));
        let us = cc("US");
        assert_eq!(
            us.normalise_phone("(555) 123-4567"),
            Ok("5551234567".into())
        );
        assert_eq!(
            us.normalise_phone("1 555 123 4567"),
            Ok("5551234567".into())
        );
        let ru = cc("RU");
        assert_eq!(
            ru.normalise_phone("8 912 345-67-89"),
            Ok("9123456789".into())
        );
        assert_eq!(ru.normalise_phone("800 123 45 67"), Ok("8001234567".into()));
        // Where the 0 is part of the number it stays.
        let it = cc("IT");
        assert_eq!(it.normalise_phone("06 1234 5678"), Ok("0612345678".into()));
        assert_eq!(
            it.normalise_phone("+39 06 1234 5678"),
            Ok("0612345678".into())
        );
        let hu = cc("HU");
        assert_eq!(hu.normalise_phone("06 62 123 456"), Ok("62123456".into()));
        assert_eq!(
            cc("GB").normalise_phone("+44 (0)20 7946 0018"),
            Ok("2079460018".into())
        );
    }

    #[test]
    fn bad_numbers_are_refused_with_a_sentence() {
        let bg = cc("BG");
        assert_eq!(
            bg.normalise_phone("  "),
            Err("Enter a phone number.".into())
        );
        assert_eq!(
            bg.normalise_phone("08881"),
            Err(
                "A phone number for Bulgaria (+359) has 8 to 9 digits after the country \
                 code; this one has 4."
                    .into()
            )
        );
        assert_eq!(
            bg.normalise_phone("0888 123 456 789"),
            Err(
                "A phone number for Bulgaria (+359) has 8 to 9 digits after the country \
                 code; this one has 12."
                    .into()
            )
        );
        assert_eq!(
            cc("US").normalise_phone("555 1234"),
            Err(
                "A phone number for United States (+1) has 10 digits after the country \
                 code; this one has 7."
                    .into()
            )
        );
        assert_eq!(
            bg.normalise_phone("0888 CALL ME"),
            Err(
                "A phone number can have only digits, spaces, dashes, dots and brackets, \
                 not \"C\"."
                    .into()
            )
        );
        assert!(bg.normalise_phone("088+8123456").is_err());
        assert_eq!(
            bg.normalise_phone("+44 20 7946 0018"),
            Err(
                "This number does not start with +359, the code for Bulgaria: choose its \
                 country in the list, or type the number without the country code."
                    .into()
            )
        );
    }

    #[test]
    fn numbers_show_in_international_form() {
        let bg = cc("BG");
        assert_eq!(bg.e164("888123456"), "+359 888123456");
        let n = cc("US").normalise_phone("(555) 123-4567").unwrap();
        assert_eq!(cc("US").e164(&n), "+1 5551234567");
    }
}
