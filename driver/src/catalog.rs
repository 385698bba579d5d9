//! Catalog functions as ordinary result sets: SQLTables, SQLColumns, SQLGetTypeInfo,
//! SQLPrimaryKeys, SQLForeignKeys, SQLStatistics, SQLSpecialColumns, SQLProcedures,
//! SQLProcedureColumns, SQLTablePrivileges, SQLColumnPrivileges.
//!
//! Decisions baked in (reference/odbc.md §1.7, §1.8; bug cases B27, B29; §5 #10, #21):
//! - column names, order and types are exactly the spec's; text columns are `WVARCHAR` with a
//!   real length (700, HubDB's longest name; 4000 for remarks), never 0 (B29);
//! - pattern arguments take `%`, `_` and the escape `\` (`SQL_SEARCH_PATTERN_ESCAPE`), and match
//!   case-insensitively, as HubDB names do (DESIGN "Catalog and schemas"); Power BI escapes `_`
//!   in table names (§5 #10). With `SQL_ATTR_METADATA_ID` true every argument is an identifier:
//!   no pattern characters, surrounding double quotes stripped;
//! - NULL and empty arguments follow the spec: a NULL pattern matches everything, an empty
//!   table or column pattern only the empty name (MS "Pattern Value Arguments"), so nothing.
//!   An empty catalog or schema means "tables without a catalog/schema" only for drivers where
//!   some tables have none; here every table has both, so "" is read as "any" (clients pass it
//!   for "the current one"). The special SQLTables enumerations: `"%"` catalog with `""`
//!   schema and table lists catalogs; `"%"` schema with `""` catalog and table lists schemas;
//!   `"%"` table type with `""` others lists table types (B27);
//! - table types are `TABLE` (schema `Draft`) and `VIEW` (schema `Published`), never
//!   `BASE TABLE` (§5 #21); a type list may be quoted or not (`'TABLE','VIEW'`, `TABLE, VIEW`);
//! - the row id `Id` is the primary key, a unique index (SQLStatistics) and the best row id
//!   (SQLSpecialColumns); table cardinality is reported as NULL (unknown without reading rows);
//! - procedures are the registry's (`hubdb_sql::procedures()`), in catalog `HubDB` and schema
//!   `sys` as `sys_procedures` lists them; their arguments match like SQLTables' (the catalog
//!   too, although the spec makes it an ordinary argument: patterns are a superset). A
//!   registry `Output` parameter arrives as a column of the procedure's one-row result set, so
//!   SQLProcedureColumns reports it as `SQL_RESULT_COL`, not as a bound output parameter;
//! - a FOREIGN_ID column is a foreign key onto the row id of the table HubDB says it
//!   references, within one schema (B10); privileges are correctly shaped empty result sets.

use crate::cursor::{Cursor, Wait};
use crate::describe::{self, TypeInfo};
use crate::error::{self, DriverError, DriverResult, SqlState};
use crate::runtime;
use hubdb_sql::arrow::array::{ArrayRef, Int16Array, Int32Array, StringArray};
use hubdb_sql::arrow::datatypes::{Field, Schema};
use hubdb_sql::arrow::record_batch::RecordBatch;
use hubdb_sql::{
    CatalogTable, Engine, ForeignKey, ParameterDirection, Procedure, ProcedureParameter,
    ResultColumn, SqlType, TableKind,
};
use std::sync::Arc;

/// Length of name columns in catalog results: HubDB names and labels go up to 700 characters.
const NAME_LENGTH: u32 = 700;
/// Length of `REMARKS` and similar free-text columns.
const REMARKS_LENGTH: u32 = 4000;
/// The one catalog.
pub const CATALOG: &str = "HubDB";
/// The schemas: the CRM views, published tables (views) and draft tables.
pub const SCHEMAS: [&str; 3] = ["CRM", "Draft", "Published"];
/// The schema of the procedures: `sys`, where `sys_procedures` lists them too.
pub const PROCEDURE_SCHEMA: &str = "sys";

/// The arguments of a catalog function, as the application passed them (`None` = NULL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogArgs {
    pub catalog: Option<String>,
    pub schema: Option<String>,
    /// The table name, or the procedure name for SQLProcedures and SQLProcedureColumns.
    pub table: Option<String>,
    /// The column name, or the procedure column name for SQLProcedureColumns.
    pub column: Option<String>,
    /// SQLTables' `TableType` list.
    pub table_types: Option<String>,
    /// `SQL_ATTR_METADATA_ID`.
    pub metadata_id: bool,
}

/// A catalog result set: its columns and its rows.
#[derive(Debug, Clone)]
pub struct CatalogResult {
    pub columns: Vec<ResultColumn>,
    pub batch: RecordBatch,
}

impl CatalogResult {
    /// The result as an open cursor.
    pub fn into_cursor(self) -> Cursor {
        Cursor::in_memory(self.columns, vec![self.batch])
    }
}

// ---------------------------------------------------------------------------------------------
// Entry points that need the engine; each is one call from the statement.

/// SQLTables.
pub fn tables(engine: &Engine, args: &CatalogArgs, wait: Wait<'_>) -> DriverResult<Cursor> {
    if let Some(result) = tables_enumeration(args) {
        return Ok(result?.into_cursor());
    }
    let all = engine_tables(engine, wait)?;
    Ok(tables_result(&all, args)?.into_cursor())
}

/// SQLColumns.
pub fn columns(engine: &Engine, args: &CatalogArgs, wait: Wait<'_>) -> DriverResult<Cursor> {
    let matcher = ObjectMatcher::patterns(args);
    let mut tables = Vec::new();
    for table in engine_tables(engine, wait)?
        .into_iter()
        .filter(|t| matcher.table(t))
    {
        let columns = engine_columns(engine, &table, wait)?;
        tables.push((table, columns));
    }
    Ok(columns_result(&tables, args)?.into_cursor())
}

/// SQLPrimaryKeys, SQLStatistics or SQLSpecialColumns(SQL_BEST_ROWID): the row id of the
/// tables named (ordinary arguments, not patterns).
pub fn row_id_function(
    engine: &Engine,
    function: RowIdFunction,
    args: &CatalogArgs,
    wait: Wait<'_>,
) -> DriverResult<Cursor> {
    if args.table.is_none() {
        return Err(DriverError::null_pointer("TableName"));
    }
    let matcher = ObjectMatcher::exact(args);
    let mut keys = Vec::new();
    for table in engine_tables(engine, wait)?
        .into_iter()
        .filter(|t| matcher.table(t))
    {
        let columns = engine_columns(engine, &table, wait)?;
        if let Some(id) = columns.into_iter().find(describe::is_row_id) {
            keys.push((table, id));
        }
    }
    Ok(function.result(&keys)?.into_cursor())
}

/// SQLForeignKeys: the keys onto the primary-key table, the keys of the foreign-key table,
/// or the one link between both (ordinary arguments, not patterns).
pub fn foreign_keys(
    engine: &Engine,
    primary: &CatalogArgs,
    foreign: &CatalogArgs,
    wait: Wait<'_>,
) -> DriverResult<Cursor> {
    if primary.table.is_none() && foreign.table.is_none() {
        return Err(DriverError::null_pointer("PKTableName and FKTableName"));
    }
    let keys = runtime::block_on_cancellable(engine.foreign_keys(), wait.timeout, wait.cancel)?
        .map_err(|e| error::from_sql(&e, error::Phase::Connected))?;
    Ok(foreign_keys_result(&keys, primary, foreign)?.into_cursor())
}

fn engine_tables(engine: &Engine, wait: Wait<'_>) -> DriverResult<Vec<CatalogTable>> {
    runtime::block_on_cancellable(engine.tables(), wait.timeout, wait.cancel)?
        .map_err(|e| error::from_sql(&e, error::Phase::Connected))
}

fn engine_columns(
    engine: &Engine,
    table: &CatalogTable,
    wait: Wait<'_>,
) -> DriverResult<Vec<ResultColumn>> {
    let future = engine.columns(&table.schema, &table.name);
    runtime::block_on_cancellable(future, wait.timeout, wait.cancel)?
        .map_err(|e| error::from_sql(&e, error::Phase::Connected))
}

// ---------------------------------------------------------------------------------------------
// Matching names.

/// One argument of a catalog function, ready to match names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NameMatch {
    Any,
    /// A search pattern with `%`, `_` and `\` escapes, case-insensitive.
    Pattern(Vec<char>),
    /// An identifier; `case_sensitive` when it was quoted.
    Exact {
        name: String,
        case_sensitive: bool,
    },
}

impl NameMatch {
    /// A pattern argument: NULL and `%` match everything, "" only the empty name.
    fn pattern(arg: Option<&str>, metadata_id: bool) -> NameMatch {
        match arg {
            None => NameMatch::Any,
            Some(text) if metadata_id => NameMatch::identifier(text),
            Some("%") => NameMatch::Any,
            Some(text) => NameMatch::Pattern(text.to_lowercase().chars().collect()),
        }
    }

