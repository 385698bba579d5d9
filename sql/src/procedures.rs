//! The stored procedures: what `{call ...}`, `CALL` and `EXEC` run, and what
//! `sys_procedures`, `sys_procedureparameters` and SQLProcedures list.
//!
//! A procedure is registered once here, with its parameters; the system tables, the
//! driver's catalog functions and the call routing all read this one list, so a procedure
//! added here appears everywhere. The OAuth procedures are the reference product's web flow
//! (DESIGN "Words"): a web application gets the consent URL, sends its user there, and
//! exchanges the code HubSpot redirects back with, then connects with the access token
//! (`InitiateOAuth=OFF`) and renews it itself.
//!
//! Arguments are positional (`{call GetOAuthAuthorizationURL('http://...')}`) or named
//! (`EXEC GetOAuthAccessToken AuthMode = 'WEB', Verifier = ?`, with or without `@`), in any
//! case; literals or `?` markers. Output parameters are the columns of the one-row result.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, ObjectName,
    Statement, UnaryOperator, Value,
};
use hubdb::oauth::{OAuthSettings, TokenResponse};
use hubdb::{Error, ErrorKind, Secret};

use crate::error::SqlError;
use crate::params::ParamValue;
use crate::types::SqlType;

/// How a procedure parameter passes its value (the ODBC `COLUMN_TYPE` of
/// SQLProcedureColumns: input 1, input/output 2; an `Output` comes back as a column of the
/// procedure's result set, ODBC's result column 3, shown as 4 in `sys_procedureparameters`
/// as the reference product does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParameterDirection {
    Input,
    InputOutput,
    Output,
}

/// One parameter of a registered procedure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProcedureParameter {
    pub name: &'static str,
    pub sql_type: SqlType,
    pub direction: ParameterDirection,
    pub required: bool,
    pub description: &'static str,
}

/// A procedure the driver provides.
#[derive(Clone, Debug, PartialEq)]
pub struct Procedure {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: &'static [ProcedureParameter],
}

impl Procedure {
    fn inputs(&self) -> impl Iterator<Item = &ProcedureParameter> {
        self.parameters
            .iter()
            .filter(|p| p.direction != ParameterDirection::Output)
    }

    /// The output parameters: the columns of the procedure's result, in order.
    pub(crate) fn outputs(&self) -> impl Iterator<Item = &ProcedureParameter> {
        self.parameters
            .iter()
            .filter(|p| p.direction == ParameterDirection::Output)
    }

    /// The result set's schema: one column per output parameter.
    pub(crate) fn result_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.outputs()
                .map(|p| Field::new(p.name, p.sql_type.arrow_type(), true))
                .collect::<Vec<_>>(),
        ))
    }
}

const fn input(
    name: &'static str,
    length: u32,
    required: bool,
    description: &'static str,
) -> ProcedureParameter {
    ProcedureParameter {
        name,
        sql_type: SqlType::WVarChar { length },
        direction: ParameterDirection::Input,
        required,
        description,
    }
}

const fn output(
    name: &'static str,
    sql_type: SqlType,
    description: &'static str,
) -> ProcedureParameter {
    ProcedureParameter {
        name,
        sql_type,
        direction: ParameterDirection::Output,
        required: false,
        description,
    }
}

/// A URL's or a token's column: HubSpot's tokens are at most 300 characters (§12.2), URLs
/// carry scopes and state.
const URL_LENGTH: u32 = 4000;
const TOKEN_LENGTH: u32 = 2048;

const TOKEN_OUTPUTS: [ProcedureParameter; 3] = [
    output(
        "OAuthAccessToken",
        SqlType::WVarChar {
            length: TOKEN_LENGTH,
        },
        "The access token: pass it as OAuthAccessToken with InitiateOAuth=OFF.",
    ),
    output(
        "OAuthRefreshToken",
        SqlType::WVarChar {
            length: TOKEN_LENGTH,
        },
        "The refresh token, for RefreshOAuthAccessToken.",
    ),
    output(
        "ExpiresIn",
        SqlType::BigInt,
        "Seconds the access token stays valid.",
    ),
];

