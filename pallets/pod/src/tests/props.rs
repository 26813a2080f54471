//! Property tests: the books balance after any sequence of calls.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Op {
	Deposit(u64, u128),
	Withdraw(u64, u128),
	Claim(u64),
	Attest {
		edge: u8,
		reporter: u8,
		window_back: u32,
		/// The window's part (a window settled in parts).
		part: u16,
		entries: Vec<(u8, u64)>,
	},
	Redeem(u64, u128),
	Complete(u64),
	Advance(u64),
	TransferAttempt,
	/// Its owner retires content `n` (its entries are then skipped).
	Retire(u8),
	/// A customer sets (or lifts) its per-window spending limit.
	SpendLimit(u64, Option<u128>),
	/// Content `n`'s owner sets (or lifts) its per-window budget.
	Budget(u8, Option<u128>),
	/// Root revokes the rogue reporter: what it co-signed and has not vested
	/// is voided.
	Revoke,
}

fn op() -> impl Strategy<Value = Op> {
	let who = prop_oneof![Just(CUSTOMER), Just(OTHER)];
	prop_oneof![
		(who.clone(), 0u128..5_000_000).prop_map(|(w, a)| Op::Deposit(w, a)),
		(who.clone(), 0u128..5_000_000).prop_map(|(w, a)| Op::Withdraw(w, a)),
		who.clone().prop_map(Op::Claim),
		(
			prop_oneof![Just(EDGE), Just(EDGE2)],
			prop_oneof![Just(REPORTER), Just(ROGUE)],
			0u32..5,
			0u16..3,
			// Index 3 is a content nobody registered: skipped, never paid.
			proptest::collection::vec((0u8..4, 0u64..(3 * GIB)), 0..4)
		)
			.prop_map(|(edge, reporter, window_back, part, entries)| Op::Attest {
				edge,
				reporter,
				window_back,
				part,
				entries
			}),
		(prop_oneof![Just(EDGE_OWNER), Just(OTHER)], 0u128..3_000_000)
			.prop_map(|(w, a)| Op::Redeem(w, a)),
		(0u64..4).prop_map(Op::Complete),
		(1u64..25).prop_map(Op::Advance),
		Just(Op::TransferAttempt),
		(0u8..3).prop_map(Op::Retire),
		(who.clone(), proptest::option::of(0u128..3_000_000))
			.prop_map(|(w, l)| Op::SpendLimit(w, l)),
		(0u8..3, proptest::option::of(0u128..3_000_000)).prop_map(|(c, b)| Op::Budget(c, b)),
		Just(Op::Revoke),
	]
}

/// The rogue reporter's cap per window.
const ROGUE_CAP: u128 = 2_000_000;

/// Credits an owner has or will have when its pending settlements vest.
fn earned() -> BTreeMap<u64, u128> {
	let mut m: BTreeMap<u64, u128> = Credits::<Test>::iter().collect();
	for (who, u) in Unvested::<Test>::iter() {
		*m.entry(who).or_default() += u;
	}
	m.retain(|_, v| *v > 0);
	m
}

/// Credits of the pending settlements that voiding would take back at `now`.
fn due_voids(now: u64) -> Vec<(u64, u128)> {
	crate::Pending::<Test>::iter_values()
		.filter(|p| p.vests_at <= now && crate::Revoked::<Test>::contains_key(p.reporter))
		.map(|p| (p.owner, p.credits))
		.collect()
}

/// An id no customer registers.
const UNKNOWN: [u8; 32] = [0xD; 32];

const CONTENTS: [([u8; 32], u64, u128); 3] =
	[([0xA; 32], CUSTOMER, 1_000_000), ([0xB; 32], CUSTOMER, 333_333), ([0xC; 32], OTHER, 7)];

