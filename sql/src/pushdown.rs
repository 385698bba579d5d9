//! Which SQL predicates become HubDB row-query filters (reference §8.4, §8.5).
//!
//! Pushdown is an optimisation only: the result of a query never depends on it (bug case
//! B04). A predicate is sent only where HubDB's operator, for that column type, selects a
//! superset of the rows SQL selects; the engine then re-checks it (`Inexact`). Only
//! predicates on the row id, which is never empty and compares as an integer in HubDB and
//! in SQL alike, are `Exact`. The open questions behind this rule: how HubDB's operators
//! treat empty cells (an empty BOOLEAN is 0), case and collation of text, and whether a
//! digit-only SELECT value is taken as an option id (§8.5 "SELECT filters").

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{
    Between, BinaryExpr, Expr, Like, Operator, TableProviderFilterPushDown,
};
use hubdb::{ColumnType, Filter, FilterOp};

use crate::layout::{LayoutColumn, Source, SystemColumn, TableLayout};

const MS_PER_DAY: i64 = 86_400_000;

/// The filters one predicate becomes, and whether HubDB evaluates it exactly.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Pushed {
    pub(crate) filters: Vec<Filter>,
    pub(crate) exact: bool,
}

impl Pushed {
    pub(crate) fn support(pushed: Option<&Pushed>) -> TableProviderFilterPushDown {
        match pushed {
            Some(p) if p.exact => TableProviderFilterPushDown::Exact,
            Some(_) => TableProviderFilterPushDown::Inexact,
            None => TableProviderFilterPushDown::Unsupported,
        }
    }
}

/// What HubDB can do with a column: the type its filters treat it as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FilterKind {
    /// `hs_id`: an integer that is never empty.
    RowId,
    /// NUMBER, CURRENCY, DATE, DATETIME, `hs_created_at`: ordered comparisons.
    Ordered,
    /// TEXT, RICHTEXT, URL, `hs_path`, `hs_name`: equality and substring operators.
    Text,
    /// SELECT: equality by option name.
    Select,
    Boolean,
}

fn filter_kind(column: &LayoutColumn) -> Option<FilterKind> {
    match &column.source {
        Source::System(SystemColumn::Id) => Some(FilterKind::RowId),
        Source::System(SystemColumn::CreatedAt) => Some(FilterKind::Ordered),
        Source::System(SystemColumn::PagePath | SystemColumn::PageName) => Some(FilterKind::Text),
        Source::System(_) | Source::Location(..) => None,
        Source::Cell(cell) => match cell.column_type {
            ColumnType::Number | ColumnType::Currency | ColumnType::Date | ColumnType::DateTime => {
                Some(FilterKind::Ordered)
            }
            ColumnType::Text | ColumnType::RichText | ColumnType::Url => Some(FilterKind::Text),
            ColumnType::Select => Some(FilterKind::Select),
            ColumnType::Boolean => Some(FilterKind::Boolean),
            _ => None,
        },
    }
}

/// The filters for one conjunct of a WHERE clause, or `None` when it stays local.
pub(crate) fn push_down(expr: &Expr, layout: &TableLayout) -> Option<Pushed> {
    match expr {
        Expr::BinaryExpr(binary) if binary.op == Operator::Or => any_of(expr, layout),
        Expr::BinaryExpr(binary) => comparison(binary, layout),
        Expr::InList(list) if !list.negated => {
            let (column, kind) = column_of(&list.expr, layout)?;
            let values = list
                .list
                .iter()
                .map(|item| literal_of(item).and_then(|v| wire_value(column, kind, v)))
                .collect::<Option<Vec<_>>>()?;
            in_list(column, kind, values)
        }
        Expr::IsNull(inner) => null_test(inner, layout, FilterOp::IsNull),
        Expr::IsNotNull(inner) => null_test(inner, layout, FilterOp::NotNull),
        Expr::Between(between) => range(between, layout),
        Expr::Like(like) => like_prefilter(like, layout),
        Expr::Column(_) => boolean_test(expr, layout, "1"),
        Expr::Not(inner) if matches!(inner.as_ref(), Expr::Column(_)) => {
            boolean_test(inner, layout, "0")
        }
        _ => None,
    }
}

fn column_of<'a>(expr: &Expr, layout: &'a TableLayout) -> Option<(&'a LayoutColumn, FilterKind)> {
    let column = match expr {
        Expr::Column(c) => layout.column(&c.name)?,
        _ => return None,
    };
    Some((column, filter_kind(column)?))
}

fn literal_of(expr: &Expr) -> Option<&ScalarValue> {
    match expr {
        Expr::Literal(value, _) if !value.is_null() => Some(value),
        _ => None,
    }
}

fn filter(column: &LayoutColumn, op: FilterOp, value: String) -> Option<Filter> {
    Some(Filter {
        column: column.hubdb_filter_name()?.to_string(),
        op,
        value,
    })
}

