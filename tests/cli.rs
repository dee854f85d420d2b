//! The `cornershop` command as people run it: the real binary, one fresh data folder per
//! test, checked by exit code, console text and what ends up in the database.
//!
//! Nothing here sleeps. A server is ready when it prints its "running at" line; a command
//! is done when both of its output streams close. A process that hangs fails its test
//! after a generous deadline instead of stalling the run, and every process is killed
//! when its guard goes out of scope.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::process::*;

use rusqlite::Connection;

/// A password that passes every strength rule.
const STRONG_PW: &str = "lantern-orchard-2026";

// ---------------------------------------------------------------------------------------
// A shop's data folder

/// A fresh temporary folder, used both as the working directory and as `--data-dir`.
struct Shop {
    dir: tempfile::TempDir,
}

impl Shop {
    fn new() -> Shop {
        Shop {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// `cornershop ARGS --data-dir DIR`, run in DIR.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = cornershop_in(self.path(), args);
        cmd.arg("--data-dir").arg(self.path());
        cmd
    }

    fn run(&self, args: &[&str]) -> Outcome {
        run(self.command(args))
    }

    /// `cornershop serve --no-browser --port 0 ARGS --data-dir DIR`, once listening.
    fn serve(&self, args: &[&str]) -> Server {
        let mut all = vec!["serve", "--no-browser", "--port", "0"];
        all.extend_from_slice(args);
        Server::start(self.command(&all))
    }

    /// A connection to DIR/shop.db, like any other process would open.
    fn db(&self) -> Connection {
        let path = self.file("shop.db");
        assert!(path.is_file(), "{} should exist", path.display());
        let c = Connection::open(&path).expect("shop.db opens");
        c.busy_timeout(Duration::from_secs(10))
            .expect("busy timeout");
        c
    }

    fn count(&self, sql: &str) -> i64 {
        self.db()
            .query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    fn setting(&self, key: &str) -> Option<String> {
        use rusqlite::OptionalExtension;
        self.db()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .expect("settings table")
    }

    fn staff_id(&self, email: &str) -> i64 {
        self.db()
            .query_row("SELECT id FROM staff WHERE email = ?1", [email], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("no staff row for {email}: {e}"))
    }

    fn create_staff(&self, email: &str, role: &str) -> i64 {
        self.run(&[
            "admin",
            "create",
            "--email",
            email,
            "--password",
            STRONG_PW,
            "--role",
            role,
        ])
        .succeeded();
        self.staff_id(email)
    }
}

// ---------------------------------------------------------------------------------------
// Help

#[test]
fn every_command_explains_itself_with_help_and_touches_no_data() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--help"],
            &["--data-dir", "serve", "demo", "admin", "settings"],
        ),
        (
            &["serve", "--help"],
            &[
                "--port",
                "--address",
                "--no-browser",
                "--demo",
                "--data-dir",
            ],
        ),
        (&["demo", "--help"], &["--products", "--seed", "--data-dir"]),
        (&["admin", "--help"], &["create", "reset-password"]),
        (
            &["admin", "create", "--help"],
            &["--email", "--password", "--role", "--data-dir"],
        ),
        (
            &["admin", "reset-password", "--help"],
            &["--email", "--password", "--disable-two-factor"],
        ),
        (&["settings", "--help"], &["list", "get", "set"]),
        (
            &["settings", "set", "--help"],
            &["<KEY>", "<VALUE>", "--data-dir"],
        ),
        (&["--version"], &[env!("CARGO_PKG_VERSION")]),
    ];
    for (args, words) in cases {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let data = dir.path().join("data");
        let mut cmd = cornershop_in(dir.path(), args);
        // Were help to start the command anyway, this is where it would put its data.
        cmd.env("CORNERSHOP_DATA", &data);
        let out = run(cmd);
        assert!(out.status.success(), "cornershop {args:?}: {out:?}");
        for word in *words {
            assert!(
                out.stdout.contains(word),
                "cornershop {args:?} should mention {word}: {out:?}"
            );
        }
        assert!(out.stderr.is_empty(), "cornershop {args:?}: {out:?}");
        assert!(
            !data.exists(),
            "cornershop {args:?} created the data folder"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Serving a fresh shop

#[test]
fn a_fresh_shop_prints_exactly_one_line_with_a_working_set_up_link() {
    let shop = Shop::new();
    let server = shop.serve(&[]);

    let (url, link) = server
        .line
        .strip_prefix("Cornershop is running at ")
        .and_then(|rest| rest.split_once(" — finish set-up at "))
        .unwrap_or_else(|| panic!("unexpected ready line: {}", server.line));
    assert_eq!(url, server.url);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_ne!(
        server.port(),
        0,
        "the line shows the port the OS chose, not 0"
    );
    let token = link
        .strip_prefix(&format!("{url}/setup?token="))
        .unwrap_or_else(|| panic!("the set-up link should be on the same address: {link}"));
    assert!(
        token.len() >= 16
            && token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)),
        "the token should be a long URL-safe string: {token:?}"
    );

    let (status, body) = get(link);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(token),
        "the set-up form should carry the token"
    );

    let (status, body) = server.get("/setup?token=wrong");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("not valid"), "{body}");
    assert_eq!(server.get("/setup").0, 403, "no token is no entry either");

    let later = server.stop();
    assert!(
        !later.iter().any(|l| l.contains("running at")),
        "the shop announced itself more than once: {later:?}"
    );
}

