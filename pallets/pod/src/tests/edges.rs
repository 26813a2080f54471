//! Edges and reporters: registration, bonds, unbonding, the reporter set.

use super::*;

#[test]
fn register_edge_holds_bond() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE);
		assert_eq!(hold_of(EDGE_OWNER), BOND);
		let e = Edges::<Test>::get(public(EDGE)).unwrap();
		assert_eq!((e.owner, e.capacity, e.bond, e.leaving), (EDGE_OWNER, CAPACITY, BOND, None));
		System::assert_last_event(
			Event::EdgeRegistered {
				edge: public(EDGE),
				owner: EDGE_OWNER,
				capacity: CAPACITY,
				bond: BOND,
			}
			.into(),
		);
	});
}

#[test]
fn register_edge_errors() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE);
		assert_noop!(
			Pod::register_edge(
				RuntimeOrigin::signed(OTHER),
				public(EDGE),
				vec![],
				1,
				edge_proof(EDGE, OTHER)
			),
			Error::<Test>::EdgeAlreadyRegistered
		);
		assert_noop!(
			Pod::register_edge(
				RuntimeOrigin::signed(OTHER),
				public(EDGE2),
				vec![b'x'; 17],
				1,
				edge_proof(EDGE2, OTHER)
			),
			Error::<Test>::RegionTooLong
		);
		assert_noop!(
			Pod::register_edge(
				RuntimeOrigin::signed(OTHER),
				public(EDGE2),
				vec![],
				0,
				edge_proof(EDGE2, OTHER)
			),
			Error::<Test>::ZeroCapacity
		);
		// An account that cannot afford the bond.
		assert_noop!(
			Pod::register_edge(
				RuntimeOrigin::signed(77),
				public(EDGE2),
				vec![],
				1,
				edge_proof(EDGE2, 77)
			),
			TokenError::FundsUnavailable
		);
		assert_noop!(
			Pod::register_edge(
				RuntimeOrigin::none(),
				public(EDGE2),
				vec![],
				1,
				edge_proof(EDGE2, 0)
			),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn unregister_then_withdraw_bond() {
	new_test_ext().execute_with(|| {
		register_edge(EDGE);
		go_to_window(3);
		assert_noop!(
			Pod::withdraw_bond(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)),
			Error::<Test>::EdgeNotLeaving
		);
		assert_noop!(
			Pod::unregister_edge(RuntimeOrigin::signed(OTHER), public(EDGE)),
			Error::<Test>::NotEdgeOwner
		);
		assert_noop!(
			Pod::unregister_edge(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE2)),
			Error::<Test>::UnknownEdge
		);
		assert_ok!(Pod::unregister_edge(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)));
		let now = System::block_number();
		System::assert_last_event(
			Event::EdgeUnbonding { edge: public(EDGE), last_window: 2, unlock_at: now + UNBONDING }
				.into(),
		);
		assert_noop!(
			Pod::unregister_edge(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)),
			Error::<Test>::EdgeAlreadyLeaving
		);
		assert_noop!(
			Pod::withdraw_bond(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)),
			Error::<Test>::StillUnbonding
		);
		assert_noop!(
			Pod::withdraw_bond(RuntimeOrigin::signed(OTHER), public(EDGE)),
			Error::<Test>::NotEdgeOwner
		);
		System::set_block_number(now + UNBONDING);
		assert_ok!(Pod::withdraw_bond(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)));
		assert_eq!(hold_of(EDGE_OWNER), 0);
		assert!(Edges::<Test>::get(public(EDGE)).is_none());
		System::assert_last_event(Event::EdgeRemoved { edge: public(EDGE), released: BOND }.into());
		assert_noop!(
			Pod::withdraw_bond(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE)),
			Error::<Test>::UnknownEdge
		);
	});
}

#[test]
fn reporters_are_managed_by_root() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Pod::add_reporter(RuntimeOrigin::signed(OPERATOR), public(ROGUE), 1),
			DispatchError::BadOrigin
		);
		assert_ok!(Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), 7));
		System::assert_last_event(
			Event::ReporterAdded { reporter: public(ROGUE), cap_per_window: 7 }.into(),
		);
		assert_noop!(
			Pod::add_reporter(RuntimeOrigin::root(), public(ROGUE), 7),
			Error::<Test>::ReporterAlreadyAdded
		);
		assert_noop!(
			Pod::remove_reporter(RuntimeOrigin::signed(OPERATOR), public(ROGUE)),
			DispatchError::BadOrigin
		);
		assert_ok!(Pod::remove_reporter(RuntimeOrigin::root(), public(ROGUE)));
		System::assert_last_event(Event::ReporterRemoved { reporter: public(ROGUE) }.into());
		assert_noop!(
			Pod::remove_reporter(RuntimeOrigin::root(), public(ROGUE)),
			Error::<Test>::UnknownReporter
		);
	});
}

/// Squatting: registering (or front-running the registration of) an edge key
/// one does not hold is refused; a proof is bound to its owner and chain.
#[test]
fn registering_an_edge_needs_the_edge_keys_proof() {
	new_test_ext().execute_with(|| {
		let register = |who: u64, proof| {
			Pod::register_edge(RuntimeOrigin::signed(who), public(EDGE), vec![], 1, proof)
		};
		// No proof at all, and a proof by another key.
		assert_noop!(register(OTHER, [0; 64]), Error::<Test>::BadEdgeProof);
		assert_noop!(register(OTHER, edge_proof(EDGE2, OTHER)), Error::<Test>::BadEdgeProof);
		// The honest owner's proof, replayed by a squatter front-running it.
		assert_noop!(register(OTHER, edge_proof(EDGE, EDGE_OWNER)), Error::<Test>::BadEdgeProof);
		// Another chain's proof, and another message kind signed by the key.
		let genesis = [9u8; 32];
		let other_chain = keys::sign(
			&pair(EDGE),
			DomainTag::EdgeRegistration,
			&genesis,
			&(public(EDGE), EDGE_OWNER),
		);
		assert_noop!(register(EDGE_OWNER, other_chain), Error::<Test>::BadEdgeProof);
		let g = Pod::genesis_hash();
		let other_kind =
			keys::sign(&pair(EDGE), DomainTag::Heartbeat, &g, &(public(EDGE), EDGE_OWNER));
		assert_noop!(register(EDGE_OWNER, other_kind), Error::<Test>::BadEdgeProof);
		assert!(Edges::<Test>::get(public(EDGE)).is_none());
		// The holder registers for the owner it chose.
		assert_ok!(register(EDGE_OWNER, edge_proof(EDGE, EDGE_OWNER)));
		assert_eq!(Edges::<Test>::get(public(EDGE)).unwrap().owner, EDGE_OWNER);
	});
}
