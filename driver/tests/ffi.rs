//! The exported entry points driven directly, without a driver manager, against an in-process
//! sandbox: connect, execute, fetch, SQLGetData, catalog, diagnostics, SQLGetInfo.
//! (The driver-manager path is covered by the workspace's end-to-end suite.)

use std::ffi::c_void;
use std::ptr::{null, null_mut};

use hubdb_odbc::ffi::{attributes, catalog, connection, diag, env, info, results, statement};
use odbc_sys::{Handle, SqlReturn};

const HANDLE_ENV: i16 = 1;
const HANDLE_DBC: i16 = 2;
const HANDLE_STMT: i16 = 3;
const SQL_C_CHAR: i16 = 1;
const SQL_C_SBIGINT: i16 = -25;

/// A running sandbox and the runtime that serves it.
struct Sandbox {
    url: String,
    _server: hubdb_sandbox::RunningSandbox,
    _runtime: tokio::runtime::Runtime,
}

fn sandbox() -> Sandbox {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime
        .block_on(hubdb_sandbox::start(hubdb_sandbox::SandboxConfig::default()))
        .expect("sandbox starts");
    Sandbox {
        url: server.base_url(),
        _server: server,
        _runtime: runtime,
    }
}

fn alloc(handle_type: i16, parent: Handle) -> Handle {
    let mut handle = Handle::null();
    // SAFETY: `handle` is a valid place for the new handle.
    let rc = unsafe { env::SQLAllocHandle(handle_type, parent, &mut handle) };
    assert_eq!(rc, SqlReturn::SUCCESS);
    handle
}

fn connect_with(conn: Handle, connection_string: &str) -> SqlReturn {
    let mut out = [0u8; 512];
    let mut out_len = 0i16;
    let input = connection_string.as_bytes();
    // SAFETY: input and output buffers are valid for the lengths passed.
    unsafe {
        connection::SQLDriverConnect(
            conn,
            null_mut(),
            input.as_ptr(),
            input.len() as i16,
            out.as_mut_ptr(),
            out.len() as i16,
            &mut out_len,
            0,
        )
    }
}

/// Env + connection + statement on a connected sandbox.
fn connected(sandbox: &Sandbox) -> (Handle, Handle, Handle) {
    let env = alloc(HANDLE_ENV, Handle::null());
    let conn = alloc(HANDLE_DBC, env);
    let string = format!(
        "APIBaseURL={};PrivateAppToken={}",
        sandbox.url,
        hubdb_sandbox::DEMO_TOKEN
    );
    assert_eq!(connect_with(conn, &string), SqlReturn::SUCCESS);
    let stmt = alloc(HANDLE_STMT, conn);
    (env, conn, stmt)
}

fn exec(stmt: Handle, sql: &str) -> SqlReturn {
    // SAFETY: the SQL text is valid for its length.
    unsafe { statement::SQLExecDirect(stmt, sql.as_ptr(), sql.len() as i32) }
}

/// First diagnostic record: SQLSTATE and message.
fn first_diag(handle_type: i16, handle: Handle) -> (String, String) {
    let mut state = [0u8; 6];
    let mut message = [0u8; 1024];
    let (mut native, mut len) = (0i32, 0i16);
    // SAFETY: buffers are valid for the lengths passed.
    let rc = unsafe {
        diag::SQLGetDiagRec(
            handle_type,
            handle,
            1,
            state.as_mut_ptr(),
            &mut native,
            message.as_mut_ptr(),
            1024,
            &mut len,
        )
    };
    assert_eq!(rc, SqlReturn::SUCCESS);
    let state = String::from_utf8_lossy(&state[..5]).into_owned();
    (
        state,
        String::from_utf8_lossy(&message[..len as usize]).into_owned(),
    )
}

fn get_text(stmt: Handle, column: u16, buffer: &mut [u8]) -> (SqlReturn, isize, String) {
    let mut indicator = 0isize;
    // SAFETY: the buffer is valid for its length; the indicator is writable.
    let rc = unsafe {
        results::SQLGetData(
            stmt,
            column,
            SQL_C_CHAR,
            buffer.as_mut_ptr().cast(),
            buffer.len() as isize,
            &mut indicator,
        )
    };
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    (
        rc,
        indicator,
        String::from_utf8_lossy(&buffer[..end]).into_owned(),
    )
}

