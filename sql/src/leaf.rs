//! What the engine's own leaf nodes (the HubDB scan, the count, the owners listing) share:
//! they have no children and one partition, and say so alike when DataFusion asks otherwise.

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::ExecutionPlan;

/// `with_new_children` of a leaf: the node itself, or an error naming it.
pub(crate) fn without_children(
    node: Arc<dyn ExecutionPlan>,
    children: &[Arc<dyn ExecutionPlan>],
) -> Result<Arc<dyn ExecutionPlan>> {
    if children.is_empty() {
        Ok(node)
    } else {
        Err(DataFusionError::Internal(format!(
            "{} has no children",
            node.name()
        )))
    }
}

/// The check at the start of `execute`: only partition 0 exists.
pub(crate) fn only_partition(name: &str, partition: usize) -> Result<()> {
    if partition == 0 {
        Ok(())
    } else {
        Err(DataFusionError::Internal(format!(
            "{name} has one partition, asked for {partition}"
        )))
    }
}
