//! ODBC scalar functions (`{fn NAME(...)}`, ODBC Appendix E) on top of DataFusion's.
//!
//! The escape rewriter marks the name of every function written inside `{fn ...}`; after
//! parsing, each marked call is replaced by the DataFusion expression with ODBC's meaning.
//! Only marked calls change, so a query written in DataFusion's own dialect keeps its
//! meaning (`LOG(x)` outside an escape stays DataFusion's base-10 logarithm; ODBC's `LOG`
//! is the natural one). [`SCALAR_FUNCTIONS`] is the one list SQLGetInfo's function masks and
//! `sys_sqlinfo` are built from, and a test runs every entry, so what is advertised works
//! (bug case B31). A marked function that is not listed fails with a clear "not supported".
//!
//! `CAST(x AS VARCHAR(n))` (and CHAR, NVARCHAR) becomes `left(CAST(x AS VARCHAR), n)`: the
//! value is cut to `n` characters as SQL requires, and the result describes as
//! `WVARCHAR(n)` (see `typing`).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    CastKind, CharacterLength, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArguments, ObjectNamePart, Statement, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::error::SqlError;

/// Prefix the escape rewriter gives a function name written inside `{fn ...}`.
pub(crate) const ODBC_MARK: &str = "__odbc_fn_";

/// `date_part` as an INTEGER, as ODBC's YEAR, MONTH, ... return.
macro_rules! date_part {
    ($part:literal) => {
        concat!("CAST(date_part('", $part, "', {0}) AS INTEGER)")
    };
}

/// The SQLGetInfo group an ODBC scalar function belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionGroup {
    String,
    Numeric,
    TimeDate,
    System,
    Convert,
}

