//! The engine: parse, resolve names, plan with DataFusion, execute as a stream of batches.

use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::compute::{can_cast_types, cast};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{DFSchema, ParamValues, ScalarValue};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::Statement;
use futures::StreamExt;
use hubdb::Version;

use crate::catalog::{CATALOG, HubDbCatalog};
use crate::dialect::parse;
use crate::error::SqlError;
use crate::layout::{TableLayout, schema_name};
use crate::metadata::{Metadata, version_of_schema};
use crate::options::PushdownOptions;
use crate::params::{ParamValue, bind};
use crate::plan::{PlannedRequest, planned_requests};
use crate::scan::ScanSettings;
use crate::source::HubDbSource;
use crate::types::{SCHEMA_KEY, SqlType, TABLE_KEY, sql_type_of_field};

/// Settings of one engine (one ODBC connection).
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// How long table and column metadata is reused before HubDB is asked again; the
    /// metadata is shared by the engines of one base URL and credential in the process.
    pub metadata_ttl: Duration,
    /// What may be sent to HubDB; switching parts off never changes results.
    pub pushdown: PushdownOptions,
    /// Pages of one scan fetched at once once its total is known; 1 reads page by page.
    pub pages_in_flight: usize,
    /// The OAuth app (and browser timeout) the OAuth procedures act for (`AuthScheme=OAuth`).
    pub oauth: Option<hubdb::oauth::OAuthSettings>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            metadata_ttl: Duration::from_secs(60),
            pushdown: PushdownOptions::default(),
            pages_in_flight: hubdb::ScanOptions::default().pages_in_flight,
            oauth: None,
        }
    }
}

/// A SQL column of a result set or of a catalog table.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultColumn {
    pub name: String,
    pub table: Option<String>,
    pub schema: Option<String>,
    pub catalog: Option<String>,
    pub sql_type: SqlType,
    pub nullable: bool,
    pub remarks: Option<String>,
}

/// Whether a catalog entry is a table (`Draft`) or a read-only view (`Published`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    Table,
    View,
}

/// A table of the `HubDB` catalog.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogTable {
    pub catalog: String,
    pub schema: String,
    pub name: String,
    pub kind: TableKind,
    pub remarks: Option<String>,
}

/// A FOREIGN_ID column and the table whose rows it references: its cells hold row ids of
/// that table, so the link is a foreign key onto the row id (bug case B10).
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignKey {
    /// The schema of both tables: a published table references the published version of
    /// its target, a draft table the draft version.
    pub schema: String,
    pub primary_table: String,
    /// The row id column of the referenced table.
    pub primary_column: String,
    pub foreign_table: String,
    /// The FOREIGN_ID column.
    pub foreign_column: String,
}

/// A planned statement: result columns are known without reading rows.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub columns: Vec<ResultColumn>,
    pub param_count: usize,
    /// The SQL type each marker takes from its context; `None` where nothing fixes it.
    pub param_types: Vec<Option<SqlType>>,
    body: Body,
}

/// What a prepared statement runs.
#[derive(Clone, Debug)]
enum Body {
    Query(LogicalPlan),
    Call(crate::procedures::Call),
}

/// The rows of an executed statement, as a stream of Arrow batches.
pub struct ResultSet {
    pub columns: Vec<ResultColumn>,
    schema: SchemaRef,
    stream: SendableRecordBatchStream,
    requests: Vec<PlannedRequest>,
}

impl ResultSet {
    /// Next Arrow batch, or None at the end. Rows stream: memory does not grow with the table.
    pub async fn next_batch(&mut self) -> Option<Result<RecordBatch, SqlError>> {
        let batch = self.stream.next().await?;
        Some(
            batch
                .map_err(SqlError::from)
                .and_then(|batch| conform(&batch, &self.schema)),
        )
    }

    /// Affected rows for DML; `None` for a SELECT.
    pub fn row_count(&self) -> Option<i64> {
        None
    }

    /// The HubDB row queries this statement sends.
    pub fn hubdb_requests(&self) -> &[PlannedRequest] {
        &self.requests
    }
}

