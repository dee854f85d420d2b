//! Checkout throughput benchmark (issue 4, "Benchmark"): orders placed per second through
//! the real HTTP checkout — `POST /api/v1/cart/items` then `POST /api/v1/checkout` — at 16
//! keep-alive connections, against the release `cornershop` binary started as a child
//! process on a temporary data dir (the shop's own `synchronous = FULL`), then an oversell
//! check: 16 buyers race for a product with 50 units in stock. A second timed run puts a
//! voucher on every order (a fresh one-use code each), for orders/s beside the first.
//!
//!   cargo bench --bench checkout                      # builds the release binary and this client
//!   BENCH_DURATION=30s cargo bench --bench checkout   # longer timed run
//!
//! Environment: `BENCH_DURATION` (10s; also `500ms`, `2m`, or plain seconds),
//! `BENCH_CONNS` (16), `BENCH_BIN` (the server to run; default the `cornershop` binary
//! cargo built with this client), `BENCH_CHECKOUT_ROWS` (a file to write the report rows
//! to, for benches/bench.sh). Prints a Markdown report; exits 2 when any request got an
//! unexpected answer or the oversell check failed, 1 when the set-up failed.
//!
//! Set-up, not timed: `cornershop admin create` and `cornershop settings set` on the
//! fresh data dir (CAPTCHA off, registration and login limits per IP raised, since every
//! buyer comes from 127.0.0.1), products inserted with SQL before the server starts (the
//! shop has no product CLI), then with the server running each buyer registers through the
//! API, opens the verification link from its queued mail (read from `mail_outbox`), and
//! logs in for a bearer token.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use serde_json::{json, Value};

const TARGET_ORDERS_PER_SEC: f64 = 500.0;
const PASSWORD: &str = "copper-kettle-garden-9";
const OWNER_PW: &str = "tea-kettle-lighthouse-7";
/// Units of each product the timed run buys from: more than it can sell.
const BIG_STOCK: i64 = 100_000_000;
const OVERSELL_STOCK: i64 = 50;
const OVERSELL_NAME: &str = "Last Fifty Mug";
/// Untimed iterations per connection before the clock starts (connections, statement
/// caches and the server's thread pool warmed up).
const WARMUP_ITERATIONS: usize = 5;
/// How many unexpected answers to print in full.
const SHOWN_ERRORS: usize = 5;

type Fail = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("[checkout] set-up failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn log(msg: &str) {
    eprintln!("[checkout] {msg}");
}

// ---------------------------------------------------------------------------------------
// Knobs

fn duration_from_env() -> Result<Duration, Fail> {
    let raw = std::env::var("BENCH_DURATION").unwrap_or_else(|_| "10s".into());
    parse_duration(&raw)
        .ok_or_else(|| format!("BENCH_DURATION={raw}: use e.g. 10s, 500ms, 2m").into())
}

/// `10s`, `500ms`, `2m` or plain seconds (`10`, `2.5`), as wrk and bench.sh take them.
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.trim().parse().ok()?;
    (v > 0.0 && v.is_finite()).then(|| Duration::from_secs_f64(v * scale))
}

fn conns_from_env() -> Result<usize, Fail> {
    match std::env::var("BENCH_CONNS") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=1024).contains(&n) => Ok(n),
            _ => Err(format!("BENCH_CONNS={v}: use a number from 1 to 1024").into()),
        },
        Err(_) => Ok(16),
    }
}

fn server_bin() -> PathBuf {
    match std::env::var_os("BENCH_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        // Cargo builds the package's binaries for its benches and names them here.
        _ => PathBuf::from(env!("CARGO_BIN_EXE_cornershop")),
    }
}

