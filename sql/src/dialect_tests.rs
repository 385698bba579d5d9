//! The driver's SQL dialect run end to end over the in-memory HubDB: every advertised ODBC
//! scalar function, escapes, quoting, TOP and qualified names.

use crate::engine_tests::{engine, rows};
use crate::{SCALAR_FUNCTIONS, SqlErrorKind, SqlType};

/// One call of every function in [`SCALAR_FUNCTIONS`] on row 101 of `products` (name
/// "Hammer Pro", price 5, launched 2017-01-02, updated_at 2023-11-14 22:13:20.123), with
/// the value it must give; `None` where the value depends on the clock or chance.
const SAMPLES: &[(&str, &str, Option<&str>)] = &[
    ("ASCII", "{fn ASCII('A')}", Some("65")),
    ("BIT_LENGTH", "{fn BIT_LENGTH('ab')}", Some("16")),
    ("CHAR", "{fn CHAR(65)}", Some("A")),
    ("CHAR_LENGTH", "{fn CHAR_LENGTH(name)}", Some("10")),
    (
        "CHARACTER_LENGTH",
        "{fn CHARACTER_LENGTH(name)}",
        Some("10"),
    ),
    ("CONCAT", "{fn CONCAT(name, '!')}", Some("Hammer Pro!")),
    ("INSERT", "{fn INSERT('abcdef', 2, 3, 'XY')}", Some("aXYef")),
    ("LCASE", "{fn LCASE(name)}", Some("hammer pro")),
    ("LEFT", "{fn LEFT(name, 3)}", Some("Ham")),
    ("LENGTH", "{fn LENGTH('ab  ')}", Some("2")),
    ("LOCATE", "{fn LOCATE('m', name, 4)}", Some("4")),
    ("LTRIM", "{fn LTRIM('  a')}", Some("a")),
    ("OCTET_LENGTH", "{fn OCTET_LENGTH('é')}", Some("2")),
    ("POSITION", "{fn POSITION('Pro' IN name)}", Some("8")),
    ("REPEAT", "{fn REPEAT('ab', 2)}", Some("abab")),
    (
        "REPLACE",
        "{fn REPLACE(name, 'Pro', 'X')}",
        Some("Hammer X"),
    ),
    ("RIGHT", "{fn RIGHT(name, 3)}", Some("Pro")),
    ("RTRIM", "{fn RTRIM('a  ')}", Some("a")),
    ("SPACE", "{fn CONCAT({fn SPACE(2)}, 'x')}", Some("  x")),
    ("SUBSTRING", "{fn SUBSTRING(name, 2, 3)}", Some("amm")),
    ("UCASE", "{fn UCASE(name)}", Some("HAMMER PRO")),
    ("ABS", "{fn ABS(-2)}", Some("2")),
    ("ACOS", "{fn ACOS(1)}", Some("0.0")),
    ("ASIN", "{fn ASIN(0)}", Some("0.0")),
    ("ATAN", "{fn ATAN(0)}", Some("0.0")),
    ("ATAN2", "{fn ATAN2(0, 1)}", Some("0.0")),
    ("CEILING", "{fn CEILING(1.2)}", Some("2.0")),
    ("COS", "{fn COS(0)}", Some("1.0")),
    ("COT", "{fn ROUND({fn COT(1)}, 4)}", Some("0.6421")),
    ("DEGREES", "{fn DEGREES(0)}", Some("0.0")),
    ("EXP", "{fn EXP(0)}", Some("1.0")),
    ("FLOOR", "{fn FLOOR(1.7)}", Some("1.0")),
    ("LOG", "{fn LOG(1)}", Some("0.0")),
    ("LOG10", "{fn LOG10(100)}", Some("2.0")),
    ("MOD", "{fn MOD(7, 3)}", Some("1")),
    ("PI", "{fn ROUND({fn PI()}, 2)}", Some("3.14")),
    ("POWER", "{fn POWER(2, 3)}", Some("8.0")),
    ("RADIANS", "{fn RADIANS(0)}", Some("0.0")),
    ("RAND", "{fn RAND()}", None),
    ("ROUND", "{fn ROUND(price * 1.2345, 2)}", Some("6.17")),
    ("SIGN", "{fn SIGN(-3.5)}", Some("-1.0")),
    ("SIN", "{fn SIN(0)}", Some("0.0")),
    ("SQRT", "{fn SQRT(4)}", Some("2.0")),
    ("TAN", "{fn TAN(0)}", Some("0.0")),
    ("TRUNCATE", "{fn TRUNCATE(1.99, 1)}", Some("1.9")),
    ("CURDATE", "{fn CURDATE()}", None),
    ("CURRENT_DATE", "{fn CURRENT_DATE()}", None),
    ("CURRENT_TIME", "{fn CURRENT_TIME()}", None),
    ("CURRENT_TIMESTAMP", "{fn CURRENT_TIMESTAMP()}", None),
    ("CURTIME", "{fn CURTIME()}", None),
    ("DAYNAME", "{fn DAYNAME(launched)}", Some("Monday")),
    ("DAYOFMONTH", "{fn DAYOFMONTH(launched)}", Some("2")),
    ("DAYOFWEEK", "{fn DAYOFWEEK(launched)}", Some("2")),
    ("DAYOFYEAR", "{fn DAYOFYEAR(launched)}", Some("2")),
    ("EXTRACT", "{fn EXTRACT(YEAR FROM launched)}", Some("2017")),
    ("HOUR", "{fn HOUR(updated_at)}", Some("22")),
    ("MINUTE", "{fn MINUTE(updated_at)}", Some("13")),
    ("MONTH", "{fn MONTH(updated_at)}", Some("11")),
    ("MONTHNAME", "{fn MONTHNAME(launched)}", Some("January")),
    ("NOW", "{fn NOW()}", None),
    ("QUARTER", "{fn QUARTER(updated_at)}", Some("4")),
    ("SECOND", "{fn SECOND(updated_at)}", Some("20")),
    (
        "TIMESTAMPADD",
        "{fn TIMESTAMPADD(SQL_TSI_QUARTER, 1, launched)}",
        Some("2017-04-02T00:00:00"),
    ),
    (
        "TIMESTAMPDIFF",
        "{fn TIMESTAMPDIFF(SQL_TSI_HOUR, {ts '2024-01-01 00:00:00'}, {ts '2024-01-02 01:30:00'})}",
        Some("25"),
    ),
    ("WEEK", "{fn WEEK(launched)}", Some("1")),
    ("YEAR", "{fn YEAR(updated_at)}", Some("2023")),
    ("DATABASE", "{fn DATABASE()}", Some("HubDB")),
    ("IFNULL", "{fn IFNULL(NULL, name)}", Some("Hammer Pro")),
    ("USER", "{fn USER()}", Some("")),
    ("CONVERT", "{fn CONVERT(price, SQL_VARCHAR)}", Some("5.0")),
];

