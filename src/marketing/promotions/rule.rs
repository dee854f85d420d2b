//! What a promotion takes off a price: one rule for the catalogue (its cards, price sort
//! and price filters), the cart, the checkout and the order.
//!
//! The rule: a percent is taken off each unit, rounded half up to the minor unit; an amount
//! is taken off each unit, never more than the unit costs. A line's discount is that times
//! its quantity, so the unit price shown times the quantity is always the line's total.
//! Where several promotions reach a product the one taking most off wins (never stacked);
//! on a tie the older one (lower id).

/// Percent off (1–100) or an amount off each unit (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Percent,
    Amount,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "percent" => Some(Kind::Percent),
            "amount" => Some(Kind::Amount),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Percent => "percent",
            Kind::Amount => "amount",
        }
    }

    /// What `value` of this kind takes off `base`: a percent rounded half up to the minor
    /// unit, an amount as it is; never below zero, never above `base`. Promotions take it
    /// off a unit, vouchers off a subtotal.
    pub fn off(self, value: i64, base: i64) -> i64 {
        let base = base.max(0);
        let off = match self {
            // base ≥ 0, so integer division floors and + 50 rounds half up.
            Kind::Percent => (base * value + 50) / 100,
            Kind::Amount => value,
        };
        off.clamp(0, base)
    }

    /// The badge: "−20 %" or "−€2.00" (`money` formats minor units).
    pub fn badge(self, value: i64, money: &dyn Fn(i64) -> String) -> String {
        match self {
            Kind::Percent => format!("\u{2212}{value} %"),
            Kind::Amount => format!("\u{2212}{}", money(value)),
        }
    }
}

/// Which products a running promotion reaches; categories already include their
/// subcategories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Shop,
    Categories(Vec<i64>),
    Products(Vec<i64>),
}

/// A promotion running now, as pricing needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub id: i64,
    pub name: String,
    pub kind: Kind,
    pub value: i64,
    pub reach: Reach,
    /// Shown above the shop while it runs; empty for none.
    pub banner: String,
    /// UTC, when it ends.
    pub ends_at: String,
}

impl Offer {
    /// What it takes off one unit costing `price`: never below zero, never above the price.
    pub fn off_unit(&self, price: i64) -> i64 {
        self.kind.off(self.value, price)
    }

    pub fn reaches(&self, product_id: i64, category_id: Option<i64>) -> bool {
        match &self.reach {
            Reach::Shop => true,
            Reach::Categories(ids) => category_id.is_some_and(|c| ids.contains(&c)),
            Reach::Products(ids) => ids.contains(&product_id),
        }
    }

    /// The badge: "−20 %" or "−€2.00" (`money` formats minor units).
    pub fn badge(&self, money: &dyn Fn(i64) -> String) -> String {
        self.kind.badge(self.value, money)
    }
}

/// The promotion that takes most off a unit of this product, with what it takes off.
pub fn best(
    offers: &[Offer],
    product_id: i64,
    category_id: Option<i64>,
    price: i64,
) -> Option<(&Offer, i64)> {
    let mut found: Option<(&Offer, i64)> = None;
    for o in offers.iter().filter(|o| o.reaches(product_id, category_id)) {
        let off = o.off_unit(price);
        let better = match found {
            None => off > 0,
            Some((b, best_off)) => off > best_off || (off == best_off && o.id < b.id),
        };
        if better {
            found = Some((o, off));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(id: i64, kind: Kind, value: i64, reach: Reach) -> Offer {
        Offer {
            id,
            name: format!("promo {id}"),
            kind,
            value,
            reach,
            banner: String::new(),
            ends_at: "2027-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn percent_is_rounded_half_up_per_unit_and_amounts_never_go_below_zero() {
        let twenty = offer(1, Kind::Percent, 20, Reach::Shop);
        assert_eq!(twenty.off_unit(1041), 208); // 208.2
        assert_eq!(twenty.off_unit(1043), 209); // 208.6
        assert_eq!(offer(1, Kind::Percent, 25, Reach::Shop).off_unit(2), 1); // 0.5 → 1
        assert_eq!(offer(1, Kind::Percent, 100, Reach::Shop).off_unit(999), 999);
        assert_eq!(offer(1, Kind::Amount, 500, Reach::Shop).off_unit(300), 300);
        assert_eq!(offer(1, Kind::Amount, 500, Reach::Shop).off_unit(0), 0);
    }

    #[test]
    fn the_best_for_the_buyer_wins_and_nothing_stacks() {
        let offers = vec![
            offer(1, Kind::Percent, 10, Reach::Shop),
            offer(2, Kind::Amount, 300, Reach::Categories(vec![5, 6])),
            offer(3, Kind::Percent, 30, Reach::Products(vec![42])),
        ];
        // 10 % of 2000 = 200 < 300 off in category 5.
        let (o, off) = best(&offers, 7, Some(5), 2000).unwrap();
        assert_eq!((o.id, off), (2, 300));
        // 30 % of 2000 = 600 beats both for product 42.
        assert_eq!(
            best(&offers, 42, Some(5), 2000).map(|(o, off)| (o.id, off)),
            Some((3, 600))
        );
        // Outside the category and the list only the shop-wide one reaches.
        assert_eq!(
            best(&offers, 8, None, 2000).map(|(o, off)| (o.id, off)),
            Some((1, 200))
        );
        // A tie goes to the older promotion.
        let tie = vec![
            offer(9, Kind::Amount, 200, Reach::Shop),
            offer(4, Kind::Percent, 10, Reach::Shop),
        ];
        assert_eq!(best(&tie, 1, None, 2000).map(|(o, _)| o.id), Some(4));
        // Nothing off is no promotion.
        assert!(best(&[offer(1, Kind::Percent, 1, Reach::Shop)], 1, None, 10).is_none());
    }

    #[test]
    fn badges_say_what_comes_off() {
        let money = |m: i64| format!("€{}.{:02}", m / 100, m % 100);
        assert_eq!(
            offer(1, Kind::Percent, 20, Reach::Shop).badge(&money),
            "−20 %"
        );
        assert_eq!(
            offer(1, Kind::Amount, 250, Reach::Shop).badge(&money),
            "−€2.50"
        );
    }
}
