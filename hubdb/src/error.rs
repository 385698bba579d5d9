//! Errors of the HubDB client, with HubSpot's own message, category and correlation id
//! (reference §10) so that a diagnostic can quote them.

use std::fmt;

use serde_json::Value;

/// What went wrong, in terms a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 401: missing, invalid or expired token.
    Unauthorized,
    /// 403: the token lacks a scope (`MISSING_SCOPES`, reference §2.3).
    Forbidden,
    /// 404: no such table, table version or row.
    NotFound,
    /// 400 and other 4xx: HubSpot rejected the request (`VALIDATION_ERROR`).
    BadRequest,
    /// 409: e.g. a table name already taken.
    Conflict,
    /// 429, still after the allowed retries (reference §11.3).
    RateLimited,
    /// 5xx, still after the allowed retries.
    Server,
    /// The per-request timeout ran out.
    Timeout,
    /// No connection could be made (refused, DNS, TLS handshake).
    Connect,
    /// The connection broke while the request or response was in flight.
    ConnectionLost,
    /// A response body that is not what the API describes.
    Decode,
    /// The client's own configuration is unusable (bad base URL, ...).
    Config,
}

/// An error of a HubDB call. `Display` gives the message and the correlation id, never a secret.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// HubSpot's message, or ours.
    pub message: String,
    /// HubSpot's `category` or, on 429 bodies, `errorType` (reference §10.1, §11.3).
    pub category: Option<String>,
    pub correlation_id: Option<String>,
}

impl Error {
    /// An error raised by this client, not by HubSpot.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            message: message.into(),
            category: None,
            correlation_id: None,
        }
    }

    /// An error response of HubSpot: status, the `x-hubspot-correlation-id` header and the body.
    pub fn from_response(status: u16, header_correlation_id: Option<&str>, body: &[u8]) -> Self {
        let body = ErrorBody::parse(body);
        let message = body
            .message
            .clone()
            .unwrap_or_else(|| format!("HubSpot answered HTTP {status}"));
        Self {
            kind: kind_of_status(status),
            status: Some(status),
            message: message + &body.details(),
            category: body.category,
            correlation_id: body
                .correlation_id
                .or_else(|| header_correlation_id.map(str::to_string)),
        }
    }

    /// True for errors a read may retry: 429, 5xx, a connection lost mid-request.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::ConnectionLost
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let mut notes = Vec::new();
        if let Some(status) = self.status {
            notes.push(format!("HTTP {status}"));
        }
        if let Some(category) = &self.category {
            notes.push(category.clone());
        }
        if let Some(id) = &self.correlation_id {
            notes.push(format!("correlation id {id}"));
        }
        if !notes.is_empty() {
            write!(f, " ({})", notes.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The HTTP status classes of reference §10 as error kinds.
pub(crate) fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        401 => ErrorKind::Unauthorized,
        403 => ErrorKind::Forbidden,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::BadRequest,
    }
}

/// The fields of HubSpot's error body a diagnostic needs (reference §10.1-§10.2, §11.3).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ErrorBody {
    pub message: Option<String>,
    pub category: Option<String>,
    pub correlation_id: Option<String>,
    /// `DAILY`, `SECONDLY`, `TEN_SECONDLY_ROLLING` on 429 bodies.
    pub policy_name: Option<String>,
    /// From `errors[].context.requiredScopes` of a `MISSING_SCOPES` 403.
    pub required_scopes: Vec<String>,
}

impl ErrorBody {
    /// Reads what it can; a body that is not JSON yields an empty `ErrorBody`.
    pub fn parse(body: &[u8]) -> Self {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return Self::default();
        };
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
        Self {
            message: text("message"),
            category: text("category").or_else(|| text("errorType")),
            correlation_id: text("correlationId"),
            policy_name: text("policyName"),
            required_scopes: required_scopes(map.get("errors")),
        }
    }

    /// What the message alone does not say: the scopes to grant (B14), the limit hit (B15).
    fn details(&self) -> String {
        let mut details = String::new();
        if !self.required_scopes.is_empty() {
            details.push_str(&format!(
                " Required scopes: {}.",
                self.required_scopes.join(", ")
            ));
        }
        if let Some(policy) = &self.policy_name {
            details.push_str(&format!(" Rate-limit policy: {policy}."));
        }
        details
    }
}

