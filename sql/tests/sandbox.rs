//! End-to-end: SQL through the engine and the REST client against the sandbox's demo
//! account, with results compared to the same filter applied in Rust to the raw rows, and
//! the HubDB requests read from the sandbox's own log.

use std::time::Duration;

use futures::TryStreamExt;
use hubdb::{Client, ClientConfig, Row, RowQuery, Secret, Version};
use hubdb_sandbox::{DEMO_TOKEN, RunningSandbox, SandboxConfig};
use hubdb_sql::arrow::array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};
use hubdb_sql::{Engine, EngineOptions, SqlErrorKind, TableKind};

struct Fixture {
    sandbox: RunningSandbox,
    client: Client,
    engine: Engine,
}

async fn fixture() -> Fixture {
    let config = SandboxConfig {
        rate_limit: 0,
        ..SandboxConfig::default()
    };
    let sandbox = hubdb_sandbox::start(config).await.expect("sandbox starts");
    let mut client_config = ClientConfig::new(sandbox.base_url(), Secret::new(DEMO_TOKEN));
    client_config.timeout = Duration::from_secs(20);
    let client = Client::new(client_config).expect("client");
    let engine = Engine::new(client.clone(), EngineOptions::default());
    Fixture {
        sandbox,
        client,
        engine,
    }
}

