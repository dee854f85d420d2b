//! Placing an order: one write transaction (BEGIN IMMEDIATE) that re-prices the cart,
//! checks and decrements stock, writes the order and its lines at the prices paid,
//! records the stock movements, redeems the voucher (a guarded update), empties the cart
//! and queues the "order placed" mail. A repeated confirm with the same idempotency key
//! returns the order already made.

use rusqlite::{Connection, OptionalExtension};
use serde_json::json;
use time::OffsetDateTime;

use super::mails;
use super::status;
use crate::accounts::validate::Address;
use crate::audit;
use crate::cart::pricing::{apply_voucher, quote, QuoteLine};
use crate::cart::store::{self, Owner};
use crate::catalog::stock::{self, Movement};
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::marketing::vouchers::store as vouchers;
use crate::secret::{hash_token, Secret};
use crate::settings;
use crate::web::client::ClientIp;

#[derive(Debug, Clone)]
pub struct Checkout {
    pub owner: Owner,
    pub email: String,
    /// None for local pickup, which needs no address.
    pub address: Option<Address>,
    pub shipping_method: String,
    pub payment_method: String,
    /// The voucher code to use; None for the one applied in the cart.
    pub voucher_code: Option<String>,
    /// Sent by the client (header or hidden field); the same key means the same order.
    pub idempotency_key: String,
    pub ip: Option<ClientIp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub id: i64,
    pub number: String,
    /// True when this key had already placed the order (a repeated confirm).
    pub repeated: bool,
}

/// The key as stored: scoped to its buyer, so two buyers' keys never meet, and hashed.
fn stored_key(owner: &Owner, key: &str) -> String {
    let scope = match owner {
        Owner::Customer(id) => format!("customer:{id}"),
        Owner::Guest(token) => format!("guest:{}", hash_token(token)),
    };
    hash_token(&format!("{scope}:{key}"))
}

fn actor(owner: &Owner) -> String {
    match owner {
        Owner::Customer(id) => status::actor_customer(*id),
        Owner::Guest(_) => "guest".into(),
    }
}

/// Writes one line of an order at the prices quoted, with the promotion it was charged
/// with (by id and name, so the order keeps it whatever happens to the promotion).
pub fn insert_line(conn: &Connection, order_id: i64, l: &QuoteLine) -> AppResult<()> {
    let (promotion_id, promotion) = match &l.promotion {
        Some(p) => (Some(p.id), p.name.as_str()),
        None => (None, ""),
    };
    conn.prepare_cached(
        "INSERT INTO order_lines (order_id, product_id, name, sku, unit_price, quantity, discount,
                                  line_total, promotion_id, promotion)
         VALUES (:order, :product, :name, :sku, :unit, :qty, :discount, :total, :promotion_id, :promotion)",
    )?
    .execute(rusqlite::named_params! {
        ":order": order_id, ":product": l.product_id, ":name": l.name, ":sku": l.sku,
        ":unit": l.unit_price, ":qty": l.quantity, ":discount": l.discount, ":total": l.line_total,
        ":promotion_id": promotion_id, ":promotion": promotion,
    })?;
    Ok(())
}