/// Every ODBC scalar function the engine implements, with the DataFusion expression it
/// becomes (`{0}`, `{1}`, ... are the arguments). Argument counts are checked against the
/// number of placeholders (`{n}` the highest); `None` marks the functions handled in code.
pub const SCALAR_FUNCTIONS: &[(FunctionGroup, &str, Option<&str>)] = &[
    (FunctionGroup::String, "ASCII", Some("ascii({0})")),
    (FunctionGroup::String, "BIT_LENGTH", Some("bit_length({0})")),
    (FunctionGroup::String, "CHAR", Some("chr({0})")),
    (
        FunctionGroup::String,
        "CHAR_LENGTH",
        Some("character_length({0})"),
    ),
    (
        FunctionGroup::String,
        "CHARACTER_LENGTH",
        Some("character_length({0})"),
    ),
    // CONCAT is NULL when either side is (SQL_CONCAT_NULL_BEHAVIOR = SQL_CB_NULL).
    (FunctionGroup::String, "CONCAT", Some("({0} || {1})")),
    (
        FunctionGroup::String,
        "INSERT",
        Some("(substr({0}, 1, {1} - 1) || {3} || substr({0}, {1} + {2}))"),
    ),
    (FunctionGroup::String, "LCASE", Some("lower({0})")),
    (FunctionGroup::String, "LEFT", Some("left({0}, {1})")),
    // ODBC's LENGTH leaves trailing blanks out.
    (
        FunctionGroup::String,
        "LENGTH",
        Some("character_length(rtrim({0}))"),
    ),
    (FunctionGroup::String, "LOCATE", None),
    (FunctionGroup::String, "LTRIM", Some("ltrim({0})")),
    (
        FunctionGroup::String,
        "OCTET_LENGTH",
        Some("octet_length({0})"),
    ),
    (FunctionGroup::String, "POSITION", None),
    (FunctionGroup::String, "REPEAT", Some("repeat({0}, {1})")),
    (
        FunctionGroup::String,
        "REPLACE",
        Some("replace({0}, {1}, {2})"),
    ),
    (FunctionGroup::String, "RIGHT", Some("right({0}, {1})")),
    (FunctionGroup::String, "RTRIM", Some("rtrim({0})")),
    (FunctionGroup::String, "SPACE", Some("repeat(' ', {0})")),
    (FunctionGroup::String, "SUBSTRING", None),
    (FunctionGroup::String, "UCASE", Some("upper({0})")),
    (FunctionGroup::Numeric, "ABS", Some("abs({0})")),
    (FunctionGroup::Numeric, "ACOS", Some("acos({0})")),
    (FunctionGroup::Numeric, "ASIN", Some("asin({0})")),
    (FunctionGroup::Numeric, "ATAN", Some("atan({0})")),
    (FunctionGroup::Numeric, "ATAN2", Some("atan2({0}, {1})")),
    (FunctionGroup::Numeric, "CEILING", Some("ceil({0})")),
    (FunctionGroup::Numeric, "COS", Some("cos({0})")),
    (FunctionGroup::Numeric, "COT", Some("cot({0})")),
    (FunctionGroup::Numeric, "DEGREES", Some("degrees({0})")),
    (FunctionGroup::Numeric, "EXP", Some("exp({0})")),
    (FunctionGroup::Numeric, "FLOOR", Some("floor({0})")),
    (FunctionGroup::Numeric, "LOG", Some("ln({0})")),
    (FunctionGroup::Numeric, "LOG10", Some("log10({0})")),
    (FunctionGroup::Numeric, "MOD", Some("({0} % {1})")),
    (FunctionGroup::Numeric, "PI", Some("pi()")),
    (FunctionGroup::Numeric, "POWER", Some("power({0}, {1})")),
    (FunctionGroup::Numeric, "RADIANS", Some("radians({0})")),
    (FunctionGroup::Numeric, "RAND", None),
    (FunctionGroup::Numeric, "ROUND", Some("round({0}, {1})")),
    (FunctionGroup::Numeric, "SIGN", Some("signum({0})")),
    (FunctionGroup::Numeric, "SIN", Some("sin({0})")),
    (FunctionGroup::Numeric, "SQRT", Some("sqrt({0})")),
    (FunctionGroup::Numeric, "TAN", Some("tan({0})")),
    (FunctionGroup::Numeric, "TRUNCATE", Some("trunc({0}, {1})")),
    (FunctionGroup::TimeDate, "CURDATE", Some("current_date()")),
    (
        FunctionGroup::TimeDate,
        "CURRENT_DATE",
        Some("current_date()"),
    ),
    (
        FunctionGroup::TimeDate,
        "CURRENT_TIME",
        Some("current_time()"),
    ),
    (FunctionGroup::TimeDate, "CURRENT_TIMESTAMP", Some("now()")),
    (FunctionGroup::TimeDate, "CURTIME", Some("current_time()")),
    (
        FunctionGroup::TimeDate,
        "DAYNAME",
        Some("to_char({0}, '%A')"),
    ),
    (
        FunctionGroup::TimeDate,
        "DAYOFMONTH",
        Some(date_part!("day")),
    ),
    (
        FunctionGroup::TimeDate,
        "DAYOFWEEK",
        Some("(CAST(date_part('dow', {0}) AS INTEGER) + 1)"),
    ),
    (
        FunctionGroup::TimeDate,
        "DAYOFYEAR",
        Some(date_part!("doy")),
    ),
    (FunctionGroup::TimeDate, "EXTRACT", None),
    (FunctionGroup::TimeDate, "HOUR", Some(date_part!("hour"))),
    (
        FunctionGroup::TimeDate,
        "MINUTE",
        Some(date_part!("minute")),
    ),
    (FunctionGroup::TimeDate, "MONTH", Some(date_part!("month"))),
    (
        FunctionGroup::TimeDate,
        "MONTHNAME",
        Some("to_char({0}, '%B')"),
    ),
    (FunctionGroup::TimeDate, "NOW", Some("now()")),
    (
        FunctionGroup::TimeDate,
        "QUARTER",
        Some(date_part!("quarter")),
    ),
    (
        FunctionGroup::TimeDate,
        "SECOND",
        Some(date_part!("second")),
    ),
    (FunctionGroup::TimeDate, "TIMESTAMPADD", None),
    (FunctionGroup::TimeDate, "TIMESTAMPDIFF", None),
    (FunctionGroup::TimeDate, "WEEK", Some(date_part!("week"))),
    (FunctionGroup::TimeDate, "YEAR", Some(date_part!("year"))),
    (FunctionGroup::System, "DATABASE", Some("'HubDB'")),
    (FunctionGroup::System, "IFNULL", Some("coalesce({0}, {1})")),
    // The connection authenticates an app, not a user: the user name is empty, as
    // SQLGetInfo(SQL_USER_NAME) says.
    (FunctionGroup::System, "USER", Some("''")),
    (FunctionGroup::Convert, "CONVERT", None),
];

