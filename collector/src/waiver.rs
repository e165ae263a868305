//! Waivers: accepted exceptions, each for one check at one site (optionally one switch, and
//! ports matching a glob), with a reason, an owner and an expiry no more than a year ahead.
//! What a new waiver must hold is checked here, before anything is stored; whether a stored
//! one applies on a given day is [`state`]. The gate's rule for what a waiver covers is
//! `lanready_gate::waivers`.

use lanready_schema::programme::{Waiver, WaiverState};
use time::{Date, OffsetDateTime};

use crate::aggregate::rfc3339;
use crate::programme::{day, parse_day};
use crate::validate;

/// The furthest ahead a waiver may expire: the same day a year on (28 February for a waiver
/// made on 29 February).
pub fn latest_expiry(today: Date) -> Date {
    let year = today.year() + 1;
    today
        .replace_year(year)
        .or_else(|_| Date::from_calendar_date(year, today.month(), 28))
        .unwrap_or(today)
}

/// A waiver as asked for: the flags of `waiver add`, the body of `POST /api/v1/waivers`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct NewWaiver {
    #[arg(long)]
    pub site: String,
    /// The check id (`poe.budget`, `qos.trust`, ...).
    #[arg(long)]
    pub check: String,
    /// Only this switch (its address as the report names it).
    #[serde(default)]
    #[arg(long)]
    pub switch: Option<String>,
    /// Only ports matching this glob (`Gi1/0/*`; `*` any run, `?` one character).
    #[serde(default)]
    #[arg(long)]
    pub port: Option<String>,
    /// Why the exception is accepted (shown wherever the waived findings are).
    #[arg(long)]
    pub reason: String,
    /// The day the waiver stops applying (YYYY-MM-DD, at most a year ahead).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: String,
    /// Who accepts the exception.
    #[arg(long)]
    pub by: String,
}

/// A checked waiver, ready to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedWaiver {
    pub site: String,
    pub check: String,
    pub switch: Option<String>,
    pub port: Option<String>,
    pub reason: String,
    pub expires: Date,
    pub by: String,
}

/// A stored waiver row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredWaiver {
    pub id: u64,
    pub waiver: CheckedWaiver,
    pub created_via: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by: Option<String>,
}

fn text(what: &str, value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if v.chars().count() > max {
        return Err(format!("{what} is longer than {max} characters"));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("{what} contains a control character"));
    }
    Ok(v.to_string())
}

impl NewWaiver {
    /// Checks every field against `today`; the error names the field.
    pub fn check(&self, today: Date) -> Result<CheckedWaiver, String> {
        let site = self.site.trim();
        validate::site_name(site).map_err(|e| format!("site: {e}"))?;
        let check = self.check.trim();
        if lanready_schema::score::weight(check).is_none() {
            return Err(format!(
                "check: {check:?} is not a check id (see docs/checks.md, such as poe.budget)"
            ));
        }
        let optional = |what: &str, v: &Option<String>, max| {
            v.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| text(what, s, max))
                .transpose()
        };
        let expires = parse_day(&self.expires).map_err(|e| format!("expires: {e}"))?;
        if expires <= today {
            return Err(format!(
                "expires: {} is not after today ({})",
                day(expires),
                day(today)
            ));
        }
        if expires > latest_expiry(today) {
            return Err(format!(
                "expires: {} is more than a year ahead (at the latest {}); a waiver is reviewed at least yearly",
                day(expires),
                day(latest_expiry(today))
            ));
        }
        Ok(CheckedWaiver {
            site: site.to_string(),
            check: check.to_string(),
            switch: optional("switch", &self.switch, 200)?,
            port: optional("port", &self.port, 100)?,
            reason: text("reason", &self.reason, 500)?,
            expires,
            by: text("by", &self.by, 100)?,
        })
    }
}

/// Whether a stored waiver applies on `today`: revoked, expired (from its expiry day on), or
/// in force.
pub fn state(w: &StoredWaiver, today: Date) -> WaiverState {
    lanready_gate::waivers::state_on(w.revoked_at.is_some(), w.waiver.expires, today)
}

