"""OAuth end to end: the driver loaded by unixODBC through pyodbc, against sandboxes of this
module playing HubSpot's OAuth server (consent page, token endpoint, expiry and revocation).

Every test has its own settings file (OAuthSettingsLocation in a temporary folder) and its own
free callback port; the desktop flow's browser is the BROWSER environment variable, which the
driver reads at connect time in this process, so `browser(...)` sets it around the connect.
"""

import base64
import contextlib
import http.client
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pyodbc
import pytest

from conftest import DRIVER, ROOT, Sandbox, free_port

CLIENT_ID = "00000000-demo-0000-0000-client000001"
CLIENT_SECRET = "00000000-demo-0000-0000-secret000001"
WRONG_SECRET = "00000000-demo-0000-0000-wrongsecret9"
BROWSER_SCRIPT = Path(__file__).with_name("oauth_browser.js")
CHROMIUM = Path("/usr/bin/chromium")
NODE = shutil.which("node")

# An access token of the sandbox: "C" and 299 base64url characters. A refresh token is
# na1-xxxx-...; a code is UUID-shaped. Long base64url runs catch any of them in a text.
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{60,}|na1-[0-9a-f]{4}-")


# --- sandboxes ---------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _driver_registered(sandbox):
    """The suite's session sandbox registers the driver in the suite's ODBC folder."""


@pytest.fixture(scope="module")
def auto():
    """Consent is given at once: GET /oauth/authorize redirects with a code."""
    server = Sandbox("--oauth-auto-approve")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def consent():
    """The consent page waits for Approve or Deny."""
    server = Sandbox()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def short_lived():
    """Access tokens live 3 s, less than the driver's 60 s renewal margin."""
    server = Sandbox("--oauth-auto-approve", "--oauth-token-lifetime-secs", "3")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def rotating():
    """Each refresh returns a new refresh token and retires the one presented."""
    server = Sandbox("--oauth-auto-approve", "--oauth-rotate-refresh-tokens")
    yield server
    server.stop()


@pytest.fixture
def revocable():
    """A sandbox of one test: revoking affects every grant of a sandbox."""
    server = Sandbox("--oauth-auto-approve")
    yield server
    server.stop()


