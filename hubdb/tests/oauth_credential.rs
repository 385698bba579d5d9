//! The OAuth credential against the sandbox's OAuth server: the first tokens from a
//! verifier, from a copied settings file and from an access token alone; renewal before
//! expiry and on `EXPIRED_AUTHENTICATION` in the middle of a scan; two holders of one
//! settings file renewing at once with rotating refresh tokens; and the errors of a revoked
//! grant and a missing file.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use hubdb::oauth::{Initiate, OAuthApp, OAuthCredential, OAuthSettings, TokenStore};
use hubdb::{Client, ClientConfig, Credential, ErrorKind, RowQuery, ScanOptions, Secret, Version};
use hubdb_sandbox::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, RunningSandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CALLBACK: &str = "http://localhost:33333/callback";

async fn sandbox(configure: impl FnOnce(&mut SandboxConfig)) -> RunningSandbox {
    let mut config = SandboxConfig {
        rate_limit: 0,
        ..SandboxConfig::default()
    };
    config.oauth.auto_approve = true;
    configure(&mut config);
    hubdb_sandbox::start(config).await.expect("sandbox starts")
}

fn app(sandbox: &RunningSandbox) -> OAuthApp {
    OAuthApp {
        client_id: DEMO_CLIENT_ID.to_string(),
        client_secret: Secret::new(DEMO_CLIENT_SECRET),
        callback_url: CALLBACK.to_string(),
        scope: "hubdb".to_string(),
        optional_scope: "crm.objects.owners.read".to_string(),
        authorization_url: format!("{}/oauth/authorize", sandbox.base_url()),
        token_url: format!("{}/oauth/v3/token", sandbox.base_url()),
        timeout: Duration::from_secs(10),
        browser: None,
    }
}

/// A settings file path of its own for each test, removed first.
fn settings_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hubdb-oauth-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("settings.json")
}

