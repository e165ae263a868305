//! `lanready-agent poll` (not written yet).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`poll` is not implemented yet")
}
