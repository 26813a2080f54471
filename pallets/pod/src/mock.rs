//! A test runtime: System, Balances and Pod.

use crate as pallet_pod;
use crate::config_preludes;
use frame_support::{derive_impl, parameter_types};
use pod_primitives::PublicKey;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Pod: pallet_pod,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type AccountStore = System;
	type ExistentialDeposit = ExistentialDeposit;
	type RuntimeHoldReason = RuntimeHoldReason;
}

parameter_types! {
	/// 1, unless a test needs a fee below it (`ExistentialDeposit::set`).
	pub static ExistentialDeposit: u128 = 1;
	/// Most tests settle a few bytes, which charge nothing at their prices:
	/// no minimum unless a test sets one (`MinCharge::set`).
	pub static MinCharge: u128 = 0;
	/// All of a reporter's cap, unless a test bounds one customer's share
	/// (`CustomerShare::set`).
	pub static CustomerShare: sp_runtime::Perbill = sp_runtime::Perbill::one();
}

/// Bond an edge puts on hold.
pub const BOND: u128 = config_preludes::TEST_EDGE_BOND;
/// Blocks per window in tests.
pub const WINDOW: u32 = config_preludes::TEST_WINDOW_LENGTH;
/// Closed windows back an attestation may settle.
pub const MAX_AGE: u32 = config_preludes::TEST_MAX_WINDOW_AGE;
/// Blocks from leaving to withdrawing the bond.
pub const UNBONDING: u64 = config_preludes::TEST_UNBONDING_DELAY;
/// Blocks from a settlement to the vesting of its credits.
pub const VESTING_DELAY: u64 = config_preludes::TEST_VESTING_DELAY;
/// Blocks from `withdraw` to `claim_withdrawal`.
pub const WITHDRAW_DELAY: u64 = config_preludes::TEST_WITHDRAWAL_DELAY;

#[derive_impl(pallet_pod::config_preludes::TestDefaultConfig)]
impl pallet_pod::Config for Test {
	type Currency = Balances;
	type MinCharge = MinCharge;
	type MaxCustomerShare = CustomerShare;
}

pub const OPERATOR: u64 = 100;
pub const CUSTOMER: u64 = 1;
pub const EDGE_OWNER: u64 = 2;
pub const OTHER: u64 = 3;
pub const INITIAL: u128 = 1_000_000_000;

/// Test keys: seeds 1.. for edges, 101.. for reporters, 201.. for clients.
pub fn pair(seed: u8) -> pod_primitives::keys::Keypair {
	pod_primitives::keys::keypair_from_seed(&[seed; 32])
}
pub fn public(seed: u8) -> PublicKey {
	pair(seed).public.to_bytes()
}
pub const EDGE: u8 = 1;
pub const EDGE2: u8 = 2;
pub const REPORTER: u8 = 101;
pub const ROGUE: u8 = 102;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(OPERATOR, INITIAL),
			(CUSTOMER, INITIAL),
			(EDGE_OWNER, INITIAL),
			(OTHER, INITIAL),
		],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_pod::GenesisConfig::<Test> {
		operator: Some(OPERATOR),
		reporters: vec![(public(REPORTER), 1 << 100)],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// The test externalities plus a keystore, for benchmarks that sign.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut ext = new_test_ext();
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext
}
