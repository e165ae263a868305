//! The collector's section of BENCHMARKS.md.

use super::*;

pub(crate) fn render(f: &Figures) -> String {
    let g = |k: &str| f.lines.get(k).cloned().unwrap_or_default();
    format!(
        "## Collector\n\n\
Measured by `cargo run --release -p lanready-bench --bin collector` (the real release\n\
collector on 127.0.0.1, a temporary database file, clients in the bench process; 2-core VM).\n\n\
{}\n\n\
### Ingest (target: at least 1,000 switch reports/s, each durable before its 201)\n\n\
| path | rate | ratio to HTTP |\n|---|---|---|\n{}\n\n{}\n\n\
### Read latency (target: dashboard JSON p99 under 50 ms)\n\n\
| request | p50 ms | p99 ms | n |\n|---|---|---|---|\n{}\n\n{}\n\n\
In process on the same file, without HTTP (median of 5, cache not used):\n\n\
| read path | ms | ratio |\n|---|---|---|\n{}\n\n\
### Size and memory\n\n{}\n\n{}\n",
        g("scale"),
        g("ingest"),
        g("ingest_detail"),
        g("reads"),
        g("polls"),
        g("paths"),
        g("size"),
        g("rss"),
    )
}

pub(crate) const BEGIN: &str = "<!-- collector:begin -->";
pub(crate) const END: &str = "<!-- collector:end -->";

/// Replaces the text between the collector markers (adding them at the end if absent),
/// keeping a hand-written notes block that follows `<!-- collector:notes -->`.
pub(crate) fn write_section(path: &Path, generated: &str) -> anyhow::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let (head, tail, inner) = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => (
            old[..b].to_string(),
            old[e + END.len()..].to_string(),
            old[b + BEGIN.len()..e].to_string(),
        ),
        _ => {
            let mut h = old.clone();
            if !h.ends_with('\n') && !h.is_empty() {
                h.push('\n');
            }
            h.push('\n');
            (h, "\n".to_string(), String::new())
        }
    };
    let notes = inner
        .find("<!-- collector:notes -->")
        .map(|i| inner[i..].trim_end().to_string());
    let mut body = format!("{head}{BEGIN}\n{generated}");
    if let Some(n) = notes {
        body.push('\n');
        body.push_str(&n);
        body.push('\n');
    }
    body.push_str(END);
    body.push_str(&tail);
    std::fs::write(path, body).with_context(|| format!("writing {}", path.display()))
}
