//! Clients' own reports: their final receipts (the second side of every
//! confirmation) and their signed accusations of edges that served bad
//! bytes, each checked by an audit of the accused chunk before it costs the
//! edge anything.

use crate::error::ReporterError;
use crate::service::Reporter;
use pod_primitives::{keys, DomainTag, SignedAccusation, SignedReceipt};
use pod_wire::api::ClientReport;
use pod_wire::replies::ReportReply;
use std::sync::Arc;

impl Reporter {
	/// Takes a client's own receipts and its reports of lying edges, sent
	/// from `from`. Returns how many receipts were new and why the others
	/// were refused.
	pub fn report(
		self: &Arc<Self>,
		r: &ClientReport,
		from: std::net::IpAddr,
	) -> Result<ReportReply, ReporterError> {
		let mut stored = 0;
		let mut refused = Vec::new();
		for (i, hx) in r.receipts.iter().enumerate() {
			match self.client_receipt(hx)? {
				Ok(true) => stored += 1,
				Ok(false) => {}
				Err(why) => refused.push(format!("receipt {i}: {why}")),
			}
		}
		self.metrics.reports.inc_by(stored as u64);
		for (i, hx) in r.lying.iter().enumerate() {
			// Each accusation makes the reporter download a chunk: a few
			// at once, a few a minute per viewer key and network.
			let Ok(slot) = self.accusation_audits.clone().try_acquire_owned() else {
				refused.push(format!("accusation {i}: {BUSY}"));
				continue;
			};
			match self.accusation(hx, from)? {
				// Costs the edge nothing until the reporter's own audit of
				// that chunk on that edge finds bad bytes.
				Ok(accused) => {
					let me = self.clone();
					tokio::spawn(async move {
						me.audit_accusation(accused).await;
						drop(slot);
					});
				}
				Err(why) => refused.push(format!("accusation {i}: {why}")),
			}
		}
		Ok(ReportReply { stored, refused })
	}

	/// Stores one client receipt; the inner error says why it was refused.
	fn client_receipt(&self, hx: &str) -> Result<Result<bool, &'static str>, ReporterError> {
		let Ok(sr) = pod_wire::hex::scale::<SignedReceipt>("receipt", hx) else {
			return Ok(Err("not hex SCALE of a signed receipt"));
		};
		let Some(t) = self.store.ticket(&sr.receipt.ticket_id)? else {
			return Ok(Err("unknown ticket"));
		};
		let client = &t.ticket.client;
		if !keys::verify(client, &sr.signature, DomainTag::Receipt, &self.genesis, &sr.receipt) {
			return Ok(Err("not signed by the ticket's client"));
		}
		Ok(Ok(self.store.put_report(&sr)?))
	}

	/// Checks one accusation: hex SCALE of a `SignedAccusation`, signed by
	/// its ticket's client, about a chunk of the ticket's content, the first
	/// for that ticket. The inner error says why it was refused; what it
	/// accuses is returned for the audit.
	fn accusation(
		&self,
		hx: &str,
		from: std::net::IpAddr,
	) -> Result<Result<Accused, &'static str>, ReporterError> {
		let Ok(a) = pod_wire::hex::scale::<SignedAccusation>("accusation", hx) else {
			return Ok(Err("not hex SCALE of a signed accusation"));
		};
		let Some(t) = self.store.ticket(&a.accusation.ticket_id)? else {
			return Ok(Err("not a ticket this reporter issued"));
		};
		let t = t.ticket;
		if !a.verify(&t.client, &self.genesis) {
			return Ok(Err("not signed by the ticket's client"));
		}
		let Ok((manifest, _)) = self.content(&t.content) else {
			return Ok(Err("the ticket's content is unknown here"));
		};
		if manifest.chunk_len(a.accusation.chunk).is_none() {
			return Ok(Err("no such chunk in the ticket's content"));
		}
		if self.accusation_limits.admit(t.client, from, pod_wire::clock::now_ms()).is_err() {
			return Ok(Err(LIMITED));
		}
		if !self.store.mark_lying(&t.ticket_id)? {
			return Ok(Err("the ticket's edge was already accused"));
		}
		Ok(Ok(Accused { edge: t.edge, content: t.content, chunk: a.accusation.chunk }))
	}
}

