//! The `cornershop` binary as people run it, for tests: a command with quiet logging and
//! none of the caller's CORNERSHOP_* variables, its output read line by line, a server
//! that is ready when it prints its "running at" line. Nothing sleeps; a process that
//! hangs fails its test after a generous deadline, and every process is killed when its
//! guard goes out of scope.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_cornershop");

/// How long a command or a server start may take before the test gives up on it. Only
/// reached when something hangs; a debug build fills the 200-product demo shop in seconds.
pub const PATIENCE: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------------------
// Running the binary

/// `cornershop ARGS` run in `cwd` (so only a cornershop.toml put there is read), with
/// quiet logging and none of the CORNERSHOP_* variables of whoever runs the tests.
pub fn cornershop_in(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(cwd)
        .env("CORNERSHOP_LOG", "error")
        .env_remove("CORNERSHOP_PORT")
        .env_remove("CORNERSHOP_ADDRESS")
        .env_remove("CORNERSHOP_DATA")
        .env_remove("CORNERSHOP_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// One line of output, or the end of one of the two streams.
pub enum Event {
    Out(String),
    Err(String),
    Closed,
}

/// Sends each line of `stream` to `tx`, then `Closed`.
pub fn forward(stream: impl Read + Send + 'static, tx: Sender<Event>, wrap: fn(String) -> Event) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(wrap(line)).is_err() {
                return;
            }
        }
        let _ = tx.send(Event::Closed);
    });
}

/// A started process. Dropping it kills the process and waits for it.
pub struct Running {
    pub child: Child,
    pub events: Receiver<Event>,
    pub open_streams: usize,
    pub deadline: Instant,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd.spawn().expect("the cornershop binary starts");
        let (tx, events) = mpsc::channel();
        forward(
            child.stdout.take().expect("piped stdout"),
            tx.clone(),
            Event::Out,
        );
        forward(child.stderr.take().expect("piped stderr"), tx, Event::Err);
        Running {
            child,
            events,
            open_streams: 2,
            deadline: Instant::now() + PATIENCE,
        }
    }

    /// The next line from either stream; None once both are closed.
    pub fn next(&mut self) -> Option<Event> {
        while self.open_streams > 0 {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Event::Closed) => self.open_streams -= 1,
                Ok(line) => return Some(line),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("cornershop was still running after {PATIENCE:?}")
                }
                Err(RecvTimeoutError::Disconnected) => self.open_streams = 0,
            }
        }
        None
    }

    /// Reads both streams to their end, then collects the exit status.
    pub fn finish(mut self, mut out: String, mut err: String) -> Outcome {
        while let Some(event) = self.next() {
            match event {
                Event::Out(l) => out.push_str(&format!("{l}\n")),
                Event::Err(l) => err.push_str(&format!("{l}\n")),
                Event::Closed => {}
            }
        }
        let status = self.child.wait().expect("exit status");
        Outcome {
            status,
            stdout: out,
            stderr: err,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a finished command went.
pub struct Outcome {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

impl Outcome {
    pub fn succeeded(self) -> Outcome {
        assert!(self.status.success(), "expected success, got {self:?}");
        self
    }

    pub fn failed(self) -> Outcome {
        assert!(
            !self.status.success() && self.status.code().is_some(),
            "expected a failure exit code, got {self:?}"
        );
        self
    }

    pub fn stderr_says(self, words: &str) -> Outcome {
        assert!(
            self.stderr.contains(words),
            "stderr should mention {words:?}: {self:?}"
        );
        self
    }
}

/// Runs a command until it exits by itself.
pub fn run(cmd: Command) -> Outcome {
    Running::spawn(cmd).finish(String::new(), String::new())
}

/// A shop that is listening. Dropping it kills the process.
pub struct Server {
    pub process: Running,
    /// The "Cornershop ... running at ..." line.
    pub line: String,
    /// The URL from that line, like http://127.0.0.1:PORT.
    pub url: String,
}

impl Server {
    /// Starts `cmd` and reads its stdout until the line saying it is listening.
    pub fn start(cmd: Command) -> Server {
        let mut process = Running::spawn(cmd);
        let (mut out, mut err) = (String::new(), String::new());
        loop {
            match process.next() {
                Some(Event::Out(line))
                    if line.starts_with("Cornershop ") && line.contains(" running at ") =>
                {
                    let url = line
                        .split(" running at ")
                        .nth(1)
                        .and_then(|rest| rest.split_whitespace().next())
                        .expect("a URL after 'running at'")
                        .to_string();
                    return Server { process, line, url };
                }
                Some(Event::Out(l)) => out.push_str(&format!("{l}\n")),
                Some(Event::Err(l)) => err.push_str(&format!("{l}\n")),
                Some(Event::Closed) => {}
                None => {
                    let outcome = process.finish(out, err);
                    panic!("cornershop stopped before it was listening: {outcome:?}");
                }
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {}", self.url))
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        get(&format!("{}{path}", self.url))
    }

    /// Kills the shop and returns what it printed on stdout after the ready line.
    pub fn stop(mut self) -> Vec<String> {
        let _ = self.process.child.kill();
        let _ = self.process.child.wait();
        let mut rest = Vec::new();
        while let Some(event) = self.process.next() {
            if let Event::Out(l) = event {
                rest.push(l);
            }
        }
        rest
    }
}

/// GET without following redirects: (status, body), whatever the status.
pub fn get(url: &str) -> (u16, String) {
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(60))
        .build();
    match agent.get(url).call() {
        Ok(r) => (r.status(), r.into_string().expect("a readable body")),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap_or_default()),
        Err(e) => panic!("GET {url} failed: {e}"),
    }
}

/// `N` distinct ports that were free a moment ago (all held until each is known).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<TcpListener> = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    std::array::from_fn(|i| listeners[i].local_addr().expect("bound address").port())
}
