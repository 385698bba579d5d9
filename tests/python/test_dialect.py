"""The driver's SQL dialect through unixODBC: parameters (B34), SQLDescribeParam, ODBC escapes
(B31), TOP, quoted and qualified names, the sys_ tables, and SQLPrepare describing a result
without reading rows."""

import ctypes
import datetime as dt

import pyodbc
import pytest

SQL_HANDLE_ENV, SQL_HANDLE_DBC, SQL_HANDLE_STMT = 1, 2, 3
SQL_ATTR_ODBC_VERSION, SQL_OV_ODBC3 = 200, 3
SQL_NTS, SQL_DRIVER_NOPROMPT = -3, 0
SQL_VARCHAR, SQL_DECIMAL, SQL_DOUBLE, SQL_BIGINT, SQL_WVARCHAR = 12, 3, 8, -5, -9


class Odbc:
    """Raw ODBC calls through the driver manager, for what pyodbc does not expose."""

    def __init__(self, dsn):
        self.lib = ctypes.CDLL("libodbc.so.2")
        self.env = self.handle(SQL_HANDLE_ENV, None)
        self.check(self.lib.SQLSetEnvAttr(self.env, SQL_ATTR_ODBC_VERSION,
                                          ctypes.c_void_p(SQL_OV_ODBC3), 0))
        self.dbc = self.handle(SQL_HANDLE_DBC, self.env)
        text = f"DSN={dsn}".encode()
        self.check(self.lib.SQLDriverConnect(self.dbc, None, text, SQL_NTS, None, 0, None,
                                             SQL_DRIVER_NOPROMPT))
        self.stmt = self.handle(SQL_HANDLE_STMT, self.dbc)

    def handle(self, kind, parent):
        out = ctypes.c_void_p()
        self.check(self.lib.SQLAllocHandle(kind, parent, ctypes.byref(out)))
        return out

    @staticmethod
    def check(rc):
        assert rc in (0, 1), f"ODBC call returned {rc}"
        return rc

    def prepare(self, sql):
        self.check(self.lib.SQLPrepare(self.stmt, sql.encode(), SQL_NTS))

    def execute(self):
        rc = self.lib.SQLExecute(self.stmt)
        state, native = ctypes.create_string_buffer(6), ctypes.c_int()
        message, length = ctypes.create_string_buffer(512), ctypes.c_short()
        self.lib.SQLGetDiagRec(SQL_HANDLE_STMT, self.stmt, 1, state, ctypes.byref(native),
                               message, 512, ctypes.byref(length))
        return rc, state.value.decode()

    def num_params(self):
        count = ctypes.c_short()
        self.check(self.lib.SQLNumParams(self.stmt, ctypes.byref(count)))
        return count.value

    def describe_param(self, number):
        kind, size = ctypes.c_short(), ctypes.c_size_t()
        digits, nullable = ctypes.c_short(), ctypes.c_short()
        rc = self.lib.SQLDescribeParam(self.stmt, number, ctypes.byref(kind), ctypes.byref(size),
                                       ctypes.byref(digits), ctypes.byref(nullable))
        return rc, (kind.value, size.value, digits.value)

    def num_result_cols(self):
        count = ctypes.c_short()
        self.check(self.lib.SQLNumResultCols(self.stmt, ctypes.byref(count)))
        return count.value

    def describe_col(self, number):
        name = ctypes.create_string_buffer(256)
        name_len, kind, digits, nullable = (ctypes.c_short() for _ in range(4))
        size = ctypes.c_size_t()
        self.check(self.lib.SQLDescribeCol(self.stmt, number, name, 256, ctypes.byref(name_len),
                                           ctypes.byref(kind), ctypes.byref(size),
                                           ctypes.byref(digits), ctypes.byref(nullable)))
        return name.value.decode(), kind.value, size.value, digits.value

    def close(self):
        self.lib.SQLFreeHandle(SQL_HANDLE_STMT, self.stmt)
        self.lib.SQLDisconnect(self.dbc)
        self.lib.SQLFreeHandle(SQL_HANDLE_DBC, self.dbc)
        self.lib.SQLFreeHandle(SQL_HANDLE_ENV, self.env)


@pytest.fixture
def odbc(endpoint):
    connection = Odbc(endpoint.dsn)
    yield connection
    connection.close()


