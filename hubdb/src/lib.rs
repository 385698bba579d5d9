//! HubSpot HubDB v3 REST client.
//!
//! Knows nothing of SQL or ODBC. Decisions baked in (see `reference/hubdb-api.md`):
//! - rows are paged by following `paging.next.after` as an opaque string (URL-encoded when sent
//!   back, never parsed), else `paging.next.offset`, else the scan stops (§4.8); a scan that
//!   knows the total from its first page asks for the other pages by `offset`, a few at a
//!   time, and hands them on in order;
//! - every response field is optional; unknown fields are ignored; ids may be strings or
//!   numbers; date-times become epoch milliseconds, UTC (§4);
//! - 429 is retried after `Retry-After`, or HubSpot's documented back-off (§11.3); reads also
//!   retry 5xx and dropped connections; all retries are bounded by `max_retries`;
//! - `RowQuery.properties == Some(vec![])` is sent as `properties=hs_id`: the row id comes at
//!   the row's top level anyway, so no own column is returned (§8.3);
//! - clients of one base URL and token share one process-wide request budget (B16);
//! - writes (row create/update/replace/delete, publish, reset) change the draft table and are
//!   retried only after a 429, which HubSpot sends before carrying a request out;
//! - TLS is rustls with the `ring` provider and the platform's trust store;
//! - secrets live in [`Secret`], which prints redacted; errors never carry one;
//! - the account's CRM owners (`GET /crm/v3/owners`) are listed by the same transport,
//!   active and archived owners apart, as the endpoint serves them (`owners`).

mod client;
mod config;
mod credential;
mod error;
mod http;
mod limiter;
mod model;
pub mod oauth;
mod owners;
mod paging;
mod query;
mod retry;
mod secret;
mod wire;
mod writes;

pub use client::{Client, count_query};
pub use config::{ClientConfig, DEFAULT_BASE_URL};
pub use credential::{Credential, StaticToken};
pub use error::{Error, ErrorKind};
pub use limiter::RateBudget;
pub use model::*;
pub use owners::{DEFAULT_OWNER_PAGE_SIZE, OWNERS_PATH, Owner, OwnerQuery, Team};
pub use paging::ScanOptions;
pub use query::MAX_PAGE_SIZE;
pub use secret::Secret;
