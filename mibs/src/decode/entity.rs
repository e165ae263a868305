//! ENTITY-MIB: the physical inventory (entPhysicalTable) and the alias mapping that ties a
//! physical port to its ifIndex (entAliasMappingTable). Joins elsewhere go through here.

use std::collections::{BTreeMap, BTreeSet};

use super::interfaces::IF_INDEX;
use super::mib_enum;
use super::table::{Problems, read};
use crate::{Oid, Value};

pub const ENT_PHYSICAL_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1];
pub const ENT_ALIAS_MAPPING_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 47, 1, 3, 2, 1];

mib_enum! {
    /// entPhysicalClass (PhysicalClass, ENTITY-MIB).
    PhysicalClass {
        Other = 1 => "other",
        UnknownClass = 2 => "unknown",
        Chassis = 3 => "chassis",
        Backplane = 4 => "backplane",
        Container = 5 => "container",
        PowerSupply = 6 => "powerSupply",
        Fan = 7 => "fan",
        Sensor = 8 => "sensor",
        Module = 9 => "module",
        Port = 10 => "port",
        Stack = 11 => "stack",
        Cpu = 12 => "cpu",
    }
}

/// One entPhysicalEntry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Physical {
    pub descr: Option<String>,
    /// entPhysicalContainedIn: 0 means "not contained in anything".
    pub contained_in: Option<u32>,
    pub class: Option<PhysicalClass>,
    pub name: Option<String>,
    pub serial: Option<String>,
    pub model: Option<String>,
}

/// The inventory and the port aliases.
#[derive(Debug, Clone, Default)]
pub struct Entities {
    pub physical: BTreeMap<u32, Physical>,
    /// entPhysicalIndex to ifIndex, from entAliasMappingIdentifier values of the form
    /// `ifIndex.<n>`; logical index 0 preferred, else the lowest logical index.
    pub if_index_of: BTreeMap<u32, u32>,
}

impl Entities {
    /// The first entity at or above `start` on the entPhysicalContainedIn chain for which
    /// `stop` holds. Guards against loops and chains that leave the table.
    pub fn up_to(&self, start: u32, stop: impl Fn(u32, &Physical) -> bool) -> Option<u32> {
        let mut seen = BTreeSet::new();
        let mut at = start;
        while at != 0 && seen.insert(at) {
            let e = self.physical.get(&at)?;
            if stop(at, e) {
                return Some(at);
            }
            at = e.contained_in?;
        }
        None
    }

    /// The entity of an ifIndex (the alias mapping read backwards); the lowest entity when
    /// several map to it.
    pub fn entity_of(&self, if_index: u32) -> Option<u32> {
        self.if_index_of
            .iter()
            .find(|(_, i)| **i == if_index)
            .map(|(e, _)| *e)
    }

    /// ifIndex -> entPhysicalIndex for every aliased port.
    pub fn entities_by_if_index(&self) -> BTreeMap<u32, u32> {
        let mut out = BTreeMap::new();
        for (&e, &i) in &self.if_index_of {
            out.entry(i).or_insert(e);
        }
        out
    }

    /// The nearest module or chassis above `start` that names a model: the line card,
    /// network module or member a port is on.
    pub fn module_of(&self, start: u32) -> Option<(u32, &str)> {
        let first = self.physical.get(&start)?.contained_in?;
        let at = self.up_to(first, |_, e| {
            matches!(
                e.class,
                Some(PhysicalClass::Module | PhysicalClass::Chassis)
            ) && part_number(e).is_some()
        })?;
        Some((at, part_number(self.physical.get(&at)?)?))
    }

    /// The chassis above `start` (or `start` itself).
    pub fn chassis_of(&self, start: u32) -> Option<u32> {
        self.up_to(start, |_, e| e.class == Some(PhysicalClass::Chassis))
    }

    /// The entities directly contained in `parent`.
    pub fn children(&self, parent: u32) -> impl Iterator<Item = (u32, &Physical)> + '_ {
        self.physical
            .iter()
            .filter(move |(_, e)| e.contained_in == Some(parent))
            .map(|(&i, e)| (i, e))
    }

    /// Every chassis-class entity.
    pub fn chassis(&self) -> Vec<u32> {
        self.physical
            .iter()
            .filter(|(_, e)| e.class == Some(PhysicalClass::Chassis))
            .map(|(&i, _)| i)
            .collect()
    }
}

