//! `lanready-collector waiver add|list|revoke`: accepted exceptions, kept in the collector's
//! database. (Part of the binary: flags and printing; the rules are in
//! `lanready_collector::waiver`.)

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::bail;
use lanready_collector::aggregate::rfc3339;
use lanready_collector::clock::{Clock, SystemClock};
use lanready_collector::programme::day;
use lanready_collector::store::{Revoked, Store};
use lanready_collector::waiver::{self, NewWaiver};
use lanready_schema::programme::{WAIVERS_SCHEMA, WaiversResponse};

#[derive(Debug, clap::Subcommand)]
pub enum WaiverCommand {
    /// Accept an exception: findings of one check at one site (on one switch, on ports
    /// matching a glob) stop counting against it until the expiry day.
    Add {
        #[arg(long)]
        db: PathBuf,
        #[command(flatten)]
        waiver: NewWaiver,
    },
    /// List waivers (in force, expired and revoked), oldest first.
    List {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        site: Option<String>,
        /// Print the `lanready.waivers/v1` document (for `lanready-agent gate --waivers`).
        #[arg(long)]
        json: bool,
    },
    /// Revoke a waiver (it stays listed, with who and when).
    Revoke {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        id: u64,
        /// Who revokes it.
        #[arg(long)]
        by: String,
    },
}

fn open(db: &std::path::Path) -> anyhow::Result<Store> {
    Ok(Store::open_existing(db)?)
}

/// What to warn of when waiver `id` covers no failed or unknown finding of its site's
/// latest report (a switch given without its port, a glob in the wrong case, a check that
/// passes): the waiver is kept, but as it stands it changes nothing.
fn matches_nothing(store: &Store, id: u64, today: time::Date) -> anyhow::Result<Option<String>> {
    let Some(stored) = store.waiver(id)? else {
        return Ok(None);
    };
    let w = waiver::document(&stored, today);
    let Some(latest) = store.latest_report(&w.site)? else {
        return Ok(Some(format!(
            "site {:?} has no report yet: nothing to check waiver {id} against",
            w.site
        )));
    };
    let covered = latest
        .report
        .findings
        .iter()
        .filter(|f| lanready_gate::waivers::covers(&w, &w.site, f))
        .count();
    if covered > 0 {
        return Ok(None);
    }
    let switches: Vec<&str> = latest
        .report
        .switches
        .iter()
        .map(|s| s.address.as_str())
        .collect();
    let hint = match &w.switch {
        Some(s) if !switches.contains(&s.as_str()) => format!(
            " (its switch {s:?} is not in the report, whose switches are {})",
            switches.join(", ")
        ),
        _ => String::new(),
    };
    Ok(Some(format!(
        "waiver {id} covers no failed or unknown {} finding in site {:?}'s latest report {}{hint}; it is kept, and applies only when such a finding appears",
        w.check, w.site, latest.meta.report_id
    )))
}

pub fn run(cmd: WaiverCommand) -> anyhow::Result<u8> {
    let now = SystemClock.now();
    let today = waiver::today(now);
    match cmd {
        WaiverCommand::Add { db, waiver: new } => {
            let checked = new.check(today).map_err(|e| anyhow::anyhow!("--{e}"))?;
            let store = open(&db)?;
            let id = store.add_waiver(&checked, "cli", now)?;
            println!("{id}");
            if let Some(warning) = matches_nothing(&store, id, today)? {
                eprintln!("warning: {warning}");
            }
            eprintln!(
                "waiver {id} added: site {:?}, check {}, until {}",
                checked.site,
                checked.check,
                day(checked.expires)
            );
            Ok(0)
        }
        WaiverCommand::List { db, site, json } => {
            let rows = open(&db)?.waivers(site.as_deref())?;
            let docs: Vec<_> = rows.iter().map(|w| waiver::document(w, today)).collect();
            let mut out = std::io::stdout().lock();
            if json {
                let doc = WaiversResponse {
                    schema: WAIVERS_SCHEMA.into(),
                    as_of: rfc3339(now),
                    today: day(today),
                    waivers: docs,
                };
                serde_json::to_writer_pretty(&mut out, &doc)?;
                writeln!(out)?;
                return Ok(0);
            }
            for w in docs {
                let state = serde_json::to_value(w.state)?;
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    w.id,
                    state.as_str().unwrap_or_default(),
                    w.site,
                    w.check,
                    w.switch.as_deref().unwrap_or("*"),
                    w.port.as_deref().unwrap_or("*"),
                    w.expires,
                    w.by,
                    w.reason
                )?;
            }
            Ok(0)
        }
        WaiverCommand::Revoke { db, id, by } => {
            let by = by.trim();
            if by.is_empty() {
                bail!("--by: who revokes the waiver");
            }
            match open(&db)?.revoke_waiver(id, by, now)? {
                Revoked::Now => {
                    eprintln!("waiver {id} revoked");
                    Ok(0)
                }
                Revoked::Already => bail!("waiver {id} was revoked before"),
                Revoked::NoSuchWaiver => bail!("no waiver {id}"),
            }
        }
    }
}
