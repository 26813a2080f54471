//! Co-signing edges' windows: when a window may be confirmed, the stored
//! answer that makes every retry idempotent, the remembered refusals that
//! make a repeated bad request cheap, and the signature.

use crate::confirm::{self, ConfirmError, Confirmed, Evidence, Proven};
use crate::error::ReporterError;
use crate::service::Reporter;
use crate::store::{Store, StoreError};
use codec::Encode;
use pod_primitives::{
	keys, Claim, DomainTag, PartIndex, PublicKey, SignedTicket, TicketId, WindowIndex,
};
use pod_wire::api::{ConfirmRequest, ConfirmResponse, Reduction};
use pod_wire::clock::now_ms;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

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
}

/// What confirmations are serialised by: an edge's window. Every ticket a
/// confirmation can pay names one edge and one window (`confirm::prove`
/// cuts any other), so all parts that could pay the same receipts take the
/// same lock, and the check that a ticket is unpaid (`confirmed_in`) and its
/// mark (`put_confirmation`) are one step whatever the concurrency.
type WindowKey = (PublicKey, WindowIndex);

/// Refusals remembered, by request hash: a repeated request is answered
/// without verifying anything again.
const REMEMBERED_REFUSALS: usize = 4096;

/// Refusals by request hash, and the hashes oldest first.
type Refusals = (HashMap<[u8; 32], Vec<Reduction>>, VecDeque<[u8; 32]>);

/// Per-window locks, the grants' books and the refusals given lately.
#[derive(Debug, Default)]
pub struct Confirmations {
	locks: Mutex<HashMap<WindowKey, Arc<tokio::sync::Mutex<()>>>>,
	/// Held from reading what grants have left to storing what a
	/// confirmation pays under them, so two parts paying under one grant
	/// cannot both spend its last bytes. Confirmations without grants skip
	/// it; the expensive verification happens before it is taken.
	books: tokio::sync::Mutex<()>,
	refused: Mutex<Refusals>,
}

impl Confirmations {
	/// The lock of one edge's window (made on first use, dropped after
	/// last use).
	fn lock_for(&self, key: WindowKey) -> Arc<tokio::sync::Mutex<()>> {
		let mut locks = self.locks.lock().expect("locks");
		locks.retain(|_, l| Arc::strong_count(l) > 1);
		locks.entry(key).or_default().clone()
	}

	fn refusal(&self, hash: &[u8; 32]) -> Option<Vec<Reduction>> {
		self.refused.lock().expect("refusals").0.get(hash).cloned()
	}

	fn remember(&self, hash: [u8; 32], reductions: &[Reduction]) {
		let mut r = self.refused.lock().expect("refusals");
		if r.0.insert(hash, reductions.to_vec()).is_none() {
			r.1.push_back(hash);
		}
		while r.1.len() > REMEMBERED_REFUSALS {
			let old = r.1.pop_front().expect("not empty");
			r.0.remove(&old);
		}
	}
}

impl Reporter {
	/// Confirms an edge's claim for (one part of) a closed window and
	/// co-signs it. The answer for a part is stored and repeated: a retried
	/// or resent claim (after an edge or reporter restart) gets the
	/// identical confirmation. Tickets it paid are marked with the part in
	/// the same write, so no other part of the window can pay them again:
	/// the parts of one edge's window are confirmed one at a time (issue
	/// #24: sixteen parts sent at once each paid the same receipts).
	/// `raw` is the request as received: a refusal is remembered by its
	/// hash, so the same request repeated costs a hash, not a verification.
	/// The receipts are verified on a blocking thread, under the lock of
	/// this edge's window only; only a claim its edge signed for a closed
	/// window waits on that lock, so no one else can hold the edge's
	/// confirmations up.
	pub async fn confirm(&self, req: ConfirmRequest, raw: &[u8]) -> Result<Vec<u8>, ReporterError> {
		let claim = req.claim.clone();
		let hash = *blake3::hash(raw).as_bytes();
		if let Some(reductions) = self.confirms.refusal(&hash) {
			self.metrics.repeated_refusals.inc();
			return Err(ConfirmError::NothingConfirmed(reductions).into());
		}
		if !keys::verify(&claim.edge, &req.signature, DomainTag::Claim, &self.genesis, &claim) {
			return Err(ConfirmError::BadClaimSignature.into());
		}
		self.check_window_closed(&claim)?;
		let lock = self.confirms.lock_for((claim.edge, claim.window));
		let _g = lock.lock().await;
		if let Some(stored) = self.store.confirmation(&claim.edge, claim.window, claim.part)? {
			return Ok(stored);
		}
		if let Some(why) = self.records.edge_refusal(&claim.edge, claim.window).await? {
			return Err(ReporterError::EdgeNotOnChain { edge: hex::encode(claim.edge), why });
		}
		let proven = self.verify_claim(req).await.map_err(|e| self.refused(hash, e))?;
		let grants = proven.grants();
		let _books = match grants.is_empty() {
			true => None,
			false => Some(self.confirms.books.lock().await),
		};
		let left = grants
			.into_iter()
			.map(|g| Ok((g, self.store.grant_left(&g)?)))
			.collect::<Result<_, StoreError>>()?;
		let c = confirm::settle(&claim, proven, &left).map_err(|e| self.refused(hash, e))?;
		let (resp, json) = self.answer(&c);
		let key = (&claim.edge, claim.window, claim.part);
		self.store.put_confirmation(key, &c.tickets, &c.grant_paid, &json)?;
		self.count_confirmation(&claim, &resp);
		Ok(json)
	}

