//! Demo shops for testers: `cornershop demo --products N` adds products to a shop, and
//! `serve --demo` builds a complete throw-away shop with one login per role.

use std::path::Path;

use super::{fill, DemoOptions, DemoSummary};
use crate::audit::{self, Actor};
use crate::auth::password;
use crate::db::Db;
use crate::error::AppError;
use crate::money::Currency;
use crate::secret::Secret;
use crate::settings;
use crate::staff::store;

/// Products in a `serve --demo` shop.
pub const DEMO_SHOP_PRODUCTS: usize = 200;

/// Adds `products` demo products (and the category tree if missing) in one transaction.
pub fn fill_db(db: &Db, media: &Path, products: usize, seed: u64) -> Result<DemoSummary, String> {
    if products == 0 || products > 1_000_000 {
        return Err("--products must be from 1 to 1000000".into());
    }
    db.write_blocking(|tx| {
        let code = settings::get(tx, "shop.currency")?;
        let currency_exponent = Currency::find(&code).map(|c| c.exponent).unwrap_or(2);
        let summary = fill(
            tx,
            media,
            &DemoOptions {
                products,
                seed,
                currency_exponent,
            },
        )
        .map_err(AppError::Internal)?;
        audit::record(
            tx,
            &audit::Entry::event("demo", "demo.filled")
                .actor(Actor::Cli)
                .details(
                    serde_json::json!({ "products": summary.products, "images": summary.images }),
                ),
        )?;
        Ok(summary)
    })
    .map_err(|e| match e {
        AppError::Internal(m) => m,
        other => other.public_message(),
    })
}

/// Makes a ready-to-use demo shop: set-up done, one staff login per default role, and
/// products. Returns the logins (role, email, password) for the login page.
pub fn demo_shop(
    db: &Db,
    secret: &Secret,
    media: &Path,
) -> Result<Vec<(String, String, String)>, String> {
    const PASSWORD: &str = "cornershop-demo";
    let logins: Vec<(String, String, String)> = ["Owner", "Manager", "Viewer", "Courier"]
        .iter()
        .map(|role| {
            (
                role.to_string(),
                format!("{}@demo.cornershop.test", role.to_lowercase()),
                PASSWORD.to_string(),
            )
        })
        .collect();
    let hash = password::hash(PASSWORD)?;
    db.write_blocking(|tx| {
        settings::set(tx, secret, "shop.name", "Cornershop Demo")?;
        for (role, email, _) in &logins {
            let role_id = store::role_id(tx, role)?;
            store::insert(
                tx,
                email,
                &format!("Demo {}", role.to_lowercase()),
                &hash,
                role_id,
            )?;
        }
        settings::set_internal(tx, "setup.completed_at", "demo")?;
        Ok(())
    })
    .map_err(|e| e.public_message())?;
    fill_db(db, media, DEMO_SHOP_PRODUCTS, 42)?;
    Ok(logins)
}
