//! Driver errors and the one place where errors of the lower layers become SQLSTATEs.
//!
//! Decisions baked in (reference/odbc.md §1.14, DESIGN "Diagnostics"):
//! - messages carry the ODBC vendor/component prefix: `[HubDB ODBC][Driver]` for the driver's
//!   own errors, `[HubDB ODBC][HubSpot]` for errors HubSpot returned, followed by HubSpot's
//!   message and its correlation id;
//! - a network failure while connecting is `08001`, after connecting `08S01`;
//! - 401/403 are `28000` (Tableau relies on it, reference/odbc.md §1.5);
//! - HTTP 429 after retries has no standard SQLSTATE: it is `HY000` with HubSpot's message.

use std::fmt;

/// Prefix of every message about a problem the driver found itself.
pub const DRIVER_PREFIX: &str = "[HubDB ODBC][Driver]";
/// Prefix of every message that carries an error HubSpot returned.
pub const HUBSPOT_PREFIX: &str = "[HubDB ODBC][HubSpot]";

/// A five-character SQLSTATE (reference/odbc.md §1.14, ODBC appendix A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlState(pub &'static str);

impl SqlState {
    /// General warning.
    pub const GENERAL_WARNING: SqlState = SqlState("01000");
    /// String data right-truncated: a character or binary value did not fit the buffer.
    pub const STRING_TRUNCATED: SqlState = SqlState("01004");
    /// Invalid connection string attribute: an unknown key (warning, connect goes on).
    pub const INVALID_CONNECTION_STRING_ATTRIBUTE: SqlState = SqlState("01S00");
    /// Option value changed: an attribute value was replaced by a supported one.
    pub const OPTION_VALUE_CHANGED: SqlState = SqlState("01S02");
    /// Fractional truncation of a numeric or datetime value.
    pub const FRACTIONAL_TRUNCATION: SqlState = SqlState("01S07");
    /// Wrong number of parameters: fewer parameters bound than markers.
    pub const WRONG_PARAMETER_COUNT: SqlState = SqlState("07002");
    /// Restricted data type attribute violation: the C type cannot hold the column's type.
    pub const RESTRICTED_DATA_TYPE: SqlState = SqlState("07006");
    /// Invalid descriptor index: column or parameter number out of range.
    pub const INVALID_DESCRIPTOR_INDEX: SqlState = SqlState("07009");
    /// Client unable to establish connection (only from the connect functions).
    pub const UNABLE_TO_CONNECT: SqlState = SqlState("08001");
    /// Connection name in use: the connection handle is already connected.
    pub const CONNECTION_IN_USE: SqlState = SqlState("08002");
    /// Connection not open.
    pub const CONNECTION_NOT_OPEN: SqlState = SqlState("08003");
    /// Communication link failure after the connection was made.
    pub const LINK_FAILURE: SqlState = SqlState("08S01");
    /// Indicator variable required but not supplied (NULL value, no indicator pointer).
    pub const INDICATOR_REQUIRED: SqlState = SqlState("22002");
    /// Numeric value out of range.
    pub const NUMERIC_OUT_OF_RANGE: SqlState = SqlState("22003");
    /// Invalid datetime format: a string that is no valid date, time or timestamp.
    pub const INVALID_DATETIME: SqlState = SqlState("22007");
    /// Datetime field overflow: a computed date, time or timestamp outside its type's range.
    pub const DATETIME_OVERFLOW: SqlState = SqlState("22008");
    /// Division by zero (integer or decimal).
    pub const DIVISION_BY_ZERO: SqlState = SqlState("22012");
    /// Invalid character value for cast specification: `CAST('abc' AS INT)`, or a parameter
    /// value that does not fit its marker.
    pub const INVALID_CHARACTER_VALUE: SqlState = SqlState("22018");
    /// Invalid cursor state: fetch without a result set, or a statement with an open cursor.
    pub const INVALID_CURSOR_STATE: SqlState = SqlState("24000");
    /// Invalid authorization specification: HubSpot refused the credentials.
    pub const INVALID_AUTHORIZATION: SqlState = SqlState("28000");
    /// Syntax error or access violation; also SQL the engine does not support.
    pub const SYNTAX_ERROR: SqlState = SqlState("42000");
    /// Base table or view not found.
    pub const TABLE_NOT_FOUND: SqlState = SqlState("42S02");
    /// Column not found.
    pub const COLUMN_NOT_FOUND: SqlState = SqlState("42S22");
    /// General error: an unexpected answer from HubSpot, or a panic caught at the boundary.
    pub const GENERAL_ERROR: SqlState = SqlState("HY000");
    /// Operation canceled by SQLCancel.
    pub const OPERATION_CANCELED: SqlState = SqlState("HY008");
    /// Invalid use of null pointer.
    pub const INVALID_NULL_POINTER: SqlState = SqlState("HY009");
    /// Function sequence error, e.g. fetch before execute.
    pub const FUNCTION_SEQUENCE: SqlState = SqlState("HY010");
    /// Invalid attribute value.
    pub const INVALID_ATTRIBUTE_VALUE: SqlState = SqlState("HY024");
    /// Invalid string or buffer length.
    pub const INVALID_LENGTH: SqlState = SqlState("HY090");
    /// Invalid descriptor field identifier (SQLColAttribute).
    pub const INVALID_DESCRIPTOR_FIELD: SqlState = SqlState("HY091");
    /// Invalid attribute or option identifier.
    pub const INVALID_ATTRIBUTE: SqlState = SqlState("HY092");
    /// Memory allocation error: a thread for the call could not be started.
    pub const MEMORY_ALLOCATION: SqlState = SqlState("HY001");
    /// Invalid SQL data type (SQLBindParameter's `ParameterType`).
    pub const INVALID_SQL_TYPE: SqlState = SqlState("HY004");
    /// Invalid information type (SQLGetInfo) or function id (SQLGetFunctions).
    pub const INVALID_INFO_TYPE: SqlState = SqlState("HY096");
    /// Invalid parameter type or option value.
    pub const INVALID_OPTION: SqlState = SqlState("HY092");
    /// Fetch type out of range: scrolling on a forward-only cursor.
    pub const FETCH_TYPE_OUT_OF_RANGE: SqlState = SqlState("HY106");
    /// Optional feature not implemented.
    pub const NOT_IMPLEMENTED: SqlState = SqlState("HYC00");
    /// Timeout expired (query timeout, login timeout, or the Timeout property).
    pub const TIMEOUT: SqlState = SqlState("HYT00");
    /// Connection timeout expired (`SQL_ATTR_CONNECTION_TIMEOUT`).
    pub const CONNECTION_TIMEOUT: SqlState = SqlState("HYT01");
    /// Driver does not support this function.
    pub const DRIVER_DOES_NOT_SUPPORT: SqlState = SqlState("IM001");
    /// Dialog failed: a prompt would have been needed but none can be shown.
    pub const DIALOG_FAILED: SqlState = SqlState("IM008");

