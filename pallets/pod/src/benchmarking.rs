//! Benchmarks for `pallet_pod`.
