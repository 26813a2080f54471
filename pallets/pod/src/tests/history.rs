//! History: a window's records are deleted by `on_idle` once the window is
//! `MaxWindowAge + HistoryWindows` windows old, a bounded number of keys per
//! block, resuming where the last block's weight ran out.

use super::*;
use crate::config_preludes::TEST_HISTORY_WINDOWS;
use crate::{ContentSpend, CustomerSpend, PruneCursor, ReporterSpend, WindowBytes};
use frame_support::traits::{Get, Hooks};

/// Whether any of window `w`'s records remain.
fn window_records(w: WindowIndex) -> usize {
	Settled::<Test>::iter_prefix((w,)).count()
		+ WindowBytes::<Test>::iter_prefix(w).count()
		+ Usage::<Test>::iter_prefix(w).count()
		+ ContentSpend::<Test>::iter_prefix(w).count()
		+ ReporterSpend::<Test>::iter_prefix(w).count()
		+ CustomerSpend::<Test>::iter_prefix(w).count()
}

/// The first window whose records are kept while `now` is current.
fn kept_from(now: WindowIndex) -> WindowIndex {
	now - MAX_AGE - TEST_HISTORY_WINDOWS
}

#[test]
fn old_windows_are_pruned_after_their_history_and_later_ones_kept() {
	new_test_ext().execute_with(|| {
		setup();
		// Set in window 2, the budget applies (and is spent) from window 3.
		assert_ok!(Pod::set_content_policy(
			RuntimeOrigin::signed(CUSTOMER),
			CONTENT_A,
			Some(u128::MAX),
			false
		));
		// Window 3 settles in window 4, window 4 in window 5: the reporter's
		// and the customer's spend are kept by the window that settled.
		go_to_window(4);
		assert_ok!(submit(att(EDGE, 3, &[(CONTENT_A, GIB)])));
		go_to_window(5);
		assert_ok!(submit(att(EDGE, 4, &[(CONTENT_A, GIB)])));
		assert_eq!(window_records(3), 4, "settled, bytes, usage and content spend");
		assert_eq!(window_records(4), 6, "and reporter and customer spend of window 3's");
		// Window 3 is kept while it can settle and its history lasts.
		let last_kept = 3 + MAX_AGE + TEST_HISTORY_WINDOWS;
		go_to_window(last_kept);
		assert_eq!(kept_from(last_kept), 3);
		Pod::on_idle(System::block_number(), Weight::MAX);
		assert_eq!(window_records(3), 4);
		go_to_window(last_kept + 1);
		Pod::on_idle(System::block_number(), Weight::MAX);
		assert_eq!(window_records(3), 0);
		assert_eq!(window_records(4), 6, "the next window is still kept");
		System::assert_has_event(Event::HistoryPruned { window: 3 }.into());
		assert_eq!(PruneCursor::<Test>::get().window, 4);
		// Nothing else of the books moved: credits still vest.
		vest_all();
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), 2 * (PRICE - PRICE / 20));
		assert_books_balance();
	});
}

#[test]
fn pruning_resumes_where_the_blocks_weight_ran_out() {
	let mut ext = new_test_ext();
	let record = pod_primitives::SettlementRecord::default();
	ext.execute_with(|| {
		for i in 0..50u8 {
			Settled::<Test>::insert((0, [i; 32], [1u8; 32], 0), record);
		}
	});
	// Into the database, as records of earlier blocks are (`clear_prefix`
	// limits only what it deletes from there).
	ext.commit_all().unwrap();
	// Room for the pass and ten keys per block.
	let pass = <() as crate::WeightInfo>::prune_history(0);
	let per_key = <() as crate::WeightInfo>::prune_history(1) - pass;
	let limit = pass + per_key * 10;
	let (mut blocks, mut left, mut emptied_at) = (0, 50, None);
	loop {
		let (deleted, moved, done) = ext.execute_with(|| {
			go_to_window(MAX_AGE + TEST_HISTORY_WINDOWS + 1);
			let (before, state) =
				(Settled::<Test>::iter_prefix((0,)).count(), PruneCursor::<Test>::get());
			let used = Pod::prune_history(limit);
			assert!(used.all_lte(limit), "pruning used {used:?} of {limit:?}");
			let after = PruneCursor::<Test>::get();
			(before - Settled::<Test>::iter_prefix((0,)).count(), after != state, after.window > 0)
		});
		// The block ends: its deletions reach the database.
		ext.commit_all().unwrap();
		assert!(deleted <= 10, "{deleted} keys deleted in one block");
		blocks += 1;
		left -= deleted;
		if left == 0 && emptied_at.is_none() {
			emptied_at = Some(blocks);
		}
		if done {
			break;
		}
		assert!((deleted > 0 || moved) && blocks <= 10, "pruning makes no progress");
	}
	assert_eq!(emptied_at, Some(5), "fifty keys at ten per block");
	// Then the passes over the other (empty) maps, as the weight allows.
	assert!(blocks <= 10, "{blocks} blocks");
	ext.execute_with(|| {
		assert_eq!(Settled::<Test>::iter_prefix((0,)).count(), 0);
		// No room for a pass: nothing is deleted, only the cursor read.
		Settled::<Test>::insert((1, [1u8; 32], [1u8; 32], 0), record);
		go_to_window(MAX_AGE + TEST_HISTORY_WINDOWS + 2);
		let db: frame_support::weights::RuntimeDbWeight =
			<<Test as frame_system::Config>::DbWeight as Get<_>>::get();
		assert_eq!(Pod::prune_history(Weight::zero()), db.reads(1));
		assert_eq!(Settled::<Test>::iter_prefix((1,)).count(), 1);
	});
}

/// A settlement whose window was pruned before it vested (a long backlog)
/// is voided without bringing the window's usage back.
#[test]
fn voiding_after_pruning_recreates_no_usage() {
	new_test_ext().execute_with(|| {
		setup();
		go_to_window(2);
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, GIB)])));
		assert_ok!(Pod::revoke_reporter(RuntimeOrigin::root(), public(REPORTER)));
		go_to_window(2 + MAX_AGE + TEST_HISTORY_WINDOWS);
		Pod::prune_history(Weight::MAX);
		assert_eq!(window_records(1), 0);
		Pod::process_pending(System::block_number(), Weight::MAX);
		assert_eq!(Escrow::<Test>::get(CUSTOMER), 500_000_000, "the charge went back");
		assert!(!Usage::<Test>::contains_key(1, CUSTOMER));
		assert_books_balance();
	});
}
