//! Listings: rows with filters, sort, projection and paging (reference/hubdb-api.md §8), and
//! tables (§6 T1/T2).

use std::cmp::Ordering;
use std::collections::HashSet;

use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use crate::cursor;
use crate::error::ApiError;
use crate::filter::{self, Field, Predicate};
use crate::model::{Cell, Row, Store, Table, Version};
use crate::render::{row_json, table_json};
use crate::values::parse_time;

/// Default and largest page size (§7 notes: larger values are clamped).
pub const MAX_LIMIT: usize = 1000;

/// Query parameters of the row listing that are not filters.
const ROW_PARAMETERS: [&str; 8] = [
    "limit",
    "offset",
    "after",
    "sort",
    "properties",
    "archived",
    "portalId",
    "hapikey",
];

/// Decodes a query string as HubSpot does: `+` is a space, `%XX` a byte.
pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    let raw = raw.unwrap_or("");
    url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect()
}

/// Fields of an `application/x-www-form-urlencoded` body. A body of any other type has no
/// fields, as for a server that reads form parameters only: the OAuth endpoints take forms
/// (reference/hubdb-api.md §12.2), and a client sending JSON must see them missing.
pub fn parse_form(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Vec::new();
    }
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn values<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn first<'a>(pairs: &'a [(String, String)], name: &'a str) -> Option<&'a str> {
    values(pairs, name).next()
}

/// `archived=true` asks for archived tables (§6 notes).
pub fn wants_archived(pairs: &[(String, String)]) -> bool {
    first(pairs, "archived") == Some("true")
}