    /// The five characters of the state.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// `SQL_DIAG_CLASS_ORIGIN`: "ODBC 3.0" for the ODBC-specific `IM` class, else "ISO 9075"
    /// (reference/odbc.md §1.14).
    pub fn class_origin(self) -> &'static str {
        if self.0.starts_with("IM") {
            "ODBC 3.0"
        } else {
            "ISO 9075"
        }
    }

    /// `SQL_DIAG_SUBCLASS_ORIGIN`: "ODBC 3.0" for the subclasses ODBC defines (those with a
    /// letter in the subclass part, and the `HY`/`IM` classes), else "ISO 9075".
    pub fn subclass_origin(self) -> &'static str {
        let odbc_class = self.0.starts_with("HY") || self.0.starts_with("IM");
        let odbc_subclass = self.0[2..].bytes().any(|b| b.is_ascii_alphabetic());
        if odbc_class || odbc_subclass || self.0 == "07009" {
            "ODBC 3.0"
        } else {
            "ISO 9075"
        }
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One failure (or warning) as the application sees it: a SQLSTATE, a prefixed message and a
/// native error code (the HTTP status for HubSpot's errors, else 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverError {
    pub state: SqlState,
    pub message: String,
    pub native: i32,
}

pub type DriverResult<T> = Result<T, DriverError>;

impl DriverError {
    /// An error the driver found itself; the message gets the driver prefix.
    pub fn new(state: SqlState, message: impl fmt::Display) -> Self {
        DriverError {
            state,
            message: format!("{DRIVER_PREFIX} {message}"),
            native: 0,
        }
    }

    /// Function sequence error (HY010) with a reason.
    pub fn sequence(message: impl fmt::Display) -> Self {
        Self::new(SqlState::FUNCTION_SEQUENCE, message)
    }

