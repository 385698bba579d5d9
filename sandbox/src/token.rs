//! The token endpoints (reference/hubdb-api.md §12.2, §12.3; `oauth-v1.json`,
//! `oauth-v3.json`): `POST /oauth/v1/token` and `/oauth/v3/token` (also under the
//! date-versioned `/oauth/2026-03` and `/oauth/2026-09`), v1's token information and refresh
//! token deletion, and v3's introspection and revocation.
//!
//! Every request is a form (`application/x-www-form-urlencoded`); a body of any other type
//! has no fields, as for a server that reads form parameters only. v1 also takes
//! `client_secret` and `refresh_token` from the query, as its spec lists them there; v3 reads
//! the body only (its guide moved everything into the body so secrets stay out of URLs).
//!
//! Errors are 400s with HubSpot's observed body, `status` (`BAD_REFRESH_TOKEN`, ...) and
//! `message` (§12.2), plus `correlationId` and `category: VALIDATION_ERROR`, which the spec's
//! `Error` schema requires. v3 adds OAuth's own `error` and `error_description`
//! (RFC 6749 §5.2), which clients of the date-versioned endpoints report seeing next to
//! `status` (ISSUES `usertour/usertour#490`); v1 bodies have no `error`, so a client must
//! read `status`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{ApiError, CORRELATION_HEADER, new_correlation_id, set_header};
use crate::guard::expired_authentication;
use crate::oauth::{
    AccessLookup, DEMO_HUB_DOMAIN, DEMO_PORTAL_ID, INSTALLING_USER, INSTALLING_USER_ID, Issued,
    OAuthApp, OAuthState, TokenError, TokenInfo,
};
use crate::query::{parse_form, parse_query};
use crate::server::{AppState, ok};

/// Which generation of the endpoints answers: they differ in their error bodies and in how
/// much a token response tells.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    V1,
    V3,
}

impl TokenError {
    /// HubSpot's `status`: observed for bad refresh tokens and expired codes (§12.2), the
    /// others named after them.
    fn status(self) -> &'static str {
        match self {
            TokenError::MissingGrantType
            | TokenError::UnsupportedGrantType
            | TokenError::UnauthorizedGrantType => "BAD_GRANT_TYPE",
            TokenError::BadClientId => "BAD_CLIENT_ID",
            TokenError::BadClientSecret => "BAD_CLIENT_SECRET",
            TokenError::BadAuthCode => "BAD_AUTH_CODE",
            TokenError::ExpiredAuthCode => "EXPIRED_AUTH_CODE",
            TokenError::BadRedirectUri => "BAD_REDIRECT_URI",
            TokenError::BadRefreshToken => "BAD_REFRESH_TOKEN",
            TokenError::MissingToken => "BAD_TOKEN",
        }
    }

    fn message(self) -> &'static str {
        match self {
            TokenError::MissingGrantType => "missing grant_type",
            TokenError::UnsupportedGrantType => {
                "unsupported grant_type: use authorization_code or refresh_token"
            }
            TokenError::UnauthorizedGrantType => "client_credentials is not enabled for this app",
            TokenError::BadClientId => "missing or invalid client id",
            TokenError::BadClientSecret => "missing or invalid client secret",
            TokenError::BadAuthCode => "missing or unknown auth code",
            TokenError::ExpiredAuthCode => "auth code is expired",
            TokenError::BadRedirectUri => {
                "missing redirect_uri, or not the one of the authorization request"
            }
            TokenError::BadRefreshToken => "missing or invalid refresh token",
            TokenError::MissingToken => "missing token",
        }
    }

    /// The RFC 6749 §5.2 code.
    fn oauth_error(self) -> &'static str {
        match self {
            TokenError::MissingGrantType | TokenError::MissingToken => "invalid_request",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::UnauthorizedGrantType => "unauthorized_client",
            TokenError::BadClientId | TokenError::BadClientSecret => "invalid_client",
            TokenError::BadAuthCode
            | TokenError::ExpiredAuthCode
            | TokenError::BadRedirectUri
            | TokenError::BadRefreshToken => "invalid_grant",
        }
    }

    fn into_api_error(self, dialect: Dialect) -> ApiError {
        let error = ApiError::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", self.message())
            .with("status", json!(self.status()));
        match dialect {
            Dialect::V1 => error,
            Dialect::V3 => error
                .with("error", json!(self.oauth_error()))
                .with("error_description", json!(self.message())),
        }
    }
}

/// A form field; an empty value counts as missing.
fn field<'f>(fields: &'f [(String, String)], name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.as_str())
}

