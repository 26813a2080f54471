//! One reporter's power: its per-window cap, the vesting delay, revocation
//! voiding what it co-signed; several reporters settling one edge's window.

use super::*;
use crate::{Limit, Pending, ReporterInfo, ReporterSpend, Reporters, Revoked};

fn rogue_att(edge: u8, window: WindowIndex, entries: &[([u8; 32], u64)]) -> Attestation {
	sign_with(
		payload(edge, window, entries),
		edge,
		ROGUE,
		DomainTag::Attestation,
		Pod::genesis_hash(),
	)
}

#[test]
fn a_reporter_mints_at_most_its_cap_per_window() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE2);
		setup();
		go_to_window(3);
		assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), PRICE * 3 / 2));
		assert_ok!(submit(rogue_att(EDGE, 1, &[(CONTENT_A, GIB)])));
		assert_ok!(submit(rogue_att(EDGE2, 1, &[(CONTENT_A, GIB)])));
		assert_eq!(ReporterSpend::<Test>::get(Pod::current_window(), public(ROGUE)), PRICE * 3 / 2);
		let rec = Settled::<Test>::get((1, public(EDGE2), public(ROGUE), 0)).unwrap();
		assert_eq!((rec.charged, rec.unpaid), (PRICE / 2, PRICE / 2));
		System::assert_has_event(
			Event::LimitReached {
				edge: public(EDGE2),
				window: 1,
				content: CONTENT_A,
				limit: Limit::ReporterCap,
				unpaid: PRICE / 2,
			}
			.into(),
		);
		// The honest reporter's own cap is untouched by the rogue's.
		assert_ok!(submit(att(EDGE2, 1, &[(CONTENT_B, GIB)])));
		assert_eq!(settled(EDGE2, 1).unwrap().charged, 3 * PRICE);
		// Root changes the cap; only for reporters in the set.
		assert_ok!(Pod::set_reporter_cap(RuntimeOrigin::root(), public(ROGUE), 0));
		System::assert_last_event(
			Event::ReporterCapSet { reporter: public(ROGUE), cap_per_window: 0 }.into(),
		);
		assert_eq!(Reporters::<Test>::get(public(ROGUE)), Some(ReporterInfo { cap_per_window: 0 }));
		assert_noop!(
			Pod::set_reporter_cap(RuntimeOrigin::root(), public(EDGE), 1),
			Error::<Test>::UnknownReporter
		);
		assert_noop!(
			Pod::set_reporter_cap(RuntimeOrigin::signed(OPERATOR), public(ROGUE), 1),
			DispatchError::BadOrigin
		);
		assert_books_balance();
	});
}

/// A stolen reporter key co-signs its accomplice's edge; Root revokes it
/// within the vesting delay: nothing is minted, the escrow goes back, and the
/// key can never rejoin. The honest reporter's settlement still vests.
#[test]
fn revoking_a_reporter_voids_what_it_cosigned_and_returns_the_escrow() {
	new_test_ext().execute_with(|| {
		setup();
		go_to_window(3);
		assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), 1 << 100));
		let escrow0 = Escrow::<Test>::get(CUSTOMER);
		assert_ok!(submit(rogue_att(EDGE, 1, &[(CONTENT_A, 5 * GIB)])));
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_B, GIB)])));
		assert_eq!(Escrow::<Test>::get(CUSTOMER), escrow0 - 5 * PRICE - 3 * PRICE);
		assert_noop!(
			Pod::revoke_reporter(RuntimeOrigin::signed(OPERATOR), public(ROGUE)),
			DispatchError::BadOrigin
		);
		assert_ok!(Pod::revoke_reporter(RuntimeOrigin::root(), public(ROGUE)));
		System::assert_last_event(Event::ReporterRevoked { reporter: public(ROGUE) }.into());
		assert!(!Reporters::<Test>::contains_key(public(ROGUE)));
		assert!(Revoked::<Test>::contains_key(public(ROGUE)));
		assert_noop!(
			Pod::revoke_reporter(RuntimeOrigin::root(), public(ROGUE)),
			Error::<Test>::AlreadyRevoked
		);
		assert_noop!(
			Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), 1),
			Error::<Test>::ReporterRevoked
		);
		// Its key co-signs nothing more.
		assert_noop!(
			submit(rogue_att(EDGE, 2, &[(CONTENT_A, GIB)])),
			Error::<Test>::UnknownReporter
		);
		vest_all();
		let rogue = Settled::<Test>::get((1, public(EDGE), public(ROGUE), 0)).unwrap();
		assert_eq!(rogue.state, SettlementState::Voided);
		System::assert_has_event(
			Event::SettlementVoided {
				edge: public(EDGE),
				window: 1,
				part: 0,
				reporter: public(ROGUE),
				refunded: 5 * PRICE,
			}
			.into(),
		);
		assert_eq!(Escrow::<Test>::get(CUSTOMER), escrow0 - 3 * PRICE);
		assert_eq!(Usage::<Test>::get(1, CUSTOMER).charged, 3 * PRICE);
		// Only the honest settlement minted.
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), settled(EDGE, 1).unwrap().credits);
		assert_eq!(settled(EDGE, 1).unwrap().state, SettlementState::Vested);
		assert_books_balance();
	});
}

