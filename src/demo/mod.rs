//! Demo data: a believable shop (category tree, products, pictures) for testers and for the
//! 10,000-product benchmark. Everything is derived from one seed.

mod images;
pub mod shop;
pub(crate) mod words;

pub use shop::{demo_shop, fill_db};

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rusqlite::{params, Transaction};
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

use images::Look;
use words::{Sub, Top, TREE};

#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// How many products to add.
    pub products: usize,
    /// Same seed (on the same starting database) => same shop.
    pub seed: u64,
    /// Minor units of the shop currency: EUR 2, JPY 0, KWD 3.
    pub currency_exponent: u32,
}

/// What one call added; `categories` is 0 when the tree was already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoSummary {
    pub categories: usize,
    pub products: usize,
    pub images: usize,
}

/// Products planned, drawn and written per batch: bounds memory, keeps every core drawing.
const BATCH: usize = 256;

/// Adds a two-level category tree (if missing) and `products` products with images.
/// The caller owns the transaction. `media_dir` is the shop's media folder; images go
/// under `media_dir/products/`.
pub fn fill(
    tx: &Transaction<'_>,
    media_dir: &Path,
    opts: &DemoOptions,
) -> Result<DemoSummary, String> {
    let mut written = Vec::new();
    let result = fill_inner(tx, media_dir, opts, &mut written);
    if result.is_err() {
        // The caller will roll back, so no row will name these files.
        for path in &written {
            let _ = fs::remove_file(path);
        }
    }
    result
}

struct Leaf {
    top: &'static Top,
    sub: &'static Sub,
    id: i64,
}

/// One product's row, ready to insert, and the pictures to draw for it.
struct Plan {
    slug: String,
    sku: String,
    name: String,
    description: String,
    price: i64,
    compare_at: Option<i64>,
    stock: i64,
    category: i64,
    status: &'static str,
    sold: i64,
    created: String,
    updated: String,
    looks: Vec<Look>,
}

fn fill_inner(
    tx: &Transaction<'_>,
    media_dir: &Path,
    opts: &DemoOptions,
    written: &mut Vec<PathBuf>,
) -> Result<DemoSummary, String> {
    let exponent = opts.currency_exponent;
    if exponent > 9 {
        return Err(format!("currency exponent {exponent} is too large (0-9)"));
    }
    let (leaves, categories) = ensure_categories(tx)?;
    let start = next_number(tx)?;
    // Mixing in the start number makes a second run on the same database add new products
    // and file names instead of repeating the first run.
    let mut rng = StdRng::seed_from_u64(opts.seed ^ start.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .map_err(|e| e.to_string())?;
    let dir = media_dir.join("products");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let max_images = if opts.products <= 500 { 3 } else { 1 };

    let sql = "INSERT INTO products (slug, sku, name, description, price, compare_at_price, stock,
            category_id, status, sold_count, created_at, updated_at, low_stock_threshold)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 5)";
    let mut add_product = tx.prepare_cached(sql).map_err(db)?;
    let sql = "INSERT INTO product_images (product_id, path, position, alt, created_at, status,
            width, height)
        VALUES (?1, ?2, ?3, ?4, ?5, 'ready', ?6, ?6)";
    let mut add_image = tx.prepare_cached(sql).map_err(db)?;

    let mut sum = DemoSummary {
        categories,
        products: 0,
        images: 0,
    };
    // Leaves are dealt like cards, so even a small shop has something in every category.
    let mut deck: Vec<usize> = Vec::new();
    while sum.products < opts.products {
        let mut plans = Vec::with_capacity(BATCH);
        while plans.len() < BATCH && sum.products + plans.len() < opts.products {
            if deck.is_empty() {
                deck = (0..leaves.len()).collect();
                deck.shuffle(&mut rng);
            }
            let leaf = &leaves[deck.pop().unwrap_or(0)];
            let number = start + (sum.products + plans.len()) as u64 + 1;
            plans.push(plan(&mut rng, leaf, number, now, exponent, max_images)?);
        }
        let looks: Vec<Look> = plans.iter().flat_map(|p| p.looks.iter().copied()).collect();
        let mut pngs = images::render_all(&looks)?.into_iter();
        for p in &plans {
            let row = params![
                p.slug,
                p.sku,
                p.name,
                p.description,
                p.price,
                p.compare_at,
                p.stock,
                p.category,
                p.status,
                p.sold,
                p.created,
                p.updated
            ];
            let cannot = |e| format!("cannot insert product {}: {e}", p.sku);
            add_product.execute(row).map_err(cannot)?;
            let id = tx.last_insert_rowid();
            for position in 0..p.looks.len() as i64 {
                let png = pngs.next().ok_or("fewer pictures drawn than planned")?;
                let path = write_image(&dir, &png, &mut rng, written)?;
                add_image
                    .execute(params![id, path, position, p.name, p.created, images::SIZE])
                    .map_err(|e| format!("cannot insert image {path}: {e}"))?;
                sum.images += 1;
            }
            sum.products += 1;
        }
    }
    Ok(sum)
}

