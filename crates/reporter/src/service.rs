//! The running reporter: its key, store and view of the chain; contents,
//! edges and their heartbeats.

use crate::config::ReporterConfig;
use crate::error::ReporterError;
use crate::metrics::ReporterMetrics;
use crate::store::{EdgeRecord, Store};
use codec::Encode;
use pod_chain::Chain;
use pod_http::client::PublicHttpClient;
use pod_primitives::{keys, keys::Keypair, ContentId, Manifest, PublicKey, WindowIndex};
use pod_wire::api::SignedHeartbeat;
use pod_wire::clock::now_ms;
use pod_wire::manifest::decode_manifest;
use pod_wire::replies::{ReporterEdge, ReporterStatus};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The shortest validity a ticket is issued with, even when its window is
/// overdue to end.
pub const MIN_TICKET_MS: u64 = 3_000;

/// Largest clock difference a heartbeat may have (seconds).
const MAX_HEARTBEAT_SKEW_SECS: u64 = 120;

/// The running reporter.
pub struct Reporter {
	pub(crate) key: Keypair,
	pub(crate) public: PublicKey,
	pub(crate) genesis: [u8; 32],
	pub(crate) cfg: ReporterConfig,
	pub(crate) store: Arc<Store>,
	chain: Option<Chain>,
	/// The chain's records of contents and grant keys.
	pub records: crate::grants::Records,
	/// Serialises grant budget reservations.
	pub(crate) grants_lock: Mutex<()>,
	/// Rate limits of open contents.
	pub(crate) open_limits: crate::open::OpenLimiter,
	/// Rate limits of every schedule.
	pub(crate) schedule_limits: crate::open::OpenLimiter,
	/// Unexpired tickets per edge: the load scheduling ranks by.
	pub(crate) issued: crate::schedule::IssuedLoad,
	/// Bytes ticketed per content and edge in the current window.
	pub(crate) ticketed: crate::schedule::Ticketed,
	/// Money reserved for the tickets issued, per window.
	pub(crate) reserved: crate::funds::Reserved,
	/// Keys each viewer network's draws (`placement::network_draw`): drawn
	/// at start, never shown.
	pub(crate) draw_secret: [u8; 32],
	/// Accusations being audited (each downloads a chunk).
	pub(crate) accusation_audits: Arc<tokio::sync::Semaphore>,
	/// Accusations per viewer key and client network per minute.
	pub(crate) accusation_limits: crate::open::OpenLimiter,
	/// The chain's current window (finalized head), refreshed in the background.
	window: AtomicU32,
	/// When the chain is expected to leave that window (unix ms; `u64::MAX`
	/// when unknown): no ticket outlives its window.
	window_end_ms: AtomicU64,
	pub(crate) metrics: ReporterMetrics,
	/// One lock per `(edge, window, part)`, so each is signed once without
	/// one slow confirmation holding up the others; and the refusals given
	/// lately, by request hash.
	pub(crate) confirms: crate::attest::Confirmations,
	/// Serialises edge-record read-modify-writes.
	edges_lock: Mutex<()>,
	/// Orders and audits to edges: public addresses only, unless
	/// `allow_private_edges`.
	pub(crate) http: PublicHttpClient,
	/// How the public listener serves: connection cap, TLS, CORS.
	pub(crate) plane: pod_http::PublicPlane,
}

impl std::fmt::Debug for Reporter {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Reporter").field("public", &hex::encode(self.public)).finish()
	}
}

