//! Reading sample tables with odbc-api's block cursors.

use crate::{connect, sandbox};
use odbc_api::Cursor;
use odbc_api::buffers::TextRowSet;
use std::collections::HashSet;

/// Every value of the first column, read in rowsets of `batch` rows.
fn first_column(sql: &str, batch: usize) -> Vec<String> {
    let connection = connect(sandbox());
    let mut cursor = connection
        .execute(sql, (), None)
        .expect("execute")
        .expect("a result set");
    let buffer = TextRowSet::for_cursor(batch, &mut cursor, Some(4096)).expect("buffer");
    let mut bound = cursor.bind_buffer(buffer).expect("bind");
    let mut values = Vec::new();
    for _ in 0..100_000 {
        let Some(rowset) = bound.fetch().expect("fetch") else {
            return values;
        };
        for row in 0..rowset.num_rows() {
            let cell = rowset
                .at(0, row)
                .map(|b| String::from_utf8_lossy(b).into_owned());
            values.push(cell.unwrap_or_default());
        }
    }
    panic!("the cursor did not end");
}

#[test]
fn block_cursor_reads_the_10000_row_table_each_row_once() {
    let ids = first_column("SELECT Id FROM price_list", 1000);

    assert_eq!(ids.len(), 10_000);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 10_000);
}

#[test]
fn partial_last_rowset_and_unicode_text() {
    let titles = first_column("SELECT title FROM events ORDER BY Id", 3);

    assert!(
        titles.contains(&"東京ナイトライド 🌙".to_string()),
        "{titles:?}"
    );
    // The published `events` table has 8 rows: rowsets of 3, 3 and a partial 2.
    assert_eq!(titles.len(), 8, "{titles:?}");
}

#[test]
fn catalog_lists_the_sample_tables() {
    let connection = connect(sandbox());
    let mut names = Vec::new();
    for row in connection.tables("", "", "", "").expect("SQLTables") {
        let row = row.expect("fetch");
        let schema = row.schema.as_str().expect("utf8").unwrap_or_default();
        let table = row.table.as_str().expect("utf8").unwrap_or_default();
        names.push((schema.to_string(), table.to_string()));
    }
    assert!(
        names.contains(&("Published".into(), "store_locations".into())),
        "{names:?}"
    );
    assert!(
        names.contains(&("Draft".into(), "upcoming_webinars".into())),
        "{names:?}"
    );
    assert!(
        !names.contains(&("Published".into(), "upcoming_webinars".into())),
        "{names:?}"
    );
}
