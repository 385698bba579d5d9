//! The owners view over the in-memory HubDB: what it reads from the owners listing, what it
//! sends, how names resolve to it, and how it shows in the catalog.

use std::sync::Arc;

use hubdb::{Error, ErrorKind, Owner, OwnerQuery, Team, Version};
use serde_json::json;

use crate::engine_tests::{engine_over, rows};
use crate::layout::tests::{column, table};
use crate::testing::{FakeCall, FakeHubDb, sample};
use crate::{Engine, PushdownOptions, SqlErrorKind, SqlType};

fn team(name: &str, primary: bool) -> Team {
    Team {
        id: format!("t-{name}"),
        name: name.into(),
        primary,
    }
}

fn owner(id: &str, email: Option<&str>, archived: bool, teams: Vec<Team>) -> Owner {
    Owner {
        id: id.into(),
        email: email.map(str::to_string),
        first_name: Some(format!("First {id}")),
        last_name: None,
        user_id: (!archived).then_some(7000),
        user_id_including_inactive: Some(7000),
        owner_type: Some("PERSON".into()),
        teams,
        created_at: Some(1_705_309_512_418),
        updated_at: None,
        archived,
    }
}

/// Two active owners (one in two teams) and an archived one, beside the sample tables.
fn fake_with_owners() -> FakeHubDb {
    let mut fake = sample();
    fake.owners = vec![
        owner(
            "11",
            Some("Ana@Example.com"),
            false,
            vec![team("Events", false), team("Sales", true)],
        ),
        owner("12", None, false, Vec::new()),
        owner(
            "13",
            Some("priya@example.com"),
            true,
            vec![team("Ops", true)],
        ),
    ];
    fake
}

fn engine() -> (Engine, Arc<FakeHubDb>) {
    engine_over(fake_with_owners(), PushdownOptions::default())
}

fn listing(email: Option<&str>, archived: bool) -> OwnerQuery {
    OwnerQuery {
        email: email.map(str::to_string),
        archived,
        ..OwnerQuery::default()
    }
}

fn owner_calls(fake: &FakeHubDb) -> Vec<OwnerQuery> {
    fake.owner_calls.lock().unwrap().clone()
}

#[tokio::test]
async fn every_owner_is_a_row_active_ones_first_with_teams_joined() {
    let (engine, fake) = engine();

    let got = rows(&engine, "SELECT * FROM Owners", &[]).await;

    assert_eq!(
        got[0],
        [
            "11",
            "Ana@Example.com",
            "First 11",
            "NULL",
            "7000",
            "7000",
            "PERSON",
            "Events;Sales",
            "Sales",
            "2024-01-15T09:05:12.418",
            "NULL",
            "false"
        ]
    );
    let short: Vec<(&str, &str, &str)> = got
        .iter()
        .map(|r| (r[0].as_str(), r[4].as_str(), r[11].as_str()))
        .collect();
    assert_eq!(
        short,
        [
            ("11", "7000", "false"),
            ("12", "7000", "false"),
            ("13", "NULL", "true")
        ]
    );
    assert_eq!((got[1][7].as_str(), got[1][8].as_str()), ("NULL", "NULL"));
    assert_eq!(
        owner_calls(&fake),
        [listing(None, false), listing(None, true)]
    );
}

#[tokio::test]
async fn preparing_reads_no_owner_and_describes_the_fixed_columns() {
    let (engine, fake) = engine();

    let prepared = engine
        .prepare("SELECT * FROM hubdb.crm.owners")
        .await
        .unwrap();

    let columns: Vec<(&str, SqlType)> = prepared
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.sql_type))
        .collect();
    let text = |length| SqlType::WVarChar { length };
    let time = SqlType::Timestamp { fraction_digits: 3 };
    assert_eq!(
        columns,
        [
            ("Id", text(64)),
            ("Email", text(254)),
            ("FirstName", text(255)),
            ("LastName", text(255)),
            ("UserId", SqlType::BigInt),
            ("UserIdIncludingInactive", SqlType::BigInt),
            ("Type", text(64)),
            ("Teams", text(4000)),
            ("PrimaryTeam", text(255)),
            ("CreatedAt", time),
            ("UpdatedAt", time),
            ("Archived", SqlType::Bit),
        ]
    );
    let id = &prepared.columns[0];
    assert_eq!(
        (id.schema.as_deref(), id.table.as_deref(), id.nullable),
        (Some("CRM"), Some("Owners"), false)
    );
    assert!(owner_calls(&fake).is_empty());
    assert_eq!(
        *fake.list_calls.lock().unwrap(),
        0,
        "a qualified name needs no table list"
    );
}

