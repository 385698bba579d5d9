//! Connection configuration in two stages (STYLE point 9).
//!
//! 1. Syntax: a connection string becomes key/value pairs (`k=v;`, values in `{...}` may hold
//!    `;` and `=`, `}}` inside braces is a literal `}`, the first occurrence of a key wins;
//!    reference/odbc.md §2.2).
//! 2. Meaning: pairs plus the DSN's stored keys become a typed [`Config`] with the defaults of
//!    DESIGN "Connection properties". Keys are case-insensitive; the connection string wins
//!    over the DSN; unknown keys become `01S00` warnings, never failures.

use std::path::PathBuf;
use std::time::Duration;

use hubdb::Secret;

/// Default HubSpot API root (DESIGN "Connection properties").
pub const DEFAULT_API_BASE_URL: &str = "https://api.hubapi.com";
/// Default per-request timeout in seconds (DESIGN "Connection properties").
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// Property names the driver reads, as the reference product spells them. OAuth names are
/// accepted now so DSNs written for the OAuth release do not warn.
pub const PROPERTIES: &[&str] = &[
    "AuthScheme",
    "PrivateAppToken",
    "APIBaseURL",
    "Timeout",
    "Logfile",
    "Verbosity",
    "Readonly",
    "OAuthClientId",
    "OAuthClientSecret",
    "CallbackURL",
    "InitiateOAuth",
    "OAuthSettingsLocation",
    "OAuthVerifier",
    "OAuthAccessToken",
    "OAuthRefreshToken",
    "Scope",
    "OptionalScope",
    "OAuthAuthorizationURL",
    "OAuthAccessTokenURL",
    "DisablePushdown",
    "MetadataCacheTTL",
    "PagesInFlight",
    "OAuthBrowserTimeout",
];

/// Keys the driver manager or ODBC itself defines; accepted without a warning.
const ODBC_KEYS: &[&str] = &[
    "DSN",
    "Driver",
    "FileDSN",
    "SaveFile",
    "UID",
    "PWD",
    "Description",
];

/// How the driver authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthScheme {
    PrivateApp,
    OAuth,
}

