//! The `sys_*` tables: SQL views of the driver's own metadata, named and shaped as in the
//! reference product (`sys_tables`, `sys_tablecolumns`, `sys_procedures`,
//! `sys_procedureparameters`, `sys_sqlinfo`).
//!
//! They live in schema `sys` of the `HubDB` catalog and are found unqualified too (`names`
//! resolves `sys_tables` to `HubDB.sys.sys_tables` before any HubDB table of that name).
//! Each scan builds its rows from the metadata cache, the procedure registry and the
//! function list, never from HubDB rows, so filters, joins and aggregates over them work as
//! over any table. They list the owners view `CRM.Owners` beside the HubDB tables.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, BooleanArray, Int32Array, StringArray};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;
use hubdb::Version;

use crate::catalog::CATALOG;
use crate::functions::{
    CONVERT_TARGETS, FunctionGroup, SCALAR_FUNCTIONS, TIMESTAMPADD_INTERVALS,
    TIMESTAMPDIFF_INTERVALS,
};
use crate::layout::{Source, SystemColumn, TableLayout, schema_name};
use crate::metadata::Metadata;
use crate::owners;
use crate::procedures::{ParameterDirection, procedures};
use crate::types::{SqlType, hubdb_field};

/// The schema holding the system tables.
pub(crate) const SYSTEM_SCHEMA: &str = "sys";

/// Length reported for names in system tables (HubDB's name limit, SQL_MAX_TABLE_NAME_LEN).
const NAME_LENGTH: u32 = 700;
/// Length reported for descriptions and capability lists.
const TEXT_LENGTH: u32 = 4000;

/// One system table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SystemTable {
    Tables,
    TableColumns,
    Procedures,
    ProcedureParameters,
    SqlInfo,
}

/// A column of a system table: text (with its length), integer or boolean.
#[derive(Clone, Copy)]
enum Kind {
    Text(u32),
    Int,
    Bool,
}

const NAME: Kind = Kind::Text(NAME_LENGTH);
const TEXT: Kind = Kind::Text(TEXT_LENGTH);

/// One cell while a system table's rows are built.
enum Cell {
    Text(Option<String>),
    Int(Option<i32>),
    Bool(bool),
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(Some(value.into()))
}

fn int(value: impl TryInto<i32>) -> Cell {
    Cell::Int(value.try_into().ok())
}

