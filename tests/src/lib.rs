//! Test harness for lanready's integration tests: finds the workspace, its fixtures and the
//! shared corpus, and runs snmpsim on a free loopback port for the length of a test (and,
//! in `pg`, a throwaway PostgreSQL cluster).
//!
//! snmpsim comes from `.ci/setup` (a venv at `.venv-snmpsim`), or from `LANREADY_SNMPSIM`
//! (the path of `snmpsim-command-responder`). A missing snmpsim is a failure with a message
//! saying how to install it, never a skipped test.

pub mod hostile;
pub mod librenms;
pub mod pg;
pub mod relay;
pub mod responder;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root (the folder holding the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The project's own `.snmprec` fixtures.
pub fn fixtures_dir() -> PathBuf {
    workspace_root().join("tests/fixtures/snmprec")
}

/// `../shared/corpus` beside the project root, when it is there (it is in CI).
pub fn corpus_dir() -> Option<PathBuf> {
    let d = workspace_root().join("../shared/corpus");
    d.join("recordings").is_dir().then_some(d)
}

/// A binary of the workspace (`lanready-agent`, `lanready-collector`), built fresh for
/// this test run: the first call per binary runs `cargo build` for it (a no-op when it is up
/// to date), so a test never runs a stale binary.
pub fn binary(name: &str) -> PathBuf {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = built.get(name) {
        return p.clone();
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>/deps")
        .to_path_buf();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "--quiet", "-p", name, "--bin", name]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("running cargo build");
    assert!(status.success(), "cargo build of {name} failed");
    let p = profile_dir.join(name);
    assert!(p.exists(), "{} was not built", p.display());
    built.insert(name.to_string(), p.clone());
    p
}

/// The snmpsim responder's path.
pub fn snmpsim_bin() -> PathBuf {
    if let Ok(p) = std::env::var("LANREADY_SNMPSIM") {
        return PathBuf::from(p);
    }
    let p = workspace_root().join(".venv-snmpsim/bin/snmpsim-command-responder");
    assert!(
        p.exists(),
        "snmpsim is not installed at {}: run `bash .ci/setup` (or set LANREADY_SNMPSIM)",
        p.display()
    );
    p
}

/// A free UDP port on 127.0.0.1 (bound, then released).
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("binding a UDP port on loopback")
}

/// An SNMPv3 user for snmpsim.
#[derive(Clone, Debug)]
pub struct V3User {
    pub user: String,
    /// `MD5`, `SHA`, `SHA224`, `SHA256`, `SHA384`, `SHA512` (snmpsim's names).
    pub auth_proto: String,
    pub auth_key: String,
    /// `DES`, `AES`, `AES192`, `AES256`, ... (snmpsim's names).
    pub priv_proto: String,
    pub priv_key: String,
}

impl Default for V3User {
    fn default() -> Self {
        V3User {
            user: "lanready".into(),
            auth_proto: "SHA".into(),
            auth_key: "authkey123".into(),
            priv_proto: "AES".into(),
            priv_key: "privkey123".into(),
        }
    }
}

/// The fixed engine id the harness gives snmpsim for SNMPv3.
pub const V3_ENGINE_ID: &str = "8000000001020304";

/// A running snmpsim, stopped on drop. Serves every `.snmprec` file of its data folder; the
/// community (v2c) or context (v3) is the file name without `.snmprec`.
pub struct Snmpsim {
    child: Child,
    port: u16,
    data: tempfile::TempDir,
}

impl Snmpsim {
    /// Serves `files` (copied into a private data folder) over SNMPv1/v2c.
    pub fn start(files: &[PathBuf]) -> Snmpsim {
        Self::start_with(files, None)
    }

    /// Serves `files` to SNMPv1/v2c and to the SNMPv3 user `user`.
    pub fn start_v3(files: &[PathBuf], user: &V3User) -> Snmpsim {
        Self::start_with(files, Some(user))
    }

    /// Serves fixtures by name (`access48` serves `tests/fixtures/snmprec/access48.snmprec`
    /// and its `access48@VLAN.snmprec` per-VLAN files).
    pub fn fixtures(names: &[&str]) -> Snmpsim {
        Self::start(&fixture_files(names))
    }

