//! What the switch is: its model and software family, fixed or modular, standalone, a
//! StackWise stack, a StackWise Virtual pair or a VSS. The family decides which checks apply
//! (mls qos or MQC, where PoE budgets live) and which commands a fix may use.
//!
//! ENTITY-MIB (the chassis's part number) is trusted first, then sysDescr's image name, then
//! a few sysObjectID values; they disagree on edited recordings and odd devices (a 9400 whose
//! sysDescr says ASR1000), and when they do a problem line says so.

use std::collections::BTreeMap;

use lanready_schema::{Platform, StackMember, System};

use super::entity::{Entities, PhysicalClass, part_number};
use super::table::Problems;

pub const IOS: &str = "ios";
pub const IOS_XE: &str = "ios_xe";
pub const CAT4500: &str = "cat4500";
pub const CAT6500: &str = "cat6500";
pub const UNKNOWN: &str = "unknown";

/// The family a Catalyst part number belongs to.
pub fn family_of_model(model: &str) -> Option<&'static str> {
    let m = model.trim().to_ascii_uppercase();
    let any = |ps: &[&str]| ps.iter().any(|p| m.starts_with(p));
    if any(&[
        "WS-C3650", "WS-C3850", "C9", "IE-3200", "IE-3300", "IE-3400", "IE-9300",
    ]) {
        Some(IOS_XE)
    } else if any(&[
        "WS-C2960", "C2960", "WS-C3560", "WS-C3750", "WS-C2950", "WS-C3550", "WS-C2975", "IE-2000",
        "IE-4000", "IE-4010", "IE-5000", "C1000",
    ]) {
        Some(IOS)
    } else if any(&["WS-C45", "WS-C49", "C4500"]) {
        Some(CAT4500)
    } else if any(&["WS-C65", "WS-C68", "C68", "C6807", "C6880"]) {
        Some(CAT6500)
    } else {
        None
    }
}

/// The image name in sysDescr: `C2960X-UNIVERSALK9-M` from "... C2960X Software
/// (C2960X-UNIVERSALK9-M), Version ...".
pub fn image_of(descr: &str) -> Option<String> {
    let start = descr.find("Software (")? + "Software (".len();
    let end = descr[start..].find(')')? + start;
    Some(descr[start..end].trim().to_string()).filter(|s| !s.is_empty())
}

/// The family sysDescr names.
pub fn family_of_descr(descr: &str) -> Option<&'static str> {
    let d = descr.to_ascii_uppercase();
    let image = image_of(descr).unwrap_or_default().to_ascii_uppercase();
    if image.starts_with("S72033")
        || image.starts_with("S2T54")
        || image.starts_with("S3223")
        || image.starts_with("S6T64")
        || image.starts_with("S6523")
    {
        Some(CAT6500)
    } else if image.starts_with("CAT4500") || image.starts_with("CAT4000") {
        Some(CAT4500)
    } else if image.starts_with("CAT9K")
        || image.starts_with("CAT3K_CAA")
        || d.contains("IOS-XE")
        || d.contains("IOS XE")
        || d.contains("[IOSXE]")
        || image.starts_with("IE3X00")
    {
        Some(IOS_XE)
    } else if [
        "C2960", "C3560", "C3750", "C2950", "C3550", "IE2000", "IE4000", "IE5000",
    ]
    .iter()
    .any(|p| image.starts_with(p))
    {
        Some(IOS)
    } else {
        None
    }
}

/// sysObjectID values seen on Catalyst recordings whose ENTITY-MIB named the model (the
/// shared corpus and the project's fixtures); a last resort when neither ENTITY-MIB nor
/// sysDescr says.
fn family_of_object_id(oid: &str) -> Option<&'static str> {
    Some(match oid.strip_prefix("1.3.6.1.4.1.9.1.")? {
        // 2960-S/X stacks, 3560, 3560G, 3750-X.
        "1208" | "634" | "617" | "516" => IOS,
        // 3850, 9200L, 9400 SVL, 9500X SVL, IE3200.
        "1745" | "2694" | "2664" | "3155" | "2683" => IOS_XE,
        _ => return None,
    })
}

fn is_modular_model(model: &str) -> bool {
    let m = model.trim().to_ascii_uppercase();
    let chassis_r = |prefix: &str| {
        m.strip_prefix(prefix).is_some_and(|rest| {
            let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
            digits > 0 && rest[digits..].starts_with('R')
        })
    };
    chassis_r("C94")
        || chassis_r("C96")
        || m.starts_with("WS-C450")
        || m.starts_with("WS-C650")
        || m.starts_with("WS-C6509")
        || m.starts_with("C680")
        || m.starts_with("C6807")
}

