//! The reporter's side of the two-way confirmation (`docs/design.md` §5):
//! from an edge's signed claim and the client-signed receipts behind it, the
//! payload the reporter will co-sign. Bytes are never above what the edge
//! claimed, what the receipts prove, the tickets allow and the tickets'
//! grants have left; every cut is explained. A signed receipt is the proof:
//! a client's own report of fewer bytes never lowers it, and is recorded as
//! a [`Dispute`] instead.
//!
//! Two pure steps: [`prove`] checks the signatures and finds what each
//! ticket's best receipt proves (the expensive part, run without any lock on
//! the grants' books), then [`settle`] caps it by what each grant has left
//! and builds the payload (cheap, run while the caller holds the books). The
//! caller supplies its tickets and client reports as [`Evidence`].

use pod_primitives::{
	keys, merkle::receipts_root, AttestationPayload, Claim, ContentId, DomainTag, Entry, GrantId,
	PartIndex, PublicKey, Signature, SignedReceipt, SignedTicket, Ticket, TicketId, MAX_PARTS,
};
use pod_wire::api::{Dispute, Reduction, ReductionReason as Why};
use std::collections::{BTreeMap, BTreeSet};

/// What the reporter knows about a ticket.
pub trait Evidence {
	/// A ticket this reporter issued.
	fn ticket(&self, id: &TicketId) -> Option<SignedTicket>;
	/// Bytes the ticket's client reported to the reporter itself, if it did.
	fn client_report(&self, id: &TicketId) -> Option<u64>;
	/// The part of its window the ticket was already confirmed in, if any.
	fn confirmed_in(&self, id: &TicketId) -> Option<PartIndex>;
}

/// Why nothing can be confirmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
	/// The claim's signature is not its edge's.
	#[error("the claim is not signed by the edge it names")]
	BadClaimSignature,
	/// Too many receipts for one request.
	#[error("the claim has {0} receipts, more than the {1} one request may carry")]
	TooManyReceipts(usize, usize),
	/// The claim's part is not below [`MAX_PARTS`].
	#[error("the claim is for part {0}; a window has at most {MAX_PARTS} parts")]
	PartOutOfRange(PartIndex),
	/// Every byte was cut; the reductions say why.
	#[error("nothing in the claim is supported by valid receipts")]
	NothingConfirmed(Vec<Reduction>),
}

/// A confirmation, before the reporter signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
	/// What the reporter will sign.
	pub payload: AttestationPayload,
	/// Bytes the edge claimed.
	pub claimed_bytes: u64,
	/// Every cut, with its reason.
	pub reductions: Vec<Reduction>,
	/// Receipts whose client reported less than it signed (paid in full).
	pub disputes: Vec<Dispute>,
	/// The tickets this confirmation pays: confirmed in this part only.
	pub tickets: Vec<TicketId>,
	/// Bytes this confirmation pays under each grant.
	pub grant_paid: BTreeMap<GrantId, u64>,
}

/// What one ticket's best receipt proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
	/// The ticket.
	pub ticket: TicketId,
	/// Its content.
	pub content: ContentId,
	/// The grant it was issued under, if any.
	pub grant: Option<GrantId>,
	/// Bytes proven, at most the ticket's `max_bytes`.
	pub bytes: u64,
}

/// What a claim's receipts prove, before the grants' budgets are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
	/// One leaf per ticket with a valid receipt, in ticket order.
	pub leaves: Vec<Leaf>,
	/// Every cut so far.
	pub reductions: Vec<Reduction>,
	/// Receipts whose client reported less than it signed.
	pub disputes: Vec<Dispute>,
}

impl Proven {
	/// The grants the proven tickets were issued under.
	pub fn grants(&self) -> BTreeSet<GrantId> {
		self.leaves.iter().filter_map(|l| l.grant).collect()
	}
}

/// Receipts one confirmation request may carry.
pub const MAX_RECEIPTS: usize = pod_wire::api::MAX_CONFIRM_RECEIPTS;

fn cut(reason: Why, ticket: &TicketId, claimed: u64, confirmed: u64, detail: String) -> Reduction {
	Reduction {
		reason,
		ticket: Some(hex::encode(ticket)),
		content: None,
		claimed,
		confirmed,
		detail,
	}
}

