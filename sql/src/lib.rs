//! SQL front end of the HubDB ODBC driver: parses the driver's SQL dialect, plans it with
//! Apache DataFusion over HubDB tables, and streams results as Arrow record batches.
//!
//! Knows nothing of ODBC. Decisions baked in (DESIGN "SQL engine", "Catalog and schemas",
//! "Types"):
//! - catalog `HubDB`, schemas `Published` (views) and `Draft` (tables); names match
//!   case-insensitively;
//! - SQL types come from HubDB column types, never from the data;
//! - projection, filters, sort and limit go into HubDB's row query where HubDB evaluates
//!   them the way SQL does, and everything sent is re-checked unless it is exact, so
//!   results never depend on what was pushed down;
//! - rows stream one HubDB page at a time.

mod catalog;
mod convert;
mod dialect;
mod engine;
mod error;
mod layout;
mod metadata;
mod names;
mod params;
mod pushdown;
mod scan;
mod source;
mod types;

#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod testing;

/// The Arrow the engine produces; the driver uses this one, never a second version.
pub use datafusion::arrow;

pub use engine::{
    CatalogTable, Engine, EngineOptions, PlannedRequest, Prepared, ResultColumn, ResultSet,
    TableKind,
};
pub use error::{SqlError, SqlErrorKind};
pub use params::ParamValue;
pub use scan::{HubDbScanExec, PushdownOptions};
pub use source::HubDbSource;
pub use types::SqlType;
