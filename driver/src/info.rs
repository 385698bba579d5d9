//! SQLGetInfo answers and the SQLGetFunctions bitmap.
//!
//! Decisions baked in (reference/odbc.md §1.4, §1.6; bug cases B13/B30):
//! - every information type of the ODBC 3.8 headers, plus ODBC 4.0's
//!   `SQL_RETURN_ESCAPE_CLAUSE` (180), gets an answer; capability masks say only what the
//!   engine really does (a wrong "yes" makes folded BI queries fail at run time): the
//!   scalar-function, interval and CONVERT masks are built from the engine's own lists
//!   (`hubdb_sql::SCALAR_FUNCTIONS`, ...), which its tests run one by one (B31); truly
//!   unknown numbers give `HY096`;
//! - `SQLGetFunctions` answers from [`EXPORTS`], the same list the library exports (a test
//!   checks the list against the `extern "system"` functions in `ffi/`), because unixODBC
//!   disables every exported function whose bit is clear.

use hubdb_sql::{
    CONVERT_TARGETS, FunctionGroup, SCALAR_FUNCTIONS, TIMESTAMPADD_INTERVALS,
    TIMESTAMPDIFF_INTERVALS,
};

/// One answer of SQLGetInfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InfoValue {
    Text(String),
    U16(u16),
    U32(u32),
}

/// What SQLGetInfo needs to know about the connection.
#[derive(Debug, Clone, Default)]
pub struct InfoContext {
    pub dsn: String,
    pub server_name: String,
    pub read_only: bool,
}

/// Every exported ODBC function with its `SQL_API_*` id (sql.h, sqlext.h). ANSI and wide
/// variants share the id of the base function.
pub const EXPORTS: &[(&str, u16)] = &[
    ("SQLAllocHandle", 1001),
    ("SQLFreeHandle", 1006),
    ("SQLFreeStmt", 16),
    ("SQLSetEnvAttr", 1019),
    ("SQLGetEnvAttr", 1012),
    ("SQLSetConnectAttr", 1016),
    ("SQLSetConnectAttrW", 1016),
    ("SQLGetConnectAttr", 1007),
    ("SQLGetConnectAttrW", 1007),
    ("SQLSetStmtAttr", 1020),
    ("SQLSetStmtAttrW", 1020),
    ("SQLGetStmtAttr", 1014),
    ("SQLGetStmtAttrW", 1014),
    ("SQLConnect", 7),
    ("SQLConnectW", 7),
    ("SQLDriverConnect", 41),
    ("SQLDriverConnectW", 41),
    ("SQLDisconnect", 9),
    ("SQLGetInfo", 45),
    ("SQLGetInfoW", 45),
    ("SQLGetFunctions", 44),
    ("SQLGetDiagRec", 1011),
    ("SQLGetDiagRecW", 1011),
    ("SQLGetDiagField", 1010),
    ("SQLGetDiagFieldW", 1010),
    ("SQLPrepare", 19),
    ("SQLPrepareW", 19),
    ("SQLExecute", 12),
    ("SQLExecDirect", 11),
    ("SQLExecDirectW", 11),
    ("SQLNativeSql", 62),
    ("SQLNativeSqlW", 62),
    ("SQLNumParams", 63),
    ("SQLDescribeParam", 58),
    ("SQLBindParameter", 72),
    ("SQLNumResultCols", 18),
    ("SQLDescribeCol", 8),
    ("SQLDescribeColW", 8),
    ("SQLColAttribute", 6),
    ("SQLColAttributeW", 6),
    ("SQLBindCol", 4),
    ("SQLFetch", 13),
    ("SQLFetchScroll", 1021),
    ("SQLGetData", 43),
    ("SQLRowCount", 20),
    ("SQLMoreResults", 61),
    ("SQLCloseCursor", 1003),
    ("SQLCancel", 5),
    ("SQLEndTran", 1005),
    ("SQLGetCursorName", 17),
    ("SQLGetCursorNameW", 17),
    ("SQLSetCursorName", 21),
    ("SQLSetCursorNameW", 21),
    ("SQLTables", 54),
    ("SQLTablesW", 54),
    ("SQLColumns", 40),
    ("SQLColumnsW", 40),
    ("SQLGetTypeInfo", 47),
    ("SQLGetTypeInfoW", 47),
    ("SQLPrimaryKeys", 65),
    ("SQLPrimaryKeysW", 65),
    ("SQLForeignKeys", 60),
    ("SQLForeignKeysW", 60),
    ("SQLStatistics", 53),
    ("SQLStatisticsW", 53),
    ("SQLSpecialColumns", 52),
    ("SQLSpecialColumnsW", 52),
    ("SQLProcedures", 67),
    ("SQLProceduresW", 67),
    ("SQLProcedureColumns", 66),
    ("SQLProcedureColumnsW", 66),
    ("SQLTablePrivileges", 70),
    ("SQLTablePrivilegesW", 70),
    ("SQLColumnPrivileges", 56),
    ("SQLColumnPrivilegesW", 56),
];

