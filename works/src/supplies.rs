//! Catalyst power supply parts lanready knows: each family's parts with their rated output,
//! and how many supply bays a switch or chassis has. Sources: the part numbers themselves
//! (the rated output is in the name) as Cisco's data sheets and hardware installation
//! guides list them: Catalyst 9200 (PWR-C5), 9300 and 3850 (PWR-C1), 3750-X and 3560-X
//! (C3KX-PWR), 9400 (C9400-PWR), 9500 (C9K-PWR), 4500E (PWR-C45) and 6500-E (WS-CAC). A part
//! not here has no figure: the bill then says so instead of guessing.

/// A family of interchangeable supplies: (part, rated output watts), smallest first.
const FAMILIES: &[&[(&str, u32)]] = &[
    &[
        ("PWR-C1-350WAC", 350),
        ("PWR-C1-350WAC-P", 350),
        ("PWR-C1-715WAC", 715),
        ("PWR-C1-715WAC-P", 715),
        ("PWR-C1-1100WAC", 1100),
        ("PWR-C1-1100WAC-P", 1100),
    ],
    &[
        ("C3KX-PWR-350WAC", 350),
        ("C3KX-PWR-715WAC", 715),
        ("C3KX-PWR-1100WAC", 1100),
    ],
    &[
        ("PWR-C5-125WAC", 125),
        ("PWR-C5-600WAC", 600),
        ("PWR-C5-1KWAC", 1000),
    ],
    &[("C9400-PWR-2100AC", 2100), ("C9400-PWR-3200AC", 3200)],
    &[("C9400-PWR-3200DC", 3200)],
    &[("C9K-PWR-650WAC-R", 650), ("C9K-PWR-1500WAC-R", 1500)],
    &[
        ("PWR-C45-2800ACV", 2800),
        ("PWR-C45-4200ACV", 4200),
        ("PWR-C45-6000ACV", 6000),
        ("PWR-C45-9000ACV", 9000),
    ],
    &[
        ("WS-CAC-3000W", 3000),
        ("WS-CAC-6000W", 6000),
        ("WS-CAC-8700W-E", 8700),
    ],
];

fn family(part: &str) -> Option<&'static [(&'static str, u32)]> {
    let p = part.trim().to_ascii_uppercase();
    FAMILIES
        .iter()
        .copied()
        .find(|f| f.iter().any(|(m, _)| *m == p))
}

/// A part's rated output, watts.
pub fn rated_w(part: &str) -> Option<u32> {
    let p = part.trim().to_ascii_uppercase();
    family(&p)?.iter().find(|(m, _)| *m == p).map(|(_, w)| *w)
}

/// The parts of the same family with a larger rated output than `part`, smallest first
/// (one per output: the `-P` twins of PWR-C1 parts are the same output and are listed
/// once, as the part present spells it when it has the suffix).
pub fn larger(part: &str) -> Vec<(&'static str, u32)> {
    let Some(f) = family(part) else {
        return vec![];
    };
    let Some(now) = rated_w(part) else {
        return vec![];
    };
    let suffix_p = part.trim().to_ascii_uppercase().ends_with("-P");
    let mut out: Vec<(&'static str, u32)> = Vec::new();
    for &(m, w) in f {
        if w <= now {
            continue;
        }
        if let Some(last) = out.last_mut()
            && last.1 == w
        {
            if m.ends_with("-P") == suffix_p {
                *last = (m, w);
            }
            continue;
        }
        out.push((m, w));
    }
    out
}

/// Supply bays per switch or chassis, by model prefix: 9200 (not 9200L), 9300, 3850,
/// 3750-X and 3560-X take two; the 9404R four; the 9407R and 9410R eight; 4500E and 6500-E
/// chassis two; 9500 two. None when lanready does not know the model (a fixed supply, or a
/// model not listed).
pub fn bays(model: &str) -> Option<u32> {
    let m = model.trim().to_ascii_uppercase();
    let two = [
        "C9300-",
        "C9300X-",
        "C9300L-",
        "WS-C3850-",
        "WS-C3750X-",
        "WS-C3560X-",
        "C9500-",
    ];
    if m.starts_with("C9200-") || two.iter().any(|p| m.starts_with(p)) {
        return Some(2);
    }
    match m.as_str() {
        "C9404R" => Some(4),
        "C9407R" | "C9410R" => Some(8),
        _ if m.starts_with("WS-C45") && m.ends_with("-E") => Some(2),
        _ if m.starts_with("WS-C65") && m.ends_with("-E") => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_rate_and_grow_within_their_family_only() {
        assert_eq!(rated_w("PWR-C1-715WAC-P"), Some(715));
        assert_eq!(rated_w("pwr-c1-715wac"), Some(715));
        assert_eq!(rated_w("PWR-2960X-INTERNAL"), None);
        assert_eq!(larger("PWR-C1-715WAC"), vec![("PWR-C1-1100WAC", 1100)]);
        assert_eq!(
            larger("PWR-C1-350WAC-P"),
            vec![("PWR-C1-715WAC-P", 715), ("PWR-C1-1100WAC-P", 1100)]
        );
        assert_eq!(larger("C9400-PWR-3200AC"), vec![]);
        assert_eq!(larger("C9400-PWR-2100AC"), vec![("C9400-PWR-3200AC", 3200)]);
        assert_eq!(larger("C3KX-PWR-350WAC").len(), 2);
        assert!(larger("unknown").is_empty());
        assert_eq!(bays("C9300-48P"), Some(2));
        assert_eq!(bays("C9407R"), Some(8));
        assert_eq!(bays("WS-C6509-E"), Some(2));
        assert_eq!(bays("C9200L-48P-4G"), None, "9200L supplies are fixed");
        assert_eq!(bays("WS-C2960X-48FPD-L"), None);
    }
}
