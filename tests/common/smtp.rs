//! A small SMTP server for tests, on std::net: 127.0.0.1 on a free port, one thread per
//! connection. It speaks enough of RFC 5321 for lettre: greeting, EHLO/HELO (advertising
//! AUTH PLAIN LOGIN when it has credentials), AUTH PLAIN and AUTH LOGIN, MAIL FROM,
//! RCPT TO, DATA with dot-unstuffing, RSET, NOOP and QUIT. Every accepted message is
//! recorded; a test waits for the next one with a timeout (a Condvar, no sleeping). It can
//! answer 451 to the next N DATA commands, or refuse every login, to test retries and
//! error messages.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;

const NAME: &str = "smtp.test.local";

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (MAIL FROM), without angle brackets.
    pub from: String,
    /// The envelope recipients (RCPT TO), in order.
    pub to: Vec<String>,
    /// The message as received, dot-unstuffed, with CRLF line ends.
    pub data: String,
    /// Who logged in on the connection that sent it, if anyone did.
    pub user: Option<String>,
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`) in a header
/// value; whitespace between two encoded words is dropped, as the RFC says.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        let word = rest[start + 2..].splitn(3, '?').collect::<Vec<_>>();
        let decoded = (word.len() == 3)
            .then(|| {
                let (enc, tail) = (word[1], word[2]);
                let end = tail.find("?=")?;
                let text = &tail[..end];
                let bytes = match enc.to_ascii_lowercase().as_str() {
                    "b" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                    "q" => {
                        let mut b = Vec::new();
                        let mut it = text.bytes();
                        while let Some(c) = it.next() {
                            match c {
                                b'_' => b.push(b' '),
                                b'=' => {
                                    let hex = [it.next()?, it.next()?];
                                    b.push(
                                        u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16)
                                            .ok()?,
                                    );
                                }
                                c => b.push(c),
                            }
                        }
                        b
                    }
                    _ => return None,
                };
                let used = start + 2 + word[0].len() + 1 + enc.len() + 1 + end + 2;
                Some((String::from_utf8_lossy(&bytes).into_owned(), used))
            })
            .flatten();
        match decoded {
            Some((text, used)) => {
                if !(last_was_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &rest[used..];
                last_was_word = true;
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = &rest[start + 2..];
                last_was_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Received {
    /// The first header `name`, unfolded and with encoded words decoded, if any.
    pub fn header(&self, name: &str) -> Option<String> {
        self.raw_header(name).map(|v| decode_words(&v))
    }

    /// The first header `name`, unfolded, as sent.
    pub fn raw_header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut lines = head.split("\r\n").peekable();
        let prefix = format!("{}:", name.to_ascii_lowercase());
        while let Some(line) = lines.next() {
            if line.to_ascii_lowercase().starts_with(&prefix) {
                let mut value = line[prefix.len()..].trim().to_string();
                while let Some(next) = lines.peek() {
                    if next.starts_with([' ', '\t']) {
                        value.push(' ');
                        value.push_str(next.trim());
                        lines.next();
                    } else {
                        break;
                    }
                }
                return Some(value);
            }
        }
        None
    }
}

#[derive(Default)]
struct State {
    inbox: VecDeque<Received>,
    accepted: usize,
    connections: usize,
    fail_data: usize,
    reject_logins: bool,
    login_attempts: usize,
    /// Once this many messages are accepted, the last one's answer is held back until
    /// `release` (a server that took a message but did not say so yet).
    hold_after: Option<usize>,
    released: bool,
}

struct Shared {
    state: Mutex<State>,
    arrived: Condvar,
    credentials: Option<(String, String)>,
    stop: AtomicBool,
}

pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpServer {
    /// A server that takes mail from anyone, without a login.
    pub fn start() -> SmtpServer {
        SmtpServer::spawn(None)
    }

    /// A server that offers AUTH PLAIN and LOGIN and takes mail only after a login with
    /// these credentials.
    pub fn with_login(user: &str, password: &str) -> SmtpServer {
        SmtpServer::spawn(Some((user.to_string(), password.to_string())))
    }

    fn spawn(credentials: Option<(String, String)>) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("test SMTP server binds");
        let port = listener.local_addr().expect("bound").port();
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            arrived: Condvar::new(),
            credentials,
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                s.lock().connections += 1;
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = Session::new(&s, stream).and_then(|mut session| session.run());
                });
            }
        });
        SmtpServer {
            port,
            shared,
            thread: Some(thread),
        }
    }

    /// Answers `451` to the next `n` DATA commands.
    pub fn fail_next_data(&self, n: usize) {
        self.shared.lock().fail_data = n;
    }

    /// Holds back the answer to the `n`-th message (it is recorded as received) until
    /// `release`: the moment a sender has handed a message over and not heard back.
    pub fn hold_after(&self, n: usize) {
        let mut s = self.shared.lock();
        s.hold_after = Some(n);
        s.released = false;
    }

    /// Lets a held answer go (the connection it was on may be gone by then).
    pub fn release(&self) {
        self.shared.lock().released = true;
        self.shared.arrived.notify_all();
    }

    /// Waits until `n` messages have been accepted in all, or panics after 60 seconds.
    pub fn wait_accepted(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut state = self.shared.lock();
        while state.accepted < n {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| {
                    panic!("{} of {n} messages arrived within 60 s", state.accepted)
                });
            state = self
                .shared
                .arrived
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Waits up to `timeout` for anything to happen (a message arriving).
    pub fn next_event(&self, timeout: Duration) {
        let state = self.shared.lock();
        let _ = self.shared.arrived.wait_timeout(state, timeout);
    }

    /// The oldest message not taken yet, without waiting.
    pub fn take(&self) -> Option<Received> {
        self.shared.lock().inbox.pop_front()
    }

    /// Refuses every login (535), even with the right credentials.
    pub fn reject_logins(&self) {
        self.shared.lock().reject_logins = true;
    }

    /// Waits for the next accepted message, up to `timeout`.
    pub fn next_message(&self, timeout: Duration) -> Option<Received> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(m) = state.inbox.pop_front() {
                return Some(m);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self
                .shared
                .arrived
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The next message, or a panic after 10 seconds.
    pub fn expect_message(&self) -> Received {
        self.next_message(Duration::from_secs(10))
            .expect("a message reaches the test SMTP server within 10 s")
    }

    /// Messages accepted so far (taken or not).
    pub fn accepted(&self) -> usize {
        self.shared.lock().accepted
    }

    /// Connections opened so far.
    pub fn connections(&self) -> usize {
        self.shared.lock().connections
    }

    /// AUTH commands received so far.
    pub fn login_attempts(&self) -> usize {
        self.shared.lock().login_attempts
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Session<'a> {
    shared: &'a Shared,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    user: Option<String>,
    from: Option<String>,
    to: Vec<String>,
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn unb64(s: &str) -> Option<String> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

/// The address in `FROM:<a@b> PARAMS` / `TO:<a@b>`.
fn path(arg: &str) -> Option<String> {
    let start = arg.find('<')? + 1;
    let end = start + arg[start..].find('>')?;
    Some(arg[start..end].to_string())
}

impl<'a> Session<'a> {
    fn new(shared: &'a Shared, stream: TcpStream) -> std::io::Result<Session<'a>> {
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Session {
            shared,
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            user: None,
            from: None,
            to: Vec::new(),
        })
    }

    fn reply(&mut self, line: &str) -> std::io::Result<()> {
        self.writer.write_all(format!("{line}\r\n").as_bytes())?;
        self.writer.flush()
    }

    /// One line without its CRLF; None when the client has gone.
    fn line(&mut self) -> std::io::Result<Option<String>> {
        let mut buf = Vec::new();
        if self.reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(None);
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
    }

    fn run(&mut self) -> std::io::Result<()> {
        if self.shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        self.reply(&format!("220 {NAME} ESMTP test server ready"))?;
        while let Some(line) = self.line()? {
            let (verb, arg) = match line.split_once(' ') {
                Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
                None => (line.to_ascii_uppercase(), String::new()),
            };
            match verb.as_str() {
                "EHLO" => {
                    let mut lines = vec![format!("{NAME} greets {arg}"), "8BITMIME".into()];
                    if self.shared.credentials.is_some() {
                        lines.push("AUTH PLAIN LOGIN".into());
                    }
                    lines.push("SMTPUTF8".into());
                    let last = lines.len() - 1;
                    for (i, l) in lines.iter().enumerate() {
                        let sep = if i == last { ' ' } else { '-' };
                        self.reply(&format!("250{sep}{l}"))?;
                    }
                }
                "HELO" => self.reply(&format!("250 {NAME}"))?,
                "AUTH" => self.auth(&arg)?,
                "MAIL" => {
                    if self.shared.credentials.is_some() && self.user.is_none() {
                        self.reply("530 5.7.0 Authentication required")?;
                    } else if let Some(from) = arg
                        .to_ascii_uppercase()
                        .starts_with("FROM:")
                        .then(|| path(&arg))
                        .flatten()
                    {
                        self.from = Some(from);
                        self.to.clear();
                        self.reply("250 2.1.0 OK")?;
                    } else {
                        self.reply("501 5.5.4 Syntax: MAIL FROM:<address>")?;
                    }
                }
                "RCPT" => {
                    if self.from.is_none() {
                        self.reply("503 5.5.1 MAIL first")?;
                    } else if let Some(to) = arg
                        .to_ascii_uppercase()
                        .starts_with("TO:")
                        .then(|| path(&arg))
                        .flatten()
                    {
                        self.to.push(to);
                        self.reply("250 2.1.5 OK")?;
                    } else {
                        self.reply("501 5.5.4 Syntax: RCPT TO:<address>")?;
                    }
                }
                "DATA" => self.data()?,
                "RSET" => {
                    self.from = None;
                    self.to.clear();
                    self.reply("250 2.0.0 OK")?;
                }
                "NOOP" => self.reply("250 2.0.0 OK")?,
                "QUIT" => {
                    self.reply("221 2.0.0 Bye")?;
                    return Ok(());
                }
                _ => self.reply("502 5.5.2 Command not recognized")?,
            }
        }
        Ok(())
    }

    fn auth(&mut self, arg: &str) -> std::io::Result<()> {
        let Some((user, password)) = self.shared.credentials.clone() else {
            return self.reply("502 5.5.1 AUTH not available");
        };
        if self.user.is_some() {
            return self.reply("503 5.5.1 Already authenticated");
        }
        let reject = {
            let mut s = self.shared.lock();
            s.login_attempts += 1;
            s.reject_logins
        };
        let (mechanism, initial) = match arg.split_once(' ') {
            Some((m, i)) => (m.to_ascii_uppercase(), Some(i.to_string())),
            None => (arg.to_ascii_uppercase(), None),
        };
        let given = match mechanism.as_str() {
            "PLAIN" => {
                let response = match initial {
                    Some(i) => i,
                    None => {
                        self.reply("334 ")?;
                        self.line()?.unwrap_or_default()
                    }
                };
                // authzid NUL authcid NUL password
                unb64(&response).and_then(|s| {
                    let mut parts = s.split('\0');
                    let _authzid = parts.next()?;
                    Some((parts.next()?.to_string(), parts.next()?.to_string()))
                })
            }
            "LOGIN" => {
                let name = match initial {
                    Some(i) => i,
                    None => {
                        self.reply(&format!("334 {}", b64("Username:")))?;
                        self.line()?.unwrap_or_default()
                    }
                };
                self.reply(&format!("334 {}", b64("Password:")))?;
                let pw = self.line()?.unwrap_or_default();
                unb64(&name).zip(unb64(&pw))
            }
            _ => return self.reply("504 5.5.4 Unrecognized authentication type"),
        };
        match given {
            Some((u, p)) if !reject && u == user && p == password => {
                self.user = Some(u);
                self.reply("235 2.7.0 Authentication successful")
            }
            _ => self.reply("535 5.7.8 Authentication credentials invalid"),
        }
    }

    fn data(&mut self) -> std::io::Result<()> {
        if self.from.is_none() || self.to.is_empty() {
            return self.reply("503 5.5.1 RCPT first");
        }
        let fail = {
            let mut s = self.shared.lock();
            let fail = s.fail_data > 0;
            s.fail_data = s.fail_data.saturating_sub(1);
            fail
        };
        if fail {
            return self.reply("451 4.3.0 Mail server temporarily unavailable, try again later");
        }
        self.reply("354 End data with <CR><LF>.<CR><LF>")?;
        let mut data = String::new();
        loop {
            let Some(line) = self.line()? else {
                return Ok(());
            };
            if line == "." {
                break;
            }
            // Dot-unstuffing: a line the client began with an extra dot.
            let line = line.strip_prefix('.').unwrap_or(&line);
            data.push_str(line);
            data.push_str("\r\n");
        }
        let received = Received {
            from: self.from.take().unwrap_or_default(),
            to: std::mem::take(&mut self.to),
            data,
            user: self.user.clone(),
        };
        let n = {
            let mut s = self.shared.lock();
            s.accepted += 1;
            s.inbox.push_back(received);
            s.accepted
        };
        self.shared.arrived.notify_all();
        let mut s = self.shared.lock();
        if s.hold_after == Some(n) {
            while !s.released && !self.shared.stop.load(Ordering::SeqCst) {
                s = self
                    .shared
                    .arrived
                    .wait_timeout(s, Duration::from_secs(1))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        drop(s);
        self.reply(&format!("250 2.0.0 OK queued as TEST{n}"))
    }
}