/// `SQL_API_ODBC3_ALL_FUNCTIONS`: a 250-element bitmap of 16-bit words.
pub const ALL_FUNCTIONS_ODBC3: u16 = 999;
/// `SQL_API_ALL_FUNCTIONS`: a 100-element array of 2.x booleans.
pub const ALL_FUNCTIONS_ODBC2: u16 = 0;
/// Words in the ODBC 3 bitmap (`SQL_API_ODBC3_ALL_FUNCTIONS_SIZE`).
pub const BITMAP_WORDS: usize = 250;

/// True when the function with `SQL_API_*` id `id` is exported.
pub fn is_exported(id: u16) -> bool {
    EXPORTS.iter().any(|&(_, export)| export == id)
}

/// The `SQL_API_ODBC3_ALL_FUNCTIONS` bitmap.
pub fn odbc3_bitmap() -> [u16; BITMAP_WORDS] {
    let mut bitmap = [0u16; BITMAP_WORDS];
    for &(_, id) in EXPORTS {
        let (word, bit) = (usize::from(id >> 4), id & 0xF);
        if let Some(slot) = bitmap.get_mut(word) {
            *slot |= 1 << bit;
        }
    }
    bitmap
}

/// The `SQL_API_ALL_FUNCTIONS` array (ids below 100 only).
pub fn odbc2_array() -> [u16; 100] {
    let mut array = [0u16; 100];
    for &(_, id) in EXPORTS {
        if let Some(slot) = array.get_mut(usize::from(id)) {
            *slot = 1;
        }
    }
    array
}

/// `SQL_DRIVER_VER`: `##.##.####` from the crate version.
pub fn driver_version() -> String {
    let part = |s: &str| s.parse::<u32>().unwrap_or(0);
    format!(
        "{:02}.{:02}.{:04}",
        part(env!("CARGO_PKG_VERSION_MAJOR")),
        part(env!("CARGO_PKG_VERSION_MINOR")),
        part(env!("CARGO_PKG_VERSION_PATCH"))
    )
}

/// File name of the driver library (`SQL_DRIVER_NAME`).
pub fn driver_file_name() -> &'static str {
    if cfg!(windows) {
        "hubdb_odbc.dll"
    } else if cfg!(target_os = "macos") {
        "libhubdb_odbc.dylib"
    } else {
        "libhubdb_odbc.so"
    }
}

/// The answer for information type `info_type`, or None for an unknown type (`HY096`).
pub fn info(info_type: u16, ctx: &InfoContext) -> Option<InfoValue> {
    text_info(info_type, ctx)
        .map(InfoValue::Text)
        .or_else(|| small_info(info_type).map(InfoValue::U16))
        .or_else(|| mask_info(info_type).map(InfoValue::U32))
}

fn yes_no(value: bool) -> String {
    if value { "Y" } else { "N" }.to_string()
}

