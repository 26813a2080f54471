//! Which addresses a service connects to on someone else's word. By
//! default only public ones: an origin a customer registered (the edge
//! fills from it) or an edge URL a heartbeat announced (the reporter sends
//! it orders and audits) inside an operator's own network, on its loopback
//! or at a cloud metadata address must not turn the service into a proxy
//! into it (server-side request forgery). The check runs on the addresses
//! a name resolves to, at connect time (so a name cannot resolve to a
//! public address for a check and a private one for the connection), and
//! on IP literals before anything is sent. Operators of local test
//! networks allow private addresses (`allow_private_origins` on an edge,
//! `allow_private_edges` on a reporter).

use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
	match ip {
		IpAddr::V4(v4) => is_public_v4(v4),
		IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
			Some(v4) => is_public_v4(v4),
			None => is_public_v6(v6),
		},
	}
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
	let [a, b, ..] = ip.octets();
	let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10, carrier-grade NAT
	let this_network = a == 0;
	!(ip.is_private()
		|| ip.is_loopback()
		|| ip.is_link_local()
		|| ip.is_broadcast()
		|| ip.is_multicast()
		|| ip.is_documentation()
		|| ip.is_unspecified()
		|| shared
		|| this_network)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
	let first = ip.segments()[0];
	let unique_local = first & 0xfe00 == 0xfc00; // fc00::/7
	let link_local = first & 0xffc0 == 0xfe80; // fe80::/10
	!(ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() || unique_local || link_local)
}

/// Why `host` is not connected to: `setting` is the configuration key
/// that would allow it.
pub fn refusal(host: &str, setting: &str) -> String {
	format!(
		"{host} is a private, loopback or link-local address; only public addresses are \
		 connected to ({setting} to change that)"
	)
}

/// A resolver that drops every address that is not public.
#[derive(Clone, Debug)]
pub struct PublicResolver {
	inner: GaiResolver,
	allow_private: bool,
	setting: &'static str,
}

impl PublicResolver {
	/// The system resolver, keeping only public addresses unless
	/// `allow_private` (the configuration key `setting`).
	pub fn new(allow_private: bool, setting: &'static str) -> Self {
		PublicResolver { inner: GaiResolver::new(), allow_private, setting }
	}
}

impl tower::Service<Name> for PublicResolver {
	type Response = std::vec::IntoIter<SocketAddr>;
	type Error = std::io::Error;
	type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

	fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
		self.inner.poll_ready(cx)
	}

	fn call(&mut self, name: Name) -> Self::Future {
		let (allow, setting) = (self.allow_private, self.setting);
		let resolving = self.inner.call(name.clone());
		Box::pin(async move {
			let addrs: Vec<SocketAddr> =
				resolving.await?.filter(|a| allow || is_public(a.ip())).collect();
			if addrs.is_empty() {
				let why = refusal(name.as_str(), setting);
				return Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, why));
			}
			Ok(addrs.into_iter())
		})
	}
}

/// The IP a URI's host names literally, if it is one.
pub fn literal_ip(uri: &hyper::Uri) -> Option<IpAddr> {
	let host = uri.host()?;
	host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn ip(s: &str) -> IpAddr {
		s.parse().unwrap()
	}

	#[test]
	fn only_public_unicast_addresses_pass() {
		for private in [
			"127.0.0.1",
			"10.1.2.3",
			"172.16.0.1",
			"192.168.1.1",
			"169.254.169.254",
			"100.64.0.1",
			"0.0.0.0",
			"255.255.255.255",
			"224.0.0.1",
			"::1",
			"::",
			"fd00::1",
			"fe80::1",
			"::ffff:192.168.1.1",
			"ff02::1",
		] {
			assert!(!is_public(ip(private)), "{private}");
		}
		for public in ["1.1.1.1", "8.8.8.8", "100.128.0.1", "2606:4700::1111", "::ffff:1.1.1.1"] {
			assert!(is_public(ip(public)), "{public}");
		}
	}

	#[test]
	fn ip_literals_are_read_from_uris() {
		let u = |s: &str| s.parse::<hyper::Uri>().unwrap();
		assert_eq!(literal_ip(&u("http://127.0.0.1:8080/x")), Some(ip("127.0.0.1")));
		assert_eq!(literal_ip(&u("http://[::1]:80/x")), Some(ip("::1")));
		assert_eq!(literal_ip(&u("http://example.com/x")), None);
	}

	#[tokio::test]
	async fn names_resolving_only_to_private_addresses_are_refused() {
		use tower::Service;
		let name: Name = "localhost".parse().unwrap();
		let err = PublicResolver::new(false, "x").call(name.clone()).await.unwrap_err();
		assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
		let allowed: Vec<_> = PublicResolver::new(true, "x").call(name).await.unwrap().collect();
		assert!(allowed.iter().all(|a| a.ip().is_loopback()) && !allowed.is_empty());
	}
}