def events(sandbox):
    return sandbox.rows("events")


def value(row, name):
    return row["values"].get(name)


def test_b34_markers_are_counted_outside_literals_and_comments(odbc):
    odbc.prepare("SELECT '?' AS q, \"why?\" FROM (SELECT 1 AS \"why?\") t -- really?\n"
                 "WHERE 1 = ? AND 2 > ?")
    assert odbc.num_params() == 2


def test_bound_parameters_filter_rows(conn, sandbox):
    wanted = sorted(int(r["id"]) for r in events(sandbox)
                    if (value(r, "capacity") or 0) > 50 and value(r, "title"))

    rows = conn.cursor().execute(
        "SELECT Id FROM events WHERE capacity > ? AND title LIKE ? ORDER BY Id", 50, "%"
    ).fetchall()

    assert [r.Id for r in rows] == wanted


def test_b34_executing_without_bound_parameters_is_07002(odbc):
    odbc.prepare("SELECT Id FROM events WHERE capacity > ? AND Id > ?")
    assert odbc.execute() == (-1, "07002")


def test_describe_param_answers_the_type_of_the_compared_column(odbc):
    odbc.prepare("SELECT Id FROM events WHERE ticket_price > ? AND title = ? AND capacity < ? "
                 "AND ? IS NULL")

    assert odbc.num_params() == 4
    assert odbc.describe_param(1) == (0, (SQL_DECIMAL, 19, 4))
    assert odbc.describe_param(2) == (0, (SQL_WVARCHAR, 10000, 0))
    assert odbc.describe_param(3) == (0, (SQL_DOUBLE, 15, 0))
    assert odbc.describe_param(4) == (0, (SQL_VARCHAR, 4000, 0))
    assert odbc.describe_param(5)[0] == -1


def test_prepare_describes_the_result_without_reading_rows(odbc, sandbox):
    sandbox.clear_requests()

    odbc.prepare("SELECT title, COUNT(*) AS n, SUM(capacity) AS seats, "
                 "CAST(title AS VARCHAR(20)) AS short, {fn UCASE(title)} AS loud "
                 "FROM events GROUP BY title")
    described = [odbc.describe_col(n) for n in range(1, odbc.num_result_cols() + 1)]

    assert described == [
        ("title", SQL_WVARCHAR, 10000, 0),
        ("n", SQL_BIGINT, 19, 0),
        ("seats", SQL_DOUBLE, 15, 0),
        ("short", SQL_WVARCHAR, 40, 0),
        ("loud", SQL_WVARCHAR, 10000, 0),
    ]
    row_reads = [r for r in sandbox.requests() if "/rows" in r["path"]]
    assert row_reads == []


def test_b31_fn_escapes_run(conn, sandbox):
    rows = events(sandbox)
    row = next(r for r in rows if value(r, "title"))
    title = value(row, "title")

    got = conn.cursor().execute(
        "SELECT {fn UCASE(title)}, {fn LCASE(title)}, {fn LENGTH(title)}, {fn LEFT(title, 3)}, "
        "{fn CONCAT(title, '!')}, {fn LOCATE('e', title)}, {fn IFNULL(NULL, 'x')}, "
        "{fn DATABASE()}, {fn MOD(7, 3)}, {fn CONVERT(Id, SQL_VARCHAR)} "
        "FROM events WHERE Id = ?", int(row["id"])
    ).fetchone()

    assert list(got) == [title.upper(), title.lower(), len(title.rstrip()), title[:3],
                         title + "!", title.find("e") + 1, "x", "HubDB", 1, row["id"]]


def test_b31_tableau_aggregate_and_date_escapes(conn, sandbox):
    rows = events(sandbox)
    total = sum(int(value(r, "capacity")) for r in rows if value(r, "capacity") is not None)
    cutoff = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    later = [r for r in rows if value(r, "starts_at") is not None
             and value(r, "starts_at") >= cutoff.timestamp() * 1000]
    cursor = conn.cursor()

    (got,) = cursor.execute(
        "SELECT SUM({fn CONVERT(capacity, SQL_BIGINT)}) FROM events HAVING COUNT(1) > 0"
    ).fetchone()
    (count,) = cursor.execute(
        "SELECT COUNT(*) FROM events WHERE starts_at >= {ts '2020-01-01 00:00:00'} "
        "AND {fn YEAR(starts_at)} >= 2020 AND CAST(starts_at AS DATE) >= {d '2020-01-01'}"
    ).fetchone()

    assert got == total
    assert count == len(later)


