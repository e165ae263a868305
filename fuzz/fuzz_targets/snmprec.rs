//! Fuzz target: the `.snmprec` reader on any text; what it accepts writes back and reads
//! back as the same walk.
#![no_main]

use lanready_mibs::Walk;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(walk) = Walk::from_snmprec(text) {
        let again = Walk::from_snmprec(&walk.to_snmprec()).expect("our own output reads back");
        assert_eq!(again, walk);
    }
});