/// Removal (an orderly retirement) keeps what the reporter co-signed.
#[test]
fn a_removed_reporters_settlements_still_vest() {
	new_test_ext().execute_with(|| {
		setup();
		assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), 1 << 100));
		assert_ok!(submit(rogue_att(EDGE, 1, &[(CONTENT_A, GIB)])));
		assert_ok!(Pod::remove_reporter(RuntimeOrigin::root(), public(ROGUE)));
		vest_all();
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), PRICE * 95 / 100);
		assert_books_balance();
	});
}

/// A settlement vests only after the delay; `on_idle` takes due ones
/// oldest first and stops at the first that is not due, within its weight.
#[test]
fn vesting_waits_for_the_delay_and_respects_the_weight_limit() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE2);
		setup();
		go_to_window(3);
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, GIB)])));
		System::set_block_number(System::block_number() + 1);
		assert_ok!(submit(att(EDGE2, 1, &[(CONTENT_A, GIB)])));
		assert_eq!(crate::PendingRange::<Test>::get(), (0, 2));
		let first_due = Pending::<Test>::get(0).unwrap().vests_at;
		// At the first one's block only it vests.
		Pod::process_pending(first_due, Weight::MAX);
		assert_eq!(crate::PendingRange::<Test>::get(), (1, 2));
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), PRICE * 95 / 100);
		// No room for an item: nothing happens.
		Pod::process_pending(first_due + 1, Weight::zero());
		assert_eq!(crate::PendingRange::<Test>::get(), (1, 2));
		Pod::process_pending(first_due + 1, Weight::MAX);
		assert_eq!(crate::PendingRange::<Test>::get(), (2, 2));
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), 2 * (PRICE * 95 / 100));
		assert_books_balance();
	});
}

/// An edge that served tickets of two reporters in one window is paid for
/// both, and its capacity caps the window across them.
#[test]
fn two_reporters_settle_one_edges_window_within_its_capacity() {
	new_test_ext().execute_with(|| {
		setup();
		go_to_window(3);
		assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), 1 << 100));
		assert_ok!(submit(att(EDGE, 1, &[(CONTENT_A, GIB)])));
		assert_ok!(submit(rogue_att(EDGE, 1, &[(CONTENT_A, 2 * GIB)])));
		assert_eq!(crate::WindowBytes::<Test>::get(1, public(EDGE)), 3 * GIB);
		vest_all();
		assert_eq!(Credits::<Test>::get(EDGE_OWNER), 3 * (PRICE * 95 / 100));
		// The capacity is for the window, not per reporter.
		let cap = Pod::window_cap(CAPACITY);
		assert_ok!(submit(att(EDGE, 2, &[(CONTENT_A, cap - 10)])));
		assert_noop!(submit(rogue_att(EDGE, 2, &[(CONTENT_A, 11)])), Error::<Test>::BytesOverCap);
		assert_ok!(submit(rogue_att(EDGE, 2, &[(CONTENT_A, 10)])));
		assert_books_balance();
	});
}