/// Key/value pairs of a connection string, in order, first occurrence of each key only.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// Value of `key`, matched case-insensitively.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Adds a pair unless the key is already present (first occurrence wins).
    pub fn insert(&mut self, key: &str, value: &str) {
        if self.get(key).is_none() {
            self.0.push((key.to_string(), value.to_string()));
        }
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

/// Splits a connection string into pairs (stage 1: syntax only).
pub fn parse_connection_string(input: &str) -> Pairs {
    let mut pairs = Pairs::default();
    let mut rest = input;
    while !rest.is_empty() {
        let (segment_key, after_key) = match rest.split_once('=') {
            Some(split) => split,
            None => break,
        };
        let (value, remaining) = read_value(after_key);
        let key = segment_key.trim().trim_start_matches(';').trim();
        if !key.is_empty() {
            pairs.insert(key, &value);
        }
        rest = remaining;
    }
    pairs
}

/// Reads one value (braced or plain) and returns it with the text after its `;`.
fn read_value(text: &str) -> (String, &str) {
    let trimmed = text.trim_start();
    if let Some(inner) = trimmed.strip_prefix('{') {
        return read_braced(inner);
    }
    match text.split_once(';') {
        Some((value, rest)) => (value.trim().to_string(), rest),
        None => (text.trim().to_string(), ""),
    }
}

/// Reads a braced value: up to the first `}` not doubled; `}}` stands for `}`.
fn read_braced(inner: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = inner.char_indices().peekable();
    while let Some((index, ch)) = chars.next() {
        if ch != '}' {
            value.push(ch);
            continue;
        }
        if matches!(chars.peek(), Some((_, '}'))) {
            chars.next();
            value.push('}');
            continue;
        }
        let after = &inner[index + 1..];
        let rest = after.split_once(';').map_or("", |(_, rest)| rest);
        return (value, rest);
    }
    (value, "")
}

/// The typed configuration of one connection.
#[derive(Debug, Clone)]
pub struct Config {
    pub dsn: Option<String>,
    pub auth_scheme: AuthScheme,
    pub token: Option<Secret>,
    pub api_base_url: String,
    pub timeout: Duration,
    pub logfile: Option<PathBuf>,
    pub verbosity: u8,
    pub readonly: bool,
    /// What the engine sends to HubDB, how long it keeps table metadata, how many pages of a
    /// scan it asks for at once (`DisablePushdown`, `MetadataCacheTTL`, `PagesInFlight`).
    pub engine: hubdb_sql::EngineOptions,
    /// With `AuthScheme=OAuth`: the app, `InitiateOAuth` and the token properties.
    pub oauth: Option<hubdb::oauth::OAuthSettings>,
    /// `01S00` warnings: unknown keys and values that fell back to defaults.
    pub warnings: Vec<String>,
}

/// Builds the configuration (stage 2). `dsn_value` reads one key of the named DSN (None when
/// the key or the DSN is absent); it is not consulted when the string names a `DRIVER` and no
/// `DSN` (reference/odbc.md §2.2, driver guidelines).
pub fn resolve(pairs: &Pairs, dsn_value: &dyn Fn(&str, &str) -> Option<String>) -> Config {
    let dsn = pairs.get("DSN").map(str::to_string);
    let lookup = |key: &str| -> Option<String> {
        if let Some(value) = pairs.get(key) {
            return Some(value.to_string());
        }
        dsn.as_deref().and_then(|name| dsn_value(name, key))
    };
    let mut warnings = unknown_key_warnings(pairs);
    let auth_scheme = auth_scheme(lookup("AuthScheme"), &mut warnings);
    let api_base_url = lookup("APIBaseURL")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_API_BASE_URL.to_string());
    let timeout = timeout(lookup("Timeout"), &mut warnings);
    let oauth = (auth_scheme == AuthScheme::OAuth)
        .then(|| oauth_settings(&lookup, &api_base_url, timeout, &mut warnings));
    let config = Config {
        auth_scheme,
        token: token(lookup("PWD"), lookup("PrivateAppToken")),
        api_base_url,
        timeout,
        oauth,
        logfile: lookup("Logfile")
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from),
        verbosity: lookup("Verbosity")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1),
        readonly: lookup("Readonly").is_some_and(|v| is_true(&v)),
        engine: engine_options(
            lookup("DisablePushdown"),
            lookup("MetadataCacheTTL"),
            lookup("PagesInFlight"),
            &mut warnings,
        ),
        dsn,
        warnings: Vec::new(),
    };
    Config { warnings, ..config }
}

/// A non-empty PWD overrides PrivateAppToken (DESIGN "Connection properties").
fn token(pwd: Option<String>, private_app_token: Option<String>) -> Option<Secret> {
    pwd.filter(|v| !v.is_empty())
        .or(private_app_token)
        .filter(|v| !v.trim().is_empty())
        .map(|v| Secret::new(v.trim()))
}

fn auth_scheme(value: Option<String>, warnings: &mut Vec<String>) -> AuthScheme {
    match value.as_deref().map(str::trim) {
        None | Some("") => AuthScheme::PrivateApp,
        Some(v) if v.eq_ignore_ascii_case("PrivateApp") => AuthScheme::PrivateApp,
        Some(v) if v.eq_ignore_ascii_case("OAuth") => AuthScheme::OAuth,
        Some(v) => {
            warnings.push(format!(
                "AuthScheme '{v}' is not known; using PrivateApp (known: PrivateApp, OAuth)"
            ));
            AuthScheme::PrivateApp
        }
    }
}

