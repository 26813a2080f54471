//! The running edge: its keys, stores and the state the data plane, the
//! filler, the peer layer and the settlement loop share.

use crate::cache::ChunkStore;
use crate::config::EdgeConfig;
use crate::error::{EdgeError, HoldError, OrderError};
use crate::fill::{Filler, NoPeers};
use crate::ledger::{Ledger, LedgerError, WindowState};
use crate::limiter::Bandwidth;
use crate::metrics::Metrics;
use crate::p2p::{peer_id_of, LocalChunks, OrderSink, PeerConfig, Peers};
use crate::peer_gate::PeerGate;
use crate::session::Sessions;
use codec::Encode;
use futures::FutureExt;
use pod_primitives::{
	keys, keys::Keypair, ContentId, DomainTag, Manifest, PublicKey, SignedOrder, SignedOrderTerms,
};
use pod_wire::manifest::decode_manifest;
use pod_wire::replies::{BandwidthStatus, CacheStatus, EdgeStatus, WindowEarnings, WindowStatus};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

/// How long after its ticket expires a serving session is kept (10 min):
/// final receipts arrive within the claim grace, far sooner.
pub const SESSION_GRACE_MS: u64 = 10 * 60 * 1000;

/// A content the edge holds or may serve.
#[derive(Debug, Clone)]
pub struct Holding {
	/// Its manifest (checked against the content id).
	pub manifest: Arc<Manifest>,
	/// Where to fill it from.
	pub origin: Option<String>,
}

/// The running edge's shared state.
pub struct Edge {
	pub(crate) key: Keypair,
	pub(crate) public: PublicKey,
	pub(crate) genesis: [u8; 32],
	pub(crate) reporters: RwLock<HashSet<PublicKey>>,
	pub(crate) store: Arc<ChunkStore>,
	pub(crate) ledger: Ledger,
	pub(crate) filler: Arc<Filler>,
	pub(crate) metrics: Arc<Metrics>,
	pub(crate) bandwidth: Bandwidth,
	pub(crate) contents: RwLock<HashMap<ContentId, Holding>>,
	pub(crate) sessions: Sessions,
	manifests_dir: PathBuf,
	started: std::time::Instant,
	/// The dashboard's files, served on the admin plane.
	pub(crate) dashboard_dir: Option<PathBuf>,
	seed: [u8; 32],
	pub(crate) peers: OnceLock<Peers>,
	/// Who may take chunks over libp2p.
	pub(crate) peer_gate: crate::peer_gate::PeerGate,
	/// Order bodies (manifests of signed orders) being read at once.
	pub(crate) order_slots: tokio::sync::Semaphore,
	/// Proofs of recently sliced chunks.
	pub(crate) proofs: crate::proofs::Proofs,
	/// How the public listener serves: connection cap, TLS, CORS.
	pub(crate) plane: pod_http::PublicPlane,
	/// What a state-changing admin request must carry (see `write_admin_token`).
	admin_token: String,
	/// The chain the edge follows, once connected: reporter set, origins.
	pub(crate) chain: OnceLock<pod_chain::Chain>,
}

/// Order bodies the edge reads at once.
pub const ORDER_SLOTS: usize = 2;

impl std::fmt::Debug for Edge {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Edge").field("public", &hex::encode(self.public)).finish()
	}
}

/// The edge's admin token: derived from its key's seed (the same across
/// restarts, nothing more to keep secret) and written to `admin.token` in
/// the data directory, readable by its owner only, for the operator's
/// tools to send as `Authorization: Bearer …`.
fn write_admin_token(dir: &std::path::Path, seed: &[u8; 32]) -> Result<String, EdgeError> {
	use std::io::Write;
	use std::os::unix::fs::OpenOptionsExt;
	let token = hex::encode(blake3::derive_key("pod-edge admin token v1", seed));
	let path = directory(dir.to_path_buf())?.join("admin.token");
	let io = |source| EdgeError::Io { what: "writing", path: path.clone(), source };
	let mut f = std::fs::OpenOptions::new()
		.write(true)
		.create(true)
		.truncate(true)
		.mode(0o600)
		.open(&path)
		.map_err(io)?;
	f.write_all(token.as_bytes()).map_err(io)?;
	Ok(token)
}