/// Repeated and comma-separated forms both accepted (§8.3).
fn repeated_list(pairs: &[(String, String)], name: &str) -> Vec<String> {
    values(pairs, name)
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_limit(pairs: &[(String, String)]) -> Result<usize, ApiError> {
    let Some(text) = first(pairs, "limit") else {
        return Ok(MAX_LIMIT);
    };
    let limit: i64 = text
        .parse()
        .map_err(|_| ApiError::validation(format!("limit must be an integer, got {text}")))?;
    if limit < 0 {
        return Err(ApiError::validation("limit must not be negative"));
    }
    Ok((limit as usize).min(MAX_LIMIT))
}

/// Where the page starts: the `after` cursor wins over `offset`; both are honoured.
fn parse_start(pairs: &[(String, String)], scope: &str) -> Result<usize, ApiError> {
    if let Some(after) = first(pairs, "after") {
        return cursor::decode(after, scope).ok_or_else(|| {
            ApiError::validation(format!("Invalid paging cursor after={after}"))
                .with("subCategory", json!("INVALID_PAGING_CURSOR"))
        });
    }
    match first(pairs, "offset") {
        None => Ok(0),
        Some(text) => text.parse().map_err(|_| {
            ApiError::validation(format!("offset must be a non-negative integer, got {text}"))
        }),
    }
}

/// The page `start..start + limit` of `total` items, with `paging.next` when more follow.
struct Page {
    start: usize,
    limit: usize,
    scope: String,
}

impl Page {
    fn range(&self, total: usize) -> std::ops::Range<usize> {
        let start = self.start.min(total);
        start..(start + self.limit).min(total)
    }

    /// `paging` of the response, or `None` on the last page (§4.8: then it is omitted).
    fn paging(&self, total: usize, link_base: &str, pairs: &[(String, String)]) -> Option<Value> {
        let next = self.start + self.limit;
        if self.limit == 0 || next >= total {
            return None;
        }
        let after = cursor::encode(next, &self.scope);
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in pairs
            .iter()
            .filter(|(key, _)| key != "after" && key != "offset")
        {
            query.append_pair(key, value);
        }
        query.append_pair("after", &after);
        let link = format!("{link_base}?{}", query.finish());
        Some(json!({"next": {"after": after, "link": link}}))
    }
}

/// `GET .../rows` and `.../rows/draft`: the `STREAMING` collection shape (§4.8).
pub fn list_rows(
    version: &Version,
    listing: &str,
    pairs: &[(String, String)],
    link_base: &str,
) -> Result<Value, ApiError> {
    let limit = parse_limit(pairs)?;
    let (filters, filter_scope) = compile_filters(version, pairs)?;
    let sort = parse_sort(version, pairs)?;
    let scope = format!(
        "{listing}|{filter_scope}|{}",
        repeated_list(pairs, "sort").join(",")
    );
    let page = Page {
        start: parse_start(pairs, &scope)?,
        limit,
        scope,
    };
    let properties = repeated_list(pairs, "properties");
    let properties: Option<HashSet<String>> =
        (!properties.is_empty()).then(|| properties.into_iter().collect());

    let mut rows: Vec<&Row> = version
        .rows
        .iter()
        .filter(|row| filters.iter().all(|f| f(row)))
        .collect();
    sort_rows(&mut rows, &sort);
    let total = rows.len();
    let results: Vec<Value> = rows[page.range(total)]
        .iter()
        .map(|row| row_json(version, row, properties.as_ref()))
        .collect();
    let mut body = json!({"total": total, "results": results, "type": "STREAMING"});
    if let Some(paging) = page.paging(total, link_base, pairs) {
        body["paging"] = paging;
    }
    Ok(body)
}

/// Every parameter that is not a listing parameter is a filter; all are ANDed (§8.4).
fn compile_filters(
    version: &Version,
    pairs: &[(String, String)],
) -> Result<(Vec<Predicate>, String), ApiError> {
    let mut filters = Vec::new();
    let mut scope: Vec<String> = Vec::new();
    for (key, value) in pairs
        .iter()
        .filter(|(key, _)| !ROW_PARAMETERS.contains(&key.as_str()))
    {
        filters.push(filter::compile(version, key, value)?);
        scope.push(format!("{key}={value}"));
    }
    scope.sort();
    Ok((filters, scope.join("&")))
}

/// `sort=col` ascending, `sort=-col` descending, repeated for more keys (§8.2).
fn parse_sort(
    version: &Version,
    pairs: &[(String, String)],
) -> Result<Vec<(Field, bool)>, ApiError> {
    let keys = repeated_list(pairs, "sort").into_iter().map(|key| {
        let (name, descending) = match key.strip_prefix('-') {
            Some(name) => (name.to_string(), true),
            None => (key.clone(), false),
        };
        Field::resolve(version, &name)
            .map(|field| (field, descending))
            .ok_or_else(|| ApiError::validation(format!("Cannot sort by {name}: no such column")))
    });
    keys.collect()
}

/// A comparable form of a cell. Text sorts by code point, SELECT by option name,
/// MULTISELECT by its names joined, FOREIGN_ID by its ids joined, LOCATION by latitude.
#[derive(PartialEq, PartialOrd)]
enum SortKey {
    Number(f64),
    Text(String),
}

fn sort_key(field: &Field, row: &Row) -> Option<SortKey> {
    let cell = field.cell(row);
    let column = match field {
        Field::Column(column) => Some(column),
        _ => None,
    };
    let option_name = |id: &String| {
        let option = column.and_then(|c| c.option_by_id(id));
        option.map_or(id.clone(), |option| option.name.clone())
    };
    let key = match cell.as_deref() {
        None if column.is_some_and(|c| c.kind == crate::model::ColumnType::Boolean) => {
            SortKey::Number(0.0)
        }
        None => return None,
        Some(Cell::Text(text)) => SortKey::Text(text.clone()),
        Some(Cell::Number(number)) => SortKey::Number(*number),
        Some(Cell::Bool(flag)) => SortKey::Number(f64::from(u8::from(*flag))),
        Some(Cell::Millis(millis)) => SortKey::Number(*millis as f64),
        Some(Cell::Select(id)) => SortKey::Text(option_name(id)),
        Some(Cell::Multi(ids)) => {
            SortKey::Text(ids.iter().map(option_name).collect::<Vec<_>>().join(";"))
        }
        Some(Cell::Location { lat, .. }) => SortKey::Number(*lat),
        Some(Cell::Image { url, .. }) => SortKey::Text(url.clone()),
        Some(Cell::Foreign(refs)) => SortKey::Text(
            refs.iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(";"),
        ),
        Some(Cell::Json(value)) => SortKey::Text(value.to_string()),
    };
    Some(key)
}

/// Nulls last ascending, first descending (§8.2: sandbox choice); ties and the default order
/// by display index, then row id.
fn sort_rows(rows: &mut Vec<&Row>, sort: &[(Field, bool)]) {
    let mut keyed: Vec<(Vec<Option<SortKey>>, &Row)> = rows
        .iter()
        .map(|row| {
            (
                sort.iter().map(|(field, _)| sort_key(field, row)).collect(),
                *row,
            )
        })
        .collect();
    keyed.sort_by(|(left_keys, left), (right_keys, right)| {
        let by_keys = sort.iter().enumerate().map(|(i, (_, descending))| {
            let order = compare_keys(&left_keys[i], &right_keys[i]);
            if *descending { order.reverse() } else { order }
        });
        by_keys
            .fold(Ordering::Equal, Ordering::then)
            .then(left.display_index.cmp(&right.display_index))
            .then(left.id.cmp(&right.id))
    });
    *rows = keyed.into_iter().map(|(_, row)| row).collect();
}

fn compare_keys(left: &Option<SortKey>, right: &Option<SortKey>) -> Ordering {
    match (left, right) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
    }
}