async fn value_of(expression: &str) -> Result<String, crate::SqlError> {
    let (engine, _) = engine();
    let sql = format!("SELECT {expression} FROM products WHERE Id = 101");
    let prepared = engine.prepare(&sql).await?;
    let mut result = engine.execute(&prepared, &[]).await?;
    let batch = result.next_batch().await.expect("one row")?;
    let formatter = datafusion::arrow::util::display::ArrayFormatter::try_new(
        batch.column(0).as_ref(),
        &Default::default(),
    )
    .expect("formatter");
    Ok(formatter.value(0).to_string())
}

#[tokio::test]
async fn every_advertised_scalar_function_runs_with_its_odbc_meaning() {
    for (_, name, _) in SCALAR_FUNCTIONS {
        assert!(
            SAMPLES.iter().any(|(sample, _, _)| sample == name),
            "{name} is advertised but has no sample"
        );
    }
    for (name, expression, expected) in SAMPLES {
        let value = value_of(expression)
            .await
            .unwrap_or_else(|e| panic!("{name}: {expression}: {e}"));
        if let Some(expected) = expected {
            assert_eq!(value, *expected, "{name}: {expression}");
        }
    }
}

#[tokio::test]
async fn more_function_forms() {
    for (expression, expected) in [
        ("{fn LOCATE('m', name)}", "3"),
        ("{fn LOCATE('z', name, 2)}", "0"),
        ("{fn SUBSTRING(name, 8)}", "Pro"),
        (
            "{fn TIMESTAMPADD(SQL_TSI_DAY, -1, launched)}",
            "2017-01-01T00:00:00",
        ),
        (
            "{fn TIMESTAMPADD(SQL_TSI_FRAC_SECOND, 5000000, launched)}",
            "2017-01-02T00:00:00.005",
        ),
        (
            "{fn TIMESTAMPDIFF(SQL_TSI_MONTH, {d '2017-01-31'}, {d '2017-03-01'})}",
            "2",
        ),
        (
            "{fn TIMESTAMPDIFF(SQL_TSI_DAY, launched, {d '2017-01-09'})}",
            "7",
        ),
        ("{fn CONVERT('12', SQL_INTEGER)}", "12"),
        ("{fn CONCAT(name, NULL)} IS NULL", "true"),
        ("CAST(name AS VARCHAR(3))", "Ham"),
    ] {
        let value = value_of(expression)
            .await
            .unwrap_or_else(|e| panic!("{expression}: {e}"));
        assert_eq!(value, expected, "{expression}");
    }
}

