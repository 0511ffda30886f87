//! The client's IP address, for rate limits on requests without a valid key.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::dev::ServiceRequest;
use ipnet::IpNet;

/// Proxies whose `X-Forwarded-For` is believed (`PLUSK_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list of addresses or CIDR ranges; empty trusts no one.
    fn from_str(s: &str) -> Result<TrustedProxies, String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{p}` is not an IP address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The peer address, unless the peer is a trusted proxy: then the right-most
    /// `X-Forwarded-For` entry that is not itself a trusted proxy. Entries to its left were
    /// written by the client and could be anything, so they are never believed.
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim);
        for hop in hops.collect::<Vec<_>>().into_iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.trusts(ip) => continue,
                Ok(ip) => return ip,
                // A malformed hop means the chain cannot be followed further.
                Err(_) => return peer,
            }
        }
        peer
    }

    /// [`TrustedProxies::client_ip`] for a request.
    pub fn of_request(&self, req: &ServiceRequest) -> IpAddr {
        let peer = req
            .peer_addr()
            .map(|a| a.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let values: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        self.client_ip(peer, &values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_cannot_spoof() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client_ip(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        let proxies: TrustedProxies = "10.0.0.0/8, 127.0.0.1".parse().unwrap();
        assert_eq!(
            proxies.client_ip(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn takes_the_right_most_untrusted_hop() {
        let proxies: TrustedProxies = "10.0.0.0/8,127.0.0.1".parse().unwrap();
        let peer = ip("127.0.0.1");
        assert_eq!(
            proxies.client_ip(peer, &["6.6.6.6, 198.51.100.7, 10.1.2.3"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            proxies.client_ip(peer, &["6.6.6.6", "198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(proxies.client_ip(peer, &[]), peer);
        assert_eq!(proxies.client_ip(peer, &["10.0.0.1"]), peer);
        assert_eq!(proxies.client_ip(peer, &["garbage, 10.0.0.1"]), peer);
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert_eq!("".parse::<TrustedProxies>(), Ok(TrustedProxies::default()));
    }
}
