//! `HubDB.CRM.Owners`: a read-only view of the account's CRM owners (HubSpot's
//! `GET /crm/v3/owners`, reference/hubdb-api.md §2.4), as the reference product exposes them.
//!
//! Decisions baked in:
//! - the view lives in schema `CRM` of the `HubDB` catalog. `names` resolves `CRM.Owners` and
//!   `HubDB.CRM.Owners` (any case) to it; the unqualified `Owners` means the HubDB table of
//!   that name when the account has one (published, else draft: HubDB tables win, so adding
//!   the view changed no existing query), and this view otherwise. The view is always
//!   reachable qualified;
//! - its columns are fixed (below) and typed from HubSpot's `PublicOwner`: `Id` is text, as
//!   the spec makes owner ids strings; `UserId` and `UserIdIncludingInactive` are BIGINT;
//!   `Teams` holds the team names joined with `;` in HubSpot's order, `PrimaryTeam` the one
//!   marked primary; times are TIMESTAMP(3), UTC. Preparing a query reads nothing;
//! - the view holds every owner, active and archived. HubSpot lists archived owners only when
//!   asked with `archived=true`, and then only them, so a scan reads both listings: first the
//!   active owners, then the archived ones, each in HubSpot's order;
//! - `Email = '...'` is sent as `email`; `Archived = 1` (`TRUE`, `Archived`) and
//!   `Archived = 0` (`NOT Archived`) pick the one listing that can hold such rows. HubSpot
//!   matches addresses ignoring case, SQL's `=` does not, so every predicate sent is re-checked
//!   by the engine; nothing else is sent, and no result depends on what was.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, StringArray, TimestampMillisecondArray,
};
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, Operator, TableProviderFilterPushDown, TableType};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use futures::StreamExt;
use hubdb::{Client, FilterOp, Owner, OwnerQuery};

use crate::catalog::CATALOG;
use crate::engine::{CatalogTable, ResultColumn, TableKind};
use crate::error::SqlError;
use crate::options::PushdownOptions;
use crate::source::HubDbSource;
use crate::types::{SqlType, hubdb_field};

/// The schema holding the CRM views.
pub(crate) const CRM_SCHEMA: &str = "CRM";
/// The owners view's name, as listed.
pub(crate) const OWNERS_VIEW: &str = "Owners";

const DESCRIPTION: &str =
    "The account's CRM owners (users and queues), active and archived, from HubSpot's owners API";

/// One column of the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OwnersColumn {
    Id,
    Email,
    FirstName,
    LastName,
    UserId,
    UserIdIncludingInactive,
    Type,
    Teams,
    PrimaryTeam,
    CreatedAt,
    UpdatedAt,
    Archived,
}

const fn text(length: u32) -> SqlType {
    SqlType::WVarChar { length }
}

const TIMESTAMP: SqlType = SqlType::Timestamp { fraction_digits: 3 };

