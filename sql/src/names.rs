//! Case-insensitive names (DESIGN "Catalog and schemas": names match case-insensitively).
//!
//! DataFusion matches names exactly after lowering unquoted ones, while HubDB's system
//! columns are shown as `Id`, `CreatedAt`, ... and a quoted `"NAME"` must still find
//! `name`. Before planning, every table name is resolved against HubDB's metadata and
//! written fully qualified (`"HubDB"."Published"."products"`), and every identifier that
//! names a column of a referenced table is written with that column's exact spelling,
//! quoted. Other identifiers (aliases, functions) keep DataFusion's usual rules. The system
//! tables (`sys_tables`, ...) resolve to schema `sys`, qualified or not. `CRM.Owners` and
//! `HubDB.CRM.Owners` are the owners view; an unqualified `Owners` is the HubDB table of
//! that name if the account has one, else the owners view (`owners`).

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, LimitClause, ObjectName, ObjectNamePart, Query, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Statement, TopQuantity, Value, Visit, VisitMut,
    Visitor, VisitorMut,
};
use datafusion::sql::sqlparser::tokenizer::Span;
use hubdb::Version;

use crate::catalog::CATALOG;
use crate::error::{SqlError, SqlErrorKind};
use crate::layout::{TableLayout, schema_name};
use crate::metadata::{Metadata, version_of_schema};
use crate::owners::{CRM_SCHEMA, OWNERS_VIEW, OwnersColumn, is_crm_schema, is_owners};
use crate::system_tables::{SYSTEM_SCHEMA, SystemTable};

/// A table name as the statement wrote it: optional catalog and schema, then the name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct WrittenName(Vec<String>);

/// Rewrites the statement's table and column names to HubDB's spelling; returns the
/// layouts of the tables it reads.
pub(crate) async fn resolve_names(
    statement: &mut Statement,
    metadata: &Metadata,
) -> Result<Vec<TableLayout>, SqlError> {
    let mut collector = RelationCollector::default();
    let _ = Visit::visit(&*statement, &mut collector);

    let mut resolved = HashMap::new();
    let mut layouts = Vec::new();
    let mut system_tables = Vec::new();
    let mut owners = false;
    for written in collector.relations {
        if written.0.len() == 1 && collector.ctes.contains(&written.0[0].to_lowercase()) {
            continue;
        }
        if let Some(system) = system_table_of(&written) {
            let path = [CATALOG, SYSTEM_SCHEMA, system.name()].map(String::from);
            resolved.insert(written, path);
            system_tables.push(system);
            continue;
        }
        let (table, version) = match resolve_relation(&written, metadata).await? {
            Relation::Owners => {
                let path = [CATALOG, CRM_SCHEMA, OWNERS_VIEW].map(String::from);
                resolved.insert(written, path);
                owners = true;
                continue;
            }
            Relation::Table(table, version) => (table, version),
        };
        resolved.insert(
            written,
            [
                CATALOG.to_string(),
                schema_name(version).to_string(),
                table.name.clone(),
            ],
        );
        layouts.push(TableLayout::new(&table, version));
    }

    let mut rewriter = NameRewriter {
        relations: resolved,
        columns: column_spellings(&layouts, &system_tables, owners),
        qualifiers: qualifier_spellings(&layouts, &system_tables, owners),
        ctes: collector.ctes,
        error: None,
    };
    let _ = VisitMut::visit(statement, &mut rewriter);
    if let Some(error) = rewriter.error {
        return Err(error);
    }
    let mut bits = BitLiterals {
        columns: bit_columns(&layouts, owners),
    };
    let _ = VisitMut::visit(statement, &mut bits);
    Ok(layouts)
}

