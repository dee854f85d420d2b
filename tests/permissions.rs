//! The permission matrix, found rather than listed: every back-office page and staff API
//! route the shop mounts is called by a staff member whose role holds no rights. Each must
//! refuse with 403 and name the one permission it needs (area and action); with exactly that
//! permission the route must let the request through, and with every right but that one it
//! must refuse again. A new route that forgets its guard fails here without anyone having to
//! add it to a list; the few routes open to any staff member are listed and checked too.

mod common;

use std::collections::BTreeSet;

use common::{Res, TestApp, STAFF_PW};
use cornershop::clock::Clock;
use cornershop::config::Config;
use cornershop::Options;

/// Routes any logged-in staff member (or anyone) may call: signing in and out, setting a
/// password from a mailed link, and one's own two-factor settings.
const OPEN: &[&str] = &[
    "GET /admin/account/two-factor",
    "GET /admin/account/two-factor/qr.png",
    "GET /admin/login",
    "GET /admin/login/two-factor",
    "GET /admin/set-password/<token>",
    "POST /admin/account/two-factor/confirm",
    "POST /admin/account/two-factor/disable",
    "POST /admin/account/two-factor/recovery-codes",
    "POST /admin/login",
    "POST /admin/login/two-factor",
    "POST /admin/logout",
    "POST /admin/set-password/<token>",
    "POST /api/v1/admin/auth/login",
    "POST /api/v1/admin/auth/logout",
];

/// Routes not called at all because they end the prober's own session.
const NOT_CALLED: &[&str] = &["POST /admin/logout", "POST /api/v1/admin/auth/logout"];

/// Every mounted route under /admin and /api/v1/admin as "METHOD /path/<param>".
fn admin_routes() -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let data = cornershop::open_data_dir(dir.path()).unwrap();
    let opts = Options {
        clock: Clock::default(),
        demo_logins: Vec::new(),
        run_jobs: false,
        on_ready: None,
    };
    let rocket = cornershop::build(Config::for_dir(dir.path(), 0), data, opts).unwrap();
    let mut out: BTreeSet<(String, String)> = BTreeSet::new();
    for r in rocket.routes() {
        let path = r.uri.origin.path().as_str().to_string();
        if path == "/admin" || path.starts_with("/admin/") || path.starts_with("/api/v1/admin/") {
            out.insert((r.method.as_str().to_string(), path));
        }
    }
    out.into_iter().collect()
}

