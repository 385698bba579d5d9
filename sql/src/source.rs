//! What the engine needs from HubDB, as a trait: the REST client implements it, and unit
//! tests plan and run queries over an in-memory double without a server.

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use hubdb::{
    Client, Error, ErrorKind, Owner, OwnerQuery, Row, RowPage, RowQuery, ScanOptions, Table,
    Version,
};

/// The HubDB calls the SQL engine makes.
pub trait HubDbSource: Send + Sync + 'static {
    /// All tables of one version, archived ones excluded.
    fn list_tables(&self, version: Version) -> BoxFuture<'_, Result<Vec<Table>, Error>>;

    /// All pages of a row query, lazily and in order.
    fn stream_rows(
        &self,
        table: &str,
        version: Version,
        query: RowQuery,
        options: ScanOptions,
    ) -> BoxStream<'static, Result<RowPage, Error>>;

    /// Rows matching the query's filters, from one small request; `None` if HubDB does not
    /// say.
    fn count_rows(
        &self,
        table: String,
        version: Version,
        query: RowQuery,
    ) -> BoxFuture<'_, Result<Option<u64>, Error>>;

    /// One row by id; `None` when there is no such row.
    fn get_row(
        &self,
        table: String,
        version: Version,
        row_id: i64,
    ) -> BoxFuture<'_, Result<Option<Row>, Error>>;

    /// Sources with the same key see the same tables, so their metadata is shared within the
    /// process; `None` shares nothing.
    fn metadata_key(&self) -> Option<String> {
        None
    }

    /// Every CRM owner one owners listing selects, all pages read (the `Owners` view). A
    /// source without owners says so rather than showing an empty list.
    fn list_owners(&self, _query: OwnerQuery) -> BoxFuture<'_, Result<Vec<Owner>, Error>> {
        Box::pin(async {
            Err(Error::new(
                ErrorKind::NotFound,
                "this source does not serve HubSpot's owners",
            ))
        })
    }
}

impl HubDbSource for Client {
    fn list_tables(&self, version: Version) -> BoxFuture<'_, Result<Vec<Table>, Error>> {
        Box::pin(Client::list_tables(self, version))
    }

    fn stream_rows(
        &self,
        table: &str,
        version: Version,
        query: RowQuery,
        options: ScanOptions,
    ) -> BoxStream<'static, Result<RowPage, Error>> {
        Client::scan_rows(self, table, version, query, options)
    }

    fn count_rows(
        &self,
        table: String,
        version: Version,
        query: RowQuery,
    ) -> BoxFuture<'_, Result<Option<u64>, Error>> {
        Box::pin(async move { Client::count_rows(self, &table, version, &query).await })
    }

    fn get_row(
        &self,
        table: String,
        version: Version,
        row_id: i64,
    ) -> BoxFuture<'_, Result<Option<Row>, Error>> {
        Box::pin(async move { Client::get_row(self, &table, version, row_id).await })
    }

    fn metadata_key(&self) -> Option<String> {
        Some(self.credential_key())
    }

    fn list_owners(&self, query: OwnerQuery) -> BoxFuture<'_, Result<Vec<Owner>, Error>> {
        Box::pin(async move { Client::list_owners_matching(self, &query).await })
    }
}
