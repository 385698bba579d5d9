//! Errors of the SQL stage, each with the kind the driver maps to a SQLSTATE.
//!
//! DataFusion reports failures of its own stages and carries ours (HubDB errors, cell shape
//! errors) inside `DataFusionError::External`; [`SqlError::from`] digs them back out so
//! the driver sees a HubDB 401 as a HubDB 401, not as "external error".
//!
//! Decisions baked in:
//! - the kind comes from DataFusion's and Arrow's error variants first; only where a variant
//!   carries a bare string (`Plan`, Arrow's `CastError`, `ParseError`, ...) does its text
//!   decide, and every such match is a row of [`TEXT_RULES`] naming the message it matches;
//! - messages keep what DataFusion says about the statement and drop what it says to its own
//!   developers: the "filing a bug report" hint, the `Error during planning:` style prefixes,
//!   optimizer-rule context and backtraces ([`clean`]).

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
    /// The statement parses but cannot be planned: an unknown function, operands whose types
    /// do not fit, a negative `LIMIT`, a column missing from `GROUP BY`.
    InvalidStatement,
    /// A table the statement names does not exist (in that schema).
    TableNotFound,
    /// A column the statement names does not exist.
    ColumnNotFound,
    /// Valid SQL the engine does not support (yet).
    Unsupported,
    /// Parameter values that do not fit the statement's markers.
    InvalidParameter,
    /// A character value that is not a literal of the type it is cast to: `CAST('abc' AS INT)`.
    InvalidCast,
    /// A string that is not a valid date, time or timestamp: `{d '2024-13-01'}`.
    InvalidDatetime,
    /// A computed date, time or timestamp outside the range its type can hold.
    DatetimeOverflow,
    /// A number outside the range of its type, in a cast or in checked arithmetic.
    NumericOutOfRange,
    /// An integer or decimal divided by zero (floating point gives infinity instead).
    DivisionByZero,
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

impl From<ArrowError> for SqlError {
    fn from(error: ArrowError) -> Self {
        from_arrow(&error)
    }
}

/// Maps an error of any DataFusion stage, looking through its wrappers.
fn from_datafusion(error: &DataFusionError) -> SqlError {
    match error {
        // The context is the optimizer rule that failed: about DataFusion, not the statement.
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            from_datafusion(inner)
        }
        DataFusionError::Shared(inner) => from_datafusion(inner),
        DataFusionError::Collection(errors) if !errors.is_empty() => from_datafusion(&errors[0]),
        DataFusionError::External(inner) => from_external(inner.as_ref()),
        DataFusionError::ArrowError(inner, _) => from_arrow(inner),
        DataFusionError::SQL(inner, _) => SqlError::from(inner.as_ref().clone()),
        DataFusionError::SchemaError(inner, _) => from_schema_error(inner),
        // SQL in the statement that DataFusion does not implement (a recursive CTE, an
        // unsupported SQL type). The driver answers it with 42000 like any other unsupported
        // SQL: HYC00 is for optional ODBC features (attributes, conversions, functions), while
        // 42000 is what SQLExecDirect and SQLPrepare raise for a statement that cannot be
        // prepared (ODBC appendix A; reference/odbc.md §1.14).
        DataFusionError::NotImplemented(message) => {
            SqlError::unsupported(format!("not supported: {}", clean(message)))
        }
        // DataFusion's own words: "the user provides a bad query or plan".
        DataFusionError::Plan(message) => {
            from_text(Said::Plan, message, SqlErrorKind::InvalidStatement)
        }
        other => SqlError::internal(clean(&other.message())),
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
    if let Some(inner) = error.downcast_ref::<ArrowError>() {
        return from_arrow(inner);
    }
    if let Some(shape) = error.downcast_ref::<ShapeError>() {
        return SqlError::internal(format!("unexpected HubDB value: {shape}"));
    }
    SqlError::internal(clean(&error.to_string()))
}