fn pushed(filters: Vec<Filter>, kind: FilterKind) -> Option<Pushed> {
    Some(Pushed {
        filters,
        exact: kind == FilterKind::RowId,
    })
}

fn comparison(binary: &BinaryExpr, layout: &TableLayout) -> Option<Pushed> {
    let (column_expr, op, literal) = match (literal_of(&binary.left), literal_of(&binary.right)) {
        (None, Some(value)) => (&binary.left, binary.op, value),
        (Some(value), None) => (&binary.right, binary.op.swap()?, value),
        _ => return None,
    };
    let (column, kind) = column_of(column_expr, layout)?;
    let op = match (op, kind) {
        (Operator::Eq, _) => FilterOp::Eq,
        (Operator::NotEq, FilterKind::RowId | FilterKind::Ordered | FilterKind::Text) => {
            FilterOp::Ne
        }
        (Operator::Lt, FilterKind::RowId | FilterKind::Ordered) => FilterOp::Lt,
        (Operator::LtEq, FilterKind::RowId | FilterKind::Ordered) => FilterOp::Lte,
        (Operator::Gt, FilterKind::RowId | FilterKind::Ordered) => FilterOp::Gt,
        (Operator::GtEq, FilterKind::RowId | FilterKind::Ordered) => FilterOp::Gte,
        _ => return None,
    };
    let value = wire_value(column, kind, literal)?;
    pushed(vec![filter(column, op, value)?], kind)
}

/// `a = 1 OR a = 2` (DataFusion writes short IN lists this way) is `a IN (1, 2)`.
fn any_of(expr: &Expr, layout: &TableLayout) -> Option<Pushed> {
    let mut alternatives = Vec::new();
    collect_alternatives(expr, &mut alternatives)?;
    let first = alternatives.first()?.0;
    let (column, kind) = column_of(first, layout)?;
    if alternatives.iter().any(|(c, _)| *c != first) {
        return None;
    }
    let values = alternatives
        .iter()
        .map(|(_, value)| wire_value(column, kind, value))
        .collect::<Option<Vec<_>>>()?;
    in_list(column, kind, values)
}

/// The `column = literal` alternatives of an OR tree, or `None` if it has others.
fn collect_alternatives<'a>(
    expr: &'a Expr,
    out: &mut Vec<(&'a Expr, &'a ScalarValue)>,
) -> Option<()> {
    let Expr::BinaryExpr(binary) = expr else {
        return None;
    };
    match binary.op {
        Operator::Or => {
            collect_alternatives(&binary.left, out)?;
            collect_alternatives(&binary.right, out)
        }
        Operator::Eq => {
            let pair = match (literal_of(&binary.left), literal_of(&binary.right)) {
                (None, Some(value)) => (binary.left.as_ref(), value),
                (Some(value), None) => (binary.right.as_ref(), value),
                _ => return None,
            };
            out.push(pair);
            Some(())
        }
        _ => None,
    }
}

/// `IN` sends one comma-separated parameter (§8.4); values holding a comma cannot be sent.
fn in_list(column: &LayoutColumn, kind: FilterKind, values: Vec<String>) -> Option<Pushed> {
    if values.is_empty() || kind == FilterKind::Boolean || values.iter().any(|v| v.contains(',')) {
        return None;
    }
    pushed(vec![filter(column, FilterOp::In, values.join(","))?], kind)
}

/// `is_null`/`not_null` exist for every type but BOOLEAN (§8.5).
fn null_test(inner: &Expr, layout: &TableLayout, op: FilterOp) -> Option<Pushed> {
    let (column, kind) = column_of(inner, layout)?;
    if matches!(kind, FilterKind::Boolean | FilterKind::RowId) {
        return None;
    }
    pushed(vec![filter(column, op, String::new())?], kind)
}

fn range(between: &Between, layout: &TableLayout) -> Option<Pushed> {
    let (column, kind) = column_of(&between.expr, layout)?;
    if between.negated || !matches!(kind, FilterKind::RowId | FilterKind::Ordered) {
        return None;
    }
    let low = wire_value(column, kind, literal_of(&between.low)?)?;
    let high = wire_value(column, kind, literal_of(&between.high)?)?;
    let filters = vec![
        filter(column, FilterOp::Gte, low)?,
        filter(column, FilterOp::Lte, high)?,
    ];
    pushed(filters, kind)
}

/// `WHERE flag` / `WHERE NOT flag` on a BOOLEAN column.
fn boolean_test(expr: &Expr, layout: &TableLayout, value: &str) -> Option<Pushed> {
    let (column, kind) = column_of(expr, layout)?;
    if kind != FilterKind::Boolean {
        return None;
    }
    pushed(vec![filter(column, FilterOp::Eq, value.to_string())?], kind)
}

