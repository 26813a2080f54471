//! The edge's side of the PoD protocol: checking tickets, admitting receipts
//! under a small credit window, and building a window's claim.
//!
//! Pure logic, no I/O: the HTTP data plane and the ledger call into it.

use pod_primitives::{
	keys, merkle::receipts_root, settlement, Claim, ContentId, DomainTag, Entry, MaxEntries,
	PartIndex, PublicKey, SignedReceipt, SignedTicket, TicketId, WindowIndex, MAX_ENTRIES,
	MAX_PARTS,
};
use pod_wire::api::MAX_CONFIRM_RECEIPTS;
use std::collections::BTreeMap;

/// Why a ticket is refused. Each maps to a specific 4xx on the data plane.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
	/// Ticket is not signed by its reporter.
	#[error("ticket is not signed by its reporter")]
	BadSignature,
	/// Ticket's reporter is not a known reporter.
	#[error("ticket's reporter is not a known reporter")]
	UnknownReporter,
	/// Ticket is for another edge.
	#[error("ticket is for another edge")]
	WrongEdge,
	/// Ticket is for another content.
	#[error("ticket is for another content")]
	WrongContent,
	/// The ticket has expired.
	#[error("ticket expired at {expires_at} ms (now {now} ms)")]
	Expired {
		/// When it expired (Unix ms).
		expires_at: u64,
		/// Now (Unix ms).
		now: u64,
	},
	/// Ticket id does not encode the ticket's expiry.
	#[error("ticket id does not encode the ticket's expiry")]
	ExpiryMismatch,
	/// Ticket allows zero bytes.
	#[error("ticket allows zero bytes")]
	ZeroAllowance,
}

/// Why a receipt is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
	/// Receipt is not signed by the ticket's client key.
	#[error("receipt is not signed by the ticket's client key")]
	BadSignature,
	/// Receipt is for another ticket.
	#[error("receipt is for another ticket")]
	WrongTicket,
	/// The receipt acknowledges more than was served.
	#[error("receipt acknowledges {acked} bytes but {served} were served")]
	AheadOfServed {
		/// Bytes the receipt acknowledges.
		acked: u64,
		/// Bytes served so far.
		served: u64,
	},
}

/// Checks a ticket presented for `content` to this `edge` at time `now_ms`.
pub fn check_ticket(
	t: &SignedTicket,
	genesis: &[u8; 32],
	edge: &PublicKey,
	content: &ContentId,
	now_ms: u64,
	is_reporter: impl Fn(&PublicKey) -> bool,
) -> Result<(), TicketError> {
	let ticket = &t.ticket;
	if !is_reporter(&ticket.reporter) {
		return Err(TicketError::UnknownReporter);
	}
	if !keys::verify(&ticket.reporter, &t.signature, DomainTag::Ticket, genesis, ticket) {
		return Err(TicketError::BadSignature);
	}
	if &ticket.edge != edge {
		return Err(TicketError::WrongEdge);
	}
	if &ticket.content != content {
		return Err(TicketError::WrongContent);
	}
	if pod_primitives::Ticket::expiry_of(&ticket.ticket_id) != ticket.expires_at {
		return Err(TicketError::ExpiryMismatch);
	}
	if now_ms >= ticket.expires_at {
		return Err(TicketError::Expired { expires_at: ticket.expires_at, now: now_ms });
	}
	if ticket.max_bytes == 0 {
		return Err(TicketError::ZeroAllowance);
	}
	Ok(())
}

/// Serving state of one ticket: bytes sent and the best receipt so far. The
/// edge sends at most `credit` bytes beyond what the client has acknowledged,
/// and never more than the ticket's `max_bytes`.
#[derive(Debug, Clone)]
pub struct TicketSession {
	/// The ticket, as verified.
	pub ticket: SignedTicket,
	/// Bytes sent (or reserved) under it.
	pub served: u64,
	/// The best receipt so far.
	pub best: Option<SignedReceipt>,
	/// Bytes that may be sent beyond the best receipt.
	pub credit: u64,
}

