//! HubDB tables as DataFusion tables: the provider decides what the row query carries
//! (projection, filters, sort, limit, offset) and the scan streams its pages.
//!
//! The scan turns each HubDB page into one record batch as it arrives, in order; the client
//! fetches a few pages ahead once it knows the total (`hubdb::ScanOptions`), so memory holds
//! a bounded number of pages whatever the table's size. `WHERE Id = n` reads the one row.

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
use datafusion::physical_plan::coop::cooperative;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType, SchedulingType};
use datafusion::physical_plan::expressions::Column as PhysicalColumn;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
    SortOrderPushdownResult,
};
use futures::StreamExt;
use futures::stream::BoxStream;
use hubdb::{ColumnType, RowQuery, ScanOptions, SortKey, Version};

use crate::convert::rows_to_batch;
use crate::layout::{LayoutColumn, Source, SystemColumn, TableLayout};
use crate::options::PushdownOptions;
use crate::plan::{HubDbRead, PlannedPredicate, PlannedRequest};
use crate::pushdown::{Pushed, push_down};
use crate::source::HubDbSource;

/// HubDB's page size ceiling: `limit` above it is clamped (reference §8.1).
const MAX_PAGE_ROWS: usize = 1000;

/// What the scans of one engine may send, and how many pages they fetch at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ScanSettings {
    pub(crate) pushdown: PushdownOptions,
    pub(crate) pages_in_flight: usize,
}

