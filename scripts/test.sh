#!/usr/bin/env bash
# Every test of the project: formatting and lints, unit and integration tests of each crate,
# the end-to-end suite through unixODBC (odbc-api, pyodbc, isql) against the sandbox run as
# a separate process, and the sandbox checked against HubSpot's OpenAPI spec through Prism.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# The end-to-end tests load target/debug/libhubdb_odbc.so and run target/debug/hubdb-sandbox.
cargo build --workspace
cargo test --workspace
.venv/bin/pytest -q tests/python