/// A stolen key may attest any of the last `MaxWindowAge` windows in one
/// block; its cap is per window of chain time, so it still takes one cap.
#[test]
fn a_stolen_key_takes_one_cap_per_window_of_time_however_many_windows_it_attests() {
	new_test_ext().execute_with(|| {
		setup();
		go_to_window(MAX_AGE + 2);
		assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), PRICE));
		let now = Pod::current_window();
		let escrow0 = Escrow::<Test>::get(CUSTOMER);
		for w in now - MAX_AGE..now {
			assert_ok!(submit(rogue_att(EDGE, w, &[(CONTENT_A, GIB)])));
		}
		assert_eq!(Escrow::<Test>::get(CUSTOMER), escrow0 - PRICE);
		assert_eq!(ReporterSpend::<Test>::get(now, public(ROGUE)), PRICE);
		let last = Settled::<Test>::get((now - 1, public(EDGE), public(ROGUE), 0)).unwrap();
		assert_eq!((last.charged, last.unpaid), (0, PRICE));
		System::assert_has_event(
			Event::LimitReached {
				edge: public(EDGE),
				window: now - 1,
				content: CONTENT_A,
				limit: Limit::ReporterCap,
				unpaid: PRICE,
			}
			.into(),
		);
		// The next window of chain time brings a new cap.
		go_to_window(now + 1);
		assert_ok!(submit(rogue_att(EDGE, now, &[(CONTENT_A, GIB)])));
		assert_eq!(Escrow::<Test>::get(CUSTOMER), escrow0 - 2 * PRICE);
		assert_books_balance();
	});
}

/// What a revoked key's settlement counted against the content's budget,
/// the edge's capacity and the reporter's cap comes back when it is
/// voided: an honest settlement of the same window then fits.
#[test]
fn voiding_gives_back_every_limit_the_settlement_took() {
	new_test_ext().execute_with(|| {
		setup();
		go_to_window(3);
		assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), 1 << 100));
		let budget = Some(PRICE);
		assert_ok!(Pod::set_content_policy(
			RuntimeOrigin::signed(CUSTOMER),
			CONTENT_A,
			budget,
			false
		));
		let cap = Pod::window_cap(CAPACITY);
		let filled = [(CONTENT_A, GIB), (CONTENT_B, cap - GIB)];
		assert_ok!(submit(rogue_att(EDGE, 2, &filled)));
		let settled_in = Pod::current_window();
		assert_noop!(submit(att(EDGE, 2, &[(CONTENT_A, GIB)])), Error::<Test>::BytesOverCap);
		assert_ok!(Pod::revoke_reporter(RuntimeOrigin::root(), public(ROGUE)));
		vest_all();
		assert!(Pod::current_window() - 2 <= MAX_AGE, "window 2 can still settle");
		assert_eq!(crate::WindowBytes::<Test>::get(2, public(EDGE)), 0);
		assert_eq!(crate::ContentSpend::<Test>::get(2, CONTENT_A), 0);
		assert_eq!(ReporterSpend::<Test>::get(settled_in, public(ROGUE)), 0);
		let share = crate::CustomerSpend::<Test>::get(settled_in, (public(ROGUE), CUSTOMER));
		assert_eq!(share, 0);
		assert_eq!(Usage::<Test>::get(2, CUSTOMER).bytes, 0);
		// The honest delivery of the same window is paid in full.
		assert_ok!(submit(att(EDGE, 2, &[(CONTENT_A, GIB)])));
		assert_eq!(settled(EDGE, 2).unwrap().charged, PRICE);
		assert_eq!(Usage::<Test>::get(2, CUSTOMER).charged, PRICE);
		assert_books_balance();
	});
}

