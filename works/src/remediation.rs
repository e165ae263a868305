//! The IOS configuration lanready may write, and nothing else: the commands each platform
//! family accepts in global and interface configuration mode (and the few sub-modes a fix
//! enters: `vlan`, `class-map`, `policy-map`, `stack-power`). Checks build their fixes from
//! [`Fixes`], which knows the family's spelling; `gate --config` validates every line with
//! [`invalid_lines`] and comments out any it does not know, so an invalid command cannot
//! reach a switch. Lines starting with `!` are comments and always allowed.
//!
//! The grammar is a table: one row per command shape, with placeholders `<vlan>` (1-4094),
//! `<vlans>` (a VLAN list: `110`, `10,110`, `100-110`), `<n>` (a small number), `<word>` (a
//! name) and `<if>` (an interface name). A row says in which families and mode it is valid.

use lanready_schema::Platform;

/// A configuration mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Global,
    Interface,
    Vlan,
    ClassMap,
    PolicyMap,
    PolicyMapClass,
    StackPowerStack,
    StackPowerSwitch,
}

/// Which families a row is valid on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    /// Every Catalyst family lanready judges.
    All,
    /// Classic IOS (2960, 3560, 3750) and IOS-XE (3650, 3850, 9000).
    IosAndXe,
    IosXe,
    Ios,
    Cat6500,
    IosAndCat6500,
    /// Switches with StackPower cables: 3750-X, 3850, 9300 (not 9300L).
    StackPower,
}

struct Row {
    mode: Mode,
    on: On,
    shape: &'static str,
    /// The mode the command enters.
    enters: Option<Mode>,
}

const fn row(mode: Mode, on: On, shape: &'static str) -> Row {
    Row {
        mode,
        on,
        shape,
        enters: None,
    }
}

const fn enter(mode: Mode, on: On, shape: &'static str, enters: Mode) -> Row {
    Row {
        mode,
        on,
        shape,
        enters: Some(enters),
    }
}

use Mode::*;

/// Every command lanready can write. Sources: the Catalyst 2960-X/3750-X (IOS 15.2), 3850 and
/// 9300 (IOS-XE 16/17) and 6500 (12.2SX/15.x SY) command references for these commands.
const GRAMMAR: &[Row] = &[
    enter(Global, On::All, "interface <if>", Interface),
    // `<ranges>` takes the rest of the line: see [`is_interface_ranges`].
    enter(Global, On::All, "interface range <ranges>", Interface),
    enter(Global, On::All, "vlan <vlan>", Vlan),
    row(Global, On::All, "lldp run"),
    row(Global, On::All, "cdp run"),
    row(
        Global,
        On::All,
        "errdisable recovery cause psecure-violation",
    ),
    row(
        Global,
        On::All,
        "errdisable recovery cause security-violation",
    ),
    row(Global, On::All, "errdisable recovery cause bpduguard"),
    row(Global, On::All, "errdisable recovery cause inline-power"),
    row(Global, On::All, "errdisable recovery interval <n>"),
    row(Global, On::All, "end"),
    enter(Global, On::IosXe, "class-map match-any <word>", ClassMap),
    enter(Global, On::IosXe, "policy-map <word>", PolicyMap),
    enter(
        Global,
        On::StackPower,
        "stack-power stack <word>",
        StackPowerStack,
    ),
    enter(
        Global,
        On::StackPower,
        "stack-power switch <n>",
        StackPowerSwitch,
    ),
    row(Vlan, On::All, "name <word>"),
    row(Vlan, On::All, "state active"),
    row(Vlan, On::All, "no shutdown"),
    row(ClassMap, On::IosXe, "match dscp ef"),
    enter(PolicyMap, On::IosXe, "class <word>", PolicyMapClass),
    row(PolicyMapClass, On::IosXe, "priority level 1"),
    row(PolicyMapClass, On::IosXe, "police rate percent <n>"),
    row(PolicyMapClass, On::IosXe, "bandwidth remaining percent <n>"),
    row(StackPowerStack, On::StackPower, "mode power-shared"),
    row(StackPowerSwitch, On::StackPower, "stack <word>"),
    row(Interface, On::All, "switchport mode access"),
    row(Interface, On::All, "switchport access vlan <vlan>"),
    row(Interface, On::All, "switchport voice vlan <vlan>"),
    row(
        Interface,
        On::All,
        "switchport trunk allowed vlan add <vlans>",
    ),
    row(Interface, On::All, "spanning-tree portfast"),
    row(Interface, On::Cat6500, "spanning-tree portfast edge"),
    row(Interface, On::All, "spanning-tree bpduguard enable"),
    row(Interface, On::All, "power inline auto"),
    row(Interface, On::IosAndXe, "power inline port priority high"),
    row(Interface, On::All, "cdp enable"),
    row(Interface, On::All, "lldp transmit"),
    row(Interface, On::All, "lldp receive"),
    row(Interface, On::All, "no shutdown"),
    row(Interface, On::All, "speed auto"),
    row(Interface, On::All, "duplex auto"),
    row(Interface, On::All, "switchport port-security maximum <n>"),
    row(Interface, On::All, "authentication host-mode multi-domain"),
    row(Interface, On::All, "authentication host-mode multi-auth"),
    row(Interface, On::IosAndXe, "auto qos voip cisco-phone"),
    row(Interface, On::IosAndXe, "auto qos voip trust"),
    row(Interface, On::IosXe, "service-policy output <word>"),
    row(Interface, On::IosAndCat6500, "mls qos trust dscp"),
    row(Interface, On::Ios, "priority-queue out"),
];