/// Decodes the platform block.
pub fn decode(
    system: &System,
    ent: &Entities,
    stack: &BTreeMap<u32, StackMember>,
    p: &mut Problems,
) -> Platform {
    let mut sources = Vec::new();
    // The chassis model: the stack's first member's, else the first chassis entity's.
    let mut members: Vec<&StackMember> = stack.values().collect();
    members.sort_by_key(|m| m.number);
    let chassis_model = members
        .iter()
        .find_map(|m| {
            ent.physical
                .get(&m.ent_physical_index)
                .and_then(part_number)
                .map(|model| (m.ent_physical_index, model))
        })
        .or_else(|| {
            ent.physical
                .iter()
                .filter(|(_, e)| e.class == Some(PhysicalClass::Chassis))
                .find_map(|(&i, e)| part_number(e).map(|m| (i, m)))
        });
    let descr = system.descr.as_deref().unwrap_or("");
    let image = image_of(descr);
    let descr_platform = descr
        .split(" Software (")
        .next()
        .filter(|b| b.len() < descr.len())
        .and_then(|b| b.rsplit([',', ' ']).find(|w| !w.is_empty()))
        .map(|w| w.trim_matches('"').to_string());
    let model = match &chassis_model {
        Some((i, m)) => {
            let object = if ent
                .physical
                .get(i)
                .and_then(|e| e.model.as_deref())
                .is_some_and(|x| !x.trim().is_empty())
            {
                "entPhysicalModelName"
            } else {
                "entPhysicalDescr"
            };
            sources.push(format!("model: {object}.{i} = {m}"));
            Some(m.to_string())
        }
        None => descr_platform
            .clone()
            .inspect(|m| sources.push(format!("model: sysDescr.0 names {m}"))),
    };
    let by_model = chassis_model.as_ref().and_then(|(_, m)| family_of_model(m));
    let by_descr = family_of_descr(descr);
    let by_oid = system.object_id.as_deref().and_then(family_of_object_id);
    let family = by_model.or(by_descr).or(by_oid).unwrap_or(UNKNOWN);
    match (by_model, by_descr, by_oid) {
        (Some(_), _, _) => sources.push("family: from the chassis model (ENTITY-MIB)".into()),
        (None, Some(_), _) => sources.push(format!(
            "family: from sysDescr.0 (image {})",
            image.as_deref().unwrap_or("?")
        )),
        (None, None, Some(_)) => sources.push(format!(
            "family: from sysObjectID.0 = {}",
            system.object_id.as_deref().unwrap_or("")
        )),
        _ => sources.push(
            "family: unknown (no ENTITY-MIB model, sysDescr or sysObjectID lanready knows)".into(),
        ),
    }
    if let (Some(m), Some(d)) = (by_model, by_descr)
        && m != d
    {
        {
            p.line(format!(
                "platform: sysDescr.0 reads as {d} ({}) but ENTITY-MIB's chassis is {} ({m}); \
                 judged as {m}",
                image.as_deref().unwrap_or("?"),
                chassis_model.as_ref().map(|(_, x)| *x).unwrap_or("?")
            ));
        }
    }
    if let (Some((_, m)), Some(d)) = (&chassis_model, &descr_platform) {
        let norm = |s: &str| s.to_ascii_uppercase().replace(['-', '_'], "");
        let (nm, nd) = (norm(m), norm(d));
        let related = nm.contains(&nd) || nd.contains(&nm) || {
            // `C2960X` in sysDescr for `WS-C2960X-48FPS-L`; `IOS-XE`-style names too.
            let core: String = nd.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            core.len() >= 4 && nm.contains(&core[..4])
        };
        if !related && d.chars().any(|c| c.is_ascii_digit()) {
            p.line(format!(
                "platform: sysDescr.0 names {d} but ENTITY-MIB's chassis is {m}; the model is \
                 taken from ENTITY-MIB"
            ));
        }
    }
    let modular = model.as_deref().is_some_and(is_modular_model);
    let chassis_count = ent.chassis().len();
    let stack_kind = if members.len() >= 2 || chassis_count >= 2 && modular {
        let m = model.as_deref().unwrap_or("").to_ascii_uppercase();
        if family == CAT6500 || family == CAT4500 {
            "vss"
        } else if modular || m.starts_with("C95") || m.starts_with("C96") {
            "svl"
        } else {
            "stack"
        }
    } else {
        "standalone"
    };
    Platform {
        model,
        family: family.to_string(),
        image,
        modular,
        stack_kind: stack_kind.to_string(),
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_from_models_descriptions_and_object_ids() {
        for (m, f) in [
            ("WS-C2960X-48FPD-L", Some(IOS)),
            ("WS-C3750X-24P-L", Some(IOS)),
            ("WS-C3850-24P-L", Some(IOS_XE)),
            ("C9300-48P", Some(IOS_XE)),
            ("C9404R", Some(IOS_XE)),
            ("C9200L-48P-4X", Some(IOS_XE)),
            ("IE-3200-8T2S", Some(IOS_XE)),
            ("WS-C6509-E", Some(CAT6500)),
            ("WS-C4507R+E", Some(CAT4500)),
            ("ASR1001-X", None),
        ] {
            assert_eq!(family_of_model(m), f, "{m}");
        }
        let d = "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8";
        assert_eq!(image_of(d).as_deref(), Some("C2960X-UNIVERSALK9-M"));
        assert_eq!(family_of_descr(d), Some(IOS));
        assert_eq!(
            family_of_descr(
                "Cisco IOS Software [IOSXE], Catalyst L3 Switch Software (CAT9K_IOSXE), Version 17.15.2"
            ),
            Some(IOS_XE)
        );
        assert_eq!(
            family_of_descr(
                "Cisco IOS Software, s72033_rp Software (s72033_rp-ADVIPSERVICESK9_WAN-M), Version 12.2(33)SXJ10"
            ),
            Some(CAT6500)
        );
        assert_eq!(
            family_of_descr(
                "Cisco IOS Software, IOS-XE Software, Catalyst L3 Switch Software (CAT3K_CAA-UNIVERSALK9-M)"
            ),
            Some(IOS_XE)
        );
        assert_eq!(family_of_object_id("1.3.6.1.4.1.9.1.1208"), Some(IOS));
        assert_eq!(family_of_object_id("1.3.6.1.4.1.9.1.99999"), None);
        assert!(is_modular_model("C9407R"));
        assert!(is_modular_model("WS-C6509-E"));
        assert!(!is_modular_model("C9300-48P"));
        assert!(!is_modular_model("C9500X-60L4D"));
    }
}
