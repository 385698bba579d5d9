"""cursor.tables() and cursor.columns() describe what the sandbox holds."""

import pyodbc
import pytest

import expected

PUBLISHED = ["store_locations", "events", "price_list", "team_members"]
DRAFT_ONLY = ["upcoming_webinars"]


def test_tables_lists_published_views_and_draft_tables(conn, sandbox):
    published = {t["name"] for t in sandbox.get("/cms/v3/hubdb/tables")["results"]}
    draft = {t["name"] for t in sandbox.get("/cms/v3/hubdb/tables/draft")["results"]}

    rows = conn.cursor().tables().fetchall()

    listed = {(r.table_schem, r.table_name, r.table_type) for r in rows}
    assert {("Published", n, "VIEW") for n in published} <= listed
    assert {("Draft", n, "TABLE") for n in draft} <= listed
    assert all(r.table_cat == "HubDB" for r in rows)
    assert not any(r.table_name == "spring_promotions_2023" for r in rows)


def test_tables_filters_by_pattern_and_type(conn):
    views = conn.cursor().tables(table="%_list%", tableType="VIEW").fetchall()
    assert [(r.table_schem, r.table_name) for r in views] == [("Published", "price_list")]


def test_columns_match_the_table_schema(conn, sandbox):
    meta = sandbox.get("/cms/v3/hubdb/tables/events")

    rows = conn.cursor().columns(table="events", schema="Published").fetchall()

    assert [r.column_name for r in rows] == expected.column_names(meta)
    by_name = {r.column_name: r for r in rows}
    assert by_name["Id"].type_name == "BIGINT"
    assert by_name["title"].column_size == 10000
    assert by_name["ticket_price"].column_size == 19 and by_name["ticket_price"].decimal_digits == 4
    assert [r.ordinal_position for r in rows] == list(range(1, len(rows) + 1))


@pytest.mark.parametrize(
    "schema, table",
    [("Published", t) for t in PUBLISHED] + [("Draft", t) for t in PUBLISHED + DRAFT_ONLY],
)
def test_columns_of_every_table_have_the_mapped_types_and_sizes(conn, sandbox, schema, table):
    meta = sandbox.get(f"/cms/v3/hubdb/tables/{table}" + ("/draft" if schema == "Draft" else ""))

    rows = conn.cursor().columns(table=table, schema=schema).fetchall()

    assert [(r.column_name, r.type_name, r.column_size) for r in rows] == expected.column_types(
        meta
    )
    assert {(r.table_cat, r.table_schem, r.table_name) for r in rows} == {("HubDB", schema, table)}


def test_columns_result_has_the_18_columns_of_the_spec(conn):
    cursor = conn.cursor().columns(table="events", schema="Published")
    assert [d[0].upper() for d in cursor.description] == [
        "TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME",
        "COLUMN_SIZE", "BUFFER_LENGTH", "DECIMAL_DIGITS", "NUM_PREC_RADIX", "NULLABLE",
        "REMARKS", "COLUMN_DEF", "SQL_DATA_TYPE", "SQL_DATETIME_SUB", "CHAR_OCTET_LENGTH",
        "ORDINAL_POSITION", "IS_NULLABLE",
    ]


def test_b10_foreign_keys_link_foreign_id_columns_to_the_referenced_row_id(conn, sandbox):
    tables = {t["id"]: t for t in sandbox.get("/cms/v3/hubdb/tables")["results"]}
    links = sorted(
        (tables[str(c["foreignTableId"])]["name"], t["name"], c["name"])
        for t in tables.values()
        for c in t["columns"]
        if c["type"] == "FOREIGN_ID" and str(c.get("foreignTableId")) in tables
    )
    assert links, "the sample data has FOREIGN_ID columns"
    target = links[0][0]

    onto = conn.cursor().foreignKeys(table=target, schema="Published").fetchall()
    of_members = conn.cursor().foreignKeys(foreignTable="team_members").fetchall()

    assert sorted((r.pktable_name, r.fktable_name, r.fkcolumn_name) for r in onto) == [
        link for link in links if link[0] == target
    ]
    assert {(r.pktable_cat, r.pkcolumn_name, r.key_seq) for r in onto} == {("HubDB", "Id", 1)}
    assert {r.fktable_schem for r in of_members} == {"Draft", "Published"}
    assert {(r.pktable_name, r.fkcolumn_name) for r in of_members} == {("store_locations", "office")}


def test_foreign_keys_without_either_table_is_hy009(conn):
    with pytest.raises(pyodbc.Error, match="HY009"):
        conn.cursor().foreignKeys()
