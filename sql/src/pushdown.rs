//! Which SQL predicates become HubDB row-query filters (reference §8.4, §8.5), and how
//! far HubDB's answer can be trusted.
//!
//! Pushdown is an optimisation only: the result of a query never depends on it (bug case
//! B04). A predicate is sent only where HubDB's operator, for that column's type, selects at
//! least the rows SQL selects. It is **exact** where HubDB selects exactly those rows: the
//! engine then neither re-checks it nor stops a LIMIT or a COUNT from going to HubDB. It is
//! **approximate** where HubDB may keep more rows (the engine re-checks every row), and
//! **engine** where nothing is sent. By operator and column type:
//!
//! | column (HubDB filter type) | `=` | `<>` | `<` `<=` `>` `>=` `BETWEEN` | `IN` | `IS [NOT] NULL` | `LIKE`, `ILIKE` |
//! |---|---|---|---|---|---|---|
//! | `Id` (`hs_id`) | exact | exact | exact | exact | (never null) | engine |
//! | NUMBER | exact | approximate | exact | exact | exact | engine |
//! | DATE, DATETIME, `CreatedAt` (`hs_created_at`) | exact | approximate | exact | engine | exact | engine |
//! | CURRENCY | approximate | engine | approximate | engine | exact | engine |
//! | TEXT, RICHTEXT, URL, `PagePath`, `PageName` | approximate | approximate | engine | approximate | exact | approximate |
//! | SELECT | approximate | approximate | engine | approximate | exact | engine |
//! | BOOLEAN (also `WHERE flag`, `WHERE NOT flag`) | exact | exact | engine | engine | (never null) | engine |
//! | anything else, `UpdatedAt`, `PublishedAt`, `ChildTableId`, LOCATION coordinates | engine | engine | engine | engine | engine | engine |
//!
//! Why: empty cells fail HubDB's positive tests as NULL fails SQL's, but `ne` keeps them
//! where SQL's `<>` does not (§15 sandbox rule), so `<>` is approximate unless the column is
//! never empty. HubDB compares numbers and epoch milliseconds as SQL does, and a DATE cell is
//! always midnight UTC (§5), so ordered tests on them are exact. A CURRENCY value is shown
//! rounded to four decimals, so its bounds are widened by one unit of the fourth decimal and
//! re-checked. Text case and collation rules of `eq` and `in` are unconfirmed (§8.5), so text
//! tests are re-checked and text is never ordered by HubDB; `in` trims its items, so an item
//! with outer spaces or a comma is not sent. LIKE sends the longest literal run of the
//! pattern to `icontains` (bug case B05), a superset whatever HubDB's case rule. A digit-only
//! SELECT value may be read as an option id by HubDB, so it stays local. DATE and DATETIME
//! take no `in` (§8.5), MULTISELECT and the other JSON-valued types no SQL comparison that
//! HubDB shares. Each operator can be switched off (`PushdownOptions`); its predicates then
//! run in the engine.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{
    Between, BinaryExpr, Expr, Like, Operator, TableProviderFilterPushDown,
};
use hubdb::{ColumnType, Filter, FilterOp};

use crate::layout::{LayoutColumn, Source, SystemColumn, TableLayout};

const MS_PER_DAY: i64 = 86_400_000;

/// One unit of the fourth decimal: CURRENCY values are shown as DECIMAL(19,4).
const CURRENCY_UNIT: f64 = 0.0001;

/// Who evaluates a predicate of a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evaluation {
    /// HubDB alone: the filters select exactly the rows SQL selects.
    Exact,
    /// HubDB first, then the engine re-checks every row HubDB returns.
    Approximate,
    /// The engine alone: nothing is sent.
    Engine,
}

/// The filters one predicate becomes, and whether HubDB evaluates it exactly.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Pushed {
    pub(crate) filters: Vec<Filter>,
    pub(crate) exact: bool,
}

impl Pushed {
    pub(crate) fn evaluation(pushed: Option<&Pushed>) -> Evaluation {
        match pushed {
            Some(p) if p.exact => Evaluation::Exact,
            Some(_) => Evaluation::Approximate,
            None => Evaluation::Engine,
        }
    }

    /// What DataFusion is told. Predicates left to the engine are reported as inexact too,
    /// so that the scan sees every predicate and the plan can list it; DataFusion keeps a
    /// filter above the scan for all but the exact ones.
    pub(crate) fn support(pushed: Option<&Pushed>) -> TableProviderFilterPushDown {
        match Pushed::evaluation(pushed) {
            Evaluation::Exact => TableProviderFilterPushDown::Exact,
            _ => TableProviderFilterPushDown::Inexact,
        }
    }

    /// `Id = n`: the predicate a single-row read answers. Row ids are positive, and the row
    /// endpoint refuses any other number with a 400 where the listing's filter simply
    /// matches nothing, so only a positive id becomes a row read.
    pub(crate) fn row_id(&self) -> Option<i64> {
        match self.filters.as_slice() {
            [filter]
                if filter.column == SystemColumn::Id.hubdb_name()
                    && filter.op == FilterOp::Eq
                    && self.exact =>
            {
                filter.value.parse().ok().filter(|id| *id > 0)
            }
            _ => None,
        }
    }
}