impl Fixture {
    async fn batches(&self, sql: &str) -> Vec<RecordBatch> {
        let prepared = self
            .engine
            .prepare(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mut result = self.engine.execute(&prepared, &[]).await.unwrap();
        let mut batches = Vec::new();
        while let Some(batch) = result.next_batch().await {
            batches.push(batch.unwrap_or_else(|e| panic!("{sql}: {e}")));
        }
        batches
    }

    async fn raw_rows(&self, table: &str, version: Version) -> Vec<Row> {
        let pages: Vec<_> = self
            .client
            .stream_rows(table, version, RowQuery::default())
            .try_collect()
            .await
            .unwrap();
        pages.into_iter().flat_map(|p| p.rows).collect()
    }

    /// The row listings the sandbox served since the last clear, as query pairs.
    fn row_requests(&self) -> Vec<Vec<(String, String)>> {
        self.sandbox
            .requests()
            .into_iter()
            .filter(|r| r.path.contains("/rows"))
            .map(|r| r.query)
            .collect()
    }
}

fn ids(batches: &[RecordBatch], column: usize) -> Vec<i64> {
    let mut ids: Vec<i64> = batches
        .iter()
        .flat_map(|b| {
            let array = b
                .column(column)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap();
            array.iter().flatten().collect::<Vec<_>>()
        })
        .collect();
    ids.sort_unstable();
    ids
}

fn row_count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

fn number(row: &Row, column: &str) -> Option<f64> {
    row.values.get(column).and_then(serde_json::Value::as_f64)
}

#[tokio::test]
async fn select_star_reads_every_row_of_every_sample_table() {
    let fx = fixture().await;
    let tables = fx.engine.tables().await.unwrap();
    assert!(
        tables
            .iter()
            .any(|t| t.schema == "Draft" && t.name == "upcoming_webinars")
    );
    assert!(
        !tables.iter().any(|t| t.name == "spring_promotions_2023"),
        "archived"
    );
    assert!(
        tables
            .iter()
            .any(|t| t.schema == "CRM" && t.name == "Owners")
    );
    for table in tables.iter().filter(|t| t.schema != "CRM") {
        let version = match table.kind {
            TableKind::View => Version::Published,
            TableKind::Table => Version::Draft,
        };
        let sql = format!("SELECT * FROM {}.{}", table.schema, table.name);
        let batches = fx.batches(&sql).await;
        let expected = fx.raw_rows(&table.name, version).await;
        assert_eq!(row_count(&batches), expected.len(), "{sql}");
        let mut expected_ids: Vec<i64> = expected.iter().map(|r| r.id).collect();
        expected_ids.sort_unstable();
        assert_eq!(ids(&batches, 0), expected_ids, "{sql}");
        let columns = fx.engine.columns(&table.schema, &table.name).await.unwrap();
        assert_eq!(batches[0].num_columns(), columns.len(), "{sql}");
    }
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_number_filter_is_sent_to_hubdb_and_matches_a_local_filter() {
    let fx = fixture().await;
    fx.sandbox.clear_requests();
    let batches = fx
        .batches("SELECT Id, stock FROM price_list WHERE stock > 50")
        .await;
    let requests = fx.row_requests();
    assert!(
        requests[0].contains(&("stock__gt".to_string(), "50".to_string())),
        "{requests:?}"
    );
    let expected: Vec<i64> = {
        let mut ids: Vec<i64> = fx
            .raw_rows("price_list", Version::Published)
            .await
            .iter()
            .filter(|r| number(r, "stock").is_some_and(|s| s > 50.0))
            .map(|r| r.id)
            .collect();
        ids.sort_unstable();
        ids
    };
    assert!(!expected.is_empty());
    assert_eq!(ids(&batches, 0), expected);
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn order_by_with_limit_is_a_single_sorted_request() {
    let fx = fixture().await;
    fx.sandbox.clear_requests();
    let batches = fx
        .batches("SELECT stock FROM price_list ORDER BY stock DESC LIMIT 10")
        .await;
    let requests = fx.row_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].contains(&("sort".to_string(), "-stock".to_string())));
    assert!(requests[0].contains(&("limit".to_string(), "10".to_string())));

    let got: Vec<f64> = batches
        .iter()
        .flat_map(|b| {
            let array = b.column(0).as_any().downcast_ref::<Float64Array>().unwrap();
            (0..array.len())
                .map(|i| {
                    if array.is_null(i) {
                        f64::INFINITY
                    } else {
                        array.value(i)
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut expected: Vec<f64> = fx
        .raw_rows("price_list", Version::Published)
        .await
        .iter()
        .map(|r| number(r, "stock").unwrap_or(f64::INFINITY))
        .collect();
    expected.sort_by(|a, b| b.total_cmp(a));
    expected.truncate(10);
    assert_eq!(got, expected);
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn like_is_prefiltered_by_hubdb_and_decided_locally() {
    let fx = fixture().await;
    fx.sandbox.clear_requests();
    let batches = fx
        .batches("SELECT Id FROM store_locations WHERE store_name LIKE '%o%n%'")
        .await;
    assert!(fx.row_requests()[0].contains(&("store_name__icontains".to_string(), "o".to_string())));
    let mut expected: Vec<i64> = fx
        .raw_rows("store_locations", Version::Published)
        .await
        .iter()
        .filter(|r| {
            let name = r
                .values
                .get("store_name")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            name.find('o').is_some_and(|i| name[i + 1..].contains('n'))
        })
        .map(|r| r.id)
        .collect();
    expected.sort_unstable();
    assert_eq!(ids(&batches, 0), expected);
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_draft_and_published_versions_are_separate_schemas() {
    let fx = fixture().await;
    let draft_columns = fx.engine.columns("Draft", "events").await.unwrap();
    assert!(draft_columns.iter().any(|c| c.name == "livestream_url"));
    let error = fx
        .engine
        .prepare("SELECT livestream_url FROM events")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(error.kind, SqlErrorKind::ColumnNotFound),
        "{error:?}"
    );
    fx.batches("SELECT livestream_url FROM Draft.events").await;

    let unqualified = fx.batches("SELECT Id FROM upcoming_webinars").await;
    assert_eq!(row_count(&unqualified), 3);
    let error = fx
        .engine
        .prepare("SELECT * FROM Published.upcoming_webinars")
        .await
        .err()
        .unwrap();
    assert!(matches!(error.kind, SqlErrorKind::TableNotFound));
    assert!(
        error.message.contains("exists only as a draft"),
        "{}",
        error.message
    );
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_row_id_lookup_is_one_single_row_read() {
    let fx = fixture().await;
    fx.sandbox.clear_requests();
    let batches = fx
        .batches("SELECT store_name, location_latitude FROM store_locations WHERE Id = 81000001")
        .await;
    let requests: Vec<_> = fx
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/rows"))
        .collect();
    assert_eq!(requests.len(), 1, "{requests:?}");
    // Reference §7 R3: the single-row endpoint of the published table.
    assert_eq!(
        requests[0].path,
        "/cms/v3/hubdb/tables/store_locations/rows/81000001"
    );
    assert_eq!(requests[0].rows, Some(1));
    let names = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    assert_eq!(names.value(0), "Boston Back Bay");
    let latitude = batches[0]
        .column(1)
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    assert_eq!(latitude.value(0), 42.351);
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn text_outside_the_basic_plane_survives() {
    let fx = fixture().await;
    let mut found = false;
    for table in ["store_locations", "events", "team_members"] {
        for batch in fx.batches(&format!("SELECT * FROM {table}")).await {
            for column in batch.columns() {
                if let Some(text) = column.as_any().downcast_ref::<StringArray>() {
                    found |= text
                        .iter()
                        .flatten()
                        .any(|s| s.chars().any(|c| c as u32 > 0xFFFF));
                }
            }
        }
    }
    assert!(found, "the demo seed has characters outside the BMP");
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_token_without_the_hubdb_scope_is_a_hubdb_error() {
    let fx = fixture().await;
    let config = ClientConfig::new(
        fx.sandbox.base_url(),
        Secret::new(hubdb_sandbox::NO_SCOPE_TOKEN),
    );
    let engine = Engine::new(Client::new(config).unwrap(), EngineOptions::default());
    let error = engine.prepare("SELECT * FROM events").await.err().unwrap();
    assert!(
        matches!(&error.kind, SqlErrorKind::HubDb(e) if e.kind == hubdb::ErrorKind::Forbidden),
        "{error:?}"
    );
    fx.sandbox.shutdown().await;
}