impl SystemTable {
    pub(crate) const ALL: [SystemTable; 5] = [
        Self::Tables,
        Self::TableColumns,
        Self::Procedures,
        Self::ProcedureParameters,
        Self::SqlInfo,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Tables => "sys_tables",
            Self::TableColumns => "sys_tablecolumns",
            Self::Procedures => "sys_procedures",
            Self::ProcedureParameters => "sys_procedureparameters",
            Self::SqlInfo => "sys_sqlinfo",
        }
    }

    /// The system table called `name`, ignoring case.
    pub(crate) fn named(name: &str) -> Option<SystemTable> {
        Self::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }

    fn description(self) -> &'static str {
        match self {
            Self::Tables => "The tables and views of the catalog",
            Self::TableColumns => "The columns of every table and view",
            Self::Procedures => "The stored procedures the driver provides",
            Self::ProcedureParameters => "The parameters of those stored procedures",
            Self::SqlInfo => "What the driver evaluates and what it hands to HubDB",
        }
    }

    fn columns(self) -> &'static [(&'static str, Kind)] {
        match self {
            Self::Tables => &[
                ("CatalogName", NAME),
                ("SchemaName", NAME),
                ("TableName", NAME),
                ("TableType", NAME),
                ("Description", TEXT),
                ("IsUpdateable", Kind::Bool),
            ],
            Self::TableColumns => &[
                ("CatalogName", NAME),
                ("SchemaName", NAME),
                ("TableName", NAME),
                ("ColumnName", NAME),
                ("DataTypeName", NAME),
                ("DataType", Kind::Int),
                ("Length", Kind::Int),
                ("DisplaySize", Kind::Int),
                ("NumericPrecision", Kind::Int),
                ("NumericScale", Kind::Int),
                ("IsNullable", Kind::Bool),
                ("Description", TEXT),
                ("Ordinal", Kind::Int),
                ("IsAutoIncrement", NAME),
                ("IsGeneratedColumn", NAME),
                ("IsHidden", Kind::Bool),
                ("IsArray", Kind::Bool),
                ("IsReadOnly", Kind::Bool),
                ("IsKey", Kind::Bool),
                ("ColumnType", NAME),
            ],
            Self::Procedures => &[
                ("CatalogName", NAME),
                ("SchemaName", NAME),
                ("ProcedureName", NAME),
                ("Description", TEXT),
                ("ProcedureType", NAME),
            ],
            Self::ProcedureParameters => &[
                ("CatalogName", NAME),
                ("SchemaName", NAME),
                ("ProcedureName", NAME),
                ("ColumnName", NAME),
                ("Direction", Kind::Int),
                ("DataTypeName", NAME),
                ("DataType", Kind::Int),
                ("Length", Kind::Int),
                ("NumericPrecision", Kind::Int),
                ("NumericScale", Kind::Int),
                ("IsNullable", Kind::Bool),
                ("IsRequired", Kind::Bool),
                ("IsArray", Kind::Bool),
                ("Description", TEXT),
                ("Ordinal", Kind::Int),
            ],
            Self::SqlInfo => &[("NAME", NAME), ("VALUE", TEXT)],
        }
    }

    /// The column names, as `names` quotes them.
    pub(crate) fn column_names(self) -> impl Iterator<Item = &'static str> {
        self.columns().iter().map(|(name, _)| *name)
    }

    fn schema(self) -> SchemaRef {
        let fields: Vec<_> = self
            .columns()
            .iter()
            .map(|&(name, kind)| {
                let (sql_type, nullable) = match kind {
                    Kind::Text(length) => (SqlType::WVarChar { length }, true),
                    Kind::Int => (SqlType::Integer, true),
                    Kind::Bool => (SqlType::Bit, false),
                };
                hubdb_field(name, sql_type, nullable, self.name(), SYSTEM_SCHEMA)
            })
            .collect();
        Arc::new(Schema::new(fields))
    }

    async fn rows(self, metadata: &Metadata) -> Result<Vec<Vec<Cell>>, crate::SqlError> {
        Ok(match self {
            Self::Tables => table_rows(metadata).await?,
            Self::TableColumns => column_rows(metadata).await?,
            Self::Procedures => procedure_rows(),
            Self::ProcedureParameters => parameter_rows(),
            Self::SqlInfo => sql_info_rows(),
        })
    }

    fn batch(self, rows: Vec<Vec<Cell>>) -> Result<RecordBatch> {
        let schema = self.schema();
        let mut columns: Vec<Vec<Cell>> = self.columns().iter().map(|_| Vec::new()).collect();
        for row in rows {
            for (column, cell) in columns.iter_mut().zip(row) {
                column.push(cell);
            }
        }
        let arrays = self
            .columns()
            .iter()
            .zip(columns)
            .map(|(&(_, kind), cells)| array_of(kind, cells))
            .collect();
        Ok(RecordBatch::try_new(schema, arrays)?)
    }
}

fn array_of(kind: Kind, cells: Vec<Cell>) -> ArrayRef {
    match kind {
        Kind::Int => Arc::new(Int32Array::from_iter(cells.into_iter().map(|c| match c {
            Cell::Int(n) => n,
            _ => None,
        }))),
        Kind::Bool => Arc::new(BooleanArray::from_iter(cells.into_iter().map(
            |c| match c {
                Cell::Bool(b) => Some(b),
                _ => None,
            },
        ))),
        Kind::Text(_) => Arc::new(StringArray::from_iter(cells.into_iter().map(|c| match c {
            Cell::Text(t) => t,
            _ => None,
        }))),
    }
}