#[test]
fn select_then_fetch_and_get_data_return_the_rows() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    let rc = exec(
        stmt,
        "SELECT Id, store_name FROM store_locations ORDER BY Id LIMIT 2",
    );
    assert_eq!(rc, SqlReturn::SUCCESS);
    let mut columns = 0i16;
    // SAFETY: `columns` is writable.
    assert_eq!(
        unsafe { results::SQLNumResultCols(stmt, &mut columns) },
        SqlReturn::SUCCESS
    );
    assert_eq!(columns, 2);
    assert_eq!(results::SQLFetch(stmt), SqlReturn::SUCCESS);
    let (rc, indicator, name) = get_text(stmt, 2, &mut [0u8; 64]);
    assert_eq!((rc, name.as_str()), (SqlReturn::SUCCESS, "Boston Back Bay"));
    assert_eq!(indicator, "Boston Back Bay".len() as isize);
    assert_eq!(results::SQLFetch(stmt), SqlReturn::SUCCESS);
    assert_eq!(results::SQLFetch(stmt), SqlReturn::NO_DATA);
    let mut rows = 0isize;
    // SAFETY: `rows` is writable.
    assert_eq!(
        unsafe { results::SQLRowCount(stmt, &mut rows) },
        SqlReturn::SUCCESS
    );
    assert_eq!(results::SQLMoreResults(stmt), SqlReturn::NO_DATA);
}

#[test]
fn a_short_buffer_gives_01004_with_the_full_length_then_the_rest() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    assert_eq!(
        exec(
            stmt,
            "SELECT store_name FROM store_locations ORDER BY Id LIMIT 1"
        ),
        SqlReturn::SUCCESS
    );
    assert_eq!(results::SQLFetch(stmt), SqlReturn::SUCCESS);
    let (rc, indicator, part) = get_text(stmt, 1, &mut [0u8; 7]);
    assert_eq!(
        (rc, indicator, part.as_str()),
        (SqlReturn::SUCCESS_WITH_INFO, 15, "Boston")
    );
    assert_eq!(first_diag(HANDLE_STMT, stmt).0, "01004");
    let (rc, _, rest) = get_text(stmt, 1, &mut [0u8; 64]);
    assert_eq!((rc, rest.as_str()), (SqlReturn::SUCCESS, " Back Bay"));
    assert_eq!(get_text(stmt, 1, &mut [0u8; 64]).0, SqlReturn::NO_DATA);
}

#[test]
fn column_wise_block_fetch_fills_arrays_and_rows_fetched() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    let mut ids = [0i64; 4];
    let mut indicators = [0isize; 4];
    let mut fetched = 0usize;
    // SAFETY: the arrays outlive the fetch and hold 4 rows; attribute values are integers or
    // pointers to them.
    unsafe {
        let rc = hubdb_odbc::ffi::attributes::SQLSetStmtAttr(stmt, 27, 4usize as *mut c_void, 0);
        assert_eq!(rc, SqlReturn::SUCCESS);
        let rc = hubdb_odbc::ffi::attributes::SQLSetStmtAttr(
            stmt,
            26,
            (&mut fetched as *mut usize).cast(),
            0,
        );
        assert_eq!(rc, SqlReturn::SUCCESS);
    }
    assert_eq!(
        exec(stmt, "SELECT Id FROM store_locations ORDER BY Id"),
        SqlReturn::SUCCESS
    );
    let rc = results::SQLBindCol(
        stmt,
        1,
        SQL_C_SBIGINT,
        ids.as_mut_ptr().cast(),
        8,
        indicators.as_mut_ptr(),
    );
    assert_eq!(rc, SqlReturn::SUCCESS);
    assert_eq!(results::SQLFetch(stmt), SqlReturn::SUCCESS);
    assert_eq!(fetched, 4);
    assert_eq!(ids, [81000001, 81000002, 81000003, 81000004]);
    assert_eq!(results::SQLFetchScroll(stmt, 2, 0), SqlReturn::ERROR);
    assert_eq!(first_diag(HANDLE_STMT, stmt).0, "HY106");
}