/// The family whose commands the switch takes: a Catalyst 4500 running IOS-XE (Sup8-E,
/// Sup9-E: image `cat4500es8`, or IOSXE in sysDescr) takes IOS-XE's, as its QoS does.
fn grammar_family(p: &Platform) -> &str {
    let xe_image = p
        .image
        .as_deref()
        .is_some_and(|i| i.to_ascii_lowercase().contains("es8") || i.contains("IOSXE"));
    if p.family == "cat4500" && xe_image {
        "ios_xe"
    } else {
        p.family.as_str()
    }
}

fn family_matches(on: On, p: &Platform) -> bool {
    let f = grammar_family(p);
    match on {
        On::All => matches!(f, "ios" | "ios_xe" | "cat4500" | "cat6500"),
        On::IosAndXe => matches!(f, "ios" | "ios_xe"),
        On::IosXe => f == "ios_xe",
        On::Ios => f == "ios",
        On::Cat6500 => f == "cat6500",
        On::IosAndCat6500 => matches!(f, "ios" | "cat6500"),
        On::StackPower => has_stack_power(p),
    }
}

/// Whether the model has StackPower connectors (3750-X, 3850, 9300 but not 9300L).
pub fn has_stack_power(p: &Platform) -> bool {
    let m = p.model.as_deref().unwrap_or("").to_ascii_uppercase();
    m.starts_with("WS-C3750X")
        || m.starts_with("WS-C3850")
        || (m.starts_with("C9300") && !m.starts_with("C9300L"))
}

fn token_matches(shape: &str, tok: &str) -> bool {
    let number = |t: &str, lo: u32, hi: u32| t.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n));
    match shape {
        "<vlan>" => number(tok, 1, 4094),
        "<n>" => number(tok, 1, 86_400),
        "<vlans>" => {
            !tok.is_empty()
                && tok.split(',').all(|part| match part.split_once('-') {
                    Some((a, b)) => number(a, 1, 4094) && number(b, 1, 4094),
                    None => number(part, 1, 4094),
                })
        }
        "<word>" => {
            !tok.is_empty()
                && tok
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        }
        "<if>" => is_interface_name(tok),
        literal => literal == tok,
    }
}

