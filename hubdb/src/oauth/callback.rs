//! The loopback end of the desktop flow (RFC 8252 §7.3): listens on `CallbackURL`'s address
//! and port, answers the browser with a minimal HTTP/1.1 exchange (one request per
//! connection), and hands back the code of the redirect whose `state` is the flow's own.
//!
//! - `localhost` is 127.0.0.1 and, where the machine has IPv6, ::1: a browser may resolve it
//!   to either. A port that another program holds on either address is an error, since that
//!   program could receive the redirect with the code;
//! - requests for other paths (`/favicon.ico`) get a 404 and the wait goes on, as does a
//!   request to the callback path with neither `code` nor `error`;
//! - a redirect with another `state` ends the flow (RFC 6749 §10.12: it may be forged), as
//!   does one with `error` (HubSpot's consent page was declined);
//! - every connection has a head-size limit and its own timeout, and the whole wait ends at
//!   the flow's timeout; the port is released when the listener is dropped.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use crate::{Error, ErrorKind, Secret};

/// Browsers send a few hundred bytes of head; cookies of other local apps may add some.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// How long one connection may take to send its request and read the answer.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections served at once; more are closed unanswered (browsers preconnect a few).
const MAX_OPEN_CONNECTIONS: usize = 16;

/// Where to listen for the redirect.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct CallbackAddress {
    pub addrs: Vec<SocketAddr>,
    /// The callback URL's path, percent-encoded as a browser sends it.
    pub path: String,
}

/// `CallbackURL` checked: `http`, a host that is `localhost` or an IP address, a port.
pub(super) fn callback_address(callback_url: &str) -> Result<CallbackAddress, Error> {
    let callback_url = callback_url.trim();
    let bad = |why: &str| {
        Error::new(
            ErrorKind::Config,
            format!("CallbackURL '{callback_url}' {why}"),
        )
    };
    let url = url::Url::parse(callback_url).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if url.scheme() != "http" {
        return Err(bad(
            "must start with http://: the driver receives the redirect itself, without TLS",
        ));
    }
    let port = url.port_or_known_default().unwrap_or(80);
    if port == 0 {
        return Err(bad("needs a port other than 0"));
    }
    let ips = match url.host() {
        Some(url::Host::Domain(host)) if host.eq_ignore_ascii_case("localhost") => vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        _ => return Err(bad("must name localhost or an IP address of this machine")),
    };
    Ok(CallbackAddress {
        addrs: ips
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect(),
        path: url.path().to_string(),
    })
}

/// The bound callback port(s).
pub(super) struct CallbackListener {
    listeners: Vec<TcpListener>,
    path: String,
    callback_url: String,
}

impl CallbackListener {
    /// Binds every address of `callback_url`; an address the machine lacks (::1 without
    /// IPv6) is skipped, one in use is an error.
    pub(super) async fn bind(callback_url: &str) -> Result<CallbackListener, Error> {
        let address = callback_address(callback_url)?;
        let mut listeners = Vec::new();
        let mut unavailable = None;
        for addr in &address.addrs {
            match TcpListener::bind(addr).await {
                Ok(listener) => listeners.push(listener),
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => return Err(port_taken(addr)),
                Err(e) => {
                    log::debug!("cannot listen on {addr} for the OAuth redirect: {e}");
                    unavailable.get_or_insert((*addr, e));
                }
            }
        }
        if let (true, Some((addr, e))) = (listeners.is_empty(), unavailable) {
            return Err(Error::new(
                ErrorKind::Config,
                format!("cannot listen on {addr} for the OAuth redirect (CallbackURL): {e}"),
            ));
        }
        Ok(CallbackListener {
            listeners,
            path: address.path,
            callback_url: callback_url.trim().to_string(),
        })
    }

