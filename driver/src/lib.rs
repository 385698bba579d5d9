//! The ODBC driver.
