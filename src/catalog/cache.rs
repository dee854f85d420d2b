//! The catalogue as the shop reads it, cached: the category tree, listing pages and
//! product pages. Everything cached belongs to one catalogue revision (the counter that
//! schema.sql's triggers bump on every catalogue change). Each read takes the revision in
//! the same snapshot as its data, so a result read before a change is never stored after
//! it. The database is asked for the revision only when this process has committed a
//! write since the last look, or once a second (changes made by other processes, such as
//! the command line).
//!
//! Rendered storefront pages are cached here too, for the same revision. What differs per
//! visitor is never cached: a page with a flash message is not stored, and the CSRF token
//! is rendered as `CSRF_HOLE` and filled in for each response.
//!
//! Prices follow the promotions running at the cache's clock. A promotion's start or end
//! changes prices without any write, so the cache keeps, beside the revision, the next
//! moment one starts or ends; once the clock passes it, the revision is moved on (one small
//! write) and everything is read again. No page outlives the prices it shows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::model::{Image, ProductCard, ProductDetail};
use super::query::CatalogQuery;
use super::store;
use super::tree::Tree;
use crate::clock::Clock;
use crate::db::Db;
use crate::error::AppResult;
use crate::marketing::promotions::rule::Offer;
use crate::marketing::promotions::store::{next_change, offers_at};

const EXTERNAL_CHECK: Duration = Duration::from_secs(1);
const MAX_LISTS: usize = 1024;
const MAX_PRODUCTS: usize = 4096;
const MAX_PAGES: usize = 1024;

/// Stands in for the visitor's CSRF token in a cached page (base64url never contains it).
pub const CSRF_HOLE: &str = "csrf-hole-5c0f1e";

/// Cached values carry the revision they were read at.
pub struct Listing {
    pub rev: i64,
    pub items: Vec<ProductCard>,
    pub total: u64,
}

pub struct ProductView {
    pub rev: i64,
    pub detail: ProductDetail,
    pub images: Vec<Image>,
}

#[derive(Clone, Debug)]
pub enum ProductKey {
    Slug(String),
    Id(i64),
}

#[derive(Default)]
struct State {
    rev: i64,
    seen_commits: u64,
    checked: Option<Instant>,
    /// Looks at the revision are numbered, so a slow one never undoes a later one.
    tickets: u64,
    applied: u64,
    tree: Option<Arc<Tree>>,
    lists: HashMap<String, Arc<Listing>>,
    /// Totals per filter (search, category, price, stock), whatever the sort and page.
    totals: HashMap<String, u64>,
    /// Misses are cached too, so a flood of unknown slugs costs one read each at most once.
    products: HashMap<String, Option<Arc<ProductView>>>,
    pages: HashMap<String, Arc<String>>,
    /// The promotions running in this revision, and when the next one starts or ends.
    offers: Option<Arc<Offers>>,
    /// UTC: the cache is read again from this moment (a promotion starts or ends).
    until: Option<String>,
}

/// The promotions running now, read with the revision.
pub struct Offers {
    pub rev: i64,
    pub list: Vec<Offer>,
}

#[derive(Default)]
pub struct CatalogCache {
    state: Mutex<State>,
    clock: Clock,
}

/// The promotions running in the snapshot `c` reads: the cached ones when they belong to
/// its revision (the usual case), else read afresh in it (into `fresh`).
fn current<'a>(
    c: &Connection,
    cached: &'a Offers,
    now: &str,
    fresh: &'a mut Vec<Offer>,
) -> AppResult<&'a [Offer]> {
    if store::revision(c)? == cached.rev {
        return Ok(&cached.list);
    }
    *fresh = offers_at(c, now)?;
    Ok(fresh)
}

/// `snapshot` inside a transaction that is already open (a write's).
fn snapshot_in<T>(
    c: &Connection,
    f: impl FnOnce(&Connection) -> AppResult<T>,
) -> AppResult<(i64, T)> {
    let rev = store::revision(c)?;
    Ok((rev, f(c)?))
}

/// Runs `f` and reads the revision in one read transaction, i.e. one snapshot.
fn snapshot<T>(c: &Connection, f: impl FnOnce(&Connection) -> AppResult<T>) -> AppResult<(i64, T)> {
    c.execute_batch("BEGIN")?;
    let out = store::revision(c).and_then(|rev| Ok((rev, f(c)?)));
    // A read transaction has nothing to lose; end it whatever happened.
    let end = c.execute_batch(if out.is_ok() { "COMMIT" } else { "ROLLBACK" });
    let out = out?;
    end?;
    Ok(out)
}

