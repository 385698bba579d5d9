//! End-to-end: the `Owners` view through the engine and the REST client against the sandbox's
//! demo account (six active owners, one archived), with the owners requests read from the
//! sandbox's own log.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use hubdb::{
    Client, ClientConfig, Error, Owner, OwnerQuery, Row, RowPage, RowQuery, ScanOptions, Secret,
    Table, Version,
};
use hubdb_sandbox::{DEMO_TOKEN, NO_SCOPE_TOKEN, RunningSandbox, SandboxConfig};
use hubdb_sql::arrow::array::RecordBatch;
use hubdb_sql::arrow::util::display::{ArrayFormatter, FormatOptions};
use hubdb_sql::{Engine, EngineOptions, HubDbSource, SqlErrorKind};

/// The REST client with owners pages of two, so the seven demo owners take several pages.
struct SmallOwnerPages(Client);

impl HubDbSource for SmallOwnerPages {
    fn list_tables(&self, version: Version) -> BoxFuture<'_, Result<Vec<Table>, Error>> {
        HubDbSource::list_tables(&self.0, version)
    }

    fn stream_rows(
        &self,
        table: &str,
        version: Version,
        query: RowQuery,
        options: ScanOptions,
    ) -> BoxStream<'static, Result<RowPage, Error>> {
        HubDbSource::stream_rows(&self.0, table, version, query, options)
    }

    fn count_rows(
        &self,
        table: String,
        version: Version,
        query: RowQuery,
    ) -> BoxFuture<'_, Result<Option<u64>, Error>> {
        HubDbSource::count_rows(&self.0, table, version, query)
    }

    fn get_row(
        &self,
        table: String,
        version: Version,
        row_id: i64,
    ) -> BoxFuture<'_, Result<Option<Row>, Error>> {
        HubDbSource::get_row(&self.0, table, version, row_id)
    }

    fn list_owners(&self, query: OwnerQuery) -> BoxFuture<'_, Result<Vec<Owner>, Error>> {
        let query = OwnerQuery {
            page_size: 2,
            ..query
        };
        HubDbSource::list_owners(&self.0, query)
    }
}

struct Fixture {
    sandbox: RunningSandbox,
    engine: Engine,
}

async fn fixture(token: &str) -> Fixture {
    let config = SandboxConfig {
        rate_limit: 0,
        ..SandboxConfig::default()
    };
    let sandbox = hubdb_sandbox::start(config).await.expect("sandbox starts");
    let mut client_config = ClientConfig::new(sandbox.base_url(), Secret::new(token));
    client_config.timeout = Duration::from_secs(20);
    let client = Client::new(client_config).expect("client");
    let source = Arc::new(SmallOwnerPages(client));
    let engine = Engine::with_source(source, EngineOptions::default());
    Fixture { sandbox, engine }
}

impl Fixture {
    /// Every row as text, NULL as `NULL`.
    async fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let prepared = self
            .engine
            .prepare(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let mut result = self.engine.execute(&prepared, &[]).await.unwrap();
        let mut rows = Vec::new();
        while let Some(batch) = result.next_batch().await {
            rows.extend(texts(&batch.unwrap_or_else(|e| panic!("{sql}: {e}"))));
        }
        rows
    }

    /// The owners listings the sandbox served since the last clear, as query pairs.
    fn owner_requests(&self) -> Vec<Vec<(String, String)>> {
        self.sandbox
            .requests()
            .into_iter()
            .filter(|r| r.path == "/crm/v3/owners")
            .map(|r| r.query)
            .collect()
    }
}

fn texts(batch: &RecordBatch) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let formatters: Vec<_> = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
        .collect();
    (0..batch.num_rows())
        .map(|row| {
            formatters
                .iter()
                .map(|f| f.value(row).to_string())
                .collect()
        })
        .collect()
}