/// Who is confirming what: the reporter's key, the chain and the claim.
struct Context<'a> {
	claim: &'a Claim,
	genesis: &'a [u8; 32],
	reporter: &'a PublicKey,
}

/// Checks `claim` signed with `signature` and what `receipts` prove of it,
/// as reporter `reporter` on the chain with genesis `genesis`.
pub fn prove(
	claim: &Claim,
	signature: &Signature,
	receipts: &[SignedReceipt],
	genesis: &[u8; 32],
	reporter: &PublicKey,
	evidence: &impl Evidence,
) -> Result<Proven, ConfirmError> {
	if !keys::verify(&claim.edge, signature, DomainTag::Claim, genesis, claim) {
		return Err(ConfirmError::BadClaimSignature);
	}
	if receipts.len() > MAX_RECEIPTS {
		return Err(ConfirmError::TooManyReceipts(receipts.len(), MAX_RECEIPTS));
	}
	if claim.part >= MAX_PARTS {
		return Err(ConfirmError::PartOutOfRange(claim.part));
	}
	let cx = Context { claim, genesis, reporter };
	let mut reductions = Vec::new();
	let mut disputes = Vec::new();
	let mut leaves = Vec::new();
	for (id, r) in best_per_ticket(receipts, &mut reductions) {
		let Some((t, bytes)) = cx.proven_bytes(&id, r, evidence, &mut reductions) else {
			continue;
		};
		if let Some(reported) = evidence.client_report(&id).filter(|rep| *rep < bytes) {
			let ticket = hex::encode(id);
			disputes.push(Dispute { ticket, receipt_bytes: bytes, reported_bytes: reported });
		}
		leaves.push(Leaf { ticket: id, content: t.content, grant: t.grant, bytes });
	}
	Ok(Proven { leaves, reductions, disputes })
}

/// Caps what `proven` shows of `claim` by what each grant has `left` (a
/// grant missing from it has nothing left) and builds the payload.
pub fn settle(
	claim: &Claim,
	proven: Proven,
	left: &BTreeMap<GrantId, u64>,
) -> Result<Confirmed, ConfirmError> {
	let Proven { leaves, mut reductions, disputes } = proven;
	let mut grant_paid: BTreeMap<GrantId, u64> = BTreeMap::new();
	let mut by_content: BTreeMap<ContentId, u64> = BTreeMap::new();
	let mut paid_leaves: Vec<(TicketId, u64)> = Vec::new();
	for leaf in leaves {
		let bytes = match leaf.grant {
			None => leaf.bytes,
			Some(g) => {
				let paid = grant_paid.entry(g).or_default();
				let room = left.get(&g).copied().unwrap_or(0).saturating_sub(*paid);
				let bytes = leaf.bytes.min(room);
				if bytes < leaf.bytes {
					reductions.push(budget_cut(&leaf, bytes, left.get(&g).copied()));
				}
				*paid += bytes;
				bytes
			}
		};
		if bytes > 0 {
			*by_content.entry(leaf.content).or_default() += bytes;
			paid_leaves.push((leaf.ticket, bytes));
		}
	}
	grant_paid.retain(|_, b| *b > 0);
	let entries = cap_entries(claim, &by_content, &mut reductions);
	if entries.is_empty() {
		return Err(ConfirmError::NothingConfirmed(reductions));
	}
	let claimed_bytes = claim.entries.iter().fold(0u64, |a, e| a.saturating_add(e.bytes));
	let payload = AttestationPayload {
		edge: claim.edge,
		window: claim.window,
		part: claim.part,
		entries: entries.try_into().expect("no more entries than the bounded claim had; qed"),
		receipts_root: receipts_root(&paid_leaves),
		receipt_count: paid_leaves.len() as u32,
	};
	let tickets = paid_leaves.iter().map(|(id, _)| *id).collect();
	Ok(Confirmed { payload, claimed_bytes, reductions, disputes, tickets, grant_paid })
}

fn budget_cut(leaf: &Leaf, bytes: u64, left: Option<u64>) -> Reduction {
	let detail = match left {
		Some(l) => format!("its grant had {l} bytes of budget left for this confirmation"),
		None => "its grant's budget is spent (or not on record)".into(),
	};
	cut(Why::GrantBudgetReached, &leaf.ticket, leaf.bytes, bytes, detail)
}

