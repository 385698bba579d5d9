"""Shared fixtures of the pyodbc and isql end-to-end suite.

The sandbox runs as a separate process (target/debug/hubdb-sandbox) and the driver is loaded by
unixODBC from target/debug/libhubdb_odbc.so, registered in a temporary folder that ODBCSYSINI and
ODBCINI point at, so nothing outside the checkout changes.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug"
SANDBOX_BIN = TARGET / "hubdb-sandbox"
INSTALLER_BIN = TARGET / "hubdb-odbc-install"
DRIVER_LIB = TARGET / "libhubdb_odbc.so"
DEMO_TOKEN = "pat-na1-00000000-demo-0000-0000-000000000000"
DSN = "HubDB Test"
DRIVER = "HubDB ODBC Driver"

# unixODBC reads these when a connection is made; set them before pyodbc is imported anyway.
ODBC_DIR = Path(tempfile.mkdtemp(prefix="hubdb-odbc-"))
os.environ["ODBCSYSINI"] = str(ODBC_DIR)
os.environ["ODBCINSTINI"] = "odbcinst.ini"
os.environ["ODBCINI"] = str(ODBC_DIR / "odbc.ini")


class Sandbox:
    """A hubdb-sandbox process on a free port, stopped at the end of the session."""

    def __init__(self, *args):
        for binary in (SANDBOX_BIN, DRIVER_LIB, INSTALLER_BIN):
            assert binary.exists(), f"{binary} is missing: run cargo build --workspace"
        self.process = subprocess.Popen(
            [str(SANDBOX_BIN), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), f"sandbox said {self.url!r}"

    def get(self, path, token=DEMO_TOKEN):
        """GET as a HubDB client: the sandbox's rate limit (100 requests per 10 s per token) is
        shared with the driver, so a 429 is waited out (Retry-After, else 1 s) and retried."""
        request = urllib.request.Request(self.url + path)
        request.add_header("Authorization", f"Bearer {token}")
        for _ in range(30):
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return json.load(response)
            except urllib.error.HTTPError as error:
                if error.code != 429:
                    raise
                time.sleep(float(error.headers.get("Retry-After") or 1))
        raise AssertionError(f"GET {path} stayed rate-limited")

    def requests(self):
        with urllib.request.urlopen(self.url + "/__sandbox/requests", timeout=10) as r:
            return json.load(r)

    def clear_requests(self):
        request = urllib.request.Request(self.url + "/__sandbox/requests", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()

    def rows(self, table, draft=False):
        """Every row of a table through the REST API, following the opaque cursor."""
        suffix = "/draft" if draft else ""
        rows, after = [], None
        for _ in range(100):
            query = "?limit=1000" + (f"&after={urllib.parse.quote(after, safe='')}" if after else "")
            page = self.get(f"/cms/v3/hubdb/tables/{table}/rows{suffix}{query}")
            rows.extend(page["results"])
            after = (page.get("paging") or {}).get("next", {}).get("after")
            if not after:
                return rows
        raise AssertionError("paging did not end")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def register(dsn, **attributes):
    """Registers the driver and a DSN in the suite's ODBC folder."""
    subprocess.run(
        [str(INSTALLER_BIN), "driver", "--dir", str(ODBC_DIR), "--library", str(DRIVER_LIB)],
        check=True,
        capture_output=True,
    )
    pairs = [f"{k}={v}" for k, v in attributes.items()]
    subprocess.run(
        [str(INSTALLER_BIN), "dsn", dsn, "--dir", str(ODBC_DIR), *pairs],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def sandbox():
    server = Sandbox()
    register(DSN, AuthScheme="PrivateApp", PrivateAppToken=DEMO_TOKEN, APIBaseURL=server.url)
    yield server
    server.stop()
    shutil.rmtree(ODBC_DIR, ignore_errors=True)


@pytest.fixture
def conn(sandbox):
    import pyodbc

    connection = pyodbc.connect(f"DSN={DSN}", autocommit=True, timeout=30)
    yield connection
    connection.close()


def connection_string(url, token=DEMO_TOKEN, **extra):
    """A DSN-less connection string naming the registered driver."""
    parts = {"Driver": "{" + DRIVER + "}", "AuthScheme": "PrivateApp",
             "PrivateAppToken": token, "APIBaseURL": url, **extra}
    return ";".join(f"{k}={v}" for k, v in parts.items())
