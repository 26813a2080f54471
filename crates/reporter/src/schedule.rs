//! Scheduling clients onto edges: ranking, hold orders, tickets, and
//! spreading hot contents ahead of demand.

use crate::error::ReporterError;
use crate::placement::{self, Candidate, Viewer};
use crate::service::Reporter;
use crate::store::EdgeRecord;
use codec::Encode;
use hyper::Method;
use pod_http::CallError;
use pod_primitives::{
	keys, ContentId, DomainTag, HoldOrder, Manifest, PublicKey, SignedOrder, SignedTicket, Ticket,
	WindowIndex,
};
use pod_wire::api::{ScheduleRequest, ScheduleResponse, ScheduledEdge};
use pod_wire::clock::now_ms;
use pod_wire::hex::hex32;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a ticket allows, whatever edge it names.
pub(crate) struct TicketTerms {
	pub(crate) client: PublicKey,
	pub(crate) content: ContentId,
	pub(crate) max_bytes: u64,
	pub(crate) window: WindowIndex,
	pub(crate) expires_at: u64,
	pub(crate) grant: Option<pod_primitives::GrantId>,
}

/// Edges in the order they are tried, each with its record and its
/// weight (in thousandths, as the schedule shows it).
type Ranked = Vec<(PublicKey, EdgeRecord, i64)>;

/// Edges per schedule at most, whatever the configuration.
pub(crate) const MAX_EDGES: usize = 16;
/// How long a hold order is valid (ms).
const ORDER_TTL_MS: u64 = 60_000;

/// Tickets this reporter issued per edge that have not expired yet: the
/// load it measures itself. An edge's heartbeat also says how loaded it is,
/// but an edge could say anything (0, to be ranked first).
#[derive(Debug, Default)]
pub struct IssuedLoad(Mutex<HashMap<PublicKey, VecDeque<u64>>>);

impl IssuedLoad {
	/// Counts a ticket for `edge` until `expires_at`.
	pub fn add(&self, edge: PublicKey, expires_at: u64) {
		self.0.lock().expect("issued load").entry(edge).or_default().push_back(expires_at);
	}

	/// Unexpired tickets per edge at `now`; expired ones are forgotten.
	/// (Expiries are issued nearly in order: one that expires before a
	/// later-issued one is forgotten with it, never early.)
	pub fn counts(&self, now: u64) -> HashMap<PublicKey, u64> {
		let mut m = self.0.lock().expect("issued load");
		m.retain(|_, q| {
			while q.front().is_some_and(|e| *e <= now) {
				q.pop_front();
			}
			!q.is_empty()
		});
		m.iter().map(|(k, q)| (*k, q.len() as u64)).collect()
	}
}

/// Bytes ticketed per content and edge in the current window: what keeps
/// one edge from taking a content's window (`placement::SHARE_FACTOR`).
/// Kept in memory: a restarted reporter starts the window's shares afresh.
#[derive(Debug, Default)]
pub struct Ticketed(Mutex<(WindowIndex, HashMap<ContentId, PerEdge>)>);

/// Bytes per edge.
type PerEdge = HashMap<PublicKey, u64>;

impl Ticketed {
	/// Counts `bytes` ticketed to `edge` for `content` in `window` (a
	/// schedule that read an older window does not reset the new one's).
	pub fn add(&self, window: WindowIndex, content: ContentId, edge: PublicKey, bytes: u64) {
		let mut g = self.0.lock().expect("ticketed");
		if window < g.0 {
			return;
		}
		if window > g.0 {
			*g = (window, HashMap::new());
		}
		let e = g.1.entry(content).or_default().entry(edge).or_default();
		*e = e.saturating_add(bytes);
	}

	/// Bytes ticketed for `content` in `window`, per edge and in all.
	pub fn of(&self, window: WindowIndex, content: &ContentId) -> (PerEdge, u64) {
		let g = self.0.lock().expect("ticketed");
		let per_edge = match g.0 == window {
			true => g.1.get(content).cloned().unwrap_or_default(),
			false => HashMap::new(),
		};
		let total = per_edge.values().fold(0u64, |a, b| a.saturating_add(*b));
		(per_edge, total)
	}
}

