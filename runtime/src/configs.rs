//! Pallet configurations.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::{RocksDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		IdentityFee, Weight,
	},
	PalletId,
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{traits::One, Perbill};
use sp_version::RuntimeVersion;

use super::*;

const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// 2 s of compute per 3 s block.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks; normal extrinsics may use 75% of that.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |m| *m = NORMAL_DISPATCH_RATIO * *m)
		.build();
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	type DbWeight = RocksDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const PodPalletId: PalletId = PalletId(*b"pod/cdn!");
	pub const CustomerShareOfReporterCap: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(50);
}

impl pallet_pod::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type EdgeBond = ConstU128<{ 100 * UNIT }>;
	/// Long enough for every window the edge served to age out.
	type UnbondingDelay = ConstU32<{ (MAX_WINDOW_AGE + 2) * WINDOW_LENGTH }>;
	type WithdrawalDelay = ConstU32<{ (MAX_WINDOW_AGE + 2) * WINDOW_LENGTH }>;
	/// Time for Root to revoke a compromised reporter before what it
	/// co-signed vests: two windows on this development chain (a real
	/// network would choose hours to days).
	type VestingDelay = ConstU32<{ 2 * WINDOW_LENGTH }>;
	type WindowLength = ConstU32<WINDOW_LENGTH>;
	type MaxWindowAge = ConstU32<MAX_WINDOW_AGE>;
	type MillisecsPerBlock = ConstU64<MILLI_SECS_PER_BLOCK>;
	type MaxRegionLen = ConstU32<32>;
	type MaxOriginLen = ConstU32<256>;
	type PalletId = PodPalletId;
	type UnsignedPriority = ConstU64<{ 1 << 20 }>;
	/// A millionth of a unit: what 1 KiB costs at 1 unit per GiB.
	type MinCharge = ConstU128<{ UNIT / 1_000_000 }>;
	/// What a content's record costs its owner while it is registered.
	type ContentDeposit = ConstU128<{ UNIT }>;
	/// A week for the operator to pay a redemption out.
	type RedemptionExpiry = ConstU32<{ 7 * 24 * HOURS }>;
	/// A day of windows' records after they can no longer settle.
	type HistoryWindows = ConstU32<{ 24 * HOURS / WINDOW_LENGTH }>;
	/// No customer takes more than half of a reporter's cap in a window:
	/// Root sizes a reporter's cap at twice its largest customer's spend.
	type MaxCustomerShare = CustomerShareOfReporterCap;
	type WeightInfo = pallet_pod::weights::SubstrateWeight<Runtime>;
}
