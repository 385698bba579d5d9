//! Row filters: query parameters `<column>__<operator>=<value>` (reference/hubdb-api.md §8.4,
//! §8.5), and the fields they and `sort` can name.
//!
//! Sandbox semantics where the reference leaves them open (documented in the crate docs):
//! - an empty cell fails every positive test (`eq`, `lt`, `contains`, `in`, `like`, ...) and
//!   passes every negated one (`ne`, `not_in`, `not_like`), except BOOLEAN, where an empty
//!   cell counts as 0;
//! - text tests are case-sensitive except `icontains`; `like` takes `%` and `_`, with `\`
//!   escaping them;
//! - SELECT values are an option id when all digits and matching, else an option name;
//!   MULTISELECT `eq` wants exactly the given set, `contains` and `in` any of them.

use std::borrow::Cow;

use chrono::Utc;

use crate::error::ApiError;
use crate::model::{Cell, Column, ColumnType, Row, Version};
use crate::values::parse_bool_text;

/// A compiled filter: true for the rows it keeps.
pub type Predicate = Box<dyn Fn(&Row) -> bool + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Contains,
    Lt,
    Lte,
    Gt,
    Gte,
    IsNull,
    NotNull,
    Like,
    NotLike,
    IContains,
    StartsWith,
    In,
    NotIn,
}

const OPERATOR_NAMES: [(&str, Op); 15] = [
    ("eq", Op::Eq),
    ("ne", Op::Ne),
    ("contains", Op::Contains),
    ("lt", Op::Lt),
    ("lte", Op::Lte),
    ("gt", Op::Gt),
    ("gte", Op::Gte),
    ("is_null", Op::IsNull),
    ("not_null", Op::NotNull),
    ("like", Op::Like),
    ("not_like", Op::NotLike),
    ("icontains", Op::IContains),
    ("startswith", Op::StartsWith),
    ("in", Op::In),
    ("not_in", Op::NotIn),
];

impl Op {
    pub fn parse(name: &str) -> Option<Op> {
        OPERATOR_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op)
    }

    pub fn name(self) -> &'static str {
        OPERATOR_NAMES
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("eq", |(n, _)| n)
    }
}

/// How a field compares, which decides the operators it takes (§8.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Time,
    Boolean,
    Select,
    Multi,
    Foreign,
    Location,
    Image,
    Other,
}

impl Kind {
    fn of(kind: &ColumnType) -> Kind {
        match kind {
            ColumnType::Text | ColumnType::RichText | ColumnType::Url => Kind::Text,
            ColumnType::Number | ColumnType::Currency => Kind::Number,
            ColumnType::Date | ColumnType::DateTime => Kind::Time,
            ColumnType::Boolean => Kind::Boolean,
            ColumnType::Select => Kind::Select,
            ColumnType::MultiSelect => Kind::Multi,
            ColumnType::ForeignId => Kind::Foreign,
            ColumnType::Location => Kind::Location,
            ColumnType::Image => Kind::Image,
            ColumnType::Other(_) => Kind::Other,
        }
    }

    /// The operators a kind takes; anything else is a 400.
    fn operators(self) -> &'static [Op] {
        use Op::*;
        match self {
            Kind::Text => &[
                Eq, Ne, Contains, IContains, StartsWith, Like, NotLike, In, NotIn, IsNull, NotNull,
            ],
            Kind::Number => &[Eq, Ne, Lt, Lte, Gt, Gte, In, NotIn, IsNull, NotNull],
            Kind::Time => &[Eq, Ne, Lt, Lte, Gt, Gte, IsNull, NotNull],
            Kind::Boolean => &[Eq, Ne],
            Kind::Select => &[Eq, Ne, In, NotIn, IsNull, NotNull],
            Kind::Multi | Kind::Foreign => &[Eq, Ne, Contains, In, NotIn, IsNull, NotNull],
            Kind::Location | Kind::Image => &[Eq, Ne, IsNull, NotNull],
            Kind::Other => &[IsNull, NotNull],
        }
    }
}

