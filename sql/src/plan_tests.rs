//! The plan as data: for every operator and column type who evaluates a predicate and what
//! is sent; the single-row read, the count request, offsets, paging settings, the switches
//! that turn each of them off, and the shared metadata cache.

use std::sync::Arc;
use std::time::Duration;

use hubdb::{FilterOp, ScanOptions, SortKey, Version};

use crate::engine_tests::{engine, engine_over, f, nothing_pushed, requests, rows};
use crate::testing::{FakeCall, FakeHubDb, sample};
use crate::{Engine, EngineOptions, Evaluation, HubDbRead, PushdownOptions, SWITCH_NAMES};

use Evaluation::{Approximate, Engine as Local, Exact};

/// Who evaluates the condition of `SELECT * FROM products WHERE <condition>`, and what is
/// sent for it. The engine may split a condition into conjuncts (`BETWEEN` becomes `>=` and
/// `<=`); they must all be evaluated alike, and their filters are listed in plan order.
async fn predicate(condition: &str) -> (Evaluation, Vec<hubdb::Filter>) {
    let sql = format!("SELECT * FROM products WHERE {condition}");
    let planned = requests(&sql).await;
    assert_eq!(planned.len(), 1, "{sql}: {planned:?}");
    let predicates = &planned[0].predicates;
    assert!(!predicates.is_empty(), "{sql}: {planned:?}");
    let evaluation = predicates[0].evaluation;
    assert!(
        predicates.iter().all(|p| p.evaluation == evaluation),
        "{sql}: {planned:?}"
    );
    let filters = predicates.iter().flat_map(|p| p.filters.clone()).collect();
    (evaluation, filters)
}

/// A filter HubDB is sent: column, operator, value.
type Sent<'a> = (&'a str, FilterOp, &'a str);

/// A WHERE condition, who evaluates it, and the filters sent for it.
type Rule<'a> = (&'a str, Evaluation, &'a [Sent<'a>]);