#[test]
fn a_bad_token_fails_the_connect_with_28000_and_hubspots_message() {
    let sandbox = sandbox();
    let env = alloc(HANDLE_ENV, Handle::null());
    let conn = alloc(HANDLE_DBC, env);
    let string = format!("APIBaseURL={};PrivateAppToken=pat-na1-wrong", sandbox.url);
    assert_eq!(connect_with(conn, &string), SqlReturn::ERROR);
    let (state, message) = first_diag(HANDLE_DBC, conn);
    assert_eq!(state, "28000");
    assert!(message.starts_with("[HubDB ODBC][HubSpot] "), "{message}");
    assert!(!message.contains("pat-na1-wrong"));
}

#[test]
fn an_unreachable_api_fails_the_connect_with_08001() {
    let env = alloc(HANDLE_ENV, Handle::null());
    let conn = alloc(HANDLE_DBC, env);
    let string = format!(
        "APIBaseURL=http://127.0.0.1:9;PrivateAppToken={}",
        hubdb_sandbox::DEMO_TOKEN
    );
    assert_eq!(connect_with(conn, &string), SqlReturn::ERROR);
    assert_eq!(first_diag(HANDLE_DBC, conn).0, "08001");
}

#[test]
fn an_unknown_connection_key_warns_01s00() {
    let sandbox = sandbox();
    let env = alloc(HANDLE_ENV, Handle::null());
    let conn = alloc(HANDLE_DBC, env);
    let string = format!(
        "APIBaseURL={};PrivateAppToken={};Colour=blue",
        sandbox.url,
        hubdb_sandbox::DEMO_TOKEN
    );
    assert_eq!(connect_with(conn, &string), SqlReturn::SUCCESS_WITH_INFO);
    assert_eq!(first_diag(HANDLE_DBC, conn).0, "01S00");
}

#[test]
fn unknown_table_column_and_syntax_map_to_their_sqlstates() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    let cases = [
        ("SELECT * FROM nosuch", "42S02"),
        ("SELECT nosuch FROM store_locations", "42S22"),
        ("SELEC 1", "42000"),
    ];
    for (sql, state) in cases {
        assert_eq!(exec(stmt, sql), SqlReturn::ERROR, "{sql}");
        let (got, message) = first_diag(HANDLE_STMT, stmt);
        assert_eq!(got, state, "{sql}: {message}");
    }
}

#[test]
fn unknown_info_types_are_hy096_and_odbc4_return_escape_clause_is_answered() {
    let sandbox = sandbox();
    let (_, conn, _) = connected(&sandbox);
    let mut value = 0u32;
    let mut len = 0i16;
    // SAFETY: `value` holds the 32-bit answer; `len` is writable.
    let rc = unsafe { info::SQLGetInfo(conn, 180, (&mut value as *mut u32).cast(), 4, &mut len) };
    assert_eq!(rc, SqlReturn::SUCCESS);
    // SAFETY: as above.
    let rc = unsafe { info::SQLGetInfo(conn, 1750, (&mut value as *mut u32).cast(), 4, &mut len) };
    assert_eq!(rc, SqlReturn::ERROR);
    assert_eq!(first_diag(HANDLE_DBC, conn).0, "HY096");
}

#[test]
fn wide_dbms_name_is_reported_in_bytes_and_wide_describe_col_in_characters() {
    let sandbox = sandbox();
    let (_, conn, stmt) = connected(&sandbox);
    let mut name = [0u16; 16];
    let mut len = 0i16;
    // SAFETY: `name` holds 32 bytes; `len` is writable.
    let rc = unsafe { info::SQLGetInfoW(conn, 17, name.as_mut_ptr().cast(), 32, &mut len) };
    assert_eq!((rc, len), (SqlReturn::SUCCESS, 10));
    assert_eq!(String::from_utf16_lossy(&name[..5]), "HubDB");
    let sql: Vec<u16> = "SELECT store_name FROM store_locations"
        .encode_utf16()
        .collect();
    // SAFETY: the SQL text is valid for its length in characters.
    let rc = unsafe { statement::SQLPrepareW(stmt, sql.as_ptr(), sql.len() as i32) };
    assert_eq!(rc, SqlReturn::SUCCESS);
    let mut column = [0u16; 32];
    let (mut data_type, mut size, mut digits, mut nullable) = (0i16, 0usize, 0i16, 0i16);
    // SAFETY: every output pointer is valid; `column` holds 32 characters.
    let rc = unsafe {
        results::SQLDescribeColW(
            stmt,
            1,
            column.as_mut_ptr(),
            32,
            &mut len,
            &mut data_type,
            &mut size,
            &mut digits,
            &mut nullable,
        )
    };
    assert_eq!(rc, SqlReturn::SUCCESS);
    assert_eq!((len, data_type), (10, -9));
    assert!(size > 0);
}

