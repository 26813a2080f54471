//! Where a viewer's tickets go (pure; `docs/design.md` §8). The reporter
//! decides, not the viewer: a viewer who owns edges would otherwise send its
//! own paid downloads to them (issue #24: naming its edge's region put that
//! edge first in every schedule).
//!
//! - Never an edge in the viewer's own network (the /24 of an IPv4 address,
//!   the /48 of an IPv6 one), nor any edge of an owner who has an edge
//!   there.
//! - Among the rest, a weighted random order: an attacker with k of n
//!   comparable edges comes first about k/n of the time. Weights come only
//!   from what the reporter measured or the chain says: its own count of
//!   unexpired tickets per edge (load), the edge's reputation (the
//!   reporter's audits), whether it holds the content, and whether the
//!   viewer's address is near the edge's (same /16 or /32, not the same
//!   network). A region the viewer names is a hint, worth less than that
//!   measurement ([`REGION_HINT`] < [`NEAR`]): it can tilt the draw,
//!   never decide it.
//! - No edge comes before the others once it holds more than
//!   [`SHARE_FACTOR`] times its fair share of one content's ticketed bytes
//!   in the window; it is still used when the others are not enough.

use crate::open::network_of;
use pod_primitives::PublicKey;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// A network: the /24 of an IPv4 address or the /48 of an IPv6 one, as
/// [`network_of`] encodes it.
pub type Network = [u8; 16];

/// Reputation at or below which an edge is never scheduled.
pub const EXCLUDED_REPUTATION: i64 = -50;
/// Weight of an edge whose address is near the viewer's (same /16 or /32).
pub const NEAR: f64 = 2.0;
/// Weight of an edge that already holds the content (no origin fetch).
pub const HOLDS: f64 = 1.5;
/// Weight of an edge in the region the viewer names (a hint: below [`NEAR`]).
pub const REGION_HINT: f64 = 1.25;
/// How many times its fair share of a content's window an edge may hold
/// before the others come first.
pub const SHARE_FACTOR: u64 = 2;

/// The network `ip` is in, if it names one: loopback and unspecified
/// addresses do not (every party of a one-host test network shares them).
pub fn network(ip: IpAddr) -> Option<Network> {
	let ip = match ip {
		IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
		v4 => v4,
	};
	(!ip.is_loopback() && !ip.is_unspecified()).then(|| network_of(ip))
}

/// The wider area around a network: its /16 (IPv4) or /32 (IPv6).
fn area(n: &Network) -> Network {
	let mut a = *n;
	match a[0] {
		4 => a[3] = 0,
		_ => (a[5], a[6]) = (0, 0),
	}
	a
}

/// An edge the reporter could schedule, as the reporter knows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidate {
	/// The edge's key.
	pub edge: PublicKey,
	/// The account that registered it on chain, if known.
	pub owner: Option<[u8; 32]>,
	/// Networks the reporter saw it at (its heartbeats' source, its URL's
	/// address).
	pub networks: Vec<Network>,
	/// Its region (the chain's record).
	pub region: String,
	/// Its reputation (the reporter's audits), -100 to 100.
	pub reputation: i64,
	/// Unexpired tickets the reporter issued for it.
	pub open: u64,
	/// Whether it holds the content.
	pub holds: bool,
	/// Bytes of the content ticketed to it in the window.
	pub ticketed: u64,
	/// Whether it sent a heartbeat recently enough to be scheduled (an edge
	/// that did not still counts for its owner's exclusion).
	pub live: bool,
}

/// Who asks for a schedule, as the reporter can tell.
#[derive(Debug, Clone, Copy, Default)]
pub struct Viewer<'a> {
	/// The network its request came from.
	pub network: Option<Network>,
	/// The region it names, if any (a hint).
	pub region_hint: Option<&'a str>,
}