fn text_info(info_type: u16, ctx: &InfoContext) -> Option<String> {
    let text = match info_type {
        2 => ctx.dsn.clone(),                // SQL_DATA_SOURCE_NAME
        6 => driver_file_name().to_string(), // SQL_DRIVER_NAME
        7 => driver_version(),               // SQL_DRIVER_VER
        10 | 77 => "03.80".to_string(),      // SQL_ODBC_VER, SQL_DRIVER_ODBC_VER
        13 => ctx.server_name.clone(),       // SQL_SERVER_NAME
        14 => "\\".to_string(),              // SQL_SEARCH_PATTERN_ESCAPE
        16 => "HubDB".to_string(),           // SQL_DATABASE_NAME
        17 => "HubDB".to_string(),           // SQL_DBMS_NAME
        18 => "03.00.0000".to_string(),      // SQL_DBMS_VER: HubDB API v3
        25 => yes_no(ctx.read_only),         // SQL_DATA_SOURCE_READ_ONLY
        29 => "\"".to_string(),              // SQL_IDENTIFIER_QUOTE_CHAR
        39 => "schema".to_string(),          // SQL_SCHEMA_TERM
        40 => "procedure".to_string(),       // SQL_PROCEDURE_TERM
        41 => ".".to_string(),               // SQL_CATALOG_NAME_SEPARATOR
        42 => "catalog".to_string(),         // SQL_CATALOG_TERM
        45 => "table".to_string(),           // SQL_TABLE_TERM
        10000 => "1995".to_string(),         // SQL_XOPEN_CLI_YEAR
        // SQL_USER_NAME, SQL_KEYWORDS, SQL_SPECIAL_CHARACTERS (HubDB names use only
        // letters, digits and `_`), SQL_COLLATION_SEQ, SQL_DM_VER.
        47 | 89 | 94 | 10004 | 171 => String::new(),
        // SQL_ACCESSIBLE_TABLES, SQL_ACCESSIBLE_PROCEDURES, SQL_EXPRESSIONS_IN_ORDERBY,
        // SQL_MULTIPLE_ACTIVE_TXN, SQL_OUTER_JOINS, SQL_COLUMN_ALIAS, SQL_LIKE_ESCAPE_CLAUSE,
        // SQL_CATALOG_NAME.
        19 | 20 | 27 | 37 | 38 | 87 | 113 | 10003 => yes_no(true),
        // SQL_DESCRIBE_PARAMETER: markers are typed from the plan (B34).
        10002 => yes_no(true),
        // SQL_PROCEDURES: the OAuth procedures, with `{call ...}` (hubdb_sql::procedures).
        21 => yes_no(true),
        // SQL_ROW_UPDATES, SQL_MULT_RESULT_SETS, SQL_INTEGRITY,
        // SQL_ORDER_BY_COLUMNS_IN_SELECT, SQL_MAX_ROW_SIZE_INCLUDES_LONG,
        // SQL_NEED_LONG_DATA_LEN.
        11 | 36 | 73 | 90 | 103 | 111 => yes_no(false),
        _ => return None,
    };
    Some(text)
}

/// Answers of type SQLUSMALLINT.
fn small_info(info_type: u16) -> Option<u16> {
    let value = match info_type {
        0 | 1 => 0,     // SQL_MAX_DRIVER_CONNECTIONS, SQL_MAX_CONCURRENT_ACTIVITIES: no limit
        9 => 1,         // SQL_ODBC_API_CONFORMANCE: SQL_OAC_LEVEL1
        12 => 1,        // SQL_ODBC_SAG_CLI_CONFORMANCE: SQL_OSCC_COMPLIANT
        15 => 1,        // SQL_ODBC_SQL_CONFORMANCE: SQL_OSC_CORE
        22 => 0,        // SQL_CONCAT_NULL_BEHAVIOR: SQL_CB_NULL
        23 | 24 => 2,   // SQL_CURSOR_COMMIT/ROLLBACK_BEHAVIOR: SQL_CB_PRESERVE
        28 | 93 => 4,   // SQL_(QUOTED_)IDENTIFIER_CASE: SQL_IC_MIXED, matched case-insensitively
        30 | 35 => 700, // SQL_MAX_COLUMN_NAME_LEN, SQL_MAX_TABLE_NAME_LEN: HubDB names
        31 => 128,      // SQL_MAX_CURSOR_NAME_LEN
        32..=34 => 0,   // schema, procedure, catalog name lengths: no limit stated
        46 => 0,        // SQL_TXN_CAPABLE: SQL_TC_NONE
        74 => 2,        // SQL_CORRELATION_NAME: SQL_CN_ANY
        75 => 0,        // SQL_NON_NULLABLE_COLUMNS: SQL_NNC_NULL
        84 => 0,        // SQL_FILE_USAGE: SQL_FILE_NOT_SUPPORTED
        85 => 0,        // SQL_NULL_COLLATION: SQL_NC_HIGH
        88 => 3,        // SQL_GROUP_BY: SQL_GB_NO_RELATION
        97..=101 => 0,  // SQL_MAX_COLUMNS_IN_*: no limit
        106 | 107 => 0, // SQL_MAX_TABLES_IN_SELECT, SQL_MAX_USER_NAME_LEN
        114 => 1,       // SQL_CATALOG_LOCATION: SQL_CL_START
        116 => 0,       // SQL_ACTIVE_ENVIRONMENTS: no limit
        10005 => 700,   // SQL_MAX_IDENTIFIER_LEN
        _ => return None,
    };
    Some(value)
}

