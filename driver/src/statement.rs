//! Statement work behind the FFI shells: prepare, execute, describe, fetch, get data, row
//! count, parameters, catalog result sets, cursor state.
//!
//! Decisions baked in:
//! - the SQL text goes to the engine unchanged (it handles ODBC escapes); SQLNativeSql
//!   therefore returns the text as given;
//! - metadata is known after SQLPrepare without executing (reference/odbc.md §1.11, Tableau);
//! - each wait on the engine is bounded by `SQL_ATTR_QUERY_TIMEOUT` when set, else the
//!   connection's timeout (`SQL_ATTR_CONNECTION_TIMEOUT` or the `Timeout` property), and can
//!   be cancelled with SQLCancel (B36);
//! - `SQL_ATTR_MAX_ROWS` caps the rows a result delivers;
//! - SQLDescribeParam answers the type the plan gives each marker (the column it is
//!   compared with), `SQL_VARCHAR(4000)` where nothing fixes it;
//! - SQLRowCount after a SELECT is -1 while rows stream (pyodbc calls it after every execute,
//!   reference/odbc.md §5 #6).

use std::sync::Arc;
use std::time::Duration;

use hubdb_sql::{ParamValue, Prepared, ResultColumn};

use crate::cursor::{AppMemory, Cursor, FetchOutcome, GetDataOutcome, RowBinding, Wait};
use crate::diag::Diagnostics;
use crate::error::{self, DriverError, DriverResult, Phase, SqlState};
use crate::guard::Status;
use crate::handles::{Statement, lock};
use crate::runtime::{self, Limit};

/// Statement attributes other than the fetch attributes kept in [`RowBinding`].
#[derive(Debug, Clone, Default)]
pub struct StatementAttrs {
    /// `SQL_ATTR_QUERY_TIMEOUT` in seconds (0 = the connection's timeout).
    pub query_timeout: u64,
    /// `SQL_ATTR_MAX_ROWS` (0 = all rows).
    pub max_rows: usize,
    /// `SQL_ATTR_MAX_LENGTH` as set (reported back; values are never cut by it).
    pub max_length: usize,
    /// `SQL_ATTR_PARAMSET_SIZE` (only 1 is supported).
    pub paramset_size: usize,
    /// `SQL_ATTR_PARAMS_PROCESSED_PTR`.
    pub params_processed_ptr: usize,
    /// `SQL_ATTR_PARAM_STATUS_PTR`.
    pub param_status_ptr: usize,
    /// `SQL_ATTR_PARAM_BIND_TYPE` (0 = column-wise).
    pub param_bind_type: usize,
    /// `SQL_ATTR_PARAM_BIND_OFFSET_PTR`.
    pub param_bind_offset_ptr: usize,
    /// `SQL_ATTR_METADATA_ID`, `SQL_ATTR_NOSCAN`, `SQL_ATTR_RETRIEVE_DATA` as set.
    pub metadata_id: usize,
    pub noscan: usize,
    pub retrieve_data: usize,
}

/// One parameter bound with SQLBindParameter (APD and IPD record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamBinding {
    pub c_type: i16,
    pub sql_type: i16,
    pub column_size: usize,
    pub decimal_digits: i16,
    /// `ParameterValuePtr` (address).
    pub value: usize,
    pub buffer_length: isize,
    /// `StrLen_or_IndPtr` (address, 0 = none).
    pub indicator: usize,
}

/// The bytes of one bound parameter as read at execute time, with its length indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawParam {
    pub binding: ParamBinding,
    /// `SQL_NULL_DATA` (-1), `SQL_NTS` (-3), or a byte length; `SQL_NTS` when no indicator.
    pub indicator: isize,
    /// The value's bytes (for `SQL_NTS` strings, up to the terminator).
    pub bytes: Vec<u8>,
}

