//! S3-FIFO eviction (Yang et al., SOSP '23), sized in bytes.
//!
//! Three FIFO queues: a small probation queue `S` (10% of the bytes), a main
//! queue `M` (the rest) and a ghost queue `G` of recently evicted keys (no
//! data). New keys enter `S`, or `M` directly when `G` remembers them. A hit
//! only bumps a 2-bit frequency; nothing moves on the hot path. Leaving `S`, a
//! key that was hit goes to `M`, one that was not goes to `G` (one-hit wonders
//! are dropped quickly — most of a CDN's long tail). Leaving `M`, a key that
//! was hit is reinserted with its frequency decremented (CLOCK-like).
//!
//! Why not plain LRU: on skewed (Zipf) CDN traffic the one-hit wonders of the
//! tail push popular chunks out of an LRU; `S` absorbs them. The benchmark
//! `cargo bench -p pod-edge --bench cache_policy` compares hit ratios.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queue {
	Small,
	Main,
}

#[derive(Debug)]
struct Meta {
	size: u64,
	freq: u8,
	queue: Queue,
}

/// The eviction policy. It tracks keys and sizes only; the caller stores data
/// and deletes what [`S3Fifo::insert`] returns as evicted.
#[derive(Debug)]
pub struct S3Fifo<K: Hash + Eq + Clone> {
	capacity: u64,
	small_target: u64,
	small_bytes: u64,
	main_bytes: u64,
	small: VecDeque<K>,
	main: VecDeque<K>,
	ghost: VecDeque<K>,
	ghost_set: HashMap<K, ()>,
	ghost_limit: usize,
	entries: HashMap<K, Meta>,
}

impl<K: Hash + Eq + Clone> S3Fifo<K> {
	/// A policy for `capacity` bytes.
	pub fn new(capacity: u64) -> Self {
		S3Fifo {
			capacity,
			small_target: (capacity / 10).max(1),
			small_bytes: 0,
			main_bytes: 0,
			small: VecDeque::new(),
			main: VecDeque::new(),
			ghost: VecDeque::new(),
			ghost_set: HashMap::new(),
			ghost_limit: 1024,
			entries: HashMap::new(),
		}
	}

	/// Bytes currently admitted.
	pub fn used(&self) -> u64 {
		self.small_bytes + self.main_bytes
	}

	/// Byte capacity.
	pub fn capacity(&self) -> u64 {
		self.capacity
	}

	/// Number of keys admitted.
	pub fn len(&self) -> usize {
		self.entries.len()
	}

	/// True when nothing is admitted.
	pub fn is_empty(&self) -> bool {
		self.entries.is_empty()
	}

	/// True when `key` is admitted.
	pub fn contains(&self, key: &K) -> bool {
		self.entries.contains_key(key)
	}

	/// Records a hit. Returns false on a miss.
	pub fn touch(&mut self, key: &K) -> bool {
		match self.entries.get_mut(key) {
			Some(m) => {
				m.freq = (m.freq + 1).min(3);
				true
			}
			None => false,
		}
	}

	/// Admits `key` of `size` bytes, evicting as needed. Returns the evicted
	/// keys, which the caller must delete. A key larger than the whole cache is
	/// not admitted (returned as its own eviction).
	pub fn insert(&mut self, key: K, size: u64) -> Vec<K> {
		let mut evicted = Vec::new();
		if self.entries.contains_key(&key) {
			self.touch(&key);
			return evicted;
		}
		if size > self.capacity {
			evicted.push(key);
			return evicted;
		}
		while self.used() + size > self.capacity {
			match self.evict_one() {
				Some(k) => evicted.push(k),
				None => break,
			}
		}
		let to_main = self.ghost_set.remove(&key).is_some();
		let queue = if to_main { Queue::Main } else { Queue::Small };
		match queue {
			Queue::Main => {
				self.main.push_back(key.clone());
				self.main_bytes += size;
			}
			Queue::Small => {
				self.small.push_back(key.clone());
				self.small_bytes += size;
			}
		}
		self.entries.insert(key, Meta { size, freq: 0, queue });
		evicted
	}

