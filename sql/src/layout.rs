//! How a HubDB table appears as a SQL table: system columns first, then the table's own
//! columns with the type mapping of DESIGN "Types".

use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use hubdb::{Column, ColumnType, SelectOption, Table, Version};

use crate::types::{SqlType, hubdb_field};

/// The built-in fields every row carries (reference §3, §4.5), in DESIGN's column order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SystemColumn {
    Id,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
    PagePath,
    PageName,
    ChildTableId,
}

impl SystemColumn {
    pub(crate) const ALL: [SystemColumn; 7] = [
        Self::Id,
        Self::CreatedAt,
        Self::UpdatedAt,
        Self::PublishedAt,
        Self::PagePath,
        Self::PageName,
        Self::ChildTableId,
    ];

    /// The SQL name shown unless a table column already uses it.
    pub(crate) fn sql_name(self) -> &'static str {
        match self {
            Self::Id => "Id",
            Self::CreatedAt => "CreatedAt",
            Self::UpdatedAt => "UpdatedAt",
            Self::PublishedAt => "PublishedAt",
            Self::PagePath => "PagePath",
            Self::PageName => "PageName",
            Self::ChildTableId => "ChildTableId",
        }
    }

    /// HubDB's own name for the field (reference §3); shown as `hs_...` on a name clash.
    pub(crate) fn hubdb_name(self) -> &'static str {
        match self {
            Self::Id => "hs_id",
            Self::CreatedAt => "hs_created_at",
            Self::UpdatedAt => "hs_updated_at",
            Self::PublishedAt => "hs_published_at",
            Self::PagePath => "hs_path",
            Self::PageName => "hs_name",
            Self::ChildTableId => "hs_child_table_id",
        }
    }

    /// The name HubDB filters and sorts by, for the fields reference §8.5 lists
    /// (`hs_id` as NUMBER, `hs_created_at` as DATETIME, `hs_path`, `hs_name` as TEXT).
    pub(crate) fn filter_name(self) -> Option<&'static str> {
        match self {
            Self::Id | Self::CreatedAt | Self::PagePath | Self::PageName => Some(self.hubdb_name()),
            _ => None,
        }
    }

    fn sql_type(self) -> SqlType {
        match self {
            Self::Id | Self::ChildTableId => SqlType::BigInt,
            Self::CreatedAt | Self::UpdatedAt | Self::PublishedAt => {
                SqlType::Timestamp { fraction_digits: 3 }
            }
            Self::PagePath | Self::PageName => SqlType::WVarChar { length: 2048 },
        }
    }
}

/// Which half of a LOCATION cell an extra column shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coordinate {
    Latitude,
    Longitude,
}

/// Where the values of a SQL column come from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Source {
    System(SystemColumn),
    /// A table column, by its HubDB name.
    Cell(CellColumn),
    /// `<col>_latitude` / `<col>_longitude` of a LOCATION column.
    Location(String, Coordinate),
}

/// A table column as the converter needs it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CellColumn {
    pub(crate) name: String,
    pub(crate) column_type: ColumnType,
    /// SELECT / MULTISELECT options in display order (by `order`, then as listed).
    pub(crate) options: Vec<SelectOption>,
}

/// One SQL column of a HubDB table.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LayoutColumn {
    pub(crate) name: String,
    pub(crate) sql_type: SqlType,
    pub(crate) nullable: bool,
    pub(crate) source: Source,
    pub(crate) remarks: Option<String>,
}

impl LayoutColumn {
    /// The HubDB column a filter or sort on this SQL column names, if HubDB has one.
    pub(crate) fn hubdb_filter_name(&self) -> Option<&str> {
        match &self.source {
            Source::System(system) => system.filter_name(),
            Source::Cell(cell) => Some(&cell.name),
            Source::Location(..) => None,
        }
    }
}

/// The SQL shape of one version of one HubDB table.
#[derive(Clone, Debug)]
pub(crate) struct TableLayout {
    pub(crate) table: String,
    pub(crate) version: Version,
    pub(crate) columns: Vec<LayoutColumn>,
    pub(crate) schema: SchemaRef,
}

