//! Benchmarks for `pallet_pod`, producing `weights.rs`.
//!
//! Attestations are signed inside the benchmark with `sp_io` keystore keys, so
//! the measured cost includes both sr25519 verifications, as on chain.

use super::*;
use crate::pallet::{
	Contents, Edges, Escrow, GrantKeys, Operator, Pallet as Pod, PendingWithdrawals, Redemptions,
	Revoked, SpendLimits,
};
use crate::types::{Balance, ReporterInfo};
use alloc::{boxed::Box, vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use frame_system::RawOrigin;
use pod_primitives::{signing_bytes, DomainTag, MAX_BATCH, MAX_ENTRIES};
use sp_core::crypto::KeyTypeId;
use sp_runtime::traits::{One, Zero};

const KEY_TYPE: KeyTypeId = KeyTypeId(*b"podb");
const BIG: Balance = 1 << 100;

fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, 0);
	T::Currency::set_balance(&who, BIG);
	who
}

fn new_key() -> PublicKey {
	sp_io::crypto::sr25519_generate(KEY_TYPE, None).0
}

fn sign(key: &PublicKey, msg: &[u8]) -> [u8; 64] {
	sp_io::crypto::sr25519_sign(KEY_TYPE, &sp_core::sr25519::Public::from_raw(*key), msg)
		.expect("key is in the keystore")
		.0
}

/// Operator, pallet account, one reporter, `e` contents, each owned by its own
/// customer with ample escrow: the worst case, where every entry of an
/// attestation reads and writes a different customer's escrow and usage.
/// Returns the reporter key and the contents.
fn world<T: Config>(e: u32) -> (PublicKey, Vec<ContentId>) {
	let account = Pod::<T>::account_id();
	if T::Currency::balance(&account) < T::Currency::minimum_balance() {
		T::Currency::set_balance(&account, T::Currency::minimum_balance());
	}
	Operator::<T>::put(funded::<T>("operator", 0));
	let reporter = new_key();
	Reporters::<T>::insert(reporter, ReporterInfo { cap_per_window: BIG });
	// Every limit is set (and none binds), so each entry reads and writes
	// all of them: the customer's spending limit, the content's budget.
	let contents: Vec<ContentId> = (0..e)
		.map(|i| {
			let customer = funded::<T>("customer", i);
			let mut id = [0u8; 32];
			id[..4].copy_from_slice(&i.to_le_bytes());
			Pod::<T>::do_register_content(&customer, id, 1 << 40, 1_000_000, vec![b'o'; 64])
				.expect("content registers");
			Contents::<T>::mutate(id, |c| c.as_mut().expect("registered").budget = Some(BIG));
			SpendLimits::<T>::insert(&customer, BIG);
			Pod::<T>::do_deposit(&customer, BIG / 2).expect("deposit works");
			id
		})
		.collect();
	(reporter, contents)
}

fn edge<T: Config>(i: u32) -> PublicKey {
	let key = new_key();
	let owner = funded::<T>("edge-owner", i);
	Pod::<T>::do_register_edge(&owner, key, vec![b'r'; 8], u64::MAX / 2).expect("edge registers");
	key
}

fn attestation<T: Config>(
	edge: PublicKey,
	reporter: PublicKey,
	window: WindowIndex,
	contents: &[ContentId],
) -> Attestation {
	let entries: Vec<Entry> =
		contents.iter().map(|c| Entry { content: *c, bytes: 1 << 30 }).collect();
	let payload = AttestationPayload {
		edge,
		window,
		part: 0,
		entries: BoundedVec::try_from(entries).expect("within MAX_ENTRIES"),
		receipts_root: [1; 32],
		receipt_count: contents.len() as u32,
	};
	let msg = signing_bytes(DomainTag::Attestation, &Pod::<T>::genesis_hash(), &payload);
	Attestation {
		edge_signature: sign(&edge, &msg),
		reporter,
		reporter_signature: sign(&reporter, &msg),
		payload,
	}
}

