//! Co-signing edges' windows: when a window may be confirmed, the stored
//! answer that makes every retry idempotent, and the signature.

use crate::confirm::{self, Evidence};
use crate::error::ReporterError;
use crate::service::Reporter;
use crate::store::Store;
use codec::Encode;
use pod_primitives::{keys, Claim, DomainTag, PartIndex, SignedTicket, TicketId};
use pod_wire::api::{ConfirmRequest, ConfirmResponse};
use pod_wire::clock::now_ms;

/// The store as confirmation evidence: tickets issued, clients' reports.
struct StoreEvidence<'a>(&'a Store);

impl Evidence for StoreEvidence<'_> {
	fn ticket(&self, id: &TicketId) -> Option<SignedTicket> {
		self.0.ticket(id).ok().flatten()
	}
	fn client_report(&self, id: &TicketId) -> Option<u64> {
		self.0.report(id).ok().flatten().map(|r| r.receipt.bytes_total)
	}
	fn confirmed_in(&self, id: &TicketId) -> Option<PartIndex> {
		self.0.confirmed_in(id).ok().flatten()
	}
	fn closed_at(&self, id: &TicketId) -> Option<u64> {
		self.0.closed_at(id).ok().flatten()
	}
}

impl Reporter {
	/// Confirms an edge's claim for (one part of) a closed window and
	/// co-signs it. The answer for a part is stored and repeated: a retried
	/// or resent claim (after an edge or reporter restart) gets the
	/// identical confirmation. Tickets it paid are marked with the part in
	/// the same write, so no other part of the window can pay them again.
	pub async fn confirm(&self, req: &ConfirmRequest) -> Result<Vec<u8>, ReporterError> {
		let claim = &req.claim;
		let _g = self.confirm_lock.lock().await;
		if let Some(stored) = self.store.confirmation(&claim.edge, claim.window, claim.part)? {
			return Ok(stored);
		}
		self.check_window_closed(claim)?;
		let evidence = StoreEvidence(&self.store);
		let c = confirm::confirm(
			claim,
			&req.signature,
			&req.receipts,
			&self.genesis,
			&self.public,
			&evidence,
		)?;
		let signature = keys::sign(&self.key, DomainTag::Attestation, &self.genesis, &c.payload);
		let confirmed_bytes = c.payload.total_bytes();
		let resp = ConfirmResponse {
			payload: hex::encode(c.payload.encode()),
			reporter: hex::encode(self.public),
			signature: hex::encode(signature),
			claimed_bytes: c.claimed_bytes,
			confirmed_bytes,
			reductions: c.reductions,
			disputes: c.disputes,
		};
		let json = serde_json::to_vec(&resp).expect("responses serialize");
		self.store.put_confirmation(&claim.edge, claim.window, claim.part, &c.tickets, &json)?;
		self.count_confirmation(claim, &resp);
		Ok(json)
	}

	/// A window is confirmed once the chain has left it and its tickets for
	/// this edge have expired (plus a grace for final receipts and reports).
	fn check_window_closed(&self, claim: &Claim) -> Result<(), ReporterError> {
		let current = self.window();
		if current <= claim.window {
			return Err(ReporterError::TooEarly {
				window: claim.window,
				why: format!("the chain is still in window {current}"),
				retry_after_secs: 2,
			});
		}
		let Some(exp) = self.store.window_expiry(claim.window, &claim.edge)? else {
			return Ok(());
		};
		let (ready, now) = (exp + self.cfg.confirm_grace_ms, now_ms());
		if now < ready {
			let secs = (ready - now).div_ceil(1000);
			return Err(ReporterError::TooEarly {
				window: claim.window,
				why: format!("its tickets are valid for {secs} s more (plus grace)"),
				retry_after_secs: secs.max(1),
			});
		}
		Ok(())
	}

	fn count_confirmation(&self, claim: &Claim, resp: &ConfirmResponse) {
		for r in &resp.reductions {
			self.metrics.reduction(r.reason.as_str());
		}
		if !resp.disputes.is_empty() {
			self.metrics.disputes.inc_by(resp.disputes.len() as u64);
			let n = resp.disputes.len() as u64;
			if let Err(e) = self.adjust_edge(&claim.edge, |rec| rec.client_disputes += n) {
				tracing::warn!(error = %e, "cannot record the disputes against the edge");
			}
		}
		self.metrics.confirmations.inc();
		self.metrics.confirmed_bytes.inc_by(resp.confirmed_bytes);
		tracing::info!(
			edge = %hex::encode(claim.edge),
			window = claim.window,
			part = claim.part,
			claimed = resp.claimed_bytes,
			confirmed = resp.confirmed_bytes,
			reductions = resp.reductions.len(),
			disputes = resp.disputes.len(),
			"window confirmed"
		);
	}
}
