//! The `carts` and `cart_items` tables. A cart belongs to a guest token (its hash) or a
//! customer; every change touches `updated_at`, so idle guest carts can be cleared after
//! 7 days. Quantities are checked against stock when they change; a voucher code applied
//! in the cart is kept on it and checked again whenever the cart is priced.

use rusqlite::{params, Connection, OptionalExtension};
use time::{Duration, OffsetDateTime};

use super::pricing::{quote, Item};
use crate::catalog::stock::too_many;
use crate::clock::sql_time;
use crate::error::{AppError, AppResult};
use crate::secret::hash_token;

/// POLICY: 1-999 per line.
pub const MAX_QUANTITY: i64 = 999;
/// Guest carts are kept this long after their last change.
pub const GUEST_DAYS: i64 = 7;

/// Whose cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The token in a guest's `cs_cart` cookie.
    Guest(String),
    Customer(i64),
}

impl Owner {
    /// The customer's id; None for a guest.
    pub fn customer_id(&self) -> Option<i64> {
        match self {
            Owner::Customer(id) => Some(*id),
            Owner::Guest(_) => None,
        }
    }
}

/// The cart's id, if the owner has one.
pub fn find(conn: &Connection, owner: &Owner) -> AppResult<Option<i64>> {
    Ok(match owner {
        Owner::Guest(token) => conn
            .prepare_cached("SELECT id FROM carts WHERE guest_token_hash = ?1")?
            .query_row([hash_token(token)], |r| r.get(0))
            .optional()?,
        Owner::Customer(id) => conn
            .prepare_cached("SELECT id FROM carts WHERE customer_id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?,
    })
}

/// The owner's cart, made on first use.
pub fn find_or_create(conn: &Connection, owner: &Owner, now: OffsetDateTime) -> AppResult<i64> {
    if let Some(id) = find(conn, owner)? {
        return Ok(id);
    }
    let (customer, guest) = match owner {
        Owner::Guest(token) => (None, Some(hash_token(token))),
        Owner::Customer(id) => (Some(*id), None),
    };
    conn.execute(
        "INSERT INTO carts (customer_id, guest_token_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
        params![customer, guest, sql_time(now)],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn items(conn: &Connection, cart_id: i64) -> AppResult<Vec<Item>> {
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, quantity FROM cart_items WHERE cart_id = ?1 ORDER BY added_at, product_id",
    )?;
    let rows = stmt.query_map([cart_id], |r| {
        Ok(Item {
            product_id: r.get(0)?,
            quantity: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The owner's items; none when they have no cart yet.
pub fn items_of(conn: &Connection, owner: &Owner) -> AppResult<Vec<Item>> {
    match find(conn, owner)? {
        Some(id) => items(conn, id),
        None => Ok(Vec::new()),
    }
}

fn touch(conn: &Connection, cart_id: i64, now: OffsetDateTime) -> AppResult<()> {
    conn.prepare_cached("UPDATE carts SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![cart_id, sql_time(now)])?;
    Ok(())
}

pub fn check_quantity(quantity: i64) -> AppResult<()> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(AppError::Invalid(format!(
            "A quantity must be a whole number from 1 to {MAX_QUANTITY}."
        )));
    }
    Ok(())
}

/// Sets a line to `quantity` after checking the product is sold and in stock for it.
pub fn set_quantity(
    conn: &Connection,
    owner: &Owner,
    product_id: i64,
    quantity: i64,
    now: OffsetDateTime,
) -> AppResult<()> {
    check_quantity(quantity)?;
    let product: Option<(String, i64)> = conn
        .prepare_cached("SELECT name, stock FROM products WHERE id = ?1 AND status = 'active'")?
        .query_row([product_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((name, stock)) = product else {
        return Err(AppError::NotFound("That product is not for sale.".into()));
    };
    if quantity > stock {
        return Err(AppError::Conflict(too_many(&name, stock, quantity)));
    }
    let cart = find_or_create(conn, owner, now)?;
    conn.prepare_cached(
        "INSERT INTO cart_items (cart_id, product_id, quantity, added_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = excluded.quantity",
    )?
    .execute(params![cart, product_id, quantity, sql_time(now)])?;
    touch(conn, cart, now)
}

/// Adds `quantity` to what the cart has of a product.
pub fn add(
    conn: &Connection,
    owner: &Owner,
    product_id: i64,
    quantity: i64,
    now: OffsetDateTime,
) -> AppResult<()> {
    check_quantity(quantity)?;
    let have = items_of(conn, owner)?
        .iter()
        .find(|i| i.product_id == product_id)
        .map_or(0, |i| i.quantity);
    set_quantity(conn, owner, product_id, have + quantity, now)
}

pub fn remove(
    conn: &Connection,
    owner: &Owner,
    product_id: i64,
    now: OffsetDateTime,
) -> AppResult<()> {
    if let Some(cart) = find(conn, owner)? {
        conn.execute(
            "DELETE FROM cart_items WHERE cart_id = ?1 AND product_id = ?2",
            params![cart, product_id],
        )?;
        touch(conn, cart, now)?;
    }
    Ok(())
}

/// Empties the cart, its voucher code with it.
pub fn empty(conn: &Connection, owner: &Owner, now: OffsetDateTime) -> AppResult<()> {
    if let Some(cart) = find(conn, owner)? {
        conn.prepare_cached("DELETE FROM cart_items WHERE cart_id = ?1")?
            .execute([cart])?;
        conn.prepare_cached("UPDATE carts SET voucher_code = '' WHERE id = ?1")?
            .execute([cart])?;
        touch(conn, cart, now)?;
    }
    Ok(())
}

/// The voucher code applied in the owner's cart; empty for none.
pub fn voucher_code(conn: &Connection, owner: &Owner) -> AppResult<String> {
    Ok(match find(conn, owner)? {
        Some(cart) => conn
            .prepare_cached("SELECT voucher_code FROM carts WHERE id = ?1")?
            .query_row([cart], |r| r.get(0))?,
        None => String::new(),
    })
}

/// Applies a voucher code as typed to the owner's cart when it can be used on the cart
/// now (the refusal's sentence as `Invalid` when not, and nothing kept); an empty code
/// removes it. Returns the code as kept (normalised).
pub fn apply_voucher(
    conn: &Connection,
    owner: &Owner,
    typed: &str,
    money: &dyn Fn(i64) -> String,
    now: OffsetDateTime,
) -> AppResult<String> {
    let mut q = quote(conn, &items_of(conn, owner)?, None, money, now)?;
    super::pricing::apply_voucher(conn, &mut q, typed, owner.customer_id(), money, now)?;
    if let Some(why) = q.voucher_problem {
        return Err(AppError::Invalid(why));
    }
    set_voucher(conn, owner, &q.voucher_code, now)?;
    Ok(q.voucher_code)
}

/// Keeps a (checked, normalised) voucher code on the owner's cart; empty removes it.
pub fn set_voucher(
    conn: &Connection,
    owner: &Owner,
    code: &str,
    now: OffsetDateTime,
) -> AppResult<()> {
    let cart = find_or_create(conn, owner, now)?;
    conn.prepare_cached("UPDATE carts SET voucher_code = ?2 WHERE id = ?1")?
        .execute(params![cart, code])?;
    touch(conn, cart, now)
}

/// At login the guest's cart joins the customer's: quantities add up (to at most 999),
/// and the guest cart is gone. Stock is checked when the cart is priced, not here, so
/// nothing the guest chose is silently dropped.
pub fn merge_guest(
    conn: &Connection,
    guest_token: &str,
    customer_id: i64,
    now: OffsetDateTime,
) -> AppResult<usize> {
    let guest = Owner::Guest(guest_token.to_string());
    let Some(guest_cart) = find(conn, &guest)? else {
        return Ok(0);
    };
    let moved = items(conn, guest_cart)?;
    if !moved.is_empty() {
        let cart = find_or_create(conn, &Owner::Customer(customer_id), now)?;
        for i in &moved {
            conn.execute(
                "INSERT INTO cart_items (cart_id, product_id, quantity, added_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = min(?5, quantity + excluded.quantity)",
                params![cart, i.product_id, i.quantity, sql_time(now), MAX_QUANTITY],
            )?;
        }
        touch(conn, cart, now)?;
    }
    conn.execute("DELETE FROM carts WHERE id = ?1", [guest_cart])?;
    Ok(moved.len())
}

/// Deletes guest carts idle for more than 7 days; returns how many.
pub fn purge_guests(conn: &Connection, now: OffsetDateTime) -> AppResult<usize> {
    Ok(conn.execute(
        "DELETE FROM carts WHERE customer_id IS NULL AND updated_at < ?1",
        [sql_time(now - Duration::days(GUEST_DAYS))],
    )?)
}
