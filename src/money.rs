//! Money is an integer count of the currency's minor units (cents). This module knows the
//! ISO 4217 currencies (from our own data file) and how to show an amount.

use std::sync::OnceLock;

const DATA: &str = include_str!("../assets/data/currencies.tsv");

#[derive(Debug, PartialEq, Eq)]
pub struct Currency {
    pub code: &'static str,
    /// Number of minor-unit digits: EUR 2, JPY 0, KWD 3.
    pub exponent: u32,
    pub symbol: &'static str,
    pub name: &'static str,
}

fn all() -> &'static [Currency] {
    static LIST: OnceLock<Vec<Currency>> = OnceLock::new();
    LIST.get_or_init(|| {
        DATA.lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.split('\t');
                Some(Currency {
                    code: f.next()?,
                    exponent: f.next()?.parse().ok()?,
                    symbol: f.next()?,
                    name: f.next()?,
                })
            })
            .collect()
    })
}

impl Currency {
    pub fn list() -> &'static [Currency] {
        all()
    }

    pub fn find(code: &str) -> Option<&'static Currency> {
        all()
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
    }

    /// Used only if a stored currency code is unknown to this binary.
    pub fn fallback() -> &'static Currency {
        Currency::find("EUR").expect("EUR is in the currency table")
    }

    /// "€12.50", "¥1,250", "12.500 KWD"-style display with thousands separators.
    pub fn format(&self, minor: i64) -> String {
        let neg = minor < 0;
        let abs = minor.unsigned_abs();
        let scale = 10u64.pow(self.exponent);
        let whole = group_thousands(abs / scale);
        let number = if self.exponent == 0 {
            whole
        } else {
            format!(
                "{whole}.{:0width$}",
                abs % scale,
                width = self.exponent as usize
            )
        };
        let sign = if neg { "-" } else { "" };
        if self.symbol == self.code || self.symbol.chars().count() > 2 {
            format!("{sign}{number} {}", self.symbol)
        } else {
            format!("{sign}{}{number}", self.symbol)
        }
    }

    /// The major-unit text for a form field: 1250 -> "12.50".
    pub fn to_major(&self, minor: i64) -> String {
        let scale = 10i64.pow(self.exponent);
        if self.exponent == 0 {
            minor.to_string()
        } else {
            let sign = if minor < 0 { "-" } else { "" };
            let a = minor.abs();
            format!(
                "{sign}{}.{:0w$}",
                a / scale,
                a % scale,
                w = self.exponent as usize
            )
        }
    }

    /// Parses what a person typed ("12", "12.5", "12,50") into minor units; refuses more
    /// decimals than the currency has, negatives and absurd sizes.
    pub fn parse_major(&self, text: &str) -> Result<i64, String> {
        let t = text.trim().replace(',', ".");
        let bad = || {
            format!(
                "'{}' is not an amount: use digits with at most {} decimals, like {}",
                text.trim(),
                self.exponent,
                self.to_major(1250 * 10i64.pow(self.exponent) / 100)
            )
        };
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t.as_str(), ""),
        };
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !(digits(whole) || whole.is_empty() && digits(frac)) {
            return Err(bad());
        }
        if !frac.is_empty() && !digits(frac) || frac.len() > self.exponent as usize {
            return Err(bad());
        }
        if whole.len() > 12 {
            return Err(format!("'{}' is too large", text.trim()));
        }
        let w: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let mut f: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| bad())?
        };
        f *= 10i64.pow(self.exponent - frac.len() as u32);
        Ok(w * 10i64.pow(self.exponent) + f)
    }
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_show_with_the_currency_exponent() {
        let eur = Currency::find("eur").unwrap();
        assert_eq!(eur.format(1250), "€12.50");
        assert_eq!(eur.format(123456789), "€1,234,567.89");
        assert_eq!(eur.format(5), "€0.05");
        let jpy = Currency::find("JPY").unwrap();
        assert_eq!(jpy.exponent, 0);
        assert_eq!(jpy.format(1250), "¥1,250");
        let kwd = Currency::find("KWD").unwrap();
        assert_eq!(kwd.exponent, 3);
        assert!(kwd.format(1250).contains("1.250"), "{}", kwd.format(1250));
    }

    #[test]
    fn typed_amounts_parse_to_minor_units() {
        let eur = Currency::find("EUR").unwrap();
        assert_eq!(eur.parse_major("12"), Ok(1200));
        assert_eq!(eur.parse_major("12.5"), Ok(1250));
        assert_eq!(eur.parse_major("12,05"), Ok(1205));
        assert_eq!(eur.parse_major(".5"), Ok(50));
        assert!(eur.parse_major("12.345").is_err());
        assert!(eur.parse_major("-1").is_err());
        assert!(eur.parse_major("1e5").is_err());
        assert!(eur.parse_major("").is_err());
        assert!(eur.parse_major("9999999999999").is_err());
        assert_eq!(Currency::find("JPY").unwrap().parse_major("300"), Ok(300));
        assert!(Currency::find("JPY").unwrap().parse_major("3.5").is_err());
    }

    #[test]
    fn the_table_is_complete_enough() {
        assert!(Currency::list().len() > 140);
        assert_eq!(Currency::find("BHD").unwrap().exponent, 3);
    }
}
