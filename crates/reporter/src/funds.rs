//! The money behind tickets (issue #24 point 3): a ticket is a promise that
//! its edge is paid for what it delivers under it, so the reporter issues
//! tickets only against money that will be there when they settle, and
//! reserves each ticket's worth before handing it out.
//!
//! What the chain will charge for a window's deliveries is bounded by the
//! customer's escrow, its spending limit, the content's budget, this
//! reporter's cap and the customer's share of it (`pallet_pod`'s
//! `charge_entry`). The chain applies a lowered limit or budget only from
//! the next window, and a withdrawal only after `WithdrawalDelay`, so what
//! the chain shows now still holds for the tickets of the current window;
//! the reporter reserves against it:
//!
//! - escrow, less any withdrawal requested, less what this reporter
//!   reserved in the current and the previous window (the previous
//!   window's tickets may not have settled yet; once they have, they are
//!   counted twice, which only refuses early);
//! - the spending limit and the content's budget, less what it reserved in
//!   the current window (both are per window delivered);
//! - its cap and the customer's share of it, less what it reserved in the
//!   current window (the chain counts them per window settled: a window's
//!   tickets settle in the next one).
//!
//! Tickets are fitted to what is left: the last ones shrink first, in whole
//! chunks, and one that cannot hold a chunk is not issued; a schedule with
//! no ticket left is refused with the limit that ran out. Reservations are
//! not given back when a ticket is used only in part: the reporter errs
//! towards refusing, never towards promising money that is not there.
//! Several reporters each reserve against the same escrow; the chain then
//! pays in the order attestations settle (`docs/design.md` §8).

use pod_primitives::{settlement, ContentId, WindowIndex};
use std::collections::HashMap;
use std::sync::Mutex;

/// A customer's account id on chain.
pub type Customer = [u8; 32];

/// The limit a schedule ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
	/// The customer's escrow (less requested withdrawals).
	Escrow,
	/// The customer's spending limit per window.
	SpendLimit,
	/// The content's budget per window.
	ContentBudget,
	/// This reporter's cap per window.
	ReporterCap,
	/// The customer's share of this reporter's cap.
	CustomerShare,
}

impl Limit {
	/// How the limit is named in messages.
	pub fn name(self) -> &'static str {
		match self {
			Limit::Escrow => "the customer's escrow",
			Limit::SpendLimit => "the customer's spending limit for the window",
			Limit::ContentBudget => "the content's budget for the window",
			Limit::ReporterCap => "this reporter's cap for the window",
			Limit::CustomerShare => "the customer's share of this reporter's cap",
		}
	}
}

/// What the chain says bounds the charges of one schedule's tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
	/// The window the tickets are for.
	pub window: WindowIndex,
	/// Who pays.
	pub customer: Customer,
	/// The content.
	pub content: ContentId,
	/// Its price per GiB.
	pub price_per_gib: u128,
	/// The customer's escrow less its requested withdrawal.
	pub escrow: u128,
	/// The customer's spending limit per window, if any.
	pub spend_limit: Option<u128>,
	/// The content's budget per window, if any.
	pub budget: Option<u128>,
	/// This reporter's cap per window and one customer's share of it.
	pub cap: Option<(u128, u128)>,
}

impl Terms {
	/// Terms that bound nothing (a reporter without a chain, in tests).
	pub fn unbounded(window: WindowIndex, customer: Customer, content: ContentId) -> Self {
		Terms {
			window,
			customer,
			content,
			price_per_gib: 0,
			escrow: u128::MAX,
			spend_limit: None,
			budget: None,
			cap: None,
		}
	}
}

/// Money reserved per window.
#[derive(Default)]
struct Books {
	customer: HashMap<(WindowIndex, Customer), u128>,
	content: HashMap<(WindowIndex, ContentId), u128>,
	total: HashMap<WindowIndex, u128>,
}

/// What this reporter has reserved for the tickets it issued.
#[derive(Default)]
pub struct Reserved(Mutex<Books>);

impl Reserved {
	/// Fits `allowances` (bytes per ticket, for a content in chunks of
	/// `chunk`) to the money `terms` leave, reserves their worth and
	/// returns them; a ticket is kept only if it allows at least `least`
	/// bytes. `Err` names the limit that left no ticket.
	pub fn reserve(
		&self,
		terms: &Terms,
		allowances: &[u64],
		chunk: u64,
		least: u64,
	) -> Result<Vec<u64>, Limit> {
		let mut books = self.0.lock().expect("funds lock");
		books.forget_before(terms.window.saturating_sub(1));
		let (room, limit) = books.room(terms);
		let out = fit(allowances, room, terms.price_per_gib, chunk, least);
		if out.is_empty() {
			return Err(limit);
		}
		let cost: u128 = out.iter().map(|b| worth(*b, terms.price_per_gib)).sum();
		books.add(terms, cost);
		Ok(out)
	}