/// The exact spellings of BIT columns (HubDB BOOLEAN, the owners view's `Archived`) among
/// the referenced tables, unless another referenced column of that name is not a BIT.
fn bit_columns(layouts: &[TableLayout], owners: bool) -> HashSet<String> {
    use crate::types::SqlType;
    let layout_columns = layouts
        .iter()
        .flat_map(|l| &l.columns)
        .map(|c| (c.name.as_str(), c.sql_type));
    let owners_columns = OwnersColumn::ALL
        .into_iter()
        .filter(|_| owners)
        .map(|c| (c.name(), c.sql_type()));
    let columns: Vec<(&str, SqlType)> = layout_columns.chain(owners_columns).collect();
    let is_bit = |name: &str| {
        columns
            .iter()
            .filter(|(n, _)| *n == name)
            .all(|(_, t)| *t == SqlType::Bit)
    };
    columns
        .iter()
        .filter(|(name, _)| is_bit(name))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// `flag = 1`, `flag <> 0`, `1 = flag`: ODBC applications compare a BIT column with the
/// numbers 0 and 1 (SQL_BIT is a number to them, reference/odbc.md), which DataFusion's
/// Boolean will not compare with an integer. Against a BIT column, those two literals are
/// written as FALSE and TRUE; any other number is left for the planner to refuse.
struct BitLiterals {
    columns: HashSet<String>,
}

impl BitLiterals {
    fn names_bit(&self, expr: &Expr) -> bool {
        let ident = match expr {
            Expr::Identifier(ident) => ident,
            Expr::CompoundIdentifier(parts) => match parts.last() {
                Some(ident) => ident,
                None => return false,
            },
            Expr::Nested(inner) => return self.names_bit(inner),
            _ => return false,
        };
        self.columns.contains(&ident.value)
    }
}

/// The boolean a `0` or `1` literal stands for.
fn bit_value(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Value(value) => match &value.value {
            Value::Number(n, _) if n == "0" => Some(false),
            Value::Number(n, _) if n == "1" => Some(true),
            _ => None,
        },
        Expr::Nested(inner) => bit_value(inner),
        _ => None,
    }
}