impl OwnersColumn {
    pub(crate) const ALL: [OwnersColumn; 12] = [
        Self::Id,
        Self::Email,
        Self::FirstName,
        Self::LastName,
        Self::UserId,
        Self::UserIdIncludingInactive,
        Self::Type,
        Self::Teams,
        Self::PrimaryTeam,
        Self::CreatedAt,
        Self::UpdatedAt,
        Self::Archived,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Id => "Id",
            Self::Email => "Email",
            Self::FirstName => "FirstName",
            Self::LastName => "LastName",
            Self::UserId => "UserId",
            Self::UserIdIncludingInactive => "UserIdIncludingInactive",
            Self::Type => "Type",
            Self::Teams => "Teams",
            Self::PrimaryTeam => "PrimaryTeam",
            Self::CreatedAt => "CreatedAt",
            Self::UpdatedAt => "UpdatedAt",
            Self::Archived => "Archived",
        }
    }

    /// Text lengths: ids are int32 digits in HubSpot's paths (64 leaves room), an address
    /// is at most 254 characters (RFC 5321), a team list is as long as a MULTISELECT cell.
    pub(crate) fn sql_type(self) -> SqlType {
        match self {
            Self::Id | Self::Type => text(64),
            Self::Email => text(254),
            Self::FirstName | Self::LastName | Self::PrimaryTeam => text(255),
            Self::Teams => text(4000),
            Self::UserId | Self::UserIdIncludingInactive => SqlType::BigInt,
            Self::CreatedAt | Self::UpdatedAt => TIMESTAMP,
            Self::Archived => SqlType::Bit,
        }
    }

    /// `id`, `archived`, `createdAt` and `updatedAt` are required in `PublicOwner`; times
    /// are still read leniently, so only the id and the flag are never NULL.
    pub(crate) fn nullable(self) -> bool {
        !matches!(self, Self::Id | Self::Archived)
    }

    pub(crate) fn description(self) -> &'static str {
        match self {
            Self::Id => "The owner id, as CRM records' hubspot_owner_id property holds it",
            Self::Email => "The owner's email address; NULL for a queue",
            Self::FirstName => "The owner's first name",
            Self::LastName => "The owner's last name",
            Self::UserId => "The HubSpot user id; NULL for a queue or a deactivated user",
            Self::UserIdIncludingInactive => "The HubSpot user id, kept for deactivated users",
            Self::Type => "PERSON or QUEUE",
            Self::Teams => "Names of the owner's teams, joined with ';'",
            Self::PrimaryTeam => "Name of the owner's primary team",
            Self::CreatedAt => "When the owner was created (UTC)",
            Self::UpdatedAt => "When the owner was last changed (UTC)",
            Self::Archived => "1 for an archived (removed) owner",
        }
    }

    /// The column called `name`, exactly as spelled (after `names` rewrote it).
    fn named(name: &str) -> Option<OwnersColumn> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// `CRM` (any case).
pub(crate) fn is_crm_schema(name: &str) -> bool {
    name.eq_ignore_ascii_case(CRM_SCHEMA)
}

/// `Owners` (any case).
pub(crate) fn is_owners(name: &str) -> bool {
    name.eq_ignore_ascii_case(OWNERS_VIEW)
}

/// The view's column names, as `names` quotes them.
pub(crate) fn column_names() -> impl Iterator<Item = &'static str> {
    OwnersColumn::ALL.into_iter().map(OwnersColumn::name)
}

