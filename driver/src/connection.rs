//! Connecting and disconnecting: SQLDriverConnect, SQLConnect, SQLDisconnect.
//!
//! Decisions baked in (DESIGN "Connection properties", reference/odbc.md §2.2):
//! - the connection string wins over the DSN's stored keys; the DSN is read through the
//!   installer library (`platform.rs`);
//! - there is never a dialog: with missing credentials the connect fails whatever the
//!   completion mode (`28000`), so NOPROMPT, COMPLETE and PROMPT behave alike on every
//!   platform;
//! - connect verifies the token with one cheap request (the draft table list), so a bad
//!   token fails at connect time with `28000` and HubSpot's message, an unreachable API with
//!   `08001`;
//! - the output connection string is the input string unchanged (the spec's rule for
//!   complete input); it holds no secret the application did not pass itself.

use std::sync::Arc;
use std::time::Duration;

use hubdb::Secret;

use crate::config::{self, AuthScheme, Config, Pairs};
use crate::diag::Diagnostics;
use crate::error::{self, DriverError, DriverResult, Phase, SqlState};
use crate::handles::{Connection, Session, lock};
use crate::runtime::Limit;
use crate::{log as driver_log, platform, runtime};

/// SQLDriverConnect: connects with `input` and returns the output connection string.
pub fn driver_connect(
    conn: &Connection,
    input: &str,
    diag: &mut Diagnostics,
) -> DriverResult<String> {
    open(conn, &config::parse_connection_string(input), diag)?;
    Ok(input.to_string())
}

/// SQLConnect: DSN, user (ignored: a private app token identifies the account) and password
/// (a non-empty one overrides `PrivateAppToken`).
pub fn connect(
    conn: &Connection,
    dsn: &str,
    password: &str,
    diag: &mut Diagnostics,
) -> DriverResult<()> {
    let mut pairs = Pairs::default();
    pairs.insert("DSN", dsn);
    if !password.is_empty() {
        pairs.insert("PWD", password);
    }
    open(conn, &pairs, diag)
}

/// SQLDisconnect: drops the engine; statements of the connection must be freed by the
/// application or the driver manager first (the DM checks that, HY010 otherwise).
pub fn disconnect(conn: &Connection) -> DriverResult<()> {
    let mut state = lock(&conn.state);
    if state.session.take().is_none() {
        return Err(DriverError::new(
            SqlState::CONNECTION_NOT_OPEN,
            "the connection is not open",
        ));
    }
    log::info!("disconnected");
    Ok(())
}

fn open(conn: &Connection, pairs: &Pairs, diag: &mut Diagnostics) -> DriverResult<()> {
    if lock(&conn.state).session.is_some() {
        return Err(DriverError::new(
            SqlState::CONNECTION_IN_USE,
            "the connection is already open",
        ));
    }
    let config = config::resolve(pairs, &platform::dsn_value);
    start_log(&config, diag);
    for warning in &config.warnings {
        diag.push_warning(SqlState::INVALID_CONNECTION_STRING_ATTRIBUTE, warning);
    }
    let login_timeout = lock(&conn.state).attrs.login_timeout;
    let engine = open_engine(&config, login_timeout).map_err(|e| naming_the_dsn(e, &config))?;
    match &config.dsn {
        Some(dsn) => log::info!("connected to {} (DSN {dsn})", config.api_base_url),
        None => log::info!("connected to {} (no DSN)", config.api_base_url),
    }
    lock(&conn.state).session = Some(Session {
        engine: Arc::new(engine),
        config,
        alive: true,
    });
    Ok(())
}

/// A refused credential names the DSN that holds it: a scheduled refresh on a gateway runs
/// many DSNs, and the one to sign in again must be clear (bug case B40).
fn naming_the_dsn(mut error: DriverError, config: &Config) -> DriverError {
    if let Some(dsn) = config
        .dsn
        .as_ref()
        .filter(|_| error.state == SqlState::INVALID_AUTHORIZATION)
    {
        error.message.push_str(&format!(" (DSN '{dsn}')"));
    }
    error
}

fn start_log(config: &Config, diag: &mut Diagnostics) {
    let Some(path) = &config.logfile else {
        return;
    };
    if let Err(e) = driver_log::configure(path, config.verbosity) {
        let message = format!("the log file {} cannot be opened: {e}", path.display());
        diag.push_warning(SqlState::GENERAL_WARNING, message);
    }
}

