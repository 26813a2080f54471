//! Who the reporter schedules: viewers holding the publisher's grant, or
//! anyone for a content its customer opened (with an on-chain budget).
//!
//! A grant is checked against the chain's record: signed by the key the
//! customer named (`set_grant_key`), for one of that customer's contents, for
//! this viewer and this reporter, not expired. Its byte budget is counted
//! here: every ticket issued under it reserves its `max_bytes` first, so all
//! tickets of one grant together never allow more than the budget.

use crate::error::ReporterError;
use crate::funds::Terms;
use crate::service::Reporter;
use pod_chain::{Chain, ChainContent, ChainEdge};
use pod_primitives::{ContentId, GrantId, PublicKey, SignedGrant};
use pod_wire::clock::now_ms;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a record read from the chain is trusted before it is read again.
const RECORD_TTL: Duration = Duration::from_secs(6);

/// A cached record: the value (or its absence) and when it was read;
/// `None` for a record set by hand, which never expires.
type Entry<T> = (Option<T>, Option<Instant>);

/// Cached reads of the chain by key.
struct Cached<T>(Mutex<HashMap<[u8; 32], Entry<T>>>);

impl<T> Default for Cached<T> {
	fn default() -> Self {
		Cached(Mutex::new(HashMap::new()))
	}
}

impl<T: Clone> Cached<T> {
	fn pin(&self, key: [u8; 32], value: T) {
		self.0.lock().expect("records lock").insert(key, (Some(value), None));
	}

	/// The record under `key`: from the cache while fresh, else read with
	/// `read` (nothing without a chain) and cached.
	async fn get<F>(&self, key: &[u8; 32], read: Option<F>) -> Result<Option<T>, ReporterError>
	where
		F: std::future::Future<Output = Result<Option<T>, pod_chain::ChainError>>,
	{
		let hit =
			self.0.lock().expect("records lock").get(key).and_then(|(v, at)| {
				at.is_none_or(|at| at.elapsed() < RECORD_TTL).then(|| v.clone())
			});
		if let Some(v) = hit {
			return Ok(v);
		}
		let Some(read) = read else { return Ok(None) };
		let v = read.await?;
		self.0.lock().expect("records lock").insert(*key, (v.clone(), Some(Instant::now())));
		Ok(v)
	}
}

/// The chain's records the reporter schedules by: contents (owner, size,
/// openness, budget), customers' grant keys and edges, read through a short
/// cache. Without a chain (tests) they are whatever [`Records::set_content`]
/// and [`Records::set_grant_key`] put there.
#[derive(Default)]
pub struct Records {
	chain: Option<Chain>,
	contents: Cached<ChainContent>,
	grant_keys: Cached<PublicKey>,
	edges: Cached<ChainEdge>,
	funds: Cached<Funds>,
	caps: Cached<(u128, u128)>,
}

/// What a customer's deliveries may charge, as the chain says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Funds {
	/// Its escrow less the withdrawal it requested.
	pub escrow: u128,
	/// Its spending limit per window, if any.
	pub spend_limit: Option<u128>,
}

impl Records {
	/// Records read from `chain` (or only set by hand without one).
	pub fn new(chain: Option<Chain>) -> Self {
		Records { chain, ..Default::default() }
	}

	/// Sets a content's record (for a reporter without a chain).
	pub fn set_content(&self, id: ContentId, c: ChainContent) {
		self.contents.pin(id, c);
	}

	/// Sets a customer's grant key (for a reporter without a chain).
	pub fn set_grant_key(&self, customer: [u8; 32], key: PublicKey) {
		self.grant_keys.pin(customer, key);
	}

	/// Sets a customer's funds (for a reporter without a chain).
	pub fn set_funds(&self, customer: [u8; 32], f: Funds) {
		self.funds.pin(customer, f);
	}

	/// A customer's funds; `None` without a chain (nothing bounds them).
	pub async fn funds(&self, customer: &[u8; 32]) -> Result<Option<Funds>, ReporterError> {
		let read = self.chain.as_ref().map(|c| async move {
			let escrow = c.escrow(customer).await?;
			let asked = c.pending_withdrawal(customer).await?.map_or(0, |w| w.amount);
			let spend_limit = c.spend_limit(customer).await?;
			Ok(Some(Funds { escrow: escrow.saturating_sub(asked), spend_limit }))
		});
		self.funds.get(customer, read).await
	}