/// `SQL_TSI_*` intervals TIMESTAMPADD takes, with the interval text of one unit.
pub const TIMESTAMPADD_INTERVALS: &[(&str, &str)] = &[
    ("FRAC_SECOND", "nanoseconds"),
    ("SECOND", "seconds"),
    ("MINUTE", "minutes"),
    ("HOUR", "hours"),
    ("DAY", "days"),
    ("WEEK", "weeks"),
    ("MONTH", "months"),
    ("QUARTER", "months"),
    ("YEAR", "years"),
];

/// `SQL_TSI_*` intervals TIMESTAMPDIFF takes. Fractions of a second are left out: the
/// difference is computed from epoch seconds as a DOUBLE, which cannot hold nanoseconds.
pub const TIMESTAMPDIFF_INTERVALS: &[&str] = &[
    "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR",
];

/// ODBC type names `{fn CONVERT(x, SQL_...)}` accepts, with the SQL type they cast to.
pub const CONVERT_TARGETS: &[(&str, &str)] = &[
    ("SQL_BIGINT", "BIGINT"),
    ("SQL_BIT", "BOOLEAN"),
    ("SQL_CHAR", "VARCHAR"),
    ("SQL_DATE", "DATE"),
    ("SQL_DECIMAL", "DECIMAL(38, 10)"),
    ("SQL_DOUBLE", "DOUBLE"),
    ("SQL_FLOAT", "DOUBLE"),
    ("SQL_INTEGER", "INTEGER"),
    ("SQL_LONGVARCHAR", "VARCHAR"),
    ("SQL_NUMERIC", "DECIMAL(38, 10)"),
    ("SQL_REAL", "REAL"),
    ("SQL_SMALLINT", "SMALLINT"),
    ("SQL_TIME", "TIME"),
    ("SQL_TIMESTAMP", "TIMESTAMP"),
    ("SQL_TINYINT", "SMALLINT"),
    ("SQL_TYPE_DATE", "DATE"),
    ("SQL_TYPE_TIME", "TIME"),
    ("SQL_TYPE_TIMESTAMP", "TIMESTAMP"),
    ("SQL_VARCHAR", "VARCHAR"),
    ("SQL_WCHAR", "VARCHAR"),
    ("SQL_WLONGVARCHAR", "VARCHAR"),
    ("SQL_WVARCHAR", "VARCHAR"),
];

