//! The HubDB v3 read endpoints (reference §6 T1/T2/T4/T5, §7 R1-R4) over the shared transport.

use std::collections::HashSet;
use std::sync::Arc;

use futures::stream::BoxStream;

use crate::http::Transport;
use crate::paging::{FetchPage, ScanOptions, check_progress, scan_pages};
use crate::query::{MAX_PAGE_SIZE, QueryString, encode, row_page_query, table_page_query};
use crate::wire::{Collection, RowWire, TableWire};
use crate::{
    ClientConfig, Error, ErrorKind, PageToken, Row, RowPage, RowQuery, Secret, Table, Version,
};

pub(crate) const HUBDB: &str = "/cms/v3/hubdb";

/// Bound on the table listing's pages, so a server that keeps saying "more" cannot hold it
/// forever: 1,000 tables per account (reference §11.1) fit far below it.
const MAX_TABLE_PAGES: u64 = 10_000;

/// A HubDB client. Cheap to clone: clones share the connection pool and the request counter.
#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
}

impl Client {
    /// Fails only on an unusable configuration (base URL, TLS set-up); sends nothing.
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        Ok(Self {
            transport: Arc::new(Transport::new(config)?),
        })
    }

    /// `APIBaseURL` without its trailing slash.
    pub fn base_url(&self) -> &str {
        self.transport.base_url()
    }

    /// Replaces the Bearer token of this client and its clones, e.g. after an OAuth refresh.
    pub fn set_token(&self, token: Secret) {
        self.transport.set_token(token);
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// HTTP requests sent by this client and its clones, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.transport.requests_sent()
    }

    /// All tables of one version, following the listing's pages; archived tables left out.
    pub async fn list_tables(&self, version: Version) -> Result<Vec<Table>, Error> {
        let path = match version {
            Version::Published => format!("{HUBDB}/tables"),
            Version::Draft => format!("{HUBDB}/tables/draft"),
        };
        let mut tables = Vec::new();
        let mut seen = HashSet::new();
        let mut page: Option<PageToken> = None;
        for _ in 0..MAX_TABLE_PAGES {
            let listing: Collection<TableWire> = self
                .transport
                .get_json(&path, &table_page_query(page.as_ref()))
                .await?;
            let next = listing.next_page();
            for table in listing.results {
                let table = table.into_table(version);
                if !table.archived && seen.insert(table.id.clone()) {
                    tables.push(table);
                }
            }
            match check_progress(page.as_ref(), next)? {
                Some(next) => page = Some(next),
                None => return Ok(tables),
            }
        }
        Err(too_many_pages(&path))
    }

    /// One table with its columns, by id or name.
    pub async fn get_table(&self, id_or_name: &str, version: Version) -> Result<Table, Error> {
        let path = table_path(id_or_name, version);
        let table: TableWire = self
            .transport
            .get_json(&path, &QueryString::default())
            .await?;
        Ok(table.into_table(version))
    }

    /// One page. `page`: None = first page (query.offset honoured), Some(token) = continue.
    pub async fn fetch_rows(
        &self,
        table: &str,
        version: Version,
        query: &RowQuery,
        page: Option<&PageToken>,
    ) -> Result<RowPage, Error> {
        let path = rows_path(table, version);
        let listing: Collection<RowWire> = self
            .transport
            .get_json(&path, &row_page_query(query, page))
            .await?;
        let next = listing.next_page();
        let rows = listing
            .results
            .into_iter()
            .map(RowWire::into_row)
            .collect::<Result<Vec<Row>, Error>>()?;
        Ok(RowPage {
            rows,
            total: listing.total,
            next,
        })
    }

    /// All pages in order, lazily (one page in memory at a time), following the cursor.
    /// The stream ends after the first error.
    pub fn stream_rows(
        &self,
        table: &str,
        version: Version,
        query: RowQuery,
    ) -> BoxStream<'static, Result<RowPage, Error>> {
        let options = ScanOptions {
            pages_in_flight: 1,
            max_rows: None,
        };
        self.scan_rows(table, version, query, options)
    }

    /// All pages in order, lazily; once the first page gives the total, the others are
    /// fetched `options.pages_in_flight` at a time (see [`ScanOptions`]). The stream ends
    /// after the first error.
    pub fn scan_rows(
        &self,
        table: &str,
        version: Version,
        query: RowQuery,
        options: ScanOptions,
    ) -> BoxStream<'static, Result<RowPage, Error>> {
        let start = query.offset.unwrap_or(0);
        let page_size = page_size(&query);
        let client = self.clone();
        let table = table.to_string();
        let query = Arc::new(query);
        let fetch: FetchPage = Arc::new(move |page| {
            let (client, table, query) = (client.clone(), table.clone(), Arc::clone(&query));
            Box::pin(async move {
                client
                    .fetch_rows(&table, version, &query, page.as_ref())
                    .await
            })
        });
        scan_pages(fetch, start, page_size, options)
    }

    /// Rows matching the query's filters, from HubDB's `total`, with one request of one
    /// row and no own column (§8.1, §8.3); `None` when HubDB does not say.
    pub async fn count_rows(
        &self,
        table: &str,
        version: Version,
        query: &RowQuery,
    ) -> Result<Option<u64>, Error> {
        let page = self
            .fetch_rows(table, version, &count_query(query), None)
            .await?;
        Ok(page.total)
    }

    /// `GET path?query` of the first request a row listing sends, as plans and tests show it.
    pub fn rows_request_target(table: &str, version: Version, query: &RowQuery) -> String {
        let query = row_page_query(query, None).encoded();
        format!("GET {}?{query}", rows_path(table, version))
    }

    /// `GET path` of a single-row read.
    pub fn row_request_target(table: &str, version: Version, row_id: i64) -> String {
        format!("GET {}", row_path(table, version, row_id))
    }

    /// Identifies the account and credential this client reads, without holding the token:
    /// clients with equal keys see the same tables.
    pub fn credential_key(&self) -> String {
        self.transport.credential_key()
    }

    /// One row by id, `None` when HubDB answers 404 (no such row, or no such table).
    pub async fn get_row(
        &self,
        table: &str,
        version: Version,
        row_id: i64,
    ) -> Result<Option<Row>, Error> {
        let path = row_path(table, version, row_id);
        match self
            .transport
            .get_json::<RowWire>(&path, &QueryString::default())
            .await
        {
            Ok(row) => row.into_row().map(Some),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// The query of a count: the same filters, one row, none of the table's own columns.
pub fn count_query(query: &RowQuery) -> RowQuery {
    RowQuery {
        filters: query.filters.clone(),
        sort: Vec::new(),
        properties: Some(Vec::new()),
        limit: Some(1),
        offset: None,
    }
}

/// Rows per page the query asks for, as sent (§8.1).
fn page_size(query: &RowQuery) -> u64 {
    u64::from(query.limit.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE))
}

fn too_many_pages(what: &str) -> Error {
    Error::new(
        ErrorKind::Decode,
        format!("listing of {what} did not end after the maximum number of pages"),
    )
}

pub(crate) fn table_path(table: &str, version: Version) -> String {
    let table = encode(table);
    match version {
        Version::Published => format!("{HUBDB}/tables/{table}"),
        Version::Draft => format!("{HUBDB}/tables/{table}/draft"),
    }
}

fn rows_path(table: &str, version: Version) -> String {
    let table = encode(table);
    match version {
        Version::Published => format!("{HUBDB}/tables/{table}/rows"),
        Version::Draft => format!("{HUBDB}/tables/{table}/rows/draft"),
    }
}

pub(crate) fn row_path(table: &str, version: Version, row_id: i64) -> String {
    let table = encode(table);
    match version {
        Version::Published => format!("{HUBDB}/tables/{table}/rows/{row_id}"),
        Version::Draft => format!("{HUBDB}/tables/{table}/rows/{row_id}/draft"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_both_versions() {
        assert_eq!(
            table_path("products", Version::Published),
            "/cms/v3/hubdb/tables/products"
        );
        assert_eq!(
            table_path("123", Version::Draft),
            "/cms/v3/hubdb/tables/123/draft"
        );
        assert_eq!(
            rows_path("p", Version::Published),
            "/cms/v3/hubdb/tables/p/rows"
        );
        assert_eq!(
            rows_path("p", Version::Draft),
            "/cms/v3/hubdb/tables/p/rows/draft"
        );
        assert_eq!(
            row_path("p", Version::Published, 7),
            "/cms/v3/hubdb/tables/p/rows/7"
        );
        assert_eq!(
            row_path("p", Version::Draft, 7),
            "/cms/v3/hubdb/tables/p/rows/7/draft"
        );
    }

    #[test]
    fn table_names_are_percent_encoded_in_paths() {
        assert_eq!(
            table_path("a b/c", Version::Published),
            "/cms/v3/hubdb/tables/a%20b%2Fc"
        );
    }

    #[test]
    fn a_repeated_cursor_is_an_error() {
        let cursor = PageToken::After("x".into());
        assert!(check_progress(Some(&cursor), Some(cursor.clone())).is_err());
        assert_eq!(
            check_progress(None, Some(cursor.clone())).unwrap(),
            Some(cursor)
        );
        assert_eq!(check_progress(None, None).unwrap(), None);
    }
}