#[tokio::test]
async fn email_equality_is_sent_as_the_email_parameter_and_rechecked_exactly() {
    let (engine, fake) = engine();

    let exact = rows(
        &engine,
        "SELECT Id FROM Owners WHERE Email = 'Ana@Example.com'",
        &[],
    )
    .await;
    // HubSpot matches addresses ignoring case; SQL's `=` does not.
    let other_case = rows(
        &engine,
        "SELECT Id FROM Owners WHERE email = 'ana@example.com'",
        &[],
    )
    .await;

    assert_eq!(exact, [["11"]]);
    assert!(other_case.is_empty());
    let sent = Some("Ana@Example.com");
    let lower = Some("ana@example.com");
    assert_eq!(
        owner_calls(&fake),
        [
            listing(sent, false),
            listing(sent, true),
            listing(lower, false),
            listing(lower, true)
        ]
    );
}

#[tokio::test]
async fn a_parameter_marker_for_the_email_is_sent_once_bound() {
    let (engine, fake) = engine();
    let value = crate::ParamValue::Text("priya@example.com".into());

    let got = rows(&engine, "SELECT Id FROM Owners WHERE Email = ?", &[value]).await;

    assert_eq!(got, [["13"]]);
    assert_eq!(
        owner_calls(&fake)[0].email.as_deref(),
        Some("priya@example.com")
    );
}

#[tokio::test]
async fn archived_predicates_pick_the_one_listing_that_can_hold_the_rows() {
    for (predicate, listings, ids) in [
        ("Archived = 1", vec![true], vec!["13"]),
        ("Archived = TRUE", vec![true], vec!["13"]),
        ("Archived", vec![true], vec!["13"]),
        ("Archived = 0", vec![false], vec!["11", "12"]),
        ("NOT Archived", vec![false], vec!["11", "12"]),
        ("Archived = 1 AND Archived = 0", vec![], vec![]),
        (
            "Archived = 1 OR Id = '11'",
            vec![false, true],
            vec!["11", "13"],
        ),
    ] {
        let (engine, fake) = engine();
        let sql = format!("SELECT Id FROM Owners WHERE {predicate} ORDER BY Id");

        let got: Vec<String> = rows(&engine, &sql, &[]).await.concat();

        assert_eq!(got, ids, "{sql}");
        let expected: Vec<OwnerQuery> = listings.iter().map(|&a| listing(None, a)).collect();
        assert_eq!(owner_calls(&fake), expected, "{sql}");
    }
}

#[tokio::test]
async fn other_predicates_sort_and_limit_are_the_engines() {
    let (engine, fake) = engine();

    let got = rows(
        &engine,
        "SELECT Id, Teams FROM Owners WHERE FirstName LIKE 'First 1%' AND UserId = 7000 \
         ORDER BY Id DESC LIMIT 1",
        &[],
    )
    .await;

    assert_eq!(got, [["12", "NULL"]]);
    assert_eq!(
        owner_calls(&fake),
        [listing(None, false), listing(None, true)]
    );
}

#[tokio::test]
async fn disabled_equality_pushdown_sends_no_email() {
    let mut pushdown = PushdownOptions::default();
    pushdown.disable_list("EQ");
    let (engine, fake) = engine_over(fake_with_owners(), pushdown);

    let got = rows(
        &engine,
        "SELECT Id FROM Owners WHERE Email = 'priya@example.com'",
        &[],
    )
    .await;

    assert_eq!(got, [["13"]]);
    assert_eq!(
        owner_calls(&fake),
        [listing(None, false), listing(None, true)]
    );
}

#[tokio::test]
async fn the_plan_shows_the_owners_requests() {
    let (engine, fake) = engine();

    let plan = engine
        .explain(
            "SELECT Id FROM CRM.Owners WHERE Email = 'a+b@example.com' AND Archived = 0",
            &[],
        )
        .await
        .unwrap();

    assert!(
        plan.contains("OwnersExec: [GET /crm/v3/owners?limit=100&email=a%2Bb%40example.com]"),
        "{plan}"
    );
    assert!(
        plan.contains("FilterExec"),
        "what is sent is re-checked: {plan}"
    );
    assert!(owner_calls(&fake).is_empty(), "explaining reads nothing");
}