#[tokio::test]
async fn b31_escapes_from_tableau_run() {
    let (engine, _) = engine();
    let result = rows(
        &engine,
        "SELECT SUM({fn CONVERT(price, SQL_BIGINT)}) FROM products HAVING COUNT(1) > 0",
        &[],
    )
    .await;
    assert_eq!(result, [["45"]]);
    let result = rows(
        &engine,
        "SELECT {fn LCASE(name)} AS n FROM products WHERE launched >= {d '2017-01-01'} \
         AND updated_at < {ts '2024-01-01 00:00:00'} ORDER BY n",
        &[],
    )
    .await;
    assert_eq!(result, [["hammer pro"]]);
    let result = rows(
        &engine,
        "SELECT p.Id FROM {oj products p LEFT OUTER JOIN Draft.products d ON p.Id = d.Id} \
         WHERE p.name LIKE 'H\\_%' {escape '\\'} OR p.Id = 102 ORDER BY p.Id",
        &[],
    )
    .await;
    assert_eq!(result, [["102"]]);
}

#[tokio::test]
async fn qualified_wildcards_and_aliases_named_like_columns() {
    let (engine, _) = engine();
    let all = rows(&engine, "SELECT * FROM products ORDER BY Id", &[]).await;
    for sql in [
        "SELECT products.* FROM products ORDER BY Id",
        "SELECT PRODUCTS.* FROM Products ORDER BY Id",
        "SELECT \"products\".* FROM products ORDER BY Id",
    ] {
        assert_eq!(rows(&engine, sql, &[]).await, all, "{sql}");
    }
    // The select list's names come before the table's in ORDER BY.
    let result = rows(
        &engine,
        "SELECT price AS Id FROM products WHERE price IS NOT NULL ORDER BY Id DESC",
        &[],
    )
    .await;
    assert_eq!(result, [["30.0"], ["12.75"], ["5.0"], ["-2.5"]]);
}

#[tokio::test]
async fn like_escapes_any_character() {
    let (engine, _) = engine();
    // Names: "Hammer Pro", "saw", "Teddy 🧸", "pro drill, cordless", and one not a string.
    for (sql, expected) in [
        (
            "SELECT Id FROM products WHERE name LIKE 'pro!%%' ESCAPE '!' ORDER BY Id",
            vec![],
        ),
        (
            "SELECT Id FROM products WHERE name LIKE '%, c%' {escape '!'} ORDER BY Id",
            vec![["104"]],
        ),
        (
            "SELECT Id FROM products WHERE name LIKE 'sa_' ESCAPE '#' ORDER BY Id",
            vec![["102"]],
        ),
        (
            "SELECT Id FROM products WHERE name LIKE 'sa#_' ESCAPE '#' ORDER BY Id",
            vec![],
        ),
        (
            "SELECT Id FROM products WHERE name LIKE 'Hammer##%' ESCAPE '#' ORDER BY Id",
            vec![],
        ),
        (
            "SELECT Id FROM products WHERE name ILIKE 'HAMMER%' ESCAPE '!' ORDER BY Id",
            vec![["101"]],
        ),
    ] {
        assert_eq!(rows(&engine, sql, &[]).await, expected, "{sql}");
    }
}

#[tokio::test]
async fn quoted_identifiers_top_and_qualified_names() {
    let (engine, _) = engine();
    for sql in [
        "SELECT TOP 1 \"NAME\" FROM HubDB.Published.products ORDER BY Id",
        "SELECT [name] FROM \"HubDB\".\"Draft\".\"products\" ORDER BY [Id] LIMIT 1",
        "SELECT `Name` FROM `hubdb`.`published`.`PRODUCTS` ORDER BY `id` LIMIT 1",
        "SELECT TOP 1 p.name FROM published.products AS p ORDER BY p.id",
    ] {
        assert_eq!(rows(&engine, sql, &[]).await, [["Hammer Pro"]], "{sql}");
    }
}

#[tokio::test]
async fn calls_are_routed_to_the_procedure_registry() {
    let (engine, _) = engine();
    for sql in [
        "{call publish_table('products')}",
        "CALL publish_table('products')",
    ] {
        let error = engine.prepare(sql).await.expect_err("no such procedure");
        assert!(matches!(error.kind, SqlErrorKind::Unsupported), "{sql}");
        assert_eq!(
            error.message,
            "procedure 'publish_table' does not exist: sys_procedures lists the procedures"
        );
    }
}

