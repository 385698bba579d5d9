//! Every operator against every column type it applies to, and its rejection elsewhere.

use super::compile;
use crate::model::Version;
use crate::seed::Seed;

/// Row 1 is full, row 2 partly different, row 3 has only empty cells and no page fields.
const FIXTURE: &str = r#"{"tables": [{
  "id": 1, "name": "t", "label": "T", "createdAt": "2024-01-01T00:00:00Z",
  "publishedAt": "2024-01-02T00:00:00Z",
  "columns": [
    {"id": 1, "name": "text", "type": "TEXT"},
    {"id": 2, "name": "rich", "type": "RICHTEXT"},
    {"id": 3, "name": "url", "type": "URL"},
    {"id": 4, "name": "number", "type": "NUMBER"},
    {"id": 5, "name": "money", "type": "CURRENCY"},
    {"id": 6, "name": "flag", "type": "BOOLEAN"},
    {"id": 7, "name": "day", "type": "DATE"},
    {"id": 8, "name": "moment", "type": "DATETIME"},
    {"id": 9, "name": "colour", "type": "SELECT", "options": ["Red", "Green", "Blue", "7"]},
    {"id": 10, "name": "colours", "type": "MULTISELECT", "options": ["Red", "Green", "Blue"]},
    {"id": 11, "name": "place", "type": "LOCATION"},
    {"id": 12, "name": "picture", "type": "IMAGE"},
    {"id": 13, "name": "refs", "type": "FOREIGN_ID"},
    {"id": 14, "name": "blob", "type": "JSON"}
  ],
  "rows": [
    {"id": 1, "path": "alpha", "name": "Alpha", "values": {
      "text": "Alpha Bravo", "rich": "<p>Hello World</p>", "url": "https://a.example.com/x",
      "number": 10, "money": 9.99, "flag": 1, "day": "2024-01-01", "moment": 1700000000000,
      "colour": "Red", "colours": ["Red", "Green"], "place": {"lat": 1.5, "long": 2.5},
      "picture": {"url": "https://img.example.com/a.png"}, "refs": [{"id": "100"}],
      "blob": {"k": 1}}},
    {"id": 2, "path": "bravo", "name": "Bravo", "values": {
      "text": "bravo_charlie 50%", "rich": "<p>Bye</p>", "url": "http://b.example.com",
      "number": 20, "money": 100, "flag": 0, "day": "2024-06-01", "moment": 4102444800000,
      "colour": "Blue", "colours": ["Green"], "refs": [{"id": "200"}, {"id": "100"}]}},
    {"id": 3, "values": {}}
  ]}]}"#;

fn version() -> Version {
    let seed = Seed::from_json(FIXTURE).expect("fixture seed");
    seed.store.tables[0].draft.clone()
}

/// Ids of the rows a filter keeps.
fn keeps(key: &str, value: &str) -> Vec<u64> {
    let version = version();
    let predicate =
        compile(&version, key, value).unwrap_or_else(|e| panic!("{key}={value}: {e:?}"));
    version
        .rows
        .iter()
        .filter(|row| predicate(row))
        .map(|row| row.id)
        .collect()
}

fn assert_rejected(key: &str, value: &str) {
    let error = compile(&version(), key, value).err();
    let error = error.unwrap_or_else(|| panic!("{key}={value} should be refused"));
    assert_eq!(
        (error.status.as_u16(), error.category),
        (400, "VALIDATION_ERROR"),
        "{key}"
    );
}

#[test]
fn text_operators() {
    assert_eq!(keeps("text", "Alpha Bravo"), [1]);
    assert_eq!(keeps("text__eq", "Alpha Bravo"), [1]);
    assert_eq!(keeps("text__ne", "Alpha Bravo"), [2, 3]);
    assert_eq!(keeps("text__contains", "Bravo"), [1]);
    assert_eq!(keeps("text__icontains", "BRAVO"), [1, 2]);
    assert_eq!(keeps("text__startswith", "bravo"), [2]);
    assert_eq!(keeps("text__in", "Alpha Bravo,nothing"), [1]);
    assert_eq!(keeps("text__not_in", "Alpha Bravo"), [2, 3]);
    assert_eq!(keeps("text__is_null", ""), [3]);
    assert_eq!(keeps("text__not_null", ""), [1, 2]);
}

