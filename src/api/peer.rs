//! The client address of a request: what the failed-authentication throttle counts by and
//! what `ops.metrics_allow` is checked against.
//!
//! By default it is the connection's peer address. Behind a reverse proxy that address is
//! the proxy's, so every client would share one budget of failures (and a proxy on this
//! host would pass the loopback allow-list for `/metrics`). List the proxies in
//! `server.trusted_proxies`: a request whose peer is one of them is taken to come from the
//! right-most `X-Forwarded-For` address that is not itself a trusted proxy (the left part
//! of the header is whatever the client sent, so it is never believed). A request from a
//! trusted proxy without the header is the proxy's own.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::HttpRequest;

use crate::net::{AddrRange, any_contains, canonical};

/// The client address of `req` (see the module doc). A request without a peer address
/// (only built by hand, in tests) is `0.0.0.0`.
pub fn client_addr(req: &HttpRequest, trusted_proxies: &[AddrRange]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| canonical(a.ip()));
    if trusted_proxies.is_empty() || !any_contains(trusted_proxies, peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().parse::<IpAddr>().map(canonical))
        .collect::<Result<_, _>>()
        // A header the proxy did not write cleanly: trust none of it.
        .unwrap_or_default();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !any_contains(trusted_proxies, *a))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use actix_web::test::TestRequest;

    use super::*;

    fn ranges(list: &[&str]) -> Vec<AddrRange> {
        list.iter().map(|r| r.parse().unwrap()).collect()
    }

    #[test]
    fn the_peer_unless_it_is_a_trusted_proxy() {
        let req = TestRequest::default()
            .peer_addr("203.0.113.9:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "198.51.100.1"))
            .to_http_request();
        assert_eq!(
            client_addr(&req, &[]),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_addr(&req, &ranges(&["10.0.0.0/8"])),
            "203.0.113.9".parse::<IpAddr>().unwrap(),
            "a header from an untrusted peer is ignored"
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_forwarded_address() {
        let trusted = ranges(&["10.0.0.0/8"]);
        let req = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            // The client forged the first entry; the proxies appended the rest.
            .insert_header(("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.3"))
            .to_http_request();
        assert_eq!(
            client_addr(&req, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        let bare = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .to_http_request();
        assert_eq!(
            client_addr(&bare, &trusted),
            "10.0.0.2".parse::<IpAddr>().unwrap()
        );
        let garbled = TestRequest::default()
            .peer_addr("10.0.0.2:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "198.51.100.7, not-an-address"))
            .to_http_request();
        assert_eq!(
            client_addr(&garbled, &trusted),
            "10.0.0.2".parse::<IpAddr>().unwrap()
        );
    }
}
