//! Where the collector's data is: a SQLite file, or a PostgreSQL database named by a
//! `postgres://` / `postgresql://` URL, from `--db` or from `LANREADY_DATABASE_URL`.
//!
//! A password belongs in `LANREADY_DATABASE_URL` only: a command line is readable by every
//! user of the machine (`ps`), so a URL with a password in `--db` is refused. A URL is shown
//! (`Display`, `Debug`, errors) with its password replaced by `<secret>`.
//!
//! The query may hold libpq's `sslmode` (`disable`, `prefer` (the default), `require`,
//! `verify-ca`, `verify-full`) and `sslrootcert` (a PEM file of the CA certificates
//! `verify-ca` and `verify-full` trust, which they require); `prefer` and `require` encrypt
//! but, as in libpq, do not authenticate the server. Every other parameter is
//! tokio-postgres's (`connect_timeout`, `application_name`, `options`, ...).

use std::ffi::OsStr;
use std::fmt;
use std::path::PathBuf;

/// The environment variable that gives a database URL with its password.
pub const DATABASE_URL_ENV: &str = "LANREADY_DATABASE_URL";

/// The collector's database.
#[derive(Clone)]
pub enum Database {
    /// A SQLite file (created by `serve` and `token add` when missing).
    Sqlite(PathBuf),
    Postgres(Box<PgLocation>),
}

/// A PostgreSQL database: the connection settings (with the password, never shown), how
/// TLS is used, and the CA file `verify-ca`/`verify-full` check the server against.
#[derive(Clone)]
pub struct PgLocation {
    config: tokio_postgres::Config,
    ssl_mode: SslMode,
    root_cert: Option<PathBuf>,
}

/// libpq's `sslmode`, as far as the collector honours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP only.
    Disable,
    /// TLS when the server offers it, else plain; the server is not authenticated.
    Prefer,
    /// TLS or no connection; the server is not authenticated.
    Require,
    /// TLS with a certificate chain to `sslrootcert`; any host name.
    VerifyCa,
    /// TLS with a certificate chain to `sslrootcert` naming the host connected to.
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    /// Whether the server's certificate is checked against `sslrootcert`.
    pub fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// Where a database location came from, for errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Argument,
    Environment,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Argument => "--db",
            Origin::Environment => DATABASE_URL_ENV,
        })
    }
}

/// Why a database location was refused. None of these repeats the URL (it may hold a
/// password).
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum LocationError {
    #[error(
        "no database: give --db with a SQLite file or a postgres:// URL, or set {DATABASE_URL_ENV}"
    )]
    Missing,
    #[error("{0} is empty")]
    Empty(Origin),
    #[error(
        "{origin} is a {scheme}:// URL; a database is a SQLite file path or a postgres:// or postgresql:// URL"
    )]
    Scheme { origin: Origin, scheme: String },
    #[error(
        "{DATABASE_URL_ENV} must be a postgres:// or postgresql:// URL (a SQLite file is given with --db)"
    )]
    EnvNotUrl,
    #[error("the database URL in {origin} is malformed: {reason}")]
    Malformed { origin: Origin, reason: String },
    #[error("the database URL in {0} names no host")]
    NoHost(Origin),
    #[error(
        "the database URL in --db holds a password, which any user of this machine can read (ps): give the URL in {DATABASE_URL_ENV} instead"
    )]
    PasswordInArgument,
    #[error(
        "sslmode {0:?} in the database URL is not one of disable, prefer, require, verify-ca, verify-full"
    )]
    SslMode(String),
    #[error(
        "sslmode={0} needs sslrootcert=FILE in the database URL: the PEM file of the CA certificates the server's certificate is checked against"
    )]
    NeedsRootCert(&'static str),
}

impl Database {
    /// The database from `--db` (`arg`) and `LANREADY_DATABASE_URL` (`env`; empty counts as
    /// unset). `--db` wins when both are given.
    pub fn resolve(arg: Option<&OsStr>, env: Option<&str>) -> Result<Database, LocationError> {
        match (arg, env.filter(|e| !e.is_empty())) {
            (Some(arg), _) => Database::from_arg(arg),
            (None, Some(url)) => Database::from_env(url),
            (None, None) => Err(LocationError::Missing),
        }
    }

    /// As [`Database::resolve`], reading `LANREADY_DATABASE_URL` from the environment.
    pub fn from_cli(arg: Option<&OsStr>) -> Result<Database, LocationError> {
        let env = std::env::var(DATABASE_URL_ENV).ok();
        Database::resolve(arg, env.as_deref())
    }