/// Answers of type SQLUINTEGER (bitmasks and counts).
fn mask_info(info_type: u16) -> Option<u32> {
    let value = match info_type {
        8 => 1,       // SQL_FETCH_DIRECTION: SQL_FD_FETCH_NEXT
        26 | 72 => 0, // SQL_DEFAULT_TXN_ISOLATION, SQL_TXN_ISOLATION_OPTION
        43 => 1,      // SQL_SCROLL_CONCURRENCY: SQL_SCCO_READ_ONLY
        44 => 1,      // SQL_SCROLL_OPTIONS: SQL_SO_FORWARD_ONLY
        48 => 3,      // SQL_CONVERT_FUNCTIONS: SQL_FN_CVT_CONVERT | SQL_FN_CVT_CAST
        49 => function_mask(FunctionGroup::Numeric, NUMERIC_BITS),
        50 => function_mask(FunctionGroup::String, STRING_BITS),
        51 => function_mask(FunctionGroup::System, SYSTEM_BITS),
        52 => function_mask(FunctionGroup::TimeDate, TIMEDATE_BITS),
        53..=71 | 122..=126 | 173 => convert_mask(info_type),
        81 => 0x0B,             // SQL_GETDATA_EXTENSIONS: ANY_COLUMN | ANY_ORDER | BOUND
        78..=80 | 82 | 83 => 0, // locks, positioned operations, bookmarks, sensitivity
        86 | 117 | 127..=134 | 136..=143 => 0, // ALTER/CREATE/DROP: no DDL yet
        91 => 1,                // SQL_SCHEMA_USAGE: SQL_SU_DML_STATEMENTS
        92 => 0,                // SQL_CATALOG_USAGE: the one catalog is never named
        95 => 0x17,             // SQL_SUBQUERIES: comparison, EXISTS, IN, correlated
        96 => 3,                // SQL_UNION: UNION and UNION ALL
        102 | 104 | 105 | 108 | 112 => 0, // maximum sizes: no limit stated
        109 => interval_mask(TIMESTAMPADD_INTERVALS.iter().map(|(name, _)| *name)),
        110 => interval_mask(TIMESTAMPDIFF_INTERVALS.iter().copied()),
        115 => 0x7F,    // SQL_OJ_CAPABILITIES: left, right, full, nested, ...
        118 => 1,       // SQL_SQL_CONFORMANCE: SQL_SC_SQL92_ENTRY
        119 => 7,       // SQL_DATETIME_LITERALS: DATE, TIME, TIMESTAMP
        120 | 121 => 0, // SQL_BATCH_ROW_COUNT, SQL_BATCH_SUPPORT
        144 | 145 | 150 | 151 | 167 | 168 => 0, // dynamic, keyset, static cursors: none
        146 => 1,       // SQL_FORWARD_ONLY_CURSOR_ATTRIBUTES1: SQL_CA1_NEXT
        147 => 1,       // ..._ATTRIBUTES2: SQL_CA2_READ_ONLY_CONCURRENCY
        148 | 149 => 0, // SQL_INDEX_KEYWORDS, SQL_INFO_SCHEMA_VIEWS
        152 => 1,       // SQL_ODBC_INTERFACE_CONFORMANCE: SQL_OIC_CORE
        153 => 2,       // SQL_PARAM_ARRAY_ROW_COUNTS: SQL_PARC_NO_BATCH
        154 => 3,       // SQL_PARAM_ARRAY_SELECTS: SQL_PAS_NO_SELECT
        155..=159 | 162 | 163 | 164 => 0, // SQL-92 function, rule, grant masks
        160 => 0x1E07, // SQL_SQL92_PREDICATES: EXISTS, IS [NOT] NULL, LIKE, IN, BETWEEN, comparison
        161 => 0x37E,  // SQL_SQL92_RELATIONAL_JOIN_OPERATORS
        165 => 0xF,    // SQL_SQL92_VALUE_EXPRESSIONS: CASE, CAST, COALESCE, NULLIF
        166 => 1,      // SQL_STANDARD_CLI_CONFORMANCE: SQL_SCC_XOPEN_CLI_VERSION1
        169 => 0x7F,   // SQL_AGGREGATE_FUNCTIONS: all
        170 | 172 => 0, // SQL_DDL_INDEX, SQL_INSERT_STATEMENT
        180 => 0,      // SQL_RETURN_ESCAPE_CLAUSE (ODBC 4.0): none (B30)
        10001 => 0,    // SQL_CURSOR_SENSITIVITY: SQL_UNSPECIFIED
        10021..=10025 => 0, // async mode and notification, async DBC, driver-aware pooling
        _ => return None,
    };
    Some(value)
}