    /// A catalog or schema argument: NULL and "" both mean any (see the module doc).
    fn container(arg: Option<&str>, metadata_id: bool, pattern: bool) -> NameMatch {
        match arg {
            None | Some("") => NameMatch::Any,
            _ if pattern => NameMatch::pattern(arg, metadata_id),
            _ => NameMatch::exact(arg, metadata_id),
        }
    }

    /// An ordinary argument: compared case-insensitively, without pattern characters.
    fn exact(arg: Option<&str>, metadata_id: bool) -> NameMatch {
        match arg {
            None => NameMatch::Any,
            Some(text) if metadata_id => NameMatch::identifier(text),
            Some(text) => NameMatch::Exact {
                name: text.to_string(),
                case_sensitive: false,
            },
        }
    }

    fn identifier(text: &str) -> NameMatch {
        let trimmed = text.trim();
        match trimmed.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(quoted) => NameMatch::Exact {
                name: quoted.to_string(),
                case_sensitive: true,
            },
            None => NameMatch::Exact {
                name: trimmed.to_string(),
                case_sensitive: false,
            },
        }
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            NameMatch::Any => true,
            NameMatch::Pattern(pattern) => {
                let name: Vec<char> = name.to_lowercase().chars().collect();
                like(pattern, &name)
            }
            NameMatch::Exact {
                name: wanted,
                case_sensitive: true,
            } => wanted == name,
            NameMatch::Exact { name: wanted, .. } => wanted.to_lowercase() == name.to_lowercase(),
        }
    }
}

/// SQL `LIKE` with `%`, `_` and the escape `\`: an iterative matcher that remembers the last
/// `%` to backtrack to, so it runs in O(pattern × name) without recursion.
fn like(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('%') => {
                star = Some((p + 1, n));
                p += 1;
            }
            Some('_') => (p, n) = (p + 1, n + 1),
            Some('\\') if pattern.get(p + 1) == Some(&name[n]) => (p, n) = (p + 2, n + 1),
            Some(c) if *c != '\\' && *c == name[n] => (p, n) = (p + 1, n + 1),
            _ => match star {
                Some((after, from)) => {
                    star = Some((after, from + 1));
                    (p, n) = (after, from + 1);
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

/// The catalog, schema, table and column arguments of one call.
struct ObjectMatcher {
    catalog: NameMatch,
    schema: NameMatch,
    table: NameMatch,
    column: NameMatch,
}

impl ObjectMatcher {
    /// SQLTables, SQLColumns, SQLProcedures, SQLProcedureColumns: schema, table (procedure)
    /// and column are patterns.
    fn patterns(args: &CatalogArgs) -> Self {
        let id = args.metadata_id;
        ObjectMatcher {
            catalog: NameMatch::container(args.catalog.as_deref(), id, true),
            schema: NameMatch::container(args.schema.as_deref(), id, true),
            table: NameMatch::pattern(args.table.as_deref(), id),
            column: NameMatch::pattern(args.column.as_deref(), id),
        }
    }

    /// SQLPrimaryKeys, SQLStatistics, SQLSpecialColumns: ordinary arguments.
    fn exact(args: &CatalogArgs) -> Self {
        let id = args.metadata_id;
        ObjectMatcher {
            catalog: NameMatch::container(args.catalog.as_deref(), id, false),
            schema: NameMatch::container(args.schema.as_deref(), id, false),
            table: NameMatch::exact(args.table.as_deref(), id),
            column: NameMatch::Any,
        }
    }

    fn table(&self, table: &CatalogTable) -> bool {
        self.object(&table.catalog, &table.schema, &table.name)
    }

    /// A table or a procedure, by its three-part name.
    fn object(&self, catalog: &str, schema: &str, name: &str) -> bool {
        self.catalog.matches(catalog) && self.schema.matches(schema) && self.table.matches(name)
    }
}

/// The table types a SQLTables call asks for; `None` = all.
fn requested_types(list: Option<&str>) -> Option<Vec<String>> {
    let list = list.map(str::trim).filter(|l| !l.is_empty() && *l != "%")?;
    let types = list
        .split(',')
        .map(|t| t.trim().trim_matches('\'').trim().to_uppercase())
        .filter(|t| !t.is_empty())
        .collect();
    Some(types)
}

fn table_type(kind: &TableKind) -> &'static str {
    match kind {
        TableKind::Table => "TABLE",
        TableKind::View => "VIEW",
    }
}

// ---------------------------------------------------------------------------------------------
// Building result sets.

/// The kind of a result column of a catalog function.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Name,
    Remarks,
    SmallInt,
    Integer,
}

/// One column of a catalog result: name, kind, whether the spec allows NULL.
type Spec = (&'static str, Kind, bool);

/// One cell of a catalog result row.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(Option<String>),
    Small(Option<i16>),
    Int(Option<i32>),
}

fn text(value: &str) -> Cell {
    Cell::Text(Some(value.to_string()))
}

fn opt_text(value: Option<&str>) -> Cell {
    Cell::Text(value.map(str::to_string))
}

fn small(value: i16) -> Cell {
    Cell::Small(Some(value))
}

fn int(value: usize) -> Cell {
    Cell::Int(Some(i32::try_from(value).unwrap_or(i32::MAX)))
}

const NULL_TEXT: Cell = Cell::Text(None);
const NULL_SMALL: Cell = Cell::Small(None);
const NULL_INT: Cell = Cell::Int(None);

/// Builds a result from column specs and rows (each row has one cell per spec).
fn build(specs: &[Spec], rows: Vec<Vec<Cell>>) -> DriverResult<CatalogResult> {
    let columns = specs
        .iter()
        .map(|spec| result_column(*spec))
        .collect::<Vec<_>>();
    let fields = columns
        .iter()
        .map(|c| Field::new(c.name.clone(), c.sql_type.arrow_type(), true))
        .collect::<Vec<_>>();
    let arrays = (0..specs.len())
        .map(|index| column_array(specs[index].1, rows.iter().map(|row| &row[index])))
        .collect::<Vec<_>>();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| DriverError::new(SqlState::GENERAL_ERROR, format!("catalog result: {e}")))?;
    Ok(CatalogResult { columns, batch })
}

fn result_column((name, kind, nullable): Spec) -> ResultColumn {
    let sql_type = match kind {
        Kind::Name => SqlType::WVarChar {
            length: NAME_LENGTH,
        },
        Kind::Remarks => SqlType::WVarChar {
            length: REMARKS_LENGTH,
        },
        Kind::SmallInt => SqlType::SmallInt,
        Kind::Integer => SqlType::Integer,
    };
    ResultColumn {
        name: name.to_string(),
        table: None,
        schema: None,
        catalog: None,
        sql_type,
        nullable,
        remarks: None,
    }
}