impl Reporter {
	/// Opens the reporter's store and connects to the chain.
	pub async fn open(cfg: ReporterConfig) -> Result<Arc<Self>, ReporterError> {
		let chain = Chain::connect(&cfg.chain).await?;
		let genesis = chain.genesis();
		let window = chain.current_window().await?;
		let max_age: u32 = chain.constant("Pod", "MaxWindowAge").await?;
		check_retention(cfg.retain_windows, max_age)?;
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
		let seed = pod_http::service::key_seed(
			&cfg.key_seed,
			cfg.key_file.as_deref(),
			"POD_REPORTER_SEED",
		)
		.map_err(|reason| ReporterError::Config { field: "key_seed", reason })?;
		let key = keys::keypair_from_seed(&seed);
		std::fs::create_dir_all(&cfg.data_dir).map_err(|e| ReporterError::Config {
			field: "data_dir",
			reason: format!("{}: {e}", cfg.data_dir.display()),
		})?;
		let store = Arc::new(Store::open(&cfg.data_dir.join("state"))?);
		let plane = pod_http::PublicPlane::configured(
			cfg.max_connections_per_peer,
			cfg.tls_cert.as_deref(),
			cfg.tls_key.as_deref(),
			&cfg.cors_origins,
		)
		.map_err(|e| ReporterError::Config { field: e.field(), reason: e.to_string() })?;
		let open_limits = crate::open::OpenLimiter::new(
			cfg.open_per_viewer_per_minute,
			cfg.open_per_network_per_minute,
		);
		let schedule_limits = crate::open::OpenLimiter::new(
			cfg.schedule_per_viewer_per_minute,
			cfg.schedule_per_network_per_minute,
		);
		let http =
			pod_http::client::public_http_client(cfg.allow_private_edges, "allow_private_edges");
		Ok(Arc::new(Reporter {
			public: key.public.to_bytes(),
			key,
			genesis,
			cfg,
			store,
			records: crate::grants::Records::new(chain.clone()),
			grants_lock: Mutex::new(()),
			open_limits,
			schedule_limits,
			issued: Default::default(),
			ticketed: Default::default(),
			reserved: Default::default(),
			draw_secret: {
				let mut secret = [0u8; 32];
				getrandom::fill(&mut secret).expect("the OS has randomness");
				secret
			},
			accusation_audits: Arc::new(tokio::sync::Semaphore::new(
				crate::reports::ACCUSATION_AUDITS_AT_ONCE,
			)),
			accusation_limits: crate::open::OpenLimiter::new(
				crate::reports::ACCUSATIONS_PER_VIEWER_PER_MINUTE,
				crate::reports::ACCUSATIONS_PER_NETWORK_PER_MINUTE,
			),
			chain,
			window: AtomicU32::new(window),
			window_end_ms: AtomicU64::new(u64::MAX),
			metrics: ReporterMetrics::default(),
			confirms: crate::attest::Confirmations::default(),
			edges_lock: Mutex::new(()),
			http,
			plane,
		}))
	}

	/// `https` when its public listener serves TLS, else `http`.
	pub fn scheme(&self) -> &'static str {
		self.plane.scheme()
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

	/// Sets the current window (tests without a chain: its end is unknown,
	/// so tickets live `ticket_ttl_secs`).
	pub fn set_window(&self, w: WindowIndex) {
		self.set_window_end(w, u64::MAX);
	}

	/// Sets the current window and when it is expected to end (unix ms).
	pub fn set_window_end(&self, w: WindowIndex, end_ms: u64) {
		self.window.store(w, Ordering::Relaxed);
		self.window_end_ms.store(end_ms, Ordering::Relaxed);
	}

	/// When a ticket issued at `now` (unix ms) expires: at the end of the
	/// current window, and never later than `ticket_ttl_secs`. A window
	/// already overdue (blocks late) still gives its tickets
	/// [`MIN_TICKET_MS`]: it has not ended, and its tickets are claimed
	/// only after they expire.
	pub fn ticket_expiry(&self, now: u64) -> u64 {
		let end = self.window_end_ms.load(Ordering::Relaxed).max(now + MIN_TICKET_MS);
		end.min(now.saturating_add(self.cfg.ticket_ttl_secs.saturating_mul(1000)))
	}

	/// Starts the background work: following the chain's window, audits.
	pub fn start(self: &Arc<Self>) {
		if let Some(chain) = self.chain.clone() {
			tokio::spawn(follow_window(Arc::downgrade(self), chain));
		}
		if self.cfg.audit_interval_secs > 0 {
			crate::audit::spawn(self.clone(), Duration::from_secs(self.cfg.audit_interval_secs));
		}
	}

	/// The largest manifest body `POST /contents` reads for `id`: with a
	/// chain, the content must be payable there (checked before the body is
	/// read), and its manifest can list at most one chunk per byte of the
	/// size the chain records; without one, 256 MiB.
	pub async fn manifest_limit(&self, id: &ContentId) -> Result<usize, ReporterError> {
		const MOST: usize = 256 << 20;
		if self.chain.is_none() {
			return Ok(MOST);
		}
		let c = self.payable(id).await?;
		let chunks = c.size.min(u64::from(pod_primitives::MAX_CHUNKS));
		// size (8) + chunk size (4) + compact length (≤ 5) + 32 per chunk.
		Ok((17 + 32 * chunks).min(MOST as u64) as usize)
	}

