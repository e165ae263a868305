//! The run lock: one `lanready-agent run` per spool, so one station's scans never overlap
//! even when two services are started by mistake. An advisory lock (flock) on
//! `<spool>/run.lock`, released by the kernel when the process exits, however it exits.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name in the spool directory.
pub const LOCK_FILE: &str = "run.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another lanready-agent run{} is using the spool {dir}: one run per station (stop it, \
         or give this one its own --spool-dir)",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Held { dir: PathBuf, pid: Option<u32> },
    #[error("locking {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Held while it lives.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// Takes the lock of the spool at `dir`, or says who holds it.
    pub fn acquire(dir: &Path) -> Result<RunLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io_err = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(LockError::Held {
                    dir: dir.to_path_buf(),
                    pid: text.trim().parse().ok(),
                });
            }
            Err(fs4::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        file.set_len(0).map_err(io_err)?;
        file.rewind().map_err(io_err)?;
        writeln!(file, "{}", std::process::id()).map_err(io_err)?;
        file.flush().map_err(io_err)?;
        Ok(RunLock { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_pid_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        assert_eq!(first.path(), dir.path().join(LOCK_FILE));
        // flock locks belong to the open file description: a second open in the same
        // process conflicts just as another process would.
        let err = RunLock::acquire(dir.path()).unwrap_err();
        let LockError::Held { pid, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*pid, Some(std::process::id()));
        assert!(err.to_string().contains("--spool-dir"), "{err}");
        drop(first);
        RunLock::acquire(dir.path()).unwrap();
    }
}
