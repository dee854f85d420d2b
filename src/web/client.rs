//! The client's IP: the socket peer, or the last untrusted hop of `X-Forwarded-For` when
//! the peer is a proxy listed in `security.trusted_proxies` (POLICY: believed only then).

use std::net::IpAddr;

use rocket::request::{FromRequest, Outcome, Request};

use crate::db::Db;
use crate::settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<ClientIp> for IpAddr {
    fn from(c: ClientIp) -> IpAddr {
        c.0
    }
}

/// Picks the client from the peer and the forwarded chain (left = original client).
pub fn resolve(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(chain) = forwarded else { return peer };
    let hops: Vec<IpAddr> = chain
        .split(',')
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    // Walk from the nearest hop back; the first address we do not trust is the client.
    hops.iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .or(hops.first())
        .copied()
        .unwrap_or(peer)
}

async fn trusted_proxies(req: &Request<'_>) -> Vec<IpAddr> {
    match (
        req.rocket().state::<settings::Cache>(),
        req.rocket().state::<Db>(),
    ) {
        (Some(cache), Some(db)) => cache
            .shop(db)
            .await
            .map(|s| s.trusted_proxies)
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn peer(req: &Request<'_>) -> IpAddr {
    req.remote()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// Whether the browser reached the shop over HTTPS, so cookies get `Secure`. Cornershop
/// itself speaks plain HTTP; TLS ends at a proxy, whose `X-Forwarded-Proto` is believed
/// only when it is a trusted proxy.
#[derive(Debug, Clone, Copy)]
pub struct Https(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Https {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let forwarded = req
            .headers()
            .get_one("X-Forwarded-Proto")
            .map(|p| p.trim().eq_ignore_ascii_case("https"));
        let https = match forwarded {
            Some(true) => trusted_proxies(req).await.contains(&peer(req)),
            _ => false,
        };
        Outcome::Success(Https(https))
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientIp {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let ip = req
            .local_cache_async(async {
                let trusted = trusted_proxies(req).await;
                ClientIp(resolve(
                    peer(req),
                    req.headers().get_one("X-Forwarded-For"),
                    &trusted,
                ))
            })
            .await;
        Outcome::Success(*ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_from_an_untrusted_peer() {
        assert_eq!(
            resolve(ip("203.0.113.9"), Some("1.2.3.4"), &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_gives_the_last_untrusted_hop() {
        let trusted = [ip("10.0.0.1")];
        assert_eq!(
            resolve(ip("10.0.0.1"), Some("6.6.6.6, 198.51.100.7"), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(resolve(ip("10.0.0.1"), None, &trusted), ip("10.0.0.1"));
    }
}
