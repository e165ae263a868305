//! Bearer tokens on PostgreSQL, as `store/tokens.rs` keeps them in SQLite: SHA-256 hashes
//! with their kind and sites; added, revoked, listed, and looked up by hash on every request
//! (never cached, so a revocation made through one collector holds on all of them at their
//! next request).

use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::{PgError, PgStore, sql};
use crate::auth::{SiteScope, StoredToken, TokenKind};
use crate::model::TokenInfo;

/// The columns [`stored_token`] reads.
const TOKEN_COLUMNS: &str = "pk, name, kind, all_sites, hash";

/// The unique index that keeps active names unique.
const ACTIVE_NAME_INDEX: &str = "tokens_active_name";

use crate::store::from_unix;

/// A stored token kind; one this build does not know is an error naming it.
fn kind_of(text: &str) -> Result<TokenKind, PgError> {
    TokenKind::parse(text).ok_or_else(|| PgError::BadValue {
        what: "reading tokens",
        detail: format!("{text:?} is not a token kind (agent, read_only)"),
    })
}

/// A token's sites, by name.
async fn token_sites(
    client: &impl deadpool_postgres::GenericClient,
    pk: i64,
) -> Result<Vec<String>, PgError> {
    let rows = client
        .query(
            "SELECT site FROM token_sites WHERE token_pk = $1 ORDER BY site",
            &[&pk],
        )
        .await
        .map_err(sql("reading a token's sites"))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

async fn scope(
    client: &impl deadpool_postgres::GenericClient,
    pk: i64,
    all_sites: bool,
) -> Result<SiteScope, PgError> {
    Ok(if all_sites {
        SiteScope::All
    } else {
        SiteScope::Only(token_sites(client, pk).await?)
    })
}

/// A `tokens` row as a [`StoredToken`]; None (with a warning) for a malformed row, which then
/// matches nothing.
async fn stored_token(
    client: &impl deadpool_postgres::GenericClient,
    row: &Row,
) -> Result<Option<StoredToken>, PgError> {
    let (pk, name, kind, all_sites, hash): (i64, String, String, bool, Vec<u8>) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    let (Some(kind), Ok(hash)) = (TokenKind::parse(&kind), <[u8; 32]>::try_from(hash)) else {
        tracing::warn!(message = "Skipping a malformed token row.", token = %name);
        return Ok(None);
    };
    let scope = scope(client, pk, all_sites).await?;
    Ok(Some(StoredToken {
        name,
        kind,
        scope,
        hash,
    }))
}

impl PgStore {
    /// The active token with this hash (SHA-256 of the presented token), if any: one indexed
    /// lookup, however many tokens exist.
    pub async fn active_token_by_hash(
        &self,
        hash: &[u8; 32],
    ) -> Result<Option<StoredToken>, PgError> {
        let client = self.client("looking up a token").await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1 AND revoked_at IS NULL"
                ),
                &[&&hash[..]],
            )
            .await
            .map_err(sql("looking up a token"))?;
        match row {
            Some(row) => stored_token(&client, &row).await,
            None => Ok(None),
        }
    }

    /// Adds a token (its hash only). Fails if an active token has the same name, also when
    /// another collector adds one of that name at the same moment (the unique index decides).
    pub async fn add_token(
        &self,
        name: &str,
        kind: TokenKind,
        scope: &SiteScope,
        hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<(), PgError> {
        let mut client = self.client("adding a token").await?;
        let tx = client
            .transaction()
            .await
            .map_err(sql("starting the token transaction"))?;
        let inserted = tx
            .query_one(
                "INSERT INTO tokens (name, kind, all_sites, hash, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING pk",
                &[
                    &name,
                    &kind.as_str(),
                    &matches!(scope, SiteScope::All),
                    &&hash[..],
                    &now.unix_timestamp(),
                ],
            )
            .await;
        let pk: i64 = match inserted {
            Ok(row) => row.get(0),
            Err(e)
                if e.code() == Some(&SqlState::UNIQUE_VIOLATION)
                    && e.as_db_error().and_then(|d| d.constraint()) == Some(ACTIVE_NAME_INDEX) =>
            {
                return Err(PgError::TokenNameTaken(name.to_string()));
            }
            Err(e) => return Err(sql("inserting the token")(e)),
        };
        if let SiteScope::Only(sites) = scope {
            for site in sites {
                tx.execute(
                    "INSERT INTO token_sites (token_pk, site) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &[&pk, site],
                )
                .await
                .map_err(sql("inserting the token's sites"))?;
            }
        }
        tx.commit().await.map_err(sql("committing the token"))
    }

    /// Revokes the active token named `name`. Returns false when there is none.
    pub async fn revoke_token(&self, name: &str, now: OffsetDateTime) -> Result<bool, PgError> {
        let client = self.client("revoking a token").await?;
        let n = client
            .execute(
                "UPDATE tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                &[&name, &now.unix_timestamp()],
            )
            .await
            .map_err(sql("revoking the token"))?;
        Ok(n > 0)
    }

    /// Every active (unrevoked) token, for matching a request.
    pub async fn active_tokens(&self) -> Result<Vec<StoredToken>, PgError> {
        let client = self.client("reading tokens").await?;
        let rows = client
            .query(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE revoked_at IS NULL"),
                &[],
            )
            .await
            .map_err(sql("reading tokens"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.extend(stored_token(&client, row).await?);
        }
        Ok(out)
    }

    /// Every token ever made, revoked ones too, by name.
    pub async fn list_tokens(&self) -> Result<Vec<TokenInfo>, PgError> {
        let client = self.client("listing tokens").await?;
        let rows = client
            .query(
                "SELECT pk, name, kind, all_sites, created_at, revoked_at FROM tokens
                 ORDER BY name, created_at, pk",
                &[],
            )
            .await
            .map_err(sql("listing tokens"))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let kind: String = row.get(2);
            let revoked: Option<i64> = row.get(5);
            out.push(TokenInfo {
                name: row.get(1),
                kind: kind_of(&kind)?,
                scope: scope(&client, row.get(0), row.get(3)).await?,
                created_at: from_unix(row.get(4)),
                revoked_at: revoked.map(from_unix),
            });
        }
        Ok(out)
    }
}
