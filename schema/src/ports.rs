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
    let mut sorted: Vec<&str> = names.iter().map(|n| n.as_ref()).collect();
    sorted.sort_by(|a, b| natural_cmp(a, b));
    sorted.dedup();
    let split = |n: &str| -> (String, Option<u32>) {
        let digits = n.len() - n.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (head, tail) = n.split_at(n.len() - digits);
        (head.to_string(), tail.parse().ok())
    };
    let mut out: Vec<String> = Vec::new();
    let mut run: Option<(String, u32, u32)> = None;
    let flush = |run: &mut Option<(String, u32, u32)>, out: &mut Vec<String>| {
        if let Some((head, a, b)) = run.take() {
            out.push(if a == b {
                format!("{head}{a}")
            } else {
                format!("{head}{a}-{b}")
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
            (head, None) => {
                flush(&mut run, &mut out);
                out.push(head);
            }
        }
    }
    flush(&mut run, &mut out);
    out.join(", ")
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
    }
}
