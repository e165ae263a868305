//! What the packages install, from the binaries themselves: shell completions and man pages
//! for every command, and the systemd units' command lines, which must be ones the binaries
//! accept. (`packaging/check-install`, run by CI, installs the packages and verifies the
//! units with systemd-analyze.)

use std::process::Command;

use lanready_tests::{binary, workspace_root};

fn run(bin: &str, args: &[&str]) -> String {
    let out = Command::new(binary(bin)).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{bin} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn both_binaries_write_completions_and_a_man_page_for_every_command() {
    for (bin, commands) in [
        (
            "lanready-agent",
            &["poll", "scan", "gate", "run", "works"][..],
        ),
        (
            "lanready-collector",
            &["serve", "token", "gate", "programme", "waiver"][..],
        ),
    ] {
        for shell in ["bash", "zsh", "fish"] {
            let script = run(bin, &["completions", shell]);
            for c in commands {
                assert!(script.contains(c), "{bin} {shell} completion lacks {c}");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        run(bin, &["man", dir.path().to_str().unwrap()]);
        for c in commands {
            let page = dir.path().join(format!("{bin}-{c}.1"));
            let text = std::fs::read_to_string(&page)
                .unwrap_or_else(|e| panic!("{}: {e}", page.display()));
            assert!(
                text.contains(".SH OPTIONS") || text.contains(".SH SUBCOMMANDS"),
                "{text}"
            );
        }
        assert!(dir.path().join(format!("{bin}.1")).exists());
    }
    let err = Command::new(binary("lanready-agent"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("tcsh"));
}

/// Each unit's ExecStart, with the default settings file's arguments put in, as the
/// binary's own parser reads it (`--help` appended, so nothing is started).
#[test]
fn the_units_command_lines_are_ones_the_binaries_accept() {
    let root = workspace_root().join("packaging");
    for (unit, var) in [
        ("lanready-agent", "LANREADY_AGENT_ARGS"),
        ("lanready-collector", "LANREADY_COLLECTOR_ARGS"),
    ] {
        let text = std::fs::read_to_string(root.join(format!("systemd/{unit}.service"))).unwrap();
        let exec = text
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .expect("an ExecStart line");
        let defaults = std::fs::read_to_string(root.join(format!("etc/default-{unit}"))).unwrap();
        let value = defaults
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{var}=")))
            .expect("the settings line")
            .trim_matches('"');
        let line = exec.replace(&format!("${var}"), value);
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some(format!("/usr/bin/{unit}").as_str()));
        let mut args: Vec<&str> = words.collect();
        // Parse, then stop at --help: clap rejects unknown flags before printing help.
        args.push("--help");
        let out = Command::new(binary(unit)).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{unit}: {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for key in [
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "CapabilityBoundingSet=\n",
            "StateDirectory=",
            "User=",
        ] {
            assert!(text.contains(key), "{unit}.service lacks {key}");
        }
    }
}
