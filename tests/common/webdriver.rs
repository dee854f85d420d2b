//! A small W3C WebDriver client for browser tests: starts Debian's chromedriver on a free
//! loopback port, opens a headless Chromium session and speaks the WebDriver HTTP protocol
//! with `ureq`. Everything is torn down on Drop (session deleted, chromedriver killed).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The W3C key under which an element reference is returned.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long `wait_*` helpers keep polling, and how long they pause between polls.
const WAIT_TOTAL: Duration = Duration::from_secs(15);
const WAIT_POLL: Duration = Duration::from_millis(50);

/// A running chromedriver and one browser session on it.
pub struct WebDriver {
    url: String,
    session: String,
    agent: ureq::Agent,
    child: Child,
    _profile: tempfile::TempDir,
}

/// A reference to an element on the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

/// A WebDriver error: the HTTP status and the protocol's error code and message.
#[derive(Debug)]
pub struct WdError {
    pub status: u16,
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.error, self.message)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl WebDriver {
    /// Starts chromedriver and a headless Chromium session. Panics with a clear message
    /// when chromedriver or Chromium is not installed: a browser test must not pass
    /// silently without a browser.
    pub fn start() -> WebDriver {
        for (bin, what) in [(CHROMEDRIVER, "chromedriver"), (CHROMIUM, "Chromium")] {
            assert!(
                Path::new(bin).exists(),
                "{what} is not installed at {bin}: install it with \
                 `apt-get update && apt-get install -y chromium chromium-driver` (.ci/run does)"
            );
        }
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let profile = tempfile::tempdir().expect("a temp dir for the browser profile");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build();
        let mut wd = WebDriver {
            url: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            agent,
            child,
            _profile: profile,
        };
        wd.wait_until_ready();
        wd.session = wd.new_session();
        wd
    }

    /// Polls chromedriver's /status until it says it is ready (bounded attempts).
    fn wait_until_ready(&mut self) {
        let probe = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        let mut last = String::from("no answer yet");
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromedriver exited before it was ready: {status}");
            }
            match probe.get(&format!("{}/status", self.url)).call() {
                Ok(r) => {
                    let v: Value = r.into_json().unwrap_or(Value::Null);
                    if v["value"]["ready"] == json!(true) {
                        return;
                    }
                    last = v.to_string();
                }
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(WAIT_POLL);
        }
        panic!("chromedriver on {} never became ready: {last}", self.url);
    }

    fn new_session(&self) -> String {
        let profile = self._profile.path().display().to_string();
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--no-first-run",
                            "--disable-quic",
                            // A fixed UI language, so a date input takes mm/dd/yyyy keys.
                            "--lang=en-US",
                            format!("--user-data-dir={profile}"),
                        ],
                    },
                },
            },
        });
        let v = self
            .call("POST", "/session", Some(caps))
            .unwrap_or_else(|e| panic!("cannot create a Chromium session: {e}"));
        v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {v}"))
            .to_string()
    }

    /// One WebDriver command; returns the response's `value`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, WdError> {
        let req = self.agent.request(method, &format!("{}{path}", self.url));
        let res = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        let (status, resp) = match res {
            Ok(r) => (r.status(), r),
            Err(ureq::Error::Status(s, r)) => (s, r),
            Err(e) => {
                return Err(WdError {
                    status: 0,
                    error: "transport".into(),
                    message: format!("{method} {path}: {e}"),
                })
            }
        };
        let v: Value = resp.into_json().unwrap_or(Value::Null);
        if status == 200 {
            Ok(v["value"].clone())
        } else {
            Err(WdError {
                status,
                error: v["value"]["error"].as_str().unwrap_or("?").to_string(),
                message: v["value"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            })
        }
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_session_call(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    fn try_session_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WdError> {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    /// Opens `url` and waits for the page to load (WebDriver's own page-load wait).
    pub fn goto(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn current_url(&self) -> String {
        self.session_call("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The path (and query) of the current URL.
    pub fn current_path(&self) -> String {
        let url = self.current_url();
        match url
            .find("://")
            .and_then(|s| url[s + 3..].find('/').map(|p| s + 3 + p))
        {
            Some(at) => url[at..].to_string(),
            None => url,
        }
    }

    pub fn try_find(&self, css: &str) -> Option<Element> {
        let body = json!({ "using": "css selector", "value": css });
        match self.try_session_call("POST", "/element", Some(body)) {
            Ok(v) => v[ELEMENT_KEY].as_str().map(|id| Element(id.to_string())),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("WebDriver find {css:?}: {e}"),
        }
    }

    pub fn find(&self, css: &str) -> Element {
        self.try_find(css).unwrap_or_else(|| {
            panic!(
                "no element {css:?} on {}: {}",
                self.current_url(),
                self.page_text_start()
            )
        })
    }

    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let body = json!({ "using": "css selector", "value": css });
        self.session_call("POST", "/elements", Some(body))
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v[ELEMENT_KEY].as_str())
                    .map(|id| Element(id.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Presses OK on the open `confirm()` or `alert()` dialog.
    pub fn accept_dialog(&self) {
        self.session_call("POST", "/alert/accept", Some(json!({})));
    }

    pub fn click(&self, el: &Element) {
        self.session_call("POST", &format!("/element/{}/click", el.0), Some(json!({})));
    }

    /// Empties an input, as selecting all and deleting would.
    pub fn clear(&self, el: &Element) {
        self.session_call("POST", &format!("/element/{}/clear", el.0), Some(json!({})));
    }

    /// Types `text` into the element (after focusing it, as WebDriver does).
    pub fn send_keys(&self, el: &Element, text: &str) {
        self.session_call(
            "POST",
            &format!("/element/{}/value", el.0),
            Some(json!({ "text": text })),
        );
    }

    /// Finds the field by CSS and types into it.
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.send_keys(&el, text);
    }

    /// Chooses an option of a `<select>` by clicking it, as a person would.
    pub fn select(&self, select_css: &str, value: &str) {
        let css = format!("{select_css} option[value=\"{value}\"]");
        let option = self.find(&css);
        self.click(&option);
        assert!(
            self.property(&option, "selected") == json!(true),
            "option {css} is selected after clicking it"
        );
    }

    /// The element's rendered text.
    pub fn text(&self, el: &Element) -> String {
        self.session_call("GET", &format!("/element/{}/text", el.0), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The element's attribute (as in the markup), if it has it.
    pub fn attribute(&self, el: &Element, name: &str) -> Option<String> {
        self.session_call("GET", &format!("/element/{}/attribute/{name}", el.0), None)
            .as_str()
            .map(String::from)
    }

    /// The element's DOM property (e.g. an input's current `value`).
    pub fn property(&self, el: &Element, name: &str) -> Value {
        self.session_call("GET", &format!("/element/{}/property/{name}", el.0), None)
    }

    /// The element's position and size in CSS pixels: (x, y, width, height).
    pub fn rect(&self, el: &Element) -> (f64, f64, f64, f64) {
        let r = self.session_call("GET", &format!("/element/{}/rect", el.0), None);
        let n = |k: &str| {
            r[k].as_f64()
                .unwrap_or_else(|| panic!("no {k} in rect {r}"))
        };
        (n("x"), n("y"), n("width"), n("height"))
    }

    /// The whole page's visible text; empty while the page is being replaced (the body
    /// found a moment ago can go stale when a form's answer arrives).
    pub fn page_text(&self) -> String {
        self.try_find("body")
            .and_then(|b| {
                self.try_session_call("GET", &format!("/element/{}/text", b.0), None)
                    .ok()
            })
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    fn page_text_start(&self) -> String {
        self.page_text().chars().take(600).collect()
    }

    /// Waits (bounded) until an element matching `css` is on the page.
    pub fn wait_for(&self, css: &str) -> Element {
        let until = Instant::now() + WAIT_TOTAL;
        loop {
            if let Some(el) = self.try_find(css) {
                return el;
            }
            if Instant::now() > until {
                panic!(
                    "waited {WAIT_TOTAL:?} for {css:?}; the browser is at {}: {}",
                    self.current_url(),
                    self.page_text_start()
                );
            }
            std::thread::sleep(WAIT_POLL);
        }
    }

    /// Waits (bounded) until the current URL's path is `path` (query ignored).
    pub fn wait_for_path(&self, path: &str) {
        let until = Instant::now() + WAIT_TOTAL;
        loop {
            let now = self.current_path();
            if now.split(['?', '#']).next() == Some(path) {
                return;
            }
            if Instant::now() > until {
                panic!(
                    "waited {WAIT_TOTAL:?} for {path}; the browser is at {now}: {}",
                    self.page_text_start()
                );
            }
            std::thread::sleep(WAIT_POLL);
        }
    }

    /// Waits (bounded) until the page's text contains `needle`.
    pub fn wait_for_text(&self, needle: &str) {
        let until = Instant::now() + WAIT_TOTAL;
        loop {
            let text = self.page_text();
            if text.contains(needle) {
                return;
            }
            if Instant::now() > until {
                panic!(
                    "waited {WAIT_TOTAL:?} for the text {needle:?} on {}: {}",
                    self.current_url(),
                    text.chars().take(600).collect::<String>()
                );
            }
            std::thread::sleep(WAIT_POLL);
        }
    }

    /// Resizes the browser window (outer size).
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.session_call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    /// Makes the page's viewport exactly `width`×`height` CSS pixels, as on a device of
    /// that size (`mobile` also applies the page's viewport meta tag), via Chromium's
    /// DevTools protocol. Window sizes alone cannot go below Chromium's minimum width.
    pub fn emulate_viewport(&self, width: u32, height: u32, mobile: bool) {
        self.session_call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({
                "cmd": "Emulation.setDeviceMetricsOverride",
                "params": {
                    "width": width,
                    "height": height,
                    "deviceScaleFactor": 1,
                    "mobile": mobile,
                },
            })),
        );
    }

    /// Runs JavaScript in the page and returns its result.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        let b64 = self.session_call("GET", "/screenshot", None);
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("a base64 screenshot"))
            .expect("the screenshot is base64")
    }

    /// A PNG of the whole page, beyond the viewport (Chromium's DevTools protocol).
    pub fn full_page_screenshot(&self) -> Vec<u8> {
        let v = self.session_call(
            "POST",
            "/goog/cdp/execute",
            Some(json!({
                "cmd": "Page.captureScreenshot",
                "params": { "format": "png", "captureBeyondViewport": true },
            })),
        );
        base64::engine::general_purpose::STANDARD
            .decode(v["data"].as_str().expect("a base64 screenshot"))
            .expect("the screenshot is base64")
    }

    /// Saves a PNG of the viewport to `path` (creating its directory) and returns the path.
    pub fn save_screenshot(&self, path: impl Into<PathBuf>) -> PathBuf {
        let path = path.into();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(&path, self.screenshot()).expect("screenshot written");
        path
    }

    /// Saves a PNG of the whole page to `path` (creating its directory).
    pub fn save_full_page_screenshot(&self, path: impl Into<PathBuf>) -> PathBuf {
        let path = path.into();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(&path, self.full_page_screenshot()).expect("screenshot written");
        path
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Width and height of a PNG, from its header.
pub fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(
        png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "a PNG"
    );
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    (w, h)
}
