//! Table metadata and the resolution of SQL table names (DESIGN "Catalog and schemas").
//!
//! A version's table list carries every table's columns (reference §6 T1/T2), so one list is
//! all the metadata a statement needs. Lists are cached per process and shared by every
//! engine whose source has the same `metadata_key` (same base URL and credential): ten
//! connections of one application ask HubDB once. Each engine judges freshness by its own
//! `EngineOptions::metadata_ttl`; [`Metadata::invalidate`] drops the shared lists, for the
//! driver's own changes to tables.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hubdb::{Table, Version};

use crate::error::SqlError;
use crate::source::HubDbSource;

/// Each version's table list with when it was fetched, and how often the lists were
/// invalidated: a list fetched across an invalidation is not kept.
#[derive(Default)]
struct CachedTables {
    lists: HashMap<Version, (Instant, Arc<Vec<Table>>)>,
    generation: u64,
}

/// Table lists shared by the engines of one credential.
type SharedTables = Arc<Mutex<CachedTables>>;

/// The process's table lists by metadata key. Keys hold a digest, never a token.
fn shared_tables(key: &str) -> SharedTables {
    static REGISTRY: OnceLock<Mutex<HashMap<String, SharedTables>>> = OnceLock::new();
    let mut registry = REGISTRY
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Arc::clone(registry.entry(key.to_string()).or_default())
}

/// Both versions' table lists, fetched lazily and kept for a while.
pub(crate) struct Metadata {
    source: Arc<dyn HubDbSource>,
    ttl: Duration,
    cache: SharedTables,
}

impl Metadata {
    pub(crate) fn new(source: Arc<dyn HubDbSource>, ttl: Duration) -> Metadata {
        let cache = match source.metadata_key() {
            Some(key) => shared_tables(&key),
            None => SharedTables::default(),
        };
        Metadata { source, ttl, cache }
    }

    /// Forgets both versions' table lists, for this engine and every engine sharing them;
    /// the next statement asks HubDB again.
    pub(crate) fn invalidate(&self) {
        let mut cache = self.lock();
        cache.lists.clear();
        cache.generation += 1;
    }

    pub(crate) fn source(&self) -> &Arc<dyn HubDbSource> {
        &self.source
    }

    /// The tables of one version, from the cache while it is fresh.
    pub(crate) async fn tables(&self, version: Version) -> Result<Arc<Vec<Table>>, SqlError> {
        if let Some(tables) = self.cached(version) {
            return Ok(tables);
        }
        let generation = self.lock().generation;
        let mut tables = self.source.list_tables(version).await?;
        tables.retain(|t| !t.archived);
        let tables = Arc::new(tables);
        let mut cache = self.lock();
        if cache.generation == generation {
            cache
                .lists
                .insert(version, (Instant::now(), Arc::clone(&tables)));
        }
        Ok(tables)
    }

    /// The tables of one version if they are cached and fresh, without asking HubDB.
    pub(crate) fn cached(&self, version: Version) -> Option<Arc<Vec<Table>>> {
        let cache = self.lock();
        let (fetched, tables) = cache.lists.get(&version)?;
        (fetched.elapsed() < self.ttl).then(|| Arc::clone(tables))
    }

    /// One table of one version by name, ignoring case.
    pub(crate) async fn table(
        &self,
        name: &str,
        version: Version,
    ) -> Result<Option<Table>, SqlError> {
        let tables = self.tables(version).await?;
        Ok(tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .cloned())
    }

    /// Resolves a table name the query wrote, with its optional schema: an unqualified
    /// name means `Published`, or `Draft` when the table was never published.
    pub(crate) async fn resolve(
        &self,
        schema: Option<Version>,
        name: &str,
    ) -> Result<(Table, Version), SqlError> {
        if let Some(version) = schema {
            return match self.table(name, version).await? {
                Some(table) => Ok((table, version)),
                None => Err(self.not_found(name, version).await),
            };
        }
        if let Some(table) = self.table(name, Version::Published).await? {
            return Ok((table, Version::Published));
        }
        match self.table(name, Version::Draft).await? {
            Some(table) => Ok((table, Version::Draft)),
            None => Err(SqlError::table_not_found(format!(
                "table '{name}' does not exist in HubDB"
            ))),
        }
    }

    /// Says why a qualified name failed; B03: a draft-only table read as published.
    async fn not_found(&self, name: &str, version: Version) -> SqlError {
        let draft_only = version == Version::Published
            && matches!(self.table(name, Version::Draft).await, Ok(Some(_)));
        if draft_only {
            SqlError::table_not_found(format!(
                "table '{name}' exists only as a draft (never published): read it as Draft.{name}"
            ))
        } else {
            let schema = crate::layout::schema_name(version);
            SqlError::table_not_found(format!("table '{schema}.{name}' does not exist in HubDB"))
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CachedTables> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `Published` / `Draft` (any case) as a version.
pub(crate) fn version_of_schema(name: &str) -> Option<Version> {
    if name.eq_ignore_ascii_case("Published") {
        Some(Version::Published)
    } else if name.eq_ignore_ascii_case("Draft") {
        Some(Version::Draft)
    } else {
        None
    }
}
