//! OAuth for public apps (DESIGN "Auth", reference §12): the protocol and the desktop flow
//! (`flow`), the encrypted settings file (`store`), and [`OAuthCredential`], which gets the
//! first tokens the way `InitiateOAuth` says and keeps the access token fresh for the HTTP
//! layer.
//!
//! `InitiateOAuth` as in the reference product:
//! - `OFF`: the application passes `OAuthAccessToken`; it is used as it is, never renewed;
//! - `GETANDREFRESH`: tokens come from the settings file; with none there, from
//!   `OAuthVerifier` if set, else from the desktop flow (the browser opens); renewed when
//!   needed and saved back;
//! - `REFRESH`: as `GETANDREFRESH`, but never opens a browser: with no stored tokens, the
//!   verifier or `OAuthRefreshToken` must be given.
//!
//! Several processes may share one settings file (a Power BI gateway, a nightly job and an
//! Excel sheet): a renewal takes the file's lock, reads the file again (another process may
//! have renewed already, and HubSpot may have rotated the refresh token), renews only if the
//! stored token is still stale, and saves before releasing the lock, so no process ever
//! renews with a refresh token that another has replaced.

mod flow;
mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;

pub use flow::{OAuthApp, TokenResponse};
pub use store::{StoreLock, StoredTokens, TokenStore};

use crate::credential::Credential;
use crate::{Error, ErrorKind, Secret};

/// How the driver gets tokens (`InitiateOAuth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiate {
    Off,
    GetAndRefresh,
    Refresh,
}

impl Initiate {
    /// The property's value, in any case; `None` when it is not one of the three.
    pub fn parse(value: &str) -> Option<Initiate> {
        match value.trim().to_ascii_uppercase().as_str() {
            "OFF" => Some(Initiate::Off),
            "GETANDREFRESH" => Some(Initiate::GetAndRefresh),
            "REFRESH" => Some(Initiate::Refresh),
            _ => None,
        }
    }
}

/// Everything an OAuth connection is configured with.
#[derive(Clone, Debug)]
pub struct OAuthSettings {
    pub app: OAuthApp,
    pub initiate: Initiate,
    /// `OAuthSettingsLocation`; `None` is the per-user default for the app.
    pub settings_location: Option<PathBuf>,
    /// `OAuthVerifier`: the code of a consent given on another machine.
    pub verifier: Option<Secret>,
    /// `OAuthAccessToken`: used as it is with `InitiateOAuth=OFF`.
    pub access_token: Option<Secret>,
    /// `OAuthRefreshToken`: renews when the settings file holds nothing yet.
    pub refresh_token: Option<Secret>,
    /// How long the desktop flow waits for the user to approve in the browser.
    pub browser_timeout: Duration,
    /// A token this close to its expiry is renewed before it is sent.
    pub renew_margin: Duration,
    /// How long a renewal waits for another process that holds the settings file's lock.
    pub lock_timeout: Duration,
}

impl OAuthSettings {
    pub fn new(app: OAuthApp, initiate: Initiate) -> OAuthSettings {
        OAuthSettings {
            app,
            initiate,
            settings_location: None,
            verifier: None,
            access_token: None,
            refresh_token: None,
            browser_timeout: Duration::from_secs(300),
            renew_margin: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(30),
        }
    }

    /// The settings file's path.
    pub fn location(&self) -> PathBuf {
        self.settings_location
            .clone()
            .unwrap_or_else(|| TokenStore::default_location(&self.app.client_id))
    }
}

/// The tokens a credential holds in memory.
#[derive(Clone, Debug)]
struct Current {
    tokens: StoredTokens,
}

/// Access tokens of one OAuth grant, renewed before they expire.
pub struct OAuthCredential {
    settings: OAuthSettings,
    /// `None` with `InitiateOAuth=OFF`: nothing is read or written.
    store: Option<Arc<TokenStore>>,
    current: tokio::sync::Mutex<Option<Current>>,
    key: String,
}