/// The SQL schema name of a table version.
pub(crate) fn schema_name(version: Version) -> &'static str {
    match version {
        Version::Published => "Published",
        Version::Draft => "Draft",
    }
}

impl TableLayout {
    pub(crate) fn new(table: &Table, version: Version) -> TableLayout {
        let mut columns: Vec<LayoutColumn> = SystemColumn::ALL
            .iter()
            .map(|&system| system_column(system, &table.columns))
            .collect();
        for column in &table.columns {
            columns.extend(table_columns(column, &table.columns));
        }
        let fields: Vec<_> = columns
            .iter()
            .map(|c| {
                hubdb_field(
                    &c.name,
                    c.sql_type,
                    c.nullable,
                    &table.name,
                    schema_name(version),
                )
            })
            .collect();
        TableLayout {
            table: table.name.clone(),
            version,
            columns,
            schema: Arc::new(Schema::new(fields)),
        }
    }

    /// The SQL name of the row id (`Id`, or `hs_id` when a table column is called `Id`).
    pub(crate) fn row_id_name(&self) -> &str {
        self.columns
            .iter()
            .find(|c| c.source == Source::System(SystemColumn::Id))
            .map_or(SystemColumn::Id.sql_name(), |c| &c.name)
    }

    /// The column whose SQL name matches, ignoring case.
    pub(crate) fn column(&self, name: &str) -> Option<&LayoutColumn> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

fn system_column(system: SystemColumn, own: &[Column]) -> LayoutColumn {
    let clashes = own
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(system.sql_name()));
    let name = if clashes {
        system.hubdb_name()
    } else {
        system.sql_name()
    };
    LayoutColumn {
        name: name.to_string(),
        sql_type: system.sql_type(),
        nullable: system != SystemColumn::Id,
        source: Source::System(system),
        remarks: Some(format!("HubDB system field {}", system.hubdb_name())),
    }
}

/// The SQL column(s) of one table column: LOCATION adds its two coordinates, unless the
/// table already has columns of those names.
fn table_columns(column: &Column, own: &[Column]) -> Vec<LayoutColumn> {
    let mut options = column.options.clone();
    options.sort_by_key(|o| o.order.unwrap_or(i32::MAX));
    let cell = LayoutColumn {
        name: column.name.clone(),
        sql_type: sql_type_of(&column.column_type),
        // An empty BOOLEAN cell reads as 0, as HubDB's filters treat it (DESIGN "Types").
        nullable: column.column_type != ColumnType::Boolean,
        source: Source::Cell(CellColumn {
            name: column.name.clone(),
            column_type: column.column_type.clone(),
            options,
        }),
        remarks: column.description.clone().filter(|d| !d.is_empty()),
    };
    let mut columns = vec![cell];
    if column.column_type == ColumnType::Location {
        for (suffix, coordinate) in [
            ("latitude", Coordinate::Latitude),
            ("longitude", Coordinate::Longitude),
        ] {
            let name = format!("{}_{suffix}", column.name);
            if !own.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
                columns.push(LayoutColumn {
                    name,
                    sql_type: SqlType::Double,
                    nullable: true,
                    source: Source::Location(column.name.clone(), coordinate),
                    remarks: Some(format!("{suffix} of LOCATION column {}", column.name)),
                });
            }
        }
    }
    columns
}