	/// Forgets `key` (deleted by the caller, e.g. it failed verification).
	pub fn remove(&mut self, key: &K) -> bool {
		let Some(m) = self.entries.remove(key) else { return false };
		match m.queue {
			Queue::Small => {
				self.small_bytes -= m.size;
				self.small.retain(|k| k != key);
			}
			Queue::Main => {
				self.main_bytes -= m.size;
				self.main.retain(|k| k != key);
			}
		}
		true
	}

	/// Evicts one key, or `None` when empty.
	pub fn evict_one(&mut self) -> Option<K> {
		loop {
			if self.entries.is_empty() {
				return None;
			}
			let from_small = self.small_bytes >= self.small_target || self.main.is_empty();
			if from_small {
				if let Some(k) = self.evict_from_small() {
					return Some(k);
				}
			} else if let Some(k) = self.evict_from_main() {
				return Some(k);
			}
		}
	}

	/// Pops `S`'s tail: promoted to `M` if it was hit, else evicted to `G`.
	fn evict_from_small(&mut self) -> Option<K> {
		let key = self.small.pop_front()?;
		let meta = self.entries.get_mut(&key).expect("queued keys have metadata");
		self.small_bytes -= meta.size;
		if meta.freq > 0 {
			meta.freq = 0;
			meta.queue = Queue::Main;
			self.main_bytes += meta.size;
			self.main.push_back(key);
			None
		} else {
			self.entries.remove(&key);
			self.remember(key.clone());
			Some(key)
		}
	}

	/// Pops `M`'s tail: reinserted with one less frequency if it was hit.
	fn evict_from_main(&mut self) -> Option<K> {
		let key = self.main.pop_front()?;
		let meta = self.entries.get_mut(&key).expect("queued keys have metadata");
		if meta.freq > 0 {
			meta.freq -= 1;
			self.main.push_back(key);
			None
		} else {
			self.main_bytes -= meta.size;
			self.entries.remove(&key);
			Some(key)
		}
	}

	fn remember(&mut self, key: K) {
		// The ghost queue holds about as many keys as the main queue holds entries.
		self.ghost_limit = self.ghost_limit.max(self.main.len());
		self.ghost_set.insert(key.clone(), ());
		self.ghost.push_back(key);
		while self.ghost.len() > self.ghost_limit {
			if let Some(old) = self.ghost.pop_front() {
				self.ghost_set.remove(&old);
			}
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn one_hit_wonders_do_not_flush_hot_keys() {
		let mut c = S3Fifo::new(100);
		for k in 0..10u32 {
			c.insert(k, 10);
			c.touch(&k);
		}
		// A scan of 1000 cold keys.
		for k in 1000..2000u32 {
			c.insert(k, 10);
			for hot in 0..9u32 {
				c.touch(&hot);
			}
		}
		let hot_left = (0..9u32).filter(|k| c.contains(k)).count();
		assert!(hot_left >= 8, "only {hot_left} of 9 hot keys survived a scan");
	}

	#[test]
	fn oversized_is_refused() {
		let mut c = S3Fifo::new(10);
		assert_eq!(c.insert(1u8, 11), vec![1]);
		assert!(c.is_empty());
	}

	proptest! {
		#[test]
		fn never_over_capacity(ops in proptest::collection::vec((0u16..200, 1u64..50, any::<bool>(), any::<bool>()), 1..500)) {
			let mut c = S3Fifo::new(500);
			let mut live = std::collections::HashSet::new();
			for (k, size, touch, remove) in ops {
				if remove {
					prop_assert_eq!(c.remove(&k), live.remove(&k));
				} else if touch {
					prop_assert_eq!(c.touch(&k), live.contains(&k));
				} else if !live.contains(&k) {
					for e in c.insert(k, size) { prop_assert!(live.remove(&e) || e == k); }
					if c.contains(&k) { live.insert(k); }
				}
				prop_assert!(c.used() <= c.capacity());
				prop_assert_eq!(c.len(), live.len());
			}
		}
	}
}
