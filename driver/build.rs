//! Link arguments for the driver library (DESIGN "Known traps", reference/odbc.md §2.6).

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        // The driver's own SQL* symbols must bind to the driver, never to the driver manager's
        // functions of the same name that odbc-sys declares.
        println!("cargo:rustc-cdylib-link-arg=-Wl,-Bsymbolic");
        // unixODBC unloads a driver after its last connection while runtime threads may still
        // run; keep the library mapped.
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
        // Link only what is used: odbc-sys's link attribute must not leave a libodbc.so need.
        println!("cargo:rustc-cdylib-link-arg=-Wl,--as-needed");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