    /// Serves the browser until a redirect with `state` brings a code, the redirect says
    /// consent was refused, `timeout` runs out, or `opener_failed` resolves. The port is
    /// released on return.
    pub(super) async fn wait_for_code(
        self,
        state: &str,
        timeout: Duration,
        opener_failed: impl Future<Output = Error>,
    ) -> Result<Secret, Error> {
        let deadline = Instant::now() + timeout;
        let mut opener_failed = std::pin::pin!(opener_failed);
        let mut open = FuturesUnordered::new();
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return Err(self.timed_out(timeout)),
                error = &mut opener_failed => return Err(error),
                accepted = self.accept() => {
                    if let Some(stream) = accepted.filter(|_| open.len() < MAX_OPEN_CONNECTIONS) {
                        open.push(serve(stream, &self.path, state));
                    }
                }
                Some(outcome) = open.next(), if !open.is_empty() => {
                    if let Some(result) = outcome {
                        return result;
                    }
                }
            }
        }
    }

    /// The next connection on any address; an accept error (out of file descriptors) is
    /// logged and paced, so the loop does not spin.
    async fn accept(&self) -> Option<TcpStream> {
        let accepts = self.listeners.iter().map(|l| Box::pin(l.accept()));
        let (accepted, _, _) = futures::future::select_all(accepts).await;
        match accepted {
            Ok((stream, _)) => Some(stream),
            Err(e) => {
                log::debug!("accepting on the OAuth callback port failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                None
            }
        }
    }

    fn timed_out(&self, timeout: Duration) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "the browser sign-in was not completed within {}: no redirect reached {}. \
                 Sign in sooner, or check that CallbackURL is a redirect URL of the app.",
                seconds(timeout),
                self.callback_url
            ),
        )
    }
}

fn port_taken(addr: &SocketAddr) -> Error {
    Error::new(
        ErrorKind::Config,
        format!(
            "cannot listen on {addr} for the OAuth redirect: another program holds the port. \
             Close it, or set CallbackURL to a free port that is also a redirect URL of the app."
        ),
    )
}

fn seconds(duration: Duration) -> String {
    match duration.as_secs() {
        1 if duration.subsec_nanos() == 0 => "1 second".into(),
        s if duration.subsec_nanos() == 0 => format!("{s} seconds"),
        _ => format!("{:.1} seconds", duration.as_secs_f64()),
    }
}

/// One connection: read the head, answer, and say whether the flow is over.
async fn serve(mut stream: TcpStream, path: &str, state: &str) -> Option<Result<Secret, Error>> {
    let exchange = async {
        let verdict = match read_head(&mut stream).await {
            Ok(head) => judge(&head, path, state),
            Err(HeadError::TooLarge) => Verdict::TooLarge,
            Err(HeadError::Closed) => return None,
        };
        if let Err(e) = respond(&mut stream, &verdict).await {
            log::debug!("answering the browser on the OAuth callback port failed: {e}");
        }
        verdict.outcome()
    };
    tokio::time::timeout(CONNECTION_TIMEOUT, exchange)
        .await
        .unwrap_or(None)
}

#[derive(Debug, PartialEq, Eq)]
enum HeadError {
    TooLarge,
    Closed,
}

/// The request head, up to its blank line; the request has no body (GET).
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let read = stream
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        if read == 0 {
            return Err(HeadError::Closed);
        }
        head.extend_from_slice(&chunk[..read]);
        if let Some(end) = end_of_head(&head) {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
}

fn end_of_head(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes.windows(4).position(|w| w == b"\r\n\r\n");
    crlf.or_else(|| bytes.windows(2).position(|w| w == b"\n\n"))
}

/// What a request to the callback port means.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// The redirect with a code and the flow's state.
    Code(Secret),
    /// A redirect with `error`: consent refused (or failed), as HubSpot's page reports it.
    Denied {
        error: String,
        description: Option<String>,
    },
    /// A redirect with a code or error but another state.
    StateMismatch,
    /// The callback path without a code or error.
    NoCode,
    NotFound,
    MethodNotAllowed,
    BadRequest,
    TooLarge,
}

/// Reads the request line of `head`, and the callback's query when it is for `path`.
fn judge(head: &[u8], path: &str, state: &str) -> Verdict {
    let head = String::from_utf8_lossy(head);
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Verdict::BadRequest;
    };
    if !version.starts_with("HTTP/1.") {
        return Verdict::BadRequest;
    }
    if method != "GET" {
        return Verdict::MethodNotAllowed;
    }
    let (request_path, query) = origin_form(target)
        .split_once('?')
        .unwrap_or((origin_form(target), ""));
    if request_path.trim_end_matches('/') != path.trim_end_matches('/') {
        return Verdict::NotFound;
    }
    judge_callback(query, state)
}

/// The path and query of a request target, also when a proxy sent the absolute form.
fn origin_form(target: &str) -> &str {
    match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    }
}

