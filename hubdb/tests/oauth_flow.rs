//! The OAuth flow against the sandbox's consent page and token endpoints (reference §12), and
//! against a scripted token endpoint for the answers the sandbox never gives.
//!
//! The browser is a small shell script handed to the flow as its `browser` command: it
//! fetches the consent URL with curl, follows the redirect to the callback port, and so plays
//! the user's browser without one. Callback ports are free ports of 127.0.0.1; every wait is
//! bounded by the flow's timeout and curl's `--max-time`.

#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Reply, ScriptedServer};
use hubdb::oauth::OAuthApp;
use hubdb::{Client, ClientConfig, ErrorKind, Secret, Version};
use hubdb_sandbox::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, OAuthConfig, RunningSandbox, SandboxConfig,
};
use serde_json::json;

/// Long enough for a slow CI machine, short enough that a hung test fails soon.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(20);

/// Plays a browser that follows every redirect, as one whose user approved at once.
const FOLLOW_REDIRECTS: &str = r#"exec curl -sSL --max-time 15 -o /dev/null "$1""#;

async fn sandbox(auto_approve: bool) -> RunningSandbox {
    let oauth = OAuthConfig {
        auto_approve,
        ..OAuthConfig::default()
    };
    let config = SandboxConfig {
        oauth,
        ..SandboxConfig::default()
    };
    hubdb_sandbox::start(config)
        .await
        .expect("sandbox starts on 127.0.0.1:0")
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The sandbox's demo app, calling back on a free port of 127.0.0.1.
fn demo_app(sandbox: &RunningSandbox, port: u16) -> OAuthApp {
    let base = sandbox.base_url();
    let mut app = OAuthApp::new(DEMO_CLIENT_ID, Secret::new(DEMO_CLIENT_SECRET));
    app.authorization_url = format!("{base}/oauth/authorize");
    app.token_url = format!("{base}/oauth/v3/token");
    app.callback_url = format!("http://127.0.0.1:{port}/callback");
    app.timeout = Duration::from_secs(10);
    app
}

/// A shell script in a fresh temporary folder, removed on drop.
struct Script {
    dir: PathBuf,
    path: PathBuf,
}

impl Script {
    fn new(body: &str) -> Script {
        use std::os::unix::fs::PermissionsExt;
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("hubdb-oauth-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("browser.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Script { dir, path }
    }

    fn command(&self) -> String {
        self.path.display().to_string()
    }

    fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Answers the consent page's form with `decision`, as a user clicking its button would.
fn consent_answer(decision: &str) -> String {
    format!(
        r#"base="${{1%%/oauth/authorize*}}"
key=$(curl -sS --max-time 15 "$1" | sed -n 's/.*name="request" value="\([^"]*\)".*/\1/p')
exec curl -sSL --max-time 15 -o /dev/null --data "request=$key&decision={decision}" "$base/oauth/authorize/decision""#
    )
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn api_client(sandbox: &RunningSandbox, token: &Secret) -> Client {
    let mut config = ClientConfig::new(sandbox.base_url(), token.clone());
    config.timeout = Duration::from_secs(10);
    Client::new(config).unwrap()
}

fn token_requests(sandbox: &RunningSandbox) -> usize {
    let requests = sandbox.requests();
    requests
        .iter()
        .filter(|r| r.path.ends_with("/token"))
        .count()
}

/// The desktop flow: consent page, callback port, state, browser command.
mod oauth_browser_flow {
    use super::*;

    #[tokio::test]
    async fn browser_sign_in_with_auto_approval_gives_tokens_that_work_and_refresh() {
        let sandbox = sandbox(true).await;
        let port = free_port();
        let browser = Script::new(FOLLOW_REDIRECTS);
        let app = demo_app(&sandbox, port).with_browser(browser.command());

        let tokens = app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap();

        assert_eq!(tokens.access_token.expose().len(), 300);
        assert_eq!(tokens.expires_in, Some(1800));
        assert!(port_is_free(port), "the callback port is released");
        let tables = api_client(&sandbox, &tokens.access_token)
            .list_tables(Version::Draft)
            .await
            .unwrap();
        assert!(!tables.is_empty());

        let refresh_token = tokens.refresh_token.expect("a refresh token");
        let refreshed = app.refresh(&refresh_token).await.unwrap();
        assert_ne!(refreshed.access_token, tokens.access_token);
        let client = api_client(&sandbox, &refreshed.access_token);
        assert!(client.list_tables(Version::Draft).await.is_ok());
    }

    #[tokio::test]
    async fn the_consent_url_asks_for_the_apps_scopes_and_optional_scope() {
        let sandbox = sandbox(true).await;
        let browser = Script::new(FOLLOW_REDIRECTS);
        let app = demo_app(&sandbox, free_port()).with_browser(browser.command());

        app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap();

        let requests = sandbox.requests();
        let authorize = requests
            .iter()
            .find(|r| r.path == "/oauth/authorize")
            .expect("the browser opened the consent page");
        let param = |key: &str| {
            let found = authorize.query.iter().find(|(k, _)| k == key);
            found.map(|(_, v)| v.clone())
        };
        assert_eq!(param("client_id").as_deref(), Some(DEMO_CLIENT_ID));
        assert_eq!(param("scope").as_deref(), Some("hubdb"));
        assert_eq!(
            param("optional_scope").as_deref(),
            Some("crm.objects.owners.read")
        );
        assert_eq!(param("redirect_uri"), Some(app.callback_url.clone()));
        assert_eq!(param("state").map(|s| s.len()), Some(48));
    }

    #[tokio::test]
    async fn the_v1_token_endpoint_serves_the_same_flow() {
        let sandbox = sandbox(true).await;
        let browser = Script::new(FOLLOW_REDIRECTS);
        let mut app = demo_app(&sandbox, free_port()).with_browser(browser.command());
        app.token_url = format!("{}/oauth/v1/token", sandbox.base_url());

        let tokens = app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap();
        let refreshed = app.refresh(&tokens.refresh_token.unwrap()).await.unwrap();

        assert_eq!(refreshed.expires_in, Some(1800));
    }

    #[tokio::test]
    async fn approving_on_the_consent_page_completes_the_sign_in() {
        let sandbox = sandbox(false).await;
        let browser = Script::new(&consent_answer("approve"));
        let app = demo_app(&sandbox, free_port()).with_browser(browser.command());

        let tokens = app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap();

        assert!(!tokens.access_token.is_empty());
    }

    #[tokio::test]
    async fn denied_consent_is_unauthorized_and_exchanges_nothing() {
        let sandbox = sandbox(false).await;
        let browser = Script::new(&consent_answer("deny"));
        let port = free_port();
        let app = demo_app(&sandbox, port).with_browser(browser.command());

        let error = app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap_err();

        assert_eq!(error.kind, ErrorKind::Unauthorized);
        assert!(error.message.contains("consent was denied"), "{error}");
        assert_eq!(token_requests(&sandbox), 0);
        assert!(port_is_free(port));
    }

    #[tokio::test]
    async fn a_redirect_with_a_foreign_state_ends_the_flow() {
        let sandbox = sandbox(true).await;
        let port = free_port();
        let forged = format!(
            "exec curl -sS --max-time 15 -o /dev/null \
             'http://127.0.0.1:{port}/callback?code=stolen-code&state=forged'"
        );
        let browser = Script::new(&forged);
        let app = demo_app(&sandbox, port).with_browser(browser.command());

        let error = app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap_err();

        assert_eq!(error.kind, ErrorKind::Unauthorized);
        assert!(error.message.contains("state does not match"), "{error}");
        assert!(!error.to_string().contains("stolen-code"));
        assert_eq!(token_requests(&sandbox), 0);
    }

    #[tokio::test]
    async fn requests_for_other_paths_get_404_and_the_wait_goes_on() {
        let sandbox = sandbox(true).await;
        let port = free_port();
        let body = format!(
            "status=$(curl -sS --max-time 15 -o /dev/null -w '%{{http_code}}' \
             http://127.0.0.1:{port}/favicon.ico)\n\
             echo \"$status\" > \"$(dirname \"$0\")/favicon-status\"\n\
             {FOLLOW_REDIRECTS}"
        );
        let browser = Script::new(&body);
        let app = demo_app(&sandbox, port).with_browser(browser.command());

        let tokens = app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap();

        assert!(!tokens.access_token.is_empty());
        let status = std::fs::read_to_string(browser.dir().join("favicon-status")).unwrap();
        assert_eq!(status.trim(), "404");
    }

    #[tokio::test]
    async fn a_callback_port_held_by_another_program_fails_before_the_browser_opens() {
        let sandbox = sandbox(true).await;
        let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        let browser = Script::new(r#"touch "$(dirname "$0")/opened""#);
        let app = demo_app(&sandbox, port).with_browser(browser.command());

        let error = app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap_err();

        assert_eq!(error.kind, ErrorKind::Config);
        assert!(
            error.message.contains(&format!("127.0.0.1:{port}")),
            "{error}"
        );
        assert!(error.message.contains("another program"), "{error}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!browser.dir().join("opened").exists());
        drop(holder);
    }

    #[tokio::test]
    async fn no_redirect_within_the_timeout_is_a_timeout() {
        let sandbox = sandbox(true).await;
        let port = free_port();
        let app = demo_app(&sandbox, port).with_browser("true");
        let started = Instant::now();

        let error = app
            .authorize_in_browser(Duration::from_secs(2))
            .await
            .unwrap_err();

        let waited = started.elapsed();
        assert_eq!(error.kind, ErrorKind::Timeout);
        assert!(
            error.message.contains("not completed within 2 seconds"),
            "{error}"
        );
        assert!(waited >= Duration::from_secs(2) && waited < Duration::from_secs(6));
        assert!(port_is_free(port));
    }

    #[tokio::test]
    async fn a_browser_that_cannot_be_opened_fails_at_once() {
        let sandbox = sandbox(true).await;
        let started = Instant::now();
        for command in ["/nonexistent/browser", "false"] {
            let app = demo_app(&sandbox, free_port()).with_browser(command);
            let error = app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap_err();
            assert_eq!(error.kind, ErrorKind::Config, "{command}: {error}");
            assert!(error.message.contains("BROWSER"), "{error}");
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_wrong_client_secret_is_unauthorized_and_never_echoed() {
        let sandbox = sandbox(true).await;
        let browser = Script::new(FOLLOW_REDIRECTS);
        let mut app = demo_app(&sandbox, free_port()).with_browser(browser.command());
        app.client_secret = Secret::new("wrong-secret-0123456789");

        let error = app.authorize_in_browser(SIGN_IN_TIMEOUT).await.unwrap_err();

        assert_eq!(error.kind, ErrorKind::Unauthorized);
        assert_eq!(error.status, Some(400));
        assert_eq!(error.category.as_deref(), Some("BAD_CLIENT_SECRET"));
        assert!(error.correlation_id.is_some());
        assert!(error.message.contains("OAuthClientSecret"), "{error}");
        assert!(!format!("{error} {error:?}").contains("wrong-secret"));
    }
}

/// The token endpoint: HubSpot's refusals, transport failures, the form sent.
mod oauth_token_endpoint {
    use super::*;

    #[tokio::test]
    async fn a_bad_refresh_token_is_unauthorized_on_v1_and_v3() {
        let sandbox = sandbox(true).await;
        let bogus = Secret::new("na1-0000-1111-2222-3333-444455556666");
        for version in ["v1", "v3"] {
            let mut app = demo_app(&sandbox, free_port());
            app.token_url = format!("{}/oauth/{version}/token", sandbox.base_url());

            let error = app.refresh(&bogus).await.unwrap_err();

            assert_eq!(error.kind, ErrorKind::Unauthorized, "{version}");
            assert_eq!(error.status, Some(400));
            assert_eq!(error.category.as_deref(), Some("BAD_REFRESH_TOKEN"));
            assert!(error.correlation_id.is_some(), "{version}");
            assert!(
                error
                    .message
                    .starts_with("missing or invalid refresh token."),
                "{error}"
            );
            assert!(!format!("{error} {error:?}").contains(bogus.expose()));
        }
    }

    #[tokio::test]
    async fn an_unknown_code_is_unauthorized() {
        let sandbox = sandbox(true).await;
        let app = demo_app(&sandbox, free_port());

        let error = app
            .exchange_code(&Secret::new("00000000-0000-0000-0000-000000000000"), None)
            .await
            .unwrap_err();

        assert_eq!(error.kind, ErrorKind::Unauthorized);
        assert_eq!(error.category.as_deref(), Some("BAD_AUTH_CODE"));
    }

    fn scripted_app(server: &ScriptedServer) -> OAuthApp {
        let mut app = OAuthApp::new("client-1", Secret::new("secret-1"));
        app.token_url = format!("{}oauth/v3/token", server.base_url);
        app.timeout = Duration::from_secs(2);
        app
    }

    #[tokio::test]
    async fn token_requests_send_the_client_in_the_form_body() {
        let server = ScriptedServer::start(|_, _| {
            Reply::ok(json!({"token_type": "bearer", "access_token": "at-1", "expires_in": 1800}))
        })
        .await;
        let app = scripted_app(&server);

        let tokens = app.refresh(&Secret::new("rt-1")).await.unwrap();
        app.exchange_code(&Secret::new("code-1"), Some("http://localhost:4100/cb"))
            .await
            .unwrap();

        assert_eq!(tokens.access_token.expose(), "at-1");
        assert_eq!(tokens.refresh_token, None);
        let requests = server.requests();
        let form = |i: usize| -> Vec<(String, String)> {
            url::form_urlencoded::parse(requests[i].body.as_bytes())
                .into_owned()
                .collect()
        };
        let refresh = form(0);
        for pair in [
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt-1"),
            ("client_id", "client-1"),
            ("client_secret", "secret-1"),
        ] {
            assert!(
                refresh.contains(&(pair.0.into(), pair.1.into())),
                "{pair:?}"
            );
        }
        assert_eq!(requests[0].authorization, None);
        let exchange = form(1);
        for pair in [
            ("grant_type", "authorization_code"),
            ("code", "code-1"),
            ("redirect_uri", "http://localhost:4100/cb"),
            ("client_secret", "secret-1"),
        ] {
            assert!(
                exchange.contains(&(pair.0.into(), pair.1.into())),
                "{pair:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_token_endpoint_that_is_down_or_stalls_is_a_transport_error() {
        let closed = free_port();
        let mut app = OAuthApp::new("client-1", Secret::new("secret-1"));
        app.token_url = format!("http://127.0.0.1:{closed}/oauth/v3/token");
        let error = app.refresh(&Secret::new("rt-1")).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Connect, "{error}");

        let server = ScriptedServer::start(|_, _| Reply::Stall(Duration::from_secs(5))).await;
        let mut app = scripted_app(&server);
        app.timeout = Duration::from_millis(300);
        let error = app.refresh(&Secret::new("rt-1")).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Timeout, "{error}");
    }

    #[tokio::test]
    async fn b15_a_rate_limited_code_exchange_is_sent_again_after_retry_after() {
        let server = ScriptedServer::start(|_, n| match n {
            0 => Reply::status(
                429,
                json!({"status": "error", "message": "You have reached your secondly limit.",
                       "errorType": "RATE_LIMIT", "policyName": "SECONDLY"}),
            )
            .with_header("retry-after", "0.2"),
            _ => Reply::ok(json!({"token_type": "bearer", "access_token": "at-2",
                                  "refresh_token": "rt-2", "expires_in": 1800})),
        })
        .await;
        let started = Instant::now();

        let tokens = scripted_app(&server)
            .exchange_code(&Secret::new("code-1"), None)
            .await
            .unwrap();

        assert_eq!(tokens.access_token.expose(), "at-2");
        assert_eq!(server.requests().len(), 2);
        assert_eq!(server.requests()[0].body, server.requests()[1].body);
        assert!(started.elapsed() >= Duration::from_millis(200));
    }

    #[tokio::test]
    async fn a_gateway_page_is_a_server_error_with_the_header_correlation_id() {
        let server = ScriptedServer::start(|_, _| Reply::Json {
            status: 502,
            headers: vec![("x-hubspot-correlation-id", "hdr-502".into())],
            body: "<html>Bad gateway</html>".into(),
        })
        .await;

        let error = scripted_app(&server)
            .refresh(&Secret::new("rt-1"))
            .await
            .unwrap_err();

        assert_eq!(error.kind, ErrorKind::Server);
        assert_eq!(error.status, Some(502));
        assert_eq!(error.correlation_id.as_deref(), Some("hdr-502"));
    }

    #[tokio::test]
    async fn a_success_without_a_token_is_a_decode_error_that_hides_the_body() {
        let server = ScriptedServer::start(|_, _| {
            Reply::ok(json!({"token_type": "bearer", "refresh_token": "rt-secret-value"}))
        })
        .await;

        let error = scripted_app(&server)
            .refresh(&Secret::new("rt-1"))
            .await
            .unwrap_err();

        assert_eq!(error.kind, ErrorKind::Decode, "{error}");
        assert!(!error.to_string().contains("rt-secret-value"));
    }
}
