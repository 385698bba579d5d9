//! CRM owners (reference/hubdb-api.md §2.4, `crm-owners-v3.json`): the account's users who
//! can own records, listed by `GET /crm/v3/owners` and read one at a time by
//! `GET /crm/v3/owners/{ownerId}`.
//!
//! Paging as in the HubDB listings: an opaque `after` cursor that needs URL-encoding and
//! `paging` left out on the last page. `limit` defaults to 100 (the spec's default); the spec
//! gives no maximum, so the sandbox clamps at 500. `email` matches one address,
//! case-insensitively as addresses are; `archived=true` lists only archived owners. Empty
//! fields are left out (a queue has no email and no user id, an archived user only
//! `userIdIncludingInactive`).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use serde_json::{Value, json};

use crate::cursor;
use crate::error::ApiError;
use crate::query::parse_query;
use crate::server::{AppState, ok};
use crate::values::iso;

/// The spec's default page size.
const DEFAULT_LIMIT: usize = 100;
/// The sandbox's largest page: the spec names none.
const MAX_LIMIT: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerKind {
    Person,
    Queue,
}

impl OwnerKind {
    pub fn parse(name: &str) -> Option<OwnerKind> {
        match name {
            "PERSON" => Some(OwnerKind::Person),
            "QUEUE" => Some(OwnerKind::Queue),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            OwnerKind::Person => "PERSON",
            OwnerKind::Queue => "QUEUE",
        }
    }
}

/// A team an owner belongs to (`PublicTeam`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub primary: bool,
}

/// One owner (`PublicOwner`); `id` is an int32 in the path and a string in JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub id: u32,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub user_id: Option<u32>,
    pub user_id_including_inactive: Option<u32>,
    pub created_at: i64,
    pub updated_at: i64,
    pub archived: bool,
    pub kind: OwnerKind,
    pub teams: Vec<Team>,
}

fn owner_json(owner: &Owner) -> Value {
    let mut body = json!({
        "id": owner.id.to_string(),
        "type": owner.kind.name(),
        "archived": owner.archived,
        "createdAt": iso(owner.created_at),
        "updatedAt": iso(owner.updated_at),
    });
    let optional = [
        ("email", owner.email.as_deref().map(Value::from)),
        ("firstName", owner.first_name.as_deref().map(Value::from)),
        ("lastName", owner.last_name.as_deref().map(Value::from)),
        ("userId", owner.user_id.map(Value::from)),
        (
            "userIdIncludingInactive",
            owner.user_id_including_inactive.map(Value::from),
        ),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            body[key] = value;
        }
    }
    if !owner.teams.is_empty() {
        let teams = owner
            .teams
            .iter()
            .map(|team| json!({"id": team.id, "name": team.name, "primary": team.primary}));
        body["teams"] = Value::Array(teams.collect());
    }
    body
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// `archived` is a boolean in the spec: anything but `true` or `false` is refused.
fn parse_archived(pairs: &[(String, String)]) -> Result<bool, ApiError> {
    match first(pairs, "archived") {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::validation(format!(
            "archived must be true or false, got {other}"
        ))),
    }
}

fn parse_limit(pairs: &[(String, String)]) -> Result<usize, ApiError> {
    let Some(text) = first(pairs, "limit") else {
        return Ok(DEFAULT_LIMIT);
    };
    let limit: i64 = text
        .parse()
        .map_err(|_| ApiError::validation(format!("limit must be an integer, got {text}")))?;
    if limit < 0 {
        return Err(ApiError::validation("limit must not be negative"));
    }
    Ok((limit as usize).min(MAX_LIMIT))
}

/// The body of `GET /crm/v3/owners` (`CollectionResponsePublicOwnerForwardPaging`).
pub fn list_owners(
    owners: &[Owner],
    pairs: &[(String, String)],
    link_base: &str,
) -> Result<Value, ApiError> {
    let limit = parse_limit(pairs)?;
    let archived = parse_archived(pairs)?;
    let email = first(pairs, "email").map(str::to_lowercase);
    let scope = format!("owners|{archived}|{}", email.as_deref().unwrap_or_default());
    let start = match first(pairs, "after") {
        None => 0,
        Some(after) => cursor::decode(after, &scope).ok_or_else(|| {
            ApiError::validation(format!("Invalid paging cursor after={after}"))
                .with("subCategory", json!("INVALID_PAGING_CURSOR"))
        })?,
    };
    let mut matching: Vec<&Owner> = owners
        .iter()
        .filter(|owner| owner.archived == archived)
        .filter(|owner| {
            let address = owner.email.as_deref().map(str::to_lowercase);
            email.is_none() || address == email
        })
        .collect();
    matching.sort_by_key(|owner| owner.id);
    let end = (start + limit).min(matching.len());
    let page = &matching[start.min(end)..end];
    let mut body = json!({"results": page.iter().map(|o| owner_json(o)).collect::<Vec<_>>()});
    if limit > 0 && end < matching.len() {
        let after = cursor::encode(end, &scope);
        body["paging"] =
            json!({"next": {"after": after, "link": next_link(link_base, pairs, &after)}});
    }
    Ok(body)
}