impl TicketSession {
	/// A fresh session allowing `credit` unacknowledged bytes.
	pub fn new(ticket: SignedTicket, credit: u64) -> Self {
		TicketSession { ticket, served: 0, best: None, credit }
	}

	/// Bytes the client has acknowledged.
	pub fn acked(&self) -> u64 {
		self.best.map(|r| r.receipt.bytes_total).unwrap_or(0)
	}

	/// How many more bytes may be sent right now (0: wait for a receipt).
	pub fn allowance(&self) -> u64 {
		let by_credit = (self.acked() + self.credit).saturating_sub(self.served);
		let by_ticket = self.ticket.ticket.max_bytes.saturating_sub(self.served);
		by_credit.min(by_ticket)
	}

	/// Admits a receipt; returns true if it improves on the best one (the
	/// caller must then persist it before serving more). A validly signed
	/// receipt for fewer bytes than the best is stale, not wrong: a client
	/// fetching several chunks in parallel signs receipts in one order and its
	/// requests can reach the edge in another. It is ignored (`Ok(false)`).
	pub fn accept(&mut self, r: &SignedReceipt, genesis: &[u8; 32]) -> Result<bool, ReceiptError> {
		if r.receipt.ticket_id != self.ticket.ticket.ticket_id {
			return Err(ReceiptError::WrongTicket);
		}
		let client = &self.ticket.ticket.client;
		if !keys::verify(client, &r.signature, DomainTag::Receipt, genesis, &r.receipt) {
			return Err(ReceiptError::BadSignature);
		}
		let acked = r.receipt.bytes_total;
		if acked > self.served {
			return Err(ReceiptError::AheadOfServed { acked, served: self.served });
		}
		if self.best.is_some() && acked <= self.acked() {
			return Ok(false);
		}
		self.best = Some(*r);
		Ok(true)
	}

	/// Records `n` bytes sent.
	pub fn sent(&mut self, n: u64) {
		self.served += n;
	}
}

/// Why a claim cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
	/// The window has no receipts.
	#[error("no receipts for window {0}")]
	Empty(WindowIndex),
	/// More contents than one claim can carry.
	#[error("receipts name {0} contents, more than one claim can carry")]
	TooManyContents(usize),
	/// More parts than a window may be settled in.
	#[error("the window needs {0} parts, more than the {MAX_PARTS} the chain settles")]
	TooManyParts(usize),
}

/// How much one claim (one part of a window) may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartLimits {
	/// Distinct contents per claim (the attestation's entries).
	pub contents: usize,
	/// Receipts per claim (what one confirmation request may carry).
	pub receipts: usize,
}

impl Default for PartLimits {
	fn default() -> Self {
		PartLimits { contents: MAX_ENTRIES as usize, receipts: MAX_CONFIRM_RECEIPTS }
	}
}

/// One part of a window: its claim and the tickets behind it.
pub type Part = (Claim, Vec<TicketId>);

/// Splits a window's receipts into as few claims as `limits` allow, each
/// ticket in exactly one: receipts are taken in `(content, ticket)` order,
/// so one content's receipts share a part unless it has more than a part
/// holds. The parts are numbered from 0.
pub fn split_claims(
	edge: PublicKey,
	window: WindowIndex,
	receipts: &[(SignedTicket, SignedReceipt)],
	limits: PartLimits,
) -> Result<Vec<Part>, ClaimError> {
	if receipts.is_empty() {
		return Err(ClaimError::Empty(window));
	}
	let limits = PartLimits {
		contents: limits.contents.clamp(1, MAX_ENTRIES as usize),
		receipts: limits.receipts.clamp(1, MAX_CONFIRM_RECEIPTS),
	};
	let mut sorted: Vec<&(SignedTicket, SignedReceipt)> = receipts.iter().collect();
	sorted.sort_by_key(|(t, _)| (t.ticket.content, t.ticket.ticket_id));
	let mut groups: Vec<Vec<(SignedTicket, SignedReceipt)>> = vec![Vec::new()];
	let mut contents = 0usize;
	for (t, r) in sorted {
		let group = groups.last().expect("never empty");
		let new_content = group.last().is_none_or(|(l, _)| l.ticket.content != t.ticket.content);
		if group.len() >= limits.receipts || (new_content && contents >= limits.contents) {
			groups.push(Vec::new());
			contents = 0;
		}
		// A content opens every group it appears in, the one just started too.
		if new_content || contents == 0 {
			contents += 1;
		}
		groups.last_mut().expect("never empty").push((t.clone(), *r));
	}
	if groups.len() > MAX_PARTS as usize {
		return Err(ClaimError::TooManyParts(groups.len()));
	}
	groups
		.iter()
		.enumerate()
		.map(|(part, g)| {
			let mut claim = build_claim(edge, window, g)?;
			claim.part = part as PartIndex;
			Ok((claim, g.iter().map(|(t, _)| t.ticket.ticket_id).collect()))
		})
		.collect()
}

