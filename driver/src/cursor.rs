//! The result set a statement has open, and how rows reach the application: bound columns
//! (SQLBindCol, block cursors) and SQLGetData.
//!
//! Decisions baked in (reference/odbc.md §1.9, §1.10; bug cases B17, B18, B22):
//! - a [`Cursor`] reads either a streaming engine result (one Arrow batch in memory at a time,
//!   pulled through `runtime::block_on_cancellable`) or batches built in memory (catalog
//!   functions); a rowset may span batches and is kept as zero-copy slices of them;
//! - the fetch attributes and bindings ([`RowBinding`]) belong to the statement, not to the
//!   cursor, so they survive SQLPrepare, SQLExecute and SQLCloseCursor (Firebird's bug,
//!   reference/odbc.md §1.10);
//! - any row array size ≥ 1 is honoured as asked (odbc-api treats a changed size as a bug);
//!   row-wise and column-wise binding, the bind offset, separate length and indicator buffers,
//!   `SQL_ATTR_ROWS_FETCHED_PTR` and `SQL_ATTR_ROW_STATUS_PTR` (with `SQL_ROW_NOROW` for the
//!   unfilled tail of a partial last rowset) are supported; addresses are computed with checked
//!   arithmetic (DuckDB's overflow, reference/odbc.md §5 #16);
//! - a truncated bound value gives `01004` with the full length in the indicator, the row
//!   `SQL_ROW_SUCCESS_WITH_INFO` (B17, B18); a conversion error marks its row `SQL_ROW_ERROR`
//!   and the fetch still succeeds with info unless every row failed;
//! - SQLGetData works on any column in any order, bound or not (`SQL_GD_ANY_COLUMN`,
//!   `SQL_GD_ANY_ORDER`, `SQL_GD_BOUND`), on the first row of the rowset or the row SQLSetPos
//!   positioned; character and binary values come in parts with `01004` until the last part,
//!   then `SQL_NO_DATA`; an empty string is one successful call with length 0, not
//!   `SQL_NO_DATA` (B22);
//! - the row count of a SELECT (`SQLRowCount`) is -1 ("unknown") while rows stream, and the
//!   number of rows for in-memory results, whose size is known.
//! - Only the memory writes themselves are unsafe; they go through [`AppMemory`], which the FFI
//!   layer implements over the application's raw addresses.

use crate::convert::{self, CType, Converted, Target};
use crate::error::{self, DriverError, DriverResult, SqlState};
use crate::runtime::{self, Cancel, Limit};
use hubdb_sql::arrow::array::ArrayRef;
use hubdb_sql::arrow::record_batch::RecordBatch;
use hubdb_sql::{ResultColumn, ResultSet};
use std::collections::VecDeque;

/// `SQL_ROW_SUCCESS`, `SQL_ROW_NOROW`, `SQL_ROW_ERROR`, `SQL_ROW_SUCCESS_WITH_INFO` (sqlext.h).
pub const ROW_SUCCESS: u16 = 0;
pub const ROW_NOROW: u16 = 3;
pub const ROW_ERROR: u16 = 5;
pub const ROW_SUCCESS_WITH_INFO: u16 = 6;

/// Size of `SQLLEN`, the element of indicator and length arrays.
const LEN_SIZE: usize = std::mem::size_of::<isize>();
/// Largest conversion buffer allocated up front for a bound column; an application may bind
/// with a huge buffer length, and only values that need more get a bigger one.
const SCRATCH_LIMIT: usize = 1 << 20;
/// Bytes of the widest terminator (a wide NUL).
const MAX_TERMINATOR: usize = crate::text::WIDE_UNIT;

/// The application's memory, where bound columns, indicators, the rows-fetched count and the
/// row status array live. The FFI layer implements it over raw addresses; the cursor computes
/// every address and never dereferences one itself.
pub trait AppMemory {
    /// Copies `bytes` to `address` (no alignment assumed).
    fn write(&mut self, address: usize, bytes: &[u8]);
    /// Reads the `SQLLEN` at `address` (the bind offset).
    fn read_len(&self, address: usize) -> isize;
}

/// One column bound with SQLBindCol (an ARD record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnBinding {
    /// C type code as the application gave it (`SQL_C_DEFAULT` is resolved per column).
    pub c_type: i16,
    /// `SQL_DESC_DATA_PTR`: address of the value buffer (of row 1).
    pub data: usize,
    /// `SQL_DESC_OCTET_LENGTH`: bytes of one value buffer (ignored for fixed-length types).
    pub buffer_length: usize,
    /// `SQL_DESC_INDICATOR_PTR` (0 = none).
    pub indicator: usize,
    /// `SQL_DESC_OCTET_LENGTH_PTR` (0 = none); SQLBindCol sets it to `indicator`.
    pub octet_length: usize,
    /// `SQL_DESC_PRECISION` / `SQL_DESC_SCALE` for `SQL_C_NUMERIC`, when the application set them.
    pub precision: Option<u8>,
    pub scale: Option<i8>,
}

impl ColumnBinding {
    /// What SQLBindCol records: one pointer serves as both length and indicator buffer.
    pub fn new(c_type: i16, data: usize, buffer_length: usize, indicator: usize) -> Self {
        ColumnBinding {
            c_type,
            data,
            buffer_length,
            indicator,
            octet_length: indicator,
            precision: None,
            scale: None,
        }
    }
}

/// The bindings and fetch attributes of a statement (ARD fields and the IRD's pointers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowBinding {
    /// Bound columns; index 0 is column 1.
    pub columns: Vec<Option<ColumnBinding>>,
    /// `SQL_ATTR_ROW_ARRAY_SIZE` (rowset size).
    pub array_size: usize,
    /// `SQL_ATTR_ROW_BIND_TYPE`: 0 = column-wise, else the size of the application's row struct.
    pub bind_type: usize,
    /// `SQL_ATTR_ROW_BIND_OFFSET_PTR` (0 = none): its value is added to every bound address.
    pub bind_offset_ptr: usize,
    /// `SQL_ATTR_ROWS_FETCHED_PTR` (`SQLULEN*`, 0 = none).
    pub rows_fetched_ptr: usize,
    /// `SQL_ATTR_ROW_STATUS_PTR` (`SQLUSMALLINT` array, 0 = none).
    pub row_status_ptr: usize,
}