	/// What is reserved for `customer` in `window` (tests and status).
	pub fn of_customer(&self, window: WindowIndex, customer: &Customer) -> u128 {
		let books = self.0.lock().expect("funds lock");
		books.customer.get(&(window, *customer)).copied().unwrap_or(0)
	}
}

impl Books {
	/// The money left under the tightest limit, and that limit.
	fn room(&self, t: &Terms) -> (u128, Limit) {
		let w = t.window;
		let of = |w: WindowIndex| self.customer.get(&(w, t.customer)).copied().unwrap_or(0);
		let customer_now = of(w);
		let customer_recent = customer_now.saturating_add(of(w.wrapping_sub(1)));
		let content = self.content.get(&(w, t.content)).copied().unwrap_or(0);
		let total = self.total.get(&w).copied().unwrap_or(0);
		let left =
			|limit: Option<u128>, used: u128| limit.map_or(u128::MAX, |l| l.saturating_sub(used));
		let rooms = [
			(t.escrow.saturating_sub(customer_recent), Limit::Escrow),
			(left(t.spend_limit, customer_now), Limit::SpendLimit),
			(left(t.budget, content), Limit::ContentBudget),
			(left(t.cap.map(|c| c.0), total), Limit::ReporterCap),
			(left(t.cap.map(|c| c.1), customer_now), Limit::CustomerShare),
		];
		rooms.into_iter().min_by_key(|(left, _)| *left).expect("five limits")
	}

	fn add(&mut self, t: &Terms, cost: u128) {
		let w = t.window;
		*self.customer.entry((w, t.customer)).or_default() += cost;
		*self.content.entry((w, t.content)).or_default() += cost;
		*self.total.entry(w).or_default() += cost;
	}

	/// Drops the books of windows before `oldest`: their tickets are
	/// bounded by what the chain already settled.
	fn forget_before(&mut self, oldest: WindowIndex) {
		self.customer.retain(|(w, _), _| *w >= oldest);
		self.content.retain(|(w, _), _| *w >= oldest);
		self.total.retain(|w, _| *w >= oldest);
	}
}

/// What a ticket allowing `bytes` may charge at most: the price rounded
/// up (each settled entry is priced rounded down, so this is never less
/// than the ticket's part of a charge).
fn worth(bytes: u64, price_per_gib: u128) -> u128 {
	match settlement::price(bytes, price_per_gib) {
		p if bytes == 0 || price_per_gib == 0 => p,
		p => p.saturating_add(1),
	}
}