fn next_link(link_base: &str, pairs: &[(String, String)], after: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs.iter().filter(|(key, _)| key != "after") {
        query.append_pair(key, value);
    }
    query.append_pair("after", after);
    format!("{link_base}?{}", query.finish())
}

/// `GET /crm/v3/owners/{ownerId}`: by `id` or, with `idProperty=userId`, by user id (an
/// archived owner's user id is its `userIdIncludingInactive`).
pub fn find_owner<'o>(
    owners: &'o [Owner],
    owner_id: &str,
    pairs: &[(String, String)],
) -> Result<&'o Owner, ApiError> {
    let id: u32 = owner_id
        .parse()
        .map_err(|_| ApiError::validation(format!("ownerId must be an integer, got {owner_id}")))?;
    let by_user = match first(pairs, "idProperty") {
        None | Some("id") => false,
        Some("userId") => true,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "idProperty must be id or userId, got {other}"
            )));
        }
    };
    let archived = parse_archived(pairs)?;
    owners
        .iter()
        .filter(|owner| owner.archived == archived)
        .find(|owner| {
            if by_user {
                owner.user_id.or(owner.user_id_including_inactive) == Some(id)
            } else {
                owner.id == id
            }
        })
        .ok_or_else(|| ApiError::not_found(format!("Owner {owner_id} not found")))
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    uri: Uri,
) -> Result<Response, ApiError> {
    let pairs = parse_query(query.as_deref());
    let link_base = format!("{}{}", state.base_url, uri.path());
    Ok(ok(&list_owners(&state.owners, &pairs, &link_base)?))
}

pub async fn one(
    State(state): State<Arc<AppState>>,
    Path(owner_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = parse_query(query.as_deref());
    Ok(ok(&owner_json(find_owner(
        &state.owners,
        &owner_id,
        &pairs,
    )?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(id: u32, email: &str, archived: bool) -> Owner {
        Owner {
            id,
            email: Some(email.to_string()),
            first_name: None,
            last_name: None,
            user_id: (!archived).then_some(id + 1000),
            user_id_including_inactive: Some(id + 1000),
            created_at: 0,
            updated_at: 0,
            archived,
            kind: OwnerKind::Person,
            teams: Vec::new(),
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pages_follow_the_cursor_and_the_last_has_no_paging() {
        let owners: Vec<Owner> = (1..=5).map(|i| owner(i, "a@example.com", false)).collect();
        let first = list_owners(&owners, &pairs(&[("limit", "3")]), "http://x/o").unwrap();
        assert_eq!(first["results"].as_array().unwrap().len(), 3);
        let after = first["paging"]["next"]["after"].as_str().unwrap();
        let query = pairs(&[("limit", "3"), ("after", after)]);
        let second = list_owners(&owners, &query, "http://x/o").unwrap();
        assert_eq!(second["results"][0]["id"], "4");
        assert!(second.get("paging").is_none());
        let other_filter = pairs(&[("after", after), ("email", "a@example.com")]);
        assert!(list_owners(&owners, &other_filter, "http://x/o").is_err());
    }

    #[test]
    fn email_matches_case_insensitively_and_archived_owners_are_apart() {
        let owners = vec![
            owner(1, "Ana@Example.com", false),
            owner(2, "b@example.com", true),
        ];
        let found = list_owners(&owners, &pairs(&[("email", "ana@example.COM")]), "l").unwrap();
        assert_eq!(found["results"][0]["id"], "1");
        let archived = list_owners(&owners, &pairs(&[("archived", "true")]), "l").unwrap();
        assert_eq!(archived["results"][0]["id"], "2");
        assert!(archived["results"][0].get("userId").is_none());
        let by_user = pairs(&[("idProperty", "userId"), ("archived", "true")]);
        assert_eq!(find_owner(&owners, "1002", &by_user).unwrap().id, 2);
        assert!(find_owner(&owners, "2", &[]).is_err());
        assert!(find_owner(&owners, "x", &[]).is_err());
    }
}