impl VisitorMut for BitLiterals {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        use datafusion::sql::sqlparser::ast::BinaryOperator::*;
        let boolean = |b: bool| Expr::Value(Value::Boolean(b).into());
        match expr {
            Expr::BinaryOp {
                left,
                op: Eq | NotEq | Lt | LtEq | Gt | GtEq,
                right,
            } => {
                if self.names_bit(left) {
                    if let Some(b) = bit_value(right) {
                        **right = boolean(b);
                    }
                } else if self.names_bit(right)
                    && let Some(b) = bit_value(left)
                {
                    **left = boolean(b);
                }
            }
            Expr::InList {
                expr: column, list, ..
            } if self.names_bit(column) => {
                for item in list.iter_mut() {
                    if let Some(b) = bit_value(item) {
                        *item = boolean(b);
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// The system table a written name means: `sys_tables`, `sys.sys_tables` or
/// `HubDB.sys.sys_tables` (any case). An unqualified system table name wins over a HubDB
/// table of the same name, which stays reachable as `Published.<name>` or `Draft.<name>`.
fn system_table_of(written: &WrittenName) -> Option<SystemTable> {
    let is_sys = |schema: &str| schema.eq_ignore_ascii_case(SYSTEM_SCHEMA);
    match written.0.as_slice() {
        [name] => SystemTable::named(name),
        [schema, name] if is_sys(schema) => SystemTable::named(name),
        [catalog, schema, name] if catalog.eq_ignore_ascii_case(CATALOG) && is_sys(schema) => {
            SystemTable::named(name)
        }
        _ => None,
    }
}

/// What a written table name reads.
enum Relation {
    Table(hubdb::Table, Version),
    Owners,
}

/// `CRM.Owners` and `HubDB.CRM.Owners` are the owners view. The unqualified `Owners` is the
/// HubDB table of that name when there is one (HubDB tables keep their unqualified names),
/// else the view; a failure to read HubDB's table lists is not taken for "no such table".
async fn resolve_relation(
    written: &WrittenName,
    metadata: &Metadata,
) -> Result<Relation, SqlError> {
    match written.0.as_slice() {
        [schema, name] if is_crm_schema(schema) => crm_view(name),
        [catalog, schema, name]
            if catalog.eq_ignore_ascii_case(CATALOG) && is_crm_schema(schema) =>
        {
            crm_view(name)
        }
        [name] if is_owners(name) => match metadata.resolve(None, name).await {
            Ok((table, version)) => Ok(Relation::Table(table, version)),
            Err(e) if matches!(e.kind, SqlErrorKind::TableNotFound) => Ok(Relation::Owners),
            Err(e) => Err(e),
        },
        _ => {
            let (table, version) = resolve_written(written, metadata).await?;
            Ok(Relation::Table(table, version))
        }
    }
}

fn crm_view(name: &str) -> Result<Relation, SqlError> {
    crate::owners::check_crm_view(name).map(|()| Relation::Owners)
}

async fn resolve_written(
    written: &WrittenName,
    metadata: &Metadata,
) -> Result<(hubdb::Table, Version), SqlError> {
    match written.0.as_slice() {
        [name] => metadata.resolve(None, name).await,
        [schema, name] => metadata.resolve(Some(schema_version(schema)?), name).await,
        [catalog, schema, name] if catalog.eq_ignore_ascii_case(CATALOG) => {
            metadata.resolve(Some(schema_version(schema)?), name).await
        }
        _ => Err(SqlError::table_not_found(format!(
            "table '{}' does not exist: tables are HubDB.Published.<name> or HubDB.Draft.<name>",
            written.0.join(".")
        ))),
    }
}

fn schema_version(schema: &str) -> Result<Version, SqlError> {
    version_of_schema(schema).ok_or_else(|| {
        SqlError::table_not_found(format!(
            "schema '{schema}' does not exist: the schemas are Published and Draft"
        ))
    })
}

/// Lower-cased column name to its exact spelling, over all referenced tables; a name
/// spelled differently in two tables (e.g. `Id` and a table's own `id`) is left alone.
fn column_spellings(
    layouts: &[TableLayout],
    system_tables: &[SystemTable],
    owners: bool,
) -> HashMap<String, Option<String>> {
    let mut spellings: HashMap<String, Option<String>> = HashMap::new();
    let mut names: Vec<&str> = layouts
        .iter()
        .flat_map(|l| &l.columns)
        .map(|c| c.name.as_str())
        .collect();
    let owners_columns = crate::owners::column_names().filter(|_| owners);
    for name in system_tables
        .iter()
        .flat_map(|t| t.column_names())
        .chain(owners_columns)
    {
        names.push(name);
    }
    for name in names {
        let entry = spellings
            .entry(name.to_lowercase())
            .or_insert_with(|| Some(name.to_string()));
        if entry.as_deref() != Some(name) {
            *entry = None;
        }
    }
    spellings
}

/// Catalog, schema and table names a compound identifier may start with.
fn qualifier_spellings(
    layouts: &[TableLayout],
    system_tables: &[SystemTable],
    owners: bool,
) -> HashMap<String, String> {
    let mut spellings: HashMap<String, String> = layouts
        .iter()
        .map(|l| (l.table.to_lowercase(), l.table.clone()))
        .collect();
    for table in system_tables {
        spellings.insert(table.name().to_string(), table.name().to_string());
    }
    if owners {
        spellings
            .entry(OWNERS_VIEW.to_lowercase())
            .or_insert_with(|| OWNERS_VIEW.to_string());
        spellings.insert(CRM_SCHEMA.to_lowercase(), CRM_SCHEMA.to_string());
    }
    for name in [
        CATALOG,
        schema_name(Version::Published),
        schema_name(Version::Draft),
        SYSTEM_SCHEMA,
    ] {
        spellings.insert(name.to_lowercase(), name.to_string());
    }
    spellings
}

fn object_name_parts(name: &ObjectName) -> Option<Vec<String>> {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident.value.clone()),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

fn quoted(value: &str, like: &Ident) -> Ident {
    Ident::with_quote_and_span('"', like.span, value)
}

/// First pass: the table names a statement reads, and the names of its CTEs.
#[derive(Default)]
struct RelationCollector {
    relations: Vec<WrittenName>,
    ctes: HashSet<String>,
}

impl Visitor for RelationCollector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.insert(cte.alias.name.value.to_lowercase());
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        if let Some(parts) = object_name_parts(relation) {
            let written = WrittenName(parts);
            if !self.relations.contains(&written) {
                self.relations.push(written);
            }
        }
        ControlFlow::Continue(())
    }
}

/// Second pass: writes resolved names, and turns `SELECT TOP n` into `LIMIT n`.
struct NameRewriter {
    relations: HashMap<WrittenName, [String; 3]>,
    columns: HashMap<String, Option<String>>,
    qualifiers: HashMap<String, String>,
    ctes: HashSet<String>,
    error: Option<SqlError>,
}

impl NameRewriter {
    fn column_ident(&self, ident: &Ident) -> Option<Ident> {
        let spelling = self.columns.get(&ident.value.to_lowercase())?.as_ref()?;
        Some(quoted(spelling, ident))
    }

    fn qualifier_ident(&self, ident: &Ident) -> Option<Ident> {
        let key = ident.value.to_lowercase();
        if self.ctes.contains(&key) {
            return None;
        }
        self.qualifiers
            .get(&key)
            .map(|spelling| quoted(spelling, ident))
    }
}

impl NameRewriter {
    /// Two kinds of select item name things the expression visitor does not reach:
    /// - `t.*` names the table as the statement wrote it, which is now written in full;
    /// - an alias spelled like a column (`floor_area AS Id`): the column's references are
    ///   rewritten to its exact, quoted spelling, so the alias is too, or `ORDER BY Id`
    ///   would find the column before the alias, against SQL's rule that the select list's
    ///   names come first.
    fn rewrite_select_items(&self, items: &mut [SelectItem]) {
        for item in items {
            match item {
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(name),
                    _,
                ) => {
                    // Names match case-insensitively (DESIGN "Catalog and schemas").
                    let resolved = object_name_parts(name).and_then(|parts| {
                        self.relations.iter().find_map(|(written, path)| {
                            let same = written.0.len() == parts.len()
                                && written
                                    .0
                                    .iter()
                                    .zip(&parts)
                                    .all(|(a, b)| a.eq_ignore_ascii_case(b));
                            same.then_some(path)
                        })
                    });
                    if let Some(resolved) = resolved {
                        name.0 = resolved
                            .iter()
                            .map(|part| ObjectNamePart::Identifier(Ident::with_quote('"', part)))
                            .collect();
                    }
                }
                SelectItem::ExprWithAlias { alias, .. } => {
                    if let Some(spelled) = self.column_ident(alias) {
                        *alias = spelled;
                    }
                }
                _ => {}
            }
        }
    }
}

impl VisitorMut for NameRewriter {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Err(error) = top_to_limit(query) {
            self.error = Some(error);
            return ControlFlow::Break(());
        }
        if let SetExpr::Select(select) = query.body.as_mut() {
            self.rewrite_select_items(&mut select.projection);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        let Some(parts) = object_name_parts(relation) else {
            return ControlFlow::Continue(());
        };
        if let Some(resolved) = self.relations.get(&WrittenName(parts)) {
            let span = match relation.0.last() {
                Some(ObjectNamePart::Identifier(ident)) => ident.span,
                _ => Span::empty(),
            };
            relation.0 = resolved
                .iter()
                .map(|name| ObjectNamePart::Identifier(Ident::with_quote_and_span('"', span, name)))
                .collect();
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(ident) => {
                if let Some(spelled) = self.column_ident(ident) {
                    *ident = spelled;
                }
            }
            Expr::CompoundIdentifier(parts) => {
                let last = parts.len().saturating_sub(1);
                for (index, ident) in parts.iter_mut().enumerate() {
                    let spelled = if index == last {
                        self.column_ident(ident)
                    } else {
                        self.qualifier_ident(ident)
                    };
                    if let Some(spelled) = spelled {
                        *ident = spelled;
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// `SELECT TOP n ...` (SQL Server, Access; Tableau and Power BI send it, bug case B06)
/// is `... LIMIT n`.
fn top_to_limit(query: &mut Query) -> Result<(), SqlError> {
    let SetExpr::Select(select) = query.body.as_mut() else {
        return Ok(());
    };
    let Some(top) = select.top.take() else {
        return Ok(());
    };
    if top.percent || top.with_ties {
        return Err(SqlError::unsupported(
            "TOP ... PERCENT and TOP ... WITH TIES are not supported",
        ));
    }
    if query.limit_clause.is_some() {
        return Err(SqlError::syntax(
            "syntax error: TOP and LIMIT in the same query",
        ));
    }
    let limit = match top.quantity {
        Some(TopQuantity::Constant(n)) => Expr::value(Value::Number(n.to_string(), false)),
        Some(TopQuantity::Expr(expr)) => expr,
        None => return Err(SqlError::syntax("syntax error: TOP without a row count")),
    };
    query.limit_clause = Some(LimitClause::LimitOffset {
        limit: Some(limit),
        offset: None,
        limit_by: Vec::new(),
    });
    Ok(())
}
