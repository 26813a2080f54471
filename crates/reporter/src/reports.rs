//! Clients' own reports: their final receipts (the second side of every
//! confirmation) and the edges they caught serving bad bytes.

use crate::error::ReporterError;
use crate::service::Reporter;
use pod_primitives::{keys, DomainTag, SignedReceipt, TicketId};
use pod_wire::api::ClientReport;
use pod_wire::replies::ReportReply;

/// Reputation an edge loses per ticket whose client caught it lying.
const LYING_PENALTY: i64 = 20;

impl Reporter {
	/// Takes a client's own receipts and its reports of lying edges. Returns
	/// how many receipts were new and why the others were refused.
	pub fn report(&self, r: &ClientReport) -> Result<ReportReply, ReporterError> {
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
		for hx in &r.lying {
			if let Err(why) = self.lying_report(hx)? {
				refused.push(format!("lying report {hx}: {why}"));
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

	/// Marks a ticket's edge as caught lying (once per ticket).
	fn lying_report(&self, hx: &str) -> Result<Result<(), &'static str>, ReporterError> {
		let ticket = pod_wire::hex::array::<16>("ticket id", hx)
			.ok()
			.map(|id: TicketId| self.store.ticket(&id))
			.transpose()?
			.flatten();
		let Some(t) = ticket else {
			return Ok(Err("not a ticket this reporter issued"));
		};
		if self.store.mark_lying(&t.ticket.ticket_id)? {
			self.adjust_edge(&t.ticket.edge, |rec| {
				rec.lying_reports += 1;
				rec.reputation -= LYING_PENALTY;
			})?;
		}
		Ok(Ok(()))
	}
}
