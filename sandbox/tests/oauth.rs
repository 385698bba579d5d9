//! HubSpot's OAuth flow against the sandbox over plain HTTP (reference/hubdb-api.md §12):
//! the consent page, both token endpoints and both grants, codes, refresh tokens, expiry,
//! revocation, token information, budgets and the redaction of the request log.

mod common;

use std::time::Duration;

use common::*;
use hubdb_sandbox::{
    DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PORTAL_ID, DEMO_TOKEN, INSTALLING_USER_ID, OAuthApp,
    OAuthConfig, REDACTED, SandboxConfig,
};
use serde_json::json;

fn auto_approve() -> OAuthConfig {
    OAuthConfig {
        auto_approve: true,
        ..OAuthConfig::default()
    }
}

/// The hidden `request` field of the consent form.
fn consent_key(html: &str) -> String {
    let marker = "name=\"request\" value=\"";
    let start = html.find(marker).expect("a consent form") + marker.len();
    let end = start + html[start..].find('"').expect("end of the value");
    html[start..end].to_string()
}

async fn decide(sandbox: &hubdb_sandbox::RunningSandbox, key: &str, decision: &str) -> Reply {
    let url = format!("{}/oauth/authorize/decision", sandbox.base_url());
    let fields = [("request", key), ("decision", decision)];
    send(no_redirect_client().post(url).form(&fields)).await
}

async fn tables_with(sandbox: &hubdb_sandbox::RunningSandbox, token: &str) -> Reply {
    let url = format!("{}{HUBDB}/tables", sandbox.base_url());
    get_as(&client(), &url, Some(token)).await
}

#[tokio::test]
async fn approving_the_consent_page_redirects_with_a_code_that_buys_working_tokens() {
    let sandbox = oauth_sandbox(OAuthConfig::default()).await;
    let url = authorize_url(&sandbox, "hubdb", "crm.objects.owners.read");
    let page = get_as(&no_redirect_client(), &url, None).await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    for part in [
        "Approve</button>",
        "Deny</button>",
        "action=\"/oauth/authorize/decision\"",
    ] {
        assert!(
            page.text.contains(part),
            "{part} missing from {}",
            page.text
        );
    }

    let approved = decide(&sandbox, &consent_key(&page.text), "approve").await;
    assert_eq!(approved.status, 303);
    assert!(approved.header("location").unwrap().starts_with(REDIRECT));
    let query = location_query(&approved);
    assert_eq!(query_value(&query, "state").as_deref(), Some("s-1"));
    let code = query_value(&query, "code").expect("code");

    let tokens = exchange(&sandbox, V3_TOKEN, &code).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert_eq!(tokens.body["token_type"], "bearer");
    assert_eq!(tokens.body["token_use"], "access_token");
    assert_eq!(tokens.body["expires_in"], 1800);
    assert_eq!(tokens.body["hub_id"], DEMO_PORTAL_ID);
    assert_eq!(tokens.body["user_id"], INSTALLING_USER_ID);
    assert_eq!(
        tokens.body["scopes"],
        json!(["crm.objects.owners.read", "hubdb"])
    );
    assert_eq!(tokens.header("cache-control"), Some("no-store"));
    let access = tokens.body["access_token"].as_str().unwrap();
    assert_eq!(access.len(), 300);
    assert_eq!(tables_with(&sandbox, access).await.status, 200);
}

#[tokio::test]
async fn denying_redirects_with_access_denied_and_the_state() {
    let sandbox = oauth_sandbox(OAuthConfig::default()).await;
    let page = get_as(
        &no_redirect_client(),
        &authorize_url(&sandbox, "hubdb", ""),
        None,
    )
    .await;
    let denied = decide(&sandbox, &consent_key(&page.text), "deny").await;
    assert_eq!(denied.status, 303);
    let query = location_query(&denied);
    assert_eq!(
        query,
        [
            ("error".to_string(), "access_denied".to_string()),
            ("state".into(), "s-1".into())
        ]
    );
}

