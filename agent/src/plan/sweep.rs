//! Subnet sweeps: the host addresses of a management subnet that a scan probes for SNMP
//! responders. Probing itself is a poll of each address (see `cmd::scan`); a host that does
//! not answer is not a switch.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

/// The largest subnet a plan may sweep, in host addresses (a /20 of IPv4).
pub const MAX_SWEEP_HOSTS: u128 = 4096;

/// Rejects subnets too large to sweep.
pub fn check_size(network: &IpNetwork) -> Result<(), String> {
    let hosts: u128 = match network {
        IpNetwork::V4(n) => 1u128 << (32 - u32::from(n.prefix())),
        IpNetwork::V6(n) => {
            let bits = 128 - u32::from(n.prefix());
            if bits >= 64 { u128::MAX } else { 1u128 << bits }
        }
    };
    if hosts > MAX_SWEEP_HOSTS {
        return Err(format!(
            "{network} has too many addresses to sweep (at most {MAX_SWEEP_HOSTS}); list smaller subnets"
        ));
    }
    Ok(())
}

/// The addresses (`host:port`) to probe in a subnet, in order: for IPv4 without the network
/// and broadcast addresses (except in a /31 or /32).
pub fn hosts(network: &IpNetwork, port: u16) -> Vec<String> {
    match network {
        IpNetwork::V4(n) => {
            let all: Vec<_> = n.iter().collect();
            let inner = if n.prefix() >= 31 || all.len() < 3 {
                &all[..]
            } else {
                &all[1..all.len() - 1]
            };
            inner.iter().map(|ip| format!("{ip}:{port}")).collect()
        }
        IpNetwork::V6(n) => n
            .iter()
            .take(MAX_SWEEP_HOSTS as usize)
            .filter(|ip| n.prefix() >= 127 || *ip != n.network())
            .map(|ip| format!("[{}]:{port}", IpAddr::V6(ip)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cidr: &str, port: u16, expected: &[&str]) {
        let net: IpNetwork = cidr.parse().unwrap();
        assert_eq!(hosts(&net, port), expected, "{cidr}");
    }

    #[test]
    fn host_addresses_skip_network_and_broadcast() {
        check("127.0.1.0/30", 161, &["127.0.1.1:161", "127.0.1.2:161"]);
        check("127.0.0.1/32", 16100, &["127.0.0.1:16100"]);
        check("127.0.0.0/31", 161, &["127.0.0.0:161", "127.0.0.1:161"]);
        check("::1/128", 161, &["[::1]:161"]);
        let net: IpNetwork = "127.0.1.0/29".parse().unwrap();
        assert_eq!(hosts(&net, 161).len(), 6);
    }

    #[test]
    fn large_subnets_are_refused() {
        assert!(check_size(&"10.0.0.0/20".parse().unwrap()).is_ok());
        let err = check_size(&"10.0.0.0/16".parse().unwrap()).unwrap_err();
        assert!(err.contains("too many addresses"), "{err}");
        assert!(check_size(&"fe80::/64".parse().unwrap()).is_err());
    }
}
