//! Delivery to an SMTP server (settings `mail.smtp.*`), with lettre's blocking client and
//! rustls (ring provider, Mozilla's root certificates compiled in, so nothing is needed
//! from the system).
//!
//! - `starttls`: plain connection upgraded with STARTTLS, which is required (a server that
//!   does not offer it is an error, never a silent fallback to plain text);
//! - `tls`: TLS from the first byte (implicit TLS, usually port 465);
//! - `none`: plain text, only sensible for a server on this machine; a password is never
//!   sent over a plain connection to another host.
//!
//! Login (AUTH PLAIN or LOGIN) only when a user name is set. Connecting and every command
//! time out after [`TIMEOUT`], so a dead server cannot hold the mail job.
//!
//! One connection serves a whole sender pass: it is opened at the first mail, reused for
//! the next ones and closed (QUIT) when the transport is dropped at the end of the pass.
//! When the server cannot be reached or refuses the login, the remaining mails of that
//! pass fail at once with the same error instead of each waiting for a timeout.
//!
//! Every error is one sentence naming the server and the step that failed, with the
//! server's reply ("SMTP server smtp.x.test:587 refused the login: 535 5.7.8 …"). A
//! permanent (5xx) rejection is retried like a temporary one: it is most often a setting
//! the owner fixes (password, sender address), and a mail must not be lost meanwhile; the
//! row shows the reply and fails after `mail.max_attempts` like any other.

use std::error::Error as _;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::Error as SmtpError;
use time::OffsetDateTime;

use super::message::Outgoing;
use super::outbox::{Delivered, Transport};

/// How long connecting, the TLS handshake and each command may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    StartTls,
    Tls,
    None,
}

impl Security {
    /// From the setting's word (`starttls`, `tls`, `none`).
    pub fn parse(word: &str) -> Option<Security> {
        match word {
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            "none" => Some(Security::None),
            _ => None,
        }
    }
}

/// What it takes to reach the server; the password already decrypted.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
}

/// Whether `host` is this machine (where a plain connection is acceptable).
pub fn is_local(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A host name (letters, digits, hyphens, dots; labels up to 63) or an IP address.
pub fn is_host(host: &str) -> bool {
    if host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() {
        return true;
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl SmtpConfig {
    /// Why this configuration cannot work, per setting: (setting name, message). Checked
    /// by the back-office form before saving and by the transport before connecting.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if self.host.is_empty() {
            p.push((
                "mail.smtp.host",
                "Enter the SMTP server's host name (for example smtp.example.com).".to_string(),
            ));
        } else if !is_host(&self.host) {
            p.push((
                "mail.smtp.host",
                format!("'{}' is not a host name or IP address.", self.host),
            ));
        }
        if self.port == 0 {
            p.push((
                "mail.smtp.port",
                "The port must be a number from 1 to 65535.".to_string(),
            ));
        }
        if !self.username.is_empty() {
            if self.password.is_empty() {
                p.push((
                    "mail.smtp.password",
                    format!("Enter the password for {}.", self.username),
                ));
            }
            if self.security == Security::None && !self.host.is_empty() && !is_local(&self.host) {
                p.push((
                    "mail.smtp.security",
                    "Without encryption the password would cross the network in plain text; \
                     choose STARTTLS or TLS (no encryption is only for a server on this machine)."
                        .to_string(),
                ));
            }
        }
        p
    }
}

enum State {
    /// No connection yet (or the last one was closed after an error).
    Idle,
    Open(Box<SmtpConnection>),
    /// The server could not be reached or refused the login in this pass: this error.
    Down(String),
}

pub struct SmtpMail {
    config: SmtpConfig,
    timeout: Duration,
    state: Mutex<State>,
}

/// The detail of a lettre error: the server's reply with its code, or the cause.
fn detail(e: &SmtpError, timeout: Duration) -> String {
    let source = e.source().map(|s| s.to_string()).unwrap_or_default();
    if let Some(code) = e.status() {
        return format!("{code} {source}").trim().to_string();
    }
    if e.is_timeout() {
        return format!("no answer within {} seconds", timeout.as_secs());
    }
    if source.is_empty() {
        e.to_string()
    } else {
        source
    }
}

/// Whether the failure came from TLS: lettre reports the rustls handshake (which happens
/// at the first read) as an I/O error of kind `InvalidData`.
fn is_tls_failure(e: &SmtpError) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::InvalidData;
        }
        source = s.source();
    }
    e.is_tls()
}

/// A failed step: whether the connection may simply have gone stale (worth one retry on a
/// fresh connection when it had been used before), and the message.
struct Failed {
    network: bool,
    message: String,
}