impl Default for RowBinding {
    fn default() -> Self {
        RowBinding {
            columns: Vec::new(),
            array_size: 1,
            bind_type: 0,
            bind_offset_ptr: 0,
            rows_fetched_ptr: 0,
            row_status_ptr: 0,
        }
    }
}

impl RowBinding {
    /// SQLBindCol: binds column `number` (1-based), or unbinds it when `binding` is `None` or its
    /// data address is 0. `result_columns` is the column count of the open or prepared result,
    /// if there is one (`07009` past it). Bookmarks (column 0) are not supported.
    pub fn bind(
        &mut self,
        number: u16,
        binding: Option<ColumnBinding>,
        result_columns: Option<usize>,
    ) -> DriverResult<()> {
        let index = usize::from(number)
            .checked_sub(1)
            .ok_or_else(bookmark_unsupported)?;
        if result_columns.is_some_and(|count| index >= count) {
            return Err(bad_column(number));
        }
        let binding = binding.filter(|b| b.data != 0);
        if let Some(b) = &binding {
            // Validates the C type now, as SQLBindCol must (HY003); the column type only
            // matters for SQL_C_DEFAULT, which any type accepts.
            CType::from_code(b.c_type, &hubdb_sql::SqlType::Bit)?;
        }
        if self.columns.len() <= index {
            self.columns.resize(index + 1, None);
        }
        self.columns[index] = binding;
        Ok(())
    }

    /// SQLFreeStmt(SQL_UNBIND).
    pub fn unbind_all(&mut self) {
        self.columns.clear();
    }

    /// The binding of column `number` (1-based), if any.
    pub fn column(&self, number: u16) -> Option<&ColumnBinding> {
        let index = usize::from(number).checked_sub(1)?;
        self.columns.get(index).and_then(Option::as_ref)
    }

    /// SQLSetStmtAttr(SQL_ATTR_ROW_ARRAY_SIZE): any size from 1 is accepted as is.
    pub fn set_array_size(&mut self, size: usize) -> DriverResult<()> {
        if size == 0 {
            let message = "row array size must be at least 1";
            return Err(DriverError::new(SqlState::INVALID_ATTRIBUTE_VALUE, message));
        }
        self.array_size = size;
        Ok(())
    }
}

/// How long a fetch may wait for the next batch, and the switch SQLCancel flips.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wait<'a> {
    pub timeout: Option<Limit>,
    pub cancel: Option<&'a Cancel>,
}

/// A problem with one cell of a block fetch: a warning (`01004`, `01S07`) or an error
/// (`22003`, `22002`, ...). The statement turns it into a diagnostic record with
/// `SQL_DIAG_ROW_NUMBER` and `SQL_DIAG_COLUMN_NUMBER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellIssue {
    /// Row in the rowset, from 1.
    pub row: usize,
    /// Column, from 1.
    pub column: u16,
    pub error: DriverError,
}

impl CellIssue {
    fn is_error(&self) -> bool {
        !self.error.state.as_str().starts_with("01")
    }
}

/// The result of SQLFetch / SQLFetchScroll(SQL_FETCH_NEXT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// No more rows: `SQL_NO_DATA`.
    NoData,
    /// `rows` rows were fetched into the bound buffers. The function returns `SQL_SUCCESS` when
    /// `issues` is empty, `SQL_ERROR` when `all_rows_failed`, else `SQL_SUCCESS_WITH_INFO`.
    Rows {
        rows: usize,
        issues: Vec<CellIssue>,
        all_rows_failed: bool,
    },
}

/// The result of SQLGetData.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetDataOutcome {
    /// The value (or its next part) was written; write `indicator` to the application's
    /// indicator pointer, and push `warning` (then return `SQL_SUCCESS_WITH_INFO`).
    Data(Converted),
    /// Everything was already returned: `SQL_NO_DATA`.
    NoData,
}

/// Where rows come from.
enum Source {
    /// A running query: batches arrive as the engine produces them.
    Stream(Box<ResultSet>),
    /// Batches built in memory (catalog functions), with their total row count.
    Memory(VecDeque<RecordBatch>, usize),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Stream(_) => f.write_str("Stream"),
            Source::Memory(batches, rows) => {
                write!(f, "Memory({} batches, {rows} rows)", batches.len())
            }
        }
    }
}

/// SQLGetData progress on one column of the current row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GetDataProgress {
    column: u16,
    /// Bytes of the converted value already returned.
    offset: usize,
    /// The last part was returned; the next call is `SQL_NO_DATA`.
    done: bool,
}

/// An open result set.
#[derive(Debug)]
pub struct Cursor {
    columns: Vec<ResultColumn>,
    source: Source,
    /// The batch being read and the index of its next unread row.
    pending: Option<(RecordBatch, usize)>,
    /// The current rowset as slices of batches, in order.
    rowset: Vec<RecordBatch>,
    rowset_len: usize,
    /// Row of the rowset SQLGetData reads (0-based; SQLSetPos moves it).
    position: usize,
    get_data: Option<GetDataProgress>,
    exhausted: bool,
}

impl Cursor {
    /// A cursor over a running query.
    pub fn streaming(result: ResultSet) -> Cursor {
        let columns = result.columns.clone();
        Cursor::new(columns, Source::Stream(Box::new(result)))
    }

    /// A cursor over batches built in memory (catalog result sets).
    pub fn in_memory(columns: Vec<ResultColumn>, batches: Vec<RecordBatch>) -> Cursor {
        let rows = batches.iter().map(RecordBatch::num_rows).sum();
        Cursor::new(columns, Source::Memory(batches.into(), rows))
    }