    /// Optional feature not implemented (HYC00) naming the feature.
    pub fn not_implemented(feature: impl fmt::Display) -> Self {
        Self::new(
            SqlState::NOT_IMPLEMENTED,
            format!("{feature} is not supported"),
        )
    }

    /// Invalid null pointer (HY009) naming the argument.
    pub fn null_pointer(argument: &str) -> Self {
        Self::new(
            SqlState::INVALID_NULL_POINTER,
            format!("argument {argument} must not be a null pointer"),
        )
    }

    /// Internal error caught at the FFI boundary (a panic); never carries the panic text,
    /// which could hold data from the application.
    pub fn internal() -> Self {
        Self::new(SqlState::GENERAL_ERROR, "internal error in the driver")
    }

    /// Operation timed out after `seconds`; `state` says which timeout (HYT00 or HYT01).
    pub fn timeout(state: SqlState, seconds: u64) -> Self {
        Self::new(state, format!("timeout expired after {seconds} s"))
    }

    /// Operation canceled by SQLCancel.
    pub fn canceled() -> Self {
        Self::new(SqlState::OPERATION_CANCELED, "operation canceled")
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.state, self.message)
    }
}

impl std::error::Error for DriverError {}

/// When an HTTP request failed: while connecting (`08001`) or on an open connection (`08S01`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connect,
    Connected,
}

/// The ONE mapping from HubDB client errors to SQLSTATE and message.
pub fn from_hubdb(error: &hubdb::Error, phase: Phase) -> DriverError {
    use hubdb::ErrorKind as K;
    let state = match error.kind {
        K::Unauthorized | K::Forbidden => SqlState::INVALID_AUTHORIZATION,
        K::NotFound => SqlState::TABLE_NOT_FOUND,
        K::BadRequest | K::Conflict => SqlState::SYNTAX_ERROR,
        K::Timeout => SqlState::TIMEOUT,
        K::Connect if phase == Phase::Connect => SqlState::UNABLE_TO_CONNECT,
        K::Connect | K::ConnectionLost => SqlState::LINK_FAILURE,
        K::Config if phase == Phase::Connect => SqlState::UNABLE_TO_CONNECT,
        K::RateLimited | K::Server | K::Decode | K::Config => SqlState::GENERAL_ERROR,
    };
    DriverError {
        state,
        message: hubspot_message(error),
        native: error.status.map_or(0, i32::from),
    }
}

/// HubSpot's own words when HubSpot answered, ours otherwise; plus the correlation id.
fn hubspot_message(error: &hubdb::Error) -> String {
    let prefix = if error.status.is_some() {
        HUBSPOT_PREFIX
    } else {
        DRIVER_PREFIX
    };
    let mut message = format!("{prefix} {}", error.message);
    if let Some(id) = &error.correlation_id {
        message.push_str(&format!(" (correlation id {id})"));
    }
    message
}