#[test]
fn a_fresh_shop_lays_out_its_data_folder_with_a_private_key() {
    let shop = Shop::new();
    let _server = shop.serve(&[]);

    assert!(shop.file("shop.db").is_file(), "shop.db");
    let key = shop.file("secret.key");
    assert_eq!(std::fs::metadata(&key).expect("secret.key").len(), 32);
    for folder in ["media", "outbox", "exports", "backups"] {
        assert!(shop.file(folder).is_dir(), "{folder}/ should exist");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key)
            .expect("secret.key")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(
            mode, 0o600,
            "secret.key must be readable by its owner only, not {mode:o}"
        );
    }
    assert!(
        !shop.file(".write-test").exists(),
        "the write probe is cleaned up"
    );
}

// ---------------------------------------------------------------------------------------
// Refusing to start

#[test]
fn a_migration_that_fails_stops_the_start_names_its_step_and_changes_nothing() {
    let shop = Shop::new();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shop-v1.db"),
        shop.file("shop.db"),
    )
    .expect("fixture copied");
    // Something made by hand stands in the migration's way.
    shop.db()
        .execute_batch(
            "CREATE TRIGGER audit_log_kept AFTER INSERT ON settings BEGIN SELECT 1; END;",
        )
        .expect("trigger");
    let orders = shop.count("SELECT count(*) FROM orders");

    let out = shop
        .run(&["serve", "--no-browser", "--port", "0"])
        .failed()
        .stderr_says("migration 001_audit_retention.sql failed");
    assert!(
        out.stderr.contains("already exists"),
        "SQLite's reason: {out:?}"
    );
    assert!(out.stdout.is_empty(), "never listened: {out:?}");
    let version: i64 = shop
        .db()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, 1, "still the old version");
    assert_eq!(shop.count("SELECT count(*) FROM orders"), orders);
    let copies = std::fs::read_dir(shop.file("backups"))
        .expect("backups")
        .count();
    assert_eq!(copies, 1, "the copy made before trying");
}