#[test]
fn get_diag_rec_with_a_null_message_buffer_reports_the_length() {
    let env = alloc(HANDLE_ENV, Handle::null());
    // SQL_ATTR_ODBC_VERSION = 200 with an unsupported version.
    let rc = env::SQLSetEnvAttr(env, 200, 7usize as *mut c_void, 0);
    assert_eq!(rc, SqlReturn::ERROR);
    let mut len = 0i16;
    // SAFETY: null buffers are allowed; `len` is writable.
    let rc = unsafe {
        diag::SQLGetDiagRec(
            HANDLE_ENV,
            env,
            1,
            null_mut(),
            null_mut(),
            null_mut(),
            0,
            &mut len,
        )
    };
    assert_eq!(rc, SqlReturn::SUCCESS);
    assert!(len > 20);
    // SAFETY: as above.
    let rc = unsafe {
        diag::SQLGetDiagRec(
            HANDLE_ENV,
            env,
            2,
            null_mut(),
            null_mut(),
            null_mut(),
            0,
            &mut len,
        )
    };
    assert_eq!(rc, SqlReturn::NO_DATA);
}

#[test]
fn tables_lists_draft_tables_and_published_views() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    // SAFETY: null name arguments mean "any".
    let rc = unsafe { catalog::SQLTables(stmt, null(), 0, null(), 0, null(), 0, null(), 0) };
    assert_eq!(rc, SqlReturn::SUCCESS);
    let mut types = Vec::new();
    while results::SQLFetch(stmt) == SqlReturn::SUCCESS {
        types.push(get_text(stmt, 4, &mut [0u8; 16]).2);
    }
    assert!(types.contains(&"TABLE".to_string()) && types.contains(&"VIEW".to_string()));
}

#[test]
fn a_bound_parameter_filters_rows() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    let sql = "SELECT store_name FROM store_locations WHERE Id = ?";
    // SAFETY: the SQL text is valid for its length.
    let rc = unsafe { statement::SQLPrepare(stmt, sql.as_ptr(), sql.len() as i32) };
    assert_eq!(rc, SqlReturn::SUCCESS);
    let mut count = 0i16;
    // SAFETY: `count` is writable.
    assert_eq!(
        unsafe { statement::SQLNumParams(stmt, &mut count) },
        SqlReturn::SUCCESS
    );
    assert_eq!(count, 1);
    let mut id = 81000002i64;
    let mut indicator = 8isize;
    let rc = statement::SQLBindParameter(
        stmt,
        1,
        1,
        SQL_C_SBIGINT,
        -5,
        0,
        0,
        (&mut id as *mut i64).cast(),
        8,
        &mut indicator,
    );
    assert_eq!(rc, SqlReturn::SUCCESS);
    assert_eq!(statement::SQLExecute(stmt), SqlReturn::SUCCESS);
    assert_eq!(results::SQLFetch(stmt), SqlReturn::SUCCESS);
    assert_eq!(get_text(stmt, 1, &mut [0u8; 64]).2, "Montréal – Plateau");
    assert_eq!(results::SQLFetch(stmt), SqlReturn::NO_DATA);
}

#[test]
fn freed_and_foreign_handles_are_invalid() {
    let env = alloc(HANDLE_ENV, Handle::null());
    assert_eq!(env::SQLFreeHandle(HANDLE_ENV, env), SqlReturn::SUCCESS);
    assert_eq!(
        env::SQLFreeHandle(HANDLE_ENV, env),
        SqlReturn::INVALID_HANDLE
    );
    assert_eq!(
        results::SQLFetch(Handle(8 as *mut c_void)),
        SqlReturn::INVALID_HANDLE
    );
    assert_eq!(results::SQLFetch(Handle::null()), SqlReturn::INVALID_HANDLE);
}

