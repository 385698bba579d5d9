//! The built library itself: what it links and what it exports.

use hubdb_tests::driver_library;
use std::process::Command;

fn tool_output(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).arg(driver_library()).output();
    let out = out.unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(out.status.success(), "{tool} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn library_does_not_need_the_driver_manager() {
    // DESIGN "Known traps": odbc-sys's link attribute would make the driver load libodbc.so and
    // bind its own SQL* calls to the driver manager's.
    let dynamic = tool_output("readelf", &["-d"]);
    assert!(!dynamic.contains("libodbc.so"), "{dynamic}");
    // -Wl,-Bsymbolic and -Wl,-z,nodelete (reference/odbc.md §2.6).
    assert!(dynamic.contains("SYMBOLIC"), "{dynamic}");
    assert!(dynamic.contains("NODELETE"), "{dynamic}");
}

#[test]
fn library_exports_ansi_and_wide_entry_points() {
    let symbols = tool_output("nm", &["-D", "--defined-only"]);
    for name in [
        "SQLAllocHandle",
        "SQLDriverConnect",
        "SQLDriverConnectW",
        "SQLConnect",
        "SQLConnectW",
        "SQLExecDirect",
        "SQLExecDirectW",
        "SQLPrepare",
        "SQLPrepareW",
        "SQLFetch",
        "SQLGetData",
        "SQLDescribeCol",
        "SQLDescribeColW",
        "SQLColAttribute",
        "SQLColAttributeW",
        "SQLTables",
        "SQLTablesW",
        "SQLColumns",
        "SQLColumnsW",
        "SQLGetInfo",
        "SQLGetInfoW",
        "SQLGetDiagRec",
        "SQLGetDiagRecW",
        "SQLGetTypeInfo",
        "SQLGetTypeInfoW",
        "SQLFreeHandle",
    ] {
        assert!(
            symbols.lines().any(|l| l.ends_with(&format!(" {name}"))),
            "{name} not exported"
        );
    }
}
