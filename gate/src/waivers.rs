//! Waivers in the gate's rule: a finding matched by a waiver in force does not count against
//! the site. The report is judged as if each waived finding had passed (its score, verdict
//! and counts made again from the findings), and every waived finding is listed with its
//! waiver, so an accepted exception is never silent.

use lanready_schema::programme::{Waiver, WaiverState};
use lanready_schema::{Finding, Report, Status};

/// A finding as the report gave it, and the waiver that covers it.
#[derive(Clone, Debug, PartialEq)]
pub struct Waived {
    pub finding: Finding,
    pub waiver: Waiver,
}

/// A report with waivers applied: judged again, and what was waived.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub report: Report,
    pub waived: Vec<Waived>,
}

/// A waiver's state on `today` (a UTC day): revoked, or expired from its expiry day on (the
/// expiry day is the first day it no longer applies), or else in force. The one rule both
/// gates and the collector judge expiry by.
pub fn state_on(revoked: bool, expires: time::Date, today: time::Date) -> WaiverState {
    if revoked {
        WaiverState::Revoked
    } else if today >= expires {
        WaiverState::Expired
    } else {
        WaiverState::InForce
    }
}

/// Whether `pattern` (`*` any run of characters, `?` one character) matches all of `text`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Iterative matching with one backtrack point: the last `*` and where it started.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// Whether the waiver covers this finding: the same site and check, its switch (when it
/// names one), a port its glob matches (when it has one), and a finding that fails or
/// could not be told. A waiver that is not in force covers nothing.
pub fn covers(w: &Waiver, site: &str, f: &Finding) -> bool {
    w.state == WaiverState::InForce
        && w.site == site
        && w.check == f.check
        && matches!(f.status, Status::Fail | Status::Unknown)
        && w.switch.as_ref().is_none_or(|s| *s == f.switch)
        && match (&w.port, &f.port) {
            (None, _) => true,
            (Some(glob), Some(port)) => glob_match(glob, port),
            (Some(_), None) => false,
        }
}

/// The report with every covered finding passed and the report judged again; the first
/// waiver (by id) that covers a finding is the one named.
pub fn apply(report: &Report, waivers: &[Waiver]) -> Applied {
    let mut sorted: Vec<&Waiver> = waivers.iter().collect();
    sorted.sort_by_key(|w| w.id);
    let mut out = report.clone();
    let mut waived = Vec::new();
    for f in &mut out.findings {
        if let Some(w) = sorted.iter().find(|w| covers(w, &report.site, f)) {
            waived.push(Waived {
                finding: f.clone(),
                waiver: (*w).clone(),
            });
            f.status = Status::Pass;
        }
    }
    if !waived.is_empty() {
        lanready_schema::score::rejudge(&mut out);
    }
    Applied {
        report: out,
        waived,
    }
}

