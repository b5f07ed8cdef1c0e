//! Address ranges in settings (`server.trusted_proxies`, `ops.metrics_allow`): a CIDR
//! block (`10.0.0.0/8`, `fd00::/8`) or a single address (`127.0.0.1`, `::1`). An IPv4
//! address written as IPv6 (`::ffff:127.0.0.1`, as a dual-stack socket reports it) is
//! matched as the IPv4 address.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::Deserialize;

/// One range of client addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct AddrRange(IpNet);

impl AddrRange {
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.contains(&canonical(addr))
    }
}

/// `addr` with an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) read as the IPv4 one.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Whether any of `ranges` holds `addr`.
pub fn any_contains(ranges: &[AddrRange], addr: IpAddr) -> bool {
    ranges.iter().any(|r| r.contains(addr))
}

impl FromStr for AddrRange {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let net = if s.contains('/') {
            IpNet::from_str(s).ok().map(|n| n.trunc())
        } else {
            IpAddr::from_str(s).ok().map(|a| IpNet::from(canonical(a)))
        };
        net.map(AddrRange).ok_or_else(|| {
            format!("`{s}` is neither an address (127.0.0.1, ::1) nor a range (10.0.0.0/8)")
        })
    }
}

impl TryFrom<String> for AddrRange {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl std::fmt::Display for AddrRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_and_single_addresses() {
        let lo: AddrRange = "127.0.0.0/8".parse().unwrap();
        assert!(lo.contains(ip("127.0.0.1")));
        assert!(lo.contains(ip("127.255.0.9")));
        assert!(lo.contains(ip("::ffff:127.0.0.1")), "mapped IPv4 is IPv4");
        assert!(!lo.contains(ip("10.0.0.1")));
        let one: AddrRange = "::1".parse().unwrap();
        assert!(one.contains(ip("::1")));
        assert!(!one.contains(ip("::2")));
        let host: AddrRange = " 192.168.1.7 ".parse().unwrap();
        assert!(host.contains(ip("192.168.1.7")));
        assert!(!host.contains(ip("192.168.1.8")));
        // Host bits in a range are dropped, as routers read it.
        let net: AddrRange = "10.1.2.3/16".parse().unwrap();
        assert_eq!(net.to_string(), "10.1.0.0/16");
        for bad in ["", "localhost", "10.0.0.0/33", "1.2.3"] {
            assert!(bad.parse::<AddrRange>().is_err(), "{bad}");
        }
    }
}