/// What the reporter knows of an edge, for placement.
fn candidate(
	edge: PublicKey,
	r: &EdgeRecord,
	content_hex: &str,
	open: u64,
	ticketed: u64,
) -> Candidate {
	let networks =
		r.addresses.iter().filter_map(|a| a.parse().ok().and_then(placement::network)).collect();
	Candidate {
		edge,
		owner: r.owner.as_deref().and_then(|o| hex32("owner", o).ok()),
		networks,
		region: r.region.clone(),
		reputation: crate::audit::reputation_now(r, now_ms()),
		open,
		holds: r.held.iter().any(|c| c == content_hex),
		ticketed,
		live: false, // the caller knows how recent a heartbeat must be
	}
}

fn limited(l: crate::open::Limited) -> ReporterError {
	ReporterError::RateLimited {
		what: l.what,
		per_minute: l.per_minute,
		retry_after_secs: l.retry_after_secs,
	}
}

impl Reporter {
	/// The live edges `viewer` may get for `content`, in the order they are
	/// tried (`placement`: a weighted random order the viewer cannot steer).
	fn ranked(&self, content: &ContentId, viewer: &Viewer) -> Result<Ranked, ReporterError> {
		let c = hex::encode(content);
		let open = self.issued.counts(now_ms());
		let (ticketed, total) = self.ticketed.of(self.window(), content);
		// Every known edge, live or not: an owner whose edge in the viewer's
		// network went quiet still has its other edges left out.
		let mut records: HashMap<PublicKey, EdgeRecord> = self.store.edges()?.into_iter().collect();
		let candidates: Vec<Candidate> = records
			.iter()
			.map(|(k, r)| {
				let (o, t) = (open.get(k), ticketed.get(k));
				let mut cand =
					candidate(*k, r, &c, o.copied().unwrap_or(0), t.copied().unwrap_or(0));
				cand.live = self.is_live(r);
				cand
			})
			.collect();
		let eligible = placement::eligible(&candidates, viewer);
		let window = self.window();
		let ordered =
			placement::order(eligible, viewer, total, |c: &Candidate| match &viewer.network {
				Some(net) => {
					placement::network_draw(&self.draw_secret, net, content, window, &c.edge)
				}
				// No network to key the draw by (loopback: tests, one machine).
				None => placement::os_rand(),
			});
		Ok(ordered
			.into_iter()
			.filter_map(|cand| {
				let weight = (placement::weight(cand, viewer) * 1000.0).round() as i64;
				records.remove(&cand.edge).map(|r| (cand.edge, r, weight))
			})
			.collect())
	}

	fn order(&self, content: &ContentId, manifest: &Manifest, origin: &str) -> SignedOrder {
		let order = HoldOrder {
			content: *content,
			manifest: manifest.encode(),
			origin: origin.as_bytes().to_vec(),
			expires_at: now_ms() + ORDER_TTL_MS,
		};
		let signature = keys::sign(&self.key, DomainTag::Order, &self.genesis, &order.terms());
		SignedOrder { order, reporter: self.public, signature }
	}

	/// Tells an edge to hold (and prefetch) a content: the signed terms in
	/// the `x-pod-order` header, checked before the manifest (the body) is
	/// read.
	async fn send_order(&self, url: &str, order: &SignedOrder) -> Result<(), CallError> {
		let url = format!("{url}/order");
		let t = Duration::from_secs(5);
		let headers = [(pod_wire::headers::ORDER, pod_wire::headers::value(&order.head()))];
		let body = order.order.manifest.clone();
		let r = pod_http::call(&self.http, Method::POST, &url, &headers, body, t)
			.await
			.and_then(|r| r.success());
		self.metrics.order(r.is_ok());
		r.map(|_| ())
	}

