//! `lanready-agent run` (not written yet).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`run` is not implemented yet")
}