#[tokio::test]
async fn denying_can_send_the_browser_nowhere_as_the_reference_says() {
    let sandbox = oauth_sandbox(OAuthConfig {
        deny_without_redirect: true,
        ..OAuthConfig::default()
    })
    .await;
    let page = get_as(
        &no_redirect_client(),
        &authorize_url(&sandbox, "hubdb", ""),
        None,
    )
    .await;
    let denied = decide(&sandbox, &consent_key(&page.text), "deny").await;
    assert_eq!(denied.status, 200);
    assert!(denied.header("location").is_none());
}

#[tokio::test]
async fn a_consent_page_is_answered_once_and_needs_a_decision() {
    let sandbox = oauth_sandbox(OAuthConfig::default()).await;
    let page = get_as(
        &no_redirect_client(),
        &authorize_url(&sandbox, "hubdb", ""),
        None,
    )
    .await;
    let key = consent_key(&page.text);
    assert_eq!(decide(&sandbox, &key, "maybe").await.status, 400);
    assert_eq!(decide(&sandbox, &key, "approve").await.status, 303);
    let again = decide(&sandbox, &key, "approve").await;
    assert_eq!(again.status, 400);
    assert!(again.header("location").is_none());
}

#[tokio::test]
async fn auto_approval_redirects_at_once_with_a_code() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let reply = get_as(
        &no_redirect_client(),
        &authorize_url(&sandbox, "hubdb", ""),
        None,
    )
    .await;
    assert_eq!(reply.status, 302);
    let query = location_query(&reply);
    assert!(query_value(&query, "code").is_some());
    assert_eq!(query_value(&query, "state").as_deref(), Some("s-1"));
}

#[tokio::test]
async fn a_bad_install_url_gets_an_error_page_and_no_redirect() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let base = format!("{}/oauth/authorize", sandbox.base_url());
    let cases = [
        (
            "client_id=nope&redirect_uri=http://localhost:1/&scope=hubdb",
            "client ID",
        ),
        (
            "redirect_uri=https://evil.example.com/&scope=hubdb",
            "redirect URL",
        ),
        ("redirect_uri=http://localhost/&scope=hubdb", "redirect URL"),
        (
            "redirect_uri=http://localhost:1/&scope=contacts+hubdb",
            "invalid: contacts",
        ),
        (
            "redirect_uri=http://localhost:1/&scope=hubdb,oauth",
            "invalid",
        ),
        (
            "redirect_uri=http://localhost:1/&scope=crm.objects.owners.read",
            "missing hubdb",
        ),
        ("redirect_uri=http://localhost:1/", "missing hubdb"),
    ];
    for (query, says) in cases {
        let query = if query.starts_with("client_id") {
            query.to_string()
        } else {
            format!("client_id={DEMO_CLIENT_ID}&{query}")
        };
        let reply = get_as(&no_redirect_client(), &format!("{base}?{query}"), None).await;
        assert_eq!(reply.status, 400, "{query}");
        assert!(reply.header("location").is_none(), "{query}");
        assert!(reply.text.contains(says), "{query}: {}", reply.text);
    }
}