#[test]
fn procedures_and_procedure_columns_answer_from_the_registry_narrow_and_wide() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    let pattern = "Get%";
    // SAFETY: the pattern is valid for its length; null arguments mean "any".
    let rc = unsafe {
        catalog::SQLProcedures(
            stmt,
            null(),
            0,
            null(),
            0,
            pattern.as_ptr(),
            pattern.len() as i16,
        )
    };
    assert_eq!(rc, SqlReturn::SUCCESS);
    let mut listed = Vec::new();
    while results::SQLFetch(stmt) == SqlReturn::SUCCESS {
        let schema = get_text(stmt, 2, &mut [0u8; 16]).2;
        listed.push((schema, get_text(stmt, 3, &mut [0u8; 64]).2));
    }
    assert_eq!(
        listed,
        [
            ("sys".to_string(), "GetOAuthAccessToken".to_string()),
            ("sys".to_string(), "GetOAuthAuthorizationURL".to_string()),
        ]
    );

    let procedure: Vec<u16> = "RefreshOAuthAccessToken".encode_utf16().collect();
    // SAFETY: the procedure name is valid for its length in characters.
    let rc = unsafe {
        catalog::SQLProcedureColumnsW(
            stmt,
            null(),
            0,
            null(),
            0,
            procedure.as_ptr(),
            procedure.len() as i16,
            null(),
            0,
        )
    };
    assert_eq!(rc, SqlReturn::SUCCESS);
    let mut columns = Vec::new();
    while results::SQLFetch(stmt) == SqlReturn::SUCCESS {
        let name = get_text(stmt, 4, &mut [0u8; 64]).2;
        columns.push((name, get_text(stmt, 5, &mut [0u8; 8]).2));
    }
    let columns: Vec<(&str, &str)> = columns
        .iter()
        .map(|(name, kind)| (name.as_str(), kind.as_str()))
        .collect();
    assert_eq!(
        columns,
        [
            ("OAuthRefreshToken", "1"),
            ("OAuthAccessToken", "3"),
            ("OAuthRefreshToken", "3"),
            ("ExpiresIn", "3"),
        ],
        "one input (SQL_PARAM_INPUT), then the result columns (SQL_RESULT_COL)"
    );
}

#[test]
fn readonly_connections_report_read_only_access_mode() {
    const SQL_ATTR_ACCESS_MODE: i32 = 101;
    let sandbox = sandbox();
    let access_mode = |extra: &str| {
        let env = alloc(HANDLE_ENV, Handle::null());
        let conn = alloc(HANDLE_DBC, env);
        let string = format!(
            "APIBaseURL={};PrivateAppToken={};{extra}",
            sandbox.url,
            hubdb_sandbox::DEMO_TOKEN
        );
        assert_eq!(connect_with(conn, &string), SqlReturn::SUCCESS);
        let mut mode = 99u32;
        // SAFETY: `mode` is a valid SQLUINTEGER for the attribute's value.
        let rc = unsafe {
            hubdb_odbc::ffi::attributes::SQLGetConnectAttr(
                conn,
                SQL_ATTR_ACCESS_MODE,
                (&mut mode as *mut u32).cast::<c_void>(),
                0,
                null_mut(),
            )
        };
        assert_eq!(rc, SqlReturn::SUCCESS);
        mode
    };
    // SQL_MODE_READ_WRITE 0, SQL_MODE_READ_ONLY 1.
    assert_eq!(access_mode(""), 0);
    assert_eq!(access_mode("Readonly=true"), 1);
}

/// Binds a 4-byte integer parameter of C type `c_type` to `value`.
fn bind_integer(
    stmt: Handle,
    number: u16,
    c_type: i16,
    sql_type: i16,
    value: &mut i32,
) -> SqlReturn {
    statement::SQLBindParameter(
        stmt,
        number,
        1,
        c_type,
        sql_type,
        0,
        0,
        (value as *mut i32).cast(),
        4,
        null_mut(),
    )
}

#[test]
fn sql_c_default_reads_the_default_c_type_of_the_parameter_sql_type() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    // A 4-byte heap value: read as SQL_C_SLONG (the default of SQL_INTEGER), not as text.
    let mut id = Box::new(81000002i32);
    assert_eq!(bind_integer(stmt, 1, 99, 4, &mut id), SqlReturn::SUCCESS);

    assert_eq!(
        exec(stmt, "SELECT store_name FROM store_locations WHERE Id = ?"),
        SqlReturn::SUCCESS
    );

    assert_eq!(results::SQLFetch(stmt), SqlReturn::SUCCESS);
    assert_eq!(get_text(stmt, 1, &mut [0u8; 64]).2, "Montréal – Plateau");
}

