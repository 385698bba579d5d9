//! How one row scan walks its pages (reference §4.8, §8.1; DESIGN "HTTP").
//!
//! The first page says how many rows match (`total`). When it does, and more pages follow,
//! the remaining pages are asked for by `offset`, which HubDB honours alongside the `after`
//! cursor (§4.8 sandbox contract), a bounded number at a time; they are handed on in order,
//! so rows reach the caller as a sequential scan would deliver them, and memory holds at most
//! the pages in flight. Without a total, or when the server's pages are smaller than asked
//! for, the scan follows the cursor one page at a time. Either way a row id already
//! delivered is never delivered again, should the table change between two requests.

use std::collections::HashSet;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use crate::{Error, ErrorKind, PageToken, RowPage};

/// Bound on cursor-following loops, so a server that keeps saying "more" cannot hold a scan
/// forever: 10,000 rows per table (§11.1) fit far below it.
const MAX_ROW_PAGES: u64 = 100_000;

/// How a scan pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// Pages requested at once once the total is known; 1 follows the cursor page by page.
    pub pages_in_flight: usize,
    /// Rows the caller wants at most; no page beyond them is requested.
    pub max_rows: Option<u64>,
}

impl Default for ScanOptions {
    /// Five pages in flight: the nine pages after the first of a 10,000-row table (the
    /// largest, §11.1) arrive in two more round trips, so a full scan takes three latencies,
    /// while memory holds at most five pages; well inside HubSpot's smallest budget of 100
    /// requests per 10 s (§11.2).
    fn default() -> Self {
        ScanOptions {
            pages_in_flight: 5,
            max_rows: None,
        }
    }
}

/// Fetches one page: `None` is the first page (with the query's own offset).
pub(crate) type FetchPage =
    Arc<dyn Fn(Option<PageToken>) -> BoxFuture<'static, Result<RowPage, Error>> + Send + Sync>;

/// The pages of one scan, in order, lazily. `start` is the query's offset and `page_size`
/// the `limit` every request carries. The stream ends after the first error.
pub(crate) fn scan_pages(
    fetch: FetchPage,
    start: u64,
    page_size: u64,
    options: ScanOptions,
) -> BoxStream<'static, Result<RowPage, Error>> {
    let first = fetch(None);
    let pages = futures::stream::once(first)
        .map_ok(move |first| {
            let fetch = Arc::clone(&fetch);
            let rest = match offsets_after(&first, start, page_size, options) {
                Some(offsets) => fetch_offsets(fetch, offsets, options.pages_in_flight),
                None => follow_cursor(fetch, first.next.clone()),
            };
            futures::stream::once(async move { Ok(first) })
                .chain(rest)
                .boxed()
        })
        .try_flatten();
    once_each(stop_after_error(pages.boxed()))
}

/// The offsets of the pages after the first, when they can be fetched concurrently.
fn offsets_after(
    first: &RowPage,
    start: u64,
    page_size: u64,
    options: ScanOptions,
) -> Option<Vec<u64>> {
    first.next.as_ref()?;
    let total = first.total?;
    // A server that pages smaller than asked would make the offsets wrong: follow its cursor.
    if options.pages_in_flight < 2 || first.rows.len() as u64 != page_size || page_size == 0 {
        return None;
    }
    let end = match options.max_rows {
        Some(max) => total.min(start.saturating_add(max)),
        None => total,
    };
    let first_end = start + page_size;
    Some((first_end..end).step_by(page_size as usize).collect())
}

fn fetch_offsets(
    fetch: FetchPage,
    offsets: Vec<u64>,
    in_flight: usize,
) -> BoxStream<'static, Result<RowPage, Error>> {
    futures::stream::iter(offsets)
        .map(move |offset| fetch(Some(PageToken::Offset(offset))))
        .buffered(in_flight)
        .boxed()
}