/// `Gi1/0/1`, `TenGigabitEthernet1/1/1`, `Po10`, `Gi3/1`: letters, then numbers joined by
/// `/` (and a `.` subinterface).
pub fn is_interface_name(tok: &str) -> bool {
    let letters = tok
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
        .count();
    let rest = &tok[letters..];
    letters >= 2
        && !rest.is_empty()
        && rest
            .split(['/', '.'])
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// An `interface range` list: one to [`lanready_schema::ports::RANGES_PER_COMMAND`]
/// comma-separated items, each an interface name or `NAME - LAST` (a space either side of
/// the hyphen, LAST above the name's own last number), read by
/// [`lanready_schema::ports::range_ports`].
pub fn is_interface_ranges(rest: &str) -> bool {
    rest.split(',').count() <= lanready_schema::ports::RANGES_PER_COMMAND
        && lanready_schema::ports::range_ports(rest)
            .is_some_and(|ports| ports.iter().all(|p| is_interface_name(p)))
}

/// The row accepting `line` in `mode` on this platform.
fn find(p: &Platform, mode: Mode, line: &str) -> Option<&'static Row> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    GRAMMAR.iter().find(|r| {
        let shape: Vec<&str> = r.shape.split_whitespace().collect();
        let fits = match shape.split_last() {
            // The rest of the line after the fixed words is one range list.
            Some((&"<ranges>", fixed)) => {
                toks.len() > fixed.len()
                    && fixed.iter().zip(&toks).all(|(s, t)| s == t)
                    && is_interface_ranges(&toks[fixed.len()..].join(" "))
            }
            _ => {
                shape.len() == toks.len()
                    && shape.iter().zip(&toks).all(|(s, t)| token_matches(s, t))
            }
        };
        r.mode == mode && family_matches(r.on, p) && fits
    })
}

/// Whether the platform accepts `line` (without its indentation) in `mode`.
pub fn accepts(p: &Platform, mode: Mode, line: &str) -> bool {
    find(p, mode, line).is_some()
}

/// Lines of a configuration the platform would not accept, with their line numbers
/// (1-based) and why. Indentation decides the mode: a line at column 0 is global, one space
/// is the sub-mode the last global line entered, two spaces the sub-mode of that.
pub fn invalid_lines(p: &Platform, text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    // The mode entered at each depth.
    let mut entered: [Option<Mode>; 3] = [Some(Global), None, None];
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('!') {
            continue;
        }
        let depth = line.len() - body.len();
        let mode = match entered.get(depth).copied().flatten() {
            Some(m) => m,
            None => {
                out.push((
                    n + 1,
                    line.to_string(),
                    "indented under nothing that opens a mode".into(),
                ));
                continue;
            }
        };
        match find(p, mode, body) {
            Some(r) => {
                for d in entered.iter_mut().skip(depth + 1) {
                    *d = None;
                }
                if let Some(next) = r.enters
                    && depth + 1 < entered.len()
                {
                    entered[depth + 1] = Some(next);
                }
            }
            None => {
                // Nothing under a line that was not accepted is accepted either.
                for d in entered.iter_mut().skip(depth + 1) {
                    *d = None;
                }
                out.push((
                    n + 1,
                    line.to_string(),
                    format!(
                        "not a command lanready knows on {} in {mode:?} mode",
                        family_label(p)
                    ),
                ))
            }
        }
    }
    out
}

fn family_label(p: &Platform) -> &str {
    match p.family.as_str() {
        "ios" => "Catalyst IOS",
        "ios_xe" => "IOS-XE",
        "cat4500" => "Catalyst 4500",
        "cat6500" => "Catalyst 6500",
        _ => "a platform it does not know (family unknown)",
    }
}

/// Fix lines spelled for one platform.
pub struct Fixes<'a> {
    pub platform: &'a Platform,
}

impl<'a> Fixes<'a> {
    pub fn new(platform: &'a Platform) -> Self {
        Fixes { platform }
    }

