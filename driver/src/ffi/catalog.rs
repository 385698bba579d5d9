//! Catalog functions, ANSI and wide: SQLTables, SQLColumns, SQLGetTypeInfo, SQLPrimaryKeys,
//! SQLForeignKeys, SQLStatistics, SQLSpecialColumns, SQLProcedures, SQLProcedureColumns,
//! SQLTablePrivileges, SQLColumnPrivileges. Each decodes its name arguments and opens the
//! result `catalog.rs` builds.

use std::ffi::c_void;

use odbc_sys::{Handle, SqlReturn};

use super::string_arg;
use crate::catalog::{self, CatalogArgs, EmptyCatalog, RowIdFunction};
use crate::error::DriverResult;
use crate::guard;
use crate::statement;
use crate::text::{WideChar, Width};

/// A name argument: pointer and length in characters (or `SQL_NTS`).
type Arg = (*const c_void, i16);

/// Decodes name arguments; a null pointer is `None` ("any").
///
/// # Safety
/// Each pointer is null or valid for its length (or NUL-terminated with `SQL_NTS`).
unsafe fn names<const N: usize>(args: [Arg; N], width: Width) -> DriverResult<[Option<String>; N]> {
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    for (slot, (ptr, len)) in out.iter_mut().zip(args) {
        // SAFETY: forwarded caller contract.
        *slot = unsafe { string_arg(ptr, len.into(), width)? };
    }
    Ok(out)
}

fn catalog_args(
    catalog: Option<String>,
    schema: Option<String>,
    table: Option<String>,
    metadata_id: bool,
) -> CatalogArgs {
    CatalogArgs {
        catalog,
        schema,
        table,
        metadata_id,
        ..CatalogArgs::default()
    }
}

/// # Safety
/// As [`names`].
unsafe fn tables(stmt: Handle, args: [Arg; 4], width: Width) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        // SAFETY: forwarded caller contract.
        let [catalog, schema, table, types] = unsafe { names(args, width)? };
        statement::open_catalog(stmt, |engine, wait, metadata_id| {
            let args = CatalogArgs {
                table_types: types,
                ..catalog_args(catalog, schema, table, metadata_id)
            };
            catalog::tables(engine, &args, wait)
        })
    })
}

/// SQLTables.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLTables(
    stmt: Handle,
    catalog: *const u8,
    catalog_len: i16,
    schema: *const u8,
    schema_len: i16,
    table: *const u8,
    table_len: i16,
    types: *const u8,
    types_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
        (types.cast(), types_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { tables(stmt, args, Width::Narrow) }
}

/// SQLTablesW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLTablesW(
    stmt: Handle,
    catalog: *const WideChar,
    catalog_len: i16,
    schema: *const WideChar,
    schema_len: i16,
    table: *const WideChar,
    table_len: i16,
    types: *const WideChar,
    types_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
        (types.cast(), types_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { tables(stmt, args, Width::Wide) }
}

/// # Safety
/// As [`names`].
unsafe fn columns(stmt: Handle, args: [Arg; 4], width: Width) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        // SAFETY: forwarded caller contract.
        let [catalog, schema, table, column] = unsafe { names(args, width)? };
        statement::open_catalog(stmt, |engine, wait, metadata_id| {
            let args = CatalogArgs {
                column,
                ..catalog_args(catalog, schema, table, metadata_id)
            };
            catalog::columns(engine, &args, wait)
        })
    })
}

/// SQLColumns.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLColumns(
    stmt: Handle,
    catalog: *const u8,
    catalog_len: i16,
    schema: *const u8,
    schema_len: i16,
    table: *const u8,
    table_len: i16,
    column: *const u8,
    column_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
        (column.cast(), column_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { columns(stmt, args, Width::Narrow) }
}

/// SQLColumnsW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLColumnsW(
    stmt: Handle,
    catalog: *const WideChar,
    catalog_len: i16,
    schema: *const WideChar,
    schema_len: i16,
    table: *const WideChar,
    table_len: i16,
    column: *const WideChar,
    column_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
        (column.cast(), column_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { columns(stmt, args, Width::Wide) }
}

fn type_info(stmt: Handle, data_type: i16) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        statement::open_catalog(stmt, |_, _, _| catalog::type_info(data_type))
    })
}

/// SQLGetTypeInfo.
#[unsafe(no_mangle)]
pub extern "system" fn SQLGetTypeInfo(stmt: Handle, data_type: i16) -> SqlReturn {
    type_info(stmt, data_type)
}

/// SQLGetTypeInfoW (no string arguments; the wide variant exists for the DM's Unicode mode).
#[unsafe(no_mangle)]
pub extern "system" fn SQLGetTypeInfoW(stmt: Handle, data_type: i16) -> SqlReturn {
    type_info(stmt, data_type)
}

/// # Safety
/// As [`names`].
unsafe fn row_id(stmt: Handle, args: [Arg; 3], function: RowIdFunction, width: Width) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        // SAFETY: forwarded caller contract.
        let [catalog, schema, table] = unsafe { names(args, width)? };
        statement::open_catalog(stmt, |engine, wait, metadata_id| {
            let args = catalog_args(catalog, schema, table, metadata_id);
            catalog::row_id_function(engine, function, &args, wait)
        })
    })
}