	/// Schedules a client: picks edges, makes sure they hold the content, and
	/// issues one ticket per edge (stored before it is handed out).
	pub async fn schedule(
		self: &Arc<Self>,
		req: &ScheduleRequest,
		from: std::net::IpAddr,
	) -> Result<ScheduleResponse, ReporterError> {
		let content = hex32("content", &req.content)?;
		let client = hex32("client", &req.client)?;
		// Before any signature is checked or issued: every schedule counts
		// against its viewer key and client network.
		self.schedule_limits.admit(client, from, now_ms()).map_err(limited)?;
		let (manifest, origin) = self.content(&content)?;
		let record = self.payable(&content).await?;
		let admission = self.admit(req.grant.as_deref(), &content, &client, &record).await?;
		if matches!(admission, crate::grants::Admission::Open) {
			self.open_limits.admit(client, from, now_ms()).map_err(limited)?;
		}
		let window = self.window();
		let heat = self.store.bump_heat(&content, window)?;
		self.metrics.schedules.inc();
		// The reporter bounds how many edges a viewer gets: asking for every
		// edge would put the viewer's own among them.
		let most = self.cfg.schedule_count.clamp(1, MAX_EDGES);
		let want = req.count.unwrap_or(most).clamp(1, most);
		let viewer =
			Viewer { network: placement::network(from), region_hint: req.region.as_deref() };
		let ranked = self.ranked(&content, &viewer)?;
		let mut chosen = self.choose(&content, &manifest, &origin, &ranked, want).await?;
		let terms = self.terms(&content, &record, window).await?;
		let allowances = self.allowances(&admission, &manifest, chosen.len(), &terms)?;
		chosen.truncate(allowances.len());
		let expires_at = self.ticket_expiry(now_ms());
		let grant = admission.grant_id();
		let tickets: Vec<SignedTicket> = chosen
			.iter()
			.zip(allowances)
			.map(|((edge, _, _), max_bytes)| {
				let terms = TicketTerms { client, content, max_bytes, window, expires_at, grant };
				self.issue_ticket(*edge, terms)
			})
			.collect();
		self.store.put_tickets(&tickets)?;
		for t in &tickets {
			self.issued.add(t.ticket.edge, t.ticket.expires_at);
			self.ticketed.add(window, content, t.ticket.edge, t.ticket.max_bytes);
		}
		self.metrics.tickets.inc_by(tickets.len() as u64);
		if heat >= self.cfg.hot_threshold {
			self.spread_hot(content, manifest, origin, ranked);
		}
		let c_hex = hex::encode(content);
		Ok(ScheduleResponse {
			genesis: hex::encode(self.genesis),
			manifest: format!("/contents/{c_hex}/manifest"),
			content: c_hex,
			window,
			edges: chosen.into_iter().zip(tickets).map(scheduled_edge).collect(),
		})
	}

	/// The first `want` edges of `ranked` that hold the content or take an
	/// order to.
	async fn choose(
		&self,
		content: &ContentId,
		manifest: &Manifest,
		origin: &str,
		ranked: &Ranked,
		want: usize,
	) -> Result<Ranked, ReporterError> {
		let c_hex = hex::encode(content);
		let mut chosen = Vec::new();
		let mut order = None;
		for (key, rec, score) in ranked.iter() {
			if chosen.len() == want {
				break;
			}
			if !rec.held.contains(&c_hex) {
				let o = order.get_or_insert_with(|| self.order(content, manifest, origin));
				if let Err(e) = self.send_order(&rec.url, o).await {
					tracing::warn!(edge = %hex::encode(key), error = %e, "edge did not take the order; skipping it");
					continue;
				}
			}
			chosen.push((*key, rec.clone(), *score));
		}
		if chosen.is_empty() {
			return Err(ReporterError::NoEdges);
		}
		Ok(chosen)
	}

	/// Signs a ticket for `edge` with a fresh id (its expiry, then 8 random bytes).
	pub(crate) fn issue_ticket(&self, edge: PublicKey, terms: TicketTerms) -> SignedTicket {
		let mut nonce = [0u8; 8];
		getrandom::fill(&mut nonce).expect("the OS has randomness");
		let t = Ticket {
			ticket_id: Ticket::id(terms.expires_at, nonce),
			reporter: self.public,
			edge,
			client: terms.client,
			content: terms.content,
			max_bytes: terms.max_bytes,
			window: terms.window,
			expires_at: terms.expires_at,
			grant: terms.grant,
		};
		keys::sign_ticket(&self.key, &self.genesis, t)
	}

