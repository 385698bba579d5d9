//! Row writes and publishing: the right method, path and body, and retries only after a 429
//! (DESIGN "HTTP": writes are never retried blindly).

mod common;

use common::{Reply, ScriptedServer, error_body};
use hubdb::{ErrorKind, RowWrite};
use serde_json::json;

fn product(name: &str) -> RowWrite {
    let mut row = RowWrite {
        name: Some("Page".into()),
        ..RowWrite::default()
    };
    row.values.insert("name".into(), json!(name));
    row.values.insert("price".into(), json!(9.5));
    row
}

#[tokio::test]
async fn create_row_posts_to_rows_and_returns_the_new_row() {
    let server = ScriptedServer::start(|request, _| {
        let sent: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        Reply::status(201, json!({"id": "501", "values": sent["values"], "name": sent["name"], "createdAt": "2024-01-01T00:00:00Z"}))
    })
    .await;

    let row = server
        .client()
        .create_row("products", &product("Lamp"))
        .await
        .unwrap();

    assert_eq!((row.id, row.values["name"].as_str()), (501, Some("Lamp")));
    let request = &server.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("POST", "/cms/v3/hubdb/tables/products/rows")
    );
    assert_eq!(request.content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        json!({"values": {"name": "Lamp", "price": 9.5}, "name": "Page"})
    );
}

#[tokio::test]
async fn update_replace_and_delete_address_the_draft_row() {
    let server = ScriptedServer::start(|request, _| match request.method.as_str() {
        "DELETE" => Reply::Json {
            status: 204,
            headers: Vec::new(),
            body: String::new(),
        },
        _ => Reply::ok(json!({"id": "7", "values": {}})),
    })
    .await;
    let client = server.client();

    client
        .update_row("products", 7, &product("A"))
        .await
        .unwrap();
    client
        .replace_row("products", 7, &product("B"))
        .await
        .unwrap();
    client.delete_row("products", 7).await.unwrap();

    let sent: Vec<(String, String)> = server
        .requests()
        .into_iter()
        .map(|r| (r.method, r.target))
        .collect();
    let path = "/cms/v3/hubdb/tables/products/rows/7/draft".to_string();
    assert_eq!(
        sent,
        [
            ("PATCH".into(), path.clone()),
            ("PUT".into(), path.clone()),
            ("DELETE".into(), path)
        ]
    );
}

#[tokio::test]
async fn publish_and_reset_post_to_the_draft_table() {
    let server = ScriptedServer::start(|_, _| {
        Reply::ok(json!({"id": "3", "name": "products", "published": true, "publishedAt": "2024-05-01T00:00:00Z"}))
    })
    .await;
    let client = server.client();

    let published = client.publish_table("products").await.unwrap();
    client.reset_draft("products").await.unwrap();

    assert!(published.published);
    assert_eq!(published.published_at, Some(1_714_521_600_000));
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/cms/v3/hubdb/tables/products/draft/publish",
            "/cms/v3/hubdb/tables/products/draft/reset"
        ]
    );
}

#[tokio::test]
async fn a_write_refused_with_429_is_sent_again() {
    let server = ScriptedServer::start(|_, n| match n {
        0 => Reply::status(
            429,
            error_body("You have reached your secondly limit.", "RATE_LIMITS", "c"),
        ),
        _ => Reply::status(201, json!({"id": "9"})),
    })
    .await;
    let client = server.client();

    let row = client
        .create_row("products", &product("Lamp"))
        .await
        .unwrap();

    assert_eq!(row.id, 9);
    assert_eq!(client.requests_sent(), 2);
}

#[tokio::test]
async fn a_write_failing_with_500_is_not_repeated() {
    let server = ScriptedServer::start(|_, _| {
        Reply::status(500, error_body("internal error", "INTERNAL_ERROR", "c-5"))
    })
    .await;
    let client = server.client();

    let error = client
        .create_row("products", &product("Lamp"))
        .await
        .unwrap_err();

    assert_eq!(
        (error.kind, error.correlation_id.as_deref()),
        (ErrorKind::Server, Some("c-5"))
    );
    assert_eq!(client.requests_sent(), 1);
}

#[tokio::test]
async fn a_write_whose_connection_drops_is_not_repeated() {
    let server = ScriptedServer::start(|_, _| Reply::CutBody {
        declared: 100,
        sent: "{".into(),
    })
    .await;
    let client = server.client();

    let error = client
        .update_row("products", 7, &product("A"))
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::ConnectionLost);
    assert_eq!(client.requests_sent(), 1);
}