/// Creates `p` and returns it.
fn directory(p: PathBuf) -> Result<PathBuf, EdgeError> {
	std::fs::create_dir_all(&p).map_err(|source| EdgeError::Io {
		what: "creating",
		path: p.clone(),
		source,
	})?;
	Ok(p)
}

impl Edge {
	/// Whether `token` is the admin token (compared in constant time).
	pub(crate) fn admin_token_is(&self, token: &str) -> bool {
		let (a, b) = (token.as_bytes(), self.admin_token.as_bytes());
		a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
	}

	/// Opens the edge's stores and state from `cfg`.
	pub fn open(cfg: &EdgeConfig) -> Result<Arc<Self>, EdgeError> {
		let seed =
			pod_http::service::key_seed(&cfg.key_seed, cfg.key_file.as_deref(), "POD_EDGE_SEED")
				.map_err(|reason| EdgeError::Config { field: "key_seed", reason })?;
		let key = keys::keypair_from_seed(&seed);
		let genesis = pod_wire::hex::hex32("genesis", &cfg.genesis)?;
		let reporters = cfg
			.reporters
			.iter()
			.map(|r| pod_wire::hex::hex32("reporters", r))
			.collect::<Result<HashSet<_>, _>>()?;
		if cfg.credit_bytes == 0 {
			return Err(EdgeError::Config {
				field: "credit_bytes",
				reason: "must be positive".into(),
			});
		}
		let dir = &cfg.data_dir;
		let store = Arc::new(ChunkStore::open(
			directory(dir.join("cache"))?,
			cfg.cache_quota,
			cfg.min_free,
		)?);
		let ledger = Ledger::open(&directory(dir.join("ledger"))?, cfg.sync_receipts)?;
		let manifests_dir = directory(dir.join("manifests"))?;
		let metrics = Arc::new(Metrics::default());
		let peers = Arc::new(NoPeers);
		// `https://` origins: the system's roots and the operator's own.
		let tls = pod_http::client_tls(origin_roots(cfg.origin_ca_file.as_deref())?);
		let filler = Arc::new(Filler::new(
			store.clone(),
			metrics.clone(),
			peers,
			cfg.allow_private_origins,
			tls,
		));
		let bandwidth =
			Bandwidth::open(dir.join("bandwidth.json"), cfg.rate_limit, cfg.monthly_cap)?;
		let edge = Edge {
			public: key.public.to_bytes(),
			key,
			genesis,
			reporters: RwLock::new(reporters),
			store,
			ledger,
			filler,
			metrics,
			bandwidth,
			contents: RwLock::new(HashMap::new()),
			sessions: Sessions::new(cfg.credit_bytes),
			manifests_dir,
			started: std::time::Instant::now(),
			dashboard_dir: cfg.dashboard_dir.clone(),
			seed,
			peers: OnceLock::new(),
			peer_gate: crate::peer_gate::PeerGate::new(genesis),
			order_slots: tokio::sync::Semaphore::new(ORDER_SLOTS),
			proofs: Default::default(),
			plane: public_plane(cfg)?,
			admin_token: write_admin_token(dir, &seed)?,
			chain: OnceLock::new(),
		};
		edge.load_manifests()?;
		Ok(Arc::new(edge))
	}

	/// The edge's public key.
	pub fn public(&self) -> PublicKey {
		self.public
	}

	/// The edge's signing key.
	pub fn keypair(&self) -> &Keypair {
		&self.key
	}

	/// The receipt ledger.
	pub fn ledger(&self) -> &Ledger {
		&self.ledger
	}

	/// The metrics.
	pub fn metrics(&self) -> &Metrics {
		&self.metrics
	}