static PROCEDURES: [Procedure; 3] = [
    Procedure {
        name: "GetOAuthAuthorizationURL",
        description: "The URL of HubSpot's consent page for the app, to send a user to (web flow).",
        parameters: &[
            input(
                "CallbackUrl",
                URL_LENGTH,
                false,
                "Where HubSpot sends the browser back; default CallbackURL.",
            ),
            input(
                "Scope",
                1000,
                false,
                "Required scopes, space-separated; default Scope.",
            ),
            input(
                "State",
                1000,
                false,
                "Any value, returned with the code to the callback.",
            ),
            output(
                "URL",
                SqlType::WVarChar { length: URL_LENGTH },
                "The consent page's URL.",
            ),
        ],
    },
    Procedure {
        name: "GetOAuthAccessToken",
        description: "Exchanges the code of a consent for tokens (AuthMode WEB), or runs the browser sign-in (APP).",
        parameters: &[
            input(
                "AuthMode",
                10,
                false,
                "WEB (default): exchange Verifier; APP: open the browser and wait for the consent.",
            ),
            input(
                "Verifier",
                TOKEN_LENGTH,
                false,
                "The code HubSpot sent to the callback (WEB).",
            ),
            input(
                "CallbackUrl",
                URL_LENGTH,
                false,
                "The redirect URL the consent was asked with; default CallbackURL.",
            ),
            input(
                "State",
                1000,
                false,
                "The state the consent was asked with (not checked by HubSpot).",
            ),
            TOKEN_OUTPUTS[0],
            TOKEN_OUTPUTS[1],
            TOKEN_OUTPUTS[2],
        ],
    },
    Procedure {
        name: "RefreshOAuthAccessToken",
        description: "Renews an access token from a refresh token.",
        parameters: &[
            input(
                "OAuthRefreshToken",
                TOKEN_LENGTH,
                true,
                "The refresh token.",
            ),
            TOKEN_OUTPUTS[0],
            TOKEN_OUTPUTS[1],
            TOKEN_OUTPUTS[2],
        ],
    },
];

/// Every procedure the driver provides, in the order the system tables list them.
pub fn procedures() -> &'static [Procedure] {
    &PROCEDURES
}

/// The procedure a name means, ignoring case.
pub(crate) fn find(name: &str) -> Option<&'static Procedure> {
    procedures()
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// One argument as written: a literal, a `?` marker (by position), or NULL.
#[derive(Clone, Debug, PartialEq)]
enum Argument {
    Text(String),
    Marker(usize),
    Null,
}

/// A parsed procedure call: which procedure, and the argument of each input parameter.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) procedure: &'static Procedure,
    /// Indexed like `procedure.inputs()`.
    arguments: Vec<Option<Argument>>,
}

/// The call a statement makes, if it is `CALL`/`{call}` or `EXEC`/`EXECUTE`.
pub(crate) fn parse_call(statement: &Statement) -> Option<Result<Call, SqlError>> {
    match statement {
        Statement::Call(function) => Some(call_of_function(function)),
        Statement::Execute {
            name: Some(name),
            parameters,
            ..
        } => Some(call_of(name, parameters.iter().map(Some).collect())),
        _ => None,
    }
}

fn call_of_function(function: &Function) -> Result<Call, SqlError> {
    let arguments = match &function.args {
        FunctionArguments::None => Vec::new(),
        FunctionArguments::List(list) => list.args.iter().map(argument_expr).collect(),
        FunctionArguments::Subquery(_) => {
            return Err(SqlError::syntax(
                "a procedure's arguments are values, not a query",
            ));
        }
    };
    let named: Vec<Expr> = arguments
        .into_iter()
        .map(|a| a.ok_or_else(|| SqlError::syntax("a procedure argument must be a value")))
        .collect::<Result<_, _>>()?;
    call_of(&function.name, named.iter().map(Some).collect())
}

/// `name => value` and `value` arguments of `{call p(...)}` as expressions (`Name = value`
/// for a named one).
fn argument_expr(arg: &FunctionArg) -> Option<Expr> {
    match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Some(expr.clone()),
        FunctionArg::Named {
            name,
            arg: FunctionArgExpr::Expr(expr),
            ..
        } => Some(Expr::BinaryOp {
            left: Box::new(Expr::Identifier(name.clone())),
            op: BinaryOperator::Eq,
            right: Box::new(expr.clone()),
        }),
        _ => None,
    }
}

