//! Rate limits of schedules per viewer key and per client network (the /24
//! of an IPv4 address, the /48 of an IPv6 one) per minute: one limiter for
//! every schedule, checked before any signature is verified or issued, so a
//! flood costs the reporter a map lookup; and a tighter one for open
//! contents (those a customer lets anyone view, within their on-chain
//! budget), so one viewer, or one network minting fresh keys, cannot drain
//! the budget.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
	Viewer([u8; 32]),
	Network([u8; 16]),
}

/// The client network an address belongs to: its /24 (IPv4) or /48 (IPv6).
pub fn network_of(ip: IpAddr) -> [u8; 16] {
	let mut k = [0u8; 16];
	match ip {
		IpAddr::V4(v4) => {
			k[0] = 4;
			k[1..4].copy_from_slice(&v4.octets()[..3]);
		}
		IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
			Some(v4) => return network_of(IpAddr::V4(v4)),
			None => {
				k[0] = 6;
				k[1..7].copy_from_slice(&v6.octets()[..6]);
			}
		},
	}
	k
}

/// Fixed one-minute windows of schedule counts.
#[derive(Debug)]
pub struct OpenLimiter {
	per_viewer: u32,
	per_network: u32,
	counts: Mutex<(u64, HashMap<Key, u32>)>,
}

/// A limit that was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
	/// `viewer key` or `client network`.
	pub what: &'static str,
	/// The limit per minute.
	pub per_minute: u32,
	/// Seconds until the minute rolls over.
	pub retry_after_secs: u64,
}

impl OpenLimiter {
	/// At most `per_viewer` schedules per viewer key and `per_network` per
	/// client network, per minute.
	pub fn new(per_viewer: u32, per_network: u32) -> Self {
		OpenLimiter { per_viewer, per_network, counts: Mutex::new((0, HashMap::new())) }
	}

	/// Counts one schedule of `viewer` from `ip` at `now_ms`, unless a
	/// limit is reached (then nothing is counted).
	pub fn admit(&self, viewer: [u8; 32], ip: IpAddr, now_ms: u64) -> Result<(), Limited> {
		let minute = now_ms / 60_000;
		let retry_after_secs = 60 - (now_ms % 60_000) / 1000;
		let mut g = self.counts.lock().expect("limiter lock");
		if g.0 != minute {
			*g = (minute, HashMap::new());
		}
		let checks = [
			(Key::Viewer(viewer), self.per_viewer, "viewer key"),
			(Key::Network(network_of(ip)), self.per_network, "client network"),
		];
		for (key, limit, what) in checks {
			if g.1.get(&key).copied().unwrap_or(0) >= limit {
				return Err(Limited { what, per_minute: limit, retry_after_secs });
			}
		}
		for (key, _, _) in checks {
			*g.1.entry(key).or_default() += 1;
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn ip(s: &str) -> IpAddr {
		s.parse().unwrap()
	}

	#[test]
	fn networks_are_slash_24_and_slash_48() {
		assert_eq!(network_of(ip("10.1.2.3")), network_of(ip("10.1.2.200")));
		assert_ne!(network_of(ip("10.1.2.3")), network_of(ip("10.1.3.3")));
		assert_eq!(network_of(ip("2001:db8:1::1")), network_of(ip("2001:db8:1:ffff::2")));
		assert_ne!(network_of(ip("2001:db8:1::1")), network_of(ip("2001:db8:2::1")));
		// An IPv4-mapped IPv6 address is its IPv4 network.
		assert_eq!(network_of(ip("::ffff:10.1.2.3")), network_of(ip("10.1.2.9")));
	}

	#[test]
	fn one_viewer_and_one_network_are_limited_per_minute() {
		let l = OpenLimiter::new(2, 3);
		let t = 120_000;
		assert!(l.admit([1; 32], ip("10.0.0.1"), t).is_ok());
		assert!(l.admit([1; 32], ip("10.0.0.1"), t + 1).is_ok());
		let e = l.admit([1; 32], ip("10.0.0.1"), t + 2).unwrap_err();
		assert_eq!((e.what, e.per_minute), ("viewer key", 2));
		// Fresh keys from the same /24 hit the network's limit.
		assert!(l.admit([2; 32], ip("10.0.0.2"), t + 3).is_ok());
		let e = l.admit([3; 32], ip("10.0.0.3"), t + 4).unwrap_err();
		assert_eq!(e.what, "client network");
		// Another network is unaffected; the next minute starts afresh.
		assert!(l.admit([3; 32], ip("10.0.1.3"), t + 5).is_ok());
		assert!(l.admit([1; 32], ip("10.0.0.1"), t + 60_000).is_ok());
		assert_eq!(e.retry_after_secs, 60);
	}
}
