//! Hit ratio of the edge's S3-FIFO policy vs plain LRU on Zipf traces, at
//! several cache sizes, measured side by side on the same trace.
//! Run: `cargo bench -p pod-edge --bench cache_policy`. Under `cargo test`
//! (no `--bench` argument) it runs a short trace as a smoke test.

use pod_edge::cache::S3Fifo;
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Zipf};
use std::num::NonZeroUsize;

const CHUNK: u64 = 1 << 20;

fn trace(objects: u64, requests: usize, alpha: f64, seed: u64) -> Vec<u64> {
	let zipf = Zipf::new(objects as f64, alpha).expect("valid Zipf parameters");
	let mut rng = StdRng::seed_from_u64(seed);
	(0..requests).map(|_| zipf.sample(&mut rng) as u64).collect()
}

fn s3fifo_hits(trace: &[u64], slots: u64) -> usize {
	let mut c = S3Fifo::new(slots * CHUNK);
	let mut hits = 0;
	for k in trace {
		if c.touch(k) {
			hits += 1;
		} else {
			c.insert(*k, CHUNK);
		}
	}
	hits
}

fn lru_hits(trace: &[u64], slots: u64) -> usize {
	let mut c = lru::LruCache::new(NonZeroUsize::new(slots as usize).unwrap());
	let mut hits = 0;
	for k in trace {
		if c.get(k).is_some() {
			hits += 1;
		} else {
			c.put(*k, ());
		}
	}
	hits
}

fn main() {
	let bench = std::env::args().any(|a| a == "--bench");
	let (objects, requests) = if bench { (100_000, 2_000_000) } else { (10_000, 100_000) };
	println!("Zipf trace: {objects} objects of 1 MiB, {requests} requests");
	println!("{:>6} {:>9} {:>10} {:>10} {:>8}", "alpha", "cache", "LRU", "S3-FIFO", "ratio");
	for alpha in [0.7, 0.9, 1.1] {
		let t = trace(objects, requests, alpha, 42);
		for pct in [0.5, 1.0, 5.0, 10.0] {
			let slots = ((objects as f64) * pct / 100.0) as u64;
			let lru = lru_hits(&t, slots) as f64 / t.len() as f64;
			let s3 = s3fifo_hits(&t, slots) as f64 / t.len() as f64;
			println!(
				"{alpha:>6.1} {:>8.1}% {:>9.2}% {:>9.2}% {:>7.3}x",
				pct,
				lru * 100.0,
				s3 * 100.0,
				s3 / lru
			);
			// The policy's reason to exist: a regression below LRU fails the
			// run (and `cargo test`).
			assert!(s3 >= lru, "S3-FIFO below LRU at alpha {alpha}, cache {pct}%");
		}
	}
}