/// Moves to the first block of window 2, so window 1 is closed and fresh.
fn close_window_one<T: Config>() -> WindowIndex {
	let n: u32 = 2 * T::WindowLength::get();
	frame_system::Pallet::<T>::set_block_number(n.into());
	1
}

/// Settles one attestation of `c` contents (each its own customer's) and
/// returns the block in which it vests.
fn settle_one_pending<T: Config>(c: u32) -> BlockNumberFor<T> {
	let (reporter, contents) = world::<T>(c);
	let key = edge::<T>(0);
	let window = close_window_one::<T>();
	let att = attestation::<T>(key, reporter, window, &contents);
	Pod::<T>::submit_attestation(RawOrigin::None.into(), Box::new(att)).expect("settles");
	crate::pallet::Pending::<T>::get(0).expect("queued").vests_at
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_edge() {
		let who = funded::<T>("owner", 0);
		let key = new_key();
		let msg = pod_primitives::edge_registration_bytes(&Pod::<T>::genesis_hash(), &key, &who);
		let proof = sign(&key, &msg);
		let region = vec![b'r'; T::MaxRegionLen::get() as usize];
		#[extrinsic_call]
		_(RawOrigin::Signed(who), key, region, 1_000_000, proof);
		assert!(Edges::<T>::contains_key(key));
	}

	#[benchmark]
	fn unregister_edge() {
		let key = edge::<T>(0);
		let owner = Edges::<T>::get(key).unwrap().owner;
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), key);
		assert!(Edges::<T>::get(key).unwrap().leaving.is_some());
	}

	#[benchmark]
	fn withdraw_bond() {
		let key = edge::<T>(0);
		let owner = Edges::<T>::get(key).unwrap().owner;
		Pod::<T>::unregister_edge(RawOrigin::Signed(owner.clone()).into(), key).unwrap();
		let later =
			frame_system::Pallet::<T>::block_number() + T::UnbondingDelay::get() + One::one();
		frame_system::Pallet::<T>::set_block_number(later);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), key);
		assert!(!Edges::<T>::contains_key(key));
	}

	#[benchmark]
	fn add_reporter() {
		let key = new_key();
		#[extrinsic_call]
		_(RawOrigin::Root, key, BIG);
		assert!(Reporters::<T>::contains_key(key));
	}

	#[benchmark]
	fn remove_reporter() {
		let key = new_key();
		Reporters::<T>::insert(key, ReporterInfo { cap_per_window: BIG });
		#[extrinsic_call]
		_(RawOrigin::Root, key);
		assert!(!Reporters::<T>::contains_key(key));
	}

	#[benchmark]
	fn register_content() {
		let who = funded::<T>("customer", 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who),
			[9; 32],
			1 << 30,
			1_000,
			vec![b'o'; T::MaxOriginLen::get() as usize],
		);
		assert!(Contents::<T>::contains_key([9; 32]));
	}

	#[benchmark]
	fn remove_content() {
		let who = funded::<T>("customer", 0);
		Pod::<T>::do_register_content(&who, [9; 32], 1 << 30, 1_000, vec![]).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(who), [9; 32]);
		assert!(Contents::<T>::get([9; 32]).unwrap().retired_from.is_some());
	}

	#[benchmark]
	fn deposit() {
		world::<T>(0);
		let who = funded::<T>("depositor", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1_000_000_000);
		assert_eq!(Escrow::<T>::get(&who), 1_000_000_000);
	}

	#[benchmark]
	fn withdraw() {
		world::<T>(0);
		let who = funded::<T>("depositor", 0);
		Pod::<T>::do_deposit(&who, 1_000_000_000).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1_000);
		assert!(PendingWithdrawals::<T>::contains_key(&who));
	}

	#[benchmark]
	fn claim_withdrawal() {
		world::<T>(0);
		let who = funded::<T>("depositor", 0);
		Pod::<T>::do_deposit(&who, 1_000_000_000).unwrap();
		Pod::<T>::withdraw(RawOrigin::Signed(who.clone()).into(), 1_000).unwrap();
		let later = frame_system::Pallet::<T>::block_number() + T::WithdrawalDelay::get();
		frame_system::Pallet::<T>::set_block_number(later);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!PendingWithdrawals::<T>::contains_key(&who));
	}

	/// One attestation with `e` entries.
	#[benchmark]
	fn submit_attestation(e: Linear<1, MAX_ENTRIES>) {
		let (reporter, contents) = world::<T>(e);
		let key = edge::<T>(0);
		let window = close_window_one::<T>();
		let att = attestation::<T>(key, reporter, window, &contents);
		#[extrinsic_call]
		_(RawOrigin::None, Box::new(att));
		assert!(Settled::<T>::contains_key((window, key, reporter, 0)));
	}

	/// `n` single-entry attestations for one content. A batch's weight adds,
	/// at the worst-case per-entry cost of `submit_attestation(e)`, each
	/// further entry and each further content among the first entries
	/// (`Pallet::batch_weight`): the cost is `n` plus the entry and content
	/// counts, which independent components (`n` and entries per attestation)
	/// cannot model.
	#[benchmark]
	fn submit_attestations(n: Linear<1, MAX_BATCH>) {
		let (reporter, contents) = world::<T>(1);
		// Edges register before the window they attest for (they are paid
		// only from the window they registered in).
		let edges: Vec<PublicKey> = (0..n).map(edge::<T>).collect();
		let window = close_window_one::<T>();
		let batch: Vec<Attestation> =
			edges.into_iter().map(|k| attestation::<T>(k, reporter, window, &contents)).collect();
		let last = batch.last().unwrap().payload.edge;
		let batch = BoundedVec::try_from(batch).unwrap();
		#[extrinsic_call]
		_(RawOrigin::None, batch);
		// Every attestation settled: none was skipped as rejected.
		assert!(Settled::<T>::contains_key((window, last, reporter, 0)));
		assert_eq!(Settled::<T>::iter_prefix((window,)).count(), n as usize);
	}

	#[benchmark]
	fn redeem() {
		let who = funded::<T>("edge-owner", 0);
		Credits::<T>::insert(&who, 1_000_000);
		TotalCredits::<T>::put(1_000_000);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 400_000);
		assert_eq!(Credits::<T>::get(&who), 600_000);
	}

	#[benchmark]
	fn complete_redemption() {
		world::<T>(0);
		let who = funded::<T>("edge-owner", 0);
		// Back the credits as a settlement would have.
		T::Currency::mint_into(&Pod::<T>::account_id(), 1_000_000).unwrap();
		Credits::<T>::insert(&who, 1_000_000);
		TotalCredits::<T>::put(1_000_000);
		Pod::<T>::redeem(RawOrigin::Signed(who).into(), 400_000).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Root, 0);
		assert!(!Redemptions::<T>::contains_key(0));
	}

	#[benchmark]
	fn set_operator() {
		let op: T::AccountId = account("operator", 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Root, op.clone());
		assert_eq!(Operator::<T>::get(), Some(op));
	}

	#[benchmark]
	fn revoke_reporter() {
		let key = new_key();
		Reporters::<T>::insert(key, ReporterInfo { cap_per_window: BIG });
		#[extrinsic_call]
		_(RawOrigin::Root, key);
		assert!(Revoked::<T>::contains_key(key));
	}

	#[benchmark]
	fn set_reporter_cap() {
		let key = new_key();
		Reporters::<T>::insert(key, ReporterInfo { cap_per_window: BIG });
		#[extrinsic_call]
		_(RawOrigin::Root, key, 7);
		assert_eq!(Reporters::<T>::get(key), Some(ReporterInfo { cap_per_window: 7 }));
	}

	#[benchmark]
	fn set_spend_limit() {
		let who = funded::<T>("customer", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Some(1_000));
		assert_eq!(SpendLimits::<T>::get(&who), Some(1_000));
	}

	#[benchmark]
	fn set_grant_key() {
		let who = funded::<T>("customer", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Some([7; 32]));
		assert_eq!(GrantKeys::<T>::get(&who), Some([7; 32]));
	}

	#[benchmark]
	fn set_content_policy() {
		let who = funded::<T>("customer", 0);
		Pod::<T>::do_register_content(&who, [9; 32], 1 << 30, 1_000, vec![]).unwrap();
		#[extrinsic_call]
		_(RawOrigin::Signed(who), [9; 32], Some(1_000), true);
		assert!(Contents::<T>::get([9; 32]).unwrap().open);
	}

	/// Vesting one due settlement (on_idle's work per item).
	#[benchmark]
	fn vest_settlement() {
		let now = settle_one_pending::<T>(1);
		#[block]
		{
			assert!(Pod::<T>::process_item(0, now));
		}
		assert!(!crate::pallet::Pending::<T>::contains_key(0));
		assert!(!crate::pallet::AccruedFees::<T>::get().is_zero());
	}

	/// Voiding one due settlement with `c` customers (a revoked reporter's).
	#[benchmark]
	fn void_settlement(c: Linear<1, MAX_ENTRIES>) {
		let now = settle_one_pending::<T>(c);
		let reporter = crate::pallet::Pending::<T>::get(0).unwrap().reporter;
		Pod::<T>::revoke_reporter(RawOrigin::Root.into(), reporter).unwrap();
		#[block]
		{
			assert!(Pod::<T>::process_item(0, now));
		}
		assert!(crate::pallet::TotalUnvested::<T>::get().is_zero());
	}

	/// Paying the accrued fees to the operator.
	#[benchmark]
	fn pay_fees() {
		world::<T>(0);
		T::Currency::mint_into(&Pod::<T>::account_id(), 1_000_000).unwrap();
		crate::pallet::AccruedFees::<T>::put(1_000_000);
		#[block]
		{
			Pod::<T>::pay_fees();
		}
		assert!(crate::pallet::AccruedFees::<T>::get().is_zero());
	}

	/// Reaping a retired content whose last window aged out.
	#[benchmark]
	fn reap_content() {
		let who = funded::<T>("customer", 0);
		Pod::<T>::do_register_content(&who, [9; 32], 1 << 30, 1_000, vec![b'o'; 64]).unwrap();
		Pod::<T>::remove_content(RawOrigin::Signed(who.clone()).into(), [9; 32]).unwrap();
		let window = T::MaxWindowAge::get() + 2;
		frame_system::Pallet::<T>::set_block_number((window * T::WindowLength::get()).into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who), [9; 32]);
		assert!(!Contents::<T>::contains_key([9; 32]));
	}

	/// Reclaiming an expired redemption.
	#[benchmark]
	fn reclaim_redemption() {
		let who = funded::<T>("edge-owner", 0);
		Credits::<T>::insert(&who, 1_000_000);
		TotalCredits::<T>::put(1_000_000);
		Pod::<T>::redeem(RawOrigin::Signed(who.clone()).into(), 400_000).unwrap();
		let now = frame_system::Pallet::<T>::block_number();
		frame_system::Pallet::<T>::set_block_number(now + T::RedemptionExpiry::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 0);
		assert_eq!(Credits::<T>::get(&who), 1_000_000);
	}

	/// Pruning one window whose `Settled` holds `n` records (the other maps
	/// empty): the fixed cost of a window's passes and the cost per key.
	#[benchmark]
	fn prune_history(n: Linear<0, 1_000>) {
		let record = SettlementRecord::default();
		for i in 0..n {
			let mut edge = [0u8; 32];
			edge[..4].copy_from_slice(&i.to_le_bytes());
			Settled::<T>::insert((0, edge, [1u8; 32], 0), record);
		}
		let kept = T::MaxWindowAge::get() + T::HistoryWindows::get();
		frame_system::Pallet::<T>::set_block_number(((kept + 1) * T::WindowLength::get()).into());
		#[block]
		{
			Pod::<T>::prune_history(frame_support::weights::Weight::MAX);
		}
		assert_eq!(crate::pallet::PruneCursor::<T>::get().window, 1);
		assert_eq!(Settled::<T>::iter_prefix((0,)).count(), 0);
	}

	impl_benchmark_test_suite!(Pod, crate::mock::new_bench_ext(), crate::mock::Test);
}