/// A field a filter or sort can name: a column, or a system column under its `hs_` name
/// (for filters `hs_id` is a NUMBER, `hs_created_at` a DATETIME, `hs_path` and `hs_name`
/// TEXT, §8.5).
#[derive(Clone, Debug)]
pub enum Field {
    Column(Column),
    Id,
    CreatedAt,
    Path,
    Name,
}

impl Field {
    /// Resolves a name, case-sensitively (§3: sandbox default).
    pub fn resolve(version: &Version, name: &str) -> Option<Field> {
        let system = match name {
            "hs_id" => Some(Field::Id),
            "hs_created_at" => Some(Field::CreatedAt),
            "hs_path" => Some(Field::Path),
            "hs_name" => Some(Field::Name),
            _ => None,
        };
        system.or_else(|| version.column(name).cloned().map(Field::Column))
    }

    pub fn kind(&self) -> Kind {
        match self {
            Field::Column(column) => Kind::of(&column.kind),
            Field::Id => Kind::Number,
            Field::CreatedAt => Kind::Time,
            Field::Path | Field::Name => Kind::Text,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Field::Column(column) => &column.name,
            Field::Id => "hs_id",
            Field::CreatedAt => "hs_created_at",
            Field::Path => "hs_path",
            Field::Name => "hs_name",
        }
    }

    fn type_name(&self) -> &str {
        match self {
            Field::Column(column) => column.kind.name(),
            Field::Id => "NUMBER",
            Field::CreatedAt => "DATETIME",
            Field::Path | Field::Name => "TEXT",
        }
    }

    /// The row's value of this field; `None` when the cell is empty.
    pub fn cell<'r>(&self, row: &'r Row) -> Option<Cow<'r, Cell>> {
        match self {
            Field::Column(column) => row.cells.get(&column.name).map(Cow::Borrowed),
            Field::Id => Some(Cow::Owned(Cell::Number(row.id as f64))),
            Field::CreatedAt => Some(Cow::Owned(Cell::Millis(row.created_at))),
            Field::Path => row.path.clone().map(|path| Cow::Owned(Cell::Text(path))),
            Field::Name => row.name.clone().map(|name| Cow::Owned(Cell::Text(name))),
        }
    }
}

/// Compiles one query parameter into a predicate, or a 400 naming what is wrong.
pub fn compile(version: &Version, key: &str, value: &str) -> Result<Predicate, ApiError> {
    let (field, op) = split_key(version, key)?;
    if !field.kind().operators().contains(&op) {
        let message = format!(
            "Operator {} is not valid for column {} of type {}",
            op.name(),
            field.name(),
            field.type_name()
        );
        return Err(ApiError::validation(message));
    }
    match op {
        Op::IsNull => Ok(Box::new(move |row| field.cell(row).is_none())),
        Op::NotNull => Ok(Box::new(move |row| field.cell(row).is_some())),
        _ => compile_test(field, op, value),
    }
}

/// `price__gt` → (price, gt); `price` alone means `eq` (§8.4).
fn split_key(version: &Version, key: &str) -> Result<(Field, Op), ApiError> {
    if let Some(field) = Field::resolve(version, key) {
        return Ok((field, Op::Eq));
    }
    let Some((name, op_name)) = key.rsplit_once("__") else {
        return Err(unknown_column(key));
    };
    let field = Field::resolve(version, name).ok_or_else(|| unknown_column(name))?;
    let op = Op::parse(op_name).ok_or_else(|| {
        ApiError::validation(format!("Unknown filter operator {op_name} in {key}"))
    })?;
    Ok((field, op))
}

fn unknown_column(name: &str) -> ApiError {
    ApiError::validation(format!("Column {name} does not exist in this table"))
}

