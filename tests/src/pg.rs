//! A throwaway PostgreSQL cluster for one test: `initdb` into a temporary directory, started
//! with `pg_ctl` on a free loopback port (its Unix socket inside that directory too), a login
//! role with a password and a database it owns, stopped on drop.
//!
//! Connections over TCP must give the role's password (`scram-sha-256` in `pg_hba.conf`),
//! so a test that connects proves a password reached the server from its URL; only the
//! setup here, over the cluster's own Unix socket, is trusted. The password never appears
//! on a command line (the setup SQL goes to `psql` on its stdin).
//!
//! The binaries are found with `LANREADY_PG_BINDIR`, else `pg_config --bindir`, else the
//! newest `/usr/lib/postgresql/*/bin`, else `initdb` on the PATH; `.ci/setup` installs
//! Debian's `postgresql`. A missing PostgreSQL is a failure saying how to install it, never a
//! skipped test. PostgreSQL refuses to run as root: as root, every binary runs as the
//! `postgres` user (`LANREADY_PG_USER` to name another) and the directory is given to it.
//!
//! The cluster runs with `fsync=off`: a test may kill the server (that loses nothing, the
//! operating system still holds what was written), not the machine.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The login role tests connect as.
pub const ROLE: &str = "lanready";
/// The database the role owns.
pub const DATABASE: &str = "lanready";

/// How the cluster is started.
#[derive(Clone, Debug, Default)]
pub struct PgOptions {
    /// Serve TLS with this PEM certificate chain and key (`ssl=on`).
    pub tls: Option<TlsFiles>,
    /// Accept TCP connections over TLS only (`hostssl` lines alone in `pg_hba.conf`).
    pub tls_only: bool,
}

/// The server's certificate chain and private key, as PEM text.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert_pem: String,
    pub key_pem: String,
}

/// A running cluster, stopped (`pg_ctl stop -m immediate`) and deleted on drop.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
    port: u16,
    password: String,
}

impl Postgres {
    /// A cluster with password authentication over plain TCP.
    pub fn start() -> Postgres {
        Self::start_with(&PgOptions::default())
    }

    pub fn start_with(options: &PgOptions) -> Postgres {
        let bin = bindir();
        let owner = run_as();
        let dir = tempfile::tempdir().expect("a temp dir for the cluster");
        let password = fresh_password();
        let mut pg = Postgres {
            dir,
            bin,
            owner,
            port: 0,
            password,
        };
        pg.give(pg.dir.path());
        pg.initdb(options);
        let mut last_log = String::new();
        for _attempt in 0..3 {
            pg.port = free_tcp_port();
            let out = pg.run(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    pg.data().as_os_str(),
                    "-l".as_ref(),
                    pg.log_path().as_os_str(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "60".as_ref(),
                    "-o".as_ref(),
                    format!("-p {}", pg.port).as_ref(),
                    "start".as_ref(),
                ],
                None,
            );
            if out.status.success() {
                pg.create_role();
                return pg;
            }
            last_log = pg.log();
        }
        panic!("PostgreSQL did not start after 3 attempts; its log:\n{last_log}");
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The role's password (for tests that build their own URL or check redaction).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// `postgres://lanready:PASSWORD@127.0.0.1:PORT/DATABASE?sslmode=disable`: what a test
    /// passes as `LANREADY_DATABASE_URL`.
    pub fn url(&self, database: &str) -> String {
        self.url_with(database, "sslmode=disable")
    }

    /// As [`Postgres::url`] with another query (`sslmode=verify-full&sslrootcert=...`).
    pub fn url_with(&self, database: &str, query: &str) -> String {
        format!(
            "postgres://{ROLE}:{}@127.0.0.1:{}/{database}?{query}",
            self.password, self.port
        )
    }

    /// A new, empty database owned by [`ROLE`]: one per test case in a shared cluster.
    pub fn create_database(&self, name: &str) {
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "a plain database name: {name}"
        );
        self.psql(&format!("CREATE DATABASE {name} OWNER {ROLE};"));
    }

    /// Runs SQL as the superuser over the cluster's Unix socket, and returns what `psql`
    /// printed (unaligned, tuples only). Panics if it fails.
    pub fn psql(&self, sql: &str) -> String {
        self.psql_in("postgres", sql)
    }