/// One page at a time, each from the token the previous one gave.
fn follow_cursor(
    fetch: FetchPage,
    next: Option<PageToken>,
) -> BoxStream<'static, Result<RowPage, Error>> {
    let state = (fetch, next, 1u64);
    futures::stream::try_unfold(state, |(fetch, next, pages)| async move {
        let Some(token) = next else {
            return Ok(None);
        };
        if pages >= MAX_ROW_PAGES {
            return Err(Error::new(
                ErrorKind::Decode,
                "the row listing did not end after the maximum number of pages",
            ));
        }
        let page = fetch(Some(token.clone())).await?;
        let next = check_progress(Some(&token), page.next.clone())?;
        Ok(Some((page, (fetch, next, pages + 1))))
    })
    .boxed()
}

/// A server that hands back the cursor it was just given would loop the scan forever.
pub(crate) fn check_progress(
    sent: Option<&PageToken>,
    next: Option<PageToken>,
) -> Result<Option<PageToken>, Error> {
    match (sent, next) {
        (Some(sent), Some(next)) if *sent == next => Err(Error::new(
            ErrorKind::Decode,
            "HubDB returned the same page cursor twice; the listing would never end",
        )),
        (_, next) => Ok(next),
    }
}

fn stop_after_error(
    pages: BoxStream<'static, Result<RowPage, Error>>,
) -> BoxStream<'static, Result<RowPage, Error>> {
    pages
        .scan(false, |failed, page| {
            let item = (!*failed).then(|| {
                *failed = page.is_err();
                page
            });
            futures::future::ready(item)
        })
        .boxed()
}

