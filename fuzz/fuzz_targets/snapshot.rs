//! Fuzz target: `decode::snapshot` on walks built from the input bytes, each varbind at an
//! OID under one of the poll plan's columns (or scalars) with a value of any type. Decoding
//! must never panic.
#![no_main]

use lanready_mibs::poll::{GROUPS, PER_VLAN_GROUPS, SCALARS};
use lanready_mibs::{Oid, Value, Walk, decode};
use libfuzzer_sys::fuzz_target;

/// Reads bytes off the front of the input.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn u32(&mut self) -> Option<u32> {
        // Mostly small numbers, so rows of different tables meet in the joins.
        let b = self.byte()?;
        if b < 0xf0 {
            return Some(u32::from(b % 16));
        }
        let mut v = 0u32;
        for _ in 0..4 {
            v = (v << 8) | u32::from(self.byte()?);
        }
        Some(v)
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = usize::from(self.byte()? % 24);
        let n = n.min(self.0.len());
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(b.to_vec())
    }

    fn value(&mut self) -> Option<Value> {
        Some(match self.byte()? % 10 {
            0 => Value::Integer(i64::from(self.u32()?) - 2),
            1 => Value::OctetString(self.bytes()?),
            2 => Value::ObjectId(Oid(vec![1, 3, self.u32()?])),
            3 => Value::IpAddress([self.byte()?, self.byte()?, self.byte()?, self.byte()?]),
            4 => Value::Counter32(self.u32()?),
            5 => Value::Gauge32(self.u32()?),
            6 => Value::TimeTicks(self.u32()?),
            7 => Value::Opaque(self.bytes()?),
            8 => Value::Counter64(u64::from(self.u32()?) << 8),
            _ => Value::Null,
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let columns: Vec<&[u32]> = GROUPS
        .iter()
        .flat_map(|g| g.columns.iter().copied())
        .chain(SCALARS.iter().copied())
        .collect();
    let per_vlan: Vec<&[u32]> = PER_VLAN_GROUPS
        .iter()
        .flat_map(|g| g.columns.iter().copied())
        .collect();
    let mut input = Input(data);
    let mut walk = Walk::default();
    while let Some(kind) = input.byte() {
        let vlan = (kind & 0x80 != 0).then_some(u16::from(kind & 0x0f));
        let pool = if vlan.is_some() { &per_vlan } else { &columns };
        let Some(col) = input.byte().map(|b| pool[usize::from(b) % pool.len()]) else {
            break;
        };
        let arcs = usize::from(kind % 4);
        let mut oid = col.to_vec();
        for _ in 0..arcs {
            match input.u32() {
                Some(a) => oid.push(a),
                None => break,
            }
        }
        let Some(v) = input.value() else { break };
        match vlan {
            Some(vl) => {
                walk.vlan_contexts
                    .entry(vl)
                    .or_default()
                    .insert(Oid(oid), v);
            }
            None => {
                walk.values.insert(Oid(oid), v);
            }
        }
    }
    let s = decode::snapshot(&walk, "fuzz");
    assert_eq!(s.target, "fuzz");
});
