//! The owners listing (`GET /crm/v3/owners`, reference §2.4) against the sandbox's demo
//! account and a scripted server: every page followed by its opaque cursor, the `email` and
//! `archived` parameters, and the owners scope.

mod common;

use std::time::Duration;

use common::{Reply, ScriptedServer};
use hubdb::{Client, ClientConfig, ErrorKind, OwnerQuery, Secret};
use hubdb_sandbox::{DEMO_TOKEN, NO_SCOPE_TOKEN, RunningSandbox, SandboxConfig};
use serde_json::json;

const ACTIVE_OWNERS: [&str; 6] = [
    "61700001", "61700002", "61700003", "61700004", "61700005", "61700006",
];

async fn sandbox() -> RunningSandbox {
    hubdb_sandbox::start(SandboxConfig::default())
        .await
        .expect("sandbox starts on 127.0.0.1:0")
}

fn client(sandbox: &RunningSandbox, token: &str) -> Client {
    let mut config = ClientConfig::new(sandbox.base_url(), Secret::new(token));
    config.timeout = Duration::from_secs(20);
    Client::new(config).unwrap()
}

fn ids(owners: &[hubdb::Owner]) -> Vec<&str> {
    owners.iter().map(|o| o.id.as_str()).collect()
}

fn owner_pages(sandbox: &RunningSandbox) -> Vec<Vec<(String, String)>> {
    sandbox
        .requests()
        .into_iter()
        .filter(|r| r.path == "/crm/v3/owners")
        .map(|r| r.query)
        .collect()
}

#[tokio::test]
async fn every_active_owner_arrives_once_over_pages_of_two() {
    let sandbox = sandbox().await;
    let query = OwnerQuery {
        page_size: 2,
        ..OwnerQuery::default()
    };

    let owners = client(&sandbox, DEMO_TOKEN)
        .list_owners_matching(&query)
        .await
        .unwrap();

    assert_eq!(ids(&owners), ACTIVE_OWNERS);
    let pages = owner_pages(&sandbox);
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0], [("limit".to_string(), "2".to_string())]);
    let cursor = pages[1].iter().find(|(k, _)| k == "after").unwrap();
    assert!(
        cursor.1.contains('+') || cursor.1.contains('/'),
        "{cursor:?}"
    );
    let maren = &owners[0];
    assert_eq!(maren.email.as_deref(), Some("maren.olsen@example.com"));
    assert_eq!(
        (maren.user_id, maren.created_at),
        (Some(7_300_001), Some(1_705_309_512_418))
    );
    assert_eq!(maren.primary_team(), Some("Store operations"));
    let queue = &owners[5];
    assert_eq!(queue.owner_type.as_deref(), Some("QUEUE"));
    assert!(queue.email.is_none() && queue.user_id.is_none() && queue.teams.is_empty());
}

#[tokio::test]
async fn the_email_parameter_is_sent_and_archived_owners_are_a_listing_of_their_own() {
    let sandbox = sandbox().await;
    let client = client(&sandbox, DEMO_TOKEN);

    let lukas = client
        .list_owners(Some("lukas.brenner@example.com"))
        .await
        .unwrap();
    let archived = OwnerQuery {
        archived: true,
        ..OwnerQuery::default()
    };
    let archived = client.list_owners_matching(&archived).await.unwrap();
    let everyone = client.list_owners(None).await.unwrap();

    assert_eq!(ids(&lukas), ["61700005"]);
    assert_eq!(lukas[0].email.as_deref(), Some("Lukas.Brenner@example.com"));
    assert_eq!(ids(&archived), ["61700007"]);
    let priya = &archived[0];
    assert!(priya.archived && priya.user_id.is_none());
    assert_eq!(priya.user_id_including_inactive, Some(7_300_006));
    assert_eq!(ids(&everyone), ACTIVE_OWNERS);
    let pages = owner_pages(&sandbox);
    assert!(pages[0].contains(&("email".into(), "lukas.brenner@example.com".into())));
    assert!(pages[1].contains(&("archived".into(), "true".into())));
    assert!(
        !pages[2]
            .iter()
            .any(|(k, _)| k == "archived" || k == "email")
    );
}

#[tokio::test]
async fn a_token_without_the_owners_scope_is_forbidden_with_hubspots_message() {
    let sandbox = sandbox().await;

    let error = client(&sandbox, NO_SCOPE_TOKEN)
        .list_owners(None)
        .await
        .unwrap_err();

    assert_eq!(error.kind, ErrorKind::Forbidden);
    assert_eq!(error.status, Some(403));
    assert_eq!(error.category.as_deref(), Some("MISSING_SCOPES"));
    assert!(
        error
            .message
            .starts_with("This app hasn't been granted all required scopes")
            && error
                .message
                .ends_with(" Required scopes: crm.objects.owners.read, automation."),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_cursor_handed_back_unchanged_ends_in_an_error_not_a_loop() {
    let server = ScriptedServer::start(|_, _| {
        Reply::ok(json!({"results": [{"id": "1"}], "paging": {"next": {"after": "same"}}}))
    })
    .await;

    let error = server.client().list_owners(None).await.unwrap_err();

    assert_eq!(error.kind, ErrorKind::Decode);
    assert_eq!(server.requests().len(), 2);
}
