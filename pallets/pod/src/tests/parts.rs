//! A window too large for one attestation: an `(edge, window, reporter)` is
//! settled in parts, each once, all within the edge's capacity.

use super::*;
use crate::WindowBytes;
use frame_support::traits::UnfilteredDispatchable;

fn part_att(part: u16, entries: &[([u8; 32], u64)]) -> Attestation {
	let mut p = payload(EDGE, 1, entries);
	p.part = part;
	sign_with(p, EDGE, REPORTER, DomainTag::Attestation, Pod::genesis_hash())
}

fn part_settled(part: u16) -> Option<pod_primitives::SettlementRecord> {
	crate::Settled::<Test>::get((1, public(EDGE), public(REPORTER), part))
}

/// Every part of one reporter's window is paid once, and only once.
#[test]
fn each_part_settles_once() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(submit(part_att(0, &[(CONTENT_A, GIB)])));
		assert_ok!(submit(part_att(1, &[(CONTENT_A, GIB), (CONTENT_B, GIB)])));
		assert_ok!(submit(part_att(pod_primitives::MAX_PARTS - 1, &[(CONTENT_B, 5)])));
		assert_eq!(part_settled(0).unwrap().bytes, GIB);
		assert_eq!(part_settled(1).unwrap().bytes, 2 * GIB);
		assert_eq!(WindowBytes::<Test>::get(1, public(EDGE)), 3 * GIB + 5);
		// A part again, in the pool or in a block.
		let again = part_att(1, &[(CONTENT_A, 7)]);
		assert_eq!(validate(&again), Err(InvalidTransaction::Stale.into()));
		assert_noop!(submit(again), Error::<Test>::AlreadySettled);
		vest_all();
		let last = pod_primitives::MAX_PARTS - 1;
		let credits: u128 = [0, 1, last].map(|p| part_settled(p).unwrap().credits).iter().sum();
		assert!(credits > 0);
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), credits);
		assert_books_balance();
	});
}

/// Parts are bounded: a part at `MAX_PARTS` or above is refused.
#[test]
fn a_part_out_of_range_is_refused() {
	new_test_ext().execute_with(|| {
		setup();
		let a = part_att(pod_primitives::MAX_PARTS, &[(CONTENT_A, 10)]);
		let code = Error::<Test>::PartOutOfRange.index();
		assert_eq!(validate(&a), Err(InvalidTransaction::Custom(code).into()));
		assert_noop!(submit(a), Error::<Test>::PartOutOfRange);
		assert_noop!(submit(part_att(u16::MAX, &[(CONTENT_A, 10)])), Error::<Test>::PartOutOfRange);
	});
}

/// The capacity caps the whole window, not each part: parts cannot be
/// used to settle more than the edge can deliver.
#[test]
fn capacity_caps_the_window_across_parts() {
	new_test_ext().execute_with(|| {
		setup();
		let cap = Pod::window_cap(CAPACITY);
		assert_ok!(submit(part_att(0, &[(CONTENT_A, cap - 10)])));
		assert_noop!(submit(part_att(1, &[(CONTENT_A, 11)])), Error::<Test>::BytesOverCap);
		assert_ok!(submit(part_att(1, &[(CONTENT_A, 10)])));
		assert_noop!(submit(part_att(2, &[(CONTENT_B, 1)])), Error::<Test>::BytesOverCap);
	});
}

/// Two parts of one window may travel in one batch; the same part twice
/// may not.
#[test]
fn a_batch_carries_distinct_parts() {
	new_test_ext().execute_with(|| {
		setup();
		let two = crate::Call::submit_attestations {
			batch: BoundedVec::try_from(vec![
				part_att(0, &[(CONTENT_A, 10)]),
				part_att(1, &[(CONTENT_A, 20)]),
			])
			.unwrap(),
		};
		assert_ok!(Pod::pre_dispatch(&two));
		let twice = crate::Call::submit_attestations {
			batch: BoundedVec::try_from(vec![
				part_att(3, &[(CONTENT_A, 10)]),
				part_att(3, &[(CONTENT_B, 20)]),
			])
			.unwrap(),
		};
		assert_eq!(
			Pod::pre_dispatch(&twice),
			Err(InvalidTransaction::Custom(Error::<Test>::AlreadySettled.index()).into())
		);
		assert_ok!(two.dispatch_bypass_filter(RuntimeOrigin::none()));
		assert_eq!(WindowBytes::<Test>::get(1, public(EDGE)), 30);
		assert_eq!(part_settled(1).unwrap().bytes, 20);
	});
}
