//! Counts in words that agree with their number: `1 blocker`, `3 blockers`, `1 power supply`,
//! `2 power supplies`.

/// `n` with `one` or `many`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_agree() {
        assert_eq!(super::count(1u32, "switch", "switches"), "1 switch");
        assert_eq!(super::count(0u32, "switch", "switches"), "0 switches");
        assert_eq!(
            super::count(2usize as u64, "supply", "supplies"),
            "2 supplies"
        );
    }
}