/// DESIGN "Types": the SQL type of each HubDB column type.
pub(crate) fn sql_type_of(column_type: &ColumnType) -> SqlType {
    match column_type {
        ColumnType::Text => SqlType::WVarChar { length: 10000 },
        ColumnType::RichText => SqlType::WLongVarChar { length: 65000 },
        ColumnType::Url | ColumnType::Image => SqlType::WVarChar { length: 2048 },
        ColumnType::Number => SqlType::Double,
        ColumnType::Currency => SqlType::Decimal {
            precision: 19,
            scale: 4,
        },
        ColumnType::Boolean => SqlType::Bit,
        ColumnType::Date => SqlType::Date,
        ColumnType::DateTime => SqlType::Timestamp { fraction_digits: 3 },
        ColumnType::Select => SqlType::WVarChar { length: 700 },
        ColumnType::MultiSelect | ColumnType::ForeignId => SqlType::WVarChar { length: 4000 },
        ColumnType::Location => SqlType::WVarChar { length: 64 },
        ColumnType::Other(_) => SqlType::WLongVarChar { length: 65000 },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn column(name: &str, column_type: &str) -> Column {
        Column {
            id: name.len().to_string(),
            name: name.to_string(),
            label: name.to_uppercase(),
            column_type: ColumnType::from_api(column_type),
            description: None,
            options: Vec::new(),
            foreign_table_id: None,
            foreign_column_id: None,
        }
    }

    pub(crate) fn table(name: &str, columns: Vec<Column>) -> Table {
        Table {
            id: "1001".into(),
            name: name.into(),
            label: name.into(),
            columns,
            row_count: None,
            published: true,
            published_at: None,
            created_at: None,
            updated_at: None,
            use_for_pages: false,
            archived: false,
        }
    }

    fn names(layout: &TableLayout) -> Vec<&str> {
        layout.columns.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn system_columns_come_first_in_design_order() {
        let layout = TableLayout::new(&table("t", vec![column("name", "TEXT")]), Version::Draft);
        assert_eq!(
            names(&layout),
            [
                "Id",
                "CreatedAt",
                "UpdatedAt",
                "PublishedAt",
                "PagePath",
                "PageName",
                "ChildTableId",
                "name"
            ]
        );
        assert!(!layout.columns[0].nullable);
    }

    #[test]
    fn a_table_column_named_like_a_system_column_keeps_its_name() {
        let own = vec![column("id", "TEXT"), column("pagename", "NUMBER")];
        let layout = TableLayout::new(&table("t", own), Version::Published);
        assert_eq!(
            names(&layout)[..7],
            [
                "hs_id",
                "CreatedAt",
                "UpdatedAt",
                "PublishedAt",
                "PagePath",
                "hs_name",
                "ChildTableId"
            ]
        );
        assert_eq!(
            layout.column("ID").map(|c| c.sql_type),
            Some(SqlType::WVarChar { length: 10000 })
        );
        assert_eq!(
            layout.column("hs_id").map(|c| c.sql_type),
            Some(SqlType::BigInt)
        );
    }

    #[test]
    fn every_hubdb_type_maps_to_its_design_sql_type() {
        let cases = [
            ("TEXT", SqlType::WVarChar { length: 10000 }),
            ("RICHTEXT", SqlType::WLongVarChar { length: 65000 }),
            ("URL", SqlType::WVarChar { length: 2048 }),
            ("NUMBER", SqlType::Double),
            (
                "CURRENCY",
                SqlType::Decimal {
                    precision: 19,
                    scale: 4,
                },
            ),
            ("BOOLEAN", SqlType::Bit),
            ("DATE", SqlType::Date),
            ("DATETIME", SqlType::Timestamp { fraction_digits: 3 }),
            ("SELECT", SqlType::WVarChar { length: 700 }),
            ("MULTISELECT", SqlType::WVarChar { length: 4000 }),
            ("LOCATION", SqlType::WVarChar { length: 64 }),
            ("IMAGE", SqlType::WVarChar { length: 2048 }),
            ("FOREIGN_ID", SqlType::WVarChar { length: 4000 }),
            ("VIDEO", SqlType::WLongVarChar { length: 65000 }),
        ];
        for (api, expected) in cases {
            assert_eq!(sql_type_of(&ColumnType::from_api(api)), expected, "{api}");
        }
    }

    #[test]
    fn a_location_column_adds_latitude_and_longitude() {
        let layout = TableLayout::new(
            &table("t", vec![column("spot", "LOCATION")]),
            Version::Draft,
        );
        assert_eq!(
            names(&layout)[7..],
            ["spot", "spot_latitude", "spot_longitude"]
        );
        assert_eq!(layout.columns[8].sql_type, SqlType::Double);
    }

    #[test]
    fn boolean_columns_are_not_nullable_and_arrow_fields_carry_the_sql_type() {
        let layout = TableLayout::new(&table("t", vec![column("ok", "BOOLEAN")]), Version::Draft);
        let field = layout.schema.field(7);
        assert!(!field.is_nullable());
        assert_eq!(crate::types::sql_type_of_field(field), SqlType::Bit);
    }
}
