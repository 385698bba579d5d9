//! The HubDB v3 data model as the driver sees it (reference §3-§5, §8).

use serde::{Deserialize, Serialize};

/// Which copy of a table a request reads: HubDB keeps a draft and a published copy (§9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    Published,
    Draft,
}

/// Column types of HubDB v3 (`Column.type`, §5). Unknown future types keep their name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Text,
    RichText,
    Number,
    Currency,
    Boolean,
    Date,
    DateTime,
    Url,
    Image,
    Select,
    MultiSelect,
    Location,
    ForeignId,
    /// VIDEO, CTA, FILE, JSON, CODE, EMBED, ... : kept verbatim as JSON.
    Other(String),
}

impl ColumnType {
    pub fn from_api(name: &str) -> Self {
        match name {
            "TEXT" => Self::Text,
            "RICHTEXT" => Self::RichText,
            "NUMBER" => Self::Number,
            "CURRENCY" => Self::Currency,
            "BOOLEAN" => Self::Boolean,
            "DATE" => Self::Date,
            "DATETIME" => Self::DateTime,
            "URL" => Self::Url,
            "IMAGE" => Self::Image,
            "SELECT" => Self::Select,
            "MULTISELECT" => Self::MultiSelect,
            "LOCATION" => Self::Location,
            "FOREIGN_ID" => Self::ForeignId,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn api_name(&self) -> &str {
        match self {
            Self::Text => "TEXT",
            Self::RichText => "RICHTEXT",
            Self::Number => "NUMBER",
            Self::Currency => "CURRENCY",
            Self::Boolean => "BOOLEAN",
            Self::Date => "DATE",
            Self::DateTime => "DATETIME",
            Self::Url => "URL",
            Self::Image => "IMAGE",
            Self::Select => "SELECT",
            Self::MultiSelect => "MULTISELECT",
            Self::Location => "LOCATION",
            Self::ForeignId => "FOREIGN_ID",
            Self::Other(name) => name,
        }
    }
}

/// An option of a SELECT or MULTISELECT column (§4.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelectOption {
    pub id: String,
    pub name: String,
    pub order: Option<i32>,
}

/// A column of a table (§4.2).
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub id: String,
    pub name: String,
    pub label: String,
    pub column_type: ColumnType,
    pub description: Option<String>,
    pub options: Vec<SelectOption>,
    pub foreign_table_id: Option<i64>,
    pub foreign_column_id: Option<i32>,
}

/// A table, in one of its versions (§4.1). Date-times are epoch milliseconds, UTC.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub id: String,
    pub name: String,
    pub label: String,
    pub columns: Vec<Column>,
    pub row_count: Option<i64>,
    pub published: bool,
    pub published_at: Option<i64>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub use_for_pages: bool,
    pub archived: bool,
}

/// A row (§4.5). `values` holds the cells as HubDB sent them: empty cells are absent.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: i64,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub published_at: Option<i64>,
    pub path: Option<String>,
    pub name: Option<String>,
    pub child_table_id: Option<i64>,
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// Filter operators of the row query, sent as `<column>__<op>=<value>` (§8.4, §8.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterOp {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    IsNull,
    NotNull,
    Like,
    NotLike,
    Contains,
    IContains,
    StartsWith,
    In,
    NotIn,
}

impl FilterOp {
    /// The operator suffix after the two underscores.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::IsNull => "is_null",
            Self::NotNull => "not_null",
            Self::Like => "like",
            Self::NotLike => "not_like",
            Self::Contains => "contains",
            Self::IContains => "icontains",
            Self::StartsWith => "startswith",
            Self::In => "in",
            Self::NotIn => "not_in",
        }
    }
}

/// One filter of a row query. `value` is already in HubDB's wire form (epoch ms for dates,
/// `1`/`0` for booleans, a comma-separated list for `in`, empty for `is_null`/`not_null`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Filter {
    pub column: String,
    pub op: FilterOp,
    pub value: String,
}

/// One sort key: `sort=<column>` or `sort=-<column>` (§8.2).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SortKey {
    pub column: String,
    pub descending: bool,
}

/// A row query: everything HubDB can evaluate server-side (§8).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RowQuery {
    pub filters: Vec<Filter>,
    pub sort: Vec<SortKey>,
    /// `None`: all columns. `Some(vec![])`: none of the table's own columns.
    pub properties: Option<Vec<String>>,
    /// Rows per page (HubDB clamps at 1000).
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

/// One page of a row listing.
#[derive(Clone, Debug, PartialEq)]
pub struct RowPage {
    pub rows: Vec<Row>,
    /// Rows matching the filters, over all pages.
    pub total: Option<u64>,
    /// How to ask for the next page, if there is one.
    pub next: Option<PageToken>,
}

/// Where the next page starts: the opaque `after` cursor, or an offset (§4.8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageToken {
    After(String),
    Offset(u64),
}

/// The writable part of a row (reference §4.6): cells keyed by column name in HubDB's wire
/// forms, and the dynamic-page fields. `None` fields are not sent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowWrite {
    pub values: serde_json::Map<String, serde_json::Value>,
    pub path: Option<String>,
    pub name: Option<String>,
    pub child_table_id: Option<i64>,
}

impl RowWrite {
    /// The `HubDbTableRowV3Request` body; with `id` for batch updates (§4.6).
    pub fn to_json(&self, id: Option<i64>) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        if let Some(id) = id {
            body.insert("id".into(), id.to_string().into());
        }
        body.insert("values".into(), self.values.clone().into());
        if let Some(path) = &self.path {
            body.insert("path".into(), path.clone().into());
        }
        if let Some(name) = &self.name {
            body.insert("name".into(), name.clone().into());
        }
        if let Some(child) = self.child_table_id {
            body.insert("childTableId".into(), child.into());
        }
        body.into()
    }
}