	/// Registers a content: its manifest (the id is its hash; `expected`
	/// when the caller named it) and origin URL. With a chain, only a
	/// content its customer registered there, not retired, of the manifest's
	/// size: nobody can make the reporter schedule (and edges serve) a
	/// content that no customer pays for.
	pub async fn register_content(
		&self,
		expected: Option<&ContentId>,
		manifest: &[u8],
		origin: &str,
	) -> Result<ContentId, ReporterError> {
		let m = decode_manifest(manifest, expected)?;
		if !(origin.starts_with("http://") || origin.starts_with("https://")) {
			return Err(ReporterError::BadRequest(format!(
				"origin {origin:?} is not an http(s) URL"
			)));
		}
		let id = m.id();
		self.check_on_chain(&id, m.size, origin).await?;
		if self.chain.is_none() && self.records.content(&id).await?.is_none() {
			// Without a chain (tests) a content is open to anyone unless the
			// test says otherwise through `records`.
			let c = pod_chain::ChainContent {
				owner: [0; 32],
				size: m.size,
				price_per_gib: 0,
				origin: origin.as_bytes().to_vec(),
				retired_from: None,
				budget: Some(u128::MAX),
				open: true,
			};
			self.records.set_content(id, c);
		}
		self.store.put_content(&id, &m.encode(), origin)?;
		Ok(id)
	}

	/// Whether the chain has `id`, unretired, with this size and origin:
	/// nobody but the customer decides where edges fill a
	/// content from (no origin hijack through an unauthenticated call).
	async fn check_on_chain(
		&self,
		id: &ContentId,
		size: u64,
		origin: &str,
	) -> Result<(), ReporterError> {
		let Some(chain) = &self.chain else { return Ok(()) };
		let not = |why: String| ReporterError::NotOnChain { content: hex::encode(id), why };
		let c = chain.content(id).await?.ok_or_else(|| not("it is not registered".into()))?;
		if c.retired_from.is_some() {
			return Err(not("it is retired".into()));
		}
		if c.size != size {
			return Err(not(format!("the chain says {} bytes, the manifest {size}", c.size)));
		}
		if c.origin != origin.as_bytes() {
			let chain_origin = String::from_utf8_lossy(&c.origin);
			return Err(not(format!("the chain records origin {chain_origin:?}, not {origin:?}")));
		}
		Ok(())
	}

	/// A content's manifest and origin.
	pub fn content(&self, id: &ContentId) -> Result<(Manifest, String), ReporterError> {
		let (m, origin) = self
			.store
			.content(id)?
			.ok_or_else(|| ReporterError::UnknownContent(hex::encode(id)))?;
		Ok((decode_manifest(&m, Some(id))?, origin))
	}

	/// Takes an edge's heartbeat (its first one registers it here), sent
	/// from `from`: only from an edge registered and bonded on chain and not
	/// leaving.
	pub async fn heartbeat(
		&self,
		hb: &SignedHeartbeat,
		from: std::net::IpAddr,
	) -> Result<(), ReporterError> {
		if !hb.verify(&self.genesis) {
			return Err(ReporterError::BadHeartbeat(hex::encode(hb.heartbeat.edge)));
		}
		let h = &hb.heartbeat;
		let skew = now_ms().abs_diff(h.at_ms) / 1000;
		if skew > MAX_HEARTBEAT_SKEW_SECS {
			return Err(ReporterError::StaleHeartbeat(skew));
		}
		self.check_edge_url(&h.url)?;
		if let Some(why) = self.records.edge_refusal(&h.edge, self.window()).await? {
			return Err(ReporterError::EdgeNotOnChain { edge: hex::encode(h.edge), why });
		}
		let bonded = self.records.bonded_edge(&h.edge).await?;
		self.record_heartbeat(h, bonded.as_ref(), from)
	}