async fn assert_rules(cases: &[Rule<'_>]) {
    for (condition, evaluation, filters) in cases {
        let expected: Vec<_> = filters.iter().map(|(c, op, v)| f(c, *op, v)).collect();
        assert_eq!(
            predicate(condition).await,
            (*evaluation, expected),
            "{condition}"
        );
    }
}

#[tokio::test]
async fn row_id_predicates_are_exact() {
    use FilterOp::*;
    assert_rules(&[
        ("Id = 103", Exact, &[("hs_id", Eq, "103")]),
        ("Id <> 103", Exact, &[("hs_id", Ne, "103")]),
        ("Id < 103", Exact, &[("hs_id", Lt, "103")]),
        ("Id <= 103", Exact, &[("hs_id", Lte, "103")]),
        ("Id > 103", Exact, &[("hs_id", Gt, "103")]),
        ("Id >= 103", Exact, &[("hs_id", Gte, "103")]),
        ("Id IN (101, 105)", Exact, &[("hs_id", In, "101,105")]),
        (
            "Id BETWEEN 101 AND 103",
            Exact,
            &[("hs_id", Gte, "101"), ("hs_id", Lte, "103")],
        ),
    ])
    .await;
}

#[tokio::test]
async fn number_predicates_are_exact_except_not_equal() {
    use FilterOp::*;
    assert_rules(&[
        ("price = 5", Exact, &[("price", Eq, "5")]),
        ("price <> 5", Approximate, &[("price", Ne, "5")]),
        ("price < 5.5", Exact, &[("price", Lt, "5.5")]),
        ("price <= 5", Exact, &[("price", Lte, "5")]),
        ("price > -2.5", Exact, &[("price", Gt, "-2.5")]),
        ("price >= 5", Exact, &[("price", Gte, "5")]),
        ("price IN (5, 30)", Exact, &[("price", In, "5,30")]),
        ("price IS NULL", Exact, &[("price", IsNull, "")]),
        ("price IS NOT NULL", Exact, &[("price", NotNull, "")]),
        (
            "price BETWEEN 1 AND 10",
            Exact,
            &[("price", Gte, "1"), ("price", Lte, "10")],
        ),
        // The engine turns a short NOT IN into `<>` conjuncts, each sent and re-checked.
        (
            "price NOT IN (5, 30)",
            Approximate,
            &[("price", Ne, "5"), ("price", Ne, "30")],
        ),
        ("price NOT BETWEEN 1 AND 10", Local, &[]),
    ])
    .await;
}

#[tokio::test]
async fn date_and_datetime_predicates_are_exact_in_epoch_milliseconds() {
    use FilterOp::*;
    assert_rules(&[
        (
            "launched = DATE '2017-01-02'",
            Exact,
            &[("launched", Eq, "1483315200000")],
        ),
        (
            "launched < DATE '2017-01-02'",
            Exact,
            &[("launched", Lt, "1483315200000")],
        ),
        ("launched IS NULL", Exact, &[("launched", IsNull, "")]),
        (
            "launched <> DATE '2017-01-02'",
            Approximate,
            &[("launched", Ne, "1483315200000")],
        ),
        // HubDB takes no `in` on dates (reference §8.5).
        (
            "launched IN (DATE '2017-01-02', DATE '2017-07-14')",
            Local,
            &[],
        ),
        (
            "updated_at >= TIMESTAMP '2023-11-14 22:13:20.123'",
            Exact,
            &[("updated_at", Gte, "1700000000123")],
        ),
        (
            "updated_at > TIMESTAMP '2023-11-14 22:13:20'",
            Exact,
            &[("updated_at", Gt, "1700000000000")],
        ),
    ])
    .await;
}

#[tokio::test]
async fn currency_predicates_are_widened_by_one_unit_and_rechecked() {
    use FilterOp::*;
    assert_rules(&[
        (
            "cost = 12.5",
            Approximate,
            &[("cost", Gte, "12.4999"), ("cost", Lte, "12.5001")],
        ),
        ("cost > 12.5", Approximate, &[("cost", Gte, "12.4999")]),
        ("cost <= 12.5", Approximate, &[("cost", Lte, "12.5001")]),
        ("cost IS NULL", Exact, &[("cost", IsNull, "")]),
        ("cost <> 12.5", Local, &[]),
    ])
    .await;
}

#[tokio::test]
async fn text_predicates_are_rechecked_and_never_ordered_by_hubdb() {
    use FilterOp::*;
    assert_rules(&[
        ("name = 'saw'", Approximate, &[("name", Eq, "saw")]),
        ("name <> 'saw'", Approximate, &[("name", Ne, "saw")]),
        (
            "name IN ('saw', 'Hammer Pro')",
            Approximate,
            &[("name", In, "saw,Hammer Pro")],
        ),
        ("name IS NOT NULL", Exact, &[("name", NotNull, "")]),
        (
            "name LIKE '%Pro%'",
            Approximate,
            &[("name", IContains, "Pro")],
        ),
        (
            "name ILIKE 'ham%'",
            Approximate,
            &[("name", IContains, "ham")],
        ),
        ("name < 'm'", Local, &[]),
        ("name NOT LIKE '%Pro%'", Local, &[]),
        ("name LIKE '%'", Local, &[]),
        // `in` items are trimmed and split at commas by HubDB (§8.4).
        ("name IN (' saw', 'x')", Local, &[]),
        ("name IN ('a,b', 'c')", Local, &[]),
        ("UPPER(name) = 'SAW'", Local, &[]),
    ])
    .await;
}

#[tokio::test]
async fn select_boolean_and_multiselect_predicates() {
    use FilterOp::*;
    assert_rules(&[
        (
            "category = 'Tools'",
            Approximate,
            &[("category", Eq, "Tools")],
        ),
        (
            "category IN ('Tools', 'Toys')",
            Approximate,
            &[("category", In, "Tools,Toys")],
        ),
        ("category IS NULL", Exact, &[("category", IsNull, "")]),
        // A digit-only value may be taken as an option id (§8.5).
        ("category = '7'", Local, &[]),
        ("in_stock", Exact, &[("in_stock", Eq, "1")]),
        ("in_stock = false", Exact, &[("in_stock", Eq, "0")]),
        ("NOT in_stock", Exact, &[("in_stock", Eq, "0")]),
        ("tags = 'new'", Local, &[]),
        ("tags LIKE '%new%'", Local, &[]),
    ])
    .await;
}

#[tokio::test]
async fn system_column_predicates_use_hubdb_names() {
    use FilterOp::*;
    assert_rules(&[
        (
            "CreatedAt >= TIMESTAMP '2020-09-13 12:26:40'",
            Exact,
            &[("hs_created_at", Gte, "1600000000000")],
        ),
        (
            "PagePath = 'row-101'",
            Approximate,
            &[("hs_path", Eq, "row-101")],
        ),
        (
            "PageName LIKE 'Row 10%'",
            Approximate,
            &[("hs_name", IContains, "Row 10")],
        ),
        ("PageName IS NULL", Exact, &[("hs_name", IsNull, "")]),
        ("UpdatedAt > TIMESTAMP '2020-09-13 12:26:40'", Local, &[]),
        ("PublishedAt IS NULL", Local, &[]),
        ("ChildTableId = 5", Local, &[]),
    ])
    .await;
}

#[tokio::test]
async fn or_of_equalities_on_one_column_is_in_and_any_other_or_stays_local() {
    use FilterOp::*;
    assert_rules(&[
        ("price = 5 OR price = 30", Exact, &[("price", In, "5,30")]),
        ("price > 5 OR name = 'saw'", Local, &[]),
    ])
    .await;
}

#[tokio::test]
async fn the_plan_lists_every_predicate_with_its_evaluation() {
    let planned = requests(
        "SELECT Id FROM products WHERE price > 5 AND name = 'saw' AND UPPER(name) = 'SAW'",
    )
    .await;
    let plan = &planned[0];
    assert_eq!(plan.predicates.len(), 3);
    assert_eq!(plan.predicates_evaluated(Exact).len(), 1);
    assert!(plan.predicates_evaluated(Exact)[0].contains("price"));
    assert_eq!(plan.predicates_evaluated(Approximate).len(), 1);
    assert!(plan.predicates_evaluated(Local)[0].contains("upper"));
    // Only what HubDB evaluates is sent.
    assert_eq!(
        plan.target(),
        "GET /cms/v3/hubdb/tables/products/rows?properties=name&name__eq=saw&price__gt=5&limit=1000"
    );
}

#[tokio::test]
async fn where_id_equals_is_a_single_row_read() {
    let (engine, fake) = engine();
    let sql = "SELECT name FROM products WHERE Id = 103";
    let planned = engine.plan_requests(sql, &[]).await.unwrap();
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].read, HubDbRead::Row(103));
    assert_eq!(
        planned[0].target(),
        "GET /cms/v3/hubdb/tables/products/rows/103"
    );
    assert_eq!(rows(&engine, sql, &[]).await, [["Teddy 🧸"]]);
    assert_eq!(
        fake.calls(),
        [FakeCall::Row("products".into(), Version::Published, 103)]
    );

    let draft = engine
        .plan_requests("SELECT name FROM Draft.products WHERE Id = 103", &[])
        .await
        .unwrap();
    assert_eq!(
        draft[0].target(),
        "GET /cms/v3/hubdb/tables/products/rows/103/draft"
    );
}