#[tokio::test]
async fn an_app_from_the_configuration_accepts_only_its_redirect() {
    let mut app = OAuthApp::new("cli-app", "cli-secret");
    app.redirect_uris = vec!["http://127.0.0.1:9999/oauth".into()];
    let sandbox = oauth_sandbox(OAuthConfig {
        apps: vec![app],
        auto_approve: true,
        ..OAuthConfig::default()
    })
    .await;
    let base = format!(
        "{}/oauth/authorize?client_id=cli-app&scope=hubdb",
        sandbox.base_url()
    );
    let good = format!("{base}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Foauth");
    assert_eq!(get_as(&no_redirect_client(), &good, None).await.status, 302);
    let other_port = format!("{base}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9998%2Foauth");
    assert_eq!(
        get_as(&no_redirect_client(), &other_port, None)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn the_v1_endpoint_exchanges_and_refreshes_with_the_minimal_body() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let code = auto_approved_code(&sandbox, "hubdb", "").await;
    let first = exchange(&sandbox, V1_TOKEN, &code).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let keys: Vec<&String> = first.body.as_object().unwrap().keys().collect();
    let expected = [
        "access_token",
        "expires_in",
        "refresh_token",
        "token_type",
        "token_use",
    ];
    assert_eq!(keys, expected);

    let refresh_token = first.body["refresh_token"].as_str().unwrap();
    let url = format!(
        "{}{V1_TOKEN}?client_secret={DEMO_CLIENT_SECRET}&refresh_token={refresh_token}",
        sandbox.base_url()
    );
    let fields = [
        ("grant_type", "refresh_token"),
        ("client_id", DEMO_CLIENT_ID),
    ];
    let refreshed = post_form(&client(), &url, &fields).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(refreshed.body["refresh_token"], refresh_token);
    assert_ne!(refreshed.body["access_token"], first.body["access_token"]);
    let access = refreshed.body["access_token"].as_str().unwrap();
    assert_eq!(tables_with(&sandbox, access).await.status, 200);
}

#[tokio::test]
async fn v3_reads_the_body_only() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let (_, refresh_token) = oauth_tokens(&sandbox, "hubdb", "").await;
    let url = format!(
        "{}{V3_TOKEN}?client_secret={DEMO_CLIENT_SECRET}&refresh_token={refresh_token}",
        sandbox.base_url()
    );
    let fields = [
        ("grant_type", "refresh_token"),
        ("client_id", DEMO_CLIENT_ID),
    ];
    assert_token_error(
        &post_form(&client(), &url, &fields).await,
        "BAD_CLIENT_SECRET",
    );
}

#[tokio::test]
async fn the_date_versioned_token_endpoint_behaves_as_v3() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let code = auto_approved_code(&sandbox, "hubdb", "").await;
    let reply = exchange(&sandbox, "/oauth/2026-09/token", &code).await;
    assert_eq!(
        (reply.status, &reply.body["hub_id"]),
        (200, &json!(DEMO_PORTAL_ID))
    );
}

#[tokio::test]
async fn without_rotation_a_refresh_returns_the_same_refresh_token() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let (access, refresh_token) = oauth_tokens(&sandbox, "hubdb", "").await;
    for _ in 0..2 {
        let reply = refresh(&sandbox, V3_TOKEN, &refresh_token).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["refresh_token"], refresh_token.as_str());
        assert_ne!(reply.body["access_token"], access.as_str());
    }
    assert_eq!(tables_with(&sandbox, &access).await.status, 200);
}

#[tokio::test]
async fn with_rotation_each_refresh_retires_the_refresh_token_it_was_given() {
    let sandbox = oauth_sandbox(OAuthConfig {
        rotate_refresh_tokens: true,
        ..auto_approve()
    })
    .await;
    let (_, first) = oauth_tokens(&sandbox, "hubdb", "").await;
    let rotated = refresh(&sandbox, V3_TOKEN, &first).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second = rotated.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_token_error(
        &refresh(&sandbox, V3_TOKEN, &first).await,
        "BAD_REFRESH_TOKEN",
    );
    assert_eq!(refresh(&sandbox, V1_TOKEN, &second).await.status, 200);
}

#[tokio::test]
async fn a_code_is_single_use_and_its_reuse_revokes_what_it_bought() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let code = auto_approved_code(&sandbox, "hubdb", "").await;
    let first = exchange(&sandbox, V3_TOKEN, &code).await;
    assert_eq!(first.status, 200);
    let again = exchange(&sandbox, V3_TOKEN, &code).await;
    assert_token_error(&again, "BAD_AUTH_CODE");
    assert_eq!(again.body["error"], "invalid_grant");

    let access = first.body["access_token"].as_str().unwrap();
    assert_error(
        &tables_with(&sandbox, access).await,
        401,
        "INVALID_AUTHENTICATION",
    );
    let refresh_token = first.body["refresh_token"].as_str().unwrap();
    assert_token_error(
        &refresh(&sandbox, V3_TOKEN, refresh_token).await,
        "BAD_REFRESH_TOKEN",
    );
    assert_token_error(
        &exchange(&sandbox, V3_TOKEN, "made-up").await,
        "BAD_AUTH_CODE",
    );
}