/// The largest receipt of each ticket (a client's receipts are cumulative).
fn best_per_ticket<'r>(
	receipts: &'r [SignedReceipt],
	reductions: &mut Vec<Reduction>,
) -> BTreeMap<TicketId, &'r SignedReceipt> {
	let mut best: BTreeMap<TicketId, &SignedReceipt> = BTreeMap::new();
	for r in receipts {
		let id = r.receipt.ticket_id;
		match best.get(&id) {
			Some(b) if b.receipt.bytes_total >= r.receipt.bytes_total => {}
			_ => {
				best.insert(id, r);
			}
		}
	}
	if best.len() < receipts.len() {
		reductions.push(Reduction {
			reason: Why::DuplicateReceipts,
			ticket: None,
			content: None,
			claimed: 0,
			confirmed: 0,
			detail: format!(
				"{} receipts repeat a ticket; only the largest of each counts",
				receipts.len() - best.len()
			),
		});
	}
	best
}

impl Context<'_> {
	/// Why a receipt's ticket does not back this claim, if it does not.
	fn mismatch(&self, t: &Ticket, r: &SignedReceipt) -> Option<(Why, String)> {
		let claim = self.claim;
		if &t.reporter != self.reporter {
			Some((Why::OtherReporter, "the ticket was issued by another reporter".into()))
		} else if t.edge != claim.edge {
			Some((Why::TicketForOtherEdge, "the ticket names another edge".into()))
		} else if t.window != claim.window {
			let detail =
				format!("the ticket is for window {}, the claim for {}", t.window, claim.window);
			Some((Why::TicketForOtherWindow, detail))
		} else if !keys::verify(
			&t.client,
			&r.signature,
			DomainTag::Receipt,
			self.genesis,
			&r.receipt,
		) {
			Some((
				Why::BadClientSignature,
				"the receipt is not signed by the ticket's client".into(),
			))
		} else {
			None
		}
	}

	/// The ticket and the bytes one receipt proves, capped by the ticket's
	/// `max_bytes`; `None` if nothing.
	fn proven_bytes(
		&self,
		id: &TicketId,
		r: &SignedReceipt,
		evidence: &impl Evidence,
		reductions: &mut Vec<Reduction>,
	) -> Option<(Ticket, u64)> {
		let claimed = r.receipt.bytes_total;
		let Some(t) = evidence.ticket(id) else {
			let detail = "this reporter never issued that ticket".into();
			reductions.push(cut(Why::UnknownTicket, id, claimed, 0, detail));
			return None;
		};
		let t = t.ticket;
		if let Some((reason, detail)) = self.mismatch(&t, r) {
			reductions.push(cut(reason, id, claimed, 0, detail));
			return None;
		}
		if let Some(part) = evidence.confirmed_in(id).filter(|p| *p != self.claim.part) {
			let detail = format!("part {part} of this window already paid for it");
			reductions.push(cut(Why::ConfirmedInOtherPart, id, claimed, 0, detail));
			return None;
		}
		let mut bytes = claimed;
		if bytes > t.max_bytes {
			let detail = format!("the ticket allows {} bytes", t.max_bytes);
			reductions.push(cut(Why::CappedByMaxBytes, id, bytes, t.max_bytes, detail));
			bytes = t.max_bytes;
		}
		(bytes > 0).then_some((t, bytes))
	}
}

/// Each claimed entry, capped by what valid receipts prove of its content.
fn cap_entries(
	claim: &Claim,
	proven: &BTreeMap<ContentId, u64>,
	reductions: &mut Vec<Reduction>,
) -> Vec<Entry> {
	let mut entries = Vec::new();
	for e in claim.entries.iter() {
		let p = proven.get(&e.content).copied().unwrap_or(0);
		let bytes = e.bytes.min(p);
		if bytes < e.bytes {
			reductions.push(Reduction {
				reason: if p == 0 { Why::NoValidReceipts } else { Why::AboveReceipts },
				ticket: None,
				content: Some(hex::encode(e.content)),
				claimed: e.bytes,
				confirmed: bytes,
				detail: format!("valid receipts prove {p} bytes of this content"),
			});
		}
		if bytes > 0 {
			entries.push(Entry { content: e.content, bytes });
		}
	}
	entries
}

#[cfg(test)]
mod tests {
	use super::*;
	use pod_primitives::{keys::keypair_from_seed, Receipt, Ticket};
	use std::collections::HashMap;