/// What HubDB can do with a column: the type its filters treat it as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FilterKind {
    /// `hs_id`: an integer that is never empty.
    RowId,
    /// NUMBER: ordered comparisons and `in`.
    Number,
    /// DATE, DATETIME, `hs_created_at`: ordered comparisons on epoch milliseconds.
    Time,
    /// CURRENCY: a number shown rounded to four decimals.
    Currency,
    /// TEXT, RICHTEXT, URL, `hs_path`, `hs_name`: equality and substring operators.
    Text,
    /// SELECT: equality by option name.
    Select,
    /// BOOLEAN: `1`/`0`, an empty cell is 0 in HubDB and in SQL.
    Boolean,
}

fn filter_kind(column: &LayoutColumn) -> Option<FilterKind> {
    match &column.source {
        Source::System(SystemColumn::Id) => Some(FilterKind::RowId),
        Source::System(SystemColumn::CreatedAt) => Some(FilterKind::Time),
        Source::System(SystemColumn::PagePath | SystemColumn::PageName) => Some(FilterKind::Text),
        Source::System(_) | Source::Location(..) => None,
        Source::Cell(cell) => match cell.column_type {
            ColumnType::Number => Some(FilterKind::Number),
            ColumnType::Date | ColumnType::DateTime => Some(FilterKind::Time),
            ColumnType::Currency => Some(FilterKind::Currency),
            ColumnType::Text | ColumnType::RichText | ColumnType::Url => Some(FilterKind::Text),
            ColumnType::Select => Some(FilterKind::Select),
            ColumnType::Boolean => Some(FilterKind::Boolean),
            _ => None,
        },
    }
}

/// Whether HubDB's answer for this kind of column and this operator is exactly SQL's.
fn is_exact(kind: FilterKind, op: FilterOp) -> bool {
    match kind {
        FilterKind::RowId | FilterKind::Boolean => true,
        FilterKind::Number | FilterKind::Time => op != FilterOp::Ne,
        FilterKind::Currency | FilterKind::Text | FilterKind::Select => {
            matches!(op, FilterOp::IsNull | FilterOp::NotNull)
        }
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

/// The filters of one predicate, exact when every one of them is.
fn pushed(filters: Vec<Filter>, kind: FilterKind) -> Option<Pushed> {
    let exact = filters.iter().all(|f| is_exact(kind, f.op));
    Some(Pushed { filters, exact })
}

fn comparison(binary: &BinaryExpr, layout: &TableLayout) -> Option<Pushed> {
    let (column_expr, op, literal) = match (literal_of(&binary.left), literal_of(&binary.right)) {
        (None, Some(value)) => (&binary.left, binary.op, value),
        (Some(value), None) => (&binary.right, binary.op.swap()?, value),
        _ => return None,
    };
    let (column, kind) = column_of(column_expr, layout)?;
    if kind == FilterKind::Currency {
        return currency_comparison(column, op, literal);
    }
    let ordered = matches!(
        kind,
        FilterKind::RowId | FilterKind::Number | FilterKind::Time
    );
    let op = match op {
        Operator::Eq => FilterOp::Eq,
        Operator::NotEq => FilterOp::Ne,
        Operator::Lt if ordered => FilterOp::Lt,
        Operator::LtEq if ordered => FilterOp::Lte,
        Operator::Gt if ordered => FilterOp::Gt,
        Operator::GtEq if ordered => FilterOp::Gte,
        _ => return None,
    };
    let value = wire_value(column, kind, literal)?;
    // `flag <> true` is `flag = 0`: a BOOLEAN cell is never empty.
    let (op, value) = match (kind, op) {
        (FilterKind::Boolean, FilterOp::Ne) => (FilterOp::Eq, flip_flag(&value)),
        _ => (op, value),
    };
    pushed(vec![filter(column, op, value)?], kind)
}

fn flip_flag(value: &str) -> String {
    if value == "1" { "0" } else { "1" }.to_string()
}

/// CURRENCY: SQL compares the value rounded to four decimals, HubDB the stored number, so
/// the bounds are widened by one unit and the engine re-checks (approximate).
fn currency_comparison(
    column: &LayoutColumn,
    op: Operator,
    literal: &ScalarValue,
) -> Option<Pushed> {
    let value: f64 = ordered_value(column, literal)?.parse().ok()?;
    let low = format_number(value - CURRENCY_UNIT);
    let high = format_number(value + CURRENCY_UNIT);
    let filters = match op {
        Operator::Eq => vec![
            filter(column, FilterOp::Gte, low)?,
            filter(column, FilterOp::Lte, high)?,
        ],
        Operator::Lt | Operator::LtEq => vec![filter(column, FilterOp::Lte, high)?],
        Operator::Gt | Operator::GtEq => vec![filter(column, FilterOp::Gte, low)?],
        _ => return None,
    };
    pushed(filters, FilterKind::Currency)
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

/// `IN` sends one comma-separated parameter (§8.4) whose items HubDB trims: values holding
/// a comma or outer spaces cannot be sent. DATE and DATETIME take no `in` (§8.5).
fn in_list(column: &LayoutColumn, kind: FilterKind, values: Vec<String>) -> Option<Pushed> {
    let sendable = |v: &String| !v.contains(',') && v.trim() == v && !v.is_empty();
    let takes_in = matches!(
        kind,
        FilterKind::RowId | FilterKind::Number | FilterKind::Text | FilterKind::Select
    );
    if values.is_empty() || !takes_in || !values.iter().all(sendable) {
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
    let ordered = matches!(
        kind,
        FilterKind::RowId | FilterKind::Number | FilterKind::Time
    );
    if between.negated || !ordered {
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
        (FilterKind::Number | FilterKind::Time | FilterKind::Currency, _) => {
            ordered_value(column, value)
        }
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
