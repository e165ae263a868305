//! Port names as people read them: natural order (`Gi1/0/2` before `Gi1/0/10`), compact
//! ranges, and the port-role table's rows that the agent's text and the gate print.

/// Orders port names as people do: `Gi1/0/2` before `Gi1/0/10`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(cb.iter()) {
        let ord = match (x, y) {
            ((true, n), (true, m)) => {
                let (n, m) = (n.trim_start_matches('0'), m.trim_start_matches('0'));
                n.len().cmp(&m.len()).then_with(|| n.cmp(m))
            }
            ((_, n), (_, m)) => n.cmp(m),
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// One row of a port-role table (`user  48  Gi1/0/1-48: an access port: a socket`), as the
/// poll text and the gate print it.
pub fn role_row(g: &crate::RoleGroup) -> String {
    format!(
        "{:<15} {:>3}  {}: {}",
        g.role.name(),
        g.ports.len(),
        compact(&g.ports),
        g.reason
    )
}

/// Port names in a compact form: consecutive last numbers with the same prefix become a
/// range (`Gi1/0/1-44, Gi1/0/46, Te1/1/1-2`).
pub fn compact<S: AsRef<str>>(names: &[S]) -> String {
    runs(names)
        .iter()
        .map(|r| r.spelled("-"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stretch of port names in natural order: one name, or a prefix with its first and last
/// consecutive number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Run {
    One(String),
    Span(String, u32, u32),
}

impl Run {
    /// The run as written, its first and last number joined by `hyphen` (`Gi1/0/1-24`, or
    /// IOS's `Gi1/0/1 - 24`).
    pub fn spelled(&self, hyphen: &str) -> String {
        match self {
            Run::One(n) => n.clone(),
            Run::Span(head, a, b) => format!("{head}{a}{hyphen}{b}"),
        }
    }
}

/// Port names (sorted, deduplicated) as runs of consecutive last numbers with one prefix.
pub fn runs<S: AsRef<str>>(names: &[S]) -> Vec<Run> {
    let mut sorted: Vec<&str> = names.iter().map(|n| n.as_ref()).collect();
    sorted.sort_by(|a, b| natural_cmp(a, b));
    sorted.dedup();
    let split = |n: &str| -> (String, Option<u32>) {
        let digits = n.len() - n.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (head, tail) = n.split_at(n.len() - digits);
        (head.to_string(), tail.parse().ok())
    };
    let mut out: Vec<Run> = Vec::new();
    let mut run: Option<(String, u32, u32)> = None;
    let flush = |run: &mut Option<(String, u32, u32)>, out: &mut Vec<Run>| {
        if let Some((head, a, b)) = run.take() {
            out.push(if a == b {
                Run::One(format!("{head}{a}"))
            } else {
                Run::Span(head, a, b)
            });
        }
    };
    for n in sorted {
        match split(n) {
            (head, Some(k)) => match &mut run {
                Some((h, _, b)) if *h == head && *b + 1 == k => *b = k,
                _ => {
                    flush(&mut run, &mut out);
                    run = Some((head, k, k));
                }
            },
            (_, None) => {
                flush(&mut run, &mut out);
                out.push(Run::One(n.to_string()));
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

/// IOS allows at most this many comma-separated ranges in one `interface range` command
/// (Catalyst 2960-X/3850/9300 and 6500 configuration guides, "Configuring a Range of
/// Interfaces").
pub const RANGES_PER_COMMAND: usize = 5;

/// The interface-mode heads that select `names` together: `interface NAME` for one port,
/// else `interface range Gi1/0/1 - 24, Gi2/0/1 - 24` (a space either side of the hyphen, as
/// IOS 12.2 requires and later releases accept), at most [`RANGES_PER_COMMAND`] ranges a
/// command, so a long list is several commands carrying the same lines.
pub fn interface_heads<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    let items: Vec<String> = runs(names).iter().map(|r| r.spelled(" - ")).collect();
    if items.len() == 1 && !items[0].contains(" - ") {
        return vec![format!("interface {}", items[0])];
    }
    items
        .chunks(RANGES_PER_COMMAND)
        .map(|c| format!("interface range {}", c.join(", ")))
        .collect()
}

/// Whether a [`compact`] list (`Gi1/0/1-3, Gi1/0/5, Po1`) names `name`.
pub fn compact_contains(list: &str, name: &str) -> bool {
    list.split(", ").any(|item| {
        if item == name {
            return true;
        }
        let Some((from, to)) = item.rsplit_once('-') else {
            return false;
        };
        let digits = from.len() - from.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (head, a) = from.split_at(from.len() - digits);
        match (a.parse::<u32>(), to.parse::<u32>()) {
            (Ok(a), Ok(b)) => (a..=b).any(|k| format!("{head}{k}") == name),
            _ => false,
        }
    })
}

/// The ports an `interface range` list selects (`Gi1/0/1 - 3, Gi1/0/5`: Gi1/0/1, Gi1/0/2,
/// Gi1/0/3, Gi1/0/5), the inverse of [`interface_heads`]; None for a list that is not one.
pub fn range_ports(list: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for item in list.split(',') {
        let toks: Vec<&str> = item.split_whitespace().collect();
        match toks.as_slice() {
            [name] => out.push(name.to_string()),
            [name, "-", last] => {
                let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
                let (head, first) = name.split_at(name.len() - digits);
                let (a, b): (u32, u32) = (first.parse().ok()?, last.parse().ok()?);
                if b <= a {
                    return None;
                }
                out.extend((a..=b).map(|k| format!("{head}{k}")));
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_and_compact_lists() {
        let mut v = vec!["Gi1/0/10", "Gi1/0/2", "Gi2/0/1", "Gi1/0/1", "Te1/1/1"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            vec!["Gi1/0/1", "Gi1/0/2", "Gi1/0/10", "Gi2/0/1", "Te1/1/1"]
        );
        let names = [
            "Gi1/0/3", "Gi1/0/1", "Gi1/0/2", "Gi1/0/5", "Te1/1/1", "Te1/1/2", "Vlan1", "Nu0",
        ];
        assert_eq!(compact(&names), "Gi1/0/1-3, Gi1/0/5, Nu0, Te1/1/1-2, Vlan1");
        assert_eq!(
            interface_heads(&names),
            vec!["interface range Gi1/0/1 - 3, Gi1/0/5, Nu0, Te1/1/1 - 2, Vlan1".to_string()]
        );
        assert_eq!(interface_heads(&["Gi1/0/7"]), vec!["interface Gi1/0/7"]);
        // Two ports that are not consecutive still make a range command.
        assert_eq!(
            interface_heads(&["Gi1/0/9", "Gi1/0/7"]),
            vec!["interface range Gi1/0/7, Gi1/0/9"]
        );
        let head = &interface_heads(&names)[0];
        let mut back = range_ports(head.strip_prefix("interface range ").unwrap()).unwrap();
        back.sort_by(|a, b| natural_cmp(a, b));
        let mut want: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        want.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(back, want);
        assert_eq!(range_ports("Gi1/0/3 - 1"), None);
        let list = compact(&names);
        for n in names {
            assert!(compact_contains(&list, n), "{n} in {list}");
        }
        assert!(!compact_contains(&list, "Gi1/0/4"));
        assert!(!compact_contains(&list, "Gi1/0/30"));
        assert!(compact_contains("Port-channel1-2", "Port-channel2"));
        assert!(compact_contains("Port-channel1", "Port-channel1"));
        // Six ranges: five in the first command, the sixth in a second.
        let spread: Vec<String> = (1..=6).map(|m| format!("Gi{m}/0/1")).collect();
        assert_eq!(
            interface_heads(&spread),
            vec![
                "interface range Gi1/0/1, Gi2/0/1, Gi3/0/1, Gi4/0/1, Gi5/0/1".to_string(),
                "interface range Gi6/0/1".to_string()
            ]
        );
    }
}