    /// `--db`: a URL (without a password) or a SQLite path.
    pub fn from_arg(arg: &OsStr) -> Result<Database, LocationError> {
        if arg.is_empty() {
            return Err(LocationError::Empty(Origin::Argument));
        }
        let Some(text) = arg.to_str() else {
            // Not UTF-8: no URL, so a file name.
            return Ok(Database::Sqlite(PathBuf::from(arg)));
        };
        match url_scheme(text) {
            None => Ok(Database::Sqlite(PathBuf::from(arg))),
            Some(_) => {
                let pg = PgLocation::parse(text, Origin::Argument)?;
                if pg.config.get_password().is_some() {
                    return Err(LocationError::PasswordInArgument);
                }
                Ok(Database::Postgres(Box::new(pg)))
            }
        }
    }

    /// `LANREADY_DATABASE_URL`: a URL, which may hold a password.
    pub fn from_env(url: &str) -> Result<Database, LocationError> {
        if url.is_empty() {
            return Err(LocationError::Empty(Origin::Environment));
        }
        if url_scheme(url).is_none() {
            return Err(LocationError::EnvNotUrl);
        }
        PgLocation::parse(url, Origin::Environment).map(|pg| Database::Postgres(Box::new(pg)))
    }
}

/// The scheme of something that looks like a URL (`word://`), lowercased; None for a path.
fn url_scheme(text: &str) -> Option<String> {
    let (scheme, _) = text.split_once("://")?;
    let is_scheme = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then(|| scheme.to_ascii_lowercase())
}

impl PgLocation {
    /// Parses a `postgres://` or `postgresql://` URL (the scheme in any case).
    pub fn parse(url: &str, origin: Origin) -> Result<PgLocation, LocationError> {
        let scheme = url_scheme(url).unwrap_or_default();
        if scheme != "postgres" && scheme != "postgresql" {
            return Err(LocationError::Scheme { origin, scheme });
        }
        let rest = &url[scheme.len() + 3..];
        let (base, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        // sslmode and sslrootcert are taken out here (tokio-postgres knows only disable,
        // prefer and require, and leaves certificates to the TLS connector); the rest of the
        // query goes to tokio-postgres as it was.
        let mut ssl_mode = SslMode::Prefer;
        let mut root_cert = None;
        let mut kept: Vec<&str> = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decode(key, origin)?.as_str() {
                "sslmode" => {
                    let value = decode(value, origin)?;
                    ssl_mode = SslMode::parse(&value).ok_or(LocationError::SslMode(value))?;
                }
                "sslrootcert" => root_cert = Some(PathBuf::from(decode(value, origin)?)),
                _ if pair.is_empty() => {}
                _ => kept.push(pair),
            }
        }
        let mut rebuilt = format!("postgresql://{base}");
        if !kept.is_empty() {
            rebuilt.push('?');
            rebuilt.push_str(&kept.join("&"));
        }
        let mut config: tokio_postgres::Config =
            rebuilt
                .parse()
                .map_err(|e: tokio_postgres::Error| LocationError::Malformed {
                    origin,
                    reason: malformed_reason(&e),
                })?;
        if config.get_hosts().is_empty() {
            return Err(LocationError::NoHost(origin));
        }
        if ssl_mode.verifies() && root_cert.is_none() {
            return Err(LocationError::NeedsRootCert(ssl_mode.as_str()));
        }
        config.ssl_mode(match ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
        if config.get_application_name().is_none() {
            config.application_name("lanready-collector");
        }
        Ok(PgLocation {
            config,
            ssl_mode,
            root_cert,
        })
    }

    /// The connection settings, password included: for the driver only.
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    pub fn root_cert(&self) -> Option<&std::path::Path> {
        self.root_cert.as_deref()
    }

    pub fn has_password(&self) -> bool {
        self.config.get_password().is_some()
    }
}

/// What tokio-postgres said was wrong, without any part of the URL.
fn malformed_reason(e: &tokio_postgres::Error) -> String {
    // Its parse errors name the option or the fault ("invalid value for option `port`"),
    // never the text they were given.
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    reason
}

fn decode(text: &str, origin: Origin) -> Result<String, LocationError> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| LocationError::Malformed {
            origin,
            reason: "a query parameter is not UTF-8 once percent-decoded".into(),
        })
}

