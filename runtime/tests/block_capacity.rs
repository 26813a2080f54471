//! What pallet-pod's weights (`weights.rs`) mean for this runtime's blocks.
//!
//! The invariants: one attestation with the most entries, and a full batch of
//! single-entry attestations (what a reporter or a busy edge submits), each fit
//! in one normal extrinsic, or they could never be included. Run with
//! `--nocapture` to see the capacity figures `scripts/bench-pallet.sh` prints.

use frame_support::{dispatch::DispatchClass, weights::Weight};
use pallet_pod::WeightInfo;
use pod_primitives::{MAX_BATCH, MAX_ENTRIES};
use pod_runtime::{configs::RuntimeBlockWeights, Runtime, MILLI_SECS_PER_BLOCK};

type PodWeights = pallet_pod::weights::SubstrateWeight<Runtime>;

struct Limits {
	/// Weight every extrinsic pays on top of its call's weight.
	base: Weight,
	/// The largest weight one normal extrinsic may have (base included).
	max_extrinsic: Weight,
	/// The weight all normal extrinsics of a block may have together.
	max_total: Weight,
}

fn limits() -> Limits {
	let w = RuntimeBlockWeights::get();
	let normal = w.get(DispatchClass::Normal);
	Limits {
		base: normal.base_extrinsic,
		max_extrinsic: normal.max_extrinsic.expect("normal extrinsics are limited"),
		max_total: normal.max_total.expect("normal class is limited"),
	}
}

fn micros(w: Weight) -> f64 {
	w.ref_time() as f64 / 1e6
}

fn assert_fits(what: &str, weight: Weight, l: &Limits) {
	assert!(
		weight.all_lte(l.max_extrinsic),
		"{what} ({} µs) exceeds an extrinsic's limit ({} µs)",
		micros(weight),
		micros(l.max_extrinsic)
	);
}

#[test]
fn block_capacity_largest_attestation_and_full_batch_fit() {
	let l = limits();
	let single = PodWeights::submit_attestation(MAX_ENTRIES) + l.base;
	assert_fits(&format!("one attestation of {MAX_ENTRIES} entries"), single, &l);
	let batch = PodWeights::submit_attestations(MAX_BATCH) + l.base;
	assert_fits(&format!("a batch of {MAX_BATCH}"), batch, &l);
}

#[test]
fn block_capacity_attestations_per_block() {
	let l = limits();
	let single = PodWeights::submit_attestation(1) + l.base;
	let batch = PodWeights::submit_attestations(MAX_BATCH) + l.base;
	let singles = l.max_total.ref_time() / single.ref_time();
	let batches = l.max_total.ref_time() / batch.ref_time();
	let per_block = batches * MAX_BATCH as u64;
	let per_second = per_block as f64 * 1000.0 / MILLI_SECS_PER_BLOCK as f64;
	println!("normal-class block budget: {:.0} µs", micros(l.max_total));
	println!("submit_attestation(1 entry): {:.1} µs → {singles} per block", micros(single));
	println!(
		"submit_attestations({MAX_BATCH} × 1 entry): {:.1} µs ({:.1} µs each) → {batches} \
		 batches = {per_block} attestations per block, {per_second:.0}/s at {} ms blocks",
		micros(batch),
		micros(batch) / MAX_BATCH as f64,
		MILLI_SECS_PER_BLOCK
	);
	// Batching must pay off, or the batch call has no reason to exist.
	assert!(per_block > singles, "a batch settles no more per block than single calls");
}
