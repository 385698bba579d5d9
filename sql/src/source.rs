//! What the engine needs from HubDB, as a trait: the REST client implements it, and unit
//! tests plan and run queries over an in-memory double without a server.

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use hubdb::{Client, Error, RowPage, RowQuery, Table, Version};

/// The HubDB calls the SQL engine makes.
pub trait HubDbSource: Send + Sync + 'static {
    /// All tables of one version, archived ones excluded.
    fn list_tables(&self, version: Version) -> BoxFuture<'_, Result<Vec<Table>, Error>>;

    /// All pages of a row query, lazily.
    fn stream_rows(
        &self,
        table: &str,
        version: Version,
        query: RowQuery,
    ) -> BoxStream<'static, Result<RowPage, Error>>;
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
    ) -> BoxStream<'static, Result<RowPage, Error>> {
        Client::stream_rows(self, table, version, query)
    }
}