	const G: [u8; 32] = [3; 32];
	const REP: [u8; 32] = [1; 32];
	const EDGE: [u8; 32] = [2; 32];
	const CLIENT: [u8; 32] = [4; 32];

	fn pk(seed: [u8; 32]) -> PublicKey {
		keypair_from_seed(&seed).public.to_bytes()
	}

	#[derive(Default)]
	struct Ev {
		tickets: HashMap<TicketId, SignedTicket>,
		reports: HashMap<TicketId, u64>,
		confirmed: HashMap<TicketId, PartIndex>,
		left: BTreeMap<GrantId, u64>,
	}
	impl Evidence for Ev {
		fn ticket(&self, id: &TicketId) -> Option<SignedTicket> {
			self.tickets.get(id).cloned()
		}
		fn client_report(&self, id: &TicketId) -> Option<u64> {
			self.reports.get(id).copied()
		}
		fn confirmed_in(&self, id: &TicketId) -> Option<PartIndex> {
			self.confirmed.get(id).copied()
		}
	}

	/// Both steps, with the grants' budgets left as `ev.left` says.
	fn confirm(
		claim: &Claim,
		signature: &Signature,
		receipts: &[SignedReceipt],
		genesis: &[u8; 32],
		reporter: &PublicKey,
		ev: &Ev,
	) -> Result<Confirmed, ConfirmError> {
		let proven = prove(claim, signature, receipts, genesis, reporter, ev)?;
		settle(claim, proven, &ev.left)
	}

	fn ticket(ev: &mut Ev, n: u8, content: u8, max_bytes: u64, window: u32) -> TicketId {
		granted(ev, n, content, max_bytes, window, None)
	}

	fn granted(
		ev: &mut Ev,
		n: u8,
		content: u8,
		max_bytes: u64,
		window: u32,
		grant: Option<GrantId>,
	) -> TicketId {
		let t = Ticket {
			ticket_id: [n; 16],
			reporter: pk(REP),
			edge: pk(EDGE),
			client: pk(CLIENT),
			content: [content; 32],
			max_bytes,
			window,
			expires_at: 0,
			grant,
		};
		let st = keys::sign_ticket(&keypair_from_seed(&REP), &G, t);
		ev.tickets.insert([n; 16], st);
		[n; 16]
	}

	fn receipt(id: TicketId, bytes: u64) -> SignedReceipt {
		let r = Receipt { ticket_id: id, bytes_total: bytes, chunks_verified: 1 };
		keys::sign_receipt(&keypair_from_seed(&CLIENT), &G, r)
	}

	fn claim(window: u32, entries: &[(u8, u64)]) -> (Claim, Signature) {
		let entries: Vec<Entry> =
			entries.iter().map(|(c, b)| Entry { content: [*c; 32], bytes: *b }).collect();
		let c = Claim {
			edge: pk(EDGE),
			window,
			part: 0,
			entries: entries.try_into().unwrap(),
			receipts_root: [0; 32],
			receipt_count: 0,
		};
		let s = keys::sign(&keypair_from_seed(&EDGE), DomainTag::Claim, &G, &c);
		(c, s)
	}

	fn reasons(c: &Confirmed) -> Vec<&str> {
		c.reductions.iter().map(|r| r.reason.as_str()).collect()
	}

	#[test]
	fn confirms_what_both_sides_support() {
		let mut ev = Ev::default();
		let a = ticket(&mut ev, 1, 7, 1_000, 5);
		let b = ticket(&mut ev, 2, 8, 10_000, 5);
		let (c, s) = claim(5, &[(7, 900), (8, 4_000)]);
		let out =
			confirm(&c, &s, &[receipt(a, 900), receipt(b, 4_000)], &G, &pk(REP), &ev).unwrap();
		assert!(out.reductions.is_empty(), "{:?}", out.reductions);
		assert_eq!(out.payload.total_bytes(), 4_900);
		assert_eq!(out.payload.receipt_count, 2);
		assert_eq!(out.payload.receipts_root, receipts_root(&[(a, 900), (b, 4_000)]));
		assert_eq!(out.claimed_bytes, 4_900);
	}

