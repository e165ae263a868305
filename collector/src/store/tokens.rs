//! Bearer tokens: stored as SHA-256 hashes with their kind and sites; added, revoked,
//! listed, and looked up by hash on every request.

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;

use super::*;
use crate::auth::StoredToken;

/// A `tokens` row (pk, name, kind, all_sites, hash) as a [`StoredToken`]; None (with a
/// warning) for a malformed row, which then matches nothing.
pub(super) fn stored_token(
    conn: &Connection,
    (pk, name, kind, all_sites, hash): (i64, String, String, bool, Vec<u8>),
) -> Result<Option<StoredToken>, StoreError> {
    let (Some(kind), Ok(hash)) = (TokenKind::parse(&kind), <[u8; 32]>::try_from(hash)) else {
        tracing::warn!(message = "Skipping a malformed token row.", token = %name);
        return Ok(None);
    };
    let scope = scope(conn, pk, all_sites)?;
    Ok(Some(StoredToken {
        name,
        kind,
        scope,
        hash,
    }))
}

/// A token's sites: all of them, or those in `token_sites`.
fn scope(conn: &Connection, pk: i64, all_sites: bool) -> Result<SiteScope, StoreError> {
    Ok(if all_sites {
        SiteScope::All
    } else {
        SiteScope::Only(token_sites(conn, pk)?)
    })
}

/// Every row of a query without parameters, each mapped by `f`.
fn all_rows<T>(
    conn: &Connection,
    query: &str,
    what: &'static str,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(query).map_err(sql(what))?;
    stmt.query_map([], f)
        .map_err(sql(what))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql(what))
}

/// A stored token kind; one this build does not know is an error naming it.
fn kind_at(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<TokenKind> {
    let text: String = r.get(idx)?;
    TokenKind::parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("{text:?} is not a token kind (agent, read_only)").into(),
        )
    })
}

pub(super) fn token_sites(conn: &Connection, pk: i64) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT site FROM token_sites WHERE token_pk = ?1 ORDER BY site")
        .map_err(sql("reading a token's sites"))?;
    stmt.query_map(params![pk], |r| r.get(0))
        .map_err(sql("reading a token's sites"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("reading a token's sites"))
}

impl Store {
    /// The active token with this hash (SHA-256 of the presented token), if any: one indexed
    /// lookup, however many tokens exist.
    pub fn active_token_by_hash(&self, hash: &[u8; 32]) -> Result<Option<StoredToken>, StoreError> {
        let conn = self.read();
        let row: Option<(i64, String, String, bool, Vec<u8>)> = conn
            .prepare_cached(
                "SELECT pk, name, kind, all_sites, hash FROM tokens
                 WHERE hash = ?1 AND revoked_at IS NULL",
            )
            .and_then(|mut st| {
                st.query_row(params![&hash[..]], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()
            })
            .map_err(sql("looking up a token"))?;
        match row {
            Some(row) => stored_token(&conn, row),
            None => Ok(None),
        }
    }

    /// Adds a token (its hash only). Fails if an active token has the same name.
    pub fn add_token(
        &self,
        name: &str,
        kind: TokenKind,
        scope: &SiteScope,
        hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("starting the token transaction"))?;
        let taken: bool = tx
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM tokens WHERE name = ?1 AND revoked_at IS NULL)",
                params![name],
                |r| r.get(0),
            )
            .map_err(sql("checking the token name"))?;
        if taken {
            return Err(StoreError::TokenNameTaken(name.to_string()));
        }
        tx.execute(
            "INSERT INTO tokens (name, kind, all_sites, hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                name,
                kind.as_str(),
                matches!(scope, SiteScope::All),
                &hash[..],
                now.unix_timestamp()
            ],
        )
        .map_err(sql("inserting the token"))?;
        let pk = tx.last_insert_rowid();
        if let SiteScope::Only(sites) = scope {
            for site in sites {
                tx.execute(
                    "INSERT OR IGNORE INTO token_sites (token_pk, site) VALUES (?1, ?2)",
                    params![pk, site],
                )
                .map_err(sql("inserting the token's sites"))?;
            }
        }
        tx.commit().map_err(sql("committing the token"))
    }

    /// Revokes the active token named `name`. Returns false when there is none.
    pub fn revoke_token(&self, name: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let n = lock(&self.writer)
            .execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
                params![name, now.unix_timestamp()],
            )
            .map_err(sql("revoking the token"))?;
        Ok(n > 0)
    }

    /// Every active (unrevoked) token, for matching a request.
    pub fn active_tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        let conn = self.read();
        let rows = all_rows(
            &conn,
            "SELECT pk, name, kind, all_sites, hash FROM tokens WHERE revoked_at IS NULL",
            "reading tokens",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.extend(stored_token(&conn, row)?);
        }
        Ok(out)
    }

    /// Every token ever made, revoked ones too, by name.
    pub fn list_tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let conn = self.read();
        let rows = all_rows(
            &conn,
            "SELECT pk, name, kind, all_sites, created_at, revoked_at FROM tokens
             ORDER BY name, created_at",
            "listing tokens",
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    kind_at(r, 2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for (pk, name, kind, all_sites, created, revoked) in rows {
            let scope = scope(&conn, pk, all_sites)?;
            out.push(TokenInfo {
                name,
                kind,
                scope,
                created_at: from_unix(created),
                revoked_at: revoked.map(from_unix),
            });
        }
        Ok(out)
    }
}
