//! The install URL `GET /oauth/authorize` and its consent page (reference/hubdb-api.md
//! §12.1).
//!
//! A valid request gets a small HTML page with an Approve and a Deny button, one form posted
//! to `/oauth/authorize/decision`; with auto-approval it redirects (302) at once. Approve
//! redirects (303) to `redirect_uri?code=...&state=...`; Deny to
//! `redirect_uri?error=access_denied&state=...`, or, with `deny_without_redirect`, nowhere,
//! as the reference says HubSpot does. An unknown client id, a redirect URL the app did not
//! register or scopes that do not fit the app get a 400 error page and no redirect, as on
//! HubSpot's consent screen: the client never hears back and must time out.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::set_header;
use crate::oauth::{AuthorizeParams, AuthorizeRequest, DEMO_PORTAL_ID, INSTALLING_USER};
use crate::query::{parse_form, parse_query};
use crate::server::AppState;

/// Where the consent page posts its answer.
pub const DECISION_PATH: &str = "/oauth/authorize/decision";

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// `GET /oauth/authorize`.
pub async fn authorize(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Response {
    let pairs = parse_query(query.as_deref());
    let params = AuthorizeParams {
        client_id: first(&pairs, "client_id"),
        redirect_uri: first(&pairs, "redirect_uri"),
        scope: first(&pairs, "scope"),
        optional_scope: first(&pairs, "optional_scope"),
        state: first(&pairs, "state"),
    };
    let request = match state.oauth.check_authorize(&params) {
        Ok(request) => request,
        Err(message) => return error_page(&message),
    };
    if state.oauth.config().auto_approve {
        let code = state.oauth.issue_code(&request);
        return redirect(StatusCode::FOUND, &approved_url(&request, &code));
    }
    let key = state.oauth.hold_consent(request.clone());
    consent_page(&request, &key)
}

/// `POST /oauth/authorize/decision` (form: `request`, `decision` = `approve` | `deny`).
pub async fn decide(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = parse_form(&headers, &body);
    let decision = first(&fields, "decision");
    if !matches!(decision, Some("approve" | "deny")) {
        return error_page("The consent form was sent without a decision.");
    }
    let request = first(&fields, "request").and_then(|key| state.oauth.take_consent(key));
    let Some(request) = request else {
        return error_page("This authorization request has expired or was already answered.");
    };
    if decision == Some("approve") {
        let code = state.oauth.issue_code(&request);
        return redirect(StatusCode::SEE_OTHER, &approved_url(&request, &code));
    }
    if state.oauth.config().deny_without_redirect {
        return page(
            StatusCode::OK,
            "Access denied",
            "<p>You declined. You can close this window.</p>",
        );
    }
    redirect(StatusCode::SEE_OTHER, &denied_url(&request))
}

fn approved_url(request: &AuthorizeRequest, code: &str) -> String {
    with_query(request, &[("code", code)])
}

fn denied_url(request: &AuthorizeRequest) -> String {
    with_query(request, &[("error", "access_denied")])
}

/// The redirect URL with `params` and `state` (when the request had one) appended to its
/// query, form-encoded.
fn with_query(request: &AuthorizeRequest, params: &[(&str, &str)]) -> String {
    let Ok(mut url) = url::Url::parse(&request.redirect_uri) else {
        return request.redirect_uri.clone();
    };
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in params {
            query.append_pair(key, value);
        }
        if let Some(state) = &request.state {
            query.append_pair("state", state);
        }
    }
    url.to_string()
}

fn redirect(status: StatusCode, location: &str) -> Response {
    let mut response = status.into_response();
    set_header(&mut response, header::LOCATION, location);
    set_header(&mut response, header::CACHE_CONTROL, "no-store");
    response
}

fn consent_page(request: &AuthorizeRequest, key: &str) -> Response {
    let scopes: String = request
        .scopes
        .iter()
        .map(|scope| format!("<li><code>{}</code></li>", escape(scope)))
        .collect();
    let body = format!(
        "<p>The app <code>{client}</code> asks to connect to HubSpot account {DEMO_PORTAL_ID} \
         as {user}, with these scopes:</p>\n<ul>{scopes}</ul>\n\
         <p>It will be sent back to <code>{redirect}</code>.</p>\n\
         <form method=\"post\" action=\"{DECISION_PATH}\">\n\
         <input type=\"hidden\" name=\"request\" value=\"{key}\">\n\
         <button type=\"submit\" id=\"approve\" name=\"decision\" value=\"approve\">Approve</button>\n\
         <button type=\"submit\" id=\"deny\" name=\"decision\" value=\"deny\">Deny</button>\n\
         </form>",
        client = escape(&request.client_id),
        user = escape(INSTALLING_USER),
        redirect = escape(&request.redirect_uri),
        key = escape(key),
    );
    page(StatusCode::OK, "Connect an app to HubSpot", &body)
}

fn error_page(message: &str) -> Response {
    let body = format!("<p id=\"error\">{}</p>", escape(message));
    page(
        StatusCode::BAD_REQUEST,
        "Couldn't complete the connection",
        &body,
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title}</title></head>\n<body><h1>{title}</h1>\n{body}\n</body></html>\n"
    );
    let mut response = (status, html).into_response();
    set_header(
        &mut response,
        header::CONTENT_TYPE,
        "text/html; charset=utf-8",
    );
    set_header(&mut response, header::CACHE_CONTROL, "no-store");
    response
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_append_to_an_existing_query_and_encode_the_state() {
        let request = AuthorizeRequest {
            client_id: "c".into(),
            redirect_uri: "http://localhost:9/cb?x=1".into(),
            scopes: vec![],
            state: Some("a b&c".into()),
        };
        assert_eq!(
            approved_url(&request, "k"),
            "http://localhost:9/cb?x=1&code=k&state=a+b%26c"
        );
        let without_state = AuthorizeRequest {
            state: None,
            ..request
        };
        assert_eq!(
            denied_url(&without_state),
            "http://localhost:9/cb?x=1&error=access_denied"
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