#[test]
fn a_database_from_a_newer_version_is_refused_with_one_clear_line_and_left_untouched() {
    let shop = Shop::new();
    shop.run(&["settings", "list"]).succeeded();
    shop.db()
        .pragma_update(None, "user_version", 99)
        .expect("user_version");
    let staff_before = shop.count("SELECT count(*) FROM staff");

    let attempts: [&[&str]; 3] = [
        &["serve", "--no-browser", "--port", "0"],
        &["settings", "list"],
        &[
            "admin",
            "create",
            "--email",
            "a@b.test",
            "--password",
            STRONG_PW,
        ],
    ];
    for args in attempts {
        let out = shop.run(args).failed().stderr_says("newer Cornershop");
        assert_eq!(
            out.stderr.trim_end().lines().count(),
            1,
            "one line: {out:?}"
        );
        assert!(
            out.stderr.contains("shop.db"),
            "the message names the file: {out:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }

    let version: i64 = shop
        .db()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, 99, "the newer database keeps its version");
    assert_eq!(shop.count("SELECT count(*) FROM staff"), staff_before);
}

#[test]
fn a_port_already_in_use_is_reported_and_the_process_exits_by_itself() {
    let shop = Shop::new();
    let taken = TcpListener::bind("127.0.0.1:0").expect("a port to occupy");
    let port = taken.local_addr().expect("address").port().to_string();

    let out = shop
        .run(&["serve", "--no-browser", "--port", &port])
        .failed()
        .stderr_says("already in use");
    assert!(
        out.stderr.contains(&format!("127.0.0.1:{port}")),
        "names the address: {out:?}"
    );
    assert!(
        out.stderr.contains("--port"),
        "says how to choose another: {out:?}"
    );
    assert!(!out.stdout.contains("running at"), "{out:?}");
    drop(taken);
}

#[test]
fn a_data_folder_that_cannot_be_created_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("file.txt"), "not a folder").expect("file.txt");
    let data = dir.path().join("file.txt").join("data");

    for args in [
        &["serve", "--no-browser", "--port", "0"][..],
        &["settings", "list"],
    ] {
        let mut cmd = cornershop_in(dir.path(), args);
        cmd.arg("--data-dir").arg(&data);
        let out = run(cmd).failed().stderr_says("cannot create data folder");
        assert!(
            out.stderr.contains(&data.display().to_string()),
            "the message names the folder: {out:?}"
        );
        assert_eq!(
            out.stderr.trim_end().lines().count(),
            1,
            "one line: {out:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Configuration

#[test]
fn the_port_comes_from_the_flag_over_the_environment_over_the_config_file() {
    let shop = Shop::new();
    let [from_file, from_env, from_flag] = free_ports::<3>();
    std::fs::write(
        shop.file("cornershop.toml"),
        format!("port = {from_file}\n"),
    )
    .expect("toml");
    let serve = |env_port: Option<u16>, flag_port: Option<u16>| {
        let mut cmd = shop.command(&["serve", "--no-browser"]);
        if let Some(p) = env_port {
            cmd.env("CORNERSHOP_PORT", p.to_string());
        }
        if let Some(p) = flag_port {
            cmd.arg("--port").arg(p.to_string());
        }
        let server = Server::start(cmd);
        let port = server.port();
        assert!(
            server.line.contains(&format!("127.0.0.1:{port}")),
            "{}",
            server.line
        );
        server.stop();
        port
    };

    assert_eq!(
        serve(None, None),
        from_file,
        "the config file's port is used"
    );
    assert_eq!(
        serve(Some(from_env), None),
        from_env,
        "the environment beats the file"
    );
    assert_eq!(
        serve(Some(from_env), Some(from_flag)),
        from_flag,
        "the flag beats both"
    );
}

#[test]
fn a_config_file_with_an_unknown_key_is_refused_with_its_name() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("cornershop.toml"), "prot = 1\n").expect("toml");
    let data = dir.path().join("data");

    let mut cmd = cornershop_in(dir.path(), &["serve", "--no-browser", "--port", "0"]);
    cmd.arg("--data-dir").arg(&data);
    let out = run(cmd)
        .failed()
        .stderr_says("cornershop.toml")
        .stderr_says("prot");
    assert!(!out.stdout.contains("running at"), "{out:?}");
    assert!(
        !data.exists(),
        "nothing is created from a config that was refused"
    );
}

// ---------------------------------------------------------------------------------------
// Staff accounts