/// Accusations audited at once; more wait for the client to send them again.
pub(crate) const ACCUSATION_AUDITS_AT_ONCE: usize = 4;
/// Accusations one viewer key may have audited per minute.
pub(crate) const ACCUSATIONS_PER_VIEWER_PER_MINUTE: u32 = 6;
/// Accusations one client network (/24, /48) may have audited per minute.
pub(crate) const ACCUSATIONS_PER_NETWORK_PER_MINUTE: u32 = 30;

const BUSY: &str = "too many accusations are being audited; send it again later";
const LIMITED: &str = "too many accusations from this viewer key or network this minute";

/// What an accusation names: an edge, a content, a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Accused {
	pub(crate) edge: pod_primitives::PublicKey,
	pub(crate) content: pod_primitives::ContentId,
	pub(crate) chunk: u32,
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::schedule::TicketTerms;
	use pod_primitives::{keys::keypair_from_seed, Accusation, Manifest};

	use crate::testing::{reporter, G};

	fn accuse(seed: [u8; 32], ticket_id: [u8; 16], chunk: u32) -> String {
		let a = Accusation { ticket_id, chunk };
		pod_wire::hex::encode_scale(&keys::sign_accusation(&keypair_from_seed(&seed), &G, a))
	}

	/// Only the ticket's client can accuse its edge, about a chunk that
	/// exists, once per ticket; anything else is refused with the reason.
	#[tokio::test]
	async fn accusations_are_checked_before_any_audit() {
		let dir = tempfile::tempdir().unwrap();
		let r = reporter(dir.path(), 5);
		let m = Manifest::of_bytes(&[7u8; 3000], 1024);
		let content =
			r.register_content(None, &codec::Encode::encode(&m), "http://o/x").await.unwrap();
		let client = keypair_from_seed(&[9; 32]).public.to_bytes();
		let terms = TicketTerms {
			client,
			content,
			max_bytes: 3000,
			window: 5,
			expires_at: u64::MAX,
			grant: None,
		};
		let t = r.issue_ticket([4; 32], terms);
		r.store.put_tickets(std::slice::from_ref(&t)).unwrap();
		let id = t.ticket.ticket_id;
		let from = "127.0.0.1".parse().unwrap();
		let check = |hx: String| r.accusation(&hx, from).unwrap();
		assert_eq!(check(accuse([8; 32], id, 1)), Err("not signed by the ticket's client"));
		assert_eq!(check(accuse([9; 32], [0; 16], 1)), Err("not a ticket this reporter issued"));
		assert_eq!(check(accuse([9; 32], id, 3)), Err("no such chunk in the ticket's content"));
		assert_eq!(check("00".into()), Err("not hex SCALE of a signed accusation"));
		let accused = Accused { edge: [4; 32], content, chunk: 2 };
		assert_eq!(check(accuse([9; 32], id, 2)), Ok(accused));
		assert_eq!(check(accuse([9; 32], id, 1)), Err("the ticket's edge was already accused"));
	}

	/// Accusations are rate limited per viewer key (each makes the
	/// reporter download a chunk), before the ticket is marked accused.
	#[tokio::test]
	async fn accusations_are_rate_limited_per_viewer() {
		let dir = tempfile::tempdir().unwrap();
		let r = reporter(dir.path(), 5);
		let m = Manifest::of_bytes(&[7u8; 3000], 1024);
		let content =
			r.register_content(None, &codec::Encode::encode(&m), "http://o/x").await.unwrap();
		let viewer = keypair_from_seed(&[9; 32]);
		let from = "192.0.2.7".parse().unwrap();
		// The limits count per minute of the clock: not across its turn.
		let into = pod_wire::clock::now_ms() % 60_000;
		if into > 58_000 {
			tokio::time::sleep(std::time::Duration::from_millis(60_100 - into)).await;
		}
		let mut verdicts = Vec::new();
		for n in 0..=ACCUSATIONS_PER_VIEWER_PER_MINUTE as u8 {
			let terms = TicketTerms {
				client: viewer.public.to_bytes(),
				content,
				max_bytes: 3000,
				window: 5,
				expires_at: u64::MAX,
				grant: None,
			};
			let t = r.issue_ticket([n; 32], terms);
			r.store.put_tickets(std::slice::from_ref(&t)).unwrap();
			let verdict = r.accusation(&accuse([9; 32], t.ticket.ticket_id, 0), from).unwrap();
			verdicts.push(verdict.map(|_| ()));
		}
		let mut expected = vec![Ok(()); ACCUSATIONS_PER_VIEWER_PER_MINUTE as usize];
		expected.push(Err(LIMITED));
		assert_eq!(verdicts, expected);
	}
}