/// HubSpot's consent page (reference §12.1).
pub const DEFAULT_AUTHORIZATION_URL: &str = "https://app.hubspot.com/oauth/authorize";
/// The reference product's example callback (DESIGN "Words").
pub const DEFAULT_CALLBACK_URL: &str = "http://localhost:33333";
/// How long the desktop flow waits for the user's approval in the browser.
const DEFAULT_BROWSER_TIMEOUT_SECS: u64 = 300;

/// The OAuth properties (DESIGN "Connection properties"). `InitiateOAuth` defaults to `OFF`,
/// as in the reference product; `Scope` to `hubdb`, `OptionalScope` to the owners scope the
/// `Owners` view needs; the token endpoint to HubSpot's v3 one under `APIBaseURL` (§12.2).
fn oauth_settings(
    lookup: &dyn Fn(&str) -> Option<String>,
    api_base_url: &str,
    timeout: Duration,
    warnings: &mut Vec<String>,
) -> hubdb::oauth::OAuthSettings {
    use hubdb::oauth::{Initiate, OAuthApp, OAuthSettings};
    let text = |key: &str| {
        lookup(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let secret = |key: &str| text(key).map(Secret::new);
    let initiate = match text("InitiateOAuth") {
        None => Initiate::Off,
        Some(value) => Initiate::parse(&value).unwrap_or_else(|| {
            warnings.push(format!(
                "InitiateOAuth '{value}' is not known; using OFF (known: OFF, GETANDREFRESH, REFRESH)"
            ));
            Initiate::Off
        }),
    };
    let app = OAuthApp {
        client_id: text("OAuthClientId").unwrap_or_default(),
        client_secret: secret("OAuthClientSecret").unwrap_or_default(),
        callback_url: text("CallbackURL").unwrap_or_else(|| DEFAULT_CALLBACK_URL.to_string()),
        scope: text("Scope").unwrap_or_else(|| "hubdb".to_string()),
        optional_scope: text("OptionalScope")
            .unwrap_or_else(|| "crm.objects.owners.read".to_string()),
        authorization_url: text("OAuthAuthorizationURL")
            .unwrap_or_else(|| DEFAULT_AUTHORIZATION_URL.to_string()),
        token_url: text("OAuthAccessTokenURL").unwrap_or_else(|| {
            format!(
                "{}/oauth/v3/token",
                api_base_url.trim().trim_end_matches('/')
            )
        }),
        timeout: if timeout.is_zero() {
            Duration::from_secs(DEFAULT_TIMEOUT_SECS)
        } else {
            timeout
        },
        // The BROWSER environment variable, else the platform's opener.
        browser: None,
    };
    let mut settings = OAuthSettings::new(app, initiate);
    settings.settings_location = text("OAuthSettingsLocation").map(PathBuf::from);
    settings.verifier = secret("OAuthVerifier");
    settings.access_token = secret("OAuthAccessToken");
    settings.refresh_token = secret("OAuthRefreshToken");
    settings.browser_timeout = Duration::from_secs(number(
        "OAuthBrowserTimeout",
        lookup("OAuthBrowserTimeout"),
        DEFAULT_BROWSER_TIMEOUT_SECS,
        1..=3600,
        warnings,
    ));
    settings
}

fn timeout(value: Option<String>, warnings: &mut Vec<String>) -> Duration {
    Duration::from_secs(number(
        "Timeout",
        value,
        DEFAULT_TIMEOUT_SECS,
        0..=u64::MAX,
        warnings,
    ))
}

/// Most pages of one scan in flight: ten pages of 1,000 rows hold HubDB's largest table
/// (reference §11.1), so more would never be used.
const MAX_PAGES_IN_FLIGHT: u64 = 10;

/// The engine's settings. `DisablePushdown` names what HubDB must not be asked to do (the
/// names of `hubdb_sql::SWITCH_NAMES`), in case the live service disagrees with the
/// reference; results never change, only where the work is done.
fn engine_options(
    disable: Option<String>,
    ttl: Option<String>,
    pages: Option<String>,
    warnings: &mut Vec<String>,
) -> hubdb_sql::EngineOptions {
    let defaults = hubdb_sql::EngineOptions::default();
    let mut pushdown = defaults.pushdown;
    let unknown = pushdown.disable_list(disable.as_deref().unwrap_or(""));
    if !unknown.is_empty() {
        warnings.push(format!(
            "DisablePushdown: '{}' not known and ignored (known: {})",
            unknown.join(","),
            hubdb_sql::SWITCH_NAMES.join(", ")
        ));
    }
    let ttl = number(
        "MetadataCacheTTL",
        ttl,
        defaults.metadata_ttl.as_secs(),
        0..=u64::MAX,
        warnings,
    );
    let pages = number(
        "PagesInFlight",
        pages,
        defaults.pages_in_flight as u64,
        1..=MAX_PAGES_IN_FLIGHT,
        warnings,
    );
    hubdb_sql::EngineOptions {
        metadata_ttl: Duration::from_secs(ttl),
        pushdown,
        pages_in_flight: pages as usize,
        oauth: None,
    }
}

/// A whole number property; empty means the default, anything else unusable warns and uses
/// the default, a number out of range warns and is clamped into it.
fn number(
    key: &str,
    value: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    warnings: &mut Vec<String>,
) -> u64 {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return default;
    };
    match value.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => n,
        Ok(n) => {
            let clamped = n.clamp(*range.start(), *range.end());
            warnings.push(format!(
                "{key} '{value}' is outside {}..={}; using {clamped}",
                range.start(),
                range.end()
            ));
            clamped
        }
        Err(_) => {
            warnings.push(format!(
                "{key} '{value}' is not a whole number; using {default}"
            ));
            default
        }
    }
}