fn judge_callback(query: &str, state: &str) -> Verdict {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |key: &str| {
        let found = pairs.iter().find(|(k, _)| k == key);
        found.map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    };
    let (code, error) = (param("code"), param("error"));
    if code.is_none() && error.is_none() {
        return Verdict::NoCode;
    }
    if !param("state").is_some_and(|sent| same_state(sent, state)) {
        return Verdict::StateMismatch;
    }
    match (error, code) {
        (Some(error), _) => Verdict::Denied {
            error: printable(error),
            description: param("error_description").map(printable),
        },
        (None, Some(code)) => Verdict::Code(Secret::new(code)),
        (None, None) => Verdict::NoCode,
    }
}

/// Compares in time independent of where the strings differ.
fn same_state(sent: &str, expected: &str) -> bool {
    let differences = sent
        .bytes()
        .zip(expected.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    sent.len() == expected.len() && differences == 0
}

/// Text from the redirect, fit for an error message: no control characters, bounded.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

impl Verdict {
    fn outcome(self) -> Option<Result<Secret, Error>> {
        match self {
            Verdict::Code(code) => Some(Ok(code)),
            Verdict::Denied { error, description } => Some(Err(denied(&error, description))),
            Verdict::StateMismatch => Some(Err(Error::new(
                ErrorKind::Unauthorized,
                "the OAuth redirect was refused: its state does not match the sign-in the \
                 driver started (it may be forged). Sign in again.",
            ))),
            _ => None,
        }
    }

    /// Status line, title and text of the page the browser shows. No page repeats what the
    /// request carried.
    fn page(&self) -> (&'static str, &'static str, &'static str) {
        match self {
            Verdict::Code(_) => (
                "200 OK",
                "HubSpot sign-in received",
                "You can close this window and return to the application.",
            ),
            Verdict::Denied { .. } => (
                "200 OK",
                "Sign-in cancelled",
                "HubSpot did not grant access. You can close this window.",
            ),
            Verdict::StateMismatch => (
                "400 Bad Request",
                "Sign-in refused",
                "This answer does not belong to the sign-in the application started. \
                 You can close this window.",
            ),
            Verdict::NoCode => (
                "400 Bad Request",
                "No sign-in here",
                "This address waits for HubSpot's redirect after sign-in.",
            ),
            Verdict::NotFound => ("404 Not Found", "Not found", "Nothing here."),
            Verdict::MethodNotAllowed => ("405 Method Not Allowed", "Not allowed", "Use GET."),
            Verdict::BadRequest => ("400 Bad Request", "Bad request", "Not an HTTP/1 request."),
            Verdict::TooLarge => (
                "431 Request Header Fields Too Large",
                "Request too large",
                "The request head is too large.",
            ),
        }
    }
}

fn denied(error: &str, description: Option<String>) -> Error {
    let description = description.map(|d| format!(": {d}")).unwrap_or_default();
    let message = if error == "access_denied" {
        format!("OAuth consent was denied in the browser (error={error}{description})")
    } else {
        format!(
            "OAuth consent was denied or failed: HubSpot redirected with error={error}{description}"
        )
    };
    Error::new(ErrorKind::Unauthorized, message)
}

async fn respond(stream: &mut TcpStream, verdict: &Verdict) -> io::Result<()> {
    let (status, title, text) = verdict.page();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         </head>\n<body><h1>{title}</h1>\n<p>{text}</p>\n</body></html>\n"
    );
    let allow = if *verdict == Verdict::MethodNotAllowed {
        "Allow: GET\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n{allow}\r\n",
        html.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(html.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "0123456789abcdef";

    fn request(target: &str) -> Vec<u8> {
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:33333\r\nAccept: text/html").into_bytes()
    }

    fn verdict(target: &str) -> Verdict {
        judge(&request(target), "/callback", STATE)
    }

    #[test]
    fn localhost_listens_on_both_loopback_addresses() {
        let address = callback_address("http://localhost:33333").unwrap();
        let shown: Vec<String> = address.addrs.iter().map(|a| a.to_string()).collect();
        assert_eq!(shown, ["127.0.0.1:33333", "[::1]:33333"]);
        assert_eq!(address.path, "/");
        let literal = callback_address("http://127.0.0.1:4100/cb/").unwrap();
        assert_eq!(literal.addrs, ["127.0.0.1:4100".parse().unwrap()]);
        assert_eq!(literal.path, "/cb/");
        let v6 = callback_address("http://[::1]:4100").unwrap();
        assert_eq!(v6.addrs, ["[::1]:4100".parse().unwrap()]);
        assert_eq!(
            callback_address("http://LocalHost").unwrap().addrs[0].port(),
            80
        );
    }

    #[test]
    fn a_callback_url_must_be_plain_http_on_this_machine() {
        for bad in [
            "https://localhost:33333",
            "http://example.com:33333",
            "http://localhost:0",
            "localhost:33333",
            "",
        ] {
            let error = callback_address(bad).unwrap_err();
            assert_eq!(error.kind, ErrorKind::Config, "{bad}");
            assert!(error.message.starts_with("CallbackURL '"), "{error}");
        }
    }

    #[test]
    fn the_redirect_with_code_and_state_is_accepted() {
        let target = format!("/callback?code=abc-123&state={STATE}");
        assert_eq!(verdict(&target), Verdict::Code(Secret::new("abc-123")));
        let trailing = format!("/callback/?state={STATE}&code=a%2Bb+c&extra=1");
        assert_eq!(verdict(&trailing), Verdict::Code(Secret::new("a+b c")));
        let proxy_form = format!("http://127.0.0.1:33333/callback?code=x&state={STATE}");
        assert_eq!(verdict(&proxy_form), Verdict::Code(Secret::new("x")));
    }

    #[test]
    fn a_root_callback_takes_the_redirect_without_a_slash() {
        let head = request(&format!("/?code=c&state={STATE}"));
        assert_eq!(judge(&head, "/", STATE), Verdict::Code(Secret::new("c")));
    }

    #[test]
    fn another_state_or_none_is_a_mismatch() {
        assert_eq!(
            verdict("/callback?code=abc&state=forged"),
            Verdict::StateMismatch
        );
        assert_eq!(verdict("/callback?code=abc"), Verdict::StateMismatch);
        let longer = format!("/callback?code=abc&state={STATE}0");
        assert_eq!(verdict(&longer), Verdict::StateMismatch);
        assert_eq!(
            verdict("/callback?error=access_denied&state=x"),
            Verdict::StateMismatch
        );
    }

    #[test]
    fn an_error_redirect_is_a_denial() {
        let target = format!("/callback?error=access_denied&state={STATE}");
        let denial = verdict(&target);
        assert_eq!(
            denial,
            Verdict::Denied {
                error: "access_denied".into(),
                description: None
            }
        );
        let error = denial.outcome().unwrap().unwrap_err();
        assert_eq!(error.kind, ErrorKind::Unauthorized);
        assert!(error.message.contains("consent was denied"), "{error}");
        let other =
            format!("/callback?error=invalid_scope&error_description=bad%0Ascope&state={STATE}");
        let error = verdict(&other).outcome().unwrap().unwrap_err();
        assert!(
            error.message.ends_with("error=invalid_scope: badscope"),
            "{error}"
        );
    }

    #[test]
    fn other_requests_do_not_end_the_wait() {
        assert_eq!(verdict("/favicon.ico"), Verdict::NotFound);
        assert_eq!(verdict("/callbackx?code=a"), Verdict::NotFound);
        assert_eq!(verdict("/callback"), Verdict::NoCode);
        assert_eq!(verdict("/callback?code=&state=x"), Verdict::NoCode);
        let post = b"POST /callback?code=a HTTP/1.1\r\nHost: x".to_vec();
        assert_eq!(judge(&post, "/callback", STATE), Verdict::MethodNotAllowed);
        assert_eq!(judge(b"hello", "/callback", STATE), Verdict::BadRequest);
        assert_eq!(judge(b"GET / SPDY/3", "/", STATE), Verdict::BadRequest);
        for verdict in [Verdict::NotFound, Verdict::NoCode, Verdict::TooLarge] {
            assert!(verdict.outcome().is_none());
        }
    }

    #[test]
    fn the_head_ends_at_the_blank_line() {
        assert_eq!(
            end_of_head(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nrest"),
            Some(23)
        );
        assert_eq!(end_of_head(b"GET / HTTP/1.1\nHost: x\n\n"), Some(22));
        assert_eq!(end_of_head(b"GET / HTTP/1.1\r\nHost"), None);
    }

    #[test]
    fn timeouts_read_in_seconds() {
        assert_eq!(seconds(Duration::from_secs(2)), "2 seconds");
        assert_eq!(seconds(Duration::from_secs(1)), "1 second");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 seconds");
    }

    #[tokio::test]
    async fn a_taken_port_is_named_in_the_error() {
        let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/callback");
        let error = CallbackListener::bind(&url).await.err().unwrap();
        assert_eq!(error.kind, ErrorKind::Config);
        assert!(
            error.message.contains(&format!("127.0.0.1:{port}")),
            "{error}"
        );
        assert!(error.message.contains("another program holds the port"));
    }
}