/// The candidates `viewer` may be scheduled on: live, not excluded, not in
/// its network, and no edge of an owner with an edge (live or not) in its
/// network. An owner is a chain account: one person with several accounts
/// is several owners here.
pub fn eligible<'c>(candidates: &'c [Candidate], viewer: &Viewer) -> Vec<&'c Candidate> {
	let inside = |c: &Candidate| viewer.network.is_some_and(|n| c.networks.contains(&n));
	let owners: BTreeSet<[u8; 32]> =
		candidates.iter().filter(|c| inside(c)).filter_map(|c| c.owner).collect();
	candidates
		.iter()
		.filter(|c| c.live && c.reputation > EXCLUDED_REPUTATION && !inside(c))
		.filter(|c| !c.owner.is_some_and(|o| owners.contains(&o)))
		.collect()
}

/// How much more likely `c` is drawn for `viewer` than an idle, unaudited
/// edge far from it that does not hold the content.
pub fn weight(c: &Candidate, viewer: &Viewer) -> f64 {
	let reputation = 1.0 + c.reputation.clamp(EXCLUDED_REPUTATION, 100) as f64 / 100.0;
	let load = 1.0 / (1.0 + c.open.min(1 << 20) as f64);
	let holds = if c.holds { HOLDS } else { 1.0 };
	let near = match viewer.network {
		Some(n) if c.networks.iter().any(|e| area(e) == area(&n)) => NEAR,
		_ => 1.0,
	};
	let hint = if viewer.region_hint.is_some_and(|r| r == c.region) { REGION_HINT } else { 1.0 };
	reputation * load * holds * near * hint
}

/// `eligible` in the order the reporter tries them: a weighted random
/// order (each draw's chance proportional to [`weight`]; `rand` yields a
/// uniform number in [0, 1) for each edge), except that edges holding more
/// than [`SHARE_FACTOR`] times their fair share of the content's `ticketed`
/// bytes come after all others.
pub fn order<'c>(
	eligible: Vec<&'c Candidate>,
	viewer: &Viewer,
	ticketed: u64,
	mut rand: impl FnMut(&Candidate) -> f64,
) -> Vec<&'c Candidate> {
	let n = eligible.len().max(1) as u64;
	let over = |c: &Candidate| c.ticketed.saturating_mul(n) > SHARE_FACTOR.saturating_mul(ticketed);
	// Weighted sampling without replacement (Efraimidis and Spirakis): each
	// edge's key is u^(1/w); sorting by it draws in proportion to weight.
	let mut keyed: Vec<(bool, f64, &Candidate)> = eligible
		.into_iter()
		.map(|c| {
			let u = rand(c).clamp(f64::MIN_POSITIVE, 1.0);
			(over(c), u.ln() / weight(c, viewer).max(f64::MIN_POSITIVE), c)
		})
		.collect();
	keyed.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.edge.cmp(&b.2.edge)));
	keyed.into_iter().map(|(_, _, c)| c).collect()
}