/// An entity's part number: entPhysicalModelName, else an entPhysicalDescr that looks like
/// one (`C9200L-48P-4X`: no spaces, a dash, capitals), as some IOS-XE releases leave the
/// model empty and put the part in the description.
pub fn part_number(e: &Physical) -> Option<&str> {
    let looks = |s: &str| {
        let s = s.trim();
        !s.is_empty()
            && !s.contains(' ')
            && s.contains('-')
            && s.chars().any(|c| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-+/.".contains(c))
    };
    e.model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .or_else(|| e.descr.as_deref().map(str::trim).filter(|d| looks(d)))
}

/// Whether a Catalyst part number names PoE hardware: the letters after the port count of
/// a switch or line card (`-48P`, `-48U`, `-48H`, `-48UXM`, `-48PXG`, `-48FPD`, `-48LPS`,
/// `-24PS`, `-48PS`, `-48FS`) or a 6500 card with inline power (`WS-X6148A-GE-45AF`,
/// `WS-X6148E-GE-45AT`).
/// Source: the part-number conventions of Cisco's Catalyst 2960-X, 3650, 3850, 9200, 9300
/// and 9400 data sheets (P = PoE+, U = UPOE, H = UPOE+, FP/LP = full/limited PoE+).
pub fn is_poe_part(part: &str) -> bool {
    let p = part.trim().to_ascii_uppercase();
    if p.starts_with("WS-X") && (p.ends_with("AF") || p.ends_with("AT")) {
        return true;
    }
    // The group after the first "-<digits>": 48P, 24UX, 48FPD, 48PXG.
    p.split('-').any(|seg| {
        let digits = seg.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits == seg.len() {
            return false;
        }
        let letters = &seg[digits..];
        letters.starts_with('P')
            || letters.starts_with('U')
            || letters.starts_with('H')
            || letters.starts_with("FP")
            || letters.starts_with("LP")
            || letters == "PS"
            || letters == "FS"
    }) && !p.starts_with("SFP")
        && !p.starts_with("QSFP")
        && !p.starts_with("GLC")
        && !p.contains("-NM-")
}

/// Decodes entPhysicalTable and entAliasMappingTable.
pub fn decode(values: &BTreeMap<Oid, Value>, p: &mut Problems) -> Entities {
    let mut ent = Entities::default();
    for (i, r) in read::<u32>(values, "entPhysicalTable", ENT_PHYSICAL_ENTRY, p) {
        let phys = Physical {
            descr: r.text(2, p),
            contained_in: r.uint(4, p),
            class: r.int(5, p).map(PhysicalClass::from_i64),
            name: r.text(7, p),
            serial: r.text(11, p).filter(|s| !s.is_empty()),
            model: r.text(13, p).filter(|s| !s.is_empty()),
        };
        ent.physical.insert(i, phys);
    }
    // BTreeMap order: for one entity, logical index 0 comes first, so `or_insert` keeps it.
    let aliases = read::<(u32, u32)>(values, "entAliasMappingTable", ENT_ALIAS_MAPPING_ENTRY, p);
    for ((phys, _logical), r) in aliases {
        let Some(target) = r.oid(2, p) else { continue };
        // Aliases may point at other MIBs' objects; only ifIndex instances name a port.
        match target.suffix(IF_INDEX) {
            Some([if_index]) => {
                ent.if_index_of.entry(phys).or_insert(*if_index);
            }
            Some(_) => p.note(
                "alias shape",
                format!(
                    "entAliasMappingIdentifier for entity {phys} is {target}, not ifIndex.<n>; ignored"
                ),
            ),
            None => {}
        }
    }
    ent
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Walk;

    #[test]
    fn aliases_map_entities_to_ifindex_preferring_logical_zero() {
        let w = Walk::from_snmprec(
            "1.3.6.1.2.1.47.1.3.2.1.2.1010.0|6|1.3.6.1.2.1.2.2.1.1.10101\n\
             1.3.6.1.2.1.47.1.3.2.1.2.1010.3|6|1.3.6.1.2.1.2.2.1.1.99\n\
             1.3.6.1.2.1.47.1.3.2.1.2.1011.2|6|1.3.6.1.2.1.2.2.1.1.10102\n\
             1.3.6.1.2.1.47.1.3.2.1.2.1012.0|6|1.3.6.1.2.1.4.20.1.1.10.0.0.1\n\
             1.3.6.1.2.1.47.1.3.2.1.2.1013.0|6|1.3.6.1.2.1.2.2.1.1\n\
             1.3.6.1.2.1.47.1.3.2.1.2.1014.0|4|nope\n",
        )
        .unwrap();
        let mut p = Problems::default();
        let e = decode(&w.values, &mut p);
        assert_eq!(e.if_index_of.get(&1010), Some(&10101));
        assert_eq!(e.if_index_of.get(&1011), Some(&10102), "any logical index");
        assert_eq!(e.if_index_of.get(&1012), None, "not an ifIndex alias");
        assert_eq!(e.if_index_of.get(&1013), None);
        assert_eq!(e.if_index_of.get(&1014), None);
        assert_eq!(p.into_lines().len(), 2);
    }

    #[test]
    fn containment_chain_stops_at_loops() {
        let w = Walk::from_snmprec(
            "1.3.6.1.2.1.47.1.1.1.1.4.1|2|0\n1.3.6.1.2.1.47.1.1.1.1.5.1|2|11\n\
             1.3.6.1.2.1.47.1.1.1.1.4.1001|2|1\n1.3.6.1.2.1.47.1.1.1.1.5.1001|2|3\n\
             1.3.6.1.2.1.47.1.1.1.1.4.1002|2|1001\n1.3.6.1.2.1.47.1.1.1.1.5.1002|2|9\n\
             1.3.6.1.2.1.47.1.1.1.1.4.1010|2|1002\n1.3.6.1.2.1.47.1.1.1.1.5.1010|2|10\n\
             1.3.6.1.2.1.47.1.1.1.1.4.7|2|8\n1.3.6.1.2.1.47.1.1.1.1.4.8|2|7\n",
        )
        .unwrap();
        let mut p = Problems::default();
        let e = decode(&w.values, &mut p);
        let chassis = |_: u32, x: &Physical| x.class == Some(PhysicalClass::Chassis);
        assert_eq!(e.up_to(1010, chassis), Some(1001));
        assert_eq!(e.up_to(7, chassis), None);
        assert_eq!(e.up_to(4242, chassis), None);
        assert_eq!(e.chassis(), vec![1001]);
    }
}
