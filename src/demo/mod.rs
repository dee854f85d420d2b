//! Demo data: a believable shop (category tree, products, pictures) for testers and for the
//! 10,000-product benchmark. Everything is derived from one seed.

mod images;
mod words;

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
use words::{Sub, Top, CLOSERS, COLOURS, TREE};

#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// How many products to add.
    pub products: usize,
    /// Same seed (on the same starting database) => same shop.
    pub seed: u64,
    /// Minor units of the shop currency: EUR 2, JPY 0, KWD 3.
    pub currency_exponent: u32,
}

/// What one call added. `categories` is 0 when the tree was already there.
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
        // The caller will roll back, so the rows naming these files will not exist.
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

struct Plan {
    category_id: i64,
    name: String,
    slug: String,
    sku: String,
    description: String,
    price: i64,
    compare_at: Option<i64>,
    stock: i64,
    sold: i64,
    status: &'static str,
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
    if opts.currency_exponent > 9 {
        return Err(format!("currency exponent {} is too large (0-9)", opts.currency_exponent));
    }
    let (leaves, categories) = ensure_categories(tx)?;
    let start = next_number(tx)?;
    // Mixing in the start number makes a second run on the same database add different
    // products and file names instead of repeating the first run.
    let mut rng = StdRng::seed_from_u64(opts.seed ^ start.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).map_err(|e| e.to_string())?;
    let dir = media_dir.join("products");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let max_images = if opts.products <= 500 { 3 } else { 1 };

    let sql = "INSERT INTO products (slug, sku, name, description, price, compare_at_price, stock,
            low_stock_threshold, category_id, status, sold_count, created_at, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 5, ?8, ?9, ?10, ?11, ?12)";
    let mut add_product = tx.prepare_cached(sql).map_err(db)?;
    let sql = "INSERT INTO product_images (product_id, path, status, position, width, height, alt,
            created_at)
        VALUES (?1, ?2, 'ready', ?3, ?4, ?4, ?5, ?6)";
    let mut add_image = tx.prepare_cached(sql).map_err(db)?;

    let mut summary = DemoSummary { categories, products: 0, images: 0 };
    // Leaves are dealt like cards so small shops still have something in every category.
    let mut deck: Vec<usize> = Vec::new();
    while summary.products < opts.products {
        let n = BATCH.min(opts.products - summary.products);
        let mut plans = Vec::with_capacity(n);
        for k in 0..n {
            if deck.is_empty() {
                deck = (0..leaves.len()).collect();
                deck.shuffle(&mut rng);
            }
            let leaf = &leaves[deck.pop().unwrap_or(0)];
            let number = start + (summary.products + k) as u64 + 1;
            plans.push(plan(&mut rng, leaf, number, now, opts.currency_exponent, max_images)?);
        }
        let looks: Vec<Look> = plans.iter().flat_map(|p| p.looks.iter().copied()).collect();
        let mut pngs = render_all(&looks)?.into_iter();
        for p in &plans {
            add_product
                .execute(params![
                    p.slug, p.sku, p.name, p.description, p.price, p.compare_at, p.stock,
                    p.category_id, p.status, p.sold, p.created, p.updated
                ])
                .map_err(|e| format!("cannot insert product {}: {e}", p.sku))?;
            let id = tx.last_insert_rowid();
            for position in 0..p.looks.len() {
                let png = pngs.next().ok_or("fewer pictures drawn than planned")?;
                let path = write_image(&dir, &png, &mut rng, written)?;
                add_image
                    .execute(params![id, path, position as i64, images::SIZE, p.name, p.created])
                    .map_err(|e| format!("cannot insert image {path}: {e}"))?;
                summary.images += 1;
            }
            summary.products += 1;
        }
    }
    Ok(summary)
}

fn db(e: rusqlite::Error) -> String {
    format!("database error: {e}")
}

/// Inserts the tree where missing and returns the leaves with their ids, plus how many
/// categories were new.
fn ensure_categories(tx: &Transaction<'_>) -> Result<(Vec<Leaf>, usize), String> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO categories (parent_id, slug, name, description, position)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(slug) DO NOTHING",
        )
        .map_err(db)?;
    let mut find = tx.prepare_cached("SELECT id FROM categories WHERE slug = ?1").map_err(db)?;
    let mut upsert = |parent: Option<i64>, name: &str, about: &str, position: usize| {
        let slug = slugify(name);
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
    let sql = "SELECT max(
            coalesce((SELECT max(id) FROM products), 0),
            coalesce((SELECT max(CAST(substr(sku, 9) AS INTEGER)) FROM products
                      WHERE sku GLOB '[A-Z][A-Z][A-Z]-[A-Z][A-Z][A-Z]-[0-9]*'), 0))";
    let n: i64 = tx.prepare_cached(sql).and_then(|mut s| s.query_row([], |r| r.get(0))).map_err(db)?;
    Ok(n.max(0) as u64)
}

fn pick<'a, R: Rng>(rng: &mut R, from: &[&'a str]) -> &'a str {
    from[rng.gen_range(0..from.len())]
}