#[tokio::test]
async fn an_expired_code_gets_expired_auth_code() {
    let sandbox = oauth_sandbox(OAuthConfig {
        code_lifetime: Duration::ZERO,
        ..auto_approve()
    })
    .await;
    let code = auto_approved_code(&sandbox, "hubdb", "").await;
    let reply = exchange(&sandbox, V1_TOKEN, &code).await;
    assert_token_error(&reply, "EXPIRED_AUTH_CODE");
    assert!(
        reply.body.get("error").is_none(),
        "v1 bodies carry no OAuth error code"
    );
}

#[tokio::test]
async fn wrong_client_credentials_and_another_redirect_are_refused() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let code = auto_approved_code(&sandbox, "hubdb", "").await;
    let url = format!("{}{V3_TOKEN}", sandbox.base_url());
    let with = |client_id: &'static str, secret: &'static str, redirect: &'static str| {
        vec![
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("redirect_uri", redirect),
        ]
    };
    let cases = [
        (
            with(DEMO_CLIENT_ID, "wrong", REDIRECT),
            "BAD_CLIENT_SECRET",
            "invalid_client",
        ),
        (
            with(DEMO_CLIENT_ID, "", REDIRECT),
            "BAD_CLIENT_SECRET",
            "invalid_client",
        ),
        (
            with("nope", DEMO_CLIENT_SECRET, REDIRECT),
            "BAD_CLIENT_ID",
            "invalid_client",
        ),
        (
            with(
                DEMO_CLIENT_ID,
                DEMO_CLIENT_SECRET,
                "http://localhost:33333/other",
            ),
            "BAD_REDIRECT_URI",
            "invalid_grant",
        ),
    ];
    for (mut fields, status, oauth_error) in cases {
        fields.push(("code", &code));
        let reply = post_form(&client(), &url, &fields).await;
        assert_token_error(&reply, status);
        assert_eq!(reply.body["error"], oauth_error);
    }
    assert_eq!(exchange(&sandbox, V3_TOKEN, &code).await.status, 200);
}

#[tokio::test]
async fn bad_refresh_tokens_and_grant_types_are_refused() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    assert_token_error(
        &refresh(&sandbox, V1_TOKEN, "na1-made-up").await,
        "BAD_REFRESH_TOKEN",
    );
    let url = format!("{}{V3_TOKEN}", sandbox.base_url());
    let credentials = [
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
    ];
    for (grant_type, oauth_error) in [
        ("password", "unsupported_grant_type"),
        ("client_credentials", "unauthorized_client"),
        ("", "invalid_request"),
    ] {
        let mut fields = credentials.to_vec();
        fields.push(("grant_type", grant_type));
        let reply = post_form(&client(), &url, &fields).await;
        assert_token_error(&reply, "BAD_GRANT_TYPE");
        assert_eq!(reply.body["error"], oauth_error);
    }
    let as_json = client()
        .post(&url)
        .json(&json!({"grant_type": "refresh_token", "refresh_token": "x"}));
    assert_token_error(&send(as_json).await, "BAD_GRANT_TYPE");
}

#[tokio::test]
async fn an_expired_access_token_gets_401_expired_authentication_and_a_refresh_cures_it() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let (access, refresh_token) = oauth_tokens(&sandbox, "hubdb", "").await;
    let admin = format!("{}/__sandbox/oauth/expire", sandbox.base_url());
    let expired = send(client().post(&admin)).await;
    assert_eq!(
        (expired.status, &expired.body),
        (200, &json!({"expired": 1}))
    );

    let reply = tables_with(&sandbox, &access).await;
    assert_error(&reply, 401, "EXPIRED_AUTHENTICATION");
    let message = reply.body["message"].as_str().unwrap();
    assert!(message.starts_with("The OAuth token used to make this call expired "));
    assert!(message.ends_with(" second(s) ago."), "{message}");
    assert!(
        reply.body["context"]["expire time"][0]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    let fresh = refresh(&sandbox, V3_TOKEN, &refresh_token).await;
    let fresh = fresh.body["access_token"].as_str().unwrap();
    assert_eq!(tables_with(&sandbox, fresh).await.status, 200);
    assert_eq!(sandbox.expire_oauth_tokens(), 1);
    assert_eq!(tables_with(&sandbox, fresh).await.status, 401);
}

