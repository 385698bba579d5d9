//! Failure modes of the HubDB client against a scripted server: rate limits, server errors,
//! dropped connections, stalls, HubSpot's error bodies (reference §10, §11.3; B12-B15).

mod common;

use std::time::{Duration, Instant};

use common::{Reply, ScriptedServer, after, error_body, rows_page};
use futures::TryStreamExt;
use hubdb::{Client, ErrorKind, RowPage, RowQuery, Version};
use serde_json::json;

const ROWS: &str = "/cms/v3/hubdb/tables/products/rows";

async fn all_rows(client: &Client) -> Result<Vec<i64>, hubdb::Error> {
    let pages: Vec<RowPage> = client
        .stream_rows("products", Version::Published, RowQuery::default())
        .try_collect()
        .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.rows.iter().map(|r| r.id))
        .collect())
}

fn ten_secondly_429() -> Reply {
    Reply::status(
        429,
        json!({"status": "error", "message": "You have reached your ten-secondly limit.",
               "errorType": "RATE_LIMIT", "correlationId": "c-429", "policyName": "TEN_SECONDLY_ROLLING"}),
    )
}

#[tokio::test]
async fn rate_limited_request_waits_retry_after_then_succeeds() {
    let server = ScriptedServer::start(|_, n| match n {
        0 => ten_secondly_429().with_header("retry-after", "1"),
        _ => Reply::ok(rows_page(1, 3, 3, json!(null))),
    })
    .await;
    let client = server.client();
    let started = Instant::now();

    assert_eq!(all_rows(&client).await.unwrap(), [1, 2, 3]);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.requests_sent(), 2);
}

#[tokio::test]
async fn rate_limited_request_without_retry_after_uses_hubspot_backoff() {
    let server = ScriptedServer::start(|_, n| match n {
        0 => ten_secondly_429(),
        _ => Reply::ok(rows_page(1, 2, 2, json!(null))),
    })
    .await;
    let client = server.client();
    let started = Instant::now();

    assert_eq!(all_rows(&client).await.unwrap(), [1, 2]);
    // TEN_SECONDLY_ROLLING: 10 × unit × attempt; the test unit is 10 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn rate_limited_forever_gives_up_after_max_retries() {
    let server = ScriptedServer::start(|_, _| {
        Reply::status(
            429,
            error_body(
                "You have reached your secondly limit.",
                "RATE_LIMITS",
                "c-1",
            ),
        )
    })
    .await;
    let client = server.client();

    let error = all_rows(&client).await.unwrap_err();

    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert_eq!(error.status, Some(429));
    assert_eq!(error.correlation_id.as_deref(), Some("c-1"));
    assert!(
        error.message.ends_with("Gave up after 3 retries."),
        "{}",
        error.message
    );
    assert_eq!(client.requests_sent(), 4);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn daily_rate_limit_fails_at_once() {
    let server = ScriptedServer::start(|_, _| {
        Reply::status(429, json!({"message": "You have reached your daily limit.", "errorType": "RATE_LIMIT", "policyName": "DAILY"}))
    })
    .await;
    let client = server.client();

    let error = all_rows(&client).await.unwrap_err();

    assert_eq!(
        (error.kind, error.category.as_deref()),
        (ErrorKind::RateLimited, Some("RATE_LIMIT"))
    );
    assert!(
        error.message.contains("Rate-limit policy: DAILY."),
        "{}",
        error.message
    );
    assert_eq!(client.requests_sent(), 1);
}

/// Three pages joined by cursors; the first request for page 3 answers `page_three_first`.
fn three_pages(page_three_first: fn() -> Reply) -> impl Fn(&common::Recorded, usize) -> Reply {
    move |request, _| match request.param("after").as_deref() {
        None => Reply::ok(rows_page(1, 2, 6, after("p2+/="))),
        Some("p2+/=") => Reply::ok(rows_page(3, 2, 6, after("p3"))),
        Some("p3") => page_three_first(),
        Some(other) => Reply::status(
            400,
            error_body(&format!("bad cursor {other}"), "VALIDATION_ERROR", "c"),
        ),
    }
}

#[tokio::test]
async fn server_error_on_page_three_is_retried_with_the_same_cursor() {
    let server = ScriptedServer::start({
        let served = std::sync::atomic::AtomicBool::new(false);
        let pages = three_pages(|| Reply::ok(rows_page(5, 2, 6, json!(null))));
        move |request, n| {
            let third = request.param("after").as_deref() == Some("p3");
            if third && !served.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return Reply::status(500, error_body("internal error", "INTERNAL_ERROR", "c-500"));
            }
            pages(request, n)
        }
    })
    .await;
    let client = server.client();

    assert_eq!(all_rows(&client).await.unwrap(), [1, 2, 3, 4, 5, 6]);
    let cursors: Vec<Option<String>> = server.requests().iter().map(|r| r.param("after")).collect();
    assert_eq!(
        cursors,
        [
            None,
            Some("p2+/=".into()),
            Some("p3".into()),
            Some("p3".into())
        ]
    );
    assert_eq!(client.requests_sent(), 4);
}

#[tokio::test]
async fn server_error_that_persists_is_reported_as_server_error() {
    let server = ScriptedServer::start(|_, _| {
        Reply::status(503, json!({})).with_header("x-hubspot-correlation-id", "hdr-503")
    })
    .await;
    let client = server.client();

    let error = all_rows(&client).await.unwrap_err();

    assert_eq!((error.kind, error.status), (ErrorKind::Server, Some(503)));
    assert_eq!(error.correlation_id.as_deref(), Some("hdr-503"));
    assert_eq!(client.requests_sent(), 4);
}