/// The document form of a stored waiver on `today`.
pub fn document(w: &StoredWaiver, today: Date) -> Waiver {
    Waiver {
        id: w.id,
        site: w.waiver.site.clone(),
        check: w.waiver.check.clone(),
        switch: w.waiver.switch.clone(),
        port: w.waiver.port.clone(),
        reason: w.waiver.reason.clone(),
        expires: day(w.waiver.expires),
        by: w.waiver.by.clone(),
        created_at: rfc3339(w.created_at),
        created_via: w.created_via.clone(),
        revoked_at: w.revoked_at.map(rfc3339),
        revoked_by: w.revoked_by.clone(),
        state: state(w, today),
    }
}

/// The UTC day of `now`.
pub fn today(now: OffsetDateTime) -> Date {
    now.to_offset(time::UtcOffset::UTC).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn new() -> NewWaiver {
        NewWaiver {
            site: "hq".into(),
            check: "poe.budget".into(),
            switch: Some("10.1.1.2:161".into()),
            port: Some("Gi1/0/*".into()),
            reason: "a second PSU is ordered (PO 4471)".into(),
            expires: "2027-03-01".into(),
            by: "Jo Bloggs".into(),
        }
    }

    #[test]
    fn a_waiver_needs_a_reason_an_owner_and_an_expiry_within_a_year() {
        let today = date!(2027 - 01 - 15);
        let ok = new().check(today).unwrap();
        assert_eq!(ok.expires, date!(2027 - 03 - 01));
        let bad = |f: fn(&mut NewWaiver)| {
            let mut w = new();
            f(&mut w);
            w.check(today).unwrap_err()
        };
        assert!(bad(|w| w.reason = " ".into()).starts_with("reason is empty"));
        assert!(bad(|w| w.by = String::new()).starts_with("by is empty"));
        assert!(bad(|w| w.check = "poe.budgt".into()).starts_with("check:"));
        assert!(bad(|w| w.site = "../x".into()).starts_with("site:"));
        assert!(bad(|w| w.expires = "2027-01-15".into()).contains("not after today"));
        assert!(bad(|w| w.expires = "2028-01-16".into()).contains("more than a year"));
        let mut a_year = new();
        a_year.expires = "2028-01-15".into();
        assert!(a_year.check(today).is_ok(), "a year to the day is allowed");
        assert_eq!(latest_expiry(date!(2028 - 02 - 29)), date!(2029 - 02 - 28));
        assert!(bad(|w| w.expires = "soon".into()).starts_with("expires:"));
        assert!(bad(|w| w.port = Some("Gi1/0/\n1".into())).starts_with("port contains"));
        // An empty switch or port is "every".
        let mut w = new();
        w.switch = Some(String::new());
        w.port = None;
        let c = w.check(today).unwrap();
        assert_eq!((c.switch, c.port), (None, None));
    }

    #[test]
    fn a_waiver_stops_applying_on_its_expiry_day() {
        let w = StoredWaiver {
            id: 1,
            waiver: new().check(date!(2027 - 01 - 15)).unwrap(),
            created_via: "cli".into(),
            created_at: datetime!(2027-01-15 09:00 UTC),
            revoked_at: None,
            revoked_by: None,
        };
        assert_eq!(state(&w, date!(2027 - 02 - 28)), WaiverState::InForce);
        assert_eq!(state(&w, date!(2027 - 03 - 01)), WaiverState::Expired);
        // The UTC day decides: 23:59 UTC on the last day still applies.
        assert_eq!(
            today(datetime!(2027-02-28 23:59 UTC)),
            date!(2027 - 02 - 28)
        );
        let revoked = StoredWaiver {
            revoked_at: Some(datetime!(2027-01-20 10:00 UTC)),
            revoked_by: Some("Ash".into()),
            ..w
        };
        assert_eq!(state(&revoked, date!(2027 - 01 - 21)), WaiverState::Revoked);
    }
}
