//! The sandbox over HTTP: paging, cursors, errors, rate limits, draft and published reads.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use hubdb_sandbox::{DEMO_TOKEN, NO_SCOPE_TOKEN, SandboxConfig, Seed};
use serde_json::{Value, json};

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn the_10000_row_table_pages_through_after_with_every_row_once_in_ten_requests() {
    let sandbox = sandbox().await;
    let mut seen = HashSet::new();
    let mut after: Option<String> = None;
    let mut requests = 0;
    loop {
        let query = after
            .as_deref()
            .map_or(String::new(), |a| format!("?after={}", encode(a)));
        let page = get(&sandbox, &format!("{HUBDB}/tables/price_list/rows{query}")).await;
        requests += 1;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(
            (page.body["total"].as_u64(), page.body["type"].as_str()),
            (Some(10_000), Some("STREAMING"))
        );
        for id in row_ids(&page.body) {
            assert!(seen.insert(id.clone()), "row {id} returned twice");
        }
        assert!(page.body["paging"]["next"].get("offset").is_none());
        after = page.body["paging"]["next"]["after"]
            .as_str()
            .map(str::to_string);
        if after.is_none() || requests >= 20 {
            break;
        }
    }
    assert_eq!((requests, seen.len()), (10, 10_000));
    assert_eq!(sandbox.requests().len(), 10);
}

