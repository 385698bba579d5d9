//! `hubdb-odbc-install`: registers the HubDB ODBC driver and its DSNs.
//!
//! ```text
//! hubdb-odbc-install driver     [--library PATH] [--name NAME] [SCOPE]
//! hubdb-odbc-install dsn NAME   [--driver NAME] [KEY=VALUE ...] [SCOPE]
//! hubdb-odbc-install remove-dsn NAME [SCOPE]
//! hubdb-odbc-install uninstall  [--name NAME] [SCOPE]
//! SCOPE: --user (default) | --system (root; through odbcinst) | --dir DIR (ODBCSYSINI=DIR)
//! ```

mod ini;
mod register;
mod scope;

use register::DRIVER_NAME;
use scope::Scope;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  hubdb-odbc-install driver [--library PATH] [--name NAME] [SCOPE]
  hubdb-odbc-install dsn NAME [--driver NAME] [KEY=VALUE ...] [SCOPE]
  hubdb-odbc-install remove-dsn NAME [SCOPE]
  hubdb-odbc-install uninstall [--name NAME] [SCOPE]
SCOPE: --user (default) | --system | --dir DIR";

/// Parsed command line.
struct Args {
    command: String,
    positional: Vec<String>,
    scope: Scope,
    library: Option<PathBuf>,
    name: String,
}

fn parse(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let command = raw.next().ok_or("missing command")?;
    let mut args = Args {
        command,
        positional: Vec::new(),
        scope: Scope::User,
        library: None,
        name: DRIVER_NAME.to_string(),
    };
    while let Some(arg) = raw.next() {
        let mut value = |flag: &str| raw.next().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "--user" => args.scope = Scope::User,
            "--system" => args.scope = Scope::System,
            "--dir" => args.scope = Scope::Dir(absolute(value("--dir")?.into())?),
            "--library" => args.library = Some(absolute(value("--library")?.into())?),
            "--name" | "--driver" => args.name = value(&arg)?,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => args.positional.push(arg),
        }
    }
    Ok(args)
}

fn absolute(path: PathBuf) -> Result<PathBuf, String> {
    std::path::absolute(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The library beside this program: `cargo build` puts both in the same target folder.
fn default_library() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let library = exe.with_file_name("libhubdb_odbc.so");
    if library.exists() {
        Ok(library)
    } else {
        Err(format!(
            "{} not found: build it or pass --library PATH",
            library.display()
        ))
    }
}

fn run(args: Args) -> Result<String, String> {
    let io = |e: std::io::Error| e.to_string();
    match (args.command.as_str(), args.positional.as_slice()) {
        ("driver", []) => {
            let library = args.library.map_or_else(default_library, Ok)?;
            if !library.is_file() {
                return Err(format!(
                    "{} not found: pass the built library",
                    library.display()
                ));
            }
            register::install_driver(&args.scope, &args.name, &library).map_err(io)?;
            Ok(format!("registered {} -> {}", args.name, library.display()))
        }
        ("dsn", [dsn, pairs @ ..]) => {
            let mut entries = vec![("Driver".to_string(), args.name.clone())];
            for pair in pairs {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or(format!("expected KEY=VALUE: {pair}"))?;
                entries.push((k.to_string(), v.to_string()));
            }
            match register::add_dsn(&args.scope, dsn, &entries).map_err(io)? {
                true => Ok(format!("replaced DSN {dsn} (its earlier keys are gone)")),
                false => Ok(format!("added DSN {dsn}")),
            }
        }
        ("remove-dsn", [dsn]) => match register::remove_dsn(&args.scope, dsn).map_err(io)? {
            true => Ok(format!("removed DSN {dsn}")),
            false => Err(format!("no DSN named {dsn}")),
        },
        ("uninstall", []) => {
            let removed = register::uninstall(&args.scope, &args.name).map_err(io)?;
            let driver = match removed.driver {
                true => format!("unregistered {}", args.name),
                false => format!("{} was not registered", args.name),
            };
            let dsns = match removed.dsns.as_slice() {
                [] => "no DSN used it".to_string(),
                dsns => format!("removed DSNs: {}", dsns.join(", ")),
            };
            Ok(format!("{driver}; {dsns}"))
        }
        _ => Err(USAGE.to_string()),
    }
}

fn main() -> ExitCode {
    let help = |a: &String| matches!(a.as_str(), "-h" | "--help" | "help");
    if std::env::args().skip(1).any(|a| help(&a)) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match parse(std::env::args().skip(1)).and_then(run) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("hubdb-odbc-install: {message}");
            ExitCode::from(2)
        }
    }
}
