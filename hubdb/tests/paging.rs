//! Paging of row scans and table listings (reference §4.8; B02): the opaque `after` cursor,
//! the offset form, `paging: null`, and the query sent again with every page.

mod common;

use common::{Reply, ScriptedServer, after, rows_page};
use futures::TryStreamExt;
use hubdb::{ErrorKind, Filter, FilterOp, PageToken, RowPage, RowQuery, SortKey, Version};
use serde_json::json;

/// A cursor with every character that a careless client would mangle.
const CURSOR: &str = "eyJvIjoyfQ+/=&%20 ü";

async fn scan(server: &ScriptedServer, query: RowQuery) -> Result<Vec<RowPage>, hubdb::Error> {
    server
        .client()
        .stream_rows("products", Version::Published, query)
        .try_collect()
        .await
}

fn ids(pages: &[RowPage]) -> Vec<i64> {
    pages
        .iter()
        .flat_map(|p| p.rows.iter().map(|r| r.id))
        .collect()
}

#[tokio::test]
async fn after_cursor_is_followed_and_sent_back_exactly() {
    let server = ScriptedServer::start(|request, _| match request.param("after").as_deref() {
        None => Reply::ok(rows_page(1, 2, 5, after(CURSOR))),
        Some(CURSOR) => Reply::ok(rows_page(3, 2, 5, after("last"))),
        Some("last") => Reply::ok(rows_page(5, 1, 5, json!(null))),
        Some(other) => Reply::status(400, json!({"message": format!("unknown cursor {other:?}")})),
    })
    .await;

    let pages = scan(&server, RowQuery::default()).await.unwrap();

    assert_eq!(ids(&pages), [1, 2, 3, 4, 5]);
    assert_eq!(pages[0].total, Some(5));
    assert_eq!(pages[0].next, Some(PageToken::After(CURSOR.into())));
    assert!(
        server.requests()[1]
            .target
            .contains("after=eyJvIjoyfQ%2B%2F%3D%26%2520%20%C3%BC")
    );
}

#[tokio::test]
async fn offset_paging_is_followed_when_there_is_no_cursor() {
    let server = ScriptedServer::start(|request, _| {
        let offset: i64 = request.param("offset").map_or(0, |o| o.parse().unwrap());
        let paging = if offset < 4 { json!({"next": {"offset": offset + 2}}) } else { json!(null) };
        Reply::ok(json!({"total": 6, "type": "RANDOM_ACCESS", "results": rows_page(offset + 1, 2, 6, json!(null))["results"], "paging": paging}))
    })
    .await;

    let pages = scan(
        &server,
        RowQuery {
            limit: Some(2),
            ..RowQuery::default()
        },
    )
    .await
    .unwrap();

    assert_eq!(ids(&pages), [1, 2, 3, 4, 5, 6]);
    let offsets: Vec<Option<String>> = server
        .requests()
        .iter()
        .map(|r| r.param("offset"))
        .collect();
    assert_eq!(offsets, [None, Some("2".into()), Some("4".into())]);
}

#[tokio::test]
async fn page_with_paging_null_ends_the_scan() {
    let server = ScriptedServer::start(|_, _| Reply::ok(rows_page(1, 3, 3, json!(null)))).await;

    let pages = scan(&server, RowQuery::default()).await.unwrap();

    assert_eq!((pages.len(), ids(&pages).len()), (1, 3));
    assert_eq!(pages[0].next, None);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn filters_sort_and_properties_are_sent_with_every_page() {
    let server = ScriptedServer::start(|request, _| match request.param("after") {
        None => Reply::ok(rows_page(1, 1, 2, after("c2"))),
        Some(_) => Reply::ok(rows_page(2, 1, 2, json!(null))),
    })
    .await;
    let query = RowQuery {
        filters: vec![
            Filter {
                column: "price".into(),
                op: FilterOp::Gte,
                value: "9.5".into(),
            },
            Filter {
                column: "name".into(),
                op: FilterOp::In,
                value: "a b,c&d".into(),
            },
            Filter {
                column: "notes".into(),
                op: FilterOp::IsNull,
                value: String::new(),
            },
        ],
        sort: vec![SortKey {
            column: "price".into(),
            descending: true,
        }],
        properties: Some(vec!["name".into(), "price".into()]),
        limit: Some(1),
        offset: Some(10),
    };

    scan(&server, query).await.unwrap();

    let requests = server.requests();
    for request in &requests {
        assert_eq!(request.params("sort"), ["-price"]);
        assert_eq!(request.params("properties"), ["name", "price"]);
        assert_eq!(request.param("price__gte").as_deref(), Some("9.5"));
        assert_eq!(request.param("name__in").as_deref(), Some("a b,c&d"));
        assert_eq!(request.param("notes__is_null").as_deref(), Some(""));
        assert_eq!(request.param("limit").as_deref(), Some("1"));
    }
    assert_eq!(requests[0].param("offset").as_deref(), Some("10"));
    assert_eq!(
        (
            requests[1].param("offset"),
            requests[1].param("after").as_deref()
        ),
        (None, Some("c2"))
    );
}

#[tokio::test]
async fn a_server_repeating_its_cursor_ends_the_scan_with_an_error() {
    let server = ScriptedServer::start(|_, _| Reply::ok(rows_page(1, 1, 9, after("same")))).await;

    let error = scan(&server, RowQuery::default()).await.unwrap_err();

    assert_eq!(error.kind, ErrorKind::Decode);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn table_listing_follows_its_pages_and_leaves_out_archived_tables() {
    let server = ScriptedServer::start(|request, _| {
        let table = |id: i64, archived: bool| json!({"id": id.to_string(), "name": format!("t{id}"), "label": "T", "archived": archived, "columns": []});
        match request.param("after").as_deref() {
            None => Reply::ok(json!({"total": 5, "results": [table(1, false), table(2, false)], "paging": after("x=1")})),
            Some("x=1") => Reply::ok(json!({"total": 5, "results": [table(3, true), table(4, false)], "paging": after("x=2")})),
            _ => Reply::ok(json!({"total": 5, "results": [table(5, false), table(4, false)], "paging": null})),
        }
    })
    .await;

    let tables = server
        .client()
        .list_tables(Version::Published)
        .await
        .unwrap();

    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["t1", "t2", "t4", "t5"]);
    assert!(tables.iter().all(|t| t.published));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn get_row_reads_one_row_and_maps_404_to_none() {
    let server = ScriptedServer::start(|request, _| match request.path() {
        "/cms/v3/hubdb/tables/products/rows/7/draft" => Reply::ok(common::row(7)),
        _ => Reply::status(
            404,
            json!({"message": "Row not found", "category": "OBJECT_NOT_FOUND"}),
        ),
    })
    .await;
    let client = server.client();

    let row = client
        .get_row("products", Version::Draft, 7)
        .await
        .unwrap()
        .unwrap();
    let missing = client
        .get_row("products", Version::Published, 7)
        .await
        .unwrap();

    assert_eq!((row.id, row.values["n"].as_i64()), (7, Some(7)));
    assert_eq!(row.created_at, Some(1_704_164_645_678));
    assert!(missing.is_none());
}