	fn load_manifests(&self) -> Result<(), EdgeError> {
		let dir = &self.manifests_dir;
		let io = |path: &Path, source| EdgeError::Io { what: "reading", path: path.into(), source };
		let rd = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
		let mut contents = self.contents.write().expect("contents lock");
		for e in rd.flatten() {
			let name = e.file_name();
			let Some(id) = name.to_str().and_then(|n| pod_wire::hex::hex32("content", n).ok())
			else {
				continue;
			};
			let bytes = std::fs::read(e.path()).map_err(|err| io(&e.path(), err))?;
			match decode_manifest(&bytes, Some(&id)) {
				Ok(m) => {
					let origin = std::fs::read_to_string(e.path().with_extension("origin")).ok();
					contents.insert(id, Holding { manifest: Arc::new(m), origin });
				}
				Err(err) => {
					tracing::warn!(file = %e.path().display(), %err, "ignoring a bad manifest")
				}
			}
		}
		Ok(())
	}

	/// Records a content to serve: its manifest (checked against `id`) and origin.
	pub fn hold(
		&self,
		id: ContentId,
		manifest_bytes: &[u8],
		origin: Option<String>,
	) -> Result<Arc<Manifest>, HoldError> {
		let m = Arc::new(decode_manifest(manifest_bytes, Some(&id))?);
		let path = self.manifests_dir.join(hex::encode(id));
		let write = |p: &Path, bytes: &[u8]| {
			std::fs::write(p, bytes).map_err(|source| HoldError::Io { path: p.into(), source })
		};
		write(&path, &m.encode())?;
		if let Some(o) = &origin {
			write(&path.with_extension("origin"), o.as_bytes())?;
		}
		let mut contents = self.contents.write().expect("contents lock");
		let origin = origin.or_else(|| contents.get(&id).and_then(|h| h.origin.clone()));
		contents.insert(id, Holding { manifest: m.clone(), origin });
		drop(contents);
		if let Some(p) = self.peers.get() {
			let p = p.clone();
			tokio::spawn(async move { p.provide(id).await });
		}
		Ok(m)
	}

