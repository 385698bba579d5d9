//! Runs a fixed list of SQL queries through the driver, against a sandbox that answers every
//! request after 50 ms, and prints one line per query: the HubDB row reads it was expected to
//! make and made, the rows those reads transferred, the rows the application received, and the
//! wall time, also as a multiple of one request's latency.
//!
//! ```sh
//! cargo build --workspace && cargo bench -p hubdb-tests --bench queries
//! ```
//!
//! `HUBDB_PROFILE=release` measures the release build instead (build it with
//! `cargo build --release --workspace` first).
//!
//! - Only row reads count: requests whose path contains `/rows` (row listings and single-row
//!   reads). Rows transferred is the sum of the `rows` the sandbox logged for them.
//! - Each query gets a connection of its own (so it can carry its own properties), which first
//!   runs a warm-up query: the table list is then in the driver's metadata cache, and the
//!   sandbox's log is cleared before the measured query.
//! - A line whose row reads differ from the expected ones ends in `<- not as expected`. That is
//!   a finding about pushdown, reported and not failed. A query that fails, or returns a wrong
//!   number of rows or a wrong known value, panics: that is a bug.

use hubdb_tests::{SandboxProcess, driver_library};
use odbc_api::buffers::TextRowSet;
use odbc_api::{Connection, ConnectionOptions, Cursor, Environment};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The sandbox's delay before each answer.
const LATENCY_MS: u64 = 50;

/// Run on each new connection before the measured query.
const WARM_UP: &str = "SELECT Id FROM store_locations LIMIT 1";

struct Query {
    name: &'static str,
    /// Connection properties appended to the connection string.
    properties: &'static str,
    sql: &'static str,
    /// Rows the application must receive.
    rows: usize,
    /// The first column of the first row, where the answer is known.
    first_value: Option<&'static str>,
    /// Row reads expected, per table.
    reads: &'static [(&'static str, usize)],
}

const QUERIES: &[Query] = &[
    Query {
        name: "point lookup by Id",
        properties: "",
        sql: "SELECT Id, store_name, region FROM store_locations WHERE Id = 81000003",
        rows: 1,
        first_value: Some("81000003"),
        reads: &[("store_locations", 1)],
    },
    Query {
        name: "filter, sort, LIMIT 5",
        properties: "",
        sql: "SELECT sku, stock, last_synced_at FROM price_list WHERE stock > 20 \
              ORDER BY last_synced_at DESC LIMIT 5",
        rows: 5,
        first_value: None,
        reads: &[("price_list", 1)],
    },
    Query {
        name: "full scan, concurrent pages",
        properties: "",
        sql: "SELECT * FROM price_list",
        rows: 10_000,
        first_value: None,
        reads: &[("price_list", 10)],
    },
    Query {
        name: "full scan, PagesInFlight=1",
        properties: "PagesInFlight=1",
        sql: "SELECT * FROM price_list",
        rows: 10_000,
        first_value: None,
        reads: &[("price_list", 10)],
    },
    Query {
        name: "join of two tables",
        properties: "",
        // A FOREIGN_ID cell is the referenced row ids joined with `;`: the events with a
        // single venue match one store each (5 of the 8 published events).
        sql: "SELECT e.title, s.store_name FROM events e \
              JOIN store_locations s ON e.venue = CAST(s.Id AS VARCHAR)",
        rows: 5,
        first_value: None,
        reads: &[("events", 1), ("store_locations", 1)],
    },
    Query {
        name: "COUNT(*) with pushed filter",
        properties: "",
        // `stock` cycles through 11 values, two of them above 100: 909 cycles make 1818.
        sql: "SELECT COUNT(*) FROM price_list WHERE stock > 100",
        rows: 1,
        first_value: Some("1818"),
        reads: &[("price_list", 1)],
    },
    Query {
        name: "BI tool shape (GROUP BY)",
        properties: "",
        sql: "SELECT \"t0\".\"region\" AS \"region\", CAST(COUNT(*) AS INTEGER) AS \"cnt\" \
              FROM (SELECT * FROM store_locations) \"t0\" GROUP BY \"t0\".\"region\"",
        rows: 4,
        first_value: None,
        reads: &[("store_locations", 1)],
    },
];

