//! An in-memory HubDB for unit tests: evaluates row queries the way the sandbox does
//! (reference §8) and records every query and every page it serves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use hubdb::{
    Column, ColumnType, Error, ErrorKind, Filter, FilterOp, Owner, OwnerQuery, PageToken, Row,
    RowPage, RowQuery, ScanOptions, SelectOption, Table, Version,
};
use serde_json::{Value, json};

use crate::layout::tests::{column, table};
use crate::source::HubDbSource;

/// Rows per page when the query sets no `limit` (HubDB's default, §8.1).
const DEFAULT_PAGE: usize = 1000;

/// One call the engine made, as HubDB would have seen it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FakeCall {
    Rows(String, Version, RowQuery, ScanOptions),
    Count(String, Version, RowQuery),
    Row(String, Version, i64),
}

#[derive(Default)]
pub(crate) struct FakeHubDb {
    pub(crate) tables: HashMap<Version, Vec<Table>>,
    pub(crate) rows: HashMap<(String, Version), Vec<Row>>,
    pub(crate) queries: Mutex<Vec<(String, Version, RowQuery)>>,
    pub(crate) calls: Mutex<Vec<FakeCall>>,
    /// Pages the engine actually pulled from the streams.
    pub(crate) pages_served: Arc<AtomicUsize>,
    pub(crate) list_calls: Mutex<usize>,
    /// Shares metadata with other sources of the same key, as clients of one credential do.
    pub(crate) metadata_key: Option<String>,
    /// Leaves `total` out of every page, as a server that does not send it would.
    pub(crate) without_total: bool,
    /// The account's owners, active and archived, listed as HubSpot's owners endpoint does.
    pub(crate) owners: Vec<Owner>,
    /// Every owners listing asked for.
    pub(crate) owner_calls: Mutex<Vec<OwnerQuery>>,
    /// The answer to every owners listing instead of the owners (a 403, say).
    pub(crate) owners_error: Option<Error>,
}

impl FakeHubDb {
    pub(crate) fn add(&mut self, table: Table, version: Version, rows: Vec<Row>) {
        self.rows.insert((table.name.clone(), version), rows);
        self.tables.entry(version).or_default().push(table);
    }

    pub(crate) fn queries(&self) -> Vec<(String, Version, RowQuery)> {
        self.queries.lock().unwrap().clone()
    }

    pub(crate) fn calls(&self) -> Vec<FakeCall> {
        self.calls.lock().unwrap().clone()
    }

    fn columns(&self, table: &str, version: Version) -> Vec<Column> {
        self.tables
            .get(&version)
            .and_then(|ts| ts.iter().find(|t| t.name == table))
            .map(|t| t.columns.clone())
            .unwrap_or_default()
    }
}

impl HubDbSource for FakeHubDb {
    fn list_tables(&self, version: Version) -> BoxFuture<'_, Result<Vec<Table>, Error>> {
        *self.list_calls.lock().unwrap() += 1;
        let tables = self.tables.get(&version).cloned().unwrap_or_default();
        Box::pin(async move { Ok(tables) })
    }

    fn stream_rows(
        &self,
        table: &str,
        version: Version,
        query: RowQuery,
        options: ScanOptions,
    ) -> BoxStream<'static, Result<RowPage, Error>> {
        self.queries
            .lock()
            .unwrap()
            .push((table.to_string(), version, query.clone()));
        self.calls.lock().unwrap().push(FakeCall::Rows(
            table.to_string(),
            version,
            query.clone(),
            options,
        ));
        let Some(rows) = self.rows.get(&(table.to_string(), version)) else {
            let error = Error::new(ErrorKind::NotFound, format!("table {table} not found"));
            return Box::pin(futures::stream::once(async move { Err(error) }));
        };
        let selected = evaluate(rows, &self.columns(table, version), &query);
        let page_size = query.limit.map_or(DEFAULT_PAGE, |l| l as usize).max(1);
        let offset = query.offset.unwrap_or(0) as usize;
        let mut pages: Vec<RowPage> = paginate(selected, offset, page_size);
        if self.without_total {
            pages.iter_mut().for_each(|p| p.total = None);
        }
        let served = Arc::clone(&self.pages_served);
        Box::pin(futures::stream::iter(pages).map(move |page| {
            served.fetch_add(1, Ordering::SeqCst);
            Ok(page)
        }))
    }

    fn count_rows(
        &self,
        table: String,
        version: Version,
        query: RowQuery,
    ) -> BoxFuture<'_, Result<Option<u64>, Error>> {
        let call = FakeCall::Count(table.clone(), version, query.clone());
        self.calls.lock().unwrap().push(call);
        let rows = self.rows.get(&(table.clone(), version));
        let total = rows.map(|rows| evaluate(rows, &self.columns(&table, version), &query).len());
        let total = total.map(|n| n as u64).filter(|_| !self.without_total);
        Box::pin(async move { Ok(total) })
    }

    fn get_row(
        &self,
        table: String,
        version: Version,
        row_id: i64,
    ) -> BoxFuture<'_, Result<Option<Row>, Error>> {
        let call = FakeCall::Row(table.clone(), version, row_id);
        self.calls.lock().unwrap().push(call);
        let row = self
            .rows
            .get(&(table, version))
            .and_then(|rows| rows.iter().find(|r| r.id == row_id).cloned());
        Box::pin(async move { Ok(row) })
    }

    fn metadata_key(&self) -> Option<String> {
        self.metadata_key.clone()
    }

    /// As the owners endpoint: active or archived owners only, `email` ignoring case.
    fn list_owners(&self, query: OwnerQuery) -> BoxFuture<'_, Result<Vec<Owner>, Error>> {
        self.owner_calls.lock().unwrap().push(query.clone());
        let email = query.email.as_deref().map(str::to_lowercase);
        let owners = self
            .owners
            .iter()
            .filter(|o| o.archived == query.archived)
            .filter(|o| email.is_none() || o.email.as_deref().map(str::to_lowercase) == email)
            .cloned()
            .collect();
        let answer = match &self.owners_error {
            Some(error) => Err(error.clone()),
            None => Ok(owners),
        };
        Box::pin(async move { answer })
    }
}

