//! A scripted HTTP/1.1 server for failure-mode tests: each request is recorded and answered by
//! a closure that may return JSON, cut the body short, or stall. One request per connection
//! (`Connection: close`), so every retry is a fresh, observable request.

#![allow(dead_code)] // each test binary uses its own subset of the helpers

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hubdb::{Client, ClientConfig, Secret};
use percent_encoding::percent_decode_str;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const TOKEN: &str = "pat-na1-test-token";

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent (still percent-encoded).
    pub target: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Recorded {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// Every value of query parameter `key`, percent-decoded.
    pub fn params(&self, key: &str) -> Vec<String> {
        let query = self.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .filter(|(k, _)| percent_decode_str(k).decode_utf8_lossy() == key)
            .map(|(_, v)| percent_decode_str(v).decode_utf8_lossy().into_owned())
            .collect()
    }

    pub fn param(&self, key: &str) -> Option<String> {
        self.params(key).into_iter().next()
    }
}

/// What the server does with one request.
pub enum Reply {
    Json {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Announces `declared` body bytes, sends `sent`, and closes the connection.
    CutBody { declared: usize, sent: String },
    /// Waits this long before closing without an answer.
    Stall(Duration),
}

impl Reply {
    pub fn ok(body: serde_json::Value) -> Self {
        Self::status(200, body)
    }

    pub fn status(status: u16, body: serde_json::Value) -> Self {
        Reply::Json {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Reply::Json { headers, .. } = &mut self {
            headers.push((name, value.to_string()));
        }
        self
    }
}

type Script = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

pub struct ScriptedServer {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedServer {
    /// Binds 127.0.0.1:0; `script(request, n)` answers the n-th request (from 0).
    pub async fn start(script: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(serve_one(stream, script.clone(), recorded.clone()));
            }
        });
        Self {
            base_url,
            requests,
            task,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// A client of this server with short back-offs, so retry tests run in milliseconds.
    pub fn client(&self) -> Client {
        Client::new(self.config()).unwrap()
    }

    pub fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new(self.base_url.clone(), Secret::new(TOKEN));
        config.timeout = Duration::from_secs(5);
        config.max_retries = 3;
        config.rate_limit_backoff = Duration::from_millis(10);
        config.server_error_backoff = Duration::from_millis(5);
        config
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_one(
    mut stream: TcpStream,
    script: Arc<Script>,
    requests: Arc<Mutex<Vec<Recorded>>>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let reply = {
        let mut requests = requests.lock().unwrap();
        requests.push(request.clone());
        script(&request, requests.len() - 1)
    };
    match reply {
        Reply::Json {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json;charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            let _ = stream
                .write_all(format!("{head}\r\n{body}").as_bytes())
                .await;
        }
        Reply::CutBody { declared, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\nconnection: close\r\n\r\n"
            );
            let _ = stream.write_all(format!("{head}{sent}").as_bytes()).await;
        }
        Reply::Stall(wait) => tokio::time::sleep(wait).await,
    }
    let _ = stream.shutdown().await;
}

/// Reads the request head and its `content-length` body; at most 64 KiB of head.
async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buffer.len() > 65_536 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length.min(1 << 20) {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        method,
        target,
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A row as HubDB v3 sends it (reference §4.5).
pub fn row(id: i64) -> serde_json::Value {
    serde_json::json!({
        "id": id.to_string(),
        "createdAt": "2024-01-02T03:04:05.678Z",
        "values": {"name": format!("row {id}"), "n": id}
    })
}

/// A page of rows `first..first+count` with the given `paging`.
pub fn rows_page(
    first: i64,
    count: i64,
    total: i64,
    paging: serde_json::Value,
) -> serde_json::Value {
    let results: Vec<_> = (first..first + count).map(row).collect();
    serde_json::json!({"total": total, "results": results, "type": "STREAMING", "paging": paging})
}

pub fn after(cursor: &str) -> serde_json::Value {
    serde_json::json!({"next": {"after": cursor, "link": "ignored"}})
}

/// HubSpot's error body (reference §10.2).
pub fn error_body(message: &str, category: &str, correlation_id: &str) -> serde_json::Value {
    serde_json::json!({"status": "error", "message": message, "correlationId": correlation_id, "category": category})
}
