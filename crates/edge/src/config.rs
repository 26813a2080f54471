//! The operator's configuration (`edge.toml`).

use serde::Deserialize;
use std::path::PathBuf;

/// Operator configuration (TOML; every field can be overridden on the command line).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeConfig {
	/// Data-plane listen address.
	#[serde(default = "default_listen")]
	pub listen: std::net::SocketAddr,
	/// The operator's admin listener (`POST /hold`, `/metrics`, `/status`):
	/// reachable by whoever can reach this address, so keep it on loopback
	/// or a private interface. Default `127.0.0.1:8701`.
	#[serde(default = "default_admin_listen")]
	pub admin_listen: std::net::SocketAddr,
	/// Connections one client address (an IPv4 address, an IPv6 /64) may
	/// hold on the public listener at once. 0: no such cap — for a reverse
	/// proxy on the same host, where every client is one address and the
	/// proxy limits clients itself.
	#[serde(default = "default_per_peer")]
	pub max_connections_per_peer: usize,
	/// PEM certificate chain the public listener serves HTTPS with (HTTP/2
	/// by ALPN); with `tls_key`. Neither: plain HTTP.
	#[serde(default)]
	pub tls_cert: Option<PathBuf>,
	/// PEM private key of `tls_cert`.
	#[serde(default)]
	pub tls_key: Option<PathBuf>,
	/// Web origins whose pages may call the public listener (CORS): `*`
	/// (the default) for any, exact origins (`https://pub.example`), or none
	/// (`[]`) to send no CORS headers.
	#[serde(default = "default_cors_origins")]
	pub cors_origins: Vec<String>,
	/// The dashboard's files (`web/dashboard`, built), served on the admin
	/// plane under `/dashboard/` (none: not served).
	#[serde(default)]
	pub dashboard_dir: Option<PathBuf>,
	/// Where the cache, manifests and the receipt ledger live.
	pub data_dir: PathBuf,
	/// Hex seed of the edge's sr25519 key (32 bytes), inline: better kept
	/// in `key_file` or `POD_EDGE_SEED`, which take precedence.
	#[serde(default)]
	pub key_seed: String,
	/// A file holding the key seed (hex), readable by its owner only
	/// (mode 0600): refused otherwise.
	#[serde(default)]
	pub key_file: Option<PathBuf>,
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
	/// Fetch from origins at private, loopback or link-local addresses too
	/// (a local test network; otherwise only public origins are fetched).
	#[serde(default)]
	pub allow_private_origins: bool,
	/// PEM certificates trusted for `https://` origins besides the system's
	/// roots (a private CA; the test network's origin).
	#[serde(default)]
	pub origin_ca_file: Option<std::path::PathBuf>,
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
	/// Further reporters this edge serves tickets of (base URLs): it sends
	/// each its heartbeats and settles each window once with each of them.
	#[serde(default)]
	pub more_reporter_urls: Vec<String>,
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
	/// Seconds between heartbeats to the reporter.
	#[serde(default = "default_heartbeat")]
	pub heartbeat_secs: u64,
	/// Wait after a window's last ticket expires before claiming it.
	#[serde(default = "default_claim_grace")]
	pub claim_grace_ms: u64,
	/// The chain's `MaxWindowAge`: older windows are not submitted.
	#[serde(default = "default_max_window_age")]
	pub max_window_age: u32,
	/// Receipts one claim carries (at most the reporter's limit per request);
	/// a window with more, or with more than 64 contents, is claimed and
	/// settled in parts.
	#[serde(default = "default_claim_receipts")]
	pub claim_receipts: usize,
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
fn default_claim_receipts() -> usize {
	pod_wire::api::MAX_CONFIRM_RECEIPTS
}

fn default_listen() -> std::net::SocketAddr {
	"127.0.0.1:8700".parse().expect("valid address")
}
fn default_cors_origins() -> Vec<String> {
	vec!["*".into()]
}
fn default_per_peer() -> usize {
	pod_http::server::MAX_CONNECTIONS_PER_PEER
}
fn default_admin_listen() -> std::net::SocketAddr {
	"127.0.0.1:8701".parse().expect("valid address")
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
