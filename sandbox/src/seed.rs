//! Seed files: the tables a sandbox starts with.
//!
//! A seed is JSON: `{"tables": [...], "owners": [...]}` (`owners` optional). Each table gives its `id`, `name`, `label`, times
//! (`createdAt`, `updatedAt`, `publishedAt`: RFC 3339; no `publishedAt` means the table was
//! never published), flags (`archived`, `useForPages`, ...), `columns` and `rows` of the
//! published version (or of the draft, for a never-published table), and optionally a
//! `draft` object with the draft's own `columns` and `rows` when they differ.
//! Rows carry `id`, optional `path`, `name`, `childTableId`, `createdAt`, `updatedAt` and
//! `values` keyed by column name, in the forms HubDB accepts on write plus readable ones
//! (ISO dates, option names). Large tables are described by `generate` instead of rows:
//! `{"count": N, "firstRowId": ID, "values": {column: generator}}`, see [`Generator`].
//! Owners are written as `GET /crm/v3/owners` returns them (`PublicOwner` of
//! `crm-owners-v3.json`), with a numeric `id`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::model::{Column, ColumnType, Row, SelectOption, Store, Table, Version};
use crate::owners::{Owner, OwnerKind, Team};
use crate::values::{parse_cell, parse_time};

/// The demo account: see the crate documentation for its tables.
const DEMO_SEED: &str = include_str!("../seed/demo.json");

/// Most rows a HubDB table holds (§11.1).
pub const MAX_ROWS_PER_TABLE: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read seed file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("seed is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("seed table {table}: {message}")]
    Invalid { table: String, message: String },
    #[error("seed owner {id}: {message}")]
    InvalidOwner { id: u32, message: String },
}

/// The tables a sandbox is loaded with.
#[derive(Clone, Debug, PartialEq)]
pub struct Seed {
    pub(crate) store: Store,
    pub(crate) owners: Vec<Owner>,
}

impl Seed {
    /// The demo account embedded in the crate (`sandbox/seed/demo.json`).
    pub fn demo() -> Seed {
        Seed::from_json(DEMO_SEED).expect("the embedded demo seed is valid")
    }