/// The address `url`'s host is, if it is one (`http://192.0.2.1:8080`,
/// `http://[2001:db8::1]/`), not a name.
pub fn url_address(url: &str) -> Option<IpAddr> {
	let uri: hyper::Uri = url.parse().ok()?;
	uri.host()?.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// A uniform number in [0, 1) from the operating system's randomness.
pub fn os_rand() -> f64 {
	let mut b = [0u8; 8];
	getrandom::fill(&mut b).expect("the OS has randomness");
	unit(b)
}

/// The draw for `edge` when a viewer in `network` asks for `content` in
/// `window`: a uniform number in [0, 1), the same each time that network
/// asks in the window, so re-asking — with fresh viewer keys and `count =
/// 1`, until one's own edge comes first — draws nothing new; a new window,
/// content or network draws again. Keyed by `secret`, which the reporter
/// drew at start, so nobody can compute the draws. (The order still moves
/// as the reporter's measurements do: load, reputation, share.)
pub fn network_draw(
	secret: &[u8; 32],
	network: &Network,
	content: &pod_primitives::ContentId,
	window: pod_primitives::WindowIndex,
	edge: &PublicKey,
) -> f64 {
	let mut h = blake3::Hasher::new_keyed(secret);
	h.update(network).update(content).update(&window.to_le_bytes()).update(edge);
	let mut b = [0u8; 8];
	b.copy_from_slice(&h.finalize().as_bytes()[..8]);
	unit(b)
}

fn unit(b: [u8; 8]) -> f64 {
	(u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
	use super::*;

	fn ip(s: &str) -> IpAddr {
		s.parse().unwrap()
	}

	fn edge(n: u8, at: &str) -> Candidate {
		Candidate {
			edge: [n; 32],
			networks: network(ip(at)).into_iter().collect(),
			live: true,
			..Default::default()
		}
	}

	/// A deterministic uniform sequence for the draws.
	fn lcg(seed: u64) -> impl FnMut() -> f64 {
		let mut s = seed;
		move || {
			s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
			(s >> 11) as f64 / (1u64 << 53) as f64
		}
	}

	/// An edge's URL gives its address only when its host is one.
	#[test]
	fn url_addresses() {
		assert_eq!(url_address("http://192.0.2.1:8080/x"), Some(ip("192.0.2.1")));
		assert_eq!(url_address("https://[2001:db8::1]:443"), Some(ip("2001:db8::1")));
		assert_eq!(url_address("https://edge.example"), None);
		assert_eq!(url_address("not a url"), None);
	}

	/// Loopback names no network; IPv4-mapped IPv6 is its IPv4 network;
	/// the /24 and /48 are the networks, the /16 and /32 their areas.
	#[test]
	fn networks_and_areas() {
		assert_eq!(network(ip("127.0.0.1")), None);
		assert_eq!(network(ip("::1")), None);
		assert_eq!(network(ip("::ffff:198.51.100.7")), network(ip("198.51.100.200")));
		assert_ne!(network(ip("198.51.100.7")), network(ip("198.51.101.7")));
		let (a, b) = (network(ip("198.51.100.7")).unwrap(), network(ip("198.51.101.7")).unwrap());
		assert_eq!(area(&a), area(&b));
		let (c, d) = (network(ip("2001:db8:1::1")).unwrap(), network(ip("2001:db8:2::1")).unwrap());
		assert_ne!(c, d);
		assert_eq!(area(&c), area(&d));
	}

	/// No edge in the viewer's network, nor any edge of an owner with an
	/// edge there; excluded reputations never.
	#[test]
	fn the_viewers_own_networks_and_owners_are_left_out() {
		let mut es = vec![
			edge(1, "203.0.113.5"),
			edge(2, "198.51.100.9"),
			edge(3, "192.0.2.1"),
			edge(4, "192.0.2.77"),
		];
		es[0].owner = Some([9; 32]); // the viewer's own edge, gone quiet
		es[0].live = false;
		es[1].owner = Some([9; 32]); // the same owner, elsewhere
		es[2].reputation = EXCLUDED_REPUTATION;
		let viewer = Viewer { network: network(ip("203.0.113.200")), region_hint: None };
		let keys: Vec<_> = eligible(&es, &viewer).iter().map(|c| c.edge[0]).collect();
		assert_eq!(keys, vec![4]);
		// A viewer nowhere near: every live edge but the excluded one.
		let far = Viewer { network: network(ip("100.64.0.1")), region_hint: None };
		let keys: Vec<_> = eligible(&es, &far).iter().map(|c| c.edge[0]).collect();
		assert_eq!(keys, vec![2, 4]);
	}

	/// Measurement outranks the viewer's hint; load and reputation count;
	/// what the viewer says never more than `REGION_HINT`.
	#[test]
	fn a_region_hint_tilts_but_never_outranks_measurement() {
		let viewer_at = network(ip("198.51.100.1"));
		let mut near = edge(1, "198.51.7.1");
		near.region = "eu".into();
		let mut hinted = edge(2, "192.0.2.1");
		hinted.region = "zz".into();
		let v = Viewer { network: viewer_at, region_hint: Some("zz") };
		assert!(weight(&near, &v) > weight(&hinted, &v));
		assert_eq!(weight(&hinted, &v), REGION_HINT);
		let mut busy = near.clone();
		busy.open = 3;
		assert_eq!(weight(&busy, &v), weight(&near, &v) / 4.0);
		busy.reputation = 100;
		assert_eq!(weight(&busy, &v), weight(&near, &v) / 2.0);
	}

	/// Over many draws, an attacker with 1 of 6 comparable edges comes
	/// first about 1/6 of the time, and about 1.25/6.25 when it names its
	/// own region: the hint's bound.
	#[test]
	fn an_owner_of_k_of_n_edges_comes_first_about_k_over_n() {
		let mut es: Vec<_> = (0..6).map(|n| edge(n, &format!("192.0.{n}.1"))).collect();
		es[0].region = "zz".into();
		let mut rand = lcg(7);
		let first = |hint: Option<&str>, rand: &mut dyn FnMut() -> f64| {
			let v = Viewer { network: network(ip("100.64.0.1")), region_hint: hint };
			(0..60_000)
				.filter(|_| order(es.iter().collect(), &v, 0, |_| rand())[0].edge[0] == 0)
				.count() as f64
				/ 60_000.0
		};
		let plain = first(None, &mut rand);
		let hinted = first(Some("zz"), &mut rand);
		assert!((plain - 1.0 / 6.0).abs() < 0.01, "{plain}");
		assert!((hinted - 1.25 / 6.25).abs() < 0.01, "{hinted}");
	}

	/// An edge above twice its fair share of the content's window comes
	/// after every other edge, whatever its weight; and still comes.
	#[test]
	fn an_edge_over_its_share_comes_last() {
		let mut es: Vec<_> = (0..4).map(|n| edge(n, &format!("192.0.{n}.1"))).collect();
		es[0].holds = true;
		es[0].reputation = 100;
		es[0].ticketed = 600;
		let v = Viewer::default();
		let mut rand = lcg(1);
		for _ in 0..100 {
			let o = order(es.iter().collect(), &v, 1_000, |_| rand());
			assert_eq!((o.len(), o[3].edge[0]), (4, 0));
		}
		// At twice its share exactly (500 of 1,000 over 4 edges), it competes.
		es[0].ticketed = 500;
		let firsts =
			(0..100).filter(|_| order(es.iter().collect(), &v, 1_000, |_| rand())[0].edge[0] == 0);
		assert!(firsts.count() > 25);
	}

	/// A network that asks again in the same window (fresh keys, one edge
	/// at a time) gets the same order: its one edge of six comes first for
	/// about 1/6 of networks, and asking a hundred times more from each
	/// changes nothing; a new window draws again.
	#[test]
	fn re_asking_from_one_network_does_not_re_roll() {
		let es: Vec<_> = (0..6).map(|n| edge(n, &format!("192.0.{n}.1"))).collect();
		let secret = [9u8; 32];
		let content = [7u8; 32];
		let first_for = |net: Network, window| {
			let v = Viewer { network: Some(net), region_hint: None };
			let draw = |c: &Candidate| network_draw(&secret, &net, &content, window, &c.edge);
			order(es.iter().collect(), &v, 0, draw)[0].edge[0]
		};
		let nets: Vec<Network> = (0..6000u32)
			.map(|i| network_of(IpAddr::from([100, 64 + (i >> 8) as u8, i as u8, 1])))
			.collect();
		let mut own = 0;
		for net in &nets {
			let first = first_for(*net, 3);
			assert!((0..100).all(|_| first_for(*net, 3) == first), "re-asking re-rolled");
			own += usize::from(first == 0);
		}
		let share = own as f64 / nets.len() as f64;
		assert!((share - 1.0 / 6.0).abs() < 0.02, "{share}");
		let moved = nets.iter().filter(|n| first_for(**n, 3) != first_for(**n, 4)).count();
		assert!(moved > nets.len() / 2, "a new window draws again: {moved}");
	}
}
