//! Rewrites of the physical plan that hand more to HubDB than DataFusion's own rules can:
//!
//! - `SELECT COUNT(*)` over a scan whose predicates HubDB evaluates exactly becomes one
//!   listing request of one row, whose `total` is the count (reference §8.1: `total` is the
//!   number of rows matching the filters);
//! - `LIMIT n OFFSET m` directly over such a scan becomes HubDB's `offset` and `limit`
//!   instead of reading and dropping the first `m` rows.
//!
//! Both apply only where the scan's rows are the result as they stand (no predicate left to
//! the engine), and each can be switched off (`PushdownOptions::count`, `offset`).

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::expressions::{Column, Literal};
use datafusion::physical_plan::limit::GlobalLimitExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::StreamExt;

use crate::plan::{HubDbRead, PlannedRequest};
use crate::scan::HubDbScanExec;

/// Applies the count and offset rewrites wherever they fit.
pub(crate) fn hand_more_to_hubdb(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        if let Some(count) = count_shortcut(&node) {
            return Ok(Transformed::yes(count));
        }
        if let Some(scan) = offset_into_scan(&node) {
            return Ok(Transformed::yes(scan));
        }
        Ok(Transformed::no(node))
    })
    .map(|t| t.data)
}

/// A scan whose rows are the result as HubDB returns them.
fn exact_scan(plan: &Arc<dyn ExecutionPlan>) -> Option<&HubDbScanExec> {
    let scan = plan.downcast_ref::<HubDbScanExec>()?;
    let plain = scan.read() == HubDbRead::Rows
        && scan.all_exact()
        && scan.row_limit().is_none()
        && scan.query().offset.is_none();
    plain.then_some(scan)
}

/// `COUNT(*)` (or of a constant, or of a column that is never NULL) with no GROUP BY, in
/// one aggregation or a partial and a final one.
fn count_shortcut(node: &Arc<dyn ExecutionPlan>) -> Option<Arc<dyn ExecutionPlan>> {
    let aggregate = node.downcast_ref::<AggregateExec>()?;
    if !aggregate.group_expr().is_empty() || !counts_rows(aggregate) {
        return None;
    }
    let input = match aggregate.mode() {
        AggregateMode::Single | AggregateMode::SinglePartitioned => aggregate.input(),
        AggregateMode::Final | AggregateMode::FinalPartitioned => {
            let mut below = aggregate.input();
            if let Some(coalesce) = below.downcast_ref::<CoalescePartitionsExec>() {
                below = coalesce.input();
            }
            let partial = below.downcast_ref::<AggregateExec>()?;
            if *partial.mode() != AggregateMode::Partial || !counts_rows(partial) {
                return None;
            }
            partial.input()
        }
        _ => return None,
    };
    let scan = exact_scan(input)?;
    if !scan.pushdown().count {
        return None;
    }
    Some(Arc::new(HubDbCountExec::new(
        scan.clone(),
        aggregate.schema(),
    )))
}

/// Every aggregate is a plain count of rows.
fn counts_rows(aggregate: &AggregateExec) -> bool {
    let input_schema = aggregate.input_schema();
    let row_count = |expr: &Arc<dyn PhysicalExpr>| {
        if let Some(literal) = expr.downcast_ref::<Literal>() {
            return !literal.value().is_null();
        }
        expr.downcast_ref::<Column>()
            .is_some_and(|c| !input_schema.field(c.index()).is_nullable())
    };
    aggregate.filter_expr().iter().all(Option::is_none)
        && aggregate.aggr_expr().iter().all(|expr| {
            expr.fun().name().eq_ignore_ascii_case("count")
                && !expr.is_distinct()
                && expr.order_bys().is_empty()
                && matches!(expr.expressions().as_slice(), [] | [_])
                && expr.expressions().iter().all(row_count)
        })
}

/// `LIMIT n OFFSET m` right above an exact scan.
fn offset_into_scan(node: &Arc<dyn ExecutionPlan>) -> Option<Arc<dyn ExecutionPlan>> {
    let limit = node.downcast_ref::<GlobalLimitExec>()?;
    let scan = limit.input().downcast_ref::<HubDbScanExec>()?;
    let exact = scan.read() == HubDbRead::Rows
        && scan.all_exact()
        && scan.query().offset.is_none()
        && scan.pushdown().offset
        && scan.pushdown().limit;
    if limit.skip() == 0 || !exact {
        return None;
    }
    Some(Arc::new(scan.with_offset(limit.skip(), limit.fetch())))
}

/// `COUNT(*)` answered by HubDB's `total`.
#[derive(Debug, Clone)]
pub struct HubDbCountExec {
    scan: HubDbScanExec,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl HubDbCountExec {
    fn new(scan: HubDbScanExec, schema: SchemaRef) -> HubDbCountExec {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        HubDbCountExec {
            scan,
            schema,
            properties,
        }
    }

    pub(crate) fn planned(&self) -> PlannedRequest {
        let mut planned = self.scan.planned();
        planned.read = HubDbRead::Count;
        planned.query = hubdb::count_query(self.scan.query());
        planned
    }

    /// HubDB's total; without one (a server that does not send it), the rows are counted.
    async fn count(scan: HubDbScanExec) -> Result<u64> {
        let total = scan
            .source()
            .count_rows(
                scan.table().to_string(),
                scan.version(),
                scan.query().clone(),
            )
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        if let Some(total) = total {
            return Ok(total);
        }
        let mut batches = scan.batches();
        let mut rows = 0u64;
        while let Some(batch) = batches.next().await {
            rows += batch?.num_rows() as u64;
        }
        Ok(rows)
    }
}

impl DisplayAs for HubDbCountExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "HubDbCountExec: {:?} {} {:?}",
            self.scan.version(),
            self.scan.table(),
            self.scan.query().filters
        )
    }
}

impl ExecutionPlan for HubDbCountExec {
    fn name(&self) -> &str {
        "HubDbCountExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

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

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        crate::leaf::only_partition(self.name(), partition)?;
        let scan = self.scan.clone();
        let schema = Arc::clone(&self.schema);
        let batch = futures::stream::once(async move {
            let total = i64::try_from(HubDbCountExec::count(scan).await?).unwrap_or(i64::MAX);
            let columns: Vec<ArrayRef> = schema
                .fields()
                .iter()
                .map(|_| Arc::new(Int64Array::from(vec![total])) as ArrayRef)
                .collect();
            RecordBatch::try_new(schema, columns).map_err(DataFusionError::from)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            batch,
        )))
    }
}
