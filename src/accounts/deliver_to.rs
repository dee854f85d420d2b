//! Where an order goes, decided once for the web checkout and the API checkout: an entry
//! of the customer's address book (the chosen one, or the default when nothing is chosen)
//! or an address typed for this order; nothing for local pickup.

use rusqlite::Connection;

use super::store::{self, Customer};
use super::validate::{self, Address, AddressInput, Errors};
use crate::error::AppResult;

/// Which address-book entry the buyer picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Book {
    /// This entry (by id).
    Entry(i64),
    /// Nothing picked: the default entry, if the customer has one.
    Default,
    /// A typed address instead (a guest, or "a new address").
    Unused,
}

/// The address to deliver to, or the refusals in `errors` (keyed as the forms name their
/// fields: `address`, `address_line1`, …). None without errors means pickup.
pub fn resolve_address(
    conn: &Connection,
    customer: Option<&Customer>,
    pickup: bool,
    book: Book,
    typed: Option<&AddressInput>,
    errors: &mut Errors,
) -> AppResult<Option<Address>> {
    if pickup {
        return Ok(None);
    }
    let entry = match (customer, book) {
        (Some(_), Book::Entry(id)) => Some(id),
        (Some(c), Book::Default) => store::addresses(conn, c.id)?
            .into_iter()
            .find(|a| a.is_default)
            .map(|a| a.id),
        _ => None,
    };
    if let (Some(c), Some(id)) = (customer, entry) {
        return Ok(match store::address(conn, c.id, id) {
            Ok(a) => Some(Address::from(a)),
            Err(_) => {
                errors.insert(
                    "address",
                    "Choose an address from your address book.".into(),
                );
                None
            }
        });
    }
    let Some(input) = typed else {
        errors.insert(
            "address",
            "Give an address or an address_id for delivery.".into(),
        );
        return Ok(None);
    };
    let default_name = customer.map(Customer::full_name).unwrap_or_default();
    let a = validate::address(input, &default_name, errors);
    if a.as_ref().is_some_and(|a| a.name.is_empty()) {
        errors.insert(
            "address_name",
            "Enter the name of the person receiving the parcel.".into(),
        );
    }
    Ok(a)
}
