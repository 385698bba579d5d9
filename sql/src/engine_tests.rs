//! Planner and engine tests over the in-memory HubDB: the exact row queries each
//! pushdown rule produces, and results that do not depend on what was pushed.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use hubdb::{Filter, FilterOp, RowQuery, SortKey, Version};

use crate::testing::{FakeCall, FakeHubDb, sample};
use crate::{
    Engine, EngineOptions, ParamValue, PlannedRequest, PushdownOptions, SqlErrorKind, SqlType,
};

pub(crate) fn engine_over(fake: FakeHubDb, pushdown: PushdownOptions) -> (Engine, Arc<FakeHubDb>) {
    let fake = Arc::new(fake);
    let options = EngineOptions {
        pushdown,
        ..EngineOptions::default()
    };
    (Engine::with_source(Arc::clone(&fake) as _, options), fake)
}

pub(crate) fn engine() -> (Engine, Arc<FakeHubDb>) {
    engine_over(sample(), PushdownOptions::default())
}

pub(crate) fn nothing_pushed() -> PushdownOptions {
    PushdownOptions::nothing()
}

pub(crate) async fn rows(engine: &Engine, sql: &str, params: &[ParamValue]) -> Vec<Vec<String>> {
    let prepared = engine
        .prepare(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut result = engine.execute(&prepared, params).await.unwrap();
    let mut out = Vec::new();
    while let Some(batch) = result.next_batch().await {
        let batch = batch.unwrap();
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| {
                ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default().with_null("NULL"))
                    .unwrap()
            })
            .collect();
        for row in 0..batch.num_rows() {
            out.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    out
}

pub(crate) async fn requests(sql: &str) -> Vec<PlannedRequest> {
    let (engine, _) = engine();
    engine
        .plan_requests(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn only_query(sql: &str) -> RowQuery {
    let planned = requests(sql).await;
    assert_eq!(planned.len(), 1, "{sql}: {planned:?}");
    planned[0].query.clone()
}

pub(crate) fn f(column: &str, op: FilterOp, value: &str) -> Filter {
    Filter {
        column: column.into(),
        op,
        value: value.into(),
    }
}

#[tokio::test]
async fn comparisons_on_number_columns_are_sent_as_filters() {
    for (sql_op, op) in [
        (">", FilterOp::Gt),
        (">=", FilterOp::Gte),
        ("<", FilterOp::Lt),
        ("<=", FilterOp::Lte),
        ("=", FilterOp::Eq),
        ("<>", FilterOp::Ne),
    ] {
        let query = only_query(&format!(
            "SELECT name, price FROM products WHERE price {sql_op} 5"
        ))
        .await;
        assert_eq!(query.filters, [f("price", op, "5")], "{sql_op}");
        assert_eq!(
            query.properties,
            Some(vec!["name".to_string(), "price".to_string()])
        );
    }
}

#[tokio::test]
async fn a_literal_on_the_left_is_flipped() {
    let query = only_query("SELECT * FROM products WHERE 5 < price").await;
    assert_eq!(query.filters, [f("price", FilterOp::Gt, "5")]);
    assert_eq!(query.properties, None);
}

#[tokio::test]
async fn dates_times_and_booleans_use_hubdb_wire_values() {
    let query = only_query(
        "SELECT Id FROM products WHERE launched = DATE '2017-01-02' \
         AND updated_at >= TIMESTAMP '2023-11-14 22:13:20.123' AND in_stock = true",
    )
    .await;
    assert_eq!(
        query.filters,
        [
            f("launched", FilterOp::Eq, "1483315200000"),
            f("updated_at", FilterOp::Gte, "1700000000123"),
            f("in_stock", FilterOp::Eq, "1"),
        ]
    );
    // HubDB evaluates these exactly, so their columns need not come back.
    assert_eq!(query.properties, Some(vec![]));
    // An approximate filter is re-checked, so its column comes along.
    let query = only_query("SELECT Id FROM products WHERE name = 'saw'").await;
    assert_eq!(query.properties, Some(vec!["name".to_string()]));
}

#[tokio::test]
async fn bit_columns_compare_with_zero_and_one() {
    // ODBC applications treat SQL_BIT as a number: `flag = 1` means `flag = TRUE`.
    let query = only_query("SELECT Id FROM products WHERE 1 = \"IN_STOCK\"").await;
    assert_eq!(query.filters, [f("in_stock", FilterOp::Eq, "1")]);
    let (engine, _) = engine();
    for (sql, expected) in [
        (
            "SELECT Id FROM products WHERE in_stock = 1 ORDER BY Id",
            vec![["101"], ["104"]],
        ),
        (
            "SELECT Id FROM products WHERE in_stock IN (0) ORDER BY Id",
            vec![["102"], ["103"], ["105"]],
        ),
    ] {
        assert_eq!(rows(&engine, sql, &[]).await, expected, "{sql}");
    }
    // Other numbers are not booleans: the statement is refused, at prepare or at execute.
    let refused = match engine
        .prepare("SELECT Id FROM products WHERE in_stock = 2")
        .await
    {
        Ok(prepared) => engine.execute(&prepared, &[]).await.is_err(),
        Err(_) => true,
    };
    assert!(refused);
}

#[tokio::test]
async fn row_id_range_is_exact_and_lets_the_limit_through() {
    let planned = requests("SELECT name FROM products WHERE Id > 103 LIMIT 1").await;
    assert_eq!(planned[0].query.filters, [f("hs_id", FilterOp::Gt, "103")]);
    assert_eq!(planned[0].query.limit, Some(1));
    assert_eq!(planned[0].row_limit, Some(1));
}

#[tokio::test]
async fn in_lists_null_tests_and_between_are_sent() {
    let query = only_query(
        "SELECT * FROM products WHERE price IN (5, 30) AND launched IS NULL \
         AND name IS NOT NULL AND CreatedAt BETWEEN TIMESTAMP '2020-09-13 12:26:40' AND TIMESTAMP '2020-09-13 12:26:42'",
    )
    .await;
    assert_eq!(
        query.filters,
        [
            f("price", FilterOp::In, "5,30"),
            f("launched", FilterOp::IsNull, ""),
            f("name", FilterOp::NotNull, ""),
            f("hs_created_at", FilterOp::Gte, "1600000000000"),
            f("hs_created_at", FilterOp::Lte, "1600000002000"),
        ]
    );
}

#[tokio::test]
async fn like_sends_only_a_case_insensitive_prefilter() {
    let query = only_query("SELECT * FROM products WHERE name LIKE '%Pro%'").await;
    assert_eq!(query.filters, [f("name", FilterOp::IContains, "Pro")]);
    let query = only_query("SELECT * FROM products WHERE name LIKE 'A_Cde%'").await;
    assert_eq!(query.filters, [f("name", FilterOp::IContains, "Cde")]);
}

#[tokio::test]
async fn predicates_hubdb_cannot_evaluate_are_not_sent() {
    for sql in [
        "SELECT * FROM products WHERE name NOT LIKE '%Pro%'",
        "SELECT * FROM products WHERE UPPER(name) = 'SAW'",
        "SELECT * FROM products WHERE price > 5 OR name = 'saw'",
        "SELECT * FROM products WHERE name IN ('a,b', 'c')",
        "SELECT * FROM products WHERE category = '7'",
        "SELECT * FROM products WHERE tags = 'new'",
        "SELECT * FROM products WHERE name < 'm'",
    ] {
        assert_eq!(only_query(sql).await.filters, [], "{sql}");
    }
}

#[tokio::test]
async fn a_predicate_that_is_always_false_sends_nothing() {
    // BOOLEAN columns are NOT NULL (an empty cell is 0), so the planner drops the scan.
    assert_eq!(
        requests("SELECT * FROM products WHERE in_stock IS NULL").await,
        []
    );
}

#[tokio::test]
async fn order_by_a_number_with_limit_is_one_sorted_request() {
    let planned = requests("SELECT n, label FROM big_table ORDER BY n DESC LIMIT 10").await;
    assert_eq!(planned.len(), 1);
    let query = &planned[0].query;
    assert_eq!(
        query.sort,
        [SortKey {
            column: "n".into(),
            descending: true
        }]
    );
    assert_eq!(query.limit, Some(10));
    assert_eq!(planned[0].row_limit, Some(10));
}

#[tokio::test]
async fn order_by_text_is_sorted_locally() {
    let query = only_query("SELECT name FROM products ORDER BY name LIMIT 3").await;
    assert_eq!(query.sort, []);
    assert_eq!(query.limit, None);
}

#[tokio::test]
async fn top_n_is_a_limit() {
    let planned = requests("SELECT TOP 10 n FROM big_table ORDER BY n DESC").await;
    assert_eq!(planned[0].query.limit, Some(10));
    let (engine, _) = engine();
    let result = rows(
        &engine,
        "SELECT TOP 3 n FROM big_table ORDER BY n DESC",
        &[],
    )
    .await;
    assert_eq!(result, [["2500.0"], ["2499.0"], ["2498.0"]]);
}

#[tokio::test]
async fn a_limit_reads_only_the_pages_it_needs() {
    let (engine, fake) = engine();
    let result = rows(&engine, "SELECT n FROM big_table LIMIT 5", &[]).await;
    assert_eq!(result.len(), 5);
    assert_eq!(fake.pages_served.load(Ordering::SeqCst), 1);
    assert_eq!(fake.queries()[0].2.limit, Some(5));
}

#[tokio::test]
async fn a_full_scan_streams_every_page() {
    let (engine, fake) = engine();
    let result = rows(&engine, "SELECT COUNT(*), SUM(n) FROM big_table", &[]).await;
    assert_eq!(result, [["2500", "3126250.0"]]);
    assert_eq!(fake.pages_served.load(Ordering::SeqCst), 3);
}

const SAME_RESULT_QUERIES: &[&str] = &[
    "SELECT Id, name, price FROM products WHERE price > 5 ORDER BY Id",
    "SELECT Id FROM products WHERE price <> 5 ORDER BY Id",
    "SELECT Id FROM products WHERE price <= 5 ORDER BY Id",
    "SELECT Id FROM products WHERE in_stock = false ORDER BY Id",
    "SELECT Id FROM products WHERE NOT in_stock ORDER BY Id",
    "SELECT Id FROM products WHERE name LIKE '%Pro%' ORDER BY Id",
    "SELECT Id FROM products WHERE name ILIKE '%pro%' ORDER BY Id",
    "SELECT Id FROM products WHERE category = 'Tools' ORDER BY Id",
    "SELECT Id FROM products WHERE category = '7' ORDER BY Id",
    "SELECT Id FROM products WHERE launched IS NULL ORDER BY Id",
    "SELECT Id FROM products WHERE Id IN (101, 105) ORDER BY Id",
    "SELECT Id, price FROM products ORDER BY price DESC LIMIT 2",
    "SELECT Id, price FROM products ORDER BY price LIMIT 4",
    "SELECT n FROM big_table WHERE n > 2490 ORDER BY n",
    "SELECT category, COUNT(*) FROM products GROUP BY category ORDER BY category",
];

#[tokio::test]
async fn results_do_not_depend_on_what_was_pushed_down() {
    let (pushed, _) = engine();
    let (local, _) = engine_over(sample(), nothing_pushed());
    for sql in SAME_RESULT_QUERIES {
        let expected = rows(&local, sql, &[]).await;
        assert_eq!(rows(&pushed, sql, &[]).await, expected, "{sql}");
    }
}

#[tokio::test]
async fn sql_three_valued_logic_holds_for_empty_cells() {
    let (engine, _) = engine();
    let result = rows(
        &engine,
        "SELECT Id FROM products WHERE price <> 5 ORDER BY Id",
        &[],
    )
    .await;
    assert_eq!(result, [["102"], ["103"], ["105"]]);
    let result = rows(
        &engine,
        "SELECT Id, price FROM products ORDER BY price DESC LIMIT 2",
        &[],
    )
    .await;
    assert_eq!(result, [["104", "NULL"], ["103", "30.0"]]);
}

#[tokio::test]
async fn prepare_describes_columns_without_reading_rows() {
    let (engine, fake) = engine();
    let prepared = engine
        .prepare("SELECT Id, name, cost, in_stock, launched, UPPER(name) AS big, price * 2 FROM products WHERE price > ?")
        .await
        .unwrap();
    let types: Vec<SqlType> = prepared.columns.iter().map(|c| c.sql_type).collect();
    assert_eq!(
        types,
        [
            SqlType::BigInt,
            SqlType::WVarChar { length: 10000 },
            SqlType::Decimal {
                precision: 19,
                scale: 4
            },
            SqlType::Bit,
            SqlType::Date,
            SqlType::WVarChar { length: 10000 },
            SqlType::Double,
        ]
    );
    assert_eq!(prepared.param_count, 1);
    assert_eq!(prepared.columns[1].table.as_deref(), Some("products"));
    assert_eq!(prepared.columns[1].schema.as_deref(), Some("Published"));
    assert!(!prepared.columns[0].nullable);
    assert!(fake.queries().is_empty());
}

#[tokio::test]
async fn parameters_are_bound_and_pushed_down() {
    let (engine, fake) = engine();
    let sql = "SELECT Id FROM products WHERE price > ? AND name LIKE ? ORDER BY Id";
    let params = [ParamValue::I64(5), ParamValue::Text("%a%".into())];
    let result = rows(&engine, sql, &params).await;
    assert_eq!(result, [["102"]]);
    assert_eq!(
        fake.queries()[0].2.filters[0],
        f("price", FilterOp::Gt, "5")
    );
}

#[tokio::test]
async fn names_match_case_insensitively_and_unqualified_names_prefer_published() {
    let (engine, fake) = engine();
    let result = rows(
        &engine,
        "select ID, NAME from PRODUCTS where \"ID\" = 102",
        &[],
    )
    .await;
    assert_eq!(result, [["102", "saw"]]);
    rows(&engine, "SELECT name FROM draft.Products", &[]).await;
    rows(&engine, "SELECT name FROM draft_only", &[]).await;
    rows(
        &engine,
        "SELECT p.name FROM hubdb.published.products AS p",
        &[],
    )
    .await;
    let versions: Vec<Version> = fake
        .calls()
        .iter()
        .map(|call| match call {
            FakeCall::Rows(_, version, ..)
            | FakeCall::Count(_, version, _)
            | FakeCall::Row(_, version, _) => *version,
        })
        .collect();
    assert_eq!(
        versions,
        [
            Version::Published,
            Version::Draft,
            Version::Draft,
            Version::Published
        ]
    );
}

#[tokio::test]
async fn cells_convert_per_column_type() {
    let (engine, _) = engine();
    let result = rows(
        &engine,
        "SELECT name, category, tags, launched, updated_at, in_stock, cost FROM products ORDER BY Id",
        &[],
    )
    .await;
    assert_eq!(
        result[0],
        [
            "Hammer Pro",
            "Tools",
            "new;eco",
            "2017-01-02",
            "2023-11-14T22:13:20.123",
            "true",
            "12.5000"
        ]
    );
    assert_eq!(result[1][6], "0.1235");
    assert_eq!(result[2][0], "Teddy 🧸");
    assert_eq!(
        result[4],
        ["Wrapped", "NULL", "NULL", "NULL", "NULL", "false", "NULL"]
    );
}

#[tokio::test]
async fn joins_and_subqueries_run_locally_over_pushed_scans() {
    let (engine, _) = engine();
    let result = rows(
        &engine,
        "SELECT p.name, d.Id FROM products p JOIN Draft.products d ON p.Id = d.Id WHERE p.price > 20",
        &[],
    )
    .await;
    assert_eq!(result, [["Teddy 🧸", "103"]]);
}

#[tokio::test]
async fn errors_carry_their_stage() {
    let (engine, _) = engine();
    let cases = [
        ("SELEC * FROM products", "Syntax"),
        ("SELECT * FROM nope", "TableNotFound"),
        ("SELECT * FROM Published.draft_only", "TableNotFound"),
        ("SELECT * FROM Archive.products", "TableNotFound"),
        ("SELECT nope FROM products", "ColumnNotFound"),
        ("INSERT INTO products (name) VALUES ('x')", "Unsupported"),
        ("DELETE FROM products", "Unsupported"),
    ];
    for (sql, kind) in cases {
        let error = engine
            .prepare(sql)
            .await
            .err()
            .unwrap_or_else(|| panic!("{sql} planned"));
        assert!(
            format!("{:?}", error.kind).starts_with(kind),
            "{sql}: {error:?}"
        );
    }
}

#[tokio::test]
async fn error_messages_are_pinned() {
    let (engine, _) = engine();
    let message = |sql: &'static str| {
        let engine = &engine;
        async move { engine.prepare(sql).await.err().unwrap().message }
    };
    assert_eq!(
        message("SELECT * FROM nope").await,
        "table 'nope' does not exist in HubDB"
    );
    assert_eq!(
        message("SELECT * FROM Published.draft_only").await,
        "table 'draft_only' exists only as a draft (never published): read it as Draft.draft_only"
    );
    assert_eq!(
        message("SELECT nope FROM products").await,
        "column 'nope' does not exist"
    );
    assert_eq!(
        message("UPDATE products SET name = 'x'").await,
        "UPDATE is not supported yet: HubDB tables are read-only in this version of the driver"
    );
}

#[tokio::test]
async fn a_wrong_number_of_parameters_is_an_invalid_parameter() {
    let (engine, _) = engine();
    let prepared = engine
        .prepare("SELECT Id FROM products WHERE price > ?")
        .await
        .unwrap();
    let error = engine.execute(&prepared, &[]).await.err().unwrap();
    assert!(matches!(error.kind, SqlErrorKind::InvalidParameter));
}

#[tokio::test]
async fn catalog_lists_views_and_tables_and_their_columns() {
    let (engine, fake) = engine();
    let tables = engine.tables().await.unwrap();
    let names: Vec<String> = tables
        .iter()
        .map(|t| format!("{}.{}", t.schema, t.name))
        .collect();
    assert_eq!(
        names,
        [
            "Published.products",
            "Published.big_table",
            "Draft.products",
            "Draft.draft_only",
            "CRM.Owners"
        ]
    );
    let columns = engine.columns("Draft", "PRODUCTS").await.unwrap();
    assert_eq!(columns[0].name, "Id");
    assert_eq!(columns.len(), 7 + 8);
    engine.tables().await.unwrap();
    assert_eq!(*fake.list_calls.lock().unwrap(), 2, "metadata is cached");
}