/// Token responses must not be cached (RFC 6749 §5.1).
fn no_store(mut response: Response) -> Response {
    set_header(&mut response, header::CACHE_CONTROL, "no-store");
    set_header(&mut response, header::PRAGMA, "no-cache");
    response
}

fn answer(result: Result<Value, TokenError>, dialect: Dialect) -> Response {
    match result {
        Ok(body) => no_store(ok(&body)),
        Err(error) => no_store(error.into_api_error(dialect).into_response()),
    }
}

/// Checks the grant type first, then the client, then the grant's own fields.
fn run_grant(oauth: &OAuthState, fields: &[(String, String)]) -> Result<Issued, TokenError> {
    let grant_type = field(fields, "grant_type").ok_or(TokenError::MissingGrantType)?;
    let known = ["authorization_code", "refresh_token", "client_credentials"];
    if !known.contains(&grant_type) {
        return Err(TokenError::UnsupportedGrantType);
    }
    let app = authenticate(oauth, fields)?;
    match grant_type {
        "authorization_code" => {
            oauth.exchange_code(app, field(fields, "code"), field(fields, "redirect_uri"))
        }
        "refresh_token" => oauth.refresh(app, field(fields, "refresh_token")),
        _ => Err(TokenError::UnauthorizedGrantType),
    }
}

fn authenticate<'s>(
    oauth: &'s OAuthState,
    fields: &[(String, String)],
) -> Result<&'s OAuthApp, TokenError> {
    oauth.authenticate_client(field(fields, "client_id"), field(fields, "client_secret"))
}

/// `AccessTokenResponse` (`token_use: access_token` tells it from the client-credentials
/// variant of the spec's `oneOf`). v1 sends the observed minimum (§12.2 "typical body"),
/// v3 also the account, user and scopes its schema lists.
fn token_json(issued: &Issued, dialect: Dialect) -> Value {
    let mut body = json!({
        "token_type": "bearer",
        "access_token": issued.access_token,
        "refresh_token": issued.refresh_token,
        "expires_in": issued.expires_in,
        "token_use": "access_token",
    });
    if dialect == Dialect::V3 {
        body["hub_id"] = json!(DEMO_PORTAL_ID);
        body["user_id"] = json!(INSTALLING_USER_ID);
        body["scopes"] = json!(issued.scopes);
    }
    body
}

fn token_request(state: &AppState, fields: &[(String, String)], dialect: Dialect) -> Response {
    let issued = run_grant(&state.oauth, fields);
    answer(issued.map(|issued| token_json(&issued, dialect)), dialect)
}

/// `POST /oauth/v1/token`.
pub async fn token_v1(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut fields = parse_form(&headers, &body);
    let in_query = parse_query(query.as_deref()).into_iter();
    fields.extend(in_query.filter(|(key, _)| key == "client_secret" || key == "refresh_token"));
    token_request(&state, &fields, Dialect::V1)
}

/// `POST /oauth/v3/token` and its date-versioned copies.
pub async fn token_v3(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    token_request(&state, &parse_form(&headers, &body), Dialect::V3)
}

/// Fields of a signed token HubSpot's schema requires; the sandbox signs nothing.
fn signed_access_token(info: &TokenInfo) -> Value {
    json!({
        "appId": info.app_id,
        "appInstallId": format!("{DEMO_PORTAL_ID}-{}", info.app_id),
        "audience": "api.hubapi.com",
        "expiresAt": info.expires_at.unwrap_or_default(),
        "hubId": DEMO_PORTAL_ID,
        "hublet": "na1",
        "installingUserId": INSTALLING_USER_ID,
        "isPrivateDistribution": false,
        "isServiceAccount": false,
        "isUserLevel": false,
        "newSignature": "sandbox-unsigned",
        "scopeToScopeGroupPks": "",
        "scopes": info.scopes.join(" "),
        "signature": "sandbox-unsigned",
        "trialScopeToScopeGroupPks": "",
        "trialScopes": "",
        "userId": INSTALLING_USER_ID,
    })
}

/// v1 `AccessTokenInfoResponse`; with `introspection`, v3's `PublicAccessTokenInfoResponse`.
fn access_info_json(info: &TokenInfo, introspection: bool) -> Value {
    let mut body = json!({
        "token": info.token,
        "user": INSTALLING_USER,
        "hub_domain": DEMO_HUB_DOMAIN,
        "scopes": info.scopes,
        "hub_id": DEMO_PORTAL_ID,
        "app_id": info.app_id,
        "expires_in": info.expires_in(),
        "user_id": INSTALLING_USER_ID,
        "token_type": "access",
        "is_private_distribution": false,
        "signed_access_token": signed_access_token(info),
    });
    if introspection {
        body["active"] = json!(true);
        body["client_id"] = json!(info.client_id);
        body["token_use"] = json!("access_token");
    }
    body
}

