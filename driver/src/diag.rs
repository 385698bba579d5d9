//! Diagnostic records of one handle: what SQLGetDiagRec and SQLGetDiagField read.
//!
//! Every function except the diagnostic functions clears the records of its handle first
//! (reference/odbc.md §1.14); the guard in `guard.rs` does that.

use crate::error::{DriverError, SqlState};

/// One status record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagRecord {
    pub state: SqlState,
    pub message: String,
    pub native: i32,
    /// `SQL_DIAG_ROW_NUMBER` for per-row fetch problems (1-based), else 0.
    pub row: i64,
    /// `SQL_DIAG_COLUMN_NUMBER` for per-column problems (1-based), else 0.
    pub column: i32,
}

/// The diagnostics area of a handle: the header fields and the status records.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    records: Vec<DiagRecord>,
    /// `SQL_DIAG_RETURNCODE` of the last function called on the handle.
    pub return_code: i16,
    /// `SQL_DIAG_ROW_COUNT`: rows affected by the last statement (-1 when unknown).
    pub row_count: i64,
}

impl Diagnostics {
    /// Clears every record; done at the start of each function on the handle.
    pub fn clear(&mut self) {
        self.records.clear();
        self.return_code = 0;
    }

    /// Adds a warning (the function then returns `SQL_SUCCESS_WITH_INFO`).
    pub fn push_warning(&mut self, state: SqlState, message: impl std::fmt::Display) {
        self.push(DriverError::new(state, message));
    }

    /// Adds a record for an error or warning already carrying its prefix.
    pub fn push(&mut self, error: DriverError) {
        // Driver managers and applications probe optional features (unixODBC sets
        // SQL_ATTR_ANSI_APP on every connect): an HYC00 answer is routine, not a warning.
        if error.state == SqlState::NOT_IMPLEMENTED {
            log::debug!("{} {}", error.state, error.message);
        } else {
            log::warn!("{} {}", error.state, error.message);
        }
        self.records.push(DiagRecord {
            state: error.state,
            message: error.message,
            native: error.native,
            row: 0,
            column: 0,
        });
    }

    /// Adds a record tied to a row and column of a block fetch.
    pub fn push_at(&mut self, error: DriverError, row: i64, column: i32) {
        self.push(error);
        if let Some(last) = self.records.last_mut() {
            last.row = row;
            last.column = column;
        }
    }

    /// True when a warning was recorded.
    pub fn has_records(&self) -> bool {
        !self.records.is_empty()
    }

    /// Number of status records (`SQL_DIAG_NUMBER`).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when there is no record.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Record number `number` (1-based), if any.
    pub fn record(&self, number: i16) -> Option<&DiagRecord> {
        let index = usize::try_from(number).ok()?.checked_sub(1)?;
        self.records.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_numbered_from_one_and_cleared() {
        let mut diag = Diagnostics::default();
        diag.push_warning(SqlState::STRING_TRUNCATED, "string data, right truncated");
        assert_eq!(diag.len(), 1);
        assert!(diag.record(0).is_none());
        let first = diag.record(1).expect("record 1");
        assert_eq!(first.state.as_str(), "01004");
        assert!(first.message.starts_with("[HubDB ODBC][Driver] "));
        assert!(diag.record(2).is_none());
        diag.clear();
        assert!(diag.is_empty());
    }
}