/// What a statement holds between calls.
#[derive(Debug)]
pub struct StatementState {
    pub sql: Option<String>,
    pub prepared: Option<Arc<Prepared>>,
    pub cursor: Option<Cursor>,
    pub binding: RowBinding,
    pub params: Vec<Option<ParamBinding>>,
    pub attrs: StatementAttrs,
    /// Rows delivered by the open cursor so far (for `SQL_ATTR_MAX_ROWS`).
    pub rows_delivered: usize,
    /// SQLRowCount of the last execute.
    pub row_count: i64,
    pub cursor_name: Option<String>,
}

impl Default for StatementState {
    fn default() -> Self {
        StatementState {
            sql: None,
            prepared: None,
            cursor: None,
            binding: RowBinding::default(),
            params: Vec::new(),
            attrs: StatementAttrs {
                paramset_size: 1,
                retrieve_data: 1,
                ..Default::default()
            },
            rows_delivered: 0,
            row_count: -1,
            cursor_name: None,
        }
    }
}

impl StatementState {
    /// Columns of the open result, else of the prepared statement, else none.
    pub fn columns(&self) -> &[ResultColumn] {
        if let Some(cursor) = &self.cursor {
            return cursor.columns();
        }
        self.prepared.as_ref().map_or(&[], |p| &p.columns)
    }

    /// Closes the open cursor (SQLFreeStmt(SQL_CLOSE), SQLCloseCursor, re-execution).
    pub fn close_cursor(&mut self) {
        self.cursor = None;
        self.rows_delivered = 0;
    }

    /// Opens a cursor over in-memory batches (catalog functions).
    pub fn open_in_memory(&mut self, cursor: Cursor) {
        self.close_cursor();
        self.prepared = None;
        self.row_count = cursor.row_count();
        self.cursor = Some(cursor);
    }
}

/// The engine of the statement's connection and the time one wait may take.
fn engine_and_timeout(
    stmt: &Statement,
    query_timeout: u64,
) -> DriverResult<(Arc<hubdb_sql::Engine>, Option<Limit>)> {
    let state = lock(&stmt.conn.state);
    let session = state.session.as_ref().ok_or_else(|| {
        DriverError::new(SqlState::CONNECTION_NOT_OPEN, "the connection is not open")
    })?;
    let timeout = match query_timeout {
        0 => state.request_timeout().filter(|t| !t.duration.is_zero()),
        seconds => Some(Limit::query(Duration::from_secs(seconds))),
    };
    Ok((Arc::clone(&session.engine), timeout))
}

/// Marks the connection dead after a communication failure (`SQL_ATTR_CONNECTION_DEAD`).
fn note_failure(stmt: &Statement, error: &DriverError) {
    if error.state == SqlState::LINK_FAILURE
        && let Some(session) = lock(&stmt.conn.state).session.as_mut()
    {
        session.alive = false;
    }
}

/// SQLPrepare: plans the statement; reads table metadata but never rows.
pub fn prepare(stmt: &Statement, state: &mut StatementState, sql: &str) -> DriverResult<()> {
    state.close_cursor();
    state.prepared = None;
    state.sql = Some(sql.to_string());
    let (engine, timeout) = engine_and_timeout(stmt, state.attrs.query_timeout)?;
    stmt.cancel.reset();
    let planned = runtime::block_on_cancellable(engine.prepare(sql), timeout, Some(&stmt.cancel))?;
    let prepared = planned.map_err(|e| error::from_sql(&e, Phase::Connected));
    let prepared = prepared.inspect_err(|e| note_failure(stmt, e))?;
    log::info!("prepared statement with {} columns", prepared.columns.len());
    state.prepared = Some(Arc::new(prepared));
    Ok(())
}