/// Builds the claim for `window` from the best receipt of each ticket. Bytes
/// are capped by each ticket's `max_bytes`.
pub fn build_claim(
	edge: PublicKey,
	window: WindowIndex,
	receipts: &[(SignedTicket, SignedReceipt)],
) -> Result<Claim, ClaimError> {
	if receipts.is_empty() {
		return Err(ClaimError::Empty(window));
	}
	let mut per_content: BTreeMap<ContentId, u64> = BTreeMap::new();
	let mut leaves: Vec<(TicketId, u64)> = Vec::with_capacity(receipts.len());
	for (t, r) in receipts {
		let bytes = r.receipt.bytes_total.min(t.ticket.max_bytes);
		*per_content.entry(t.ticket.content).or_default() += bytes;
		leaves.push((r.receipt.ticket_id, r.receipt.bytes_total));
	}
	let n = per_content.len();
	let entries: Vec<Entry> = per_content
		.into_iter()
		.filter(|(_, b)| *b > 0)
		.map(|(content, bytes)| Entry { content, bytes })
		.collect();
	let entries = bounded_entries(entries).ok_or(ClaimError::TooManyContents(n))?;
	Ok(Claim {
		edge,
		window,
		entries,
		part: 0,
		receipts_root: receipts_root(&leaves),
		receipt_count: receipts.len() as u32,
	})
}

fn bounded_entries(v: Vec<Entry>) -> Option<bounded_collections::BoundedVec<Entry, MaxEntries>> {
	v.try_into().ok()
}

/// What the chain will credit for `entries` at the given prices and escrow,
/// with exactly the pallet's formula.
pub fn expected_credits(entries: &[Entry], price_per_gib: impl Fn(&ContentId) -> u128) -> u128 {
	entries
		.iter()
		.map(|e| {
			settlement::settle(
				e.bytes,
				price_per_gib(&e.content),
				u128::MAX,
				settlement::OPERATOR_FEE_PPB,
			)
			.credits
		})
		.sum()
}

#[cfg(test)]
mod tests {
	use super::*;
	use pod_primitives::{keys::keypair_from_seed, Receipt, Ticket};

	const G: [u8; 32] = [5; 32];

	fn ticket(max_bytes: u64, expires_at: u64) -> SignedTicket {
		let id = Ticket::id(expires_at, [1, 0, 0, 0, 0, 0, 0, 0]);
		let t = Ticket {
			ticket_id: id,
			reporter: keypair_from_seed(&[1; 32]).public.to_bytes(),
			edge: [2; 32],
			client: keypair_from_seed(&[3; 32]).public.to_bytes(),
			content: [4; 32],
			max_bytes,
			window: 7,
			expires_at,
			grant: None,
		};
		keys::sign_ticket(&keypair_from_seed(&[1; 32]), &G, t)
	}

	fn receipt(t: &SignedTicket, bytes: u64) -> SignedReceipt {
		keys::sign_receipt(
			&keypair_from_seed(&[3; 32]),
			&G,
			Receipt { ticket_id: t.ticket.ticket_id, bytes_total: bytes, chunks_verified: 0 },
		)
	}