/// Arrow's failures while computing values. The messages used are the variants' own text,
/// without Arrow's `Cast error:` style prefix.
fn from_arrow(error: &ArrowError) -> SqlError {
    use SqlErrorKind as K;
    match error {
        ArrowError::ExternalError(inner) => from_external(inner.as_ref()),
        ArrowError::DivideByZero => SqlError::new(K::DivisionByZero, "division by zero"),
        ArrowError::ArithmeticOverflow(message) => {
            SqlError::new(K::NumericOutOfRange, clean(message))
        }
        ArrowError::NotYetImplemented(message) => {
            SqlError::unsupported(format!("not supported: {}", clean(message)))
        }
        // A cast or parse that fails is a value that does not fit its target type.
        ArrowError::CastError(message) => from_text(Said::Cast, message, K::InvalidCast),
        ArrowError::ParseError(message) => from_text(Said::Parse, message, K::InvalidCast),
        ArrowError::ComputeError(message) => from_text(Said::Compute, message, K::Internal),
        ArrowError::InvalidArgumentError(message) => {
            from_text(Said::InvalidArgument, message, K::Internal)
        }
        other => SqlError::internal(clean(&other.to_string())),
    }
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
        // Duplicate names in a projection or a join: the statement's doing.
        other => SqlError::new(SqlErrorKind::InvalidStatement, clean(&other.to_string())),
    }
}

/// Which error variant carried a bare message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Said {
    /// `DataFusionError::Plan`.
    Plan,
    /// `ArrowError::CastError`.
    Cast,
    /// `ArrowError::ParseError`.
    Parse,
    /// `ArrowError::ComputeError`.
    Compute,
    /// `ArrowError::InvalidArgumentError`.
    InvalidArgument,
}

/// One message text that decides the kind: the variant that carried it and words that all
/// occur in it.
struct TextRule {
    said: Said,
    words: &'static [&'static str],
    kind: SqlErrorKind,
}

/// The one table of text matches, for variants that carry only a string; the first matching
/// row wins, no row means the variant's default kind. Each row names the message it matches,
/// in DataFusion 55 and Arrow 59 (a unit test rebuilds each one). Kept one row per line.
#[rustfmt::skip]
const TEXT_RULES: &[TextRule] = {
    use Said::*;
    use SqlErrorKind as K;
    &[
        // datafusion `SessionState::resolve_table_ref`: "table '{name}' not found".
        rule(Plan, &["table '", "' not found"], K::TableNotFound),
        // datafusion-sql and datafusion-common `param_value.rs`: "Unknown placeholder: $3",
        // "No value found for placeholder with id $1", "Placeholder $2 refers to a non
        // existent column", ...
        rule(Plan, &["placeholder"], K::InvalidParameter),
        rule(Plan, &["Placeholder "], K::InvalidParameter),
        // arrow-cast `cast_string_to_*`: "Cannot cast string '2024-13-01' to value of Date32
        // type", and "... of Time64(ns) type" / "... of Timestamp(ns) type".
        rule(Cast, &["Cannot cast string '", "to value of Date"], K::InvalidDatetime),
        rule(Cast, &["Cannot cast string '", "to value of Time"], K::InvalidDatetime),
        // arrow-cast `string_to_datetime`: "Error parsing timestamp from '{s}': {reason}".
        rule(Parse, &["Error parsing timestamp from '"], K::InvalidDatetime),
        // arrow-cast `string_to_time_nanoseconds`: "Failed to parse '{s}' as time".
        rule(Parse, &["Failed to parse '", "' as time"], K::InvalidDatetime),
        // datafusion-functions `to_date` on a string that is no date: "Unable to cast to
        // Date32 for converting from i64 to i32 failed".
        rule(Parse, &["Unable to cast to Date32"], K::InvalidDatetime),
        // arrow-cast, a timestamp past the nanosecond range: "Overflow converting {naive} to
        // Nanosecond. The dates that can be represented as nanoseconds have to be ...".
        rule(Cast, &["Overflow converting "], K::DatetimeOverflow),
        // arrow-arith, timestamp plus interval past the range: "Timestamp out of range".
        rule(Compute, &["Timestamp out of range"], K::DatetimeOverflow),
        // arrow-cast numeric casts: "Can't cast value 70000 to type Int16".
        rule(Cast, &["Can't cast value "], K::NumericOutOfRange),
        // arrow-cast decimal casts: "Cannot cast to Decimal128(5, 2). Overflowing on 1e9",
        // "value of 1e40 is out of range Int64", "... Value overflows for output scale",
        // "... The scale 40 causes overflow.".
        rule(Cast, &["Overflowing on "], K::NumericOutOfRange),
        rule(Cast, &[" is out of range "], K::NumericOutOfRange),
        rule(Cast, &["overflow"], K::NumericOutOfRange),
        // arrow-cast `parse_decimal`: "parse decimal overflow (1e99)".
        rule(Parse, &["parse decimal overflow"], K::NumericOutOfRange),
        // arrow-array decimal precision check: "1234.5 is too large to store in a Decimal128
        // of precision 3. Max is 99.9" (and "is too small ... Min is ...").
        rule(InvalidArgument, &[" to store in a Decimal"], K::NumericOutOfRange),
        // datafusion-functions `abs`: "Int64Array overflow on abs(-9223372036854775808)".
        rule(Compute, &[" overflow on "], K::NumericOutOfRange),
    ]
};

