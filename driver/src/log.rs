//! The driver log, switched on by the `Logfile` and `Verbosity` connection properties.
//!
//! One process-wide logger for the `log` facade (the facade allows one per process); the last
//! connection that names a log file decides where lines go. Verbosity 1 writes warnings (each
//! diagnostic returned), 2 adds connection and statement lifecycle, 3 each HTTP call, 4 and
//! more per-row detail (STYLE point 10). No line ever holds a token: secrets live in
//! `hubdb::Secret`, which prints `***`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use log::{LevelFilter, Log, Metadata, Record};

struct DriverLogger {
    file: Mutex<Option<File>>,
}

impl Log for DriverLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
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
        };
        log::set_max_level(LevelFilter::Off);
        logger
    })
}

/// Maps the `Verbosity` property to a level.
pub fn level_for(verbosity: u8) -> LevelFilter {
    match verbosity {
        0 => LevelFilter::Off,
        1 => LevelFilter::Warn,
        2 => LevelFilter::Info,
        3 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
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
    // Installing fails when the host application already set a logger; its logger then
    // receives the driver's lines instead, which is what such an application wants.
    let _ = log::set_logger(logger);
    log::set_max_level(level_for(verbosity));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_levels_grow() {
        assert_eq!(level_for(0), LevelFilter::Off);
        assert_eq!(level_for(1), LevelFilter::Warn);
        assert_eq!(level_for(3), LevelFilter::Debug);
        assert_eq!(level_for(9), LevelFilter::Trace);
    }
}