#[tokio::test]
async fn the_access_token_lifetime_is_configurable() {
    let sandbox = oauth_sandbox(OAuthConfig {
        token_lifetime: Duration::ZERO,
        ..auto_approve()
    })
    .await;
    let code = auto_approved_code(&sandbox, "hubdb", "").await;
    let reply = exchange(&sandbox, V3_TOKEN, &code).await;
    assert_eq!(reply.body["expires_in"], 0);
    let access = reply.body["access_token"].as_str().unwrap();
    assert_error(
        &tables_with(&sandbox, access).await,
        401,
        "EXPIRED_AUTHENTICATION",
    );
}

#[tokio::test]
async fn a_removed_install_or_unknown_token_gets_401_invalid_authentication() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let (access, refresh_token) = oauth_tokens(&sandbox, "hubdb", "").await;
    let admin = format!("{}/__sandbox/oauth/revoke", sandbox.base_url());
    assert_eq!(
        send(client().post(&admin)).await.body,
        json!({"revoked": 1})
    );
    for token in [access.as_str(), "CMade-up-token"] {
        let reply = tables_with(&sandbox, token).await;
        assert_error(&reply, 401, "INVALID_AUTHENTICATION");
    }
    assert_token_error(
        &refresh(&sandbox, V3_TOKEN, &refresh_token).await,
        "BAD_REFRESH_TOKEN",
    );
}

#[tokio::test]
async fn deleting_a_refresh_token_leaves_its_access_token_until_it_expires() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let (access, refresh_token) = oauth_tokens(&sandbox, "hubdb", "").await;
    let url = format!(
        "{}/oauth/v1/refresh-tokens/{refresh_token}",
        sandbox.base_url()
    );
    assert_eq!(get_as(&client(), &url, None).await.status, 200);
    assert_eq!(send(client().delete(&url)).await.status, 204);
    assert_error(
        &get_as(&client(), &url, None).await,
        404,
        "OBJECT_NOT_FOUND",
    );
    assert_error(&send(client().delete(&url)).await, 404, "OBJECT_NOT_FOUND");
    assert_token_error(
        &refresh(&sandbox, V3_TOKEN, &refresh_token).await,
        "BAD_REFRESH_TOKEN",
    );
    assert_eq!(tables_with(&sandbox, &access).await.status, 200);

    let (_, second) = oauth_tokens(&sandbox, "hubdb", "").await;
    let revoke = format!("{}/oauth/v3/token/revoke", sandbox.base_url());
    let fields = demo(&second);
    let revoked = post_form(&client(), &revoke, &fields).await;
    assert_eq!((revoked.status, revoked.text.as_str()), (200, ""));
    assert_token_error(
        &refresh(&sandbox, V3_TOKEN, &second).await,
        "BAD_REFRESH_TOKEN",
    );
    assert_eq!(post_form(&client(), &revoke, &fields).await.status, 200);
}