impl CatalogCache {
    /// A cache whose prices follow `clock` (the shop's, so tests can move it).
    pub fn new(clock: Clock) -> CatalogCache {
        CatalogCache {
            state: Mutex::default(),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Brings the cache to the database's current revision when it may have moved, and
    /// moves the revision on when a promotion has started or ended since it was read.
    async fn sync(&self, db: &Db) -> AppResult<()> {
        let commits = db.commits();
        let now = self.clock.now_sql();
        let ticket = {
            let mut s = self.lock();
            let passed = s.until.as_deref().is_some_and(|u| now.as_str() >= u);
            if !passed
                && s.seen_commits == commits
                && s.checked.is_some_and(|t| t.elapsed() < EXTERNAL_CHECK)
            {
                return Ok(());
            }
            s.tickets += 1;
            s.tickets
        };
        let at = now.clone();
        let (rev, until) = db
            .read(move |c| snapshot(c, |c| next_change(c, &at)))
            .await?;
        let passed = {
            let s = self.lock();
            s.rev == rev && s.until.as_deref().is_some_and(|u| now.as_str() >= u)
        };
        let (rev, until) = if passed {
            // Prices changed with the clock: a new revision, so whatever was read before
            // this moment is neither served nor stored any more (here or in another process).
            let at = now.clone();
            db.write(move |tx| {
                tx.execute("UPDATE catalog_revision SET rev = rev + 1 WHERE id = 1", [])?;
                snapshot_in(tx, |c| next_change(c, &at))
            })
            .await?
        } else {
            (rev, until)
        };
        let mut s = self.lock();
        if ticket < s.applied {
            return Ok(()); // a look that started later has already been applied
        }
        s.applied = ticket;
        if rev != s.rev {
            s.tree = None;
            s.lists.clear();
            s.totals.clear();
            s.products.clear();
            s.pages.clear();
            s.offers = None;
            s.rev = rev;
        }
        s.until = until;
        s.seen_commits = commits;
        s.checked = Some(Instant::now());
        Ok(())
    }

    /// The promotions running now (as of this revision).
    pub async fn offers(&self, db: &Db) -> AppResult<Arc<Offers>> {
        self.sync(db).await?;
        if let Some(o) = self.lock().offers.clone() {
            return Ok(o);
        }
        let now = self.clock.now_sql();
        let (rev, list) = db
            .read(move |c| snapshot(c, |c| offers_at(c, &now)))
            .await?;
        let offers = Arc::new(Offers { rev, list });
        let mut s = self.lock();
        if s.rev == rev {
            s.offers = Some(offers.clone());
        }
        Ok(offers)
    }

    pub async fn tree(&self, db: &Db) -> AppResult<Arc<Tree>> {
        self.sync(db).await?;
        if let Some(t) = self.lock().tree.clone() {
            return Ok(t);
        }
        let (rev, rows) = db.read(|c| snapshot(c, store::categories)).await?;
        let tree = Arc::new(Tree::build(rev, rows));
        let mut s = self.lock();
        if s.rev == rev {
            s.tree = Some(tree.clone());
        }
        Ok(tree)
    }

    /// One page of products; `category_ids` already includes the subcategories. The total
    /// is kept per filter (sort and page do not change it), since counting is most of the
    /// work of an uncached page.
    pub async fn list(
        &self,
        db: &Db,
        q: &CatalogQuery,
        category_ids: Option<Vec<i64>>,
    ) -> AppResult<Arc<Listing>> {
        self.sync(db).await?;
        let key = format!("{q:?}|{category_ids:?}");
        let filter_key = format!(
            "{:?}|{:?}|{:?}|{:?}|{}",
            q.q, category_ids, q.min_price, q.max_price, q.in_stock
        );
        let known_total = {
            let s = self.lock();
            if let Some(hit) = s.lists.get(&key) {
                return Ok(hit.clone());
            }
            s.totals.get(&filter_key).copied()
        };
        let q = q.clone();
        let offers = self.offers(db).await?;
        let now = self.clock.now_sql();
        let (rev, (items, total)) = db
            .read(move |c| {
                snapshot(c, |c| {
                    let ids = category_ids.as_deref();
                    let mut fresh = Vec::new();
                    let offers = current(c, &offers, &now, &mut fresh)?;
                    let total = match known_total {
                        Some(t) => t,
                        None => store::count(c, &q, ids, offers)?,
                    };
                    // Past the end there is nothing to read.
                    let items = if q.offset() as u64 >= total {
                        Vec::new()
                    } else {
                        store::page(c, &q, ids, offers)?
                    };
                    Ok((items, total))
                })
            })
            .await?;
        let listing = Arc::new(Listing { rev, items, total });
        let mut s = self.lock();
        if s.rev == rev {
            if s.lists.len() >= MAX_LISTS {
                s.lists.clear();
            }
            if s.totals.len() >= MAX_LISTS {
                s.totals.clear();
            }
            s.lists.insert(key, listing.clone());
            s.totals.insert(filter_key, total);
        }
        Ok(listing)
    }

    /// An active product with its ready images, or None.
    pub async fn product(&self, db: &Db, key: ProductKey) -> AppResult<Option<Arc<ProductView>>> {
        self.sync(db).await?;
        let cache_key = format!("{key:?}");
        if let Some(hit) = self.lock().products.get(&cache_key) {
            return Ok(hit.clone());
        }
        let offers = self.offers(db).await?;
        let now = self.clock.now_sql();
        let (rev, view) = db
            .read(move |c| {
                snapshot(c, |c| {
                    let detail = match &key {
                        ProductKey::Slug(s) => store::product_by_slug(c, s)?,
                        ProductKey::Id(id) => store::product_by_id(c, *id)?,
                    };
                    match detail {
                        Some(mut detail) => {
                            let mut fresh = Vec::new();
                            detail.card.promote(current(c, &offers, &now, &mut fresh)?);
                            let images = store::images(c, detail.card.id)?;
                            Ok(Some(ProductView {
                                rev: 0,
                                detail,
                                images,
                            }))
                        }
                        None => Ok(None),
                    }
                })
            })
            .await?;
        let view = view.map(|v| Arc::new(ProductView { rev, ..v }));
        let mut s = self.lock();
        if s.rev == rev {
            if s.products.len() >= MAX_PRODUCTS {
                s.products.clear();
            }
            s.products.insert(cache_key, view.clone());
        }
        Ok(view)
    }
}

impl CatalogCache {
    /// A rendered page for `key`, if one was stored for the current revision.
    pub async fn page(&self, db: &Db, key: &str) -> AppResult<Option<Arc<String>>> {
        self.sync(db).await?;
        Ok(self.lock().pages.get(key).cloned())
    }

    /// Keeps a rendered page, if every piece of data it shows (read at `revs`) is current.
    pub fn store_page(&self, key: String, revs: &[i64], html: Arc<String>) {
        let mut s = self.lock();
        if revs.iter().all(|&r| r == s.rev) {
            if s.pages.len() >= MAX_PAGES {
                s.pages.clear();
            }
            s.pages.insert(key, html);
        }
    }
}

/// Fills the visitor's CSRF token into a page rendered with `CSRF_HOLE`; a page without a
/// form has no hole and is only copied.
pub fn fill_holes(html: &str, csrf: &str) -> String {
    if html.contains(CSRF_HOLE) {
        html.replace(CSRF_HOLE, csrf)
    } else {
        html.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("shop.db")).unwrap();
        db.write_blocking(|tx| {
            tx.execute_batch(
                "INSERT INTO categories (id, slug, name) VALUES (1, 'mugs', 'Mugs');
                 INSERT INTO products (slug, sku, name, price, stock, category_id, status)
                 VALUES ('blue-mug', 'M1', 'Blue Mug', 1200, 3, 1, 'active');",
            )?;
            Ok(())
        })
        .unwrap();
        (dir, db)
    }

    #[rocket::async_test]
    async fn a_change_made_here_shows_at_once() {
        let (_dir, db) = shop();
        let cache = CatalogCache::default();
        let q = CatalogQuery::default();
        assert_eq!(cache.list(&db, &q, None).await.unwrap().total, 1);
        assert!(cache
            .product(&db, ProductKey::Slug("blue-mug".into()))
            .await
            .unwrap()
            .is_some());
        db.write_blocking(|tx| {
            tx.execute(
                "UPDATE products SET status = 'draft' WHERE slug = 'blue-mug'",
                [],
            )?;
            Ok(())
        })
        .unwrap();
        assert_eq!(cache.list(&db, &q, None).await.unwrap().total, 0);
        assert!(cache
            .product(&db, ProductKey::Slug("blue-mug".into()))
            .await
            .unwrap()
            .is_none());
    }

    #[rocket::async_test]
    async fn a_write_elsewhere_keeps_the_cache_when_the_catalogue_did_not_change() {
        let (_dir, db) = shop();
        let cache = CatalogCache::default();
        let first = cache.tree(&db).await.unwrap();
        db.write_blocking(|tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('shop.name', 'X')",
                [],
            )?;
            Ok(())
        })
        .unwrap();
        let second = cache.tree(&db).await.unwrap();
        assert!(Arc::ptr_eq(&first, &second), "the same tree is reused");
    }
}
