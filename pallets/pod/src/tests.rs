//! Unit tests of the pallet on the mock runtime.

use crate::{mock::*, Error};
use frame_support::{assert_noop, assert_ok};

#[test]
fn register_edge_puts_bond_on_hold() {
	new_test_ext().execute_with(|| {
		assert_ok!(Pod::register_edge(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE), b"eu".to_vec(), 1_000_000));
		assert_noop!(
			Pod::register_edge(RuntimeOrigin::signed(EDGE_OWNER), public(EDGE), b"eu".to_vec(), 1),
			Error::<Test>::EdgeAlreadyRegistered
		);
	});
}
