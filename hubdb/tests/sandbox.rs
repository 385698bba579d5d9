//! The client against the project's sandbox, which follows HubDB v3 where it is hardest for a
//! client: opaque cursors with `+`, `/` and `=`, no offset in `paging`, empty cells left out.

use std::collections::HashSet;
use std::time::Duration;

use futures::TryStreamExt;
use hubdb::{
    Client, ClientConfig, ColumnType, ErrorKind, Filter, FilterOp, RowPage, RowQuery, Secret,
    SortKey, Version,
};
use hubdb_sandbox::{DEMO_TOKEN, NO_SCOPE_TOKEN, RunningSandbox, SandboxConfig};

const ROWS_PER_PRICE_LIST: usize = 10_000;

async fn sandbox(config: SandboxConfig) -> RunningSandbox {
    hubdb_sandbox::start(config)
        .await
        .expect("sandbox starts on 127.0.0.1:0")
}

fn client(sandbox: &RunningSandbox, token: &str) -> Client {
    let mut config = ClientConfig::new(format!("{}/", sandbox.base_url()), Secret::new(token));
    config.timeout = Duration::from_secs(30);
    config.rate_limit_backoff = Duration::from_millis(20);
    config.server_error_backoff = Duration::from_millis(5);
    Client::new(config).unwrap()
}