/// Builds the client and the engine, and verifies the credentials with one request.
fn open_engine(config: &Config, login_timeout: u64) -> DriverResult<hubdb_sql::Engine> {
    let mut client_config = match (&config.auth_scheme, &config.oauth) {
        (AuthScheme::OAuth, Some(settings)) => {
            let credential = oauth_credential(settings)?;
            let mut client_config =
                hubdb::ClientConfig::new(config.api_base_url.clone(), Secret::default());
            client_config.credential = Some(credential);
            client_config
        }
        _ => {
            let token = config.token.clone().ok_or_else(|| {
                DriverError::new(
                    SqlState::INVALID_AUTHORIZATION,
                    "no PrivateAppToken: set it in the DSN or the connection string, or pass it as the password",
                )
            })?;
            hubdb::ClientConfig::new(config.api_base_url.clone(), token)
        }
    };
    if !config.timeout.is_zero() {
        client_config.timeout = config.timeout;
    }
    let client =
        hubdb::Client::new(client_config).map_err(|e| error::from_hubdb(&e, Phase::Connect))?;
    // A web application connects with InitiateOAuth=OFF and no token yet to call the OAuth
    // procedures; there is nothing to verify until it has one.
    let tokenless = config
        .oauth
        .as_ref()
        .is_some_and(|s| s.initiate == hubdb::oauth::Initiate::Off && s.access_token.is_none());
    if !tokenless {
        verify(&client, connect_timeout(config, login_timeout)).map_err(|mut error| {
            // HubSpot's 401 says only that the credentials were refused; with stored OAuth
            // tokens the way out is a new sign-in (the app was uninstalled, the grant revoked).
            if let Some(settings) = config.oauth.as_ref().filter(|s| {
                s.initiate != hubdb::oauth::Initiate::Off
                    && error.state == SqlState::INVALID_AUTHORIZATION
            }) {
                error.message.push_str(&format!(
                    "; the OAuth tokens stored in {} were refused: delete that file and \
                     connect with InitiateOAuth=GETANDREFRESH to sign in again, or set \
                     OAuthVerifier",
                    settings.location().display()
                ));
            }
            error
        })?;
    }
    let options = hubdb_sql::EngineOptions {
        oauth: config.oauth.clone(),
        ..config.engine.clone()
    };
    Ok(hubdb_sql::Engine::new(client, options))
}

/// The OAuth credential, with its first tokens: from the settings file, a verifier, a
/// refresh token or the browser, as `InitiateOAuth` says. The desktop flow has its own
/// timeout (`OAuthBrowserTimeout`) and the token requests theirs (`Timeout`).
fn oauth_credential(
    settings: &hubdb::oauth::OAuthSettings,
) -> DriverResult<Arc<dyn hubdb::Credential>> {
    use hubdb::oauth::Initiate;
    if settings.initiate != Initiate::Off
        && (settings.app.client_id.is_empty() || settings.app.client_secret.is_empty())
    {
        return Err(DriverError::new(
            SqlState::INVALID_AUTHORIZATION,
            "AuthScheme=OAuth needs OAuthClientId and OAuthClientSecret: the public app's \
             credentials from its Auth settings in HubSpot",
        ));
    }
    let credential = runtime::block_on(
        hubdb::oauth::OAuthCredential::connect(settings.clone()),
        None,
    )?
    .map_err(|e| error::from_hubdb(&e, Phase::Connect))?;
    Ok(Arc::new(credential))
}

/// `SQL_ATTR_LOGIN_TIMEOUT` when set, else the Timeout property (0 = none).
fn connect_timeout(config: &Config, login_timeout: u64) -> Option<Limit> {
    if login_timeout > 0 {
        return Some(Limit::query(Duration::from_secs(login_timeout)));
    }
    (!config.timeout.is_zero()).then_some(Limit::query(config.timeout))
}

fn verify(client: &hubdb::Client, timeout: Option<Limit>) -> DriverResult<()> {
    let tables = runtime::block_on(client.list_tables(hubdb::Version::Draft), timeout)?;
    tables.map_err(|e| error::from_hubdb(&e, Phase::Connect))?;
    Ok(())
}
