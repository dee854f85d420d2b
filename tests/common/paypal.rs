//! A stand-in for PayPal's REST API, on std::net: 127.0.0.1 on a free port, one thread per
//! connection, one request per connection (`Connection: close`). It speaks the parts of
//! Orders v2 the shop uses, the way PayPal answers them:
//!
//! - `POST /v1/oauth2/token` — HTTP Basic with the client id and secret, form body
//!   `grant_type=client_credentials` → `{access_token, token_type, expires_in}`; wrong
//!   credentials → 401 `invalid_client`.
//! - `POST /v2/checkout/orders` — bearer token; `intent: CAPTURE` and one purchase unit
//!   with an amount → `{id, status, links}`: with `payment_source.paypal.experience_context`
//!   the status is `PAYER_ACTION_REQUIRED` and the buyer's link is `payer-action`; with the
//!   older `application_context` it is `CREATED` and `approve`.
//! - `GET /checkoutnow?token=ID` — the buyer's approval page: the order becomes APPROVED
//!   and the buyer is sent (302) to the shop's return_url with `token` and `PayerID`;
//!   `&cancel=1` sends them to the cancel_url instead.
//! - `POST /v2/checkout/orders/ID/capture` — bearer token; 422 `ORDER_NOT_APPROVED` before
//!   approval and `ORDER_ALREADY_CAPTURED` after a capture; otherwise answered as the test
//!   chose (`CaptureMode`): completed, declined (201 with a DECLINED capture), declined
//!   instrument (422 `INSTRUMENT_DECLINED`), or completed for the wrong amount.
//!
//! Every request is recorded for the test to look at.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::Engine;
use serde_json::{json, Value};

pub const CLIENT_ID: &str = "test-client-id";
pub const CLIENT_SECRET: &str = "test-client-secret";

/// How the next captures are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureMode {
    Complete,
    /// 201, order COMPLETED, the capture DECLINED.
    Declined,
    /// 422 INSTRUMENT_DECLINED.
    InstrumentDeclined,
    /// COMPLETED, but for 1.00 of the order's currency.
    WrongAmount,
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Request {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: String,
    pub status: String,
    pub currency: String,
    pub value: String,
    pub reference_id: String,
    pub return_url: String,
    pub cancel_url: String,
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    orders: HashMap<String, Order>,
    tokens: Vec<String>,
    next: u64,
    mode: Option<CaptureMode>,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    base: String,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct PayPalStandIn {
    pub base: String,
    port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl PayPalStandIn {
    pub fn start() -> PayPalStandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("stand-in binds");
        let port = listener.local_addr().expect("bound").port();
        let base = format!("http://127.0.0.1:{port}");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stop: AtomicBool::new(false),
            base: base.clone(),
        });
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = serve(&s, stream);
                });
            }
        });
        PayPalStandIn {
            base,
            port,
            shared,
            thread: Some(thread),
        }
    }

    /// How the following captures are answered (completed until told otherwise).
    pub fn capture_as(&self, mode: CaptureMode) {
        self.shared.lock().mode = Some(mode);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().requests.clone()
    }

    /// The requests to `path` (exact), in order.
    pub fn requests_to(&self, method: &str, path_prefix: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.starts_with(path_prefix))
            .collect()
    }

    pub fn order(&self, id: &str) -> Option<Order> {
        self.shared.lock().orders.get(id).cloned()
    }
}

impl Drop for PayPalStandIn {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_request(stream: &TcpStream) -> std::io::Result<Request> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

struct Reply {
    status: u16,
    body: Value,
    location: Option<String>,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        body,
        location: None,
    }
}

fn error(status: u16, name: &str, issue: &str, description: &str) -> Reply {
    reply(
        status,
        json!({
            "name": name,
            "message": "The requested action could not be performed.",
            "details": [{ "issue": issue, "description": description }],
        }),
    )
}

