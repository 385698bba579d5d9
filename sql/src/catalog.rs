//! The `HubDB` catalog as DataFusion sees it: schemas `Published` and `Draft`, whose tables
//! come from the metadata cache (DESIGN "Catalog and schemas"); `sys`, the system
//! tables (`system_tables`); and `CRM`, the owners view (`owners`).

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider, TableProvider};
use datafusion::error::{DataFusionError, Result};
use hubdb::Version;

use crate::layout::{TableLayout, schema_name};
use crate::metadata::{Metadata, version_of_schema};
use crate::owners::{CRM_SCHEMA, CrmSchema, is_crm_schema};
use crate::scan::{HubDbTable, ScanSettings};
use crate::system_tables::{SYSTEM_SCHEMA, SystemSchema};

pub(crate) const CATALOG: &str = "HubDB";

#[derive(Clone)]
pub(crate) struct HubDbCatalog {
    metadata: Arc<Metadata>,
    settings: ScanSettings,
}

impl std::fmt::Debug for HubDbCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HubDbCatalog")
    }
}

impl HubDbCatalog {
    pub(crate) fn new(metadata: Arc<Metadata>, settings: ScanSettings) -> HubDbCatalog {
        HubDbCatalog { metadata, settings }
    }
}

impl CatalogProvider for HubDbCatalog {
    fn schema_names(&self) -> Vec<String> {
        vec![
            schema_name(Version::Published).to_string(),
            schema_name(Version::Draft).to_string(),
            SYSTEM_SCHEMA.to_string(),
            CRM_SCHEMA.to_string(),
        ]
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        if name.eq_ignore_ascii_case(SYSTEM_SCHEMA) {
            let metadata = Arc::clone(&self.metadata);
            return Some(Arc::new(SystemSchema::new(metadata)));
        }
        if is_crm_schema(name) {
            let source = Arc::clone(self.metadata.source());
            return Some(Arc::new(CrmSchema::new(source, self.settings.pushdown)));
        }
        let version = version_of_schema(name)?;
        Some(Arc::new(HubDbSchema {
            catalog: self.clone(),
            version,
        }))
    }
}

#[derive(Debug)]
struct HubDbSchema {
    catalog: HubDbCatalog,
    version: Version,
}

#[async_trait]
impl SchemaProvider for HubDbSchema {
    fn table_names(&self) -> Vec<String> {
        self.catalog
            .metadata
            .cached(self.version)
            .map(|tables| tables.iter().map(|t| t.name.clone()).collect())
            .unwrap_or_default()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let metadata = &self.catalog.metadata;
        let table = metadata
            .table(name, self.version)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        Ok(table.map(|table| {
            let layout = Arc::new(TableLayout::new(&table, self.version));
            let provider =
                HubDbTable::new(layout, Arc::clone(metadata.source()), self.catalog.settings);
            Arc::new(provider) as Arc<dyn TableProvider>
        }))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.table_names()
            .iter()
            .any(|t| t.eq_ignore_ascii_case(name))
    }
}
