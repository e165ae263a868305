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
    /// Print the weekly report for the project call, from a running collector
    /// (`GET /api/v1/programme/weekly`). The token comes from --token-file or LANREADY_TOKEN.
    Weekly {
        /// The collector's base URL.
        #[arg(long)]
        url: String,
        /// Read the bearer token from this file (else from LANREADY_TOKEN).
        #[arg(long)]
        token_file: Option<PathBuf>,
        /// md, html or csv.
        #[arg(long, default_value = "md", value_parser = ["md", "html", "csv"])]
        format: String,
        /// The period covered, back from now (`7d`, `14d`; at most 90d).
        #[arg(long, default_value = "7d")]
        since: String,
        /// A PEM file of CA certificates to trust for an https:// collector.
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// Allow a plain http:// collector URL (the token then travels unencrypted).
        #[arg(long)]
        allow_http: bool,
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
    Ok(Store::open_existing(db)?)
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
                        "{}: {}; nothing was imported",
                        file.display(),
                        lanready_schema::words::count(errors.len() as u64, "bad row", "bad rows")
                    );
                }
            };
            open(&db)?.set_calendar(&entries, now)?;
            eprintln!(
                "{}: {} set",
                file.display(),
                lanready_schema::words::count(entries.len() as u64, "site", "sites")
            );
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
        ProgrammeCommand::Weekly {
            url,
            token_file,
            format,
            since,
            ca_file,
            allow_http,
        } => {
            let token = crate::read_token(token_file.as_ref())?;
            let mut target = lanready_http::url_under(&url, allow_http, "api/v1/programme/weekly")?;
            target
                .query_pairs_mut()
                .append_pair("since", &since)
                .append_pair("format", &format);
            let body = crate::runtime()?.block_on(async {
                let client = lanready_http::client(
                    std::time::Duration::from_secs(60),
                    ca_file.as_deref(),
                    concat!("lanready-collector/", env!("CARGO_PKG_VERSION")),
                )?;
                let resp = client
                    .get(target.clone())
                    .bearer_auth(token.expose())
                    .send()
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!("asking {target}: {}", lanready_http::error_chain(&e))
                    })?;
                let status = resp.status();
                let text = if status.is_success() {
                    resp.text().await.map_err(|e| {
                        anyhow::anyhow!("reading {target}: {}", lanready_http::error_chain(&e))
                    })?
                } else {
                    let text = lanready_http::body_text(resp).await;
                    let message = serde_json::from_str::<lanready_schema::api::ErrorBody>(&text)
                        .map(|b| b.error)
                        .unwrap_or(text);
                    bail!("the collector answered {}: {message}", status.as_u16());
                };
                Ok::<String, anyhow::Error>(text)
            })?;
            std::io::stdout()
                .lock()
                .write_all(body.as_bytes())
                .context("printing the report")?;
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