/// SQLPrimaryKeys.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLPrimaryKeys(
    stmt: Handle,
    catalog: *const u8,
    catalog_len: i16,
    schema: *const u8,
    schema_len: i16,
    table: *const u8,
    table_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { row_id(stmt, args, RowIdFunction::PrimaryKeys, Width::Narrow) }
}

/// SQLPrimaryKeysW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLPrimaryKeysW(
    stmt: Handle,
    catalog: *const WideChar,
    catalog_len: i16,
    schema: *const WideChar,
    schema_len: i16,
    table: *const WideChar,
    table_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { row_id(stmt, args, RowIdFunction::PrimaryKeys, Width::Wide) }
}

/// SQLStatistics: the unique index on the row id (whatever `unique` and `reserved` ask).
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLStatistics(
    stmt: Handle,
    catalog: *const u8,
    catalog_len: i16,
    schema: *const u8,
    schema_len: i16,
    table: *const u8,
    table_len: i16,
    _unique: u16,
    _reserved: u16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { row_id(stmt, args, RowIdFunction::Statistics, Width::Narrow) }
}

/// SQLStatisticsW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLStatisticsW(
    stmt: Handle,
    catalog: *const WideChar,
    catalog_len: i16,
    schema: *const WideChar,
    schema_len: i16,
    table: *const WideChar,
    table_len: i16,
    _unique: u16,
    _reserved: u16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { row_id(stmt, args, RowIdFunction::Statistics, Width::Wide) }
}

/// SQLSpecialColumns: the row id for `SQL_BEST_ROWID`, nothing for `SQL_ROWVER`.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLSpecialColumns(
    stmt: Handle,
    identifier_type: u16,
    catalog: *const u8,
    catalog_len: i16,
    schema: *const u8,
    schema_len: i16,
    table: *const u8,
    table_len: i16,
    _scope: u16,
    _nullable: u16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
    ];
    let function = RowIdFunction::SpecialColumns { identifier_type };
    // SAFETY: forwarded caller contract.
    unsafe { row_id(stmt, args, function, Width::Narrow) }
}

/// SQLSpecialColumnsW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLSpecialColumnsW(
    stmt: Handle,
    identifier_type: u16,
    catalog: *const WideChar,
    catalog_len: i16,
    schema: *const WideChar,
    schema_len: i16,
    table: *const WideChar,
    table_len: i16,
    _scope: u16,
    _nullable: u16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
    ];
    let function = RowIdFunction::SpecialColumns { identifier_type };
    // SAFETY: forwarded caller contract.
    unsafe { row_id(stmt, args, function, Width::Wide) }
}

/// An empty, correctly shaped result; the arguments are decoded only to validate them.
///
/// # Safety
/// As [`names`].
unsafe fn empty<const N: usize>(
    stmt: Handle,
    args: [Arg; N],
    kind: EmptyCatalog,
    width: Width,
) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        // SAFETY: forwarded caller contract.
        unsafe { names(args, width)? };
        statement::open_catalog(stmt, |_, _, _| kind.cursor())
    })
}

/// # Safety
/// As [`names`].
unsafe fn foreign_keys(stmt: Handle, args: [Arg; 6], width: Width) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        // SAFETY: forwarded caller contract.
        let [
            pk_catalog,
            pk_schema,
            pk_table,
            fk_catalog,
            fk_schema,
            fk_table,
        ] = unsafe { names(args, width)? };
        statement::open_catalog(stmt, |engine, wait, metadata_id| {
            let primary = catalog_args(pk_catalog, pk_schema, pk_table, metadata_id);
            let foreign = catalog_args(fk_catalog, fk_schema, fk_table, metadata_id);
            catalog::foreign_keys(engine, &primary, &foreign, wait)
        })
    })
}