/// The pages from `offset` on; `total` counts every matching row, as HubDB's does.
fn paginate(rows: Vec<Row>, offset: usize, page_size: usize) -> Vec<RowPage> {
    let total = rows.len() as u64;
    let rows = rows.get(offset..).unwrap_or_default();
    let chunks: Vec<Vec<Row>> = rows.chunks(page_size).map(<[Row]>::to_vec).collect();
    let count = chunks.len().max(1);
    let mut pages: Vec<RowPage> = chunks
        .into_iter()
        .enumerate()
        .map(|(i, rows)| RowPage {
            rows,
            total: Some(total),
            next: (i + 1 < count).then(|| PageToken::After(format!("p{}", i + 1))),
        })
        .collect();
    if pages.is_empty() {
        pages.push(RowPage {
            rows: Vec::new(),
            total: Some(0),
            next: None,
        });
    }
    pages
}

fn evaluate(rows: &[Row], columns: &[Column], query: &RowQuery) -> Vec<Row> {
    let mut selected: Vec<Row> = rows
        .iter()
        .filter(|row| query.filters.iter().all(|f| matches(row, columns, f)))
        .cloned()
        .collect();
    for key in query.sort.iter().rev() {
        selected.sort_by(|a, b| {
            let (x, y) = (sort_value(a, &key.column), sort_value(b, &key.column));
            // Empty cells last ascending, first descending (reference §8.2, sandbox rule).
            let order = match (x, y) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
                (Some(x), Some(y)) => x.total_cmp(&y),
            };
            if key.descending {
                order.reverse()
            } else {
                order
            }
        });
    }
    if let Some(properties) = &query.properties {
        for row in &mut selected {
            row.values.retain(|name, _| properties.contains(name));
        }
    }
    selected
}

fn sort_value(row: &Row, column: &str) -> Option<f64> {
    match column {
        "hs_id" => Some(row.id as f64),
        "hs_created_at" => row.created_at.map(|v| v as f64),
        name => row.values.get(name).and_then(Value::as_f64),
    }
}

/// The cell as text (SELECT by option name, BOOLEAN as 1/0 with empty = 0).
fn cell_text(row: &Row, columns: &[Column], name: &str) -> Option<String> {
    match name {
        "hs_id" => return Some(row.id.to_string()),
        "hs_created_at" => return row.created_at.map(|v| v.to_string()),
        "hs_path" => return row.path.clone(),
        "hs_name" => return row.name.clone(),
        _ => {}
    }
    let column_type = columns
        .iter()
        .find(|c| c.name == name)
        .map(|c| &c.column_type);
    let value = row.values.get(name);
    match (column_type, value) {
        (Some(ColumnType::Boolean), None) => Some("0".into()),
        (_, None) => None,
        (_, Some(Value::String(s))) => Some(s.clone()),
        (_, Some(Value::Object(o))) => o.get("name").and_then(Value::as_str).map(str::to_string),
        (_, Some(other)) => Some(other.to_string()),
    }
}

