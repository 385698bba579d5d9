//! HubDB tables as DataFusion tables: the provider decides what the row query carries
//! (projection, filters, sort, limit) and the scan streams its pages.
//!
//! The scan pulls one HubDB page at a time from the client's lazy page stream and turns
//! it into one record batch, so memory holds one page whatever the table's size.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Constraint, Constraints};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr, PhysicalSortExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::expressions::Column as PhysicalColumn;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SortOrderPushdownResult,
};
use futures::StreamExt;
use futures::stream::BoxStream;
use hubdb::{ColumnType, RowQuery, SortKey, Version};

use crate::convert::rows_to_batch;
use crate::layout::{LayoutColumn, Source, SystemColumn, TableLayout};
use crate::pushdown::{Pushed, push_down};
use crate::source::HubDbSource;

/// HubDB's page size ceiling: `limit` above it is clamped (reference §8.1).
const MAX_PAGE_ROWS: usize = 1000;

/// Which parts of a query may be sent to HubDB; all on by default. Turning one off never
/// changes a result, only how many rows cross the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PushdownOptions {
    pub filters: bool,
    pub sort: bool,
    pub limit: bool,
    pub projection: bool,
}

impl Default for PushdownOptions {
    fn default() -> Self {
        PushdownOptions {
            filters: true,
            sort: true,
            limit: true,
            projection: true,
        }
    }
}

/// One HubDB table version as a DataFusion table.
#[derive(Clone)]
pub(crate) struct HubDbTable {
    layout: Arc<TableLayout>,
    source: Arc<dyn HubDbSource>,
    pushdown: PushdownOptions,
    constraints: Constraints,
}

impl fmt::Debug for HubDbTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HubDbTable({:?} {})",
            self.layout.version, self.layout.table
        )
    }
}

impl HubDbTable {
    pub(crate) fn new(
        layout: Arc<TableLayout>,
        source: Arc<dyn HubDbSource>,
        pushdown: PushdownOptions,
    ) -> HubDbTable {
        // `Id` (column 0) is the primary key (DESIGN "System columns").
        let constraints = Constraints::new_unverified(vec![Constraint::PrimaryKey(vec![0])]);
        HubDbTable {
            layout,
            source,
            pushdown,
            constraints,
        }
    }

    fn pushed(&self, expr: &Expr) -> Option<Pushed> {
        if self.pushdown.filters {
            push_down(expr, &self.layout)
        } else {
            None
        }
    }
}

#[async_trait]
impl TableProvider for HubDbTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.layout.schema)
    }

    fn constraints(&self) -> Option<&Constraints> {
        Some(&self.constraints)
    }

    fn table_type(&self) -> TableType {
        // Published tables are read-only views (DESIGN "Catalog and schemas").
        match self.layout.version {
            Version::Published => TableType::View,
            Version::Draft => TableType::Base,
        }
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|expr| Pushed::support(self.pushed(expr).as_ref()))
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut query = RowQuery::default();
        for expr in filters {
            if let Some(pushed) = self.pushed(expr) {
                query.filters.extend(pushed.filters);
            }
        }
        let indices: Vec<usize> = match projection {
            Some(indices) => indices.clone(),
            None => (0..self.layout.columns.len()).collect(),
        };
        let all_columns = indices.len() == self.layout.columns.len();
        if self.pushdown.projection && !all_columns {
            query.properties = Some(properties(&self.layout, &indices));
        }
        let scan = HubDbScanExec::new(self, indices, query);
        let limited = if self.pushdown.limit {
            scan.with_row_limit(limit)
        } else {
            scan
        };
        Ok(Arc::new(limited))
    }
}

