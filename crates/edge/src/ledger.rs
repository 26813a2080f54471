//! The edge's durable receipt ledger (RocksDB — the same `rocksdb` and
//! `librocksdb-sys` build the node links).
//!
//! Column families:
//! - `tickets`:  ticket id → `SignedTicket`
//! - `receipts`: ticket id → best `SignedReceipt` (largest `bytes_total`)
//! - `windows`:  window (BE) ‖ reporter ‖ ticket id → () — a window's tickets of one reporter
//! - `states`:   window (BE) ‖ reporter ‖ part (BE) → `WindowState` — claim →
//!   confirmation → submission → finality
//! - `earnings`: the same key → JSON [`SlotRecord`](pod_wire::replies::SlotRecord):
//!   what the claim said and what the reporter confirmed, with every
//!   reduction it made — kept after the receipts are pruned, for the
//!   operator's `status`
//!
//! A window is claimed, confirmed and settled separately with each reporter
//! whose tickets the edge served in it, in as many parts as its receipts
//! need (a [`Slot`]): the chain settles `(edge, window, reporter, part)`.
//! Until it is claimed a window has one slot, part 0, in state `Open`;
//! claiming splits its tickets into parts, each with its own state.
//!
//! A receipt is written (WAL, and fsync when `sync` is set) before the data
//! plane sends more bytes. Nothing of a window is deleted until its state is
//! `Finalized`.

use codec::{Decode, Encode};
use pod_primitives::{
	Attestation, Claim, PartIndex, PublicKey, SignedReceipt, SignedTicket, TicketId, WindowIndex,
};
use rocksdb::{ColumnFamilyDescriptor, Options, WriteBatch, WriteOptions, DB};
use std::path::Path;

const CF_TICKETS: &str = "tickets";
const CF_RECEIPTS: &str = "receipts";
const CF_WINDOWS: &str = "windows";
const CF_STATES: &str = "states";
const CF_EARNINGS: &str = "earnings";

/// One part of a window's tickets of one reporter: what one claim covers
/// and one attestation settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
	/// The window.
	pub window: WindowIndex,
	/// The reporter that issued the tickets.
	pub reporter: PublicKey,
	/// The part of the window's tickets of that reporter.
	pub part: PartIndex,
}

impl Slot {
	/// The slot a ticket is recorded under until its window is claimed.
	pub fn of(t: &SignedTicket) -> Self {
		Slot { window: t.ticket.window, reporter: t.ticket.reporter, part: 0 }
	}

	/// The same window and reporter, another part.
	pub fn with_part(self, part: PartIndex) -> Self {
		Slot { part, ..self }
	}

	/// Its key in `states`.
	fn key(&self) -> [u8; 38] {
		let mut k = [0u8; 38];
		k[..36].copy_from_slice(&self.tickets_prefix());
		k[36..].copy_from_slice(&self.part.to_be_bytes());
		k
	}

	/// The prefix of its window's tickets (of every part) in `windows`, and
	/// of its parts' keys in `states`.
	fn tickets_prefix(&self) -> [u8; 36] {
		let mut k = [0u8; 36];
		k[..4].copy_from_slice(&self.window.to_be_bytes());
		k[4..].copy_from_slice(&self.reporter);
		k
	}

	fn from_key(k: &[u8]) -> Option<Self> {
		if k.len() != 38 {
			return None;
		}
		let window = WindowIndex::from_be_bytes(k[..4].try_into().ok()?);
		let reporter = k[4..36].try_into().ok()?;
		let part = PartIndex::from_be_bytes(k[36..].try_into().ok()?);
		Some(Slot { window, reporter, part })
	}
}

/// Where a slot is in its settlement.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum WindowState {
	/// Receipts are still arriving.
	Open,
	/// The claim was built (it is sent to the reporter with the receipts of
	/// `tickets`).
	Claimed {
		/// The part's claim.
		claim: Claim,
		/// The tickets it covers.
		tickets: Vec<TicketId>,
	},
	/// The reporter co-signed; the attestation is ready to submit.
	Confirmed(Attestation),
	/// Submitted to the chain in the block with this hash (not final yet).
	Submitted {
		/// What was submitted.
		attestation: Attestation,
		/// The first block that included it.
		block: [u8; 32],
	},
	/// Finalized on chain; the window's rows may be pruned.
	Finalized {
		/// The finalized block (zeros when found settled by a read).
		block: [u8; 32],
	},
	/// Closed without payment (nothing confirmed, or the window aged out);
	/// the rows are kept for the operator to inspect.
	Unpaid {
		/// Why.
		reason: String,
	},
	/// The chain refused the attestation because nobody would pay for it
	/// (the customers' escrow, limits or budgets leave less than the
	/// minimum charge). It is resubmitted, slowly, until its window ages
	/// out, in case a customer tops up.
	Refused {
		/// What was refused.
		attestation: Attestation,
		/// The chain's words.
		reason: String,
	},
}

