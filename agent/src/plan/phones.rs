//! What the plan's phones need: the IEEE 802.3af/at/bt class table (power at the PSE, which
//! is what a switch budgets), and a table of desk phone profiles: the class each draws with
//! and without button modules, how it learns the voice VLAN, and how it marks voice.

/// PSE output power per class, milliwatts (class 0 is budgeted like class 3). Classes 5-8
/// are IEEE 802.3bt (type 3: 45 and 60 W; type 4: 75 and 90 W); Cisco UPOE budgets 60 W.
pub const CLASS_PSE_MW: [u32; 9] = [
    15_400, 4_000, 7_000, 15_400, 30_000, 45_000, 60_000, 75_000, 90_000,
];

/// PSE power for a class, milliwatts; None above class 8.
pub fn class_mw(class: u8) -> Option<u32> {
    CLASS_PSE_MW.get(usize::from(class)).copied()
}

/// How a phone learns its voice VLAN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VlanDiscovery {
    /// Cisco Discovery Protocol (Cisco phones); they speak LLDP-MED too.
    Cdp,
    /// LLDP-MED network policy, else DHCP (Avaya 96x1 and J100: not CDP). Catalyst IOS has
    /// `lldp run` off by default, so these need it.
    LldpMed,
}

/// A phone model as lanready knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhoneModel {
    /// The model as lanready names it (`avaya-9641g`).
    pub name: &'static str,
    pub vendor: &'static str,
    /// Its PoE class without button modules, when the switch budgets by class.
    pub class: Option<u8>,
    /// Its class with one or more button (expansion) modules on PoE.
    pub class_with_modules: Option<u8>,
    /// What the switch budgets without modules, milliwatts.
    pub budget_mw: u32,
    pub discovery: VlanDiscovery,
    /// The DSCP the phone marks voice (RTP) and signalling with by default.
    pub voice_dscp: u8,
    pub signalling_dscp: u8,
    /// The 802.1p priority it tags voice with.
    pub voice_cos: u8,
    /// Where the figures come from.
    pub source: &'static str,
}

impl PhoneModel {
    /// What the switch budgets for this phone with `modules` button modules.
    pub fn budget_with(&self, modules: u8) -> u32 {
        match (modules, self.class_with_modules) {
            (m, Some(c)) if m > 0 => class_mw(c).unwrap_or(self.budget_mw),
            _ => self.budget_mw,
        }
    }

    /// The class the phone draws with `modules` button modules.
    pub fn class_with(&self, modules: u8) -> Option<u8> {
        if modules > 0 {
            self.class_with_modules.or(self.class)
        } else {
            self.class
        }
    }
}

const AVAYA_96X1: &str = "Avaya 9600 Series IP Deskphones installation guide (PoE class by button modules: 9608 class 2 with one, 9611G class 3 with any, 9641G class 3 with three SBM24; lanready budgets the 9641G at class 3 with any module, to err on the safe side); administrator guide defaults DSCPAUD 46, DSCPSIG 34, L2QAUD 6; VLAN from LLDP-MED or DHCP, not CDP";
const AVAYA_J100: &str = "Avaya J100 Series IP Phones overview and specifications (PoE class 1 without modules, class 2 with a button module or wireless module on J169/J179); DSCP 46 voice, 34 signalling, 802.1p 6; VLAN from LLDP-MED or DHCP";
const AVAYA_J189: &str = "Avaya J100 Series IP Phones overview and specifications (J189: not confirmed here; budgeted as class 2, class 3 with expansion modules: check the data sheet); DSCP 46 / 34, 802.1p 6";
const CISCO_79XX: &str = "Cisco IP Phone 7900 Series data sheets (7941/7961 class 2, 7945/7965 class 3); DSCP 46 voice, 24 (CS3) signalling, CoS 5; VLAN from CDP";
const CISCO_78XX: &str = "Cisco IP Phone 7800 Series data sheet (class 1 for 7811/7821/7841, class 2 for 7861: not confirmed here, check the data sheet); DSCP 46 / 24, CoS 5; VLAN from CDP or LLDP-MED";
const CISCO_88XX: &str = "Cisco IP Phone 8800 Series: power negotiated over CDP/LLDP (about 9.6 W without a key expansion module, class 4 with one); DSCP 46 / 24, CoS 5; VLAN from CDP or LLDP-MED";
const CISCO_8875: &str = "Cisco Video Phone 8875 is a PoE class 4 device (Cisco's phone power requirements page); DSCP 46 / 24, CoS 5; VLAN from CDP or LLDP-MED";

const fn avaya(
    name: &'static str,
    class: u8,
    with_modules: Option<u8>,
    source: &'static str,
) -> PhoneModel {
    PhoneModel {
        name,
        vendor: "avaya",
        class: Some(class),
        class_with_modules: with_modules,
        budget_mw: CLASS_PSE_MW[class as usize],
        discovery: VlanDiscovery::LldpMed,
        voice_dscp: 46,
        signalling_dscp: 34,
        voice_cos: 6,
        source,
    }
}

