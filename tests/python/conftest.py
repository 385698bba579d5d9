"""Shared fixtures of the pyodbc and isql end-to-end suite.

The sandbox runs as a separate process (target/debug/hubdb-sandbox) and the driver is loaded by
unixODBC from target/debug/libhubdb_odbc.so, registered in a temporary folder that ODBCSYSINI and
ODBCINI point at, so nothing outside the checkout changes.

Every test that connects through the `endpoint` fixture runs twice: `direct`, with the driver
talking to the sandbox, and `prism`, with Stoplight Prism between them (`prism proxy --errors`
with HubSpot's OpenAPI file), so every request the driver sends is checked as one the real
service accepts. Tests that read the sandbox's request log still read it from the sandbox.
"""

import json
import os
import re
import shutil
import socket
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
# The driver's token through Prism: a second private app, so that pass has a rate budget of its
# own (the sandbox counts per token) rather than the one the direct pass and the suite's GETs use.
PRISM_TOKEN = "pat-na1-00000000-prsm-0000-0000-000000000000"
DSN = "HubDB Test"
PRISM_DSN = "HubDB Test via Prism"
DRIVER = "HubDB ODBC Driver"
PRISM_BIN = ROOT / "node_modules" / ".bin" / "prism"
# HubSpot's HubDB spec: the repository's copy, or $HUBDB_OPENAPI_DIR's (as sandbox/tests/prism.rs).
SPEC = Path(os.environ.get("HUBDB_OPENAPI_DIR", ROOT / "openapi")) / "hubdb-v3-relaxed.json"

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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prism:
    """`prism proxy --errors` in front of the sandbox on a free port, with its output in a log.

    Prism checks each request and each answer against HubSpot's OpenAPI file. With `--errors` a
    request that breaks it is not forwarded but answered 422 (401 for the security scheme), and
    an answer that breaks it is replaced by a 500, each with a problem+json body, so the
    driver's call fails; the log then has an `error` line naming the method and path (the
    violated rule is only in the body). A lesser finding is a `Violation:` warning line.
    """

    READY = "Prism is listening on"
    # Level words of Prism's log lines (`✖  error`, `⚠  warning`) and its violation reports.
    FLAGGED = re.compile(r"violation|\b(error|warning|fatal)\b", re.IGNORECASE)

    def __init__(self, upstream, log):
        assert PRISM_BIN.exists(), (
            f"Prism is not installed ({PRISM_BIN}): run `npm ci` at the repository root "
            "(scripts/setup.sh does)"
        )
        assert SPEC.exists(), f"HubSpot's OpenAPI file is missing: {SPEC}"
        self.log = log
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                [str(PRISM_BIN), "proxy", "--errors", "--host", "127.0.0.1", "-p", str(port),
                 str(SPEC), upstream],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            )
        self.started_at = self.wait_until_listening(limit=60)

    def wait_until_listening(self, limit):
        """Polls the log for Prism's start line; returns the log offset after it."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            text = self.log_text()
            if self.READY in text:
                return self.log_size()
            if self.process.poll() is not None:
                raise AssertionError(f"prism exited with {self.process.returncode}:\n{text}")
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"prism did not listen within {limit} s:\n{self.log_text()}")

    def log_text(self, since=0):
        with open(self.log, "rb") as log:
            log.seek(since)
            return log.read().decode("utf-8", errors="replace")

    def log_size(self):
        return self.log.stat().st_size

    def flagged(self, since=None):
        """Log lines reporting a violation or an error, after `since` (default: since start;
        the start lines list the spec's operations with made-up words, so they are skipped)."""
        since = self.started_at if since is None else since
        return [line for line in self.log_text(since).splitlines() if self.FLAGGED.search(line)]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Endpoint:
    """Where the driver sends its HubDB requests: straight to the sandbox, or through Prism."""

    def __init__(self, mode, url, dsn, token, prism=None):
        self.mode, self.url, self.dsn, self.token, self.prism = mode, url, dsn, token, prism


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
    server = Sandbox("--token", PRISM_TOKEN)
    register(DSN, AuthScheme="PrivateApp", PrivateAppToken=DEMO_TOKEN, APIBaseURL=server.url)
    yield server
    server.stop()
    shutil.rmtree(ODBC_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def prism(sandbox, tmp_path_factory):
    """Prism in front of the session's sandbox, with a DSN pointing at it. At the end of the
    session every violation or error Prism logged fails the run, listed."""
    proxy = Prism(sandbox.url, tmp_path_factory.mktemp("prism") / "prism.log")
    try:
        register(PRISM_DSN, AuthScheme="PrivateApp", PrivateAppToken=PRISM_TOKEN,
                 APIBaseURL=proxy.url)
        yield proxy
    finally:
        proxy.stop()
    flagged = proxy.flagged()
    if flagged:
        pytest.fail(f"Prism flagged {len(flagged)} log line(s) in this session (full log: "
                    f"{proxy.log}):\n" + "\n".join(flagged), pytrace=False)


@pytest.fixture(scope="session", params=["direct", "prism"])
def endpoint(request, sandbox):
    """The suite's tests that connect run once straight to the sandbox, once through Prism."""
    if request.param == "direct":
        return Endpoint("direct", sandbox.url, DSN, DEMO_TOKEN)
    proxy = request.getfixturevalue("prism")
    return Endpoint("prism", proxy.url, PRISM_DSN, PRISM_TOKEN, proxy)


@pytest.fixture(autouse=True)
def prism_accepts_every_request_of_the_test(request):
    """Through Prism, a test fails when Prism logged a violation or an error while it ran. The
    driver's call fails too (HTTP 422 or 500 from Prism); this says what Prism objected to."""
    proxy = None
    if "endpoint" in request.fixturenames:
        proxy = request.getfixturevalue("endpoint").prism
    since = proxy.log_size() if proxy else 0
    yield
    flagged = proxy.flagged(since) if proxy else []
    if flagged:
        pytest.fail("Prism flagged requests of this test:\n" + "\n".join(flagged),
                    pytrace=False)


@pytest.fixture
def conn(endpoint):
    import pyodbc

    connection = pyodbc.connect(f"DSN={endpoint.dsn}", autocommit=True, timeout=30)
    yield connection
    connection.close()


def connection_string(url, token=DEMO_TOKEN, **extra):
    """A DSN-less connection string naming the registered driver."""
    parts = {"Driver": "{" + DRIVER + "}", "AuthScheme": "PrivateApp",
             "PrivateAppToken": token, "APIBaseURL": url, **extra}
    return ";".join(f"{k}={v}" for k, v in parts.items())
