//! The reporter's configuration (`reporter.toml`).

use serde::Deserialize;
use std::path::PathBuf;

/// Reporter configuration (TOML; the binary's flags override it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReporterConfig {
	/// API listen address.
	#[serde(default = "default_listen")]
	pub listen: std::net::SocketAddr,
	/// The operator's admin listener (`POST /audit`, `/metrics`, `/status`):
	/// reachable by whoever can reach this address, so keep it on loopback
	/// or a private interface. Default `127.0.0.1:8801`.
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
	/// Where the reporter's database lives.
	pub data_dir: PathBuf,
	/// Hex seed of the reporter's sr25519 key (32 bytes), inline: better kept
	/// in `key_file` or `POD_REPORTER_SEED`, which take precedence.
	#[serde(default)]
	pub key_seed: String,
	/// A file holding the key seed (hex), readable by its owner only
	/// (mode 0600): refused otherwise.
	#[serde(default)]
	pub key_file: Option<PathBuf>,
	/// Node WebSocket RPC, e.g. `ws://127.0.0.1:9944`.
	pub chain: String,
	/// Longest ticket validity; a ticket expires at its window's end at the latest.
	#[serde(default = "default_ttl")]
	pub ticket_ttl_secs: u64,
	/// After a window's last ticket expires, time left for final receipts and
	/// client reports before its claims are confirmed.
	#[serde(default = "default_grace")]
	pub confirm_grace_ms: u64,
	/// An edge silent for longer is not scheduled.
	#[serde(default = "default_edge_timeout")]
	pub edge_timeout_secs: u64,
	/// Edges per schedule: the default and the most a viewer may ask for
	/// (at most 16).
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
	/// Schedules of open contents one viewer key may make per minute.
	#[serde(default = "default_open_per_viewer")]
	pub open_per_viewer_per_minute: u32,
	/// Schedules of open contents one client network (/24, /48) may make
	/// per minute.
	#[serde(default = "default_open_per_network")]
	pub open_per_network_per_minute: u32,
	/// Schedules of any content one viewer key may make per minute (a
	/// viewer schedules once per window, and on failover).
	#[serde(default = "default_schedule_per_viewer")]
	pub schedule_per_viewer_per_minute: u32,
	/// Schedules of any content one client network (/24, /48) may make per
	/// minute.
	#[serde(default = "default_schedule_per_network")]
	pub schedule_per_network_per_minute: u32,
	/// Windows of tickets, reports and confirmations kept behind the
	/// chain's current one; older ones are deleted as the chain moves on.
	/// Keep it above the chain's `MaxWindowAge` (an edge may claim and
	/// submit a window until then).
	#[serde(default = "default_retain_windows")]
	pub retain_windows: u32,
	/// Whether edges may announce private, loopback or link-local URLs (a
	/// test network on one machine). Off: the reporter sends orders and
	/// audits only to public addresses, so a heartbeat cannot point it at
	/// a service inside its own network.
	#[serde(default)]
	pub allow_private_edges: bool,
}

fn default_schedule_per_viewer() -> u32 {
	30
}
fn default_schedule_per_network() -> u32 {
	600
}
fn default_retain_windows() -> u32 {
	64
}

fn default_open_per_viewer() -> u32 {
	6
}
fn default_open_per_network() -> u32 {
	60
}

fn default_listen() -> std::net::SocketAddr {
	"127.0.0.1:8800".parse().expect("valid address")
}
fn default_cors_origins() -> Vec<String> {
	vec!["*".into()]
}
fn default_per_peer() -> usize {
	pod_http::server::MAX_CONNECTIONS_PER_PEER
}
fn default_admin_listen() -> std::net::SocketAddr {
	"127.0.0.1:8801".parse().expect("valid address")
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
