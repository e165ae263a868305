//! The whole file checked after a crash: SQLite's own check, every body against its hash
//! and as a report, every site summary against the site's latest report.

use super::*;

impl Store {
    /// Checks the whole file: SQLite's `integrity_check`, then every report body against its
    /// SHA-256 and as a `lanready.report/v1` document, and every `site_latest` row against
    /// the site's latest report. For recovery checks after a crash; reads everything.
    pub fn verify(&self) -> Result<Verification, StoreError> {
        let conn = self.read();
        let what = "verifying the database";
        let integrity: Vec<String> = conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(sql(what))?;
        let mut out = Verification {
            integrity,
            reports: 0,
            bad_reports: Vec::new(),
            bad_summaries: Vec::new(),
        };
        let mut st = conn
            .prepare("SELECT report_id, body_sha256, body FROM reports")
            .map_err(sql(what))?;
        let mut rows = st.query([]).map_err(sql(what))?;
        while let Some(r) = rows.next().map_err(sql(what))? {
            let id: String = r.get(0).map_err(sql(what))?;
            let hash: Vec<u8> = r.get(1).map_err(sql(what))?;
            let body: String = r.get(2).map_err(sql(what))?;
            out.reports += 1;
            let actual: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(body.as_bytes()).into();
            if hash != actual || serde_json::from_str::<Report>(&body).is_err() {
                out.bad_reports.push(id);
            }
        }
        let mut st = conn
            .prepare(
                "SELECT s.site FROM (SELECT DISTINCT site FROM reports) s
                 LEFT JOIN site_latest l ON l.site = s.site
                 WHERE l.report_pk IS NOT (SELECT pk FROM reports WHERE site = s.site
                     ORDER BY generated_at DESC, pk DESC LIMIT 1)",
            )
            .map_err(sql(what))?;
        out.bad_summaries = st
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(sql(what))?;
        Ok(out)
    }
}