	#[test]
	fn tickets_are_checked_specifically() {
		let rep = keypair_from_seed(&[1; 32]).public.to_bytes();
		let is_rep = |k: &PublicKey| *k == rep;
		let t = ticket(100, 1_000);
		assert_eq!(check_ticket(&t, &G, &[2; 32], &[4; 32], 999, is_rep), Ok(()));
		assert_eq!(
			check_ticket(&t, &G, &[2; 32], &[4; 32], 1_000, is_rep),
			Err(TicketError::Expired { expires_at: 1_000, now: 1_000 })
		);
		assert_eq!(
			check_ticket(&t, &G, &[9; 32], &[4; 32], 0, is_rep),
			Err(TicketError::WrongEdge)
		);
		assert_eq!(
			check_ticket(&t, &G, &[2; 32], &[9; 32], 0, is_rep),
			Err(TicketError::WrongContent)
		);
		assert_eq!(
			check_ticket(&t, &[6; 32], &[2; 32], &[4; 32], 0, is_rep),
			Err(TicketError::BadSignature)
		);
		assert_eq!(
			check_ticket(&t, &G, &[2; 32], &[4; 32], 0, |_| false),
			Err(TicketError::UnknownReporter)
		);
		let mut forged = t.clone();
		forged.ticket.max_bytes = 1 << 40;
		assert_eq!(
			check_ticket(&forged, &G, &[2; 32], &[4; 32], 0, is_rep),
			Err(TicketError::BadSignature)
		);
		let bad_id = keys::sign_ticket(
			&keypair_from_seed(&[1; 32]),
			&G,
			Ticket { expires_at: 2_000, ..t.ticket.clone() },
		);
		assert_eq!(
			check_ticket(&bad_id, &G, &[2; 32], &[4; 32], 0, is_rep),
			Err(TicketError::ExpiryMismatch)
		);
	}

	#[test]
	fn credit_window_stops_a_silent_client() {
		let t = ticket(10_000, u64::MAX);
		let mut s = TicketSession::new(t.clone(), 2_000);
		assert_eq!(s.allowance(), 2_000);
		s.sent(2_000);
		assert_eq!(s.allowance(), 0, "no receipt, no more bytes");
		assert_eq!(s.accept(&receipt(&t, 1_500), &G), Ok(true));
		assert_eq!(s.allowance(), 1_500);
		assert_eq!(s.accept(&receipt(&t, 1_500), &G), Ok(false));
		// A stale receipt (parallel requests arriving out of order) changes
		// nothing: the best receipt and the allowance stay.
		assert_eq!(s.accept(&receipt(&t, 1_000), &G), Ok(false));
		assert_eq!(s.acked(), 1_500);
		assert_eq!(s.allowance(), 1_500);
		assert_eq!(
			s.accept(&receipt(&t, 2_001), &G),
			Err(ReceiptError::AheadOfServed { acked: 2_001, served: 2_000 })
		);
		let mut forged = receipt(&t, 1_900);
		forged.receipt.bytes_total = 2_000;
		assert_eq!(s.accept(&forged, &G), Err(ReceiptError::BadSignature));
		let other = ticket(5, u64::MAX - 1);
		assert_eq!(s.accept(&receipt(&other, 1), &G), Err(ReceiptError::WrongTicket));
		// The ticket's max_bytes caps the allowance too.
		s.sent(1_500);
		s.accept(&receipt(&t, 3_500), &G).unwrap();
		s.sent(2_000);
		s.accept(&receipt(&t, 5_500), &G).unwrap();
		s.sent(2_000);
		s.accept(&receipt(&t, 7_500), &G).unwrap();
		s.sent(2_000);
		s.accept(&receipt(&t, 9_500), &G).unwrap();
		assert_eq!(s.allowance(), 500);
	}

