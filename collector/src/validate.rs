//! Rules for names that arrive from outside: site names (in report bodies and URL paths)
//! and report ids.

/// Longest site name accepted.
pub const MAX_SITE_LEN: usize = 64;
/// Longest report id accepted.
pub const MAX_ID_LEN: usize = 128;

/// A site name is 1-64 ASCII letters, digits, `.`, `_` or `-`, starting with a letter or
/// digit, with no `..`. So it is safe in a URL path, a file name, a Prometheus label and
/// an HTML page without quoting, and cannot name a parent directory.
pub fn site_name(site: &str) -> Result<(), String> {
    if site.is_empty() {
        return Err("site name is empty".into());
    }
    if site.len() > MAX_SITE_LEN {
        return Err(format!(
            "site name is longer than {MAX_SITE_LEN} characters"
        ));
    }
    if !site.as_bytes()[0].is_ascii_alphanumeric() {
        return Err("site name must start with a letter or digit".into());
    }
    if let Some(c) = site
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "site name contains {c:?}; allowed are ASCII letters, digits, '.', '_' and '-'"
        ));
    }
    if site.contains("..") {
        return Err("site name contains \"..\"".into());
    }
    Ok(())
}

/// A report id is 1-128 printable ASCII characters without spaces (UUIDs, ULIDs,
/// `site-20260101T000000Z` all fit).
pub fn report_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("report id is empty".into());
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!("report id is longer than {MAX_ID_LEN} characters"));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("report id must be printable ASCII without spaces".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_names() {
        for ok in ["hq", "site-01", "Berlin_HQ.2", "a", &"x".repeat(64)] {
            assert_eq!(site_name(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("../etc", "start"),
            ("a/../b", "'/'"),
            ("a..b", "\"..\""),
            ("a b", "' '"),
            ("a'; DROP TABLE reports;--", "'\\''"),
            ("a%2e", "'%'"),
            ("-a", "start"),
            (".hidden", "start"),
            ("sité", "'é'"),
            ("a\nb", "'\\n'"),
            (&"x".repeat(65), "longer"),
        ] {
            let err = site_name(bad).expect_err(bad);
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn report_ids() {
        assert_eq!(report_id("0190b7c2-7d2e-7cc0-9b8f-3a3c2b1d0e9f"), Ok(()));
        assert!(report_id("").is_err());
        assert!(report_id("a b").is_err());
        assert!(report_id(&"x".repeat(129)).is_err());
    }
}