/// The view's Arrow schema; every field carries its SQL type and origin.
pub(crate) fn schema() -> SchemaRef {
    let fields: Vec<_> = OwnersColumn::ALL
        .iter()
        .map(|c| {
            hubdb_field(
                c.name(),
                c.sql_type(),
                c.nullable(),
                OWNERS_VIEW,
                CRM_SCHEMA,
            )
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// The view as a catalog entry (SQLTables).
pub(crate) fn catalog_table() -> CatalogTable {
    CatalogTable {
        catalog: CATALOG.to_string(),
        schema: CRM_SCHEMA.to_string(),
        name: OWNERS_VIEW.to_string(),
        kind: TableKind::View,
        remarks: Some(DESCRIPTION.to_string()),
    }
}

/// `Ok` when `name` (any case) is a view of schema `CRM`, else the error saying what is.
pub(crate) fn check_crm_view(name: &str) -> Result<(), SqlError> {
    if is_owners(name) {
        Ok(())
    } else {
        Err(SqlError::table_not_found(format!(
            "table '{CRM_SCHEMA}.{name}' does not exist: schema {CRM_SCHEMA} holds the view \
             {OWNERS_VIEW}"
        )))
    }
}

/// The owners view's columns as the catalog reports them (SQLColumns, `sys_tablecolumns`).
pub(crate) fn result_columns() -> Vec<ResultColumn> {
    OwnersColumn::ALL
        .iter()
        .map(|c| ResultColumn {
            name: c.name().to_string(),
            table: Some(OWNERS_VIEW.to_string()),
            schema: Some(CRM_SCHEMA.to_string()),
            catalog: Some(CATALOG.to_string()),
            sql_type: c.sql_type(),
            nullable: c.nullable(),
            remarks: Some(c.description().to_string()),
        })
        .collect()
}

/// Schema `CRM` of the catalog: the owners view.
pub(crate) struct CrmSchema {
    source: Arc<dyn HubDbSource>,
    pushdown: PushdownOptions,
}

impl fmt::Debug for CrmSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CrmSchema")
    }
}

impl CrmSchema {
    pub(crate) fn new(source: Arc<dyn HubDbSource>, pushdown: PushdownOptions) -> CrmSchema {
        CrmSchema { source, pushdown }
    }
}

#[async_trait]
impl SchemaProvider for CrmSchema {
    fn table_names(&self) -> Vec<String> {
        vec![OWNERS_VIEW.to_string()]
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let view = OwnersView {
            source: Arc::clone(&self.source),
            pushdown: self.pushdown,
        };
        Ok(is_owners(name).then(|| Arc::new(view) as Arc<dyn TableProvider>))
    }

    fn table_exist(&self, name: &str) -> bool {
        is_owners(name)
    }
}

/// A WHERE conjunct HubSpot's owners listing can narrow.
#[derive(Clone, Debug, PartialEq)]
enum OwnersPredicate {
    Email(String),
    Archived(bool),
}

/// The predicate `expr` is, if the listing can take it.
fn owners_predicate(expr: &Expr) -> Option<OwnersPredicate> {
    match expr {
        Expr::BinaryExpr(binary) if binary.op == Operator::Eq => {
            let (column, value) = match (column_of(&binary.left), column_of(&binary.right)) {
                (Some(column), None) => (column, literal_of(&binary.right)?),
                (None, Some(column)) => (column, literal_of(&binary.left)?),
                _ => return None,
            };
            match (column, value) {
                (OwnersColumn::Email, ScalarValue::Utf8(Some(email)))
                | (OwnersColumn::Email, ScalarValue::Utf8View(Some(email)))
                | (OwnersColumn::Email, ScalarValue::LargeUtf8(Some(email))) => {
                    Some(OwnersPredicate::Email(email.clone()))
                }
                (OwnersColumn::Archived, ScalarValue::Boolean(Some(flag))) => {
                    Some(OwnersPredicate::Archived(*flag))
                }
                _ => None,
            }
        }
        Expr::IsTrue(inner) => archived_test(inner, true),
        Expr::IsFalse(inner) | Expr::Not(inner) => archived_test(inner, false),
        Expr::Column(_) => archived_test(expr, true),
        _ => None,
    }
}

/// `Archived` itself, as a predicate that holds when the flag is `flag`.
fn archived_test(expr: &Expr, flag: bool) -> Option<OwnersPredicate> {
    (column_of(expr)? == OwnersColumn::Archived).then_some(OwnersPredicate::Archived(flag))
}

/// A column of the view itself; a cast or any other expression of one is the engine's.
fn column_of(expr: &Expr) -> Option<OwnersColumn> {
    match expr {
        Expr::Column(column) => OwnersColumn::named(&column.name),
        _ => None,
    }
}

fn literal_of(expr: &Expr) -> Option<&ScalarValue> {
    match expr {
        Expr::Literal(value, _) => Some(value),
        _ => None,
    }
}

/// The owners view as DataFusion sees it.
struct OwnersView {
    source: Arc<dyn HubDbSource>,
    pushdown: PushdownOptions,
}

impl fmt::Debug for OwnersView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnersView")
    }
}

impl OwnersView {
    fn pushed(&self, expr: &Expr) -> Option<OwnersPredicate> {
        owners_predicate(expr).filter(|p| match p {
            OwnersPredicate::Email(_) => self.pushdown.allows(FilterOp::Eq),
            OwnersPredicate::Archived(_) => true,
        })
    }

    /// The listings a scan with these conjuncts reads: one `email` at most (the first `=`;
    /// any other is the engine's), the active and the archived listing unless a predicate
    /// rules one out, none when predicates rule out both.
    fn listings(&self, filters: &[Expr]) -> Vec<OwnerQuery> {
        let pushed: Vec<OwnersPredicate> = filters.iter().filter_map(|e| self.pushed(e)).collect();
        let email = pushed.iter().find_map(|p| match p {
            OwnersPredicate::Email(email) => Some(email.clone()),
            OwnersPredicate::Archived(_) => None,
        });
        let wants = |flag| pushed.contains(&OwnersPredicate::Archived(flag));
        let archived: &[bool] = match (wants(false), wants(true)) {
            (false, false) => &[false, true],
            (true, false) => &[false],
            (false, true) => &[true],
            (true, true) => &[],
        };
        archived
            .iter()
            .map(|&archived| OwnerQuery {
                email: email.clone(),
                archived,
                ..OwnerQuery::default()
            })
            .collect()
    }
}

