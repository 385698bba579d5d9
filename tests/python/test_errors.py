"""Every failure is a diagnostic with the right SQLSTATE; never a crash, a hang or a secret."""

import socket
import time

import pyodbc
import pytest

from conftest import DEMO_TOKEN, Sandbox, connection_string

BAD_TOKEN = "pat-na1-11111111-bad0-0000-0000-000000000000"


def sqlstate_of(error):
    return error.args[0]


def message_of(error):
    return error.args[1]


def test_bad_token_is_28000_with_hubspots_message(sandbox):
    with pytest.raises(pyodbc.Error) as caught:
        pyodbc.connect(connection_string(sandbox.url, token=BAD_TOKEN), timeout=30)
    assert sqlstate_of(caught.value) == "28000"
    assert "[HubDB ODBC][HubSpot]" in message_of(caught.value)
    assert "Authentication credentials not found" in message_of(caught.value)
    assert BAD_TOKEN not in message_of(caught.value)


@pytest.mark.parametrize(
    "sql, state",
    [
        ("SELECT * FROM no_such_table", "42S02"),
        ("SELECT no_such_column FROM events", "42S22"),
        ("SELEC * FROM events", "42000"),
    ],
)
def test_statement_errors_have_their_sqlstate(conn, sql, state):
    with pytest.raises(pyodbc.Error) as caught:
        conn.cursor().execute(sql)
    assert sqlstate_of(caught.value) == state
    assert "[HubDB ODBC]" in message_of(caught.value)
    assert DEMO_TOKEN not in message_of(caught.value)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