/// `GET /tables` and `/tables/draft`: published (or draft) tables, archived ones only with
/// `archived=true`, sorted by `sort` (`name`, `createdAt`, `updatedAt`; default `createdAt`).
pub fn list_tables(
    store: &Store,
    draft: bool,
    pairs: &[(String, String)],
    link_base: &str,
) -> Result<Value, ApiError> {
    let limit = parse_limit(pairs)?;
    let archived = wants_archived(pairs);
    let sort = repeated_list(pairs, "sort");
    let scope = format!("tables|{draft}|{archived}|{}", sort.join(","));
    let page = Page {
        start: parse_start(pairs, &scope)?,
        limit,
        scope,
    };
    let mut tables: Vec<(&Table, &Version)> = store
        .tables
        .iter()
        .filter(|table| table.archived == archived)
        .filter_map(|table| table.version(draft).map(|version| (table, version)))
        .collect();
    for (key, value) in pairs {
        let test = time_filter(key, value)?;
        tables.retain(|(table, version)| test.as_ref().is_none_or(|t| t(table, version)));
    }
    sort_tables(&mut tables, &sort)?;
    let total = tables.len();
    let foreign_ids = first(pairs, "includeForeignIds") == Some("true");
    let results: Vec<Value> = tables[page.range(total)]
        .iter()
        .map(|(table, version)| table_json(store, table, version, foreign_ids))
        .collect();
    let mut body = json!({"total": total, "results": results});
    if let Some(paging) = page.paging(total, link_base, pairs) {
        body["paging"] = paging;
    }
    Ok(body)
}

type TableTest = Box<dyn Fn(&Table, &Version) -> bool>;

/// `createdAt`, `createdAfter`, `createdBefore` and the `updated` ones (RFC 3339 date-times).
fn time_filter(key: &str, value: &str) -> Result<Option<TableTest>, ApiError> {
    let known = [
        "createdAt",
        "createdAfter",
        "createdBefore",
        "updatedAt",
        "updatedAfter",
        "updatedBefore",
    ];
    if !known.contains(&key) {
        return Ok(None);
    }
    let at = parse_time(value)
        .ok_or_else(|| ApiError::validation(format!("{key} must be a date-time, got {value}")))?;
    let key = key.to_string();
    Ok(Some(Box::new(move |table, version| {
        let time = if key.starts_with("created") {
            table.created_at
        } else {
            version.updated_at
        };
        match &key[7..] {
            "After" => time > at,
            "Before" => time < at,
            _ => time == at,
        }
    })))
}

fn sort_tables(tables: &mut [(&Table, &Version)], sort: &[String]) -> Result<(), ApiError> {
    let keys: Vec<(String, bool)> = match sort {
        [] => vec![("createdAt".to_string(), false)],
        keys => keys
            .iter()
            .map(|key| match key.strip_prefix('-') {
                Some(name) => (name.to_string(), true),
                None => (key.clone(), false),
            })
            .collect(),
    };
    let allowed = ["name", "createdAt", "updatedAt", "createdBy", "updatedBy"];
    if let Some((bad, _)) = keys
        .iter()
        .find(|(name, _)| !allowed.contains(&name.as_str()))
    {
        return Err(ApiError::validation(format!("Cannot sort tables by {bad}")));
    }
    tables.sort_by(|(a, av), (b, bv)| {
        let by_keys = keys.iter().map(|(name, descending)| {
            let order = match name.as_str() {
                "name" => a.name.cmp(&b.name),
                "updatedAt" => av.updated_at.cmp(&bv.updated_at),
                "createdAt" => a.created_at.cmp(&b.created_at),
                _ => Ordering::Equal,
            };
            if *descending { order.reverse() } else { order }
        });
        by_keys
            .fold(Ordering::Equal, Ordering::then)
            .then(a.id.cmp(&b.id))
    });
    Ok(())
}