    fn new(columns: Vec<ResultColumn>, source: Source) -> Cursor {
        Cursor {
            columns,
            source,
            pending: None,
            rowset: Vec::new(),
            rowset_len: 0,
            position: 0,
            get_data: None,
            exhausted: false,
        }
    }

    /// The result's columns (SQLNumResultCols, SQLDescribeCol, SQLColAttribute).
    pub fn columns(&self) -> &[ResultColumn] {
        &self.columns
    }

    /// SQLRowCount after a query: -1 while rows stream, the total for in-memory results.
    pub fn row_count(&self) -> i64 {
        match &self.source {
            Source::Stream(result) => result.row_count().unwrap_or(-1),
            Source::Memory(_, rows) => i64::try_from(*rows).unwrap_or(-1),
        }
    }

    /// Rows in the current rowset.
    pub fn rowset_len(&self) -> usize {
        self.rowset_len
    }

    /// SQLFetch / SQLFetchScroll(SQL_FETCH_NEXT): fills the next rowset into the bound buffers.
    pub fn fetch(
        &mut self,
        binding: &RowBinding,
        memory: &mut dyn AppMemory,
        wait: Wait<'_>,
    ) -> DriverResult<FetchOutcome> {
        // Bad bindings fail before any row is consumed.
        let bound = self.bound_columns(binding)?;
        self.load_rowset(binding.array_size.max(1), wait)?;
        if self.rowset_len == 0 {
            write_rows_fetched(binding, memory, 0);
            return Ok(FetchOutcome::NoData);
        }
        let layout = Layout {
            bind_type: binding.bind_type,
            offset: bind_offset(binding, memory),
        };
        let mut issues = Vec::new();
        for (number, column, target) in &bound {
            self.fetch_column(*number, column, *target, layout, memory, &mut issues)?;
        }
        issues.sort_by_key(|issue| (issue.row, issue.column));
        let statuses = row_statuses(self.rowset_len, &issues);
        write_row_statuses(binding, memory, &statuses);
        write_rows_fetched(binding, memory, self.rowset_len);
        let all_rows_failed = statuses.iter().all(|s| *s == ROW_ERROR);
        Ok(FetchOutcome::Rows {
            rows: self.rowset_len,
            issues,
            all_rows_failed,
        })
    }

    /// The bound columns with their conversion targets: `07009` for a column the result does
    /// not have, `HY003` for a C type the driver does not know.
    fn bound_columns<'b>(
        &self,
        binding: &'b RowBinding,
    ) -> DriverResult<Vec<(u16, &'b ColumnBinding, Target)>> {
        let mut bound = Vec::new();
        for (index, column) in binding.columns.iter().enumerate() {
            let Some(column) = column else { continue };
            let number = u16::try_from(index + 1).unwrap_or(u16::MAX);
            let sql_type = &crate::describe::column(&self.columns, number)?.sql_type;
            let target = Target {
                ctype: CType::from_code(column.c_type, sql_type)?,
                precision: column.precision,
                scale: column.scale,
            };
            bound.push((number, column, target));
        }
        Ok(bound)
    }

    /// Moves the next `size` rows (or fewer at the end) into the rowset.
    fn load_rowset(&mut self, size: usize, wait: Wait<'_>) -> DriverResult<()> {
        self.rowset.clear();
        self.rowset_len = 0;
        self.position = 0;
        self.get_data = None;
        while self.rowset_len < size {
            let Some((batch, next)) = self.current_batch(wait)? else {
                break;
            };
            let take = (batch.num_rows() - next).min(size - self.rowset_len);
            self.rowset.push(batch.slice(next, take));
            self.rowset_len += take;
            self.pending = Some((batch, next + take));
        }
        Ok(())
    }

    /// The batch with unread rows, pulling the next non-empty one when needed.
    fn current_batch(&mut self, wait: Wait<'_>) -> DriverResult<Option<(RecordBatch, usize)>> {
        if let Some((batch, next)) = &self.pending
            && *next < batch.num_rows()
        {
            return Ok(Some((batch.clone(), *next)));
        }
        self.pending = None;
        while !self.exhausted {
            match self.next_batch(wait)? {
                Some(batch) if batch.num_rows() > 0 => return Ok(Some((batch, 0))),
                Some(_) => continue,
                None => self.exhausted = true,
            }
        }
        Ok(None)
    }

    fn next_batch(&mut self, wait: Wait<'_>) -> DriverResult<Option<RecordBatch>> {
        match &mut self.source {
            Source::Memory(batches, _) => Ok(batches.pop_front()),
            Source::Stream(result) => {
                let next =
                    runtime::block_on_cancellable(result.next_batch(), wait.timeout, wait.cancel)?;
                next.transpose()
                    .map_err(|e| error::from_sql(&e, error::Phase::Connected))
            }
        }
    }

    /// Converts column `number` of every row of the rowset into its bound buffers.
    fn fetch_column(
        &self,
        number: u16,
        binding: &ColumnBinding,
        target: Target,
        layout: Layout,
        memory: &mut dyn AppMemory,
        issues: &mut Vec<CellIssue>,
    ) -> DriverResult<()> {
        let ctype = target.ctype;
        let element = ctype.fixed_size().unwrap_or(binding.buffer_length);
        let mut scratch = vec![0u8; element.min(SCRATCH_LIMIT)];
        let mut row = 0;
        for batch in &self.rowset {
            let array = batch_column(batch, number)?;
            for batch_row in 0..batch.num_rows() {
                let place = CellPlace::new(binding, layout, row, element)?;
                let cell = (array.as_ref(), batch_row);
                let issue = match place.fill(cell, &target, &mut scratch, memory) {
                    Ok(warning) => warning.map(|w| w.to_error()),
                    Err(error) => Some(error),
                };
                if let Some(error) = issue {
                    issues.push(CellIssue {
                        row: row + 1,
                        column: number,
                        error,
                    });
                }
                row += 1;
            }
        }
        Ok(())
    }

    /// SQLSetPos(SQL_POSITION): the row (1-based) of the rowset SQLGetData reads next.
    pub fn set_position(&mut self, row: usize) -> DriverResult<()> {
        if row == 0 || row > self.rowset_len {
            let message = format!(
                "row {row} is outside the rowset of {} rows",
                self.rowset_len
            );
            return Err(DriverError::new(SqlState("HY107"), message));
        }
        self.position = row - 1;
        self.get_data = None;
        Ok(())
    }

    /// SQLGetData on column `number` (1-based) of the current row. `c_type` may be
    /// `SQL_ARD_TYPE` (the bound column's type, precision and scale). `has_indicator` tells
    /// whether the application passed an indicator pointer (a NULL without one is `22002`).
    pub fn get_data(
        &mut self,
        number: u16,
        c_type: i16,
        binding: &RowBinding,
        out: &mut [u8],
        has_indicator: bool,
    ) -> DriverResult<GetDataOutcome> {
        let (batch, row) = self.current_row()?;
        let column = crate::describe::column(&self.columns, number)?;
        let target = get_data_target(number, c_type, &column.sql_type, binding)?;
        let progress = match self.get_data {
            Some(p) if p.column == number => p,
            _ => GetDataProgress {
                column: number,
                offset: 0,
                done: false,
            },
        };
        if progress.done {
            return Ok(GetDataOutcome::NoData);
        }
        let array = batch_column(&batch, number)?;
        let converted = convert::convert_cell(array.as_ref(), row, &target, out, progress.offset)?;
        if converted.is_null() && !has_indicator {
            return Err(indicator_required(number));
        }
        self.get_data = Some(GetDataProgress {
            column: number,
            offset: progress.offset + converted.consumed,
            done: !converted.has_more(),
        });
        Ok(GetDataOutcome::Data(converted))
    }

    /// The batch slice and row index SQLGetData reads.
    fn current_row(&self) -> DriverResult<(RecordBatch, usize)> {
        let mut row = self.position;
        for batch in &self.rowset {
            if row < batch.num_rows() {
                return Ok((batch.clone(), row));
            }
            row -= batch.num_rows();
        }
        let message = "no current row: call SQLFetch first, or the result has no more rows";
        Err(DriverError::new(SqlState::INVALID_CURSOR_STATE, message))
    }
}

