//! The reporting service (DESIGN.md §5): schedules clients onto edges and
//! issues their tickets, takes clients' own receipts, confirms and co-signs
//! edges' window claims, orders hot content onto more edges, and audits edges
//! as an ordinary client would. Its state lives in RocksDB ([`store`]).
//!
//! The HTTP API is in [`http`]; the confirmation rule in [`confirm`].

pub mod api;
mod audit;
pub mod confirm;
pub mod http;
mod metrics;
pub mod store;

pub use metrics::ReporterMetrics;

use crate::chain::Chain;
use crate::content::{decode_manifest, id_hex};
use api::{
	ClientReport, ConfirmRequest, ConfirmResponse, ScheduleRequest, ScheduleResponse,
	ScheduledEdge, SignedHeartbeat,
};
use codec::{Decode, Encode};
use confirm::{ConfirmError, Evidence};
use pod_primitives::{
	sign, sign::Keypair, ContentId, DomainTag, HoldOrder, Manifest, PublicKey, SignedOrder,
	SignedReceipt, SignedTicket, Ticket, TicketId, WindowIndex,
};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{EdgeRecord, Store, StoreError};

/// Reporter configuration (TOML; the binary's flags override it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReporterConfig {
	#[serde(default = "default_listen")]
	pub listen: std::net::SocketAddr,
	pub data_dir: PathBuf,
	/// Hex seed of the reporter's sr25519 key (registered on chain as a reporter).
	pub key_seed: String,
	/// Node WebSocket RPC, e.g. `ws://127.0.0.1:9944`.
	pub chain: String,
	/// Ticket validity.
	#[serde(default = "default_ttl")]
	pub ticket_ttl_secs: u64,
	/// After a window's last ticket expires, time left for final receipts and
	/// client reports before its claims are confirmed.
	#[serde(default = "default_grace")]
	pub confirm_grace_ms: u64,
	/// An edge silent for longer is not scheduled.
	#[serde(default = "default_edge_timeout")]
	pub edge_timeout_secs: u64,
	/// Edges per schedule by default.
	#[serde(default = "default_count")]
	pub schedule_count: usize,
	/// Requests per window that make a content hot.
	#[serde(default = "default_hot")]
	pub hot_threshold: u64,
	/// Edges a hot content is ordered onto.
	#[serde(default = "default_replicas")]
	pub hot_replicas: usize,
	/// Seconds between audits (0: none).
	#[serde(default)]
	pub audit_interval_secs: u64,
}

fn default_listen() -> std::net::SocketAddr {
	"127.0.0.1:8800".parse().expect("valid address")
}
fn default_ttl() -> u64 {
	600
}
fn default_grace() -> u64 {
	3_000
}
fn default_edge_timeout() -> u64 {
	30
}
fn default_count() -> usize {
	3
}
fn default_hot() -> u64 {
	20
}
fn default_replicas() -> usize {
	3
}

/// Why a reporter request failed. Each maps to a specific HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ReporterError {
	#[error(transparent)]
	Store(#[from] StoreError),
	#[error("chain: {0}")]
	Chain(#[from] crate::chain::ChainError),
	#[error("config: {0}")]
	Config(String),
	#[error("unknown content {0}")]
	UnknownContent(String),
	#[error("bad manifest: {0}")]
	BadManifest(String),
	#[error("no live edge can serve this content")]
	NoEdges,
	#[error("heartbeat signature does not verify for edge {0}")]
	BadHeartbeat(String),
	#[error("heartbeat is {0} s away from the reporter's clock")]
	StaleHeartbeat(u64),
	#[error("window {window} cannot be confirmed yet: {why}")]
	TooEarly { window: WindowIndex, why: String, retry_after_secs: u64 },
	#[error(transparent)]
	Confirm(#[from] ConfirmError),
	#[error("bad request: {0}")]
	BadRequest(String),
}

pub(crate) use crate::edge::http::now_ms;

/// The running reporter.
pub struct Reporter {
	key: Keypair,
	public: PublicKey,
	genesis: [u8; 32],
	cfg: ReporterConfig,
	store: Store,
	chain: Option<Chain>,
	/// The chain's current window (finalized head), refreshed in the background.
	window: AtomicU32,
	window_seen_ms: AtomicU64,
	metrics: ReporterMetrics,
	/// Serialises confirmations so one window is signed once.
	confirm_lock: tokio::sync::Mutex<()>,
	/// Serialises edge-record read-modify-writes.
	edges_lock: Mutex<()>,
	http: crate::httpapi::HttpClient,
}

impl std::fmt::Debug for Reporter {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Reporter").field("public", &hex::encode(self.public)).finish()
	}
}

struct StoreEvidence<'a>(&'a Store);

