//! A reporter in this process, without a chain (its window set by the
//! test), and the test customer whose contents it serves under grants.

use crate::local::{edge_public, edge_seed, http, now_ms, reporter_public, GENESIS, REPORTER_SEED};
use codec::Encode;
use hyper::Method;
use pod_primitives::keys;
use pod_reporter::{Reporter, ReporterConfig};
use pod_wire::api::{Heartbeat, SignedHeartbeat};
use std::sync::Arc;
use std::time::Duration;

/// The configuration of a test reporter keeping its state in `dir`, plus
/// `extra` TOML.
pub fn config(dir: &std::path::Path, extra: &str) -> ReporterConfig {
	toml::from_str(&format!(
		"listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nkey_seed = \"{}\"\nchain = \"unused\"\n\
		 ticket_ttl_secs = 3\nconfirm_grace_ms = 200\nedge_timeout_secs = 10\n\
		 allow_private_edges = true\n{extra}",
		dir.display(),
		hex::encode(REPORTER_SEED)
	))
	.unwrap()
}

/// A running in-process reporter; dropping `stop` stops its server.
pub struct Running {
	/// The reporter itself.
	pub reporter: Arc<Reporter>,
	/// Its public API's base URL.
	pub url: String,
	/// The admin plane (`/metrics`, `/audit`).
	pub admin: String,
	/// Send (or drop) to stop the server.
	pub stop: tokio::sync::oneshot::Sender<()>,
	/// The server task.
	pub server: tokio::task::JoinHandle<()>,
}

/// Starts a reporter keeping its state in `dir`, in chain window `window`.
pub async fn start(dir: &std::path::Path, window: u32) -> Running {
	start_with(dir, window, "").await
}

/// [`start`] with more configuration.
pub async fn start_with(dir: &std::path::Path, window: u32, extra: &str) -> Running {
	let reporter = Reporter::open_with(config(dir, extra), None, GENESIS, window).unwrap();
	let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let a = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
	let url = format!("{}://{}", reporter.scheme(), l.local_addr().unwrap());
	let admin = format!("http://{}", a.local_addr().unwrap());
	let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
	let r2 = reporter.clone();
	let server = tokio::spawn(async move {
		let stopped = async move {
			let _ = stopped.await;
		};
		pod_reporter::http::serve(r2, l, a, stopped).await.unwrap();
	});
	Running { reporter, url, admin, stop, server }
}

/// The customer of the test contents.
pub const CUSTOMER: [u8; 32] = [9; 32];
/// The seed of the test customer's grant key.
pub const GRANT_KEY_SEED: [u8; 32] = [10; 32];

/// A grant of the test customer for `content` to `viewer`.
pub fn customer_grant(
	content: [u8; 32],
	viewer: &keys::Keypair,
	budget: u64,
) -> pod_primitives::SignedGrant {
	let terms = pod_client::grant::GrantTerms {
		customer: CUSTOMER,
		reporter: reporter_public(),
		viewer: viewer.public.to_bytes(),
		contents: vec![content],
		budget,
		valid_for: Duration::from_secs(60),
	};
	pod_client::grant::mint(&keys::keypair_from_seed(&GRANT_KEY_SEED), &GENESIS, terms).unwrap()
}

/// Makes `content` the test customer's, not open, with its grant key on
/// "chain", and mints a grant for `viewer`.
pub fn customer_only(
	rep: &Reporter,
	content: [u8; 32],
	size: u64,
	viewer: &keys::Keypair,
	budget: u64,
) -> pod_primitives::SignedGrant {
	let record = pod_chain::ChainContent {
		owner: CUSTOMER,
		size,
		price_per_gib: 1,
		origin: vec![],
		retired_from: None,
		budget: None,
		open: false,
	};
	rep.records.set_content(content, record);
	rep.records.set_grant_key(CUSTOMER, keys::keypair_from_seed(&GRANT_KEY_SEED).public.to_bytes());
	customer_grant(content, viewer, budget)
}

/// The edge whose heartbeat says it is at `url` and holds `content`.
pub async fn heartbeat_as(reporter: &str, edge: u8, url: &str, content: [u8; 32]) {
	let hb = Heartbeat {
		edge: edge_public(edge),
		url: url.as_bytes().to_vec(),
		region: vec![],
		capacity: 0,
		load: 0,
		free_disk: 1 << 30,
		held: vec![content],
		at_ms: now_ms(),
	};
	let signed = SignedHeartbeat::sign(&keys::keypair_from_seed(&edge_seed(edge)), &GENESIS, hb);
	let r = http(Method::POST, &format!("{reporter}/heartbeat"), &[], signed.encode()).await;
	assert_eq!(r.status, 200, "{}", r.error());
}