#[tokio::test]
async fn a_missing_row_id_reads_no_rows() {
    let (engine, _) = engine();
    let result = rows(&engine, "SELECT name FROM products WHERE Id = 999", &[]).await;
    assert!(result.is_empty());
}

#[tokio::test]
async fn a_row_read_rechecks_approximate_predicates_and_exact_ones_keep_the_listing() {
    let (engine, _) = engine();
    let sql = "SELECT name FROM products WHERE Id = 103 AND name LIKE '%x%'";
    let planned = engine.plan_requests(sql, &[]).await.unwrap();
    assert_eq!(planned[0].read, HubDbRead::Row(103));
    assert!(rows(&engine, sql, &[]).await.is_empty());

    // The row endpoint takes no filters: with another exact one, one filtered listing.
    let sql = "SELECT name FROM products WHERE Id = 103 AND price > 100";
    let planned = engine.plan_requests(sql, &[]).await.unwrap();
    assert_eq!(planned[0].read, HubDbRead::Rows);
    assert_eq!(
        planned[0].query.filters,
        [
            f("hs_id", FilterOp::Eq, "103"),
            f("price", FilterOp::Gt, "100")
        ]
    );
    assert!(rows(&engine, sql, &[]).await.is_empty());
}

#[tokio::test]
async fn count_star_with_exact_filters_reads_hubdbs_total() {
    let (engine, fake) = engine();
    let sql = "SELECT COUNT(*) FROM big_table WHERE n > 2490";
    let planned = engine.plan_requests(sql, &[]).await.unwrap();
    assert_eq!(planned.len(), 1);
    assert_eq!(planned[0].read, HubDbRead::Count);
    assert_eq!(
        planned[0].target(),
        "GET /cms/v3/hubdb/tables/big_table/rows?properties=hs_id&n__gt=2490&limit=1"
    );
    assert_eq!(rows(&engine, sql, &[]).await, [["10"]]);
    assert!(matches!(fake.calls().as_slice(), [FakeCall::Count(..)]));
}

