"""Every failure is a diagnostic with the right SQLSTATE; never a crash, a hang or a secret."""

import threading
import time

import pyodbc
import pytest

from conftest import Sandbox, connection_string, free_port

BAD_TOKEN = "pat-na1-11111111-bad0-0000-0000-000000000000"


def sqlstate_of(error):
    return error.args[0]


def message_of(error):
    return error.args[1]


def test_bad_token_is_28000_with_hubspots_message(endpoint):
    with pytest.raises(pyodbc.Error) as caught:
        pyodbc.connect(connection_string(endpoint.url, token=BAD_TOKEN), timeout=30)
    assert sqlstate_of(caught.value) == "28000"
    assert "[HubDB ODBC][HubSpot]" in message_of(caught.value)
    assert "Authentication credentials not found" in message_of(caught.value)
    assert BAD_TOKEN not in message_of(caught.value)


def test_b40_a_refused_credential_names_the_dsn(endpoint):
    with pytest.raises(pyodbc.Error) as caught:
        pyodbc.connect(f"DSN={endpoint.dsn};PrivateAppToken={BAD_TOKEN}", timeout=30)
    assert sqlstate_of(caught.value) == "28000"
    assert f"(DSN '{endpoint.dsn}')" in message_of(caught.value)
    assert BAD_TOKEN not in message_of(caught.value)


@pytest.mark.parametrize(
    "sql, state",
    [
        ("SELECT * FROM no_such_table", "42S02"),
        ("SELECT no_such_column FROM events", "42S22"),
        ("SELEC * FROM events", "42000"),
    ],
)
def test_statement_errors_have_their_sqlstate(conn, endpoint, sql, state):
    with pytest.raises(pyodbc.Error) as caught:
        conn.cursor().execute(sql)
    assert sqlstate_of(caught.value) == state
    assert "[HubDB ODBC]" in message_of(caught.value)
    assert endpoint.token not in message_of(caught.value)


def test_cannot_connect_is_08001(sandbox):
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(pyodbc.Error) as caught:
        pyodbc.connect(connection_string(url, Timeout=5), timeout=30)
    assert sqlstate_of(caught.value) == "08001"
    assert time.monotonic() - started < 20


def test_query_timeout_is_hyt00():
    slow = Sandbox("--latency-ms", "1500")
    try:
        conn = pyodbc.connect(connection_string(slow.url, Timeout=20), autocommit=True)
        conn.timeout = 1
        started = time.monotonic()
        with pytest.raises(pyodbc.Error) as caught:
            conn.cursor().execute("SELECT * FROM price_list").fetchall()
        assert sqlstate_of(caught.value) == "HYT00"
        assert time.monotonic() - started < 10
    finally:
        slow.stop()


def test_b36_connection_timeout_attribute_is_hyt01():
    sql_attr_connection_timeout = 113
    slow = Sandbox("--latency-ms", "1500")
    try:
        conn = pyodbc.connect(
            connection_string(slow.url, Timeout=20),
            autocommit=True,
            attrs_before={sql_attr_connection_timeout: 1},
        )
        started = time.monotonic()
        with pytest.raises(pyodbc.Error) as caught:
            conn.cursor().execute("SELECT * FROM price_list").fetchall()
        assert sqlstate_of(caught.value) == "HYT01"
        assert time.monotonic() - started < 10
        assert conn.cursor().execute("SELECT 1").fetchone()[0] == 1, "still usable"
    finally:
        slow.stop()


def test_connection_lost_mid_scan_is_08s01():
    server = Sandbox()
    try:
        conn = pyodbc.connect(connection_string(server.url, Timeout=5), autocommit=True)
        cursor = conn.cursor().execute("SELECT Id FROM price_list")
        assert cursor.fetchone() is not None
        server.stop()
        with pytest.raises(pyodbc.Error) as caught:
            cursor.fetchall()
        assert sqlstate_of(caught.value) == "08S01"
    finally:
        server.stop()


NO_SCOPE_TOKEN = "pat-na1-00000000-nosc-0000-0000-000000000000"


def test_token_without_the_hubdb_scope_is_28000_naming_the_scope(endpoint):
    with pytest.raises(pyodbc.Error) as caught:
        pyodbc.connect(connection_string(endpoint.url, token=NO_SCOPE_TOKEN), timeout=30)
    assert sqlstate_of(caught.value) == "28000"
    assert "hubdb" in message_of(caught.value)
    assert "correlation id" in message_of(caught.value)
    assert NO_SCOPE_TOKEN not in message_of(caught.value)


def test_the_driver_log_at_full_verbosity_holds_no_token(endpoint, tmp_path):
    log = tmp_path / "driver.log"
    conn = pyodbc.connect(
        connection_string(endpoint.url, token=endpoint.token, Logfile=str(log), Verbosity=5),
        autocommit=True,
        timeout=30,
    )
    conn.cursor().execute("SELECT Id FROM events").fetchall()
    with pytest.raises(pyodbc.Error):
        conn.cursor().execute("SELECT * FROM no_such_table")
    conn.close()
    with pytest.raises(pyodbc.Error):
        pyodbc.connect(connection_string(endpoint.url, token=BAD_TOKEN, Logfile=str(log)))

    text = log.read_text(encoding="utf-8", errors="replace")
    assert "GET /cms/v3/hubdb/tables" in text
    assert endpoint.token not in text and BAD_TOKEN not in text
    assert "Bearer" not in text


def test_long_expression_chains_on_a_1_mib_thread_do_not_crash_the_application(conn):
    """DataFusion recurses once per nesting level; the driver plans on a thread of its own."""
    outcome = {}

    def run():
        cursor = conn.cursor()
        outcome["sum"] = cursor.execute("SELECT " + "+".join(["1"] * 900) + " AS x").fetchone()[0]
        try:
            cursor.execute("SELECT " + "+".join(["1"] * 1500) + " AS x")
        except pyodbc.Error as error:
            outcome["refused"] = sqlstate_of(error)

    threading.stack_size(1 << 20)
    try:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(120)
    finally:
        threading.stack_size(0)
    assert outcome == {"sum": 900, "refused": "42000"}
