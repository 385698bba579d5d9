//! Registering the driver and its DSNs in one scope.

use crate::ini::{Ini, template_entries};
use crate::scope::{Scope, odbcinst, read_ini, write_ini};
use std::io;
use std::path::Path;

/// The driver's registration entry, shipped beside the sources and used as the template.
pub const TEMPLATE: &str = include_str!("../../odbcinst.ini.example");
/// The section name the template registers.
pub const DRIVER_NAME: &str = "HubDB ODBC Driver";

/// The template's entries with `Driver` pointing at `library`.
pub fn driver_entries(library: &Path) -> Vec<(String, String)> {
    let mut entries = template_entries(TEMPLATE, DRIVER_NAME).expect("template has the section");
    for (key, value) in &mut entries {
        if key.eq_ignore_ascii_case("Driver") {
            *value = library.display().to_string();
        }
    }
    entries
}

pub fn install_driver(scope: &Scope, name: &str, library: &Path) -> io::Result<()> {
    let entries = driver_entries(library);
    match scope.files()? {
        Some(files) => edit(&files.drivers, |ini| ini.set_section(name, &entries)),
        None => {
            // `odbcinst -i` counts usages; remove earlier registrations so the entry is replaced.
            remove_system(&["-d"], name)?;
            odbcinst(&["-i", "-d"], Some(&section_text(name, &entries))).map(drop)
        }
    }
}

/// Writes the DSN, replacing a DSN of the same name whole; says whether one was replaced.
pub fn add_dsn(scope: &Scope, dsn: &str, entries: &[(String, String)]) -> io::Result<bool> {
    match scope.files()? {
        Some(files) => {
            let mut replaced = false;
            edit(&files.data_sources, |ini| {
                replaced = ini
                    .section_names()
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(dsn));
                ini.set_section(dsn, entries);
            })?;
            Ok(replaced)
        }
        None => {
            let replaced = remove_system(&["-s", "-l"], dsn)?;
            odbcinst(&["-i", "-s", "-l"], Some(&section_text(dsn, entries)))?;
            Ok(replaced)
        }
    }
}

pub fn remove_dsn(scope: &Scope, dsn: &str) -> io::Result<bool> {
    match scope.files()? {
        Some(files) => {
            let mut removed = false;
            edit(&files.data_sources, |ini| removed = ini.remove_section(dsn))?;
            Ok(removed)
        }
        None => remove_system(&["-s", "-l"], dsn),
    }
}

/// What `uninstall` removed.
#[derive(Debug, PartialEq, Eq)]
pub struct Removed {
    /// Whether the driver was registered in this scope.
    pub driver: bool,
    pub dsns: Vec<String>,
}

/// Removes the driver's registration and every DSN of this scope that uses it.
pub fn uninstall(scope: &Scope, name: &str) -> io::Result<Removed> {
    match scope.files()? {
        Some(files) => {
            let mut dsns = Vec::new();
            edit(&files.data_sources, |ini| dsns = remove_dsns_of(ini, name))?;
            let mut driver = false;
            edit(&files.drivers, |ini| driver = ini.remove_section(name))?;
            Ok(Removed { driver, dsns })
        }
        None => {
            let odbc_ini = system_file("SYSTEM DATA SOURCES")?;
            let dsns: Vec<String> = dsns_of(&read_ini(Path::new(&odbc_ini))?, name);
            for dsn in &dsns {
                remove_system(&["-s", "-l"], dsn)?;
            }
            let driver = remove_system(&["-d"], name)?;
            Ok(Removed { driver, dsns })
        }
    }
}

fn dsns_of(ini: &Ini, driver: &str) -> Vec<String> {
    ini.section_names()
        .into_iter()
        .filter(|dsn| {
            ini.get(dsn, "Driver")
                .is_some_and(|d| d.eq_ignore_ascii_case(driver))
        })
        .map(str::to_string)
        .collect()
}

fn remove_dsns_of(ini: &mut Ini, driver: &str) -> Vec<String> {
    let dsns = dsns_of(ini, driver);
    for dsn in &dsns {
        ini.remove_section(dsn);
    }
    dsns
}

fn edit(path: &Path, change: impl FnOnce(&mut Ini)) -> io::Result<()> {
    let mut ini = read_ini(path)?;
    let before = ini.clone();
    change(&mut ini);
    if ini != before {
        write_ini(path, &ini)?;
    }
    Ok(())
}

fn section_text(name: &str, entries: &[(String, String)]) -> String {
    let mut ini = Ini::default();
    ini.set_section(name, entries);
    ini.render()
}

/// Uninstalls `name` until `odbcinst -q` no longer lists it; at most a few rounds, since each
/// `odbcinst -u` only lowers the usage count by one.
fn remove_system(kind: &[&str], name: &str) -> io::Result<bool> {
    let mut removed = false;
    for _ in 0..8 {
        let query: Vec<&str> = [&["-q"], kind, &["-n", name]].concat();
        if odbcinst(&query, None).is_err() {
            return Ok(removed);
        }
        let uninstall: Vec<&str> = [&["-u"], kind, &["-n", name]].concat();
        odbcinst(&uninstall, None)?;
        removed = true;
    }
    Err(io::Error::other(format!(
        "{name} is still registered after repeated odbcinst -u"
    )))
}

/// A path from `odbcinst -j`, e.g. "SYSTEM DATA SOURCES".
fn system_file(label: &str) -> io::Result<String> {
    let out = odbcinst(&["-j"], None)?;
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|rest| rest.trim_start_matches(['.', ':', ' ']).trim().to_string())
        .ok_or_else(|| io::Error::other(format!("odbcinst -j does not say {label}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_entries_point_at_the_library_and_keep_dontdlclose() {
        let entries = driver_entries(Path::new("/opt/hubdb/libhubdb_odbc.so"));
        assert!(entries.contains(&("Driver".into(), "/opt/hubdb/libhubdb_odbc.so".into())));
        assert!(entries.contains(&("DontDLClose".into(), "1".into())));
    }

    #[test]
    fn dir_scope_installs_adds_and_uninstalls() {
        let dir = std::env::temp_dir().join(format!("hubdb-installer-{}", std::process::id()));
        let scope = Scope::Dir(dir.clone());
        install_driver(&scope, DRIVER_NAME, Path::new("/x/libhubdb_odbc.so")).unwrap();
        let dsn = [("Driver".to_string(), DRIVER_NAME.to_string())];
        assert!(!add_dsn(&scope, "HubDB Demo", &dsn).unwrap());
        assert!(
            add_dsn(&scope, "hubdb demo", &dsn).unwrap(),
            "replaced, names ignore case"
        );
        add_dsn(&scope, "Other", &[("Driver".into(), "Other Driver".into())]).unwrap();

        let removed = uninstall(&scope, DRIVER_NAME).unwrap();
        let again = uninstall(&scope, DRIVER_NAME).unwrap();

        assert_eq!(removed.dsns.len(), 1);
        assert!(removed.driver);
        assert_eq!(
            again,
            Removed {
                driver: false,
                dsns: vec![]
            }
        );
        let odbc_ini = read_ini(&dir.join("odbc.ini")).unwrap();
        assert_eq!(odbc_ini.section_names(), ["Other"]);
        assert!(
            read_ini(&dir.join("odbcinst.ini"))
                .unwrap()
                .section_names()
                .is_empty()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