#[tokio::test]
async fn the_cursor_needs_url_encoding_and_comes_back_through_the_link() {
    let sandbox = sandbox().await;
    let first = get(
        &sandbox,
        &format!("{HUBDB}/tables/price_list/rows?limit=100&sort=-sku"),
    )
    .await;
    let after = first.body["paging"]["next"]["after"]
        .as_str()
        .expect("after")
        .to_string();
    assert!(
        after.contains('+') && after.contains('/') && after.contains('='),
        "{after}"
    );

    let link = first.body["paging"]["next"]["link"].as_str().expect("link");
    let second = get_as(&client(), link, Some(DEMO_TOKEN)).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(row_ids(&second.body)[0], "83009900");

    let encoded = format!(
        "{HUBDB}/tables/price_list/rows?limit=100&sort=-sku&after={}",
        encode(&after)
    );
    assert_eq!(
        row_ids(&get(&sandbox, &encoded).await.body),
        row_ids(&second.body)
    );

    let raw = get(
        &sandbox,
        &format!("{HUBDB}/tables/price_list/rows?limit=100&sort=-sku&after={after}"),
    )
    .await;
    assert_error(&raw, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn a_cursor_from_another_listing_or_made_up_is_refused() {
    let sandbox = sandbox().await;
    let first = get(
        &sandbox,
        &format!("{HUBDB}/tables/price_list/rows?limit=10"),
    )
    .await;
    let after = encode(
        first.body["paging"]["next"]["after"]
            .as_str()
            .expect("after"),
    );
    let other_sort = get(
        &sandbox,
        &format!("{HUBDB}/tables/price_list/rows?sort=sku&after={after}"),
    )
    .await;
    assert_error(&other_sort, 400, "VALIDATION_ERROR");
    let draft = get(
        &sandbox,
        &format!("{HUBDB}/tables/price_list/rows/draft?after={after}"),
    )
    .await;
    assert_error(&draft, 400, "VALIDATION_ERROR");
    let made_up = get(
        &sandbox,
        &format!("{HUBDB}/tables/price_list/rows?after=10"),
    )
    .await;
    assert_error(&made_up, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn limit_above_1000_is_clamped_and_offset_is_honoured() {
    let sandbox = sandbox().await;
    let big = get(
        &sandbox,
        &format!("{HUBDB}/tables/price_list/rows?limit=5000"),
    )
    .await;
    assert_eq!(row_ids(&big.body).len(), 1000);
    let tail = get(
        &sandbox,
        &format!("{HUBDB}/tables/price_list/rows?offset=9990&limit=20"),
    )
    .await;
    assert_eq!(row_ids(&tail.body).len(), 10);
    assert!(
        tail.body.get("paging").is_none(),
        "no paging on the last page"
    );
    assert_eq!(row_ids(&tail.body)[0], "83009991");
}

#[tokio::test]
async fn missing_or_unknown_tokens_get_401_invalid_authentication() {
    let sandbox = sandbox().await;
    let url = format!("{}{HUBDB}/tables", sandbox.base_url());
    for token in [None, Some("pat-na1-wrong")] {
        let reply = get_as(&client(), &url, token).await;
        assert_error(&reply, 401, "INVALID_AUTHENTICATION");
        assert_eq!(
            reply.header("x-hubspot-auth-failure"),
            Some("401 Unauthorized")
        );
    }
    let configured = SandboxConfig {
        tokens: vec!["pat-eu1-mine".into()],
        ..SandboxConfig::default()
    };
    let other = sandbox_with(configured).await;
    let url = format!("{}{HUBDB}/tables", other.base_url());
    assert_eq!(
        get_as(&client(), &url, Some("pat-eu1-mine")).await.status,
        200
    );
}

#[tokio::test]
async fn a_token_without_the_hubdb_scope_gets_403_missing_scopes() {
    let sandbox = sandbox().await;
    let url = format!("{}{HUBDB}/tables/events/rows", sandbox.base_url());
    let reply = get_as(&client(), &url, Some(NO_SCOPE_TOKEN)).await;
    assert_error(&reply, 403, "MISSING_SCOPES");
    assert_eq!(
        reply.body["errors"][0]["context"]["requiredScopes"],
        json!(["hubdb", "hubdb.rows.read"]),
        "the scopes any one of which would do (reference §2.3)"
    );
    let tables = format!("{}{HUBDB}/tables", sandbox.base_url());
    let reply = get_as(&client(), &tables, Some(NO_SCOPE_TOKEN)).await;
    assert_eq!(
        reply.body["errors"][0]["context"]["requiredScopes"],
        json!(["hubdb", "hubdb.tables.read"])
    );
    assert_eq!(
        reply.body["links"]["scopes"],
        "https://developers.hubspot.com/scopes"
    );
}

#[tokio::test]
async fn unknown_tables_and_rows_get_404_object_not_found() {
    let sandbox = sandbox().await;
    for path in [
        "/tables/no_such_table",
        "/tables/999/rows",
        "/tables/events/rows/12345",
        "/tables/events/rows/82000009",
        "/tables/upcoming_webinars",
        "/tables/upcoming_webinars/rows",
        "/tables/spring_promotions_2023",
    ] {
        assert_error(
            &get(&sandbox, &format!("{HUBDB}{path}")).await,
            404,
            "OBJECT_NOT_FOUND",
        );
    }
    let archived = get(
        &sandbox,
        &format!("{HUBDB}/tables/spring_promotions_2023?archived=true"),
    )
    .await;
    assert_eq!(
        (archived.status, archived.body["deleted"].as_bool()),
        (200, Some(true))
    );
}

#[tokio::test]
async fn bad_filters_sorts_and_limits_get_400_validation_error() {
    let sandbox = sandbox().await;
    for query in [
        "nope=1",
        "sku__between=1",
        "sku__gt=1",
        "discontinued__is_null=",
        "stock__gt=many",
        "sort=nope",
        "limit=ten",
        "offset=-1",
        "SKU=SKU-00001",
    ] {
        let reply = get(&sandbox, &format!("{HUBDB}/tables/price_list/rows?{query}")).await;
        assert_error(&reply, 400, "VALIDATION_ERROR");
    }
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_hubspot_body_and_retry_after_on_some() {
    let config = SandboxConfig {
        rate_limit: 3,
        rate_window: Duration::from_secs(60),
        ..SandboxConfig::default()
    };
    let sandbox = sandbox_with(config).await;
    let path = format!("{HUBDB}/tables");
    for remaining in ["2", "1", "0"] {
        let reply = get(&sandbox, &path).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("x-hubspot-ratelimit-remaining"),
            Some(remaining)
        );
        assert_eq!(reply.header("x-hubspot-ratelimit-max"), Some("3"));
        assert_eq!(
            reply.header("x-hubspot-ratelimit-interval-milliseconds"),
            Some("60000")
        );
    }
    let first = get(&sandbox, &path).await;
    assert_error(&first, 429, "RATE_LIMITS");
    assert_eq!(first.body["errorType"], "RATE_LIMIT");
    assert_eq!(first.body["policyName"], "TEN_SECONDLY_ROLLING");
    let retry: u64 = first
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let second = get(&sandbox, &path).await;
    assert_error(&second, 429, "RATE_LIMITS");
    assert_eq!(second.header("retry-after"), None);
    let url = format!("{}{path}", sandbox.base_url());
    let other_token = get_as(&client(), &url, Some("pat-na1-wrong")).await;
    assert_eq!(
        other_token.status, 401,
        "unauthenticated calls are not rate limited"
    );
}

#[tokio::test]
async fn the_rolling_window_frees_up_again() {
    let config = SandboxConfig {
        rate_limit: 1,
        rate_window: Duration::from_millis(300),
        ..SandboxConfig::default()
    };
    let sandbox = sandbox_with(config).await;
    let path = format!("{HUBDB}/tables");
    assert_eq!(get(&sandbox, &path).await.status, 200);
    assert_eq!(get(&sandbox, &path).await.status, 429);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(get(&sandbox, &path).await.status, 200);
}

fn names(body: &Value) -> Vec<&str> {
    let results = body["results"].as_array().expect("results");
    results
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect()
}

#[tokio::test]
async fn table_listings_show_published_draft_or_archived_tables() {
    let sandbox = sandbox().await;
    let published = get(&sandbox, &format!("{HUBDB}/tables")).await;
    assert_eq!(
        names(&published.body),
        ["store_locations", "events", "team_members", "price_list"]
    );
    assert_eq!(published.body["total"], 4);
    let draft = get(&sandbox, &format!("{HUBDB}/tables/draft?sort=name")).await;
    let expected = [
        "events",
        "price_list",
        "store_locations",
        "team_members",
        "upcoming_webinars",
    ];
    assert_eq!(names(&draft.body), expected);
    let archived = get(&sandbox, &format!("{HUBDB}/tables?archived=true")).await;
    assert_eq!(names(&archived.body), ["spring_promotions_2023"]);
}

#[tokio::test]
async fn table_listings_page_with_after() {
    let sandbox = sandbox().await;
    let first = get(
        &sandbox,
        &format!("{HUBDB}/tables/draft?limit=2&sort=-name"),
    )
    .await;
    assert_eq!(names(&first.body), ["upcoming_webinars", "team_members"]);
    let link = first.body["paging"]["next"]["link"].as_str().expect("link");
    let second = get_as(&client(), link, Some(DEMO_TOKEN)).await;
    assert_eq!(names(&second.body), ["store_locations", "price_list"]);
    let third = get_as(
        &client(),
        second.body["paging"]["next"]["link"].as_str().unwrap(),
        Some(DEMO_TOKEN),
    )
    .await;
    assert_eq!(names(&third.body), ["events"]);
    assert!(third.body.get("paging").is_none());
}

#[tokio::test]
async fn a_table_is_found_by_id_or_name_with_string_ids() {
    let sandbox = sandbox().await;
    let by_name = get(&sandbox, &format!("{HUBDB}/tables/events")).await;
    let by_id = get(&sandbox, &format!("{HUBDB}/tables/5840102")).await;
    assert_eq!(by_name.body, by_id.body);
    assert_eq!(by_id.body["id"], "5840102");
    assert_eq!(by_id.body["rowCount"], 8);
    assert_eq!(by_id.body["published"], true);
    let venue = &by_id.body["columns"][8];
    assert_eq!(
        (venue["id"].as_str(), venue["type"].as_str()),
        (Some("9"), Some("FOREIGN_ID"))
    );
    assert_eq!(venue["foreignTableId"], 5840101);
    let options = &by_id.body["columns"][3]["options"];
    assert_eq!(
        options[1],
        json!({"id": "2", "name": "Virtual", "label": "Virtual", "type": "option", "order": 1})
    );
}

#[tokio::test]
async fn the_draft_of_events_differs_from_the_published_version() {
    let sandbox = sandbox().await;
    let published = get(&sandbox, &format!("{HUBDB}/tables/events")).await;
    let draft = get(&sandbox, &format!("{HUBDB}/tables/events/draft")).await;
    let column_names = |body: &Value| -> Vec<String> {
        body["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!column_names(&published.body).contains(&"livestream_url".to_string()));
    assert!(column_names(&draft.body).contains(&"livestream_url".to_string()));

    let published_rows = row_ids(
        &get(&sandbox, &format!("{HUBDB}/tables/events/rows"))
            .await
            .body,
    );
    let draft_rows = row_ids(
        &get(&sandbox, &format!("{HUBDB}/tables/events/rows/draft"))
            .await
            .body,
    );
    assert!(
        published_rows.contains(&"82000004".into()) && !draft_rows.contains(&"82000004".into())
    );
    assert!(
        draft_rows.contains(&"82000009".into()) && !published_rows.contains(&"82000009".into())
    );

    let new_row = get(
        &sandbox,
        &format!("{HUBDB}/tables/events/rows/82000009/draft"),
    )
    .await;
    assert_eq!(new_row.body["publishedAt"], Value::Null);
    let renamed = get(
        &sandbox,
        &format!("{HUBDB}/tables/events/rows/82000007/draft"),
    )
    .await;
    assert_eq!(renamed.body["values"]["title"], "Autumn ride — Zürich");
    let live = get(&sandbox, &format!("{HUBDB}/tables/events/rows/82000007")).await;
    assert_eq!(live.body["values"]["title"], "To be announced");
}

#[tokio::test]
async fn the_draft_only_table_is_served_by_the_draft_endpoints() {
    let sandbox = sandbox().await;
    let table = get(&sandbox, &format!("{HUBDB}/tables/upcoming_webinars/draft")).await;
    assert_eq!(
        (
            table.body["published"].as_bool(),
            table.body.get("publishedAt")
        ),
        (Some(false), None)
    );
    let rows = get(
        &sandbox,
        &format!("{HUBDB}/tables/upcoming_webinars/rows/draft"),
    )
    .await;
    assert_eq!(rows.body["total"], 3);
    assert!(
        rows.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["publishedAt"].is_null())
    );
}

#[tokio::test]
async fn row_values_have_hubspot_shapes_and_empty_cells_are_left_out() {
    let sandbox = sandbox().await;
    let row = get(
        &sandbox,
        &format!("{HUBDB}/tables/store_locations/rows/81000001"),
    )
    .await
    .body;
    let values = &row["values"];
    assert_eq!(row["id"], "81000001");
    assert_eq!(row["childTableId"], "0");
    assert_eq!(row["path"], "boston-back-bay");
    assert_eq!(values["open_sundays"], 1);
    assert_eq!(values["opened_on"], 1_393_632_000_000_i64);
    assert_eq!(
        values["region"],
        json!({"id": "1", "name": "North America", "type": "option", "order": 0})
    );
    assert_eq!(values["services"].as_array().unwrap().len(), 3);
    assert_eq!(
        values["location"],
        json!({"lat": 42.351, "long": -71.0726, "type": "location"})
    );
    assert_eq!(values["photo"]["type"], "image");
    let sparse = get(
        &sandbox,
        &format!("{HUBDB}/tables/store_locations/rows/81000008"),
    )
    .await
    .body;
    assert!(sparse["values"].get("services").is_none());
    assert!(sparse["values"].get("website").is_none());
    assert_eq!(sparse["values"]["open_sundays"], 0);
}

#[tokio::test]
async fn text_survives_accents_cjk_and_emoji_outside_the_bmp() {
    let sandbox = sandbox().await;
    let rows = get(
        &sandbox,
        &format!("{HUBDB}/tables/store_locations/rows?hs_id__in=81000005,81000010"),
    )
    .await;
    assert_eq!(
        rows.body["results"][0]["values"]["store_name"],
        "東京 渋谷店"
    );
    assert_eq!(
        rows.body["results"][1]["values"]["store_name"],
        "Pop-up Camp 🏕️ 😀"
    );
    let query = format!("store_name__contains={}", encode("😀"));
    let found = get(
        &sandbox,
        &format!("{HUBDB}/tables/store_locations/rows?{query}"),
    )
    .await;
    assert_eq!(row_ids(&found.body), ["81000010"]);
    let long = get(&sandbox, &format!("{HUBDB}/tables/events/rows/82000003")).await;
    assert_eq!(
        long.body["values"]["notes"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        9990
    );
}

#[tokio::test]
async fn properties_limit_the_values_in_both_forms() {
    let sandbox = sandbox().await;
    for query in ["properties=sku&properties=stock", "properties=sku,stock"] {
        let page = get(
            &sandbox,
            &format!("{HUBDB}/tables/price_list/rows?limit=1&{query}"),
        )
        .await;
        let keys: Vec<&String> = page.body["results"][0]["values"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, ["sku", "stock"]);
    }
}

#[tokio::test]
async fn sorting_puts_nulls_last_ascending_and_first_descending() {
    let sandbox = sandbox().await;
    let base = format!("{HUBDB}/tables/price_list/rows?properties=stock&limit=1000");
    let stocks = |body: &Value| -> Vec<Option<f64>> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["values"]["stock"].as_f64())
            .collect()
    };
    let descending = stocks(&get(&sandbox, &format!("{base}&sort=-stock")).await.body);
    assert_eq!(descending[0], None);
    let ascending = get(&sandbox, &format!("{base}&sort=stock&offset=9000")).await;
    let ascending = stocks(&ascending.body);
    assert_eq!(ascending.last(), Some(&None));
    let two = format!("{HUBDB}/tables/price_list/rows?sort=stock&sort=-hs_id&limit=2");
    let first = get(&sandbox, &two).await;
    assert_eq!(row_ids(&first.body), ["83009990", "83009979"]);
}

#[tokio::test]
async fn filters_count_into_total_and_combine_with_and() {
    let sandbox = sandbox().await;
    let query = "category=Bikes&unit_price__lt=10&discontinued=0&limit=3";
    let page = get(&sandbox, &format!("{HUBDB}/tables/price_list/rows?{query}")).await;
    let total = page.body["total"].as_u64().unwrap();
    assert!(total > 3 && total < 10_000, "{total}");
    for row in page.body["results"].as_array().unwrap() {
        assert_eq!(row["values"]["category"]["name"], "Bikes");
        assert!(row["values"]["unit_price"].as_f64().unwrap() < 10.0);
    }
    let by_created = get(
        &sandbox,
        &format!("{HUBDB}/tables/price_list/rows?hs_created_at__gt=0&limit=1"),
    )
    .await;
    assert_eq!(by_created.body["total"], 10_000);
}

#[tokio::test]
async fn the_request_log_is_readable_in_process_and_over_http() {
    let sandbox = sandbox().await;
    get(
        &sandbox,
        &format!("{HUBDB}/tables/events/rows?title__icontains=meetup&sort=-hs_id"),
    )
    .await;
    let logged = sandbox.requests();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].path, "/cms/v3/hubdb/tables/events/rows");
    let expected = vec![
        ("title__icontains".to_string(), "meetup".to_string()),
        ("sort".into(), "-hs_id".into()),
    ];
    assert_eq!((logged[0].query.clone(), logged[0].status), (expected, 200));

    let admin = format!("{}/__sandbox/requests", sandbox.base_url());
    let over_http = get_as(&client(), &admin, None).await;
    assert_eq!(
        over_http.body[0]["query"][0],
        json!(["title__icontains", "meetup"])
    );
    let cleared = client().delete(&admin).send().await.unwrap();
    assert!(cleared.status().is_success());
    assert!(sandbox.requests().is_empty());
}

#[tokio::test]
async fn latency_delays_hubdb_calls_only() {
    let config = SandboxConfig {
        latency: Duration::from_millis(300),
        ..SandboxConfig::default()
    };
    let sandbox = sandbox_with(config).await;
    let started = Instant::now();
    get(&sandbox, &format!("{HUBDB}/tables")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    get_as(
        &client(),
        &format!("{}/__sandbox/requests", sandbox.base_url()),
        None,
    )
    .await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn a_test_can_bring_its_own_seed() {
    let json = r#"{"tables": [{"id": 7, "name": "tiny", "label": "Tiny",
        "createdAt": "2024-01-01T00:00:00Z", "publishedAt": "2024-01-01T00:00:00Z",
        "columns": [{"id": 1, "name": "n", "type": "NUMBER"}],
        "rows": [{"id": 70, "values": {"n": 1}}, {"id": 71, "values": {"n": 2}}]}]}"#;
    let config = SandboxConfig {
        seed: Seed::from_json(json).unwrap(),
        ..SandboxConfig::default()
    };
    let sandbox = sandbox_with(config).await;
    let rows = get(&sandbox, &format!("{HUBDB}/tables/tiny/rows?n__gte=2")).await;
    assert_eq!(row_ids(&rows.body), ["71"]);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_date_versioned_prefix_serves_the_same_api() {
    let sandbox = sandbox().await;
    let dated = get(&sandbox, "/cms/hubdb/2026-03/tables/events/rows?limit=2").await;
    let versioned = get(&sandbox, &format!("{HUBDB}/tables/events/rows?limit=2")).await;
    assert_eq!(dated.body["results"], versioned.body["results"]);
}
