//! Audits: at random, the reporter fetches a chunk from an edge exactly as a
//! client would (its own ticket, a fresh session key) and checks the bytes
//! against the manifest. An audit sends no receipt, so it is never paid;
//! failures lower the edge's reputation and show in `/status` and metrics.

use super::{now_ms, Reporter};
use crate::edge::http::{header_value, TICKET_HEADER};
use hyper::{Method, StatusCode};
use pod_primitives::sign;
use std::sync::Arc;
use std::time::Duration;

/// Runs audits every `every` until the reporter is dropped.
pub(super) fn spawn(reporter: Arc<Reporter>, every: Duration) {
	let me = Arc::downgrade(&reporter);
	drop(reporter);
	tokio::spawn(async move {
		loop {
			tokio::time::sleep(every).await;
			let Some(r) = me.upgrade() else { return };
			if let Err(e) = r.audit_once().await {
				tracing::debug!(error = %e, "no audit this round");
			}
		}
	});
}

fn random_below(n: usize) -> usize {
	let mut b = [0u8; 8];
	getrandom::fill(&mut b).expect("the OS has randomness");
	(u64::from_le_bytes(b) % n.max(1) as u64) as usize
}

impl Reporter {
	/// Audits one random chunk of one random content on one random live edge.
	/// Returns the edge and the result code.
	pub async fn audit_once(&self) -> Result<(String, &'static str), String> {
		let edges: Vec<_> = self
			.live_edges()
			.map_err(|e| e.to_string())?
			.into_iter()
			.filter(|(_, r)| !r.held.is_empty())
			.collect();
		if edges.is_empty() {
			return Err("no live edge holds anything".into());
		}
		let (edge, rec) = &edges[random_below(edges.len())];
		let c_hex = &rec.held[random_below(rec.held.len())];
		let content = crate::content::parse_id(c_hex).ok_or("edge reported a bad content id")?;
		let (manifest, _) = self.content(&content).map_err(|e| e.to_string())?;
		let index = random_below(manifest.chunks.len()) as u32;
		let len = manifest.chunk_len(index).unwrap_or(0) as u64;
		let mut seed = [0u8; 32];
		getrandom::fill(&mut seed).expect("the OS has randomness");
		let session = sign::keypair_from_seed(&seed);
		// Short-lived: an audit ticket holds back its window's claims until it expires.
		let expires_at = now_ms() + 20_000;
		let t = self.issue_ticket(
			*edge,
			session.public.to_bytes(),
			content,
			len,
			self.window(),
			expires_at,
		);
		self.store.put_tickets(std::slice::from_ref(&t)).map_err(|e| e.to_string())?;
		let url = format!("{}/c/{}/{}", rec.url, c_hex, index);
		let res = crate::httpapi::call(
			&self.http,
			Method::GET,
			&url,
			&[(TICKET_HEADER, header_value(&t))],
			Vec::new(),
			Duration::from_secs(20),
		)
		.await;
		let (result, detail) = match res {
			Err(e) => ("unreachable", e),
			Ok((s, _)) if s != StatusCode::OK => ("refused", format!("edge answered {s}")),
			Ok((_, body)) if !manifest.verify_chunk(index, &body) => {
				("bad_bytes", format!("chunk {index} of {c_hex} failed its hash"))
			}
			Ok(_) => ("passed", String::new()),
		};
		self.metrics.audit(result);
		let passed = result == "passed";
		if !passed {
			tracing::warn!(edge = %hex::encode(edge), result, %detail, "audit failed");
		}
		self.adjust_edge(edge, |r| {
			if passed {
				r.audits_passed += 1;
				r.reputation += 1;
			} else {
				r.audits_failed += 1;
				// Serving wrong bytes is worse than being down.
				r.reputation -= if result == "bad_bytes" { 50 } else { 10 };
				r.last_failure = Some(format!("{result}: {detail}"));
			}
		})
		.map_err(|e| e.to_string())?;
		Ok((hex::encode(edge), result))
	}
}
