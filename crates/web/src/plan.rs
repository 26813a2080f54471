//! A reporter's schedule, checked, and what the viewer signs under it.

use crate::{refuse, whole, Refusal};
use pod_wire::api::ScheduleResponse;
use pod_wire::primitives::keys::{self, Keypair};
use pod_wire::primitives::{Accusation, ContentId, Receipt, SignedTicket};
use wasm_bindgen::prelude::*;

/// One edge of a plan: where it serves, and the ticket for it.
struct Leg {
	url: String,
	ticket: SignedTicket,
	/// The ticket as the edge wants it in `x-pod-ticket`.
	header: String,
}

/// The edges a reporter scheduled, best first, with their tickets: each
/// one checked to name this session's key and the content asked for, so a
/// receipt is never signed for someone else's ticket.
#[wasm_bindgen]
pub struct Plan {
	key: Keypair,
	genesis: [u8; 32],
	window: u32,
	legs: Vec<Leg>,
}

impl Plan {
	/// Checks `schedule_json` (a `/schedule` answer) for `content` (hex).
	pub(crate) fn check(key: Keypair, content: &str, schedule_json: &str) -> Result<Plan, Refusal> {
		let content: ContentId =
			pod_wire::hex::hex32("content", content).map_err(|e| refuse("content", e))?;
		let s: ScheduleResponse =
			serde_json::from_str(schedule_json).map_err(|e| refuse("schedule", e))?;
		if pod_wire::hex::hex32("schedule content", &s.content) != Ok(content) {
			return Err(refuse("schedule", "it is for another content"));
		}
		let genesis =
			pod_wire::hex::hex32("genesis", &s.genesis).map_err(|e| refuse("schedule", e))?;
		let me = key.public.to_bytes();
		let mut legs = Vec::with_capacity(s.edges.len());
		for e in s.edges {
			let ticket: SignedTicket =
				pod_wire::hex::scale("ticket", &e.ticket).map_err(|e| refuse("schedule", e))?;
			if ticket.ticket.client != me || ticket.ticket.content != content {
				return Err(refuse("schedule", "a ticket names another viewer or content"));
			}
			legs.push(Leg { url: e.url, header: e.ticket, ticket });
		}
		Ok(Plan { key, genesis, window: s.window, legs })
	}

	fn leg(&self, edge: usize) -> Result<&Leg, Refusal> {
		self.legs.get(edge).ok_or_else(|| refuse("edge", format!("no edge {edge} in this plan")))
	}

	/// The receipt header for `edge`: `bytes_total` received under its
	/// ticket so far, `chunks_verified` of them checked.
	pub(crate) fn sign_receipt(
		&self,
		edge: usize,
		bytes_total: u64,
		chunks_verified: u32,
	) -> Result<String, Refusal> {
		let ticket = &self.leg(edge)?.ticket.ticket;
		if bytes_total > ticket.max_bytes {
			return Err(refuse("bytes", "more than the ticket allows"));
		}
		let r = Receipt { ticket_id: ticket.ticket_id, bytes_total, chunks_verified };
		Ok(pod_wire::headers::value(&keys::sign_receipt(&self.key, &self.genesis, r)))
	}

	/// The signed accusation (hex SCALE) that `edge` served bytes of
	/// `chunk` that fail its hash.
	pub(crate) fn sign_accusation(&self, edge: usize, chunk: u32) -> Result<String, Refusal> {
		let ticket_id = self.leg(edge)?.ticket.ticket.ticket_id;
		let a = keys::sign_accusation(&self.key, &self.genesis, Accusation { ticket_id, chunk });
		Ok(pod_wire::hex::encode_scale(&a))
	}
}

#[wasm_bindgen]
impl Plan {
	/// How many edges were scheduled.
	#[wasm_bindgen(getter)]
	pub fn edges(&self) -> usize {
		self.legs.len()
	}

	/// The chain window the tickets were issued in.
	#[wasm_bindgen(getter)]
	pub fn window(&self) -> u32 {
		self.window
	}

	/// Edge `edge`'s base URL.
	pub fn url(&self, edge: usize) -> Result<String, JsError> {
		Ok(self.leg(edge)?.url.clone())
	}

	/// Edge `edge`'s public key (hex).
	#[wasm_bindgen(js_name = edgeKey)]
	pub fn edge_key(&self, edge: usize) -> Result<String, JsError> {
		Ok(hex::encode(self.leg(edge)?.ticket.ticket.edge))
	}

	/// The `x-pod-ticket` header for edge `edge`.
	pub fn ticket(&self, edge: usize) -> Result<String, JsError> {
		Ok(self.leg(edge)?.header.clone())
	}

	/// Most bytes edge `edge`'s ticket covers.
	#[wasm_bindgen(js_name = maxBytes)]
	pub fn max_bytes(&self, edge: usize) -> Result<f64, JsError> {
		Ok(self.leg(edge)?.ticket.ticket.max_bytes as f64)
	}

