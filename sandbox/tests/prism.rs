//! Spec check: every endpoint and error case of the sandbox through Stoplight Prism in proxy
//! mode with `--errors`, which answers with an `sl-violations` header (or a problem+json body)
//! whenever a request or a response breaks HubSpot's OpenAPI file: the HubDB file, and the
//! OAuth v1, OAuth v3 and owners files, one Prism each.
//!
//! Two answers are left out because HubSpot's own files have no form for them: v3
//! revocation's success (the spec lists only the `Error` response) and v3 introspection of
//! an inactive token (`{"active": false}`, which the reference reports, §12.3, but the
//! schema's `oneOf` rejects). Prism also refuses requests its spec does not allow (an
//! unsupported `grant_type`, a non-integer `limit`), so those cases are checked directly in
//! `oauth.rs` and `owners.rs`.
//!
//! Prism comes from npm: `npm ci` at the repository root installs it (CI does).

mod common;

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use hubdb_sandbox::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_TOKEN, NO_SCOPE_TOKEN, OAuthConfig, RunningSandbox,
    SandboxConfig,
};
use serde_json::Value;

/// A token with its own rate budget, used up on purpose to get 429s.
const BURST_TOKEN: &str = "pat-na1-00000000-burst-0000-0000-000000000000";
const RATE_LIMIT: u32 = 100;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Prism from the repository's node_modules; fails with the fix when it is missing.
fn prism_binary() -> PathBuf {
    let prism = repo_root().join("node_modules/.bin/prism");
    assert!(
        prism.exists(),
        "Prism is not installed ({}): run `npm ci` at the repository root",
        prism.display()
    );
    prism
}

/// One of HubSpot's specs: the repository's copy (`openapi/`), or `$HUBDB_OPENAPI_DIR`'s.
fn spec_file(name: &str) -> PathBuf {
    let folder = std::env::var_os("HUBDB_OPENAPI_DIR")
        .map_or_else(|| repo_root().join("openapi"), PathBuf::from);
    let spec = folder.join(name);
    assert!(
        spec.exists(),
        "HubSpot's OpenAPI file is missing: {}",
        spec.display()
    );
    spec
}

/// A running `prism proxy`, killed on drop; its output goes to a log file shown on failure.
struct Prism {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Prism {
    fn start(spec: &str, upstream: &str) -> Prism {
        let mut prism = Prism::spawn(spec, upstream);
        prism.wait_until_listening(Duration::from_secs(90));
        prism
    }

    /// Starts Prism without waiting for it, so that several can start at once.
    fn spawn(spec: &str, upstream: &str) -> Prism {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("hubdb-sandbox-prism-{port}.log"));
        let output = File::create(&log).expect("prism log file");
        let child = Command::new(prism_binary())
            .args([
                "proxy",
                "--errors",
                "--host",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .arg(spec_file(spec))
            .arg(upstream)
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("log handle"))
            .stderr(output)
            .spawn()
            .expect("prism starts");
        Prism { child, port, log }
    }