	/// Whether the URL a heartbeat announces is one the reporter sends
	/// orders and audits to: `http://` or `https://` with a host, at most
	/// 256 bytes, and unless `allow_private_edges` not a private, loopback
	/// or link-local address (a name is checked when it is connected to).
	fn check_edge_url(&self, url: &[u8]) -> Result<(), ReporterError> {
		let bad = |why: String| Err(ReporterError::BadEdgeUrl(why));
		if url.len() > 256 {
			return bad(format!("{} bytes; at most 256", url.len()));
		}
		let text = String::from_utf8_lossy(url);
		let Ok(uri) = text.parse::<hyper::Uri>() else {
			return bad(format!("{text:?} is not a URL"));
		};
		if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
			return bad(format!("{text:?}: an edge is reached at http:// or https:// and a host"));
		}
		match pod_http::addresses::literal_ip(&uri) {
			Some(ip) if !self.cfg.allow_private_edges && !pod_http::addresses::is_public(ip) => {
				bad(pod_http::addresses::refusal(&ip.to_string(), "allow_private_edges"))
			}
			_ => Ok(()),
		}
	}

	/// Records a heartbeat. The region and capacity are the ones the edge's
	/// owner registered and bonded on chain when there is a chain: a
	/// heartbeat can claim anything, so it only says them without one
	/// (tests). Load is measured, not taken (`open_tickets`); the addresses
	/// are where the heartbeat came from and the URL's host, if an address.
	fn record_heartbeat(
		&self,
		h: &pod_wire::api::Heartbeat,
		bonded: Option<&pod_chain::ChainEdge>,
		from: std::net::IpAddr,
	) -> Result<(), ReporterError> {
		let _g = self.edges_lock.lock().expect("edges lock");
		let mut rec = self.store.edge(&h.edge)?.unwrap_or_default();
		rec.url = String::from_utf8_lossy(&h.url).into_owned();
		(rec.region, rec.capacity) = match bonded {
			Some(e) => (String::from_utf8_lossy(&e.region).into_owned(), e.capacity),
			None => (String::from_utf8_lossy(&h.region).into_owned(), h.capacity),
		};
		rec.load = h.load;
		rec.free_disk = h.free_disk;
		rec.held = h.held.iter().map(hex::encode).collect();
		rec.addresses = std::iter::once(from)
			.chain(crate::placement::url_address(&rec.url))
			.map(|a| a.to_string())
			.collect();
		rec.addresses.dedup();
		rec.owner = bonded.map(|e| hex::encode(e.owner));
		rec.last_seen_ms = now_ms();
		self.store.put_edge(&h.edge, &rec)?;
		self.metrics.heartbeats.inc();
		Ok(())
	}

	/// Changes an edge's record; its reputation (recovered up to now first)
	/// stays within ±100.
	pub(crate) fn adjust_edge(
		&self,
		edge: &PublicKey,
		f: impl FnOnce(&mut EdgeRecord),
	) -> Result<(), ReporterError> {
		let _g = self.edges_lock.lock().expect("edges lock");
		let Some(mut rec) = self.store.edge(edge)? else { return Ok(()) };
		let now = now_ms();
		rec.reputation = crate::audit::reputation_now(&rec, now);
		f(&mut rec);
		rec.reputation = rec.reputation.clamp(-100, 100);
		rec.reputation_at_ms = now;
		self.store.put_edge(edge, &rec)?;
		Ok(())
	}

	/// Edges with a recent heartbeat.
	pub(crate) fn live_edges(&self) -> Result<Vec<(PublicKey, EdgeRecord)>, ReporterError> {
		Ok(self.store.edges()?.into_iter().filter(|(_, r)| self.is_live(r)).collect())
	}

	/// Whether an edge sent a heartbeat recently enough to be scheduled.
	pub(crate) fn is_live(&self, r: &EdgeRecord) -> bool {
		r.last_seen_ms >= now_ms().saturating_sub(self.cfg.edge_timeout_secs * 1000)
	}

	/// Deletes what the store keeps for windows more than `retain_windows`
	/// behind `window`.
	fn prune_old_windows(&self, window: WindowIndex) {
		let Some(before) = window.checked_sub(self.cfg.retain_windows) else { return };
		match self.store.prune_before(before) {
			Ok(0) => {}
			Ok(n) => tracing::info!(before, tickets = n, "pruned old windows"),
			Err(e) => tracing::warn!(error = %e, "cannot prune old windows"),
		}
	}

	/// `/status` document: edges with their health and reputation.
	pub fn status(&self) -> ReporterStatus {
		let timeout_ms = self.cfg.edge_timeout_secs * 1000;
		let open = self.issued.counts(now_ms());
		let edges = self
			.store
			.edges()
			.unwrap_or_default()
			.into_iter()
			.map(|(k, mut record)| {
				record.reputation = crate::audit::reputation_now(&record, now_ms());
				ReporterEdge {
					edge: hex::encode(k),
					live: record.last_seen_ms + timeout_ms >= now_ms(),
					open_tickets: open.get(&k).copied().unwrap_or(0),
					record,
				}
			})
			.collect();
		ReporterStatus {
			reporter: hex::encode(self.public),
			genesis: hex::encode(self.genesis),
			window: self.window(),
			edges,
		}
	}
}

