//! What one phone costs a switch's PoE budget: the IEEE 802.3af/at/bt class table (power at
//! the PSE, which is what a switch budgets) and a small table of common desk phones.

/// PSE output power per class, milliwatts (class 0 is budgeted like class 3).
pub const CLASS_PSE_MW: [u32; 9] = [
    15_400, 4_000, 7_000, 15_400, 30_000, 45_000, 60_000, 75_000, 90_000,
];

/// PSE power for a class, milliwatts; None above class 8.
pub fn class_mw(class: u8) -> Option<u32> {
    CLASS_PSE_MW.get(usize::from(class)).copied()
}

/// A known phone model: the figure the switch budgets for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhoneModel {
    /// The model as lanready names it (`cisco-7965`).
    pub name: &'static str,
    /// Its PoE class, when that is what the switch budgets.
    pub class: Option<u8>,
    /// What the switch budgets, milliwatts.
    pub budget_mw: u32,
}

/// Desk phones lanready knows. The Cisco 8800 series negotiates its power over CDP/LLDP
/// (about 9.6 W without a key expansion module) rather than by class.
pub const MODELS: &[PhoneModel] = &[
    model("cisco-7941", 2),
    model("cisco-7961", 2),
    model("cisco-7945", 3),
    model("cisco-7965", 3),
    PhoneModel {
        name: "cisco-8841",
        class: None,
        budget_mw: 9_600,
    },
    PhoneModel {
        name: "cisco-8851",
        class: None,
        budget_mw: 9_600,
    },
    PhoneModel {
        name: "cisco-8861",
        class: None,
        budget_mw: 9_600,
    },
    PhoneModel {
        name: "cisco-8865",
        class: None,
        budget_mw: 9_600,
    },
    model("cisco-8875", 4),
    model("avaya-9608", 1),
    model("avaya-9611g", 1),
    model("avaya-9621g", 2),
    model("avaya-9641g", 2),
];

const fn model(name: &'static str, class: u8) -> PhoneModel {
    PhoneModel {
        name,
        class: Some(class),
        budget_mw: CLASS_PSE_MW[class as usize],
    }
}

/// Finds a model by name, ignoring case, the vendor prefix (`cisco-`, `avaya-`), Cisco's `CP-`
/// part-number prefix and Avaya's trailing `G` (`CP-8851`, `8851`, `avaya-9611G`, `9611`).
pub fn find_model(name: &str) -> Option<&'static PhoneModel> {
    let key = normalise(name);
    MODELS.iter().find(|m| normalise(m.name) == key)
}

fn normalise(name: &str) -> String {
    let mut s = name.trim().to_ascii_lowercase();
    for prefix in ["cisco-", "cisco ", "avaya-", "avaya ", "cp-", "j-"] {
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
        check("cisco-9999", None);
    }

    #[test]
    fn class_table_is_pse_power() {
        assert_eq!(class_mw(0), Some(15_400));
        assert_eq!(class_mw(2), Some(7_000));
        assert_eq!(class_mw(4), Some(30_000));
        assert_eq!(class_mw(8), Some(90_000));
        assert_eq!(class_mw(9), None);
    }
}