/// Column `number` (1-based) of a batch; a batch narrower than the described result is the
/// engine's fault, reported rather than a panic.
fn batch_column(batch: &RecordBatch, number: u16) -> DriverResult<&ArrayRef> {
    let index = usize::from(number).saturating_sub(1);
    batch.columns().get(index).ok_or_else(|| {
        let message = format!("the result has no data for column {number}");
        DriverError::new(SqlState::GENERAL_ERROR, message)
    })
}

/// The conversion target of SQLGetData.
fn get_data_target(
    number: u16,
    c_type: i16,
    sql_type: &hubdb_sql::SqlType,
    binding: &RowBinding,
) -> DriverResult<Target> {
    if c_type != convert::ARD_TYPE {
        return Ok(CType::from_code(c_type, sql_type)?.into());
    }
    let bound = binding.column(number).ok_or_else(|| {
        let message = format!("SQL_ARD_TYPE needs a descriptor record for column {number}");
        DriverError::new(SqlState::RESTRICTED_DATA_TYPE, message)
    })?;
    Ok(Target {
        ctype: CType::from_code(bound.c_type, sql_type)?,
        precision: bound.precision,
        scale: bound.scale,
    })
}

/// How bound buffers are laid out for this fetch: the bind type and the bind offset.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// 0 = column-wise, else the size of the application's row struct.
    bind_type: usize,
    offset: isize,
}

/// The addresses of one bound cell: value, indicator, length.
struct CellPlace {
    data: usize,
    indicator: usize,
    octet_length: usize,
    buffer_length: usize,
}

impl CellPlace {
    /// Row `row` (0-based) of a binding: row-wise, every address moves by the row struct size;
    /// column-wise, values by the element size and indicators by `sizeof(SQLLEN)`
    /// (reference/odbc.md §1.10).
    fn new(
        binding: &ColumnBinding,
        layout: Layout,
        row: usize,
        element: usize,
    ) -> DriverResult<Self> {
        let (value_step, len_step) = match layout.bind_type {
            0 => (element, LEN_SIZE),
            row_size => (row_size, row_size),
        };
        let offset = layout.offset;
        let at = |base: usize, step: usize| -> DriverResult<usize> {
            if base == 0 {
                return Ok(0);
            }
            row.checked_mul(step)
                .and_then(|delta| base.checked_add(delta))
                .and_then(|address| address.checked_add_signed(offset))
                .ok_or_else(address_overflow)
        };
        Ok(CellPlace {
            data: at(binding.data, value_step)?,
            indicator: at(binding.indicator, len_step)?,
            octet_length: at(binding.octet_length, len_step)?,
            buffer_length: element,
        })
    }