    fn wait_until_listening(&mut self, limit: Duration) {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("prism exited with {status}:\n{}", self.log_text());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!(
            "prism did not listen within {limit:?}:\n{}",
            self.log_text()
        );
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("http://127.0.0.1:{}{path_and_query}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
    listener.local_addr().expect("port").port()
}

/// Sends one request through Prism and asserts the status and that Prism saw no violation.
async fn check_request(label: &str, request: reqwest::RequestBuilder, status: u16) -> Reply {
    let reply = send(request).await;
    let violations = reply.header("sl-violations").map(str::to_string);
    assert!(
        violations.is_none(),
        "{label}: spec violations {}",
        violations.unwrap_or_default()
    );
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        !content_type.contains("problem+json"),
        "{label}: prism answered {}",
        reply.body
    );
    assert_eq!(reply.status, status, "{label}: {}", reply.body);
    reply
}

/// A GET through Prism with a bearer token.
async fn check(prism: &Prism, path: &str, token: &str, status: u16) -> Reply {
    let request = client().get(prism.url(path)).bearer_auth(token);
    check_request(path, request, status).await
}

/// A form POST through Prism.
async fn check_form(prism: &Prism, path: &str, fields: &[(&str, &str)], status: u16) -> Reply {
    let request = client().post(prism.url(path)).form(fields);
    check_request(&format!("POST {path} {fields:?}"), request, status).await
}

fn after_of(body: &Value) -> Option<String> {
    body["paging"]["next"]["after"]
        .as_str()
        .map(|after| url::form_urlencoded::byte_serialize(after.as_bytes()).collect())
}

async fn start_sandbox() -> RunningSandbox {
    let config = SandboxConfig {
        tokens: vec![BURST_TOKEN.to_string()],
        rate_limit: RATE_LIMIT,
        rate_window: Duration::from_secs(60),
        ..SandboxConfig::default()
    };
    sandbox_with(config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_and_error_case_passes_prism_validation() {
    let sandbox = start_sandbox().await;
    let prism = Prism::start("hubdb-v3-relaxed.json", &sandbox.base_url());
    sandbox.clear_requests();

    check_table_endpoints(&prism).await;
    check_row_listings(&prism).await;
    check_single_rows(&prism).await;
    check_error_cases(&prism).await;
    check_rate_limit(&prism, &sandbox).await;

    let forwarded = sandbox
        .requests()
        .iter()
        .filter(|r| r.path.starts_with(HUBDB))
        .count();
    assert!(forwarded >= 60, "prism forwarded only {forwarded} requests");
}

const TABLES: [&str; 4] = ["store_locations", "events", "price_list", "team_members"];

async fn check_table_endpoints(prism: &Prism) {
    for path in [
        "/tables",
        "/tables?sort=-name&sort=updatedAt",
        "/tables/draft",
        "/tables/draft?includeForeignIds=true",
        "/tables?archived=true",
        "/tables/5840102",
        "/tables/events?includeForeignIds=true",
        "/tables/upcoming_webinars/draft",
        "/tables/spring_promotions_2023?archived=true",
    ] {
        check(prism, &format!("{HUBDB}{path}"), DEMO_TOKEN, 200).await;
    }
    for table in TABLES {
        check(prism, &format!("{HUBDB}/tables/{table}"), DEMO_TOKEN, 200).await;
        check(
            prism,
            &format!("{HUBDB}/tables/{table}/draft"),
            DEMO_TOKEN,
            200,
        )
        .await;
    }
    let first = check(
        prism,
        &format!("{HUBDB}/tables/draft?limit=2"),
        DEMO_TOKEN,
        200,
    )
    .await;
    let after = after_of(&first.body).expect("a second page of tables");
    check(
        prism,
        &format!("{HUBDB}/tables/draft?limit=2&after={after}"),
        DEMO_TOKEN,
        200,
    )
    .await;
}

async fn check_row_listings(prism: &Prism) {
    for table in TABLES.iter().chain(["upcoming_webinars"].iter()) {
        check(
            prism,
            &format!("{HUBDB}/tables/{table}/rows/draft?limit=100"),
            DEMO_TOKEN,
            200,
        )
        .await;
    }
    for table in TABLES.iter().filter(|t| **t != "price_list") {
        check(
            prism,
            &format!("{HUBDB}/tables/{table}/rows"),
            DEMO_TOKEN,
            200,
        )
        .await;
    }
    let mut path = format!("{HUBDB}/tables/price_list/rows?limit=5000");
    for _ in 0..10 {
        let page = check(prism, &path, DEMO_TOKEN, 200).await;
        let Some(after) = after_of(&page.body) else {
            return;
        };
        path = format!("{HUBDB}/tables/price_list/rows?after={after}");
    }
    for query in [
        "category__in=Bikes,Tools&sort=-unit_price&sort=sku&properties=sku&properties=unit_price",
        "product_name__like=%25Gravel%25&discontinued=1&properties=product_name,discontinued",
        "stock__is_null=&price_valid_from__gte=1704067200000&offset=5&limit=3",
        "last_synced_at__lt=-1d&hs_id__gt=83005000&sort=-hs_created_at&limit=2",
    ] {
        check(
            prism,
            &format!("{HUBDB}/tables/price_list/rows?{query}"),
            DEMO_TOKEN,
            200,
        )
        .await;
    }
}

async fn check_single_rows(prism: &Prism) {
    for (table, row) in [
        ("store_locations", "81000001"),
        ("store_locations", "81000010"),
        ("events", "82000003"),
        ("events", "82000006"),
        ("price_list", "83010000"),
        ("team_members", "84000005"),
    ] {
        check(
            prism,
            &format!("{HUBDB}/tables/{table}/rows/{row}"),
            DEMO_TOKEN,
            200,
        )
        .await;
        check(
            prism,
            &format!("{HUBDB}/tables/{table}/rows/{row}/draft"),
            DEMO_TOKEN,
            200,
        )
        .await;
    }
    let draft_only = format!("{HUBDB}/tables/events/rows/82000009/draft");
    check(prism, &draft_only, DEMO_TOKEN, 200).await;
    check(
        prism,
        &format!("{HUBDB}/tables/upcoming_webinars/rows/85000001/draft"),
        DEMO_TOKEN,
        200,
    )
    .await;
}

async fn check_error_cases(prism: &Prism) {
    for (path, token, status) in [
        ("/tables/no_such_table", DEMO_TOKEN, 404),
        ("/tables/no_such_table/draft", DEMO_TOKEN, 404),
        ("/tables/upcoming_webinars/rows", DEMO_TOKEN, 404),
        ("/tables/events/rows/12345", DEMO_TOKEN, 404),
        ("/tables/events/rows/12345/draft", DEMO_TOKEN, 404),
        ("/tables/events/rows?nope=1", DEMO_TOKEN, 400),
        ("/tables/events/rows?title__gt=1", DEMO_TOKEN, 400),
        (
            "/tables/events/rows/draft?after=bm90IGEgY3Vyc29y",
            DEMO_TOKEN,
            400,
        ),
        ("/tables", "pat-na1-not-a-token", 401),
        ("/tables/events/rows", "pat-na1-not-a-token", 401),
        ("/tables", NO_SCOPE_TOKEN, 403),
        ("/tables/events/rows/82000001", NO_SCOPE_TOKEN, 403),
    ] {
        check(prism, &format!("{HUBDB}{path}"), token, status).await;
    }
}

/// Uses up the burst token's budget directly, then sends two 429s through Prism: one with
/// `Retry-After` and one without.
async fn check_rate_limit(prism: &Prism, sandbox: &RunningSandbox) {
    let direct = format!("{}{HUBDB}/tables?limit=1", sandbox.base_url());
    let client = client();
    for _ in 0..RATE_LIMIT {
        assert_eq!(
            get_as(&client, &direct, Some(BURST_TOKEN)).await.status,
            200
        );
    }
    let with_retry = check(prism, &format!("{HUBDB}/tables"), BURST_TOKEN, 429).await;
    assert!(with_retry.header("retry-after").is_some());
    assert_eq!(with_retry.body["policyName"], "TEN_SECONDLY_ROLLING");
    let without_retry = check(
        prism,
        &format!("{HUBDB}/tables/events/rows"),
        BURST_TOKEN,
        429,
    )
    .await;
    assert!(without_retry.header("retry-after").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_and_owners_endpoints_pass_prism_validation() {
    let sandbox = sandbox_with(SandboxConfig {
        rate_limit: 0,
        oauth: OAuthConfig {
            auto_approve: true,
            ..OAuthConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let upstream = sandbox.base_url();
    let mut v3 = Prism::spawn("oauth-v3.json", &upstream);
    let mut v1 = Prism::spawn("oauth-v1.json", &upstream);
    let mut owners = Prism::spawn("crm-owners-v3.json", &upstream);
    for prism in [&mut v3, &mut v1, &mut owners] {
        prism.wait_until_listening(Duration::from_secs(90));
    }
    sandbox.clear_requests();

    check_token_endpoint(&v3, &sandbox, V3_TOKEN).await;
    check_token_endpoint(&v1, &sandbox, V1_TOKEN).await;
    check_v1_query_secrets(&v1, &sandbox).await;
    check_introspection_and_revocation(&v3, &sandbox).await;
    check_owners(&owners, &sandbox).await;
    check_v1_token_information(&v1, &sandbox).await;

    let forwarded = sandbox
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/oauth/v") || r.path.starts_with("/crm/"))
        .count();
    assert!(forwarded >= 50, "prism forwarded only {forwarded} requests");
}

fn grant_fields<'a>(grant_type: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("grant_type", grant_type),
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
    ];
    fields.extend_from_slice(extra);
    fields
}

/// Both grants and every refusal of one token endpoint (v1 or v3).
async fn check_token_endpoint(prism: &Prism, sandbox: &RunningSandbox, endpoint: &str) {
    let code = auto_approved_code(sandbox, "hubdb", "crm.objects.owners.read").await;
    let exchange = grant_fields(
        "authorization_code",
        &[("redirect_uri", REDIRECT), ("code", &code)],
    );
    let tokens = check_form(prism, endpoint, &exchange, 200).await;
    let refresh_token = tokens.body["refresh_token"].as_str().unwrap().to_string();
    let refresh = grant_fields("refresh_token", &[("refresh_token", &refresh_token)]);
    check_form(prism, endpoint, &refresh, 200).await;

    check_form(prism, endpoint, &exchange, 400).await;
    let other_code = auto_approved_code(sandbox, "hubdb", "").await;
    let wrong_redirect = grant_fields(
        "authorization_code",
        &[
            ("redirect_uri", "http://localhost:1/"),
            ("code", &other_code),
        ],
    );
    check_form(prism, endpoint, &wrong_redirect, 400).await;
    let bad_refresh = grant_fields("refresh_token", &[("refresh_token", "na1-made-up")]);
    check_form(prism, endpoint, &bad_refresh, 400).await;
    let mut wrong_secret = refresh.clone();
    wrong_secret[2].1 = "wrong";
    check_form(prism, endpoint, &wrong_secret, 400).await;
    let mut unknown_client = refresh.clone();
    unknown_client[1].1 = "no-such-app";
    check_form(prism, endpoint, &unknown_client, 400).await;
    check_form(prism, endpoint, &refresh[1..], 400).await;
    check_form(
        prism,
        endpoint,
        &grant_fields("client_credentials", &[]),
        400,
    )
    .await;
}

/// v1 takes `client_secret` and `refresh_token` from the query as well (`oauth-v1.json`).
async fn check_v1_query_secrets(prism: &Prism, sandbox: &RunningSandbox) {
    let (_, refresh_token) = oauth_tokens(sandbox, "hubdb", "").await;
    let path =
        format!("{V1_TOKEN}?client_secret={DEMO_CLIENT_SECRET}&refresh_token={refresh_token}");
    let fields = [
        ("grant_type", "refresh_token"),
        ("client_id", DEMO_CLIENT_ID),
    ];
    check_form(prism, &path, &fields, 200).await;
}

async fn check_introspection_and_revocation(prism: &Prism, sandbox: &RunningSandbox) {
    let (access, refresh_token) = oauth_tokens(sandbox, "hubdb", "").await;
    let introspect = "/oauth/v3/token/introspect";
    let credentials = [
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
    ];
    let cases = [
        vec![("token", access.as_str())],
        vec![
            ("token", access.as_str()),
            ("token_type_hint", "access_token"),
        ],
        vec![
            ("token", refresh_token.as_str()),
            ("token_type_hint", "refresh_token"),
        ],
        vec![("token", refresh_token.as_str())],
    ];
    for extra in cases {
        let mut fields = credentials.to_vec();
        fields.extend(extra);
        let reply = check_form(prism, introspect, &fields, 200).await;
        assert_eq!(reply.body["active"], true);
    }
    let wrong_secret = [
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", "wrong"),
        ("token", access.as_str()),
    ];
    check_form(prism, introspect, &wrong_secret, 400).await;
    check_form(prism, introspect, &credentials, 400).await;
    check_form(prism, "/oauth/v3/token/revoke", &wrong_secret, 400).await;
    check_form(prism, "/oauth/v3/token/revoke", &credentials, 400).await;
}

async fn check_owners(prism: &Prism, sandbox: &RunningSandbox) {
    for path in [
        "/crm/v3/owners",
        "/crm/v3/owners?email=maren.olsen%40example.com",
        "/crm/v3/owners?archived=true",
        "/crm/v3/owners?limit=0",
        "/crm/v3/owners/61700001",
        "/crm/v3/owners/61700006",
        "/crm/v3/owners/7300003?idProperty=userId",
        "/crm/v3/owners/7300006?idProperty=userId&archived=true",
    ] {
        check(prism, path, DEMO_TOKEN, 200).await;
    }
    let mut path = "/crm/v3/owners?limit=2".to_string();
    for _ in 0..5 {
        let page = check(prism, &path, DEMO_TOKEN, 200).await;
        let Some(after) = after_of(&page.body) else {
            break;
        };
        path = format!("/crm/v3/owners?limit=2&after={after}");
    }
    for (path, token, status) in [
        ("/crm/v3/owners/1", DEMO_TOKEN, 404),
        ("/crm/v3/owners/61700007", DEMO_TOKEN, 404),
        ("/crm/v3/owners?limit=-1", DEMO_TOKEN, 400),
        ("/crm/v3/owners?after=bm90IGEgY3Vyc29y", DEMO_TOKEN, 400),
        ("/crm/v3/owners", "pat-na1-not-a-token", 401),
        ("/crm/v3/owners", NO_SCOPE_TOKEN, 403),
        ("/crm/v3/owners/61700001", NO_SCOPE_TOKEN, 403),
    ] {
        check(prism, path, token, status).await;
    }
    let (with_scope, _) = oauth_tokens(sandbox, "hubdb", "crm.objects.owners.read").await;
    let (without_scope, _) = oauth_tokens(sandbox, "hubdb", "").await;
    check(prism, "/crm/v3/owners", &with_scope, 200).await;
    check(prism, "/crm/v3/owners", &without_scope, 403).await;
    sandbox.expire_oauth_tokens();
    check(prism, "/crm/v3/owners", &with_scope, 401).await;
}

/// Last: it expires every access token.
async fn check_v1_token_information(prism: &Prism, sandbox: &RunningSandbox) {
    let (access, refresh_token) = oauth_tokens(sandbox, "hubdb", "crm.objects.owners.read").await;
    let access_path = format!("/oauth/v1/access-tokens/{access}");
    let refresh_path = format!("/oauth/v1/refresh-tokens/{refresh_token}");
    let get = |path: &str| client().get(prism.url(path));
    check_request(&access_path, get(&access_path), 200).await;
    check_request(&refresh_path, get(&refresh_path), 200).await;
    let unknown_access = "/oauth/v1/access-tokens/CNope";
    check_request(unknown_access, get(unknown_access), 404).await;
    let unknown_refresh = "/oauth/v1/refresh-tokens/na1-nope";
    check_request(unknown_refresh, get(unknown_refresh), 404).await;
    let delete = || client().delete(prism.url(&refresh_path));
    check_request(&refresh_path, delete(), 204).await;
    check_request(&refresh_path, delete(), 404).await;
    check_request(&refresh_path, get(&refresh_path), 404).await;
    sandbox.expire_oauth_tokens();
    check_request(&access_path, get(&access_path), 401).await;
}