/// A concrete path for a route pattern: numbers for ids, a word for other segments.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| {
            if seg.starts_with('<') {
                if seg.contains("id") {
                    "1"
                } else {
                    "x"
                }
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

struct Prober {
    app: TestApp,
    role: String,
    email: String,
    token: String,
    csrf: String,
}

const PROBE: &str = "Probe";

impl Prober {
    fn new() -> Prober {
        let app = TestApp::ready();
        app.sql(|c| {
            c.execute("INSERT INTO roles (name) VALUES (?1)", [PROBE])?;
            c.execute(
                "INSERT INTO role_permissions (role_id, area)
                 SELECT (SELECT id FROM roles WHERE name = ?1), code FROM areas",
                [PROBE],
            )
        });
        let email = app.login_as(PROBE);
        let mut p = Prober {
            app,
            role: PROBE.into(),
            email,
            token: String::new(),
            csrf: String::new(),
        };
        p.token = p.api_login();
        // The CSRF token belongs to this browser's cookies, not to its rights: read it from
        // a page while every right is on.
        p.grant_all_but(None);
        p.csrf = p
            .app
            .get("/admin")
            .input_value("_csrf")
            .expect("the back office has a CSRF token in its logout form");
        p.set_rights(&[]);
        p
    }

    /// A member of one of the shop's own roles, with the rights it comes with.
    fn built_in(role: &str) -> Prober {
        let app = TestApp::ready();
        let email = format!("built-in-{}@shop.test", role.to_lowercase());
        cornershop::staff::cli::create(&app.db, &email, None, STAFF_PW, role).expect("staff");
        let res = app.login_staff(&email, STAFF_PW);
        assert_eq!(res.status, 303, "login as {role}: {}", res.body);
        let mut p = Prober {
            app,
            role: role.into(),
            email,
            token: String::new(),
            csrf: String::new(),
        };
        p.token = p.api_login();
        p.csrf = p
            .app
            .get("/admin")
            .input_value("_csrf")
            .expect("the back office has a CSRF token in its logout form");
        p
    }

    /// Whether the role's grid (as stored) holds a permission; owners hold every one.
    fn holds(&self, (area, action): &(String, String)) -> bool {
        let col = column(action);
        self.app.sql(|c| {
            c.query_row(
                &format!(
                    "SELECT r.is_owner OR coalesce(p.{col}, 0) FROM roles r
                     LEFT JOIN role_permissions p ON p.role_id = r.id AND p.area = ?2
                     WHERE r.name = ?1"
                ),
                [self.role.as_str(), area.as_str()],
                |r| r.get::<_, bool>(0),
            )
        })
    }

    fn api_login(&self) -> String {
        let res = TestApp::collect(
            self.app
                .new_client()
                .post(&format!("{}/api/v1/admin/auth/login", self.app.base))
                .send_json(serde_json::json!({ "email": self.email, "password": STAFF_PW })),
        );
        assert_eq!(res.status, 200, "staff API login: {}", res.body);
        res.json()["token"].as_str().unwrap().to_string()
    }

    fn set_rights(&self, rights: &[(String, String)]) {
        self.app.sql(|c| {
            c.execute(
                "UPDATE role_permissions SET can_read = 0, can_create = 0, can_update = 0, can_delete = 0
                 WHERE role_id = (SELECT id FROM roles WHERE name = ?1)",
                [PROBE],
            )?;
            for (area, action) in rights {
                let col = column(action);
                c.execute(
                    &format!(
                        "UPDATE role_permissions SET {col} = 1
                         WHERE role_id = (SELECT id FROM roles WHERE name = ?1) AND area = ?2"
                    ),
                    [PROBE, area.as_str()],
                )?;
            }
            Ok(())
        });
    }

    fn grant_all_but(&self, except: Option<&(String, String)>) {
        self.app.sql(|c| {
            c.execute(
                "UPDATE role_permissions SET can_read = 1, can_create = 1, can_update = 1, can_delete = 1
                 WHERE role_id = (SELECT id FROM roles WHERE name = ?1)",
                [PROBE],
            )?;
            if let Some((area, action)) = except {
                let col = column(action);
                c.execute(
                    &format!(
                        "UPDATE role_permissions SET {col} = 0
                         WHERE role_id = (SELECT id FROM roles WHERE name = ?1) AND area = ?2"
                    ),
                    [PROBE, area.as_str()],
                )?;
            }
            Ok(())
        });
    }

    fn call(&mut self, method: &str, path: &str) -> Res {
        let url = format!("{}{path}", self.app.base);
        let res = if path.starts_with("/api/") {
            let req = self
                .app
                .new_client()
                .request(method, &url)
                .set("Authorization", &format!("Bearer {}", self.token));
            if method == "GET" || method == "DELETE" {
                TestApp::collect(req.call())
            } else {
                TestApp::collect(req.send_json(serde_json::json!({})))
            }
        } else if method == "GET" {
            self.app.get(path)
        } else {
            self.app.post_raw(path, &[("_csrf", self.csrf.as_str())])
        };
        // A route that ended the prober's session or token (e.g. "log out everywhere"):
        // sign in again so the next probe starts equal.
        if res.status == 401 || res.header("location") == Some("/admin/login") {
            if path.starts_with("/api/") {
                self.token = self.api_login();
            } else if self.app.get("/admin/login").status == 200 {
                let again = self.app.login_staff(&self.email, STAFF_PW);
                assert_eq!(again.status, 303, "signing in again: {}", again.body);
            }
        }
        res
    }
}

/// (area, action), as a guard's refusal names it: ("products", "change").
type Perm = (String, String);

fn column(action: &str) -> &'static str {
    match action {
        "view" => "can_read",
        "create" => "can_create",
        "change" => "can_update",
        "delete" => "can_delete",
        other => panic!("unknown action {other}"),
    }
}

/// The permission a guard's 403 names: "Your role (Probe) may not change products." →
/// (products, change). None for any other answer.
fn guard_refusal(res: &Res) -> Option<(String, String)> {
    refusal_for(PROBE, res)
}

fn refusal_for(role: &str, res: &Res) -> Option<(String, String)> {
    if res.status != 403 {
        return None;
    }
    let body = common::html_unescape(&res.body);
    let at = body.find(&format!("Your role ({role}) may not "))?;
    let rest = &body[at + format!("Your role ({role}) may not ").len()..];
    let (action, rest) = rest.split_once(' ')?;
    let area: String = rest
        .chars()
        .take_while(|c| c.is_ascii_lowercase() || *c == ' ')
        .collect();
    Some((area.trim().replace(' ', "_"), action.to_string()))
}