/// Parses, plans and runs SQL over one HubDB account. Send + Sync.
pub struct Engine {
    metadata: Arc<Metadata>,
    oauth: Option<hubdb::oauth::OAuthSettings>,
    context: SessionContext,
}

impl Engine {
    pub fn new(client: hubdb::Client, options: EngineOptions) -> Engine {
        Engine::with_source(Arc::new(client), options)
    }

    /// An engine over any implementation of the HubDB calls (tests use an in-memory one).
    pub fn with_source(source: Arc<dyn HubDbSource>, options: EngineOptions) -> Engine {
        let metadata = Arc::new(Metadata::new(source, options.metadata_ttl));
        // One partition per scan: HubDB pages arrive in order from one cursor, and the
        // host application's threads are not ours to fill (DESIGN "HTTP").
        let config = SessionConfig::new()
            .with_create_default_catalog_and_schema(false)
            .with_default_catalog_and_schema(CATALOG, schema_name(Version::Published))
            .with_information_schema(false)
            .with_target_partitions(1);
        let context = SessionContext::new_with_config(config);
        let settings = ScanSettings {
            pushdown: options.pushdown,
            pages_in_flight: options.pages_in_flight,
        };
        let catalog = HubDbCatalog::new(Arc::clone(&metadata), settings);
        context.register_catalog(CATALOG, Arc::new(catalog));
        Engine {
            metadata,
            context,
            oauth: options.oauth,
        }
    }

    /// Parse and plan; reads table metadata but never rows.
    pub async fn prepare(&self, sql: &str) -> Result<Prepared, SqlError> {
        let parsed = parse(sql)?;
        let mut statement = parsed.statement;
        if let Some(call) = crate::procedures::parse_call(&statement) {
            let call = call?;
            let columns = call
                .procedure
                .outputs()
                .map(|p| ResultColumn {
                    name: p.name.to_string(),
                    table: None,
                    schema: None,
                    catalog: None,
                    sql_type: p.sql_type,
                    nullable: true,
                    remarks: None,
                })
                .collect();
            return Ok(Prepared {
                columns,
                // A procedure's arguments are text (`sys_procedureparameters`).
                param_types: vec![Some(SqlType::WVarChar { length: 4000 }); parsed.param_count],
                param_count: parsed.param_count,
                body: Body::Call(call),
            });
        }
        check_supported(&statement)?;
        crate::names::resolve_names(&mut statement, &self.metadata).await?;
        let plan = self
            .context
            .state()
            .statement_to_plan(DfStatement::Statement(Box::new(statement)))
            .await?;
        let mut columns = result_columns(plan.schema());
        crate::typing::refine_text_columns(&plan, &mut columns);
        Ok(Prepared {
            columns,
            param_types: crate::params::marker_types(&plan, parsed.param_count),
            param_count: parsed.param_count,
            body: Body::Query(plan),
        })
    }

    pub async fn execute(
        &self,
        prepared: &Prepared,
        params: &[ParamValue],
    ) -> Result<ResultSet, SqlError> {
        if let Body::Call(call) = &prepared.body {
            check_param_count(prepared, params)?;
            let batch = call.run(params, self.oauth.as_ref()).await?;
            let schema = batch.schema();
            let stream = datafusion::physical_plan::memory::MemoryStream::try_new(
                vec![batch],
                Arc::clone(&schema),
                None,
            )?;
            return Ok(ResultSet {
                columns: prepared.columns.clone(),
                schema,
                stream: Box::pin(stream),
                requests: Vec::new(),
            });
        }
        let physical = self.physical_plan(prepared, params).await?;
        let requests = planned_requests(&physical);
        let schema = result_schema(&prepared.columns, &physical.schema());
        let stream = execute_stream(physical, self.context.task_ctx())?;
        Ok(ResultSet {
            columns: prepared.columns.clone(),
            schema,
            stream,
            requests,
        })
    }

    /// Forgets the cached table lists and columns, here and in every engine sharing them
    /// (same base URL and credential); to be called after the driver changes a table.
    pub fn invalidate_metadata(&self) {
        self.metadata.invalidate();
    }