/// `SQL_FN_STR_*` bits (sqlext.h). LOCATE sets both of its bits: both forms work.
const STRING_BITS: &[(&str, u32)] = &[
    ("CONCAT", 0x1),
    ("INSERT", 0x2),
    ("LEFT", 0x4),
    ("LTRIM", 0x8),
    ("LENGTH", 0x10),
    ("LOCATE", 0x20 | 0x10000),
    ("LCASE", 0x40),
    ("REPEAT", 0x80),
    ("REPLACE", 0x100),
    ("RIGHT", 0x200),
    ("RTRIM", 0x400),
    ("SUBSTRING", 0x800),
    ("UCASE", 0x1000),
    ("ASCII", 0x2000),
    ("CHAR", 0x4000),
    ("DIFFERENCE", 0x8000),
    ("SOUNDEX", 0x20000),
    ("SPACE", 0x40000),
    ("BIT_LENGTH", 0x80000),
    ("CHAR_LENGTH", 0x10_0000),
    ("CHARACTER_LENGTH", 0x20_0000),
    ("OCTET_LENGTH", 0x40_0000),
    ("POSITION", 0x80_0000),
];

/// `SQL_FN_NUM_*` bits (sqlext.h).
const NUMERIC_BITS: &[(&str, u32)] = &[
    ("ABS", 0x1),
    ("ACOS", 0x2),
    ("ASIN", 0x4),
    ("ATAN", 0x8),
    ("ATAN2", 0x10),
    ("CEILING", 0x20),
    ("COS", 0x40),
    ("COT", 0x80),
    ("EXP", 0x100),
    ("FLOOR", 0x200),
    ("LOG", 0x400),
    ("MOD", 0x800),
    ("SIGN", 0x1000),
    ("SIN", 0x2000),
    ("SQRT", 0x4000),
    ("TAN", 0x8000),
    ("PI", 0x1_0000),
    ("RAND", 0x2_0000),
    ("DEGREES", 0x4_0000),
    ("LOG10", 0x8_0000),
    ("POWER", 0x10_0000),
    ("RADIANS", 0x20_0000),
    ("ROUND", 0x40_0000),
    ("TRUNCATE", 0x80_0000),
];

/// `SQL_FN_TD_*` bits (sqlext.h).
const TIMEDATE_BITS: &[(&str, u32)] = &[
    ("NOW", 0x1),
    ("CURDATE", 0x2),
    ("DAYOFMONTH", 0x4),
    ("DAYOFWEEK", 0x8),
    ("DAYOFYEAR", 0x10),
    ("MONTH", 0x20),
    ("QUARTER", 0x40),
    ("WEEK", 0x80),
    ("YEAR", 0x100),
    ("CURTIME", 0x200),
    ("HOUR", 0x400),
    ("MINUTE", 0x800),
    ("SECOND", 0x1000),
    ("TIMESTAMPADD", 0x2000),
    ("TIMESTAMPDIFF", 0x4000),
    ("DAYNAME", 0x8000),
    ("MONTHNAME", 0x1_0000),
    ("CURRENT_DATE", 0x2_0000),
    ("CURRENT_TIME", 0x4_0000),
    ("CURRENT_TIMESTAMP", 0x8_0000),
    ("EXTRACT", 0x10_0000),
];

/// `SQL_FN_SYS_*` bits (sqlext.h).
const SYSTEM_BITS: &[(&str, u32)] = &[("USER", 0x1), ("DATABASE", 0x2), ("IFNULL", 0x4)];

/// `SQL_FN_TSI_*` bits (sqlext.h).
const INTERVAL_BITS: &[(&str, u32)] = &[
    ("FRAC_SECOND", 0x1),
    ("SECOND", 0x2),
    ("MINUTE", 0x4),
    ("HOUR", 0x8),
    ("DAY", 0x10),
    ("WEEK", 0x20),
    ("MONTH", 0x40),
    ("QUARTER", 0x80),
    ("YEAR", 0x100),
];