/// SQLExecute: runs the prepared statement with the parameters read from the application.
pub fn execute(
    stmt: &Statement,
    state: &mut StatementState,
    params: &[RawParam],
) -> DriverResult<()> {
    let prepared = state
        .prepared
        .clone()
        .ok_or_else(|| DriverError::sequence("no prepared statement: call SQLPrepare first"))?;
    check_param_count(&prepared, params.len())?;
    let values = params
        .iter()
        .map(param_value)
        .collect::<DriverResult<Vec<_>>>()?;
    state.close_cursor();
    let (engine, timeout) = engine_and_timeout(stmt, state.attrs.query_timeout)?;
    stmt.cancel.reset();
    let run = runtime::block_on_cancellable(
        engine.execute(&prepared, &values),
        timeout,
        Some(&stmt.cancel),
    )?;
    let result = run.map_err(|e| error::from_sql(&e, Phase::Connected));
    let result = result.inspect_err(|e| note_failure(stmt, e))?;
    state.row_count = result.row_count().unwrap_or(-1);
    state.cursor = Some(Cursor::streaming(result));
    Ok(())
}

fn check_param_count(prepared: &Prepared, bound: usize) -> DriverResult<()> {
    if bound < prepared.param_count {
        let message = format!(
            "the statement has {} parameter markers but {bound} parameters are bound",
            prepared.param_count
        );
        return Err(DriverError::new(SqlState::WRONG_PARAMETER_COUNT, message));
    }
    Ok(())
}

/// SQLNumResultCols.
pub fn num_result_cols(state: &StatementState) -> i16 {
    i16::try_from(state.columns().len()).unwrap_or(i16::MAX)
}

/// SQLFetch / SQLFetchScroll(SQL_FETCH_NEXT).
pub fn fetch(
    stmt: &Statement,
    state: &mut StatementState,
    memory: &mut dyn AppMemory,
    diag: &mut Diagnostics,
) -> DriverResult<Status> {
    let (_, timeout) = engine_and_timeout(stmt, state.attrs.query_timeout)?;
    let binding = binding_within_max_rows(state);
    let cursor = state
        .cursor
        .as_mut()
        .ok_or_else(|| DriverError::new(SqlState::INVALID_CURSOR_STATE, "no open result set"))?;
    let Some(binding) = binding else {
        // SQL_ATTR_MAX_ROWS rows were delivered: the result ends here.
        if state.binding.rows_fetched_ptr != 0 {
            memory.write(state.binding.rows_fetched_ptr, &0usize.to_ne_bytes());
        }
        return Ok(Status::NoData);
    };
    let wait = Wait {
        timeout,
        cancel: Some(&stmt.cancel),
    };
    stmt.cancel.reset();
    let outcome = cursor
        .fetch(&binding, memory, wait)
        .inspect_err(|e| note_failure(stmt, e))?;
    match outcome {
        FetchOutcome::NoData => Ok(Status::NoData),
        FetchOutcome::Rows {
            rows,
            issues,
            all_rows_failed,
        } => {
            state.rows_delivered += rows;
            report_issues(issues, all_rows_failed, diag)
        }
    }
}

/// The binding to fetch with, its rowset shortened so `SQL_ATTR_MAX_ROWS` is not exceeded;
/// None when the maximum was reached.
fn binding_within_max_rows(state: &StatementState) -> Option<RowBinding> {
    let max = state.attrs.max_rows;
    if max == 0 {
        return Some(state.binding.clone());
    }
    let left = max.saturating_sub(state.rows_delivered);
    (left > 0).then(|| RowBinding {
        array_size: state.binding.array_size.min(left),
        ..state.binding.clone()
    })
}

fn report_issues(
    issues: Vec<crate::cursor::CellIssue>,
    all_rows_failed: bool,
    diag: &mut Diagnostics,
) -> DriverResult<Status> {
    let mut first_error = None;
    for issue in issues {
        let (row, column) = (issue.row as i64, i32::from(issue.column));
        if all_rows_failed && first_error.is_none() && !issue.error.state.as_str().starts_with("01")
        {
            first_error = Some(issue.error);
            continue;
        }
        diag.push_at(issue.error, row, column);
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(Status::Success),
    }
}

