"""Errors of the SQL engine carry the SQLSTATE ODBC's appendix A gives them, not HY000, and a
message about the statement, not about DataFusion's internals."""

import pyodbc
import pytest


def fail(conn, sql):
    """The pyodbc error of running `sql` to its last row (some fail only while fetching)."""
    with pytest.raises(pyodbc.Error) as caught:
        conn.cursor().execute(sql).fetchall()
    return caught.value


CASES = [
    # Unknown functions (T-SQL names), operand types that do not fit, bad LIMIT: 42000.
    ("SELECT LEN(store_name) FROM store_locations", "42000"),
    ("SELECT ISNULL(store_name, 'x') FROM store_locations", "42000"),
    ("SELECT GETDATE()", "42000"),
    ("SELECT store_name + 'x' FROM store_locations", "42000"),
    ("SELECT * FROM store_locations LIMIT -1", "42000"),
    ("SELECT * FROM store_locations LIMIT 'a'", "42000"),
    ("SELECT SUM(open_sundays) FROM store_locations", "42000"),
    ("SELECT store_name FROM store_locations GROUP BY opened_on", "42000"),
    # Values that do not fit their type.
    ("SELECT CAST('abc' AS INT)", "22018"),
    ("SELECT CAST(store_name AS INT) FROM store_locations", "22018"),
    ("SELECT 1/0", "22012"),
    ("SELECT {d '2024-13-01'}", "22007"),
    ("SELECT {t '25:00:00'}", "22007"),
    ("SELECT {ts '2024-02-30 00:00:00'}", "22007"),
    ("SELECT TIMESTAMP '2300-01-01 00:00:00'", "22008"),
    ("SELECT CAST(70000 AS SMALLINT)", "22003"),
]


@pytest.mark.parametrize("sql, state", CASES)
def test_engine_errors_have_their_appendix_a_sqlstate(conn, sql, state):
    error = fail(conn, sql)
    assert error.args[0] == state, error.args[1]


@pytest.mark.parametrize("sql", [sql for sql, _ in CASES])
def test_messages_speak_about_the_statement_not_about_datafusion(conn, sql):
    message = fail(conn, sql).args[1]
    assert "[HubDB ODBC][Driver]" in message
    for words in ("DataFusion", "bug report", "Error during planning", "Optimizer rule"):
        assert words not in message, message


def test_an_unknown_function_keeps_the_suggestion(conn):
    message = fail(conn, "SELECT LEN(store_name) FROM store_locations").args[1]
    assert "Invalid function 'len'. Did you mean 'ln'?" in message


def test_bigint_addition_wraps_silently_as_datafusion_does(conn):
    # DataFusion's `+` wraps rather than raising 22003; pinned so a change is noticed.
    row = conn.cursor().execute("SELECT 9223372036854775807 + 1").fetchone()
    assert row[0] == -9223372036854775808