/// Functions kept in their SQL syntax inside `{fn ...}`: their arguments are not a plain
/// list (`POSITION(a IN b)`, `EXTRACT(YEAR FROM d)`), so their names are not marked.
pub(crate) fn keeps_sql_syntax(name: &str) -> bool {
    ["POSITION", "EXTRACT"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

/// Replaces every marked ODBC function call, and sized character casts, in `statement`.
pub(crate) fn rewrite_functions(statement: &mut Statement) -> Result<(), SqlError> {
    let flow = visit_expressions_mut(statement, |expr| match rewrite_expr(expr) {
        Ok(Some(replacement)) => {
            *expr = replacement;
            ControlFlow::Continue(())
        }
        Ok(None) => ControlFlow::Continue(()),
        Err(error) => ControlFlow::Break(error),
    });
    match flow {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// The replacement of one expression, or None to keep it. Children are rewritten first.
fn rewrite_expr(expr: &Expr) -> Result<Option<Expr>, SqlError> {
    match expr {
        Expr::Function(function) => match marked_name(function) {
            Some(name) => odbc_call(&name, &arguments(function, &name)?).map(Some),
            None => Ok(None),
        },
        Expr::Identifier(ident) => match ident.value.strip_prefix(ODBC_MARK) {
            Some(name) => odbc_call(&name.to_ascii_uppercase(), &[]).map(Some),
            None => Ok(None),
        },
        Expr::Cast {
            kind: CastKind::Cast,
            expr: inner,
            data_type,
            format: None,
            ..
        } => Ok(sized_text(data_type).map(|length| {
            let text = format!("left(CAST({inner} AS VARCHAR), {length})");
            parse_expr(&text).expect("a sized cast is valid SQL")
        })),
        _ => Ok(None),
    }
}

fn marked_name(function: &Function) -> Option<String> {
    match function.name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => ident
            .value
            .strip_prefix(ODBC_MARK)
            .map(str::to_ascii_uppercase),
        _ => None,
    }
}

/// The argument texts of a plain call (no named arguments, DISTINCT or clauses).
fn arguments(function: &Function, name: &str) -> Result<Vec<String>, SqlError> {
    let list = match &function.args {
        FunctionArguments::None => return Ok(Vec::new()),
        FunctionArguments::List(list)
            if list.duplicate_treatment.is_none() && list.clauses.is_empty() =>
        {
            list
        }
        _ => return Err(bad_arguments(name)),
    };
    list.args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Ok(expr.to_string()),
            _ => Err(bad_arguments(name)),
        })
        .collect()
}

fn bad_arguments(name: &str) -> SqlError {
    SqlError::syntax(format!(
        "syntax error: wrong arguments for {{fn {name}(...)}}"
    ))
}

/// The DataFusion expression for ODBC function `name` applied to `args` (SQL texts).
fn odbc_call(name: &str, args: &[String]) -> Result<Expr, SqlError> {
    let Some(&(_, _, rule)) = SCALAR_FUNCTIONS.iter().find(|(_, n, _)| *n == name) else {
        return Err(SqlError::unsupported(format!(
            "the ODBC scalar function {{fn {name}(...)}} is not supported"
        )));
    };
    let text = match rule {
        Some(template) => fill(template, args).ok_or_else(|| bad_arguments(name))?,
        None => special_call(name, args)?,
    };
    parse_expr(&text)
}

/// The template with `{n}` replaced by argument n; None when the argument count is wrong.
fn fill(template: &str, args: &[String]) -> Option<String> {
    let wanted = (0..10)
        .take_while(|n| template.contains(&format!("{{{n}}}")))
        .count();
    if args.len() != wanted {
        return None;
    }
    let mut text = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        text.push_str(&rest[..open]);
        let digit = rest[open + 1..].chars().next()?;
        let index = digit.to_digit(10)? as usize;
        text.push_str(&format!("({})", args.get(index)?));
        rest = &rest[open + 3..];
    }
    text.push_str(rest);
    Some(text)
}

fn special_call(name: &str, args: &[String]) -> Result<String, SqlError> {
    let text = match (name, args) {
        ("LOCATE", [needle, haystack]) => format!("strpos({haystack}, {needle})"),
        ("LOCATE", [needle, haystack, start]) => {
            let found = format!("strpos(substr({haystack}, {start}), {needle})");
            format!("CASE WHEN {found} = 0 THEN 0 ELSE {found} + ({start}) - 1 END")
        }
        ("SUBSTRING", [text, start]) => format!("substr({text}, {start})"),
        ("SUBSTRING", [text, start, length]) => format!("substr({text}, {start}, {length})"),
        // The seed of RAND(seed) cannot be honoured: DataFusion's random() takes none.
        ("RAND", [] | [_]) => "random()".to_string(),
        ("TIMESTAMPADD", [interval, count, at]) => timestamp_add(interval, count, at)?,
        ("TIMESTAMPDIFF", [interval, from, to]) => timestamp_diff(interval, from, to)?,
        ("CONVERT", [value, target]) => convert(value, target)?,
        _ => return Err(bad_arguments(name)),
    };
    Ok(text)
}