    fn start_with(files: &[PathBuf], v3: Option<&V3User>) -> Snmpsim {
        let data = tempfile::tempdir().expect("a temp dir for snmpsim data");
        for f in files {
            let name = f.file_name().expect("a file name");
            std::fs::copy(f, data.path().join(name))
                .unwrap_or_else(|e| panic!("copying {}: {e}", f.display()));
        }
        let probe_community = files
            .iter()
            .filter_map(|f| f.file_stem()?.to_str().map(str::to_string))
            .next()
            .unwrap_or_else(|| "public".into());
        let bin = snmpsim_bin();
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let port = free_udp_port();
            let cache = data.path().join(format!("cache-{port}"));
            let log = data.path().join(format!("snmpsim-{port}.log"));
            let mut cmd = Command::new(&bin);
            cmd.env("SNMPSIM_ALLOW_ROOT", "true");
            // snmpsim groups options by engine: the engine id comes first, then the data
            // and endpoints of that engine, then its v3 users. Otherwise it will not start.
            if v3.is_some() {
                cmd.arg(format!("--v3-engine-id={V3_ENGINE_ID}"));
            }
            cmd.arg(format!("--data-dir={}", data.path().display()))
                .arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"))
                .arg(format!("--cache-dir={}", cache.display()))
                .arg(format!("--logging-method=file:{}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some(u) = v3 {
                cmd.arg(format!("--v3-user={}", u.user))
                    .arg(format!("--v3-auth-proto={}", u.auth_proto))
                    .arg(format!("--v3-auth-key={}", u.auth_key))
                    .arg(format!("--v3-priv-proto={}", u.priv_proto))
                    .arg(format!("--v3-priv-key={}", u.priv_key));
            }
            let mut child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
            if wait_ready(&mut child, port, &probe_community, Duration::from_secs(90)) {
                return Snmpsim { child, port, data };
            }
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("snmpsim did not answer on loopback after 3 starts; its log:\n{last_log}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// snmpsim's log so far, for failure messages.
    pub fn log(&self) -> String {
        let p = self.data.path().join(format!("snmpsim-{}.log", self.port));
        std::fs::read_to_string(p).unwrap_or_default()
    }
}

impl Drop for Snmpsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until a v2c GET of sysDescr.0 is answered (with anything: snmpsim answers only
/// once its data files are indexed). False when the process exits or time runs out.
fn wait_ready(child: &mut Child, port: u16, community: &str, limit: Duration) -> bool {
    let start = Instant::now();
    let sock = UdpSocket::bind("127.0.0.1:0").expect("a UDP socket");
    sock.set_read_timeout(Some(Duration::from_millis(250)))
        .expect("socket timeout");
    let request = v2c_get_sysdescr(community.as_bytes());
    let mut buf = [0u8; 2048];
    while start.elapsed() < limit {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let _ = sock.send_to(&request, ("127.0.0.1", port));
        if let Ok((n, _)) = sock.recv_from(&mut buf)
            && n > 0
            && buf[0] == 0x30
        {
            return true;
        }
    }
    false
}

/// The fixture files for `names`, with each one's per-VLAN context files.
pub fn fixture_files(names: &[&str]) -> Vec<PathBuf> {
    let dir = fixtures_dir();
    let mut out = Vec::new();
    for name in names {
        let main = dir.join(format!("{name}.snmprec"));
        assert!(main.exists(), "fixture {} is missing", main.display());
        out.push(main);
        let prefix = format!("{name}@");
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut extra: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".snmprec"))
                })
                .collect();
            extra.sort();
            out.extend(extra);
        }
    }
    out
}

/// The BER bytes of an SNMPv2c GetRequest for sysDescr.0 (request id 1), used only to
/// see whether snmpsim is up.
fn v2c_get_sysdescr(community: &[u8]) -> Vec<u8> {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        if body.len() < 128 {
            v.push(body.len() as u8);
        } else {
            v.push(0x82);
            v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        }
        v.extend_from_slice(body);
        v
    }
    let oid = tlv(0x06, &[0x2b, 6, 1, 2, 1, 1, 1, 0]);
    let varbind = tlv(0x30, &[oid, vec![0x05, 0x00]].concat());
    let varbinds = tlv(0x30, &varbind);
    let pdu_body = [tlv(0x02, &[1]), tlv(0x02, &[0]), tlv(0x02, &[0]), varbinds].concat();
    let pdu = tlv(0xa0, &pdu_body);
    tlv(0x30, &[tlv(0x02, &[1]), tlv(0x04, community), pdu].concat())
}

/// A running `lanready-collector serve` process (the real binary), SIGKILLed on drop.
pub struct CollectorProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, as the collector printed it.
    pub url: String,
}

impl CollectorProcess {
    /// Serves `db` on `listen` (`127.0.0.1:0` for a free port), and waits for its
    /// `listening on URL` line.
    pub fn start(db: &Path, listen: &str) -> CollectorProcess {
        use std::io::BufRead as _;
        let mut child = Command::new(binary("lanready-collector"))
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--listen", listen])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting lanready-collector serve");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("reading the collector's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from serve: {line:?}"))
            .to_string();
        CollectorProcess { child, url }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `127.0.0.1:PORT`: what to pass as `listen` to restart on the same address.
    pub fn listen_addr(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill_9(mut self) {
        self.child.kill().expect("killing the collector");
        self.child.wait().expect("reaping the collector");
    }
}

impl Drop for CollectorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