/// The HubDB columns a projection needs (reference §8.3); system fields always come.
fn properties(layout: &TableLayout, indices: &[usize]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for column in indices.iter().map(|&i| &layout.columns[i]) {
        let name = match &column.source {
            Source::Cell(cell) => &cell.name,
            Source::Location(name, _) => name,
            Source::System(_) => continue,
        };
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The scan of one HubDB table: one row query, streamed page by page.
#[derive(Debug, Clone)]
pub struct HubDbScanExec {
    table: String,
    version: Version,
    columns: Vec<LayoutColumn>,
    schema: SchemaRef,
    query: RowQuery,
    row_limit: Option<usize>,
    allow_sort: bool,
    source: Arc<dyn HubDbSource>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for dyn HubDbSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HubDbSource")
    }
}

impl HubDbScanExec {
    fn new(table: &HubDbTable, indices: Vec<usize>, query: RowQuery) -> HubDbScanExec {
        let layout = &table.layout;
        let columns: Vec<LayoutColumn> =
            indices.iter().map(|&i| layout.columns[i].clone()).collect();
        let schema = Arc::new(Schema::new(
            indices
                .iter()
                .map(|&i| layout.schema.field(i).clone())
                .collect::<Vec<_>>(),
        ));
        HubDbScanExec {
            table: layout.table.clone(),
            version: layout.version,
            properties: plan_properties(EquivalenceProperties::new(Arc::clone(&schema))),
            columns,
            schema,
            query,
            row_limit: None,
            allow_sort: table.pushdown.sort,
            source: Arc::clone(&table.source),
        }
    }

    /// The HubDB table this scan reads.
    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// The row query sent for the first page (later pages follow HubDB's cursor).
    pub fn query(&self) -> &RowQuery {
        &self.query
    }

    /// The most rows the scan returns, if the plan limits it.
    pub fn row_limit(&self) -> Option<usize> {
        self.row_limit
    }

    /// Stops after `limit` rows and asks HubDB for pages no larger than needed.
    fn with_row_limit(mut self, limit: Option<usize>) -> HubDbScanExec {
        self.row_limit = limit;
        self.query.limit = limit.map(|n| n.clamp(1, MAX_PAGE_ROWS) as u32);
        self
    }

    /// The HubDB sort keys for a requested ordering, if HubDB sorts exactly that way.
    fn sort_keys(&self, order: &[PhysicalSortExpr]) -> Option<Vec<SortKey>> {
        order.iter().map(|sort| self.sort_key(sort)).collect()
    }

    /// HubDB sorts ordered types with empty cells last ascending and first descending
    /// (reference §8.2, sandbox rule); SQL's default null order is the same. Text is not
    /// sorted by HubDB: its collation is unknown.
    fn sort_key(&self, sort: &PhysicalSortExpr) -> Option<SortKey> {
        let index = sort.expr.downcast_ref::<PhysicalColumn>()?.index();
        let column = self.columns.get(index)?;
        let sortable = match &column.source {
            Source::System(SystemColumn::Id) => true,
            Source::System(SystemColumn::CreatedAt) => {
                sort.options.nulls_first == sort.options.descending
            }
            Source::Cell(cell) => {
                matches!(
                    cell.column_type,
                    ColumnType::Number
                        | ColumnType::Currency
                        | ColumnType::Date
                        | ColumnType::DateTime
                ) && sort.options.nulls_first == sort.options.descending
            }
            _ => false,
        };
        Some(SortKey {
            column: column.hubdb_filter_name()?.to_string(),
            descending: sort.options.descending,
        })
        .filter(|_| sortable)
    }
}

fn plan_properties(equivalence: EquivalenceProperties) -> Arc<PlanProperties> {
    Arc::new(PlanProperties::new(
        equivalence,
        Partitioning::UnknownPartitioning(1),
        EmissionType::Incremental,
        Boundedness::Bounded,
    ))
}

impl DisplayAs for HubDbScanExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "HubDbScanExec: {:?} {} {:?}",
            self.version, self.table, self.query
        )?;
        if let Some(limit) = self.row_limit {
            write!(f, " row_limit={limit}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for HubDbScanExec {
    fn name(&self) -> &str {
        "HubDbScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    /// The scan evaluates no expressions: its filters are HubDB's to evaluate.
    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError::Internal(
                "HubDbScanExec has no children".into(),
            ))
        }
    }

    fn supports_limit_pushdown(&self) -> bool {
        true
    }

    fn with_fetch(&self, limit: Option<usize>) -> Option<Arc<dyn ExecutionPlan>> {
        Some(Arc::new(self.clone().with_row_limit(limit)))
    }

    fn fetch(&self) -> Option<usize> {
        self.row_limit
    }

    fn try_pushdown_sort(
        &self,
        order: &[PhysicalSortExpr],
    ) -> Result<SortOrderPushdownResult<Arc<dyn ExecutionPlan>>> {
        let keys = match self.sort_keys(order) {
            Some(keys) if self.allow_sort && self.query.sort.is_empty() && !keys.is_empty() => keys,
            _ => return Ok(SortOrderPushdownResult::Unsupported),
        };
        let mut sorted = self.clone();
        sorted.query.sort = keys;
        sorted.properties = plan_properties(EquivalenceProperties::new_with_orderings(
            Arc::clone(&self.schema),
            [order.to_vec()],
        ));
        Ok(SortOrderPushdownResult::Exact {
            inner: Arc::new(sorted),
        })
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!(
                "HubDbScanExec has one partition, asked for {partition}"
            )));
        }
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            self.batches(),
        )))
    }
}

impl HubDbScanExec {
    /// The page stream as record batches, cut at the row limit: once the limit is reached
    /// no further page is requested.
    fn batches(&self) -> BoxStream<'static, Result<RecordBatch>> {
        let pages = self
            .source
            .stream_rows(&self.table, self.version, self.query.clone());
        let columns = Arc::new(self.columns.clone());
        let schema = Arc::clone(&self.schema);
        let remaining = self.row_limit.unwrap_or(usize::MAX);
        futures::stream::try_unfold((pages, remaining), move |(mut pages, remaining)| {
            let columns = Arc::clone(&columns);
            let schema = Arc::clone(&schema);
            async move {
                if remaining == 0 {
                    return Ok(None);
                }
                let Some(page) = pages.next().await else {
                    return Ok(None);
                };
                let mut page = page.map_err(|e| DataFusionError::External(Box::new(e)))?;
                page.rows.truncate(remaining);
                let left = remaining - page.rows.len();
                let batch = rows_to_batch(&columns, schema, &page.rows)?;
                Ok(Some((batch, (pages, left))))
            }
        })
        .boxed()
    }
}