async fn scan(client: &Client, table: &str, query: RowQuery) -> Vec<RowPage> {
    client
        .stream_rows(table, Version::Published, query)
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn ten_thousand_rows_stream_once_each_in_ten_requests() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = client(&sandbox, DEMO_TOKEN);

    let pages = scan(&client, "price_list", RowQuery::default()).await;

    let ids: Vec<i64> = pages
        .iter()
        .flat_map(|p| p.rows.iter().map(|r| r.id))
        .collect();
    let distinct: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(
        (ids.len(), distinct.len()),
        (ROWS_PER_PRICE_LIST, ROWS_PER_PRICE_LIST)
    );
    assert_eq!(pages.len(), 10);
    assert!(
        pages
            .iter()
            .all(|p| p.total == Some(ROWS_PER_PRICE_LIST as u64))
    );
    assert_eq!(client.requests_sent(), 10);
    let log = sandbox.requests();
    assert_eq!(log.len(), 10);
    assert!(
        log.iter()
            .all(|r| r.status == 200 && r.path == "/cms/v3/hubdb/tables/price_list/rows")
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn draft_only_table_is_listed_in_drafts_only_and_archived_nowhere() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = client(&sandbox, DEMO_TOKEN);

    let published = client.list_tables(Version::Published).await.unwrap();
    let draft = client.list_tables(Version::Draft).await.unwrap();

    let names = |tables: &[hubdb::Table]| {
        tables
            .iter()
            .map(|t| t.name.clone())
            .collect::<HashSet<_>>()
    };
    let expected: HashSet<String> = ["store_locations", "events", "price_list", "team_members"]
        .map(String::from)
        .into();
    assert_eq!(names(&published), expected);
    let mut expected_drafts = expected.clone();
    expected_drafts.insert("upcoming_webinars".into());
    assert_eq!(names(&draft), expected_drafts);
    let webinars = draft
        .iter()
        .find(|t| t.name == "upcoming_webinars")
        .unwrap();
    assert!(!webinars.published && webinars.published_at.is_none());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn table_columns_come_in_order_with_their_types() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = client(&sandbox, DEMO_TOKEN);

    let table = client
        .get_table("store_locations", Version::Published)
        .await
        .unwrap();
    let by_id = client
        .get_table(&table.id, Version::Published)
        .await
        .unwrap();

    let columns: Vec<(&str, &ColumnType)> = table
        .columns
        .iter()
        .map(|c| (c.name.as_str(), &c.column_type))
        .collect();
    assert_eq!(columns[0], ("store_name", &ColumnType::Text));
    assert_eq!(columns[3], ("location", &ColumnType::Location));
    assert_eq!(columns[5], ("services", &ColumnType::MultiSelect));
    assert_eq!(columns.len(), 11);
    assert!(
        !table.columns[4].options.is_empty(),
        "SELECT region has options"
    );
    assert_eq!((table.id.as_str(), table.row_count), ("5840101", Some(10)));
    assert_eq!(by_id.name, "store_locations");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn filtered_sorted_query_returns_only_matching_rows() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = client(&sandbox, DEMO_TOKEN);
    let query = RowQuery {
        filters: vec![
            Filter {
                column: "category".into(),
                op: FilterOp::Eq,
                value: "Bikes".into(),
            },
            Filter {
                column: "stock".into(),
                op: FilterOp::Gte,
                value: "100".into(),
            },
        ],
        sort: vec![SortKey {
            column: "unit_price".into(),
            descending: true,
        }],
        properties: Some(vec!["category".into(), "stock".into(), "unit_price".into()]),
        limit: Some(100),
        offset: None,
    };

    let pages = scan(&client, "price_list", query).await;

    let rows: Vec<&hubdb::Row> = pages.iter().flat_map(|p| p.rows.iter()).collect();
    assert!(!rows.is_empty());
    assert_eq!(Some(rows.len() as u64), pages[0].total);
    for row in &rows {
        assert_eq!(row.values["category"]["name"], "Bikes", "{row:?}");
        assert!(row.values["stock"].as_f64().unwrap() >= 100.0, "{row:?}");
        assert!(!row.values.contains_key("sku"), "projection applied");
    }
    let prices: Vec<f64> = rows
        .iter()
        .map(|r| r.values["unit_price"].as_f64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] >= w[1]), "sorted descending");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn no_own_columns_returns_rows_with_empty_values() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = client(&sandbox, DEMO_TOKEN);
    let query = RowQuery {
        properties: Some(vec![]),
        ..RowQuery::default()
    };

    let pages = scan(&client, "store_locations", query).await;

    assert_eq!(pages[0].rows.len(), 10);
    assert!(
        pages[0]
            .rows
            .iter()
            .all(|r| r.values.is_empty() && r.id > 0)
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn draft_rows_and_single_rows_are_read() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = client(&sandbox, DEMO_TOKEN);

    let published: Result<Vec<RowPage>, _> = client
        .stream_rows("upcoming_webinars", Version::Published, RowQuery::default())
        .try_collect()
        .await;
    let draft: Vec<RowPage> = client
        .stream_rows("upcoming_webinars", Version::Draft, RowQuery::default())
        .try_collect()
        .await
        .unwrap();
    let first = &draft[0].rows[0];
    let again = client
        .get_row("upcoming_webinars", Version::Draft, first.id)
        .await
        .unwrap();
    let missing = client
        .get_row("store_locations", Version::Published, 1)
        .await
        .unwrap();

    let never_published = published.unwrap_err();
    assert_eq!(never_published.kind, ErrorKind::NotFound);
    assert!(
        never_published.message.contains("draft"),
        "{never_published}"
    );
    assert_eq!(draft[0].rows.len(), 3);
    assert_eq!(again.as_ref(), Some(first));
    assert!(missing.is_none());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn unknown_token_and_token_without_scope_are_told_apart() {
    let sandbox = sandbox(SandboxConfig::default()).await;

    let unknown = client(&sandbox, "pat-na1-wrong")
        .list_tables(Version::Draft)
        .await
        .unwrap_err();
    let no_scope = client(&sandbox, NO_SCOPE_TOKEN)
        .list_tables(Version::Draft)
        .await
        .unwrap_err();

    assert_eq!(unknown.kind, ErrorKind::Unauthorized);
    assert!(unknown.correlation_id.is_some());
    assert_eq!(no_scope.kind, ErrorKind::Forbidden);
    assert_eq!(no_scope.category.as_deref(), Some("MISSING_SCOPES"));
    assert!(!no_scope.to_string().contains(NO_SCOPE_TOKEN));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_scan_over_the_rate_limit_completes_through_retries() {
    let config = SandboxConfig {
        rate_limit: 2,
        rate_window: Duration::from_secs(1),
        ..SandboxConfig::default()
    };
    let sandbox = sandbox(config).await;
    let client = client(&sandbox, DEMO_TOKEN);

    let pages = scan(
        &client,
        "price_list",
        RowQuery {
            limit: Some(1000),
            ..RowQuery::default()
        },
    )
    .await;

    let ids: HashSet<i64> = pages
        .iter()
        .flat_map(|p| p.rows.iter().map(|r| r.id))
        .collect();
    assert_eq!(ids.len(), ROWS_PER_PRICE_LIST);
    let log = sandbox.requests();
    let limited = log.iter().filter(|r| r.status == 429).count();
    assert!(limited > 0, "the budget of 2 per second was exceeded");
    assert_eq!(client.requests_sent() as usize, log.len());
    assert_eq!(log.len(), 10 + limited);
    sandbox.shutdown().await;
}