impl WindowState {
	/// A short name for logs and `/status`.
	pub fn name(&self) -> &'static str {
		match self {
			WindowState::Open => "open",
			WindowState::Claimed { .. } => "claimed",
			WindowState::Confirmed(_) => "confirmed",
			WindowState::Submitted { .. } => "submitted",
			WindowState::Finalized { .. } => "finalized",
			WindowState::Unpaid { .. } => "unpaid",
			WindowState::Refused { .. } => "refused",
		}
	}
}

/// Ledger failures.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
	/// RocksDB failed.
	#[error("receipt ledger database: {0}")]
	Db(#[from] rocksdb::Error),
	/// A stored record does not decode.
	#[error("corrupt ledger record in {cf}: {err}")]
	Decode {
		/// The column family.
		cf: &'static str,
		/// What the decoder said.
		err: codec::Error,
	},
	/// A receipt or session for a ticket the ledger does not hold.
	#[error("receipt for unknown ticket {0}")]
	UnknownTicket(String),
	/// Pruning a window that is not finalized.
	#[error("window {0} is not finalized; its receipts are kept")]
	NotFinalized(WindowIndex),
	/// A stored key has the wrong shape (a ledger from an older version).
	#[error("corrupt ledger key in {cf}: {detail}")]
	Corrupt {
		/// The column family.
		cf: &'static str,
		/// What is wrong.
		detail: String,
	},
}

/// The ledger.
pub struct Ledger {
	db: DB,
	sync: bool,
}

impl std::fmt::Debug for Ledger {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Ledger").field("path", &self.db.path()).field("sync", &self.sync).finish()
	}
}

fn ticket_key(slot: Slot, id: &TicketId) -> [u8; 52] {
	let mut k = [0u8; 52];
	k[..36].copy_from_slice(&slot.tickets_prefix());
	k[36..].copy_from_slice(id);
	k
}

impl Ledger {
	/// Opens or creates the ledger at `path`. With `sync`, every receipt write
	/// is fsynced (survives power loss); without it, the WAL survives a crash
	/// or restart of the edge process.
	pub fn open(path: &Path, sync: bool) -> Result<Self, LedgerError> {
		let mut opts = Options::default();
		opts.create_if_missing(true);
		opts.create_missing_column_families(true);
		let cfs = [CF_TICKETS, CF_RECEIPTS, CF_WINDOWS, CF_STATES, CF_EARNINGS]
			.into_iter()
			.map(|n| ColumnFamilyDescriptor::new(n, Options::default()));
		let db = DB::open_cf_descriptors(&opts, path, cfs)?;
		Ok(Ledger { db, sync })
	}

	fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
		self.db.cf_handle(name).expect("column families are created on open")
	}

	fn write_opts(&self) -> WriteOptions {
		let mut w = WriteOptions::default();
		w.set_sync(self.sync);
		w
	}

	fn get<T: Decode>(&self, cf: &'static str, key: &[u8]) -> Result<Option<T>, LedgerError> {
		match self.db.get_cf(self.cf(cf), key)? {
			None => Ok(None),
			Some(v) => {
				T::decode(&mut &v[..]).map(Some).map_err(|err| LedgerError::Decode { cf, err })
			}
		}
	}

	/// Records a ticket the edge accepted (idempotent).
	pub fn record_ticket(&self, t: &SignedTicket) -> Result<(), LedgerError> {
		let slot = Slot::of(t);
		let mut b = WriteBatch::default();
		b.put_cf(self.cf(CF_TICKETS), t.ticket.ticket_id, t.encode());
		b.put_cf(self.cf(CF_WINDOWS), ticket_key(slot, &t.ticket.ticket_id), []);
		if self.state(slot)?.is_none() {
			b.put_cf(self.cf(CF_STATES), slot.key(), WindowState::Open.encode());
		}
		self.db.write_opt(b, &self.write_opts())?;
		Ok(())
	}

	/// The ticket with this id, if recorded.
	pub fn ticket(&self, id: &TicketId) -> Result<Option<SignedTicket>, LedgerError> {
		self.get(CF_TICKETS, id)
	}

	/// Stores `r` if it acknowledges more than the stored receipt of its
	/// ticket. Returns whether it was stored. Signatures are the caller's job
	/// (see [`crate::protocol::TicketSession::accept`]).
	pub fn record_receipt(&self, r: &SignedReceipt) -> Result<bool, LedgerError> {
		let id = r.receipt.ticket_id;
		if self.ticket(&id)?.is_none() {
			return Err(LedgerError::UnknownTicket(hex::encode(id)));
		}
		if let Some(best) = self.best_receipt(&id)? {
			if best.receipt.bytes_total >= r.receipt.bytes_total {
				return Ok(false);
			}
		}
		self.db.put_cf_opt(self.cf(CF_RECEIPTS), id, r.encode(), &self.write_opts())?;
		Ok(true)
	}

	/// The best receipt of a ticket.
	pub fn best_receipt(&self, id: &TicketId) -> Result<Option<SignedReceipt>, LedgerError> {
		self.get(CF_RECEIPTS, id)
	}

	/// The ids of the tickets of a slot's window and reporter (every part).
	fn slot_tickets(&self, slot: Slot) -> Result<Vec<TicketId>, LedgerError> {
		let prefix = slot.tickets_prefix();
		let mut out = Vec::new();
		for item in self.db.prefix_iterator_cf(self.cf(CF_WINDOWS), prefix) {
			let (k, _) = item?;
			if !k.starts_with(&prefix) {
				break;
			}
			out.push(k[36..52].try_into().expect("ticket keys are 52 bytes"));
		}
		Ok(out)
	}

	/// Every ticket of `slot`'s window and reporter (every part) that has a
	/// receipt, with its best receipt.
	pub fn receipts(&self, slot: Slot) -> Result<Vec<(SignedTicket, SignedReceipt)>, LedgerError> {
		self.receipts_of(&self.slot_tickets(slot)?)
	}

	/// Those of `tickets` that have a receipt, with their best receipts.
	pub fn receipts_of(
		&self,
		tickets: &[TicketId],
	) -> Result<Vec<(SignedTicket, SignedReceipt)>, LedgerError> {
		let mut out = Vec::new();
		for id in tickets {
			let (Some(t), Some(r)) = (self.ticket(id)?, self.best_receipt(id)?) else { continue };
			out.push((t, r));
		}
		Ok(out)
	}

	/// The latest expiry of any ticket of `slot` (receipted or not).
	pub fn expiry(&self, slot: Slot) -> Result<Option<u64>, LedgerError> {
		let mut max = None;
		for id in self.slot_tickets(slot)? {
			if let Some(t) = self.ticket(&id)? {
				max = Some(max.map_or(t.ticket.expires_at, |m: u64| m.max(t.ticket.expires_at)));
			}
		}
		Ok(max)
	}

	/// The state of a slot, if the ledger knows it.
	pub fn state(&self, slot: Slot) -> Result<Option<WindowState>, LedgerError> {
		self.get(CF_STATES, &slot.key())
	}

	/// Moves a slot to `state`.
	pub fn set_state(&self, slot: Slot, state: &WindowState) -> Result<(), LedgerError> {
		let mut w = WriteOptions::default();
		w.set_sync(true);
		self.db.put_cf_opt(self.cf(CF_STATES), slot.key(), state.encode(), &w)?;
		Ok(())
	}

	/// Claims `slot`'s window in `parts` (part `i` in slot part `i`), in one
	/// write: after a restart the window is either still open or claimed in
	/// every part.
	pub fn set_claimed(
		&self,
		slot: Slot,
		parts: Vec<(Claim, Vec<TicketId>)>,
	) -> Result<(), LedgerError> {
		let mut b = WriteBatch::default();
		for (claim, tickets) in parts {
			let key = slot.with_part(claim.part).key();
			b.put_cf(self.cf(CF_STATES), key, WindowState::Claimed { claim, tickets }.encode());
		}
		let mut w = WriteOptions::default();
		w.set_sync(true);
		self.db.write_opt(b, &w)?;
		Ok(())
	}

	/// Moves a slot to `Confirmed` and keeps what the reporter said about
	/// it, in one write.
	pub fn set_confirmed(
		&self,
		slot: Slot,
		att: Attestation,
		record: &pod_wire::replies::SlotRecord,
	) -> Result<(), LedgerError> {
		let json = serde_json::to_vec(record).expect("a record serializes");
		let mut b = WriteBatch::default();
		b.put_cf(self.cf(CF_STATES), slot.key(), WindowState::Confirmed(att).encode());
		b.put_cf(self.cf(CF_EARNINGS), slot.key(), json);
		let mut w = WriteOptions::default();
		w.set_sync(true);
		self.db.write_opt(b, &w)?;
		Ok(())
	}

	/// What the reporter confirmed of a slot, once it has.
	pub fn slot_record(
		&self,
		slot: Slot,
	) -> Result<Option<pod_wire::replies::SlotRecord>, LedgerError> {
		let Some(raw) = self.db.get_cf(self.cf(CF_EARNINGS), slot.key())? else { return Ok(None) };
		serde_json::from_slice(&raw)
			.map(Some)
			.map_err(|e| LedgerError::Corrupt { cf: CF_EARNINGS, detail: e.to_string() })
	}

	/// Every slot the ledger knows, with its state, newest window first.
	pub fn slots(&self) -> Result<Vec<(Slot, WindowState)>, LedgerError> {
		self.states(rocksdb::IteratorMode::End)
	}

	/// Every slot with its state, in `mode`'s order.
	fn states(&self, mode: rocksdb::IteratorMode) -> Result<Vec<(Slot, WindowState)>, LedgerError> {
		let mut out = Vec::new();
		for item in self.db.iterator_cf(self.cf(CF_STATES), mode) {
			let (k, v) = item?;
			let slot = Slot::from_key(&k).ok_or(LedgerError::Corrupt {
				cf: CF_STATES,
				detail: format!("a {}-byte key", k.len()),
			})?;
			let s = WindowState::decode(&mut &v[..])
				.map_err(|err| LedgerError::Decode { cf: CF_STATES, err })?;
			out.push((slot, s));
		}
		Ok(out)
	}

	/// The states of every part of `slot`'s window and reporter.
	fn part_states(&self, slot: Slot) -> Result<Vec<WindowState>, LedgerError> {
		let prefix = slot.tickets_prefix();
		let mut out = Vec::new();
		for item in self.db.prefix_iterator_cf(self.cf(CF_STATES), prefix) {
			let (k, v) = item?;
			if !k.starts_with(&prefix) {
				break;
			}
			let s = WindowState::decode(&mut &v[..])
				.map_err(|err| LedgerError::Decode { cf: CF_STATES, err })?;
			out.push(s);
		}
		Ok(out)
	}

	/// Slots not yet finalized (or closed unpaid), oldest window first.
	pub fn unsettled(&self) -> Result<Vec<(Slot, WindowState)>, LedgerError> {
		let mut all = self.states(rocksdb::IteratorMode::Start)?;
		all.retain(|(_, s)| {
			!matches!(s, WindowState::Finalized { .. } | WindowState::Unpaid { .. })
		});
		Ok(all)
	}

	/// Deletes the tickets and receipts of a finalized slot's window and
	/// reporter once every part of it is finalized (the states stay, so no
	/// part can be claimed again); until then keeps them and returns 0.
	pub fn prune(&self, slot: Slot) -> Result<usize, LedgerError> {
		if !matches!(self.state(slot)?, Some(WindowState::Finalized { .. })) {
			return Err(LedgerError::NotFinalized(slot.window));
		}
		let states = self.part_states(slot)?;
		if !states.iter().all(|s| matches!(s, WindowState::Finalized { .. })) {
			return Ok(0);
		}
		let ids = self.slot_tickets(slot)?;
		let mut b = WriteBatch::default();
		for id in &ids {
			b.delete_cf(self.cf(CF_TICKETS), id);
			b.delete_cf(self.cf(CF_RECEIPTS), id);
			b.delete_cf(self.cf(CF_WINDOWS), ticket_key(slot, id));
		}
		self.db.write_opt(b, &self.write_opts())?;
		Ok(ids.len())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pod_primitives::{keys, keys::keypair_from_seed, Receipt, Ticket};

	const G: [u8; 32] = [1; 32];

	fn ticket(n: u8, window: WindowIndex) -> SignedTicket {
		let t = Ticket {
			ticket_id: [n; 16],
			reporter: [0; 32],
			edge: [0; 32],
			client: keypair_from_seed(&[9; 32]).public.to_bytes(),
			content: [n % 2; 32],
			max_bytes: 1 << 30,
			window,
			expires_at: 0,
			grant: None,
		};
		keys::sign_ticket(&keypair_from_seed(&[8; 32]), &G, t)
	}

	fn receipt(n: u8, bytes: u64) -> SignedReceipt {
		let r = Receipt { ticket_id: [n; 16], bytes_total: bytes, chunks_verified: 0 };
		keys::sign_receipt(&keypair_from_seed(&[9; 32]), &G, r)
	}

	#[test]
	fn keeps_the_largest_receipt_across_restarts() {
		let dir = tempfile::tempdir().unwrap();
		{
			let l = Ledger::open(dir.path(), false).unwrap();
			l.record_ticket(&ticket(1, 5)).unwrap();
			assert!(l.record_receipt(&receipt(1, 100)).unwrap());
			assert!(l.record_receipt(&receipt(1, 300)).unwrap());
			assert!(!l.record_receipt(&receipt(1, 200)).unwrap());
			assert!(matches!(l.record_receipt(&receipt(2, 1)), Err(LedgerError::UnknownTicket(_))));
		}
		let l = Ledger::open(dir.path(), false).unwrap();
		assert_eq!(l.best_receipt(&[1; 16]).unwrap().unwrap().receipt.bytes_total, 300);
		assert_eq!(l.state(slot(5)).unwrap(), Some(WindowState::Open));
	}

	fn slot(window: WindowIndex) -> Slot {
		Slot { window, reporter: [0; 32], part: 0 }
	}

	#[test]
	fn windows_group_receipts_and_prune_only_when_final() {
		let dir = tempfile::tempdir().unwrap();
		let l = Ledger::open(dir.path(), true).unwrap();
		for n in 1..=3 {
			l.record_ticket(&ticket(n, 7)).unwrap();
			l.record_receipt(&receipt(n, n as u64 * 10)).unwrap();
		}
		l.record_ticket(&ticket(4, 8)).unwrap();
		l.record_receipt(&receipt(4, 1)).unwrap();
		let w7 = l.receipts(slot(7)).unwrap();
		assert_eq!(w7.len(), 3);
		let claim = crate::protocol::build_claim([0; 32], 7, &w7).unwrap();
		assert_eq!(claim.receipt_count, 3);
		assert!(matches!(l.prune(slot(7)), Err(LedgerError::NotFinalized(7))));
		l.set_state(slot(7), &WindowState::Claimed { claim, tickets: vec![] }).unwrap();
		assert_eq!(
			l.unsettled().unwrap().iter().map(|(s, _)| s.window).collect::<Vec<_>>(),
			vec![7, 8]
		);
		l.set_state(slot(7), &WindowState::Finalized { block: [3; 32] }).unwrap();
		assert_eq!(l.prune(slot(7)).unwrap(), 3);
		assert!(l.receipts(slot(7)).unwrap().is_empty());
		assert_eq!(l.receipts(slot(8)).unwrap().len(), 1);
		assert_eq!(l.unsettled().unwrap().len(), 1);
	}

	/// Tickets of two reporters in one window make two slots, each claimed
	/// and settled on its own.
	#[test]
	fn two_reporters_in_one_window_are_two_slots() {
		let dir = tempfile::tempdir().unwrap();
		let l = Ledger::open(dir.path(), false).unwrap();
		let mut other = ticket(2, 7);
		other.ticket.reporter = [5; 32];
		l.record_ticket(&ticket(1, 7)).unwrap();
		l.record_ticket(&other).unwrap();
		l.record_receipt(&receipt(1, 10)).unwrap();
		l.record_receipt(&receipt(2, 20)).unwrap();
		let a = l.receipts(slot(7)).unwrap();
		let b = l.receipts(Slot { window: 7, reporter: [5; 32], part: 0 }).unwrap();
		assert_eq!((a.len(), a[0].1.receipt.bytes_total), (1, 10));
		assert_eq!((b.len(), b[0].1.receipt.bytes_total), (1, 20));
		assert_eq!(l.unsettled().unwrap().len(), 2);
	}

	/// A window claimed in parts: each part has its own state, and the
	/// window's rows are kept until the last part is finalized.
	#[test]
	fn parts_settle_separately_and_prune_together() {
		let dir = tempfile::tempdir().unwrap();
		let l = Ledger::open(dir.path(), false).unwrap();
		for n in 1..=5 {
			l.record_ticket(&ticket(n, 7)).unwrap();
			l.record_receipt(&receipt(n, 10)).unwrap();
		}
		let all = l.receipts(slot(7)).unwrap();
		let limits = crate::protocol::PartLimits { contents: 64, receipts: 2 };
		let parts = crate::protocol::split_claims([0; 32], 7, &all, limits).unwrap();
		assert_eq!(parts.len(), 3);
		l.set_claimed(slot(7), parts.clone()).unwrap();
		let open = l.unsettled().unwrap();
		assert_eq!(open.iter().map(|(s, _)| s.part).collect::<Vec<_>>(), vec![0, 1, 2]);
		let (_, tickets) = &parts[1];
		assert_eq!(l.receipts_of(tickets).unwrap().len(), 2);
		let done = WindowState::Finalized { block: [1; 32] };
		l.set_state(slot(7), &done).unwrap();
		assert_eq!(l.prune(slot(7)).unwrap(), 0, "parts 1 and 2 still need the receipts");
		l.set_state(slot(7).with_part(1), &done).unwrap();
		l.set_state(slot(7).with_part(2), &done).unwrap();
		assert_eq!(l.prune(slot(7).with_part(2)).unwrap(), 5);
		assert!(l.receipts(slot(7)).unwrap().is_empty());
		assert!(l.unsettled().unwrap().is_empty());
	}

	#[test]
	fn what_the_reporter_confirmed_outlives_the_receipts() {
		use pod_primitives::{Attestation, AttestationPayload};
		use pod_wire::api::{Reduction, ReductionReason};
		let dir = tempfile::tempdir().unwrap();
		let l = Ledger::open(dir.path(), true).unwrap();
		for n in 1..=3 {
			l.record_ticket(&ticket(n, 7)).unwrap();
			l.record_receipt(&receipt(n, n as u64 * 10)).unwrap();
		}
		l.record_ticket(&ticket(4, 8)).unwrap();
		let claim =
			crate::protocol::build_claim([0; 32], 7, &l.receipts(slot(7)).unwrap()).unwrap();
		let payload = AttestationPayload {
			edge: claim.edge,
			window: claim.window,
			part: claim.part,
			entries: claim.entries.clone(),
			receipts_root: claim.receipts_root,
			receipt_count: claim.receipt_count,
		};
		let att = Attestation {
			payload,
			edge_signature: [0; 64],
			reporter: [0; 32],
			reporter_signature: [0; 64],
		};
		let cut = Reduction {
			reason: ReductionReason::CappedByMaxBytes,
			ticket: Some("01".repeat(16)),
			content: None,
			claimed: 30,
			confirmed: 20,
			detail: "the ticket allows 20 bytes".into(),
		};
		let record = pod_wire::replies::SlotRecord {
			receipts: 3,
			claimed_bytes: 60,
			confirmed_bytes: 50,
			reductions: vec![cut],
			disputes: 0,
		};
		assert_eq!(l.slot_record(slot(7)).unwrap(), None);
		l.set_confirmed(slot(7), att, &record).unwrap();
		assert!(matches!(l.state(slot(7)).unwrap(), Some(WindowState::Confirmed(_))));
		l.set_state(slot(7), &WindowState::Finalized { block: [3; 32] }).unwrap();
		assert_eq!(l.prune(slot(7)).unwrap(), 3);
		drop(l);
		// Reopened, with the receipts gone: the reporter's word is kept.
		let l = Ledger::open(dir.path(), true).unwrap();
		assert!(l.receipts(slot(7)).unwrap().is_empty());
		assert_eq!(l.slot_record(slot(7)).unwrap(), Some(record));
		let windows: Vec<_> = l.slots().unwrap().iter().map(|(s, _)| s.window).collect();
		assert_eq!(windows, vec![8, 7], "newest first");
	}
}