/// `SQL_TSI_DAY` (any case) as `DAY`.
fn interval_name(written: &str) -> String {
    let upper = written.trim().to_ascii_uppercase();
    upper.strip_prefix("SQL_TSI_").unwrap_or(&upper).to_string()
}

fn unsupported_interval(function: &str, written: &str) -> SqlError {
    SqlError::unsupported(format!(
        "{{fn {function}(...)}} does not support the interval {written}"
    ))
}

fn timestamp_add(interval: &str, count: &str, at: &str) -> Result<String, SqlError> {
    let name = interval_name(interval);
    let (_, unit) = TIMESTAMPADD_INTERVALS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| unsupported_interval("TIMESTAMPADD", interval))?;
    let count = if name == "QUARTER" {
        format!("({count}) * 3")
    } else {
        format!("({count})")
    };
    Ok(format!(
        "(CAST({at} AS TIMESTAMP) + CAST(CAST({count} AS VARCHAR) || ' {unit}' AS INTERVAL))"
    ))
}

fn timestamp_diff(interval: &str, from: &str, to: &str) -> Result<String, SqlError> {
    let name = interval_name(interval);
    let part = |p: &str, at: &str| format!("date_part('{p}', CAST({at} AS TIMESTAMP))");
    let calendar = |p: &str, per_year: u32| {
        let years = format!("({} - {})", part("year", to), part("year", from));
        match per_year {
            1 => years,
            n => format!("({years} * {n} + {} - {})", part(p, to), part(p, from)),
        }
    };
    let seconds = match name.as_str() {
        "SECOND" => 1,
        "MINUTE" => 60,
        "HOUR" => 3600,
        "DAY" => 86_400,
        "WEEK" => 604_800,
        "MONTH" => return Ok(format!("CAST({} AS BIGINT)", calendar("month", 12))),
        "QUARTER" => return Ok(format!("CAST({} AS BIGINT)", calendar("quarter", 4))),
        "YEAR" => return Ok(format!("CAST({} AS BIGINT)", calendar("year", 1))),
        _ => return Err(unsupported_interval("TIMESTAMPDIFF", interval)),
    };
    let elapsed = format!("({} - {})", part("epoch", to), part("epoch", from));
    Ok(format!("CAST(trunc({elapsed} / {seconds}) AS BIGINT)"))
}

fn convert(value: &str, target: &str) -> Result<String, SqlError> {
    let written = target.trim();
    let (_, sql_type) = CONVERT_TARGETS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(written))
        .ok_or_else(|| {
            SqlError::unsupported(format!(
                "{{fn CONVERT(...)}} does not support the type {written}"
            ))
        })?;
    Ok(format!("CAST({value} AS {sql_type})"))
}

/// The length of `VARCHAR(n)`, `CHAR(n)`, `NVARCHAR(n)`, ...
fn sized_text(data_type: &DataType) -> Option<u64> {
    let length = match data_type {
        DataType::Varchar(length)
        | DataType::Nvarchar(length)
        | DataType::Char(length)
        | DataType::Character(length)
        | DataType::CharVarying(length)
        | DataType::CharacterVarying(length) => length.as_ref()?,
        _ => return None,
    };
    match length {
        CharacterLength::IntegerLength { length, .. } => Some(*length),
        CharacterLength::Max => None,
    }
}

fn parse_expr(text: &str) -> Result<Expr, SqlError> {
    let dialect = GenericDialect {};
    Ok(Parser::new(&dialect).try_with_sql(text)?.parse_expr()?)
}