/// The code an approved consent sends to the callback: the sandbox approves at once and
/// answers the authorize request with the redirect, whose `Location` carries the code.
async fn consent_code(sandbox: &RunningSandbox) -> String {
    let url = app(sandbox).authorization_url("test-state", None, None);
    let address = sandbox.base_url().trim_start_matches("http://").to_string();
    let path = &url[url.find(&address).expect("sandbox URL") + address.len()..];
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("the sandbox answers")
    .unwrap();
    let location = response
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no redirect: {response}"));
    let query = location.split_once('?').expect("redirect with a query").1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

fn settings(sandbox: &RunningSandbox, initiate: Initiate, file: &Path) -> OAuthSettings {
    let mut settings = OAuthSettings::new(app(sandbox), initiate);
    settings.settings_location = Some(file.to_path_buf());
    settings
}

fn client(sandbox: &RunningSandbox, credential: Arc<dyn Credential>) -> Client {
    let mut config = ClientConfig::new(sandbox.base_url(), Secret::default());
    config.credential = Some(credential);
    config.rate_budget = None;
    config.timeout = Duration::from_secs(20);
    Client::new(config).expect("client")
}

fn token_requests(sandbox: &RunningSandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/token"))
        .count()
}

#[tokio::test]
async fn a_verifier_fills_the_settings_file_and_later_connections_need_only_the_file() {
    let sandbox = sandbox(|_| {}).await;
    let file = settings_file("verifier");
    let mut first = settings(&sandbox, Initiate::Refresh, &file);
    first.verifier = Some(Secret::new(consent_code(&sandbox).await));
    let credential = Arc::new(OAuthCredential::connect(first).await.unwrap());
    let tables = client(&sandbox, credential)
        .list_tables(Version::Published)
        .await;
    assert!(!tables.unwrap().is_empty());
    assert!(file.exists());
    assert_eq!(token_requests(&sandbox), 1);

    // The code is single-use, but the file now holds the tokens.
    sandbox.clear_requests();
    let later = settings(&sandbox, Initiate::Refresh, &file);
    let credential = Arc::new(OAuthCredential::connect(later).await.unwrap());
    client(&sandbox, credential)
        .list_tables(Version::Published)
        .await
        .unwrap();
    assert_eq!(token_requests(&sandbox), 0);

    // Settings transfer: the file copied to another machine with the same app credentials.
    let copied = settings_file("copied");
    std::fs::create_dir_all(copied.parent().unwrap()).unwrap();
    std::fs::copy(&file, &copied).unwrap();
    let credential = Arc::new(
        OAuthCredential::connect(settings(&sandbox, Initiate::Refresh, &copied))
            .await
            .unwrap(),
    );
    client(&sandbox, credential)
        .list_tables(Version::Published)
        .await
        .unwrap();

    // No secret in the clear in the file.
    let bytes = std::fs::read_to_string(&file).unwrap();
    let store = TokenStore::new(
        file.clone(),
        DEMO_CLIENT_ID,
        &Secret::new(DEMO_CLIENT_SECRET),
    );
    let stored = store.load().unwrap().unwrap();
    assert!(!bytes.contains(stored.access_token.expose()));
    assert!(!bytes.contains(stored.refresh_token.unwrap().expose()));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn refresh_without_a_file_or_a_verifier_says_what_to_do() {
    let sandbox = sandbox(|_| {}).await;
    let file = settings_file("missing");
    let error = OAuthCredential::connect(settings(&sandbox, Initiate::Refresh, &file))
        .await
        .err()
        .expect("no tokens to start from");
    assert_eq!(error.kind, ErrorKind::Unauthorized);
    assert!(error.message.contains("OAuthVerifier"), "{}", error.message);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn off_uses_the_access_token_as_is_and_never_renews_it() {
    let sandbox = sandbox(|_| {}).await;
    let code = consent_code(&sandbox).await;
    let answer = app(&sandbox)
        .exchange_code(&Secret::new(code), None)
        .await
        .unwrap();
    let mut off = OAuthSettings::new(app(&sandbox), Initiate::Off);
    off.access_token = Some(answer.access_token.clone());
    let credential = Arc::new(OAuthCredential::connect(off).await.unwrap());
    let client = client(&sandbox, credential);
    client.list_tables(Version::Published).await.unwrap();
    sandbox.expire_oauth_tokens();
    let error = client.list_tables(Version::Draft).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unauthorized);
    assert!(!error.message.contains(answer.access_token.expose()));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_it_is_sent() {
    let sandbox = sandbox(|config| config.oauth.token_lifetime = Duration::from_secs(4)).await;
    let file = settings_file("ahead");
    let mut first = settings(&sandbox, Initiate::Refresh, &file);
    first.verifier = Some(Secret::new(consent_code(&sandbox).await));
    first.renew_margin = Duration::from_secs(2);
    let credential = Arc::new(OAuthCredential::connect(first).await.unwrap());
    let client = client(&sandbox, credential);
    client.list_tables(Version::Published).await.unwrap();
    assert_eq!(token_requests(&sandbox), 1);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    sandbox.clear_requests();
    client.list_tables(Version::Published).await.unwrap();
    let statuses: Vec<u16> = sandbox.requests().iter().map(|r| r.status).collect();
    assert_eq!(token_requests(&sandbox), 1, "{:?}", sandbox.requests());
    assert!(
        !statuses.contains(&401),
        "renewed before, not after: {statuses:?}"
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_scan_that_outlives_its_token_delivers_every_row_once() {
    let sandbox = sandbox(|_| {}).await;
    let file = settings_file("midscan");
    let mut first = settings(&sandbox, Initiate::Refresh, &file);
    first.verifier = Some(Secret::new(consent_code(&sandbox).await));
    let credential = Arc::new(OAuthCredential::connect(first).await.unwrap());
    let client = client(&sandbox, credential);
    let options = ScanOptions {
        pages_in_flight: 1,
        max_rows: None,
    };
    let mut pages = client.scan_rows(
        "price_list",
        Version::Published,
        RowQuery::default(),
        options,
    );
    let mut ids = Vec::new();
    let mut page_count = 0;
    while let Some(page) = pages.try_next().await.unwrap() {
        page_count += 1;
        ids.extend(page.rows.iter().map(|r| r.id));
        if page_count == 3 {
            // The token expires between two pages, as a 30-minute token does in a long read.
            sandbox.expire_oauth_tokens();
        }
        assert!(page_count <= 20, "the scan does not end");
    }
    assert_eq!(ids.len(), 10_000);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 10_000);
    let expired: Vec<_> = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.status == 401)
        .collect();
    assert_eq!(expired.len(), 1, "one 401, then renewed: {expired:?}");
    assert_eq!(token_requests(&sandbox), 2);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn holders_of_one_settings_file_renew_without_losing_a_rotated_refresh_token() {
    let sandbox = sandbox(|config| config.oauth.rotate_refresh_tokens = true).await;
    let file = settings_file("shared");
    let mut first = settings(&sandbox, Initiate::Refresh, &file);
    first.verifier = Some(Secret::new(consent_code(&sandbox).await));
    let one = Arc::new(OAuthCredential::connect(first).await.unwrap());
    let two = Arc::new(
        OAuthCredential::connect(settings(&sandbox, Initiate::Refresh, &file))
            .await
            .unwrap(),
    );
    let (a, b) = (client(&sandbox, one), client(&sandbox, two));
    for round in 0..3 {
        sandbox.expire_oauth_tokens();
        let (x, y) = tokio::join!(
            a.list_tables(Version::Published),
            b.list_tables(Version::Published)
        );
        x.unwrap_or_else(|e| panic!("round {round}: {e}"));
        y.unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
    // The file still holds a refresh token HubSpot accepts.
    let third = Arc::new(
        OAuthCredential::connect(settings(&sandbox, Initiate::Refresh, &file))
            .await
            .unwrap(),
    );
    sandbox.expire_oauth_tokens();
    client(&sandbox, third)
        .list_tables(Version::Published)
        .await
        .unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_revoked_grant_is_an_authorization_error_and_the_file_is_kept() {
    let sandbox = sandbox(|_| {}).await;
    let file = settings_file("revoked");
    let mut first = settings(&sandbox, Initiate::Refresh, &file);
    first.verifier = Some(Secret::new(consent_code(&sandbox).await));
    let credential = Arc::new(OAuthCredential::connect(first).await.unwrap());
    let client = client(&sandbox, credential);
    let before = std::fs::read(&file).unwrap();
    sandbox.revoke_oauth_grants();
    sandbox.expire_oauth_tokens();
    let error = client.list_tables(Version::Published).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unauthorized, "{error}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
    sandbox.shutdown().await;
}