#[test]
fn like_takes_percent_underscore_and_backslash_escapes() {
    assert_eq!(keeps("text__like", "%Bravo"), [1]);
    assert_eq!(keeps("text__like", "_lpha%"), [1]);
    assert_eq!(keeps("text__like", "bravo\\_c%"), [2]);
    assert_eq!(keeps("text__like", "%50\\%"), [2]);
    assert_eq!(keeps("text__like", "alpha%"), Vec::<u64>::new());
    assert_eq!(keeps("text__not_like", "%Bravo"), [2, 3]);
}

#[test]
fn richtext_and_url_take_the_text_operators() {
    assert_eq!(keeps("rich__contains", "World"), [1]);
    assert_eq!(keeps("rich__like", "<p>B%"), [2]);
    assert_eq!(keeps("url__startswith", "https://"), [1]);
    assert_eq!(keeps("url__icontains", "B.EXAMPLE"), [2]);
    assert_eq!(keeps("url__is_null", ""), [3]);
}

#[test]
fn text_refuses_ordering_operators() {
    for op in ["lt", "lte", "gt", "gte"] {
        assert_rejected(&format!("text__{op}"), "a");
        assert_rejected(&format!("rich__{op}"), "a");
    }
}

#[test]
fn number_operators() {
    assert_eq!(keeps("number__eq", "10"), [1]);
    assert_eq!(keeps("number__ne", "10"), [2, 3]);
    assert_eq!(keeps("number__lt", "20"), [1]);
    assert_eq!(keeps("number__lte", "20"), [1, 2]);
    assert_eq!(keeps("number__gt", "10"), [2]);
    assert_eq!(keeps("number__gte", "10"), [1, 2]);
    assert_eq!(keeps("number__in", "10,20"), [1, 2]);
    assert_eq!(keeps("number__not_in", "10"), [2, 3]);
    assert_eq!(keeps("number__is_null", ""), [3]);
    assert_eq!(keeps("number__not_null", ""), [1, 2]);
    assert_eq!(keeps("money__gt", "50"), [2]);
    assert_eq!(keeps("money__lte", "9.99"), [1]);
}

#[test]
fn number_refuses_text_operators_and_bad_values() {
    for op in ["contains", "icontains", "startswith", "like", "not_like"] {
        assert_rejected(&format!("number__{op}"), "1");
        assert_rejected(&format!("money__{op}"), "1");
    }
    assert_rejected("number__gt", "ten");
    assert_rejected("number__in", "1,two");
}

#[test]
fn date_and_datetime_operators_take_epoch_milliseconds() {
    assert_eq!(keeps("day__eq", "1704067200000"), [1]);
    assert_eq!(keeps("day__ne", "1704067200000"), [2, 3]);
    assert_eq!(keeps("day__lt", "1717200000000"), [1]);
    assert_eq!(keeps("day__lte", "1717200000000"), [1, 2]);
    assert_eq!(keeps("day__gt", "1704067200000"), [2]);
    assert_eq!(keeps("day__gte", "1704067200000"), [1, 2]);
    assert_eq!(keeps("day__is_null", ""), [3]);
    assert_eq!(keeps("moment__gt", "1700000000000"), [2]);
    assert_eq!(keeps("moment__not_null", ""), [1, 2]);
}

#[test]
fn datetime_takes_relative_times() {
    assert_eq!(keeps("moment__lt", "-1d"), [1]);
    assert_eq!(keeps("moment__gt", "10s"), [2]);
    assert_eq!(keeps("moment__gte", "-3h"), [2]);
    assert_eq!(super::parse_time_filter("-3h", 10_800_000), Some(0));
    assert_eq!(super::parse_time_filter("250ms", 0), Some(250));
}

#[test]
fn dates_refuse_text_and_list_operators() {
    for op in ["contains", "like", "in", "not_in", "startswith"] {
        assert_rejected(&format!("day__{op}"), "1");
        assert_rejected(&format!("moment__{op}"), "1");
    }
    assert_rejected("day__gt", "yesterday");
}

#[test]
fn boolean_takes_one_zero_true_false_and_empty_is_zero() {
    assert_eq!(keeps("flag", "1"), [1]);
    assert_eq!(keeps("flag__eq", "true"), [1]);
    assert_eq!(keeps("flag__eq", "0"), [2, 3]);
    assert_eq!(keeps("flag__eq", "false"), [2, 3]);
    assert_eq!(keeps("flag__ne", "1"), [2, 3]);
    assert_eq!(keeps("flag__ne", "0"), [1]);
}

#[test]
fn boolean_refuses_everything_but_eq_and_ne() {
    for op in ["is_null", "not_null", "gt", "in", "contains", "like"] {
        assert_rejected(&format!("flag__{op}"), "1");
    }
    assert_rejected("flag__eq", "maybe");
}

