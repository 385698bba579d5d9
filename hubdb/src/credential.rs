//! Where the `Authorization: Bearer` token of each request comes from.
//!
//! A private app's token never changes; an OAuth access token lives 30 minutes (reference
//! §12.2) and is renewed from its refresh token. HubSpot says a 401 is no signal to refresh
//! (§10.3), so the OAuth credential renews before expiry, and once more when a request is
//! answered `EXPIRED_AUTHENTICATION` (a clock that runs behind, a token revoked early).

use futures::future::BoxFuture;

use crate::{Error, Secret};

/// A source of Bearer tokens for one account.
pub trait Credential: Send + Sync {
    /// The token for the next request, renewed first if it is about to expire.
    fn bearer(&self) -> BoxFuture<'_, Result<Secret, Error>>;

    /// HubSpot answered `EXPIRED_AUTHENTICATION` to a request sent with `stale`: renew it
    /// unless that already happened. `Ok(true)` when a request is worth sending again.
    fn expired<'a>(&'a self, stale: &'a Secret) -> BoxFuture<'a, Result<bool, Error>>;

    /// Names the account and app without any secret: clients with equal keys share the
    /// process-wide rate budget and the SQL engine's metadata. Stable across renewals.
    fn key(&self) -> String;
}

/// A private app's access token (reference §2.1): sent as it is, never renewed.
pub struct StaticToken(pub Secret);

impl Credential for StaticToken {
    fn bearer(&self) -> BoxFuture<'_, Result<Secret, Error>> {
        Box::pin(std::future::ready(Ok(self.0.clone())))
    }

    fn expired<'a>(&'a self, _stale: &'a Secret) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(std::future::ready(Ok(false)))
    }

    /// A digest of the token: it is the credential.
    fn key(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.0.expose().hash(&mut hasher);
        format!("token#{:016x}", hasher.finish())
    }
}
