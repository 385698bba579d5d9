//! Reads the 10,000-row sample table through the driver and prints rows per second, HTTP
//! requests and peak memory for 1,000 and 10,000 rows. Each read runs in a child process of
//! its own, so its peak resident memory (VmHWM) is its own: rows stream, so the figure must
//! not grow with the number of rows.
//!
//! `cargo build --release -p hubdb-odbc -p hubdb-sandbox && HUBDB_PROFILE=release cargo bench -p hubdb-tests`
//! (without HUBDB_PROFILE the debug build is measured).

use hubdb_tests::{SandboxProcess, driver_library};
use odbc_api::buffers::TextRowSet;
use odbc_api::{ConnectionOptions, Cursor, Environment};
use std::process::Command;
use std::time::Instant;

const SIZES: [usize; 2] = [1_000, 10_000];

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("--child") {
        let connection_string = args.next().expect("connection string");
        let rows: usize = args.next().and_then(|n| n.parse().ok()).expect("row count");
        return child(&connection_string, rows);
    }
    let sandbox = SandboxProcess::start(&["--rate-limit", "100000"]);
    println!("driver: {}", driver_library().display());
    println!(
        "{:>8} {:>12} {:>10} {:>14} {:>14}",
        "rows", "rows/s", "requests", "peak before MiB", "peak after MiB"
    );
    for rows in SIZES {
        sandbox.clear_requests();
        let exe = std::env::current_exe().expect("own path");
        let out = Command::new(exe)
            .args(["--child", &sandbox.connection_string(""), &rows.to_string()])
            .output()
            .expect("run the child");
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success(),
            "child failed: {line} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let fields: Vec<&str> = line.split_whitespace().collect();
        println!(
            "{rows:>8} {:>12} {:>10} {:>15} {:>14}",
            fields[0],
            sandbox.row_requests(),
            fields[1],
            fields[2]
        );
    }
}

/// Connects, reads `rows` rows in rowsets of 1,000, prints `rows_per_second peak_before peak_after`.
fn child(connection_string: &str, rows: usize) {
    let env = Environment::new().expect("environment");
    let connection = env
        .connect_with_connection_string(connection_string, ConnectionOptions::default())
        .expect("connect");
    let before = peak_resident_mib();
    let started = Instant::now();
    let sql = format!("SELECT * FROM price_list LIMIT {rows}");
    let mut cursor = connection
        .execute(&sql, (), None)
        .expect("execute")
        .expect("rows");
    let buffer = TextRowSet::for_cursor(1000, &mut cursor, Some(4096)).expect("buffer");
    let mut bound = cursor.bind_buffer(buffer).expect("bind");
    let mut read = 0;
    while let Some(rowset) = bound.fetch().expect("fetch") {
        read += rowset.num_rows();
    }
    assert_eq!(read, rows);
    let per_second = rows as f64 / started.elapsed().as_secs_f64();
    println!("{per_second:.0} {before:.1} {:.1}", peak_resident_mib());
}

fn peak_resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}
