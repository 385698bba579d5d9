//! The plan as data (STYLE point 7): which HubDB requests a statement sends, and who
//! evaluates each of its predicates. Tests assert these, not only the rows.

use std::sync::Arc;

use datafusion::physical_plan::ExecutionPlan;
use hubdb::{Client, Filter, RowQuery, Version};

use crate::count::HubDbCountExec;
pub use crate::pushdown::Evaluation;
use crate::scan::HubDbScanExec;

/// How a scan reads HubDB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HubDbRead {
    /// The row listing (reference §7 R1/R2) with the query's filters, sort, projection,
    /// limit and offset; further pages by offset or cursor.
    Rows,
    /// The single-row endpoint (§7 R3/R4) for `WHERE Id = n`.
    Row(i64),
    /// One listing request of one row whose `total` is the answer (§8.1): `COUNT(*)`.
    Count,
}

/// One WHERE conjunct of a scanned table and who evaluates it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedPredicate {
    /// The predicate as the engine prints it, e.g. `products.price > Float64(5)`.
    pub predicate: String,
    pub evaluation: Evaluation,
    /// What is sent for it; empty when the engine alone evaluates it.
    pub filters: Vec<Filter>,
}

/// One HubDB read a plan will make, with the row limit the scan stops at.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedRequest {
    pub table: String,
    pub version: Version,
    pub read: HubDbRead,
    /// The row query of the first request (later pages differ only in `offset`/`after`);
    /// for a single-row read nothing of it is sent.
    pub query: RowQuery,
    pub row_limit: Option<usize>,
    pub predicates: Vec<PlannedPredicate>,
}

impl PlannedRequest {
    /// The first HTTP request, as `GET path?query` with the query percent-encoded.
    pub fn target(&self) -> String {
        match self.read {
            HubDbRead::Row(id) => Client::row_request_target(&self.table, self.version, id),
            HubDbRead::Rows | HubDbRead::Count => {
                Client::rows_request_target(&self.table, self.version, &self.query)
            }
        }
    }

    /// The predicates HubDB evaluates with the given evaluation.
    pub fn predicates_evaluated(&self, evaluation: Evaluation) -> Vec<&str> {
        self.predicates
            .iter()
            .filter(|p| p.evaluation == evaluation)
            .map(|p| p.predicate.as_str())
            .collect()
    }
}

/// Every HubDB read of a physical plan, in plan order.
pub(crate) fn planned_requests(plan: &Arc<dyn ExecutionPlan>) -> Vec<PlannedRequest> {
    let mut requests = Vec::new();
    if let Some(scan) = plan.downcast_ref::<HubDbScanExec>() {
        requests.push(scan.planned());
    }
    if let Some(count) = plan.downcast_ref::<HubDbCountExec>() {
        requests.push(count.planned());
    }
    for child in plan.children() {
        requests.extend(planned_requests(child));
    }
    requests
}