#[tokio::test]
async fn v1_token_information_describes_live_tokens() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let (access, refresh_token) = oauth_tokens(&sandbox, "hubdb", "crm.objects.owners.read").await;
    let base = sandbox.base_url();
    let info = get_as(
        &client(),
        &format!("{base}/oauth/v1/access-tokens/{access}"),
        None,
    )
    .await;
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.body["token"], access.as_str());
    assert_eq!(info.body["token_type"], "access");
    assert_eq!(info.body["hub_id"], DEMO_PORTAL_ID);
    assert_eq!(
        info.body["scopes"],
        json!(["crm.objects.owners.read", "hubdb"])
    );
    let left = info.body["expires_in"].as_i64().unwrap();
    assert!((1790..=1800).contains(&left), "{left}");

    let url = format!("{base}/oauth/v1/refresh-tokens/{refresh_token}");
    let refresh_info = get_as(&client(), &url, None).await;
    assert_eq!(refresh_info.body["client_id"], DEMO_CLIENT_ID);
    assert_eq!(refresh_info.body["token_type"], "refresh");

    let unknown = get_as(
        &client(),
        &format!("{base}/oauth/v1/access-tokens/CNope"),
        None,
    )
    .await;
    assert_error(&unknown, 404, "OBJECT_NOT_FOUND");
    sandbox.expire_oauth_tokens();
    let expired = get_as(
        &client(),
        &format!("{base}/oauth/v1/access-tokens/{access}"),
        None,
    )
    .await;
    assert_error(&expired, 401, "EXPIRED_AUTHENTICATION");
}

/// The demo app's credentials and `token`, the fields of v3 introspection and revocation.
fn demo(token: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("client_id", DEMO_CLIENT_ID),
        ("client_secret", DEMO_CLIENT_SECRET),
        ("token", token),
    ]
}

async fn introspect(sandbox: &hubdb_sandbox::RunningSandbox, fields: &[(&str, &str)]) -> Reply {
    let url = format!("{}/oauth/v3/token/introspect", sandbox.base_url());
    post_form(&client(), &url, fields).await
}

#[tokio::test]
async fn v3_introspection_tells_active_tokens_of_the_app_from_everything_else() {
    let mut other = OAuthApp::new("other-app", "other-secret");
    other.required_scopes = vec!["hubdb".into()];
    let sandbox = oauth_sandbox(OAuthConfig {
        apps: vec![other],
        ..auto_approve()
    })
    .await;
    let (access, refresh_token) = oauth_tokens(&sandbox, "hubdb", "").await;
    let (access, refresh_token) = (access.as_str(), refresh_token.as_str());

    let active = introspect(&sandbox, &demo(access)).await;
    assert_eq!(active.body["active"], true, "{}", active.body);
    assert_eq!(active.body["token_use"], "access_token");
    assert_eq!(active.body["client_id"], DEMO_CLIENT_ID);
    let mut hinted = demo(refresh_token);
    hinted.push(("token_type_hint", "refresh_token"));
    let refresh_info = introspect(&sandbox, &hinted).await;
    assert_eq!(refresh_info.body["token_use"], "refresh_token");

    let foreign = [
        ("client_id", "other-app"),
        ("client_secret", "other-secret"),
        ("token", access),
    ];
    assert_eq!(
        introspect(&sandbox, &foreign).await.body,
        json!({"active": false})
    );
    assert_eq!(
        introspect(&sandbox, &demo("CNope")).await.body,
        json!({"active": false})
    );
    let mut wrong_secret = demo(access);
    wrong_secret[1].1 = "nope";
    assert_token_error(
        &introspect(&sandbox, &wrong_secret).await,
        "BAD_CLIENT_SECRET",
    );
    sandbox.expire_oauth_tokens();
    assert_eq!(
        introspect(&sandbox, &demo(access)).await.body,
        json!({"active": false})
    );
}

#[tokio::test]
async fn an_oauth_app_counts_against_one_budget_whichever_token_it_uses() {
    let sandbox = sandbox_with(SandboxConfig {
        rate_limit: 3,
        rate_window: Duration::from_secs(60),
        oauth: auto_approve(),
        ..SandboxConfig::default()
    })
    .await;
    let (first, refresh_token) = oauth_tokens(&sandbox, "hubdb", "").await;
    let second = refresh(&sandbox, V3_TOKEN, &refresh_token).await;
    let second = second.body["access_token"].as_str().unwrap().to_string();
    for (token, remaining) in [(&first, "2"), (&second, "1"), (&first, "0")] {
        let reply = tables_with(&sandbox, token).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("x-hubspot-ratelimit-remaining"),
            Some(remaining)
        );
        assert!(reply.header("x-hubspot-ratelimit-daily").is_none());
        assert!(
            reply
                .header("x-hubspot-ratelimit-daily-remaining")
                .is_none()
        );
    }
    let limited = tables_with(&sandbox, &second).await;
    assert_error(&limited, 429, "RATE_LIMITS");
    assert!(limited.header("x-hubspot-ratelimit-daily").is_none());
    let private = tables_with(&sandbox, DEMO_TOKEN).await;
    assert_eq!(private.status, 200, "a private app has its own budget");
    assert!(private.header("x-hubspot-ratelimit-daily").is_some());
}

