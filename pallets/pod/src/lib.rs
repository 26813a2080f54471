//! # Proof-of-Delivery pallet
//!
//! Pays CDN edges for bytes they delivered, once two sides confirm the
//! delivery: the edge that served it and a reporting service that checked the
//! viewer's signed receipts (`docs/design.md`).
//!
//! ## Overview
//!
//! - **Edges** register an sr25519 edge key, a region and a capacity, and put a
//!   bond on hold. Unregistering starts an unbonding delay, during which the
//!   edge may still settle the windows it served before it left.
//! - **Reporters** are a set managed by Root, each with a cap on what the
//!   attestations it co-signs may charge per window.
//! - **Customers** register contents (id, size, price per GiB, origin) and keep
//!   an escrow with the pallet. Withdrawals are delayed so escrow cannot be
//!   pulled out from under deliveries that are still being settled. A
//!   customer may cap its own spend per window (`set_spend_limit`), give a
//!   content a per-window budget and open it to viewers without a grant
//!   (`set_content_policy`), and names the key that signs its viewer grants
//!   (`set_grant_key`; reporters schedule viewers of its contents only under
//!   grants that key signed).
//! - **Attestations**: the edge and a reporter both sign one
//!   [`AttestationPayload`]. The extrinsic is unsigned and fee-less: it is
//!   authorised by those two signatures. Each `(edge, window, reporter,
//!   part)` is settled at most once (the pool tag), so an edge that served
//!   several reporters' tickets in one window is paid once for each, and its
//!   capacity caps the window across them (`WindowBytes`). A window with more
//!   contents than one attestation carries (`MAX_ENTRIES`), or more receipts
//!   than one confirmation request, is settled in parts
//!   (`0..MAX_PARTS`); the reporter pays each ticket in one part only.
//! - **Payment**: per entry, `charge = bytes × price_per_gib / 2^30` rounded
//!   down and capped by the tightest of the customer's escrow, its spending
//!   limit, the content's budget and the reporter's cap (what a limit leaves
//!   unpaid is recorded: `LimitReached`, `Usage::unpaid`); 5% (rounded down)
//!   goes to the operator in the native currency, the rest becomes reward
//!   credits of the edge's owner. The formula is
//!   `pod_primitives::settlement::settle`, shared with the edge.
//! - **Vesting**: the escrow is taken when an attestation settles, but the
//!   credits are minted and the fee paid only `VestingDelay` blocks later
//!   (`on_idle`, oldest first). Root can `revoke_reporter` a compromised
//!   reporter within that delay; its unvested settlements are then voided
//!   and every customer gets its charge back.
//!
//! ## Why a cap and vesting rather than a reporter quorum
//!
//! One reporter key must not be able to mint against all escrow. A k-of-n
//! quorum would need every attestation co-signed by several reporters, each
//! holding the others' tickets and the clients' reports (a shared ticket
//! store or k times the confirmation traffic) and k signatures checked per
//! attestation in every block. A per-window cap bounds what a stolen key can
//! take before anyone notices, the vesting delay gives Root the time to
//! notice, and revocation makes the loss recoverable: the escrow goes back.
//! Honest settlements cost one reporter signature, as before.
//! - **Credits** cannot be transferred: no call moves them between accounts.
//!   `redeem` burns them and records a redemption request for the operator's
//!   off-chain payout; `complete_redemption` (Root) releases the native funds
//!   that backed them to the operator who paid out. A redemption not
//!   completed within `RedemptionExpiry` is its owner's again
//!   (`reclaim_redemption`) and can no longer be completed.
//!
//! ## What state costs, and who pays for it
//!
//! - **Block space** goes only to deliveries someone pays for: an
//!   attestation must charge at least `MinCharge` after every limit (an
//!   empty escrow, a spent limit or budget, a handful of bytes pay nothing),
//!   or the pool refuses it and a block skips it (`ChargeBelowMinimum`). The
//!   pool checks this by settling the call's attestations in order in a
//!   storage layer it rolls back, so each sees what the earlier ones took,
//!   exactly as the block will. A content priced at zero cannot register.
//! - **Contents** hold `ContentDeposit` from their owner until the retired
//!   content is reaped (`reap_content`, by anyone, once its last payable
//!   window can no longer settle).
//! - **Per-window records** (`Settled`, `WindowBytes`, `Usage`,
//!   `ContentSpend`, `ReporterSpend`, `CustomerSpend`, all keyed by window
//!   first) are kept
//!   `HistoryWindows` windows after their window can no longer settle; then
//!   `on_idle` deletes them in the block's spare weight (`history`).
//!
//! ## Why `ValidateUnsigned` and not `#[pallet::authorize]`
//!
//! `#[pallet::authorize]` needs general (v5) transactions. Neither subxt nor
//! `@polkadot/api` 16 builds v5 general transactions by default, while both
//! submit v4 bare (unsigned) extrinsics out of the box. So attestations are
//! validated with `ValidateUnsigned`, the pattern of `pallet-im-online`'s
//! heartbeats; the check function is shared with dispatch, so a block can
//! never contain an attestation the pool would have refused.
//!
//! ## Batches
//!
//! `submit_attestations` settles up to [`pod_primitives::MAX_BATCH`]
//! attestations in one extrinsic (a reporter naturally batches the claims it
//! co-signed). In the pool every attestation of the batch must be valid and the
//! batch provides one tag per `(edge, window, reporter, part)`. In a block, an attestation that
//! became invalid meanwhile (e.g. settled by an earlier extrinsic) is skipped
//! with an `AttestationRejected` event and the rest still settle.
//!
//! All signatures of a call are checked in one batch verification by the
//! `pod-crypto` host function (half the cost per signature at 256 signatures),
//! which a node also answers from its cache of batches it has already
//! verified, so a batch costs its curve arithmetic once per node, not at every
//! pool re-validation and again in the block. Signatures cannot change between
//! pool and block, so a batch with a bad one can only come from a faulty
//! author: it fails whole with `BadBatchSignature`. A batch weighs what `n` single-entry
//! attestations for one content measured, plus each further entry and each
//! further content at the worst-case per-entry cost measured for
//! `submit_attestation` ([`Pallet::batch_weight`]).
//!
//! ## Books
//!
//! The pallet account holds all escrow, what pending settlements took, the
//! fees not yet paid out and the native funds backing every credit not yet
//! paid out. At all times: `balance(pallet) = ED + Σ escrow + TotalCredits +
//! Σ pending redemptions + TotalUnvested + AccruedFees`, and escrow taken by
//! a settlement equals its fee plus its credits.
//!
//! ## Modules
//!
//! `lib.rs` holds the configuration, events, errors, storage, genesis and
//! calls in FRAME's order; [`types`] the stored types; `attest` the
//! attestation engine (every acceptance rule, shared by the pool and
//! dispatch; batch signature verification; payment and limits; batch
//! weights); `vesting` the vesting queue, voiding and fee payment;
//! `history` the pruning of old windows' records;
//! `registry` the bookkeeping calls and genesis share; [`runtime_api`] the
//! `PodApi` declaration; [`weights`] the generated weights; `benchmarking`
//! their benchmarks; `tests/` the tests by topic (edges, escrow,
//! attestations, batch, contents, credits, history, limits, the minimum
//! charge, parts, reporters, property tests) on `mock.rs`, a runtime
//! built with [`config_preludes::TestDefaultConfig`].
//!
//! ## Storage
//!
//! `Edges`, `Reporters` (with their caps), `Revoked`, `ReporterSpend`,
//! `Contents` (with budget and openness), `ContentSpend`, `SpendLimits`,
//! `GrantKeys`, `Escrow`, `PendingWithdrawals`, `Settled` (the settled flag
//! and what it paid, per `(edge, window, reporter, part)`), `WindowBytes`
//! (per edge and window, what its capacity caps),
//! `Usage` (per customer and window), `Pending` and `PendingRange` (the
//! vesting queue), `Unvested`, `TotalUnvested`, `AccruedFees`, `Credits`,
//! `TotalCredits`, `Redemptions`, `NextRedemptionId`, `Operator`,
//! `PruneCursor` (how far `on_idle` has deleted old windows' records).
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use pod_primitives::{
	Attestation, AttestationPayload, ContentId, Entry, PartIndex, PublicKey, SettlementRecord,
	Signature, UsageRecord, WindowIndex,
};

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
// Tests exercise the pool check through the (deprecated) ValidateUnsigned trait.
#[cfg(test)]
#[allow(deprecated)]
mod tests;