/// What one query cost.
struct Measured {
    /// Row reads per table.
    reads: BTreeMap<String, usize>,
    transferred: usize,
    returned: usize,
    elapsed: Duration,
}

fn main() {
    let latency = LATENCY_MS.to_string();
    let sandbox = SandboxProcess::start(&["--latency-ms", &latency, "--rate-limit", "100000"]);
    let environment = Environment::new().expect("environment");
    println!("driver: {}", driver_library().display());
    println!("sandbox latency: {LATENCY_MS} ms per request");
    println!(
        "{:<28} {:>8} {:>5} {:>11} {:>8} {:>9} {:>9}  reads per table",
        "query", "expected", "reads", "transferred", "returned", "ms", "latencies"
    );
    for query in QUERIES {
        let connection = connect(&environment, &sandbox, query.properties);
        sandbox.clear_requests();
        let measured = run(&connection, query, &sandbox);
        print_line(query, &measured);
    }
}

/// A connection that has run the warm-up query.
fn connect<'e>(
    environment: &'e Environment,
    sandbox: &SandboxProcess,
    properties: &str,
) -> Connection<'e> {
    let connection = environment
        .connect_with_connection_string(
            &sandbox.connection_string(properties),
            ConnectionOptions::default(),
        )
        .expect("connect");
    read_all(&connection, WARM_UP);
    connection
}

/// Runs the query, checks its answer, and reads the sandbox's log.
fn run(connection: &Connection, query: &Query, sandbox: &SandboxProcess) -> Measured {
    let started = Instant::now();
    let (returned, first_value) = read_all(connection, query.sql);
    let elapsed = started.elapsed();

    assert_eq!(returned, query.rows, "{}: rows returned", query.name);
    if let Some(expected) = query.first_value {
        assert_eq!(first_value.as_deref(), Some(expected), "{}", query.name);
    }

    let row_reads: Vec<_> = sandbox
        .request_log()
        .into_iter()
        .filter(|request| request.is_row_read())
        .collect();
    let mut reads = BTreeMap::new();
    for request in &row_reads {
        let table = request.table().unwrap_or("?").to_string();
        *reads.entry(table).or_default() += 1;
    }
    Measured {
        reads,
        transferred: row_reads.iter().filter_map(|r| r.rows).sum(),
        returned,
        elapsed,
    }
}

/// Executes `sql` and fetches every row in rowsets of 1,000: the row count and the first
/// column of the first row.
fn read_all(connection: &Connection, sql: &str) -> (usize, Option<String>) {
    let mut cursor = connection
        .execute(sql, (), None)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a result set");
    let buffer = TextRowSet::for_cursor(1000, &mut cursor, Some(4096)).expect("buffer");
    let mut bound = cursor.bind_buffer(buffer).expect("bind");
    let mut rows = 0;
    let mut first_value = None;
    while let Some(rowset) = bound.fetch().unwrap_or_else(|e| panic!("{sql}: {e}")) {
        if rows == 0 && rowset.num_rows() > 0 {
            first_value = rowset
                .at(0, 0)
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned());
        }
        rows += rowset.num_rows();
    }
    (rows, first_value)
}

fn print_line(query: &Query, measured: &Measured) {
    let expected: BTreeMap<String, usize> = query
        .reads
        .iter()
        .map(|(table, reads)| (table.to_string(), *reads))
        .collect();
    let per_table: Vec<String> = measured
        .reads
        .iter()
        .map(|(table, reads)| format!("{table}:{reads}"))
        .collect();
    let ms = measured.elapsed.as_secs_f64() * 1000.0;
    let mark = if measured.reads == expected {
        ""
    } else {
        "  <- not as expected"
    };
    println!(
        "{:<28} {:>8} {:>5} {:>11} {:>8} {:>9.1} {:>9.1}  {}{mark}",
        query.name,
        expected.values().sum::<usize>(),
        measured.reads.values().sum::<usize>(),
        measured.transferred,
        measured.returned,
        ms,
        ms / LATENCY_MS as f64,
        per_table.join(" "),
    );
}