fn plan(
    rng: &mut StdRng,
    leaf: &Leaf,
    number: u64,
    now: OffsetDateTime,
    exponent: u32,
    max_images: usize,
) -> Result<Plan, String> {
    let sub = leaf.sub;
    let (adj, noun) = (pick(rng, sub.adjs), pick(rng, sub.nouns));
    let size = (!sub.sizes.is_empty()).then(|| pick(rng, sub.sizes));
    let (colour, rgb) = COLOURS[rng.gen_range(0..COLOURS.len())];
    let colour = sub.colours.then_some(colour);
    let mut name = format!("{adj} {noun}");
    if let Some(size) = size {
        name = format!("{name} {size}");
    }
    if let Some(colour) = colour {
        name = format!("{name} – {colour}");
    }
    let description = describe(rng, leaf.top, sub, &format!("{adj} {noun}"), size, colour);

    // Prices end like real ones (.00, .50, .95, .99) before conversion to minor units.
    let cents = rng.gen_range(sub.price.0..=sub.price.1) as u64 * 100
        + [0, 0, 50, 90, 95, 99, 99][rng.gen_range(0..7)];
    let price = to_minor(cents, exponent);
    let compare_at = if rng.gen_bool(0.2) {
        let higher = (cents as f64 * rng.gen_range(1.10..1.40) / 50.0).ceil() as u64 * 50;
        Some(to_minor(higher, exponent)).filter(|&c| c > price)
    } else {
        None
    };
    let stock = match rng.gen_range(0..100) {
        0..=7 => 0,
        8..=17 => rng.gen_range(1..=4),
        _ => 5 + (rng.gen::<f64>().powi(2) * 195.0).round() as i64,
    };
    let sold = (rng.gen::<f64>().powi(3) * 500.0).round() as i64;
    let status = match rng.gen_range(0..100) {
        0..=91 => "active",
        92..=96 => "draft",
        _ => "archived",
    };
    let age = rng.gen_range(0..365 * 86_400);
    let created = now - Duration::seconds(age);
    let updated = if rng.gen_bool(0.6) { created + Duration::seconds(rng.gen_range(0..=age)) } else { created };

    let count = rng.gen_range(1..=max_images);
    let first = rng.gen_range(0..leaf.top.palette.len());
    let looks = (0..count)
        .map(|k| Look {
            background: leaf.top.palette[(first + k) % leaf.top.palette.len()],
            colour: rgb,
            shape: sub.shape,
            variant: rng.gen(),
        })
        .collect();
    Ok(Plan {
        category_id: leaf.id,
        slug: format!("{}-{number}", slugify(&name)),
        sku: format!("{}-{}-{number:05}", leaf.top.code, sub.code),
        name,
        description,
        price,
        compare_at,
        stock,
        sold,
        status,
        created: stamp(created)?,
        updated: stamp(updated)?,
        looks,
    })
}

/// Two to four sentences: what it is for, a category detail, then maybe variant and closer.
fn describe(
    rng: &mut StdRng,
    top: &Top,
    sub: &Sub,
    base: &str,
    size: Option<&str>,
    colour: Option<&str>,
) -> String {
    let intro = format!("The {base} {}. {}", pick(rng, sub.uses), pick(rng, top.details));
    let mut more = Vec::new();
    match (colour, size) {
        (Some(c), _) if rng.gen_bool(0.5) => more.push(format!("Shown here in {c}.")),
        (_, Some(s)) if rng.gen_bool(0.5) => more.push(format!("Size: {s}.")),
        _ => {}
    }
    if rng.gen_bool(0.5) {
        more.push(pick(rng, CLOSERS).to_string());
    }
    if more.is_empty() {
        intro
    } else {
        format!("{intro}\n\n{}", more.join(" "))
    }
}

/// Converts cents of a major unit into minor units; below two decimals it rounds half up.
fn to_minor(cents: u64, exponent: u32) -> i64 {
    let v = if exponent >= 2 {
        cents * 10u64.pow(exponent - 2)
    } else {
        (cents * 10u64.pow(exponent) + 50) / 100
    };
    v as i64
}

fn stamp(t: OffsetDateTime) -> Result<String, String> {
    t.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
        .map_err(|e| format!("cannot format time: {e}"))
}

/// Lower-case ASCII slug: common Latin accents transliterated, other letters dropped,
/// apostrophes removed ("Chef's" -> "chefs"), everything else a single dash.
fn slugify(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for ch in s.chars().flat_map(char::to_lowercase) {
        let ascii = match ch {
            'a'..='z' | '0'..='9' => ch.encode_utf8(&mut [0; 4]).to_string(),
            'à'..='å' => "a".into(),
            'æ' => "ae".into(),
            'ç' => "c".into(),
            'è'..='ë' => "e".into(),
            'ì'..='ï' => "i".into(),
            'ñ' => "n".into(),
            'ò'..='ö' | 'ø' => "o".into(),
            'œ' => "oe".into(),
            'ù'..='ü' => "u".into(),
            'ý' | 'ÿ' => "y".into(),
            'ß' => "ss".into(),
            '\'' | '’' => continue,
            c if c.is_alphanumeric() => continue,
            _ => {
                dash = !out.is_empty();
                continue;
            }
        };
        if dash {
            out.push('-');
            dash = false;
        }
        out.push_str(&ascii);
    }
    if out.is_empty() {
        out.push_str("item");
    }
    out
}

/// Draws and encodes pictures on every core; results keep the order of `looks`.
fn render_all(looks: &[Look]) -> Result<Vec<Vec<u8>>, String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = looks.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let workers: Vec<_> = looks
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(images::render_png).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(looks.len());
        for w in workers {
            for png in w.join().map_err(|_| "picture drawing thread panicked".to_string())? {
                out.push(png?);
            }
        }
        Ok(out)
    })
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
        let name: String = (0..12).map(|_| format!("{:02x}", rng.gen::<u8>())).collect();
        let path = dir.join(format!("{name}.png"));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                written.push(path.clone());
                file.write_all(png)
                    .map_err(|e| format!("cannot write image {}: {e}", path.display()))?;
                return Ok(format!("products/{name}.png"));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot write image {}: {e}", path.display())),
        }
    }
    Err(format!("cannot find a free image name in {}", dir.display()))
}

pub mod shop;
pub use shop::{demo_shop, fill_db};