    /// Converts the cell and writes value, length and indicator; returns the warning it raised.
    fn fill(
        &self,
        (array, row): (&dyn hubdb_sql::arrow::array::Array, usize),
        target: &Target,
        scratch: &mut Vec<u8>,
        memory: &mut dyn AppMemory,
    ) -> DriverResult<Option<convert::ConvertWarning>> {
        let mut converted = convert::convert_cell(array, row, target, scratch, 0)?;
        if converted.has_more() && scratch.len() < self.buffer_length {
            // The scratch buffer starts smaller than a huge bound buffer; grow it to what
            // this value needs (plus a terminator) and convert again.
            let needed = usize::try_from(converted.indicator).unwrap_or(0) + MAX_TERMINATOR;
            scratch.resize(needed.min(self.buffer_length), 0);
            converted = convert::convert_cell(array, row, target, scratch, 0)?;
        }
        if converted.is_null() {
            if self.indicator == 0 {
                return Err(DriverError::new(
                    SqlState::INDICATOR_REQUIRED,
                    "NULL value without an indicator",
                ));
            }
            memory.write(self.indicator, &convert::NULL_DATA.to_ne_bytes());
            return Ok(None);
        }
        let copied = bytes_to_copy(target.ctype, &converted, self.buffer_length);
        memory.write(self.data, &scratch[..copied]);
        self.write_length(converted.indicator, memory);
        Ok(converted.warning)
    }

    /// Separate length and indicator buffers: the indicator gets 0, the length buffer the
    /// length (reference/odbc.md §1.10).
    fn write_length(&self, length: isize, memory: &mut dyn AppMemory) {
        if self.octet_length != 0 {
            memory.write(self.octet_length, &length.to_ne_bytes());
        }
        if self.indicator != 0 && self.indicator != self.octet_length {
            memory.write(self.indicator, &0isize.to_ne_bytes());
        }
    }
}

/// Bytes of the converted value to copy: the value plus its terminator for character data
/// (none when the buffer cannot even hold a terminator: then nothing was written).
fn bytes_to_copy(ctype: CType, converted: &Converted, buffer_length: usize) -> usize {
    let terminator = match ctype {
        CType::Char => 1,
        CType::WChar => crate::text::WIDE_UNIT,
        _ => 0,
    };
    if buffer_length < terminator {
        return 0;
    }
    (converted.written + terminator).min(buffer_length)
}

fn bind_offset(binding: &RowBinding, memory: &dyn AppMemory) -> isize {
    if binding.bind_offset_ptr == 0 {
        return 0;
    }
    memory.read_len(binding.bind_offset_ptr)
}

fn write_rows_fetched(binding: &RowBinding, memory: &mut dyn AppMemory, rows: usize) {
    if binding.rows_fetched_ptr != 0 {
        memory.write(binding.rows_fetched_ptr, &rows.to_ne_bytes());
    }
}

/// The status of each fetched row: an error marks it `SQL_ROW_ERROR`, a warning
/// `SQL_ROW_SUCCESS_WITH_INFO`.
fn row_statuses(rows: usize, issues: &[CellIssue]) -> Vec<u16> {
    let mut statuses = vec![ROW_SUCCESS; rows];
    for issue in issues {
        let status = &mut statuses[issue.row - 1];
        if issue.is_error() {
            *status = ROW_ERROR;
        } else if *status == ROW_SUCCESS {
            *status = ROW_SUCCESS_WITH_INFO;
        }
    }
    statuses
}

/// Row statuses for the fetched rows, then `SQL_ROW_NOROW` up to the array size.
fn write_row_statuses(binding: &RowBinding, memory: &mut dyn AppMemory, statuses: &[u16]) {
    if binding.row_status_ptr == 0 {
        return;
    }
    let size = binding.array_size.max(statuses.len());
    let mut bytes = Vec::with_capacity(size * 2);
    for row in 0..size {
        let status = statuses.get(row).copied().unwrap_or(ROW_NOROW);
        bytes.extend_from_slice(&status.to_ne_bytes());
    }
    memory.write(binding.row_status_ptr, &bytes);
}

fn bookmark_unsupported() -> DriverError {
    DriverError::new(
        SqlState::INVALID_DESCRIPTOR_INDEX,
        "bookmark columns are not supported",
    )
}

fn bad_column(number: u16) -> DriverError {
    DriverError::new(
        SqlState::INVALID_DESCRIPTOR_INDEX,
        format!("column {number} does not exist"),
    )
}

fn indicator_required(number: u16) -> DriverError {
    let message = format!("column {number} is NULL and no indicator pointer was given");
    DriverError::new(SqlState::INDICATOR_REQUIRED, message)
}