	/// `reporter`'s cap per window and one customer's share of it
	/// (`MaxCustomerShare`); `None` without a chain, or for a key the chain
	/// does not know (then nothing it co-signs is paid anyway).
	pub async fn cap(&self, reporter: &PublicKey) -> Result<Option<(u128, u128)>, ReporterError> {
		let read = self.chain.as_ref().map(|c| async move {
			let Some((_, cap)) = c.reporters().await?.into_iter().find(|(k, _)| k == reporter)
			else {
				return Ok(None);
			};
			let share_ppb: u32 = c.constant("Pod", "MaxCustomerShare").await?;
			let share = pod_primitives::settlement::mul_div_floor(
				cap,
				share_ppb.into(),
				pod_primitives::settlement::BILLION,
			);
			Ok(Some((cap, share)))
		});
		self.caps.get(reporter, read).await
	}

	/// A content as the chain records it.
	pub async fn content(&self, id: &ContentId) -> Result<Option<ChainContent>, ReporterError> {
		self.contents.get(id, self.chain.as_ref().map(|c| c.content(id))).await
	}

	/// Why the chain does not let `edge` serve in `window`, if it does not:
	/// unregistered, or leaving. Without a chain (tests) every edge may.
	pub async fn edge_refusal(
		&self,
		edge: &PublicKey,
		window: pod_primitives::WindowIndex,
	) -> Result<Option<&'static str>, ReporterError> {
		let Some(chain) = &self.chain else { return Ok(None) };
		Ok(match self.edges.get(edge, Some(chain.edge(edge))).await? {
			None => Some("it is not registered on chain"),
			Some(e) if e.leaving.is_some_and(|(from, _)| from <= window) => {
				Some("it left the chain's edge set")
			}
			Some(e) if e.bond == 0 => Some("it has no bond on chain"),
			Some(_) => None,
		})
	}

	/// The edge as its owner registered it on chain (cached), if the
	/// reporter follows a chain and the edge is registered.
	pub async fn bonded_edge(
		&self,
		edge: &PublicKey,
	) -> Result<Option<pod_chain::ChainEdge>, ReporterError> {
		let Some(chain) = &self.chain else { return Ok(None) };
		self.edges.get(edge, Some(chain.edge(edge))).await
	}

	/// The key a customer's grants must be signed with.
	pub async fn grant_key(&self, customer: &[u8; 32]) -> Result<Option<PublicKey>, ReporterError> {
		self.grant_keys.get(customer, self.chain.as_ref().map(|c| c.grant_key(customer))).await
	}
}

/// Under what a schedule is admitted.
#[derive(Debug, Clone)]
pub enum Admission {
	/// The publisher's grant, checked.
	Grant(Box<SignedGrant>),
	/// The content is open to anyone (within its on-chain budget).
	Open,
}

impl Admission {
	/// The grant id tickets carry.
	pub fn grant_id(&self) -> Option<GrantId> {
		match self {
			Admission::Grant(g) => Some(g.grant.id()),
			Admission::Open => None,
		}
	}
}

impl Reporter {
	/// The content's chain record, if it is payable: registered and not retired.
	pub(crate) async fn payable(&self, id: &ContentId) -> Result<ChainContent, ReporterError> {
		let not =
			|why: &str| ReporterError::NotOnChain { content: hex::encode(id), why: why.into() };
		let c = self.records.content(id).await?.ok_or_else(|| not("it is not registered"))?;
		if c.retired_from.is_some_and(|from| from <= self.window()) {
			return Err(not("it is retired"));
		}
		Ok(c)
	}

	/// What bounds the charges of tickets for `content` (recorded as
	/// `record`) in `window`: its customer's funds, its budget, this
	/// reporter's cap and the customer's share of it.
	pub(crate) async fn terms(
		&self,
		content: &ContentId,
		record: &ChainContent,
		window: pod_primitives::WindowIndex,
	) -> Result<Terms, ReporterError> {
		let funds = self.records.funds(&record.owner).await?;
		Ok(Terms {
			window,
			customer: record.owner,
			content: *content,
			price_per_gib: record.price_per_gib,
			escrow: funds.map_or(u128::MAX, |f| f.escrow),
			spend_limit: funds.and_then(|f| f.spend_limit),
			budget: record.budget,
			cap: self.records.cap(&self.public).await?,
		})
	}

	/// Admits `client` to `content` under `grant` (hex SCALE), or without
	/// one if the content is open.
	pub(crate) async fn admit(
		&self,
		grant: Option<&str>,
		content: &ContentId,
		client: &PublicKey,
		record: &ChainContent,
	) -> Result<Admission, ReporterError> {
		let Some(hex) = grant else {
			return if record.open {
				Ok(Admission::Open)
			} else {
				Err(ReporterError::GrantRequired(hex::encode(content)))
			};
		};
		let g: SignedGrant = pod_wire::hex::scale("grant", hex)?;
		self.check_grant(&g, content, client, record).await?;
		Ok(Admission::Grant(Box::new(g)))
	}