/// Published tables are views, every table is in `Draft`, the owners view, and the system
/// tables themselves.
async fn table_rows(metadata: &Metadata) -> Result<Vec<Vec<Cell>>, crate::SqlError> {
    let mut rows = Vec::new();
    for (version, kind) in [(Version::Published, "VIEW"), (Version::Draft, "TABLE")] {
        for table in metadata.tables(version).await?.iter() {
            let label = Some(table.label.clone()).filter(|l| !l.is_empty() && *l != table.name);
            rows.push(vec![
                text(CATALOG),
                text(schema_name(version)),
                text(&table.name),
                text(kind),
                Cell::Text(label),
                Cell::Bool(false),
            ]);
        }
    }
    let view = owners::catalog_table();
    rows.push(vec![
        text(view.catalog),
        text(view.schema),
        text(view.name),
        text("VIEW"),
        Cell::Text(view.remarks),
        Cell::Bool(false),
    ]);
    for table in SystemTable::ALL {
        rows.push(vec![
            text(CATALOG),
            text(SYSTEM_SCHEMA),
            text(table.name()),
            text("SYSTEM TABLE"),
            text(table.description()),
            Cell::Bool(false),
        ]);
    }
    Ok(rows)
}

async fn column_rows(metadata: &Metadata) -> Result<Vec<Vec<Cell>>, crate::SqlError> {
    let mut rows = Vec::new();
    for version in [Version::Published, Version::Draft] {
        for table in metadata.tables(version).await?.iter() {
            let layout = TableLayout::new(table, version);
            for (index, column) in layout.columns.iter().enumerate() {
                let system = match column.source {
                    Source::System(system) => Some(system),
                    _ => None,
                };
                let shape = TypeShape::of(&column.sql_type);
                rows.push(vec![
                    text(CATALOG),
                    text(schema_name(version)),
                    text(&layout.table),
                    text(&column.name),
                    text(shape.name),
                    int(shape.code),
                    int(shape.length),
                    int(shape.display_size),
                    int(shape.precision),
                    int(shape.scale),
                    Cell::Bool(column.nullable),
                    Cell::Text(column.remarks.clone()),
                    int(index + 1),
                    text("false"),
                    text("false"),
                    Cell::Bool(false),
                    Cell::Bool(false),
                    // Published views are read-only; in a draft table only the system
                    // columns are (HubDB sets them).
                    Cell::Bool(version == Version::Published || system.is_some()),
                    Cell::Bool(system == Some(SystemColumn::Id)),
                    text(if system.is_some() { "SYSTEM" } else { "" }),
                ]);
            }
        }
    }
    rows.extend(owners_column_rows());
    Ok(rows)
}

/// The owners view's columns: read-only, `Id` its key.
fn owners_column_rows() -> Vec<Vec<Cell>> {
    owners::result_columns()
        .into_iter()
        .enumerate()
        .map(|(index, column)| {
            let shape = TypeShape::of(&column.sql_type);
            let is_key = column.name == "Id";
            vec![
                Cell::Text(column.catalog),
                Cell::Text(column.schema),
                Cell::Text(column.table),
                text(column.name),
                text(shape.name),
                int(shape.code),
                int(shape.length),
                int(shape.display_size),
                int(shape.precision),
                int(shape.scale),
                Cell::Bool(column.nullable),
                Cell::Text(column.remarks),
                int(index + 1),
                text("false"),
                text("false"),
                Cell::Bool(false),
                Cell::Bool(false),
                Cell::Bool(true),
                Cell::Bool(is_key),
                text(""),
            ]
        })
        .collect()
}

fn procedure_rows() -> Vec<Vec<Cell>> {
    procedures()
        .iter()
        .map(|procedure| {
            vec![
                text(CATALOG),
                text(SYSTEM_SCHEMA),
                text(procedure.name),
                text(procedure.description),
                text("PROCEDURE"),
            ]
        })
        .collect()
}