fn address_overflow() -> DriverError {
    DriverError::new(SqlState::INVALID_LENGTH, "bound buffer address overflows")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubdb_sql::SqlType;
    use hubdb_sql::arrow::array::{Array, ArrayRef, Decimal128Array, Int64Array, StringArray};
    use hubdb_sql::arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    /// Application memory for tests: a byte arena whose addresses start at `BASE`.
    struct Arena {
        bytes: Vec<u8>,
    }

    const BASE: usize = 0x1_0000;

    impl Arena {
        fn new(size: usize) -> Self {
            Arena {
                bytes: vec![0xAA; size],
            }
        }

        fn at(&self, address: usize, len: usize) -> &[u8] {
            &self.bytes[address - BASE..address - BASE + len]
        }

        fn len_at(&self, address: usize) -> isize {
            isize::from_ne_bytes(self.at(address, LEN_SIZE).try_into().expect("SQLLEN"))
        }

        fn i64_at(&self, address: usize) -> i64 {
            i64::from_ne_bytes(self.at(address, 8).try_into().expect("i64"))
        }

        fn text_at(&self, address: usize, len: usize) -> &str {
            std::str::from_utf8(self.at(address, len)).expect("utf-8")
        }

        fn statuses(&self, address: usize, count: usize) -> Vec<u16> {
            let bytes = self.at(address, count * 2);
            bytes
                .chunks(2)
                .map(|b| u16::from_ne_bytes([b[0], b[1]]))
                .collect()
        }
    }

    impl AppMemory for Arena {
        fn write(&mut self, address: usize, bytes: &[u8]) {
            self.bytes[address - BASE..address - BASE + bytes.len()].copy_from_slice(bytes);
        }

        fn read_len(&self, address: usize) -> isize {
            self.len_at(address)
        }
    }

    fn columns() -> Vec<ResultColumn> {
        let column = |name: &str, sql_type| ResultColumn {
            name: name.into(),
            table: Some("products".into()),
            schema: Some("Published".into()),
            catalog: Some("HubDB".into()),
            sql_type,
            nullable: true,
            remarks: None,
        };
        vec![
            column("Id", SqlType::BigInt),
            column("name", SqlType::WVarChar { length: 10000 }),
        ]
    }

    fn batch(ids: &[i64], names: &[Option<&str>]) -> RecordBatch {
        let schema = Schema::new(vec![
            Field::new("Id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
        ]);
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids.to_vec())),
            Arc::new(StringArray::from(names.to_vec())),
        ];
        RecordBatch::try_new(Arc::new(schema), arrays).expect("batch")
    }

    /// Five products in two batches (3 + 2 rows); product 3 has no name, product 4 an
    /// empty one.
    fn products() -> Cursor {
        let first = batch(&[1, 2, 3], &[Some("Widget"), Some("Gadget"), None]);
        let second = batch(&[4, 5], &[Some(""), Some("Sprocket")]);
        Cursor::in_memory(columns(), vec![first, second])
    }

    fn fetch(cursor: &mut Cursor, binding: &RowBinding, arena: &mut Arena) -> FetchOutcome {
        cursor
            .fetch(binding, arena, Wait::default())
            .expect("fetch")
    }

    fn rows(outcome: &FetchOutcome) -> usize {
        match outcome {
            FetchOutcome::Rows { rows, .. } => *rows,
            FetchOutcome::NoData => 0,
        }
    }

    /// Column-wise binding of both columns for `size` rows, with rows-fetched and status
    /// arrays: ids at BASE, id indicators at +0x100, names (16 bytes each) at +0x200, name
    /// indicators at +0x400, rows fetched at +0x500, statuses at +0x600.
    fn column_wise(size: usize) -> RowBinding {
        let mut binding = RowBinding::default();
        binding.set_array_size(size).expect("size");
        let id = ColumnBinding::new(-25, BASE, 8, BASE + 0x100);
        let name = ColumnBinding::new(1, BASE + 0x200, 16, BASE + 0x400);
        binding.bind(1, Some(id), Some(2)).expect("bind id");
        binding.bind(2, Some(name), Some(2)).expect("bind name");
        binding.rows_fetched_ptr = BASE + 0x500;
        binding.row_status_ptr = BASE + 0x600;
        binding
    }

    #[test]
    fn column_wise_block_fetch_fills_arrays_and_marks_the_partial_last_rowset() {
        let (mut cursor, binding, mut arena) = (products(), column_wise(3), Arena::new(0x1000));
        assert_eq!(rows(&fetch(&mut cursor, &binding, &mut arena)), 3);
        assert_eq!(arena.i64_at(BASE + 16), 3);
        assert_eq!(arena.text_at(BASE + 0x200 + 16, 7), "Gadget\0");
        assert_eq!(arena.len_at(BASE + 0x400 + 8), 6);
        assert_eq!(arena.len_at(BASE + 0x400 + 16), convert::NULL_DATA);

        let second = fetch(&mut cursor, &binding, &mut arena);
        assert_eq!(rows(&second), 2);
        assert_eq!(arena.len_at(BASE + 0x500), 2);
        assert_eq!(
            arena.statuses(BASE + 0x600, 3),
            [ROW_SUCCESS, ROW_SUCCESS, ROW_NOROW]
        );
        assert_eq!(arena.len_at(BASE + 0x400), 0, "empty string has length 0");
        assert_eq!(arena.text_at(BASE + 0x200 + 16, 9), "Sprocket\0");

        assert_eq!(
            fetch(&mut cursor, &binding, &mut arena),
            FetchOutcome::NoData
        );
        assert_eq!(arena.len_at(BASE + 0x500), 0);
    }

    #[test]
    fn a_rowset_larger_than_the_result_gets_every_row_in_one_fetch() {
        let (mut cursor, binding, mut arena) = (products(), column_wise(1000), Arena::new(0x4000));
        let outcome = fetch(&mut cursor, &binding, &mut arena);
        assert_eq!(rows(&outcome), 5);
        assert_eq!(arena.i64_at(BASE + 4 * 8), 5);
    }

    #[test]
    fn row_wise_binding_steps_by_the_row_struct_size_plus_the_bind_offset() {
        // struct { i64 id; SQLLEN id_ind; char name[16]; SQLLEN name_ind; } = 40 bytes,
        // placed 0x100 bytes in through the bind offset.
        let mut binding = RowBinding::default();
        binding.set_array_size(2).expect("size");
        binding.bind_type = 40;
        let id = ColumnBinding::new(-25, BASE, 8, BASE + 8);
        let name = ColumnBinding::new(1, BASE + 16, 16, BASE + 32);
        binding.bind(1, Some(id), None).expect("bind");
        binding.bind(2, Some(name), None).expect("bind");
        binding.bind_offset_ptr = BASE + 0x800;
        let mut arena = Arena::new(0x1000);
        arena.write(BASE + 0x800, &0x100isize.to_ne_bytes());
        let mut cursor = products();
        fetch(&mut cursor, &binding, &mut arena);
        let row2 = BASE + 0x100 + 40;
        assert_eq!(arena.i64_at(row2), 2);
        assert_eq!(arena.len_at(row2 + 8), 8);
        assert_eq!(arena.text_at(row2 + 16, 7), "Gadget\0");
        assert_eq!(arena.len_at(row2 + 32), 6);
    }

    #[test]
    fn b17_truncated_bound_text_is_01004_with_the_full_length_in_the_indicator() {
        let mut binding = RowBinding::default();
        binding
            .bind(
                2,
                Some(ColumnBinding::new(1, BASE, 4, BASE + 0x100)),
                Some(2),
            )
            .expect("bind");
        binding.row_status_ptr = BASE + 0x200;
        let (mut cursor, mut arena) = (products(), Arena::new(0x1000));
        let FetchOutcome::Rows {
            issues,
            all_rows_failed,
            ..
        } = fetch(&mut cursor, &binding, &mut arena)
        else {
            panic!("expected rows");
        };
        assert_eq!(arena.text_at(BASE, 4), "Wid\0");
        assert_eq!(arena.len_at(BASE + 0x100), 6);
        assert_eq!(arena.statuses(BASE + 0x200, 1), [ROW_SUCCESS_WITH_INFO]);
        assert_eq!((issues.len(), issues[0].row, issues[0].column), (1, 1, 2));
        assert_eq!(issues[0].error.state, SqlState::STRING_TRUNCATED);
        assert!(!all_rows_failed);
    }

    #[test]
    fn a_conversion_error_marks_only_its_row() {
        // Names read as integers: every name but the NULL fails with 22018.
        let mut binding = RowBinding::default();
        binding.set_array_size(3).expect("size");
        binding
            .bind(
                2,
                Some(ColumnBinding::new(-16, BASE, 4, BASE + 0x100)),
                None,
            )
            .expect("bind");
        binding.row_status_ptr = BASE + 0x200;
        let (mut cursor, mut arena) = (products(), Arena::new(0x1000));
        let FetchOutcome::Rows {
            issues,
            all_rows_failed,
            ..
        } = fetch(&mut cursor, &binding, &mut arena)
        else {
            panic!("expected rows");
        };
        assert_eq!(
            arena.statuses(BASE + 0x200, 3),
            [ROW_ERROR, ROW_ERROR, ROW_SUCCESS]
        );
        assert_eq!(issues.iter().map(|i| i.row).collect::<Vec<_>>(), [1, 2]);
        assert!(
            issues
                .iter()
                .all(|i| i.error.state == SqlState::INVALID_CHARACTER_VALUE)
        );
        assert!(!all_rows_failed);
    }

    #[test]
    fn a_null_bound_without_indicator_is_22002_for_that_row() {
        let mut binding = RowBinding::default();
        binding.set_array_size(3).expect("size");
        binding
            .bind(2, Some(ColumnBinding::new(1, BASE, 16, 0)), None)
            .expect("bind");
        let (mut cursor, mut arena) = (products(), Arena::new(0x1000));
        let FetchOutcome::Rows { issues, .. } = fetch(&mut cursor, &binding, &mut arena) else {
            panic!("expected rows");
        };
        assert_eq!(issues.len(), 1);
        assert_eq!(
            (issues[0].row, issues[0].error.state),
            (3, SqlState::INDICATOR_REQUIRED)
        );
    }

    #[test]
    fn separate_length_and_indicator_buffers_get_length_and_zero() {
        let mut bound = ColumnBinding::new(1, BASE, 16, BASE + 0x100);
        bound.octet_length = BASE + 0x200;
        let mut binding = RowBinding::default();
        binding.bind(2, Some(bound), None).expect("bind");
        let (mut cursor, mut arena) = (products(), Arena::new(0x1000));
        fetch(&mut cursor, &binding, &mut arena);
        assert_eq!(
            (arena.len_at(BASE + 0x100), arena.len_at(BASE + 0x200)),
            (0, 6)
        );
    }

    fn get(cursor: &mut Cursor, column: u16, c_type: i16, out: &mut [u8]) -> GetDataOutcome {
        cursor
            .get_data(column, c_type, &RowBinding::default(), out, true)
            .expect("get data")
    }

    #[test]
    fn get_data_reads_text_in_parts_then_no_data() {
        let (mut cursor, mut arena) = (products(), Arena::new(0x100));
        fetch(&mut cursor, &RowBinding::default(), &mut arena);
        let mut whole = String::new();
        let mut out = [0u8; 3];
        for _ in 0..10 {
            match get(&mut cursor, 2, 1, &mut out) {
                GetDataOutcome::Data(part) => {
                    whole.push_str(std::str::from_utf8(&out[..part.written]).expect("utf-8"))
                }
                GetDataOutcome::NoData => break,
            }
        }
        assert_eq!(whole, "Widget");
        assert_eq!(get(&mut cursor, 2, 1, &mut out), GetDataOutcome::NoData);
    }

    #[test]
    fn get_data_reads_columns_in_any_order_and_fixed_values_once() {
        let (mut cursor, mut arena) = (products(), Arena::new(0x100));
        fetch(&mut cursor, &RowBinding::default(), &mut arena);
        let mut text = [0u8; 32];
        let GetDataOutcome::Data(name) = get(&mut cursor, 2, 1, &mut text) else {
            panic!("name")
        };
        assert_eq!(name.indicator, 6);
        let mut id = [0u8; 8];
        assert!(matches!(
            get(&mut cursor, 1, -25, &mut id),
            GetDataOutcome::Data(_)
        ));
        assert_eq!(i64::from_ne_bytes(id), 1);
        assert_eq!(get(&mut cursor, 1, -25, &mut id), GetDataOutcome::NoData);
    }

    #[test]
    fn b22_get_data_on_an_empty_string_succeeds_once_and_null_needs_an_indicator() {
        let (mut cursor, mut arena) = (products(), Arena::new(0x100));
        let binding = RowBinding::default();
        for _ in 0..3 {
            fetch(&mut cursor, &binding, &mut arena);
        }
        let mut out = [0xAAu8; 8];
        let err = cursor
            .get_data(2, -8, &binding, &mut out, false)
            .expect_err("22002");
        assert_eq!(err.state, SqlState::INDICATOR_REQUIRED);
        let GetDataOutcome::Data(null) = get(&mut cursor, 2, -8, &mut out) else {
            panic!("null")
        };
        assert!(null.is_null());
        fetch(&mut cursor, &binding, &mut arena);
        let GetDataOutcome::Data(empty) = get(&mut cursor, 2, -8, &mut out) else {
            panic!("empty")
        };
        assert_eq!((empty.indicator, empty.warning), (0, None));
        assert_eq!(get(&mut cursor, 2, -8, &mut out), GetDataOutcome::NoData);
    }

    #[test]
    fn get_data_without_a_current_row_is_24000_and_a_bad_column_07009() {
        let mut cursor = products();
        let mut out = [0u8; 8];
        let binding = RowBinding::default();
        let before = cursor
            .get_data(1, -25, &binding, &mut out, true)
            .expect_err("24000");
        assert_eq!(before.state, SqlState::INVALID_CURSOR_STATE);
        fetch(&mut cursor, &binding, &mut Arena::new(0x100));
        let bad = cursor
            .get_data(3, -25, &binding, &mut out, true)
            .expect_err("07009");
        assert_eq!(bad.state, SqlState::INVALID_DESCRIPTOR_INDEX);
    }

    #[test]
    fn set_position_moves_get_data_within_the_rowset() {
        let (mut cursor, binding, mut arena) = (products(), column_wise(4), Arena::new(0x1000));
        fetch(&mut cursor, &binding, &mut arena);
        cursor
            .set_position(4)
            .expect("row 4 spans into the second batch");
        let mut id = [0u8; 8];
        get(&mut cursor, 1, -25, &mut id);
        assert_eq!(i64::from_ne_bytes(id), 4);
        assert_eq!(
            cursor.set_position(5).expect_err("outside").state.as_str(),
            "HY107"
        );
    }

    #[test]
    fn ard_type_takes_numeric_precision_and_scale_from_the_bound_record() {
        let price = ResultColumn {
            name: "price".into(),
            table: None,
            schema: None,
            catalog: None,
            sql_type: SqlType::Decimal {
                precision: 19,
                scale: 4,
            },
            nullable: true,
            remarks: None,
        };
        let array = Decimal128Array::from(vec![1234500])
            .with_precision_and_scale(19, 4)
            .expect("decimal");
        let schema = Schema::new(vec![Field::new("price", array.data_type().clone(), true)]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(array)]).expect("batch");
        let mut cursor = Cursor::in_memory(vec![price], vec![batch]);
        let mut binding = RowBinding::default();
        let mut record = ColumnBinding::new(2, BASE, 19, BASE + 0x100);
        (record.precision, record.scale) = (Some(8), Some(2));
        binding.bind(1, Some(record), None).expect("bind");
        let mut arena = Arena::new(0x1000);
        fetch(&mut cursor, &RowBinding::default(), &mut arena);
        let mut out = [0u8; 19];
        cursor
            .get_data(1, convert::ARD_TYPE, &binding, &mut out, true)
            .expect("numeric");
        assert_eq!(&out[..3], &[8, 2, 1]);
        assert_eq!(
            u128::from_le_bytes(out[3..].try_into().expect("16 bytes")),
            12345
        );
    }

    #[test]
    fn binding_validates_column_numbers_c_types_and_array_sizes() {
        let mut binding = RowBinding::default();
        let bound = ColumnBinding::new(1, BASE, 8, 0);
        assert_eq!(
            binding
                .bind(0, Some(bound), None)
                .expect_err("bookmark")
                .state
                .as_str(),
            "07009"
        );
        assert_eq!(
            binding
                .bind(3, Some(bound), Some(2))
                .expect_err("past end")
                .state
                .as_str(),
            "07009"
        );
        let odd = ColumnBinding::new(777, BASE, 8, 0);
        assert_eq!(
            binding
                .bind(1, Some(odd), None)
                .expect_err("c type")
                .state
                .as_str(),
            "HY003"
        );
        assert_eq!(
            binding.set_array_size(0).expect_err("zero").state.as_str(),
            "HY024"
        );
        binding
            .set_array_size(100_000)
            .expect("large sizes are accepted as asked");
        binding.bind(2, Some(bound), None).expect("bind");
        binding.bind(2, None, None).expect("unbind");
        assert!(binding.column(2).is_none());
    }

    #[test]
    fn a_binding_past_the_last_column_fails_the_fetch_without_losing_rows() {
        let mut binding = RowBinding::default();
        let bound = ColumnBinding::new(-25, BASE, 8, BASE + 0x100);
        binding
            .bind(3, Some(bound), None)
            .expect("bound before execute");
        let (mut cursor, mut arena) = (products(), Arena::new(0x1000));
        let err = cursor
            .fetch(&binding, &mut arena, Wait::default())
            .expect_err("07009");
        assert_eq!(err.state, SqlState::INVALID_DESCRIPTOR_INDEX);
        binding.bind(3, None, None).expect("unbind");
        binding.bind(1, Some(bound), None).expect("bind id");
        fetch(&mut cursor, &binding, &mut arena);
        assert_eq!(arena.i64_at(BASE), 1);
    }

    #[test]
    fn a_value_longer_than_the_scratch_limit_arrives_whole_in_a_large_buffer() {
        let long = "x".repeat(SCRATCH_LIMIT + 10);
        let first = batch(&[1], &[Some(long.as_str())]);
        let mut cursor = Cursor::in_memory(columns(), vec![first]);
        let mut binding = RowBinding::default();
        let name = ColumnBinding::new(1, BASE + 64, 3 * SCRATCH_LIMIT, BASE);
        binding.bind(2, Some(name), None).expect("bind");
        let mut arena = Arena::new(3 * SCRATCH_LIMIT + 128);
        let outcome = fetch(&mut cursor, &binding, &mut arena);
        assert!(matches!(outcome, FetchOutcome::Rows { ref issues, .. } if issues.is_empty()));
        assert_eq!(arena.len_at(BASE), long.len() as isize);
        assert_eq!(arena.text_at(BASE + 64, long.len()), long);
        assert_eq!(arena.at(BASE + 64 + long.len(), 1), [0]);
    }

    #[test]
    fn in_memory_results_count_their_rows() {
        assert_eq!(products().row_count(), 5);
    }
}