def admin(server, action):
    """POST /__sandbox/oauth/expire or /revoke."""
    request = urllib.request.Request(f"{server.url}/__sandbox/oauth/{action}", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def token_posts(server):
    return [r for r in server.requests() if r["method"] == "POST" and r["path"].endswith("/token")]


# --- the OAuth protocol, spoken by the test itself -----------------------------------------


def callback_url(host="127.0.0.1", path=""):
    return f"http://{host}:{free_port()}{path}"


def authorize_url(server, callback, state="test-state", scope="hubdb"):
    query = urllib.parse.urlencode(
        {"client_id": CLIENT_ID, "redirect_uri": callback, "scope": scope, "state": state},
        quote_via=urllib.parse.quote,
    )
    return f"{server.url}/oauth/authorize?{query}"


def location_of(url):
    """GET without following redirects; the Location header of the answer."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}")
        response = connection.getresponse()
        response.read()
        assert response.status in (302, 303), f"{response.status} for {parts.path}"
        return response.getheader("Location")
    finally:
        connection.close()


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def code_for(server, callback, state="test-state"):
    """A code of an auto-approving sandbox for `callback`, as a web app's callback gets it."""
    redirect = location_of(authorize_url(server, callback, state))
    assert redirect.startswith(callback), redirect
    query = query_of(redirect)
    assert query.get("state") == state
    return query["code"]


def tokens_for(server, callback):
    """Access and refresh token of a fresh grant, from the token endpoint directly."""
    code = code_for(server, callback)
    body = urllib.parse.urlencode({
        "grant_type": "authorization_code", "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "redirect_uri": callback, "code": code,
    }).encode()
    request = urllib.request.Request(
        f"{server.url}/oauth/v3/token", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
    return answer["access_token"], answer["refresh_token"]


# --- the driver ------------------------------------------------------------------------------


def oauth_string(server, *, initiate="GETANDREFRESH", settings=None, callback=None,
                 client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **extra):
    """A DSN-less OAuth connection string to `server`; None values are left out."""
    parts = {
        "Driver": "{" + DRIVER + "}", "AuthScheme": "OAuth", "APIBaseURL": server.url,
        "OAuthAuthorizationURL": f"{server.url}/oauth/authorize", "InitiateOAuth": initiate,
        "OAuthClientId": client_id, "OAuthClientSecret": client_secret,
        "OAuthSettingsLocation": settings and str(settings), "CallbackURL": callback,
        "Timeout": 20, **extra,
    }
    return ";".join(f"{k}={v}" for k, v in parts.items() if v is not None)


def connect(text, **kwargs):
    return pyodbc.connect(text, autocommit=True, timeout=30, **kwargs)


@contextlib.contextmanager
def browser(command):
    """BROWSER for the driver's desktop flow, restored afterwards."""
    before = os.environ.get("BROWSER")
    os.environ["BROWSER"] = str(command)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("BROWSER", None)
        else:
            os.environ["BROWSER"] = before


def script(path, text):
    path.write_text(textwrap.dedent(text).lstrip())
    path.chmod(0o700)
    return path


def curl_browser(folder):
    """Follows the consent URL's redirects with curl, and notes each launch in `opened`."""
    marker = folder / "opened"
    command = script(folder / "curl-browser.sh", f"""
        #!/bin/sh
        echo launched >> '{marker}'
        exec curl -sSL --max-time 20 -o /dev/null "$1"
    """)
    return command, marker


def launches(marker):
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def sqlstate_of(error):
    return error.args[0]


def message_of(error):
    return error.args[1] if len(error.args) > 1 else str(error)


def store_rows(conn):
    return conn.cursor().execute(
        "SELECT Id, store_name FROM store_locations ORDER BY Id").fetchall()


def assert_no_secret(text, *secrets):
    for secret in (CLIENT_SECRET, WRONG_SECRET, *secrets):
        assert secret not in text, f"a secret leaked into: {text}"
    assert not TOKEN_LIKE.search(text), f"something token-like in: {text}"


def assert_sealed(settings, *secrets):
    """Owner-only JSON of the driver's format, the tokens sealed in `ciphertext`."""
    assert settings.exists(), f"{settings} was not written"
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600, oct(settings.stat().st_mode)
    text = settings.read_text()
    document = json.loads(text)
    assert document["format"] == "hubdb-odbc-oauth"
    assert document["client_id"] == CLIENT_ID
    sealed = base64.b64decode(document["ciphertext"], validate=True)
    assert len(sealed) > 16
    for plain in (b"na1-", b"access_token", b"refresh_token", b"expires_at"):
        assert plain not in sealed, "the ciphertext holds clear text"
    clear_fields = {k: v for k, v in document.items() if k not in ("ciphertext", "salt", "nonce")}
    assert_no_secret(json.dumps(clear_fields), *secrets)
    assert "na1-" not in text and "pat-" not in text
    for secret in secrets:
        assert secret not in text


# --- 1. desktop flow, browser by curl ----------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_desktop_flow_signs_in_once_and_reuses_the_settings_file(auto, tmp_path, host):
    settings = tmp_path / "oauth" / "settings.json"
    command, marker = curl_browser(tmp_path)
    text = oauth_string(auto, settings=settings, callback=callback_url(host),
                        OAuthBrowserTimeout=30)
    with browser(command):
        conn = connect(text)
    try:
        assert launches(marker) == 1
        rows = store_rows(conn)
        assert len(rows) > 0 and all(row.store_name for row in rows)
    finally:
        conn.close()
    assert_sealed(settings)
    assert stat.S_IMODE(settings.parent.stat().st_mode) == 0o700

    # A browser launch would fail now (`false` exits 1), so only the file can sign in.
    auto.clear_requests()
    with browser("false"):
        conn = connect(text)
    try:
        assert store_rows(conn) == rows
    finally:
        conn.close()
    assert launches(marker) == 1
    assert not any(r["path"].startswith("/oauth/") for r in auto.requests())


# --- 2. desktop flow, a real browser ---------------------------------------------------------


@pytest.fixture(scope="module")
def chromium_browser():
    """The BROWSER command that approves in headless Chromium; skips without a Chromium."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package "
                    "(scripts/setup.sh does as root) to run the real-browser sign-in")
    assert NODE, "node is missing: scripts/setup.sh installs the npm tools with it"
    assert (ROOT / "node_modules" / "playwright-core").exists(), (
        "playwright-core is missing: run `npm ci` at the repository root")
    check = subprocess.run([NODE, str(BROWSER_SCRIPT), "--check"], cwd=ROOT,
                           env={**os.environ, "CHROMIUM": str(CHROMIUM)},
                           capture_output=True, text=True, timeout=60)
    if check.returncode != 0:
        pytest.skip(f"{CHROMIUM} cannot start headless: {check.stderr.strip()[-500:]}")
    return f'"{NODE}" "{BROWSER_SCRIPT}"'  # BROWSER syntax: words, quotes as in a shell


def test_desktop_flow_with_headless_chromium_clicking_approve(consent, chromium_browser,
                                                                tmp_path, monkeypatch):
    settings = tmp_path / "settings.json"
    log = tmp_path / "browser.log"
    monkeypatch.setenv("OAUTH_BROWSER_LOG", str(log))
    monkeypatch.setenv("OAUTH_BROWSER_TIMEOUT_MS", "30000")
    monkeypatch.setenv("CHROMIUM", str(CHROMIUM))
    text = oauth_string(consent, settings=settings, callback=callback_url("localhost"),
                        OAuthBrowserTimeout=90)
    consent.clear_requests()
    started = time.monotonic()
    # A real browser on a loaded machine: one more attempt if the first sign-in fails, with
    # both failures reported when the second fails too.
    failures = []
    conn = None
    with browser(chromium_browser):
        for _ in range(2):
            try:
                conn = connect(text)
                break
            except pyodbc.Error as error:
                failures.append(f"sign-in failed: {error}\nbrowser log:\n"
                                f"{log.read_text() if log.exists() else '(none)'}")
    if conn is None:
        pytest.fail("\n\n".join(failures))
    try:
        assert len(store_rows(conn)) > 0
    finally:
        conn.close()
    assert time.monotonic() - started < 180
    paths = [(r["method"], r["path"]) for r in consent.requests()]
    assert ("GET", "/oauth/authorize") in paths
    assert ("POST", "/oauth/authorize/decision") in paths
    assert "redirect loaded" in log.read_text()
    assert_sealed(settings)

    with browser("false"):
        conn = connect(text)
    try:
        assert len(store_rows(conn)) > 0
    finally:
        conn.close()


def python_browser(folder, name, body):
    """A BROWSER command in Python: `url` is the consent URL, `callback` its redirect_uri."""
    head = textwrap.dedent(f"""
        #!{sys.executable}
        import sys, urllib.parse, urllib.request, urllib.error
        url = sys.argv[1]
        callback = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["redirect_uri"]
        def get(target):
            try:
                urllib.request.urlopen(target, timeout=10).read()
            except urllib.error.HTTPError:
                pass
    """)
    return script(folder / name, head + textwrap.dedent(body))


def test_consent_denied_in_the_browser_is_28000(consent, tmp_path):
    command = python_browser(tmp_path, "deny.py", """
        import re
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        key = re.search(r'name="request" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"request": key, "decision": "deny"}).encode()
        base = url.split("/oauth/authorize")[0]
        get(urllib.request.Request(base + "/oauth/authorize/decision", data=form))
    """)
    settings = tmp_path / "settings.json"
    with browser(command), pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(consent, settings=settings, callback=callback_url(),
                             OAuthBrowserTimeout=20))
    assert sqlstate_of(caught.value) == "28000"
    assert "denied" in message_of(caught.value)
    assert_no_secret(message_of(caught.value))
    assert not settings.exists()


# --- 3. headless flows ---------------------------------------------------------------------


def test_refresh_with_a_verifier_fills_the_file_which_then_suffices_and_transfers(auto, tmp_path):
    callback = callback_url()
    settings = tmp_path / "settings.json"
    code = code_for(auto, callback)
    with browser("false"):
        conn = connect(oauth_string(auto, initiate="REFRESH", settings=settings,
                                    callback=callback, OAuthVerifier=code))
        try:
            rows = store_rows(conn)
            assert rows
        finally:
            conn.close()
        assert_sealed(settings, code)

        # Only the file: no verifier, no browser.
        conn = connect(oauth_string(auto, initiate="REFRESH", settings=settings,
                                    callback=callback))
        try:
            assert store_rows(conn) == rows
        finally:
            conn.close()

        # Settings transfer: the file copied elsewhere (another machine with the app's
        # credentials) works, also for renewing once HubSpot says the token expired.
        copy = tmp_path / "elsewhere" / "copied.json"
        copy.parent.mkdir()
        shutil.copy(settings, copy)
        conn = connect(oauth_string(auto, initiate="REFRESH", settings=copy, callback=callback))
        try:
            assert store_rows(conn) == rows
            auto.clear_requests()
            admin(auto, "expire")
            assert store_rows(conn) == rows
            assert token_posts(auto), "the expired token was not renewed"
        finally:
            conn.close()
        assert_sealed(copy)


def test_refresh_with_a_refresh_token_fills_the_file(auto, tmp_path):
    callback = callback_url()
    _, refresh_token = tokens_for(auto, callback)
    settings = tmp_path / "settings.json"
    conn = connect(oauth_string(auto, initiate="REFRESH", settings=settings,
                                OAuthRefreshToken=refresh_token))
    try:
        assert store_rows(conn)
    finally:
        conn.close()
    assert_sealed(settings, refresh_token)


def test_refresh_without_tokens_is_28000_naming_the_file(auto, tmp_path):
    settings = tmp_path / "absent.json"
    with browser("false"), pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(auto, initiate="REFRESH", settings=settings))
    assert sqlstate_of(caught.value) == "28000"
    assert str(settings) in message_of(caught.value)
    assert not settings.exists()


def test_off_with_an_access_token_uses_it_and_never_renews(auto, tmp_path):
    access_token, _ = tokens_for(auto, callback_url())
    conn = connect(oauth_string(auto, initiate="OFF", OAuthAccessToken=access_token))
    try:
        assert store_rows(conn)
        admin(auto, "expire")
        auto.clear_requests()
        with pytest.raises(pyodbc.Error) as caught:
            store_rows(conn)
        assert sqlstate_of(caught.value) == "28000"
        assert "expired" in message_of(caught.value)
        assert_no_secret(message_of(caught.value), access_token)
        assert not token_posts(auto)
    finally:
        conn.close()


def test_off_without_a_token_connects_and_a_query_is_28000(auto):
    auto.clear_requests()
    conn = connect(oauth_string(auto, initiate="OFF"))
    try:
        with pytest.raises(pyodbc.Error) as caught:
            store_rows(conn)
        assert sqlstate_of(caught.value) == "28000"
        assert "OAuthAccessToken" in message_of(caught.value)
    finally:
        conn.close()
    assert not [r for r in auto.requests() if r["path"].startswith("/cms/")]


# --- 4. the OAuth procedures ---------------------------------------------------------------


@pytest.fixture
def web_app(auto):
    """A web application's connection: InitiateOAuth=OFF, no token yet."""
    conn = connect(oauth_string(auto, initiate="OFF", callback=callback_url()))
    yield conn
    conn.close()


def one_row(cursor):
    columns = [c[0] for c in cursor.description]
    rows = cursor.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(columns, rows[0]))


def test_get_oauth_authorization_url(auto, web_app):
    callback = callback_url(path="/oauth/done")
    result = one_row(web_app.cursor().execute(
        f"{{call GetOAuthAuthorizationURL('{callback}', 'hubdb', 'st-42 x')}}"))
    url = result["URL"]
    assert url.startswith(f"{auto.url}/oauth/authorize?")
    query = query_of(url)
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == callback
    assert query["scope"] == "hubdb"
    assert query["state"] == "st-42 x"
    assert query["optional_scope"] == "crm.objects.owners.read"
    assert CLIENT_SECRET not in url
    # The URL is the sandbox's consent URL: it redirects to the callback with a code.
    redirect = location_of(url)
    assert redirect.startswith(callback) and query_of(redirect)["state"] == "st-42 x"

    # Named arguments, ? markers, defaults for the rest (CallbackURL, Scope).
    result = one_row(web_app.cursor().execute(
        "EXEC GetOAuthAuthorizationURL @State = ?", "named"))
    query = query_of(result["URL"])
    assert query["state"] == "named" and query["scope"] == "hubdb"
    assert query["redirect_uri"].startswith("http://127.0.0.1:")


def test_web_flow_procedures_in_every_call_syntax(auto, web_app):
    callback = callback_url(path="/cb")
    cursor = web_app.cursor()

    code = code_for(auto, callback, state="s1")
    first = one_row(cursor.execute(
        "{call GetOAuthAccessToken('WEB', ?, ?, 's1')}", code, callback))
    assert first["ExpiresIn"] == 1800
    assert len(first["OAuthAccessToken"]) == 300
    assert first["OAuthRefreshToken"].startswith("na1-")

    code = code_for(auto, callback, state="s2")
    second = one_row(cursor.execute(
        f"CALL GetOAuthAccessToken(AuthMode => 'web', Verifier => '{code}', "
        f"CallbackUrl => '{callback}')"))
    assert second["OAuthAccessToken"] != first["OAuthAccessToken"]

    code = code_for(auto, callback, state="s3")
    third = one_row(cursor.execute(
        f"EXEC GetOAuthAccessToken AuthMode='WEB', Verifier='{code}', "
        f"CallbackUrl='{callback}', State='s3'"))
    assert third["OAuthRefreshToken"] not in (first["OAuthRefreshToken"],
                                              second["OAuthRefreshToken"])

    renewed = one_row(cursor.execute(
        "{call RefreshOAuthAccessToken(?)}", first["OAuthRefreshToken"]))
    assert renewed["OAuthAccessToken"] != first["OAuthAccessToken"]
    assert renewed["OAuthRefreshToken"] == first["OAuthRefreshToken"]
    assert renewed["ExpiresIn"] == 1800
    renewed_named = one_row(cursor.execute(
        f"EXEC RefreshOAuthAccessToken OAuthRefreshToken = '{second['OAuthRefreshToken']}'"))
    assert renewed_named["OAuthAccessToken"]

    # Each access token works as OAuthAccessToken with InitiateOAuth=OFF.
    for answer in (first, renewed, renewed_named):
        conn = connect(oauth_string(auto, initiate="OFF",
                                    OAuthAccessToken=answer["OAuthAccessToken"]))
        try:
            assert store_rows(conn)
        finally:
            conn.close()


@pytest.mark.parametrize("sql, state, words", [
    ("{call NoSuchProcedure('x')}", "42000", "does not exist"),
    ("EXEC NoSuchProcedure", "42000", "does not exist"),
    ("{call RefreshOAuthAccessToken()}", None, "needs OAuthRefreshToken"),
    ("EXEC RefreshOAuthAccessToken OAuthRefreshToken = ''", None, "needs OAuthRefreshToken"),
    ("{call GetOAuthAccessToken('WEB')}", None, "needs Verifier"),
    ("{call RefreshOAuthAccessToken('a', 'b')}", None, "at most 1 argument"),
    ("{call GetOAuthAuthorizationURL('a', 'b', 'c', 'd')}", None, "at most 3 argument"),
    ("EXEC RefreshOAuthAccessToken Nope = 'x'", None, "has no parameter 'Nope'"),
    ("{call GetOAuthAccessToken('TELEPATHY', 'x')}", None, "AuthMode 'TELEPATHY'"),
])
def test_procedure_errors(web_app, sql, state, words):
    with pytest.raises(pyodbc.Error) as caught:
        web_app.cursor().execute(sql).fetchall()
    message = message_of(caught.value)
    assert words in message
    assert "[HubDB ODBC]" in message
    if state:
        assert sqlstate_of(caught.value) == state
    else:
        # A call that names a real procedure but misuses its parameters (the driver says
        # 22018 today).
        assert sqlstate_of(caught.value) in ("07002", "07009", "22018", "42000"), (
            sqlstate_of(caught.value))
    assert_no_secret(message)


def test_a_used_code_is_refused_with_28000_and_no_secret(auto, web_app):
    callback = callback_url()
    code = code_for(auto, callback)
    cursor = web_app.cursor()
    one_row(cursor.execute("{call GetOAuthAccessToken('WEB', ?, ?)}", code, callback))
    with pytest.raises(pyodbc.Error) as caught:
        cursor.execute("{call GetOAuthAccessToken('WEB', ?, ?)}", code, callback).fetchall()
    assert sqlstate_of(caught.value) == "28000"
    assert "single-use" in message_of(caught.value)
    assert code not in message_of(caught.value)
    assert_no_secret(message_of(caught.value))


def test_get_oauth_access_token_app_mode_runs_the_desktop_flow(auto, tmp_path):
    command, marker = curl_browser(tmp_path)
    conn = connect(oauth_string(auto, initiate="OFF", callback=callback_url()))
    try:
        with browser(command):
            answer = one_row(conn.cursor().execute("{call GetOAuthAccessToken('APP')}"))
    finally:
        conn.close()
    assert launches(marker) == 1
    assert len(answer["OAuthAccessToken"]) == 300 and answer["ExpiresIn"] == 1800
    conn = connect(oauth_string(auto, initiate="OFF",
                                OAuthAccessToken=answer["OAuthAccessToken"]))
    try:
        assert store_rows(conn)
    finally:
        conn.close()


def test_app_mode_procedure_honours_oauth_browser_timeout(consent):
    conn = connect(oauth_string(consent, initiate="OFF", callback=callback_url(),
                                OAuthBrowserTimeout=2))
    conn.timeout = 6  # bounds the wait whatever the driver does
    started = time.monotonic()
    try:
        with browser("true"), pytest.raises(pyodbc.Error) as caught:
            conn.cursor().execute("{call GetOAuthAccessToken('APP')}").fetchall()
    finally:
        conn.close()
    assert "not completed within 2 seconds" in message_of(caught.value), message_of(caught.value)
    assert time.monotonic() - started < 5


# --- 5. renewal ------------------------------------------------------------------------------


def test_short_lived_tokens_are_renewed_and_rows_keep_coming(short_lived, tmp_path):
    callback = callback_url()
    settings = tmp_path / "settings.json"
    conn = connect(oauth_string(short_lived, initiate="REFRESH", settings=settings,
                                callback=callback, OAuthVerifier=code_for(short_lived, callback)))
    try:
        expected = store_rows(conn)
        for _ in range(3):
            short_lived.clear_requests()
            assert store_rows(conn) == expected
            log = short_lived.requests()
            posts = [r for r in log if r["method"] == "POST" and r["path"] == "/oauth/v3/token"]
            api = [r for r in log if r["path"].startswith("/cms/")]
            assert posts and all(r["status"] == 200 for r in posts), log
            assert api and all(r["status"] == 200 for r in api), log
        time.sleep(3.5)  # beyond the token's lifetime: renewed before it is sent, no 401
        short_lived.clear_requests()
        assert store_rows(conn) == expected
        assert all(r["status"] == 200 for r in short_lived.requests())
    finally:
        conn.close()
    assert_sealed(settings)


@pytest.mark.parametrize("pages_in_flight", [1, 5])
def test_expiry_mid_scan_loses_no_row(auto, tmp_path, pages_in_flight):
    callback = callback_url()
    conn = connect(oauth_string(auto, initiate="REFRESH", settings=tmp_path / "s.json",
                                callback=callback, OAuthVerifier=code_for(auto, callback),
                                PagesInFlight=pages_in_flight))
    try:
        cursor = conn.cursor().execute("SELECT Id FROM price_list")
        ids = [row.Id for row in cursor.fetchmany(500)]
        assert len(ids) == 500
        auto.clear_requests()
        assert admin(auto, "expire")["expired"] >= 1
        while True:
            chunk = cursor.fetchmany(1000)
            if not chunk:
                break
            ids.extend(row.Id for row in chunk)
    finally:
        conn.close()
    assert len(ids) == 10_000
    assert len(set(ids)) == 10_000
    log = auto.requests()
    refused = [r for r in log if r["status"] == 401]
    assert refused, f"no request met the expired token: {log}"
    assert [r for r in log if r["path"] == "/oauth/v3/token" and r["status"] == 200]


# --- 6. two processes, one settings file, rotating refresh tokens ---------------------------

WORKER = textwrap.dedent("""
    import sys, pyodbc
    text = sys.argv[1]
    conn = pyodbc.connect(text, autocommit=True, timeout=30)
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            rows = conn.cursor().execute("SELECT COUNT(*) FROM store_locations").fetchone()[0]
            fresh = pyodbc.connect(text, autocommit=True, timeout=30)
            more = fresh.cursor().execute("SELECT Id FROM events").fetchall()
            fresh.close()
            print(f"ok {rows} {len(more)}", flush=True)
        except pyodbc.Error as error:
            print("error " + " ".join(str(error).split()), flush=True)
""")


def test_two_processes_share_one_settings_file_with_rotating_refresh_tokens(rotating,
                                                                              tmp_path):
    callback = callback_url()
    settings = tmp_path / "shared.json"
    text = oauth_string(rotating, initiate="REFRESH", settings=settings, callback=callback)
    first = connect(f"{text};OAuthVerifier={code_for(rotating, callback)}")
    first.close()
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, text], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]

    def answer(worker):
        result = {}
        reader = threading.Thread(target=lambda: result.update(line=worker.stdout.readline()))
        reader.start()
        reader.join(60)
        assert "line" in result, "a worker did not answer within 60 s"
        return result["line"].strip()

    try:
        for worker in workers:
            line = answer(worker)
            assert line == "ready", f"{line} {worker.stderr.read() if worker.poll() else ''}"
        rotating.clear_requests()
        for round_ in range(4):
            admin(rotating, "expire")
            for worker in workers:
                worker.stdin.write("go\n")
                worker.stdin.flush()
            answers = [answer(worker) for worker in workers]
            assert all(a.startswith("ok ") for a in answers), f"round {round_}: {answers}"
        posts = token_posts(rotating)
        assert posts, "no renewal happened"
        assert all(r["status"] == 200 for r in posts), posts
    finally:
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.stdin.close()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    assert [w.returncode for w in workers] == [0, 0]

    admin(rotating, "expire")
    with browser("false"):
        third = connect(text)
    try:
        assert store_rows(third)
    finally:
        third.close()
    assert_sealed(settings)


