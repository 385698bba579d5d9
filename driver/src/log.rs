//! The driver log, switched on by the `Logfile` and `Verbosity` connection properties.
//!
//! One process-wide logger for the `log` facade (the facade allows one per process); the last
//! connection that names a log file decides where lines go and how much. No line ever holds a
//! token: secrets live in `hubdb::Secret`, which prints `***`.
//!
//! Verbosity, for the project's own crates (targets `hubdb*`, STYLE point 10):
//! - 1 and 2: info, so errors, each diagnostic returned, connects and disconnects, and each
//!   statement prepared (the README's "1: connections and errors"; the driver logs a
//!   connection at info, so level 1 must include info);
//! - 3: debug, adding handle lifecycle and each HTTP call (what the README's troubleshooting
//!   section asks for);
//! - 4 and 5: trace, per-row detail.
//!
//! Other crates (DataFusion, sqlparser, ...) write only warnings and errors, at every level:
//! their debug lines are about how the engine works, not what the driver did, they
//! outnumbered the driver's own lines a hundredfold, and sqlparser's quote the statement's
//! literals, which may be a token passed to an OAuth procedure: only the driver's own lines
//! are known to hold no secret.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use log::{LevelFilter, Log, Metadata, Record};

/// How the targets of the project's crates begin: `hubdb`, `hubdb_sql`, `hubdb_odbc`, ...
const OWN_TARGET_PREFIX: &str = "hubdb";

struct DriverLogger {
    file: Mutex<Option<File>>,
    verbosity: AtomicU8,
}

impl Log for DriverLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let verbosity = self.verbosity.load(Ordering::Relaxed);
        metadata.level() <= level_for_target(metadata.target(), verbosity)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let Ok(mut guard) = self.file.lock() else {
            return;
        };
        if let Some(file) = guard.as_mut() {
            let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
            // A failed log write must never fail an ODBC call.
            let _ = writeln!(
                file,
                "{now} {} {}: {}",
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {
        if let Ok(mut guard) = self.file.lock()
            && let Some(file) = guard.as_mut()
        {
            let _ = file.flush();
        }
    }
}

fn logger() -> &'static DriverLogger {
    static LOGGER: OnceLock<DriverLogger> = OnceLock::new();
    LOGGER.get_or_init(|| {
        let logger = DriverLogger {
            file: Mutex::new(None),
            verbosity: AtomicU8::new(0),
        };
        log::set_max_level(LevelFilter::Off);
        logger
    })
}

/// Maps the `Verbosity` property to the level of the project's own crates.
pub fn level_for(verbosity: u8) -> LevelFilter {
    match verbosity {
        0 => LevelFilter::Off,
        1 | 2 => LevelFilter::Info,
        3 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    }
}

/// Maps the `Verbosity` property to the level of other crates' records.
fn foreign_level_for(verbosity: u8) -> LevelFilter {
    match verbosity {
        0 => LevelFilter::Off,
        _ => LevelFilter::Warn,
    }
}

/// The most detailed level written for records of `target` at `verbosity`.
fn level_for_target(target: &str, verbosity: u8) -> LevelFilter {
    if target.starts_with(OWN_TARGET_PREFIX) {
        level_for(verbosity)
    } else {
        foreign_level_for(verbosity)
    }
}

/// Starts writing to `path` at `verbosity`. Errors opening the file are returned for a
/// warning; the connection goes on without a log.
pub fn configure(path: &Path, verbosity: u8) -> std::io::Result<()> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let logger = logger();
    if let Ok(mut guard) = logger.file.lock() {
        *guard = Some(file);
    }
    logger.verbosity.store(verbosity, Ordering::Relaxed);
    // Installing fails when the host application already set a logger; its logger then
    // receives the driver's lines instead, which is what such an application wants.
    let _ = log::set_logger(logger);
    // The facade's global filter only skips what no target may write; `enabled` decides
    // per target. Own crates are never less detailed than others.
    log::set_max_level(level_for(verbosity).max(foreign_level_for(verbosity)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_levels_grow() {
        assert_eq!(level_for(0), LevelFilter::Off);
        assert_eq!(level_for(1), LevelFilter::Info);
        assert_eq!(level_for(3), LevelFilter::Debug);
        assert_eq!(level_for(9), LevelFilter::Trace);
        for verbosity in 0..9 {
            assert!(level_for(verbosity) <= level_for(verbosity + 1));
            assert!(foreign_level_for(verbosity) <= foreign_level_for(verbosity + 1));
        }
    }

    /// The README: level 1 logs connections and errors; the driver logs a connection at
    /// info (`connection.rs`).
    #[test]
    fn verbosity_1_writes_the_connection_line() {
        assert!(log::Level::Info <= level_for_target("hubdb_odbc::connection", 1));
        assert!(log::Level::Debug > level_for_target("hubdb_odbc::connection", 1));
    }

    /// The tester's report: 59 KB of sqlparser and DataFusion debug lines for 3 queries at 3.
    #[test]
    fn other_crates_write_only_warnings() {
        for target in ["sqlparser::parser", "datafusion::execution::session_state"] {
            for verbosity in 1..=5 {
                assert_eq!(level_for_target(target, verbosity), LevelFilter::Warn);
            }
            assert_eq!(level_for_target(target, 0), LevelFilter::Off);
        }
    }

    #[test]
    fn own_crates_follow_the_verbosity() {
        for target in ["hubdb::http", "hubdb_sql::engine", "hubdb_odbc::diag"] {
            assert_eq!(level_for_target(target, 3), LevelFilter::Debug);
        }
    }
}
