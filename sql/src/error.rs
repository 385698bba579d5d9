//! Errors of the SQL stage, each with the kind the driver maps to a SQLSTATE.
//!
//! DataFusion reports failures of its own stages and carries ours (HubDB errors, cell shape
//! errors) inside `DataFusionError::External`; [`SqlError::from`] digs them back out so
//! the driver sees a HubDB 401 as a HubDB 401, not as "external error".

use datafusion::arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::parser::ParserError;

use crate::convert::ShapeError;

/// What went wrong, by stage.
#[derive(Debug, Clone)]
pub enum SqlErrorKind {
    /// The statement does not parse.
    Syntax,
    /// A table the statement names does not exist (in that schema).
    TableNotFound,
    /// A column the statement names does not exist.
    ColumnNotFound,
    /// Valid SQL the engine does not support (yet).
    Unsupported,
    /// Parameter values that do not fit the statement's markers.
    InvalidParameter,
    /// A write to a read-only object (a `Published` view).
    ReadOnly,
    /// HubDB answered with an error, or could not be reached.
    HubDb(hubdb::Error),
    /// The statement was cancelled.
    Cancelled,
    /// A failure inside the engine, or data in a shape it cannot read.
    Internal,
}

/// An error of the SQL stage; `message` is for people and never holds a secret.
#[derive(Debug, Clone)]
pub struct SqlError {
    pub kind: SqlErrorKind,
    pub message: String,
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqlError {}

impl SqlError {
    pub fn new(kind: SqlErrorKind, message: impl Into<String>) -> SqlError {
        SqlError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn syntax(message: impl Into<String>) -> SqlError {
        Self::new(SqlErrorKind::Syntax, message)
    }

    pub(crate) fn table_not_found(message: impl Into<String>) -> SqlError {
        Self::new(SqlErrorKind::TableNotFound, message)
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> SqlError {
        Self::new(SqlErrorKind::Unsupported, message)
    }

    pub(crate) fn invalid_parameter(message: impl Into<String>) -> SqlError {
        Self::new(SqlErrorKind::InvalidParameter, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> SqlError {
        Self::new(SqlErrorKind::Internal, message)
    }
}

impl From<hubdb::Error> for SqlError {
    fn from(error: hubdb::Error) -> Self {
        SqlError {
            message: error.to_string(),
            kind: SqlErrorKind::HubDb(error),
        }
    }
}

impl From<ParserError> for SqlError {
    fn from(error: ParserError) -> Self {
        let message = match error {
            ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
            ParserError::RecursionLimitExceeded => "statement nested too deeply".to_string(),
        };
        SqlError::syntax(format!("syntax error: {message}"))
    }
}

impl From<DataFusionError> for SqlError {
    fn from(error: DataFusionError) -> Self {
        from_datafusion(&error)
    }
}

/// Maps an error of any DataFusion stage, looking through its wrappers.
fn from_datafusion(error: &DataFusionError) -> SqlError {
    match error {
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            from_datafusion(inner)
        }
        DataFusionError::Shared(inner) => from_datafusion(inner),
        DataFusionError::Collection(errors) if !errors.is_empty() => from_datafusion(&errors[0]),
        DataFusionError::External(inner) => from_external(inner.as_ref()),
        DataFusionError::ArrowError(inner, _) => match inner.as_ref() {
            ArrowError::ExternalError(inner) => from_external(inner.as_ref()),
            other => SqlError::internal(other.to_string()),
        },
        DataFusionError::SQL(inner, _) => SqlError::from(inner.as_ref().clone()),
        DataFusionError::SchemaError(inner, _) => from_schema_error(inner),
        DataFusionError::NotImplemented(message) => {
            SqlError::unsupported(format!("not supported: {message}"))
        }
        DataFusionError::Plan(message) => from_plan_message(message),
        other => SqlError::internal(other.message().to_string()),
    }
}

fn from_external(error: &(dyn std::error::Error + Send + Sync + 'static)) -> SqlError {
    if let Some(hubdb) = error.downcast_ref::<hubdb::Error>() {
        return SqlError::from(hubdb.clone());
    }
    if let Some(sql) = error.downcast_ref::<SqlError>() {
        return sql.clone();
    }
    if let Some(inner) = error.downcast_ref::<DataFusionError>() {
        return from_datafusion(inner);
    }
    if let Some(shape) = error.downcast_ref::<ShapeError>() {
        return SqlError::internal(format!("unexpected HubDB value: {shape}"));
    }
    SqlError::internal(error.to_string())
}

fn from_schema_error(error: &SchemaError) -> SqlError {
    match error {
        SchemaError::FieldNotFound { field, .. } => SqlError::new(
            SqlErrorKind::ColumnNotFound,
            format!("column '{}' does not exist", field.name),
        ),
        SchemaError::AmbiguousReference { field } => SqlError::new(
            SqlErrorKind::ColumnNotFound,
            format!("column reference '{}' is ambiguous", field.name),
        ),
        other => SqlError::internal(other.to_string()),
    }
}

fn from_plan_message(message: &str) -> SqlError {
    if message.contains("table") && message.contains("not found") {
        SqlError::table_not_found(message)
    } else if message.starts_with("Placeholder") || message.contains("placeholder") {
        SqlError::invalid_parameter(message)
    } else {
        SqlError::new(SqlErrorKind::Internal, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::common::Column;

    #[test]
    fn a_hubdb_error_inside_datafusion_stays_a_hubdb_error() {
        let hubdb = hubdb::Error::new(hubdb::ErrorKind::Unauthorized, "token rejected");
        let wrapped = DataFusionError::Context(
            "scan".into(),
            Box::new(DataFusionError::External(Box::new(hubdb))),
        );
        let error = SqlError::from(wrapped);
        assert!(matches!(
            error.kind,
            SqlErrorKind::HubDb(ref e) if e.kind == hubdb::ErrorKind::Unauthorized
        ));
    }

    #[test]
    fn an_unknown_field_is_a_column_not_found_with_the_name() {
        let schema_error = SchemaError::FieldNotFound {
            field: Box::new(Column::from_name("nope")),
            valid_fields: vec![],
        };
        let error = SqlError::from(DataFusionError::SchemaError(
            Box::new(schema_error),
            Box::new(None),
        ));
        assert!(matches!(error.kind, SqlErrorKind::ColumnNotFound));
        assert_eq!(error.message, "column 'nope' does not exist");
    }
}
