//! The sandbox's data: tables with a draft and a published version, typed columns and rows.
//!
//! Cells are kept typed (not as the JSON HubSpot returns) so that filters and sorting compare
//! values, and so that one renderer decides the wire form (reference/hubdb-api.md §5).

use std::collections::BTreeMap;

use serde_json::Value;

/// A column type of HubDB v3, as named in the `Column.type` enum of the OpenAPI file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    RichText,
    Url,
    Number,
    Currency,
    Boolean,
    Date,
    DateTime,
    Select,
    MultiSelect,
    Location,
    Image,
    ForeignId,
    /// VIDEO, CTA, FILE, JSON, COMPOSITE, CODE, NULL: stored and returned verbatim (§5).
    Other(String),
}

/// Types with no defined value shape in the reference; their cells are kept as raw JSON.
const VERBATIM_TYPES: [&str; 7] = ["NULL", "VIDEO", "CTA", "FILE", "JSON", "COMPOSITE", "CODE"];

impl ColumnType {
    /// Parses the spec's type name; `None` for a name outside the spec's enum.
    pub fn parse(name: &str) -> Option<ColumnType> {
        let kind = match name {
            "TEXT" => ColumnType::Text,
            "RICHTEXT" => ColumnType::RichText,
            "URL" => ColumnType::Url,
            "NUMBER" => ColumnType::Number,
            "CURRENCY" => ColumnType::Currency,
            "BOOLEAN" => ColumnType::Boolean,
            "DATE" => ColumnType::Date,
            "DATETIME" => ColumnType::DateTime,
            "SELECT" => ColumnType::Select,
            "MULTISELECT" => ColumnType::MultiSelect,
            "LOCATION" => ColumnType::Location,
            "IMAGE" => ColumnType::Image,
            "FOREIGN_ID" => ColumnType::ForeignId,
            other if VERBATIM_TYPES.contains(&other) => ColumnType::Other(other.to_string()),
            _ => return None,
        };
        Some(kind)
    }

    pub fn name(&self) -> &str {
        match self {
            ColumnType::Text => "TEXT",
            ColumnType::RichText => "RICHTEXT",
            ColumnType::Url => "URL",
            ColumnType::Number => "NUMBER",
            ColumnType::Currency => "CURRENCY",
            ColumnType::Boolean => "BOOLEAN",
            ColumnType::Date => "DATE",
            ColumnType::DateTime => "DATETIME",
            ColumnType::Select => "SELECT",
            ColumnType::MultiSelect => "MULTISELECT",
            ColumnType::Location => "LOCATION",
            ColumnType::Image => "IMAGE",
            ColumnType::ForeignId => "FOREIGN_ID",
            ColumnType::Other(name) => name,
        }
    }
}

/// One option of a SELECT or MULTISELECT column (§4.3); `order` is 0-based.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectOption {
    pub id: String,
    pub name: String,
    pub order: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub id: u32,
    pub name: String,
    pub label: String,
    pub kind: ColumnType,
    pub description: Option<String>,
    pub options: Vec<SelectOption>,
    pub foreign_table_id: Option<u64>,
    pub foreign_column_id: Option<u32>,
    pub width: Option<i32>,
}

impl Column {
    pub fn option_by_id(&self, id: &str) -> Option<&SelectOption> {
        self.options.iter().find(|option| option.id == id)
    }

    /// Finds an option the way the reference recommends for SELECT filters and writes (§8.5):
    /// an all-digit text that is an option id means that option, anything else is a name.
    pub fn resolve_option(&self, text: &str) -> Option<&SelectOption> {
        let by_id = text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty();
        let found = if by_id { self.option_by_id(text) } else { None };
        found.or_else(|| self.options.iter().find(|option| option.name == text))
    }
}

/// A reference from a FOREIGN_ID cell to a row of another table.
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignRef {
    pub id: String,
    pub name: String,
}

/// A non-empty cell. Empty cells are absent from [`Row::cells`], as HubSpot leaves them out of
/// `values` (§4.5).
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Bool(bool),
    /// DATE (midnight UTC) and DATETIME, as epoch milliseconds.
    Millis(i64),
    /// The option id of a SELECT cell.
    Select(String),
    /// The option ids of a MULTISELECT cell, in option order.
    Multi(Vec<String>),
    Location {
        lat: f64,
        long: f64,
    },
    Image {
        url: String,
        width: Option<i64>,
        height: Option<i64>,
    },
    Foreign(Vec<ForeignRef>),
    Json(Value),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: u64,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub path: Option<String>,
    pub name: Option<String>,
    pub child_table_id: u64,
    pub display_index: i64,
    /// Cells by column name (v3 keys values by column name, §13).
    pub cells: BTreeMap<String, Cell>,
}

/// One version (draft or published) of a table: its schema and its rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    pub updated_at: i64,
}

impl Version {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    pub fn row(&self, id: u64) -> Option<&Row> {
        self.rows.iter().find(|row| row.id == id)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub id: u64,
    pub name: String,
    pub label: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub archived: bool,
    pub use_for_pages: bool,
    pub allow_child_tables: bool,
    pub enable_child_table_pages: bool,
    pub allow_public_api_access: bool,
    pub dynamic_meta_tags: BTreeMap<String, i32>,
    /// `None` for a table that was never published (§9.2).
    pub published: Option<Version>,
    pub draft: Version,
}

impl Table {
    /// The version a request reads: published endpoints see only the published copy (§9.5).
    pub fn version(&self, draft: bool) -> Option<&Version> {
        if draft {
            Some(&self.draft)
        } else {
            self.published.as_ref()
        }
    }
}

/// Every table of the account.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Store {
    pub tables: Vec<Table>,
}

impl Store {
    /// Looks a table up by the `{tableIdOrName}` path segment: table names cannot start with a
    /// digit, so an all-digit segment is an id (§3). Archived tables are found only when asked
    /// for with `archived=true` (§9.9).
    pub fn find(&self, id_or_name: &str, include_archived: bool) -> Option<&Table> {
        let by_id = !id_or_name.is_empty() && id_or_name.bytes().all(|b| b.is_ascii_digit());
        self.tables.iter().find(|table| {
            let matches = if by_id {
                table.id.to_string() == id_or_name
            } else {
                table.name == id_or_name
            };
            matches && (include_archived || !table.archived)
        })
    }

    pub fn by_id(&self, id: u64) -> Option<&Table> {
        self.tables.iter().find(|table| table.id == id)
    }
}
