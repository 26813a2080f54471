//! The reporter's durable state (RocksDB, the same build the edge and the
//! node link). Everything a confirmation depends on is written before the
//! answer that relies on it leaves the reporter.
//!
//! Column families:
//! - `contents`: content id → SCALE `(manifest, origin)`
//! - `edges`: edge key → JSON [`EdgeRecord`]
//! - `tickets`: ticket id → SCALE `SignedTicket`
//! - `window_tickets`: window (BE) ‖ edge ‖ ticket id → expiry (BE u64)
//! - `reports`: ticket id → SCALE best client `SignedReceipt`
//! - `confirmations`: edge ‖ window (BE) ‖ part (BE) → JSON `ConfirmResponse`
//! - `confirmed_tickets`: ticket id → the part (BE) that confirmed it
//! - `heat`: content ‖ window (BE) → requests (BE u64)
//! - `grants`: grant id → bytes allowed to its tickets so far (BE u64)
//! - `grant_tickets`: grant id ‖ ticket id → expiry (BE u64), while the
//!   ticket's unused allowance has not been given back to its grant
//! - `grant_budgets`: grant id → its budget (BE u64), from the grant
//! - `grant_paid`: grant id → bytes confirmed under it so far (BE u64),
//!   written with the confirmations that pay them
//!
//! A database from an earlier version may hold column families this one no
//! longer uses; they are opened and left alone. Windows older than the
//! reporter's `retain_windows` are deleted as the chain moves on
//! ([`Store::prune_before`]); grants' books stay.

use codec::{Decode, Encode};
use pod_primitives::{
	ContentId, GrantId, PartIndex, PublicKey, SignedReceipt, SignedTicket, TicketId, WindowIndex,
};
pub use pod_wire::replies::EdgeRecord;
use rocksdb::{ColumnFamilyDescriptor, Options, WriteBatch, WriteOptions, DB};
use std::collections::BTreeMap;
use std::path::Path;

const CFS: [&str; 12] = [
	"contents",
	"edges",
	"tickets",
	"window_tickets",
	"reports",
	"confirmations",
	"confirmed_tickets",
	"heat",
	"grants",
	"grant_tickets",
	"grant_budgets",
	"grant_paid",
];

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	/// RocksDB failed.
	#[error("reporter database: {0}")]
	Db(#[from] rocksdb::Error),
	/// A stored record does not decode.
	#[error("corrupt record in {cf}: {detail}")]
	Corrupt {
		/// The column family.
		cf: &'static str,
		/// What is wrong.
		detail: String,
	},
}

/// The store.
pub struct Store {
	db: DB,
	/// The `edges` column family in memory (written through): scheduling
	/// ranks every live edge on each request, which must not mean a scan
	/// and a JSON decode of every record.
	edges: std::sync::RwLock<BTreeMap<PublicKey, EdgeRecord>>,
}

impl std::fmt::Debug for Store {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Store").field("path", &self.db.path()).finish()
	}
}

fn synced() -> WriteOptions {
	let mut w = WriteOptions::default();
	w.set_sync(true);
	w
}

fn confirmation_key(edge: &PublicKey, window: WindowIndex, part: PartIndex) -> Vec<u8> {
	key2(&key2(edge, &window.to_be_bytes()), &part.to_be_bytes())
}

/// The big-endian window at byte `at` of a key.
fn window_of(k: &[u8], at: usize) -> Result<WindowIndex, StoreError> {
	let w = k.get(at..at + 4).ok_or_else(|| StoreError::Corrupt {
		cf: "window-keyed",
		detail: format!("a {}-byte key has no window at {at}", k.len()),
	})?;
	Ok(WindowIndex::from_be_bytes(w.try_into().expect("4 bytes")))
}

fn key2(a: &[u8], b: &[u8]) -> Vec<u8> {
	let mut k = Vec::with_capacity(a.len() + b.len());
	k.extend_from_slice(a);
	k.extend_from_slice(b);
	k
}