	/// When edge `edge`'s ticket expires (Unix ms).
	#[wasm_bindgen(js_name = expiresAt)]
	pub fn expires_at(&self, edge: usize) -> Result<f64, JsError> {
		Ok(self.leg(edge)?.ticket.ticket.expires_at as f64)
	}

	/// The `x-pod-receipt` header for edge `edge`: the cumulative
	/// `bytes_total` received under its ticket, `chunks_verified` of them
	/// checked against the manifest.
	pub fn receipt(
		&self,
		edge: usize,
		bytes_total: f64,
		chunks_verified: u32,
	) -> Result<String, JsError> {
		Ok(self.sign_receipt(edge, whole("bytes", bytes_total)?, chunks_verified)?)
	}

	/// A signed accusation (for the reporter's `/reports`) that edge `edge`
	/// served bytes of `chunk` that fail its hash.
	pub fn accusation(&self, edge: usize, chunk: u32) -> Result<String, JsError> {
		Ok(self.sign_accusation(edge, chunk)?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::Session;
	use pod_wire::api::ScheduledEdge;
	use pod_wire::primitives::{DomainTag, SignedReceipt, Ticket};

	const GENESIS: [u8; 32] = [9; 32];

	fn ticket(client: [u8; 32], content: ContentId, salt: u8) -> SignedTicket {
		let reporter = keys::keypair_from_seed(&[1; 32]);
		let t = Ticket {
			ticket_id: [salt; 16],
			reporter: reporter.public.to_bytes(),
			edge: [salt; 32],
			client,
			content,
			max_bytes: 1000,
			window: 4,
			expires_at: 1 << 45,
			grant: None,
		};
		keys::sign_ticket(&reporter, &GENESIS, t)
	}

	fn schedule(content: ContentId, tickets: &[SignedTicket]) -> String {
		let edges = tickets
			.iter()
			.enumerate()
			.map(|(i, t)| ScheduledEdge {
				edge: hex::encode(t.ticket.edge),
				url: format!("https://edge{i}.example"),
				region: "eu".into(),
				score: 0,
				ticket: pod_wire::hex::encode_scale(t),
			})
			.collect();
		serde_json::to_string(&ScheduleResponse {
			content: hex::encode(content),
			genesis: hex::encode(GENESIS),
			manifest: "/m".into(),
			window: 4,
			edges,
		})
		.unwrap()
	}

	#[test]
	fn receipts_are_what_the_edges_and_the_chain_verify() {
		let s = Session::from_seed([3; 32]);
		let me = s.key.public.to_bytes();
		let content = [7; 32];
		let plan = Plan::check(
			s.key.clone(),
			&hex::encode(content),
			&schedule(content, &[ticket(me, content, 1), ticket(me, content, 2)]),
		)
		.unwrap();
		assert_eq!((plan.edges(), plan.window()), (2, 4));
		let header = plan.sign_receipt(1, 600, 2).unwrap();
		let r: SignedReceipt = pod_wire::hex::scale("receipt", &header).unwrap();
		assert_eq!((r.receipt.ticket_id, r.receipt.bytes_total), ([2; 16], 600));
		assert!(keys::verify(&me, &r.signature, DomainTag::Receipt, &GENESIS, &r.receipt));
		assert_eq!(plan.sign_receipt(0, 1001, 2).unwrap_err().what, "bytes");
		assert_eq!(plan.sign_receipt(2, 1, 0).unwrap_err().what, "edge");
		let a: pod_wire::primitives::SignedAccusation =
			pod_wire::hex::scale("accusation", &plan.sign_accusation(0, 5).unwrap()).unwrap();
		assert!(a.verify(&me, &GENESIS));
		assert_eq!((a.accusation.ticket_id, a.accusation.chunk), ([1; 16], 5));
	}

	#[test]
	fn a_schedule_for_someone_else_is_refused() {
		let s = Session::from_seed([3; 32]);
		let me = s.key.public.to_bytes();
		let (content, other) = ([7; 32], [8; 32]);
		let id = hex::encode(content);
		for bad in [
			schedule(content, &[ticket(me, content, 1), ticket([5; 32], content, 2)]),
			schedule(content, &[ticket(me, other, 1)]),
			schedule(other, &[ticket(me, other, 1)]),
			"{}".into(),
			schedule(content, &[ticket(me, content, 1)])
				.replace("\"ticket\":\"", "\"ticket\":\"00"),
		] {
			let e = Plan::check(s.key.clone(), &id, &bad).err().expect("refused");
			assert_eq!(e.what, "schedule", "{e}");
		}
		assert_eq!(Plan::check(s.key.clone(), "zz", "{}").err().unwrap().what, "content");
	}
}