#[tokio::test]
async fn an_oauth_token_without_a_hubdb_scope_gets_403_naming_the_accepted_ones() {
    let mut app = OAuthApp::new("owners-only", "owners-secret");
    app.required_scopes = vec!["crm.objects.owners.read".into()];
    let sandbox = oauth_sandbox(OAuthConfig {
        apps: vec![app],
        auto_approve: true,
        ..OAuthConfig::default()
    })
    .await;
    let authorize = format!(
        "{}/oauth/authorize?client_id=owners-only&scope=crm.objects.owners.read&redirect_uri={}",
        sandbox.base_url(),
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    );
    let redirect = get_as(&no_redirect_client(), &authorize, None).await;
    let code = query_value(&location_query(&redirect), "code").unwrap();
    let fields = [
        ("grant_type", "authorization_code"),
        ("client_id", "owners-only"),
        ("client_secret", "owners-secret"),
        ("redirect_uri", REDIRECT),
        ("code", code.as_str()),
    ];
    let url = format!("{}{V3_TOKEN}", sandbox.base_url());
    let tokens = post_form(&client(), &url, &fields).await;
    let access = tokens.body["access_token"].as_str().unwrap();

    let rows = format!("{}{HUBDB}/tables/events/rows", sandbox.base_url());
    let reply = get_as(&client(), &rows, Some(access)).await;
    assert_error(&reply, 403, "MISSING_SCOPES");
    let required = &reply.body["errors"][0]["context"]["requiredScopes"];
    assert_eq!(required, &json!(["hubdb", "hubdb.rows.read"]));
    let owners = format!("{}/crm/v3/owners", sandbox.base_url());
    assert_eq!(get_as(&client(), &owners, Some(access)).await.status, 200);
}

#[tokio::test]
async fn the_request_log_never_shows_codes_tokens_or_secrets() {
    let sandbox = oauth_sandbox(auto_approve()).await;
    let code = auto_approved_code(&sandbox, "hubdb", "").await;
    let tokens = exchange(&sandbox, V1_TOKEN, &code).await;
    let access = tokens.body["access_token"].as_str().unwrap();
    let refresh_token = tokens.body["refresh_token"].as_str().unwrap();
    let base = sandbox.base_url();
    let url = format!(
        "{base}{V1_TOKEN}?client_secret={DEMO_CLIENT_SECRET}&refresh_token={refresh_token}"
    );
    let fields = [
        ("grant_type", "refresh_token"),
        ("client_id", DEMO_CLIENT_ID),
    ];
    assert_eq!(post_form(&client(), &url, &fields).await.status, 200);
    get_as(
        &client(),
        &format!("{base}/oauth/v1/access-tokens/{access}"),
        None,
    )
    .await;
    get_as(
        &client(),
        &format!("{base}/oauth/v1/refresh-tokens/{refresh_token}"),
        None,
    )
    .await;
    tables_with(&sandbox, access).await;

    let log = get_as(&client(), &format!("{base}/__sandbox/requests"), None).await;
    let text = log.body.to_string();
    for secret in [code.as_str(), access, refresh_token, DEMO_CLIENT_SECRET] {
        assert!(!text.contains(secret), "the log shows a secret: {text}");
    }
    assert!(text.contains(&format!("\"/oauth/v1/access-tokens/{REDACTED}\"")));
    assert!(text.contains(&format!("[\"client_secret\",\"{REDACTED}\"]")));
    assert!(text.contains(&format!("[\"client_id\",\"{DEMO_CLIENT_ID}\"]")));
}