fn matches(row: &Row, columns: &[Column], filter: &Filter) -> bool {
    let cell = cell_text(row, columns, &filter.column);
    let number = |text: &str| text.parse::<f64>().ok();
    let compare = |pred: fn(f64, f64) -> bool| match (
        cell.as_deref().and_then(number),
        number(&filter.value),
    ) {
        (Some(x), Some(y)) => pred(x, y),
        _ => false,
    };
    match filter.op {
        FilterOp::Eq => cell.as_deref() == Some(filter.value.as_str()) || compare(|x, y| x == y),
        FilterOp::Ne => cell.as_deref() != Some(filter.value.as_str()) && !compare(|x, y| x == y),
        FilterOp::Lt => compare(|x, y| x < y),
        FilterOp::Lte => compare(|x, y| x <= y),
        FilterOp::Gt => compare(|x, y| x > y),
        FilterOp::Gte => compare(|x, y| x >= y),
        FilterOp::IsNull => cell.is_none(),
        FilterOp::NotNull => cell.is_some(),
        FilterOp::IContains => {
            cell.is_some_and(|c| c.to_lowercase().contains(&filter.value.to_lowercase()))
        }
        FilterOp::In => filter.value.split(',').any(|v| {
            cell.as_deref() == Some(v)
                || cell
                    .as_deref()
                    .and_then(number)
                    .zip(number(v))
                    .is_some_and(|(x, y)| x == y)
        }),
        _ => true,
    }
}

pub(crate) fn row(id: i64, created_at: i64, values: Value) -> Row {
    Row {
        id,
        created_at: Some(created_at),
        updated_at: Some(created_at + 1000),
        published_at: None,
        path: Some(format!("row-{id}")),
        name: Some(format!("Row {id}")),
        child_table_id: None,
        values: values.as_object().cloned().unwrap_or_default(),
    }
}

fn option(id: &str, name: &str, order: i32) -> SelectOption {
    SelectOption {
        id: id.into(),
        name: name.into(),
        order: Some(order),
    }
}

/// `products` (published and draft), `draft_only` (draft) and `big_table` (2,500 rows).
pub(crate) fn sample() -> FakeHubDb {
    let mut category = column("category", "SELECT");
    category.options = vec![
        option("1", "Tools", 0),
        option("2", "Toys", 1),
        option("3", "7", 2),
    ];
    let mut tags = column("tags", "MULTISELECT");
    tags.options = vec![
        option("1", "new", 0),
        option("2", "sale", 1),
        option("3", "eco", 2),
    ];
    let products = table(
        "products",
        vec![
            column("name", "TEXT"),
            column("price", "NUMBER"),
            category,
            tags,
            column("launched", "DATE"),
            column("updated_at", "DATETIME"),
            column("in_stock", "BOOLEAN"),
            column("cost", "CURRENCY"),
        ],
    );
    let rows = vec![
        row(
            101,
            1_600_000_000_000,
            json!({"name": "Hammer Pro", "price": 5, "category": {"id": "1", "name": "Tools", "type": "option"}, "tags": [{"id": "3", "name": "eco"}, {"id": "1", "name": "new"}], "launched": 1_483_315_200_000_i64, "updated_at": 1_700_000_000_123_i64, "in_stock": 1, "cost": 12.5}),
        ),
        row(
            102,
            1_600_000_001_000,
            json!({"name": "saw", "price": 12.75, "category": {"id": "1", "name": "Tools", "type": "option"}, "in_stock": 0, "cost": 0.12345}),
        ),
        row(
            103,
            1_600_000_002_000,
            json!({"name": "Teddy 🧸", "price": 30, "category": {"id": "2", "name": "Toys", "type": "option"}, "launched": 1_500_000_000_000_i64}),
        ),
        row(
            104,
            1_600_000_003_000,
            json!({"name": "pro drill, cordless", "category": {"id": "3", "name": "7", "type": "option"}, "in_stock": 1}),
        ),
        row(
            105,
            1_600_000_004_000,
            json!({"price": -2.5, "name": ["Wrapped"]}),
        ),
    ];
    let mut fake = FakeHubDb::default();
    fake.add(products.clone(), Version::Published, rows.clone());
    fake.add(products, Version::Draft, rows);
    let mut draft_only = table("draft_only", vec![column("name", "TEXT")]);
    draft_only.published = false;
    fake.add(
        draft_only,
        Version::Draft,
        vec![row(201, 1_600_000_000_000, json!({"name": "draft row"}))],
    );
    let big = table(
        "big_table",
        vec![column("n", "NUMBER"), column("label", "TEXT")],
    );
    let big_rows = (1..=2500)
        .map(|n| {
            row(
                1000 + n,
                1_600_000_000_000 + n,
                json!({"n": n, "label": format!("row {n}")}),
            )
        })
        .collect();
    fake.add(big, Version::Published, big_rows);
    fake
}