# --- 7. errors ---------------------------------------------------------------------------------


def test_wrong_client_secret_is_28000_without_secrets(auto, tmp_path):
    callback = callback_url()
    code = code_for(auto, callback)
    settings = tmp_path / "settings.json"
    with pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(auto, settings=settings, callback=callback,
                             client_secret=WRONG_SECRET, OAuthVerifier=code))
    assert sqlstate_of(caught.value) == "28000"
    message = message_of(caught.value)
    assert "OAuthClientSecret" in message
    assert_no_secret(message, code)
    assert not settings.exists()


def test_wrong_client_secret_in_the_desktop_flow_is_28000(auto, tmp_path):
    command, marker = curl_browser(tmp_path)
    with browser(command), pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(auto, settings=tmp_path / "s.json", callback=callback_url(),
                             client_secret=WRONG_SECRET, OAuthBrowserTimeout=20))
    assert launches(marker) == 1
    assert sqlstate_of(caught.value) == "28000"
    assert_no_secret(message_of(caught.value))


def test_revoked_grant_is_28000_on_the_open_connection_and_at_connect(revocable, tmp_path):
    callback = callback_url()
    settings = tmp_path / "settings.json"
    text = oauth_string(revocable, initiate="REFRESH", settings=settings, callback=callback)
    conn = connect(f"{text};OAuthVerifier={code_for(revocable, callback)}")
    try:
        assert store_rows(conn)
        assert admin(revocable, "revoke")["revoked"] >= 1
        admin(revocable, "expire")
        with pytest.raises(pyodbc.Error) as caught:
            store_rows(conn)
        assert sqlstate_of(caught.value) == "28000"
        assert_no_secret(message_of(caught.value))
    finally:
        conn.close()
    before = settings.read_bytes()
    with pytest.raises(pyodbc.Error) as caught:
        connect(text)
    assert sqlstate_of(caught.value) == "28000"
    assert_no_secret(message_of(caught.value))
    # The way out is named: a new sign-in, and which file holds the refused tokens.
    assert str(settings) in message_of(caught.value)
    assert settings.read_bytes() == before