const fn rule(said: Said, words: &'static [&'static str], kind: SqlErrorKind) -> TextRule {
    TextRule { said, words, kind }
}

/// The kind [`TEXT_RULES`] gives the message, else `default`; the message cleaned.
fn from_text(said: Said, message: &str, default: SqlErrorKind) -> SqlError {
    let kind = TEXT_RULES
        .iter()
        .find(|rule| rule.said == said && rule.words.iter().all(|w| message.contains(w)))
        .map_or(default, |rule| rule.kind.clone());
    SqlError::new(kind, clean(message))
}

/// The hint DataFusion appends to its `Internal` errors (datafusion-common `error.rs`,
/// `DataFusionError::message`); it also shows up inside `Plan` errors that embed one.
const INTERNAL_ERROR_HINT: &str = "\nThis issue was likely caused by a bug in DataFusion's code. \
    Please help us to resolve this by filing a bug report in our issue tracker: \
    https://github.com/apache/datafusion/issues";

/// The prefixes DataFusion prints before each variant's message (`error_prefix`); they
/// reappear inside messages that embed other errors' text.
const DATAFUSION_PREFIXES: [&str; 7] = [
    "Internal error: ",
    "Error during planning: ",
    "Execution error: ",
    "Arrow error: ",
    "Schema error: ",
    "External error: ",
    "This feature is not implemented: ",
];

/// Where DataFusion's summary of a call no function signature accepts begins
/// (datafusion-expr `generate_signature_error_msg`); before it come one error per candidate
/// signature, which the summary's list of candidates says more briefly.
const SIGNATURE_SUMMARY: &str = "No function matches the given name and argument types";