impl fmt::Display for PgLocation {
    /// `postgresql://USER:<secret>@HOST:PORT/DBNAME?sslmode=MODE`: never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.config;
        f.write_str("postgresql://")?;
        if let Some(user) = c.get_user() {
            f.write_str(user)?;
            if c.get_password().is_some() {
                f.write_str(":<secret>")?;
            }
            f.write_str("@")?;
        }
        let ports = c.get_ports();
        for (i, host) in c.get_hosts().iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match host {
                tokio_postgres::config::Host::Tcp(h) if h.contains(':') => write!(f, "[{h}]")?,
                tokio_postgres::config::Host::Tcp(h) => f.write_str(h)?,
                tokio_postgres::config::Host::Unix(p) => write!(f, "{}", p.display())?,
            }
            if let Some(port) = ports.get(i).or(ports.first()) {
                write!(f, ":{port}")?;
            }
        }
        write!(f, "/{}", c.get_dbname().unwrap_or(""))?;
        write!(f, "?sslmode={}", self.ssl_mode.as_str())?;
        if let Some(root) = &self.root_cert {
            write!(f, "&sslrootcert={}", root.display())?;
        }
        Ok(())
    }
}

impl fmt::Debug for PgLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgLocation({self})")
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "{}", p.display()),
            Database::Postgres(pg) => pg.fmt(f),
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "Sqlite({})", p.display()),
            Database::Postgres(pg) => write!(f, "Postgres({pg})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(s: &str) -> Result<Database, LocationError> {
        Database::resolve(Some(OsStr::new(s)), None)
    }

    /// A URL parses to what `Display` shows.
    fn check(url: &str, expected: &str) {
        let db = Database::from_env(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(db.to_string(), expected, "{url}");
    }

    #[test]
    fn urls_parse_and_show_without_the_password() {
        check(
            "postgres://lanready:hunter2@db.example:5433/collector",
            "postgresql://lanready:<secret>@db.example:5433/collector?sslmode=prefer",
        );
        check(
            "postgresql://lanready:p%40ss%3Aw0rd@10.0.0.5/lr?sslmode=require",
            "postgresql://lanready:<secret>@10.0.0.5:5432/lr?sslmode=require",
        );
        check(
            "POSTGRES://u@a:1,b:2/d?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=5",
            "postgresql://u@a:1,b:2/d?sslmode=verify-full&sslrootcert=/etc/ca.pem",
        );
        check(
            "postgres://u@[::1]:5432/d?sslmode=disable",
            "postgresql://u@[::1]:5432/d?sslmode=disable",
        );
        check(
            "postgres://u@%2Frun%2Fpostgresql/d",
            "postgresql://u@/run/postgresql:5432/d?sslmode=prefer",
        );
    }

    #[test]
    fn the_password_reaches_the_driver_and_nothing_else() {
        let url = "postgres://lanready:s3cr%2Ft@127.0.0.1:5432/d?password_is=not_here";
        let err = Database::from_env(url).unwrap_err();
        assert!(matches!(err, LocationError::Malformed { .. }), "{err}");
        assert!(!err.to_string().contains("s3cr"), "{err}");
        let Database::Postgres(pg) =
            Database::from_env("postgres://lanready:s3cr%2Ft@h/d").unwrap()
        else {
            panic!("a URL is PostgreSQL")
        };
        assert_eq!(pg.config().get_password(), Some(&b"s3cr/t"[..]));
        assert!(pg.has_password());
        for shown in [
            format!("{pg}"),
            format!("{pg:?}"),
            format!("{:?}", Database::Postgres(pg.clone())),
        ] {
            assert!(!shown.contains("s3cr"), "{shown}");
            assert!(shown.contains("<secret>"), "{shown}");
        }
        assert_eq!(
            pg.config().get_application_name(),
            Some("lanready-collector")
        );
    }

    #[test]
    fn a_password_on_the_command_line_is_refused() {
        for url in [
            "postgres://lanready:hunter2@db/lr",
            "postgres://lanready@db/lr?password=hunter2",
        ] {
            let err = arg(url).unwrap_err();
            assert_eq!(err, LocationError::PasswordInArgument, "{url}");
            assert!(!err.to_string().contains("hunter2"));
            assert!(err.to_string().contains(DATABASE_URL_ENV));
        }
        // Without one, a URL is fine in --db (the password may come from the server's
        // trust rules or a client certificate).
        assert!(matches!(
            arg("postgres://lanready@db/lr"),
            Ok(Database::Postgres(_))
        ));
    }

    #[test]
    fn paths_are_sqlite_and_urls_are_checked() {
        let cases: &[(&str, Result<&str, LocationError>)] = &[
            (
                "/var/lib/lanready/collector.db",
                Ok("Sqlite(/var/lib/lanready/collector.db)"),
            ),
            ("collector.db", Ok("Sqlite(collector.db)")),
            ("./postgres.db", Ok("Sqlite(./postgres.db)")),
            ("", Err(LocationError::Empty(Origin::Argument))),
            (
                "mysql://root@db/x",
                Err(LocationError::Scheme {
                    origin: Origin::Argument,
                    scheme: "mysql".into(),
                }),
            ),
            (
                "sqlite:///var/x.db",
                Err(LocationError::Scheme {
                    origin: Origin::Argument,
                    scheme: "sqlite".into(),
                }),
            ),
            (
                "postgres:///lr",
                Err(LocationError::NoHost(Origin::Argument)),
            ),
            (
                "postgres://u@db/lr?sslmode=verify-everything",
                Err(LocationError::SslMode("verify-everything".into())),
            ),
            (
                "postgres://u@db/lr?sslmode=verify-full",
                Err(LocationError::NeedsRootCert("verify-full")),
            ),
            (
                "postgres://u@db/lr?sslmode=verify-ca",
                Err(LocationError::NeedsRootCert("verify-ca")),
            ),
        ];
        for (input, expected) in cases {
            let got = arg(input).map(|d| format!("{d:?}"));
            assert_eq!(
                got.as_deref().map_err(Clone::clone),
                expected.clone(),
                "{input:?}"
            );
        }
        for bad in [
            "postgres://u@db:notaport/lr",
            "postgres://u@db/lr?no_such_option=1",
            "postgres://u@db/lr?sslmode=%FF",
        ] {
            let err = arg(bad).unwrap_err();
            assert!(
                matches!(
                    err,
                    LocationError::Malformed {
                        origin: Origin::Argument,
                        ..
                    }
                ),
                "{bad}: {err:?}"
            );
            assert!(
                err.to_string()
                    .starts_with("the database URL in --db is malformed")
            );
        }
    }

    #[test]
    fn sslmode_is_kept_and_handed_to_the_driver() {
        let modes = [
            (
                "disable",
                SslMode::Disable,
                tokio_postgres::config::SslMode::Disable,
            ),
            (
                "prefer",
                SslMode::Prefer,
                tokio_postgres::config::SslMode::Prefer,
            ),
            (
                "require",
                SslMode::Require,
                tokio_postgres::config::SslMode::Require,
            ),
            (
                "verify-ca",
                SslMode::VerifyCa,
                tokio_postgres::config::SslMode::Require,
            ),
            (
                "verify-full",
                SslMode::VerifyFull,
                tokio_postgres::config::SslMode::Require,
            ),
        ];
        for (text, ours, drivers) in modes {
            let url = format!("postgres://u@db/lr?sslrootcert=ca.pem&sslmode={text}");
            let Ok(Database::Postgres(pg)) = arg(&url) else {
                panic!("{url}")
            };
            assert_eq!(
                (pg.ssl_mode(), pg.config().get_ssl_mode()),
                (ours, drivers),
                "{url}"
            );
            assert_eq!(pg.root_cert(), Some(std::path::Path::new("ca.pem")));
        }
        let Ok(Database::Postgres(pg)) = arg("postgres://u@db/lr") else {
            panic!()
        };
        assert_eq!(pg.ssl_mode(), SslMode::Prefer, "libpq's default");
    }

    #[test]
    fn the_argument_wins_and_the_environment_holds_urls_only() {
        let env = Some("postgres://lanready:pw@db/lr");
        let db = Database::resolve(Some(OsStr::new("local.db")), env).unwrap();
        assert!(matches!(db, Database::Sqlite(_)));
        assert!(matches!(
            Database::resolve(None, env).unwrap(),
            Database::Postgres(_)
        ));
        assert_eq!(
            Database::resolve(None, Some("")).unwrap_err(),
            LocationError::Missing
        );
        assert_eq!(
            Database::resolve(None, None).unwrap_err(),
            LocationError::Missing
        );
        assert_eq!(
            Database::resolve(None, Some("/var/lib/x.db")).unwrap_err(),
            LocationError::EnvNotUrl
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_path_that_is_not_utf8_is_a_sqlite_file() {
        use std::os::unix::ffi::OsStrExt as _;
        let raw = OsStr::from_bytes(b"/tmp/collector-\xff.db");
        assert!(matches!(
            Database::resolve(Some(raw), None),
            Ok(Database::Sqlite(p)) if p.as_os_str() == raw
        ));
    }
}