	#[test]
	fn every_cut_is_explained() {
		let mut ev = Ev::default();
		let capped = ticket(&mut ev, 1, 7, 1_000, 5);
		let reported = ticket(&mut ev, 2, 7, 10_000, 5);
		let other_window = ticket(&mut ev, 3, 7, 10_000, 6);
		ev.reports.insert(reported, 300);
		let unknown = [9u8; 16];
		let mut forged = receipt(reported, 5);
		forged.receipt.bytes_total = 6; // no longer matches its signature
		let forged_ticket = ticket(&mut ev, 4, 7, 10_000, 5);
		forged.receipt.ticket_id = forged_ticket;
		let (c, s) = claim(5, &[(7, 5_000), (8, 10)]);
		let out = confirm(
			&c,
			&s,
			&[
				receipt(capped, 1_500),
				receipt(reported, 2_000),
				receipt(other_window, 50),
				receipt(unknown, 70),
				forged,
			],
			&G,
			&pk(REP),
			&ev,
		)
		.unwrap();
		// 1000 (capped) + 2000 (signed, although the client reported 300)
		// for content 7; nothing for 8.
		assert_eq!(out.payload.entries.to_vec(), vec![Entry { content: [7; 32], bytes: 3_000 }]);
		let mut r = reasons(&out);
		r.sort();
		assert_eq!(
			r,
			vec![
				"above_receipts",
				"bad_client_signature",
				"capped_by_max_bytes",
				"no_valid_receipts",
				"ticket_for_other_window",
				"unknown_ticket"
			]
		);
		assert_eq!(
			out.disputes,
			vec![Dispute {
				ticket: hex::encode(reported),
				receipt_bytes: 2_000,
				reported_bytes: 300
			}]
		);
	}

	/// A client that reports one byte first and then stops reporting cannot
	/// cap the edge below what its own signed receipt acknowledges.
	#[test]
	fn a_client_report_never_lowers_a_signed_receipt() {
		let mut ev = Ev::default();
		let t = ticket(&mut ev, 1, 7, 1 << 30, 5);
		ev.reports.insert(t, 1);
		let (c, s) = claim(5, &[(7, 1 << 20)]);
		let out = confirm(&c, &s, &[receipt(t, 1 << 20)], &G, &pk(REP), &ev).unwrap();
		assert_eq!(out.payload.total_bytes(), 1 << 20);
		assert!(out.reductions.is_empty(), "{:?}", out.reductions);
		assert_eq!(out.disputes.len(), 1);
		assert_eq!((out.disputes[0].receipt_bytes, out.disputes[0].reported_bytes), (1 << 20, 1));
		// A report at or above the receipt is no dispute.
		ev.reports.insert(t, 1 << 20);
		let out = confirm(&c, &s, &[receipt(t, 1 << 20)], &G, &pk(REP), &ev).unwrap();
		assert!(out.disputes.is_empty());
	}

	#[test]
	fn claims_are_capped_by_receipts_and_need_the_edge_signature() {
		let mut ev = Ev::default();
		let a = ticket(&mut ev, 1, 7, 10_000, 5);
		let (c, s) = claim(5, &[(7, 100)]);
		// Receipts prove more than claimed: the claim caps.
		let out = confirm(&c, &s, &[receipt(a, 500)], &G, &pk(REP), &ev).unwrap();
		assert_eq!(out.payload.total_bytes(), 100);
		// Another edge's signature, or another chain's.
		let forged = keys::sign(&keypair_from_seed(&[9; 32]), DomainTag::Claim, &G, &c);
		assert_eq!(
			confirm(&c, &forged, &[receipt(a, 500)], &G, &pk(REP), &ev),
			Err(ConfirmError::BadClaimSignature)
		);
		assert_eq!(
			confirm(&c, &s, &[receipt(a, 500)], &[0; 32], &pk(REP), &ev),
			Err(ConfirmError::BadClaimSignature)
		);
		// Nothing valid at all.
		assert!(matches!(
			confirm(&c, &s, &[receipt([8; 16], 5)], &G, &pk(REP), &ev),
			Err(ConfirmError::NothingConfirmed(r)) if r.len() == 2
		));
		// A receipt repeated: the largest counts once.
		let out = confirm(&c, &s, &[receipt(a, 40), receipt(a, 60)], &G, &pk(REP), &ev).unwrap();
		assert_eq!(out.payload.total_bytes(), 60);
		assert_eq!(reasons(&out), vec!["duplicate_receipts", "above_receipts"]);
	}