	/// A refusal to confirm; one with nothing confirmed is remembered by
	/// its request's hash.
	fn refused(&self, hash: [u8; 32], e: ConfirmError) -> ReporterError {
		if let ConfirmError::NothingConfirmed(r) = &e {
			self.confirms.remember(hash, r);
		}
		e.into()
	}

	/// The signed answer to a confirmation, and its JSON.
	fn answer(&self, c: &Confirmed) -> (ConfirmResponse, Vec<u8>) {
		let payload = &c.payload;
		let signature = keys::sign(&self.key, DomainTag::Attestation, &self.genesis, payload);
		let resp = ConfirmResponse {
			payload: hex::encode(payload.encode()),
			reporter: hex::encode(self.public),
			signature: hex::encode(signature),
			claimed_bytes: c.claimed_bytes,
			confirmed_bytes: payload.total_bytes(),
			reductions: c.reductions.clone(),
			disputes: c.disputes.clone(),
		};
		let json = serde_json::to_vec(&resp).expect("responses serialize");
		(resp, json)
	}

	/// [`confirm::prove`] on a blocking thread: up to
	/// `MAX_CONFIRM_RECEIPTS` signature checks stay off the async runtime.
	async fn verify_claim(&self, req: ConfirmRequest) -> Result<Proven, ConfirmError> {
		let (store, genesis, public) = (self.store.clone(), self.genesis, self.public);
		let work = move || {
			let evidence = StoreEvidence(&store);
			let r = &req;
			confirm::prove(&r.claim, &r.signature, &r.receipts, &genesis, &public, &evidence)
		};
		match tokio::task::spawn_blocking(work).await {
			Ok(result) => result,
			Err(e) => std::panic::resume_unwind(e.into_panic()),
		}
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

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{receipt, reporter, stored_ticket, viewer, G};
	use pod_primitives::{keys::keypair_from_seed, merkle, Entry, SignedReceipt};
	use proptest::prelude::*;

	const EDGE_SEED: [u8; 32] = [4; 32];

	/// Edge `EDGE_SEED`'s signed claim of `receipts` in `part` of `window`.
	fn claim(window: WindowIndex, part: PartIndex, receipts: &[SignedReceipt]) -> ConfirmRequest {
		let edge = keypair_from_seed(&EDGE_SEED);
		let leaves: Vec<_> =
			receipts.iter().map(|r| (r.receipt.ticket_id, r.receipt.bytes_total)).collect();
		let bytes = leaves.iter().map(|(_, b)| b).sum();
		let claim = Claim {
			edge: edge.public.to_bytes(),
			window,
			part,
			entries: vec![Entry { content: [7; 32], bytes }].try_into().unwrap(),
			receipts_root: merkle::receipts_root(&leaves),
			receipt_count: receipts.len() as u32,
		};
		let signature = keys::sign(&edge, DomainTag::Claim, &G, &claim);
		ConfirmRequest { claim, signature, receipts: receipts.to_vec() }
	}

	/// Sends every request at once; the bytes each confirmed (`None`:
	/// refused).
	async fn confirm_all(r: &Arc<Reporter>, requests: Vec<ConfirmRequest>) -> Vec<Option<u64>> {
		let tasks: Vec<_> = requests
			.into_iter()
			.map(|req| {
				let r = r.clone();
				tokio::spawn(async move {
					let raw = req.encode();
					let json = r.confirm(req, &raw).await.ok()?;
					let resp: ConfirmResponse = serde_json::from_slice(&json).unwrap();
					Some(resp.confirmed_bytes)
				})
			})
			.collect();
		let mut out = Vec::new();
		for t in tasks {
			out.push(t.await.unwrap());
		}
		out
	}

	/// The same delivery claimed as sixteen parts of one window, all sent at
	/// once: exactly one part pays it (issue #24: each part once did).
	#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
	async fn a_delivery_claimed_in_parts_at_once_is_paid_once() {
		let dir = tempfile::tempdir().unwrap();
		let r = reporter(dir.path(), 5);
		let (edge, v) = (keypair_from_seed(&EDGE_SEED).public.to_bytes(), viewer(1));
		let t = stored_ticket(&r, edge, &v, 5, 3_000_000);
		let receipts = [receipt(&t, &v, 3_000_000)];
		r.set_window(6);
		let parts = (0..16).map(|p| claim(5, p, &receipts)).collect();
		let got = confirm_all(&r, parts).await;
		let paid: Vec<_> = got.iter().flatten().collect();
		assert_eq!(paid, vec![&3_000_000], "{got:?}");
		let winner = got.iter().position(Option::is_some).unwrap() as PartIndex;
		assert_eq!(r.store.confirmed_in(&t.ticket.ticket_id).unwrap(), Some(winner));
		// The winning part's retry gets its stored answer; the others stay refused.
		assert_eq!(confirm_all(&r, vec![claim(5, winner, &receipts)]).await, [Some(3_000_000)]);
		let other = (winner + 1) % 16;
		assert_eq!(confirm_all(&r, vec![claim(5, other, &receipts)]).await, [None]);
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(24))]