def test_deleted_refresh_token_fails_the_renewal_with_28000(revocable, tmp_path):
    callback = callback_url()
    _, refresh_token = tokens_for(revocable, callback)
    settings = tmp_path / "settings.json"
    conn = connect(oauth_string(revocable, initiate="REFRESH", settings=settings,
                                OAuthRefreshToken=refresh_token))
    try:
        assert store_rows(conn)
        request = urllib.request.Request(
            f"{revocable.url}/oauth/v1/refresh-tokens/{refresh_token}", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()
        admin(revocable, "expire")
        with pytest.raises(pyodbc.Error) as caught:
            store_rows(conn)
    finally:
        conn.close()
    assert sqlstate_of(caught.value) == "28000"
    message = message_of(caught.value)
    assert "refresh token was revoked" in message and "sign in again" in message
    assert f"The refused tokens are stored in {settings}" in message
    assert_no_secret(message, refresh_token)


def test_redirect_with_a_wrong_state_is_refused(consent, tmp_path):
    command = python_browser(tmp_path, "forge.py", """
        get(callback + "?code=forged-code-0000&state=not-the-drivers-state")
    """)
    settings = tmp_path / "settings.json"
    started = time.monotonic()
    with browser(command), pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(consent, settings=settings, callback=callback_url(),
                             OAuthBrowserTimeout=30))
    assert time.monotonic() - started < 20
    assert sqlstate_of(caught.value) == "28000"
    message = message_of(caught.value)
    assert "state does not match" in message
    assert "forged-code-0000" not in message
    assert_no_secret(message)
    assert not settings.exists()


