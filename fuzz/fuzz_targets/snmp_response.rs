//! Fuzz target: snmp2's decoding of an answer datagram, as the agent's poller reads one
//! (the PDU, then every varbind's OID and value until the iterator stops). Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pdu) = snmp2::Pdu::from_bytes(data) {
        let _ = (pdu.req_id, pdu.error_status, pdu.error_index);
        for (oid, value) in pdu.varbinds.clone() {
            if let Some(arcs) = oid.iter() {
                let _ = arcs.count();
            }
            let _ = format!("{value:?}");
        }
    }
});
