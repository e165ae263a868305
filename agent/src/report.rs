//! Builds a site's `lanready.report/v1` from what each switch gave (a snapshot, or why it
//! could not be read): runs the checks, orders the findings, scores and judges. Pure: the
//! clock, the report id and the agent's name come in a [`ScanContext`], so the same input
//! gives the same report.

use std::cmp::Ordering;

use lanready_schema::{
    Finding, PlanSummary, REPORT_SCHEMA, Report, Severity, Snapshot, Status, SwitchResult,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::checks::{self, Check, FindingExt, ports};
use crate::plan::{SitePlan, SwitchPlan};
use crate::score;

/// What a report is stamped with.
#[derive(Clone, Debug)]
pub struct ScanContext {
    /// When the scan started.
    pub now: OffsetDateTime,
    /// The report's unique id (a UUID v4 in real scans).
    pub id: String,
    /// The agent's name.
    pub agent: String,
}

impl ScanContext {
    /// A context for a real scan: the current time and a fresh random id.
    pub fn real(agent: String) -> ScanContext {
        ScanContext {
            // Whole seconds: reports are read by people and compared by machines.
            now: OffsetDateTime::now_utc().truncate_to_second(),
            id: uuid::Uuid::new_v4().to_string(),
            agent,
        }
    }
}

/// What polling one switch gave.
#[derive(Clone, Debug)]
pub struct SwitchOutcome {
    pub plan: SwitchPlan,
    /// The snapshot, or why the switch could not be read.
    pub result: Result<Snapshot, String>,
}

/// A subnet swept for switches.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// The subnet as the report names it.
    pub label: String,
    /// Addresses probed.
    pub probed: usize,
    /// Addresses that answered (they are among the switches).
    pub found: usize,
}

/// Builds the site's report. `switches` are in plan order (subnet responders in address
/// order where the subnet was listed).
pub fn build(
    site: &SitePlan,
    switches: &[SwitchOutcome],
    sweeps: &[Sweep],
    ctx: &ScanContext,
) -> Report {
    let evaluated = switches
        .iter()
        .map(|sw| evaluate(sw, &site.thresholds))
        .collect();
    assemble(site, evaluated, sweeps, ctx)
}

/// One switch's findings and result, before the site's findings are ordered and scored.
/// Much smaller than the snapshot they come from: a scan keeps these, not snapshots.
#[derive(Clone, Debug)]
pub struct Evaluated {
    pub findings: Vec<Finding>,
    pub result: SwitchResult,
}

/// Runs the checks on one switch (or, when it could not be read, says so).
pub fn evaluate(sw: &SwitchOutcome, t: &crate::plan::Thresholds) -> Evaluated {
    let (findings, result) = evaluate_switch(sw, t);
    Evaluated { findings, result }
}

/// Builds the site's report from its switches' [`evaluate`]d findings, in plan order: the
/// same report [`build`] gives for the same switches.
pub fn assemble(
    site: &SitePlan,
    switches: Vec<Evaluated>,
    sweeps: &[Sweep],
    ctx: &ScanContext,
) -> Report {
    let mut findings: Vec<Finding> =
        Vec::with_capacity(switches.iter().map(|e| e.findings.len()).sum());
    let mut results: Vec<SwitchResult> = Vec::with_capacity(switches.len());
    for e in switches {
        findings.extend(e.findings);
        results.push(e.result);
    }
    for s in sweeps.iter().filter(|s| s.found == 0) {
        findings.push(
            Check::Reachable
                .fail(&s.label, None, format!("no switch answered in {} ({} addresses probed)", s.label, s.probed))
                .evidence("addresses probed", s.probed)
                .fix("! Check the subnet, the UDP port and the credentials in the plan, and that the\n! switches permit SNMP from this agent."),
        );
    }
    let order: Vec<&str> = results
        .iter()
        .map(|r| r.address.as_str())
        .chain(sweeps.iter().map(|s| s.label.as_str()))
        .collect();
    sort_findings(&mut findings, &order);
    let score = score::score(&findings);
    let verdict = score::verdict(&findings, score, &site.thresholds);
    Report {
        schema: REPORT_SCHEMA.to_string(),
        id: ctx.id.clone(),
        site: site.name.clone(),
        generated_at: ctx
            .now
            .format(&Rfc3339)
            .unwrap_or_else(|_| ctx.now.to_string()),
        agent: ctx.agent.clone(),
        agent_version: env!("CARGO_PKG_VERSION").to_string(),
        plan: PlanSummary {
            voice_vlan: site.voice_vlan,
            phone_budget_mw: site.phones.budget_mw,
            poe_headroom_pct: site.thresholds.poe_headroom_pct,
            phones: site.phones.needs().labels,
            ready_score: site.thresholds.ready_score,
            at_risk_score: site.thresholds.at_risk_score,
        },
        switches: results,
        counts: score::counts(&findings),
        findings,
        score,
        verdict,
    }
}

