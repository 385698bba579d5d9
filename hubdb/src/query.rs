//! Query strings of the HubDB v3 row listing (reference §8), built by hand so that every byte
//! sent is known: the opaque cursor and filter values are percent-encoded exactly once.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{FilterOp, PageToken, RowQuery};

/// Everything but RFC 3986 "unreserved" characters is encoded, so `+`, `/`, `=`, `&`, `,`
/// and spaces in a cursor or a value reach HubSpot unchanged after one decoding.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// HubDB never returns more than 1000 rows per page (reference §7, §15); asking for more is
/// clamped by the sandbox and unconfirmed on HubSpot, so the client never does.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// The system column asked for when a query wants none of the table's own columns:
/// `properties` takes column names and `hs_id` is every row's id (reference §3, §14.15), which
/// HubDB returns at the row's top level anyway, so `values` comes back empty.
pub const NO_OWN_COLUMNS_PROPERTY: &str = "hs_id";

/// Percent-encodes one query-string key or value, or one path segment.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// An ordered list of query parameters; repeated keys stay repeated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueryString(Vec<(String, String)>);

impl QueryString {
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.0.push((key.to_string(), value.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `k=v&k2=v2`, each key and value encoded.
    pub fn encoded(&self) -> String {
        let pairs: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        pairs.join("&")
    }
}

/// The query of one page of rows. `page`: `None` for the first page (the query's own
/// offset), else where the previous page said to continue.
pub fn row_page_query(query: &RowQuery, page: Option<&PageToken>) -> QueryString {
    let mut qs = QueryString::default();
    for key in &query.sort {
        let sign = if key.descending { "-" } else { "" };
        qs.push("sort", format!("{sign}{}", key.column));
    }
    push_properties(&mut qs, query.properties.as_deref());
    for filter in &query.filters {
        qs.push(
            &format!("{}__{}", filter.column, filter.op.suffix()),
            filter_value(filter.op, &filter.value),
        );
    }
    let limit = query.limit.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    qs.push("limit", limit.to_string());
    match page {
        Some(PageToken::After(cursor)) => qs.push("after", cursor.clone()),
        Some(PageToken::Offset(offset)) => qs.push("offset", offset.to_string()),
        None => {
            if let Some(offset) = query.offset.filter(|o| *o > 0) {
                qs.push("offset", offset.to_string());
            }
        }
    }
    qs
}

/// `properties` repeated once per column, as HubSpot's own clients send arrays (reference §8.3).
fn push_properties(qs: &mut QueryString, properties: Option<&[String]>) {
    match properties {
        None => {}
        Some([]) => qs.push("properties", NO_OWN_COLUMNS_PROPERTY),
        Some(columns) => {
            for column in columns {
                qs.push("properties", column.clone());
            }
        }
    }
}

/// `is_null` and `not_null` take no operand: HubL's documented form is `col__not_null=`.
fn filter_value(op: FilterOp, value: &str) -> String {
    match op {
        FilterOp::IsNull | FilterOp::NotNull => String::new(),
        _ => value.to_string(),
    }
}

/// The query of one page of the table listing (reference §6 T1/T2): HubSpot's default page
/// size, archived tables left out by not asking for them.
pub fn table_page_query(page: Option<&PageToken>) -> QueryString {
    let mut qs = QueryString::default();
    qs.push("limit", MAX_PAGE_SIZE.to_string());
    match page {
        Some(PageToken::After(cursor)) => qs.push("after", cursor.clone()),
        Some(PageToken::Offset(offset)) => qs.push("offset", offset.to_string()),
        None => {}
    }
    qs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Filter, SortKey};

    fn filter(column: &str, op: FilterOp, value: &str) -> Filter {
        Filter {
            column: column.to_string(),
            op,
            value: value.to_string(),
        }
    }

    fn encoded_filter(op: FilterOp, value: &str) -> String {
        let query = RowQuery {
            filters: vec![filter("price", op, value)],
            ..RowQuery::default()
        };
        row_page_query(&query, None).encoded()
    }

    #[test]
    fn every_filter_operator_is_sent_as_column_double_underscore_op() {
        let cases = [
            (FilterOp::Eq, "price__eq=5"),
            (FilterOp::Ne, "price__ne=5"),
            (FilterOp::Lt, "price__lt=5"),
            (FilterOp::Lte, "price__lte=5"),
            (FilterOp::Gt, "price__gt=5"),
            (FilterOp::Gte, "price__gte=5"),
            (FilterOp::IsNull, "price__is_null="),
            (FilterOp::NotNull, "price__not_null="),
            (FilterOp::Like, "price__like=5"),
            (FilterOp::NotLike, "price__not_like=5"),
            (FilterOp::Contains, "price__contains=5"),
            (FilterOp::IContains, "price__icontains=5"),
            (FilterOp::StartsWith, "price__startswith=5"),
            (FilterOp::In, "price__in=5"),
            (FilterOp::NotIn, "price__not_in=5"),
        ];
        for (op, expected) in cases {
            assert_eq!(
                encoded_filter(op, "5"),
                format!("{expected}&limit=1000"),
                "{op:?}"
            );
        }
    }

    #[test]
    fn null_tests_send_an_empty_value_whatever_the_filter_holds() {
        assert_eq!(
            encoded_filter(FilterOp::IsNull, "x"),
            "price__is_null=&limit=1000"
        );
    }

    #[test]
    fn filter_values_are_percent_encoded() {
        assert_eq!(
            encoded_filter(FilterOp::In, "a b,c&d=e+f/ü"),
            "price__in=a%20b%2Cc%26d%3De%2Bf%2F%C3%BC&limit=1000"
        );
        assert_eq!(
            encoded_filter(FilterOp::Like, "50%_x"),
            "price__like=50%25_x&limit=1000"
        );
    }

    #[test]
    fn sort_keys_repeat_with_minus_for_descending() {
        let query = RowQuery {
            sort: vec![
                SortKey {
                    column: "name".into(),
                    descending: false,
                },
                SortKey {
                    column: "hs_created_at".into(),
                    descending: true,
                },
            ],
            ..RowQuery::default()
        };
        assert_eq!(
            row_page_query(&query, None).encoded(),
            "sort=name&sort=-hs_created_at&limit=1000"
        );
    }

    #[test]
    fn properties_repeat_once_per_column() {
        let query = RowQuery {
            properties: Some(vec!["name".into(), "price".into()]),
            ..RowQuery::default()
        };
        assert_eq!(
            row_page_query(&query, None).encoded(),
            "properties=name&properties=price&limit=1000"
        );
    }

    #[test]
    fn no_own_columns_asks_for_the_row_id_only() {
        let query = RowQuery {
            properties: Some(vec![]),
            ..RowQuery::default()
        };
        assert_eq!(
            row_page_query(&query, None).encoded(),
            "properties=hs_id&limit=1000"
        );
    }

    #[test]
    fn limit_is_clamped_to_one_thousand_and_offset_sent_on_the_first_page() {
        let query = RowQuery {
            limit: Some(5000),
            offset: Some(20),
            ..RowQuery::default()
        };
        assert_eq!(
            row_page_query(&query, None).encoded(),
            "limit=1000&offset=20"
        );
        let query = RowQuery {
            limit: Some(0),
            offset: Some(0),
            ..RowQuery::default()
        };
        assert_eq!(row_page_query(&query, None).encoded(), "limit=1");
    }

    #[test]
    fn a_cursor_with_plus_slash_and_equals_is_sent_percent_encoded() {
        let query = RowQuery {
            limit: Some(10),
            offset: Some(20),
            ..RowQuery::default()
        };
        let cursor = PageToken::After("ab+c/d==".into());
        assert_eq!(
            row_page_query(&query, Some(&cursor)).encoded(),
            "limit=10&after=ab%2Bc%2Fd%3D%3D"
        );
    }

    #[test]
    fn an_offset_token_replaces_the_query_offset() {
        let query = RowQuery {
            offset: Some(20),
            ..RowQuery::default()
        };
        let page = PageToken::Offset(1020);
        assert_eq!(
            row_page_query(&query, Some(&page)).encoded(),
            "limit=1000&offset=1020"
        );
    }

    #[test]
    fn table_listing_query_follows_the_cursor() {
        assert_eq!(table_page_query(None).encoded(), "limit=1000");
        let cursor = PageToken::After("x y".into());
        assert_eq!(
            table_page_query(Some(&cursor)).encoded(),
            "limit=1000&after=x%20y"
        );
    }
}