fn bits_of<'a>(names: impl Iterator<Item = &'a str>, bits: &[(&str, u32)]) -> u32 {
    names
        .filter_map(|name| bits.iter().find(|(n, _)| *n == name).map(|(_, bit)| *bit))
        .fold(0, |mask, bit| mask | bit)
}

/// The mask of one function group: exactly the functions the engine implements.
fn function_mask(group: FunctionGroup, bits: &[(&str, u32)]) -> u32 {
    let names = SCALAR_FUNCTIONS
        .iter()
        .filter(|(g, _, _)| *g == group)
        .map(|(_, name, _)| *name);
    bits_of(names, bits)
}

fn interval_mask<'a>(names: impl Iterator<Item = &'a str>) -> u32 {
    bits_of(names, INTERVAL_BITS)
}

/// `SQL_CVT_*` bits (sqlext.h) by the ODBC type name CONVERT takes.
const CONVERT_BITS: &[(&str, u32)] = &[
    ("SQL_CHAR", 0x1),
    ("SQL_NUMERIC", 0x2),
    ("SQL_DECIMAL", 0x4),
    ("SQL_INTEGER", 0x8),
    ("SQL_SMALLINT", 0x10),
    ("SQL_FLOAT", 0x20),
    ("SQL_REAL", 0x40),
    ("SQL_DOUBLE", 0x80),
    ("SQL_VARCHAR", 0x100),
    ("SQL_LONGVARCHAR", 0x200),
    ("SQL_BIT", 0x1000),
    ("SQL_TINYINT", 0x2000),
    ("SQL_BIGINT", 0x4000),
    ("SQL_DATE", 0x8000),
    ("SQL_TIME", 0x1_0000),
    ("SQL_TIMESTAMP", 0x2_0000),
    ("SQL_WCHAR", 0x20_0000),
    ("SQL_WLONGVARCHAR", 0x40_0000),
    ("SQL_WVARCHAR", 0x80_0000),
];