// ---------------------------------------------------------------------------------------
// The server: a child process that is always stopped, whatever happens to us

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(bin: &Path, data: &Path, work: &Path) -> Result<Server, Fail> {
        // A port nobody listens on now (the kernel's choice); the server binds it next.
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let err = fs::File::create(work.join("server.err"))?;
        let mut child = Command::new(bin)
            .arg("--data-dir")
            .arg(data)
            .args(["--port", &port.to_string(), "--no-browser"])
            .env("CORNERSHOP_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        // The server prints "is running at" once it listens; wait for it on a thread so a
        // silent server cannot hang us.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("is running at") {
                    let _ = tx.send(());
                }
            }
        });
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        if rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let err = fs::read_to_string(work.join("server.err")).unwrap_or_default();
            return Err(format!("the server did not start within 30 s: {err}").into());
        }
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A polite stop first (the shop shuts down cleanly on SIGTERM, and a profiler
        // wrapped around it gets to write its data), then a hard one.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system) the process has used, in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields 14 and 15, counted after the ") " that ends the command name.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn cli(bin: &Path, data: &Path, args: &[&str]) -> Result<(), Fail> {
    let out = Command::new(bin)
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env("CORNERSHOP_LOG", "warn")
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "cornershop {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// HTTP

/// One answer: its status (0 when the request itself failed) and body.
struct Answer {
    status: u16,
    body: String,
}

fn agent() -> ureq::Agent {
    // One agent per buyer: its one keep-alive connection is reused for every request.
    ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(60))
        .max_idle_connections_per_host(1)
        .build()
}

fn answer(r: Result<ureq::Response, ureq::Error>) -> Answer {
    match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => Answer {
            status: r.status(),
            body: r.into_string().unwrap_or_default(),
        },
        Err(e) => Answer {
            status: 0,
            body: e.to_string(),
        },
    }
}

fn send(
    a: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = a.request(method, url);
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    if let Some(k) = key {
        req = req.set("Idempotency-Key", k);
    }
    answer(match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    })
}

fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(String::from))
        .unwrap_or_default()
}

/// Unexpected answers: how many, and the first few in full.
#[derive(Default)]
struct Errors {
    count: u64,
    shown: Vec<String>,
}