fn call_of(name: &ObjectName, written: Vec<Option<&Expr>>) -> Result<Call, SqlError> {
    let written_name = name
        .0
        .last()
        .and_then(|part| part.as_ident())
        .map(|ident| ident.value.clone())
        .unwrap_or_else(|| name.to_string());
    let procedure = find(&written_name).ok_or_else(|| {
        SqlError::unsupported(format!(
            "procedure '{written_name}' does not exist: sys_procedures lists the procedures"
        ))
    })?;
    let inputs: Vec<&ProcedureParameter> = procedure.inputs().collect();
    let mut arguments: Vec<Option<Argument>> = vec![None; inputs.len()];
    let mut position = 0;
    for expr in written.into_iter().flatten() {
        let (index, value) = match named_argument(expr) {
            Some((parameter, value)) => {
                let index = inputs
                    .iter()
                    .position(|p| p.name.eq_ignore_ascii_case(&parameter))
                    .ok_or_else(|| {
                        SqlError::syntax(format!(
                            "{} has no parameter '{parameter}' (it takes {})",
                            procedure.name,
                            names(&inputs)
                        ))
                    })?;
                (index, value)
            }
            None => {
                if position >= inputs.len() {
                    return Err(SqlError::syntax(format!(
                        "{} takes at most {} argument(s): {}",
                        procedure.name,
                        inputs.len(),
                        names(&inputs)
                    )));
                }
                position += 1;
                (position - 1, expr)
            }
        };
        if arguments[index].is_some() {
            return Err(SqlError::syntax(format!(
                "{}: parameter {} is given twice",
                procedure.name, inputs[index].name
            )));
        }
        arguments[index] = Some(argument(value)?);
    }
    Ok(Call {
        procedure,
        arguments,
    })
}

fn names(inputs: &[&ProcedureParameter]) -> String {
    inputs.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

/// `Name = value` or `@Name = value`.
fn named_argument(expr: &Expr) -> Option<(String, &Expr)> {
    let Expr::BinaryOp {
        left,
        op: BinaryOperator::Eq,
        right,
    } = expr
    else {
        return None;
    };
    let name = match left.as_ref() {
        Expr::Identifier(ident) => ident.value.clone(),
        _ => return None,
    };
    Some((name.trim_start_matches('@').to_string(), right))
}

fn argument(expr: &Expr) -> Result<Argument, SqlError> {
    let value = match expr {
        Expr::Value(value) => &value.value,
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => {
            return match argument(expr)? {
                Argument::Text(n) => Ok(Argument::Text(format!("-{n}"))),
                _ => Err(SqlError::syntax("a procedure argument must be a value")),
            };
        }
        _ => {
            return Err(SqlError::syntax(
                "a procedure argument must be a literal or ?",
            ));
        }
    };
    match value {
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
            Ok(Argument::Text(s.clone()))
        }
        Value::Number(n, _) => Ok(Argument::Text(n.clone())),
        Value::Boolean(b) => Ok(Argument::Text(b.to_string())),
        Value::Null => Ok(Argument::Null),
        Value::Placeholder(marker) => marker
            .strip_prefix('$')
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n >= 1)
            .map(|n| Argument::Marker(n - 1))
            .ok_or_else(|| SqlError::syntax(format!("unknown parameter marker {marker}"))),
        other => Err(SqlError::syntax(format!(
            "a procedure argument must be a literal or ?, not {other}"
        ))),
    }
}

impl Call {
    /// The input values, markers replaced by the bound parameters; `None` when not given.
    fn values(&self, params: &[ParamValue]) -> Result<Vec<Option<String>>, SqlError> {
        self.arguments
            .iter()
            .map(|argument| match argument {
                None | Some(Argument::Null) => Ok(None),
                Some(Argument::Text(text)) => Ok(Some(text.clone())),
                Some(Argument::Marker(index)) => match params.get(*index) {
                    None => Err(SqlError::invalid_parameter(format!(
                        "parameter {} is not bound",
                        index + 1
                    ))),
                    Some(value) => Ok(param_text(value)),
                },
            })
            .collect::<Result<_, _>>()
            .and_then(|values: Vec<Option<String>>| {
                for (value, parameter) in values.iter().zip(self.procedure.inputs()) {
                    if parameter.required && value.as_deref().is_none_or(str::is_empty) {
                        return Err(SqlError::syntax(format!(
                            "{} needs {}",
                            self.procedure.name, parameter.name
                        )));
                    }
                }
                Ok(values)
            })
    }

