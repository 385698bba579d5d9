//! HubSpot HubDB v3 REST client.
//!
//! Knows nothing of SQL or ODBC. Decisions baked in (see `reference/hubdb-api.md`):
//! - rows are paged by following `paging.next.after` as an opaque string (URL-encoded when sent
//!   back, never parsed), else `paging.next.offset`, else the scan stops (§4.8);
//! - every response field is optional; unknown fields are ignored (§4);
//! - 429 is retried after `Retry-After`, or HubSpot's documented back-off (§11.3);
//! - secrets live in [`Secret`], which prints redacted.

mod model;
mod secret;

pub use model::*;
pub use secret::Secret;
