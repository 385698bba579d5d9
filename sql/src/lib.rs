//! SQL front end of the HubDB ODBC driver: parses the driver's SQL dialect, plans it with
//! Apache DataFusion over HubDB tables, and streams results as Arrow record batches.
//!
//! Knows nothing of ODBC. Decisions baked in (DESIGN "SQL engine", "Catalog and schemas",
//! "Types"):
//! - catalog `HubDB`, schemas `Published` (views) and `Draft` (tables); names match
//!   case-insensitively;
//! - SQL types come from HubDB column types, never from the data;
//! - projection, filters, sort, limit and offset go into HubDB's row query where HubDB
//!   evaluates them the way SQL does, and everything sent is re-checked unless it is exact,
//!   so results never depend on what was pushed down; `WHERE Id = n` reads one row and
//!   `COUNT(*)` with exact filters reads HubDB's `total`;
//! - rows stream in order, a few pages fetched ahead once the total is known;
//! - table metadata is cached per process, shared by the engines of one credential;
//! - the account's CRM owners are the read-only view `HubDB.CRM.Owners` (`owners`), found
//!   unqualified too unless a HubDB table of that name exists.

mod catalog;
mod convert;
mod count;
mod dialect;
mod engine;
mod error;
mod functions;
mod layout;
mod leaf;
mod metadata;
mod names;
mod options;
mod owners;
mod params;
mod plan;
mod procedures;
mod pushdown;
mod scan;
mod source;
mod system_tables;
mod types;
mod typing;

#[cfg(test)]
mod dialect_tests;
#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod owners_tests;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod testing;

/// The Arrow the engine produces; the driver uses this one, never a second version.
pub use datafusion::arrow;

pub use count::HubDbCountExec;
pub use engine::{
    CatalogTable, Engine, EngineOptions, ForeignKey, Prepared, ResultColumn, ResultSet, TableKind,
};
pub use error::{SqlError, SqlErrorKind};
pub use functions::{
    CONVERT_TARGETS, FunctionGroup, SCALAR_FUNCTIONS, TIMESTAMPADD_INTERVALS,
    TIMESTAMPDIFF_INTERVALS,
};
pub use options::{OperatorSet, PushdownOptions, SWITCH_NAMES};
pub use owners::OwnersExec;
pub use params::ParamValue;
pub use plan::{Evaluation, HubDbRead, PlannedPredicate, PlannedRequest};
pub use procedures::{ParameterDirection, Procedure, ProcedureParameter, procedures};
pub use scan::HubDbScanExec;
pub use source::HubDbSource;
pub use types::SqlType;
