//! Weights for `pallet_pod`.
//!
//! Hand-written first estimates, to be replaced by the output of
//! `scripts/bench-pallet.sh` (frame-benchmarking over `benchmarking.rs`).
#![allow(unused_parens, unused_imports, clippy::unnecessary_cast)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_pod`.
pub trait WeightInfo {
	fn register_edge() -> Weight;
	fn unregister_edge() -> Weight;
	fn withdraw_bond() -> Weight;
	fn add_reporter() -> Weight;
	fn remove_reporter() -> Weight;
	fn register_content() -> Weight;
	fn remove_content() -> Weight;
	fn deposit() -> Weight;
	fn withdraw() -> Weight;
	fn claim_withdrawal() -> Weight;
	fn submit_attestation(e: u32) -> Weight;
	fn submit_attestations(n: u32, e: u32) -> Weight;
	fn redeem() -> Weight;
	fn complete_redemption() -> Weight;
	fn set_operator() -> Weight;
}

/// Weights measured on the reference machine, for a runtime using RocksDB.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_edge() -> Weight {
		Weight::from_parts(60_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	fn unregister_edge() -> Weight {
		Weight::from_parts(20_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn withdraw_bond() -> Weight {
		Weight::from_parts(55_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	fn add_reporter() -> Weight {
		Weight::from_parts(12_000_000, 3_500)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn remove_reporter() -> Weight {
		Weight::from_parts(12_000_000, 3_500)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn register_content() -> Weight {
		Weight::from_parts(20_000_000, 3_800)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn remove_content() -> Weight {
		Weight::from_parts(20_000_000, 3_800)
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn deposit() -> Weight {
		Weight::from_parts(60_000_000, 6_200)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	fn withdraw() -> Weight {
		Weight::from_parts(20_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(1))
	}
	fn claim_withdrawal() -> Weight {
		Weight::from_parts(60_000_000, 6_200)
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(4))
	}
	fn submit_attestation(e: u32) -> Weight {
		Weight::from_parts(150_000_000, 6_200)
			.saturating_add(Weight::from_parts(12_000_000, 5_000).saturating_mul(e as u64))
			.saturating_add(T::DbWeight::get().reads(7))
			.saturating_add(T::DbWeight::get().reads((3 as u64).saturating_mul(e as u64)))
			.saturating_add(T::DbWeight::get().writes(5))
			.saturating_add(T::DbWeight::get().writes((2 as u64).saturating_mul(e as u64)))
	}
	fn submit_attestations(n: u32, e: u32) -> Weight {
		Weight::from_parts(10_000_000, 0)
			.saturating_add(Self::submit_attestation(e).saturating_mul(n as u64))
	}
	fn redeem() -> Weight {
		Weight::from_parts(25_000_000, 3_600)
			.saturating_add(T::DbWeight::get().reads(3))
			.saturating_add(T::DbWeight::get().writes(4))
	}
	fn complete_redemption() -> Weight {
		Weight::from_parts(55_000_000, 6_200)
			.saturating_add(T::DbWeight::get().reads(4))
			.saturating_add(T::DbWeight::get().writes(3))
	}
	fn set_operator() -> Weight {
		Weight::from_parts(8_000_000, 0).saturating_add(T::DbWeight::get().writes(1))
	}
}

// For tests and the mock runtime.
impl WeightInfo for () {
	fn register_edge() -> Weight {
		Weight::from_parts(60_000_000, 0)
	}
	fn unregister_edge() -> Weight {
		Weight::from_parts(20_000_000, 0)
	}
	fn withdraw_bond() -> Weight {
		Weight::from_parts(55_000_000, 0)
	}
	fn add_reporter() -> Weight {
		Weight::from_parts(12_000_000, 0)
	}
	fn remove_reporter() -> Weight {
		Weight::from_parts(12_000_000, 0)
	}
	fn register_content() -> Weight {
		Weight::from_parts(20_000_000, 0)
	}
	fn remove_content() -> Weight {
		Weight::from_parts(20_000_000, 0)
	}
	fn deposit() -> Weight {
		Weight::from_parts(60_000_000, 0)
	}
	fn withdraw() -> Weight {
		Weight::from_parts(20_000_000, 0)
	}
	fn claim_withdrawal() -> Weight {
		Weight::from_parts(60_000_000, 0)
	}
	fn submit_attestation(e: u32) -> Weight {
		Weight::from_parts(150_000_000, 0)
			.saturating_add(Weight::from_parts(12_000_000, 0).saturating_mul(e as u64))
			.saturating_add(RocksDbWeight::get().reads_writes(7 + 3 * e as u64, 5 + 2 * e as u64))
	}
	fn submit_attestations(n: u32, e: u32) -> Weight {
		Self::submit_attestation(e).saturating_mul(n as u64)
	}
	fn redeem() -> Weight {
		Weight::from_parts(25_000_000, 0)
	}
	fn complete_redemption() -> Weight {
		Weight::from_parts(55_000_000, 0)
	}
	fn set_operator() -> Weight {
		Weight::from_parts(8_000_000, 0)
	}
}