mod attest;
mod history;
mod limits;
mod registry;
pub mod runtime_api;
pub mod types;
mod vesting;
pub mod weights;
pub use types::{
	Balance, ContentInfo, EdgeInfo, GenesisContent, Limit, PendingSettlement, Redemption,
	ReporterInfo,
};
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::{boxed::Box, vec::Vec};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			tokens::{Precision, Preservation},
		},
		PalletId,
	};
	use frame_system::pallet_prelude::*;
	use pod_primitives::MaxBatch;
	use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

	/// Default configurations of this pallet, for `#[derive_impl]`.
	pub mod config_preludes {
		use super::*;
		use frame_support::derive_impl;
		use frame_support::traits::{ConstU128, ConstU32, ConstU64};

		/// Bond of [`TestDefaultConfig`].
		pub const TEST_EDGE_BOND: Balance = 1_000;
		/// Blocks per window of [`TestDefaultConfig`].
		pub const TEST_WINDOW_LENGTH: u32 = 10;
		/// `MaxWindowAge` of [`TestDefaultConfig`].
		pub const TEST_MAX_WINDOW_AGE: u32 = 3;
		/// `UnbondingDelay` (blocks) of [`TestDefaultConfig`].
		pub const TEST_UNBONDING_DELAY: u64 = 50;
		/// `WithdrawalDelay` (blocks) of [`TestDefaultConfig`].
		pub const TEST_WITHDRAWAL_DELAY: u64 = 40;
		/// `VestingDelay` (blocks) of [`TestDefaultConfig`].
		pub const TEST_VESTING_DELAY: u64 = 20;
		/// `ContentDeposit` of [`TestDefaultConfig`].
		pub const TEST_CONTENT_DEPOSIT: Balance = 100;
		/// `RedemptionExpiry` (blocks) of [`TestDefaultConfig`].
		pub const TEST_REDEMPTION_EXPIRY: u64 = 100;
		/// `HistoryWindows` of [`TestDefaultConfig`].
		pub const TEST_HISTORY_WINDOWS: u32 = 4;

		frame_support::parameter_types! {
			/// The pallet id of [`TestDefaultConfig`].
			pub const TestPalletId: PalletId = PalletId(*b"pod/cdn!");
			/// `MaxCustomerShare` of [`TestDefaultConfig`]: a half.
			pub const TestCustomerShare: sp_runtime::Perbill = sp_runtime::Perbill::from_percent(50);
		}

		/// A configuration for tests: short windows and delays, a small bond.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type EdgeBond = ConstU128<TEST_EDGE_BOND>;
			type UnbondingDelay = ConstU64<TEST_UNBONDING_DELAY>;
			type WithdrawalDelay = ConstU64<TEST_WITHDRAWAL_DELAY>;
			type VestingDelay = ConstU64<TEST_VESTING_DELAY>;
			type WindowLength = ConstU32<TEST_WINDOW_LENGTH>;
			type MaxWindowAge = ConstU32<TEST_MAX_WINDOW_AGE>;
			type MillisecsPerBlock = ConstU64<6000>;
			type MaxRegionLen = ConstU32<16>;
			type MaxOriginLen = ConstU32<64>;
			type PalletId = TestPalletId;
			type UnsignedPriority = ConstU64<{ 1 << 20 }>;
			type MinCharge = ConstU128<1>;
			type ContentDeposit = ConstU128<TEST_CONTENT_DEPOSIT>;
			type RedemptionExpiry = ConstU64<TEST_REDEMPTION_EXPIRY>;
			type HistoryWindows = ConstU32<TEST_HISTORY_WINDOWS>;
			type MaxCustomerShare = TestCustomerShare;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The native currency: escrow, bonds and fees.
		#[pallet::no_default]
		type Currency: Mutate<Self::AccountId, Balance = Balance>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
		/// The overarching hold reason.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;
		/// Bond an edge must put on hold to register.
		#[pallet::constant]
		type EdgeBond: Get<Balance>;
		/// Blocks between `unregister_edge` and `withdraw_bond`. Should exceed
		/// `MaxWindowAge × WindowLength` so late attestations still settle.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type UnbondingDelay: Get<BlockNumberFor<Self>>;
		/// Blocks between `withdraw` and `claim_withdrawal`, during which the
		/// escrow still pays for deliveries being settled.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type WithdrawalDelay: Get<BlockNumberFor<Self>>;
		/// Blocks between a settlement and the vesting of its credits (and the
		/// payment of its fee). Root can revoke a compromised reporter within
		/// it and so void what that reporter co-signed.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type VestingDelay: Get<BlockNumberFor<Self>>;
		/// Blocks per settlement window.
		#[pallet::constant]
		type WindowLength: Get<u32>;
		/// How many closed windows back an attestation may still settle.
		#[pallet::constant]
		type MaxWindowAge: Get<u32>;
		/// Expected block time, to turn an edge's capacity (bytes/s) into a
		/// per-window cap.
		#[pallet::constant]
		type MillisecsPerBlock: Get<u64>;
		/// Longest region code.
		#[pallet::constant]
		type MaxRegionLen: Get<u32>;
		/// Longest origin URL.
		#[pallet::constant]
		type MaxOriginLen: Get<u32>;
		/// Derives the pallet's account, which holds escrow and credit backing.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// Pool priority of attestations.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;
		/// Least an attestation must charge, after every limit, to be
		/// included: block space goes only to deliveries someone pays for
		/// (an empty escrow, a spent limit or a price of zero pay nothing).
		#[pallet::constant]
		type MinCharge: Get<Balance>;
		/// Put on hold from a customer for each content it registers, and
		/// released when the retired content is reaped (`reap_content`):
		/// what a content's record costs the chain is paid by its owner.
		#[pallet::constant]
		type ContentDeposit: Get<Balance>;
		/// Blocks after which a redemption the operator has not completed
		/// goes back to its owner (`reclaim_redemption`) and can no longer
		/// be completed.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type RedemptionExpiry: Get<BlockNumberFor<Self>>;
		/// Windows a closed window's records (`Settled`, `WindowBytes`,
		/// `Usage`, `ContentSpend`, `ReporterSpend`, `CustomerSpend`) are kept once it can no
		/// longer settle; `on_idle` then deletes them. Its blocks must cover
		/// `VestingDelay` (checked in `integrity_test`).
		#[pallet::constant]
		type HistoryWindows: Get<u32>;
		/// Largest share of a reporter's per-window cap that one customer's
		/// contents may take in a window: a customer who settles its own
		/// content at a high price first cannot exhaust the cap that pays
		/// the reporter's other customers' edges.
		#[pallet::constant]
		type MaxCustomerShare: Get<sp_runtime::Perbill>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Reasons the pallet puts funds on hold.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// An edge's registration bond.
		EdgeBond,
		/// A content's storage deposit.
		ContentDeposit,
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(crate) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An edge registered and its bond went on hold.
		EdgeRegistered { edge: PublicKey, owner: T::AccountId, capacity: u64, bond: Balance },
		/// An edge left; its bond can be withdrawn from `unlock_at`.
		EdgeUnbonding { edge: PublicKey, last_window: WindowIndex, unlock_at: BlockNumberFor<T> },
		/// An edge's bond was released and the edge removed.
		EdgeRemoved { edge: PublicKey, released: Balance },
		/// A reporter joined the reporter set.
		ReporterAdded { reporter: PublicKey, cap_per_window: Balance },
		/// A reporter's per-window cap changed.
		ReporterCapSet { reporter: PublicKey, cap_per_window: Balance },
		/// A reporter left the reporter set; what it co-signed still vests.
		ReporterRemoved { reporter: PublicKey },
		/// A reporter was revoked as compromised: it left the set and every
		/// settlement it co-signed that has not vested will be voided.
		ReporterRevoked { reporter: PublicKey },
		/// A content was registered.
		ContentRegistered { id: ContentId, owner: T::AccountId, size: u64, price_per_gib: Balance },
		/// A content was retired; deliveries from `from_window` (the next
		/// window) on are not paid.
		ContentRemoved { id: ContentId, from_window: WindowIndex },
		/// A content's per-window budget or openness changed.
		ContentPolicySet { id: ContentId, budget: Option<Balance>, open: bool },
		/// A customer's per-window spending limit changed.
		SpendLimitSet { who: T::AccountId, limit: Option<Balance> },
		/// The key that signs a customer's viewer grants changed.
		GrantKeySet { who: T::AccountId, key: Option<PublicKey> },
		/// Escrow was deposited.
		Deposited { who: T::AccountId, amount: Balance },
		/// A withdrawal of escrow was requested.
		WithdrawalRequested { who: T::AccountId, amount: Balance, unlock_at: BlockNumberFor<T> },
		/// Escrow was paid back to its customer.
		Withdrawn { who: T::AccountId, amount: Balance },
		/// A two-signed attestation settled `(edge, window, reporter, part)`; its
		/// credits and fee vest at `vests_at`.
		AttestationAccepted {
			edge: PublicKey,
			window: WindowIndex,
			part: PartIndex,
			owner: T::AccountId,
			reporter: PublicKey,
			bytes: u64,
			charged: Balance,
			fee: Balance,
			credits: Balance,
			unpaid: Balance,
			vests_at: BlockNumberFor<T>,
		},
		/// An attestation of a batch was skipped in the block.
		AttestationRejected {
			edge: PublicKey,
			window: WindowIndex,
			reporter: PublicKey,
			error: DispatchError,
		},
		/// Part of an entry was not paid: `limit` was reached.
		LimitReached {
			edge: PublicKey,
			window: WindowIndex,
			content: ContentId,
			limit: Limit,
			unpaid: Balance,
		},
		/// A settlement's credits were minted and its fee accrued to the operator.
		SettlementVested {
			edge: PublicKey,
			window: WindowIndex,
			part: PartIndex,
			reporter: PublicKey,
			owner: T::AccountId,
			credits: Balance,
			fee: Balance,
		},
		/// A settlement of a revoked reporter was voided: its customers got
		/// `refunded` back into escrow and nothing was minted.
		SettlementVoided {
			edge: PublicKey,
			window: WindowIndex,
			part: PartIndex,
			reporter: PublicKey,
			refunded: Balance,
		},
		/// Accrued fees were paid to the operator.
		FeesPaid { operator: T::AccountId, amount: Balance },
		/// An entry of a settled attestation could not be paid (its content is
		/// unknown, or retired before the window) and was skipped; the rest of
		/// the attestation settled.
		EntrySkipped {
			edge: PublicKey,
			window: WindowIndex,
			content: ContentId,
			error: DispatchError,
		},
		/// Credits were burned and a payout requested.
		Redeemed { id: u64, who: T::AccountId, amount: Balance },
		/// The operator paid a redemption out and took its backing.
		RedemptionCompleted { id: u64, who: T::AccountId, amount: Balance },
		/// The operator account changed.
		OperatorSet { operator: T::AccountId },
		/// A retired content whose last payable window aged out was removed
		/// and its deposit released to its owner.
		ContentReaped { id: ContentId, owner: T::AccountId, released: Balance },
		/// A redemption the operator did not complete in time went back to
		/// its owner as credits.
		RedemptionReclaimed { id: u64, who: T::AccountId, amount: Balance },
		/// Every record of `window` (settlements, usage, spends) was deleted.
		HistoryPruned { window: WindowIndex },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// This edge key is already registered.
		EdgeAlreadyRegistered,
		/// No edge is registered under this key.
		UnknownEdge,
		/// The caller does not own this edge.
		NotEdgeOwner,
		/// The edge is not bonded for this window (it left, or its bond is short).
		EdgeNotBonded,
		/// The window ended before the edge registered.
		WindowBeforeRegistration,
		/// The edge is already leaving.
		EdgeAlreadyLeaving,
		/// The edge has not been unregistered.
		EdgeNotLeaving,
		/// The unbonding delay has not passed yet.
		StillUnbonding,
		/// The region code is longer than `MaxRegionLen`.
		RegionTooLong,
		/// The origin URL is longer than `MaxOriginLen`.
		OriginTooLong,
		/// A capacity of zero bytes per second.
		ZeroCapacity,
		/// The reporter is already in the set.
		ReporterAlreadyAdded,
		/// The reporter is not in the reporter set.
		UnknownReporter,
		/// A content with this id is already registered.
		ContentAlreadyRegistered,
		/// No content is registered under this id.
		UnknownContent,
		/// The caller does not own this content.
		NotContentOwner,
		/// The content is already retired.
		ContentRetired,
		/// A content of size zero.
		ZeroSize,
		/// An amount of zero.
		ZeroAmount,
		/// The escrow is smaller than the requested withdrawal.
		InsufficientEscrow,
		/// There is no pending withdrawal.
		NoPendingWithdrawal,
		/// The withdrawal delay has not passed yet.
		WithdrawalLocked,
		/// The window has not closed yet.
		WindowNotClosed,
		/// The window is older than `MaxWindowAge`.
		WindowTooOld,
		/// This `(edge, window)` is already settled.
		AlreadySettled,
		/// The attestation has no entries.
		NoEntries,
		/// An entry claims zero bytes.
		ZeroBytesEntry,
		/// The same content appears twice in one attestation.
		DuplicateEntry,
		/// The bytes claimed exceed the edge's capacity for one window.
		BytesOverCap,
		/// The edge's signature does not verify (forged, other chain or other message kind).
		BadEdgeSignature,
		/// The reporter's signature does not verify (forged, other chain or other message kind).
		BadReporterSignature,
		/// The batch is empty.
		EmptyBatch,
		/// No operator account is set.
		NoOperator,
		/// More credits requested than the account holds.
		InsufficientCredits,
		/// No redemption with this id.
		UnknownRedemption,
		/// An arithmetic overflow.
		Overflow,
		/// A signature in the batch does not verify. The pool never accepts such
		/// a batch; only a faulty block author can include one, and then none of
		/// it settles.
		BadBatchSignature,
		/// The edge key's proof of possession does not verify for this caller
		/// and chain: the caller does not hold the key it registers.
		BadEdgeProof,
		/// The reporter was revoked; its key cannot rejoin the set.
		ReporterRevoked,
		/// The reporter was already revoked.
		AlreadyRevoked,
		/// An open content needs a per-window budget.
		OpenWithoutBudget,
		/// The attestation's part is not below `MAX_PARTS`.
		PartOutOfRange,
		/// The attestation would charge less than `MinCharge` after every
		/// limit (e.g. the customers' escrow is empty): it is not worth a
		/// block's space.
		ChargeBelowMinimum,
		/// A content priced at zero.
		ZeroPrice,
		/// The content has not been retired (`remove_content`).
		ContentNotRetired,
		/// Deliveries of the retired content can still settle: it can be
		/// reaped once its last payable window is older than `MaxWindowAge`.
		ContentStillSettling,
		/// The redemption expired: it is its owner's to reclaim, no longer
		/// the operator's to complete.
		RedemptionExpired,
		/// The redemption has not expired yet.
		RedemptionNotExpired,
		/// The caller did not request this redemption.
		NotRedemptionOwner,
	}

	/// Registered edges by edge key.
	#[pallet::storage]
	pub type Edges<T: Config> = StorageMap<_, Blake2_128Concat, PublicKey, EdgeInfo<T>>;

	/// The reporter set, with each reporter's per-window cap.
	#[pallet::storage]
	pub type Reporters<T: Config> = StorageMap<_, Blake2_128Concat, PublicKey, ReporterInfo>;

	/// Reporters Root revoked as compromised, and when.
	#[pallet::storage]
	pub type Revoked<T: Config> = StorageMap<_, Blake2_128Concat, PublicKey, BlockNumberFor<T>>;

	/// Escrow charged under each reporter's co-signature, by the window in
	/// which the chain settled it (not the window delivered: a key that can
	/// attest any of the last `MaxWindowAge` windows still takes one cap per
	/// window of time). Keyed window first, as every per-window record, so
	/// `on_idle` deletes a window's records by prefix.
	#[pallet::storage]
	pub type ReporterSpend<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		WindowIndex,
		Blake2_128Concat,
		PublicKey,
		Balance,
		ValueQuery,
	>;

	/// What each customer's contents took of each reporter's cap, by the
	/// window in which the chain settled it (bounded by `MaxCustomerShare`).
	#[pallet::storage]
	pub type CustomerSpend<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		WindowIndex,
		Blake2_128Concat,
		(PublicKey, T::AccountId),
		Balance,
		ValueQuery,
	>;

	/// Registered contents by content id.
	#[pallet::storage]
	pub type Contents<T: Config> = StorageMap<_, Blake2_128Concat, ContentId, ContentInfo<T>>;

	/// Escrow charged for each budgeted content per window.
	#[pallet::storage]
	pub type ContentSpend<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		WindowIndex,
		Blake2_128Concat,
		ContentId,
		Balance,
		ValueQuery,
	>;

	/// Each customer's own limit on what one window may charge its escrow.
	#[pallet::storage]
	pub type SpendLimits<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Balance>;

	/// A customer's spending limit from before its last lowering: `(from,
	/// before)`, deliveries of windows before `from` may charge up to the
	/// more generous of `before` and the limit now set, so tickets issued
	/// under the old limit are still paid (`limits`).
	#[pallet::storage]
	pub type LimitsBefore<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (WindowIndex, Option<Balance>)>;

	/// A content's budget from before its last lowering, as
	/// [`LimitsBefore`].
	#[pallet::storage]
	pub type BudgetsBefore<T: Config> =
		StorageMap<_, Blake2_128Concat, ContentId, (WindowIndex, Option<Balance>)>;

	/// The key whose viewer grants a customer honours (reporters issue
	/// tickets for the customer's contents only under grants it signed).
	#[pallet::storage]
	pub type GrantKeys<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, PublicKey>;

	/// Each customer's escrow, held in the pallet account.
	#[pallet::storage]
	pub type Escrow<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Balance, ValueQuery>;

	/// Requested withdrawals: amount and the block from which it can be claimed.
	#[pallet::storage]
	pub type PendingWithdrawals<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, (Balance, BlockNumberFor<T>)>;

	/// Settled `(edge, window, reporter, part)` and what each paid: the
	/// idempotency flag. An edge that served tickets of several reporters in
	/// one window settles once with each, in as many parts as its tickets
	/// need (`MAX_PARTS`).
	#[pallet::storage]
	pub type Settled<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, WindowIndex>,
			NMapKey<Blake2_128Concat, PublicKey>,
			NMapKey<Blake2_128Concat, PublicKey>,
			NMapKey<Twox64Concat, PartIndex>,
		),
		SettlementRecord,
	>;

	/// Bytes each edge has settled in each window, across every reporter
	/// and part: what its capacity caps.
	#[pallet::storage]
	pub type WindowBytes<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		WindowIndex,
		Blake2_128Concat,
		PublicKey,
		u64,
		ValueQuery,
	>;

	/// Settlements waiting to vest, in the order they settled (so in order of
	/// `vests_at`).
	#[pallet::storage]
	pub type Pending<T: Config> = StorageMap<_, Twox64Concat, u64, PendingSettlement<T>>;

	/// `[head, tail)` of the `Pending` queue.
	#[pallet::storage]
	pub type PendingRange<T: Config> = StorageValue<_, (u64, u64), ValueQuery>;

	/// Credits each owner will receive when its pending settlements vest.
	#[pallet::storage]
	pub type Unvested<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Balance, ValueQuery>;

	/// Escrow held for pending settlements (their credits plus fees).
	#[pallet::storage]
	pub type TotalUnvested<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// Fees of vested settlements not yet transferred to the operator.
	#[pallet::storage]
	pub type AccruedFees<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// Bytes delivered and charged per customer and window.
	#[pallet::storage]
	pub type Usage<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		WindowIndex,
		Blake2_128Concat,
		T::AccountId,
		UsageRecord,
		ValueQuery,
	>;

	/// Non-transferable reward credits per account.
	#[pallet::storage]
	pub type Credits<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Balance, ValueQuery>;

	/// Sum of all `Credits`.
	#[pallet::storage]
	pub type TotalCredits<T: Config> = StorageValue<_, Balance, ValueQuery>;

	/// Redemption requests awaiting the operator's payout.
	#[pallet::storage]
	pub type Redemptions<T: Config> = StorageMap<_, Twox64Concat, u64, Redemption<T>>;

	/// Id of the next redemption request.
	#[pallet::storage]
	pub type NextRedemptionId<T: Config> = StorageValue<_, u64, ValueQuery>;

	/// The operator's account: receives fees and the backing of paid-out credits.
	#[pallet::storage]
	pub type Operator<T: Config> = StorageValue<_, T::AccountId>;

	/// How far `on_idle` has deleted old windows' records.
	#[pallet::storage]
	pub type PruneCursor<T: Config> = StorageValue<_, crate::types::PruneState, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The operator account.
		pub operator: Option<T::AccountId>,
		/// Initial reporter keys with their per-window caps.
		pub reporters: Vec<(PublicKey, Balance)>,
		/// Initial edges: owner, edge key, region, capacity (bytes/s). Bond put on hold.
		pub edges: Vec<(T::AccountId, PublicKey, Vec<u8>, u64)>,
		/// Initial contents: id, owner, size, price per GiB, origin.
		pub contents: Vec<GenesisContent<T>>,
		/// Initial escrow deposits, moved from the accounts' free balance.
		pub escrows: Vec<(T::AccountId, Balance)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let account = Pallet::<T>::account_id();
			let ed = T::Currency::minimum_balance();
			if T::Currency::balance(&account) < ed {
				T::Currency::mint_into(&account, ed).expect("minting ED to the pallet account");
			}
			if let Some(op) = &self.operator {
				Operator::<T>::put(op);
			}
			for (r, cap) in &self.reporters {
				Reporters::<T>::insert(r, ReporterInfo { cap_per_window: *cap });
			}
			for (owner, key, region, capacity) in &self.edges {
				Pallet::<T>::do_register_edge(owner, *key, region.clone(), *capacity)
					.expect("genesis edge registers");
			}
			for (id, owner, size, price, origin) in &self.contents {
				Pallet::<T>::do_register_content(owner, *id, *size, *price, origin.clone())
					.expect("genesis content registers");
			}
			for (who, amount) in &self.escrows {
				Pallet::<T>::do_deposit(who, *amount).expect("genesis escrow deposits");
			}
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Registers an edge key, putting `EdgeBond` on hold from the caller.
		/// `proof` is the edge key's signature over
		/// [`pod_primitives::edge_registration_bytes`] (this chain's genesis
		/// and the caller's account): only the key's holder can register it,
		/// and only for the owner it chose.
		#[pallet::call_index(0)]
		pub fn register_edge(
			origin: OriginFor<T>,
			edge_key: PublicKey,
			region: Vec<u8>,
			capacity: u64,
			proof: Signature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::check_edge_proof(&who, &edge_key, &proof)?;
			Self::do_register_edge(&who, edge_key, region, capacity)
		}

		/// Starts unbonding an edge. Windows before the current one may still settle.
		#[pallet::call_index(1)]
		pub fn unregister_edge(origin: OriginFor<T>, edge_key: PublicKey) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Edges::<T>::try_mutate(edge_key, |maybe| {
				let edge = maybe.as_mut().ok_or(Error::<T>::UnknownEdge)?;
				ensure!(edge.owner == who, Error::<T>::NotEdgeOwner);
				ensure!(edge.leaving.is_none(), Error::<T>::EdgeAlreadyLeaving);
				let window = Self::current_window();
				let unlock_at = frame_system::Pallet::<T>::block_number()
					.saturating_add(T::UnbondingDelay::get());
				edge.leaving = Some((window, unlock_at));
				Self::deposit_event(Event::EdgeUnbonding {
					edge: edge_key,
					last_window: window.saturating_sub(1),
					unlock_at,
				});
				Ok(())
			})
		}

		/// Releases the bond of an edge whose unbonding delay has passed and removes it.
		#[pallet::call_index(2)]
		pub fn withdraw_bond(origin: OriginFor<T>, edge_key: PublicKey) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let edge = Edges::<T>::get(edge_key).ok_or(Error::<T>::UnknownEdge)?;
			ensure!(edge.owner == who, Error::<T>::NotEdgeOwner);
			let (_, unlock_at) = edge.leaving.ok_or(Error::<T>::EdgeNotLeaving)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() >= unlock_at,
				Error::<T>::StillUnbonding
			);
			let released = T::Currency::release(
				&HoldReason::EdgeBond.into(),
				&who,
				edge.bond,
				Precision::BestEffort,
			)?;
			Edges::<T>::remove(edge_key);
			Self::deposit_event(Event::EdgeRemoved { edge: edge_key, released });
			Ok(())
		}

		/// Adds a reporter key to the reporter set. Attestations it co-signs
		/// may charge at most `cap_per_window` of escrow per window in total.
		#[pallet::call_index(3)]
		pub fn add_reporter(
			origin: OriginFor<T>,
			reporter: PublicKey,
			cap_per_window: Balance,
		) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(!Reporters::<T>::contains_key(reporter), Error::<T>::ReporterAlreadyAdded);
			ensure!(!Revoked::<T>::contains_key(reporter), Error::<T>::ReporterRevoked);
			Reporters::<T>::insert(reporter, ReporterInfo { cap_per_window });
			Self::deposit_event(Event::ReporterAdded { reporter, cap_per_window });
			Ok(())
		}

		/// Removes a reporter key from the reporter set (an orderly
		/// retirement: what it co-signed still vests; see `revoke_reporter`).
		#[pallet::call_index(4)]
		pub fn remove_reporter(origin: OriginFor<T>, reporter: PublicKey) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(Reporters::<T>::take(reporter).is_some(), Error::<T>::UnknownReporter);
			Self::deposit_event(Event::ReporterRemoved { reporter });
			Ok(())
		}

		/// Registers a content the caller pays delivery for.
		#[pallet::call_index(5)]
		pub fn register_content(
			origin: OriginFor<T>,
			id: ContentId,
			size: u64,
			price_per_gib: Balance,
			origin_url: Vec<u8>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_content(&who, id, size, price_per_gib, origin_url)
		}

		/// Retires a content from the next window on: deliveries in the
		/// current window and earlier ones still settle, later ones are
		/// skipped (`EntrySkipped`).
		#[pallet::call_index(6)]
		pub fn remove_content(origin: OriginFor<T>, id: ContentId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Contents::<T>::try_mutate(id, |maybe| {
				let c = maybe.as_mut().ok_or(Error::<T>::UnknownContent)?;
				ensure!(c.owner == who, Error::<T>::NotContentOwner);
				ensure!(c.retired_from.is_none(), Error::<T>::ContentRetired);
				let from_window = Self::current_window().saturating_add(1);
				c.retired_from = Some(from_window);
				Self::deposit_event(Event::ContentRemoved { id, from_window });
				Ok(())
			})
		}

		/// Moves `amount` from the caller's free balance into escrow.
		#[pallet::call_index(7)]
		pub fn deposit(origin: OriginFor<T>, amount: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deposit(&who, amount)
		}

		/// Requests `amount` of escrow back (added to any pending request). It can be
		/// claimed after `WithdrawalDelay`; until then it still pays for deliveries.
		#[pallet::call_index(8)]
		pub fn withdraw(origin: OriginFor<T>, amount: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let pending = PendingWithdrawals::<T>::get(&who).map(|p| p.0).unwrap_or_default();
			let total = pending.checked_add(amount).ok_or(Error::<T>::Overflow)?;
			ensure!(Escrow::<T>::get(&who) >= total, Error::<T>::InsufficientEscrow);
			let unlock_at =
				frame_system::Pallet::<T>::block_number().saturating_add(T::WithdrawalDelay::get());
			PendingWithdrawals::<T>::insert(&who, (total, unlock_at));
			Self::deposit_event(Event::WithdrawalRequested { who, amount: total, unlock_at });
			Ok(())
		}

		/// Pays out a pending withdrawal whose delay has passed (capped by what is
		/// left in escrow after settlements).
		#[pallet::call_index(9)]
		pub fn claim_withdrawal(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (amount, unlock_at) =
				PendingWithdrawals::<T>::get(&who).ok_or(Error::<T>::NoPendingWithdrawal)?;
			ensure!(
				frame_system::Pallet::<T>::block_number() >= unlock_at,
				Error::<T>::WithdrawalLocked
			);
			let escrow = Escrow::<T>::get(&who);
			let pay = amount.min(escrow);
			T::Currency::transfer(&Self::account_id(), &who, pay, Preservation::Preserve)?;
			Escrow::<T>::insert(&who, escrow - pay);
			PendingWithdrawals::<T>::remove(&who);
			Self::deposit_event(Event::Withdrawn { who, amount: pay });
			Ok(())
		}

		/// Settles one two-signed attestation. Unsigned and fee-less: authorised by
		/// the edge's and the reporter's signatures.
		#[pallet::call_index(10)]
		#[pallet::weight(Pallet::<T>::attestation_weight(attestation.payload.entries.len()))]
		pub fn submit_attestation(
			origin: OriginFor<T>,
			attestation: Box<Attestation>,
		) -> DispatchResult {
			ensure_none(origin)?;
			let edge = Self::check(&attestation)?;
			Self::pay(&attestation, edge)
		}

		/// Settles a batch of attestations. Invalid ones are skipped with an
		/// `AttestationRejected` event; the others settle.
		#[pallet::call_index(11)]
		#[pallet::weight(Pallet::<T>::batch_weight(batch))]
		pub fn submit_attestations(
			origin: OriginFor<T>,
			batch: BoundedVec<Attestation, MaxBatch>,
		) -> DispatchResult {
			ensure_none(origin)?;
			ensure!(!batch.is_empty(), Error::<T>::EmptyBatch);
			// Every signature at once (pod-crypto's batch verification); a
			// signature, unlike storage, cannot have changed since the pool
			// checked it, so a failure here means a faulty author.
			ensure!(Self::signatures_verify(&batch), Error::<T>::BadBatchSignature);
			for att in batch.iter() {
				let settled = frame_support::storage::with_storage_layer(|| {
					let edge = Self::check_state(att)?;
					Self::pay(att, edge)
				});
				if let Err(error) = settled {
					Self::deposit_event(Event::AttestationRejected {
						edge: att.payload.edge,
						window: att.payload.window,
						reporter: att.reporter,
						error,
					});
				}
			}
			Ok(())
		}

		/// Burns `amount` of the caller's credits and records a payout request.
		#[pallet::call_index(12)]
		pub fn redeem(origin: OriginFor<T>, amount: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			Credits::<T>::try_mutate(&who, |c| -> DispatchResult {
				*c = c.checked_sub(amount).ok_or(Error::<T>::InsufficientCredits)?;
				Ok(())
			})?;
			TotalCredits::<T>::mutate(|t| *t = t.saturating_sub(amount));
			let id = NextRedemptionId::<T>::mutate(|n| {
				let id = *n;
				*n = n.saturating_add(1);
				id
			});
			let requested_at = frame_system::Pallet::<T>::block_number();
			Redemptions::<T>::insert(id, Redemption { who: who.clone(), amount, requested_at });
			Self::deposit_event(Event::Redeemed { id, who, amount });
			Ok(())
		}

		/// Marks a redemption paid out off chain; its backing goes to the
		/// operator. An expired redemption (`RedemptionExpiry`) can no
		/// longer be completed: it is its owner's to reclaim. The operator
		/// completes a redemption on chain before paying it out, so the two
		/// can never both happen.
		#[pallet::call_index(13)]
		pub fn complete_redemption(origin: OriginFor<T>, id: u64) -> DispatchResult {
			ensure_root(origin)?;
			let r = Redemptions::<T>::get(id).ok_or(Error::<T>::UnknownRedemption)?;
			ensure!(!Self::redemption_expired(&r), Error::<T>::RedemptionExpired);
			let operator = Operator::<T>::get().ok_or(Error::<T>::NoOperator)?;
			T::Currency::transfer(
				&Self::account_id(),
				&operator,
				r.amount,
				Preservation::Preserve,
			)?;
			Redemptions::<T>::remove(id);
			Self::deposit_event(Event::RedemptionCompleted { id, who: r.who, amount: r.amount });
			Ok(())
		}

		/// Sets the operator account.
		#[pallet::call_index(14)]
		pub fn set_operator(origin: OriginFor<T>, operator: T::AccountId) -> DispatchResult {
			ensure_root(origin)?;
			Operator::<T>::put(&operator);
			Self::deposit_event(Event::OperatorSet { operator });
			Ok(())
		}

		/// Revokes a compromised reporter: it leaves the set (if still in
		/// it), its key can never rejoin, and every settlement it co-signed
		/// that has not vested yet is voided when it comes due, the charge
		/// going back to the customers' escrow. Operational: it has the
		/// block space reserved for operations and outranks every
		/// attestation in the pool, however many a stolen key floods it with.
		#[pallet::call_index(15)]
		#[pallet::weight((T::WeightInfo::revoke_reporter(), DispatchClass::Operational))]
		pub fn revoke_reporter(origin: OriginFor<T>, reporter: PublicKey) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(!Revoked::<T>::contains_key(reporter), Error::<T>::AlreadyRevoked);
			Reporters::<T>::remove(reporter);
			Revoked::<T>::insert(reporter, frame_system::Pallet::<T>::block_number());
			Self::deposit_event(Event::ReporterRevoked { reporter });
			Ok(())
		}

		/// Changes a reporter's per-window cap.
		#[pallet::call_index(16)]
		pub fn set_reporter_cap(
			origin: OriginFor<T>,
			reporter: PublicKey,
			cap_per_window: Balance,
		) -> DispatchResult {
			ensure_root(origin)?;
			Reporters::<T>::try_mutate(reporter, |maybe| {
				let info = maybe.as_mut().ok_or(Error::<T>::UnknownReporter)?;
				info.cap_per_window = cap_per_window;
				Self::deposit_event(Event::ReporterCapSet { reporter, cap_per_window });
				Ok(())
			})
		}

		/// Sets (or, with `None`, lifts) the caller's limit on what one window
		/// may charge its escrow. Deliveries above it are not paid
		/// (`LimitReached`, and `unpaid` in the window's usage). A raise
		/// applies at once; a lowering from the next window, so that the
		/// tickets reporters issued for the current one are still paid.
		#[pallet::call_index(17)]
		pub fn set_spend_limit(origin: OriginFor<T>, limit: Option<Balance>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let old = SpendLimits::<T>::get(&who);
			let before = Self::remembered(old, LimitsBefore::<T>::get(&who), limit);
			LimitsBefore::<T>::set(&who, before);
			SpendLimits::<T>::set(&who, limit);
			Self::deposit_event(Event::SpendLimitSet { who, limit });
			Ok(())
		}

		/// Names (or, with `None`, removes) the key whose viewer grants the
		/// caller honours: reporters issue tickets for the caller's contents
		/// only under a grant this key signed.
		#[pallet::call_index(18)]
		pub fn set_grant_key(origin: OriginFor<T>, key: Option<PublicKey>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			match key {
				Some(k) => GrantKeys::<T>::insert(&who, k),
				None => GrantKeys::<T>::remove(&who),
			}
			Self::deposit_event(Event::GrantKeySet { who, key });
			Ok(())
		}

		/// Sets a content's per-window budget (most escrow its deliveries may
		/// charge in one window; `None`: no cap) and whether it is open to
		/// viewers without a grant. An open content must have a budget. A
		/// raised budget applies at once, a lowered one from the next
		/// window (as `set_spend_limit`).
		#[pallet::call_index(19)]
		pub fn set_content_policy(
			origin: OriginFor<T>,
			id: ContentId,
			budget: Option<Balance>,
			open: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!open || budget.is_some(), Error::<T>::OpenWithoutBudget);
			Contents::<T>::try_mutate(id, |maybe| {
				let c = maybe.as_mut().ok_or(Error::<T>::UnknownContent)?;
				ensure!(c.owner == who, Error::<T>::NotContentOwner);
				let before = Self::remembered(c.budget, BudgetsBefore::<T>::get(id), budget);
				BudgetsBefore::<T>::set(id, before);
				c.budget = budget;
				c.open = open;
				Self::deposit_event(Event::ContentPolicySet { id, budget, open });
				Ok(())
			})
		}

		/// Removes a retired content once its last payable window can no
		/// longer settle, releasing its deposit to its owner. Anyone may
		/// call it: it only cleans up.
		#[pallet::call_index(20)]
		pub fn reap_content(origin: OriginFor<T>, id: ContentId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_reap_content(id)
		}

		/// Takes back, as credits, a redemption the operator did not
		/// complete within `RedemptionExpiry`.
		#[pallet::call_index(21)]
		pub fn reclaim_redemption(origin: OriginFor<T>, id: u64) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let r = Redemptions::<T>::get(id).ok_or(Error::<T>::UnknownRedemption)?;
			ensure!(r.who == who, Error::<T>::NotRedemptionOwner);
			ensure!(Self::redemption_expired(&r), Error::<T>::RedemptionNotExpired);
			Credits::<T>::mutate(&who, |c| *c = c.saturating_add(r.amount));
			TotalCredits::<T>::mutate(|t| *t = t.saturating_add(r.amount));
			Redemptions::<T>::remove(id);
			Self::deposit_event(Event::RedemptionReclaimed { id, who, amount: r.amount });
			Ok(())
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Vests (or, for a revoked reporter, voids) the settlements that
		/// came due, oldest first, then deletes the records of windows past
		/// their history, in the block's spare weight.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			let used = Self::process_pending(now, remaining);
			used.saturating_add(Self::prune_history(remaining.saturating_sub(used)))
		}

		fn integrity_test() {
			// A window's records must outlive its settlements' vesting (a
			// voided settlement gives its usage back).
			let history_blocks =
				u64::from(T::HistoryWindows::get()) * u64::from(T::WindowLength::get());
			let vesting: u64 = T::VestingDelay::get().unique_saturated_into();
			assert!(history_blocks >= vesting, "HistoryWindows must cover VestingDelay");
		}
	}

	#[pallet::validate_unsigned]
	#[allow(deprecated)]
	impl<T: Config> ValidateUnsigned for Pallet<T> {
		type Call = Call<T>;

		fn validate_unsigned(_source: TransactionSource, call: &Self::Call) -> TransactionValidity {
			let atts = Self::attestations_in(call)?;
			let mut builder = ValidTransaction::with_tag_prefix("PodAttestation")
				.priority(T::UnsignedPriority::get())
				.propagate(true);
			let now = Self::current_window();
			let mut longevity = u64::MAX;
			for att in atts {
				// Valid until the window ages out.
				let age = now.saturating_sub(att.payload.window);
				let left = T::MaxWindowAge::get().saturating_sub(age).saturating_add(1);
				longevity = longevity.min(left as u64 * T::WindowLength::get() as u64);
				let p = &att.payload;
				builder = builder.and_provides((p.edge, p.window, att.reporter, p.part));
			}
			// The signatures first: one batch verification is cheaper than
			// settling up to 128 × 64 entries in a throw-away layer, so a
			// forged batch costs the node the least there is to check.
			if !Self::signatures_verify(atts) {
				return Err(InvalidTransaction::BadProof.into());
			}
			// Then every storage rule, payment included (escrow, limits,
			// the minimum charge).
			Self::would_settle(atts)?;
			builder.longevity(longevity.max(1)).build()
		}

		/// In a block, dispatch makes every check itself (skipping or failing
		/// what no longer holds) and its weight, from the benchmarks, includes
		/// them. Running `validate_unsigned` here as well would verify every
		/// signature twice per block, unweighed; only the checks that need no
		/// storage and no signature are repeated.
		fn pre_dispatch(call: &Self::Call) -> Result<(), TransactionValidityError> {
			Self::attestations_in(call).map(|_| ())
		}
	}
}