#[tokio::test]
async fn count_of_a_constant_or_of_the_row_id_is_a_count_too() {
    for sql in [
        "SELECT COUNT(*) FROM big_table",
        "SELECT COUNT(1) AS c FROM big_table",
        "SELECT COUNT(Id), COUNT(*) FROM big_table",
    ] {
        let (engine, fake) = engine();
        let planned = engine.plan_requests(sql, &[]).await.unwrap();
        assert_eq!(planned[0].read, HubDbRead::Count, "{sql}");
        let result = rows(&engine, sql, &[]).await;
        assert!(result[0].iter().all(|v| v == "2500"), "{sql}: {result:?}");
        assert_eq!(fake.calls().len(), 1, "{sql}");
    }
}

#[tokio::test]
async fn counts_hubdb_cannot_answer_read_the_rows() {
    for sql in [
        "SELECT COUNT(*) FROM products WHERE name = 'saw'",
        "SELECT COUNT(price) FROM products",
        "SELECT COUNT(DISTINCT price) FROM products",
        "SELECT category, COUNT(*) FROM products GROUP BY category",
        "SELECT COUNT(*) FROM (SELECT Id FROM products LIMIT 2) AS t",
    ] {
        let planned = requests(sql).await;
        assert_eq!(planned[0].read, HubDbRead::Rows, "{sql}");
    }
    let (engine, _) = engine();
    let result = rows(&engine, "SELECT COUNT(price) FROM products", &[]).await;
    assert_eq!(result, [["4"]]);
}

#[tokio::test]
async fn a_count_without_a_total_from_hubdb_counts_the_rows() {
    let fake = FakeHubDb {
        without_total: true,
        ..sample()
    };
    let (engine, _) = engine_over(fake, PushdownOptions::default());
    let result = rows(
        &engine,
        "SELECT COUNT(*) FROM big_table WHERE n > 2490",
        &[],
    )
    .await;
    assert_eq!(result, [["10"]]);
}

#[tokio::test]
async fn limit_with_offset_on_a_sorted_scan_is_one_request() {
    let (engine, fake) = engine();
    let sql = "SELECT n FROM big_table ORDER BY n DESC LIMIT 3 OFFSET 20";
    let planned = engine.plan_requests(sql, &[]).await.unwrap();
    assert_eq!(planned.len(), 1);
    let query = &planned[0].query;
    assert_eq!(
        query.sort,
        [SortKey {
            column: "n".into(),
            descending: true
        }]
    );
    assert_eq!((query.offset, query.limit), (Some(20), Some(3)));
    assert_eq!(planned[0].row_limit, Some(3));
    assert_eq!(
        rows(&engine, sql, &[]).await,
        [["2480.0"], ["2479.0"], ["2478.0"]]
    );
    assert_eq!(fake.queries().len(), 1);
}