/// SQLGetData: writes into `out` and returns the indicator to report.
pub fn get_data(
    state: &mut StatementState,
    column: u16,
    c_type: i16,
    out: &mut [u8],
    has_indicator: bool,
    diag: &mut Diagnostics,
) -> DriverResult<Option<isize>> {
    let cursor = state
        .cursor
        .as_mut()
        .ok_or_else(|| DriverError::new(SqlState::INVALID_CURSOR_STATE, "no open result set"))?;
    match cursor.get_data(column, c_type, &state.binding, out, has_indicator)? {
        GetDataOutcome::NoData => Ok(None),
        GetDataOutcome::Data(converted) => {
            if let Some(warning) = converted.warning {
                diag.push(warning.to_error());
            }
            Ok(Some(converted.indicator))
        }
    }
}

/// SQLRowCount.
pub fn row_count(state: &StatementState) -> DriverResult<i64> {
    if state.cursor.is_none() && state.sql.is_none() {
        return Err(DriverError::sequence("no statement was executed"));
    }
    Ok(state.row_count)
}

/// SQLMoreResults: every statement has one result; the cursor closes.
pub fn more_results(state: &mut StatementState) -> Status {
    state.close_cursor();
    Status::NoData
}

/// SQLCloseCursor: `24000` when no cursor is open.
pub fn close_cursor(state: &mut StatementState) -> DriverResult<()> {
    if state.cursor.is_none() {
        return Err(DriverError::new(
            SqlState::INVALID_CURSOR_STATE,
            "no cursor is open",
        ));
    }
    state.close_cursor();
    Ok(())
}

/// SQLNumParams: parameter markers of the prepared statement, counted by the engine.
pub fn num_params(state: &StatementState) -> DriverResult<i16> {
    let prepared = state
        .prepared
        .as_ref()
        .ok_or_else(|| DriverError::sequence("no prepared statement: call SQLPrepare first"))?;
    Ok(i16::try_from(prepared.param_count).unwrap_or(i16::MAX))
}

/// What SQLDescribeParam returns for one parameter marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamDescription {
    pub data_type: i16,
    pub size: usize,
    pub decimal_digits: i16,
    pub nullable: i16,
}

/// `SQL_VARCHAR` (sql.h): the type of a marker nothing in the statement types.
const SQL_VARCHAR: i16 = 12;
/// Size reported for such a marker: room for HubDB's multi-select and foreign-id cells.
const UNTYPED_PARAM_SIZE: usize = 4000;

/// SQLDescribeParam: the type the engine inferred for marker `number` (from 1) from its
/// context, e.g. the column it is compared with; `SQL_VARCHAR` where nothing fixes it.
pub fn describe_param(state: &StatementState, number: u16) -> DriverResult<ParamDescription> {
    let prepared = state
        .prepared
        .as_ref()
        .ok_or_else(|| DriverError::sequence("no prepared statement: call SQLPrepare first"))?;
    let index = usize::from(number).checked_sub(1);
    let inferred = index
        .and_then(|i| prepared.param_types.get(i))
        .ok_or_else(|| {
            DriverError::new(
                SqlState::INVALID_DESCRIPTOR_INDEX,
                format!(
                    "parameter {number} does not exist; the statement has {} parameter markers",
                    prepared.param_count
                ),
            )
        })?;
    let described = match inferred {
        Some(sql_type) => {
            let info = crate::describe::type_info(sql_type);
            ParamDescription {
                data_type: info.concise_type,
                size: info.column_size,
                decimal_digits: info.decimal_digits.unwrap_or(0),
                nullable: crate::describe::SQL_NULLABLE,
            }
        }
        None => ParamDescription {
            data_type: SQL_VARCHAR,
            size: UNTYPED_PARAM_SIZE,
            decimal_digits: 0,
            nullable: crate::describe::SQL_NULLABLE,
        },
    };
    Ok(described)
}

