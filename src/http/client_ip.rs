//! The client's address behind reverse proxies (for rate limits and logs).
//!
//! `X-Forwarded-For` is believed only when the connection comes from a configured proxy
//! (`server.trusted_proxies`), and then read from the right: each proxy appends the address it
//! saw, so the right-most entry that is not itself a trusted proxy is the client. Anything to
//! its left was written by the client and proves nothing. `Forwarded` is never read.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Deserialize;

/// Addresses or networks (`10.0.0.0/8`, `127.0.0.1`) of the proxies in front of this server.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct TrustedProxies(Vec<IpNet>);

impl TryFrom<Vec<String>> for TrustedProxies {
    type Error = String;

    fn try_from(entries: Vec<String>) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("server.trusted_proxies: {entry:?} is not an address or a network")
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`, given the `X-Forwarded-For` header values in order.
    pub fn client_of<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl Iterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // A malformed hop ends the walk: nothing to its left can be trusted either.
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:a.b.c.d`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::try_from(list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "127.0.0.1"]);
        // No trusted proxy in front: the header is the client's own words.
        assert_eq!(
            proxies(&[]).client_of(ip("127.0.0.1"), ["203.0.113.7"].into_iter()),
            ip("127.0.0.1")
        );
        assert_eq!(
            trusted.client_of(ip("192.0.2.1"), ["203.0.113.7"].into_iter()),
            ip("192.0.2.1"),
            "an untrusted peer's header is ignored"
        );
        // A spoofed left part changes nothing.
        for spoof in ["203.0.113.1", "203.0.113.2, 127.0.0.1", "junk"] {
            let header = format!("{spoof}, 198.51.100.7, 10.1.2.3");
            assert_eq!(
                trusted.client_of(ip("127.0.0.1"), [header.as_str()].into_iter()),
                ip("198.51.100.7")
            );
        }
        // Several header lines count as one list, in order.
        assert_eq!(
            trusted.client_of(
                ip("::ffff:10.0.0.1"),
                ["198.51.100.8", "10.0.0.2"].into_iter()
            ),
            ip("198.51.100.8")
        );
        // Only proxies all the way: the left-most.
        assert_eq!(
            trusted.client_of(ip("10.0.0.1"), ["10.0.0.9, 10.0.0.2"].into_iter()),
            ip("10.0.0.9")
        );
        assert!(TrustedProxies::try_from(vec!["not an ip".to_owned()]).is_err());
    }
}