    /// The HubDB reads a statement would make, without making them.
    pub async fn plan_requests(
        &self,
        sql: &str,
        params: &[ParamValue],
    ) -> Result<Vec<PlannedRequest>, SqlError> {
        let prepared = self.prepare(sql).await?;
        Ok(planned_requests(
            &self.physical_plan(&prepared, params).await?,
        ))
    }

    /// The physical plan as text, for diagnostics and tests.
    pub async fn explain(&self, sql: &str, params: &[ParamValue]) -> Result<String, SqlError> {
        let prepared = self.prepare(sql).await?;
        let physical = self.physical_plan(&prepared, params).await?;
        Ok(datafusion::physical_plan::displayable(physical.as_ref())
            .indent(true)
            .to_string())
    }

    async fn physical_plan(
        &self,
        prepared: &Prepared,
        params: &[ParamValue],
    ) -> Result<Arc<dyn ExecutionPlan>, SqlError> {
        let plan = bind_params(prepared, params)?;
        let physical = self.context.state().create_physical_plan(&plan).await?;
        Ok(crate::count::hand_more_to_hubdb(physical)?)
    }

    /// All tables of the catalog: published tables as views, every table in `Draft`, and the
    /// owners view `CRM.Owners`.
    pub async fn tables(&self) -> Result<Vec<CatalogTable>, SqlError> {
        let mut tables = Vec::new();
        for (version, kind) in [
            (Version::Published, TableKind::View),
            (Version::Draft, TableKind::Table),
        ] {
            for table in self.metadata.tables(version).await?.iter() {
                tables.push(CatalogTable {
                    catalog: CATALOG.to_string(),
                    schema: schema_name(version).to_string(),
                    name: table.name.clone(),
                    kind,
                    remarks: Some(table.label.clone())
                        .filter(|l| !l.is_empty() && *l != table.name),
                });
            }
        }
        tables.push(crate::owners::catalog_table());
        Ok(tables)
    }

    /// Every FOREIGN_ID column whose target table HubDB names (`foreignTableId`, reference
    /// §4.3) and which exists in the same version; a target that is gone is left out.
    pub async fn foreign_keys(&self) -> Result<Vec<ForeignKey>, SqlError> {
        let mut keys = Vec::new();
        for version in [Version::Published, Version::Draft] {
            let tables = self.metadata.tables(version).await?;
            for table in tables.iter() {
                keys.extend(table_foreign_keys(table, &tables, version));
            }
        }
        Ok(keys)
    }

    /// The columns of one table; an empty schema resolves as an unqualified name does.
    pub async fn columns(&self, schema: &str, table: &str) -> Result<Vec<ResultColumn>, SqlError> {
        if crate::owners::is_crm_schema(schema) {
            crate::owners::check_crm_view(table)?;
            return Ok(crate::owners::result_columns());
        }
        let version = match schema {
            "" => None,
            name => Some(version_of_schema(name).ok_or_else(|| {
                SqlError::table_not_found(format!(
                    "schema '{name}' does not exist: the schemas are Published and Draft"
                ))
            })?),
        };
        let (table, version) = self.metadata.resolve(version, table).await?;
        let layout = TableLayout::new(&table, version);
        Ok(layout
            .columns
            .iter()
            .map(|column| ResultColumn {
                name: column.name.clone(),
                table: Some(layout.table.clone()),
                schema: Some(schema_name(version).to_string()),
                catalog: Some(CATALOG.to_string()),
                sql_type: column.sql_type,
                nullable: column.nullable,
                remarks: column.remarks.clone(),
            })
            .collect())
    }
}

fn table_foreign_keys(
    table: &hubdb::Table,
    all: &[hubdb::Table],
    version: Version,
) -> Vec<ForeignKey> {
    let target_of = |id: i64| all.iter().find(|t| t.id == id.to_string());
    table
        .columns
        .iter()
        .filter(|c| c.column_type == hubdb::ColumnType::ForeignId)
        .filter_map(|column| {
            let target = target_of(column.foreign_table_id?)?;
            Some(ForeignKey {
                schema: schema_name(version).to_string(),
                primary_table: target.name.clone(),
                primary_column: TableLayout::new(target, version).row_id_name().to_string(),
                foreign_table: table.name.clone(),
                foreign_column: column.name.clone(),
            })
        })
        .collect()
}

