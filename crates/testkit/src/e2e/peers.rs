//! The chunk exchange on the devnet: edges that follow the chain give
//! chunks over libp2p only to peers whose credential names a registered,
//! bonded edge. A peer whose credential is correctly bound to its own peer
//! id, by a key nobody registered, gets nothing; the same kind of peer with
//! a registered edge's key gets the chunk.

use super::E2eConfig;
use super::{edge_admin_url, edge_seed, get, p2p_address, seed_of, Content, EDGES};
use crate::process::{wait_for, HarnessError};
use pod_edge::fill::PeerSource;
use pod_edge::p2p::Peers;
use pod_edge::peer_gate::PeerGate;
use pod_primitives::keys::{self, Keypair};
use std::time::Duration;

/// The edges' refusals of peers, as their metrics count them.
const REFUSED: &str = "pod_edge_rejected_total{reason=\"peer_not_admitted\"}";

/// A registered edge's key admits a bare peer; a key the chain does not
/// know, correctly bound to the asking peer id, is refused by every edge.
pub(super) async fn unregistered_peer_refused(
	cfg: &E2eConfig,
	content: &Content,
	genesis: [u8; 32],
) -> Result<(), HarnessError> {
	let boot = p2p_address(&cfg.dir.join("edge0.log")).await?;
	let id = content.manifest.id();
	// First a peer that must be admitted: it shows the edges hold the chunk
	// and can be found, so the refusal below is the gate's doing.
	let member = bare_peer(0x52, &boot, &keys::keypair_from_seed(&edge_seed(1)), genesis)?;
	let chunk = wait_for("a chunk for a registered edge's key", secs(90), secs(1), || async {
		member.fetch(id, 0).await
	})
	.await?;
	if !content.manifest.verify_chunk(0, &chunk) {
		return Err(HarnessError::Check("the chunk over libp2p does not verify".into()));
	}
	let before = refusals(cfg).await?;
	let stranger = keys::keypair_from_seed(&seed_of("pod-cdn/demo/stranger-peer"));
	let outsider = bare_peer(0x51, &boot, &stranger, genesis)?;
	for _ in 0..3 {
		if outsider.fetch(id, 0).await.is_some() {
			return Err(HarnessError::Check(
				"a peer whose key is not registered on chain was given a chunk".into(),
			));
		}
		if refusals(cfg).await? > before {
			println!(
				"   libp2p: a peer bound to a key not registered on chain is refused chunks; \
				 a registered edge's key is served"
			);
			return Ok(());
		}
	}
	Err(HarnessError::Check("no edge counted refusing the unregistered peer".into()))
}

fn secs(n: u64) -> Duration {
	Duration::from_secs(n)
}

/// A bare libp2p peer (seed `seed`, bootstrapped to `boot`) presenting
/// `key`'s credential for its own peer id.
fn bare_peer(
	seed: u8,
	boot: &str,
	key: &Keypair,
	genesis: [u8; 32],
) -> Result<Peers, HarnessError> {
	let fault = |e: String| HarnessError::Check(format!("bare peer: {e}"));
	let peer = pod_edge::p2p::peer_id_of([seed; 32]).map_err(|e| fault(e.to_string()))?;
	let credential = PeerGate::credential(key, &genesis, &peer);
	crate::local::bare_peer(seed, boot, credential).map_err(fault)
}

/// Every edge's count of refused peers, summed.
async fn refusals(cfg: &E2eConfig) -> Result<u64, HarnessError> {
	let mut total = 0;
	for i in 0..EDGES {
		let url = format!("{}/metrics", edge_admin_url(cfg, i));
		let body =
			get(&url).await.ok_or_else(|| HarnessError::Check(format!("{url} did not answer")))?;
		let text = String::from_utf8_lossy(&body);
		total += text
			.lines()
			.find_map(|l| l.strip_prefix(REFUSED))
			.and_then(|v| v.trim().parse::<u64>().ok())
			.unwrap_or(0);
	}
	Ok(total)
}