	#[test]
	fn claims_sum_per_content_and_cap_by_ticket() {
		let t1 = ticket(1_000, 10);
		let mut t2 = ticket(5_000, 20);
		t2.ticket.content = [8; 32];
		let claim = build_claim(
			[2; 32],
			7,
			&[(t1.clone(), receipt(&t1, 1_200)), (t2.clone(), receipt(&t2, 4_000))],
		)
		.unwrap();
		assert_eq!(
			claim.entries.to_vec(),
			vec![
				Entry { content: [4; 32], bytes: 1_000 },
				Entry { content: [8; 32], bytes: 4_000 }
			]
		);
		assert_eq!(claim.receipt_count, 2);
		assert_eq!(build_claim([2; 32], 7, &[]), Err(ClaimError::Empty(7)));
		let credits = expected_credits(&claim.entries, |_| 1 << 30);
		// 5000 bytes at 2^30 per GiB = 5000 units; 95% = 4750.
		assert_eq!(credits, 4_750);
	}

	/// A window's tickets `(content, bytes)`, numbered from 1.
	fn window_of(specs: &[(u8, u64)]) -> Vec<(SignedTicket, SignedReceipt)> {
		specs
			.iter()
			.enumerate()
			.map(|(i, (content, bytes))| {
				let mut t = ticket(1 << 40, 0);
				t.ticket.ticket_id = (i as u128 + 1).to_be_bytes();
				t.ticket.content = [*content; 32];
				let r = receipt(&t, *bytes);
				(t, r)
			})
			.collect()
	}

	proptest::proptest! {
		/// However a window splits, every ticket lands in exactly one part,
		/// no part exceeds the limits, parts are numbered 0.., and the parts
		/// claim together exactly what the whole window holds.
		#[test]
		fn split_claims_cover_every_ticket_once(
			specs in proptest::collection::vec((0u8..12, 0u64..5_000), 1..120),
			contents in 1usize..6,
			receipts in 1usize..40,
		) {
			let window = window_of(&specs);
			let parts = split_claims([2; 32], 7, &window, PartLimits { contents, receipts }).unwrap();
			let mut seen = std::collections::BTreeSet::new();
			let mut per_content: BTreeMap<ContentId, u64> = BTreeMap::new();
			for (i, (claim, tickets)) in parts.iter().enumerate() {
				proptest::prop_assert_eq!(claim.part as usize, i);
				proptest::prop_assert!(tickets.len() <= receipts && claim.entries.len() <= contents);
				proptest::prop_assert_eq!(claim.receipt_count as usize, tickets.len());
				for t in tickets {
					proptest::prop_assert!(seen.insert(*t), "a ticket in two parts");
				}
				for e in claim.entries.iter() {
					*per_content.entry(e.content).or_default() += e.bytes;
				}
			}
			proptest::prop_assert_eq!(seen.len(), specs.len());
			let mut want: BTreeMap<ContentId, u64> = BTreeMap::new();
			for (c, b) in &specs {
				*want.entry([*c; 32]).or_default() += b;
			}
			want.retain(|_, b| *b > 0);
			proptest::prop_assert_eq!(per_content, want);
		}
	}

	/// 70 contents do not fit one attestation: two parts, the first full.
	#[test]
	fn more_contents_than_one_attestation_holds_make_parts() {
		let specs: Vec<(u8, u64)> = (0..70).map(|c| (c, 10)).collect();
		let window = window_of(&specs);
		assert!(matches!(build_claim([2; 32], 7, &window), Err(ClaimError::TooManyContents(70))));
		let parts = split_claims([2; 32], 7, &window, PartLimits::default()).unwrap();
		let sizes: Vec<usize> = parts.iter().map(|(c, _)| c.entries.len()).collect();
		assert_eq!(sizes, vec![64, 6]);
		// More parts than the chain settles: refused, nothing claimed.
		let tiny = PartLimits { contents: 1, receipts: 1 };
		let many: Vec<(u8, u64)> = (0..300).map(|i| ((i % 250) as u8, 1)).collect();
		assert!(matches!(
			split_claims([2; 32], 7, &window_of(&many), tiny),
			Err(ClaimError::TooManyParts(300))
		));
	}
}