#[test]
fn an_unknown_parameter_sql_type_is_hy004_at_bind_time() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    let mut value = 1i32;
    assert_eq!(
        bind_integer(stmt, 1, -16, 9999, &mut value),
        SqlReturn::ERROR
    );
    assert_eq!(first_diag(HANDLE_STMT, stmt).0, "HY004");
}

#[test]
fn parameters_bound_beyond_the_markers_are_ignored() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    let (mut id, mut extra) = (81000002i32, 7i32);
    assert_eq!(bind_integer(stmt, 1, -16, 4, &mut id), SqlReturn::SUCCESS);
    assert_eq!(
        bind_integer(stmt, 3, -16, 4, &mut extra),
        SqlReturn::SUCCESS
    );

    let marked = exec(stmt, "SELECT store_name FROM store_locations WHERE Id = ?");
    assert_eq!(marked, SqlReturn::SUCCESS);
    assert_eq!(results::SQLFetch(stmt), SqlReturn::SUCCESS);
    assert_eq!(statement::SQLCloseCursor(stmt), SqlReturn::SUCCESS);
    assert_eq!(exec(stmt, "SELECT 1 AS one"), SqlReturn::SUCCESS);
}

#[test]
fn sql_disconnect_frees_the_statements_of_the_connection() {
    let sandbox = sandbox();
    let (_, conn, stmt) = connected(&sandbox);
    assert_eq!(
        exec(stmt, "SELECT Id FROM store_locations"),
        SqlReturn::SUCCESS
    );

    assert_eq!(connection::SQLDisconnect(conn), SqlReturn::SUCCESS);

    assert_eq!(results::SQLFetch(stmt), SqlReturn::INVALID_HANDLE);
    assert_eq!(env::SQLFreeHandle(HANDLE_DBC, conn), SqlReturn::SUCCESS);
}

#[test]
fn a_wide_statement_at_an_odd_address_is_read_unaligned() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    let units: Vec<u16> = "SELECT 1 AS one\0".encode_utf16().collect();
    let mut raw = vec![0u8; 2 * units.len() + 1];
    for (i, unit) in units.iter().enumerate() {
        raw[1 + 2 * i..3 + 2 * i].copy_from_slice(&unit.to_ne_bytes());
    }
    let odd = raw[1..].as_ptr().cast::<u16>();

    // SAFETY: `odd` holds a NUL-terminated wide string (at an odd address, on purpose).
    let rc = unsafe { statement::SQLExecDirectW(stmt, odd, -3) };

    assert_eq!(rc, SqlReturn::SUCCESS);
    assert_eq!(results::SQLFetch(stmt), SqlReturn::SUCCESS);
    assert_eq!(get_text(stmt, 1, &mut [0u8; 8]).2, "1");
}

#[test]
fn a_statement_error_is_about_no_row_and_no_column() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    assert_eq!(
        exec(stmt, "SELECT nope FROM store_locations"),
        SqlReturn::ERROR
    );
    for field in [-1248i16, -1247] {
        let mut value = 0isize;
        // SAFETY: `value` is large enough for SQLLEN and SQLINTEGER fields.
        let rc = unsafe {
            diag::SQLGetDiagField(
                HANDLE_STMT,
                stmt,
                1,
                field,
                (&mut value as *mut isize).cast(),
                0,
                null_mut(),
            )
        };
        assert_eq!(rc, SqlReturn::SUCCESS);
        let value = if field == -1248 {
            value
        } else {
            value as i32 as isize
        };
        assert_eq!(
            value, -1,
            "field {field}: SQL_NO_ROW_NUMBER / SQL_NO_COLUMN_NUMBER"
        );
    }
}

#[test]
fn max_length_is_replaced_by_no_limit_with_01s02() {
    let sandbox = sandbox();
    let (_, _, stmt) = connected(&sandbox);
    // SAFETY: SQL_ATTR_MAX_LENGTH (3) takes its value in the pointer argument.
    let rc = unsafe { attributes::SQLSetStmtAttr(stmt, 3, 5usize as *mut c_void, 0) };
    assert_eq!(rc, SqlReturn::SUCCESS_WITH_INFO);
    assert_eq!(first_diag(HANDLE_STMT, stmt).0, "01S02");
}