#[tokio::test]
async fn a_hubdb_table_named_owners_wins_unqualified_and_the_view_stays_qualified() {
    let mut fake = fake_with_owners();
    let owners_table = table("owners", vec![column("name", "TEXT")]);
    fake.add(owners_table, Version::Published, Vec::new());
    let (engine, fake) = engine_over(fake, PushdownOptions::default());

    let prepared = engine.prepare("SELECT * FROM OWNERS").await.unwrap();
    assert_eq!(prepared.columns[0].schema.as_deref(), Some("Published"));
    assert!(
        rows(&engine, "SELECT name FROM owners", &[])
            .await
            .is_empty()
    );
    let view = rows(&engine, "SELECT Id FROM crm.OWNERS WHERE Archived = 1", &[]).await;

    assert_eq!(view, [["13"]]);
    assert!(matches!(
        &fake.calls()[..],
        [FakeCall::Rows(name, Version::Published, ..)] if name == "owners"
    ));
    assert_eq!(owner_calls(&fake), [listing(None, true)]);
}

#[tokio::test]
async fn the_view_joins_with_hubdb_tables() {
    let (engine, _) = engine();

    let got = rows(
        &engine,
        "SELECT o.Id, p.name FROM Owners o JOIN products p ON p.Id = 101 + CAST(o.Id AS BIGINT) - 11 \
         WHERE o.Archived = 0",
        &[],
    )
    .await;

    assert_eq!(got, [["11", "Hammer Pro"], ["12", "saw"]]);
}

#[tokio::test]
async fn a_missing_scope_surfaces_as_hubspots_forbidden_error_when_the_query_runs() {
    let mut fake = fake_with_owners();
    let body = json!({
        "status": "error", "category": "MISSING_SCOPES", "correlationId": "c-403",
        "message": "This app hasn't been granted all required scopes to make this call.",
        "errors": [{"message": "One or more of the following scopes are required.",
                    "context": {"requiredScopes": ["crm.objects.owners.read", "automation"]}}]
    });
    fake.owners_error = Some(Error::from_response(403, None, body.to_string().as_bytes()));
    let (engine, _) = engine_over(fake, PushdownOptions::default());

    let prepared = engine.prepare("SELECT * FROM Owners").await.unwrap();
    let mut result = engine.execute(&prepared, &[]).await.unwrap();
    let error = result.next_batch().await.unwrap().unwrap_err();

    let SqlErrorKind::HubDb(hubdb) = &error.kind else {
        panic!("{error:?}");
    };
    assert_eq!(hubdb.kind, ErrorKind::Forbidden);
    assert!(
        error
            .message
            .contains("Required scopes: crm.objects.owners.read, automation."),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn other_names_in_schema_crm_do_not_exist() {
    let (engine, _) = engine();

    for sql in [
        "SELECT * FROM CRM.contacts",
        "SELECT * FROM HubDB.CRM.Owner",
    ] {
        let error = engine.prepare(sql).await.unwrap_err();
        assert!(
            matches!(error.kind, SqlErrorKind::TableNotFound),
            "{sql}: {error:?}"
        );
        assert!(
            error.message.contains("schema CRM holds the view Owners"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn sys_tables_and_sys_tablecolumns_list_the_view() {
    let (engine, _) = engine();

    let tables = rows(
        &engine,
        "SELECT CatalogName, TableType, IsUpdateable FROM sys_tables \
         WHERE SchemaName = 'CRM' AND TableName = 'Owners'",
        &[],
    )
    .await;
    let columns = rows(
        &engine,
        "SELECT ColumnName, DataTypeName, Length, IsNullable, IsReadOnly, IsKey, Ordinal \
         FROM sys_tablecolumns WHERE TableName = 'Owners' AND ColumnName IN ('Id', 'Archived')",
        &[],
    )
    .await;

    assert_eq!(tables, [["HubDB", "VIEW", "false"]]);
    assert_eq!(
        columns,
        [
            ["Id", "WVARCHAR", "64", "false", "true", "true", "1"],
            ["Archived", "BIT", "1", "false", "true", "false", "12"]
        ]
    );
}

#[test]
fn the_catalog_entries_name_the_view_and_its_columns() {
    let view = crate::owners::catalog_table();
    assert_eq!(
        (
            view.catalog.as_str(),
            view.schema.as_str(),
            view.name.as_str()
        ),
        ("HubDB", "CRM", "Owners")
    );
    assert_eq!(view.kind, crate::TableKind::View);
    let columns = crate::owners::result_columns();
    assert_eq!(columns.len(), 12);
    assert_eq!(columns[4].name, "UserId");
    assert!(crate::owners::check_crm_view("OWNERS").is_ok());
    assert!(crate::owners::check_crm_view("Contacts").is_err());
}

#[tokio::test]
async fn an_alias_named_crm_is_not_taken_for_the_schema() {
    let (engine, _) = engine();

    let got = rows(
        &engine,
        "SELECT crm.name FROM products crm WHERE crm.Id = 102",
        &[],
    )
    .await;

    assert_eq!(got, [["saw"]]);
}
