//! The stored-procedure registry: what `{call ...}` / `CALL` can run, and what
//! `sys_procedures` and `sys_procedureparameters` list.
//!
//! A procedure is registered once here, with its parameters; the system tables, SQLGetInfo's
//! answers and the call routing all read this one list, so a procedure added here appears
//! everywhere. The registry is empty in this version: every call fails with "does not exist".

use datafusion::sql::sqlparser::ast::Function;

use crate::error::SqlError;
use crate::types::SqlType;

/// How a procedure parameter passes its value (the ODBC `COLUMN_TYPE` of
/// SQLProcedureColumns: input 1, input/output 2, output 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParameterDirection {
    Input,
    InputOutput,
    Output,
}

/// One parameter of a registered procedure.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcedureParameter {
    pub name: &'static str,
    pub sql_type: SqlType,
    pub direction: ParameterDirection,
    pub required: bool,
    pub description: &'static str,
}

/// A procedure the driver provides.
#[derive(Clone, Debug, PartialEq)]
pub struct Procedure {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: &'static [ProcedureParameter],
}

/// Every procedure the driver provides, in the order the system tables list them.
pub fn procedures() -> &'static [Procedure] {
    &[]
}

/// The procedure a `CALL` names, ignoring case.
pub(crate) fn find(name: &str) -> Option<&'static Procedure> {
    procedures()
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Routes a `CALL` to its procedure. No procedure runs yet, so a registered one is refused
/// as unsupported and any other name does not exist.
pub(crate) fn route_call(call: &Function) -> Result<&'static Procedure, SqlError> {
    let name = call
        .name
        .0
        .last()
        .and_then(|part| part.as_ident())
        .map(|ident| ident.value.clone())
        .unwrap_or_else(|| call.name.to_string());
    match find(&name) {
        Some(procedure) => Err(SqlError::unsupported(format!(
            "procedure '{}' cannot be called in this version of the driver",
            procedure.name
        ))),
        None => Err(SqlError::unsupported(format!(
            "procedure '{name}' does not exist: sys_procedures lists the procedures"
        ))),
    }
}