impl Store {
	/// Opens or creates the store at `path`.
	pub fn open(path: &Path) -> Result<Self, StoreError> {
		let mut opts = Options::default();
		opts.create_if_missing(true);
		opts.create_missing_column_families(true);
		let mut names: Vec<String> = CFS.iter().map(|n| n.to_string()).collect();
		for old in DB::list_cf(&opts, path).unwrap_or_default() {
			if !names.contains(&old) {
				names.push(old);
			}
		}
		let cfs = names.into_iter().map(|n| ColumnFamilyDescriptor::new(n, Options::default()));
		let db = DB::open_cf_descriptors(&opts, path, cfs)?;
		let edges = Self::read_edges(&db)?;
		Ok(Store { db, edges: std::sync::RwLock::new(edges) })
	}

	fn read_edges(db: &DB) -> Result<BTreeMap<PublicKey, EdgeRecord>, StoreError> {
		let cf = db.cf_handle("edges").expect("column families are created on open");
		let mut out = BTreeMap::new();
		for item in db.iterator_cf(cf, rocksdb::IteratorMode::Start) {
			let (k, v) = item?;
			let key: PublicKey = k[..].try_into().map_err(|_| StoreError::Corrupt {
				cf: "edges",
				detail: "key is not 32 bytes".into(),
			})?;
			let rec = serde_json::from_slice(&v)
				.map_err(|e| StoreError::Corrupt { cf: "edges", detail: e.to_string() })?;
			out.insert(key, rec);
		}
		Ok(out)
	}

	/// A big-endian `u64` value, if the key is present.
	fn get_u64(&self, cf: &'static str, k: &[u8]) -> Result<Option<u64>, StoreError> {
		let Some(v) = self.db.get_cf(self.cf(cf), k)? else { return Ok(None) };
		let b: [u8; 8] = v[..]
			.try_into()
			.map_err(|_| StoreError::Corrupt { cf, detail: format!("{} bytes, not 8", v.len()) })?;
		Ok(Some(u64::from_be_bytes(b)))
	}

	fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
		self.db.cf_handle(name).expect("column families are created on open")
	}

	fn get_scale<T: Decode>(&self, cf: &'static str, k: &[u8]) -> Result<Option<T>, StoreError> {
		match self.db.get_cf(self.cf(cf), k)? {
			None => Ok(None),
			Some(v) => T::decode(&mut &v[..])
				.map(Some)
				.map_err(|e| StoreError::Corrupt { cf, detail: e.to_string() }),
		}
	}

	/// Registers (or updates) a content's manifest and origin.
	pub fn put_content(
		&self,
		id: &ContentId,
		manifest: &[u8],
		origin: &str,
	) -> Result<(), StoreError> {
		let v = (manifest.to_vec(), origin.as_bytes().to_vec()).encode();
		Ok(self.db.put_cf_opt(self.cf("contents"), id, v, &synced())?)
	}

	/// A content's manifest bytes and origin.
	pub fn content(&self, id: &ContentId) -> Result<Option<(Vec<u8>, String)>, StoreError> {
		Ok(self
			.get_scale::<(Vec<u8>, Vec<u8>)>("contents", id)?
			.map(|(m, o)| (m, String::from_utf8_lossy(&o).into_owned())))
	}

	/// Every edge record (from memory).
	pub fn edges(&self) -> Result<Vec<(PublicKey, EdgeRecord)>, StoreError> {
		let edges = self.edges.read().expect("edges");
		Ok(edges.iter().map(|(k, r)| (*k, r.clone())).collect())
	}

	/// One edge's record (from memory).
	pub fn edge(&self, key: &PublicKey) -> Result<Option<EdgeRecord>, StoreError> {
		Ok(self.edges.read().expect("edges").get(key).cloned())
	}

	/// Writes an edge record, durably and then in memory.
	pub fn put_edge(&self, key: &PublicKey, rec: &EdgeRecord) -> Result<(), StoreError> {
		let v = serde_json::to_vec(rec).expect("edge records serialize");
		self.db.put_cf(self.cf("edges"), key, v)?;
		self.edges.write().expect("edges").insert(*key, rec.clone());
		Ok(())
	}

	/// Records issued tickets durably (before they are handed out).
	pub fn put_tickets(&self, tickets: &[SignedTicket]) -> Result<(), StoreError> {
		let mut b = WriteBatch::default();
		for t in tickets {
			let t_ = &t.ticket;
			b.put_cf(self.cf("tickets"), t_.ticket_id, t.encode());
			let k = key2(&key2(&t_.window.to_be_bytes(), &t_.edge), &t_.ticket_id);
			b.put_cf(self.cf("window_tickets"), k, t_.expires_at.to_be_bytes());
			if let Some(g) = t_.grant {
				let k = key2(&g, &t_.ticket_id);
				b.put_cf(self.cf("grant_tickets"), k, t_.expires_at.to_be_bytes());
			}
		}
		Ok(self.db.write_opt(b, &synced())?)
	}

	/// Gives back to grant `id` the allowance its expired tickets did not
	/// use, as their viewer's reports say: every ticket that expired before
	/// `now` and whose client reported a receipt keeps the reported bytes of
	/// its allowance and returns the rest, in one write with the grant's new
	/// total; tickets without a report keep their whole allowance. A ticket
	/// gives back once. Nothing here limits what a ticket is paid: a viewer
	/// that reported less than it signed gets more allowance, and the
	/// grant's budget then holds at confirmation ([`Store::grant_left`]).
	/// Returns the grant's bytes still allowed.
	pub fn close_expired(&self, id: &GrantId, now: u64) -> Result<u64, StoreError> {
		let mut used = self.grant_used(id)?;
		let mut b = WriteBatch::default();
		for item in self.db.prefix_iterator_cf(self.cf("grant_tickets"), id) {
			let (k, v) = item?;
			if !k.starts_with(id) {
				break;
			}
			let expiry = u64::from_be_bytes(v[..].try_into().map_err(|_| StoreError::Corrupt {
				cf: "grant_tickets",
				detail: "expiry is not 8 bytes".into(),
			})?);
			let ticket: TicketId = k[32..].try_into().map_err(|_| StoreError::Corrupt {
				cf: "grant_tickets",
				detail: format!("a {}-byte key", k.len()),
			})?;
			if expiry > now {
				continue;
			}
			let (Some(t), Some(r)) = (self.ticket(&ticket)?, self.report(&ticket)?) else {
				continue;
			};
			let kept = r.receipt.bytes_total.min(t.ticket.max_bytes);
			used = used.saturating_sub(t.ticket.max_bytes - kept);
			b.delete_cf(self.cf("grant_tickets"), &k);
		}
		b.put_cf(self.cf("grants"), id, used.to_be_bytes());
		self.db.write_opt(b, &synced())?;
		Ok(used)
	}

	/// Bytes already allowed to tickets under grant `id`.
	pub fn grant_used(&self, id: &GrantId) -> Result<u64, StoreError> {
		Ok(self.get_u64("grants", id)?.unwrap_or(0))
	}

	/// Records, durably and in one write, grant `id`'s `budget` and the
	/// bytes now allowed to its tickets.
	pub fn reserve_grant(&self, id: &GrantId, budget: u64, used: u64) -> Result<(), StoreError> {
		let mut b = WriteBatch::default();
		b.put_cf(self.cf("grants"), id, used.to_be_bytes());
		b.put_cf(self.cf("grant_budgets"), id, budget.to_be_bytes());
		Ok(self.db.write_opt(b, &synced())?)
	}

	/// Bytes grant `id` may still be paid: its budget less what
	/// confirmations paid under it; 0 for a grant never reserved.
	pub fn grant_left(&self, id: &GrantId) -> Result<u64, StoreError> {
		let budget = self.get_u64("grant_budgets", id)?.unwrap_or(0);
		Ok(budget.saturating_sub(self.grant_paid(id)?))
	}

	/// Bytes confirmations paid under grant `id` so far.
	pub fn grant_paid(&self, id: &GrantId) -> Result<u64, StoreError> {
		Ok(self.get_u64("grant_paid", id)?.unwrap_or(0))
	}

	/// A ticket this reporter issued.
	pub fn ticket(&self, id: &TicketId) -> Result<Option<SignedTicket>, StoreError> {
		self.get_scale("tickets", id)
	}

	/// The latest expiry of the tickets issued to `edge` for `window`.
	pub fn window_expiry(
		&self,
		window: WindowIndex,
		edge: &PublicKey,
	) -> Result<Option<u64>, StoreError> {
		let prefix = key2(&window.to_be_bytes(), edge);
		let mut max = None;
		for item in self.db.prefix_iterator_cf(self.cf("window_tickets"), &prefix) {
			let (k, v) = item?;
			if !k.starts_with(&prefix) {
				break;
			}
			let e = u64::from_be_bytes(v[..8].try_into().map_err(|_| StoreError::Corrupt {
				cf: "window_tickets",
				detail: "expiry is not 8 bytes".into(),
			})?);
			max = Some(max.map_or(e, |m: u64| m.max(e)));
		}
		Ok(max)
	}

	/// Stores a client's receipt if it acknowledges more than the stored one.
	pub fn put_report(&self, r: &SignedReceipt) -> Result<bool, StoreError> {
		let id = r.receipt.ticket_id;
		if let Some(best) = self.report(&id)? {
			if best.receipt.bytes_total >= r.receipt.bytes_total {
				return Ok(false);
			}
		}
		self.db.put_cf_opt(self.cf("reports"), id, r.encode(), &synced())?;
		Ok(true)
	}

	/// Marks a ticket's edge as reported lying; false if it already was, so
	/// one ticket can cost its edge reputation only once.
	pub fn mark_lying(&self, id: &TicketId) -> Result<bool, StoreError> {
		let k = key2(b"L", id);
		if self.db.get_cf(self.cf("reports"), &k)?.is_some() {
			return Ok(false);
		}
		self.db.put_cf(self.cf("reports"), k, [])?;
		Ok(true)
	}

	/// The best receipt the ticket's client reported itself.
	pub fn report(&self, id: &TicketId) -> Result<Option<SignedReceipt>, StoreError> {
		self.get_scale("reports", id)
	}

	/// The stored confirmation of part `part` of `(edge, window)` (JSON).
	pub fn confirmation(
		&self,
		edge: &PublicKey,
		window: WindowIndex,
		part: PartIndex,
	) -> Result<Option<Vec<u8>>, StoreError> {
		Ok(self.db.get_cf(self.cf("confirmations"), confirmation_key(edge, window, part))?)
	}

	/// Stores the confirmation of part `part` of `(edge, window)`, marks
	/// the `tickets` it paid as confirmed in that part and adds what it pays
	/// under each grant (`grant_paid`) to the grant's total, in one write;
	/// the same answer is given again to every later request for that part.
	/// The caller serializes confirmations that pay under the same grants.
	pub fn put_confirmation(
		&self,
		(edge, window, part): (&PublicKey, WindowIndex, PartIndex),
		tickets: &[TicketId],
		grant_paid: &BTreeMap<GrantId, u64>,
		json: &[u8],
	) -> Result<(), StoreError> {
		let mut b = WriteBatch::default();
		b.put_cf(self.cf("confirmations"), confirmation_key(edge, window, part), json);
		for t in tickets {
			b.put_cf(self.cf("confirmed_tickets"), t, part.to_be_bytes());
		}
		for (g, bytes) in grant_paid {
			let total = self.grant_paid(g)?.saturating_add(*bytes);
			b.put_cf(self.cf("grant_paid"), g, total.to_be_bytes());
		}
		Ok(self.db.write_opt(b, &synced())?)
	}

	/// The part in which a ticket was confirmed, if it was.
	pub fn confirmed_in(&self, ticket: &TicketId) -> Result<Option<PartIndex>, StoreError> {
		let Some(v) = self.db.get_cf(self.cf("confirmed_tickets"), ticket)? else {
			return Ok(None);
		};
		let bytes: [u8; 2] = v[..].try_into().map_err(|_| StoreError::Corrupt {
			cf: "confirmed_tickets",
			detail: format!("a {}-byte part", v.len()),
		})?;
		Ok(Some(PartIndex::from_be_bytes(bytes)))
	}

	/// Adds one request to a content's heat in `window`; returns the new count.
	pub fn bump_heat(&self, content: &ContentId, window: WindowIndex) -> Result<u64, StoreError> {
		let k = key2(content, &window.to_be_bytes());
		let n = self.heat(content, window)? + 1;
		self.db.put_cf(self.cf("heat"), k, n.to_be_bytes())?;
		Ok(n)
	}

	/// Deletes what is kept for windows before `before`: their tickets and
	/// every per-ticket record (reports, accusation marks, the part that
	/// confirmed them, their grant entries), the confirmations and the heat.
	/// Grants' totals stay (a grant outlives windows; its budget must hold).
	/// Returns the tickets deleted.
	pub fn prune_before(&self, before: WindowIndex) -> Result<u64, StoreError> {
		let mut tickets = 0;
		let mut b = WriteBatch::default();
		for item in self.db.iterator_cf(self.cf("window_tickets"), rocksdb::IteratorMode::Start) {
			let (k, _) = item?;
			if window_of(&k, 0)? >= before {
				break;
			}
			let id: TicketId = k[36..].try_into().map_err(|_| StoreError::Corrupt {
				cf: "window_tickets",
				detail: format!("a {}-byte key", k.len()),
			})?;
			self.forget_ticket(&mut b, &id)?;
			b.delete_cf(self.cf("window_tickets"), &k);
			tickets += 1;
		}
		for (cf, at) in [("confirmations", 32), ("heat", 32)] {
			for item in self.db.iterator_cf(self.cf(cf), rocksdb::IteratorMode::Start) {
				let (k, _) = item?;
				if window_of(&k, at)? < before {
					b.delete_cf(self.cf(cf), &k);
				}
			}
		}
		self.db.write(b)?;
		Ok(tickets)
	}

	/// Adds to `b` the deletion of ticket `id` and its per-ticket records.
	fn forget_ticket(&self, b: &mut WriteBatch, id: &TicketId) -> Result<(), StoreError> {
		if let Some(g) = self.ticket(id)?.and_then(|t| t.ticket.grant) {
			b.delete_cf(self.cf("grant_tickets"), key2(&g, id));
		}
		b.delete_cf(self.cf("tickets"), id);
		b.delete_cf(self.cf("reports"), id);
		b.delete_cf(self.cf("reports"), key2(b"L", id));
		b.delete_cf(self.cf("confirmed_tickets"), id);
		Ok(())
	}

	/// Requests for a content in `window`.
	pub fn heat(&self, content: &ContentId, window: WindowIndex) -> Result<u64, StoreError> {
		let k = key2(content, &window.to_be_bytes());
		Ok(self
			.db
			.get_cf(self.cf("heat"), k)?
			.and_then(|v| v[..].try_into().ok().map(u64::from_be_bytes))
			.unwrap_or(0))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pod_primitives::{keys, keys::keypair_from_seed, Receipt, Ticket};

	/// Ticket `[n; 16]` for edge `[2; 32]` and content `[4; 32]`, 1,000 bytes.
	fn granted_ticket(
		n: u8,
		window: u32,
		expires_at: u64,
		grant: Option<[u8; 32]>,
	) -> SignedTicket {
		let t = Ticket {
			ticket_id: [n; 16],
			reporter: [0; 32],
			edge: [2; 32],
			client: [3; 32],
			content: [4; 32],
			max_bytes: 1_000,
			window,
			expires_at,
			grant,
		};
		keys::sign_ticket(&keypair_from_seed(&[1; 32]), &[0; 32], t)
	}

	/// The viewer's report of `bytes` received under ticket `[n; 16]`.
	fn client_report(n: u8, bytes: u64) -> SignedReceipt {
		let r = Receipt { ticket_id: [n; 16], bytes_total: bytes, chunks_verified: 0 };
		keys::sign_receipt(&keypair_from_seed(&[5; 32]), &[0; 32], r)
	}

	#[test]
	fn survives_reopen() {
		let dir = tempfile::tempdir().unwrap();
		let t = Ticket {
			ticket_id: [1; 16],
			reporter: [0; 32],
			edge: [2; 32],
			client: [3; 32],
			content: [4; 32],
			max_bytes: 10,
			window: 9,
			expires_at: 1234,
			grant: None,
		};
		let st = keys::sign_ticket(&keypair_from_seed(&[1; 32]), &[0; 32], t.clone());
		{
			let s = Store::open(dir.path()).unwrap();
			s.put_content(&[4; 32], b"manifest", "http://o/x").unwrap();
			s.put_tickets(std::slice::from_ref(&st)).unwrap();
			let mut t2 = st.clone();
			t2.ticket.ticket_id = [2; 16];
			t2.ticket.expires_at = 999;
			s.put_tickets(&[t2]).unwrap();
			let r = |b| {
				keys::sign_receipt(
					&keypair_from_seed(&[5; 32]),
					&[0; 32],
					Receipt { ticket_id: [1; 16], bytes_total: b, chunks_verified: 0 },
				)
			};
			assert!(s.put_report(&r(5)).unwrap());
			assert!(!s.put_report(&r(4)).unwrap());
			let paid = BTreeMap::from([([7; 32], 40)]);
			s.put_confirmation((&[2; 32], 9, 1), &[[5; 16]], &paid, b"{}").unwrap();
			s.put_confirmation((&[2; 32], 9, 2), &[[6; 16]], &paid, b"{}").unwrap();
			s.reserve_grant(&[7; 32], 100, 60).unwrap();
			assert_eq!(s.bump_heat(&[4; 32], 9).unwrap(), 1);
			assert_eq!(s.bump_heat(&[4; 32], 9).unwrap(), 2);
			s.put_edge(&[2; 32], &EdgeRecord { url: "http://e".into(), ..Default::default() })
				.unwrap();
		}
		let s = Store::open(dir.path()).unwrap();
		assert_eq!(s.content(&[4; 32]).unwrap().unwrap().1, "http://o/x");
		assert_eq!(s.ticket(&[1; 16]).unwrap(), Some(st));
		assert_eq!(s.window_expiry(9, &[2; 32]).unwrap(), Some(1234));
		assert_eq!(s.window_expiry(9, &[3; 32]).unwrap(), None);
		assert_eq!(s.report(&[1; 16]).unwrap().unwrap().receipt.bytes_total, 5);
		assert_eq!(s.confirmation(&[2; 32], 9, 1).unwrap().as_deref(), Some(&b"{}"[..]));
		assert_eq!(s.confirmation(&[2; 32], 9, 0).unwrap(), None);
		assert_eq!(s.confirmed_in(&[5; 16]).unwrap(), Some(1));
		assert_eq!(s.confirmed_in(&[6; 16]).unwrap(), Some(2));
		assert_eq!(s.confirmed_in(&[8; 16]).unwrap(), None);
		assert_eq!((s.grant_paid(&[7; 32]).unwrap(), s.grant_left(&[7; 32]).unwrap()), (80, 20));
		assert_eq!(s.grant_used(&[7; 32]).unwrap(), 60);
		assert_eq!(s.grant_left(&[8; 32]).unwrap(), 0, "a grant never reserved has nothing");
		assert_eq!(s.heat(&[4; 32], 9).unwrap(), 2);
		assert_eq!(s.edges().unwrap().len(), 1);
	}

	/// Pruning deletes every record of the windows before the cutoff and
	/// nothing of the later ones.
	#[test]
	fn old_windows_are_pruned_and_later_ones_kept() {
		let dir = tempfile::tempdir().unwrap();
		let s = Store::open(dir.path()).unwrap();
		for (n, w) in [(1, 3), (2, 3), (3, 9)] {
			s.put_tickets(&[granted_ticket(n, w, 10, Some([7; 32]))]).unwrap();
			s.put_report(&client_report(n, 5)).unwrap();
			s.mark_lying(&[n; 16]).unwrap();
			s.put_confirmation((&[2; 32], w, 0), &[[n; 16]], &BTreeMap::new(), b"{}").unwrap();
			s.bump_heat(&[4; 32], w).unwrap();
		}
		s.reserve_grant(&[7; 32], 3_000, 3_000).unwrap();
		assert_eq!(s.prune_before(9).unwrap(), 2);
		for n in [1, 2] {
			assert_eq!(s.ticket(&[n; 16]).unwrap(), None);
			assert_eq!(s.report(&[n; 16]).unwrap(), None);
			assert_eq!(s.confirmed_in(&[n; 16]).unwrap(), None);
			assert!(s.mark_lying(&[n; 16]).unwrap(), "the accusation mark went too");
		}
		assert_eq!(s.confirmation(&[2; 32], 3, 0).unwrap(), None);
		assert_eq!(
			(s.heat(&[4; 32], 3).unwrap(), s.window_expiry(3, &[2; 32]).unwrap()),
			(0, None)
		);
		// Window 9 is untouched; the grant's books too.
		assert!(s.ticket(&[3; 16]).unwrap().is_some() && s.report(&[3; 16]).unwrap().is_some());
		assert_eq!(s.confirmed_in(&[3; 16]).unwrap(), Some(0));
		assert!(s.confirmation(&[2; 32], 9, 0).unwrap().is_some());
		assert_eq!(
			(s.heat(&[4; 32], 9).unwrap(), s.window_expiry(9, &[2; 32]).unwrap()),
			(1, Some(10))
		);
		assert_eq!(s.grant_used(&[7; 32]).unwrap(), 3_000);
		let open: Vec<_> =
			s.db.iterator_cf(s.cf("grant_tickets"), rocksdb::IteratorMode::Start).collect();
		assert_eq!(open.len(), 1, "only window 9's ticket is still open under the grant");
		assert_eq!(s.prune_before(9).unwrap(), 0, "pruning again deletes nothing");
	}

	/// A renewal takes back the unused allowance of expired, reported
	/// tickets of its grant only (the reported receipt, never above
	/// `max_bytes`, stays allowed), once per ticket; it never touches what
	/// the grant may be paid.
	#[test]
	fn renewal_gives_back_what_expired_tickets_did_not_use() {
		let dir = tempfile::tempdir().unwrap();
		let s = Store::open(dir.path()).unwrap();
		let g = [7; 32];
		// 1: expired, reported 300 → 700 back. 2: expired, never reported →
		// keeps its 1,000. 3: reported but not expired. 4: another grant's.
		// 5: expired, reported above max_bytes → nothing back.
		let ts = [
			granted_ticket(1, 9, 100, Some(g)),
			granted_ticket(2, 9, 100, Some(g)),
			granted_ticket(3, 9, 900, Some(g)),
			granted_ticket(4, 9, 100, Some([8; 32])),
			granted_ticket(5, 9, 100, Some(g)),
		];
		s.put_tickets(&ts).unwrap();
		s.reserve_grant(&g, 4_000, 4_000).unwrap();
		for (n, b) in [(1, 300), (3, 10), (4, 0), (5, 5_000)] {
			s.put_report(&client_report(n, b)).unwrap();
		}
		assert_eq!(s.close_expired(&g, 500).unwrap(), 3_300);
		assert_eq!(s.grant_left(&g).unwrap(), 4_000, "what may be paid is unchanged");
		// A later, larger report does not take back anything more; nothing is
		// given back twice.
		s.put_report(&client_report(1, 900)).unwrap();
		assert_eq!(s.close_expired(&g, 500).unwrap(), 3_300);
		assert_eq!(s.grant_used(&g).unwrap(), 3_300);
		// Once 3 expires, its report closes it too.
		assert_eq!(s.close_expired(&g, 1_000).unwrap(), 2_310);
	}
}
