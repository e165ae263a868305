//! The push spool: a directory holding one JSON file per report not yet stored by the
//! collector, written atomically (temp file, fsync, rename, fsync of the directory) and
//! named so that a plain sort of the names lists them oldest first.
//!
//! Layout of a spool directory:
//! - `<stamp>-<id>.json`: a report waiting to be sent; `<stamp>` is its `generated_at` in
//!   UTC, fixed width (`20261125T144625.000000000Z`), so names sort by scan time (two
//!   scans stamped in the same second are listed in the order they were written).
//! - `.tmp.<pid>.<seq>.<name>`: a file being written; one left by a crash is never read and
//!   is removed when the spool is next opened.
//! - `rejected/<name>` and `rejected/<name>.reason.txt`: a report the collector refused
//!   (4xx), kept for a person to look at, with the collector's answer beside it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use lanready_schema::Report;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The sub-directory of the spool that holds rejected reports.
pub const REJECTED_DIR: &str = "rejected";
const TMP_PREFIX: &str = ".tmp.";
/// A temp file this old is stale even when its writer's pid looks alive (pids get reused).
const STALE_TMP_AGE: Duration = Duration::from_secs(10 * 60);
/// The longest id kept in a file name (the file's content keeps the whole id).
const MAX_ID_IN_NAME: usize = 96;

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("creating the spool directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("serializing report {id} for the spool")]
    Serialize {
        id: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("writing {path} into the spool")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("listing the spool directory {path}")]
    List {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("reading the spooled report {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("removing the delivered report {path} from the spool")]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("moving the rejected report {path} to {to}")]
    Reject {
        path: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A report waiting in the spool.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// The file name (`<stamp>-<id>.json`); entries order by it, oldest first.
    pub name: String,
    pub path: PathBuf,
}

impl Entry {
    /// The report id as kept in the file name (possibly shortened or with unsafe characters
    /// replaced): for log lines.
    pub fn id_hint(&self) -> &str {
        let stem = self.name.strip_suffix(".json").unwrap_or(&self.name);
        stem.split_once('-').map_or(stem, |(_, id)| id)
    }

    /// The stored JSON, sent as it is.
    pub fn read(&self) -> Result<Vec<u8>, SpoolError> {
        fs::read(&self.path).map_err(|source| SpoolError::Read {
            path: self.path.clone(),
            source,
        })
    }
}

/// A spool directory. Several processes may share one: every step is a single rename or
/// unlink, a report sent twice is stored once by the collector (its id), and a file another
/// process already removed is not an error.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

impl Spool {
    /// Opens (creating if needed) the spool at `dir` and removes temp files that crashed
    /// writers left behind.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Spool, SpoolError> {
        let dir = dir.into();
        // Reports name the estate's switches: the spool is its user's alone (0700 folders,
        // 0600 files), whatever the umask.
        for d in [dir.clone(), dir.join(REJECTED_DIR)] {
            let mut b = fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(&d)
                .map_err(|source| SpoolError::CreateDir { path: d, source })?;
        }
        let spool = Spool { dir };
        for d in [spool.dir.clone(), spool.rejected_dir()] {
            spool.remove_stale_temp_files(&d)?;
        }
        Ok(spool)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn rejected_dir(&self) -> PathBuf {
        self.dir.join(REJECTED_DIR)
    }

    /// Writes `report` into the spool atomically and durably; when this returns Ok, the
    /// report survives a crash or a power cut. Writing the same report again replaces it.
    pub fn put(&self, report: &Report) -> Result<Entry, SpoolError> {
        let json = serde_json::to_vec_pretty(report).map_err(|source| SpoolError::Serialize {
            id: report.id.clone(),
            source,
        })?;
        let name = file_name(report);
        let path = write_atomic(&self.dir, &name, &json).map_err(|source| SpoolError::Write {
            path: self.dir.join(&name),
            source,
        })?;
        Ok(Entry { name, path })
    }

    /// The reports waiting, oldest first. Temp files and the `rejected/` folder are skipped.
    pub fn list(&self) -> Result<Vec<Entry>, SpoolError> {
        let list_err = |source| SpoolError::List {
            path: self.dir.clone(),
            source,
        };
        let mut out = Vec::new();
        for e in fs::read_dir(&self.dir).map_err(list_err)? {
            let e = e.map_err(list_err)?;
            let Ok(name) = e.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            if !e.file_type().map_err(list_err)?.is_file() {
                continue;
            }
            // Scans are stamped in whole seconds: two in one second are ordered by when they
            // were written, not by their random ids.
            let written = e.metadata().and_then(|m| m.modified()).ok();
            out.push((
                name.get(..STAMP_LEN).unwrap_or(&name).to_string(),
                written,
                Entry {
                    path: e.path(),
                    name,
                },
            ));
        }
        out.sort();
        Ok(out.into_iter().map(|(_, _, e)| e).collect())
    }

    /// The number of reports waiting.
    pub fn pending(&self) -> Result<usize, SpoolError> {
        Ok(self.list()?.len())
    }

    /// Removes a report the collector has stored. Already gone is fine.
    pub fn remove(&self, entry: &Entry) -> Result<(), SpoolError> {
        let err = |source| SpoolError::Remove {
            path: entry.path.clone(),
            source,
        };
        match fs::remove_file(&entry.path) {
            Ok(()) => sync_dir(&self.dir).map_err(err),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(err(e)),
        }
    }

    /// Moves a report the collector refused into `rejected/`, with `reason` (what the
    /// collector said) written beside it first. Returns the report's new path.
    pub fn reject(&self, entry: &Entry, reason: &str) -> Result<PathBuf, SpoolError> {
        let rejected = self.rejected_dir();
        let to = rejected.join(&entry.name);
        let err = |source| SpoolError::Reject {
            path: entry.path.clone(),
            to: to.clone(),
            source,
        };
        let stem = entry.name.strip_suffix(".json").unwrap_or(&entry.name);
        write_atomic(&rejected, &format!("{stem}.reason.txt"), reason.as_bytes()).map_err(err)?;
        match fs::rename(&entry.path, &to) {
            Ok(()) => {}
            // Another process sharing the spool got there first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(to),
            Err(e) => return Err(err(e)),
        }
        sync_dir(&rejected).map_err(err)?;
        sync_dir(&self.dir).map_err(err)?;
        Ok(to)
    }

    fn remove_stale_temp_files(&self, dir: &Path) -> Result<(), SpoolError> {
        let list_err = |source| SpoolError::List {
            path: dir.to_path_buf(),
            source,
        };
        let now = SystemTime::now();
        for e in fs::read_dir(dir).map_err(list_err)? {
            let e = e.map_err(list_err)?;
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(TMP_PREFIX) else {
                continue;
            };
            let writer_pid = rest.split('.').next().and_then(|p| p.parse::<u32>().ok());
            let age = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            let stale = age >= STALE_TMP_AGE
                || match writer_pid {
                    Some(pid) => pid != std::process::id() && !process_alive(pid),
                    None => true,
                };
            if stale {
                match fs::remove_file(e.path()) {
                    Ok(()) => tracing::info!(
                        message = "Removed a half-written spool file left by a crash.",
                        path = %e.path().display()
                    ),
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                    Err(err) => tracing::warn!(
                        message = "Could not remove a stale spool temp file.",
                        path = %e.path().display(),
                        error = %err
                    ),
                }
            }
        }
        Ok(())
    }
}

/// Whether a process with this pid exists (on Linux, through /proc; elsewhere we cannot
/// tell cheaply and say yes, leaving the age rule to clean up).
fn process_alive(pid: u32) -> bool {
    let proc_root = Path::new("/proc/self");
    if proc_root.exists() {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// `<stamp>-<id>.json` for a report.
pub fn file_name(report: &Report) -> String {
    let at = OffsetDateTime::parse(&report.generated_at, &Rfc3339)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    format!("{}-{}.json", stamp(at), safe_id(&report.id))
}

/// The length of [`stamp`]'s text.
const STAMP_LEN: usize = "20261125T144625.000000000Z".len();

/// A fixed-width UTC timestamp that sorts as text in time order.
fn stamp(at: OffsetDateTime) -> String {
    let t = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:09}Z",
        t.year().clamp(0, 9999),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond()
    )
}

/// The id with anything but `[A-Za-z0-9_-]` replaced by `_`, shortened, never empty.
fn safe_id(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(MAX_ID_IN_NAME)
        .collect();
    if s.is_empty() { "no-id".into() } else { s }
}

/// Writes `bytes` to `dir/name` atomically: a temp file in the same directory, fsync,
/// rename over the target, fsync of the directory.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!("{TMP_PREFIX}{}.{seq}.{name}", std::process::id()));
    let target = dir.join(name);
    let result = (|| {
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, &target)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| target)
}

/// Makes a directory's entries (a rename, an unlink) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, at: &str) -> Report {
        Report {
            schema: lanready_schema::REPORT_SCHEMA.into(),
            id: id.into(),
            site: "hq".into(),
            generated_at: at.into(),
            ..Report::default()
        }
    }

    fn names(spool: &Spool) -> Vec<String> {
        spool.list().unwrap().into_iter().map(|e| e.name).collect()
    }

    #[test]
    fn put_writes_the_report_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path().join("spool")).unwrap();
        let r = report("a1", "2026-11-25T14:46:25Z");
        let e = spool.put(&r).unwrap();
        assert_eq!(e.name, "20261125T144625.000000000Z-a1.json");
        let back: Report = serde_json::from_slice(&e.read().unwrap()).unwrap();
        assert_eq!(back, r);
        let all: Vec<String> = fs::read_dir(spool.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        let mut all = all;
        all.sort();
        assert_eq!(all, vec![e.name.clone(), REJECTED_DIR.to_string()]);
    }

    #[test]
    fn lists_oldest_first_whatever_the_offset_or_precision() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        // Written newest first; generated_at in mixed offsets and precisions.
        spool
            .put(&report("c", "2026-11-25T16:00:00+01:00"))
            .unwrap(); // 15:00Z
        spool.put(&report("b", "2026-11-25T14:59:59.5Z")).unwrap();
        spool.put(&report("a", "2026-11-25T14:59:59Z")).unwrap();
        spool
            .put(&report("z", "2026-11-24T23:00:00-02:00"))
            .unwrap(); // 25th 01:00Z
        let ids: Vec<String> = spool
            .list()
            .unwrap()
            .iter()
            .map(|e| e.id_hint().to_string())
            .collect();
        assert_eq!(ids, ["z", "a", "b", "c"]);
    }

    #[test]
    fn two_scans_in_one_second_are_listed_in_the_order_they_were_written() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        // Ids whose order is the reverse of the writes: the ids must not decide.
        spool.put(&report("ffff", "2026-11-25T14:00:00Z")).unwrap();
        // File times are kept to a few milliseconds: real scans are further apart.
        std::thread::sleep(std::time::Duration::from_millis(30));
        spool.put(&report("0000", "2026-11-25T14:00:00Z")).unwrap();
        let ids: Vec<String> = spool
            .list()
            .unwrap()
            .iter()
            .map(|e| e.id_hint().to_string())
            .collect();
        assert_eq!(ids, ["ffff", "0000"]);
    }

    #[test]
    fn same_report_twice_is_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let r = report("same", "2026-11-25T14:00:00Z");
        spool.put(&r).unwrap();
        spool.put(&r).unwrap();
        assert_eq!(spool.pending().unwrap(), 1);
    }

    #[test]
    fn unsafe_ids_make_safe_names() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let e = spool
            .put(&report("../../etc/passwd x", "2026-11-25T14:00:00Z"))
            .unwrap();
        assert_eq!(e.name, "20261125T140000.000000000Z-______etc_passwd_x.json");
        assert_eq!(e.path.parent().unwrap(), spool.dir());
        let long = "x".repeat(500);
        let e = spool.put(&report(&long, "2026-11-25T14:00:00Z")).unwrap();
        assert!(e.name.len() < 140, "{}", e.name);
        let e = spool.put(&report("", "2026-11-25T14:00:00Z")).unwrap();
        assert!(e.name.ends_with("-no-id.json"), "{}", e.name);
    }

    #[test]
    fn a_half_written_temp_file_is_ignored_then_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        spool.put(&report("ok", "2026-11-25T14:00:00Z")).unwrap();
        // What a writer killed between write and rename leaves: a truncated temp file.
        // Its pid is beyond any pid_max, so its writer is certainly gone.
        let dead = dir
            .path()
            .join(".tmp.4294967295.0.20261125T150000.000000000Z-half.json");
        fs::write(&dead, b"{\"schema\":\"lanready.rep").unwrap();
        // One from a live writer (this process), fresh: a concurrent write in progress.
        let live = dir.path().join(format!(
            ".tmp.{}.99.20261125T150000.000000000Z-busy.json",
            std::process::id()
        ));
        fs::write(&live, b"{").unwrap();
        // One from a live pid but old: pids get reused, so age alone makes it stale.
        let old = dir.path().join(format!(
            ".tmp.{}.98.20261125T150000.000000000Z-old.json",
            std::process::id()
        ));
        fs::write(&old, b"{").unwrap();
        File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();

        assert_eq!(names(&spool), ["20261125T140000.000000000Z-ok.json"]);
        let reopened = Spool::open(dir.path()).unwrap();
        assert!(!dead.exists(), "a dead writer's temp file was not removed");
        assert!(!old.exists(), "an hour-old temp file was not removed");
        assert!(live.exists(), "a live writer's fresh temp file was removed");
        assert_eq!(names(&reopened), ["20261125T140000.000000000Z-ok.json"]);
    }

    #[test]
    fn remove_deletes_and_tolerates_already_gone() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let e = spool.put(&report("a", "2026-11-25T14:00:00Z")).unwrap();
        spool.remove(&e).unwrap();
        assert!(!e.path.exists());
        spool.remove(&e).unwrap();
        assert_eq!(spool.pending().unwrap(), 0);
    }

    #[test]
    fn reject_moves_the_report_beside_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path()).unwrap();
        let keep = spool.put(&report("keep", "2026-11-25T15:00:00Z")).unwrap();
        let bad = spool.put(&report("bad", "2026-11-25T14:00:00Z")).unwrap();
        let original = bad.read().unwrap();
        let to = spool
            .reject(&bad, "HTTP 400 Bad Request: unknown site \"hq\"")
            .unwrap();
        assert_eq!(to, spool.rejected_dir().join(&bad.name));
        assert_eq!(fs::read(&to).unwrap(), original);
        let reason = fs::read_to_string(
            spool
                .rejected_dir()
                .join("20261125T140000.000000000Z-bad.reason.txt"),
        )
        .unwrap();
        assert_eq!(reason, "HTTP 400 Bad Request: unknown site \"hq\"");
        assert_eq!(spool.list().unwrap(), vec![keep]);
        // Rejecting again (another process got there first) is not an error.
        spool.reject(&bad, "again").unwrap();
    }

    #[test]
    fn open_fails_clearly_on_a_file_in_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("spool");
        fs::write(&f, b"not a dir").unwrap();
        let err = Spool::open(&f).unwrap_err();
        assert!(
            err.to_string().contains("creating the spool directory"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_spool_is_its_users_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("spool");
        let _spool = Spool::open(&root).unwrap();
        let p = write_atomic(&root, "r.json", b"{}").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join(REJECTED_DIR)), 0o700);
        assert_eq!(mode(&p), 0o600);
    }
}