/// The ONE mapping from SQL engine errors to SQLSTATE and message.
///
/// Unsupported SQL is `42000`, not `HYC00`: appendix A lists `42000` for a statement
/// SQLExecDirect or SQLPrepare cannot prepare, while `HYC00` ("optional feature not
/// implemented") is for ODBC features: attributes, conversions, scroll options.
pub fn from_sql(error: &hubdb_sql::SqlError, phase: Phase) -> DriverError {
    use hubdb_sql::SqlErrorKind as K;
    let state = match &error.kind {
        K::HubDb(inner) => return from_hubdb(inner, phase),
        K::Syntax | K::InvalidStatement | K::Unsupported | K::ReadOnly => SqlState::SYNTAX_ERROR,
        K::TableNotFound => SqlState::TABLE_NOT_FOUND,
        K::ColumnNotFound => SqlState::COLUMN_NOT_FOUND,
        K::InvalidParameter | K::InvalidCast => SqlState::INVALID_CHARACTER_VALUE,
        K::InvalidDatetime => SqlState::INVALID_DATETIME,
        K::DatetimeOverflow => SqlState::DATETIME_OVERFLOW,
        K::NumericOutOfRange => SqlState::NUMERIC_OUT_OF_RANGE,
        K::DivisionByZero => SqlState::DIVISION_BY_ZERO,
        K::Cancelled => SqlState::OPERATION_CANCELED,
        K::Internal => SqlState::GENERAL_ERROR,
    };
    DriverError::new(state, &error.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hubdb_error(kind: hubdb::ErrorKind, status: Option<u16>) -> hubdb::Error {
        hubdb::Error {
            kind,
            status,
            message: "Authentication credentials not found.".into(),
            category: Some("INVALID_AUTHENTICATION".into()),
            correlation_id: Some("abc-123".into()),
        }
    }

    #[test]
    fn unauthorized_is_28000_with_hubspots_message_and_correlation_id() {
        let e = from_hubdb(
            &hubdb_error(hubdb::ErrorKind::Unauthorized, Some(401)),
            Phase::Connect,
        );
        assert_eq!(e.state, SqlState::INVALID_AUTHORIZATION);
        assert_eq!(
            e.message,
            "[HubDB ODBC][HubSpot] Authentication credentials not found. (correlation id abc-123)"
        );
        assert_eq!(e.native, 401);
    }

    #[test]
    fn network_failure_is_08001_while_connecting_and_08s01_afterwards() {
        let err = hubdb_error(hubdb::ErrorKind::Connect, None);
        assert_eq!(from_hubdb(&err, Phase::Connect).state.as_str(), "08001");
        assert_eq!(from_hubdb(&err, Phase::Connected).state.as_str(), "08S01");
        let lost = hubdb_error(hubdb::ErrorKind::ConnectionLost, None);
        assert_eq!(from_hubdb(&lost, Phase::Connected).state.as_str(), "08S01");
    }

    #[test]
    fn timeout_is_hyt00() {
        let err = hubdb_error(hubdb::ErrorKind::Timeout, None);
        assert_eq!(from_hubdb(&err, Phase::Connected).state.as_str(), "HYT00");
        assert!(
            from_hubdb(&err, Phase::Connected)
                .message
                .starts_with(DRIVER_PREFIX)
        );
    }

    #[test]
    fn sql_errors_map_to_pinned_states() {
        use hubdb_sql::SqlErrorKind as K;
        let cases = [
            (K::Syntax, "42000"),
            (K::InvalidStatement, "42000"),
            (K::TableNotFound, "42S02"),
            (K::ColumnNotFound, "42S22"),
            (K::Unsupported, "42000"),
            (K::InvalidParameter, "22018"),
            (K::InvalidCast, "22018"),
            (K::InvalidDatetime, "22007"),
            (K::DatetimeOverflow, "22008"),
            (K::NumericOutOfRange, "22003"),
            (K::DivisionByZero, "22012"),
            (K::ReadOnly, "42000"),
            (K::Cancelled, "HY008"),
            (K::Internal, "HY000"),
        ];
        for (kind, state) in cases {
            let err = hubdb_sql::SqlError {
                kind,
                message: "no table named x".into(),
            };
            let mapped = from_sql(&err, Phase::Connected);
            assert_eq!(mapped.state.as_str(), state);
            assert_eq!(mapped.message, "[HubDB ODBC][Driver] no table named x");
        }
    }

    /// The tester's report: engine errors came back as HY000 where appendix A has a state.
    #[test]
    fn engine_errors_from_datafusion_get_their_appendix_a_states() {
        use hubdb_sql::arrow::error::ArrowError;
        let arrow = |e: ArrowError| hubdb_sql::SqlError::from(e);
        let cases = [
            (arrow(ArrowError::DivideByZero), "22012"),
            (
                arrow(ArrowError::CastError(
                    "Cannot cast string 'abc' to value of Int32 type".into(),
                )),
                "22018",
            ),
            (
                arrow(ArrowError::CastError(
                    "Cannot cast string '2024-13-01' to value of Date32 type".into(),
                )),
                "22007",
            ),
            (
                arrow(ArrowError::CastError(
                    "Can't cast value 70000 to type Int16".into(),
                )),
                "22003",
            ),
        ];
        for (error, state) in cases {
            let mapped = from_sql(&error, Phase::Connected);
            assert_eq!(mapped.state.as_str(), state, "{}", error.message);
            assert!(mapped.message.starts_with("[HubDB ODBC][Driver] "));
        }
    }

    #[test]
    fn origins_follow_the_diag_field_page() {
        assert_eq!(SqlState::TABLE_NOT_FOUND.class_origin(), "ISO 9075");
        assert_eq!(SqlState::TABLE_NOT_FOUND.subclass_origin(), "ODBC 3.0");
        assert_eq!(SqlState::SYNTAX_ERROR.subclass_origin(), "ISO 9075");
        assert_eq!(SqlState::DRIVER_DOES_NOT_SUPPORT.class_origin(), "ODBC 3.0");
    }
}