	/// Starts the libp2p peer layer (call once, inside the tokio runtime).
	pub async fn start_peers(
		self: &Arc<Self>,
		cfg: &EdgeConfig,
	) -> Result<Option<Peers>, EdgeError> {
		let Some(listen) = &cfg.p2p_listen else { return Ok(None) };
		let parse = |field: &'static str, s: &str| {
			s.parse::<libp2p::Multiaddr>()
				.map_err(|e| EdgeError::Config { field, reason: format!("multiaddr {s:?}: {e}") })
		};
		let pcfg = PeerConfig {
			seed: self.seed,
			listen: parse("p2p_listen", listen)?,
			bootstrap: cfg
				.bootstrap
				.iter()
				.map(|b| parse("bootstrap", b))
				.collect::<Result<_, _>>()?,
			mdns: cfg.mdns,
			credential: PeerGate::credential(&self.key, &self.genesis, &peer_id_of(self.seed)?),
		};
		if cfg.chain.is_none() {
			tracing::warn!("no chain to check peers' registrations: any edge key holder may take chunks over libp2p");
		}
		let peers = Peers::start(pcfg, self.local_chunks(), self.order_sink())?;
		self.filler.set_peers(Arc::new(peers.clone()));
		let held: Vec<ContentId> =
			self.contents.read().expect("contents lock").keys().copied().collect();
		for c in held {
			peers.provide(c).await;
		}
		let _ = self.peers.set(peers.clone());
		Ok(Some(peers))
	}

	/// How the peer layer answers chunk requests: only to registered edges
	/// ([`PeerGate`]), verified chunks from the cache (read and hashed on a
	/// blocking thread), counted against the operator's monthly cap and
	/// paced by its rate cap like any bytes the edge serves; nothing when
	/// the cap is reached.
	fn local_chunks(self: &Arc<Self>) -> LocalChunks {
		let weak = Arc::downgrade(self);
		Arc::new(move |request, peer| {
			let weak = weak.clone();
			async move {
				let edge = weak.upgrade()?;
				if let Err(e) = edge.peer_gate.admit(peer, &request.credential).await {
					edge.metrics.reject("peer_not_admitted");
					tracing::debug!(%peer, error = %e, "peer chunk request refused");
					return None;
				}
				let (content, index) = (request.content, request.index);
				let hash = *edge.holding(&content)?.manifest.chunks.get(index as usize)?;
				let e = edge.clone();
				let read = move || e.store.get(&(content, index), &hash).ok().flatten();
				let chunk = tokio::task::spawn_blocking(read).await.ok()??;
				edge.bandwidth.account(chunk.len() as u64).ok()?;
				edge.bandwidth.pace(chunk.len() as u64).await;
				Some(chunk)
			}
			.boxed()
		})
	}

	/// Where the peer layer hands gossiped orders: checked at once (the
	/// verdict decides whether gossip forwards it), executed on a blocking
	/// thread.
	fn order_sink(self: &Arc<Self>) -> OrderSink {
		let weak = Arc::downgrade(self);
		Arc::new(move |order| {
			let Some(edge) = weak.upgrade() else { return false };
			if let Err(e) = edge.check_order(&order) {
				tracing::debug!(error = %e, "gossiped order refused");
				return false;
			}
			tokio::spawn(async move {
				if let Err(e) = edge.check_order_origin(&order).await {
					tracing::warn!(error = %e, "gossiped order refused");
					return;
				}
				let run = tokio::task::spawn_blocking(move || edge.execute_order(&order)).await;
				if let Ok(Err(e)) = run {
					tracing::warn!(error = %e, "gossiped order not executed");
				}
			});
			true
		})
	}

	/// Checks a reporter-signed hold order and executes it (hold + prefetch).
	pub async fn take_order(self: &Arc<Self>, o: &SignedOrder) -> Result<(), OrderError> {
		self.check_order(o)?;
		self.check_order_origin(o).await?;
		self.execute_order(o)
	}

	/// Whether an order is signed by one of this edge's reporters for this
	/// chain, and unexpired (its manifest is checked against its content id
	/// when it is held).
	fn check_order(&self, o: &SignedOrder) -> Result<(), OrderError> {
		self.check_order_terms(&o.head())
	}

	/// [`Self::check_order`] on the signed terms alone, before the manifest
	/// is read.
	pub(crate) fn check_order_terms(&self, o: &SignedOrderTerms) -> Result<(), OrderError> {
		if !self.is_reporter(&o.reporter) {
			return Err(OrderError::NotAReporter(hex::encode(o.reporter)));
		}
		if !keys::verify(&o.reporter, &o.signature, DomainTag::Order, &self.genesis, &o.terms) {
			return Err(OrderError::BadSignature);
		}
		let now = pod_wire::clock::now_ms();
		if now >= o.terms.expires_at {
			return Err(OrderError::Expired { expires_at: o.terms.expires_at, now });
		}
		Ok(())
	}

	/// Holds and prefetches what a checked order names.
	pub(crate) fn execute_order(self: &Arc<Self>, o: &SignedOrder) -> Result<(), OrderError> {
		let origin = String::from_utf8(o.order.origin.clone()).ok().filter(|s| !s.is_empty());
		self.hold(o.order.content, &o.order.manifest, origin)?;
		self.prefetch(o.order.content);
		Ok(())
	}

	/// Fills every chunk of a held content in the background ("hold C" orders).
	pub fn prefetch(self: &Arc<Self>, id: ContentId) -> bool {
		let Some(h) = self.holding(&id) else { return false };
		let edge = self.clone();
		tokio::spawn(async move {
			for index in 0..h.manifest.chunks.len() as u32 {
				if let Err(e) =
					edge.filler.chunk(id, h.manifest.clone(), h.origin.clone(), index).await
				{
					tracing::warn!(content = %hex::encode(id), index, error = %e, "prefetch stopped");
					break;
				}
			}
		});
		true
	}

	/// Starts the edge's housekeeping: every 30 s, sessions whose ticket
	/// expired more than [`SESSION_GRACE_MS`] ago are dropped.
	pub fn start_housekeeping(self: &Arc<Self>) {
		let me = Arc::downgrade(self);
		tokio::spawn(async move {
			loop {
				tokio::time::sleep(std::time::Duration::from_secs(30)).await;
				let Some(edge) = me.upgrade() else { return };
				let gone = edge.sessions.evict_expired(pod_wire::clock::now_ms(), SESSION_GRACE_MS);
				if gone > 0 {
					tracing::debug!(gone, live = edge.sessions.len(), "expired sessions dropped");
				}
			}
		});
	}

	/// What the edge knows of a content.
	pub fn holding(&self, id: &ContentId) -> Option<Holding> {
		self.contents.read().expect("contents lock").get(id).cloned()
	}

	/// Adds a reporter key (e.g. read from the chain's reporter set).
	pub fn add_reporter(&self, key: PublicKey) {
		self.reporters.write().expect("reporters lock").insert(key);
	}

	/// Makes `set` the reporters whose tickets and orders are honoured
	/// (the chain's set, as it changes: added, removed, revoked); returns
	/// the keys added and removed.
	pub fn set_reporters(&self, set: HashSet<PublicKey>) -> (Vec<PublicKey>, Vec<PublicKey>) {
		let mut now = self.reporters.write().expect("reporters lock");
		let added = set.difference(&now).copied().collect();
		let removed = now.difference(&set).copied().collect();
		*now = set;
		(added, removed)
	}

	/// Follows the chain's reporter set every `every`, from now on: a
	/// reporter Root adds is honoured, one it removes or revokes is not,
	/// within a block or two. The configured list only stands until the
	/// chain first answers.
	pub(crate) fn follow_reporters(
		self: &Arc<Self>,
		chain: pod_chain::Chain,
		every: std::time::Duration,
	) {
		let _ = self.chain.set(chain.clone());
		let weak = Arc::downgrade(self);
		tokio::spawn(async move {
			loop {
				let read = chain.reporters().await;
				let Some(edge) = weak.upgrade() else { return };
				match read {
					Ok(list) => {
						let (added, removed) =
							edge.set_reporters(list.into_iter().map(|(k, _)| k).collect());
						for k in added {
							tracing::info!(reporter = %hex::encode(k), "the chain added a reporter: its tickets and orders are honoured");
						}
						for k in removed {
							tracing::warn!(reporter = %hex::encode(k), "the chain removed or revoked a reporter: its tickets and orders are refused from now on");
						}
					}
					Err(e) => {
						tracing::warn!(error = %e, "the chain's reporter set could not be read; keeping the last one")
					}
				}
				drop(edge);
				tokio::time::sleep(every).await;
			}
		});
	}

	/// Whether an order's origin is the one the chain records for its
	/// content (when the edge follows a chain): a reporter's order cannot
	/// point edges at another URL, nor replace a held content's origin.
	pub(crate) async fn check_order_origin(&self, o: &SignedOrder) -> Result<(), OrderError> {
		let Some(chain) = self.chain.get() else { return Ok(()) };
		let content = hex::encode(o.order.content);
		let record = chain.content(&o.order.content).await.map_err(|e| {
			OrderError::ChainUnreadable { content: content.clone(), error: e.to_string() }
		})?;
		let why = match record {
			None => "the chain has no such content".to_string(),
			Some(c) if c.origin == o.order.origin => return Ok(()),
			Some(c) => format!(
				"it names origin {:?}, the chain records {:?}",
				String::from_utf8_lossy(&o.order.origin),
				String::from_utf8_lossy(&c.origin)
			),
		};
		Err(OrderError::NotTheChainsOrigin { content, why })
	}

	pub(crate) fn is_reporter(&self, key: &PublicKey) -> bool {
		self.reporters.read().expect("reporters lock").contains(key)
	}

	/// The newest `limit` slots of the ledger with what each earned so far
	/// (`GET /earnings` on the admin plane).
	pub fn earnings(&self, limit: usize) -> Result<Vec<WindowEarnings>, LedgerError> {
		let mut out = Vec::new();
		for (slot, state) in self.ledger.slots()?.into_iter().take(limit) {
			let confirmation = self.ledger.slot_record(slot)?;
			let held = self.ledger.receipts(slot)?;
			let (receipts, acked_bytes) = match (&confirmation, held.is_empty()) {
				// Pruned once finalized: the claim's own count stands.
				(Some(c), true) => (c.receipts, c.claimed_bytes),
				_ => (held.len(), held.iter().map(|(_, r)| r.receipt.bytes_total).sum()),
			};
			let (block, note) = match &state {
				WindowState::Submitted { block, .. } | WindowState::Finalized { block } => {
					(Some(hex::encode(block)), None)
				}
				WindowState::Unpaid { reason } | WindowState::Refused { reason, .. } => {
					(None, Some(reason.clone()))
				}
				_ => (None, None),
			};
			out.push(WindowEarnings {
				window: slot.window,
				reporter: hex::encode(slot.reporter),
				part: slot.part,
				state: state.name().into(),
				receipts,
				acked_bytes,
				confirmation,
				block,
				note,
			});
		}
		Ok(out)
	}

	/// `/status` document.
	pub fn status(&self) -> EdgeStatus {
		let s = self.store.stats();
		let bw = self.bandwidth.snapshot();
		EdgeStatus {
			windows: self.window_statuses(),
			edge: hex::encode(self.public),
			uptime_secs: self.started.elapsed().as_secs(),
			contents: self.contents.read().expect("contents lock").len(),
			active_tickets: self.sessions.len(),
			cache: CacheStatus {
				bytes: s.bytes,
				chunks: s.chunks,
				quota: self.store.quota(),
				hits: s.hits,
				misses: s.misses,
				evictions: s.evictions,
				corrupt: s.corrupt,
			},
			bandwidth: BandwidthStatus {
				rate_limit: bw.rate_limit,
				monthly_cap: bw.monthly_cap,
				month: bw.month,
				served_this_month: bw.served_this_month,
			},
		}
	}

	fn window_statuses(&self) -> Vec<WindowStatus> {
		let slots = self.ledger.unsettled().unwrap_or_default();
		slots
			.into_iter()
			.map(|(slot, state)| {
				let receipts = self.ledger.receipts(slot).unwrap_or_default();
				WindowStatus {
					window: slot.window,
					reporter: hex::encode(slot.reporter),
					state: state.name().into(),
					receipts: receipts.len(),
					acked_bytes: receipts.iter().map(|(_, r)| r.receipt.bytes_total).sum(),
				}
			})
			.collect()
	}
}

/// The public listener's connection cap, TLS and CORS, from the config.
fn public_plane(cfg: &EdgeConfig) -> Result<pod_http::PublicPlane, EdgeError> {
	pod_http::PublicPlane::configured(
		cfg.max_connections_per_peer,
		cfg.tls_cert.as_deref(),
		cfg.tls_key.as_deref(),
		&cfg.cors_origins,
	)
	.map_err(|e| EdgeError::Config { field: e.field(), reason: e.to_string() })
}

/// The extra roots trusted for `https://` origins, from a PEM file.
fn origin_roots(
	path: Option<&std::path::Path>,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, EdgeError> {
	use rustls::pki_types::pem::PemObject;
	let Some(path) = path else { return Ok(vec![]) };
	let bad = |e: rustls::pki_types::pem::Error| EdgeError::Config {
		field: "origin_ca_file",
		reason: format!("{}: {e}", path.display()),
	};
	let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(path)
		.map_err(bad)?
		.collect::<Result<_, _>>()
		.map_err(bad)?;
	if certs.is_empty() {
		let reason = format!("{} holds no PEM certificate", path.display());
		return Err(EdgeError::Config { field: "origin_ca_file", reason });
	}
	Ok(certs)
}