	async fn check_grant(
		&self,
		g: &SignedGrant,
		content: &ContentId,
		client: &PublicKey,
		record: &ChainContent,
	) -> Result<(), ReporterError> {
		let refuse = |why: String| Err(ReporterError::GrantRefused(why));
		let t = &g.grant;
		if t.reporter != self.public {
			return refuse(format!("it names reporter {}", hex::encode(t.reporter)));
		}
		if &t.viewer != client {
			return refuse("it is for another viewer key".into());
		}
		if !t.contents.contains(content) {
			return refuse("it does not cover this content".into());
		}
		if record.owner != t.customer {
			return refuse("the content belongs to another customer than the grant's".into());
		}
		if t.expires_at <= now_ms() {
			return refuse(format!("it expired at {} ms", t.expires_at));
		}
		let Some(key) = self.records.grant_key(&t.customer).await? else {
			return refuse("the customer names no grant key on chain".into());
		};
		if !g.verify(&key, &self.genesis) {
			return refuse("it is not signed by the customer's grant key for this chain".into());
		}
		Ok(())
	}

	/// The `max_bytes` of each of `n` tickets for a content: at most
	/// [`ticket_cap`] (so a viewer cannot take the whole content from the
	/// one edge it prefers, issue #24), and under a grant the budget left
	/// split evenly in whole chunks (a ticket allowing less than a chunk
	/// could not serve one), reserved before the tickets exist. Tickets that would allow
	/// less than a chunk are not issued, so the result may be shorter than
	/// `n`. The grant's expired tickets its viewer reported a receipt for
	/// give back first the allowance their reports say they did not use (a
	/// viewer renewing its tickets in the next window,
	/// [`crate::store::Store::close_expired`]); what the grant is paid stays
	/// within its budget at confirmation whatever the viewer reported.
	pub(crate) fn allowances(
		&self,
		admission: &Admission,
		manifest: &pod_primitives::Manifest,
		n: usize,
		terms: &Terms,
	) -> Result<Vec<u64>, ReporterError> {
		let size = manifest.size;
		let cap = ticket_cap(size, manifest.chunk_size, n);
		let Admission::Grant(g) = admission else {
			return self.fund(terms, manifest, &vec![cap; n]);
		};
		let id = g.grant.id();
		let budget = g.grant.budget;
		let _g = self.grants_lock.lock().expect("grants lock");
		let used = self.store.close_expired(&id, now_ms())?;
		let out: Vec<u64> = split_budget(budget.saturating_sub(used), size, manifest.chunk_size, n)
			.into_iter()
			.map(|a| a.min(cap))
			.collect();
		if out.is_empty() {
			return Err(ReporterError::GrantExhausted { grant: hex::encode(id), budget });
		}
		let out = self.fund(terms, manifest, &out)?;
		self.store.reserve_grant(&id, budget, used + out.iter().sum::<u64>())?;
		Ok(out)
	}

	/// `allowances` fitted to the money `terms` leave and reserved
	/// ([`crate::funds`]); refused with the limit that left no ticket.
	fn fund(
		&self,
		terms: &Terms,
		manifest: &pod_primitives::Manifest,
		allowances: &[u64],
	) -> Result<Vec<u64>, ReporterError> {
		let chunk = u64::from(manifest.chunk_size.max(1));
		let least = chunk.min(manifest.size).max(1);
		self.reserved
			.reserve(terms, allowances, chunk, least)
			.map_err(|limit| ReporterError::Unfunded { content: hex::encode(terms.content), limit })
	}
}

/// What one of `n` tickets for a content of `size` in chunks of `chunk`
/// may allow: the whole content alone; with others, enough for any `n - 1`
/// of them to finish the download if one edge fails (its share of the size
/// in whole chunks, plus one chunk for the client's uneven spread). A
/// viewer who favours one edge then takes at most `n / (n - 1)` of that
/// edge's fair share of its downloads (1.5 with the default 3 edges).
pub(crate) fn ticket_cap(size: u64, chunk: u32, n: usize) -> u64 {
	let chunk = u64::from(chunk.max(1));
	let others = (n.max(2) - 1) as u64;
	match n {
		0 | 1 => size,
		_ => size
			.div_ceil(others)
			.div_ceil(chunk)
			.saturating_mul(chunk)
			.saturating_add(chunk)
			.min(size),
	}
}

