//! Row writes and publishing (reference §6 T8/T9, §7 R5-R8). Every write changes the draft
//! table; published readers see it after [`Client::publish_table`] (§9).
//!
//! Writes go through the same transport as reads but are never retried blindly: only a 429,
//! which HubSpot sends before carrying a request out, is sent again. A 5xx or a connection
//! lost mid-write may have changed the table, so it is reported, not repeated.

use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::client::{HUBDB, row_path, table_path};
use crate::http::Body;
use crate::query::{QueryString, encode};
use crate::retry::RetryMode;
use crate::wire::{RowWire, TableWire};
use crate::{Client, Error, ErrorKind, Row, RowWrite, Table, Version};

impl Client {
    /// Adds a row to the draft table (`POST .../rows`, 201); returns it with its new id.
    pub async fn create_row(&self, table: &str, row: &RowWrite) -> Result<Row, Error> {
        let path = format!("{HUBDB}/tables/{}/rows", encode(table));
        let created: RowWire = self
            .write(Method::POST, &path, Some(row.to_json(None)))
            .await?;
        created.into_row()
    }

    /// Changes the given cells of a draft row (`PATCH .../rows/{id}/draft`); others stay.
    pub async fn update_row(&self, table: &str, row_id: i64, row: &RowWrite) -> Result<Row, Error> {
        let path = row_path(table, Version::Draft, row_id);
        let updated: RowWire = self
            .write(Method::PATCH, &path, Some(row.to_json(None)))
            .await?;
        updated.into_row()
    }

    /// Replaces a draft row (`PUT .../rows/{id}/draft`): cells not given are cleared.
    pub async fn replace_row(
        &self,
        table: &str,
        row_id: i64,
        row: &RowWrite,
    ) -> Result<Row, Error> {
        let path = row_path(table, Version::Draft, row_id);
        let replaced: RowWire = self
            .write(Method::PUT, &path, Some(row.to_json(None)))
            .await?;
        replaced.into_row()
    }

    /// Deletes a draft row for good (`DELETE .../rows/{id}/draft`, 204).
    pub async fn delete_row(&self, table: &str, row_id: i64) -> Result<(), Error> {
        let path = row_path(table, Version::Draft, row_id);
        let query = QueryString::default();
        self.transport()
            .send(Method::DELETE, &path, &query, None, RetryMode::Write)
            .await?;
        Ok(())
    }

    /// Copies the draft table, schema and rows, over the published one (`POST .../draft/publish`).
    pub async fn publish_table(&self, table: &str) -> Result<Table, Error> {
        let path = format!("{}/publish", table_path(table, Version::Draft));
        let published: TableWire = self.write(Method::POST, &path, None).await?;
        Ok(published.into_table(Version::Published))
    }

    /// Discards draft changes: the published table is copied back (`POST .../draft/reset`).
    pub async fn reset_draft(&self, table: &str) -> Result<Table, Error> {
        let path = format!("{}/reset", table_path(table, Version::Draft));
        let draft: TableWire = self.write(Method::POST, &path, None).await?;
        Ok(draft.into_table(Version::Draft))
    }

    async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, Error> {
        let body = body.map(|json| Body {
            content_type: "application/json",
            bytes: json.to_string().into_bytes(),
        });
        let query = QueryString::default();
        let response = self
            .transport()
            .send(
                method.clone(),
                path,
                &query,
                body.as_ref(),
                RetryMode::Write,
            )
            .await?;
        serde_json::from_slice(&response).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!("unexpected response body from {method} {path}: {e}"),
            )
        })
    }
}