/// Only queries are planned now; writes get a clear refusal.
fn check_supported(statement: &Statement) -> Result<(), SqlError> {
    let refused = match statement {
        Statement::Query(_) => return Ok(()),
        Statement::Insert(_) => "INSERT",
        Statement::Update { .. } => "UPDATE",
        Statement::Delete(_) => "DELETE",
        _ => {
            return Err(SqlError::unsupported(
                "only SELECT statements are supported",
            ));
        }
    };
    Err(SqlError::unsupported(format!(
        "{refused} is not supported yet: HubDB tables are read-only in this version of the driver"
    )))
}

fn check_param_count(prepared: &Prepared, params: &[ParamValue]) -> Result<(), SqlError> {
    if params.len() != prepared.param_count {
        return Err(SqlError::invalid_parameter(format!(
            "the statement has {} parameter marker(s), {} value(s) given",
            prepared.param_count,
            params.len()
        )));
    }
    Ok(())
}

fn bind_params(prepared: &Prepared, params: &[ParamValue]) -> Result<LogicalPlan, SqlError> {
    check_param_count(prepared, params)?;
    let plan = match &prepared.body {
        Body::Query(plan) => plan,
        Body::Call(call) => {
            return Err(SqlError::unsupported(format!(
                "{} is a procedure: it has no query plan",
                call.procedure.name
            )));
        }
    };
    if params.is_empty() {
        return Ok(plan.clone());
    }
    let types = plan.get_parameter_types()?;
    let values: Vec<ScalarValue> = params
        .iter()
        .enumerate()
        .map(|(i, value)| {
            bind(
                value,
                types.get(&format!("${}", i + 1)).cloned().flatten(),
                i + 1,
            )
        })
        .collect::<Result<_, _>>()?;
    Ok(plan.clone().with_param_values(ParamValues::from(values))?)
}

fn result_columns(schema: &DFSchema) -> Vec<ResultColumn> {
    schema
        .fields()
        .iter()
        .map(|field| {
            let metadata = field.metadata();
            let table = metadata.get(TABLE_KEY).cloned();
            ResultColumn {
                name: field.name().clone(),
                catalog: table.as_ref().map(|_| CATALOG.to_string()),
                schema: metadata.get(SCHEMA_KEY).cloned(),
                table,
                sql_type: sql_type_of_field(field),
                nullable: field.is_nullable(),
                remarks: None,
            }
        })
        .collect()
}

/// The Arrow schema the driver receives: each column in its SQL type's agreed Arrow type.
fn result_schema(columns: &[ResultColumn], physical: &Schema) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .zip(physical.fields())
        .map(|(column, field)| {
            Field::new(
                &column.name,
                column.sql_type.arrow_type(),
                field.is_nullable(),
            )
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Casts a batch to the agreed Arrow types (e.g. DataFusion's `Utf8View` to `Utf8`);
/// values Arrow cannot cast (lists, structs) are shown as text.
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, SqlError> {
    let arrays = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(array, field)| conform_array(array, field.data_type()))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::clone(schema), arrays).map_err(|e| SqlError::internal(e.to_string()))
}

fn conform_array(
    array: &ArrayRef,
    target: &datafusion::arrow::datatypes::DataType,
) -> Result<ArrayRef, SqlError> {
    if array.data_type() == target {
        return Ok(Arc::clone(array));
    }
    if can_cast_types(array.data_type(), target) {
        return cast(array, target).map_err(|e| SqlError::internal(e.to_string()));
    }
    let formatter = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
        .map_err(|e| SqlError::internal(e.to_string()))?;
    let text: StringArray = (0..array.len())
        .map(|i| array.is_valid(i).then(|| formatter.value(i).to_string()))
        .collect();
    cast(&(Arc::new(text) as ArrayRef), target).map_err(|e| SqlError::internal(e.to_string()))
}
