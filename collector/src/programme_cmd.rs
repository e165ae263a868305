//! `lanready-collector programme set|import|list|remove`: the cutover calendar, kept in the
//! collector's database. (Part of the binary: flags and printing; the checks are in
//! `lanready_collector::programme`.)

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use lanready_collector::clock::{Clock, SystemClock};
use lanready_collector::programme::{CalendarEntry, day, parse_csv};
use lanready_collector::store::Store;

#[derive(Debug, clap::Subcommand)]
pub enum ProgrammeCommand {
    /// Add a site to the cutover calendar, or change its row (a flag not given keeps the
    /// row's value; an empty one, `--owner ""`, unsets it).
    Set {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        site: String,
        /// The cutover day, YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        cutover: String,
        #[arg(long)]
        wave: Option<String>,
        /// Extensions moving at this cutover.
        #[arg(long)]
        extensions: Option<String>,
        /// Who answers for the site's readiness.
        #[arg(long)]
        owner: Option<String>,
    },
    /// Set the calendar rows of a CSV file (header `site,cutover,wave,extensions,owner`):
    /// every row, or none when any is bad.
    Import {
        #[arg(long)]
        db: PathBuf,
        file: PathBuf,
    },
    /// Print the calendar in cutover order, tab-separated.
    List {
        #[arg(long)]
        db: PathBuf,
    },
    /// Take a site out of the calendar (its reports stay).
    Remove {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        site: String,
    },
}

fn open(db: &std::path::Path) -> anyhow::Result<Store> {
    Store::open(db).with_context(|| format!("opening {}", db.display()))
}

pub fn run(cmd: ProgrammeCommand) -> anyhow::Result<u8> {
    let now = SystemClock.now();
    match cmd {
        ProgrammeCommand::Set {
            db,
            site,
            cutover,
            wave,
            extensions,
            owner,
        } => {
            let store = open(&db)?;
            let old = store
                .calendar()?
                .into_iter()
                .find(|e| e.site == site.trim());
            let kept = |given: Option<String>, old: Option<String>| given.or(old);
            let number = |n: Option<u32>| n.map(|n| n.to_string());
            let wave = kept(wave, old.as_ref().and_then(|o| number(o.wave)));
            let extensions = kept(extensions, old.as_ref().and_then(|o| number(o.extensions)));
            let owner = kept(owner, old.and_then(|o| o.owner));
            let entry = CalendarEntry::parse(
                &site,
                &cutover,
                wave.as_deref(),
                extensions.as_deref(),
                owner.as_deref(),
            )
            .map_err(|e| anyhow::anyhow!("--{e}"))?;
            store.set_calendar(std::slice::from_ref(&entry), now)?;
            eprintln!("site {:?}: cutover {}", entry.site, day(entry.cutover));
            Ok(0)
        }
        ProgrammeCommand::Import { db, file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let entries = match parse_csv(&text) {
                Ok(e) => e,
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{}: {e}", file.display());
                    }
                    bail!(
                        "{}: {} bad row(s); nothing was imported",
                        file.display(),
                        errors.len()
                    );
                }
            };
            open(&db)?.set_calendar(&entries, now)?;
            eprintln!("{}: {} site(s) set", file.display(), entries.len());
            Ok(0)
        }
        ProgrammeCommand::List { db } => {
            let mut out = std::io::stdout().lock();
            for e in open(&db)?.calendar()? {
                let opt = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    e.site,
                    day(e.cutover),
                    opt(e.wave),
                    opt(e.extensions),
                    e.owner.unwrap_or_default()
                )?;
            }
            Ok(0)
        }
        ProgrammeCommand::Remove { db, site } => {
            if !open(&db)?.remove_from_calendar(&site)? {
                bail!("site {site:?} is not in the calendar");
            }
            eprintln!("site {site:?} taken out of the calendar");
            Ok(0)
        }
    }
}