fn parameter_rows() -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    for procedure in procedures() {
        for (index, parameter) in procedure.parameters.iter().enumerate() {
            let shape = TypeShape::of(&parameter.sql_type);
            let direction = match parameter.direction {
                ParameterDirection::Input => 1,
                ParameterDirection::InputOutput => 2,
                ParameterDirection::Output => 4,
            };
            rows.push(vec![
                text(CATALOG),
                text(SYSTEM_SCHEMA),
                text(procedure.name),
                text(parameter.name),
                int(direction),
                text(shape.name),
                int(shape.code),
                int(shape.length),
                int(shape.precision),
                int(shape.scale),
                Cell::Bool(!parameter.required),
                Cell::Bool(parameter.required),
                Cell::Bool(false),
                text(parameter.description),
                int(index + 1),
            ]);
        }
    }
    rows
}

/// Capabilities, in the reference product's names: what the engine evaluates (everything
/// below) and, in the `PUSHDOWN_*` rows, what it hands to HubDB's row query.
fn sql_info_rows() -> Vec<Vec<Cell>> {
    let functions = |group: FunctionGroup| {
        SCALAR_FUNCTIONS
            .iter()
            .filter(|(g, _, _)| *g == group)
            .map(|(_, name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let adds: Vec<&str> = TIMESTAMPADD_INTERVALS.iter().map(|(n, _)| *n).collect();
    let converts: Vec<&str> = CONVERT_TARGETS.iter().map(|(n, _)| *n).collect();
    let info: Vec<(&str, String)> = vec![
        (
            "AGGREGATE_FUNCTIONS",
            "AVG, COUNT, MAX, MIN, SUM, DISTINCT".into(),
        ),
        ("COUNT", "YES".into()),
        ("IDENTIFIER_QUOTE_OPEN_CHAR", "\"".into()),
        ("IDENTIFIER_QUOTE_CLOSE_CHAR", "\"".into()),
        (
            "SUPPORTED_OPERATORS",
            "=, >, <, >=, <=, <>, !=, LIKE, NOT LIKE, ILIKE, IN, NOT IN, BETWEEN, IS NULL, \
             IS NOT NULL, AND, OR, NOT"
                .into(),
        ),
        ("GROUP_BY", "NO_RELATION".into()),
        (
            "OJ_CAPABILITIES",
            "LEFT, RIGHT, FULL, NESTED, NOT_ORDERED, INNER, ALL_COMPARISON_OPS".into(),
        ),
        ("OUTER_JOINS", "YES".into()),
        (
            "SUBQUERIES",
            "COMPARISON, EXISTS, IN, CORRELATED_SUBQUERIES".into(),
        ),
        ("STRING_FUNCTIONS", functions(FunctionGroup::String)),
        ("NUMERIC_FUNCTIONS", functions(FunctionGroup::Numeric)),
        ("TIMEDATE_FUNCTIONS", functions(FunctionGroup::TimeDate)),
        ("SYSTEM_FUNCTIONS", functions(FunctionGroup::System)),
        ("CONVERT_FUNCTIONS", "CAST, CONVERT".into()),
        ("CONVERT_TYPES", converts.join(", ")),
        ("TIMESTAMPADD_INTERVALS", adds.join(", ")),
        (
            "TIMESTAMPDIFF_INTERVALS",
            TIMESTAMPDIFF_INTERVALS.join(", "),
        ),
        ("ESCAPE_CLAUSES", "fn, d, t, ts, oj, escape, call".into()),
        ("LIMIT", "LIMIT n, TOP n, OFFSET n".into()),
        (
            "PUSHDOWN_OPERATORS",
            "=, <>, <, <=, >, >=, BETWEEN, IN, IS NULL, IS NOT NULL, LIKE (a case-insensitive \
             contains pre-filter); by column type, as the README's pushdown table says"
                .into(),
        ),
        ("PUSHDOWN_PROJECTION", "YES".into()),
        (
            "PUSHDOWN_ORDER_BY",
            "Id, NUMBER, DATE, DATETIME and CreatedAt columns".into(),
        ),
        ("PUSHDOWN_LIMIT", "YES".into()),
    ];
    info.into_iter()
        .map(|(name, value)| vec![text(name), text(value)])
        .collect()
}

/// How a SQL type shows in `sys_tablecolumns`: ODBC's type name and code (the SQL/CLI
/// numbers: WVARCHAR -9, DECIMAL 3, ...) and sizes as SQLColumns reports them.
struct TypeShape {
    name: &'static str,
    code: i32,
    length: u32,
    display_size: u32,
    precision: u32,
    scale: i32,
}

impl TypeShape {
    fn of(sql_type: &SqlType) -> TypeShape {
        let shape = |name, code, length, display_size, precision| TypeShape {
            name,
            code,
            length,
            display_size,
            precision,
            scale: 0,
        };
        match *sql_type {
            SqlType::WVarChar { length } => shape("WVARCHAR", -9, length, length, length),
            SqlType::WLongVarChar { length } => shape("WLONGVARCHAR", -10, length, length, length),
            SqlType::Double => shape("DOUBLE", 8, 8, 24, 15),
            SqlType::Decimal { precision, scale } => {
                let digits = u32::from(precision);
                TypeShape {
                    scale: i32::from(scale),
                    ..shape("DECIMAL", 3, digits + 2, digits + 2, digits)
                }
            }
            SqlType::Bit => shape("BIT", -7, 1, 1, 1),
            SqlType::BigInt => shape("BIGINT", -5, 8, 20, 19),
            SqlType::Integer => shape("INTEGER", 4, 4, 11, 10),
            SqlType::SmallInt => shape("SMALLINT", 5, 2, 6, 5),
            SqlType::Real => shape("REAL", 7, 4, 14, 7),
            SqlType::Date => shape("DATE", 91, 6, 10, 10),
            SqlType::Time => shape("TIME", 92, 6, 8, 8),
            SqlType::Timestamp { fraction_digits } => {
                let digits = u32::from(fraction_digits);
                let size = if digits == 0 { 19 } else { 20 + digits };
                TypeShape {
                    scale: i32::from(fraction_digits),
                    ..shape("TIMESTAMP", 93, 16, size, size)
                }
            }
            SqlType::Binary { length } => shape("VARBINARY", -3, length, length * 2, length),
        }
    }
}

/// Schema `sys` of the catalog.
pub(crate) struct SystemSchema {
    metadata: Arc<Metadata>,
}

impl std::fmt::Debug for SystemSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SystemSchema")
    }
}

impl SystemSchema {
    pub(crate) fn new(metadata: Arc<Metadata>) -> SystemSchema {
        SystemSchema { metadata }
    }
}

#[async_trait]
impl SchemaProvider for SystemSchema {
    fn table_names(&self) -> Vec<String> {
        SystemTable::ALL
            .iter()
            .map(|t| t.name().to_string())
            .collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(SystemTable::named(name).map(|table| {
            let provider = SystemTableProvider {
                table,
                metadata: Arc::clone(&self.metadata),
            };
            Arc::new(provider) as Arc<dyn TableProvider>
        }))
    }

    fn table_exist(&self, name: &str) -> bool {
        SystemTable::named(name).is_some()
    }
}

/// One system table as DataFusion sees it: rows built at scan time.
struct SystemTableProvider {
    table: SystemTable,
    metadata: Arc<Metadata>,
}

impl std::fmt::Debug for SystemTableProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SystemTable({})", self.table.name())
    }
}

#[async_trait]
impl TableProvider for SystemTableProvider {
    fn schema(&self) -> SchemaRef {
        self.table.schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let rows = self
            .table
            .rows(&self.metadata)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let batch = self.table.batch(rows)?;
        let memory = MemTable::try_new(self.table.schema(), vec![vec![batch]])?;
        memory.scan(state, projection, filters, limit).await
    }
}