/// `SQL_CONVERT_<source>`: the CONVERT targets a value of that type can be cast to. Text
/// converts to anything; numbers and BIT to numbers, BIT and text; a date to a date, a
/// timestamp or text; a time to a time or text; a timestamp to any of those; binary,
/// interval and GUID sources to nothing (the engine has no such values).
fn convert_mask(info_type: u16) -> u32 {
    const TEXT: &[&str] = &[
        "SQL_CHAR",
        "SQL_VARCHAR",
        "SQL_LONGVARCHAR",
        "SQL_WCHAR",
        "SQL_WVARCHAR",
        "SQL_WLONGVARCHAR",
    ];
    const NUMBERS: &[&str] = &[
        "SQL_NUMERIC",
        "SQL_DECIMAL",
        "SQL_INTEGER",
        "SQL_SMALLINT",
        "SQL_FLOAT",
        "SQL_REAL",
        "SQL_DOUBLE",
        "SQL_BIT",
        "SQL_TINYINT",
        "SQL_BIGINT",
    ];
    let targets: Vec<&str> = match info_type {
        // BIGINT, BIT, DECIMAL, DOUBLE, FLOAT, INTEGER, NUMERIC, REAL, SMALLINT, TINYINT.
        53 | 55 | 58..=61 | 63..=65 | 68 => [TEXT, NUMBERS].concat(),
        // CHAR, LONGVARCHAR, VARCHAR, WCHAR, WLONGVARCHAR, WVARCHAR.
        56 | 62 | 70 | 122 | 125 | 126 => CONVERT_BITS.iter().map(|(n, _)| *n).collect(),
        57 => [TEXT, &["SQL_DATE", "SQL_TIMESTAMP"]].concat(),
        66 => [TEXT, &["SQL_TIME"]].concat(),
        67 => [TEXT, &["SQL_DATE", "SQL_TIME", "SQL_TIMESTAMP"]].concat(),
        _ => Vec::new(),
    };
    let supported = targets
        .into_iter()
        .filter(|t| CONVERT_TARGETS.iter().any(|(name, _)| name == t));
    bits_of(supported, CONVERT_BITS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The ffi sources, read at compile time so the test sees exactly what is exported.
    const FFI_SOURCES: &[&str] = &[
        include_str!("ffi/env.rs"),
        include_str!("ffi/connection.rs"),
        include_str!("ffi/statement.rs"),
        include_str!("ffi/results.rs"),
        include_str!("ffi/catalog.rs"),
        include_str!("ffi/diag.rs"),
        include_str!("ffi/info.rs"),
        include_str!("ffi/attributes.rs"),
    ];

    fn exported_in_sources() -> BTreeSet<String> {
        let marker = "extern \"system\" fn ";
        FFI_SOURCES
            .iter()
            .flat_map(|source| {
                source
                    .match_indices(marker)
                    .map(|(i, _)| &source[i + marker.len()..])
            })
            .map(|rest| {
                rest.split('(')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            })
            .filter(|name| name.starts_with("SQL"))
            .collect()
    }

    #[test]
    fn get_functions_list_matches_the_exported_functions() {
        let listed: BTreeSet<String> = EXPORTS.iter().map(|(name, _)| name.to_string()).collect();
        assert_eq!(listed, exported_in_sources());
    }

    #[test]
    fn bitmap_has_exactly_the_exported_ids() {
        let bitmap = odbc3_bitmap();
        let exists = |id: u16| bitmap[usize::from(id >> 4)] & (1 << (id & 0xF)) != 0;
        assert!(exists(13)); // SQLFetch
        assert!(exists(1021)); // SQLFetchScroll
        assert!(exists(61)); // SQLMoreResults, asked by isql
        assert!(exists(58)); // SQLDescribeParam
        assert!(!exists(10)); // SQLError: the driver manager maps it
        assert_eq!(odbc2_array()[4], 1); // SQLBindCol
    }

    #[test]
    fn every_odbc_38_info_type_has_an_answer() {
        let ctx = InfoContext::default();
        let dm_only = [3, 4, 5, 76, 135];
        let ids = (0u16..=173).chain([180, 10000, 10001, 10002, 10003, 10004, 10005]);
        for id in ids.filter(|id| !dm_only.contains(id)) {
            assert!(info(id, &ctx).is_some(), "info type {id} has no answer");
        }
        assert_eq!(info(1750, &ctx), None);
    }

    #[test]
    fn function_masks_list_exactly_the_engines_functions() {
        let ctx = InfoContext::default();
        let mask = |id| match info(id, &ctx) {
            Some(InfoValue::U32(mask)) => mask,
            other => panic!("info {id}: {other:?}"),
        };
        // UCASE, LCASE, LOCATE (both forms), CONCAT; never SOUNDEX or DIFFERENCE.
        assert_eq!(mask(50) & 0x1061, 0x1061);
        assert_eq!(mask(50) & 0x10000, 0x10000);
        assert_eq!(mask(50) & (0x8000 | 0x20000), 0);
        assert_eq!(mask(49) & 0x800, 0x800); // MOD
        assert_eq!(mask(52) & 0x6000, 0x6000); // TIMESTAMPADD, TIMESTAMPDIFF
        assert_eq!(mask(51), 0x7); // USER, DATABASE, IFNULL
        assert_eq!(mask(109), 0x1FF);
        assert_eq!(mask(110), 0x1FE); // no fractions of a second
        assert_eq!(mask(48), 3);
        assert_eq!(mask(53) & 0x100, 0x100); // BIGINT to VARCHAR
        assert_eq!(mask(57) & 0x4000, 0); // DATE to BIGINT is not offered
        assert_eq!(mask(54), 0); // binary sources
        // Every engine function has a bit: nothing is silently left out.
        let all: Vec<(&str, u32)> =
            [STRING_BITS, NUMERIC_BITS, TIMEDATE_BITS, SYSTEM_BITS].concat();
        let scalar = SCALAR_FUNCTIONS
            .iter()
            .filter(|(group, _, _)| *group != FunctionGroup::Convert);
        for (_, name, _) in scalar {
            assert!(all.iter().any(|(n, _)| n == name), "{name} has no bit");
        }
    }

    #[test]
    fn describe_parameter_is_honest() {
        assert_eq!(
            info(10002, &InfoContext::default()),
            Some(InfoValue::Text("Y".into()))
        );
    }

    #[test]
    fn versions_have_the_spec_format() {
        assert_eq!(driver_version().len(), "##.##.####".len());
        assert_eq!(
            info(77, &InfoContext::default()),
            Some(InfoValue::Text("03.80".into()))
        );
    }
}
