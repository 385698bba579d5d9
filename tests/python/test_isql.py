"""unixODBC's own clients: isql (ANSI entry points) and iusql (wide entry points)."""

import subprocess

import pytest


@pytest.mark.parametrize("program", ["isql", "iusql"])
def test_isql_shows_hubdb_rows(endpoint, sandbox, program):
    sql = "SELECT Id, store_name FROM store_locations ORDER BY Id LIMIT 3\n"

    result = subprocess.run(
        [program, "-b", "-d|", "-v", endpoint.dsn],
        input=sql,
        capture_output=True,
        text=True,
        # iusql narrows each UTF-16 unit to one byte when it prints (unixODBC's uc_to_ascii), so
        # its output is not UTF-8 for text outside ASCII; the ids and the first name are ASCII.
        errors="replace",
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    lines = [l for l in result.stdout.splitlines() if "|" in l]
    expected = sorted(sandbox.rows("store_locations"), key=lambda r: int(r["id"]))[:3]
    assert [l.split("|")[0] for l in lines] == [r["id"] for r in expected]
    assert expected[0]["values"]["store_name"] in result.stdout


def test_isql_lists_tables(endpoint):
    result = subprocess.run(
        ["isql", "-b", "-d|", "-v", endpoint.dsn],
        input="help\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "store_locations" in result.stdout


def test_isql_reports_sqlstate_for_an_unknown_table(endpoint):
    result = subprocess.run(
        ["isql", "-b", "-v", endpoint.dsn],
        input="SELECT * FROM nope\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    # isql declares itself an ODBC 2 application, so unixODBC maps the driver's 42S02 to the
    # ODBC 2 state S0002 (ODBC "SQLSTATE Mappings"); pyodbc sees 42S02 (test_errors.py).
    output = result.stdout + result.stderr
    assert "S0002" in output or "42S02" in output, output
    assert "nope" in output