/// DataFusion's message without what is addressed to DataFusion's developers, on one line.
fn clean(message: &str) -> String {
    let mut text = message
        .split(DataFusionError::BACK_TRACE_SEP)
        .next()
        .unwrap_or_default();
    if let Some(at) = text.find(SIGNATURE_SUMMARY) {
        text = &text[at..];
    }
    let mut text = text.replace(INTERNAL_ERROR_HINT, "");
    for prefix in DATAFUSION_PREFIXES {
        text = text.replace(prefix, "");
    }
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::common::Column;

    use crate::engine_tests::engine;

    /// The first error preparing, executing or fetching `sql` over the sample tables.
    async fn error_of(sql: &str) -> SqlError {
        let (engine, _) = engine();
        let prepared = match engine.prepare(sql).await {
            Ok(prepared) => prepared,
            Err(error) => return error,
        };
        let mut result = match engine.execute(&prepared, &[]).await {
            Ok(result) => result,
            Err(error) => return error,
        };
        while let Some(batch) = result.next_batch().await {
            if let Err(error) = batch {
                return error;
            }
        }
        panic!("{sql}: no error");
    }

    fn assert_kind(error: &SqlError, expected: SqlErrorKind, sql: &str) {
        assert_eq!(
            std::mem::discriminant(&error.kind),
            std::mem::discriminant(&expected),
            "{sql}: {error:?}"
        );
    }

    fn assert_no_datafusion_boilerplate(error: &SqlError) {
        for words in [
            "bug report",
            "DataFusion's code",
            "Error during planning",
            "\n",
        ] {
            assert!(
                !error.message.contains(words),
                "{words:?} in {:?}",
                error.message
            );
        }
    }

    #[tokio::test]
    async fn statements_that_cannot_be_planned_are_invalid_statements() {
        for sql in [
            "SELECT LEN(name) FROM products",
            "SELECT ISNULL(name) FROM products",
            "SELECT GETDATE()",
            "SELECT name + 'x' FROM products",
            "SELECT * FROM products LIMIT -1",
            "SELECT * FROM products LIMIT 'a'",
            "SELECT SUM(in_stock) FROM products",
            "SELECT name FROM products GROUP BY price",
        ] {
            let error = error_of(sql).await;
            assert_kind(&error, SqlErrorKind::InvalidStatement, sql);
            assert_no_datafusion_boilerplate(&error);
        }
    }

    #[tokio::test]
    async fn an_unknown_function_keeps_datafusions_suggestion() {
        let error = error_of("SELECT LEN(name) FROM products").await;
        assert_eq!(error.message, "Invalid function 'len'. Did you mean 'ln'?");
    }

    #[tokio::test]
    async fn a_signature_mismatch_says_which_call_and_which_candidates() {
        let error = error_of("SELECT SUM(in_stock) FROM products").await;
        assert!(
            error.message.starts_with(
                "No function matches the given name and argument types 'sum(Boolean)'."
            ),
            "{}",
            error.message
        );
        assert!(error.message.contains("sum(Int64)"), "{}", error.message);
    }

    #[tokio::test]
    async fn values_that_do_not_fit_their_type_have_their_own_kinds() {
        use SqlErrorKind as K;
        let cases = [
            ("SELECT CAST('abc' AS INT)", K::InvalidCast),
            ("SELECT CAST('abc' AS DOUBLE)", K::InvalidCast),
            ("SELECT CAST('abc' AS BOOLEAN)", K::InvalidCast),
            ("SELECT CAST(name AS INT) FROM products", K::InvalidCast),
            ("SELECT 1/0", K::DivisionByZero),
            ("SELECT 5 % 0", K::DivisionByZero),
            ("SELECT {d '2024-13-01'}", K::InvalidDatetime),
            ("SELECT {d '2024-02-30'}", K::InvalidDatetime),
            ("SELECT {t '25:00:00'}", K::InvalidDatetime),
            ("SELECT {ts '2024-01-01 25:00:00'}", K::InvalidDatetime),
            ("SELECT to_date('abc')", K::InvalidDatetime),
            (
                "SELECT TIMESTAMP '2300-01-01 00:00:00'",
                K::DatetimeOverflow,
            ),
            ("SELECT CAST(70000 AS SMALLINT)", K::NumericOutOfRange),
            ("SELECT CAST(1234.5 AS DECIMAL(3,1))", K::NumericOutOfRange),
            ("SELECT ABS(-9223372036854775808)", K::NumericOutOfRange),
        ];
        for (sql, kind) in cases {
            let error = error_of(sql).await;
            assert_kind(&error, kind, sql);
            assert_no_datafusion_boilerplate(&error);
        }
    }

    /// DataFusion's `+` on BIGINT wraps (arrow's `add_wrapping`), it does not report 22003;
    /// this pins that, so an upgrade that changes it is noticed.
    #[tokio::test]
    async fn bigint_addition_wraps_as_datafusion_does() {
        let (engine, _) = engine();
        let rows = crate::engine_tests::rows(&engine, "SELECT 9223372036854775807 + 1", &[]).await;
        assert_eq!(rows, [["-9223372036854775808"]]);
    }

    #[test]
    fn every_text_rule_matches_the_message_it_documents() {
        use SqlErrorKind as K;
        let plan = |m: &str| DataFusionError::Plan(m.into());
        let arrow = |e: ArrowError| DataFusionError::ArrowError(Box::new(e), None);
        let cases = [
            (plan("table 'HubDB.x.y' not found"), K::TableNotFound),
            (plan("Unknown placeholder: $3"), K::InvalidParameter),
            (
                plan("Cannot coerce arithmetic expression Utf8 + Utf8"),
                K::InvalidStatement,
            ),
            (
                arrow(ArrowError::CastError(
                    "Cannot cast string '2024-13-01' to value of Date32 type".into(),
                )),
                K::InvalidDatetime,
            ),
            (
                arrow(ArrowError::CastError(
                    "Cannot cast string '25:00' to value of Time64(ns) type".into(),
                )),
                K::InvalidDatetime,
            ),
            (
                arrow(ArrowError::CastError(
                    "Cannot cast string 'x' to value of Timestamp(ns) type".into(),
                )),
                K::InvalidDatetime,
            ),
            (
                arrow(ArrowError::CastError(
                    "Cannot cast string 'abc' to value of Int32 type".into(),
                )),
                K::InvalidCast,
            ),
            (
                arrow(ArrowError::ParseError(
                    "Error parsing timestamp from 'x': error parsing time".into(),
                )),
                K::InvalidDatetime,
            ),
            (
                arrow(ArrowError::ParseError(
                    "Failed to parse '25:00' as time".into(),
                )),
                K::InvalidDatetime,
            ),
            (
                arrow(ArrowError::ParseError(
                    "Unable to cast to Date32 for converting from i64 to i32 failed".into(),
                )),
                K::InvalidDatetime,
            ),
            (
                arrow(ArrowError::CastError(
                    "Overflow converting 2300-01-01 00:00:00 to Nanosecond.".into(),
                )),
                K::DatetimeOverflow,
            ),
            (
                arrow(ArrowError::ComputeError("Timestamp out of range".into())),
                K::DatetimeOverflow,
            ),
            (
                arrow(ArrowError::CastError(
                    "Can't cast value 70000 to type Int16".into(),
                )),
                K::NumericOutOfRange,
            ),
            (
                arrow(ArrowError::CastError(
                    "Cannot cast to Decimal128(5, 2). Overflowing on 1e9".into(),
                )),
                K::NumericOutOfRange,
            ),
            (
                arrow(ArrowError::CastError(
                    "value of 1e40 is out of range Int64".into(),
                )),
                K::NumericOutOfRange,
            ),
            (
                arrow(ArrowError::CastError(
                    "Cannot cast to Decimal128(5, 2). Value overflows for output scale".into(),
                )),
                K::NumericOutOfRange,
            ),
            (
                arrow(ArrowError::ParseError(
                    "parse decimal overflow (1e99)".into(),
                )),
                K::NumericOutOfRange,
            ),
            (
                arrow(ArrowError::InvalidArgumentError(
                    "1234.5 is too large to store in a Decimal128 of precision 3".into(),
                )),
                K::NumericOutOfRange,
            ),
            (
                arrow(ArrowError::ComputeError(
                    "Int64Array overflow on abs(-9223372036854775808)".into(),
                )),
                K::NumericOutOfRange,
            ),
        ];
        for (error, kind) in cases {
            let text = error.to_string();
            assert_kind(&SqlError::from(error), kind, &text);
        }
    }

    #[test]
    fn structured_variants_decide_without_text() {
        use SqlErrorKind as K;
        let arrow = |e: ArrowError| DataFusionError::ArrowError(Box::new(e), None);
        let cases = [
            (arrow(ArrowError::DivideByZero), K::DivisionByZero),
            (
                arrow(ArrowError::ArithmeticOverflow(
                    "Overflow happened on: 1 * 2".into(),
                )),
                K::NumericOutOfRange,
            ),
            (
                DataFusionError::NotImplemented("Recursive CTEs".into()),
                K::Unsupported,
            ),
            (
                DataFusionError::SchemaError(
                    Box::new(SchemaError::DuplicateUnqualifiedField { name: "a".into() }),
                    Box::new(None),
                ),
                K::InvalidStatement,
            ),
            (
                DataFusionError::Execution("stream ended".into()),
                K::Internal,
            ),
        ];
        for (error, kind) in cases {
            let text = error.to_string();
            assert_kind(&SqlError::from(error), kind, &text);
        }
    }

    #[test]
    fn not_implemented_is_unsupported_sql_named_as_such() {
        let error = SqlError::from(DataFusionError::NotImplemented("Recursive CTEs".into()));
        assert_eq!(error.message, "not supported: Recursive CTEs");
    }

    #[test]
    fn optimizer_context_is_looked_through() {
        let error = SqlError::from(DataFusionError::Context(
            "Optimizer rule 'eliminate_limit' failed".into(),
            Box::new(DataFusionError::Plan(
                "LIMIT must be >= 0, '-1' was provided".into(),
            )),
        ));
        assert!(matches!(error.kind, SqlErrorKind::InvalidStatement));
        assert_eq!(error.message, "LIMIT must be >= 0, '-1' was provided");
    }

    #[test]
    fn an_internal_error_loses_the_bug_report_hint_and_the_backtrace() {
        let error = SqlError::from(DataFusionError::Internal(format!(
            "Physical input schema should be the same{}stack frames",
            DataFusionError::BACK_TRACE_SEP
        )));
        assert!(matches!(error.kind, SqlErrorKind::Internal));
        assert_eq!(error.message, "Physical input schema should be the same");
    }

    #[test]
    fn embedded_prefixes_and_hints_are_removed() {
        let message = format!(
            "Internal error: Function 'f' failed, errors: Error during planning: no.{INTERNAL_ERROR_HINT}"
        );
        assert_eq!(clean(&message), "Function 'f' failed, errors: no.");
    }

    #[test]
    fn a_hubdb_error_inside_arrow_stays_a_hubdb_error() {
        let hubdb = hubdb::Error::new(hubdb::ErrorKind::Forbidden, "scope missing");
        let wrapped =
            DataFusionError::ArrowError(Box::new(ArrowError::ExternalError(Box::new(hubdb))), None);
        assert!(matches!(
            SqlError::from(wrapped).kind,
            SqlErrorKind::HubDb(_)
        ));
    }

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