def test_callback_port_in_use_fails_before_the_browser_opens(auto, tmp_path):
    command, marker = curl_browser(tmp_path)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with browser(command), pytest.raises(pyodbc.Error) as caught:
            connect(oauth_string(auto, settings=tmp_path / "s.json",
                                 callback=f"http://127.0.0.1:{port}", OAuthBrowserTimeout=20))
    assert launches(marker) == 0
    message = message_of(caught.value)
    assert f"127.0.0.1:{port}" in message and "another program holds the port" in message
    assert sqlstate_of(caught.value) == "08001"
    assert_no_secret(message)


def test_browser_that_never_comes_back_times_out(consent, tmp_path):
    started = time.monotonic()
    with browser("true"), pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(consent, settings=tmp_path / "s.json", callback=callback_url(),
                             OAuthBrowserTimeout=2))
    elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 15
    assert sqlstate_of(caught.value) == "HYT00"
    assert "not completed within 2 seconds" in message_of(caught.value)
    assert_no_secret(message_of(caught.value))


def test_browser_that_cannot_start_fails_at_once(consent, tmp_path):
    started = time.monotonic()
    with browser(tmp_path / "no-such-browser"), pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(consent, settings=tmp_path / "s.json", callback=callback_url(),
                             OAuthBrowserTimeout=60))
    assert time.monotonic() - started < 15
    assert "BROWSER" in message_of(caught.value)
    assert_no_secret(message_of(caught.value))


