//! Address ranges, for `--trusted-proxies` (ipnet's, plus single addresses and IPv4 peers seen
//! as IPv4-mapped IPv6 addresses).

use ipnet::IpNet;

/// An address range: `10.0.0.0/8`, `::1/128`, or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr(IpNet);

impl Cidr {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        // A dual-stack listener sees an IPv4 peer as ::ffff:a.b.c.d.
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
            v4 => v4,
        };
        self.0.contains(&ip)
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Ok(addr) = text.parse::<std::net::IpAddr>() {
            return Ok(Cidr(IpNet::from(addr)));
        }
        text.parse::<IpNet>().map(Cidr).map_err(|_| {
            format!("{text:?} is not an address range such as 10.0.0.0/8 (prefix 0 to 32, or 128 for IPv6)")
        })
    }
}