fn column_array<'a>(kind: Kind, cells: impl Iterator<Item = &'a Cell>) -> ArrayRef {
    match kind {
        Kind::Name | Kind::Remarks => {
            let values = cells.map(|cell| match cell {
                Cell::Text(value) => value.clone(),
                _ => None,
            });
            Arc::new(values.collect::<StringArray>())
        }
        Kind::SmallInt => Arc::new(
            cells
                .map(|cell| if let Cell::Small(v) = cell { *v } else { None })
                .collect::<Int16Array>(),
        ),
        Kind::Integer => Arc::new(
            cells
                .map(|cell| if let Cell::Int(v) = cell { *v } else { None })
                .collect::<Int32Array>(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// SQLTables.

const TABLES: [Spec; 5] = [
    ("TABLE_CAT", Kind::Name, true),
    ("TABLE_SCHEM", Kind::Name, true),
    ("TABLE_NAME", Kind::Name, true),
    ("TABLE_TYPE", Kind::Name, true),
    ("REMARKS", Kind::Remarks, true),
];

/// The three special SQLTables calls that list catalogs, schemas or table types (B27).
pub fn tables_enumeration(args: &CatalogArgs) -> Option<DriverResult<CatalogResult>> {
    let is = |arg: &Option<String>, value: &str| arg.as_deref() == Some(value);
    let empty_names = |a: &CatalogArgs| is(&a.schema, "") && is(&a.table, "");
    let row = |cat: Option<&str>, schema: Option<&str>, kind: Option<&str>| {
        vec![
            opt_text(cat),
            opt_text(schema),
            NULL_TEXT,
            opt_text(kind),
            NULL_TEXT,
        ]
    };
    let rows = if is(&args.catalog, "%") && empty_names(args) {
        vec![row(Some(CATALOG), None, None)]
    } else if is(&args.schema, "%") && is(&args.catalog, "") && is(&args.table, "") {
        SCHEMAS.iter().map(|s| row(None, Some(s), None)).collect()
    } else if is(&args.table_types, "%") && is(&args.catalog, "") && empty_names(args) {
        ["TABLE", "VIEW"]
            .iter()
            .map(|t| row(None, None, Some(t)))
            .collect()
    } else {
        return None;
    };
    Some(build(&TABLES, rows))
}

/// SQLTables over the engine's tables, sorted by type, catalog, schema, name.
pub fn tables_result(all: &[CatalogTable], args: &CatalogArgs) -> DriverResult<CatalogResult> {
    if let Some(result) = tables_enumeration(args) {
        return result;
    }
    let matcher = ObjectMatcher::patterns(args);
    let types = requested_types(args.table_types.as_deref());
    let wanted = |t: &CatalogTable| {
        let kind = table_type(&t.kind);
        matcher.table(t)
            && types
                .as_ref()
                .is_none_or(|list| list.iter().any(|w| w == kind))
    };
    let mut selected: Vec<&CatalogTable> = all.iter().filter(|t| wanted(t)).collect();
    selected.sort_by(|a, b| {
        let key = |t: &CatalogTable| {
            (
                table_type(&t.kind),
                t.catalog.clone(),
                t.schema.clone(),
                t.name.to_lowercase(),
            )
        };
        key(a).cmp(&key(b))
    });
    let rows = selected
        .into_iter()
        .map(|t| {
            let kind = table_type(&t.kind);
            vec![
                text(&t.catalog),
                text(&t.schema),
                text(&t.name),
                text(kind),
                opt_text(t.remarks.as_deref()),
            ]
        })
        .collect();
    build(&TABLES, rows)
}

// ---------------------------------------------------------------------------------------------
// SQLColumns.

const COLUMNS: [Spec; 18] = [
    ("TABLE_CAT", Kind::Name, true),
    ("TABLE_SCHEM", Kind::Name, true),
    ("TABLE_NAME", Kind::Name, false),
    ("COLUMN_NAME", Kind::Name, false),
    ("DATA_TYPE", Kind::SmallInt, false),
    ("TYPE_NAME", Kind::Name, false),
    ("COLUMN_SIZE", Kind::Integer, true),
    ("BUFFER_LENGTH", Kind::Integer, true),
    ("DECIMAL_DIGITS", Kind::SmallInt, true),
    ("NUM_PREC_RADIX", Kind::SmallInt, true),
    ("NULLABLE", Kind::SmallInt, false),
    ("REMARKS", Kind::Remarks, true),
    ("COLUMN_DEF", Kind::Remarks, true),
    ("SQL_DATA_TYPE", Kind::SmallInt, false),
    ("SQL_DATETIME_SUB", Kind::SmallInt, true),
    ("CHAR_OCTET_LENGTH", Kind::Integer, true),
    ("ORDINAL_POSITION", Kind::Integer, false),
    ("IS_NULLABLE", Kind::Name, true),
];

/// SQLColumns: one row per column of each table, in table order then ordinal position.
pub fn columns_result(
    tables: &[(CatalogTable, Vec<ResultColumn>)],
    args: &CatalogArgs,
) -> DriverResult<CatalogResult> {
    let matcher = ObjectMatcher::patterns(args);
    let mut selected: Vec<&(CatalogTable, Vec<ResultColumn>)> =
        tables.iter().filter(|(t, _)| matcher.table(t)).collect();
    selected.sort_by(|(a, _), (b, _)| {
        (&a.catalog, &a.schema, a.name.to_lowercase()).cmp(&(
            &b.catalog,
            &b.schema,
            b.name.to_lowercase(),
        ))
    });
    let mut rows = Vec::new();
    for (table, columns) in selected {
        for (index, column) in columns.iter().enumerate() {
            if matcher.column.matches(&column.name) {
                rows.push(column_row(table, column, index + 1));
            }
        }
    }
    build(&COLUMNS, rows)
}

fn column_row(table: &CatalogTable, column: &ResultColumn, ordinal: usize) -> Vec<Cell> {
    let mut row = vec![
        text(&table.catalog),
        text(&table.schema),
        text(&table.name),
        text(&column.name),
    ];
    row.extend(column_description(column, ordinal));
    row
}

/// `DATA_TYPE` through `IS_NULLABLE`: the 14 columns SQLColumns (its 5th to 18th) and
/// SQLProcedureColumns (its 6th to 19th) share, in the same order.
fn column_description(column: &ResultColumn, ordinal: usize) -> Vec<Cell> {
    let info = describe::type_info(&column.sql_type);
    let octets = info.is_character.then_some(info.octet_length);
    vec![
        small(info.concise_type),
        text(info.type_name),
        int(info.column_size),
        int(info.octet_length),
        Cell::Small(info.decimal_digits),
        Cell::Small(info.radix),
        small(describe::nullability(column)),
        opt_text(column.remarks.as_deref()),
        NULL_TEXT,
        small(info.verbose_type),
        Cell::Small((info.datetime_sub != 0).then_some(info.datetime_sub)),
        octets.map_or(NULL_INT, int),
        int(ordinal),
        text(if column.nullable { "YES" } else { "NO" }),
    ]
}

// ---------------------------------------------------------------------------------------------
// SQLGetTypeInfo.

const TYPE_INFO: [Spec; 19] = [
    ("TYPE_NAME", Kind::Name, false),
    ("DATA_TYPE", Kind::SmallInt, false),
    ("COLUMN_SIZE", Kind::Integer, true),
    ("LITERAL_PREFIX", Kind::Name, true),
    ("LITERAL_SUFFIX", Kind::Name, true),
    ("CREATE_PARAMS", Kind::Name, true),
    ("NULLABLE", Kind::SmallInt, false),
    ("CASE_SENSITIVE", Kind::SmallInt, false),
    ("SEARCHABLE", Kind::SmallInt, false),
    ("UNSIGNED_ATTRIBUTE", Kind::SmallInt, true),
    ("FIXED_PREC_SCALE", Kind::SmallInt, false),
    ("AUTO_UNIQUE_VALUE", Kind::SmallInt, true),
    ("LOCAL_TYPE_NAME", Kind::Name, true),
    ("MINIMUM_SCALE", Kind::SmallInt, true),
    ("MAXIMUM_SCALE", Kind::SmallInt, true),
    ("SQL_DATA_TYPE", Kind::SmallInt, false),
    ("SQL_DATETIME_SUB", Kind::SmallInt, true),
    ("NUM_PREC_RADIX", Kind::Integer, true),
    ("INTERVAL_PRECISION", Kind::SmallInt, true),
];

/// The types the driver reports, one per `DATA_TYPE`, in `DATA_TYPE` order. `VARCHAR` and
/// `LONGVARCHAR` are there too because pyodbc asks for them (reference/odbc.md §1.7).
fn supported_types() -> Vec<TypeInfo> {
    let narrow = |concise: i16, name: &'static str, length: u32| TypeInfo {
        concise_type: concise,
        verbose_type: concise,
        type_name: name,
        ..describe::type_info(&SqlType::WVarChar { length })
    };
    let mut types = vec![
        describe::type_info(&SqlType::WLongVarChar { length: 65000 }),
        describe::type_info(&SqlType::WVarChar { length: 10000 }),
        describe::type_info(&SqlType::Bit),
        describe::type_info(&SqlType::BigInt),
        describe::type_info(&SqlType::Binary { length: 65000 }),
        narrow(-1, "LONGVARCHAR", 65000),
        describe::type_info(&SqlType::Decimal {
            precision: 38,
            scale: 0,
        }),
        describe::type_info(&SqlType::Integer),
        describe::type_info(&SqlType::SmallInt),
        describe::type_info(&SqlType::Real),
        describe::type_info(&SqlType::Double),
        narrow(12, "VARCHAR", 10000),
        describe::type_info(&SqlType::Date),
        describe::type_info(&SqlType::Time),
        describe::type_info(&SqlType::Timestamp { fraction_digits: 3 }),
    ];
    types.sort_by_key(|t| t.concise_type);
    types
}

/// SQLGetTypeInfo for `data_type` (`SQL_ALL_TYPES` = 0 for all). ODBC 2 date codes are
/// accepted; a type the driver does not have gives an empty result, not an error.
pub fn type_info_result(data_type: i16) -> DriverResult<CatalogResult> {
    let wanted = match data_type {
        9 => 91,
        10 => 92,
        11 => 93,
        other => other,
    };
    let rows = supported_types()
        .iter()
        .filter(|t| wanted == 0 || t.concise_type == wanted)
        .map(type_info_row)
        .collect();
    build(&TYPE_INFO, rows)
}

fn type_info_row(info: &TypeInfo) -> Vec<Cell> {
    let numeric = info.radix.is_some();
    let literal = |s: &str| if s.is_empty() { NULL_TEXT } else { text(s) };
    let (min_scale, max_scale) = match info.concise_type {
        3 => (Some(0), Some(38)),
        93 => (info.decimal_digits, info.decimal_digits),
        4 | 5 | -5 => (Some(0), Some(0)),
        _ => (None, None),
    };
    vec![
        text(info.type_name),
        small(info.concise_type),
        int(info.column_size),
        literal(info.literal_prefix),
        literal(info.literal_suffix),
        opt_text(info.create_params),
        small(describe::SQL_NULLABLE),
        small(i16::from(info.case_sensitive)),
        small(info.searchable),
        if numeric {
            small(i16::from(info.unsigned))
        } else {
            NULL_SMALL
        },
        small(0),
        if numeric { small(0) } else { NULL_SMALL },
        text(info.type_name),
        Cell::Small(min_scale),
        Cell::Small(max_scale),
        small(info.verbose_type),
        Cell::Small((info.datetime_sub != 0).then_some(info.datetime_sub)),
        info.radix
            .map_or(NULL_INT, |r| int(usize::from(r.unsigned_abs()))),
        NULL_SMALL,
    ]
}

// ---------------------------------------------------------------------------------------------
// The row id: SQLPrimaryKeys, SQLStatistics, SQLSpecialColumns.

/// Which catalog function reports the row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowIdFunction {
    PrimaryKeys,
    /// `unique_only`: `SQL_INDEX_UNIQUE`; the row id index is unique either way.
    Statistics,
    /// `SQL_BEST_ROWID` (1) lists the row id; `SQL_ROWVER` (2) lists nothing.
    SpecialColumns {
        identifier_type: u16,
    },
}

const PRIMARY_KEYS: [Spec; 6] = [
    ("TABLE_CAT", Kind::Name, true),
    ("TABLE_SCHEM", Kind::Name, true),
    ("TABLE_NAME", Kind::Name, false),
    ("COLUMN_NAME", Kind::Name, false),
    ("KEY_SEQ", Kind::SmallInt, false),
    ("PK_NAME", Kind::Name, true),
];

const STATISTICS: [Spec; 13] = [
    ("TABLE_CAT", Kind::Name, true),
    ("TABLE_SCHEM", Kind::Name, true),
    ("TABLE_NAME", Kind::Name, false),
    ("NON_UNIQUE", Kind::SmallInt, true),
    ("INDEX_QUALIFIER", Kind::Name, true),
    ("INDEX_NAME", Kind::Name, true),
    ("TYPE", Kind::SmallInt, false),
    ("ORDINAL_POSITION", Kind::SmallInt, true),
    ("COLUMN_NAME", Kind::Name, true),
    ("ASC_OR_DESC", Kind::Name, true),
    ("CARDINALITY", Kind::Integer, true),
    ("PAGES", Kind::Integer, true),
    ("FILTER_CONDITION", Kind::Remarks, true),
];

const SPECIAL_COLUMNS: [Spec; 8] = [
    ("SCOPE", Kind::SmallInt, true),
    ("COLUMN_NAME", Kind::Name, false),
    ("DATA_TYPE", Kind::SmallInt, false),
    ("TYPE_NAME", Kind::Name, false),
    ("COLUMN_SIZE", Kind::Integer, true),
    ("BUFFER_LENGTH", Kind::Integer, true),
    ("DECIMAL_DIGITS", Kind::SmallInt, true),
    ("PSEUDO_COLUMN", Kind::SmallInt, true),
];

/// `SQL_TABLE_STAT` and `SQL_INDEX_OTHER` (sqlext.h).
const SQL_TABLE_STAT: i16 = 0;
const SQL_INDEX_OTHER: i16 = 3;
/// `SQL_SCOPE_SESSION`, `SQL_PC_NOT_PSEUDO` (sqlext.h).
const SQL_SCOPE_SESSION: i16 = 2;
const SQL_PC_NOT_PSEUDO: i16 = 1;
/// `SQL_BEST_ROWID` (sqlext.h).
pub const SQL_BEST_ROWID: u16 = 1;

impl RowIdFunction {
    /// The result for the row ids of the given tables.
    pub fn result(self, keys: &[(CatalogTable, ResultColumn)]) -> DriverResult<CatalogResult> {
        let mut keys: Vec<&(CatalogTable, ResultColumn)> = keys.iter().collect();
        keys.sort_by(|(a, _), (b, _)| {
            (&a.catalog, &a.schema, &a.name).cmp(&(&b.catalog, &b.schema, &b.name))
        });
        match self {
            RowIdFunction::PrimaryKeys => build(
                &PRIMARY_KEYS,
                keys.iter().map(|(t, c)| key_row(t, c)).collect(),
            ),
            RowIdFunction::Statistics => build(
                &STATISTICS,
                keys.iter()
                    .flat_map(|(t, c)| statistics_rows(t, c))
                    .collect(),
            ),
            RowIdFunction::SpecialColumns { identifier_type } => {
                let best = identifier_type == SQL_BEST_ROWID;
                let rows = keys
                    .iter()
                    .filter(|_| best)
                    .map(|(_, c)| special_row(c))
                    .collect();
                build(&SPECIAL_COLUMNS, rows)
            }
        }
    }
}

fn key_name(table: &CatalogTable) -> String {
    format!("PK_{}", table.name)
}

fn key_row(table: &CatalogTable, id: &ResultColumn) -> Vec<Cell> {
    vec![
        text(&table.catalog),
        text(&table.schema),
        text(&table.name),
        text(&id.name),
        small(1),
        text(&key_name(table)),
    ]
}

/// The table-statistics row (cardinality unknown) and the unique index on the row id.
fn statistics_rows(table: &CatalogTable, id: &ResultColumn) -> Vec<Vec<Cell>> {
    let names = || vec![text(&table.catalog), text(&table.schema), text(&table.name)];
    let mut stat = names();
    stat.extend([
        NULL_SMALL,
        NULL_TEXT,
        NULL_TEXT,
        small(SQL_TABLE_STAT),
        NULL_SMALL,
        NULL_TEXT,
        NULL_TEXT,
        NULL_INT,
        NULL_INT,
        NULL_TEXT,
    ]);
    let mut index = names();
    index.extend([
        small(0),
        NULL_TEXT,
        text(&key_name(table)),
        small(SQL_INDEX_OTHER),
        small(1),
        text(&id.name),
        text("A"),
        NULL_INT,
        NULL_INT,
        NULL_TEXT,
    ]);
    vec![stat, index]
}

fn special_row(id: &ResultColumn) -> Vec<Cell> {
    let info = describe::type_info(&id.sql_type);
    vec![
        small(SQL_SCOPE_SESSION),
        text(&id.name),
        small(info.concise_type),
        text(info.type_name),
        int(info.column_size),
        int(info.octet_length),
        Cell::Small(info.decimal_digits),
        small(SQL_PC_NOT_PSEUDO),
    ]
}

// ---------------------------------------------------------------------------------------------
// SQLProcedures and SQLProcedureColumns.

const PROCEDURES: [Spec; 8] = [
    ("PROCEDURE_CAT", Kind::Name, true),
    ("PROCEDURE_SCHEM", Kind::Name, true),
    ("PROCEDURE_NAME", Kind::Name, false),
    ("NUM_INPUT_PARAMS", Kind::Integer, true),
    ("NUM_OUTPUT_PARAMS", Kind::Integer, true),
    ("NUM_RESULT_SETS", Kind::Integer, true),
    ("REMARKS", Kind::Remarks, true),
    ("PROCEDURE_TYPE", Kind::SmallInt, true),
];

const PROCEDURE_COLUMNS: [Spec; 19] = [
    ("PROCEDURE_CAT", Kind::Name, true),
    ("PROCEDURE_SCHEM", Kind::Name, true),
    ("PROCEDURE_NAME", Kind::Name, false),
    ("COLUMN_NAME", Kind::Name, false),
    ("COLUMN_TYPE", Kind::SmallInt, false),
    ("DATA_TYPE", Kind::SmallInt, false),
    ("TYPE_NAME", Kind::Name, false),
    ("COLUMN_SIZE", Kind::Integer, true),
    ("BUFFER_LENGTH", Kind::Integer, true),
    ("DECIMAL_DIGITS", Kind::SmallInt, true),
    ("NUM_PREC_RADIX", Kind::SmallInt, true),
    ("NULLABLE", Kind::SmallInt, false),
    ("REMARKS", Kind::Remarks, true),
    ("COLUMN_DEF", Kind::Remarks, true),
    ("SQL_DATA_TYPE", Kind::SmallInt, false),
    ("SQL_DATETIME_SUB", Kind::SmallInt, true),
    ("CHAR_OCTET_LENGTH", Kind::Integer, true),
    ("ORDINAL_POSITION", Kind::Integer, false),
    ("IS_NULLABLE", Kind::Name, true),
];

/// `SQL_PT_PROCEDURE` (sqlext.h): no return value; what a procedure gives back is its result set.
const SQL_PT_PROCEDURE: i16 = 1;
/// `COLUMN_TYPE` codes (sqlext.h): input parameter, input/output parameter, result set column.
const SQL_PARAM_INPUT: i16 = 1;
const SQL_PARAM_INPUT_OUTPUT: i16 = 2;
const SQL_RESULT_COL: i16 = 3;

/// SQLProcedures over the procedure registry.
pub fn procedures(args: &CatalogArgs) -> DriverResult<Cursor> {
    Ok(procedures_result(hubdb_sql::procedures(), args)?.into_cursor())
}

/// SQLProcedureColumns over the procedure registry.
pub fn procedure_columns(args: &CatalogArgs) -> DriverResult<Cursor> {
    Ok(procedure_columns_result(hubdb_sql::procedures(), args)?.into_cursor())
}

/// SQLProcedures: one row per procedure, sorted by catalog, schema and name.
///
/// `NUM_INPUT_PARAMS` and `NUM_OUTPUT_PARAMS` count the parameters SQLProcedureColumns reports
/// as input (or input/output) and as input/output: result columns are not output parameters,
/// and a client that bound markers for them would call with too many arguments.
/// `NUM_RESULT_SETS` is NULL. The spec reserves all three (MS SQLProcedures, result columns
/// 4 to 6), so applications should not rely on them.
pub fn procedures_result(all: &[Procedure], args: &CatalogArgs) -> DriverResult<CatalogResult> {
    let matcher = ObjectMatcher::patterns(args);
    let rows = selected_procedures(all, &matcher)
        .into_iter()
        .map(procedure_row)
        .collect();
    build(&PROCEDURES, rows)
}

/// The procedures the catalog, schema and procedure arguments select, sorted by name (all
/// have the same catalog and schema).
fn selected_procedures<'a>(all: &'a [Procedure], matcher: &ObjectMatcher) -> Vec<&'a Procedure> {
    let mut selected: Vec<&Procedure> = all
        .iter()
        .filter(|p| matcher.object(CATALOG, PROCEDURE_SCHEMA, p.name))
        .collect();
    selected.sort_by_key(|p| p.name.to_lowercase());
    selected
}

