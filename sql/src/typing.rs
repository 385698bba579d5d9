//! Exact lengths for computed text columns, from the plan alone (SQLPrepare + SQLDescribeCol
//! without fetching; reference/odbc.md §1.11, Tableau's first metadata strategy).
//!
//! Arrow's string type carries no length, so text SQL computes would all describe as
//! `WLONGVARCHAR(65000)`. Where the length follows from the expression it is reported
//! instead: `UPPER(name)` on a TEXT column is `WVARCHAR(10000)`, a concatenation adds its
//! parts, a CASE takes its longest branch, a number or date shown as text its display width.
//! Numeric results need nothing here: their Arrow types are exact (`COUNT(*)` is BIGINT, `SUM`
//! of a DOUBLE is DOUBLE).
//!
//! Lengths count UTF-16 code units, as the stored columns' do (see `describe` in the driver):
//! applications size wide buffers from them (bug case B18). DataFusion counts characters, and
//! a character outside the Basic Multilingual Plane is two units, so `LEFT(x, 3)` and
//! `CAST(x AS VARCHAR(3))` (which `functions` turns into `left`) are `WVARCHAR(6)`, and a
//! literal is as long as its UTF-16 form.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, ExprSchema, ScalarValue};
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator, Projection};

use crate::engine::ResultColumn;
use crate::types::{SqlType, sql_type_of_field};

/// Longest text length reported as WVARCHAR; longer text stays WLONGVARCHAR.
const MAX_VARCHAR: u32 = 65000;

/// Gives computed text columns of the statement's output their exact WVARCHAR length.
pub(crate) fn refine_text_columns(plan: &LogicalPlan, columns: &mut [ResultColumn]) {
    let Some(projection) = output_projection(plan) else {
        return;
    };
    let schema = projection.input.schema();
    for (column, expr) in columns.iter_mut().zip(&projection.expr) {
        let computed_text =
            column.table.is_none() && matches!(column.sql_type, SqlType::WLongVarChar { .. });
        if !computed_text {
            continue;
        }
        if let Some(length) = text_length(expr, schema).filter(|&n| n <= MAX_VARCHAR) {
            column.sql_type = SqlType::WVarChar {
                length: length.max(1),
            };
        }
    }
}

/// The projection that produces the statement's columns, under LIMIT and ORDER BY.
fn output_projection(plan: &LogicalPlan) -> Option<&Projection> {
    match plan {
        LogicalPlan::Projection(projection) => Some(projection),
        LogicalPlan::Limit(limit) => output_projection(&limit.input),
        LogicalPlan::Sort(sort) => output_projection(&sort.input),
        _ => None,
    }
}

/// The most characters `expr` can produce as text, when the expression says.
fn text_length(expr: &Expr, schema: &DFSchema) -> Option<u32> {
    match expr {
        Expr::Alias(alias) => text_length(&alias.expr, schema),
        Expr::Column(column) => {
            let field = schema.field_from_column(column).ok()?;
            Some(display_length(&sql_type_of_field(field)))
        }
        Expr::Literal(value, _) => literal_length(value),
        Expr::Cast(cast) => text_length(&cast.expr, schema),
        Expr::TryCast(cast) => text_length(&cast.expr, schema),
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::StringConcat,
            right,
        }) => Some(text_length(left, schema)?.saturating_add(text_length(right, schema)?)),
        Expr::Case(case) => {
            let branches = case.when_then_expr.iter().map(|(_, then)| then.as_ref());
            longest(branches.chain(case.else_expr.as_deref()), schema)
        }
        Expr::ScalarFunction(call) => function_length(call.name(), &call.args, schema),
        _ => None,
    }
}

fn function_length(name: &str, args: &[Expr], schema: &DFSchema) -> Option<u32> {
    let first = || text_length(args.first()?, schema);
    let count = |index: usize| args.get(index).and_then(literal_count);
    match name {
        "upper" | "lower" | "btrim" | "ltrim" | "rtrim" | "trim" | "initcap" | "reverse" => first(),
        "left" | "right" | "substr" | "substring" => {
            let limit = count(if name == "substr" || name == "substring" {
                2
            } else {
                1
            });
            let limit = limit.map(units_of_chars);
            match (first(), limit) {
                (Some(length), Some(limit)) => Some(length.min(limit)),
                (length, None) => length,
                (None, limit) => limit,
            }
        }
        "lpad" | "rpad" => count(1).map(units_of_chars),
        "repeat" => Some(first()?.saturating_mul(count(1)?)),
        "concat" => args.iter().try_fold(0u32, |sum, arg| {
            Some(sum.saturating_add(text_length(arg, schema)?))
        }),
        "coalesce" | "nvl" => longest(args.iter(), schema),
        _ => None,
    }
}

fn longest<'a>(exprs: impl Iterator<Item = &'a Expr>, schema: &DFSchema) -> Option<u32> {
    exprs
        .map(|e| text_length(e, schema))
        .try_fold(0, |max, n| Some(max.max(n?)))
}

fn literal_length(value: &ScalarValue) -> Option<u32> {
    if value.is_null() {
        return Some(0);
    }
    match value {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => u32::try_from(s.encode_utf16().count()).ok(),
        other => Some(display_length(&SqlType::from_arrow(&other.data_type()))),
    }
}

/// The most UTF-16 code units `chars` characters can take: two for each.
fn units_of_chars(chars: u32) -> u32 {
    chars.saturating_mul(2)
}

/// A non-negative integer literal (a length argument).
fn literal_count(expr: &Expr) -> Option<u32> {
    match expr {
        Expr::Literal(value, _) => {
            let value = value.cast_to(&DataType::Int64).ok()?;
            match value {
                ScalarValue::Int64(Some(n)) => u32::try_from(n.max(0)).ok(),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Characters a value of `sql_type` needs as text.
fn display_length(sql_type: &SqlType) -> u32 {
    match *sql_type {
        SqlType::WVarChar { length } | SqlType::WLongVarChar { length } => length,
        SqlType::Binary { length } => length.saturating_mul(2),
        SqlType::Double => 24,
        SqlType::Real => 14,
        SqlType::Decimal { precision, .. } => u32::from(precision) + 2,
        SqlType::BigInt => 20,
        SqlType::Integer => 11,
        SqlType::SmallInt => 6,
        SqlType::Bit => 5,
        SqlType::Date => 10,
        SqlType::Time => 15,
        SqlType::Timestamp { .. } => 29,
    }
}