impl SmtpMail {
    pub fn new(config: SmtpConfig) -> SmtpMail {
        SmtpMail::with_timeout(config, TIMEOUT)
    }

    pub fn with_timeout(config: SmtpConfig, timeout: Duration) -> SmtpMail {
        SmtpMail {
            config,
            timeout,
            state: Mutex::new(State::Idle),
        }
    }

    fn server(&self) -> String {
        if self.config.host.contains(':') {
            format!("[{}]:{}", self.config.host, self.config.port)
        } else {
            format!("{}:{}", self.config.host, self.config.port)
        }
    }

    fn tls_parameters(&self) -> Result<TlsParameters, String> {
        TlsParameters::new(self.config.host.clone()).map_err(|e| {
            format!(
                "cannot prepare TLS for SMTP server {}: {}",
                self.server(),
                detail(&e, self.timeout)
            )
        })
    }

    /// Connects, secures and logs in, each step with its own message.
    fn connect(&self) -> Result<SmtpConnection, String> {
        let c = &self.config;
        let server = self.server();
        if let Some((_, problem)) = c.problems().into_iter().next() {
            return Err(format!("SMTP is not set up correctly: {problem}"));
        }
        let hello = ClientId::default();
        let tls = match c.security {
            Security::None => None,
            Security::StartTls | Security::Tls => Some(self.tls_parameters()?),
        };
        let wrapper = if c.security == Security::Tls {
            tls.as_ref()
        } else {
            None
        };
        let host = c.host.trim_matches(['[', ']']);
        let mut conn =
            SmtpConnection::connect((host, c.port), Some(self.timeout), &hello, wrapper, None)
                .map_err(|e| {
                    let d = detail(&e, self.timeout);
                    if c.security == Security::Tls && is_tls_failure(&e) {
                        format!(
                    "TLS with SMTP server {server} failed: {d} (with mail.smtp.security = tls \
                     the server must speak TLS from the start, usually on port 465)"
                )
                    } else if e.status().is_some() {
                        format!("SMTP server {server} refused the connection: {d}")
                    } else if e.is_timeout() {
                        format!("SMTP server {server} did not answer: {d}")
                    } else {
                        format!("cannot connect to SMTP server {server}: {d}")
                    }
                })?;
        if c.security == Security::StartTls {
            if !conn.can_starttls() {
                conn.abort();
                return Err(format!(
                    "SMTP server {server} does not offer STARTTLS, which mail.smtp.security = \
                     starttls requires (use tls for port 465)"
                ));
            }
            let params = tls.as_ref().expect("made for starttls");
            conn.starttls(params, &hello).map_err(|e| {
                let d = detail(&e, self.timeout);
                if is_tls_failure(&e) {
                    format!("TLS with SMTP server {server} failed: {d}")
                } else {
                    format!("SMTP server {server} failed during STARTTLS: {d}")
                }
            })?;
        }
        if !c.username.is_empty() {
            let info = conn.server_info();
            if !info.supports_auth_mechanism(Mechanism::Plain)
                && !info.supports_auth_mechanism(Mechanism::Login)
            {
                conn.abort();
                return Err(format!(
                    "SMTP server {server} offers no login that Cornershop can use (PLAIN or \
                     LOGIN); leave the user name empty if the server needs none"
                ));
            }
            let credentials = Credentials::new(c.username.clone(), c.password.clone());
            if let Err(e) = conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials) {
                conn.abort();
                return Err(format!(
                    "SMTP server {server} refused the login: {}",
                    detail(&e, self.timeout)
                ));
            }
        }
        Ok(conn)
    }

    /// One message over an open connection: MAIL FROM, RCPT TO for each, DATA.
    fn send(&self, conn: &mut SmtpConnection, m: &Outgoing) -> Result<(), Failed> {
        let server = self.server();
        let fail = |step: String, e: SmtpError| Failed {
            network: e.status().is_none() && !e.is_tls(),
            message: format!("SMTP server {server} {step}: {}", detail(&e, self.timeout)),
        };
        let info = conn.server_info();
        let mut params = Vec::new();
        let mut addresses = m.envelope.from().into_iter().chain(m.envelope.to());
        if addresses.any(|a| !AsRef::<str>::as_ref(a).is_ascii()) {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Err(Failed {
                    network: false,
                    message: format!(
                        "SMTP server {server} cannot take addresses with non-ASCII letters (no SMTPUTF8)"
                    ),
                });
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        if !m.bytes.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                return Err(Failed {
                    network: false,
                    message: format!(
                        "SMTP server {server} cannot take 8-bit messages (no 8BITMIME)"
                    ),
                });
            }
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let from = m.envelope.from().cloned();
        let sender = from.as_ref().map(|a| a.to_string()).unwrap_or_default();
        conn.command(Mail::new(from, params))
            .map_err(|e| fail(format!("refused the sender <{sender}>"), e))?;
        for to in m.envelope.to() {
            conn.command(Rcpt::new(to.clone(), vec![]))
                .map_err(|e| fail(format!("refused the recipient <{to}>"), e))?;
        }
        conn.command(Data)
            .map_err(|e| fail("did not accept the message".into(), e))?;
        let reply = conn
            .message(&m.bytes)
            .map_err(|e| fail("did not accept the message".into(), e))?;
        tracing::info!(
            "mail handed to SMTP server {server}: {}",
            reply.message().collect::<Vec<_>>().join(" ")
        );
        Ok(())
    }
}