    pub fn from_file(path: impl AsRef<Path>) -> Result<Seed, SeedError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Seed::from_json(&text)
    }

    pub fn from_json(text: &str) -> Result<Seed, SeedError> {
        let file: SeedFile = serde_json::from_str(text)?;
        let tables = file
            .tables
            .into_iter()
            .map(build_table)
            .collect::<Result<_, _>>()?;
        let owners = file
            .owners
            .into_iter()
            .map(build_owner)
            .collect::<Result<_, _>>()?;
        Ok(Seed {
            store: Store { tables },
            owners,
        })
    }

    /// Names of the seeded tables, archived ones included.
    pub fn table_names(&self) -> Vec<String> {
        self.store.tables.iter().map(|t| t.name.clone()).collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    tables: Vec<SeedTable>,
    #[serde(default)]
    owners: Vec<SeedOwner>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedOwner {
    id: u32,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    user_id: Option<u32>,
    user_id_including_inactive: Option<u32>,
    created_at: String,
    updated_at: Option<String>,
    #[serde(default)]
    archived: bool,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    teams: Vec<SeedTeam>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedTeam {
    id: String,
    name: String,
    primary: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedTable {
    id: u64,
    name: String,
    label: String,
    created_at: String,
    updated_at: Option<String>,
    published_at: Option<String>,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    use_for_pages: bool,
    #[serde(default)]
    allow_child_tables: bool,
    #[serde(default)]
    enable_child_table_pages: bool,
    #[serde(default)]
    allow_public_api_access: bool,
    #[serde(default)]
    dynamic_meta_tags: BTreeMap<String, i32>,
    columns: Vec<SeedColumn>,
    #[serde(default)]
    rows: Vec<SeedRow>,
    generate: Option<SeedGenerate>,
    draft: Option<SeedDraft>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedColumn {
    id: u32,
    name: String,
    label: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    description: Option<String>,
    /// Option names; option ids are 1, 2, ... in this order.
    #[serde(default)]
    options: Vec<String>,
    foreign_table_id: Option<u64>,
    foreign_column_id: Option<u32>,
    width: Option<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedRow {
    id: u64,
    path: Option<String>,
    name: Option<String>,
    child_table_id: Option<u64>,
    created_at: Option<String>,
    updated_at: Option<String>,
    #[serde(default)]
    values: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedDraft {
    updated_at: Option<String>,
    columns: Option<Vec<SeedColumn>>,
    rows: Vec<SeedRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedGenerate {
    count: usize,
    first_row_id: u64,
    values: BTreeMap<String, Generator>,
}

/// How a generated column gets the value of row `n` (1-based).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
enum Generator {
    /// Text with `{n}` replaced by the row number, `{n:06}` zero-padded to six digits.
    Template(String),
    /// The list's item `(n - 1) % len`; a `null` item leaves the cell empty.
    Cycle(Vec<Value>),
    /// `start + step * ((n - 1) % modulo)`, rounded to four decimals.
    Linear {
        start: f64,
        step: f64,
        modulo: Option<u64>,
    },
    /// One word from each list, joined by spaces, counting through the lists like digits.
    Words(Vec<Vec<String>>),
}

fn build_table(seed: SeedTable) -> Result<Table, SeedError> {
    let invalid = |message: String| SeedError::Invalid {
        table: seed.name.clone(),
        message,
    };
    let created_at = time(&seed.created_at).map_err(invalid)?;
    let updated_at = optional_time(&seed.updated_at, created_at).map_err(invalid)?;
    let published_at = seed
        .published_at
        .as_deref()
        .map(time)
        .transpose()
        .map_err(invalid)?;
    let columns = build_columns(&seed.columns).map_err(invalid)?;
    let mut rows = build_rows(&columns, &seed.rows, created_at, published_at).map_err(invalid)?;
    if let Some(generate) = &seed.generate {
        rows.extend(generate_rows(&columns, generate, created_at, published_at).map_err(invalid)?);
    }
    check_row_count(&rows).map_err(invalid)?;
    let main = Version {
        columns,
        rows,
        updated_at,
    };
    let draft = match &seed.draft {
        Some(draft) => build_draft(draft, &main, created_at, published_at).map_err(invalid)?,
        None => main.clone(),
    };
    Ok(Table {
        id: seed.id,
        name: seed.name,
        label: seed.label,
        created_at,
        published: published_at.map(|_| main),
        published_at,
        archived: seed.archived,
        use_for_pages: seed.use_for_pages,
        allow_child_tables: seed.allow_child_tables,
        enable_child_table_pages: seed.enable_child_table_pages,
        allow_public_api_access: seed.allow_public_api_access,
        dynamic_meta_tags: seed.dynamic_meta_tags,
        draft,
    })
}

/// The draft version: its own columns and rows. A row whose id is also in the published
/// version keeps that row's `publishedAt`; a new row has none (§9.8).
fn build_draft(
    seed: &SeedDraft,
    published: &Version,
    created_at: i64,
    published_at: Option<i64>,
) -> Result<Version, String> {
    let columns = match &seed.columns {
        Some(columns) => build_columns(columns)?,
        None => published.columns.clone(),
    };
    let mut rows = build_rows(&columns, &seed.rows, created_at, published_at)?;
    for row in &mut rows {
        row.published_at = published.row(row.id).and(published_at);
    }
    check_row_count(&rows)?;
    let updated_at = optional_time(&seed.updated_at, published.updated_at)?;
    Ok(Version {
        columns,
        rows,
        updated_at,
    })
}

fn build_owner(seed: SeedOwner) -> Result<Owner, SeedError> {
    let invalid = |message: String| SeedError::InvalidOwner {
        id: seed.id,
        message,
    };
    let kind = OwnerKind::parse(&seed.kind)
        .ok_or_else(|| invalid(format!("type must be PERSON or QUEUE, got {}", seed.kind)))?;
    let created_at = time(&seed.created_at).map_err(invalid)?;
    let updated_at = optional_time(&seed.updated_at, created_at).map_err(invalid)?;
    let teams = seed.teams.into_iter().map(|team| Team {
        id: team.id,
        name: team.name,
        primary: team.primary,
    });
    Ok(Owner {
        id: seed.id,
        email: seed.email,
        first_name: seed.first_name,
        last_name: seed.last_name,
        user_id: seed.user_id,
        user_id_including_inactive: seed.user_id_including_inactive,
        created_at,
        updated_at,
        archived: seed.archived,
        kind,
        teams: teams.collect(),
    })
}

fn check_row_count(rows: &[Row]) -> Result<(), String> {
    if rows.len() > MAX_ROWS_PER_TABLE {
        return Err(format!(
            "{} rows, more than {MAX_ROWS_PER_TABLE}",
            rows.len()
        ));
    }
    Ok(())
}

fn time(text: &str) -> Result<i64, String> {
    parse_time(text).ok_or_else(|| format!("not an RFC 3339 date-time: {text}"))
}

fn optional_time(text: &Option<String>, default: i64) -> Result<i64, String> {
    text.as_deref().map_or(Ok(default), time)
}

fn build_columns(seeds: &[SeedColumn]) -> Result<Vec<Column>, String> {
    seeds.iter().map(build_column).collect()
}

fn build_column(seed: &SeedColumn) -> Result<Column, String> {
    let kind = ColumnType::parse(&seed.kind)
        .ok_or_else(|| format!("column {}: unknown type {}", seed.name, seed.kind))?;
    let options = seed
        .options
        .iter()
        .enumerate()
        .map(|(index, name)| SelectOption {
            id: (index + 1).to_string(),
            name: name.clone(),
            order: index as i32,
        });
    Ok(Column {
        id: seed.id,
        name: seed.name.clone(),
        label: seed.label.clone().unwrap_or_else(|| seed.name.clone()),
        kind,
        description: seed.description.clone(),
        options: options.collect(),
        foreign_table_id: seed.foreign_table_id,
        foreign_column_id: seed.foreign_column_id,
        width: seed.width,
    })
}

fn build_rows(
    columns: &[Column],
    seeds: &[SeedRow],
    created_at: i64,
    published_at: Option<i64>,
) -> Result<Vec<Row>, String> {
    let rows = seeds.iter().enumerate().map(|(index, seed)| {
        let row_created = optional_time(&seed.created_at, created_at + index as i64 * 60_000)?;
        let mut row = Row {
            id: seed.id,
            created_at: row_created,
            updated_at: optional_time(&seed.updated_at, row_created)?,
            published_at,
            path: seed.path.clone(),
            name: seed.name.clone(),
            child_table_id: seed.child_table_id.unwrap_or(0),
            display_index: index as i64,
            cells: BTreeMap::new(),
        };
        fill_cells(&mut row, columns, &seed.values)?;
        Ok(row)
    });
    rows.collect()
}

fn fill_cells(
    row: &mut Row,
    columns: &[Column],
    values: &Map<String, Value>,
) -> Result<(), String> {
    for (name, value) in values {
        let column = columns
            .iter()
            .find(|column| &column.name == name)
            .ok_or_else(|| format!("row {}: no column {name}", row.id))?;
        let cell = parse_cell(column, value).map_err(|e| format!("row {}, {name}: {e}", row.id))?;
        if let Some(cell) = cell {
            row.cells.insert(name.clone(), cell);
        }
    }
    Ok(())
}

fn generate_rows(
    columns: &[Column],
    generate: &SeedGenerate,
    created_at: i64,
    published_at: Option<i64>,
) -> Result<Vec<Row>, String> {
    (1..=generate.count)
        .map(|n| {
            let values = generate
                .values
                .iter()
                .map(|(name, generator)| (name.clone(), generator.value(n)))
                .collect();
            let seed = SeedRow {
                id: generate.first_row_id + n as u64 - 1,
                path: None,
                name: None,
                child_table_id: None,
                created_at: None,
                updated_at: None,
                values,
            };
            let mut rows = build_rows(
                columns,
                std::slice::from_ref(&seed),
                created_at,
                published_at,
            )?;
            let mut row = rows.pop().ok_or("no row generated")?;
            row.created_at = created_at + n as i64 * 1_000;
            row.updated_at = row.created_at;
            row.display_index = n as i64 - 1;
            Ok(row)
        })
        .collect()
}

impl Generator {
    fn value(&self, n: usize) -> Value {
        match self {
            Generator::Template(template) => Value::String(fill_template(template, n)),
            Generator::Cycle(items) if items.is_empty() => Value::Null,
            Generator::Cycle(items) => items[(n - 1) % items.len()].clone(),
            Generator::Linear {
                start,
                step,
                modulo,
            } => {
                let k = (n as u64 - 1) % modulo.unwrap_or(u64::MAX);
                let raw = start + step * k as f64;
                crate::values::number_json((raw * 10_000.0).round() / 10_000.0)
            }
            Generator::Words(lists) => Value::String(pick_words(lists, n - 1)),
        }
    }
}

fn fill_template(template: &str, n: usize) -> String {
    let mut out = template.replace("{n}", &n.to_string());
    while let Some(start) = out.find("{n:0") {
        let Some(len) = out[start..].find('}') else {
            break;
        };
        let width: usize = out[start + 4..start + len].parse().unwrap_or(0);
        out.replace_range(start..=start + len, &format!("{n:0width$}"));
    }
    out
}

fn pick_words(lists: &[Vec<String>], mut index: usize) -> String {
    let mut words = Vec::with_capacity(lists.len());
    for list in lists.iter().filter(|list| !list.is_empty()) {
        words.push(list[index % list.len()].as_str());
        index /= list.len();
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_seed_loads() {
        let seed = Seed::demo();
        assert!(seed.table_names().contains(&"price_list".to_string()));
    }

    #[test]
    fn templates_fill_the_row_number_with_padding() {
        assert_eq!(fill_template("SKU-{n:05}/{n}", 42), "SKU-00042/42");
    }

    #[test]
    fn words_count_through_the_lists() {
        let lists = vec![
            vec!["Oak".to_string(), "Pine".to_string()],
            vec!["Desk".to_string()],
        ];
        assert_eq!(pick_words(&lists, 0), "Oak Desk");
        assert_eq!(pick_words(&lists, 3), "Pine Desk");
    }

    #[test]
    fn a_value_for_an_unknown_column_is_an_error() {
        let json = r#"{"tables": [{"id": 1, "name": "t", "label": "T",
            "createdAt": "2024-01-01T00:00:00Z", "columns": [],
            "rows": [{"id": 7, "values": {"nope": 1}}]}]}"#;
        let error = Seed::from_json(json).unwrap_err().to_string();
        assert!(error.contains("no column nope"), "{error}");
    }
}