#[tokio::test]
async fn an_offset_over_rechecked_rows_stays_in_the_engine() {
    let planned = requests("SELECT name FROM products WHERE name = 'saw' LIMIT 1 OFFSET 1").await;
    assert_eq!(planned[0].query.offset, None);
}

#[tokio::test]
async fn scans_fetch_five_pages_at_a_time_and_never_beyond_the_limit() {
    let (engine, fake) = engine();
    rows(&engine, "SELECT n FROM big_table", &[]).await;
    rows(&engine, "SELECT n FROM big_table LIMIT 1500", &[]).await;
    let options: Vec<ScanOptions> = fake
        .calls()
        .into_iter()
        .filter_map(|call| match call {
            FakeCall::Rows(.., options) => Some(options),
            _ => None,
        })
        .collect();
    let expected = [
        ScanOptions {
            pages_in_flight: 5,
            max_rows: None,
        },
        ScanOptions {
            pages_in_flight: 5,
            max_rows: Some(1500),
        },
    ];
    assert_eq!(options, expected);

    let options = EngineOptions {
        pages_in_flight: 1,
        ..EngineOptions::default()
    };
    let fake = Arc::new(sample());
    let engine = Engine::with_source(Arc::clone(&fake) as _, options);
    rows(&engine, "SELECT n FROM big_table", &[]).await;
    assert!(matches!(&fake.calls()[0], FakeCall::Rows(.., o) if o.pages_in_flight == 1));
}

/// `DisablePushdown` names with a query each switches from HubDB to the engine.
const SWITCHED: &[(&str, &str)] = &[
    ("EQ", "SELECT Id FROM products WHERE price = 5"),
    ("NE", "SELECT Id FROM products WHERE price <> 5"),
    ("LT", "SELECT Id FROM products WHERE price < 5"),
    ("LTE", "SELECT Id FROM products WHERE price <= 5"),
    ("GT", "SELECT Id FROM products WHERE price > 5"),
    ("GTE", "SELECT Id FROM products WHERE price >= 5"),
    ("IN", "SELECT Id FROM products WHERE price IN (5, 30)"),
    ("NULL", "SELECT Id FROM products WHERE launched IS NULL"),
    (
        "NOT_NULL",
        "SELECT Id FROM products WHERE launched IS NOT NULL",
    ),
    ("LIKE", "SELECT Id FROM products WHERE name LIKE '%Pro%'"),
    ("FILTERS", "SELECT Id FROM products WHERE in_stock"),
];

#[tokio::test]
async fn each_operator_switch_moves_its_predicates_to_the_engine_without_changing_results() {
    let (local, _) = engine_over(sample(), nothing_pushed());
    for (name, sql) in SWITCHED {
        let (pushed, _) = engine();
        let before = pushed.plan_requests(sql, &[]).await.unwrap();
        assert_ne!(before[0].predicates[0].evaluation, Local, "{name}");

        let mut options = PushdownOptions::default();
        assert!(options.disable(name), "{name}");
        let (switched, _) = engine_over(sample(), options);
        let after = switched.plan_requests(sql, &[]).await.unwrap();
        assert_eq!(after[0].predicates[0].evaluation, Local, "{name}");
        assert_eq!(after[0].query.filters, [], "{name}");

        let sorted = format!("{sql} ORDER BY Id");
        let expected = rows(&local, &sorted, &[]).await;
        assert_eq!(rows(&switched, &sorted, &[]).await, expected, "{name}");
    }
}