impl Transport for SmtpMail {
    fn describe(&self) -> String {
        format!("SMTP server {}", self.server())
    }

    fn deliver(
        &self,
        _id: i64,
        message: &Outgoing,
        _now: OffsetDateTime,
    ) -> Result<Delivered, String> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut reused = false;
        loop {
            let mut conn = match std::mem::replace(&mut *state, State::Idle) {
                State::Down(error) => {
                    *state = State::Down(error.clone());
                    return Err(error);
                }
                State::Open(conn) => {
                    reused = true;
                    conn
                }
                State::Idle => match self.connect() {
                    Ok(conn) => Box::new(conn),
                    Err(error) => {
                        *state = State::Down(error.clone());
                        return Err(error);
                    }
                },
            };
            match self.send(&mut conn, message) {
                Ok(()) => {
                    *state = State::Open(conn);
                    return Ok(String::new());
                }
                Err(f) => {
                    // A failed transaction leaves the connection in an unknown state: close
                    // it; the next mail gets a fresh one.
                    conn.abort();
                    if f.network && reused {
                        // The server may have closed a connection kept from the last mail.
                        reused = false;
                        continue;
                    }
                    return Err(f.message);
                }
            }
        }
    }
}

impl Drop for SmtpMail {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        if let State::Open(conn) = state {
            let _ = conn.quit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(host: &str, security: Security, user: &str, pw: &str) -> SmtpConfig {
        SmtpConfig {
            host: host.into(),
            port: 587,
            security,
            username: user.into(),
            password: pw.into(),
        }
    }

    #[test]
    fn host_names_and_addresses() {
        for ok in [
            "smtp.example.com",
            "localhost",
            "127.0.0.1",
            "::1",
            "mail-1.x.test.",
        ] {
            assert!(is_host(ok), "{ok}");
        }
        for bad in [
            "",
            "smtp example.com",
            "-x.test",
            "a..b",
            "smtp.x.test:587",
            "x/y",
        ] {
            assert!(!is_host(bad), "{bad}");
        }
        assert!(is_local("localhost") && is_local("127.0.0.1") && is_local("::1"));
        assert!(!is_local("smtp.example.com") && !is_local("10.0.0.1"));
    }

    #[test]
    fn a_password_is_never_sent_in_plain_text_to_another_machine() {
        let far = config("smtp.x.test", Security::None, "shop", "pw");
        assert_eq!(far.problems()[0].0, "mail.smtp.security");
        assert!(config("127.0.0.1", Security::None, "shop", "pw")
            .problems()
            .is_empty());
        assert!(config("smtp.x.test", Security::None, "", "")
            .problems()
            .is_empty());
        assert!(config("smtp.x.test", Security::StartTls, "shop", "pw")
            .problems()
            .is_empty());
        assert_eq!(
            config("smtp.x.test", Security::Tls, "shop", "").problems()[0].0,
            "mail.smtp.password"
        );
        assert_eq!(
            config("", Security::Tls, "", "").problems()[0].0,
            "mail.smtp.host"
        );
    }

    #[test]
    fn a_server_nobody_listens_on_fails_at_once_and_says_where() {
        // Bind then drop: the port is free, nothing answers.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let smtp = SmtpMail::new(SmtpConfig {
            port,
            ..config("127.0.0.1", Security::None, "", "")
        });
        let msg = crate::mail::message::sample();
        let now = OffsetDateTime::now_utc();
        let err = smtp.deliver(1, &msg, now).unwrap_err();
        assert!(
            err.starts_with(&format!("cannot connect to SMTP server 127.0.0.1:{port}")),
            "{err}"
        );
        // The rest of the pass does not try again.
        assert_eq!(smtp.deliver(2, &msg, now).unwrap_err(), err);
    }
}
