//! A target before anything is sent: its credentials checked (snmp2 panics on an empty key,
//! net-snmp refuses keys under 8 characters) and its address resolved.

use std::net::{IpAddr, SocketAddr};

use super::{Credentials, Failure, PollError};
use lanready_schema::secret::Secret;

const SNMP_PORT: u16 = 161;

/// Checks credentials before anything is sent: snmp2 panics on an empty key, and net-snmp
/// rejects keys under 8 characters.
pub(crate) fn validate(address: &str, c: &Credentials) -> Result<(), PollError> {
    let bad = |reason: String| PollError::new(address, Failure::Config { reason });
    match c {
        Credentials::V2c { community } => {
            if community.is_empty() {
                return Err(bad("the SNMP community is empty".into()));
            }
            if community.expose().len() > 255 {
                return Err(bad("the SNMP community is longer than 255 bytes".into()));
            }
        }
        Credentials::V3(v3) => {
            if v3.user.is_empty() {
                return Err(bad("the SNMPv3 user name is empty".into()));
            }
            if v3.user.len() > 32 {
                return Err(bad(format!(
                    "the SNMPv3 user name {:?} is longer than 32 characters",
                    v3.user
                )));
            }
            if let Some((_, key)) = &v3.auth {
                check_key(&bad, "authentication", key)?;
            }
            if let Some((_, key)) = &v3.privacy {
                if v3.auth.is_none() {
                    return Err(bad(
                        "SNMPv3 privacy needs authentication too (authPriv): give an auth protocol and key"
                            .into(),
                    ));
                }
                check_key(&bad, "privacy", key)?;
            }
        }
    }
    Ok(())
}

fn check_key(bad: &dyn Fn(String) -> PollError, what: &str, key: &Secret) -> Result<(), PollError> {
    let n = key.expose().chars().count();
    if n == 0 {
        return Err(bad(format!("the SNMPv3 {what} key is empty")));
    }
    if n < 8 {
        return Err(bad(format!(
            "the SNMPv3 {what} key has {n} characters; SNMPv3 keys need at least 8"
        )));
    }
    Ok(())
}

/// Parses `host`, `host:port`, `a.b.c.d[:port]`, `[v6][:port]` or a bare IPv6 address, and
/// resolves a host name. Port 161 when none is given.
pub(crate) async fn resolve(address: &str) -> Result<SocketAddr, PollError> {
    let bad = |reason: String| PollError::new(address, Failure::Config { reason });
    let a = address.trim();
    if a.is_empty() {
        return Err(bad("the target address is empty".into()));
    }
    if let Ok(sa) = a.parse::<SocketAddr>() {
        if sa.port() == 0 {
            return Err(bad("port 0 is not a valid SNMP port".into()));
        }
        return Ok(sa);
    }
    if let Ok(ip) = a.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, SNMP_PORT));
    }
    if let Some(inner) = a.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .parse::<IpAddr>()
            .map(|ip| SocketAddr::new(ip, SNMP_PORT))
            .map_err(|_| bad(format!("{inner:?} is not an IPv6 address")));
    }
    let (host, port) = match a.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => {
            let port = p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad(format!("port {p:?} is not a number from 1 to 65535")))?;
            (h, port)
        }
        Some(_) => {
            return Err(bad(
                "an IPv6 address with a port must be written [addr]:port".into(),
            ));
        }
        None => (a, SNMP_PORT),
    };
    if host.is_empty() {
        return Err(bad("the host name is empty".into()));
    }
    let unreachable = |reason: String| PollError::new(address, Failure::Unreachable { reason });
    match tokio::net::lookup_host((host, port)).await {
        Ok(mut addrs) => addrs
            .next()
            .ok_or_else(|| unreachable(format!("host name {host:?} has no address"))),
        Err(e) => Err(unreachable(format!(
            "host name {host:?} does not resolve: {e}"
        ))),
    }
}
