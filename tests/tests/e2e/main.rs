//! End-to-end tests with the `odbc-api` crate: the driver loaded by unixODBC, the sandbox run as a
//! separate process. One binary, one ODBC environment per process (odbc-api's rule).

mod library;
mod read;

use hubdb_tests::SandboxProcess;
use odbc_api::{ConnectionOptions, Environment};
use std::sync::OnceLock;

/// The process-wide ODBC environment.
fn environment() -> &'static Environment {
    static ENV: OnceLock<Environment> = OnceLock::new();
    ENV.get_or_init(|| Environment::new().expect("allocate an ODBC environment"))
}

/// One sandbox shared by the tests that only read.
fn sandbox() -> &'static SandboxProcess {
    static SANDBOX: OnceLock<SandboxProcess> = OnceLock::new();
    SANDBOX.get_or_init(|| SandboxProcess::start(&[]))
}

fn connect(sandbox: &SandboxProcess) -> odbc_api::Connection<'static> {
    environment()
        .connect_with_connection_string(
            &sandbox.connection_string(""),
            ConnectionOptions::default(),
        )
        .expect("connect through unixODBC")
}