/// LIKE is only a pre-filter (bug case B05): HubDB's `like` wildcards are unconfirmed, so
/// the longest run of literal characters is sent to `icontains`, which matches every row
/// the pattern can match whatever the case rule; the engine applies the LIKE itself.
fn like_prefilter(like: &Like, layout: &TableLayout) -> Option<Pushed> {
    let (column, kind) = column_of(&like.expr, layout)?;
    if like.negated || kind != FilterKind::Text {
        return None;
    }
    let pattern = match literal_of(&like.pattern)? {
        ScalarValue::Utf8(Some(p))
        | ScalarValue::LargeUtf8(Some(p))
        | ScalarValue::Utf8View(Some(p)) => p,
        _ => return None,
    };
    let run = longest_literal_run(pattern, like.escape_char.unwrap_or('\\'));
    if run.is_empty() || run.contains(',') {
        return None;
    }
    pushed(
        vec![filter(column, FilterOp::IContains, run)?],
        FilterKind::Text,
    )
}

/// The longest stretch of a LIKE pattern without `%` or `_`, escapes resolved.
pub(crate) fn longest_literal_run(pattern: &str, escape: char) -> String {
    let mut best = String::new();
    let mut current = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == escape {
            match chars.next() {
                Some(escaped) => current.push(escaped),
                None => current.push(c),
            }
        } else if c == '%' || c == '_' {
            if current.chars().count() > best.chars().count() {
                best = std::mem::take(&mut current);
            }
            current.clear();
        } else {
            current.push(c);
        }
    }
    if current.chars().count() > best.chars().count() {
        best = current;
    }
    best
}

/// A literal in HubDB's wire form for this column (reference §5, §8.5): epoch ms for
/// dates and times, `1`/`0` for booleans, option names for SELECT.
fn wire_value(column: &LayoutColumn, kind: FilterKind, value: &ScalarValue) -> Option<String> {
    match (kind, value) {
        (FilterKind::Boolean, ScalarValue::Boolean(Some(b))) => {
            Some(if *b { "1" } else { "0" }.into())
        }
        (FilterKind::Text, _) => text_value(value),
        // A digit-only value may be read as an option id by HubDB (§8.5), so it stays local.
        (FilterKind::Select, _) => {
            text_value(value).filter(|v| !v.chars().all(|c| c.is_ascii_digit()))
        }
        (FilterKind::RowId, _) => integer_value(value),
        (FilterKind::Ordered, _) => ordered_value(column, value),
        _ => None,
    }
}

fn text_value(value: &ScalarValue) -> Option<String> {
    match value {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.clone()),
        _ => None,
    }
}

fn integer_value(value: &ScalarValue) -> Option<String> {
    match value {
        ScalarValue::Int8(Some(v)) => Some(v.to_string()),
        ScalarValue::Int16(Some(v)) => Some(v.to_string()),
        ScalarValue::Int32(Some(v)) => Some(v.to_string()),
        ScalarValue::Int64(Some(v)) => Some(v.to_string()),
        ScalarValue::UInt8(Some(v)) => Some(v.to_string()),
        ScalarValue::UInt16(Some(v)) => Some(v.to_string()),
        ScalarValue::UInt32(Some(v)) => Some(v.to_string()),
        ScalarValue::UInt64(Some(v)) => Some(v.to_string()),
        _ => None,
    }
}

fn ordered_value(column: &LayoutColumn, value: &ScalarValue) -> Option<String> {
    let is_date = matches!(&column.source, Source::Cell(c) if c.column_type == ColumnType::Date);
    match value {
        ScalarValue::Float64(Some(v)) if v.is_finite() => Some(format_number(*v)),
        ScalarValue::Float32(Some(v)) if v.is_finite() => Some(format_number(f64::from(*v))),
        ScalarValue::Decimal128(Some(v), _, scale) => Some(decimal_text(*v, *scale)),
        ScalarValue::Date32(Some(days)) if is_date => {
            Some((i64::from(*days) * MS_PER_DAY).to_string())
        }
        ScalarValue::TimestampMillisecond(Some(ms), _) if !is_date => Some(ms.to_string()),
        ScalarValue::TimestampSecond(Some(s), _) if !is_date => Some((s * 1000).to_string()),
        other if !is_date => integer_value(other),
        _ => None,
    }
}

/// Shortest text that reads back as the same double, without a trailing `.0`.
pub(crate) fn format_number(value: f64) -> String {
    let text = value.to_string();
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// An unscaled decimal as text, e.g. `(12345, 4)` as `1.2345`.
pub(crate) fn decimal_text(unscaled: i128, scale: i8) -> String {
    if scale <= 0 {
        return (unscaled * 10i128.pow(u32::from(scale.unsigned_abs()))).to_string();
    }
    let scale = scale as usize;
    let digits = unscaled.unsigned_abs().to_string();
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int_part, frac_part) = padded.split_at(padded.len() - scale);
    let frac_part = frac_part.trim_end_matches('0');
    let sign = if unscaled < 0 { "-" } else { "" };
    if frac_part.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    }
}