fn procedure_row(procedure: &Procedure) -> Vec<Cell> {
    let count = |types: &[i16]| {
        let parameters = procedure.parameters.iter();
        parameters
            .filter(|p| types.contains(&column_type(p)))
            .count()
    };
    vec![
        text(CATALOG),
        text(PROCEDURE_SCHEMA),
        text(procedure.name),
        int(count(&[SQL_PARAM_INPUT, SQL_PARAM_INPUT_OUTPUT])),
        int(count(&[SQL_PARAM_INPUT_OUTPUT])),
        NULL_INT,
        text(procedure.description),
        small(SQL_PT_PROCEDURE),
    ]
}

/// SQLProcedureColumns: for each procedure (in SQLProcedures' order) its parameters in call
/// order, then its result columns in result order, as the spec lists them (MS
/// SQLProcedureColumns, "Comments"). With input/output parameters among the inputs this keeps
/// call order rather than sorting strictly by `COLUMN_TYPE`, as SQL Server does.
pub fn procedure_columns_result(
    all: &[Procedure],
    args: &CatalogArgs,
) -> DriverResult<CatalogResult> {
    let matcher = ObjectMatcher::patterns(args);
    let mut rows = Vec::new();
    for procedure in selected_procedures(all, &matcher) {
        for (parameter, ordinal) in positioned(procedure) {
            if matcher.column.matches(parameter.name) {
                rows.push(procedure_column_row(procedure, parameter, ordinal));
            }
        }
    }
    build(&PROCEDURE_COLUMNS, rows)
}