    /// The family is one lanready writes configuration for.
    pub fn known(&self) -> bool {
        matches!(
            self.platform.family.as_str(),
            "ios" | "ios_xe" | "cat4500" | "cat6500"
        )
    }

    /// `interface NAME` and its lines, keeping only the lines the platform accepts in
    /// interface mode; the others become comments. Comment lines (`!`) pass as they are.
    pub fn interface(&self, port: &str, lines: &[&str]) -> String {
        // Comments first: a comment line inside an interface block would end it.
        let mut comments: Vec<String> = Vec::new();
        let mut body: Vec<&str> = Vec::new();
        for l in lines {
            if l.starts_with('!') {
                comments.push(l.to_string());
            } else if self.known() && accepts(self.platform, Interface, l) {
                body.push(l);
            } else {
                comments.push(format!(
                    "! {port}: `{l}` is not written: not a command lanready knows on {}",
                    family_label(self.platform)
                ));
            }
        }
        let mut out = comments;
        if !body.is_empty() {
            out.push(format!("interface {port}"));
            out.extend(body.iter().map(|l| format!(" {l}")));
        }
        out.join("\n")
    }

    /// The portfast line for access ports.
    pub fn portfast(&self) -> &'static str {
        "spanning-tree portfast"
    }

    /// Interface lines that make a port trust the planned phones' markings: Cisco phones
    /// seen over CDP get conditional trust; LLDP-MED phones (Avaya) need the port to trust
    /// DSCP. None when the family has no such command lanready writes (verify by hand).
    pub fn trust(&self, lldp_med: bool) -> Option<Vec<&'static str>> {
        match (self.platform.family.as_str(), lldp_med) {
            ("ios_xe", false) => Some(vec!["auto qos voip cisco-phone"]),
            ("ios_xe", true) => Some(vec!["auto qos voip trust"]),
            ("ios", false) => Some(vec!["auto qos voip cisco-phone"]),
            ("ios", true) => Some(vec![
                "! LLDP-MED phones (Avaya): trust DSCP on the port. It takes effect with `mls qos`",
                "! on globally, and `mls qos` makes every other port without trust re-mark to 0:",
                "! review the switch's QoS before turning it on.",
                "mls qos trust dscp",
            ]),
            ("cat6500", _) => Some(vec![
                "! takes effect with `mls qos` on globally (review the other ports first)",
                "mls qos trust dscp",
            ]),
            _ => None,
        }
    }

    /// The egress priority queue for EF on user ports: auto-QoS writes the input and the
    /// output policy together on IOS-XE.
    pub fn egress_user(&self, lldp_med: bool) -> Option<Vec<&'static str>> {
        match self.platform.family.as_str() {
            "ios_xe" if lldp_med => Some(vec!["auto qos voip trust"]),
            "ios_xe" => Some(vec!["auto qos voip cisco-phone"]),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(family: &str, model: &str) -> Platform {
        Platform {
            model: Some(model.into()),
            family: family.into(),
            ..Platform::default()
        }
    }

    #[test]
    fn the_grammar_by_family_and_mode() {
        let xe = platform("ios_xe", "C9300-48P");
        let ios = platform("ios", "WS-C2960X-48FPD-L");
        let cat6k = platform("cat6500", "WS-C6509-E");
        // (platform, mode, line, accepted)
        let cases: &[(&Platform, Mode, &str, bool)] = &[
            (&xe, Interface, "switchport voice vlan 110", true),
            (&xe, Interface, "switchport voice vlan 4095", false),
            (&xe, Interface, "auto qos voip trust", true),
            (&xe, Interface, "mls qos trust dscp", false),
            (&ios, Interface, "mls qos trust dscp", true),
            (&ios, Interface, "service-policy output UPLINK-OUT", false),
            (&cat6k, Interface, "auto qos voip cisco-phone", false),
            (&cat6k, Interface, "spanning-tree portfast edge", true),
            (&xe, Interface, "spanning-tree portfast edge", false),
            (&xe, Global, "interface <uplink>", false),
            (&xe, Global, "interface Gi1/0/1", true),
            (&xe, Global, "interface Port-channel10", true),
            (
                &xe,
                Global,
                "interface range Gi1/0/1 - 24, Gi2/0/1 - 24",
                true,
            ),
            (&xe, Global, "interface range Gi1/0/4, Gi1/0/9", true),
            (&xe, Global, "interface range Gi1/0/24 - 1", false),
            (&xe, Global, "interface range Gi1/0/1 -24", false),
            (
                &xe,
                Global,
                "interface range Gi1/1, Gi1/2, Gi1/3, Gi1/4, Gi1/5, Gi1/6",
                false,
            ),
            (&xe, Global, "interface range", false),
            (
                &xe,
                Interface,
                "switchport trunk allowed vlan add 10,110",
                true,
            ),
            (
                &xe,
                Interface,
                "switchport trunk allowed vlan add none",
                false,
            ),
            (&xe, Global, "stack-power stack Powerstack-1", true),
            (
                &platform("ios_xe", "C9300L-48P-4G"),
                Global,
                "stack-power stack P",
                false,
            ),
            (&ios, Global, "stack-power switch 2", false),
            (
                &platform("ios", "WS-C3750X-24P-L"),
                Global,
                "stack-power switch 2",
                true,
            ),
            (&xe, Global, "speed auto", false),
            (
                &platform("unknown", "ASR1001"),
                Interface,
                "no shutdown",
                false,
            ),
        ];
        for (p, mode, line, want) in cases {
            assert_eq!(
                accepts(p, *mode, line),
                *want,
                "{} {mode:?} {line}",
                p.family
            );
        }
    }

    #[test]
    fn invalid_lines_follow_indentation() {
        let xe = platform("ios_xe", "C9300-48P");
        let text = "! lanready\nvlan 110\n name VOICE\nclass-map match-any VOICE\n match dscp ef\n\
                    policy-map UPLINK-OUT\n class VOICE\n  priority level 1\n  police rate percent 30\n\
                    interface Te1/1/1\n service-policy output UPLINK-OUT\n speed nonsense\n  priority level 1\n\
                    interface <uplink>\n switchport mode trunk\nend\n";
        let bad: Vec<usize> = invalid_lines(&xe, text).iter().map(|(n, ..)| *n).collect();
        // `speed nonsense`, `  priority level 1` under an interface, `interface <uplink>`, and
        // `switchport mode trunk` (lanready never writes it).
        assert_eq!(bad, vec![12, 13, 14, 15]);
    }

    #[test]
    fn fixes_drop_what_the_platform_lacks() {
        let cat6k = platform("cat6500", "WS-C6509-E");
        let f = Fixes::new(&cat6k);
        let s = f.interface(
            "Gi1/1",
            &["power inline port priority high", "power inline auto"],
        );
        assert_eq!(
            s,
            "! Gi1/1: `power inline port priority high` is not written: not a command lanready knows on Catalyst 6500\ninterface Gi1/1\n power inline auto"
        );
        let unknown = platform("unknown", "");
        let s = Fixes::new(&unknown).interface("Gi1", &["no shutdown"]);
        assert_eq!(
            s,
            "! Gi1: `no shutdown` is not written: not a command lanready knows on a platform it does not know (family unknown)"
        );
        // A 4500 on IOS-XE takes IOS-XE's QoS commands; on classic IOS it does not.
        let mut sup8 = platform("cat4500", "WS-C4507R+E");
        assert!(!accepts(&sup8, Interface, "auto qos voip trust"));
        sup8.image = Some("cat4500es8-UNIVERSALK9-M".into());
        assert!(accepts(&sup8, Interface, "auto qos voip trust"));
        assert!(accepts(
            &sup8,
            Interface,
            "service-policy output LANREADY-UPLINK-OUT"
        ));
    }
}
