//! A test runtime: System, Balances and Pod.

use crate as pallet_pod;
use frame_support::{derive_impl, parameter_types, traits::ConstU32, PalletId};
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
	pub const ExistentialDeposit: u128 = 1;
	pub const PodPalletId: PalletId = PalletId(*b"pod/cdn!");
}

/// Bond an edge puts on hold.
pub const BOND: u128 = 1_000;
/// Blocks per window in tests.
pub const WINDOW: u32 = 10;
/// Closed windows back an attestation may settle.
pub const MAX_AGE: u32 = 3;
pub const UNBONDING: u64 = 50;
pub const WITHDRAW_DELAY: u64 = 40;

impl pallet_pod::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type EdgeBond = frame_support::traits::ConstU128<BOND>;
	type UnbondingDelay = frame_support::traits::ConstU64<UNBONDING>;
	type WithdrawalDelay = frame_support::traits::ConstU64<WITHDRAW_DELAY>;
	type WindowLength = ConstU32<WINDOW>;
	type MaxWindowAge = ConstU32<MAX_AGE>;
	type MillisecsPerBlock = frame_support::traits::ConstU64<6000>;
	type MaxRegionLen = ConstU32<16>;
	type MaxOriginLen = ConstU32<64>;
	type PalletId = PodPalletId;
	type UnsignedPriority = frame_support::traits::ConstU64<{ 1 << 20 }>;
	type WeightInfo = ();
}

pub const OPERATOR: u64 = 100;
pub const CUSTOMER: u64 = 1;
pub const EDGE_OWNER: u64 = 2;
pub const OTHER: u64 = 3;
pub const INITIAL: u128 = 1_000_000_000;

/// Test keys: seeds 1.. for edges, 101.. for reporters, 201.. for clients.
pub fn pair(seed: u8) -> pod_primitives::sign::Keypair {
	pod_primitives::sign::keypair_from_seed(&[seed; 32])
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
		reporters: vec![public(REPORTER)],
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