impl OAuthCredential {
    /// Gets the first tokens as `InitiateOAuth` says, so a connection fails at connect time
    /// when it cannot authenticate. With `OFF` and no access token, the credential holds
    /// nothing: the OAuth procedures still run, and any HubDB call fails with `28000`.
    pub async fn connect(settings: OAuthSettings) -> Result<OAuthCredential, Error> {
        let location = settings.location();
        let key = format!(
            "oauth#{}#{:016x}",
            settings.app.client_id,
            digest(location.to_string_lossy().as_bytes())
        );
        if settings.initiate == Initiate::Off {
            let current = settings.access_token.clone().map(|access_token| Current {
                tokens: StoredTokens {
                    access_token,
                    refresh_token: None,
                    expires_at: u64::MAX,
                },
            });
            let key = match &settings.access_token {
                Some(token) => format!("oauth#{:016x}", digest(token.expose().as_bytes())),
                None => key,
            };
            return Ok(OAuthCredential {
                settings,
                store: None,
                current: tokio::sync::Mutex::new(current),
                key,
            });
        }
        let store = Arc::new(TokenStore::new(
            location,
            &settings.app.client_id,
            &settings.app.client_secret,
        ));
        let tokens = first_tokens(&settings, &store).await?;
        Ok(OAuthCredential {
            settings,
            store: Some(store),
            current: tokio::sync::Mutex::new(Some(Current { tokens })),
            key,
        })
    }

    pub fn settings(&self) -> &OAuthSettings {
        &self.settings
    }

    /// Renews the access token unless `stale` is no longer the current one; with `force`
    /// even when it has not expired yet (HubSpot said it has).
    async fn renew(&self, stale: Option<&Secret>, force: bool) -> Result<Secret, Error> {
        let mut current = self.current.lock().await;
        let Some(held) = current.as_ref() else {
            return Err(no_token());
        };
        if let Some(stale) = stale
            && held.tokens.access_token != *stale
        {
            // Another request of this process renewed meanwhile.
            return Ok(held.tokens.access_token.clone());
        }
        let Some(store) = &self.store else {
            return Err(Error::new(
                ErrorKind::Unauthorized,
                "the OAuth access token has expired and InitiateOAuth=OFF never renews it: \
                 pass a new OAuthAccessToken, or use InitiateOAuth=REFRESH",
            ));
        };
        let _lock = lock(store, self.settings.lock_timeout).await?;
        // Another process may have renewed (and rotated the refresh token) meanwhile.
        let mut tokens = held.tokens.clone();
        if let Some(stored) = store.load()? {
            if stored.access_token != tokens.access_token
                && !expires_soon(&stored, self.settings.renew_margin)
            {
                *current = Some(Current {
                    tokens: stored.clone(),
                });
                return Ok(stored.access_token);
            }
            tokens = stored;
        }
        if !force && !expires_soon(&tokens, self.settings.renew_margin) {
            *current = Some(Current {
                tokens: tokens.clone(),
            });
            return Ok(tokens.access_token);
        }
        let refresh_token = tokens.refresh_token.clone().ok_or_else(|| {
            Error::new(
                ErrorKind::Unauthorized,
                format!(
                    "the OAuth access token has expired and {} holds no refresh token: \
                     sign in again (InitiateOAuth=GETANDREFRESH) or set OAuthVerifier",
                    store.path().display()
                ),
            )
        })?;
        let answer = self
            .settings
            .app
            .refresh(&refresh_token)
            .await
            .map_err(|mut e| {
                // B40: say where the refused tokens are, so the right sign-in is repeated.
                if e.kind == ErrorKind::Unauthorized {
                    let file = store.path().display();
                    e.message
                        .push_str(&format!(" The refused tokens are stored in {file}."));
                }
                e
            })?;
        let renewed = stored_tokens(answer, Some(refresh_token));
        store.save(&renewed)?;
        let token = renewed.access_token.clone();
        *current = Some(Current { tokens: renewed });
        Ok(token)
    }
}