fn unknown_key_warnings(pairs: &Pairs) -> Vec<String> {
    pairs
        .keys()
        .filter(|key| !is_known_key(key))
        .map(|key| format!("connection string attribute '{key}' is not known and was ignored"))
        .collect()
}

fn is_known_key(key: &str) -> bool {
    PROPERTIES
        .iter()
        .chain(ODBC_KEYS)
        .any(|known| known.eq_ignore_ascii_case(key))
}

/// ODBC-style booleans: true, yes, on, 1.
pub fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "yes" | "on" | "1" | "y"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_dsn(_: &str, _: &str) -> Option<String> {
        None
    }

    #[test]
    fn plain_pairs_with_spaces_and_trailing_semicolon() {
        let pairs = parse_connection_string(" DSN = HubDB ; Timeout=5;");
        assert_eq!(pairs.get("dsn"), Some("HubDB"));
        assert_eq!(pairs.get("TIMEOUT"), Some("5"));
    }

    #[test]
    fn braced_values_keep_semicolons_equals_and_doubled_braces() {
        let pairs = parse_connection_string("Driver={HubDB ODBC};Logfile={/tmp/a;b=c}};x};Y=1");
        assert_eq!(pairs.get("driver"), Some("HubDB ODBC"));
        assert_eq!(pairs.get("logfile"), Some("/tmp/a;b=c};x"));
        assert_eq!(pairs.get("y"), Some("1"));
    }

    #[test]
    fn first_occurrence_of_a_key_wins() {
        let pairs = parse_connection_string("Timeout=5;TIMEOUT=9");
        assert_eq!(pairs.get("timeout"), Some("5"));
    }

    #[test]
    fn defaults_apply_when_nothing_is_given() {
        let config = resolve(&parse_connection_string(""), &no_dsn);
        assert_eq!(config.api_base_url, DEFAULT_API_BASE_URL);
        assert_eq!(config.timeout, Duration::from_secs(60));
        assert_eq!(config.auth_scheme, AuthScheme::PrivateApp);
        assert!(config.token.is_none());
        assert!(!config.readonly);
    }

    #[test]
    fn connection_string_wins_over_dsn() {
        let dsn = |name: &str, key: &str| -> Option<String> {
            assert_eq!(name, "Demo");
            match key {
                "Timeout" => Some("30".into()),
                "PrivateAppToken" => Some("pat-from-dsn".into()),
                "APIBaseURL" => Some("http://127.0.0.1:1".into()),
                _ => None,
            }
        };
        let config = resolve(&parse_connection_string("DSN=Demo;timeout=7"), &dsn);
        assert_eq!(config.timeout, Duration::from_secs(7));
        assert_eq!(config.api_base_url, "http://127.0.0.1:1");
        assert_eq!(config.token.expect("token").expose(), "pat-from-dsn");
    }

    #[test]
    fn non_empty_pwd_overrides_private_app_token() {
        let pairs = parse_connection_string("PrivateAppToken=pat-a;PWD=pat-b");
        let config = resolve(&pairs, &no_dsn);
        assert_eq!(config.token.expect("token").expose(), "pat-b");
        let pairs = parse_connection_string("PrivateAppToken=pat-a;PWD=");
        let config = resolve(&pairs, &no_dsn);
        assert_eq!(config.token.expect("token").expose(), "pat-a");
    }

    #[test]
    fn unknown_keys_warn_and_known_oauth_keys_do_not() {
        let pairs = parse_connection_string("Colour=blue;OAuthClientId=x;UID=me;AuthScheme=oauth");
        let config = resolve(&pairs, &no_dsn);
        assert_eq!(config.warnings.len(), 1);
        assert!(config.warnings[0].contains("Colour"));
        assert_eq!(config.auth_scheme, AuthScheme::OAuth);
    }

    #[test]
    fn a_bad_timeout_falls_back_with_a_warning() {
        let config = resolve(&parse_connection_string("Timeout=soon"), &no_dsn);
        assert_eq!(config.timeout, Duration::from_secs(60));
        assert_eq!(config.warnings.len(), 1);
    }

    #[test]
    fn engine_settings_come_from_their_properties() {
        let config = resolve(
            &parse_connection_string(
                "DisablePushdown=like, count ,IdLookup;MetadataCacheTTL=300;PagesInFlight=1",
            ),
            &no_dsn,
        );
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        let engine = &config.engine;
        assert!(!engine.pushdown.count && !engine.pushdown.row_lookup);
        assert!(!engine.pushdown.allows(hubdb::FilterOp::IContains));
        assert!(engine.pushdown.allows(hubdb::FilterOp::Eq) && engine.pushdown.sort);
        assert_eq!(engine.metadata_ttl, Duration::from_secs(300));
        assert_eq!(engine.pages_in_flight, 1);

        let defaults = resolve(&parse_connection_string(""), &no_dsn).engine;
        assert_eq!(defaults.pushdown, hubdb_sql::PushdownOptions::default());
        assert_eq!(defaults.pages_in_flight, 5);
        assert_eq!(defaults.metadata_ttl, Duration::from_secs(60));
    }

    #[test]
    fn unusable_engine_settings_warn_and_fall_back() {
        let config = resolve(
            &parse_connection_string(
                "DisablePushdown=sort,telepathy;PagesInFlight=64;MetadataCacheTTL=-1",
            ),
            &no_dsn,
        );
        assert_eq!(config.warnings.len(), 3, "{:?}", config.warnings);
        assert!(config.warnings[0].contains("'telepathy' not known"));
        assert!(config.warnings[1].contains("using 60"));
        assert!(config.warnings[2].contains("using 10"));
        assert!(!config.engine.pushdown.sort);
        assert_eq!(config.engine.pages_in_flight, 10);
    }

    #[test]
    fn secrets_never_print() {
        let config = resolve(
            &parse_connection_string("PrivateAppToken=pat-secret"),
            &no_dsn,
        );
        assert!(!format!("{config:?}").contains("pat-secret"));
    }
}