/// A customer who prices its own content high and settles it first takes
/// at most its share of the reporter's cap: the reporter's other
/// customers' deliveries are still paid.
#[test]
fn one_customer_takes_at_most_its_share_of_a_reporters_cap() {
	new_test_ext().execute_with(|| {
		CustomerShare::set(sp_runtime::Perbill::from_percent(50));
		register_edge(EDGE2);
		setup();
		const SELF_DEALT: [u8; 32] = [0xC; 32];
		assert_ok!(register_content_by(OTHER, SELF_DEALT, 10 * GIB, 100 * PRICE));
		assert_ok!(Pod::deposit(RuntimeOrigin::signed(OTHER), 500_000_000));
		go_to_window(3);
		assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), 2 * PRICE));
		assert_ok!(submit(rogue_att(EDGE, 2, &[(SELF_DEALT, GIB)])));
		let rec = Settled::<Test>::get((2, public(EDGE), public(ROGUE), 0)).unwrap();
		assert_eq!((rec.charged, rec.unpaid), (PRICE, 99 * PRICE));
		System::assert_has_event(
			Event::LimitReached {
				edge: public(EDGE),
				window: 2,
				content: SELF_DEALT,
				limit: Limit::CustomerShare,
				unpaid: 99 * PRICE,
			}
			.into(),
		);
		assert_ok!(submit(rogue_att(EDGE2, 2, &[(CONTENT_A, GIB)])));
		let honest = Settled::<Test>::get((2, public(EDGE2), public(ROGUE), 0)).unwrap();
		assert_eq!((honest.charged, honest.unpaid), (PRICE, 0));
		assert_books_balance();
	});
}

/// `on_idle` charges each queued settlement what it costs (vesting one),
/// not the worst case of any item (voiding one of `MAX_ENTRIES` entries),
/// so a block's spare weight vests as many as it pays for.
#[test]
fn vesting_is_charged_what_each_item_costs() {
	use crate::WeightInfo;
	use frame_support::traits::Get;
	new_test_ext().execute_with(|| {
		register_edge(EDGE2);
		setup();
		go_to_window(3);
		for edge in [EDGE, EDGE2] {
			for (window, part) in (1..3).flat_map(|w| (0..16u16).map(move |p| (w, p))) {
				let mut p = payload(edge, window, &[(CONTENT_A, GIB / 64)]);
				p.part = part;
				let genesis = Pod::genesis_hash();
				assert_ok!(submit(sign_with(p, edge, REPORTER, DomainTag::Attestation, genesis)));
			}
		}
		let queued = crate::PendingRange::<Test>::get().1;
		let now = System::block_number() + VESTING_DELAY;
		let db: frame_support::weights::RuntimeDbWeight =
			<Test as frame_system::Config>::DbWeight::get();
		let per_item = <() as WeightInfo>::vest_settlement() + db.reads(2);
		let room = db.reads(1) + <() as WeightInfo>::pay_fees() + per_item * 40;
		assert!(queued > 40);
		let used = Pod::process_pending(now, room);
		assert!(used.all_lte(room), "used {used:?} of {room:?}");
		assert_eq!(crate::PendingRange::<Test>::get().0, 40, "as many as the weight pays for");
		// The next block, with the same room, vests the rest.
		let used = Pod::process_pending(now + 1, room);
		assert!(used.all_lte(room), "used {used:?} of {room:?}");
		assert_eq!(crate::PendingRange::<Test>::get(), (queued, queued));
		assert_books_balance();
	});
}

/// Revoking a stolen key must get into a block while that key floods the
/// pool with attestations: it is an operational call (the block space
/// reserved for operations, and a priority above every normal and
/// unsigned transaction's).
#[test]
fn revoking_a_reporter_is_an_operational_call() {
	new_test_ext().execute_with(|| {
		let revoke = crate::Call::<Test>::revoke_reporter { reporter: public(ROGUE) };
		let class = |c: &crate::Call<Test>| c.get_dispatch_info().class;
		assert_eq!(class(&revoke), frame_support::dispatch::DispatchClass::Operational);
		let attestation = Box::new(att(EDGE, 1, &[(CONTENT_A, GIB)]));
		let call = crate::Call::<Test>::submit_attestation { attestation };
		assert_eq!(class(&call), frame_support::dispatch::DispatchClass::Normal);
	});
}