/// The parameters, then the result columns, each with its `ORDINAL_POSITION`: a parameter's
/// position among the call's parameters, a result column's position in the result set.
fn positioned(procedure: &Procedure) -> Vec<(&ProcedureParameter, usize)> {
    let (results, parameters): (Vec<_>, Vec<_>) = procedure
        .parameters
        .iter()
        .partition(|p| column_type(p) == SQL_RESULT_COL);
    let parameters = parameters.into_iter().zip(1..);
    parameters.chain(results.into_iter().zip(1..)).collect()
}

/// A registry `Output` arrives as a column of the procedure's one-row result set.
fn column_type(parameter: &ProcedureParameter) -> i16 {
    match parameter.direction {
        ParameterDirection::Input => SQL_PARAM_INPUT,
        ParameterDirection::InputOutput => SQL_PARAM_INPUT_OUTPUT,
        ParameterDirection::Output => SQL_RESULT_COL,
    }
}

fn procedure_column_row(
    procedure: &Procedure,
    parameter: &ProcedureParameter,
    ordinal: usize,
) -> Vec<Cell> {
    let column_type = column_type(parameter);
    // An optional input may be left out (NULL); a result column may be NULL in the row (a
    // token answer without a refresh token).
    let column = ResultColumn {
        name: parameter.name.to_string(),
        table: None,
        schema: None,
        catalog: None,
        sql_type: parameter.sql_type,
        nullable: column_type == SQL_RESULT_COL || !parameter.required,
        remarks: Some(parameter.description.to_string()),
    };
    let mut row = vec![
        text(CATALOG),
        text(PROCEDURE_SCHEMA),
        text(procedure.name),
        text(parameter.name),
        small(column_type),
    ];
    row.extend(column_description(&column, ordinal));
    row
}

// ---------------------------------------------------------------------------------------------
// Correctly shaped empty results.

/// `SQL_NO_ACTION` and `SQL_NOT_DEFERRABLE` (sqlext.h): HubDB neither cascades nor checks.
const SQL_NO_ACTION: i16 = 3;
const SQL_NOT_DEFERRABLE: i16 = 7;

/// SQLForeignKeys' rows, ordered as the spec says: by the foreign-key table when the
/// primary-key table was named, by the primary-key table otherwise.
pub fn foreign_keys_result(
    keys: &[ForeignKey],
    primary: &CatalogArgs,
    foreign: &CatalogArgs,
) -> DriverResult<CatalogResult> {
    let (primary, foreign) = (ObjectMatcher::exact(primary), ObjectMatcher::exact(foreign));
    let mut keys: Vec<&ForeignKey> = keys
        .iter()
        .filter(|k| primary.object(CATALOG, &k.schema, &k.primary_table))
        .filter(|k| foreign.object(CATALOG, &k.schema, &k.foreign_table))
        .collect();
    let by_foreign = !matches!(primary.table, NameMatch::Any);
    keys.sort_by_key(|k| {
        let (pk, fk) = (k.primary_table.clone(), k.foreign_table.clone());
        let tables = if by_foreign { (fk, pk) } else { (pk, fk) };
        (k.schema.clone(), tables, k.foreign_column.clone())
    });
    build(
        &FOREIGN_KEYS,
        keys.into_iter().map(foreign_key_row).collect(),
    )
}

fn foreign_key_row(key: &ForeignKey) -> Vec<Cell> {
    vec![
        text(CATALOG),
        text(&key.schema),
        text(&key.primary_table),
        text(&key.primary_column),
        text(CATALOG),
        text(&key.schema),
        text(&key.foreign_table),
        text(&key.foreign_column),
        small(1),
        small(SQL_NO_ACTION),
        small(SQL_NO_ACTION),
        text(&format!("FK_{}_{}", key.foreign_table, key.foreign_column)),
        text(&format!("PK_{}", key.primary_table)),
        small(SQL_NOT_DEFERRABLE),
    ]
}

const FOREIGN_KEYS: [Spec; 14] = [
    ("PKTABLE_CAT", Kind::Name, true),
    ("PKTABLE_SCHEM", Kind::Name, true),
    ("PKTABLE_NAME", Kind::Name, false),
    ("PKCOLUMN_NAME", Kind::Name, false),
    ("FKTABLE_CAT", Kind::Name, true),
    ("FKTABLE_SCHEM", Kind::Name, true),
    ("FKTABLE_NAME", Kind::Name, false),
    ("FKCOLUMN_NAME", Kind::Name, false),
    ("KEY_SEQ", Kind::SmallInt, false),
    ("UPDATE_RULE", Kind::SmallInt, true),
    ("DELETE_RULE", Kind::SmallInt, true),
    ("FK_NAME", Kind::Name, true),
    ("PK_NAME", Kind::Name, true),
    ("DEFERRABILITY", Kind::SmallInt, true),
];

const TABLE_PRIVILEGES: [Spec; 7] = [
    ("TABLE_CAT", Kind::Name, true),
    ("TABLE_SCHEM", Kind::Name, true),
    ("TABLE_NAME", Kind::Name, false),
    ("GRANTOR", Kind::Name, true),
    ("GRANTEE", Kind::Name, false),
    ("PRIVILEGE", Kind::Name, false),
    ("IS_GRANTABLE", Kind::Name, true),
];

const COLUMN_PRIVILEGES: [Spec; 8] = [
    ("TABLE_CAT", Kind::Name, true),
    ("TABLE_SCHEM", Kind::Name, true),
    ("TABLE_NAME", Kind::Name, false),
    ("COLUMN_NAME", Kind::Name, false),
    ("GRANTOR", Kind::Name, true),
    ("GRANTEE", Kind::Name, false),
    ("PRIVILEGE", Kind::Name, false),
    ("IS_GRANTABLE", Kind::Name, true),
];

/// Catalog functions that answer with a correctly shaped, empty result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyCatalog {
    TablePrivileges,
    ColumnPrivileges,
}

impl EmptyCatalog {
    /// The empty result with the function's columns.
    pub fn result(self) -> DriverResult<CatalogResult> {
        let specs: &[Spec] = match self {
            EmptyCatalog::TablePrivileges => &TABLE_PRIVILEGES,
            EmptyCatalog::ColumnPrivileges => &COLUMN_PRIVILEGES,
        };
        build(specs, Vec::new())
    }