#[tokio::test]
async fn switches_for_sort_limit_offset_projection_count_and_id_lookup() {
    let switched = |name: &str| {
        let mut options = PushdownOptions::default();
        assert!(options.disable(name));
        engine_over(sample(), options).0
    };
    let plan = |engine: Engine, sql: &'static str| async move {
        engine.plan_requests(sql, &[]).await.unwrap().remove(0)
    };
    let sorted = "SELECT n FROM big_table ORDER BY n DESC LIMIT 10 OFFSET 5";
    assert_eq!(plan(switched("SORT"), sorted).await.query.sort, []);
    let limited = plan(switched("LIMIT"), sorted).await;
    assert_eq!((limited.query.limit, limited.row_limit), (None, None));
    assert_eq!(plan(switched("OFFSET"), sorted).await.query.offset, None);
    let projected = "SELECT n FROM big_table";
    assert_eq!(
        plan(switched("PROJECTION"), projected)
            .await
            .query
            .properties,
        None
    );
    let count = "SELECT COUNT(*) FROM big_table";
    assert_eq!(plan(switched("COUNT"), count).await.read, HubDbRead::Rows);
    let lookup = "SELECT n FROM big_table WHERE Id = 1005";
    let listing = plan(switched("IDLOOKUP"), lookup).await;
    assert_eq!(listing.read, HubDbRead::Rows);
    assert_eq!(listing.query.filters, [f("hs_id", FilterOp::Eq, "1005")]);

    for name in SWITCH_NAMES {
        let (local, _) = engine_over(sample(), nothing_pushed());
        let engine = switched(name);
        for sql in [
            sorted,
            count,
            lookup,
            "SELECT n FROM big_table LIMIT 3 OFFSET 7",
        ] {
            let expected = rows(&local, sql, &[]).await;
            assert_eq!(rows(&engine, sql, &[]).await, expected, "{name}: {sql}");
        }
    }
}

fn keyed(key: &str, ttl: Duration) -> (Engine, Arc<FakeHubDb>) {
    let fake = Arc::new(FakeHubDb {
        metadata_key: Some(key.to_string()),
        ..sample()
    });
    let options = EngineOptions {
        metadata_ttl: ttl,
        ..EngineOptions::default()
    };
    (Engine::with_source(Arc::clone(&fake) as _, options), fake)
}

fn list_calls(fake: &FakeHubDb) -> usize {
    *fake.list_calls.lock().unwrap()
}

#[tokio::test]
async fn engines_of_one_credential_share_table_metadata() {
    let (first, first_fake) = keyed("plan-tests/shared", Duration::from_secs(60));
    let (second, second_fake) = keyed("plan-tests/shared", Duration::from_secs(60));
    let (other, other_fake) = keyed("plan-tests/other", Duration::from_secs(60));
    first.tables().await.unwrap();
    second.tables().await.unwrap();
    second.prepare("SELECT name FROM products").await.unwrap();
    other.tables().await.unwrap();
    assert_eq!(list_calls(&first_fake), 2, "one listing per version");
    assert_eq!(list_calls(&second_fake), 0, "shared");
    assert_eq!(list_calls(&other_fake), 2, "another credential");
}

#[tokio::test]
async fn metadata_is_asked_for_again_after_its_time_to_live() {
    let (engine, fake) = keyed("plan-tests/ttl", Duration::from_millis(50));
    engine.tables().await.unwrap();
    engine.tables().await.unwrap();
    assert_eq!(list_calls(&fake), 2);
    tokio::time::sleep(Duration::from_millis(80)).await;
    engine.tables().await.unwrap();
    assert_eq!(list_calls(&fake), 4);

    let (uncached, fake) = keyed("plan-tests/ttl-zero", Duration::ZERO);
    uncached.tables().await.unwrap();
    uncached.tables().await.unwrap();
    assert_eq!(list_calls(&fake), 4);
}

#[tokio::test]
async fn invalidation_reaches_every_engine_sharing_the_metadata() {
    let (first, first_fake) = keyed("plan-tests/invalidate", Duration::from_secs(60));
    let (second, second_fake) = keyed("plan-tests/invalidate", Duration::from_secs(60));
    first.tables().await.unwrap();
    second.invalidate_metadata();
    first.tables().await.unwrap();
    assert_eq!(list_calls(&first_fake), 4);
    second.tables().await.unwrap();
    assert_eq!(list_calls(&second_fake), 0);
}