impl Errors {
    fn note(&mut self, what: &str, a: &Answer) {
        self.count += 1;
        if self.shown.len() < SHOWN_ERRORS {
            let body: String = a.body.chars().take(400).collect();
            self.shown.push(format!("{what}: {} {body}", a.status));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Set-up

struct Shop {
    /// The products the timed run buys, one per connection (by its number, cyclically).
    products: Vec<i64>,
    oversell: i64,
}

fn add_products(db: &Path, count: usize) -> Result<Shop, Fail> {
    let c = Connection::open(db)?;
    c.busy_timeout(Duration::from_secs(5))?;
    let insert = |slug: &str, name: &str, stock: i64| -> rusqlite::Result<i64> {
        c.execute(
            "INSERT INTO products (slug, sku, name, description, price, stock, status)
             VALUES (?1, upper(?1), ?2, 'For the checkout benchmark.', 1250, ?3, 'active')",
            rusqlite::params![slug, name, stock],
        )?;
        Ok(c.last_insert_rowid())
    };
    let products = (1..=count)
        .map(|i| {
            insert(
                &format!("bench-mug-{i}"),
                &format!("Bench Mug {i}"),
                BIG_STOCK,
            )
        })
        .collect::<rusqlite::Result<_>>()?;
    let oversell = insert("last-fifty-mug", OVERSELL_NAME, OVERSELL_STOCK)?;
    Ok(Shop { products, oversell })
}

/// Registers a buyer through the API, opens the verification link of its mail and logs
/// in; returns the bearer token.
fn buyer(base: &str, db: &Connection, i: usize) -> Result<String, Fail> {
    let a = agent();
    let email = format!("buyer{i}@bench.test");
    let res = send(
        &a,
        "POST",
        &format!("{base}/api/v1/auth/register"),
        None,
        None,
        Some(json!({
            "email": email, "password": PASSWORD, "first_name": "Bench",
            "last_name": format!("Buyer {i}"), "country_code": "BG", "phone": "0888 123 456",
        })),
    );
    if res.status != 201 {
        return Err(format!("register {email}: {} {}", res.status, res.body).into());
    }
    // The verification mail is queued in the same transaction as the account.
    let text: String = db.query_row(
        "SELECT text_body FROM mail_outbox WHERE to_address = ?1 ORDER BY id DESC LIMIT 1",
        [&email],
        |r| r.get(0),
    )?;
    let at = text
        .find("/account/verify?token=")
        .ok_or_else(|| format!("no verification link in the mail to {email}"))?;
    let end = text[at..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .map_or(text.len(), |e| at + e);
    let res = send(
        &a,
        "GET",
        &format!("{base}{}", &text[at..end]),
        None,
        None,
        None,
    );
    if res.status != 303 {
        return Err(format!("verify {email}: {} {}", res.status, res.body).into());
    }
    let res = send(
        &a,
        "POST",
        &format!("{base}/api/v1/auth/login"),
        None,
        None,
        Some(json!({ "email": email, "password": PASSWORD })),
    );
    let token = serde_json::from_str::<Value>(&res.body)
        .ok()
        .and_then(|v| v["token"].as_str().map(String::from));
    match (res.status, token) {
        (200, Some(t)) => Ok(t),
        _ => Err(format!("login {email}: {} {}", res.status, res.body).into()),
    }
}

// ---------------------------------------------------------------------------------------
// The timed run

/// One order: one unit of the product into the cart, then confirm (local pickup, bank
/// transfer, with `voucher` when given). Anything but 200 then 201 is returned with the
/// step that got it.
fn one_order(
    a: &ureq::Agent,
    base: &str,
    token: &str,
    product: i64,
    key: &str,
    voucher: Option<&str>,
) -> Result<(), (&'static str, Answer)> {
    let add = send(
        a,
        "POST",
        &format!("{base}/api/v1/cart/items"),
        Some(token),
        None,
        Some(json!({ "product_id": product, "quantity": 1 })),
    );
    if add.status != 200 {
        return Err(("cart add", add));
    }
    let mut body = json!({ "shipping_method": "pickup", "payment_method": "bank_transfer" });
    if let Some(code) = voucher {
        body["voucher_code"] = json!(code);
    }
    let res = send(
        a,
        "POST",
        &format!("{base}/api/v1/checkout"),
        Some(token),
        Some(key),
        Some(body),
    );
    if res.status != 201 {
        return Err(("checkout", res));
    }
    Ok(())
}

/// Empties a buyer's cart (after a failed iteration, so the next one buys one unit).
fn empty_cart(a: &ureq::Agent, base: &str, token: &str) {
    let cart = send(
        a,
        "GET",
        &format!("{base}/api/v1/cart"),
        Some(token),
        None,
        None,
    );
    let items = serde_json::from_str::<Value>(&cart.body)
        .ok()
        .and_then(|v| v["items"].as_array().cloned())
        .unwrap_or_default();
    for item in items {
        if let Some(id) = item["product_id"].as_i64() {
            send(
                a,
                "DELETE",
                &format!("{base}/api/v1/cart/items/{id}"),
                Some(token),
                None,
                None,
            );
        }
    }
}

struct Timed {
    orders: u64,
    warmup_orders: u64,
    /// Full iterations (cart add + checkout) that placed an order.
    latencies: Vec<Duration>,
    elapsed: Duration,
    errors: Errors,
    server_cpu: Option<f64>,
}

/// The timed run; with `vouchers`, buyer i uses `vouchers[i]` one code per order (a
/// buyer whose codes run out stops early).
fn timed_run(
    base: &str,
    tokens: &[String],
    products: &[i64],
    duration: Duration,
    server_pid: u32,
    vouchers: Option<&[Vec<String>]>,
) -> Timed {
    let n = tokens.len();
    // Everyone warms up, then waits here; the main thread starts the clock between the two.
    let ready = Arc::new(Barrier::new(n + 1));
    let go = Arc::new(Barrier::new(n + 1));
    let start_at = Arc::new(Mutex::new(Instant::now()));
    let errors = Arc::new(Mutex::new(Errors::default()));
    let handles: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let (base, token) = (base.to_string(), token.clone());
            let product = products[i % products.len()];
            let (ready, go, start_at, errors) =
                (ready.clone(), go.clone(), start_at.clone(), errors.clone());
            let codes: Option<Vec<String>> = vouchers.map(|v| v[i].clone());
            let tag = if codes.is_some() { "v" } else { "" };
            thread::spawn(move || {
                let a = agent();
                let mut used = 0;
                let mut code = || match &codes {
                    None => Some(None),
                    Some(c) => {
                        used += 1;
                        c.get(used - 1).map(|s| Some(s.clone()))
                    }
                };
                let mut warm = 0;
                for k in 0..WARMUP_ITERATIONS {
                    let Some(voucher) = code() else { break };
                    match one_order(
                        &a,
                        &base,
                        &token,
                        product,
                        &format!("warm{tag}-{i}-{k}"),
                        voucher.as_deref(),
                    ) {
                        Ok(()) => warm += 1,
                        Err((what, ans)) => {
                            errors
                                .lock()
                                .unwrap()
                                .note(&format!("warm-up {what}"), &ans);
                            empty_cart(&a, &base, &token);
                        }
                    }
                }
                ready.wait();
                go.wait();
                let deadline = *start_at.lock().unwrap() + duration;
                let mut lat = Vec::with_capacity(4096);
                let mut k = 0u64;
                while Instant::now() < deadline {
                    let Some(voucher) = code() else { break };
                    let t0 = Instant::now();
                    match one_order(
                        &a,
                        &base,
                        &token,
                        product,
                        &format!("bench{tag}-{i}-{k}"),
                        voucher.as_deref(),
                    ) {
                        Ok(()) => lat.push(t0.elapsed()),
                        Err((what, ans)) => {
                            errors.lock().unwrap().note(what, &ans);
                            empty_cart(&a, &base, &token);
                        }
                    }
                    k += 1;
                }
                (warm, lat)
            })
        })
        .collect();
    ready.wait();
    let cpu0 = cpu_seconds(server_pid);
    let t0 = Instant::now();
    *start_at.lock().unwrap() = t0;
    go.wait();
    let mut latencies = Vec::new();
    let mut warmup_orders = 0;
    for h in handles {
        let (warm, lat) = h.join().expect("a buyer thread panicked");
        warmup_orders += warm;
        latencies.extend(lat);
    }
    // Until the last iteration begun before the deadline has finished.
    let elapsed = t0.elapsed();
    let server_cpu = cpu0.zip(cpu_seconds(server_pid)).map(|(a, b)| b - a);
    latencies.sort();
    let errors = Arc::try_unwrap(errors)
        .ok()
        .expect("threads are done")
        .into_inner()
        .unwrap();
    Timed {
        orders: latencies.len() as u64,
        warmup_orders,
        latencies,
        elapsed,
        errors,
        server_cpu,
    }
}

/// Enough one-use vouchers for anyone (10 % off, valid a year) for `buyers` buyers: one
/// list of codes per buyer, inserted with SQL while the server runs (set-up, not timed).
fn add_vouchers(db: &Connection, buyers: usize) -> Result<Vec<Vec<String>>, Fail> {
    const PER_BUYER: usize = 4_000;
    let mut all = Vec::with_capacity(buyers);
    db.execute_batch("BEGIN")?;
    {
        let mut add = db.prepare(
            "INSERT INTO vouchers (code, kind, value, valid_from, valid_to)
             VALUES (?1, 'percent', 10, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 day'),
                     strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+1 year'))",
        )?;
        for b in 0..buyers {
            let codes: Vec<String> = (0..PER_BUYER)
                .map(|k| format!("BENCH{b:03}X{k:05}"))
                .collect();
            for c in &codes {
                add.execute([c])?;
            }
            all.push(codes);
        }
    }
    db.execute_batch("COMMIT")?;
    Ok(all)
}

/// Nearest-rank percentile of sorted latencies, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1].as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------------------
// Oversell

#[derive(Default)]
struct Race {
    orders: u64,
    /// Buyers refused with the out-of-stock message (at cart add or at confirm).
    refused: u64,
    errors: Errors,
}

/// Every buyer keeps buying the last-fifty product, one unit per order, until refused.
fn oversell_run(base: &str, tokens: &[String], product: i64) -> Race {
    let go = Arc::new(Barrier::new(tokens.len()));
    let race = Arc::new(Mutex::new(Race::default()));
    let out_of_stock = format!("'{OVERSELL_NAME}' is out of stock.");
    let handles: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let (base, token, go, race) =
                (base.to_string(), token.clone(), go.clone(), race.clone());
            let out_of_stock = out_of_stock.clone();
            thread::spawn(move || {
                let a = agent();
                empty_cart(&a, &base, &token);
                go.wait();
                for k in 0.. {
                    match one_order(&a, &base, &token, product, &format!("last-{i}-{k}"), None) {
                        Ok(()) => race.lock().unwrap().orders += 1,
                        Err((_, ans))
                            if ans.status == 409 && error_message(&ans.body) == out_of_stock =>
                        {
                            race.lock().unwrap().refused += 1;
                            break;
                        }
                        Err((what, ans)) => {
                            race.lock().unwrap().errors.note(what, &ans);
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a buyer thread panicked");
    }
    Arc::try_unwrap(race)
        .ok()
        .expect("threads are done")
        .into_inner()
        .unwrap()
}

/// What the database says about one product: stock, units sold in order lines, orders
/// with it, and the sum of its stock movements.
fn product_facts(c: &Connection, id: i64) -> rusqlite::Result<(i64, i64, i64, i64)> {
    c.query_row(
        "SELECT (SELECT stock FROM products WHERE id = ?1),
                (SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE product_id = ?1),
                (SELECT count(DISTINCT order_id) FROM order_lines WHERE product_id = ?1),
                (SELECT coalesce(sum(delta), 0) FROM stock_movements WHERE product_id = ?1)",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
}

// ---------------------------------------------------------------------------------------

fn run() -> Result<bool, Fail> {
    let duration = duration_from_env()?;
    let conns = conns_from_env()?;
    let bin = server_bin();
    if !bin.is_file() {
        return Err(format!("no server binary at {}", bin.display()).into());
    }
    let load_before = load_average();
    let work = tempfile::Builder::new()
        .prefix("cornershop-checkout.")
        .tempdir()?;
    let data = work.path().join("data");

    log(&format!(
        "set-up in {} with {}",
        data.display(),
        bin.display()
    ));
    cli(
        &bin,
        &data,
        &[
            "admin",
            "create",
            "--email",
            "owner@bench.test",
            "--password",
            OWNER_PW,
        ],
    )?;
    for (k, v) in [
        ("captcha.enabled", "false"),
        ("security.registrations_per_ip_per_hour", "100000"),
        ("security.logins_per_ip_per_minute", "100000"),
    ] {
        cli(&bin, &data, &["settings", "set", k, v])?;
    }
    let db_path = data.join("shop.db");
    let shop = add_products(&db_path, conns)?;

    let server = Server::start(&bin, &data, work.path())?;
    log(&format!("server {} at {}", server.pid(), server.base));
    let db = Connection::open(&db_path)?;
    db.busy_timeout(Duration::from_secs(5))?;
    let tokens = (1..=conns)
        .map(|i| buyer(&server.base, &db, i))
        .collect::<Result<Vec<_>, _>>()?;
    log(&format!(
        "{conns} buyers registered, verified and logged in"
    ));

    log(&format!(
        "timed run: {conns} connections for {:.1} s (after {WARMUP_ITERATIONS} warm-up orders each)",
        duration.as_secs_f64()
    ));
    let timed = timed_run(
        &server.base,
        &tokens,
        &shop.products,
        duration,
        server.pid(),
        None,
    );
    let per_sec = timed.orders as f64 / timed.elapsed.as_secs_f64();
    let (p50, p99) = (
        percentile_ms(&timed.latencies, 50.0),
        percentile_ms(&timed.latencies, 99.0),
    );
    log(&format!(
        "{} orders in {:.2} s: {per_sec:.0} orders/s, p50 {p50:.2} ms, p99 {p99:.2} ms, {} errors",
        timed.orders,
        timed.elapsed.as_secs_f64(),
        timed.errors.count
    ));

    // The same again with a voucher on every order (10 % off, one code per order).
    let codes = add_vouchers(&db, conns)?;
    log(&format!(
        "timed run with vouchers: {conns} connections for {:.1} s",
        duration.as_secs_f64()
    ));
    let with_vouchers = timed_run(
        &server.base,
        &tokens,
        &shop.products,
        duration,
        server.pid(),
        Some(&codes),
    );
    let v_per_sec = with_vouchers.orders as f64 / with_vouchers.elapsed.as_secs_f64();
    let (v_p50, v_p99) = (
        percentile_ms(&with_vouchers.latencies, 50.0),
        percentile_ms(&with_vouchers.latencies, 99.0),
    );
    log(&format!(
        "{} orders with vouchers: {v_per_sec:.0} orders/s, {} errors",
        with_vouchers.orders, with_vouchers.errors.count
    ));

    log(&format!(
        "oversell: {conns} buyers for the last {OVERSELL_STOCK} units"
    ));
    let race = oversell_run(&server.base, &tokens, shop.oversell);
    let (stock, sold, orders_with, moved) = product_facts(&db, shop.oversell)?;
    log(&format!(
        "{} orders, {} refused; stock {stock}, {sold} units in {orders_with} orders, movements {moved}",
        race.orders, race.refused
    ));

    // Every 201 is one order, and each product's stock is explained by its movements.
    let voucher_orders = with_vouchers.warmup_orders + with_vouchers.orders;
    let created = timed.warmup_orders + timed.orders + voucher_orders + race.orders;
    let in_db: i64 = db.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?;
    let (redeemed, carried): (i64, i64) = db.query_row(
        "SELECT (SELECT count(*) FROM vouchers WHERE order_id IS NOT NULL),
                (SELECT count(*) FROM orders WHERE voucher_id IS NOT NULL AND voucher_discount > 0)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let vouchers_ok = redeemed == voucher_orders as i64 && carried == redeemed;
    let mut books_ok = in_db == created as i64 && vouchers_ok;
    for (&p, initial) in shop
        .products
        .iter()
        .map(|p| (p, BIG_STOCK))
        .chain([(&shop.oversell, OVERSELL_STOCK)])
    {
        let (stock, sold, _, moved) = product_facts(&db, p)?;
        books_ok &= stock == initial - sold && moved == -sold;
    }
    let cpu_per = |t: &Timed| {
        t.server_cpu
            .filter(|_| t.orders > 0)
            .map(|s| format!("{:.0}", s * 1e6 / t.orders as f64))
    };
    let cpu_per_order = cpu_per(&timed);
    let load_after = load_average();
    drop(server);

    let exact = OVERSELL_STOCK;
    let oversell_ok = race.orders as i64 == exact
        && orders_with == exact
        && sold == exact
        && stock == 0
        && moved == -exact
        && race.errors.count == 0;
    let errors_ok =
        timed.errors.count == 0 && with_vouchers.errors.count == 0 && race.errors.count == 0;

    // The report: rows in bench.sh's two tables, and the problems.
    let target = format!("≥ {TARGET_ORDERS_PER_SEC:.0} orders/s");
    let verdict = if per_sec >= TARGET_ORDERS_PER_SEC && timed.errors.count == 0 {
        format!("PASS ({target})")
    } else {
        format!("MISS ({target})")
    };
    let errors_cell = if timed.errors.count == 0 {
        "ok".to_string()
    } else {
        format!("**ERRORS: {} unexpected answers**", timed.errors.count)
    };
    let http_row = format!(
        "| Checkout: cart add + confirm (**orders/s**, latency per order) | `POST /api/v1/cart/items` + `POST /api/v1/checkout` | warn | {conns} | {per_sec:.0} | {p50:.2} | {p99:.2} | {} | {} | {errors_cell} | {verdict} |",
        cpu_per_order.as_deref().unwrap_or("—"),
        timed.orders
    );
    let v_errors_cell = if with_vouchers.errors.count == 0 {
        "ok".to_string()
    } else {
        format!(
            "**ERRORS: {} unexpected answers**",
            with_vouchers.errors.count
        )
    };
    let voucher_row = format!(
        "| Checkout with a voucher (10 % off, a fresh code per order) | `POST /api/v1/cart/items` + `POST /api/v1/checkout` with `voucher_code` | warn | {conns} | {v_per_sec:.0} | {v_p50:.2} | {v_p99:.2} | {} | {} | {v_errors_cell} | — |",
        cpu_per(&with_vouchers).as_deref().unwrap_or("—"),
        with_vouchers.orders
    );
    let oversell_row = format!(
        "| Oversell: {conns} buyers for the last {exact} units | {} orders, {} buyers refused (out of stock), {} other answers; stock {stock}, {sold} units in {orders_with} orders, stock movements {moved} | exactly {exact} orders, stock 0, movements -{exact} | {} |",
        race.orders,
        race.refused,
        race.errors.count,
        if oversell_ok { "PASS (zero oversell)" } else { "MISS (zero oversell)" }
    );
    let books_row = format!(
        "| Orders and stock agree (all runs) | {in_db} orders in the database for {created} answers 201; stock = initial − units sold = initial + movements for all {} products; {redeemed} vouchers redeemed by {carried} orders for {voucher_orders} voucher orders: {} | all agree | {} |",
        shop.products.len() + 1,
        if books_ok { "yes" } else { "**no**" },
        if books_ok { "PASS" } else { "MISS" }
    );
    let mut problems = Vec::new();
    for e in timed
        .errors
        .shown
        .iter()
        .chain(&with_vouchers.errors.shown)
        .chain(&race.errors.shown)
    {
        problems.push(format!("checkout benchmark, unexpected answer to {e}"));
    }
    let more = (timed.errors.count + with_vouchers.errors.count + race.errors.count) as usize
        - timed.errors.shown.len()
        - with_vouchers.errors.shown.len()
        - race.errors.shown.len();
    if more > 0 {
        problems.push(format!(
            "checkout benchmark: {more} more unexpected answers"
        ));
    }
    if !oversell_ok {
        problems.push("checkout benchmark: the oversell check failed (see its row)".into());
    }
    if !books_ok {
        problems.push("checkout benchmark: orders or stock do not match the answers".into());
    }

    if let Some(path) = std::env::var_os("BENCH_CHECKOUT_ROWS") {
        let mut f = fs::File::create(path)?;
        writeln!(f, "http\t{http_row}")?;
        writeln!(f, "http\t{voucher_row}")?;
        writeln!(f, "other\t{oversell_row}")?;
        writeln!(f, "other\t{books_row}")?;
        for p in &problems {
            writeln!(f, "problem\t{p}")?;
        }
    }

    println!();
    println!("## Cornershop checkout benchmark");
    println!();
    println!(
        "{}, {} cores ({}). Server: `{}` (the shop's `synchronous = FULL`, WAL), `CORNERSHOP_LOG=warn`, on a fresh temporary data dir.",
        utc_now(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        bin.display()
    );
    println!(
        "Load average before: {load_before}; after: {load_after}. {conns} client threads, one keep-alive connection each, on the same machine; {:.1} s timed after {WARMUP_ITERATIONS} warm-up orders per connection. One order = `POST /api/v1/cart/items` (1 unit) + `POST /api/v1/checkout` (pickup, bank transfer, a fresh `Idempotency-Key`).",
        duration.as_secs_f64()
    );
    println!();
    println!("| Run | Requests | Log | Conns | Orders/s | p50 ms | p99 ms | Server CPU µs/order | Orders | Errors | Target |");
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    println!("{http_row}");
    println!("{voucher_row}");
    println!();
    println!("| Figure | Value | Target | Result |");
    println!("| --- | --- | --- | --- |");
    println!("{oversell_row}");
    println!("{books_row}");
    if !problems.is_empty() {
        println!();
        println!("**Problems:**");
        println!();
        for p in &problems {
            println!("- {p}");
        }
    }
    Ok(errors_ok && oversell_ok && books_ok)
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn utc_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default()
}