fn param<'q>(query: &'q [(String, String)], key: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn every_owner_is_read_over_pages_following_the_cursor() {
    let fx = fixture(DEMO_TOKEN).await;

    let rows = fx.rows("SELECT * FROM Owners ORDER BY Email").await;

    let emails: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        emails,
        [
            "Lukas.Brenner@example.com",
            "amara.okafor@example.com",
            "jose.alvarez@example.com",
            "maren.olsen@example.com",
            "priya.raman@example.com",
            "yuki.tanaka@example.com",
            "NULL",
        ]
    );
    let jose = &rows[2];
    assert_eq!(
        jose[..],
        [
            "61700002",
            "jose.alvarez@example.com",
            "José",
            "Álvarez",
            "7300002",
            "7300002",
            "PERSON",
            "Events;Store operations",
            "Events",
            "2024-02-03T14:22:09.031",
            "2025-09-12T16:05:27.550",
            "false",
        ]
    );
    let priya = &rows[4];
    assert_eq!((priya[4].as_str(), priya[5].as_str()), ("NULL", "7300006"));
    assert_eq!(priya[11], "true");
    let queue = &rows[6];
    assert_eq!((queue[6].as_str(), queue[7].as_str()), ("QUEUE", "NULL"));

    let requests = fx.owner_requests();
    // Three pages of active owners, each cursor sent back as given, then the archived one.
    assert_eq!(requests.len(), 4, "{requests:?}");
    assert!(requests.iter().all(|q| param(q, "limit") == Some("2")));
    assert_eq!(param(&requests[0], "after"), None);
    assert!(param(&requests[1], "after").is_some() && param(&requests[2], "after").is_some());
    assert_eq!(param(&requests[3], "archived"), Some("true"));
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn an_email_equality_is_sent_as_the_email_parameter_and_rechecked() {
    let fx = fixture(DEMO_TOKEN).await;

    let lukas = fx
        .rows("SELECT Id, FirstName FROM Owners WHERE Email = 'Lukas.Brenner@example.com'")
        .await;
    let requests = fx.owner_requests();
    fx.sandbox.clear_requests();
    let other_case = fx
        .rows("SELECT Id FROM Owners WHERE Email = 'lukas.brenner@example.com'")
        .await;

    assert_eq!(lukas, [["61700005", "Lukas"]]);
    assert_eq!(
        requests.len(),
        2,
        "active and archived listings: {requests:?}"
    );
    assert!(
        requests
            .iter()
            .all(|q| param(q, "email") == Some("Lukas.Brenner@example.com"))
    );
    // HubSpot matched the address ignoring case; SQL's `=` does not.
    assert!(other_case.is_empty());
    assert_eq!(
        param(&fx.owner_requests()[0], "email"),
        Some("lukas.brenner@example.com")
    );
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn archived_owners_are_read_from_the_archived_listing_alone() {
    let fx = fixture(DEMO_TOKEN).await;

    let archived = fx
        .rows("SELECT Id, UserIdIncludingInactive FROM Owners WHERE Archived = 1")
        .await;
    let requests = fx.owner_requests();
    fx.sandbox.clear_requests();
    let active = fx
        .rows("SELECT COUNT(*) FROM HubDB.CRM.Owners WHERE Archived = 0")
        .await;

    assert_eq!(archived, [["61700007", "7300006"]]);
    assert_eq!(requests.len(), 1);
    assert_eq!(param(&requests[0], "archived"), Some("true"));
    assert_eq!(active, [["6"]]);
    assert!(
        fx.owner_requests()
            .iter()
            .all(|q| param(q, "archived").is_none())
    );
    fx.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_token_without_the_owners_scope_fails_with_hubspots_forbidden_error() {
    let fx = fixture(NO_SCOPE_TOKEN).await;

    let prepared = fx.engine.prepare("SELECT * FROM CRM.Owners").await.unwrap();
    let mut result = fx.engine.execute(&prepared, &[]).await.unwrap();
    let error = result.next_batch().await.unwrap().unwrap_err();

    assert!(
        matches!(&error.kind, SqlErrorKind::HubDb(e) if e.kind == hubdb::ErrorKind::Forbidden),
        "{error:?}"
    );
    assert!(
        error
            .message
            .contains("Required scopes: crm.objects.owners.read, automation."),
        "{}",
        error.message
    );
    fx.sandbox.shutdown().await;
}