@pytest.mark.parametrize("initiate", ["REFRESH", "GETANDREFRESH"])
def test_corrupt_settings_file_is_named_and_left_alone(auto, tmp_path, initiate):
    settings = tmp_path / "settings.json"
    garbage = bytes(range(256)) + b"\x00not json{"
    settings.write_bytes(garbage)
    command, marker = curl_browser(tmp_path)
    with browser(command), pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(auto, initiate=initiate, settings=settings,
                             callback=callback_url(), OAuthBrowserTimeout=20))
    assert str(settings) in message_of(caught.value)
    assert sqlstate_of(caught.value) == "08001"
    assert "is not JSON" in message_of(caught.value)
    assert settings.read_bytes() == garbage
    assert launches(marker) == 0
    assert_no_secret(message_of(caught.value))


def test_settings_file_of_another_client_secret_is_refused(auto, tmp_path):
    callback = callback_url()
    settings = tmp_path / "settings.json"
    conn = connect(oauth_string(auto, initiate="REFRESH", settings=settings, callback=callback,
                                OAuthVerifier=code_for(auto, callback)))
    conn.close()
    before = settings.read_bytes()
    with pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(auto, initiate="REFRESH", settings=settings, callback=callback,
                             client_secret=WRONG_SECRET))
    assert str(settings) in message_of(caught.value)
    assert settings.read_bytes() == before
    assert_no_secret(message_of(caught.value))