    /// The empty result as an open cursor.
    pub fn cursor(self) -> DriverResult<Cursor> {
        Ok(self.result()?.into_cursor())
    }
}

/// SQLGetTypeInfo as an open cursor.
pub fn type_info(data_type: i16) -> DriverResult<Cursor> {
    Ok(type_info_result(data_type)?.into_cursor())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hubdb_sql::arrow::array::{Array, AsArray};
    use hubdb_sql::arrow::datatypes::{Int16Type, Int32Type};

    fn table(schema: &str, name: &str) -> CatalogTable {
        let kind = if schema == "Draft" {
            TableKind::Table
        } else {
            TableKind::View
        };
        CatalogTable {
            catalog: CATALOG.into(),
            schema: schema.into(),
            name: name.into(),
            kind,
            remarks: None,
        }
    }

    fn catalog() -> Vec<CatalogTable> {
        vec![
            table("Published", "products"),
            table("Draft", "products"),
            table("Draft", "my_table"),
            table("Draft", "myXtable"),
            table("Published", "Orders"),
        ]
    }

    fn args(schema: Option<&str>, table: Option<&str>) -> CatalogArgs {
        CatalogArgs {
            schema: schema.map(Into::into),
            table: table.map(Into::into),
            ..CatalogArgs::default()
        }
    }

    fn strings(result: &CatalogResult, column: usize) -> Vec<Option<String>> {
        let array = result.batch.column(column).as_string::<i32>();
        (0..array.len())
            .map(|i| array.is_valid(i).then(|| array.value(i).to_string()))
            .collect()
    }

    fn names(result: &CatalogResult, column: usize) -> Vec<String> {
        strings(result, column)
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect()
    }

    fn smalls(result: &CatalogResult, column: usize) -> Vec<Option<i16>> {
        let array = result.batch.column(column).as_primitive::<Int16Type>();
        (0..array.len())
            .map(|i| array.is_valid(i).then(|| array.value(i)))
            .collect()
    }

    fn ints(result: &CatalogResult, column: usize) -> Vec<Option<i32>> {
        let array = result.batch.column(column).as_primitive::<Int32Type>();
        (0..array.len())
            .map(|i| array.is_valid(i).then(|| array.value(i)))
            .collect()
    }

    fn column_names(result: &CatalogResult) -> Vec<&str> {
        result.columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn patterns_take_percent_underscore_and_escapes_case_insensitively() {
        let matches =
            |pattern: &str, name: &str| NameMatch::pattern(Some(pattern), false).matches(name);
        assert!(matches("my\\_table", "my_table"));
        assert!(!matches("my\\_table", "myXtable"));
        assert!(matches("my_table", "myXtable"));
        assert!(matches("PROD%", "products"));
        assert!(matches("%duct%", "products"));
        assert!(matches("%", ""));
        assert!(matches("p%s", "products"));
        assert!(!matches("p%x", "products"));
        assert!(matches("100\\%", "100%"));
        assert!(!matches("100\\%", "1000"));
        assert!(!matches("a_", "a"));
    }

    #[test]
    fn metadata_id_turns_arguments_into_identifiers() {
        let plain = NameMatch::pattern(Some("MY_TABLE"), true);
        assert!(plain.matches("my_table") && !plain.matches("myXtable"));
        let quoted = NameMatch::pattern(Some("\"My_Table\""), true);
        assert!(quoted.matches("My_Table") && !quoted.matches("my_table"));
    }

    #[test]
    fn sql_tables_lists_views_and_tables_sorted_by_type_then_schema_and_name() {
        let result = tables_result(&catalog(), &CatalogArgs::default()).expect("tables");
        assert_eq!(
            column_names(&result),
            [
                "TABLE_CAT",
                "TABLE_SCHEM",
                "TABLE_NAME",
                "TABLE_TYPE",
                "REMARKS"
            ]
        );
        assert_eq!(
            names(&result, 2),
            ["my_table", "myXtable", "products", "Orders", "products"]
        );
        assert_eq!(
            names(&result, 3),
            ["TABLE", "TABLE", "TABLE", "VIEW", "VIEW"]
        );
        assert_eq!(names(&result, 0), ["HubDB"; 5]);
    }

    #[test]
    fn power_bi_escaped_underscore_finds_only_that_table() {
        let result = tables_result(&catalog(), &args(None, Some("my\\_table"))).expect("tables");
        assert_eq!(names(&result, 2), ["my_table"]);
    }

    #[test]
    fn table_type_lists_are_accepted_quoted_or_not() {
        for list in ["'VIEW'", "VIEW", " 'view' , 'SYSTEM TABLE' "] {
            let filter = CatalogArgs {
                table_types: Some(list.into()),
                ..CatalogArgs::default()
            };
            let result = tables_result(&catalog(), &filter).expect("tables");
            assert_eq!(names(&result, 3), ["VIEW", "VIEW"], "list {list}");
        }
        let both = CatalogArgs {
            table_types: Some("'TABLE','VIEW'".into()),
            ..CatalogArgs::default()
        };
        assert_eq!(
            tables_result(&catalog(), &both)
                .expect("tables")
                .batch
                .num_rows(),
            5
        );
    }

    #[test]
    fn schema_and_empty_arguments_filter_as_documented() {
        let published = tables_result(&catalog(), &args(Some("Published"), None)).expect("tables");
        assert_eq!(names(&published, 2), ["Orders", "products"]);
        let any_schema =
            tables_result(&catalog(), &args(Some(""), Some("orders"))).expect("tables");
        assert_eq!(names(&any_schema, 2), ["Orders"]);
        let empty_table = tables_result(&catalog(), &args(None, Some(""))).expect("tables");
        assert_eq!(
            empty_table.batch.num_rows(),
            0,
            "an empty pattern matches only ''"
        );
        let nothing = tables_result(&catalog(), &args(Some("Nope"), None)).expect("tables");
        assert_eq!(nothing.batch.num_rows(), 0);
        assert_eq!(nothing.columns.len(), 5);
    }

    #[test]
    fn b27_special_enumerations_list_catalogs_schemas_and_types() {
        let all = |catalog: &str, schema: &str, types: Option<&str>| CatalogArgs {
            catalog: Some(catalog.into()),
            schema: Some(schema.into()),
            table: Some(String::new()),
            table_types: types.map(Into::into),
            metadata_id: false,
            column: None,
        };
        let catalogs = tables_result(&catalog(), &all("%", "", None)).expect("catalogs");
        assert_eq!(strings(&catalogs, 0), [Some("HubDB".to_string())]);
        assert_eq!(strings(&catalogs, 1), [None]);
        let schemas = tables_result(&catalog(), &all("", "%", None)).expect("schemas");
        assert_eq!(names(&schemas, 1), ["CRM", "Draft", "Published"]);
        assert_eq!(strings(&schemas, 0), [None, None, None]);
        let types = tables_result(&catalog(), &all("", "", Some("%"))).expect("types");
        assert_eq!(names(&types, 3), ["TABLE", "VIEW"]);
    }

    fn product_columns() -> Vec<ResultColumn> {
        let column = |name: &str, sql_type, nullable| ResultColumn {
            name: name.into(),
            table: Some("products".into()),
            schema: Some("Draft".into()),
            catalog: Some(CATALOG.into()),
            sql_type,
            nullable,
            remarks: None,
        };
        vec![
            column("Id", SqlType::BigInt, false),
            column("CreatedAt", SqlType::Timestamp { fraction_digits: 3 }, true),
            column("name", SqlType::WVarChar { length: 10000 }, true),
            column(
                "price",
                SqlType::Decimal {
                    precision: 19,
                    scale: 4,
                },
                true,
            ),
        ]
    }

    #[test]
    fn b29_sql_columns_has_the_18_standard_columns_with_standard_types() {
        let tables = vec![(table("Draft", "products"), product_columns())];
        let result = columns_result(&tables, &args(None, Some("products"))).expect("columns");
        assert_eq!(
            column_names(&result),
            [
                "TABLE_CAT",
                "TABLE_SCHEM",
                "TABLE_NAME",
                "COLUMN_NAME",
                "DATA_TYPE",
                "TYPE_NAME",
                "COLUMN_SIZE",
                "BUFFER_LENGTH",
                "DECIMAL_DIGITS",
                "NUM_PREC_RADIX",
                "NULLABLE",
                "REMARKS",
                "COLUMN_DEF",
                "SQL_DATA_TYPE",
                "SQL_DATETIME_SUB",
                "CHAR_OCTET_LENGTH",
                "ORDINAL_POSITION",
                "IS_NULLABLE",
            ]
        );
        let kinds: Vec<SqlType> = result.columns.iter().map(|c| c.sql_type).collect();
        assert_eq!(kinds[4], SqlType::SmallInt);
        assert_eq!(kinds[6], SqlType::Integer);
        assert_eq!(names(&result, 3), ["Id", "CreatedAt", "name", "price"]);
        assert_eq!(smalls(&result, 4), [Some(-5), Some(93), Some(-9), Some(3)]);
        assert_eq!(
            names(&result, 5),
            ["BIGINT", "TIMESTAMP", "WVARCHAR", "DECIMAL"]
        );
        assert_eq!(
            ints(&result, 6),
            [Some(19), Some(23), Some(10000), Some(19)]
        );
        assert_eq!(smalls(&result, 8), [Some(0), Some(3), None, Some(4)]);
        assert_eq!(smalls(&result, 13), [Some(-5), Some(9), Some(-9), Some(3)]);
        assert_eq!(smalls(&result, 14), [None, Some(3), None, None]);
        let wide = i32::try_from(10000 * crate::text::WIDE_UNIT).expect("fits");
        assert_eq!(ints(&result, 15), [None, None, Some(wide), None]);
        assert_eq!(ints(&result, 16), [Some(1), Some(2), Some(3), Some(4)]);
        assert_eq!(names(&result, 17), ["NO", "YES", "YES", "YES"]);
        assert_eq!(smalls(&result, 10), [Some(0), Some(1), Some(1), Some(1)]);
    }

    #[test]
    fn sql_columns_filters_column_names_by_pattern() {
        let tables = vec![
            (table("Draft", "products"), product_columns()),
            (table("Published", "products"), product_columns()),
        ];
        let filter = CatalogArgs {
            column: Some("%at".into()),
            ..args(Some("Draft"), None)
        };
        let result = columns_result(&tables, &filter).expect("columns");
        assert_eq!(names(&result, 3), ["CreatedAt"]);
        assert_eq!(ints(&result, 16), [Some(2)]);
    }

    #[test]
    fn b29_type_info_has_19_columns_one_row_per_type_in_data_type_order() {
        let result = type_info_result(0).expect("all types");
        assert_eq!(result.columns.len(), 19);
        assert_eq!(result.columns[18].name, "INTERVAL_PRECISION");
        let data_types: Vec<i16> = smalls(&result, 1).into_iter().flatten().collect();
        let mut sorted = data_types.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(data_types, sorted, "sorted and without duplicates");
        for wanted in [-10, -9, -7, -5, 3, 8, 12, 91, 93] {
            assert!(data_types.contains(&wanted), "type {wanted}");
        }
        let timestamp = type_info_result(11).expect("ODBC 2 code");
        assert_eq!(names(&timestamp, 0), ["TIMESTAMP"]);
        assert_eq!(ints(&timestamp, 2), [Some(23)]);
        assert_eq!(type_info_result(-11).expect("GUID").batch.num_rows(), 0);
    }

    #[test]
    fn the_row_id_is_primary_key_unique_index_and_best_row_id() {
        let id = product_columns().remove(0);
        let keys = vec![(table("Draft", "products"), id)];
        let pk = RowIdFunction::PrimaryKeys.result(&keys).expect("keys");
        assert_eq!(
            column_names(&pk),
            [
                "TABLE_CAT",
                "TABLE_SCHEM",
                "TABLE_NAME",
                "COLUMN_NAME",
                "KEY_SEQ",
                "PK_NAME"
            ]
        );
        assert_eq!(names(&pk, 3), ["Id"]);
        assert_eq!(smalls(&pk, 4), [Some(1)]);
        let stats = RowIdFunction::Statistics.result(&keys).expect("statistics");
        assert_eq!(stats.columns.len(), 13);
        assert_eq!(
            smalls(&stats, 6),
            [Some(SQL_TABLE_STAT), Some(SQL_INDEX_OTHER)]
        );
        assert_eq!(strings(&stats, 8), [None, Some("Id".into())]);
        let best = RowIdFunction::SpecialColumns {
            identifier_type: SQL_BEST_ROWID,
        };
        let special = best.result(&keys).expect("special");
        assert_eq!(special.columns.len(), 8);
        assert_eq!(
            (names(&special, 1), smalls(&special, 2)),
            (vec!["Id".to_string()], vec![Some(-5)])
        );
        let rowver = RowIdFunction::SpecialColumns { identifier_type: 2 }
            .result(&keys)
            .expect("rowver");
        assert_eq!(rowver.batch.num_rows(), 0);
    }

    fn key(schema: &str, primary: &str, foreign: &str, column: &str) -> ForeignKey {
        ForeignKey {
            schema: schema.to_string(),
            primary_table: primary.to_string(),
            primary_column: "Id".to_string(),
            foreign_table: foreign.to_string(),
            foreign_column: column.to_string(),
        }
    }

    fn foreign_key_catalog() -> Vec<ForeignKey> {
        vec![
            key("Published", "store_locations", "team_members", "office"),
            key("Published", "store_locations", "events", "venue"),
            key("Draft", "store_locations", "events", "venue"),
            key("Published", "events", "talks", "event"),
        ]
    }

    #[test]
    fn b10_foreign_keys_by_primary_table_list_the_referencing_tables_in_order() {
        let primary = args(Some("Published"), Some("STORE_LOCATIONS"));
        let result = foreign_keys_result(&foreign_key_catalog(), &primary, &CatalogArgs::default())
            .expect("foreign keys");
        assert_eq!(result.columns.len(), 14);
        assert_eq!(names(&result, 6), ["events", "team_members"]);
        assert_eq!(names(&result, 7), ["venue", "office"]);
        assert_eq!(names(&result, 2), ["store_locations", "store_locations"]);
        assert_eq!(names(&result, 3), ["Id", "Id"]);
        assert_eq!(smalls(&result, 8), [Some(1), Some(1)]);
        assert_eq!(smalls(&result, 13), [Some(SQL_NOT_DEFERRABLE); 2]);
    }

    #[test]
    fn b10_foreign_keys_by_foreign_table_and_both_tables() {
        let keys = foreign_key_catalog();
        let none = CatalogArgs::default();
        let events = args(None, Some("events"));
        let by_foreign = foreign_keys_result(&keys, &none, &events).expect("by foreign");
        assert_eq!(names(&by_foreign, 1), ["Draft", "Published"]);
        let stores = args(Some("Published"), Some("store_locations"));
        let pair = args(Some("Published"), Some("events"));
        let both = foreign_keys_result(&keys, &stores, &pair).expect("both");
        assert_eq!(names(&both, 11), ["FK_events_venue"]);
        assert_eq!(names(&both, 12), ["PK_store_locations"]);
    }

    #[test]
    fn empty_catalog_functions_have_their_columns() {
        let cases = [
            (EmptyCatalog::TablePrivileges, 7),
            (EmptyCatalog::ColumnPrivileges, 8),
        ];
        for (function, count) in cases {
            let result = function.result().expect("empty");
            assert_eq!(
                (result.columns.len(), result.batch.num_rows()),
                (count, 0),
                "{function:?}"
            );
        }
    }

    const fn parameter(
        name: &'static str,
        sql_type: SqlType,
        direction: ParameterDirection,
        required: bool,
    ) -> ProcedureParameter {
        ProcedureParameter {
            name,
            sql_type,
            direction,
            required,
            description: "about it",
        }
    }

    /// Two procedures out of name order, one with an input/output parameter between inputs.
    static REGISTRY: [Procedure; 2] = [
        Procedure {
            name: "Renew_Token",
            description: "Renews a token.",
            parameters: &[
                parameter(
                    "Token",
                    SqlType::WVarChar { length: 2048 },
                    ParameterDirection::Input,
                    true,
                ),
                parameter(
                    "Expires",
                    SqlType::BigInt,
                    ParameterDirection::Output,
                    false,
                ),
                parameter(
                    "Mode",
                    SqlType::WVarChar { length: 10 },
                    ParameterDirection::InputOutput,
                    false,
                ),
                parameter(
                    "Note",
                    SqlType::WVarChar { length: 100 },
                    ParameterDirection::Input,
                    false,
                ),
                parameter(
                    "IssuedAt",
                    SqlType::Timestamp { fraction_digits: 3 },
                    ParameterDirection::Output,
                    false,
                ),
            ],
        },
        Procedure {
            name: "GetUrl",
            description: "",
            parameters: &[],
        },
    ];

    fn procedure_args(procedure: Option<&str>, column: Option<&str>) -> CatalogArgs {
        CatalogArgs {
            table: procedure.map(Into::into),
            column: column.map(Into::into),
            ..CatalogArgs::default()
        }
    }

    #[test]
    fn sql_procedures_lists_the_registry_by_name_in_catalog_hubdb_schema_sys() {
        let result = procedures_result(&REGISTRY, &CatalogArgs::default()).expect("procedures");
        assert_eq!(
            column_names(&result),
            [
                "PROCEDURE_CAT",
                "PROCEDURE_SCHEM",
                "PROCEDURE_NAME",
                "NUM_INPUT_PARAMS",
                "NUM_OUTPUT_PARAMS",
                "NUM_RESULT_SETS",
                "REMARKS",
                "PROCEDURE_TYPE",
            ]
        );
        assert_eq!(names(&result, 0), ["HubDB", "HubDB"]);
        assert_eq!(names(&result, 1), ["sys", "sys"]);
        assert_eq!(names(&result, 2), ["GetUrl", "Renew_Token"]);
        assert_eq!(names(&result, 6), ["", "Renews a token."]);
        assert_eq!(smalls(&result, 7), [Some(SQL_PT_PROCEDURE); 2]);
        assert_eq!(
            ints(&result, 5),
            [None, None],
            "NUM_RESULT_SETS is reserved"
        );
    }

    #[test]
    fn sql_procedures_counts_inputs_and_input_outputs_but_not_result_columns() {
        let result = procedures_result(&REGISTRY, &procedure_args(Some("Renew%"), None))
            .expect("procedures");
        assert_eq!(
            (ints(&result, 3), ints(&result, 4)),
            (vec![Some(3)], vec![Some(1)])
        );
    }

    #[test]
    fn sql_procedures_arguments_match_like_sql_tables() {
        let listed =
            |args: CatalogArgs| names(&procedures_result(&REGISTRY, &args).expect("procedures"), 2);
        assert_eq!(listed(procedure_args(Some("get%"), None)), ["GetUrl"]);
        assert_eq!(
            listed(procedure_args(Some("renew\\_token"), None)),
            ["Renew_Token"]
        );
        assert!(listed(procedure_args(Some("Renew\\_"), None)).is_empty());
        assert!(listed(procedure_args(Some(""), None)).is_empty());
        let in_schema = |schema: &str| CatalogArgs {
            catalog: Some("HubDB".into()),
            schema: Some(schema.into()),
            ..CatalogArgs::default()
        };
        assert_eq!(listed(in_schema("SYS")).len(), 2);
        assert_eq!(listed(in_schema("")).len(), 2, "'' schema means any");
        assert!(listed(in_schema("Draft")).is_empty());
        let identifier = |name: &str| CatalogArgs {
            metadata_id: true,
            ..procedure_args(Some(name), None)
        };
        assert_eq!(listed(identifier("getURL")), ["GetUrl"]);
        assert!(listed(identifier("Get%")).is_empty());
        assert!(listed(identifier("\"getURL\"")).is_empty());
    }

    #[test]
    fn sql_procedure_columns_has_the_19_columns_the_last_14_shared_with_sql_columns() {
        let result = procedure_columns_result(&REGISTRY, &CatalogArgs::default()).expect("columns");
        let names = column_names(&result);
        assert_eq!(names.len(), 19);
        assert_eq!(
            names[..5],
            [
                "PROCEDURE_CAT",
                "PROCEDURE_SCHEM",
                "PROCEDURE_NAME",
                "COLUMN_NAME",
                "COLUMN_TYPE"
            ]
        );
        let table_columns = columns_result(&[], &CatalogArgs::default()).expect("columns");
        assert_eq!(names[5..], column_names(&table_columns)[4..]);
        let types = |r: &CatalogResult| r.columns.iter().map(|c| c.sql_type).collect::<Vec<_>>();
        assert_eq!(types(&result)[5..], types(&table_columns)[4..]);
    }

    #[test]
    fn sql_procedure_columns_lists_parameters_in_call_order_then_result_columns() {
        let result = procedure_columns_result(&REGISTRY, &procedure_args(Some("Renew%"), None))
            .expect("columns");
        assert_eq!(
            names(&result, 3),
            ["Token", "Mode", "Note", "Expires", "IssuedAt"]
        );
        assert_eq!(
            smalls(&result, 4),
            [Some(1), Some(2), Some(1), Some(3), Some(3)],
            "SQL_PARAM_INPUT, SQL_PARAM_INPUT_OUTPUT, SQL_RESULT_COL"
        );
        assert_eq!(
            ints(&result, 17),
            [Some(1), Some(2), Some(3), Some(1), Some(2)],
            "position among the parameters, then in the result set"
        );
        assert_eq!(
            smalls(&result, 11),
            [Some(0), Some(1), Some(1), Some(1), Some(1)],
            "only the required input is SQL_NO_NULLS"
        );
        assert_eq!(names(&result, 18), ["NO", "YES", "YES", "YES", "YES"]);
        assert_eq!(names(&result, 12), ["about it"; 5]);
        assert_eq!(strings(&result, 13), [None, None, None, None, None]);
    }

    #[test]
    fn sql_procedure_columns_types_are_derived_as_for_table_columns() {
        let result = procedure_columns_result(&REGISTRY, &CatalogArgs::default()).expect("columns");
        assert_eq!(
            names(&result, 6),
            ["WVARCHAR", "WVARCHAR", "WVARCHAR", "BIGINT", "TIMESTAMP"]
        );
        assert_eq!(
            smalls(&result, 5),
            [Some(-9), Some(-9), Some(-9), Some(-5), Some(93)]
        );
        assert_eq!(
            ints(&result, 7),
            [Some(2048), Some(10), Some(100), Some(19), Some(23)]
        );
        assert_eq!(smalls(&result, 9), [None, None, None, Some(0), Some(3)]);
        assert_eq!(smalls(&result, 10), [None, None, None, Some(10), None]);
        assert_eq!(
            smalls(&result, 14),
            [Some(-9), Some(-9), Some(-9), Some(-5), Some(9)]
        );
        assert_eq!(smalls(&result, 15), [None, None, None, None, Some(3)]);
        let wide = |chars: i32| Some(chars * i32::try_from(crate::text::WIDE_UNIT).expect("fits"));
        assert_eq!(
            ints(&result, 16),
            [wide(2048), wide(10), wide(100), None, None]
        );
    }

    #[test]
    fn sql_procedure_columns_filters_by_column_pattern_keeping_positions() {
        let filter = procedure_args(None, Some("%E"));
        let result = procedure_columns_result(&REGISTRY, &filter).expect("columns");
        assert_eq!(names(&result, 3), ["Mode", "Note"]);
        assert_eq!(ints(&result, 17), [Some(2), Some(3)]);
        let filter = procedure_args(Some("Renew_Token"), Some("issued%"));
        let result = procedure_columns_result(&REGISTRY, &filter).expect("columns");
        assert_eq!(names(&result, 3), ["IssuedAt"]);
        assert_eq!(ints(&result, 17), [Some(2)]);
        let nothing = procedure_columns_result(&REGISTRY, &procedure_args(Some("GetUrl"), None))
            .expect("columns");
        assert_eq!((nothing.batch.num_rows(), nothing.columns.len()), (0, 19));
    }

    #[test]
    fn the_oauth_procedures_of_the_registry_are_listed() {
        let result = procedures_result(
            hubdb_sql::procedures(),
            &procedure_args(Some("%OAuth%"), None),
        )
        .expect("procedures");
        assert_eq!(
            names(&result, 2),
            [
                "GetOAuthAccessToken",
                "GetOAuthAuthorizationURL",
                "RefreshOAuthAccessToken"
            ]
        );
        assert_eq!(ints(&result, 3), [Some(4), Some(3), Some(1)]);
        let filter = procedure_args(Some("GetOAuthAccessToken"), None);
        let columns = procedure_columns_result(hubdb_sql::procedures(), &filter).expect("columns");
        assert_eq!(
            names(&columns, 3),
            [
                "AuthMode",
                "Verifier",
                "CallbackUrl",
                "State",
                "OAuthAccessToken",
                "OAuthRefreshToken",
                "ExpiresIn"
            ]
        );
        assert_eq!(
            smalls(&columns, 4),
            [
                Some(1),
                Some(1),
                Some(1),
                Some(1),
                Some(3),
                Some(3),
                Some(3)
            ]
        );
        assert_eq!(names(&columns, 6)[4..], ["WVARCHAR", "WVARCHAR", "BIGINT"]);
    }

    #[test]
    fn b29_catalog_text_columns_have_a_real_length() {
        let results = [
            tables_result(&catalog(), &CatalogArgs::default()).expect("tables"),
            columns_result(&[], &CatalogArgs::default()).expect("columns"),
            type_info_result(0).expect("types"),
            procedures_result(&[], &CatalogArgs::default()).expect("procedures"),
            procedure_columns_result(&[], &CatalogArgs::default()).expect("procedure columns"),
        ];
        for result in &results {
            for column in &result.columns {
                assert!(
                    describe::type_info(&column.sql_type).column_size > 0,
                    "{}",
                    column.name
                );
            }
        }
    }

    #[test]
    fn catalog_results_read_through_a_cursor() {
        use crate::cursor::{AppMemory, FetchOutcome, RowBinding};
        struct NoMemory;
        impl AppMemory for NoMemory {
            fn write(&mut self, _: usize, _: &[u8]) {}
            fn read_len(&self, _: usize) -> isize {
                0
            }
        }
        let mut cursor = tables_result(&catalog(), &CatalogArgs::default())
            .expect("tables")
            .into_cursor();
        let outcome = cursor
            .fetch(&RowBinding::default(), &mut NoMemory, Wait::default())
            .expect("fetch");
        assert!(matches!(outcome, FetchOutcome::Rows { rows: 1, .. }));
        let mut out = [0u8; 32];
        let got = cursor
            .get_data(3, 1, &RowBinding::default(), &mut out, true)
            .expect("name");
        assert!(matches!(got, crate::cursor::GetDataOutcome::Data(c) if c.indicator == 8));
        assert_eq!(&out[..9], b"my_table\0");
    }
}