#[async_trait]
impl TableProvider for OwnersView {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|expr| match self.pushed(expr) {
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let projection = match projection {
            Some(indices) => indices.clone(),
            None => (0..OwnersColumn::ALL.len()).collect(),
        };
        Ok(Arc::new(OwnersExec::new(
            Arc::clone(&self.source),
            self.listings(filters),
            projection,
        )?))
    }
}

/// The scan of the owners view: its listings, read one after the other when the query runs.
#[derive(Clone)]
pub struct OwnersExec {
    source: Arc<dyn HubDbSource>,
    listings: Vec<OwnerQuery>,
    projection: Vec<usize>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for OwnersExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OwnersExec({:?})", self.listings)
    }
}

impl OwnersExec {
    fn new(
        source: Arc<dyn HubDbSource>,
        listings: Vec<OwnerQuery>,
        projection: Vec<usize>,
    ) -> Result<OwnersExec> {
        let schema = Arc::new(schema().project(&projection)?);
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(OwnersExec {
            source,
            listings,
            projection,
            schema,
            properties,
        })
    }

    /// The listings this scan reads, in order.
    pub fn listings(&self) -> &[OwnerQuery] {
        &self.listings
    }

    /// The first request of each listing, as `GET path?query`.
    pub fn targets(&self) -> Vec<String> {
        self.listings
            .iter()
            .map(Client::owners_request_target)
            .collect()
    }
}

impl DisplayAs for OwnersExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "OwnersExec: [{}]", self.targets().join(", "))
    }
}

impl ExecutionPlan for OwnersExec {
    fn name(&self) -> &str {
        "OwnersExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    /// The scan evaluates no expressions: what it sends is HubSpot's to evaluate.
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
        let source = Arc::clone(&self.source);
        let projection = self.projection.clone();
        let batches = futures::stream::iter(self.listings.clone()).then(move |query| {
            let (source, projection) = (Arc::clone(&source), projection.clone());
            async move {
                let owners = source
                    .list_owners(query)
                    .await
                    .map_err(|e| DataFusionError::External(Box::new(e)))?;
                Ok(owners_batch(&owners)?.project(&projection)?)
            }
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            batches,
        )))
    }
}

/// The owners as one batch of the view's full schema.
fn owners_batch(owners: &[Owner]) -> Result<RecordBatch> {
    let arrays: Vec<ArrayRef> = OwnersColumn::ALL
        .iter()
        .map(|&column| owners_array(column, owners))
        .collect();
    Ok(RecordBatch::try_new(schema(), arrays)?)
}

fn owners_array(column: OwnersColumn, owners: &[Owner]) -> ArrayRef {
    let texts = |f: fn(&Owner) -> Option<String>| -> ArrayRef {
        Arc::new(owners.iter().map(f).collect::<StringArray>())
    };
    let numbers = |f: fn(&Owner) -> Option<i64>| -> ArrayRef {
        Arc::new(owners.iter().map(f).collect::<Int64Array>())
    };
    let times = |f: fn(&Owner) -> Option<i64>| -> ArrayRef {
        Arc::new(owners.iter().map(f).collect::<TimestampMillisecondArray>())
    };
    match column {
        OwnersColumn::Id => texts(|o| Some(o.id.clone())),
        OwnersColumn::Email => texts(|o| o.email.clone()),
        OwnersColumn::FirstName => texts(|o| o.first_name.clone()),
        OwnersColumn::LastName => texts(|o| o.last_name.clone()),
        OwnersColumn::UserId => numbers(|o| o.user_id),
        OwnersColumn::UserIdIncludingInactive => numbers(|o| o.user_id_including_inactive),
        OwnersColumn::Type => texts(|o| o.owner_type.clone()),
        OwnersColumn::Teams => texts(team_names),
        OwnersColumn::PrimaryTeam => texts(|o| o.primary_team().map(str::to_string)),
        OwnersColumn::CreatedAt => times(|o| o.created_at),
        OwnersColumn::UpdatedAt => times(|o| o.updated_at),
        OwnersColumn::Archived => Arc::new(
            owners
                .iter()
                .map(|o| Some(o.archived))
                .collect::<BooleanArray>(),
        ),
    }
}

/// Team names joined with `;` (as MULTISELECT cells are, DESIGN "Types"); NULL for none.
fn team_names(owner: &Owner) -> Option<String> {
    let names: Vec<&str> = owner.teams.iter().map(|t| t.name.as_str()).collect();
    (!names.is_empty()).then(|| names.join(";"))
}