/// Drops rows whose id an earlier page already delivered.
fn once_each(
    pages: BoxStream<'static, Result<RowPage, Error>>,
) -> BoxStream<'static, Result<RowPage, Error>> {
    pages
        .scan(HashSet::new(), |seen, page| {
            let page = page.map(|mut page| {
                page.rows.retain(|row| seen.insert(row.id));
                page
            });
            futures::future::ready(Some(page))
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::Row;

    /// A listing of `total` rows with ids 1..=total served by offset or cursor, recording
    /// every request and the most requests it saw in flight at once.
    struct FakeListing {
        total: u64,
        page_size: u64,
        report_total: bool,
        requests: Mutex<Vec<Option<PageToken>>>,
        in_flight: AtomicUsize,
        most_in_flight: AtomicUsize,
    }

    impl FakeListing {
        fn new(total: u64, page_size: u64) -> Arc<FakeListing> {
            Arc::new(FakeListing {
                total,
                page_size,
                report_total: true,
                requests: Mutex::new(Vec::new()),
                in_flight: AtomicUsize::new(0),
                most_in_flight: AtomicUsize::new(0),
            })
        }

        fn fetcher(self: &Arc<Self>) -> FetchPage {
            let listing = Arc::clone(self);
            Arc::new(move |token| {
                let listing = Arc::clone(&listing);
                Box::pin(async move { listing.serve(token).await })
            })
        }

        async fn serve(&self, token: Option<PageToken>) -> Result<RowPage, Error> {
            self.requests.lock().unwrap().push(token.clone());
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            // Later pages answer sooner, so out-of-order completion is exercised.
            let start = match &token {
                None => 0,
                Some(PageToken::Offset(offset)) => *offset,
                Some(PageToken::After(cursor)) => cursor.parse().unwrap(),
            };
            let delay = 20u64.saturating_sub(start / self.page_size * 3);
            tokio::time::sleep(Duration::from_millis(delay)).await;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let end = (start + self.page_size).min(self.total);
            let rows = (start..end).map(|i| row(i as i64 + 1)).collect();
            Ok(RowPage {
                rows,
                total: self.report_total.then_some(self.total),
                next: (end < self.total).then(|| PageToken::After(end.to_string())),
            })
        }
    }

    fn row(id: i64) -> Row {
        Row {
            id,
            created_at: None,
            updated_at: None,
            published_at: None,
            path: None,
            name: None,
            child_table_id: None,
            values: serde_json::Map::new(),
        }
    }

    async fn ids(listing: &Arc<FakeListing>, options: ScanOptions) -> Vec<i64> {
        let pages: Vec<RowPage> = scan_pages(listing.fetcher(), 0, listing.page_size, options)
            .try_collect()
            .await
            .unwrap();
        pages
            .iter()
            .flat_map(|p| p.rows.iter().map(|r| r.id))
            .collect()
    }

    #[tokio::test]
    async fn a_known_total_fetches_the_remaining_pages_by_offset_in_order() {
        let listing = FakeListing::new(10_000, 1000);
        let got = ids(&listing, ScanOptions::default()).await;
        assert_eq!(got, (1..=10_000).collect::<Vec<i64>>());
        let requests = listing.requests.lock().unwrap().clone();
        assert_eq!(requests.len(), 10);
        assert_eq!(requests[0], None);
        let offsets: Vec<PageToken> = (1..10).map(|k| PageToken::Offset(k * 1000)).collect();
        assert_eq!(
            requests[1..],
            offsets.into_iter().map(Some).collect::<Vec<_>>()
        );
        assert_eq!(listing.most_in_flight.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn one_page_in_flight_follows_the_cursor() {
        let listing = FakeListing::new(2500, 1000);
        let options = ScanOptions {
            pages_in_flight: 1,
            ..ScanOptions::default()
        };
        assert_eq!(ids(&listing, options).await.len(), 2500);
        let requests = listing.requests.lock().unwrap().clone();
        let expected = [
            None,
            Some(PageToken::After("1000".into())),
            Some(PageToken::After("2000".into())),
        ];
        assert_eq!(requests, expected);
        assert_eq!(listing.most_in_flight.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_unknown_total_follows_the_cursor() {
        let mut listing = FakeListing::new(2500, 1000);
        Arc::get_mut(&mut listing).unwrap().report_total = false;
        assert_eq!(ids(&listing, ScanOptions::default()).await.len(), 2500);
        assert_eq!(listing.most_in_flight.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn no_page_beyond_the_rows_wanted_is_requested() {
        let listing = FakeListing::new(10_000, 1000);
        let options = ScanOptions {
            max_rows: Some(2500),
            ..ScanOptions::default()
        };
        assert_eq!(ids(&listing, options).await.len(), 3000);
        assert_eq!(listing.requests.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_server_paging_smaller_than_asked_is_followed_by_cursor() {
        let listing = FakeListing::new(2500, 1000);
        // Asked for 2000 per page, served 1000: the offsets would skip rows.
        let pages: Vec<RowPage> = scan_pages(listing.fetcher(), 0, 2000, ScanOptions::default())
            .try_collect()
            .await
            .unwrap();
        let count: usize = pages.iter().map(|p| p.rows.len()).sum();
        assert_eq!(count, 2500);
        assert_eq!(listing.most_in_flight.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_row_delivered_twice_is_dropped_the_second_time() {
        let pages = vec![
            Ok(RowPage {
                rows: vec![row(1), row(2)],
                total: Some(3),
                next: None,
            }),
            Ok(RowPage {
                rows: vec![row(2), row(3)],
                total: Some(3),
                next: None,
            }),
        ];
        let pages: Vec<RowPage> = once_each(futures::stream::iter(pages).boxed())
            .try_collect()
            .await
            .unwrap();
        let ids: Vec<i64> = pages
            .iter()
            .flat_map(|p| p.rows.iter().map(|r| r.id))
            .collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[tokio::test]
    async fn the_stream_ends_after_the_first_error() {
        let pages = vec![
            Err(Error::new(ErrorKind::Decode, "boom")),
            Ok(RowPage {
                rows: vec![row(1)],
                total: None,
                next: None,
            }),
        ];
        let items: Vec<_> = stop_after_error(futures::stream::iter(pages).boxed())
            .collect()
            .await;
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
    }
}