@pytest.mark.parametrize("missing", ["OAuthClientId", "OAuthClientSecret"])
def test_missing_app_credentials_are_28000(auto, tmp_path, missing):
    command, marker = curl_browser(tmp_path)
    credentials = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    credentials["client_id" if missing == "OAuthClientId" else "client_secret"] = None
    with browser(command), pytest.raises(pyodbc.Error) as caught:
        connect(oauth_string(auto, settings=tmp_path / "s.json", callback=callback_url(),
                             **credentials))
    assert sqlstate_of(caught.value) == "28000"
    assert missing in message_of(caught.value)
    assert launches(marker) == 0


def test_the_log_at_verbosity_5_holds_no_token_secret_or_code(auto, tmp_path):
    logfile = tmp_path / "driver.log"
    logging = {"Logfile": str(logfile), "Verbosity": 5}
    callback = callback_url()
    access_token, refresh_token = tokens_for(auto, callback)
    code = code_for(auto, callback)
    web_code = code_for(auto, callback)
    returned = []
    try:
        # OFF with a token; REFRESH from a refresh token, renewed after an expiry;
        # GETANDREFRESH with a verifier; the procedures, whose results hold tokens.
        conn = connect(oauth_string(auto, initiate="OFF", OAuthAccessToken=access_token,
                                    **logging))
        store_rows(conn)
        conn.close()
        conn = connect(oauth_string(auto, initiate="REFRESH", settings=tmp_path / "a.json",
                                    OAuthRefreshToken=refresh_token, **logging))
        store_rows(conn)
        admin(auto, "expire")
        store_rows(conn)
        conn.close()
        conn = connect(oauth_string(auto, settings=tmp_path / "b.json", callback=callback,
                                    OAuthVerifier=code, **logging))
        store_rows(conn)
        answer = one_row(conn.cursor().execute(
            "{call GetOAuthAccessToken('WEB', ?, ?)}", web_code, callback))
        returned += [answer["OAuthAccessToken"], answer["OAuthRefreshToken"]]
        answer = one_row(conn.cursor().execute(
            "{call RefreshOAuthAccessToken(?)}", answer["OAuthRefreshToken"]))
        returned.append(answer["OAuthAccessToken"])
        conn.close()
        with pytest.raises(pyodbc.Error):
            connect(oauth_string(auto, settings=tmp_path / "c.json", callback=callback,
                                 client_secret=WRONG_SECRET,
                                 OAuthVerifier=code_for(auto, callback), **logging))
    finally:
        # The logger is process-wide: switch it off for the rest of the session.
        with contextlib.suppress(pyodbc.Error):
            connect(oauth_string(auto, initiate="OFF", Logfile=os.devnull,
                                 Verbosity=0)).close()
    text = logfile.read_text(errors="replace")
    assert "/oauth/v3/token" in text and "/cms/v3/hubdb/" in text, text[:2000]
    for secret in (access_token, refresh_token, code, web_code, *returned):
        assert secret not in text, f"a token or code is in the log {logfile}"
    assert_no_secret(text)


def test_a_literal_refresh_token_in_a_procedure_call_stays_out_of_the_log(auto, tmp_path):
    logfile = tmp_path / "driver.log"
    _, refresh_token = tokens_for(auto, callback_url())
    try:
        conn = connect(oauth_string(auto, initiate="OFF", Logfile=str(logfile), Verbosity=5))
        try:
            one_row(conn.cursor().execute(
                f"EXEC RefreshOAuthAccessToken OAuthRefreshToken = '{refresh_token}'"))
        finally:
            conn.close()
    finally:
        with contextlib.suppress(pyodbc.Error):
            connect(oauth_string(auto, initiate="OFF", Logfile=os.devnull,
                                 Verbosity=0)).close()
    assert refresh_token not in logfile.read_text(errors="replace")