impl Evidence for StoreEvidence<'_> {
	fn ticket(&self, id: &TicketId) -> Option<SignedTicket> {
		self.0.ticket(id).ok().flatten()
	}
	fn client_report(&self, id: &TicketId) -> Option<u64> {
		self.0.report(id).ok().flatten().map(|r| r.receipt.bytes_total)
	}
}

fn hex32(what: &str, s: &str) -> Result<[u8; 32], ReporterError> {
	hex::decode(s.trim().trim_start_matches("0x"))
		.ok()
		.and_then(|v| v.try_into().ok())
		.ok_or_else(|| ReporterError::BadRequest(format!("{what} must be 32 bytes of hex")))
}

impl Reporter {
	/// Opens the reporter's store and connects to the chain.
	pub async fn open(cfg: ReporterConfig) -> Result<Arc<Self>, ReporterError> {
		let chain = Chain::connect(&cfg.chain).await?;
		let genesis = chain.genesis();
		let window = chain.current_window().await?;
		Self::open_with(cfg, Some(chain), genesis, window)
	}

	/// Opens a reporter without a chain connection: `genesis` and the window
	/// are given (tests; the window then moves only by [`Self::set_window`]).
	pub fn open_with(
		cfg: ReporterConfig,
		chain: Option<Chain>,
		genesis: [u8; 32],
		window: WindowIndex,
	) -> Result<Arc<Self>, ReporterError> {
		let seed =
			hex32("key_seed", &cfg.key_seed).map_err(|e| ReporterError::Config(e.to_string()))?;
		let key = sign::keypair_from_seed(&seed);
		std::fs::create_dir_all(&cfg.data_dir)
			.map_err(|e| ReporterError::Config(format!("{}: {e}", cfg.data_dir.display())))?;
		let store = Store::open(&cfg.data_dir.join("state"))?;
		Ok(Arc::new(Reporter {
			public: key.public.to_bytes(),
			key,
			genesis,
			cfg,
			store,
			chain,
			window: AtomicU32::new(window),
			window_seen_ms: AtomicU64::new(now_ms()),
			metrics: ReporterMetrics::default(),
			confirm_lock: tokio::sync::Mutex::new(()),
			edges_lock: Mutex::new(()),
			http: crate::httpapi::http_client(),
		}))
	}

	/// The reporter's public key.
	pub fn public(&self) -> PublicKey {
		self.public
	}

	/// The genesis hash its signatures are bound to.
	pub fn genesis(&self) -> [u8; 32] {
		self.genesis
	}

	/// Metrics.
	pub fn metrics(&self) -> &ReporterMetrics {
		&self.metrics
	}

	/// The current window as last seen on chain.
	pub fn window(&self) -> WindowIndex {
		self.window.load(Ordering::Relaxed)
	}

	/// Sets the current window (tests without a chain).
	pub fn set_window(&self, w: WindowIndex) {
		self.window.store(w, Ordering::Relaxed);
		self.window_seen_ms.store(now_ms(), Ordering::Relaxed);
	}

	/// Starts the background work: following the chain's window, audits.
	pub fn start(self: &Arc<Self>) {
		if let Some(chain) = self.chain.clone() {
			let me = Arc::downgrade(self);
			tokio::spawn(async move {
				loop {
					let Some(r) = me.upgrade() else { return };
					match chain.current_window().await {
						Ok(w) => r.set_window(w),
						Err(e) => tracing::warn!(error = %e, "cannot read the chain's window"),
					}
					drop(r);
					tokio::time::sleep(Duration::from_secs(1)).await;
				}
			});
		}
		if self.cfg.audit_interval_secs > 0 {
			audit::spawn(self.clone(), Duration::from_secs(self.cfg.audit_interval_secs));
		}
	}

	/// Registers a content: its manifest (the id is its hash) and origin URL.
	pub fn register_content(
		&self,
		manifest: &[u8],
		origin: &str,
	) -> Result<ContentId, ReporterError> {
		let m = decode_manifest(manifest, None)
			.map_err(|e| ReporterError::BadManifest(e.to_string()))?;
		if !(origin.starts_with("http://") || origin.starts_with("https://")) {
			return Err(ReporterError::BadRequest(format!(
				"origin {origin:?} is not an http(s) URL"
			)));
		}
		let id = m.id();
		self.store.put_content(&id, &m.encode(), origin)?;
		Ok(id)
	}

