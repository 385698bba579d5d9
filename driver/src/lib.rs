//! HubDB ODBC driver: the ODBC 3.x C API over the `hubdb-sql` engine.
//!
//! Layout: `ffi/` holds every exported entry point (ANSI and wide), each a thin shell around
//! one guarded call (`guard.rs`); the handle types live in `handles.rs`, connection and
//! statement work in `connection.rs` and `statement.rs`; results are described by
//! `describe.rs`, read through `cursor.rs` and converted by `convert.rs`; catalog result sets
//! come from `catalog.rs`. Only `ffi/`, `guard.rs` and `platform.rs` touch raw pointers.

pub mod catalog;
pub mod config;
pub mod connection;
pub mod convert;
pub mod cursor;
pub mod describe;
pub mod diag;
pub mod error;
pub mod ffi;
pub mod guard;
pub mod handles;
pub mod info;
pub mod log;
pub mod platform;
pub mod runtime;
pub mod statement;
pub mod text;
