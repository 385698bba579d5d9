//! Spec check: every endpoint and error case of the sandbox through Stoplight Prism in proxy
//! mode with `--errors`, which answers with an `sl-violations` header (or a problem+json body)
//! whenever a request or a response breaks HubSpot's OpenAPI file.
//!
//! Prism comes from npm: `npm ci` at the repository root installs it (CI does).

mod common;

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use hubdb_sandbox::{DEMO_TOKEN, NO_SCOPE_TOKEN, RunningSandbox, SandboxConfig};
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

/// HubSpot's HubDB spec: the repository's copy (`openapi/`), or `$HUBDB_OPENAPI_DIR`'s.
fn spec_file() -> PathBuf {
    let folder = std::env::var_os("HUBDB_OPENAPI_DIR")
        .map_or_else(|| repo_root().join("openapi"), PathBuf::from);
    let spec = folder.join("hubdb-v3-relaxed.json");
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
    fn start(upstream: &str) -> Prism {
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
            .arg(spec_file())
            .arg(upstream)
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("log handle"))
            .stderr(output)
            .spawn()
            .expect("prism starts");
        let mut prism = Prism { child, port, log };
        prism.wait_until_listening(Duration::from_secs(90));
        prism
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
async fn check(prism: &Prism, path: &str, token: &str, status: u16) -> Reply {
    let reply = get_as(&client(), &prism.url(path), Some(token)).await;
    let violations = reply.header("sl-violations").map(str::to_string);
    assert!(
        violations.is_none(),
        "{path}: spec violations {}",
        violations.unwrap_or_default()
    );
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        !content_type.contains("problem+json"),
        "{path}: prism answered {}",
        reply.body
    );
    assert_eq!(reply.status, status, "{path}: {}", reply.body);
    reply
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
    let prism = Prism::start(&sandbox.base_url());
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
