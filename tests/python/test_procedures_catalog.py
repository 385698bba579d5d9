"""cursor.procedures() and cursor.procedureColumns() list the driver's stored procedures.

The answers come from the driver's procedure registry (the OAuth web-flow procedures, schema
`sys` as in `sys_procedures`), so no HubDB request is made; the tests run on both endpoints
anyway, like the rest of the catalog suite.
"""

import pytest

SQL_PARAM_INPUT = 1
SQL_RESULT_COL = 3
SQL_NO_NULLS, SQL_NULLABLE = 0, 1
SQL_PT_PROCEDURE = 1
SQL_WVARCHAR, SQL_BIGINT = -9, -5

OAUTH_PROCEDURES = ["GetOAuthAccessToken", "GetOAuthAuthorizationURL", "RefreshOAuthAccessToken"]


def test_procedures_lists_the_oauth_procedures_with_their_parameter_counts(conn):
    rows = conn.cursor().procedures().fetchall()

    by_name = {r.procedure_name: r for r in rows}
    assert set(OAUTH_PROCEDURES) <= set(by_name)
    assert [r.procedure_name for r in rows] == sorted(by_name, key=str.lower)
    assert {(r.procedure_cat, r.procedure_schem) for r in rows} == {("HubDB", "sys")}
    assert {r.procedure_type for r in rows} == {SQL_PT_PROCEDURE}
    counts = {n: (by_name[n].num_input_params, by_name[n].num_output_params)
              for n in OAUTH_PROCEDURES}
    # The outputs come back as a result set's columns, not as bound output parameters.
    assert counts == {
        "GetOAuthAccessToken": (4, 0),
        "GetOAuthAuthorizationURL": (3, 0),
        "RefreshOAuthAccessToken": (1, 0),
    }
    assert all(by_name[n].num_result_sets is None for n in OAUTH_PROCEDURES)
    assert "refresh token" in by_name["RefreshOAuthAccessToken"].remarks


def test_procedures_result_has_the_8_columns_of_the_spec(conn):
    cursor = conn.cursor().procedures()
    assert [d[0].upper() for d in cursor.description] == [
        "PROCEDURE_CAT", "PROCEDURE_SCHEM", "PROCEDURE_NAME", "NUM_INPUT_PARAMS",
        "NUM_OUTPUT_PARAMS", "NUM_RESULT_SETS", "REMARKS", "PROCEDURE_TYPE",
    ]


@pytest.mark.parametrize(
    "arguments, names",
    [
        ({"procedure": "Get%"}, ["GetOAuthAccessToken", "GetOAuthAuthorizationURL"]),
        ({"procedure": "%token"}, ["GetOAuthAccessToken", "RefreshOAuthAccessToken"]),
        ({"procedure": "GetOAuth_ccessToken"}, ["GetOAuthAccessToken"]),
        ({"procedure": "Get%", "schema": "sys", "catalog": "HubDB"},
         ["GetOAuthAccessToken", "GetOAuthAuthorizationURL"]),
        ({"schema": "Published"}, []),
        ({"procedure": "NoSuchProcedure"}, []),
    ],
)
def test_procedures_arguments_are_patterns(conn, arguments, names):
    rows = conn.cursor().procedures(**arguments).fetchall()
    assert [r.procedure_name for r in rows if r.procedure_name in OAUTH_PROCEDURES] == names


def test_procedure_columns_lists_inputs_then_result_columns_with_their_types(conn):
    rows = conn.cursor().procedureColumns(procedure="GetOAuthAccessToken").fetchall()

    assert [(r.column_name, r.column_type, r.ordinal_position) for r in rows] == [
        ("AuthMode", SQL_PARAM_INPUT, 1),
        ("Verifier", SQL_PARAM_INPUT, 2),
        ("CallbackUrl", SQL_PARAM_INPUT, 3),
        ("State", SQL_PARAM_INPUT, 4),
        ("OAuthAccessToken", SQL_RESULT_COL, 1),
        ("OAuthRefreshToken", SQL_RESULT_COL, 2),
        ("ExpiresIn", SQL_RESULT_COL, 3),
    ]
    by_name = {r.column_name: r for r in rows}
    assert {(r.procedure_cat, r.procedure_schem, r.procedure_name) for r in rows} == {
        ("HubDB", "sys", "GetOAuthAccessToken")
    }
    token = by_name["OAuthAccessToken"]
    assert (token.data_type, token.type_name, token.column_size) == (SQL_WVARCHAR, "WVARCHAR", 2048)
    assert token.char_octet_length == 2 * 2048
    expires = by_name["ExpiresIn"]
    assert (expires.data_type, expires.type_name, expires.column_size) == (SQL_BIGINT, "BIGINT", 19)
    assert (expires.decimal_digits, expires.num_prec_radix, expires.char_octet_length) == (0, 10, None)
    assert all((r.nullable, r.is_nullable) == (SQL_NULLABLE, "YES") for r in rows)
    assert all(r.column_def is None and r.remarks for r in rows)


def test_procedure_columns_of_a_required_input_say_no_nulls(conn):
    rows = conn.cursor().procedureColumns(procedure="RefreshOAuthAccessToken").fetchall()

    first = rows[0]
    assert (first.column_name, first.column_type) == ("OAuthRefreshToken", SQL_PARAM_INPUT)
    assert (first.nullable, first.is_nullable) == (SQL_NO_NULLS, "NO")
    assert [r.column_name for r in rows if r.column_type == SQL_RESULT_COL] == [
        "OAuthAccessToken", "OAuthRefreshToken", "ExpiresIn",
    ]


def test_procedure_columns_follow_the_procedure_pattern(conn):
    rows = conn.cursor().procedureColumns(procedure="Get%").fetchall()

    names = [r.procedure_name for r in rows]
    assert set(names) == {"GetOAuthAccessToken", "GetOAuthAuthorizationURL"}
    assert names == sorted(names, key=str.lower), "grouped by procedure, in name order"
    assert ("GetOAuthAuthorizationURL", "URL", SQL_RESULT_COL) in {
        (r.procedure_name, r.column_name, r.column_type) for r in rows
    }


def test_procedure_columns_result_has_the_19_columns_of_the_spec(conn):
    cursor = conn.cursor().procedureColumns(procedure="GetOAuthAccessToken")
    assert [d[0].upper() for d in cursor.description] == [
        "PROCEDURE_CAT", "PROCEDURE_SCHEM", "PROCEDURE_NAME", "COLUMN_NAME", "COLUMN_TYPE",
        "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "BUFFER_LENGTH", "DECIMAL_DIGITS",
        "NUM_PREC_RADIX", "NULLABLE", "REMARKS", "COLUMN_DEF", "SQL_DATA_TYPE",
        "SQL_DATETIME_SUB", "CHAR_OCTET_LENGTH", "ORDINAL_POSITION", "IS_NULLABLE",
    ]