    /// Runs the call; its result is one row of the output parameters.
    pub(crate) async fn run(
        &self,
        params: &[ParamValue],
        oauth: Option<&OAuthSettings>,
    ) -> Result<RecordBatch, SqlError> {
        let values = self.values(params)?;
        let value = |name: &str| -> Option<String> {
            self.procedure
                .inputs()
                .zip(&values)
                .find(|(p, _)| p.name == name)
                .and_then(|(_, v)| v.clone())
                .filter(|v| !v.trim().is_empty())
        };
        let settings = oauth.ok_or_else(|| {
            SqlError::from(Error::new(
                ErrorKind::Config,
                format!(
                    "{} needs AuthScheme=OAuth with OAuthClientId and OAuthClientSecret",
                    self.procedure.name
                ),
            ))
        })?;
        let app = &settings.app;
        let schema = self.procedure.result_schema();
        let columns: Vec<ArrayRef> = match self.procedure.name {
            "GetOAuthAuthorizationURL" => {
                let url = app.authorization_url(
                    value("State").as_deref().unwrap_or(""),
                    value("CallbackUrl").as_deref(),
                    value("Scope").as_deref(),
                );
                vec![Arc::new(StringArray::from(vec![url]))]
            }
            "GetOAuthAccessToken" => {
                let mode = value("AuthMode").unwrap_or_else(|| "WEB".to_string());
                let answer = if mode.eq_ignore_ascii_case("WEB") {
                    let verifier = value("Verifier").ok_or_else(|| {
                        SqlError::syntax(
                            "GetOAuthAccessToken with AuthMode WEB needs Verifier: the code \
                             HubSpot sent to the callback",
                        )
                    })?;
                    app.exchange_code(&Secret::new(verifier), value("CallbackUrl").as_deref())
                        .await?
                } else if mode.eq_ignore_ascii_case("APP") {
                    app.authorize_in_browser(settings.browser_timeout).await?
                } else {
                    return Err(SqlError::syntax(format!(
                        "AuthMode '{mode}' is not known: WEB or APP"
                    )));
                };
                token_columns(answer)
            }
            "RefreshOAuthAccessToken" => {
                let refresh_token = value("OAuthRefreshToken").unwrap_or_default();
                let answer = app.refresh(&Secret::new(refresh_token)).await?;
                token_columns(answer)
            }
            other => {
                return Err(SqlError::internal(format!(
                    "procedure {other} is registered but has no implementation"
                )));
            }
        };
        RecordBatch::try_new(schema, columns).map_err(|e| SqlError::internal(e.to_string()))
    }
}

/// A bound parameter as a procedure's text argument.
fn param_text(value: &ParamValue) -> Option<String> {
    match value {
        ParamValue::Null => None,
        ParamValue::Bool(b) => Some(b.to_string()),
        ParamValue::I64(n) => Some(n.to_string()),
        ParamValue::F64(n) => Some(n.to_string()),
        ParamValue::Text(s) | ParamValue::Decimal(s) => Some(s.clone()),
        ParamValue::Date(d) => Some(d.to_string()),
        ParamValue::Timestamp(t) => Some(t.to_string()),
    }
}

/// The token endpoint's answer as the procedures' three columns. The tokens leave the
/// `Secret` here: handing them to the application is these procedures' purpose.
fn token_columns(answer: TokenResponse) -> Vec<ArrayRef> {
    vec![
        Arc::new(StringArray::from(vec![Some(
            answer.access_token.expose().to_string(),
        )])),
        Arc::new(StringArray::from(vec![
            answer.refresh_token.map(|t| t.expose().to_string()),
        ])),
        Arc::new(Int64Array::from(vec![
            answer.expires_in.and_then(|n| i64::try_from(n).ok()),
        ])),
    ]
}
