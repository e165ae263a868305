//! `lanready-agent record`: polls one switch and writes what was read as `.snmprec` files
//! (`FILE.snmprec`, and `FILE@VLAN.snmprec` beside it for each VLAN context) that snmpsim
//! can serve, so a site's evidence can be kept and replayed.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use lanready_mibs::Walk;

use super::poll::TargetArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where to write the walk (`NAME.snmprec`); VLAN contexts go to `NAME@VLAN.snmprec`.
    #[arg(long, value_name = "FILE.snmprec")]
    pub out: PathBuf,
}

/// The files written, main file first.
pub fn write_recording(walk: &Walk, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let stem = out
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".snmprec"))
        .filter(|s| !s.is_empty())
        .with_context(|| {
            format!(
                "{}: the output file must be named NAME.snmprec",
                out.display()
            )
        })?;
    let dir = out.parent().unwrap_or(Path::new(""));
    let mut written = Vec::new();
    write(out, &walk.to_snmprec())?;
    written.push(out.to_path_buf());
    for &vlan in walk.vlan_contexts.keys() {
        if let Some(text) = walk.vlan_context_snmprec(vlan) {
            let p = dir.join(format!("{stem}@{vlan}.snmprec"));
            write(&p, &text)?;
            written.push(p);
        }
    }
    Ok(written)
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

pub async fn run(args: Args) -> anyhow::Result<u8> {
    let (target, opts) = args.target.resolve()?;
    let (walk, stats) = lanready_snmp::poll_with_stats(&target, &opts).await?;
    let files = write_recording(&walk, &args.out)?;
    for p in &walk.problems {
        eprintln!("warning: {p}");
    }
    eprintln!(
        "recorded {} values ({} VLAN contexts) from {} in {} requests: {}",
        walk.values.len(),
        walk.vlan_contexts.len(),
        target.address,
        stats.requests,
        files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_main_and_vlan_files_next_to_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Walk::from_snmprec("1.3.6.1.2.1.1.5.0|4|sw1\n").unwrap();
        let ctx = Walk::from_snmprec("1.3.6.1.2.1.17.1.4.1.2.5|2|10105\n").unwrap();
        w.vlan_contexts.insert(20, ctx.values.clone());
        let files = write_recording(&w, &dir.path().join("sw1.snmprec")).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("sw1@20.snmprec")).unwrap(),
            "1.3.6.1.2.1.17.1.4.1.2.5|2|10105\n"
        );
        assert!(write_recording(&w, &dir.path().join("sw1.txt")).is_err());
    }
}