fn evaluate_switch(
    sw: &SwitchOutcome,
    t: &crate::plan::Thresholds,
) -> (Vec<Finding>, SwitchResult) {
    let address = sw.plan.address.clone();
    match &sw.result {
        Err(error) => {
            let fs = checks::unreachable(&address, error);
            let score = score::score(&fs);
            let result = SwitchResult {
                address,
                name: None,
                model: None,
                reachable: false,
                error: Some(error.clone()),
                user_ports: 0,
                score,
                verdict: score::verdict(&fs, score, t),
                poe: vec![],
                platform: None,
                roles: vec![],
                supplies: vec![],
                members: vec![],
                poe_hardware: vec![],
            };
            (fs, result)
        }
        Ok(snap) => {
            let ctx = checks::Ctx::new(snap, &sw.plan);
            let fs = checks::evaluate_ctx(&ctx);
            let score = score::score(&fs);
            let result = SwitchResult {
                address,
                name: snap.system.name.clone(),
                model: model(snap),
                reachable: true,
                error: None,
                user_ports: ctx.users.len() as u32,
                score,
                verdict: score::verdict(&fs, score, t),
                poe: checks::poe_budgets(&ctx),
                platform: Some(snap.platform.clone()),
                roles: ports::role_groups(snap, &ctx.roles),
                supplies: snap.power_supplies.clone(),
                members: snap.stack.clone(),
                poe_hardware: snap.poe.hardware.clone(),
            };
            (fs, result)
        }
    }
}

/// The switch model: the platform block's, else the first stack member's, else the
/// platform in sysDescr (`C2960X` from "Cisco IOS Software, C2960X Software
/// (C2960X-UNIVERSALK9-M), ...").
pub fn model(snap: &Snapshot) -> Option<String> {
    if let Some(m) = snap.platform.model.clone() {
        return Some(m);
    }
    if let Some(m) = snap.stack.iter().find_map(|s| s.model.clone()) {
        return Some(m);
    }
    let d = snap.system.descr.as_deref()?;
    let before = d.split(" Software (").next()?;
    if before.len() == d.len() {
        return None;
    }
    before
        .rsplit([',', ' '])
        .find(|w| !w.is_empty())
        .map(str::to_string)
}

/// Blockers first (failed blocker findings), then failed warnings, unknowns, failed info
/// and passes; within each, by switch (plan order), port (natural order, switch-level
/// first) and check id.
pub fn sort_findings(findings: &mut [Finding], switch_order: &[&str]) {
    let rank = |f: &Finding| match (f.status, f.severity) {
        (Status::Fail, Severity::Blocker) => 0,
        (Status::Fail, Severity::Warning) => 1,
        (Status::Unknown, _) => 2,
        (Status::Fail, Severity::Info) => 3,
        (Status::Pass, _) => 4,
        (Status::NotApplicable, _) => 5,
    };
    // A switch's first place in `switch_order`; looked up, not searched, per comparison.
    let mut first: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(switch_order.len());
    for (i, s) in switch_order.iter().enumerate() {
        first.entry(*s).or_insert(i);
    }
    let pos = |s: &str| first.get(s).copied().unwrap_or(usize::MAX);
    findings.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then_with(|| pos(&a.switch).cmp(&pos(&b.switch)))
            .then_with(|| a.switch.cmp(&b.switch))
            .then_with(|| match (&a.port, &b.port) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => ports::natural_cmp(x, y),
            })
            .then_with(|| a.check.cmp(&b.check))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil;
    use crate::plan::Plan;
    use lanready_schema::Verdict;

    fn site() -> SitePlan {
        let text = "[[sites]]\nname = \"lab\"\nvoice_vlan = 110\ncommunity = \"c\"\nswitches = [\"127.0.0.1\", \"127.0.0.2\"]\n[sites.phones]\nclass = 2\n";
        Plan::parse(text, std::path::Path::new("t.toml"))
            .unwrap()
            .sites
            .remove(0)
    }

    fn ctx() -> ScanContext {
        ScanContext {
            now: time::macros::datetime!(2026-11-25 12:00 UTC),
            id: "00000000-0000-4000-8000-000000000000".into(),
            agent: "test".into(),
        }
    }

    #[test]
    fn a_ready_switch_and_an_unreachable_one() {
        let site = site();
        let mut snap = testutil::ready();
        snap.target = "127.0.0.1:161".into();
        let outcomes = vec![
            SwitchOutcome {
                plan: site.switch_plan("127.0.0.1:161", None),
                result: Ok(snap),
            },
            SwitchOutcome {
                plan: site.switch_plan("127.0.0.2:161", None),
                result: Err("no answer".into()),
            },
        ];
        let r = build(&site, &outcomes, &[], &ctx());
        assert_eq!(r.schema, "lanready.report/v1");
        assert_eq!(r.generated_at, "2026-11-25T12:00:00Z");
        assert_eq!(r.switches[0].verdict, Verdict::Ready);
        assert_eq!(r.switches[0].score, 100);
        assert_eq!(r.switches[0].user_ports, 48);
        assert_eq!(r.switches[0].poe[0].planned_w, 336);
        assert!(!r.switches[1].reachable);
        assert_eq!(r.switches[1].verdict, Verdict::NotReady);
        assert_eq!(r.verdict, Verdict::NotReady);
        // The blocker comes first.
        assert_eq!(r.findings[0].check, "switch.reachable");
        assert_eq!(r.findings[0].switch, "127.0.0.2:161");
        assert_eq!(r.counts.blockers, 1);
        assert_eq!(r.counts.unknown, 20);
        // The same input gives the same report.
        assert_eq!(r, build(&site, &outcomes, &[], &ctx()));
    }

    #[test]
    fn an_empty_sweep_blocks() {
        let site = site();
        let r = build(
            &site,
            &[],
            &[Sweep {
                label: "127.0.1.0/29".into(),
                probed: 6,
                found: 0,
            }],
            &ctx(),
        );
        assert_eq!(r.verdict, Verdict::NotReady);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].switch, "127.0.1.0/29");
    }

    #[test]
    fn models_from_sysdescr() {
        let mut s = Snapshot::default();
        s.system.descr = Some(
            "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8".into(),
        );
        assert_eq!(model(&s).as_deref(), Some("C2960X"));
        s.system.descr = Some("Linux box".into());
        assert_eq!(model(&s), None);
    }
}
