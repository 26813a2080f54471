//! The edge daemon: state shared by the HTTP data plane, the filler, the
//! ledger and (later) the peer layer.

pub mod http;
mod limiter;
pub mod range;
pub mod settle;

pub use http::serve;
pub use limiter::{Bandwidth, BandwidthError};

use crate::cache::{ChunkStore, StoreError};
use crate::content::{decode_manifest, ContentError};
use crate::fill::{Filler, NoPeers};
use crate::ledger::{Ledger, LedgerError};
use crate::metrics::Metrics;
use crate::protocol::TicketSession;
use codec::Encode;
use pod_primitives::{sign::Keypair, ContentId, Manifest, PublicKey, SignedTicket, TicketId};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Operator configuration (TOML; every field can be overridden on the command line).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeConfig {
	/// Data-plane listen address.
	#[serde(default = "default_listen")]
	pub listen: std::net::SocketAddr,
	/// Where the cache, manifests and the receipt ledger live.
	pub data_dir: PathBuf,
	/// Hex seed of the edge's sr25519 key (32 bytes).
	pub key_seed: String,
	/// Hex genesis hash of the chain the edge is paid on.
	pub genesis: String,
	/// Hex public keys of the reporters whose tickets are honoured.
	#[serde(default)]
	pub reporters: Vec<String>,
	/// Hard cache quota in bytes.
	#[serde(default = "default_quota")]
	pub cache_quota: u64,
	/// Bytes to keep free on the cache's filesystem.
	#[serde(default = "default_min_free")]
	pub min_free: u64,
	/// Bytes the edge sends ahead of the client's last receipt.
	#[serde(default = "default_credit")]
	pub credit_bytes: u64,
	/// Serving rate cap in bytes per second (0: none).
	#[serde(default)]
	pub rate_limit: u64,
	/// Bytes served per calendar month (0: none).
	#[serde(default)]
	pub monthly_cap: u64,
	/// Bytes of verified chunks kept in memory in front of the disk cache.
	#[serde(default = "default_memory_cache")]
	pub memory_cache: u64,
	/// fsync every receipt (survives power loss, slower).
	#[serde(default)]
	pub sync_receipts: bool,
	/// libp2p listen address, e.g. `/ip4/0.0.0.0/tcp/30400` (none: no peer layer).
	#[serde(default)]
	pub p2p_listen: Option<String>,
	/// Bootstrap peers (`…/p2p/<peer id>`): any edge or the reporter.
	#[serde(default)]
	pub bootstrap: Vec<String>,
	/// mDNS discovery on the LAN.
	#[serde(default)]
	pub mdns: bool,
	/// Reporter base URL: heartbeats and window confirmations (none: the
	/// edge serves but does not settle).
	#[serde(default)]
	pub reporter_url: Option<String>,
	/// Chain node WebSocket RPC, e.g. `ws://127.0.0.1:9944`, for submitting
	/// attestations (needs `reporter_url`).
	#[serde(default)]
	pub chain: Option<String>,
	/// The data plane's URL as others reach it (default `http://{listen}`).
	#[serde(default)]
	pub public_url: Option<String>,
	/// Region advertised to the reporter.
	#[serde(default = "default_region")]
	pub region: String,
	/// Bytes per second advertised to the reporter (0: unknown).
	#[serde(default)]
	pub capacity: u64,
	#[serde(default = "default_heartbeat")]
	pub heartbeat_secs: u64,
	/// Wait after a window's last ticket expires before claiming it.
	#[serde(default = "default_claim_grace")]
	pub claim_grace_ms: u64,
	/// The chain's `MaxWindowAge`: older windows are not submitted.
	#[serde(default = "default_max_window_age")]
	pub max_window_age: u32,
}

fn default_region() -> String {
	"local".into()
}
fn default_heartbeat() -> u64 {
	5
}
fn default_claim_grace() -> u64 {
	2_000
}
fn default_max_window_age() -> u32 {
	24
}

fn default_listen() -> std::net::SocketAddr {
	"127.0.0.1:8700".parse().expect("valid address")
}
fn default_quota() -> u64 {
	10 << 30
}
fn default_memory_cache() -> u64 {
	crate::cache::DEFAULT_MEMORY_CACHE
}
fn default_min_free() -> u64 {
	1 << 30
}
fn default_credit() -> u64 {
	2 << 20
}