	/// Orders a hot content onto the best edges that do not hold it yet, up
	/// to `hot_replicas` holders, ahead of the requests that will follow.
	fn spread_hot(
		self: &Arc<Self>,
		content: ContentId,
		manifest: Manifest,
		origin: String,
		ranked: Ranked,
	) {
		let c = hex::encode(content);
		let holders = ranked.iter().filter(|(_, r, _)| r.held.contains(&c)).count();
		let missing = self.cfg.hot_replicas.saturating_sub(holders);
		if missing == 0 {
			return;
		}
		let targets: Ranked =
			ranked.into_iter().filter(|(_, r, _)| !r.held.contains(&c)).take(missing).collect();
		let me = self.clone();
		tokio::spawn(async move {
			let o = me.order(&content, &manifest, &origin);
			for (key, rec, _) in targets {
				match me.send_order(&rec.url, &o).await {
					Ok(()) => {
						tracing::info!(content = %c, edge = %hex::encode(key), "hot content ordered onto edge");
						me.metrics.hot_orders.inc();
					}
					Err(e) => {
						tracing::warn!(edge = %hex::encode(key), error = %e, "hot order failed")
					}
				}
			}
		});
	}
}

fn scheduled_edge(
	((edge, rec, score), t): ((PublicKey, EdgeRecord, i64), SignedTicket),
) -> ScheduledEdge {
	ScheduledEdge {
		edge: hex::encode(edge),
		url: rec.url,
		region: rec.region,
		score,
		ticket: pod_wire::hex::encode_scale(&t),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The reporter counts its own unexpired tickets per edge, and forgets
	/// them as they expire.
	#[test]
	fn issued_load_counts_unexpired_tickets() {
		let l = IssuedLoad::default();
		for e in [100, 200, 300] {
			l.add([1; 32], e);
		}
		l.add([2; 32], 150);
		assert_eq!(l.counts(50), HashMap::from([([1; 32], 3), ([2; 32], 1)]));
		assert_eq!(l.counts(150), HashMap::from([([1; 32], 2)]));
		assert_eq!(l.counts(300), HashMap::new());
		assert!(l.0.lock().unwrap().is_empty(), "no entry outlives its tickets");
	}

	/// What an edge says of its own load does not weigh it; what the
	/// reporter measured does.
	#[test]
	fn a_claimed_load_does_not_rank_an_edge() {
		let modest = EdgeRecord { load: 0, ..Default::default() };
		let honest = EdgeRecord { load: 500, ..Default::default() };
		let w = |r: &EdgeRecord, open| {
			placement::weight(&candidate([1; 32], r, "c", open, 0), &Viewer::default())
		};
		assert_eq!(w(&modest, 7), w(&honest, 7));
		assert!(w(&modest, 40) < w(&honest, 7));
	}

	/// What the record says becomes the candidate: networks from the
	/// addresses (not loopback, not garbage), the owner, holding.
	#[test]
	fn a_record_becomes_a_candidate() {
		let r = EdgeRecord {
			addresses: vec!["192.0.2.9".into(), "127.0.0.1".into(), "junk".into()],
			owner: Some(hex::encode([5u8; 32])),
			held: vec!["c".into()],
			..Default::default()
		};
		let c = candidate([1; 32], &r, "c", 2, 3);
		assert_eq!(c.networks, vec![placement::network("192.0.2.1".parse().unwrap()).unwrap()]);
		assert_eq!((c.owner, c.holds, c.open, c.ticketed), (Some([5; 32]), true, 2, 3));
	}

	/// Shares are per content in the current window, and a new window
	/// starts them afresh.
	#[test]
	fn ticketed_bytes_are_per_content_and_window() {
		let t = Ticketed::default();
		t.add(4, [1; 32], [7; 32], 100);
		t.add(4, [1; 32], [7; 32], 50);
		t.add(4, [1; 32], [8; 32], 10);
		t.add(4, [2; 32], [7; 32], 1);
		assert_eq!(t.of(4, &[1; 32]), (HashMap::from([([7; 32], 150), ([8; 32], 10)]), 160));
		assert_eq!(t.of(5, &[1; 32]).1, 0);
		t.add(5, [1; 32], [8; 32], 1);
		assert_eq!(t.of(4, &[1; 32]).1, 0, "the old window is forgotten");
		t.add(4, [1; 32], [8; 32], 9);
		assert_eq!(t.of(5, &[1; 32]).1, 1, "a late add for the old window changes nothing");
	}
}
