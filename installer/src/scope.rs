//! Where a registration goes: the user's own INI files, the system's (through `odbcinst`),
//! or a folder of INI files that `ODBCSYSINI`/`ODBCINI` point at (the demo's project-local setup).

use crate::ini::Ini;
use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// `~/.odbcinst.ini` and `~/.odbc.ini`; `odbcinst -i` has no user scope for drivers, so the
    /// sections are merged by hand (DESIGN "Demo and install").
    User,
    /// The system files, changed only through `odbcinst` so its own locking and paths apply.
    System,
    /// `DIR/odbcinst.ini` and `DIR/odbc.ini`, for `ODBCSYSINI=DIR ODBCINI=DIR/odbc.ini`.
    Dir(PathBuf),
}

/// The two files a file-edited scope writes.
pub struct Files {
    pub drivers: PathBuf,
    pub data_sources: PathBuf,
}

impl Scope {
    pub fn files(&self) -> io::Result<Option<Files>> {
        Ok(match self {
            Scope::User => {
                let home = user_home()?;
                Some(Files {
                    drivers: home.join(".odbcinst.ini"),
                    data_sources: home.join(".odbc.ini"),
                })
            }
            Scope::Dir(dir) => Some(Files {
                drivers: dir.join("odbcinst.ini"),
                data_sources: dir.join("odbc.ini"),
            }),
            Scope::System => None,
        })
    }
}

/// The home folder from the password database, as unixODBC finds it (reference/odbc.md §2.1:
/// it calls getpwuid, not `$HOME`); `$HOME` only when the database has no entry.
fn user_home() -> io::Result<PathBuf> {
    let uid = fs::metadata("/proc/self")?.uid();
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let from_db = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 6 && fields[2] == uid.to_string()).then(|| PathBuf::from(fields[5]))
    });
    from_db
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
        .ok_or_else(|| io::Error::other("cannot find the home folder of the current user"))
}

pub fn read_ini(path: &Path) -> io::Result<Ini> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Ini::parse(&text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Ini::default()),
        Err(e) => Err(e),
    }
}

/// Writes through a temporary file and a rename, so a reader never sees half a file. The mode
/// is owner-only: a DSN may hold a private-app token.
pub fn write_ini(path: &Path, ini: &Ini) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("ini.tmp");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(ini.render().as_bytes())?;
    file.sync_all()?;
    fs::rename(&tmp, path)
}

/// Runs `odbcinst` with a template on standard input (`-r`), or without one.
pub fn odbcinst(args: &[&str], template: Option<&str>) -> io::Result<String> {
    let mut command = Command::new("odbcinst");
    command.args(args);
    let output = match template {
        Some(text) => {
            let mut child = command
                .args(["-r"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()?;
            child
                .stdin
                .take()
                .expect("piped stdin")
                .write_all(text.as_bytes())?;
            child.wait_with_output()?
        }
        None => command.output()?,
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(io::Error::other(format!(
            "odbcinst {} failed: {}{}",
            args.join(" "),
            stdout.trim(),
            stderr.trim()
        )))
    }
}