/// SQLForeignKeys.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLForeignKeys(
    stmt: Handle,
    pk_catalog: *const u8,
    pk_catalog_len: i16,
    pk_schema: *const u8,
    pk_schema_len: i16,
    pk_table: *const u8,
    pk_table_len: i16,
    fk_catalog: *const u8,
    fk_catalog_len: i16,
    fk_schema: *const u8,
    fk_schema_len: i16,
    fk_table: *const u8,
    fk_table_len: i16,
) -> SqlReturn {
    let args = [
        (pk_catalog.cast(), pk_catalog_len),
        (pk_schema.cast(), pk_schema_len),
        (pk_table.cast(), pk_table_len),
        (fk_catalog.cast(), fk_catalog_len),
        (fk_schema.cast(), fk_schema_len),
        (fk_table.cast(), fk_table_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { foreign_keys(stmt, args, Width::Narrow) }
}

/// SQLForeignKeysW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLForeignKeysW(
    stmt: Handle,
    pk_catalog: *const WideChar,
    pk_catalog_len: i16,
    pk_schema: *const WideChar,
    pk_schema_len: i16,
    pk_table: *const WideChar,
    pk_table_len: i16,
    fk_catalog: *const WideChar,
    fk_catalog_len: i16,
    fk_schema: *const WideChar,
    fk_schema_len: i16,
    fk_table: *const WideChar,
    fk_table_len: i16,
) -> SqlReturn {
    let args = [
        (pk_catalog.cast(), pk_catalog_len),
        (pk_schema.cast(), pk_schema_len),
        (pk_table.cast(), pk_table_len),
        (fk_catalog.cast(), fk_catalog_len),
        (fk_schema.cast(), fk_schema_len),
        (fk_table.cast(), fk_table_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { foreign_keys(stmt, args, Width::Wide) }
}

/// # Safety
/// As [`names`].
unsafe fn procedures(stmt: Handle, args: [Arg; 3], width: Width) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        // SAFETY: forwarded caller contract.
        let [catalog, schema, procedure] = unsafe { names(args, width)? };
        statement::open_catalog(stmt, |_, _, metadata_id| {
            catalog::procedures(&catalog_args(catalog, schema, procedure, metadata_id))
        })
    })
}

/// # Safety
/// As [`names`].
unsafe fn procedure_columns(stmt: Handle, args: [Arg; 4], width: Width) -> SqlReturn {
    guard::stmt(stmt, |stmt, _| {
        // SAFETY: forwarded caller contract.
        let [catalog, schema, procedure, column] = unsafe { names(args, width)? };
        statement::open_catalog(stmt, |_, _, metadata_id| {
            let args = CatalogArgs {
                column,
                ..catalog_args(catalog, schema, procedure, metadata_id)
            };
            catalog::procedure_columns(&args)
        })
    })
}

/// SQLProcedures.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLProcedures(
    stmt: Handle,
    catalog: *const u8,
    catalog_len: i16,
    schema: *const u8,
    schema_len: i16,
    procedure: *const u8,
    procedure_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (procedure.cast(), procedure_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { procedures(stmt, args, Width::Narrow) }
}

/// SQLProceduresW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLProceduresW(
    stmt: Handle,
    catalog: *const WideChar,
    catalog_len: i16,
    schema: *const WideChar,
    schema_len: i16,
    procedure: *const WideChar,
    procedure_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (procedure.cast(), procedure_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { procedures(stmt, args, Width::Wide) }
}

/// SQLProcedureColumns.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLProcedureColumns(
    stmt: Handle,
    catalog: *const u8,
    catalog_len: i16,
    schema: *const u8,
    schema_len: i16,
    procedure: *const u8,
    procedure_len: i16,
    column: *const u8,
    column_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (procedure.cast(), procedure_len),
        (column.cast(), column_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { procedure_columns(stmt, args, Width::Narrow) }
}

/// SQLProcedureColumnsW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLProcedureColumnsW(
    stmt: Handle,
    catalog: *const WideChar,
    catalog_len: i16,
    schema: *const WideChar,
    schema_len: i16,
    procedure: *const WideChar,
    procedure_len: i16,
    column: *const WideChar,
    column_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (procedure.cast(), procedure_len),
        (column.cast(), column_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { procedure_columns(stmt, args, Width::Wide) }
}

/// SQLTablePrivileges.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLTablePrivileges(
    stmt: Handle,
    catalog: *const u8,
    catalog_len: i16,
    schema: *const u8,
    schema_len: i16,
    table: *const u8,
    table_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { empty(stmt, args, EmptyCatalog::TablePrivileges, Width::Narrow) }
}

/// SQLTablePrivilegesW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLTablePrivilegesW(
    stmt: Handle,
    catalog: *const WideChar,
    catalog_len: i16,
    schema: *const WideChar,
    schema_len: i16,
    table: *const WideChar,
    table_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { empty(stmt, args, EmptyCatalog::TablePrivileges, Width::Wide) }
}

/// SQLColumnPrivileges.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLColumnPrivileges(
    stmt: Handle,
    catalog: *const u8,
    catalog_len: i16,
    schema: *const u8,
    schema_len: i16,
    table: *const u8,
    table_len: i16,
    column: *const u8,
    column_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
        (column.cast(), column_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { empty(stmt, args, EmptyCatalog::ColumnPrivileges, Width::Narrow) }
}

/// SQLColumnPrivilegesW.
///
/// # Safety
/// As [`names`].
#[unsafe(no_mangle)]
pub unsafe extern "system" fn SQLColumnPrivilegesW(
    stmt: Handle,
    catalog: *const WideChar,
    catalog_len: i16,
    schema: *const WideChar,
    schema_len: i16,
    table: *const WideChar,
    table_len: i16,
    column: *const WideChar,
    column_len: i16,
) -> SqlReturn {
    let args = [
        (catalog.cast(), catalog_len),
        (schema.cast(), schema_len),
        (table.cast(), table_len),
        (column.cast(), column_len),
    ];
    // SAFETY: forwarded caller contract.
    unsafe { empty(stmt, args, EmptyCatalog::ColumnPrivileges, Width::Wide) }
}