/// Why an edge cannot start.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
	#[error("config: {0}")]
	Config(String),
	#[error(transparent)]
	Store(#[from] StoreError),
	#[error(transparent)]
	Ledger(#[from] LedgerError),
	#[error(transparent)]
	Content(#[from] ContentError),
	#[error("{what} {path}: {source}")]
	Io {
		what: &'static str,
		path: PathBuf,
		#[source]
		source: std::io::Error,
	},
}

fn hex32(what: &str, s: &str) -> Result<[u8; 32], EdgeError> {
	let s = s.strip_prefix("0x").unwrap_or(s);
	hex::decode(s)
		.ok()
		.and_then(|v| v.try_into().ok())
		.ok_or_else(|| EdgeError::Config(format!("{what} must be 32 bytes of hex, got {s:?}")))
}

/// A content the edge holds or may serve.
#[derive(Debug, Clone)]
pub struct Holding {
	pub manifest: Arc<Manifest>,
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
	/// Serving sessions by ticket id, with the ticket as verified when the session began.
	pub(crate) sessions:
		Mutex<HashMap<TicketId, (SignedTicket, Arc<tokio::sync::Mutex<TicketSession>>)>>,
	pub(crate) credit: u64,
	manifests_dir: PathBuf,
	started: std::time::Instant,
	seed: [u8; 32],
	pub(crate) peers: std::sync::OnceLock<crate::p2p::Peers>,
}

impl std::fmt::Debug for Edge {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Edge").field("public", &hex::encode(self.public)).finish()
	}
}

impl Edge {
	/// Opens the edge's stores and state from `cfg`.
	pub fn open(cfg: &EdgeConfig) -> Result<Arc<Self>, EdgeError> {
		let seed = hex32("key_seed", &cfg.key_seed)?;
		let key = pod_primitives::sign::keypair_from_seed(&seed);
		let genesis = hex32("genesis", &cfg.genesis)?;
		let reporters = cfg
			.reporters
			.iter()
			.map(|r| hex32("reporter", r))
			.collect::<Result<HashSet<_>, _>>()?;
		if cfg.credit_bytes == 0 {
			return Err(EdgeError::Config("credit_bytes must be positive".into()));
		}
		let dir = &cfg.data_dir;
		let mk = |p: PathBuf| {
			std::fs::create_dir_all(&p).map_err(|source| EdgeError::Io {
				what: "creating",
				path: p.clone(),
				source,
			})?;
			Ok::<_, EdgeError>(p)
		};
		let store =
			Arc::new(ChunkStore::open(mk(dir.join("cache"))?, cfg.cache_quota, cfg.min_free)?);
		let ledger = Ledger::open(&mk(dir.join("ledger"))?, cfg.sync_receipts)?;
		let manifests_dir = mk(dir.join("manifests"))?;
		let metrics = Arc::new(Metrics::default());
		let filler = Arc::new(Filler::new(store.clone(), metrics.clone(), Arc::new(NoPeers)));
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
			sessions: Mutex::new(HashMap::new()),
			credit: cfg.credit_bytes,
			manifests_dir,
			started: std::time::Instant::now(),
			seed,
			peers: std::sync::OnceLock::new(),
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
		let rd = std::fs::read_dir(dir).map_err(|source| EdgeError::Io {
			what: "reading",
			path: dir.clone(),
			source,
		})?;
		let mut contents = self.contents.write().expect("contents lock");
		for e in rd.flatten() {
			let name = e.file_name();
			let Some(id) = name.to_str().and_then(crate::content::parse_id) else { continue };
			let bytes = std::fs::read(e.path()).map_err(|source| EdgeError::Io {
				what: "reading",
				path: e.path(),
				source,
			})?;
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
	) -> Result<Arc<Manifest>, EdgeError> {
		let m = Arc::new(decode_manifest(manifest_bytes, Some(&id))?);
		let path = self.manifests_dir.join(crate::content::id_hex(&id));
		std::fs::write(&path, m.encode()).map_err(|source| EdgeError::Io {
			what: "writing",
			path: path.clone(),
			source,
		})?;
		if let Some(o) = &origin {
			let p = path.with_extension("origin");
			std::fs::write(&p, o).map_err(|source| EdgeError::Io {
				what: "writing",
				path: p.clone(),
				source,
			})?;
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
	) -> Result<Option<crate::p2p::Peers>, EdgeError> {
		let Some(listen) = &cfg.p2p_listen else { return Ok(None) };
		let parse = |s: &str| {
			s.parse::<libp2p::Multiaddr>()
				.map_err(|e| EdgeError::Config(format!("multiaddr {s:?}: {e}")))
		};
		let pcfg = crate::p2p::PeerConfig {
			seed: self.seed,
			listen: parse(listen)?,
			bootstrap: cfg.bootstrap.iter().map(|b| parse(b)).collect::<Result<_, _>>()?,
			mdns: cfg.mdns,
		};
		let weak = Arc::downgrade(self);
		let local: crate::p2p::LocalChunks = Arc::new(move |content, index| {
			let edge = weak.upgrade()?;
			let hash = *edge.holding(&content)?.manifest.chunks.get(index as usize)?;
			edge.store.get(&(content, index), &hash).ok().flatten()
		});
		let weak = Arc::downgrade(self);
		let orders: crate::p2p::OrderSink = Arc::new(move |order| {
			if let Some(edge) = weak.upgrade() {
				if let Err(e) = edge.take_order(&order) {
					tracing::warn!(error = %e, "order refused");
				}
			}
		});
		let peers = crate::p2p::Peers::start(pcfg, local, orders)
			.map_err(|e| EdgeError::Config(e.to_string()))?;
		self.filler.set_peers(Arc::new(peers.clone()));
		let held: Vec<ContentId> =
			self.contents.read().expect("contents lock").keys().copied().collect();
		for c in held {
			peers.provide(c).await;
		}
		let _ = self.peers.set(peers.clone());
		Ok(Some(peers))
	}

	/// Starts heartbeats to the reporter and, with a chain configured, the
	/// settlement loop. `listen` is the bound data-plane address.
	pub fn start_settlement(
		self: &Arc<Self>,
		cfg: &EdgeConfig,
		listen: std::net::SocketAddr,
	) -> Result<(), EdgeError> {
		let Some(reporter) = cfg.reporter_url.clone() else {
			if cfg.chain.is_some() {
				return Err(EdgeError::Config("chain needs reporter_url".into()));
			}
			return Ok(());
		};
		let scfg = settle::SettleConfig {
			reporter: reporter.trim_end_matches('/').to_string(),
			public_url: cfg.public_url.clone().unwrap_or_else(|| format!("http://{listen}")),
			region: cfg.region.clone(),
			capacity: cfg.capacity,
			heartbeat: std::time::Duration::from_secs(cfg.heartbeat_secs.max(1)),
			interval: std::time::Duration::from_secs(2),
			claim_grace: std::time::Duration::from_millis(cfg.claim_grace_ms),
			max_window_age: cfg.max_window_age,
		};
		let http = crate::httpapi::http_client();
		settle::spawn_heartbeats(self, scfg.clone(), http.clone());
		let Some(url) = cfg.chain.clone() else { return Ok(()) };
		let me = Arc::downgrade(self);
		tokio::spawn(async move {
			// The node may still be starting: keep trying.
			let chain = loop {
				match crate::chain::Chain::connect(&url).await {
					Ok(c) => break c,
					Err(e) => {
						tracing::warn!(error = %e, "chain not reachable yet; retrying");
						tokio::time::sleep(std::time::Duration::from_secs(3)).await;
					}
				}
			};
			let Some(edge) = me.upgrade() else { return };
			if chain.genesis() != edge.genesis {
				tracing::error!(
					chain = %hex::encode(chain.genesis()),
					configured = %hex::encode(edge.genesis),
					"the node's genesis differs from the configured one: not settling"
				);
				return;
			}
			tracing::info!(node = %url, "settling windows on chain");
			settle::spawn_settlement(&edge, chain, scfg, http);
		});
		Ok(())
	}

	/// Checks a reporter-signed hold order and executes it (hold + prefetch).
	pub fn take_order(self: &Arc<Self>, o: &pod_primitives::SignedOrder) -> Result<(), EdgeError> {
		if !self.is_reporter(&o.reporter) {
			return Err(EdgeError::Config("order from a key that is not a reporter".into()));
		}
		if !pod_primitives::sign::verify(
			&o.reporter,
			&o.signature,
			pod_primitives::DomainTag::Order,
			&self.genesis,
			&o.order,
		) {
			return Err(EdgeError::Config("order signature does not verify".into()));
		}
		let now = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map(|d| d.as_millis() as u64)
			.unwrap_or(0);
		if now >= o.order.expires_at {
			return Err(EdgeError::Config("order expired".into()));
		}
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

	/// What the edge knows of a content.
	pub fn holding(&self, id: &ContentId) -> Option<Holding> {
		self.contents.read().expect("contents lock").get(id).cloned()
	}

	/// Adds a reporter key (e.g. read from the chain's reporter set).
	pub fn add_reporter(&self, key: PublicKey) {
		self.reporters.write().expect("reporters lock").insert(key);
	}

	pub(crate) fn is_reporter(&self, key: &PublicKey) -> bool {
		self.reporters.read().expect("reporters lock").contains(key)
	}

	/// `/status` document.
	pub fn status(&self) -> serde_json::Value {
		let s = self.store.stats();
		let bw = self.bandwidth.snapshot();
		let windows: Vec<serde_json::Value> = self
			.ledger
			.unsettled_windows()
			.unwrap_or_default()
			.into_iter()
			.map(|(w, state)| {
				let receipts = self.ledger.window_receipts(w).unwrap_or_default();
				let acked: u64 = receipts.iter().map(|(_, r)| r.receipt.bytes_total).sum();
				serde_json::json!({ "window": w, "state": state.name(), "receipts": receipts.len(), "acked_bytes": acked })
			})
			.collect();
		serde_json::json!({
			"windows": windows,
			"edge": hex::encode(self.public),
			"uptime_secs": self.started.elapsed().as_secs(),
			"contents": self.contents.read().expect("contents lock").len(),
			"active_tickets": self.sessions.lock().expect("sessions lock").len(),
			"cache": { "bytes": s.bytes, "chunks": s.chunks, "quota": self.store.quota(),
				"hits": s.hits, "misses": s.misses, "evictions": s.evictions, "corrupt": s.corrupt },
			"bandwidth": { "rate_limit": bw.rate_limit, "monthly_cap": bw.monthly_cap,
				"month": bw.month, "served_this_month": bw.served_this_month },
		})
	}
}