/// Whether `retain_windows` keeps every window an edge may still claim
/// (the chain's `MaxWindowAge`, and the one being closed): a reporter that
/// forgot a window's tickets first would confirm nothing of it.
fn check_retention(retain_windows: u32, max_window_age: u32) -> Result<(), ReporterError> {
	if retain_windows > max_window_age {
		return Ok(());
	}
	Err(ReporterError::Config {
		field: "retain_windows",
		reason: format!(
			"{retain_windows} windows; the chain settles windows up to {max_window_age} back, so keep more than that"
		),
	})
}

/// Follows the chain's current window until the reporter is dropped.
async fn follow_window(me: std::sync::Weak<Reporter>, chain: Chain) {
	let mut pruned_at = None;
	loop {
		let Some(r) = me.upgrade() else { return };
		match chain.window_end().await {
			Ok((w, end)) => {
				r.set_window_end(w, end);
				if pruned_at != Some(w) {
					pruned_at = Some(w);
					r.prune_old_windows(w);
				}
			}
			Err(e) => tracing::warn!(error = %e, "cannot read the chain's window"),
		}
		drop(r);
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing;

	/// A reporter keeps every window the chain can still settle.
	#[test]
	fn retention_must_cover_the_chains_settlement_age() {
		assert!(check_retention(25, 24).is_ok());
		let e = check_retention(24, 24).unwrap_err();
		assert!(matches!(e, ReporterError::Config { field: "retain_windows", .. }), "{e}");
	}

	/// A heartbeat cannot point the reporter's orders and audits at a
	/// service inside its own network: private, loopback and link-local
	/// addresses are refused unless `allow_private_edges`, names are
	/// connected to only at public addresses, and what is not an
	/// `http(s)://host` URL is refused whatever the setting.
	#[tokio::test]
	async fn edge_urls_are_public_unless_private_ones_are_allowed() {
		let tmp = tempfile::tempdir().unwrap();
		let strict = ReporterConfig { allow_private_edges: false, ..testing::config(tmp.path()) };
		let r = Reporter::open_with(strict, None, testing::G, 3).unwrap();
		let long = format!("http://{}.example/", "x".repeat(300));
		for url in [
			"http://10.0.0.1:8080",
			"http://127.0.0.1:1",
			"http://[::1]:80/",
			"http://169.254.169.254/latest/meta-data",
			"http://[::ffff:192.168.1.1]/",
			"ftp://1.1.1.1/",
			"1.1.1.1:80",
			"not a url",
			&long,
		] {
			let e = r.check_edge_url(url.as_bytes()).unwrap_err();
			assert!(matches!(e, ReporterError::BadEdgeUrl(_)), "{url}: {e}");
		}
		for url in
			["http://1.1.1.1:8700", "https://edge.example.org", "http://[2606:4700::1111]:80"]
		{
			assert!(r.check_edge_url(url.as_bytes()).is_ok(), "{url}");
		}
		// A name resolving only to loopback: nothing is sent to it.
		let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
		let url = format!("http://localhost:{}/order", l.local_addr().unwrap().port());
		let t = std::time::Duration::from_secs(5);
		let sent = pod_http::call(&r.http, hyper::Method::POST, &url, &[], vec![], t).await;
		let e = sent.unwrap_err();
		assert!(format!("{e:?}").contains("allow_private_edges"), "{e:?}");
		// A test network on one machine allows them.
		let open = testing::reporter(&tmp.path().join("open"), 3);
		assert!(open.check_edge_url(b"http://127.0.0.1:1").is_ok());
	}
}