/// SQLBindParameter: records the binding (parameter `number` from 1); values are read at
/// execute time.
pub fn bind_parameter(
    state: &mut StatementState,
    number: u16,
    binding: ParamBinding,
) -> DriverResult<()> {
    let index = usize::from(number).checked_sub(1).ok_or_else(|| {
        DriverError::new(
            SqlState::INVALID_DESCRIPTOR_INDEX,
            "parameters are numbered from 1",
        )
    })?;
    let default_c_type = param_default_c_type(binding.sql_type).ok_or_else(|| {
        let message = format!("SQL data type {} is not a parameter type", binding.sql_type);
        DriverError::new(SqlState::INVALID_SQL_TYPE, message)
    })?;
    // SQL_C_DEFAULT is resolved now, so the value buffer is read as the type it holds.
    let binding = match binding.c_type {
        c::DEFAULT => ParamBinding {
            c_type: default_c_type,
            ..binding
        },
        _ => binding,
    };
    if state.params.len() <= index {
        state.params.resize(index + 1, None);
    }
    state.params[index] = Some(binding);
    Ok(())
}

/// The default C type of a parameter's SQL type (ODBC appendix D, "Default C data types"),
/// or None for a code that is not a SQL data type.
fn param_default_c_type(sql_type: i16) -> Option<i16> {
    let c_type = match sql_type {
        // CHAR, VARCHAR, LONGVARCHAR, DECIMAL, NUMERIC, and 0 (SQL_UNKNOWN_TYPE) as text.
        1 | 12 | -1 | 3 | 2 | 0 => c::CHAR,
        // WCHAR, WVARCHAR, WLONGVARCHAR.
        -10..=-8 => c::WCHAR,
        -7 => c::BIT,
        -6 => c::STINYINT,
        5 => c::SSHORT,
        4 => c::SLONG,
        -5 => c::SBIGINT,
        7 => c::FLOAT,
        6 | 8 => c::DOUBLE,
        9 | 91 => c::TYPE_DATE,
        // TIME, TYPE_TIME, BINARY, VARBINARY, LONGVARBINARY, GUID: valid types whose default
        // C type the driver does not read; execution says so (07006).
        10 | 92 => c::TYPE_TIME,
        -4..=-2 => c::BINARY,
        -11 => c::GUID,
        11 | 93 => c::TYPE_TIMESTAMP,
        _ => return None,
    };
    Some(c_type)
}