fn compile_test(field: Field, op: Op, value: &str) -> Result<Predicate, ApiError> {
    match field.kind() {
        Kind::Text => Ok(text_test(field, op, value)),
        Kind::Number => number_test(field, op, value),
        Kind::Time => time_test(field, op, value),
        Kind::Boolean => boolean_test(field, op, value),
        Kind::Select => Ok(select_test(field, op, value)),
        Kind::Multi | Kind::Foreign => Ok(set_test(field, op, value)),
        Kind::Location => location_test(field, op, value),
        Kind::Image => Ok(image_test(field, op, value)),
        Kind::Other => Err(ApiError::validation("Only is_null and not_null apply here")),
    }
}

/// Negated operators keep empty cells; positive ones drop them.
fn negated(op: Op) -> bool {
    matches!(op, Op::Ne | Op::NotIn | Op::NotLike)
}

/// Builds a predicate from a test on a present cell; empty cells follow [`negated`].
fn on_cell(
    field: Field,
    op: Op,
    test: impl Fn(&Cell) -> bool + Send + Sync + 'static,
) -> Predicate {
    let keep_empty = negated(op);
    Box::new(move |row| match field.cell(row) {
        Some(cell) => test(&cell) != negated(op),
        None => keep_empty,
    })
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|item| item.trim().to_string())
        .collect()
}

fn text_test(field: Field, op: Op, value: &str) -> Predicate {
    let wanted = value.to_string();
    let items = list(value);
    let lower = value.to_lowercase();
    let pattern: Vec<char> = value.chars().collect();
    on_cell(field, op, move |cell| {
        let Cell::Text(text) = cell else { return false };
        match op {
            Op::Contains => text.contains(&wanted),
            Op::IContains => text.to_lowercase().contains(&lower),
            Op::StartsWith => text.starts_with(&wanted),
            Op::Like | Op::NotLike => like(&text.chars().collect::<Vec<_>>(), &pattern),
            Op::In | Op::NotIn => items.iter().any(|item| item == text),
            _ => text == &wanted,
        }
    })
}

/// SQL LIKE: `%` any run, `_` one character, `\` makes the next character literal.
fn like(text: &[char], pattern: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('%', rest)) => (0..=text.len()).any(|skip| like(&text[skip..], rest)),
        Some(('_', rest)) => !text.is_empty() && like(&text[1..], rest),
        Some(('\\', [literal, rest @ ..])) => {
            text.first() == Some(literal) && like(&text[1..], rest)
        }
        Some((literal, rest)) => text.first() == Some(literal) && like(&text[1..], rest),
    }
}

fn parse_number(value: &str) -> Result<f64, ApiError> {
    value
        .trim()
        .parse()
        .map_err(|_| ApiError::validation(format!("{value} is not a number")))
}

fn compare(op: Op, left: f64, right: f64) -> bool {
    match op {
        Op::Lt => left < right,
        Op::Lte => left <= right,
        Op::Gt => left > right,
        Op::Gte => left >= right,
        _ => left == right,
    }
}

fn number_test(field: Field, op: Op, value: &str) -> Result<Predicate, ApiError> {
    let numbers = match op {
        Op::In | Op::NotIn => list(value).iter().map(|item| parse_number(item)).collect(),
        _ => parse_number(value).map(|number| vec![number]),
    }?;
    Ok(on_cell(field, op, move |cell| {
        let Cell::Number(number) = cell else {
            return false;
        };
        numbers.iter().any(|wanted| compare(op, *number, *wanted))
    }))
}

fn time_test(field: Field, op: Op, value: &str) -> Result<Predicate, ApiError> {
    let wanted = parse_time_filter(value, Utc::now().timestamp_millis())
        .ok_or_else(|| ApiError::validation(format!("{value} is not epoch milliseconds")))?;
    Ok(on_cell(field, op, move |cell| {
        let Cell::Millis(millis) = cell else {
            return false;
        };
        compare(op, *millis as f64, wanted as f64)
    }))
}