fn required_scopes(errors: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(errors)) = errors else {
        return Vec::new();
    };
    errors
        .iter()
        .filter_map(|e| e.pointer("/context/requiredScopes")?.as_array())
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "aeb5f871-7f07-4993-9211-075dc63e7cbf";

    #[test]
    fn invalid_authentication_401_body_is_read() {
        let body = format!(
            r#"{{"status":"error","message":"Authentication credentials not found. This API supports both API Key and OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview","correlationId":"{UUID}","category":"INVALID_AUTHENTICATION"}}"#
        );
        let error = Error::from_response(401, None, body.as_bytes());
        assert_eq!(error.kind, ErrorKind::Unauthorized);
        assert_eq!(error.status, Some(401));
        assert!(
            error
                .message
                .starts_with("Authentication credentials not found.")
        );
        assert_eq!(error.category.as_deref(), Some("INVALID_AUTHENTICATION"));
        assert_eq!(error.correlation_id.as_deref(), Some(UUID));
    }

    #[test]
    fn expired_authentication_401_body_is_read() {
        let body = format!(
            r#"{{"status":"error","message":"The OAuth token used to make this call expired 0 second(s) ago.","correlationId":"{UUID}","category":"EXPIRED_AUTHENTICATION","context":{{"expire time":["2026-03-10T23:04:41.164Z"]}}}}"#
        );
        let error = Error::from_response(401, None, body.as_bytes());
        assert_eq!(error.kind, ErrorKind::Unauthorized);
        assert_eq!(error.category.as_deref(), Some("EXPIRED_AUTHENTICATION"));
        assert_eq!(
            error.message,
            "The OAuth token used to make this call expired 0 second(s) ago."
        );
    }

    #[test]
    fn missing_scopes_403_names_the_scope() {
        let body = format!(
            r#"{{"status":"error","message":"This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.","correlationId":"{UUID}","errors":[{{"message":"One or more of the following scopes are required.","context":{{"requiredScopes":["hubdb"]}}}}],"links":{{"scopes":"https://developers.hubspot.com/scopes"}},"category":"MISSING_SCOPES"}}"#
        );
        let error = Error::from_response(403, None, body.as_bytes());
        assert_eq!(error.kind, ErrorKind::Forbidden);
        assert_eq!(error.category.as_deref(), Some("MISSING_SCOPES"));
        assert!(
            error.message.ends_with(" Required scopes: hubdb."),
            "{}",
            error.message
        );
        assert_eq!(error.correlation_id.as_deref(), Some(UUID));
    }

    #[test]
    fn not_found_404_and_validation_400_bodies_are_read() {
        let not_found = r#"{"status":"error","message":"Table not found","correlationId":"c-404","category":"OBJECT_NOT_FOUND"}"#;
        let error = Error::from_response(404, None, not_found.as_bytes());
        assert_eq!(
            (error.kind, error.category.as_deref()),
            (ErrorKind::NotFound, Some("OBJECT_NOT_FOUND"))
        );
        let invalid = r#"{"message":"Invalid input (details will vary based on the error)","correlationId":"c-400","category":"VALIDATION_ERROR","links":{"knowledge-base":"https://www.hubspot.com/products/service/knowledge-base"}}"#;
        let error = Error::from_response(400, None, invalid.as_bytes());
        assert_eq!(error.kind, ErrorKind::BadRequest);
        assert_eq!(error.category.as_deref(), Some("VALIDATION_ERROR"));
        assert_eq!(error.correlation_id.as_deref(), Some("c-400"));
    }

    #[test]
    fn rate_limit_429_body_with_error_type_only() {
        let body = format!(
            r#"{{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"{UUID}","policyName":"DAILY","requestId":"r-1"}}"#
        );
        let parsed = ErrorBody::parse(body.as_bytes());
        assert_eq!(parsed.category.as_deref(), Some("RATE_LIMIT"));
        assert_eq!(parsed.policy_name.as_deref(), Some("DAILY"));
        let error = Error::from_response(429, None, body.as_bytes());
        assert_eq!(error.kind, ErrorKind::RateLimited);
        assert_eq!(
            error.message,
            "You have reached your daily limit. Rate-limit policy: DAILY."
        );
    }

    #[test]
    fn rate_limit_429_body_with_category_prefers_category() {
        let body = r#"{"status":"error","message":"You have reached your ten-secondly limit.","errorType":"RATE_LIMIT","category":"RATE_LIMITS","correlationId":"c-429","policyName":"TEN_SECONDLY_ROLLING"}"#;
        let parsed = ErrorBody::parse(body.as_bytes());
        assert_eq!(parsed.category.as_deref(), Some("RATE_LIMITS"));
        assert_eq!(parsed.policy_name.as_deref(), Some("TEN_SECONDLY_ROLLING"));
        assert_eq!(parsed.correlation_id.as_deref(), Some("c-429"));
    }

    #[test]
    fn correlation_id_falls_back_to_the_header() {
        let error = Error::from_response(502, Some("hdr-id"), b"<html>Bad gateway</html>");
        assert_eq!(error.kind, ErrorKind::Server);
        assert_eq!(error.message, "HubSpot answered HTTP 502");
        assert_eq!(error.correlation_id.as_deref(), Some("hdr-id"));
    }

    #[test]
    fn display_shows_message_status_category_and_correlation_id() {
        let body =
            r#"{"message":"Table not found","correlationId":"c-1","category":"OBJECT_NOT_FOUND"}"#;
        let error = Error::from_response(404, None, body.as_bytes());
        assert_eq!(
            error.to_string(),
            "Table not found (HTTP 404, OBJECT_NOT_FOUND, correlation id c-1)"
        );
        assert_eq!(
            Error::new(ErrorKind::Timeout, "timed out").to_string(),
            "timed out"
        );
    }
}
