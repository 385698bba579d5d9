"""pyodbc reads every sample table: every row, every column, the right Python types."""

import datetime as dt
from decimal import Decimal

import pytest

import expected

PUBLISHED = ["store_locations", "events", "price_list", "team_members"]


def fetch_all(conn, sql):
    cursor = conn.cursor()
    cursor.execute(sql)
    names = [d[0] for d in cursor.description]
    return names, [dict(zip(names, row)) for row in cursor.fetchall()]


def same(actual, wanted):
    if isinstance(wanted, Decimal) and isinstance(actual, Decimal):
        return actual == wanted
    if isinstance(wanted, float) and isinstance(actual, float):
        return actual == pytest.approx(wanted, rel=1e-12)
    return type(actual) is type(wanted) and actual == wanted


# Every sample table in both schemas: the published views, and the draft tables, among them the
# draft of `events` (which differs) and the draft-only `upcoming_webinars`.
EVERY_TABLE = [("Published", t) for t in PUBLISHED] + [
    ("Draft", t) for t in PUBLISHED + ["upcoming_webinars"]
]


@pytest.mark.parametrize("schema, table", EVERY_TABLE)
def test_select_star_returns_every_row_and_column_as_the_sandbox_has_them(
    conn, sandbox, schema, table
):
    draft = schema == "Draft"
    meta = sandbox.get(f"/cms/v3/hubdb/tables/{table}" + ("/draft" if draft else ""))
    rows = sandbox.rows(table, draft=draft)

    names, actual = fetch_all(conn, f"SELECT * FROM {schema}.{table}")

    assert names == expected.column_names(meta)
    assert len(actual) == len(rows)
    by_id = {row["Id"]: row for row in actual}
    for row in rows:
        wanted = expected.row_values(meta, row)
        got = by_id[int(row["id"])]
        wrong = {k: (got[k], v) for k, v in wanted.items() if not same(got[k], v)}
        assert not wrong, f"row {row['id']}: (driver, sandbox) {wrong}"


def test_python_types_follow_the_type_mapping(conn):
    _, rows = fetch_all(conn, "SELECT * FROM events")
    row = next(r for r in rows if r["ticket_price"] is not None and r["capacity"] is not None)

    assert isinstance(row["Id"], int)
    assert isinstance(row["starts_at"], dt.datetime)
    assert isinstance(row["registration_open"], bool)
    assert isinstance(row["capacity"], float)
    assert isinstance(row["ticket_price"], Decimal)
    assert isinstance(row["title"], str)
    _, stores = fetch_all(conn, "SELECT opened_on FROM store_locations")
    assert any(isinstance(r["opened_on"], dt.date) and not isinstance(r["opened_on"], dt.datetime)
               for r in stores)


def test_unicode_outside_the_basic_multilingual_plane_arrives_intact(conn):
    _, rows = fetch_all(conn, "SELECT title FROM events")
    titles = {r["title"] for r in rows}
    assert "Community meetup 😀" in titles
    assert "東京ナイトライド 🌙" in titles
    # This title exists only in the draft version of `events`.
    assert "Autumn ride — Zürich" not in titles
    _, drafts = fetch_all(conn, "SELECT title FROM Draft.events")
    assert "Autumn ride — Zürich" in {r["title"] for r in drafts}
    assert "Photo walk ✨" in {r["title"] for r in drafts}


def test_long_text_near_the_limit_arrives_whole(conn, sandbox):
    rows = sandbox.rows("events")
    longest = max((r["values"].get("notes") or "" for r in rows), key=len)
    assert len(longest) > 9000
    _, got = fetch_all(conn, "SELECT notes FROM events")
    assert longest in {r["notes"] for r in got}


def test_the_10000_row_table_arrives_complete_each_row_once(conn, sandbox):
    sandbox.clear_requests()

    _, rows = fetch_all(conn, "SELECT Id, sku FROM price_list")

    ids = [r["Id"] for r in rows]
    assert len(ids) == 10000
    assert len(set(ids)) == 10000
    # Answered requests: a 429 of the shared rate limit is refused before any row is read.
    row_requests = [
        r for r in sandbox.requests() if r["path"].endswith("/rows") and r["status"] == 200
    ]
    assert len(row_requests) == 10, row_requests
    assert sum(r["rows"] for r in row_requests) == 10000


def test_where_order_by_and_limit(conn, sandbox):
    rows = [r for r in sandbox.rows("price_list") if r["values"].get("stock") is not None]
    rows = [r for r in rows if r["values"]["stock"] > 100]
    rows.sort(key=lambda r: (-r["values"]["stock"], int(r["id"])))

    _, got = fetch_all(
        conn, "SELECT Id, stock FROM price_list WHERE stock > 100 ORDER BY stock DESC, Id LIMIT 7"
    )

    assert [r["Id"] for r in got] == [int(r["id"]) for r in rows[:7]]


def test_draft_schema_sees_the_draft_version(conn, sandbox):
    draft_rows = sandbox.rows("events", draft=True)
    names, got = fetch_all(conn, "SELECT * FROM Draft.events")
    assert "livestream_url" in names
    assert len(got) == len(draft_rows)
    published_names, _ = fetch_all(conn, "SELECT * FROM events")
    assert "livestream_url" not in published_names


def test_draft_only_table_is_read_unqualified(conn, sandbox):
    _, got = fetch_all(conn, "SELECT * FROM upcoming_webinars")
    assert len(got) == len(sandbox.rows("upcoming_webinars", draft=True))


def test_text_with_characters_across_pyodbc_read_parts_arrives_intact(sandbox, tmp_path):
    # pyodbc reads long text in parts and keeps "buffer length minus terminator" bytes of each
    # part, so a part must fill its buffer even when a character straddles the boundary.
    # Prefixes of 0 to 3 letters move an emoji and a CJK character across every boundary.
    import json

    import pyodbc

    from conftest import Sandbox, connection_string

    texts = {1000 + k: "a" * k + "😀東" * 1500 for k in range(4)}
    table = {
        "id": 777, "name": "long_texts", "label": "Long texts",
        "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z",
        "publishedAt": "2024-01-01T00:00:00.000Z",
        "columns": [{"id": 1, "name": "body", "label": "Body", "type": "TEXT"}],
        "rows": [{"id": row_id, "values": {"body": text}} for row_id, text in texts.items()],
    }
    seed = tmp_path / "long_texts.json"
    seed.write_text(json.dumps({"tables": [table]}), encoding="utf-8")
    server = Sandbox("--seed", str(seed))
    try:
        conn = pyodbc.connect(connection_string(server.url), autocommit=True, timeout=30)
        got = dict(conn.cursor().execute("SELECT Id, body FROM long_texts").fetchall())
        conn.close()
    finally:
        server.stop()

    assert got == texts