def test_call_escape_names_the_missing_procedure(conn):
    with pytest.raises(pyodbc.Error) as error:
        conn.cursor().execute("{call publish_table('events')}")
    assert error.value.args[0] == "42000"
    assert "procedure 'publish_table' does not exist" in error.value.args[1]


def test_top_quoted_identifiers_and_qualified_names(conn, sandbox):
    wanted = sorted(int(r["id"]) for r in events(sandbox))[:3]
    cursor = conn.cursor()
    for sql in [
        "SELECT TOP 3 [Id] FROM [events] ORDER BY [ID]",
        'SELECT "Id" FROM "HubDB"."Published"."events" ORDER BY "id" LIMIT 3',
        "SELECT `id` FROM hubdb.published.EVENTS ORDER BY `Id` LIMIT 3",
        "SELECT TOP 3 e.id FROM HubDB.Published.events AS e ORDER BY e.ID",
    ]:
        assert [r[0] for r in cursor.execute(sql).fetchall()] == wanted, sql


def test_function_masks_advertise_what_runs(conn):
    strings = conn.getinfo(pyodbc.SQL_STRING_FUNCTIONS)
    ucase, lcase, soundex = 0x1000, 0x40, 0x20000
    assert strings & ucase and strings & lcase
    assert not strings & soundex
    assert conn.getinfo(pyodbc.SQL_TIMEDATE_FUNCTIONS) & 0x6000 == 0x6000


def test_sys_tables_match_the_catalog_functions(conn):
    cursor = conn.cursor()
    views = sorted(t.table_name for t in cursor.tables(schema="Published", tableType="VIEW"))

    listed = [r[0] for r in cursor.execute(
        "SELECT TableName FROM sys_tables WHERE SchemaName = 'Published' ORDER BY TableName"
    ).fetchall()]
    assert listed == views

    columns = [c.column_name for c in cursor.columns(table="events", schema="Published")]
    got = [r[0] for r in cursor.execute(
        "SELECT c.ColumnName FROM sys_tablecolumns c JOIN sys_tables t "
        "ON t.TableName = c.TableName AND t.SchemaName = c.SchemaName "
        "WHERE t.TableName = 'events' AND t.TableType = 'VIEW' ORDER BY c.Ordinal"
    ).fetchall()]
    assert got == columns


def test_sys_procedures_and_sqlinfo(conn):
    cursor = conn.cursor()
    names = [r[0] for r in cursor.execute(
        "SELECT ProcedureName FROM sys_procedures ORDER BY ProcedureName"
    ).fetchall()]
    assert names == ["GetOAuthAccessToken", "GetOAuthAuthorizationURL", "RefreshOAuthAccessToken"]
    parameters = cursor.execute(
        "SELECT ColumnName, Direction FROM sys_procedureparameters "
        "WHERE ProcedureName = 'RefreshOAuthAccessToken' ORDER BY Ordinal"
    ).fetchall()
    assert [tuple(p) for p in parameters] == [
        ("OAuthRefreshToken", 1), ("OAuthAccessToken", 4), ("OAuthRefreshToken", 4), ("ExpiresIn", 4),
    ]
    (functions,) = cursor.execute(
        "SELECT VALUE FROM sys_sqlinfo WHERE NAME = 'STRING_FUNCTIONS'"
    ).fetchone()
    assert "UCASE" in functions.split(", ")


def test_b18_computed_text_never_exceeds_its_declared_utf16_length(conn):
    cursor = conn.cursor().execute(
        "SELECT RIGHT(store_name, 3) AS tail, 'x\U0001F600' AS lit FROM store_locations"
    )
    sizes = [d[3] for d in cursor.description]
    rows = cursor.fetchall()

    def units(text):
        return len(text.encode("utf-16-le")) // 2

    assert sizes == [6, 3]
    assert any(r.tail and units(r.tail) > len(r.tail) for r in rows), "a tail holds an emoji"
    for row in rows:
        for value, size in zip(row, sizes):
            assert value is None or units(value) <= size, value
