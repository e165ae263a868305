//! The collector's store on PostgreSQL, for several collectors over one database (issue 15):
//! a connection pool (deadpool-postgres over tokio-postgres, TLS by rustls as `sslmode`
//! says), the schema migrated under an advisory lock, and so far the tokens and the storing
//! and reading back of reports.
//!
//! This store is async, unlike the SQLite [`Store`](super::Store): its methods are awaited
//! on the runtime, and a caller on a blocking thread (the API's `state.db(|s| ...)`) runs
//! them with `Handle::block_on`. Every write is one transaction on one pooled connection
//! and is committed (with `synchronous_commit` on) before the method returns: PostgreSQL's
//! own group commit takes the place of the SQLite writer thread.
//!
//! What several collectors share is only the database: nothing here caches a token or a
//! report, so a revocation is seen by every collector at its next lookup, and writes that
//! touch one site's summary take a per-site advisory lock ([`SITE_LOCK`]) so two collectors
//! storing reports of one site at once leave its `site_latest` row right.

use std::time::Duration;

use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};

use super::location::PgLocation;

mod migrations;
mod reports;
mod tls;
mod tokens;

pub use migrations::{MIGRATION_LOCK, MIGRATIONS, SCHEMA_VERSION};

/// The first key of the two-key advisory lock a transaction takes on one site (the second
/// is `hashtext(site)`): `lanr` as ASCII.
pub const SITE_LOCK: i32 = 0x6c61_6e72;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("the database is unavailable ({what})")]
    Unavailable {
        what: &'static str,
        #[source]
        source: deadpool_postgres::PoolError,
    },
    #[error("setting up the connection pool")]
    Pool(#[source] deadpool_postgres::BuildError),
    #[error("the TLS configuration for the database cannot be made")]
    TlsConfig(#[source] rustls::Error),
    #[error("reading sslrootcert {path}: {reason}")]
    RootCert {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("migrating the database to schema version {version}")]
    Migrate {
        version: u32,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error(
        "the database has schema version {found}, newer than this lanready-collector knows ({known}); use a newer build"
    )]
    NewerSchema { found: u32, known: u32 },
    #[error("{what}")]
    Sql {
        what: &'static str,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("{what}: {detail}")]
    BadValue { what: &'static str, detail: String },
    #[error("stored report {report_id} cannot be read back")]
    Corrupt {
        report_id: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("summary of site {site} cannot be written")]
    CorruptSummary {
        site: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("an active token named {0:?} already exists; revoke it first or pick another name")]
    TokenNameTaken(String),
}

fn sql(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> PgError {
    move |source| PgError::Sql { what, source }
}

/// How the pool behaves.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    /// Connections this collector holds at most (PostgreSQL's `max_connections` is shared
    /// by every collector).
    pub max_connections: usize,
    /// Longest a call waits for a free connection, or for a new one to be made, before
    /// failing as [`PgError::Unavailable`] (what the API answers 503 for).
    pub wait: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            wait: Duration::from_secs(5),
        }
    }
}

/// The store on PostgreSQL. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// Connects to `location` and migrates its schema. Call on a tokio runtime.
    pub async fn open(location: &PgLocation, settings: &PoolSettings) -> Result<PgStore, PgError> {
        let tls = tls::connector(location)?;
        let manager = Manager::from_config(
            location.config().clone(),
            tls,
            ManagerConfig {
                // A connection whose session ended (a database restart) is noticed by its
                // closed channel; one that broke silently fails its next statement once.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(settings.wait))
            .create_timeout(Some(settings.wait))
            .recycle_timeout(Some(settings.wait))
            .post_create(Hook::async_fn(|client, _| {
                Box::pin(async move { durable_commits(client).await.map_err(HookError::Backend) })
            }))
            .build()
            .map_err(PgError::Pool)?;
        let store = PgStore { pool };
        let mut client = store.client("connecting to migrate").await?;
        migrations::migrate(&mut client).await?;
        Ok(store)
    }

    /// A pooled connection.
    async fn client(&self, what: &'static str) -> Result<deadpool_postgres::Object, PgError> {
        self.pool
            .get()
            .await
            .map_err(|source| PgError::Unavailable { what, source })
    }

    /// The schema version of the database (the highest applied).
    pub async fn schema_version(&self) -> Result<u32, PgError> {
        let client = self.client("reading the schema version").await?;
        let v: i32 = client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .await
            .map_err(sql("reading the schema version"))?
            .get(0);
        Ok(u32::try_from(v).unwrap_or(0))
    }
}

/// A new connection's commits wait for the disk: a report is durable before its 2xx. A
/// database or role configured with `synchronous_commit = off` is overridden for this
/// session (any other value, `local` up to `remote_apply`, is durable here and kept).
async fn durable_commits(client: &tokio_postgres::Client) -> Result<(), tokio_postgres::Error> {
    let row = client
        .query_one("SELECT current_setting('synchronous_commit')", &[])
        .await?;
    let mode: String = row.get(0);
    if mode == "off" {
        tracing::warn!(
            message = "The database has synchronous_commit off; this collector turns it on for its sessions."
        );
        client.batch_execute("SET synchronous_commit = on").await?;
    }
    Ok(())
}

/// A stored number that must fit the type it is read as.
fn fit<T: TryFrom<i32>>(what: &'static str, v: i32) -> Result<T, PgError> {
    T::try_from(v).map_err(|_| PgError::BadValue {
        what,
        detail: format!("{v} is out of range"),
    })
}

#[cfg(test)]
mod tests;