/// `left` bytes split over at most `n` tickets for a content of `size` in
/// chunks of `chunk`: shares rounded up to whole chunks, each at most the
/// size; a remainder below one chunk (or below the whole content, if that is
/// smaller) goes to the tickets already made, up to the size each, so that
/// a grant of exactly the content's size allows one whole download (the
/// content's last chunk is usually shorter than the others: 4 MiB + 777 B
/// in 1 MiB chunks is two tickets of 2 MiB and 2 MiB + 777 B, not two of
/// 2 MiB that cannot finish it).
fn split_budget(left: u64, size: u64, chunk: u32, n: usize) -> Vec<u64> {
	let chunk = u64::from(chunk.max(1));
	let least = chunk.min(size).max(1);
	let share = left.div_ceil(n.max(1) as u64).div_ceil(chunk).saturating_mul(chunk).min(size);
	let mut out = Vec::new();
	let mut rest = left;
	while out.len() < n {
		let a = share.min(rest);
		if a < least {
			break;
		}
		out.push(a);
		rest -= a;
	}
	for a in out.iter_mut().rev() {
		let more = rest.min(size - *a);
		*a += more;
		rest -= more;
	}
	out
}

#[cfg(test)]
mod tests {
	use super::{split_budget, ticket_cap};

	/// A ticket alone allows the whole content; among others, half of it
	/// (in whole chunks) plus a chunk with three, so two can finish if one
	/// fails; never more than the size.
	#[test]
	fn tickets_are_capped_so_any_but_one_can_finish() {
		const MIB: u64 = 1 << 20;
		assert_eq!(ticket_cap(24 * MIB, 1 << 20, 1), 24 * MIB);
		assert_eq!(ticket_cap(24 * MIB, 1 << 20, 3), 13 * MIB);
		assert_eq!(ticket_cap(24 * MIB + 5, 1 << 20, 3), 14 * MIB);
		assert_eq!(ticket_cap(24 * MIB, 1 << 20, 4), 9 * MIB);
		assert_eq!(ticket_cap(3 * MIB, 1 << 20, 2), 3 * MIB);
		assert_eq!(ticket_cap(100, 1 << 20, 3), 100);
		for (size, n) in [(24 * MIB + 5, 3), (7 * MIB, 4), (MIB + 1, 3), (5, 2)] {
			let cap = ticket_cap(size, 1 << 20, n);
			assert!(
				cap * (n as u64 - 1) >= size,
				"{n} tickets of {cap} cannot lose one for {size}"
			);
		}
	}

	#[test]
	fn budgets_split_in_whole_chunks() {
		const MIB: u64 = 1 << 20;
		// 2 × (1 MiB + 5) over 3 edges: two tickets of a whole chunk each
		// (not three of 0.67 MiB, none of which could serve chunk 0), and
		// the 10 bytes left on them.
		assert_eq!(split_budget(2 * (MIB + 5), MIB + 5, 1 << 20, 3), vec![MIB + 5, MIB + 5]);
		// Enough for everyone: even shares in whole chunks, at most the size.
		assert_eq!(split_budget(9 * MIB, 3 * MIB, 1 << 20, 3), vec![3 * MIB; 3]);
		assert_eq!(split_budget(6 * MIB, 3 * MIB, 1 << 20, 3), vec![2 * MIB; 3]);
		// A content smaller than a chunk needs only its size.
		assert_eq!(split_budget(100, 40, 1 << 20, 3), vec![40, 40]);
		// Less than one chunk left: nothing.
		assert!(split_budget(MIB - 1, 3 * MIB, 1 << 20, 2).is_empty());
		assert!(split_budget(0, 3 * MIB, 1 << 20, 2).is_empty());
	}

	/// A publisher's natural grant, exactly the content's size, always
	/// allows one whole download over the default three edges: the tickets
	/// add up to the size and hold every chunk (before, 4 MiB + 777 B became
	/// two tickets of 2 MiB, and renewing them was `grant_exhausted`).
	#[test]
	fn a_grant_of_exactly_the_size_finishes_one_download() {
		const MIB: u64 = 1 << 20;
		for size in [4 * MIB + 777, MIB + 1, 3 * MIB, 7 * MIB - 1, 100, 24 * MIB + 5] {
			for n in 1..=4 {
				let tickets = split_budget(size, size, 1 << 20, n);
				let capped: Vec<u64> =
					tickets.iter().map(|a| *a.min(&ticket_cap(size, 1 << 20, n))).collect();
				assert_eq!(capped.iter().sum::<u64>(), size, "{size} over {n}: {capped:?}");
				assert!(holds_every_chunk(&capped, size, MIB), "{size} over {n}: {capped:?}");
			}
		}
	}

	/// Whether the content's chunks (largest first) fit in the tickets'
	/// allowances.
	fn holds_every_chunk(tickets: &[u64], size: u64, chunk: u64) -> bool {
		let mut left = tickets.to_vec();
		let mut chunks: Vec<u64> =
			(0..size.div_ceil(chunk)).map(|i| chunk.min(size - i * chunk)).collect();
		chunks.sort_unstable_by(|a, b| b.cmp(a));
		chunks.into_iter().all(|c| match left.iter_mut().find(|l| **l >= c) {
			Some(l) => {
				*l -= c;
				true
			}
			None => false,
		})
	}
}