/// One HubDB table version as a DataFusion table.
#[derive(Clone)]
pub(crate) struct HubDbTable {
    layout: Arc<TableLayout>,
    source: Arc<dyn HubDbSource>,
    pushdown: PushdownOptions,
    pages_in_flight: usize,
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
        settings: ScanSettings,
    ) -> HubDbTable {
        // `Id` (column 0) is the primary key (DESIGN "System columns").
        let constraints = Constraints::new_unverified(vec![Constraint::PrimaryKey(vec![0])]);
        HubDbTable {
            layout,
            source,
            pushdown: settings.pushdown,
            pages_in_flight: settings.pages_in_flight,
            constraints,
        }
    }

    /// The filters a predicate becomes, if every operator it needs may be sent. Decided for
    /// each predicate alone: DataFusion asks again with fewer predicates in later passes.
    fn pushed(&self, expr: &Expr) -> Option<Pushed> {
        push_down(expr, &self.layout)
            .filter(|p| p.filters.iter().all(|f| self.pushdown.allows(f.op)))
    }

    /// Every predicate with who evaluates it, and the row query its filters make.
    fn plan_predicates(&self, filters: &[Expr]) -> (Vec<PlannedPredicate>, Vec<Pushed>) {
        let mut predicates = Vec::new();
        let mut pushed_all = Vec::new();
        for expr in filters {
            let pushed = self.pushed(expr);
            predicates.push(PlannedPredicate {
                predicate: expr.to_string(),
                evaluation: Pushed::evaluation(pushed.as_ref()),
                filters: pushed
                    .as_ref()
                    .map(|p| p.filters.clone())
                    .unwrap_or_default(),
            });
            pushed_all.extend(pushed);
        }
        (predicates, pushed_all)
    }

    /// `WHERE Id = n` is a single-row read when no other predicate relies on HubDB alone
    /// (the row endpoint takes no filters; approximate ones are re-checked anyway).
    fn row_lookup(&self, pushed: &[Pushed]) -> Option<i64> {
        if !self.pushdown.row_lookup {
            return None;
        }
        let id = pushed.iter().find_map(Pushed::row_id)?;
        let exact = pushed.iter().filter(|p| p.exact).count();
        (exact == 1).then_some(id)
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
        let (predicates, pushed) = self.plan_predicates(filters);
        let read = match self.row_lookup(&pushed) {
            Some(id) => HubDbRead::Row(id),
            None => HubDbRead::Rows,
        };
        let mut query = RowQuery::default();
        if read == HubDbRead::Rows {
            query.filters = pushed.into_iter().flat_map(|p| p.filters).collect();
        }
        let indices: Vec<usize> = match projection {
            Some(indices) => indices.clone(),
            None => (0..self.layout.columns.len()).collect(),
        };
        let all_columns = indices.len() == self.layout.columns.len();
        if self.pushdown.projection && !all_columns && read == HubDbRead::Rows {
            query.properties = Some(properties(&self.layout, &indices));
        }
        let mut scan = HubDbScanExec::new(self, indices, query);
        scan.read = read;
        scan.predicates = predicates;
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

/// The scan of one HubDB table: one row query, streamed page by page, or one row.
#[derive(Debug, Clone)]
pub struct HubDbScanExec {
    table: String,
    version: Version,
    columns: Vec<LayoutColumn>,
    schema: SchemaRef,
    read: HubDbRead,
    query: RowQuery,
    row_limit: Option<usize>,
    predicates: Vec<PlannedPredicate>,
    pushdown: PushdownOptions,
    pages_in_flight: usize,
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
            read: HubDbRead::Rows,
            query,
            row_limit: None,
            predicates: Vec::new(),
            pushdown: table.pushdown,
            pages_in_flight: table.pages_in_flight,
            source: Arc::clone(&table.source),
        }
    }

    /// This scan as a plan entry.
    pub(crate) fn planned(&self) -> PlannedRequest {
        PlannedRequest {
            table: self.table.clone(),
            version: self.version,
            read: self.read,
            query: self.query.clone(),
            row_limit: self.row_limit,
            predicates: self.predicates.clone(),
        }
    }

    pub(crate) fn source(&self) -> &Arc<dyn HubDbSource> {
        &self.source
    }

    pub(crate) fn pushdown(&self) -> PushdownOptions {
        self.pushdown
    }

    /// Whether every predicate is HubDB's alone, so the rows HubDB returns are the result.
    pub(crate) fn all_exact(&self) -> bool {
        self.predicates
            .iter()
            .all(|p| p.evaluation == crate::plan::Evaluation::Exact)
    }

    pub(crate) fn read(&self) -> HubDbRead {
        self.read
    }

    /// Skips `offset` rows in HubDB (§8.1) and returns at most `fetch` after them.
    pub(crate) fn with_offset(&self, offset: usize, fetch: Option<usize>) -> HubDbScanExec {
        let mut scan = self.clone().with_row_limit(fetch);
        scan.query.offset = Some(offset as u64);
        scan
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
        if self.read == HubDbRead::Rows {
            self.query.limit = limit.map(|n| n.clamp(1, MAX_PAGE_ROWS) as u32);
        }
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

/// One partition, rows as HubDB sends them. The stream takes part in tokio's cooperative
/// scheduling itself (see `execute`), so DataFusion adds no `CooperativeExec` above the scan
/// and the count and offset rewrites find the scan right below the node they replace.
fn plan_properties(equivalence: EquivalenceProperties) -> Arc<PlanProperties> {
    Arc::new(
        PlanProperties::new(
            equivalence,
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        )
        .with_scheduling_type(SchedulingType::Cooperative),
    )
}

impl DisplayAs for HubDbScanExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "HubDbScanExec: {:?} {} {:?} {:?}",
            self.version, self.table, self.read, self.query
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
        crate::leaf::without_children(self, &children)
    }

    fn with_fetch(&self, limit: Option<usize>) -> Option<Arc<dyn ExecutionPlan>> {
        if !self.pushdown.limit {
            return None;
        }
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
            Some(keys)
                if self.pushdown.sort
                    && self.read == HubDbRead::Rows
                    && self.query.sort.is_empty()
                    && !keys.is_empty() =>
            {
                keys
            }
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
        crate::leaf::only_partition(self.name(), partition)?;
        Ok(Box::pin(cooperative(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            self.batches(),
        ))))
    }
}

impl HubDbScanExec {
    /// The rows as record batches, cut at the row limit: once the limit is reached no
    /// further page is requested.
    pub(crate) fn batches(&self) -> BoxStream<'static, Result<RecordBatch>> {
        let pages = match self.read {
            HubDbRead::Row(id) => self.one_row(id),
            HubDbRead::Rows | HubDbRead::Count => {
                let options = ScanOptions {
                    pages_in_flight: self.pages_in_flight.max(1),
                    max_rows: self.row_limit.map(|n| n as u64),
                };
                self.source
                    .stream_rows(&self.table, self.version, self.query.clone(), options)
            }
        };
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

    /// The single-row read as a one-page stream (no page when there is no such row).
    fn one_row(&self, id: i64) -> BoxStream<'static, Result<hubdb::RowPage, hubdb::Error>> {
        let source = Arc::clone(&self.source);
        let (table, version) = (self.table.clone(), self.version);
        futures::stream::once(async move {
            let row = source.get_row(table, version, id).await?;
            Ok(hubdb::RowPage {
                rows: row.into_iter().collect(),
                total: None,
                next: None,
            })
        })
        .boxed()
    }
}