proptest! {
	#![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

	/// Whatever happens, the books balance, native issuance is conserved,
	/// credits (vested or not) change only by settlement, redemption or a
	/// voided settlement, no reporter charges above its cap in a window (its
	/// customers' shares adding up to what it charged), no edge settles more
	/// than its capacity in a window across reporters and parts (voided
	/// settlements giving theirs back), and no budget or limit can be set without keeping the books
	/// balanced.
	#[test]
	fn books_always_balance(ops in proptest::collection::vec(op(), 1..40)) {
		new_test_ext().execute_with(|| {
			register_edge(EDGE);
			assert_ok!(Pod::register_edge(RuntimeOrigin::signed(OTHER), public(EDGE2), vec![], CAPACITY, edge_proof(EDGE2, OTHER)));
			for (id, owner, price) in CONTENTS {
				assert_ok!(Pod::register_content(RuntimeOrigin::signed(owner), id, GIB, price, vec![]));
			}
			assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), ROGUE_CAP));
			let issuance = Balances::total_issuance();
			for op in ops {
				let mut expected = earned();
				match op {
					Op::Deposit(w, a) => { let _ = Pod::deposit(RuntimeOrigin::signed(w), a); },
					Op::Withdraw(w, a) => { let _ = Pod::withdraw(RuntimeOrigin::signed(w), a); },
					Op::Claim(w) => { let _ = Pod::claim_withdrawal(RuntimeOrigin::signed(w)); },
					Op::Attest { edge, reporter, window_back, part, entries } => {
						let w = Pod::current_window().saturating_sub(window_back);
						let id = |c: u8| CONTENTS.get(c as usize).map_or(UNKNOWN, |x| x.0);
						let entries: Vec<_> = entries.iter().map(|(c, b)| (id(*c), *b)).collect();
						let owner = Edges::<Test>::get(public(edge)).unwrap().owner;
						let mut p = payload(edge, w, &entries);
						p.part = part;
						let a = sign_with(p, edge, reporter, DomainTag::Attestation, Pod::genesis_hash());
						if submit(a).is_ok() {
							let rec = Settled::<Test>::get((w, public(edge), public(reporter), part)).unwrap();
							prop_assert_eq!(rec.charged, rec.fee + rec.credits);
							*expected.entry(owner).or_default() += rec.credits;
						}
					},
					Op::Redeem(w, a) => {
						if Pod::redeem(RuntimeOrigin::signed(w), a).is_ok() {
							*expected.entry(w).or_default() -= a;
						}
					},
					Op::Complete(id) => { let _ = Pod::complete_redemption(RuntimeOrigin::root(), id); },
					Op::Advance(n) => {
						let now = System::block_number() + n;
						System::set_block_number(now);
						for (owner, credits) in due_voids(now) {
							*expected.entry(owner).or_default() -= credits;
						}
						Pod::process_pending(now, Weight::MAX);
					},
					Op::SpendLimit(w, l) => { assert_ok!(Pod::set_spend_limit(RuntimeOrigin::signed(w), l)); },
					Op::Budget(c, b) => {
						let (id, owner, _) = CONTENTS[c as usize];
						assert_ok!(Pod::set_content_policy(RuntimeOrigin::signed(owner), id, b, false));
					},
					Op::Revoke => { let _ = Pod::revoke_reporter(RuntimeOrigin::root(), public(ROGUE)); },
					Op::Retire(c) => {
						let (id, owner, _) = CONTENTS[c as usize];
						let _ = Pod::remove_content(RuntimeOrigin::signed(owner), id);
					},
					// There is no call that moves credits; a native transfer must not touch them.
					Op::TransferAttempt => {
						let _ = Balances::transfer_allow_death(RuntimeOrigin::signed(EDGE_OWNER), OTHER, 1);
					},
				}
				expected.retain(|_, v| *v > 0);
				prop_assert_eq!(&earned(), &expected);
				for (w, _, spent) in crate::ReporterSpend::<Test>::iter().filter(|(_, r, _)| *r == public(ROGUE)) {
					prop_assert!(spent <= ROGUE_CAP, "window {}: {} over the cap", w, spent);
				}
				// A reporter's spend is its customers' shares, exactly
				// (also after a void gave both back).
				for (w, r, spent) in crate::ReporterSpend::<Test>::iter() {
					let shares: u128 = crate::CustomerSpend::<Test>::iter_prefix(w)
						.filter(|((rep, _), _)| *rep == r)
						.map(|(_, s)| s)
						.sum();
					prop_assert_eq!(spent, shares);
				}
				// Parts and reporters together never settle more than an
				// edge's capacity allows in a window.
				for (w, edge, bytes) in crate::WindowBytes::<Test>::iter() {
					let settled: u64 = Settled::<Test>::iter_prefix_values((w, edge))
						.filter(|r| r.state != SettlementState::Voided)
						.map(|r| r.bytes)
						.sum();
					prop_assert_eq!(bytes, settled);
					prop_assert!(bytes <= Pod::window_cap(CAPACITY));
				}
				assert_books_balance();
				prop_assert_eq!(Balances::total_issuance(), issuance);
			}
			Ok(())
		})?;
	}
}