#[test]
fn admin_create_adds_a_staff_member_with_the_chosen_role() {
    let shop = Shop::new();
    let out = shop
        .run(&[
            "admin",
            "create",
            "--email",
            "a@b.test",
            "--password",
            STRONG_PW,
            "--role",
            "Manager",
        ])
        .succeeded();
    assert!(out.stdout.contains("a@b.test"), "{out:?}");

    let (role, active, hash): (String, i64, String) = shop
        .db()
        .query_row(
            "SELECT r.name, s.active, s.password_hash FROM staff s JOIN roles r ON r.id = s.role_id
             WHERE s.email = 'a@b.test'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("the staff row");
    assert_eq!(role, "Manager");
    assert_eq!(active, 1);
    assert!(
        cornershop::auth::password::verify(STRONG_PW, &hash),
        "the password works"
    );
    assert_eq!(
        shop.count(
            "SELECT count(*) FROM audit_log WHERE actor_kind = 'cli' AND action = 'staff.created'"
        ),
        1
    );
}

#[test]
fn admin_create_refuses_an_email_that_already_exists() {
    let shop = Shop::new();
    shop.create_staff("a@b.test", "Manager");
    for email in ["a@b.test", "A@B.test"] {
        shop.run(&["admin", "create", "--email", email, "--password", STRONG_PW])
            .failed()
            .stderr_says("already exists");
    }
    assert_eq!(shop.count("SELECT count(*) FROM staff"), 1);
}

#[test]
fn admin_create_refuses_a_common_password_and_says_why() {
    let shop = Shop::new();
    shop.run(&[
        "admin",
        "create",
        "--email",
        "a@b.test",
        "--password",
        "password123",
    ])
    .failed()
    .stderr_says("common");
    assert_eq!(shop.count("SELECT count(*) FROM staff"), 0);
}

#[test]
fn admin_create_with_an_unknown_role_lists_the_roles_there_are() {
    let shop = Shop::new();
    let out = shop
        .run(&[
            "admin",
            "create",
            "--email",
            "a@b.test",
            "--password",
            STRONG_PW,
            "--role",
            "Wizard",
        ])
        .failed();
    for word in ["Wizard", "Owner", "Manager", "Viewer", "Courier"] {
        assert!(out.stderr.contains(word), "should mention {word}: {out:?}");
    }
    assert_eq!(shop.count("SELECT count(*) FROM staff"), 0);
}

#[test]
fn admin_reset_password_prints_a_new_password_and_ends_only_that_persons_sessions() {
    let shop = Shop::new();
    let id = shop.create_staff("a@b.test", "Manager");
    let other = shop.create_staff("other@b.test", "Viewer");
    let old_hash: String = shop
        .db()
        .query_row("SELECT password_hash FROM staff WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .expect("hash");
    {
        let db = shop.db();
        let add = |token: &str, kind: &str, user: i64| {
            db.execute(
                "INSERT INTO sessions (token_hash, kind, user_id, created_at, last_seen_at,
                 expires_at, absolute_expires_at)
                 VALUES (?1, ?2, ?3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',
                 '2099-01-01T00:00:00Z', '2099-01-01T00:00:00Z')",
                rusqlite::params![token, kind, user],
            )
            .expect("session row");
        };
        add("x", "staff", id);
        add("y", "staff", id);
        add("theirs", "staff", other);
        add("customer-with-same-id", "customer", id);
    }

    let out = shop
        .run(&["admin", "reset-password", "--email", "a@b.test"])
        .succeeded();
    let new_pw = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("New password for a@b.test: "))
        .unwrap_or_else(|| panic!("no new password printed: {out:?}"))
        .trim()
        .to_string();
    assert!(new_pw.len() >= 10, "{new_pw:?}");

    let new_hash: String = shop
        .db()
        .query_row("SELECT password_hash FROM staff WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .expect("hash");
    assert_ne!(new_hash, old_hash, "the stored password changed");
    assert!(
        cornershop::auth::password::verify(&new_pw, &new_hash),
        "the printed one works"
    );
    assert!(
        !cornershop::auth::password::verify(STRONG_PW, &new_hash),
        "the old one does not"
    );

    let sessions = |sql: &str| shop.count(&format!("SELECT count(*) FROM sessions WHERE {sql}"));
    assert_eq!(
        sessions(&format!("kind = 'staff' AND user_id = {id}")),
        0,
        "theirs ended"
    );
    assert_eq!(
        sessions(&format!("kind = 'staff' AND user_id = {other}")),
        1,
        "others stay"
    );
    assert_eq!(
        sessions("kind = 'customer'"),
        1,
        "a customer with the same id stays"
    );
    assert_eq!(
        shop.count(
            "SELECT count(*) FROM audit_log WHERE actor_kind = 'cli' AND action = 'password.reset'"
        ),
        1
    );
}

#[test]
fn admin_reset_password_can_turn_off_two_factor_login() {
    let shop = Shop::new();
    let id = shop.create_staff("a@b.test", "Owner");
    {
        let db = shop.db();
        db.execute(
            "UPDATE staff SET totp_secret = 'sealed', totp_enabled_at = '2026-01-01T00:00:00Z',
             totp_last_step = 7 WHERE id = ?1",
            [id],
        )
        .expect("enrolled");
        db.execute(
            "INSERT INTO staff_recovery_codes (staff_id, code_hash) VALUES (?1, 'h')",
            [id],
        )
        .expect("recovery code");
    }
    let enrolled = |shop: &Shop| {
        shop.count(&format!(
            "SELECT count(*) FROM staff WHERE id = {id} AND totp_enabled_at IS NOT NULL"
        ))
    };
    shop.run(&["admin", "reset-password", "--email", "a@b.test"])
        .succeeded();
    assert_eq!(enrolled(&shop), 1, "a plain reset keeps two-factor login");
    let out = shop
        .run(&[
            "admin",
            "reset-password",
            "--email",
            "a@b.test",
            "--disable-two-factor",
        ])
        .succeeded();
    assert!(
        out.stdout.contains("Two-factor login turned off"),
        "{out:?}"
    );
    assert_eq!(enrolled(&shop), 0);
    assert_eq!(
        shop.count("SELECT count(*) FROM staff_recovery_codes"),
        0,
        "recovery codes are gone"
    );
}

#[test]
fn admin_reset_password_for_an_unknown_email_fails_and_changes_nothing() {
    let shop = Shop::new();
    let id = shop.create_staff("a@b.test", "Owner");
    let hash = |shop: &Shop| -> String {
        shop.db()
            .query_row("SELECT password_hash FROM staff WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .expect("hash")
    };
    let before = hash(&shop);
    shop.run(&["admin", "reset-password", "--email", "nobody@b.test"])
        .failed()
        .stderr_says("nobody@b.test");
    assert_eq!(hash(&shop), before);
}

// ---------------------------------------------------------------------------------------
// Settings

#[test]
fn settings_list_shows_every_setting_with_its_value() {
    let shop = Shop::new();
    let out = shop.run(&["settings", "list"]).succeeded();
    let value = |key: &str| {
        out.stdout
            .lines()
            .find_map(|l| l.strip_prefix(key).filter(|rest| rest.starts_with(' ')))
            .map(|rest| rest.trim().to_string())
            .unwrap_or_else(|| panic!("{key} is not listed: {out:?}"))
    };
    assert_eq!(value("shop.name"), "Cornershop");
    assert_eq!(value("security.logins_per_ip_per_minute"), "20");
    assert_eq!(value("shop.currency"), "EUR");
}

#[test]
fn settings_set_changes_a_value_and_the_audit_log_says_the_cli_did_it() {
    let shop = Shop::new();
    let key = "security.logins_per_ip_per_minute";
    let out = shop.run(&["settings", "set", key, "50"]).succeeded();
    assert!(
        out.stdout.contains("20 -> 50"),
        "shows old and new: {out:?}"
    );

    let out = shop.run(&["settings", "get", key]).succeeded();
    assert_eq!(out.stdout.trim(), "50");
    assert_eq!(shop.setting(key).as_deref(), Some("50"));

    let details: String = shop
        .db()
        .query_row(
            "SELECT details FROM audit_log
             WHERE actor_kind = 'cli' AND action = 'setting.changed' AND entity_id = ?1",
            [key],
            |r| r.get(0),
        )
        .expect("one audit row for the change");
    let details: serde_json::Value = serde_json::from_str(&details).expect("JSON details");
    assert_eq!(details["old"], "20");
    assert_eq!(details["new"], "50");
}

#[test]
fn settings_set_refuses_a_value_of_the_wrong_type_and_keeps_the_old_one() {
    let shop = Shop::new();
    let key = "security.logins_per_ip_per_minute";
    shop.run(&["settings", "set", key, "50"]).succeeded();
    let audits = || shop.count("SELECT count(*) FROM audit_log WHERE action = 'setting.changed'");
    let before = audits();

    for bad in ["ten", "0", "4.5"] {
        shop.run(&["settings", "set", key, bad])
            .failed()
            .stderr_says("must be a whole number")
            .stderr_says(key);
    }

    assert_eq!(
        shop.run(&["settings", "get", key])
            .succeeded()
            .stdout
            .trim(),
        "50"
    );
    assert_eq!(shop.setting(key).as_deref(), Some("50"));
    assert_eq!(
        audits(),
        before,
        "a refused change is not logged as a change"
    );
}

#[test]
fn settings_set_refuses_a_key_that_does_not_exist() {
    let shop = Shop::new();
    shop.run(&["settings", "set", "no.such.key", "1"])
        .failed()
        .stderr_says("no.such.key");
    shop.run(&["settings", "get", "no.such.key"])
        .failed()
        .stderr_says("no.such.key");
    assert_eq!(shop.setting("no.such.key"), None);
}

#[test]
fn a_secret_setting_is_stored_encrypted_and_never_printed_or_audited_in_the_clear() {
    let shop = Shop::new();
    let key = "mail.smtp.password";
    let pw = "correct-horse-battery";
    let out = shop.run(&["settings", "set", key, pw]).succeeded();
    assert!(
        !out.stdout.contains(pw) && !out.stderr.contains(pw),
        "{out:?}"
    );
    let stored = shop.setting(key).expect("stored");
    assert!(stored.starts_with("enc1:"), "{stored}");
    assert!(!stored.contains("horse"));

    let out = shop.run(&["settings", "get", key]).succeeded();
    assert_eq!(out.stdout.trim(), "********");
    let out = shop.run(&["settings", "list"]).succeeded();
    assert!(
        !out.stdout.contains(pw) && out.stdout.contains("********"),
        "{out:?}"
    );

    let details: String = shop
        .db()
        .query_row(
            "SELECT details FROM audit_log WHERE action = 'setting.changed' AND entity_id = ?1",
            [key],
            |r| r.get(0),
        )
        .expect("one audit row");
    assert!(!details.contains(pw), "{details}");
    let details: serde_json::Value = serde_json::from_str(&details).expect("JSON details");
    assert_eq!(
        (details["old"].as_str(), details["new"].as_str()),
        (Some(""), Some("********"))
    );
}

#[test]
fn settings_set_stores_a_currency_code_in_capitals() {
    let shop = Shop::new();
    shop.run(&["settings", "set", "shop.currency", "jpy"])
        .succeeded();
    assert_eq!(shop.setting("shop.currency").as_deref(), Some("JPY"));
    let out = shop.run(&["settings", "get", "shop.currency"]).succeeded();
    assert_eq!(out.stdout.trim(), "JPY");
    shop.run(&["settings", "set", "shop.currency", "xyz"])
        .failed()
        .stderr_says("currency");
    assert_eq!(shop.setting("shop.currency").as_deref(), Some("JPY"));
}

// ---------------------------------------------------------------------------------------
// Demo data

#[test]
fn demo_adds_products_in_a_two_level_category_tree_with_their_image_files() {
    let shop = Shop::new();
    let out = shop.run(&["demo", "--products", "30"]).succeeded();
    assert!(out.stdout.starts_with("Added 30 products"), "{out:?}");
    assert_eq!(
        out.stdout.trim_end().lines().count(),
        1,
        "one summary line: {out:?}"
    );

    assert_eq!(shop.count("SELECT count(*) FROM products"), 30);
    assert!(shop.count("SELECT count(*) FROM categories WHERE parent_id IS NULL") > 0);
    assert!(shop.count("SELECT count(*) FROM categories WHERE parent_id IS NOT NULL") > 0);
    assert_eq!(
        shop.count(
            "SELECT count(*) FROM categories c JOIN categories p ON p.id = c.parent_id
             WHERE p.parent_id IS NOT NULL"
        ),
        0,
        "no third level"
    );

    let paths: Vec<String> = {
        let db = shop.db();
        let mut stmt = db
            .prepare("SELECT path FROM product_images")
            .expect("query");
        let rows = stmt.query_map([], |r| r.get(0)).expect("rows");
        rows.collect::<Result<_, _>>().expect("paths")
    };
    assert!(!paths.is_empty(), "demo products have pictures");
    for path in &paths {
        let file = shop.file("media").join(path);
        assert!(file.is_file(), "{} is missing", file.display());
    }
}

#[test]
fn serve_demo_runs_a_ready_shop_with_the_demo_logins_and_throws_it_away_when_stopped() {
    let shop = Shop::new();
    // The throw-away folder goes to the temporary folder, here one inside the test's own.
    let tmp = shop.file("tmp");
    std::fs::create_dir(&tmp).expect("tmp/");
    let mut cmd = shop.command(&["serve", "--demo", "--no-browser", "--port", "0"]);
    cmd.env("TMPDIR", &tmp);
    let server = Server::start(cmd);
    assert!(
        server.line.contains("demo shop is running"),
        "{}",
        server.line
    );
    assert!(
        !server.line.contains("setup?token"),
        "a demo shop needs no set-up"
    );

    let (status, body) = server.get("/admin/login");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("owner@demo.cornershop.test"),
        "the demo logins are shown"
    );

    let (status, body) = server.get("/api/v1/products");
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let total = page["total"]
        .as_i64()
        .unwrap_or_else(|| panic!("no total: {page}"));
    assert!(
        total >= 100,
        "a demo shop has plenty of products, not {total}"
    );

    assert!(
        !shop.file("shop.db").exists(),
        "a demo shop leaves --data-dir alone"
    );
    let demo_dirs = || -> Vec<PathBuf> {
        std::fs::read_dir(&tmp)
            .expect("tmp/")
            .map(|e| e.expect("entry").path())
            .collect()
    };
    let dirs = demo_dirs();
    assert_eq!(dirs.len(), 1, "one throw-away folder: {dirs:?}");
    assert!(
        dirs[0].join("shop.db").is_file(),
        "the demo shop lives in {dirs:?}"
    );

    #[cfg(unix)]
    {
        // Stopped the way a service manager or Ctrl-C stops it, the folder goes too.
        let pid = server.process.child.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(kill.expect("kill runs").success());
        let outcome = server.process.finish(String::new(), String::new());
        assert!(
            outcome.status.success(),
            "a stop is a clean exit: {outcome:?}"
        );
        assert_eq!(
            demo_dirs(),
            Vec::<PathBuf>::new(),
            "the throw-away folder is gone"
        );
    }
}

#[test]
fn the_data_dir_may_come_before_or_after_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cornershop"))
            .args(args)
            .current_dir(dir.path())
            .env("CORNERSHOP_LOG", "error")
            .env_remove("CORNERSHOP_DATA")
            .env_remove("CORNERSHOP_PORT")
            .env_remove("CORNERSHOP_ADDRESS")
            .env_remove("CORNERSHOP_CONFIG")
            .output()
            .unwrap()
    };
    let data = data.to_str().unwrap();
    let before = run(&["--data-dir", data, "settings", "set", "shop.name", "Before"]);
    assert!(
        before.status.success(),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );
    let after = run(&["settings", "get", "shop.name", "--data-dir", data]);
    assert_eq!(String::from_utf8_lossy(&after.stdout).trim(), "Before");
    let create = run(&[
        "--data-dir",
        data,
        "admin",
        "create",
        "--email",
        "o@shop.test",
        "--password",
        "tea-kettle-lighthouse-7",
    ]);
    assert!(
        create.status.success(),
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );
}