impl Credential for OAuthCredential {
    fn bearer(&self) -> BoxFuture<'_, Result<Secret, Error>> {
        Box::pin(async move {
            {
                let current = self.current.lock().await;
                match current.as_ref() {
                    None => return Err(no_token()),
                    Some(held) if !expires_soon(&held.tokens, self.settings.renew_margin) => {
                        return Ok(held.tokens.access_token.clone());
                    }
                    Some(_) => {}
                }
            }
            self.renew(None, false).await
        })
    }

    /// With `InitiateOAuth=OFF` nothing can be renewed: `renew` says so, naming what to do,
    /// in place of HubSpot's bare 401.
    fn expired<'a>(&'a self, stale: &'a Secret) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move { self.renew(Some(stale), true).await.map(|_| true) })
    }

    fn key(&self) -> String {
        self.key.clone()
    }
}

/// The tokens a connection starts with: the settings file's, else a verifier's exchange,
/// else `OAuthRefreshToken`'s renewal, else (GETANDREFRESH only) the desktop flow. New
/// tokens are saved before they are used.
async fn first_tokens(
    settings: &OAuthSettings,
    store: &Arc<TokenStore>,
) -> Result<StoredTokens, Error> {
    let _lock = lock(store, settings.lock_timeout).await?;
    if let Some(stored) = store.load()? {
        return Ok(stored);
    }
    let app = &settings.app;
    let answer = if let Some(code) = &settings.verifier {
        app.exchange_code(code, None).await?
    } else if let Some(refresh_token) = &settings.refresh_token {
        let answer = app.refresh(refresh_token).await?;
        let tokens = stored_tokens(answer, Some(refresh_token.clone()));
        store.save(&tokens)?;
        return Ok(tokens);
    } else if settings.initiate == Initiate::GetAndRefresh {
        app.authorize_in_browser(settings.browser_timeout).await?
    } else {
        return Err(Error::new(
            ErrorKind::Unauthorized,
            format!(
                "InitiateOAuth=REFRESH found no tokens in {}: copy that file from a machine \
                 where the sign-in was done, or set OAuthVerifier to the code of a consent",
                store.path().display()
            ),
        ));
    };
    let tokens = stored_tokens(answer, None);
    store.save(&tokens)?;
    Ok(tokens)
}

/// The settings file's lock, waited for on a blocking thread: another process may hold it
/// for the length of a renewal, and the runtime's threads serve other connections meanwhile.
async fn lock(store: &Arc<TokenStore>, timeout: Duration) -> Result<StoreLock, Error> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || store.lock(timeout))
        .await
        .map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("waiting for the settings file's lock failed: {e}"),
            )
        })?
}

/// What the token endpoint answered, as stored: HubSpot may leave the refresh token out of a
/// renewal's answer, in which case the one used stays valid (§12.2).
fn stored_tokens(answer: TokenResponse, used: Option<Secret>) -> StoredTokens {
    // HubSpot's access tokens live 30 minutes (§12.2) when the answer does not say.
    let lifetime = answer.expires_in.unwrap_or(1800);
    StoredTokens {
        access_token: answer.access_token,
        refresh_token: answer.refresh_token.or(used),
        expires_at: now_secs().saturating_add(lifetime),
    }
}

fn expires_soon(tokens: &StoredTokens, margin: Duration) -> bool {
    tokens.expires_at <= now_secs().saturating_add(margin.as_secs())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn no_token() -> Error {
    Error::new(
        ErrorKind::Unauthorized,
        "no OAuth access token: with InitiateOAuth=OFF pass OAuthAccessToken (the \
         GetOAuthAccessToken procedure gets one), or use InitiateOAuth=GETANDREFRESH",
    )
}

/// A stable 64-bit digest (FNV-1a): keys must not change between processes or releases,
/// which `DefaultHasher` does not promise.
fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
