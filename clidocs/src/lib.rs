//! Shell completions and man pages for `lanready-agent` and `lanready-collector`, written
//! from their clap commands by clap's own generators, so they never drift from `--help`.
//! Each binary has `completions SHELL` (to stdout) and `man DIR` (one page per command and
//! subcommand: `lanready-agent.1`, `lanready-agent-scan.1`, ...); the Debian packages
//! install what they write.

use std::io::Write;
use std::path::{Path, PathBuf};

pub use clap_complete::Shell;

/// Writes `shell`'s completion script for `cmd` to `out`.
pub fn completions(mut cmd: clap::Command, shell: Shell, out: &mut dyn Write) {
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, &mut cmd, name, out);
}

/// Writes a man page (section 1) for `cmd` and for each of its subcommands, at any depth,
/// into `dir` (created when missing). Returns the files written.
pub fn man_pages(cmd: clap::Command, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = cmd;
    cmd.build();
    let mut written = Vec::new();
    write_pages(&cmd, cmd.get_name(), dir, &mut written)?;
    Ok(written)
}

fn write_pages(
    cmd: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> std::io::Result<()> {
    // A subcommand's page is named for its whole path (`lanready-agent-scan`), as git's are.
    let page = cmd.clone().name(name.to_string());
    let path = dir.join(format!("{name}.1"));
    let mut bytes = Vec::new();
    clap_mangen::Man::new(page).render(&mut bytes)?;
    std::fs::write(&path, bytes)?;
    written.push(path);
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let sub_name = format!("{name}-{}", sub.get_name());
        write_pages(sub, &sub_name, dir, written)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> clap::Command {
        clap::Command::new("tool")
            .version("1.0")
            .about("Does things")
            .subcommand(
                clap::Command::new("scan")
                    .about("Scans")
                    .arg(clap::Arg::new("plan").long("plan").help("The site plan")),
            )
            .subcommand(
                clap::Command::new("token")
                    .subcommand(clap::Command::new("add").about("Adds a token")),
            )
    }

    #[test]
    fn every_command_and_subcommand_gets_a_page_naming_its_options() {
        let dir = tempfile::tempdir().unwrap();
        let files = man_pages(cli(), dir.path()).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["tool.1", "tool-scan.1", "tool-token.1", "tool-token-add.1"]
        );
        let scan = std::fs::read_to_string(dir.path().join("tool-scan.1")).unwrap();
        assert!(
            scan.starts_with(".ie"),
            "roff: {}",
            &scan[..40.min(scan.len())]
        );
        assert!(
            scan.contains("plan") && scan.contains("The site plan"),
            "{scan}"
        );
    }

    #[test]
    fn completions_name_the_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut out = Vec::new();
            completions(cli(), shell, &mut out);
            let text = String::from_utf8(out).unwrap();
            assert!(
                text.contains("scan") && text.contains("token"),
                "{shell}: {text}"
            );
        }
    }
}