/// Epoch milliseconds, or a time relative to `now` such as `-3h` or `10s` (units `ms`, `s`,
/// `m`, `h`, `d`; §8.5).
pub fn parse_time_filter(value: &str, now: i64) -> Option<i64> {
    let value = value.trim();
    if let Ok(millis) = value.parse::<i64>() {
        return Some(millis);
    }
    let units: [(&str, i64); 5] = [
        ("ms", 1),
        ("s", 1_000),
        ("m", 60_000),
        ("h", 3_600_000),
        ("d", 86_400_000),
    ];
    let (amount, unit) = units
        .iter()
        .find_map(|(suffix, unit)| Some((value.strip_suffix(suffix)?, *unit)))?;
    let amount: i64 = amount.strip_prefix('+').unwrap_or(amount).parse().ok()?;
    Some(now + amount * unit)
}

fn boolean_test(field: Field, op: Op, value: &str) -> Result<Predicate, ApiError> {
    let wanted = parse_bool_text(value)
        .ok_or_else(|| ApiError::validation(format!("{value} is not 1 or 0")))?;
    // An empty BOOLEAN cell counts as 0 in filters (§15).
    Ok(Box::new(move |row| {
        let flag = matches!(field.cell(row).as_deref(), Some(Cell::Bool(true)));
        (flag == wanted) != (op == Op::Ne)
    }))
}

fn select_test(field: Field, op: Op, value: &str) -> Predicate {
    let Field::Column(column) = &field else {
        return Box::new(|_| false);
    };
    let tokens = match op {
        Op::In | Op::NotIn => list(value),
        _ => vec![value.to_string()],
    };
    let ids = option_ids(column, &tokens);
    on_cell(field, op, move |cell| {
        let Cell::Select(id) = cell else { return false };
        ids.iter()
            .any(|wanted| wanted.as_deref() == Some(id.as_str()))
    })
}

/// Option ids for filter values; `None` for a value that names no option (it matches nothing).
fn option_ids(column: &Column, tokens: &[String]) -> Vec<Option<String>> {
    let resolve = |token: &String| column.resolve_option(token).map(|option| option.id.clone());
    tokens.iter().map(resolve).collect()
}

/// MULTISELECT and FOREIGN_ID: `eq` wants exactly the given set, `contains`/`in` any of it.
fn set_test(field: Field, op: Op, value: &str) -> Predicate {
    let tokens = list(value);
    let wanted: Vec<Option<String>> = match &field {
        Field::Column(column) if column.kind == ColumnType::MultiSelect => {
            option_ids(column, &tokens)
        }
        _ => tokens.into_iter().map(Some).collect(),
    };
    on_cell(field, op, move |cell| {
        let have: Vec<&str> = match cell {
            Cell::Multi(ids) => ids.iter().map(String::as_str).collect(),
            Cell::Foreign(refs) => refs.iter().map(|r| r.id.as_str()).collect(),
            _ => return false,
        };
        let has = |want: &Option<String>| want.as_deref().is_some_and(|w| have.contains(&w));
        match op {
            Op::Eq | Op::Ne => wanted.iter().all(has) && have.len() == wanted.len(),
            _ => wanted.iter().any(has),
        }
    })
}

fn location_test(field: Field, op: Op, value: &str) -> Result<Predicate, ApiError> {
    let bad = || ApiError::validation(format!("{value} is not lat,long"));
    let (lat, long) = value.split_once(',').ok_or_else(bad)?;
    let (lat, long) = (parse_number(lat)?, parse_number(long)?);
    Ok(on_cell(
        field,
        op,
        move |cell| matches!(cell, Cell::Location { lat: a, long: b } if *a == lat && *b == long),
    ))
}

fn image_test(field: Field, op: Op, value: &str) -> Predicate {
    let wanted = value.to_string();
    on_cell(
        field,
        op,
        move |cell| matches!(cell, Cell::Image { url, .. } if *url == wanted),
    )
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