#[test]
fn every_back_office_route_needs_exactly_its_permission() {
    let routes = admin_routes();
    assert!(
        routes.len() > 20,
        "the back office mounts its routes: {routes:?}"
    );
    let mut p = Prober::new();
    let mut open = Vec::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    // Route → the rights it needs, as found; the built-in roles are tried against it below.
    let mut matrix: Vec<(String, String, Vec<Perm>)> = Vec::new();
    for (method, pattern) in &routes {
        let name = format!("{method} {pattern}");
        if NOT_CALLED.contains(&name.as_str()) {
            open.push(name);
            continue;
        }
        let path = concrete(pattern);
        // No rights: refused, naming what is missing. Routes needing two rights name them
        // one after the other.
        p.set_rights(&[]);
        let mut needed: Vec<(String, String)> = Vec::new();
        let last = loop {
            let res = p.call(method, &path);
            match guard_refusal(&res) {
                Some(perm) if !needed.contains(&perm) => {
                    needed.push(perm);
                    p.set_rights(&needed);
                }
                Some(perm) => {
                    problems.push(format!("{name}: refused for {perm:?} although held"));
                    break res;
                }
                None => break res,
            }
        };
        if needed.is_empty() {
            if last.status == 403 {
                // A handler's own refusal (a business rule) reached without any guard.
                problems.push(format!("{name}: 403 without a permission guard"));
            }
            open.push(name);
            continue;
        }
        // With exactly those rights the guard lets it through (the handler may still
        // refuse for its own reasons, e.g. only an owner may edit an owner).
        p.set_rights(&needed);
        let res = p.call(method, &path);
        if let Some(perm) = guard_refusal(&res) {
            problems.push(format!("{name}: refused for {perm:?} with {needed:?}"));
        }
        // With everything but one of them: refused again, naming it.
        for perm in &needed {
            p.grant_all_but(Some(perm));
            let res = p.call(method, &path);
            if guard_refusal(&res).as_ref() != Some(perm) {
                problems.push(format!(
                    "{name}: with every right but {perm:?} the answer was {}",
                    res.status
                ));
            }
        }
        matrix.push((method.clone(), path, needed));
        checked += 1;
    }
    let mut expected: Vec<String> = OPEN.iter().map(|s| s.to_string()).collect();
    expected.sort();
    open.sort();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(
        open, expected,
        "routes open to a staff member without rights"
    );
    assert!(checked > 15, "only {checked} guarded routes were checked");

    // Each built-in role as a row of the matrix: let through exactly where its grid holds
    // every right the route needs, refused (naming a right it lacks) everywhere else.
    for role in ["Owner", "Manager", "Viewer", "Courier"] {
        let mut p = Prober::built_in(role);
        let (mut allowed, mut refused) = (0, 0);
        for (method, path, needed) in &matrix {
            let res = p.call(method, path);
            let refusal = refusal_for(role, &res);
            let lacking: Vec<&(String, String)> = needed.iter().filter(|n| !p.holds(n)).collect();
            match (&refusal, lacking.is_empty()) {
                (None, true) => allowed += 1,
                (Some(r), false) if lacking.contains(&r) => refused += 1,
                _ => problems.push(format!(
                    "{role} {method} {path}: needs {needed:?}, lacks {lacking:?}, answer {} {refusal:?}",
                    res.status
                )),
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert!(allowed > 0, "{role} is let through somewhere");
        if role == "Owner" {
            assert_eq!(refused, 0, "an owner is never refused by a guard");
        } else {
            assert!(refused > 0, "{role} is refused somewhere");
        }
    }
}

/// Routes a caller who is not signed in may use: signing in (the code step answers for
/// itself; its page without a half-login goes back to the form), logging out, a mailed
/// set-password link, and the API's login.
const ANONYMOUS_OPEN: &[&str] = &[
    "GET /admin/login",
    "GET /admin/set-password/<token>",
    "POST /admin/login",
    "POST /admin/login/two-factor",
    "POST /admin/logout",
    "POST /admin/set-password/<token>",
    "POST /api/v1/admin/auth/login",
];

#[test]
fn anonymous_callers_are_sent_to_log_in_or_get_401() {
    let app = TestApp::ready();
    let mut open = Vec::new();
    let mut problems = Vec::new();
    for (method, pattern) in admin_routes() {
        let name = format!("{method} {pattern}");
        let url = format!("{}{}", app.base, concrete(&pattern));
        let req = app.new_client().request(&method, &url);
        let res = if method == "GET" || method == "DELETE" {
            TestApp::collect(req.call())
        } else if pattern.starts_with("/api/") {
            TestApp::collect(req.send_json(serde_json::json!({})))
        } else {
            TestApp::collect(req.send_form(&[("_csrf", "x")]))
        };
        let to_login = res.status == 303
            && res
                .header("location")
                .is_some_and(|l| l.starts_with("/admin/login"));
        let sent_away = if pattern.starts_with("/api/") {
            res.status == 401
        } else {
            to_login
        };
        if !sent_away {
            open.push(name.clone());
            if !ANONYMOUS_OPEN.contains(&name.as_str()) {
                problems.push(format!(
                    "{name}: {} {}",
                    res.status,
                    res.header("location").unwrap_or("")
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "open to anyone:\n{}",
        problems.join("\n")
    );
    let expected: Vec<String> = ANONYMOUS_OPEN.iter().map(|s| s.to_string()).collect();
    assert_eq!(open, expected, "the sign-in routes stay reachable");
}
