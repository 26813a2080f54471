//! The pallets benchmarked by `frame-benchmarking` in this runtime.

frame_benchmarking::define_benchmarks!(
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_pod, Pod]
);
