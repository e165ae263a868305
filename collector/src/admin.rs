//! What `lanready-collector token add` does, apart from printing: checks the name and
//! sites, picks the token kind and scope, makes the token and stores its hash.

use time::OffsetDateTime;

use crate::auth::{SiteScope, Token, TokenKind};
use crate::store::{Store, StoreError};
use crate::validate;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("token name must be 1-100 characters without control characters")]
    BadName,
    #[error("--sites: {reason}: {site:?}")]
    BadSite { site: String, reason: String },
    #[error("an agent token needs --sites S1,S2 (or use --read-only for a reading token)")]
    AgentWithoutSites,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new token request.
pub struct NewToken<'a> {
    pub name: &'a str,
    pub sites: &'a [String],
    pub read_only: bool,
}

/// Makes and stores a token; returns it (the only time it exists in plain form) and its kind.
pub fn add_token(
    store: &Store,
    req: &NewToken<'_>,
    now: OffsetDateTime,
) -> Result<(Token, TokenKind), AdminError> {
    let name = req.name;
    if name.trim().is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AdminError::BadName);
    }
    for s in req.sites {
        validate::site_name(s).map_err(|reason| AdminError::BadSite {
            site: s.clone(),
            reason,
        })?;
    }
    let kind = if req.read_only {
        TokenKind::ReadOnly
    } else {
        TokenKind::Agent
    };
    let scope = match (kind, req.sites.is_empty()) {
        (TokenKind::Agent, true) => return Err(AdminError::AgentWithoutSites),
        (TokenKind::ReadOnly, true) => SiteScope::All,
        (_, false) => SiteScope::Only(req.sites.to_vec()),
    };
    let token = Token::generate();
    store.add_token(name, kind, &scope, &token.hash(), now)?;
    Ok((token, kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::match_token;
    use crate::testutil::t;

    #[test]
    fn adds_agent_and_reader_tokens_and_refuses_bad_requests() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("c.db")).unwrap();
        let sites = vec!["hq".to_string(), "dc".to_string()];
        let add = |name: &str, sites: &[String], read_only| {
            add_token(
                &store,
                &NewToken {
                    name,
                    sites,
                    read_only,
                },
                t(0),
            )
        };
        let (agent, kind) = add("station", &sites, false).unwrap();
        assert_eq!(kind, TokenKind::Agent);
        let (reader, kind) = add("ci", &[], true).unwrap();
        assert_eq!(kind, TokenKind::ReadOnly);
        let active = store.active_tokens().unwrap();
        let a = match_token(&agent, &active).unwrap();
        assert!(a.may_post("dc") && !a.may_post("other"));
        let r = match_token(&reader, &active).unwrap();
        assert!(r.may_read("anything") && !r.may_post("hq"));

        assert!(matches!(
            add("x", &[], false),
            Err(AdminError::AgentWithoutSites)
        ));
        assert!(matches!(add("", &sites, false), Err(AdminError::BadName)));
        assert!(matches!(
            add("a\nb", &sites, false),
            Err(AdminError::BadName)
        ));
        let bad = vec!["ok".to_string(), "../x".to_string()];
        let err = add("y", &bad, false).unwrap_err();
        assert!(err.to_string().contains("\"../x\""), "{err}");
        assert!(matches!(
            add("station", &sites, false),
            Err(AdminError::Store(StoreError::TokenNameTaken(_)))
        ));
        assert_eq!(
            store.active_tokens().unwrap().len(),
            2,
            "nothing stored for a refusal"
        );
    }
}