#[tokio::test]
async fn connection_dropped_mid_body_is_retried() {
    let server = ScriptedServer::start(|_, n| match n {
        0 => Reply::CutBody {
            declared: 5000,
            sent: r#"{"total": 2, "results": [{"id": "1""#.into(),
        },
        _ => Reply::ok(rows_page(1, 2, 2, json!(null))),
    })
    .await;
    let client = server.client();

    assert_eq!(all_rows(&client).await.unwrap(), [1, 2]);
    assert_eq!(client.requests_sent(), 2);
}

#[tokio::test]
async fn connection_dropped_on_every_attempt_is_connection_lost() {
    let server = ScriptedServer::start(|_, _| Reply::CutBody {
        declared: 100,
        sent: "{".into(),
    })
    .await;
    let client = server.client();

    let error = all_rows(&client).await.unwrap_err();

    assert_eq!(error.kind, ErrorKind::ConnectionLost, "{error}");
    assert_eq!(client.requests_sent(), 4);
}

#[tokio::test]
async fn stalled_server_times_out_without_retrying() {
    let server = ScriptedServer::start(|_, _| Reply::Stall(Duration::from_secs(10))).await;
    let mut config = server.config();
    config.timeout = Duration::from_millis(300);
    let client = Client::new(config).unwrap();
    let started = Instant::now();

    let error = all_rows(&client).await.unwrap_err();

    assert_eq!(error.kind, ErrorKind::Timeout, "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.requests_sent(), 1);
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config =
        hubdb::ClientConfig::new(format!("http://127.0.0.1:{port}"), hubdb::Secret::new("t"));
    let client = Client::new(config).unwrap();

    let error = client.list_tables(Version::Published).await.unwrap_err();

    assert_eq!(error.kind, ErrorKind::Connect, "{error}");
    assert_eq!(client.requests_sent(), 1);
}

#[tokio::test]
async fn unauthorized_forbidden_and_not_found_keep_hubspot_details() {
    let server = ScriptedServer::start(|request, _| match request.path() {
        "/cms/v3/hubdb/tables/a" => Reply::status(401, error_body("Authentication credentials not found.", "INVALID_AUTHENTICATION", "c-401")),
        "/cms/v3/hubdb/tables/b" => Reply::status(
            403,
            json!({"status": "error", "message": "This app hasn't been granted all required scopes to make this call.",
                   "correlationId": "c-403", "category": "MISSING_SCOPES",
                   "errors": [{"message": "One or more of the following scopes are required.", "context": {"requiredScopes": ["hubdb"]}}]}),
        ),
        _ => Reply::status(404, json!({"status": "error", "message": "Table c not found.", "category": "OBJECT_NOT_FOUND"}))
            .with_header("x-hubspot-correlation-id", "hdr-404"),
    })
    .await;
    let client = server.client();

    let unauthorized = client.get_table("a", Version::Published).await.unwrap_err();
    let forbidden = client.get_table("b", Version::Published).await.unwrap_err();
    let not_found = client.get_table("c", Version::Published).await.unwrap_err();

    assert_eq!(unauthorized.kind, ErrorKind::Unauthorized);
    assert_eq!(
        unauthorized.to_string(),
        "Authentication credentials not found. (HTTP 401, INVALID_AUTHENTICATION, correlation id c-401)"
    );
    assert_eq!(forbidden.kind, ErrorKind::Forbidden);
    assert!(
        forbidden.message.contains("Required scopes: hubdb."),
        "{}",
        forbidden.message
    );
    assert_eq!(forbidden.correlation_id.as_deref(), Some("c-403"));
    assert_eq!(
        (not_found.kind, not_found.correlation_id.as_deref()),
        (ErrorKind::NotFound, Some("hdr-404"))
    );
    assert_eq!(not_found.message, "Table c not found.");
    for error in [unauthorized, forbidden, not_found] {
        assert!(!format!("{error} {error:?}").contains(common::TOKEN));
    }
    assert_eq!(client.requests_sent(), 3, "4xx answers are not retried");
}

#[tokio::test]
async fn requests_carry_the_bearer_token() {
    let server = ScriptedServer::start(|_, _| Reply::ok(json!({"total": 0, "results": []}))).await;
    server.client().list_tables(Version::Draft).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].target, "/cms/v3/hubdb/tables/draft?limit=1000");
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some("Bearer pat-na1-test-token")
    );
}

#[tokio::test]
async fn a_body_that_is_not_the_documented_shape_is_a_decode_error() {
    let server = ScriptedServer::start(|_, _| Reply::ok(json!({"results": "not a list"}))).await;
    let client = server.client();

    let error = all_rows(&client).await.unwrap_err();

    assert_eq!(error.kind, ErrorKind::Decode, "{error}");
    assert_eq!(client.requests_sent(), 1);
}

#[tokio::test]
async fn request_count_is_shared_by_clones() {
    let server = ScriptedServer::start(|_, _| Reply::ok(json!({"results": []}))).await;
    let client = server.client();
    let clone = client.clone();

    client.list_tables(Version::Published).await.unwrap();
    clone.list_tables(Version::Published).await.unwrap();

    assert_eq!((client.requests_sent(), clone.requests_sent()), (2, 2));
}

#[tokio::test]
async fn draft_and_published_row_paths() {
    let server = ScriptedServer::start(|_, _| Reply::ok(rows_page(1, 1, 1, json!(null)))).await;
    let client = server.client();

    client
        .fetch_rows("products", Version::Draft, &RowQuery::default(), None)
        .await
        .unwrap();
    client
        .fetch_rows("products", Version::Published, &RowQuery::default(), None)
        .await
        .unwrap();

    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(paths, [format!("{ROWS}/draft"), ROWS.to_string()]);
}