	/// A content's manifest and origin.
	pub fn content(&self, id: &ContentId) -> Result<(Manifest, String), ReporterError> {
		let (m, origin) =
			self.store.content(id)?.ok_or_else(|| ReporterError::UnknownContent(id_hex(id)))?;
		let m =
			decode_manifest(&m, Some(id)).map_err(|e| ReporterError::BadManifest(e.to_string()))?;
		Ok((m, origin))
	}

	/// Takes an edge's heartbeat (its first one registers it).
	pub fn heartbeat(&self, hb: &SignedHeartbeat) -> Result<(), ReporterError> {
		if !hb.verify(&self.genesis) {
			return Err(ReporterError::BadHeartbeat(hex::encode(hb.heartbeat.edge)));
		}
		let h = &hb.heartbeat;
		let skew = now_ms().abs_diff(h.at_ms) / 1000;
		if skew > 120 {
			return Err(ReporterError::StaleHeartbeat(skew));
		}
		let _g = self.edges_lock.lock().expect("edges lock");
		let mut rec = self.store.edge(&h.edge)?.unwrap_or_default();
		rec.url = String::from_utf8_lossy(&h.url).into_owned();
		rec.region = String::from_utf8_lossy(&h.region).into_owned();
		rec.capacity = h.capacity;
		rec.load = h.load;
		rec.free_disk = h.free_disk;
		rec.held = h.held.iter().map(hex::encode).collect();
		rec.last_seen_ms = now_ms();
		self.store.put_edge(&h.edge, &rec)?;
		self.metrics.heartbeats.inc();
		Ok(())
	}

	/// Changes an edge's reputation (bounded to ±100).
	pub(crate) fn adjust_edge(
		&self,
		edge: &PublicKey,
		f: impl FnOnce(&mut EdgeRecord),
	) -> Result<(), ReporterError> {
		let _g = self.edges_lock.lock().expect("edges lock");
		let Some(mut rec) = self.store.edge(edge)? else { return Ok(()) };
		f(&mut rec);
		rec.reputation = rec.reputation.clamp(-100, 100);
		self.store.put_edge(edge, &rec)?;
		Ok(())
	}

	fn live_edges(&self) -> Result<Vec<(PublicKey, EdgeRecord)>, ReporterError> {
		let cutoff = now_ms().saturating_sub(self.cfg.edge_timeout_secs * 1000);
		Ok(self.store.edges()?.into_iter().filter(|(_, r)| r.last_seen_ms >= cutoff).collect())
	}

	/// Edges for `content`, best first: region, reputation, load and whether
	/// the edge already holds it. Edges with a bad record (reputation ≤ −50)
	/// are left out.
	fn ranked(
		&self,
		content: &ContentId,
		region: Option<&str>,
	) -> Result<Vec<(PublicKey, EdgeRecord, i64)>, ReporterError> {
		let c = hex::encode(content);
		let mut v: Vec<_> = self
			.live_edges()?
			.into_iter()
			.filter(|(_, r)| r.reputation > -50)
			.map(|(k, r)| {
				let mut score = r.reputation * 10 - r.load as i64;
				if region.is_some_and(|g| g == r.region) {
					score += 100;
				}
				if r.held.contains(&c) {
					score += 20;
				}
				(k, r, score)
			})
			.collect();
		v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
		Ok(v)
	}

	fn order(&self, content: &ContentId, manifest: &Manifest, origin: &str) -> SignedOrder {
		let order = HoldOrder {
			content: *content,
			manifest: manifest.encode(),
			origin: origin.as_bytes().to_vec(),
			expires_at: now_ms() + 60_000,
		};
		let signature = sign::sign(&self.key, DomainTag::Order, &self.genesis, &order);
		SignedOrder { order, reporter: self.public, signature }
	}