/// The most bytes `money` pays for at `price_per_gib` (any number at a
/// price of zero).
fn affordable(money: u128, price_per_gib: u128) -> u64 {
	if price_per_gib == 0 {
		return u64::MAX;
	}
	let bytes = settlement::mul_div_floor(money, settlement::GIB, price_per_gib);
	u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// `allowances` fitted to `money` at `price_per_gib`, earlier tickets
/// first: a ticket cut short is rounded down to whole chunks, and one below
/// `least` is dropped with every ticket after it.
fn fit(
	allowances: &[u64],
	mut money: u128,
	price_per_gib: u128,
	chunk: u64,
	least: u64,
) -> Vec<u64> {
	let chunk = chunk.max(1);
	let mut out = Vec::new();
	for &a in allowances {
		// `worth` rounds up by one unit: leave it room.
		let most = money.checked_sub(1).map_or(0, |m| affordable(m, price_per_gib));
		let mut b = a.min(most);
		if b < a {
			b -= b % chunk;
		}
		if b < least.max(1) {
			break;
		}
		out.push(b);
		money = money.saturating_sub(worth(b, price_per_gib));
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	const GIB: u64 = 1 << 30;
	const MIB: u64 = 1 << 20;

	fn terms(price: u128) -> Terms {
		Terms {
			window: 7,
			customer: [1; 32],
			content: [2; 32],
			price_per_gib: price,
			escrow: u128::MAX,
			spend_limit: None,
			budget: None,
			cap: None,
		}
	}

	/// Money for 2.5 MiB: of three tickets of 2 MiB, the first keeps its
	/// 2 MiB, the second is cut to what is left in whole chunks (none: 0.5
	/// MiB is less than a chunk) and the schedule gets one ticket; the next
	/// schedule gets none and learns which limit ran out.
	#[test]
	fn tickets_are_fitted_to_the_money_left_and_refused_beyond_it() {
		let r = Reserved::default();
		let price = 1 << 30; // 1 per byte
		let t = Terms { budget: Some(5 * MIB as u128 / 2), ..terms(price) };
		assert_eq!(r.reserve(&t, &[2 * MIB; 3], MIB, MIB), Ok(vec![2 * MIB]));
		assert_eq!(r.reserve(&t, &[2 * MIB; 3], MIB, MIB), Err(Limit::ContentBudget));
		// The next window has its own budget.
		let next = Terms { window: 8, ..t.clone() };
		assert_eq!(r.reserve(&next, &[MIB; 2], MIB, MIB), Ok(vec![MIB, MIB]));
	}

	/// Every limit is enforced, the tightest named: escrow over this window
	/// and the last, the spending limit and the share per customer, the cap
	/// across customers.
	#[test]
	fn the_tightest_limit_decides() {
		let price = 1 << 30;
		let m = |n: u64| (n * MIB) as u128;
		let cases = [
			(Terms { escrow: m(3), ..terms(price) }, Limit::Escrow),
			(Terms { spend_limit: Some(m(3)), ..terms(price) }, Limit::SpendLimit),
			(Terms { budget: Some(m(3)), ..terms(price) }, Limit::ContentBudget),
			(Terms { cap: Some((m(3), m(10))), ..terms(price) }, Limit::ReporterCap),
			(Terms { cap: Some((m(10), m(3))), ..terms(price) }, Limit::CustomerShare),
		];
		for (t, limit) in cases {
			let r = Reserved::default();
			assert_eq!(r.reserve(&t, &[MIB; 2], MIB, MIB).map(|v| v.len()), Ok(2), "{limit:?}");
			assert_eq!(r.reserve(&t, &[MIB; 2], MIB, MIB), Err(limit), "{limit:?}");
		}
		// Escrow counts the previous window's tickets too (they may not have
		// settled); the spending limit does not.
		let r = Reserved::default();
		let t = Terms { escrow: m(3), spend_limit: Some(m(3)), ..terms(price) };
		assert!(r.reserve(&t, &[2 * MIB], MIB, MIB).is_ok());
		let next = Terms { window: 8, ..t.clone() };
		assert_eq!(r.reserve(&next, &[MIB], MIB, MIB), Err(Limit::Escrow));
		let r = Reserved::default();
		let t = Terms { escrow: m(100), ..t };
		assert!(r.reserve(&t, &[2 * MIB], MIB, MIB).is_ok());
		let next = Terms { window: 8, ..t };
		assert_eq!(r.reserve(&next, &[2 * MIB], MIB, MIB), Ok(vec![2 * MIB]));
	}

	/// What is reserved never falls short of what the chain would charge
	/// for the bytes the tickets allow, however they are merged into
	/// entries (the chain prices an entry's total, rounded down), and never
	/// exceeds the money there was.
	#[test]
	fn reservations_cover_every_charge_they_allow() {
		for (price, money, sizes) in [
			(7u128, u128::MAX, vec![GIB, 3, 5 * MIB + 1]),
			(1_000_003, u128::MAX, vec![MIB + 7; 3]),
			(1_000_003, 2_000_000, vec![MIB + 7; 3]),
			(3, 10, vec![GIB, GIB]),
		] {
			let r = Reserved::default();
			let t = Terms { escrow: money, ..terms(price) };
			let out = r.reserve(&t, &sizes, 1, 1).unwrap();
			let reserved = r.of_customer(7, &t.customer);
			let merged = settlement::price(out.iter().sum(), price);
			assert!(reserved >= merged, "{out:?}: {reserved} < {merged}");
			assert!(reserved <= money, "{out:?}: {reserved} > {money}");
		}
	}

	/// Nothing is bounded at a price of zero or without limits.
	#[test]
	fn unbounded_terms_fit_everything() {
		let r = Reserved::default();
		let t = Terms::unbounded(1, [0; 32], [0; 32]);
		assert_eq!(r.reserve(&t, &[GIB; 3], MIB, MIB), Ok(vec![GIB; 3]));
	}

	/// Reserving is one step under the lock: however many schedules race
	/// for one budget, what they are given never adds up to more than it.
	#[test]
	fn racing_schedules_never_reserve_more_than_there_is() {
		let r = std::sync::Arc::new(Reserved::default());
		let price = 1 << 30; // one unit per byte
		let budget = 10 * MIB as u128 + 7;
		let t = Terms { budget: Some(budget), ..terms(price) };
		let given: u128 = std::thread::scope(|s| {
			let runs: Vec<_> = (0..8)
				.map(|_| {
					let (r, t) = (r.clone(), t.clone());
					s.spawn(move || {
						(0..20)
							.filter_map(|_| r.reserve(&t, &[MIB; 3], MIB, MIB).ok())
							.flatten()
							.map(|b| worth(b, price))
							.sum::<u128>()
					})
				})
				.collect();
			runs.into_iter().map(|h| h.join().unwrap()).sum()
		});
		assert_eq!(given, r.of_customer(7, &t.customer));
		assert!(given <= budget && budget - given < worth(MIB, price), "{given} of {budget}");
	}
}