    /// As [`Postgres::psql`], in `database`.
    pub fn psql_in(&self, database: &str, sql: &str) -> String {
        let socket = self.socket_dir();
        let port = self.port.to_string();
        let out = self.run(
            "psql",
            &[
                "-X".as_ref(),
                "-q".as_ref(),
                "-A".as_ref(),
                "-t".as_ref(),
                "-v".as_ref(),
                "ON_ERROR_STOP=1".as_ref(),
                "-h".as_ref(),
                socket.as_os_str(),
                "-p".as_ref(),
                port.as_ref(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "-d".as_ref(),
                database.as_ref(),
            ],
            Some(sql),
        );
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The server's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Stops the server now (`-m fast`: sessions are ended, the shutdown is clean).
    pub fn stop(&self) {
        self.pg_ctl_stop("fast");
    }

    /// Starts a stopped server again on the same port.
    pub fn restart(&self) {
        let out = self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-l".as_ref(),
                self.log_path().as_os_str(),
                "-w".as_ref(),
                "-o".as_ref(),
                format!("-p {}", self.port).as_ref(),
                "start".as_ref(),
            ],
            None,
        );
        assert!(out.status.success(), "restart failed; log:\n{}", self.log());
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn initdb(&self, options: &PgOptions) {
        let out = self.run(
            "initdb",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth-local=trust".as_ref(),
                "--auth-host=scram-sha-256".as_ref(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
                "--no-instructions".as_ref(),
            ],
            None,
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::create_dir(self.socket_dir()).expect("the socket directory");
        self.give(&self.socket_dir());
        let mut conf = format!(
            "\n# lanready test cluster\nlisten_addresses = '127.0.0.1'\n\
             unix_socket_directories = '{}'\nfsync = off\nfull_page_writes = off\n\
             max_connections = 200\nlog_min_messages = warning\n",
            self.socket_dir().display()
        );
        let host = if options.tls_only { "hostssl" } else { "host" };
        let hba = format!(
            "local all all trust\n{host} all all 127.0.0.1/32 scram-sha-256\n\
             {host} all all ::1/128 scram-sha-256\n"
        );
        if let Some(tls) = &options.tls {
            let cert = self.data().join("server.crt");
            let key = self.data().join("server.key");
            std::fs::write(&cert, &tls.cert_pem).expect("writing server.crt");
            write_private(&key, &tls.key_pem);
            self.give(&cert);
            self.give(&key);
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        } else {
            assert!(!options.tls_only, "tls_only needs tls files");
        }
        append(&self.data().join("postgresql.conf"), &conf);
        std::fs::write(self.data().join("pg_hba.conf"), hba).expect("writing pg_hba.conf");
        self.give(&self.data().join("pg_hba.conf"));
    }

    fn create_role(&self) {
        // The password reaches psql on stdin, never its command line. It is hex, so it needs
        // no quoting.
        self.psql(&format!(
            "CREATE ROLE {ROLE} LOGIN PASSWORD '{}';\nCREATE DATABASE {DATABASE} OWNER {ROLE};",
            self.password
        ));
    }

    fn pg_ctl_stop(&self, mode: &str) {
        let _ = self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-m".as_ref(),
                mode.as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
            None,
        );
    }

    /// Runs one of the cluster's binaries (as the cluster's owner when that is not us),
    /// with `stdin` on its standard input.
    fn run(&self, name: &str, args: &[&std::ffi::OsStr], stdin: Option<&str>) -> Output {
        use std::os::unix::process::CommandExt as _;
        let exe = self.bin.join(name);
        let mut cmd = Command::new(&exe);
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_remove("PGPASSWORD")
            .env_remove("PGSERVICE")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some((uid, gid)) = self.owner {
            cmd.uid(uid).gid(gid).env("HOME", self.dir.path());
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("piped stdin");
            pipe.write_all(text.as_bytes()).expect("writing to psql");
        }
        child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("waiting for {}: {e}", exe.display()))
    }

    /// Gives `path` to the cluster's owner (when that is not us).
    fn give(&self, path: &Path) {
        if let Some((uid, gid)) = self.owner {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .unwrap_or_else(|e| panic!("giving {} to uid {uid}: {e}", path.display()));
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.pg_ctl_stop("immediate");
    }
}

/// The directory holding `initdb`, `pg_ctl` and `psql`.
pub fn bindir() -> PathBuf {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(d) = std::env::var_os("LANREADY_PG_BINDIR") {
        let d = PathBuf::from(d);
        assert!(
            has(&d),
            "LANREADY_PG_BINDIR={} holds no initdb",
            d.display()
        );
        return d;
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has(&d) {
            return d;
        }
    }
    // Debian keeps each major version apart; take the newest.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| has(d))
        .collect();
    versions.sort();
    if let Some((_, d)) = versions.pop() {
        return d;
    }
    for d in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if has(&d) {
            return d;
        }
    }
    panic!(
        "PostgreSQL's initdb and pg_ctl were not found (LANREADY_PG_BINDIR, pg_config, \
         /usr/lib/postgresql/*/bin, PATH): run `bash .ci/setup`"
    );
}

/// Whom the binaries run as: None when we are not root, else the `postgres` user's (or
/// `LANREADY_PG_USER`'s) uid and gid from `/etc/passwd`.
fn run_as() -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt as _;
    // /proc/self belongs to the process's effective user.
    let euid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok()?;
    if euid != 0 {
        return None;
    }
    let user = std::env::var("LANREADY_PG_USER").unwrap_or_else(|_| "postgres".into());
    let passwd = std::fs::read_to_string("/etc/passwd").expect("reading /etc/passwd");
    let found = passwd.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() > 3 && f[0] == user).then(|| (f[2].parse().ok(), f[3].parse().ok()))
    });
    match found {
        Some((Some(uid), Some(gid))) => Some((uid, gid)),
        _ => panic!(
            "running as root, and PostgreSQL refuses root: there is no user {user:?} to run it \
             as (install Debian's postgresql with `bash .ci/setup`, or set LANREADY_PG_USER)"
        ),
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("binding a TCP port on loopback")
}

/// 32 hex digits that differ per cluster.
fn fresh_password() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut out = String::new();
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        h.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    f.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// PostgreSQL refuses a key file others can read.
fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    f.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