#[test]
fn select_matches_option_id_or_name() {
    assert_eq!(keeps("colour", "Red"), [1]);
    assert_eq!(keeps("colour__eq", "1"), [1]);
    assert_eq!(keeps("colour__ne", "Red"), [2, 3]);
    assert_eq!(keeps("colour__in", "Red,3"), [1, 2]);
    assert_eq!(keeps("colour__not_in", "Red"), [2, 3]);
    assert_eq!(keeps("colour__is_null", ""), [3]);
    assert_eq!(keeps("colour__not_null", ""), [1, 2]);
    assert_eq!(keeps("colour__eq", "Purple"), Vec::<u64>::new());
    for op in ["contains", "lt", "like", "startswith"] {
        assert_rejected(&format!("colour__{op}"), "Red");
    }
}

#[test]
fn select_digits_are_an_id_when_one_matches_else_a_name() {
    let version = version();
    let column = version.column("colour").unwrap();
    assert_eq!(
        column.resolve_option("4").map(|o| o.name.as_str()),
        Some("7")
    );
    assert_eq!(column.resolve_option("7").map(|o| o.id.as_str()), Some("4"));
}

#[test]
fn multiselect_contains_and_in_match_any_option() {
    assert_eq!(keeps("colours__contains", "Red"), [1]);
    assert_eq!(keeps("colours__contains", "Green"), [1, 2]);
    assert_eq!(keeps("colours__in", "Red,Blue"), [1]);
    assert_eq!(keeps("colours__in", "2"), [1, 2]);
    assert_eq!(keeps("colours__eq", "Green"), [2]);
    assert_eq!(keeps("colours__eq", "Green,Red"), [1]);
    assert_eq!(keeps("colours__ne", "Green"), [1, 3]);
    assert_eq!(keeps("colours__not_in", "Red"), [2, 3]);
    assert_eq!(keeps("colours__is_null", ""), [3]);
    assert_eq!(keeps("colours__not_null", ""), [1, 2]);
    for op in ["lt", "like", "icontains"] {
        assert_rejected(&format!("colours__{op}"), "Red");
    }
}

#[test]
fn foreign_id_matches_row_ids() {
    assert_eq!(keeps("refs__contains", "100"), [1, 2]);
    assert_eq!(keeps("refs__in", "200,300"), [2]);
    assert_eq!(keeps("refs__eq", "200,100"), [2]);
    assert_eq!(keeps("refs__ne", "100"), [2, 3]);
    assert_eq!(keeps("refs__not_in", "200"), [1, 3]);
    assert_eq!(keeps("refs__is_null", ""), [3]);
    assert_rejected("refs__gt", "1");
}

#[test]
fn location_and_image_take_equality_and_null_tests() {
    assert_eq!(keeps("place__eq", "1.5,2.5"), [1]);
    assert_eq!(keeps("place__ne", "1.5,2.5"), [2, 3]);
    assert_eq!(keeps("place__is_null", ""), [2, 3]);
    assert_eq!(keeps("picture__eq", "https://img.example.com/a.png"), [1]);
    assert_eq!(keeps("picture__not_null", ""), [1]);
    assert_rejected("place__contains", "1");
    assert_rejected("place__eq", "north");
    assert_rejected("picture__like", "%png");
}

#[test]
fn other_types_take_only_null_tests() {
    assert_eq!(keeps("blob__not_null", ""), [1]);
    assert_eq!(keeps("blob__is_null", ""), [2, 3]);
    assert_rejected("blob__eq", "{}");
}

#[test]
fn system_columns_filter_by_their_hs_names() {
    assert_eq!(keeps("hs_id__gt", "1"), [2, 3]);
    assert_eq!(keeps("hs_id__in", "1,3"), [1, 3]);
    assert_eq!(keeps("hs_id", "2"), [2]);
    assert_eq!(keeps("hs_created_at__lt", "0s"), [1, 2, 3]);
    assert_eq!(keeps("hs_created_at__gte", "1704067260000"), [2, 3]);
    assert_eq!(keeps("hs_path__startswith", "br"), [2]);
    assert_eq!(keeps("hs_path__is_null", ""), [3]);
    assert_eq!(keeps("hs_name__icontains", "ALPHA"), [1]);
    assert_rejected("hs_id__contains", "1");
    assert_rejected("hs_name__gt", "A");
}

#[test]
fn unknown_columns_and_operators_are_refused() {
    assert_rejected("missing", "1");
    assert_rejected("missing__eq", "1");
    assert_rejected("text__between", "a");
    assert_rejected("Text__eq", "Alpha Bravo");
}
