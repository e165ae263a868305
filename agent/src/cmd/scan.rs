//! `lanready-agent scan` (not written yet).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`scan` is not implemented yet")
}