	/// Tells an edge to hold (and prefetch) a content.
	async fn send_order(&self, url: &str, order: &SignedOrder) -> Result<(), String> {
		let r = crate::httpapi::call(
			&self.http,
			hyper::Method::POST,
			&format!("{url}/order"),
			&[],
			order.encode(),
			Duration::from_secs(5),
		)
		.await
		.and_then(|(s, b)| {
			if s.is_success() {
				Ok(b)
			} else {
				Err(format!("{s}: {}", String::from_utf8_lossy(&b)))
			}
		});
		self.metrics.order(r.is_ok());
		r.map(|_| ())
	}

	/// Schedules a client: picks edges, makes sure they hold the content, and
	/// issues one ticket per edge (stored before it is handed out).
	pub async fn schedule(
		self: &Arc<Self>,
		req: &ScheduleRequest,
	) -> Result<ScheduleResponse, ReporterError> {
		let content = hex32("content", &req.content)?;
		let client = hex32("client", &req.client)?;
		let (manifest, origin) = self.content(&content)?;
		let window = self.window();
		let heat = self.store.bump_heat(&content, window)?;
		self.metrics.schedules.inc();
		let want = req.count.unwrap_or(self.cfg.schedule_count).clamp(1, 16);
		let ranked = self.ranked(&content, req.region.as_deref())?;
		let c_hex = hex::encode(content);
		let mut chosen = Vec::new();
		let mut order = None;
		for (key, rec, score) in ranked.iter() {
			if chosen.len() == want {
				break;
			}
			if !rec.held.contains(&c_hex) {
				let o = order.get_or_insert_with(|| self.order(&content, &manifest, &origin));
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
		let expires_at = now_ms() + self.cfg.ticket_ttl_secs * 1000;
		let tickets: Vec<SignedTicket> = chosen
			.iter()
			.map(|(edge, _, _)| {
				self.issue_ticket(*edge, client, content, manifest.size, window, expires_at)
			})
			.collect();
		self.store.put_tickets(&tickets)?;
		self.metrics.tickets.inc_by(tickets.len() as u64);
		if heat >= self.cfg.hot_threshold {
			self.spread_hot(content, manifest, origin, ranked);
		}
		Ok(ScheduleResponse {
			content: c_hex.clone(),
			genesis: hex::encode(self.genesis),
			manifest: format!("/contents/{c_hex}/manifest"),
			window,
			edges: chosen
				.into_iter()
				.zip(tickets)
				.map(|((edge, rec, score), t)| ScheduledEdge {
					edge: hex::encode(edge),
					url: rec.url,
					region: rec.region,
					score,
					ticket: hex::encode(t.encode()),
				})
				.collect(),
		})
	}

	/// Signs a ticket with a fresh id (its expiry, then 8 random bytes).
	fn issue_ticket(
		&self,
		edge: PublicKey,
		client: PublicKey,
		content: ContentId,
		max_bytes: u64,
		window: WindowIndex,
		expires_at: u64,
	) -> SignedTicket {
		let mut ticket_id = [0u8; 16];
		ticket_id[..8].copy_from_slice(&expires_at.to_be_bytes());
		getrandom::fill(&mut ticket_id[8..]).expect("the OS has randomness");
		let t = Ticket {
			ticket_id,
			reporter: self.public,
			edge,
			client,
			content,
			max_bytes,
			window,
			expires_at,
		};
		sign::sign_ticket(&self.key, &self.genesis, t)
	}

	/// Orders a hot content onto the best edges that do not hold it yet, up
	/// to `hot_replicas` holders, ahead of the requests that will follow.
	fn spread_hot(
		self: &Arc<Self>,
		content: ContentId,
		manifest: Manifest,
		origin: String,
		ranked: Vec<(PublicKey, EdgeRecord, i64)>,
	) {
		let c = hex::encode(content);
		let holders = ranked.iter().filter(|(_, r, _)| r.held.contains(&c)).count();
		let missing = self.cfg.hot_replicas.saturating_sub(holders);
		if missing == 0 {
			return;
		}
		let targets: Vec<_> =
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

	/// Takes a client's own receipts (the second side of the confirmation)
	/// and its reports of lying edges. Returns how many receipts were new and
	/// why the others were refused.
	pub fn report(&self, r: &ClientReport) -> Result<(usize, Vec<String>), ReporterError> {
		let mut stored = 0;
		let mut refused = Vec::new();
		for (i, hx) in r.receipts.iter().enumerate() {
			let Some(sr) = hex::decode(hx.trim_start_matches("0x"))
				.ok()
				.and_then(|b| SignedReceipt::decode(&mut &b[..]).ok())
			else {
				refused.push(format!("receipt {i}: not hex SCALE of a signed receipt"));
				continue;
			};
			let Some(t) = self.store.ticket(&sr.receipt.ticket_id)? else {
				refused.push(format!("receipt {i}: unknown ticket"));
				continue;
			};
			if !sign::verify(
				&t.ticket.client,
				&sr.signature,
				DomainTag::Receipt,
				&self.genesis,
				&sr.receipt,
			) {
				refused.push(format!("receipt {i}: not signed by the ticket's client"));
				continue;
			}
			if self.store.put_report(&sr)? {
				stored += 1;
			}
		}
		self.metrics.reports.inc_by(stored as u64);
		for hx in &r.lying {
			let Some(t) = hex::decode(hx.trim_start_matches("0x"))
				.ok()
				.and_then(|b| TicketId::try_from(&b[..]).ok())
				.map(|id| self.store.ticket(&id))
				.transpose()?
				.flatten()
			else {
				refused.push(format!("lying report {hx}: not a ticket this reporter issued"));
				continue;
			};
			if !self.store.mark_lying(&t.ticket.ticket_id)? {
				continue;
			}
			self.adjust_edge(&t.ticket.edge, |rec| {
				rec.lying_reports += 1;
				rec.reputation -= 20;
			})?;
		}
		Ok((stored, refused))
	}

	/// Confirms an edge's claim for a closed window and co-signs it. The
	/// answer for a window is stored and repeated: a retried or resent claim
	/// (after an edge or reporter restart) gets the identical confirmation.
	pub async fn confirm(&self, req: &ConfirmRequest) -> Result<Vec<u8>, ReporterError> {
		let claim = &req.claim;
		let _g = self.confirm_lock.lock().await;
		if let Some(stored) = self.store.confirmation(&claim.edge, claim.window)? {
			return Ok(stored);
		}
		let current = self.window();
		if current <= claim.window {
			return Err(ReporterError::TooEarly {
				window: claim.window,
				why: format!("the chain is still in window {current}"),
				retry_after_secs: 2,
			});
		}
		if let Some(exp) = self.store.window_expiry(claim.window, &claim.edge)? {
			let ready = exp + self.cfg.confirm_grace_ms;
			let now = now_ms();
			if now < ready {
				return Err(ReporterError::TooEarly {
					window: claim.window,
					why: format!(
						"its tickets are valid for {} s more (plus grace)",
						(ready - now).div_ceil(1000)
					),
					retry_after_secs: (ready - now).div_ceil(1000).max(1),
				});
			}
		}
		let c = confirm::confirm(
			claim,
			&req.signature,
			&req.receipts,
			&self.genesis,
			&self.public,
			&StoreEvidence(&self.store),
		)?;
		let signature = sign::sign(&self.key, DomainTag::Attestation, &self.genesis, &c.payload);
		let confirmed_bytes = c.payload.total_bytes();
		let resp = ConfirmResponse {
			payload: hex::encode(c.payload.encode()),
			reporter: hex::encode(self.public),
			signature: hex::encode(signature),
			claimed_bytes: c.claimed_bytes,
			confirmed_bytes,
			reductions: c.reductions,
		};
		for r in &resp.reductions {
			self.metrics.reduction(&r.reason);
		}
		let json = serde_json::to_vec(&resp).expect("responses serialize");
		self.store.put_confirmation(&claim.edge, claim.window, &json)?;
		self.metrics.confirmations.inc();
		self.metrics.confirmed_bytes.inc_by(confirmed_bytes);
		tracing::info!(
			edge = %hex::encode(claim.edge),
			window = claim.window,
			claimed = c.claimed_bytes,
			confirmed = confirmed_bytes,
			reductions = resp.reductions.len(),
			"window confirmed"
		);
		Ok(json)
	}

	/// `/status` document: edges with their health and reputation.
	pub fn status(&self) -> serde_json::Value {
		let edges: Vec<serde_json::Value> = self
			.store
			.edges()
			.unwrap_or_default()
			.into_iter()
			.map(|(k, r)| {
				let live = r.last_seen_ms + self.cfg.edge_timeout_secs * 1000 >= now_ms();
				serde_json::json!({ "edge": hex::encode(k), "live": live, "record": r })
			})
			.collect();
		serde_json::json!({
			"reporter": hex::encode(self.public),
			"genesis": hex::encode(self.genesis),
			"window": self.window(),
			"edges": edges,
		})
	}
}
