//! The account's CRM owners: `GET /crm/v3/owners` (reference §2.4, `crm-owners-v3.json`).
//!
//! Decisions baked in:
//! - pages follow `paging.next.after` as an opaque string (URL-encoded when sent back, never
//!   parsed) until a page has no `paging`; the loop is bounded, and a cursor handed back
//!   unchanged is an error rather than a loop;
//! - `limit` is the spec's default of 100: the spec names no maximum (the sandbox clamps at
//!   500), so every page size sent is one the spec documents;
//! - `archived=true` lists only archived owners and nothing else (the endpoint's description,
//!   §2.4), so active and archived owners are two listings; `archived` is sent only when true;
//! - every field is optional, unknown fields are ignored, ids may be strings or numbers and
//!   date-times become epoch milliseconds, UTC, as for HubDB's own bodies; an owner without
//!   an id cannot be told apart from another, so it is a decode error;
//! - a token without `crm.objects.owners.read` (or `automation`) gets HubSpot's 403
//!   `MISSING_SCOPES`, which surfaces as [`ErrorKind::Forbidden`] with HubSpot's message and
//!   the scopes it names.

use std::collections::HashSet;

use serde::Deserialize;

use crate::client::Client;
use crate::query::QueryString;
use crate::wire::{
    Collection, lenient_bool, lenient_i64, lenient_string, lenient_time, null_as_empty,
};
use crate::{Error, ErrorKind, PageToken};

/// The owners listing.
pub const OWNERS_PATH: &str = "/crm/v3/owners";

/// Owners per page when the query names no page size: the spec's default.
pub const DEFAULT_OWNER_PAGE_SIZE: u32 = 100;

/// Bound on the listing's pages, so a server that keeps saying "more" cannot hold a caller
/// forever: a million owners at the default page size.
const MAX_OWNER_PAGES: usize = 10_000;

/// A team an owner belongs to (`PublicTeam`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    pub id: String,
    pub name: String,
    /// The owner's main team; HubSpot marks at most one.
    pub primary: bool,
}

/// One owner (`PublicOwner`): a user, or a queue (`owner_type` `QUEUE`, no email or user id).
/// Date-times are epoch milliseconds, UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// A string in HubSpot's JSON (an int32 in the path of the single-owner endpoint).
    pub id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Absent for queues and for archived (deactivated) users.
    pub user_id: Option<i64>,
    /// The user id, kept for deactivated users too.
    pub user_id_including_inactive: Option<i64>,
    /// `PERSON` or `QUEUE`; a future type keeps its name.
    pub owner_type: Option<String>,
    /// In the order HubSpot sends them.
    pub teams: Vec<Team>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub archived: bool,
}

impl Owner {
    /// The name of the team marked primary, if any.
    pub fn primary_team(&self) -> Option<&str> {
        self.teams
            .iter()
            .find(|team| team.primary)
            .map(|team| team.name.as_str())
    }
}

/// What one owners listing asks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OwnerQuery {
    /// `email`: HubSpot matches one address (the sandbox, like addresses, ignoring case).
    pub email: Option<String>,
    /// `archived=true`: only archived owners; `false`: only active ones.
    pub archived: bool,
    /// `limit` of every page.
    pub page_size: u32,
}

impl Default for OwnerQuery {
    fn default() -> Self {
        OwnerQuery {
            email: None,
            archived: false,
            page_size: DEFAULT_OWNER_PAGE_SIZE,
        }
    }
}

impl OwnerQuery {
    /// The query string of one page; `after` is the previous page's cursor.
    fn page_query(&self, after: Option<&str>) -> QueryString {
        let mut qs = QueryString::default();
        qs.push("limit", self.page_size.max(1).to_string());
        if self.archived {
            qs.push("archived", "true");
        }
        if let Some(email) = &self.email {
            qs.push("email", email.clone());
        }
        if let Some(after) = after {
            qs.push("after", after);
        }
        qs
    }
}

impl Client {
    /// Every active owner, or the one with this email address, following every page.
    pub async fn list_owners(&self, email: Option<&str>) -> Result<Vec<Owner>, Error> {
        let query = OwnerQuery {
            email: email.map(str::to_string),
            ..OwnerQuery::default()
        };
        self.list_owners_matching(&query).await
    }

    /// Every owner the query selects, following every page; an owner id already delivered
    /// is not delivered again, should the list change between two pages.
    pub async fn list_owners_matching(&self, query: &OwnerQuery) -> Result<Vec<Owner>, Error> {
        let mut owners = Vec::new();
        let mut seen = HashSet::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_OWNER_PAGES {
            let listing: Collection<OwnerWire> = self
                .transport()
                .get_json(OWNERS_PATH, &query.page_query(after.as_deref()))
                .await?;
            let next = next_cursor(&listing, after.as_deref())?;
            for owner in listing.results {
                let owner = owner.into_owner()?;
                if seen.insert(owner.id.clone()) {
                    owners.push(owner);
                }
            }
            match next {
                Some(cursor) => after = Some(cursor),
                None => return Ok(owners),
            }
        }
        Err(Error::new(
            ErrorKind::Decode,
            "the owners listing did not end after the maximum number of pages",
        ))
    }