		/// Any parts of one window, each carrying any receipts of its
		/// tickets, confirmed concurrently in any interleaving: every ticket
		/// is paid in exactly one part that carried it, and the bytes
		/// confirmed are those receipts' bytes, once each.
		#[test]
		fn each_ticket_is_paid_once_whatever_the_interleaving(
			parts in prop::collection::vec(
				prop::collection::vec((0usize..6, 1u64..50_000), 1..6), 2..8),
		) {
			let rt = tokio::runtime::Builder::new_multi_thread()
				.worker_threads(4).enable_all().build().unwrap();
			rt.block_on(async {
				let dir = tempfile::tempdir().unwrap();
				let r = reporter(dir.path(), 5);
				let edge = keypair_from_seed(&EDGE_SEED).public.to_bytes();
				let viewers: Vec<_> = (0..6).map(viewer).collect();
				let tickets: Vec<_> =
					viewers.iter().map(|v| stored_ticket(&r, edge, v, 5, 1 << 40)).collect();
				r.set_window(6);
				// Part p carries, for each ticket, its largest receipt there.
				let mut carried = vec![std::collections::BTreeMap::new(); parts.len()];
				for (p, receipts) in parts.iter().enumerate() {
					for &(t, bytes) in receipts {
						let best = carried[p].entry(t).or_insert(0);
						*best = bytes.max(*best);
					}
				}
				let requests = carried.iter().enumerate().map(|(p, by_ticket)| {
					let rs: Vec<_> = by_ticket.iter()
						.map(|(&t, &b)| receipt(&tickets[t], &viewers[t], b)).collect();
					claim(5, p as PartIndex, &rs)
				}).collect();
				let got = confirm_all(&r, requests).await;
				let mut expected = 0;
				for (t, ticket) in tickets.iter().enumerate() {
					let id = ticket.ticket.ticket_id;
					let won = r.store.confirmed_in(&id).unwrap();
					let carriers: Vec<_> = (0..parts.len())
						.filter(|p| carried[*p].contains_key(&t)).collect();
					match won {
						None => prop_assert!(carriers.is_empty(), "ticket {t} never paid"),
						Some(p) => {
							prop_assert!(carriers.contains(&(p as usize)), "paid in a part without it");
							prop_assert!(got[p as usize].is_some());
							expected += carried[p as usize][&t];
						}
					}
				}
				prop_assert_eq!(got.iter().flatten().sum::<u64>(), expected, "{:?}", got);
				Ok(())
			})?;
		}
	}

	/// One lock per edge window, shared while in use and dropped after.
	#[test]
	fn edge_windows_lock_separately() {
		let c = Confirmations::default();
		let a = c.lock_for(([1; 32], 5));
		let again = c.lock_for(([1; 32], 5));
		assert!(Arc::ptr_eq(&a, &again));
		let (other_window, other_edge) = (c.lock_for(([1; 32], 6)), c.lock_for(([2; 32], 5)));
		assert!(!Arc::ptr_eq(&a, &other_window) && !Arc::ptr_eq(&a, &other_edge));
		assert!(other_window.try_lock().is_ok() && a.try_lock().is_ok());
		drop((a, again, other_window, other_edge));
		let _fresh = c.lock_for(([2; 32], 5));
		assert_eq!(c.locks.lock().unwrap().len(), 1, "unused locks are dropped");
	}

	/// Refusals are remembered by request hash, at most
	/// `REMEMBERED_REFUSALS` of them, oldest forgotten first.
	#[test]
	fn refusals_are_remembered_and_bounded() {
		let c = Confirmations::default();
		let key = |n: usize| {
			let mut h = [0u8; 32];
			h[..8].copy_from_slice(&(n as u64).to_be_bytes());
			h
		};
		for n in 0..=REMEMBERED_REFUSALS {
			c.remember(key(n), &[]);
		}
		assert!(c.refusal(&key(0)).is_none(), "the oldest is forgotten");
		assert!(c.refusal(&key(1)).is_some());
		assert!(c.refusal(&key(REMEMBERED_REFUSALS)).is_some());
		c.remember(key(1), &[]);
		assert_eq!(c.refused.lock().unwrap().1.len(), REMEMBERED_REFUSALS);
	}
}