/// Runs a catalog function and opens its result (SQLTables, SQLColumns, ...).
pub fn open_catalog(
    stmt: &Statement,
    build: impl FnOnce(&hubdb_sql::Engine, Wait<'_>, bool) -> DriverResult<Cursor>,
) -> DriverResult<()> {
    let mut state = lock(&stmt.state);
    state.close_cursor();
    let (engine, timeout) = engine_and_timeout(stmt, state.attrs.query_timeout)?;
    stmt.cancel.reset();
    let wait = Wait {
        timeout,
        cancel: Some(&stmt.cancel),
    };
    let cursor = build(&engine, wait, state.attrs.metadata_id != 0)?;
    state.sql = None;
    state.open_in_memory(cursor);
    Ok(())
}

/// C type codes of parameter buffers (sql.h, sqlext.h).
mod c {
    pub const CHAR: i16 = 1;
    pub const WCHAR: i16 = -8;
    pub const DEFAULT: i16 = 99;
    pub const SLONG: i16 = -16;
    pub const LONG: i16 = 4;
    pub const ULONG: i16 = -18;
    pub const SSHORT: i16 = -15;
    pub const SHORT: i16 = 5;
    pub const USHORT: i16 = -17;
    pub const STINYINT: i16 = -26;
    pub const TINYINT: i16 = -6;
    pub const UTINYINT: i16 = -28;
    pub const SBIGINT: i16 = -25;
    pub const UBIGINT: i16 = -27;
    pub const DOUBLE: i16 = 8;
    pub const FLOAT: i16 = 7;
    pub const BIT: i16 = -7;
    pub const TYPE_DATE: i16 = 91;
    pub const DATE: i16 = 9;
    pub const TYPE_TIMESTAMP: i16 = 93;
    pub const TIMESTAMP: i16 = 11;
    pub const TYPE_TIME: i16 = 92;
    pub const BINARY: i16 = -2;
    pub const GUID: i16 = -11;
}

/// Bytes the FFI layer reads for a fixed-size parameter C type, or None for character data.
pub fn param_fixed_size(c_type: i16) -> Option<usize> {
    let size = match c_type {
        c::SLONG | c::LONG | c::ULONG | c::FLOAT => 4,
        c::SSHORT | c::SHORT | c::USHORT => 2,
        c::DATE | c::TYPE_DATE => 6,
        c::STINYINT | c::TINYINT | c::UTINYINT | c::BIT => 1,
        c::SBIGINT | c::UBIGINT | c::DOUBLE => 8,
        c::TIMESTAMP | c::TYPE_TIMESTAMP => 16,
        _ => return None,
    };
    Some(size)
}

/// Converts one parameter read from the application into an engine value.
pub fn param_value(raw: &RawParam) -> DriverResult<ParamValue> {
    if raw.indicator == -1 {
        return Ok(ParamValue::Null);
    }
    let b = &raw.bytes;
    let value = match raw.binding.c_type {
        c::CHAR => ParamValue::Text(crate::text::decode_narrow(b)),
        c::WCHAR => ParamValue::Text(crate::text::decode_wide_bytes(b)),
        c::SLONG | c::LONG => ParamValue::I64(i64::from(i32::from_ne_bytes(array(b)?))),
        c::ULONG => ParamValue::I64(i64::from(u32::from_ne_bytes(array(b)?))),
        c::SSHORT | c::SHORT => ParamValue::I64(i64::from(i16::from_ne_bytes(array(b)?))),
        c::USHORT => ParamValue::I64(i64::from(u16::from_ne_bytes(array(b)?))),
        c::STINYINT | c::TINYINT => ParamValue::I64(i64::from(i8::from_ne_bytes(array(b)?))),
        c::UTINYINT => ParamValue::I64(i64::from(u8::from_ne_bytes(array(b)?))),
        c::SBIGINT => ParamValue::I64(i64::from_ne_bytes(array(b)?)),
        c::UBIGINT => ParamValue::I64(unsigned_to_i64(u64::from_ne_bytes(array(b)?))?),
        c::DOUBLE => ParamValue::F64(f64::from_ne_bytes(array(b)?)),
        c::FLOAT => ParamValue::F64(f64::from(f32::from_ne_bytes(array(b)?))),
        c::BIT => ParamValue::Bool(array::<1>(b)?[0] != 0),
        c::DATE | c::TYPE_DATE => ParamValue::Date(date_param(b)?),
        c::TIMESTAMP | c::TYPE_TIMESTAMP => ParamValue::Timestamp(timestamp_param(b)?),
        other => {
            return Err(DriverError::new(
                SqlState::RESTRICTED_DATA_TYPE,
                format!("parameters of C type {other} are not supported"),
            ));
        }
    };
    Ok(value)
}

fn array<const N: usize>(bytes: &[u8]) -> DriverResult<[u8; N]> {
    bytes
        .get(..N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| DriverError::new(SqlState::INVALID_LENGTH, "parameter buffer too short"))
}

fn unsigned_to_i64(value: u64) -> DriverResult<i64> {
    i64::try_from(value).map_err(|_| {
        DriverError::new(
            SqlState::NUMERIC_OUT_OF_RANGE,
            "parameter value out of range",
        )
    })
}

/// `SQL_DATE_STRUCT`: year i16, month u16, day u16.
fn date_param(b: &[u8]) -> DriverResult<chrono::NaiveDate> {
    let year = i16::from_ne_bytes(array(b)?);
    let month = u16::from_ne_bytes(array(&b[2..])?);
    let day = u16::from_ne_bytes(array(&b[4..])?);
    chrono::NaiveDate::from_ymd_opt(year.into(), month.into(), day.into())
        .ok_or_else(invalid_datetime)
}

/// `SQL_TIMESTAMP_STRUCT`: date, hour, minute, second (u16 each), fraction (u32, ns).
fn timestamp_param(b: &[u8]) -> DriverResult<chrono::NaiveDateTime> {
    let date = date_param(b)?;
    let part = |at: usize| array::<2>(b.get(at..).unwrap_or_default()).map(u16::from_ne_bytes);
    let fraction = u32::from_ne_bytes(array(b.get(12..).unwrap_or_default())?);
    let (hour, minute, second) = (part(6)?, part(8)?, part(10)?);
    date.and_hms_nano_opt(hour.into(), minute.into(), second.into(), fraction)
        .ok_or_else(invalid_datetime)
}

fn invalid_datetime() -> DriverError {
    DriverError::new(
        SqlState::INVALID_DATETIME,
        "invalid date or timestamp parameter",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(c_type: i16, bytes: Vec<u8>, indicator: isize) -> RawParam {
        let binding = ParamBinding {
            c_type,
            sql_type: 12,
            column_size: 0,
            decimal_digits: 0,
            value: 1,
            buffer_length: bytes.len() as isize,
            indicator: 0,
        };
        RawParam {
            binding,
            indicator,
            bytes,
        }
    }

    #[test]
    fn text_integer_and_null_parameters_convert() {
        let text = param_value(&raw(c::CHAR, b"Widget".to_vec(), 6)).expect("text");
        assert!(matches!(text, ParamValue::Text(ref s) if s == "Widget"));
        let number = param_value(&raw(c::SLONG, 42i32.to_ne_bytes().to_vec(), 4)).expect("int");
        assert!(matches!(number, ParamValue::I64(42)));
        let null = param_value(&raw(c::SLONG, vec![0; 4], -1)).expect("null");
        assert!(matches!(null, ParamValue::Null));
    }

    #[test]
    fn timestamp_struct_parameters_convert() {
        let mut bytes = Vec::new();
        bytes.extend(2024i16.to_ne_bytes());
        for part in [2u16, 29, 13, 45, 30] {
            bytes.extend(part.to_ne_bytes());
        }
        bytes.extend(500_000_000u32.to_ne_bytes());
        let value = param_value(&raw(c::TYPE_TIMESTAMP, bytes, 16)).expect("timestamp");
        let expected = chrono::NaiveDate::from_ymd_opt(2024, 2, 29)
            .and_then(|d| d.and_hms_milli_opt(13, 45, 30, 500))
            .expect("valid");
        assert!(matches!(value, ParamValue::Timestamp(t) if t == expected));
    }

    #[test]
    fn fixed_sizes_match_the_c_structs() {
        assert_eq!(param_fixed_size(c::TYPE_DATE), Some(6));
        assert_eq!(param_fixed_size(c::SHORT), Some(2));
        assert_eq!(param_fixed_size(c::TYPE_TIMESTAMP), Some(16));
        assert_eq!(param_fixed_size(c::CHAR), None);
    }

    #[test]
    fn max_rows_shortens_the_last_rowset() {
        let mut state = StatementState::default();
        state.binding.array_size = 10;
        state.attrs.max_rows = 25;
        state.rows_delivered = 20;
        assert_eq!(
            binding_within_max_rows(&state).map(|b| b.array_size),
            Some(5)
        );
        state.rows_delivered = 25;
        assert!(binding_within_max_rows(&state).is_none());
    }
}