fn db(e: rusqlite::Error) -> String {
    format!("database error: {e}")
}

/// Inserts the tree where missing; returns the leaves with their ids and how many
/// categories were new.
fn ensure_categories(tx: &Transaction<'_>) -> Result<(Vec<Leaf>, usize), String> {
    let sql = "INSERT INTO categories (parent_id, slug, name, description, position)
        VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(slug) DO NOTHING";
    let mut insert = tx.prepare_cached(sql).map_err(db)?;
    let mut find = tx
        .prepare_cached("SELECT id FROM categories WHERE slug = ?1")
        .map_err(db)?;
    let mut upsert = |parent: Option<i64>, name: &str, about: &str, position: usize| {
        let slug = words::slugify(name);
        let added = insert
            .execute(params![parent, slug, name, about, position as i64])
            .map_err(|e| format!("cannot insert category {slug}: {e}"))?;
        let id: i64 = find.query_row([&slug], |r| r.get(0)).map_err(db)?;
        Ok::<_, String>((id, added))
    };
    let (mut leaves, mut added) = (Vec::new(), 0);
    for (i, top) in TREE.iter().enumerate() {
        let (top_id, n) = upsert(None, top.name, top.about, i)?;
        added += n;
        for (j, sub) in top.subs.iter().enumerate() {
            let (id, n) = upsert(Some(top_id), sub.name, sub.about, j)?;
            added += n;
            leaves.push(Leaf { top, sub, id });
        }
    }
    Ok((leaves, added))
}

/// The number after which this run's SKUs and slugs start: past every product id and every
/// earlier demo SKU, so repeated runs never collide.
fn next_number(tx: &Transaction<'_>) -> Result<u64, String> {
    let sql = "SELECT max(coalesce((SELECT max(id) FROM products), 0),
        coalesce((SELECT max(CAST(substr(sku, 9) AS INTEGER)) FROM products
                  WHERE sku GLOB '[A-Z][A-Z][A-Z]-[A-Z][A-Z][A-Z]-[0-9]*' AND length(sku) < 20), 0))";
    let mut stmt = tx.prepare_cached(sql).map_err(db)?;
    let n: i64 = stmt.query_row([], |r| r.get(0)).map_err(db)?;
    Ok(n.max(0) as u64)
}

fn plan(
    rng: &mut StdRng,
    leaf: &Leaf,
    number: u64,
    now: OffsetDateTime,
    exponent: u32,
    max_images: usize,
) -> Result<Plan, String> {
    let (top, sub) = (leaf.top, leaf.sub);
    let words = words::name_product(rng, top, sub);
    // Prices end like real ones (.00, .50, .95, .99) before conversion to minor units.
    let cents = rng.gen_range(sub.price.0..=sub.price.1) as u64 * 100
        + [0, 0, 50, 90, 95, 99, 99][rng.gen_range(0..7)];
    let price = to_minor(cents, exponent);
    let higher = (cents as f64 * rng.gen_range(1.10..1.40) / 50.0).ceil() as u64 * 50;
    let compare_at = rng
        .gen_bool(0.2)
        .then(|| to_minor(higher, exponent))
        .filter(|&c| c > price);
    let stock = match rng.gen_range(0..100) {
        0..=7 => 0,
        8..=17 => rng.gen_range(1..=4),
        _ => 5 + (rng.gen::<f64>().powi(2) * 195.0).round() as i64,
    };
    let status = match rng.gen_range(0..100) {
        0..=91 => "active",
        92..=96 => "draft",
        _ => "archived",
    };
    let age = rng.gen_range(0..365 * 86_400);
    let created = now - Duration::seconds(age);
    let edited = if rng.gen_bool(0.5) {
        rng.gen_range(0..=age)
    } else {
        0
    };
    let updated = created + Duration::seconds(edited);
    let first = rng.gen_range(0..top.palette.len());
    let looks = (0..rng.gen_range(1..=max_images))
        .map(|k| Look {
            background: top.palette[(first + k) % top.palette.len()],
            colour: words.rgb,
            shape: sub.shape,
            variant: rng.gen(),
        })
        .collect();
    Ok(Plan {
        slug: format!("{}-{number}", words::slugify(&words.name)),
        sku: format!("{}-{}-{number:05}", top.code, sub.code),
        name: words.name,
        description: words.description,
        price,
        compare_at,
        stock,
        category: leaf.id,
        status,
        sold: (rng.gen::<f64>().powi(3) * 500.0).round() as i64,
        created: stamp(created)?,
        updated: stamp(updated)?,
        looks,
    })
}

