"""What the driver must return for a HubDB row, computed from the REST JSON on its own.

This is the DESIGN's type table written a second time, independently of the driver's code, so a
difference between the two is a test failure rather than a shared mistake.
"""

import datetime as dt
from decimal import Decimal

SYSTEM_COLUMNS = ["Id", "CreatedAt", "UpdatedAt", "PublishedAt", "PagePath", "PageName", "ChildTableId"]
SYSTEM_FIELDS = {"Id": "id", "CreatedAt": "createdAt", "UpdatedAt": "updatedAt",
                 "PublishedAt": "publishedAt", "PagePath": "path", "PageName": "name",
                 "ChildTableId": "childTableId"}


def column_names(table):
    """Result column names of SELECT *: system columns, then each column (LOCATION adds two)."""
    own = {c["name"].lower() for c in table["columns"]}
    names = [f"hs_{SYSTEM_FIELDS[n]}" if n.lower() in own else n for n in SYSTEM_COLUMNS]
    for column in table["columns"]:
        names.append(column["name"])
        if column["type"] == "LOCATION":
            names += [column["name"] + "_latitude", column["name"] + "_longitude"]
    return names


def iso_to_datetime(text):
    if text is None:
        return None
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)


def epoch_ms_to_datetime(ms):
    return dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)


def system_value(name, row):
    value = row.get(SYSTEM_FIELDS[name])
    if name == "ChildTableId":
        # HubSpot sends "0" for a row without a child table (reference §6, HubSpot CLI).
        return int(value) if value not in (None, "", "0", 0) else None
    if name == "Id":
        return int(value) if value not in (None, "") else None
    if name.endswith("At"):
        return iso_to_datetime(value)
    return value


def cell_values(column, cell):
    """{result column name: expected Python value} for one cell (None when empty)."""
    name, kind = column["name"], column["type"]
    if kind == "LOCATION":
        if cell is None:
            return {name: None, f"{name}_latitude": None, f"{name}_longitude": None}
        lat, lon = float(cell["lat"]), float(cell["long"])
        return {name: f"{lat!r},{lon!r}", f"{name}_latitude": lat, f"{name}_longitude": lon}
    if kind == "BOOLEAN":
        return {name: bool(cell)}
    if cell is None:
        return {name: None}
    return {name: scalar_value(kind, cell)}


def scalar_value(kind, cell):
    if kind == "NUMBER":
        return float(cell)
    if kind == "CURRENCY":
        return Decimal(str(cell))
    if kind == "DATE":
        return epoch_ms_to_datetime(cell).date()
    if kind == "DATETIME":
        return epoch_ms_to_datetime(cell)
    if kind == "SELECT":
        return cell["name"]
    if kind == "MULTISELECT":
        ordered = sorted(cell, key=lambda option: option.get("order", 0))
        return ";".join(option["name"] for option in ordered)
    if kind == "IMAGE":
        return cell["url"]
    if kind == "FOREIGN_ID":
        return ";".join(str(item["id"]) for item in cell)
    return cell


def row_values(table, row):
    """The whole expected result row of SELECT * as {column name: value}."""
    own = {c["name"].lower() for c in table["columns"]}
    values = {}
    for name in SYSTEM_COLUMNS:
        shown = f"hs_{SYSTEM_FIELDS[name]}" if name.lower() in own else name
        values[shown] = system_value(name, row)
    for column in table["columns"]:
        values.update(cell_values(column, row["values"].get(column["name"])))
    return values


# The DESIGN's type table: HubDB column type -> (SQLColumns TYPE_NAME, COLUMN_SIZE).
SQL_TYPES = {
    "TEXT": ("WVARCHAR", 10000), "RICHTEXT": ("WLONGVARCHAR", 65000), "URL": ("WVARCHAR", 2048),
    "NUMBER": ("DOUBLE", 15), "CURRENCY": ("DECIMAL", 19), "BOOLEAN": ("BIT", 1),
    "DATE": ("DATE", 10), "DATETIME": ("TIMESTAMP", 23), "SELECT": ("WVARCHAR", 700),
    "MULTISELECT": ("WVARCHAR", 4000), "LOCATION": ("WVARCHAR", 64), "IMAGE": ("WVARCHAR", 2048),
    "FOREIGN_ID": ("WVARCHAR", 4000),
}
SYSTEM_TYPES = {
    "Id": ("BIGINT", 19), "CreatedAt": ("TIMESTAMP", 23), "UpdatedAt": ("TIMESTAMP", 23),
    "PublishedAt": ("TIMESTAMP", 23), "PagePath": ("WVARCHAR", 2048),
    "PageName": ("WVARCHAR", 2048), "ChildTableId": ("BIGINT", 19),
}


def column_types(table):
    """[(column name, TYPE_NAME, COLUMN_SIZE)] of SQLColumns for a table, in ordinal order."""
    own = {c["name"].lower() for c in table["columns"]}
    described = [
        (f"hs_{SYSTEM_FIELDS[n]}" if n.lower() in own else n, *SYSTEM_TYPES[n])
        for n in SYSTEM_COLUMNS
    ]
    for column in table["columns"]:
        described.append((column["name"], *SQL_TYPES[column["type"]]))
        if column["type"] == "LOCATION":
            described += [(column["name"] + "_latitude", "DOUBLE", 15),
                          (column["name"] + "_longitude", "DOUBLE", 15)]
    return described