/// v1 `RefreshTokenInfoResponse`; with `introspection`, v3's `PublicRefreshTokenInfoResponse`.
fn refresh_info_json(info: &TokenInfo, introspection: bool) -> Value {
    let mut body = json!({
        "token": info.token,
        "user": INSTALLING_USER,
        "hub_domain": DEMO_HUB_DOMAIN,
        "scopes": info.scopes,
        "hub_id": DEMO_PORTAL_ID,
        "client_id": info.client_id,
        "user_id": INSTALLING_USER_ID,
        "token_type": "refresh",
    });
    if introspection {
        body["active"] = json!(true);
        body["app_id"] = json!(info.app_id);
        body["token_use"] = json!("refresh_token");
    }
    body
}

fn token_not_found() -> ApiError {
    ApiError::not_found("Token not found: it was never issued, or has been revoked")
}

/// `GET /oauth/v1/access-tokens/{token}`: an expired token gets the same 401 as an API call
/// with it (§10.2), an unknown or revoked one a 404.
pub async fn access_token_info(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    match state.oauth.access_token(&token) {
        AccessLookup::Active(info) => Ok(no_store(ok(&access_info_json(&info, false)))),
        AccessLookup::Expired(at) => Err(expired_authentication(at)),
        AccessLookup::Unknown => Err(token_not_found()),
    }
}

/// `GET /oauth/v1/refresh-tokens/{token}`.
pub async fn refresh_token_info(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let info = state
        .oauth
        .refresh_token(&token)
        .ok_or_else(token_not_found)?;
    Ok(no_store(ok(&refresh_info_json(&info, false))))
}

/// `DELETE /oauth/v1/refresh-tokens/{token}`: 204. HubSpot documents that the access tokens
/// the refresh token issued are not affected (legacydocs "Delete OAuth 2.0 Refresh Token").
pub async fn delete_refresh_token(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    if !state.oauth.revoke_refresh_token(&token, None) {
        return Err(token_not_found());
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

fn empty(status: StatusCode) -> Response {
    let mut response = status.into_response();
    set_header(
        &mut response,
        HeaderName::from_static(CORRELATION_HEADER),
        &new_correlation_id(),
    );
    no_store(response)
}

/// RFC 7662 §2.1: the hint says where to look first, not where to look only. A token of
/// another app, expired, revoked or unknown is `{"active": false}` with a 200, as HubSpot
/// answers (§12.3); the spec's schema has no form for it.
fn introspection(oauth: &OAuthState, app: &OAuthApp, token: &str, hint: Option<&str>) -> Value {
    let mine = |info: &TokenInfo| info.client_id == app.client_id;
    let access = || match oauth.access_token(token) {
        AccessLookup::Active(info) if mine(&info) => Some(access_info_json(&info, true)),
        _ => None,
    };
    let refresh = || {
        let info = oauth.refresh_token(token).filter(mine)?;
        Some(refresh_info_json(&info, true))
    };
    let found = if hint == Some("refresh_token") {
        refresh().or_else(access)
    } else {
        access().or_else(refresh)
    };
    found.unwrap_or_else(|| json!({"active": false}))
}

/// `POST /oauth/v3/token/introspect` and its date-versioned copies.
pub async fn introspect(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = parse_form(&headers, &body);
    let result = authenticate(&state.oauth, &fields).and_then(|app| {
        let token = field(&fields, "token").ok_or(TokenError::MissingToken)?;
        let hint = field(&fields, "token_type_hint");
        Ok(introspection(&state.oauth, app, token, hint))
    });
    answer(result, Dialect::V3)
}

/// `POST /oauth/v3/token/revoke` and its date-versioned copies: deletes a refresh token of
/// the calling app, as v1's `DELETE` does. The spec describes no success response; RFC 7009
/// §2.2 answers 200 whether or not the token was known, so this does, with no body.
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = parse_form(&headers, &body);
    let result = authenticate(&state.oauth, &fields).and_then(|app| {
        let token = field(&fields, "token").ok_or(TokenError::MissingToken)?;
        state
            .oauth
            .revoke_refresh_token(token, Some(&app.client_id));
        Ok(())
    });
    match result {
        Ok(()) => empty(StatusCode::OK),
        Err(error) => no_store(error.into_api_error(Dialect::V3).into_response()),
    }
}