/// Places the order in the caller's write transaction.
pub fn place(
    conn: &Connection,
    secret: &Secret,
    c: &Checkout,
    base_url: &str,
    now: OffsetDateTime,
) -> AppResult<Placed> {
    let key = c.idempotency_key.trim();
    if key.is_empty() || key.len() > 200 {
        return Err(AppError::BadRequest(
            "An idempotency key (1 to 200 characters) is needed to place an order.".into(),
        ));
    }
    let key = stored_key(&c.owner, key);
    let existing: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, number FROM orders WHERE idempotency_key = ?1")?
        .query_row([&key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((id, number)) = existing {
        return Ok(Placed {
            id,
            number,
            repeated: true,
        });
    }

    let items = store::items_of(conn, &c.owner)?;
    let currency = settings::currency(conn)?;
    let money = |m: i64| currency.format(m);
    let mut q = quote(conn, &items, Some(&c.shipping_method), &money, now)?;
    let code = match &c.voucher_code {
        Some(code) => code.clone(),
        None => store::voucher_code(conn, &c.owner)?,
    };
    apply_voucher(conn, &mut q, &code, c.owner.customer_id(), &money, now)?;
    let problems = q.problems();
    if !problems.is_empty() {
        return Err(AppError::Conflict(problems.join(" ")));
    }
    let Some(shipping) = &q.shipping_method else {
        return Err(AppError::Invalid(
            "Choose one of the shipping methods on offer.".into(),
        ));
    };
    if !crate::payments::is_enabled(conn, &c.payment_method)? {
        return Err(AppError::Invalid(
            "Choose one of the payment methods on offer.".into(),
        ));
    }
    let address = match (&c.address, shipping.code.as_str()) {
        (Some(a), _) => a.clone(),
        (None, "pickup") => Address {
            name: String::new(),
            line1: String::new(),
            line2: String::new(),
            city: String::new(),
            postcode: String::new(),
            country: String::new(),
        },
        (None, _) => return Err(AppError::Invalid("Enter the address to deliver to.".into())),
    };

    let customer_id = c.owner.customer_id();
    let next: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) + 1 FROM orders")?
        .query_row([], |r| r.get(0))?;
    let number = format!("{}-{next:06}", now.year());
    let at = sql_time(now);
    let who = actor(&c.owner);
    conn.prepare_cached(
        "INSERT INTO orders (number, customer_id, email, status, currency, subtotal, discount, shipping, total,
                             shipping_method, payment_method, ship_name, ship_line1, ship_line2, ship_city,
                             ship_postcode, ship_country, idempotency_key, changed_by, placed_at, updated_at,
                             voucher_id, voucher_code, voucher_discount)
         VALUES (:number, :customer, :email, 'pending_payment', :currency, :subtotal, :discount, :shipping,
                 :total, :shipping_method, :payment_method, :name, :line1, :line2, :city, :postcode,
                 :country, :key, :by, :at, :at, :voucher_id, :voucher_code, :voucher_discount)",
    )?
    .execute(rusqlite::named_params! {
        ":number": number, ":customer": customer_id, ":email": c.email.trim(),
        ":currency": currency.code, ":subtotal": q.subtotal,
        // The order's discount is all that came off: promotions and the voucher.
        ":discount": q.discount + q.voucher_discount,
        ":voucher_id": q.voucher.as_ref().map(|v| v.id),
        ":voucher_code": q.voucher.as_ref().map_or("", |v| v.code.as_str()),
        ":voucher_discount": q.voucher_discount,
        ":shipping": q.shipping, ":total": q.total, ":shipping_method": shipping.code,
        ":payment_method": c.payment_method, ":name": address.name, ":line1": address.line1,
        ":line2": address.line2, ":city": address.city, ":postcode": address.postcode,
        ":country": address.country, ":key": key, ":by": who, ":at": at,
    })?;
    let id = conn.last_insert_rowid();
    for l in &q.lines {
        insert_line(conn, id, l)?;
        // A guarded decrement: two buyers can never both take the last unit; a refusal
        // rolls the whole transaction back, the order row with it.
        stock::take(
            conn,
            l.product_id,
            &l.name,
            l.quantity,
            &Movement::order("order", id, &who, &at),
        )?;
    }
    // Guarded: of two orders racing for one voucher only one gets it (a trigger backs it).
    if let Some(v) = &q.voucher {
        vouchers::redeem(conn, v.id, id, &at)?;
    }
    store::empty(conn, &c.owner, now)?;
    let mut entry = audit::Entry::event("order", "order.placed")
        .entity("order", id)
        .ip(c.ip)
        .details(
            json!({ "number": number, "total": q.total, "payment_method": c.payment_method,
                         "voucher": q.voucher.as_ref().map(|v| &v.code) }),
        );
    if let Some(cid) = customer_id {
        entry = entry.actor(audit::Actor::Customer {
            id: cid,
            label: c.email.clone(),
        });
    }
    audit::record(conn, &entry)?;
    mails::queue(conn, secret, id, "order_placed", "", base_url, now)?;
    Ok(Placed {
        id,
        number,
        repeated: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-07 10:00 UTC);

    struct Shop {
        _dir: tempfile::TempDir,
        db: Db,
        secret: Secret,
    }

    /// A real shop database with a mug (3 in stock) and a guest's cart holding `quantity`.
    fn shop(quantity: i64) -> Shop {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        let secret = Secret::load_or_create(&dir.path().join("secret.key")).unwrap();
        db.write_blocking(move |tx| {
            tx.execute(
                "INSERT INTO products (id, slug, sku, name, price, stock, status)
                 VALUES (1, 'mug', 'M-1', 'Mug', 1250, 3, 'active')",
                [],
            )?;
            store::add(tx, &guest(), 1, quantity, NOW)
        })
        .unwrap();
        Shop {
            _dir: dir,
            db,
            secret,
        }
    }

    fn guest() -> Owner {
        Owner::Guest("guest-cart-token".into())
    }

    fn checkout(key: &str) -> Checkout {
        Checkout {
            owner: guest(),
            email: "mira@tea.test".into(),
            address: None,
            shipping_method: "pickup".into(),
            payment_method: "cod".into(),
            voucher_code: None,
            idempotency_key: key.into(),
            ip: None,
        }
    }

    fn place_now(s: &Shop, c: Checkout) -> AppResult<Placed> {
        let secret = Secret::clone(&s.secret);
        s.db.write_blocking(move |tx| place(tx, &secret, &c, "http://shop.test", NOW))
    }

    fn count(s: &Shop, sql: &str) -> i64 {
        s.db.read_blocking(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap()
    }

    #[test]
    fn an_order_takes_its_stock_records_the_movement_and_empties_the_cart() {
        let s = shop(2);
        let p = place_now(&s, checkout("k-1")).unwrap();
        assert_eq!(p.number, format!("2026-{:06}", p.id));
        assert!(!p.repeated);
        assert_eq!(count(&s, "SELECT stock FROM products WHERE id = 1"), 1);
        assert_eq!(
            count(
                &s,
                "SELECT delta FROM stock_movements WHERE reason = 'order'"
            ),
            -2
        );
        assert_eq!(count(&s, "SELECT total FROM orders"), 2500);
        assert_eq!(count(&s, "SELECT count(*) FROM cart_items"), 0);
        assert_eq!(
            count(
                &s,
                "SELECT count(*) FROM mail_outbox WHERE template = 'order_placed'"
            ),
            1
        );
    }

    #[test]
    fn the_same_key_gives_back_the_same_order_and_takes_nothing_twice() {
        let s = shop(1);
        let first = place_now(&s, checkout("k-1")).unwrap();
        let again = place_now(&s, checkout(" k-1 ")).unwrap();
        assert_eq!((again.id, again.repeated), (first.id, true));
        assert_eq!(count(&s, "SELECT count(*) FROM orders"), 1);
        assert_eq!(count(&s, "SELECT stock FROM products WHERE id = 1"), 2);
    }

    #[test]
    fn more_than_there_is_leaves_no_order_no_movement_and_the_stock_as_it_was() {
        let s = shop(3);
        s.db.write_blocking(|tx| {
            tx.execute("UPDATE products SET stock = 2 WHERE id = 1", [])?;
            Ok(())
        })
        .unwrap();
        let err = place_now(&s, checkout("k-1")).unwrap_err();
        assert!(matches!(err, AppError::Conflict(ref m) if m.contains("Only 2 of 'Mug' left")));
        assert_eq!(count(&s, "SELECT count(*) FROM orders"), 0);
        assert_eq!(count(&s, "SELECT count(*) FROM stock_movements"), 0);
        assert_eq!(count(&s, "SELECT stock FROM products WHERE id = 1"), 2);
        assert_eq!(count(&s, "SELECT count(*) FROM cart_items"), 1);
    }

    #[test]
    fn a_missing_key_or_address_is_refused_before_anything_is_written() {
        let s = shop(1);
        assert!(matches!(
            place_now(&s, checkout("  ")),
            Err(AppError::BadRequest(_))
        ));
        let mut delivered = checkout("k-2");
        delivered.shipping_method = "flat".into();
        assert!(matches!(
            place_now(&s, delivered),
            Err(AppError::Invalid(ref m)) if m == "Enter the address to deliver to."
        ));
        assert_eq!(count(&s, "SELECT count(*) FROM orders"), 0);
    }
}
