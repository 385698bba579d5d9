//! `GET /crm/v3/owners` and `/crm/v3/owners/{ownerId}` over HTTP (reference/hubdb-api.md
//! §2.4): paging, filters, lookups and the owners scope.

mod common;

use common::*;
use hubdb_sandbox::{DEMO_TOKEN, NO_SCOPE_TOKEN, OAuthConfig};
use serde_json::{Value, json};

const OWNERS: &str = "/crm/v3/owners";

fn ids(body: &Value) -> Vec<&str> {
    let results = body["results"].as_array().expect("results");
    results
        .iter()
        .map(|owner| owner["id"].as_str().expect("string id"))
        .collect()
}

#[tokio::test]
async fn owners_page_through_after_with_every_active_owner_once() {
    let sandbox = sandbox().await;
    let mut pages = vec![get(&sandbox, &format!("{OWNERS}?limit=2")).await];
    while let Some(link) = pages.last().unwrap().body["paging"]["next"]["link"].as_str() {
        assert!(pages.len() < 10, "paging does not end");
        let after = pages.last().unwrap().body["paging"]["next"]["after"]
            .as_str()
            .unwrap();
        assert!(after.contains('+') && after.contains('/'), "{after}");
        let next = get_as(&client(), link, Some(DEMO_TOKEN)).await;
        assert_eq!(next.status, 200, "{}", next.body);
        pages.push(next);
    }
    let all: Vec<&str> = pages.iter().flat_map(|page| ids(&page.body)).collect();
    let expected = [
        "61700001", "61700002", "61700003", "61700004", "61700005", "61700006",
    ];
    assert_eq!((pages.len(), all), (3, expected.to_vec()));
    assert!(pages[2].body.get("paging").is_none());
    assert!(pages.iter().all(|page| page.body.get("total").is_none()));
}

#[tokio::test]
async fn owners_have_hubspot_shapes_with_empty_fields_left_out() {
    let sandbox = sandbox().await;
    let everyone = get(&sandbox, OWNERS).await.body;
    let first = &everyone["results"][0];
    assert_eq!(first["email"], "maren.olsen@example.com");
    assert_eq!(first["userId"], 7_300_001);
    assert_eq!(first["type"], "PERSON");
    assert_eq!(first["createdAt"], "2024-01-15T09:05:12.418Z");
    assert_eq!(
        first["teams"],
        json!([{"id": "3410001", "name": "Store operations", "primary": true}])
    );
    let queue = &everyone["results"][5];
    assert_eq!(queue["type"], "QUEUE");
    for absent in ["email", "lastName", "userId", "teams"] {
        assert!(queue.get(absent).is_none(), "{absent} in {queue}");
    }
    assert_eq!(everyone["results"][2]["lastName"], "田中");
}

#[tokio::test]
async fn owners_filter_by_email_case_insensitively_and_archived_ones_are_apart() {
    let sandbox = sandbox().await;
    let by_email = get(
        &sandbox,
        &format!("{OWNERS}?email=lukas.brenner%40EXAMPLE.com"),
    )
    .await;
    assert_eq!(ids(&by_email.body), ["61700005"]);
    let archived = get(&sandbox, &format!("{OWNERS}?archived=true")).await;
    assert_eq!(ids(&archived.body), ["61700007"]);
    let priya = &archived.body["results"][0];
    assert_eq!(
        (priya["archived"].as_bool(), priya.get("userId")),
        (Some(true), None)
    );
    assert_eq!(priya["userIdIncludingInactive"], 7_300_006);
    let nobody = get(
        &sandbox,
        &format!("{OWNERS}?email=priya.raman%40example.com"),
    )
    .await;
    assert_eq!(nobody.body, json!({"results": []}));
}

#[tokio::test]
async fn one_owner_is_found_by_id_or_by_user_id() {
    let sandbox = sandbox().await;
    let by_id = get(&sandbox, &format!("{OWNERS}/61700002")).await;
    assert_eq!(
        (by_id.status, &by_id.body["firstName"]),
        (200, &json!("José"))
    );
    let by_user = get(&sandbox, &format!("{OWNERS}/7300002?idProperty=userId")).await;
    assert_eq!(by_user.body, by_id.body);
    let archived = format!("{OWNERS}/7300006?idProperty=userId&archived=true");
    assert_eq!(get(&sandbox, &archived).await.body["id"], "61700007");
    for missing in ["/61700007", "/7300002", "/1"] {
        let reply = get(&sandbox, &format!("{OWNERS}{missing}")).await;
        assert_error(&reply, 404, "OBJECT_NOT_FOUND");
    }
}

#[tokio::test]
async fn bad_owner_parameters_get_400_validation_error() {
    let sandbox = sandbox().await;
    for path in [
        "?limit=ten",
        "?limit=-1",
        "?archived=maybe",
        "?after=bm90IGEgY3Vyc29y",
        "/abc",
        "/61700001?idProperty=email",
    ] {
        let reply = get(&sandbox, &format!("{OWNERS}{path}")).await;
        assert_error(&reply, 400, "VALIDATION_ERROR");
    }
    let first = get(&sandbox, &format!("{OWNERS}?limit=1")).await;
    let after = first.body["paging"]["next"]["after"].as_str().unwrap();
    let encoded: String = url::form_urlencoded::byte_serialize(after.as_bytes()).collect();
    let other_filter = format!("{OWNERS}?limit=1&archived=true&after={encoded}");
    assert_error(&get(&sandbox, &other_filter).await, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn owners_need_the_owners_scope() {
    let sandbox = oauth_sandbox(OAuthConfig {
        auto_approve: true,
        ..OAuthConfig::default()
    })
    .await;
    let url = format!("{}{OWNERS}", sandbox.base_url());
    let (without, _) = oauth_tokens(&sandbox, "hubdb", "").await;
    for token in [without.as_str(), NO_SCOPE_TOKEN] {
        let reply = get_as(&client(), &url, Some(token)).await;
        assert_error(&reply, 403, "MISSING_SCOPES");
        assert_eq!(
            reply.body["errors"][0]["context"]["requiredScopes"],
            json!(["crm.objects.owners.read", "automation"])
        );
    }
    let (with, _) = oauth_tokens(&sandbox, "hubdb", "crm.objects.owners.read").await;
    assert_eq!(get_as(&client(), &url, Some(&with)).await.status, 200);
    assert_eq!(get_as(&client(), &url, Some(DEMO_TOKEN)).await.status, 200);
    assert_error(
        &get_as(&client(), &url, None).await,
        401,
        "INVALID_AUTHENTICATION",
    );
}

#[tokio::test]
async fn optional_scopes_can_be_withheld_as_for_an_account_without_the_product() {
    let sandbox = oauth_sandbox(OAuthConfig {
        auto_approve: true,
        drop_optional_scopes: true,
        ..OAuthConfig::default()
    })
    .await;
    let code = auto_approved_code(&sandbox, "hubdb", "crm.objects.owners.read").await;
    let tokens = exchange(&sandbox, V3_TOKEN, &code).await;
    assert_eq!(tokens.body["scopes"], json!(["hubdb"]));
    let access = tokens.body["access_token"].as_str().unwrap();
    let url = format!("{}{OWNERS}", sandbox.base_url());
    assert_error(
        &get_as(&client(), &url, Some(access)).await,
        403,
        "MISSING_SCOPES",
    );
}