/// One line naming a waiver: `waiver #3 by Jo Bloggs, until 2027-03-01: reason`.
pub fn describe(w: &Waiver) -> String {
    format!(
        "waiver #{} by {}, until {}: {}",
        w.id, w.by, w.expires, w.reason
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanready_schema::{Severity, Verdict};

    #[test]
    fn a_waiver_stops_on_its_expiry_day() {
        let day = |d| time::Date::from_calendar_date(2027, time::Month::March, d).unwrap();
        assert_eq!(state_on(false, day(10), day(9)), WaiverState::InForce);
        assert_eq!(state_on(false, day(10), day(10)), WaiverState::Expired);
        assert_eq!(state_on(false, day(10), day(11)), WaiverState::Expired);
        assert_eq!(state_on(true, day(10), day(9)), WaiverState::Revoked);
    }

    #[test]
    fn globs_match_whole_names() {
        for (p, t, want) in [
            ("Gi1/0/*", "Gi1/0/12", true),
            ("Gi1/0/*", "Gi1/0/", true),
            ("Gi1/0/*", "Gi2/0/1", false),
            ("Gi1/0/?", "Gi1/0/7", true),
            ("Gi1/0/?", "Gi1/0/17", false),
            ("*", "", true),
            ("Gi*/0/1", "Gi3/0/1", true),
            ("Gi*/0/1", "Gi3/0/12", false),
            ("*1", "Gi1/0/11", true),
            ("Te1/1/1", "Te1/1/1", true),
            ("Te1/1/1", "te1/1/1", false),
        ] {
            assert_eq!(glob_match(p, t), want, "{p} ~ {t}");
        }
    }

    fn waiver(id: u64, check: &str, switch: Option<&str>, port: Option<&str>) -> Waiver {
        Waiver {
            id,
            site: "hq".into(),
            check: check.into(),
            switch: switch.map(Into::into),
            port: port.map(Into::into),
            reason: "budget upgrade ordered".into(),
            expires: "2027-03-01".into(),
            by: "Jo".into(),
            created_at: "2027-01-01T00:00:00Z".into(),
            created_via: "cli".into(),
            revoked_at: None,
            revoked_by: None,
            state: WaiverState::InForce,
        }
    }

    #[test]
    fn a_waived_blocker_no_longer_fails_the_site_and_is_listed() {
        let mut r =
            lanready_schema::sample::report("r1", "hq", "2027-01-01T00:00:00Z", 90, Verdict::Ready);
        let sw = r.switches[0].address.clone();
        let f = |port: &str| Finding {
            check: "voice_vlan.port".into(),
            severity: Severity::Blocker,
            status: Status::Fail,
            switch: sw.clone(),
            port: Some(port.into()),
            message: format!("{port}: no voice VLAN"),
            evidence: vec![],
            remediation: None,
        };
        r.findings.retain(|f| f.check != "voice_vlan.port");
        r.findings.push(f("Gi1/0/7"));
        r.findings.push(f("Te1/1/1"));
        lanready_schema::score::rejudge(&mut r);
        assert_eq!(r.verdict, Verdict::NotReady);

        // Covering one port of two: still not ready.
        let one = apply(
            &r,
            &[waiver(1, "voice_vlan.port", Some(&sw), Some("Gi1/0/*"))],
        );
        assert_eq!(one.waived.len(), 1);
        assert_eq!(one.report.verdict, Verdict::NotReady);
        assert_eq!(one.report.counts.blockers, 1);
        // Both: the site is judged again without them.
        let both = apply(
            &r,
            &[
                waiver(2, "voice_vlan.port", None, Some("Te*")),
                waiver(1, "voice_vlan.port", Some(&sw), Some("Gi1/0/*")),
            ],
        );
        assert_eq!(both.waived.len(), 2);
        assert_eq!(both.report.counts.blockers, 0);
        assert_ne!(both.report.verdict, Verdict::NotReady);
        assert!(lanready_schema::score::disagreements(&both.report).is_empty());
        assert_eq!(both.waived[0].waiver.id, 1);
        assert_eq!(
            both.waived[0].finding.status,
            Status::Fail,
            "listed as reported"
        );

        // Another check, another switch, another site, a glob on a switch-wide finding, an
        // expired or revoked waiver: nothing waived.
        let mut expired = waiver(3, "voice_vlan.port", None, None);
        expired.state = WaiverState::Expired;
        let mut revoked = waiver(4, "voice_vlan.port", None, None);
        revoked.state = WaiverState::Revoked;
        let mut elsewhere = waiver(5, "voice_vlan.port", None, None);
        elsewhere.site = "branch".into();
        for w in [
            waiver(6, "poe.budget", None, None),
            waiver(7, "voice_vlan.port", Some("10.0.0.9:161"), None),
            expired,
            revoked,
            elsewhere,
        ] {
            let a = apply(&r, std::slice::from_ref(&w));
            assert!(a.waived.is_empty(), "{w:?}");
            assert_eq!(a.report, r);
        }
    }
}
