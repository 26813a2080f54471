//! What the crate's own tests share: a reporter without a chain, and
//! tickets with their clients' receipts.

use crate::schedule::TicketTerms;
use crate::service::Reporter;
use pod_primitives::{
	keys::{self, keypair_from_seed, Keypair},
	Receipt, SignedReceipt, SignedTicket, WindowIndex,
};
use std::sync::Arc;

/// The test chain's genesis hash.
pub const G: [u8; 32] = [3; 32];

/// A reporter keeping its state in `dir`, no chain, in window `window`.
pub fn reporter(dir: &std::path::Path, window: WindowIndex) -> Arc<Reporter> {
	Reporter::open_with(config(dir), None, G, window).unwrap()
}

/// The configuration of [`reporter`]: edges on loopback allowed.
pub fn config(dir: &std::path::Path) -> crate::ReporterConfig {
	crate::ReporterConfig {
		listen: "127.0.0.1:0".parse().unwrap(),
		admin_listen: "127.0.0.1:0".parse().unwrap(),
		max_connections_per_peer: 256,
		tls_cert: None,
		tls_key: None,
		cors_origins: vec![],
		data_dir: dir.to_path_buf(),
		key_seed: hex::encode([1u8; 32]),
		key_file: None,
		chain: "unused".into(),
		ticket_ttl_secs: 600,
		confirm_grace_ms: 0,
		edge_timeout_secs: 30,
		schedule_count: 3,
		hot_threshold: 20,
		hot_replicas: 3,
		audit_interval_secs: 0,
		open_per_viewer_per_minute: 6,
		open_per_network_per_minute: 60,
		schedule_per_viewer_per_minute: 30,
		schedule_per_network_per_minute: 600,
		retain_windows: 64,
		allow_private_edges: true,
	}
}

/// The key of test viewer `n`.
pub fn viewer(n: u8) -> Keypair {
	keypair_from_seed(&[0x40 ^ n; 32])
}

/// A ticket of viewer `client` for `edge` in `window` (content `[7; 32]`,
/// no grant, already expired so its window may be confirmed), stored as
/// issued.
pub fn stored_ticket(
	r: &Reporter,
	edge: [u8; 32],
	client: &Keypair,
	window: WindowIndex,
	max_bytes: u64,
) -> SignedTicket {
	let terms = TicketTerms {
		client: client.public.to_bytes(),
		content: [7; 32],
		max_bytes,
		window,
		expires_at: 0,
		grant: None,
	};
	let t = r.issue_ticket(edge, terms);
	r.store.put_tickets(std::slice::from_ref(&t)).unwrap();
	t
}

/// `client`'s receipt for `bytes` of ticket `t`.
pub fn receipt(t: &SignedTicket, client: &Keypair, bytes: u64) -> SignedReceipt {
	let r = Receipt { ticket_id: t.ticket.ticket_id, bytes_total: bytes, chunks_verified: 1 };
	keys::sign_receipt(client, &G, r)
}