	/// A window in parts: a ticket confirmed in one part is cut from every
	/// other, so no receipt is paid twice; parts are bounded.
	#[test]
	fn a_ticket_is_paid_in_one_part_only() {
		let mut ev = Ev::default();
		let a = ticket(&mut ev, 1, 7, 10_000, 5);
		let b = ticket(&mut ev, 2, 7, 10_000, 5);
		ev.confirmed.insert(a, 0);
		let (mut c, _) = claim(5, &[(7, 3_000)]);
		c.part = 1;
		let s = keys::sign(&keypair_from_seed(&EDGE), DomainTag::Claim, &G, &c);
		let rs = [receipt(a, 1_000), receipt(b, 2_000)];
		let out = confirm(&c, &s, &rs, &G, &pk(REP), &ev).unwrap();
		assert_eq!(out.payload.part, 1);
		assert_eq!(out.payload.total_bytes(), 2_000);
		assert_eq!(out.tickets, vec![b]);
		assert_eq!(reasons(&out), vec!["confirmed_in_other_part", "above_receipts"]);
		// The part that confirmed it may (its stored answer is repeated
		// before this check, but the rule itself allows it).
		c.part = 0;
		let s = keys::sign(&keypair_from_seed(&EDGE), DomainTag::Claim, &G, &c);
		let out = confirm(&c, &s, &rs, &G, &pk(REP), &ev).unwrap();
		assert_eq!(out.payload.total_bytes(), 3_000);
		c.part = MAX_PARTS;
		let s = keys::sign(&keypair_from_seed(&EDGE), DomainTag::Claim, &G, &c);
		assert_eq!(
			confirm(&c, &s, &rs, &G, &pk(REP), &ev),
			Err(ConfirmError::PartOutOfRange(MAX_PARTS))
		);
	}

	/// A grant is paid at most the budget it has left, in ticket order
	/// across one confirmation: the excess is cut and explained, whatever the
	/// signed receipts say; tickets without a grant are not affected, and a
	/// grant with nothing on record pays nothing.
	#[test]
	fn a_grant_is_paid_at_most_its_budget() {
		let (g, spent) = ([0xA; 32], [0xB; 32]);
		let mut ev = Ev::default();
		let a = granted(&mut ev, 1, 7, 10_000, 5, Some(g));
		let b = granted(&mut ev, 2, 7, 10_000, 5, Some(g));
		let c_ = granted(&mut ev, 3, 7, 10_000, 5, Some(spent));
		let open = ticket(&mut ev, 4, 7, 10_000, 5);
		ev.left.insert(g, 1_500);
		let (c, s) = claim(5, &[(7, 3_500)]);
		let rs = [receipt(a, 1_000), receipt(b, 1_000), receipt(c_, 700), receipt(open, 500)];
		let out = confirm(&c, &s, &rs, &G, &pk(REP), &ev).unwrap();
		assert_eq!(out.payload.total_bytes(), 2_000);
		assert_eq!(out.tickets, vec![a, b, open]);
		assert_eq!(out.payload.receipts_root, receipts_root(&[(a, 1_000), (b, 500), (open, 500)]));
		assert_eq!(out.grant_paid, BTreeMap::from([(g, 1_500)]));
		let cuts: Vec<_> = out
			.reductions
			.iter()
			.filter(|r| r.reason == Why::GrantBudgetReached)
			.map(|r| (r.ticket.clone().unwrap(), r.claimed, r.confirmed))
			.collect();
		assert_eq!(cuts, vec![(hex::encode(b), 1_000, 500), (hex::encode(c_), 700, 0)]);
		// Nothing left anywhere: only the ticket without a grant is paid.
		ev.left.insert(g, 0);
		let out = confirm(&c, &s, &rs, &G, &pk(REP), &ev).unwrap();
		assert_eq!(out.payload.total_bytes(), 500);
		assert!(out.grant_paid.is_empty());
		// And with no such ticket, nothing is confirmed, every cut said.
		let err = confirm(&c, &s, &rs[..3], &G, &pk(REP), &ev).unwrap_err();
		let ConfirmError::NothingConfirmed(r) = err else { panic!("{err:?}") };
		assert_eq!(r.iter().filter(|r| r.reason == Why::GrantBudgetReached).count(), 3);
	}
}