#[tokio::test]
async fn system_tables_are_queryable_like_tables() {
    let (engine, fake) = engine();
    let result = rows(
        &engine,
        "SELECT SchemaName, TableName, TableType FROM sys_tables \
         WHERE SchemaName <> 'sys' ORDER BY SchemaName, TableName",
        &[],
    )
    .await;
    assert_eq!(
        result,
        [
            ["CRM", "Owners", "VIEW"],
            ["Draft", "draft_only", "TABLE"],
            ["Draft", "products", "TABLE"],
            ["Published", "big_table", "VIEW"],
            ["Published", "products", "VIEW"],
        ]
    );
    let result = rows(
        &engine,
        "SELECT columnname, DataTypeName, DataType, NumericPrecision, NumericScale, IsKey \
         FROM HubDB.sys.SYS_TABLECOLUMNS WHERE TableName = 'products' \
         AND SchemaName = 'Published' AND Ordinal IN (1, 15)",
        &[],
    )
    .await;
    assert_eq!(
        result,
        [
            ["Id", "BIGINT", "-5", "19", "0", "true"],
            ["cost", "DECIMAL", "3", "19", "4", "false"],
        ]
    );
    let result = rows(
        &engine,
        "SELECT t.TableName, COUNT(*) FROM sys.sys_tables t \
         JOIN sys_tablecolumns c ON c.TableName = t.TableName AND c.SchemaName = t.SchemaName \
         WHERE t.TableType = 'VIEW' GROUP BY t.TableName ORDER BY t.TableName",
        &[],
    )
    .await;
    assert_eq!(
        result,
        [["Owners", "12"], ["big_table", "9"], ["products", "15"]]
    );
    assert!(fake.queries().is_empty(), "system tables read no rows");
}

#[tokio::test]
async fn procedure_tables_follow_the_registry_and_sqlinfo_lists_the_functions() {
    let (engine, _) = engine();
    let count = |sql: &'static str| {
        let engine = &engine;
        async move { rows(engine, sql, &[]).await[0][0].clone() }
    };
    let registered = crate::procedures().len().to_string();
    assert_eq!(
        count("SELECT COUNT(*) FROM sys_procedures").await,
        registered
    );
    let parameters: usize = crate::procedures().iter().map(|p| p.parameters.len()).sum();
    assert_eq!(
        count("SELECT COUNT(*) FROM sys_procedureparameters").await,
        parameters.to_string()
    );
    let result = rows(
        &engine,
        "SELECT VALUE FROM sys_sqlinfo WHERE NAME = 'STRING_FUNCTIONS'",
        &[],
    )
    .await;
    assert!(result[0][0].contains("LCASE, "), "{result:?}");
}

#[tokio::test]
async fn b18_computed_text_lengths_count_utf16_units() {
    let (engine, _) = engine();
    let prepared = engine
        .prepare(
            "SELECT 'x\u{1F600}' AS lit, LEFT(name, 3) AS head, LPAD(name, 2) AS pad FROM products",
        )
        .await
        .unwrap();
    let types: Vec<SqlType> = prepared.columns.iter().map(|c| c.sql_type).collect();
    assert_eq!(
        types,
        [
            SqlType::WVarChar { length: 3 },
            SqlType::WVarChar { length: 6 },
            SqlType::WVarChar { length: 4 },
        ]
    );
}

#[tokio::test]
async fn prepare_types_computed_columns_exactly_without_reading_rows() {
    let (engine, fake) = engine();
    let prepared = engine
        .prepare(
            "SELECT COUNT(*) AS n, SUM(price) AS total, CAST(name AS VARCHAR(20)) AS short, \
             CASE WHEN COUNT(*) > 1 THEN 'high' ELSE 'low' END AS band, \
             {fn CONCAT(name, '!')} AS shout, {fn LEFT(name, 3)} AS head, MAX(cost) AS top \
             FROM products GROUP BY name ORDER BY n LIMIT 5",
        )
        .await
        .unwrap();
    let types: Vec<SqlType> = prepared.columns.iter().map(|c| c.sql_type).collect();
    assert_eq!(
        types,
        [
            SqlType::BigInt,
            SqlType::Double,
            SqlType::WVarChar { length: 40 },
            SqlType::WVarChar { length: 4 },
            SqlType::WVarChar { length: 10001 },
            SqlType::WVarChar { length: 6 },
            SqlType::Decimal {
                precision: 19,
                scale: 4
            },
        ]
    );
    assert!(fake.queries().is_empty(), "preparing reads no rows");
}

#[tokio::test]
async fn markers_take_the_type_of_what_they_are_compared_with() {
    let (engine, _) = engine();
    let prepared = engine
        .prepare(
            "SELECT Id FROM products WHERE cost > ? AND name LIKE ? AND price = ? \
             AND launched < ? AND Id = ? AND ? IS NULL",
        )
        .await
        .unwrap();
    assert_eq!(
        prepared.param_types,
        [
            Some(SqlType::Decimal {
                precision: 19,
                scale: 4
            }),
            Some(SqlType::WVarChar { length: 10000 }),
            Some(SqlType::Double),
            Some(SqlType::Date),
            Some(SqlType::BigInt),
            None,
        ]
    );
}
