//! SNMPv2-MIB system group: sysDescr, sysObjectID, sysUpTime, sysName, sysLocation.

use lanready_schema::System;

use super::table::Problems;
use crate::Walk;

pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
pub const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
pub const SYS_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
pub const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
pub const SYS_LOCATION: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 6, 0];
/// LLDP-MIB lldpLocChassisId: present while LLDP runs.
pub const LLDP_LOC_CHASSIS_ID: &[u32] = &[1, 0, 8802, 1, 1, 2, 1, 3, 2, 0];

fn text(walk: &Walk, oid: &[u32], what: &str, p: &mut Problems) -> Option<String> {
    let v = walk.get(oid)?;
    let t = v.as_text();
    if t.is_none() {
        p.line(format!(
            "{what}: expected OCTET STRING, got {}",
            v.type_name()
        ));
    }
    t
}

/// Decodes the system scalars.
pub fn decode(walk: &Walk, p: &mut Problems) -> System {
    let object_id = walk.get(SYS_OBJECT_ID).and_then(|v| match v.as_oid() {
        Some(o) => Some(o.to_string()),
        None => {
            p.line(format!(
                "sysObjectID: expected OBJECT IDENTIFIER, got {}",
                v.type_name()
            ));
            None
        }
    });
    let uptime_centiseconds = walk.get(SYS_UPTIME).and_then(|v| {
        let u = v.as_u64();
        if u.is_none() {
            p.line(format!(
                "sysUpTime: expected TimeTicks, got {}",
                v.type_name()
            ));
        }
        u
    });
    System {
        descr: text(walk, SYS_DESCR, "sysDescr", p),
        object_id,
        name: text(walk, SYS_NAME, "sysName", p),
        location: text(walk, SYS_LOCATION, "sysLocation", p),
        uptime_centiseconds,
        cdp_enabled: None,
        lldp_chassis_id: walk
            .get(LLDP_LOC_CHASSIS_ID)
            .and_then(|v| match v.as_bytes() {
                Some(b) if b.len() == 6 => Some(
                    b.iter()
                        .map(|c| format!("{c:02x}"))
                        .collect::<Vec<_>>()
                        .join(":"),
                ),
                Some(b) => Some(crate::value::octets_text(b)),
                None => {
                    p.line(format!(
                        "lldpLocChassisId: expected OCTET STRING, got {}",
                        v.type_name()
                    ));
                    None
                }
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scalars_and_reports_wrong_types() {
        let w = Walk::from_snmprec(
            "1.3.6.1.2.1.1.1.0|4x|22436973636f\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1208\n\
             1.3.6.1.2.1.1.3.0|67|4200\n1.3.6.1.2.1.1.5.0|2|7\n",
        )
        .unwrap();
        let mut p = Problems::default();
        let s = decode(&w, &mut p);
        assert_eq!(s.descr.as_deref(), Some("\"Cisco"));
        assert_eq!(s.object_id.as_deref(), Some("1.3.6.1.4.1.9.1.1208"));
        assert_eq!(s.uptime_centiseconds, Some(4200));
        assert_eq!(s.name, None);
        assert_eq!(s.location, None);
        let lines = p.into_lines();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("sysName"));
    }
}
