//! Helpers shared by the end-to-end tests and the benchmarks: the sandbox run as a separate
//! process, the built driver's path, and the sandbox's request log.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The token the sandbox always accepts.
pub const DEMO_TOKEN: &str = "pat-na1-00000000-demo-0000-0000-000000000000";

/// `target/debug` (or `$CARGO_TARGET_DIR/debug`), where `cargo build --workspace` puts the
/// driver library and the sandbox binary; `HUBDB_PROFILE=release` picks `target/release`.
pub fn target_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), PathBuf::from);
    target.join(std::env::var("HUBDB_PROFILE").unwrap_or_else(|_| "debug".to_string()))
}

pub fn driver_library() -> PathBuf {
    let path = target_dir().join("libhubdb_odbc.so");
    assert!(
        path.exists(),
        "{} missing: run cargo build --workspace",
        path.display()
    );
    path
}

/// One entry of the sandbox's request log (`GET /__sandbox/requests`).
#[derive(Clone, Debug)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// Rows the answer carried; `None` for answers that are not row reads.
    pub rows: Option<usize>,
}

impl LoggedRequest {
    fn from_json(entry: &serde_json::Value) -> Self {
        let text = |key: &str| entry[key].as_str().unwrap_or_default().to_string();
        let number = |key: &str| entry[key].as_u64();
        Self {
            method: text("method"),
            path: text("path"),
            status: number("status").map_or(0, |s| s as u16),
            rows: number("rows").map(|r| r as usize),
        }
    }

    /// A read of rows: a row listing or a single row (`.../rows`, `.../rows/{id}`, drafts).
    pub fn is_row_read(&self) -> bool {
        self.path.contains("/rows")
    }

    /// The table as the path names it (`/cms/v3/hubdb/tables/{table}/...`), if any.
    pub fn table(&self) -> Option<&str> {
        let (_, rest) = self.path.split_once("/tables/")?;
        rest.split('/').next()
    }
}

/// A `hubdb-sandbox` process on a free port; killed on drop.
pub struct SandboxProcess {
    child: Child,
    pub url: String,
}

impl SandboxProcess {
    pub fn start(args: &[&str]) -> Self {
        let binary = target_dir().join("hubdb-sandbox");
        assert!(
            binary.exists(),
            "{} missing: run cargo build --workspace",
            binary.display()
        );
        let mut child = Command::new(binary)
            .args(["--port", "0"])
            .args(args)
            // The sandbox ends when this pipe closes, i.e. when this process ends: a
            // SandboxProcess kept in a static is never dropped.
            .arg("--exit-with-stdin")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the sandbox");
        let mut first_line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut first_line)
            .expect("sandbox prints its URL");
        let url = first_line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "sandbox said {url:?}");
        Self { child, url }
    }

    /// A DSN-less connection string that loads the built driver by path.
    pub fn connection_string(&self, extra: &str) -> String {
        format!(
            "Driver={};AuthScheme=PrivateApp;PrivateAppToken={DEMO_TOKEN};APIBaseURL={};{extra}",
            driver_library().display(),
            self.url
        )
    }

    /// The number of row-listing requests received (`.../rows`, published or draft).
    pub fn row_requests(&self) -> usize {
        let rows = |path: &str| path.ends_with("/rows") || path.ends_with("/rows/draft");
        self.requests()
            .iter()
            .filter(|(_, path)| rows(path))
            .count()
    }

    /// The request log: (method, path) of every HubDB request received.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.request_log()
            .into_iter()
            .map(|entry| (entry.method, entry.path))
            .collect()
    }

    /// The request log with what the sandbox recorded of each request.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        let body = self.admin("GET");
        let log: serde_json::Value = serde_json::from_str(&body).expect("request log is JSON");
        let entries = log.as_array().cloned().unwrap_or_default();
        entries.iter().map(LoggedRequest::from_json).collect()
    }

    pub fn clear_requests(&self) {
        self.admin("DELETE");
    }

    /// One HTTP/1.1 request to the admin endpoint over a plain socket.
    fn admin(&self, method: &str) -> String {
        let authority = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(authority).expect("connect to the sandbox");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let request = format!(
            "{method} /__sandbox/requests HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.1 2"),
            "admin endpoint answered {head}"
        );
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_string()
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}