fn serve(s: &Shared, mut stream: TcpStream) -> std::io::Result<()> {
    let req = read_request(&stream)?;
    s.lock().requests.push(req.clone());
    let r = answer(s, &req);
    let body = r.body.to_string();
    let reason = match r.status {
        200 => "OK",
        201 => "Created",
        302 => "Found",
        401 => "Unauthorized",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        _ => "Other",
    };
    let mut head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        r.status,
        body.len()
    );
    if let Some(l) = r.location {
        head.push_str(&format!("Location: {l}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

fn bearer_ok(s: &Shared, req: &Request) -> bool {
    req.headers
        .get("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|t| s.lock().tokens.iter().any(|k| k == t))
}

fn query<'a>(path: &'a str, name: &str) -> Option<&'a str> {
    path.split_once('?')?
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
}

fn answer(s: &Shared, req: &Request) -> Reply {
    let path = req.path.split('?').next().unwrap_or("");
    match (req.method.as_str(), path) {
        ("POST", "/v1/oauth2/token") => {
            let expected = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
            );
            if req.headers.get("authorization") != Some(&expected)
                || req.body != "grant_type=client_credentials"
            {
                return reply(
                    401,
                    json!({"error": "invalid_client", "error_description": "Client Authentication failed"}),
                );
            }
            let mut st = s.lock();
            st.next += 1;
            let token = format!("A21AAtoken{}", st.next);
            st.tokens.push(token.clone());
            reply(
                200,
                json!({"scope": "https://uri.paypal.com/services/payments", "access_token": token, "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": 32400}),
            )
        }
        ("POST", "/v2/checkout/orders") => {
            if !bearer_ok(s, req) {
                return error(
                    401,
                    "AUTHENTICATION_FAILURE",
                    "INVALID_TOKEN",
                    "Authentication failed.",
                );
            }
            let b = req.json();
            let unit = &b["purchase_units"][0];
            let amount = &unit["amount"];
            if b["intent"] != "CAPTURE"
                || amount["currency_code"].as_str().is_none()
                || amount["value"].as_str().is_none()
            {
                return error(
                    422,
                    "UNPROCESSABLE_ENTITY",
                    "MISSING_REQUIRED_PARAMETER",
                    "intent and amount are required.",
                );
            }
            let modern = &b["payment_source"]["paypal"]["experience_context"];
            let (ctx, status, rel) = if modern.is_object() {
                (modern, "PAYER_ACTION_REQUIRED", "payer-action")
            } else {
                (&b["application_context"], "CREATED", "approve")
            };
            let mut st = s.lock();
            st.next += 1;
            let id = format!("5O190127TN36471{:02}T", st.next);
            st.orders.insert(
                id.clone(),
                Order {
                    id: id.clone(),
                    status: status.into(),
                    currency: amount["currency_code"].as_str().unwrap_or("").into(),
                    value: amount["value"].as_str().unwrap_or("").into(),
                    reference_id: unit["reference_id"].as_str().unwrap_or("").into(),
                    return_url: ctx["return_url"].as_str().unwrap_or("").into(),
                    cancel_url: ctx["cancel_url"].as_str().unwrap_or("").into(),
                },
            );
            reply(
                200,
                json!({
                    "id": id,
                    "status": status,
                    "links": [
                        { "href": format!("{}/v2/checkout/orders/{id}", s.base), "rel": "self", "method": "GET" },
                        { "href": format!("{}/checkoutnow?token={id}", s.base), "rel": rel, "method": "GET" },
                    ],
                }),
            )
        }
        ("GET", "/checkoutnow") => {
            let id = query(&req.path, "token").unwrap_or("").to_string();
            let mut st = s.lock();
            let Some(o) = st.orders.get_mut(&id) else {
                return error(
                    404,
                    "RESOURCE_NOT_FOUND",
                    "INVALID_RESOURCE_ID",
                    "No such order.",
                );
            };
            let to = if query(&req.path, "cancel").is_some() {
                format!("{}?token={id}", o.cancel_url)
            } else {
                o.status = "APPROVED".into();
                format!("{}?token={id}&PayerID=QYR5Z8XDVJNXQ", o.return_url)
            };
            Reply {
                status: 302,
                body: json!({}),
                location: Some(to),
            }
        }
        ("POST", p) if p.starts_with("/v2/checkout/orders/") && p.ends_with("/capture") => {
            if !bearer_ok(s, req) {
                return error(
                    401,
                    "AUTHENTICATION_FAILURE",
                    "INVALID_TOKEN",
                    "Authentication failed.",
                );
            }
            let id = p
                .trim_start_matches("/v2/checkout/orders/")
                .trim_end_matches("/capture")
                .to_string();
            let mut st = s.lock();
            let mode = st.mode.unwrap_or(CaptureMode::Complete);
            let Some(o) = st.orders.get_mut(&id) else {
                return error(
                    404,
                    "RESOURCE_NOT_FOUND",
                    "INVALID_RESOURCE_ID",
                    "Specified resource ID does not exist.",
                );
            };
            match o.status.as_str() {
                "APPROVED" => {}
                "COMPLETED" => {
                    return error(
                        422,
                        "UNPROCESSABLE_ENTITY",
                        "ORDER_ALREADY_CAPTURED",
                        "Order already captured.",
                    )
                }
                _ => {
                    return error(
                        422,
                        "UNPROCESSABLE_ENTITY",
                        "ORDER_NOT_APPROVED",
                        "Payer has not yet approved the Order for payment.",
                    )
                }
            }
            if mode == CaptureMode::InstrumentDeclined {
                return error(422, "UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED", "The instrument presented was either declined by the processor or bank, or it can't be used for this payment.");
            }
            o.status = "COMPLETED".into();
            let (cap_status, value) = match mode {
                CaptureMode::Declined => ("DECLINED", o.value.clone()),
                CaptureMode::WrongAmount => ("COMPLETED", "1.00".to_string()),
                _ => ("COMPLETED", o.value.clone()),
            };
            reply(
                201,
                json!({
                    "id": id,
                    "status": "COMPLETED",
                    "purchase_units": [{
                        "reference_id": o.reference_id,
                        "payments": { "captures": [{
                            "id": "3C679366HH908993F",
                            "status": cap_status,
                            "amount": { "currency_code": o.currency, "value": value },
                            "final_capture": true,
                        }]},
                    }],
                    "payer": { "payer_id": "QYR5Z8XDVJNXQ" },
                }),
            )
        }
        _ => error(
            404,
            "RESOURCE_NOT_FOUND",
            "INVALID_RESOURCE_ID",
            "Not here.",
        ),
    }
}