const fn cisco(
    name: &'static str,
    class: Option<u8>,
    with_modules: Option<u8>,
    budget_mw: u32,
    source: &'static str,
) -> PhoneModel {
    PhoneModel {
        name,
        vendor: "cisco",
        class,
        class_with_modules: with_modules,
        budget_mw,
        discovery: VlanDiscovery::Cdp,
        voice_dscp: 46,
        signalling_dscp: 24,
        voice_cos: 5,
        source,
    }
}

/// Desk phones lanready knows.
pub const MODELS: &[PhoneModel] = &[
    avaya("avaya-9608", 1, Some(2), AVAYA_96X1),
    avaya("avaya-9611g", 1, Some(3), AVAYA_96X1),
    avaya("avaya-9621g", 2, None, AVAYA_96X1),
    avaya("avaya-9641g", 2, Some(3), AVAYA_96X1),
    avaya("avaya-j129", 1, None, AVAYA_J100),
    avaya("avaya-j139", 1, None, AVAYA_J100),
    avaya("avaya-j159", 1, Some(2), AVAYA_J100),
    avaya("avaya-j169", 1, Some(2), AVAYA_J100),
    avaya("avaya-j179", 1, Some(2), AVAYA_J100),
    avaya("avaya-j189", 2, Some(3), AVAYA_J189),
    cisco("cisco-7811", Some(1), None, 4_000, CISCO_78XX),
    cisco("cisco-7821", Some(1), None, 4_000, CISCO_78XX),
    cisco("cisco-7841", Some(1), None, 4_000, CISCO_78XX),
    cisco("cisco-7861", Some(2), None, 7_000, CISCO_78XX),
    cisco("cisco-7941", Some(2), None, 7_000, CISCO_79XX),
    cisco("cisco-7961", Some(2), None, 7_000, CISCO_79XX),
    cisco("cisco-7945", Some(3), None, 15_400, CISCO_79XX),
    cisco("cisco-7965", Some(3), None, 15_400, CISCO_79XX),
    cisco("cisco-8811", None, None, 9_600, CISCO_88XX),
    cisco("cisco-8841", None, None, 9_600, CISCO_88XX),
    cisco("cisco-8851", None, Some(4), 9_600, CISCO_88XX),
    cisco("cisco-8861", None, Some(4), 9_600, CISCO_88XX),
    cisco("cisco-8865", None, Some(4), 9_600, CISCO_88XX),
    cisco("cisco-8875", Some(4), None, 30_000, CISCO_8875),
];

/// Finds a model by name, ignoring case, the vendor prefix (`cisco-`, `avaya-`), Cisco's `CP-`
/// part-number prefix and Avaya's trailing `G` (`CP-8851`, `8851`, `avaya-9611G`, `9611`,
/// `J179`).
pub fn find_model(name: &str) -> Option<&'static PhoneModel> {
    let key = normalise(name);
    MODELS.iter().find(|m| normalise(m.name) == key)
}

fn normalise(name: &str) -> String {
    let mut s = name.trim().to_ascii_lowercase();
    for prefix in ["cisco-", "cisco ", "avaya-", "avaya ", "cp-"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
        }
    }
    s.trim_end_matches('g').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, expected_mw: Option<u32>) {
        assert_eq!(find_model(name).map(|m| m.budget_mw), expected_mw, "{name}");
    }

    #[test]
    fn models_by_any_common_spelling() {
        check("cisco-7965", Some(15_400));
        check("CP-7965G", Some(15_400));
        check("7941", Some(7_000));
        check("Cisco 8851", Some(9_600));
        check("cisco-8875", Some(30_000));
        check("avaya-9611G", Some(4_000));
        check("9641", Some(7_000));
        check("9608", Some(4_000));
        check("J179", Some(4_000));
        check("avaya-j189", Some(7_000));
        check("cisco-9999", None);
    }

    #[test]
    fn button_modules_raise_the_class() {
        let m = find_model("avaya-9641g").unwrap();
        assert_eq!((m.class_with(0), m.class_with(1)), (Some(2), Some(3)));
        assert_eq!((m.budget_with(0), m.budget_with(3)), (7_000, 15_400));
        assert_eq!(m.discovery, VlanDiscovery::LldpMed);
        let c = find_model("cisco-8851").unwrap();
        assert_eq!((c.budget_with(0), c.budget_with(1)), (9_600, 30_000));
        assert_eq!(c.discovery, VlanDiscovery::Cdp);
        assert_eq!(find_model("avaya-9621g").unwrap().budget_with(2), 7_000);
    }

    #[test]
    fn class_table_is_pse_power() {
        assert_eq!(class_mw(0), Some(15_400));
        assert_eq!(class_mw(2), Some(7_000));
        assert_eq!(class_mw(4), Some(30_000));
        assert_eq!(class_mw(6), Some(60_000));
        assert_eq!(class_mw(8), Some(90_000));
        assert_eq!(class_mw(9), None);
    }
}