/// Converts cents of a major unit into minor units; below two decimals it rounds half up.
fn to_minor(cents: u64, exponent: u32) -> i64 {
    let v = match exponent.checked_sub(2) {
        Some(extra) => cents * 10u64.pow(extra),
        None => (cents * 10u64.pow(exponent) + 50) / 100,
    };
    v as i64
}

fn stamp(t: OffsetDateTime) -> Result<String, String> {
    t.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .map_err(|e| format!("cannot format time: {e}"))
}

/// Writes one picture under a fresh random name, never over an existing file, and returns
/// its path relative to the media folder.
fn write_image(
    dir: &Path,
    png: &[u8],
    rng: &mut StdRng,
    written: &mut Vec<PathBuf>,
) -> Result<String, String> {
    for _ in 0..8 {
        let name: String = (0..12)
            .map(|_| format!("{:02x}", rng.gen::<u8>()))
            .collect();
        let path = dir.join(format!("{name}.png"));
        let cannot = |e| format!("cannot write image {}: {e}", path.display());
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                written.push(path.clone());
                file.write_all(png).map_err(cannot)?;
                return Ok(format!("products/{name}.png"));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(cannot(e)),
        }
    }
    Err(format!(
        "cannot find a free image name in {}",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    type Res = Result<(), Box<dyn std::error::Error>>;
    const TREE_SIZE: i64 = 40; // 8 top-level categories, 32 subcategories
    const EUR: u32 = 2;

    fn shop() -> Result<(Connection, tempfile::TempDir), Box<dyn std::error::Error>> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch("PRAGMA foreign_keys = ON;")?;
        conn.execute_batch(include_str!("../../schema.sql"))?;
        Ok((conn, tempfile::tempdir()?))
    }

    fn run(conn: &mut Connection, media: &Path, products: usize, seed: u64) -> DemoSummary {
        let tx = conn.transaction().unwrap();
        let summary = fill(&tx, media, &opts(products, seed)).unwrap();
        tx.commit().unwrap();
        summary
    }

    fn opts(products: usize, seed: u64) -> DemoOptions {
        DemoOptions {
            products,
            seed,
            currency_exponent: EUR,
        }
    }

    fn one(conn: &Connection, sql: &str) -> rusqlite::Result<i64> {
        conn.query_row(sql, [], |r| r.get(0))
    }

    fn strings(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<String>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect()
    }

    #[test]
    fn fills_a_consistent_shop() -> Res {
        let (mut conn, media) = shop()?;
        let sum = run(&mut conn, media.path(), 40, 7);
        assert_eq!((sum.categories as i64, sum.products), (TREE_SIZE, 40));
        assert!((40..=120).contains(&sum.images), "{sum:?}");
        assert_eq!(one(&conn, "SELECT count(*) FROM products")?, 40);
        let sql = "SELECT count(*) FROM products p JOIN categories c ON c.id = p.category_id
            JOIN categories t ON t.id = c.parent_id WHERE t.parent_id IS NULL";
        assert_eq!(one(&conn, sql)?, 40, "every product is in a subcategory");
        // Slugs are checked by the schema's CHECKs; file names, SKUs, prices and times here.
        let name = format!("products/{}.png", "[0-9a-f]".repeat(24));
        let sql = "SELECT count(*) FROM product_images i JOIN products p ON p.id = i.product_id
            WHERE i.status = 'ready' AND i.width = 480 AND i.height = 480 AND i.alt = p.name
            AND i.path GLOB ?1";
        assert_eq!(
            conn.query_row(sql, [name], |r| r.get::<_, i64>(0))?,
            sum.images as i64
        );
        for path in strings(&conn, "SELECT path FROM product_images")? {
            let bytes = fs::read(media.path().join(&path))?;
            let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)?;
            assert_eq!((img.width(), img.height()), (480, 480));
        }
        let sql = "SELECT count(*) FROM products WHERE price > 0
            AND coalesce(compare_at_price > price, 1) AND stock >= 0 AND low_stock_threshold = 5
            AND sku GLOB '[A-Z][A-Z][A-Z]-[A-Z][A-Z][A-Z]-[0-9][0-9][0-9][0-9][0-9]'
            AND created_at GLOB '2[0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z'
            AND created_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-366 days')
            AND updated_at >= created_at AND length(updated_at) = 20";
        assert_eq!(one(&conn, sql)?, 40);
        Ok(())
    }

    #[test]
    fn search_finds_a_product_by_a_word_of_its_name() -> Res {
        let (mut conn, media) = shop()?;
        run(&mut conn, media.path(), 40, 3);
        let sql = "SELECT id, name FROM products ORDER BY id DESC LIMIT 1";
        let (id, name): (i64, String) = conn.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let word = name
            .split(' ')
            .find(|w| w.len() > 2 && w.chars().all(char::is_alphabetic));
        let query = format!("\"{}\"", word.ok_or("no word")?);
        let mut stmt = conn.prepare("SELECT rowid FROM products_fts WHERE products_fts MATCH ?")?;
        let hits: Vec<i64> = stmt
            .query_map([query], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        assert!(hits.contains(&id), "{name}: {hits:?}");
        Ok(())
    }

    #[test]
    fn second_run_adds_products_and_reuses_categories() -> Res {
        let (mut conn, media) = shop()?;
        let first = run(&mut conn, media.path(), 40, 7);
        let second = run(&mut conn, media.path(), 40, 7);
        assert_eq!((second.categories, second.products), (0, 40));
        let count = |sql: &str| one(&conn, sql);
        assert_eq!(
            count("SELECT count(DISTINCT slug) FROM categories")?,
            TREE_SIZE
        );
        assert_eq!(count("SELECT count(*) FROM categories")?, TREE_SIZE);
        assert_eq!(count("SELECT count(DISTINCT sku) FROM products")?, 80);
        let images = (first.images + second.images) as i64;
        assert_eq!(
            count("SELECT count(DISTINCT path) FROM product_images")?,
            images
        );
        let files = fs::read_dir(media.path().join("products"))?.count();
        assert_eq!(files as i64, images);
        Ok(())
    }

    #[test]
    fn same_seed_gives_the_same_shop() -> Res {
        let shop_of = |seed| -> Result<Vec<String>, Box<dyn std::error::Error>> {
            let (mut conn, media) = shop()?;
            run(&mut conn, media.path(), 20, seed);
            let sql = "SELECT name || sku || price || stock || description FROM products";
            Ok(strings(&conn, &format!("{sql} ORDER BY id"))?)
        };
        assert_eq!(shop_of(11)?, shop_of(11)?);
        assert_ne!(shop_of(11)?, shop_of(12)?);
        Ok(())
    }

    #[test]
    fn mix_of_prices_stock_and_status_is_plausible() -> Res {
        assert_eq!(
            [0, 1, 2, 3].map(|e| to_minor(1250, e)),
            [13, 125, 1250, 12500]
        );
        let mut rng = StdRng::seed_from_u64(1);
        let (top, sub) = (&TREE[0], &TREE[0].subs[0]);
        let leaf = Leaf { top, sub, id: 1 };
        let now = OffsetDateTime::now_utc();
        let mut plans = Vec::new();
        for n in 0..4000 {
            plans.push(plan(&mut rng, &leaf, n, now, 0, 1)?);
        }
        let percent = |f: fn(&Plan) -> bool| plans.iter().filter(|p| f(p)).count() / 40;
        assert!((5..=11).contains(&percent(|p| p.stock == 0)));
        assert!((7..=13).contains(&percent(|p| (1..=4).contains(&p.stock))));
        assert!((15..=25).contains(&percent(|p| p.compare_at.is_some())));
        assert!((89..=95).contains(&percent(|p| p.status == "active")));
        assert_eq!(
            percent(|p| (8..=29).contains(&p.price) && p.looks.len() == 1),
            100
        );
        Ok(())
    }

    #[test]
    fn category_tree_has_two_levels_and_unique_slugs() {
        assert_eq!(words::slugify("Sauté Pan – Crème"), "saute-pan-creme");
        assert_eq!(words::slugify("Chef's Knife 20 cm"), "chefs-knife-20-cm");
        assert!((6..=8).contains(&TREE.len()));
        assert!(TREE.iter().all(|t| (3..=5).contains(&t.subs.len())));
        let names = TREE
            .iter()
            .flat_map(|t| t.subs.iter().map(|s| s.name).chain([t.name]));
        let mut slugs: Vec<String> = names.map(words::slugify).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len() as i64, TREE_SIZE);
    }

    #[test]
    fn unwritable_media_folder_is_an_error() -> Res {
        let (mut conn, media) = shop()?;
        fs::write(media.path().join("products"), b"not a folder")?;
        let tx = conn.transaction()?;
        let err = fill(&tx, media.path(), &opts(3, 1)).unwrap_err();
        assert!(err.starts_with("cannot create"), "{err}");
        Ok(())
    }
}