    /// `GET path?query` of the first request of an owners listing, as plans show it.
    pub fn owners_request_target(query: &OwnerQuery) -> String {
        format!("GET {OWNERS_PATH}?{}", query.page_query(None).encoded())
    }
}

/// The `after` cursor of the next page. The owners listing pages forward only (the spec's
/// `ForwardPaging`), so an offset would have nowhere to go and ends the listing.
fn next_cursor<T>(listing: &Collection<T>, sent: Option<&str>) -> Result<Option<String>, Error> {
    let Some(PageToken::After(next)) = listing.next_page() else {
        return Ok(None);
    };
    if sent == Some(next.as_str()) {
        return Err(Error::new(
            ErrorKind::Decode,
            "HubSpot returned the same owners cursor twice; the listing would never end",
        ));
    }
    Ok(Some(next))
}

/// `PublicOwner` as sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnerWire {
    #[serde(default, deserialize_with = "lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    email: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    first_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    last_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_i64")]
    user_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    user_id_including_inactive: Option<i64>,
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    owner_type: Option<String>,
    #[serde(default = "Vec::new", deserialize_with = "null_as_empty")]
    teams: Vec<TeamWire>,
    #[serde(default, deserialize_with = "lenient_time")]
    created_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_time")]
    updated_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_bool")]
    archived: Option<bool>,
}

impl OwnerWire {
    fn into_owner(self) -> Result<Owner, Error> {
        let id = self.id.filter(|id| !id.is_empty()).ok_or_else(|| {
            Error::new(ErrorKind::Decode, "HubSpot returned an owner without an id")
        })?;
        Ok(Owner {
            id,
            email: self.email.filter(|e| !e.is_empty()),
            first_name: self.first_name,
            last_name: self.last_name,
            user_id: self.user_id,
            user_id_including_inactive: self.user_id_including_inactive,
            owner_type: self.owner_type,
            teams: self.teams.into_iter().map(TeamWire::into_team).collect(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            archived: self.archived.unwrap_or(false),
        })
    }
}

/// `PublicTeam` as sent.
#[derive(Debug, Deserialize)]
struct TeamWire {
    #[serde(default, deserialize_with = "lenient_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    primary: Option<bool>,
}

impl TeamWire {
    fn into_team(self) -> Team {
        Team {
            id: self.id.unwrap_or_default(),
            name: self.name.unwrap_or_default(),
            primary: self.primary.unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn owner(body: Value) -> Result<Owner, Error> {
        serde_json::from_value::<OwnerWire>(body)
            .unwrap()
            .into_owner()
    }

    #[test]
    fn spec_example_owner_is_read() {
        let owner = owner(json!({
            "archived": false, "createdAt": "2019-10-30T03:30:17.883Z",
            "email": "jsmith@example.com", "firstName": "John", "id": "6166860",
            "lastName": "Smith", "updatedAt": "2019-12-07T16:50:06.678Z", "userId": 1296619,
            "teams": [
                {"id": "178588", "name": "West Coast Sales", "primary": true},
                {"id": "178590", "name": "California Sales", "primary": false}
            ]
        }))
        .unwrap();
        assert_eq!(owner.id, "6166860");
        assert_eq!(owner.user_id, Some(1_296_619));
        assert_eq!(owner.created_at, Some(1_572_406_217_883));
        assert_eq!(owner.primary_team(), Some("West Coast Sales"));
        assert_eq!(owner.teams[1].name, "California Sales");
        assert!(!owner.archived && owner.owner_type.is_none());
    }

    #[test]
    fn numeric_ids_string_user_ids_and_unknown_fields_are_accepted() {
        let owner = owner(json!({
            "id": 42, "userId": "7", "userIdIncludingInactive": 7, "type": "QUEUE",
            "teams": null, "archived": "true", "createdAt": 1_700_000_000_000_i64,
            "somethingNew": {"x": 1}
        }))
        .unwrap();
        assert_eq!((owner.id.as_str(), owner.user_id), ("42", Some(7)));
        assert_eq!(owner.owner_type.as_deref(), Some("QUEUE"));
        assert!(owner.archived && owner.teams.is_empty() && owner.email.is_none());
        assert_eq!(owner.primary_team(), None);
    }

    #[test]
    fn an_owner_without_id_is_a_decode_error() {
        let error = owner(json!({"email": "a@example.com"})).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Decode);
    }

    #[test]
    fn page_queries_send_archived_only_when_true_and_encode_the_cursor() {
        let query = OwnerQuery {
            email: Some("a+b@example.com".into()),
            archived: true,
            page_size: 2,
        };
        assert_eq!(
            query.page_query(Some("ab+/=")).encoded(),
            "limit=2&archived=true&email=a%2Bb%40example.com&after=ab%2B%2F%3D"
        );
        assert_eq!(
            Client::owners_request_target(&OwnerQuery::default()),
            "GET /crm/v3/owners?limit=100"
        );
    }
}
