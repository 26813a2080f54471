//! Chunks on disk under a hard byte quota and a free-space floor.
//!
//! Layout under the store's directory:
//! - `chunks/<content hex>/<index>`: one file per chunk;
//! - `tmp/`: writes in progress; emptied on open, so a partial write (crash,
//!   full disk) is never served — a chunk only appears under `chunks/` by an
//!   atomic rename after it was verified and synced.
//!
//! Every read is verified against the chunk hash the caller expects (from the
//! manifest); a chunk that fails is deleted and reported, never returned.
//! On open the directory is scanned to rebuild the index, so the cache
//! survives restarts.
//!
//! In front of the disk sits a small in-memory tier of verified chunks
//! (S3-FIFO too), so hot chunks are served without a read or a re-hash.

use super::S3Fifo;
use bytes::Bytes;
use pod_primitives::{ContentId, Hash};
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Identifies one chunk.
pub type ChunkKey = (ContentId, u32);

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	/// The bytes offered do not hash to the chunk hash expected.
	#[error("chunk {index} of {content} does not match its hash")]
	HashMismatch {
		/// The content (hex).
		content: String,
		/// The chunk.
		index: u32,
	},
	/// A stored chunk failed verification on read; it has been deleted.
	#[error("stored chunk {index} of {content} was corrupt and has been deleted")]
	Corrupt {
		/// The content (hex).
		content: String,
		/// The chunk.
		index: u32,
	},
	/// The chunk is larger than the whole quota.
	#[error("a chunk of {size} bytes exceeds the cache quota of {quota} bytes")]
	TooLarge {
		/// The chunk's size.
		size: u64,
		/// The quota.
		quota: u64,
	},
	/// Writing would leave less than `min_free` bytes on the filesystem.
	#[error("only {available} bytes free on the cache filesystem, floor is {min_free}")]
	DiskFull {
		/// Bytes free now.
		available: u64,
		/// The floor.
		min_free: u64,
	},
	/// A filesystem error.
	#[error("cache I/O on {path}: {source}")]
	Io {
		/// The path.
		path: PathBuf,
		/// What the OS said.
		#[source]
		source: std::io::Error,
	},
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
	move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// Counters for `/metrics`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StoreStats {
	/// Reads served from the cache.
	pub hits: u64,
	/// Reads that missed.
	pub misses: u64,
	/// Chunks evicted.
	pub evictions: u64,
	/// Chunks found corrupt on read.
	pub corrupt: u64,
	/// Bytes held.
	pub bytes: u64,
	/// Chunks held.
	pub chunks: u64,
}

/// The on-disk chunk cache.
#[derive(Debug)]
pub struct ChunkStore {
	dir: PathBuf,
	min_free: u64,
	inner: Mutex<Inner>,
	hot: Mutex<Hot>,
}

/// Verified chunks kept in memory.
#[derive(Debug)]
struct Hot {
	policy: S3Fifo<ChunkKey>,
	data: HashMap<ChunkKey, Bytes>,
}

impl Hot {
	fn insert(&mut self, key: ChunkKey, b: Bytes) {
		if self.policy.capacity() == 0 {
			return;
		}
		for k in self.policy.insert(key, b.len() as u64) {
			self.data.remove(&k);
		}
		if self.policy.contains(&key) {
			self.data.insert(key, b);
		}
	}

	fn remove(&mut self, key: &ChunkKey) {
		self.policy.remove(key);
		self.data.remove(key);
	}
}

/// Default size of the in-memory tier.
pub const DEFAULT_MEMORY_CACHE: u64 = 256 << 20;

#[derive(Debug)]
struct Inner {
	policy: S3Fifo<ChunkKey>,
	stats: StoreStats,
	tmp_seq: u64,
}

impl ChunkStore {
	/// Opens (or creates) a store in `dir` holding at most `quota` bytes and
	/// keeping at least `min_free` bytes free on its filesystem.
	pub fn open(dir: impl Into<PathBuf>, quota: u64, min_free: u64) -> Result<Self, StoreError> {
		Self::open_with_memory(dir, quota, min_free, DEFAULT_MEMORY_CACHE)
	}

	/// Like [`ChunkStore::open`], with `memory` bytes of in-memory tier (0: none).
	pub fn open_with_memory(
		dir: impl Into<PathBuf>,
		quota: u64,
		min_free: u64,
		memory: u64,
	) -> Result<Self, StoreError> {
		let dir = dir.into();
		let tmp = dir.join("tmp");
		if tmp.exists() {
			fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
		}
		fs::create_dir_all(&tmp).map_err(io(&tmp))?;
		let chunks = dir.join("chunks");
		fs::create_dir_all(&chunks).map_err(io(&chunks))?;
		let store = ChunkStore {
			dir,
			min_free,
			inner: Mutex::new(Inner {
				policy: S3Fifo::new(quota),
				stats: StoreStats::default(),
				tmp_seq: 0,
			}),
			hot: Mutex::new(Hot { policy: S3Fifo::new(memory), data: HashMap::new() }),
		};
		store.rebuild_index()?;
		Ok(store)
	}

	/// Re-admits every chunk file found on disk; files beyond the quota (e.g. the
	/// quota was lowered) are deleted.
	fn rebuild_index(&self) -> Result<(), StoreError> {
		let chunks = self.dir.join("chunks");
		let mut found = Vec::new();
		for entry in fs::read_dir(&chunks).map_err(io(&chunks))? {
			let entry = entry.map_err(io(&chunks))?;
			let name = entry.file_name();
			let Some(content) = name.to_str().and_then(parse_content) else {
				continue;
			};
			let cdir = entry.path();
			for f in fs::read_dir(&cdir).map_err(io(&cdir))? {
				let f = f.map_err(io(&cdir))?;
				let Some(index) = f.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
					continue;
				};
				let len = f.metadata().map_err(io(&f.path()))?.len();
				found.push(((content, index), len));
			}
		}
		let mut inner = self.inner.lock().expect("store lock");
		for (key, len) in found {
			for evicted in inner.policy.insert(key, len) {
				self.delete_file(&evicted);
			}
		}
		Ok(())
	}

	fn path_of(&self, key: &ChunkKey) -> PathBuf {
		self.dir.join("chunks").join(hex::encode(key.0)).join(key.1.to_string())
	}

	fn delete_file(&self, key: &ChunkKey) {
		// Best effort: a file that is already gone is what we wanted.
		let _ = fs::remove_file(self.path_of(key));
	}

	/// True when the chunk is cached (without reading it).
	pub fn contains(&self, key: &ChunkKey) -> bool {
		self.inner.lock().expect("store lock").policy.contains(key)
	}

	/// Reads a chunk and verifies it against `expected`. `Ok(None)` on a miss.
	pub fn get(&self, key: &ChunkKey, expected: &Hash) -> Result<Option<Bytes>, StoreError> {
		{
			let mut hot = self.hot.lock().expect("hot lock");
			if hot.policy.touch(key) {
				if let Some(b) = hot.data.get(key) {
					let b = b.clone();
					drop(hot);
					let mut inner = self.inner.lock().expect("store lock");
					inner.policy.touch(key);
					inner.stats.hits += 1;
					return Ok(Some(b));
				}
			}
		}
		{
			let mut inner = self.inner.lock().expect("store lock");
			if !inner.policy.touch(key) {
				inner.stats.misses += 1;
				return Ok(None);
			}
		}
		let path = self.path_of(key);
		let bytes = match fs::read(&path) {
			Ok(b) => b,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
				// Deleted behind our back: treat as a miss and forget it.
				let mut inner = self.inner.lock().expect("store lock");
				inner.policy.remove(key);
				inner.stats.misses += 1;
				return Ok(None);
			}
			Err(e) => return Err(StoreError::Io { path, source: e }),
		};
		let mut inner = self.inner.lock().expect("store lock");
		if blake3::hash(&bytes).as_bytes() != expected {
			inner.policy.remove(key);
			inner.stats.corrupt += 1;
			drop(inner);
			self.delete_file(key);
			return Err(StoreError::Corrupt { content: hex::encode(key.0), index: key.1 });
		}
		inner.stats.hits += 1;
		drop(inner);
		let bytes = Bytes::from(bytes);
		self.hot.lock().expect("hot lock").insert(*key, bytes.clone());
		Ok(Some(bytes))
	}

	/// Verifies and stores a chunk, evicting others to stay under the quota.
	pub fn put(&self, key: ChunkKey, bytes: &[u8], expected: &Hash) -> Result<(), StoreError> {
		if blake3::hash(bytes).as_bytes() != expected {
			return Err(StoreError::HashMismatch { content: hex::encode(key.0), index: key.1 });
		}
		let size = bytes.len() as u64;
		let seq = {
			let mut inner = self.inner.lock().expect("store lock");
			if inner.policy.contains(&key) {
				return Ok(());
			}
			if size > inner.policy.capacity() {
				return Err(StoreError::TooLarge { size, quota: inner.policy.capacity() });
			}
			inner.tmp_seq += 1;
			inner.tmp_seq
		};
		let available = available_space(&self.dir)?;
		if available < self.min_free.saturating_add(size) {
			return Err(StoreError::DiskFull { available, min_free: self.min_free });
		}
		let tmp = self.dir.join("tmp").join(format!("{}-{}-{seq}", hex::encode(key.0), key.1));
		let mut f = fs::File::create(&tmp).map_err(io(&tmp))?;
		f.write_all(bytes).map_err(io(&tmp))?;
		f.sync_data().map_err(io(&tmp))?;
		drop(f);
		let dest = self.path_of(&key);
		let parent = dest.parent().expect("chunk paths have a parent");
		fs::create_dir_all(parent).map_err(io(parent))?;
		let mut inner = self.inner.lock().expect("store lock");
		let evicted = inner.policy.insert(key, size);
		inner.stats.evictions += evicted.len() as u64;
		// Rename under the lock so the index and the directory agree.
		fs::rename(&tmp, &dest).map_err(io(&dest))?;
		drop(inner);
		let mut hot = self.hot.lock().expect("hot lock");
		for k in evicted {
			hot.remove(&k);
			self.delete_file(&k);
		}
		hot.insert(key, Bytes::copy_from_slice(bytes));
		Ok(())
	}

	/// Drops a chunk (e.g. a peer proved it stale).
	pub fn remove(&self, key: &ChunkKey) {
		self.hot.lock().expect("hot lock").remove(key);
		self.inner.lock().expect("store lock").policy.remove(key);
		self.delete_file(key);
	}

	/// Current counters.
	pub fn stats(&self) -> StoreStats {
		let inner = self.inner.lock().expect("store lock");
		StoreStats { bytes: inner.policy.used(), chunks: inner.policy.len() as u64, ..inner.stats }
	}

	/// The quota in bytes.
	pub fn quota(&self) -> u64 {
		self.inner.lock().expect("store lock").policy.capacity()
	}
}

fn parse_content(s: &str) -> Option<ContentId> {
	let v = hex::decode(s).ok()?;
	v.try_into().ok()
}

/// Bytes available to unprivileged users on the filesystem holding `dir`.
fn available_space(dir: &Path) -> Result<u64, StoreError> {
	let st = rustix::fs::statvfs(dir)
		.map_err(|e| StoreError::Io { path: dir.to_path_buf(), source: e.into() })?;
	Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn chunk(i: u8, len: usize) -> (Vec<u8>, Hash) {
		let b = vec![i; len];
		let h = *blake3::hash(&b).as_bytes();
		(b, h)
	}

	#[test]
	fn put_get_and_survive_restart() {
		let dir = tempfile::tempdir().unwrap();
		let (b, h) = chunk(1, 1000);
		{
			let s = ChunkStore::open(dir.path(), 10_000, 0).unwrap();
			assert_eq!(s.get(&([1; 32], 0), &h).unwrap(), None);
			s.put(([1; 32], 0), &b, &h).unwrap();
			assert_eq!(s.get(&([1; 32], 0), &h).unwrap().as_deref(), Some(&b[..]));
		}
		// A leftover partial write from a "crash".
		fs::write(dir.path().join("tmp").join("partial"), b"half").unwrap();
		let s = ChunkStore::open(dir.path(), 10_000, 0).unwrap();
		assert_eq!(s.get(&([1; 32], 0), &h).unwrap().as_deref(), Some(&b[..]));
		assert!(fs::read_dir(dir.path().join("tmp")).unwrap().next().is_none());
		assert_eq!(s.stats().bytes, 1000);
	}

	#[test]
	fn refuses_bad_bytes_and_deletes_corrupt_chunks() {
		let dir = tempfile::tempdir().unwrap();
		let s = ChunkStore::open_with_memory(dir.path(), 10_000, 0, 0).unwrap();
		let (b, h) = chunk(2, 100);
		assert!(matches!(s.put(([2; 32], 0), b"not it", &h), Err(StoreError::HashMismatch { .. })));
		s.put(([2; 32], 0), &b, &h).unwrap();
		// Bit rot on disk.
		fs::write(s.path_of(&([2; 32], 0)), vec![3u8; 100]).unwrap();
		assert!(matches!(s.get(&([2; 32], 0), &h), Err(StoreError::Corrupt { .. })));
		assert!(!s.contains(&([2; 32], 0)));
		assert!(!s.path_of(&([2; 32], 0)).exists());
		assert_eq!(s.stats().corrupt, 1);
	}

	#[test]
	fn quota_is_never_exceeded_on_disk() {
		let dir = tempfile::tempdir().unwrap();
		let s = ChunkStore::open(dir.path(), 5_000, 0).unwrap();
		for i in 0..50u8 {
			let (b, h) = chunk(i, 1000);
			s.put(([i; 32], 0), &b, &h).unwrap();
			let on_disk: u64 = walk(&dir.path().join("chunks"));
			assert!(on_disk <= 5_000, "{on_disk} bytes on disk");
		}
		assert!(s.stats().evictions >= 45);
		let (b, h) = chunk(99, 6_000);
		assert!(matches!(s.put(([99; 32], 0), &b, &h), Err(StoreError::TooLarge { .. })));
		// Lowering the quota on restart trims the cache.
		drop(s);
		let s = ChunkStore::open(dir.path(), 2_000, 0).unwrap();
		assert!(walk(&dir.path().join("chunks")) <= 2_000);
		assert_eq!(s.quota(), 2_000);
	}

	#[test]
	fn min_free_floor_refuses_writes() {
		let dir = tempfile::tempdir().unwrap();
		let s = ChunkStore::open(dir.path(), 10_000, u64::MAX / 2).unwrap();
		let (b, h) = chunk(1, 10);
		assert!(matches!(s.put(([1; 32], 0), &b, &h), Err(StoreError::DiskFull { .. })));
	}

	fn walk(p: &Path) -> u64 {
		let mut n = 0;
		for e in fs::read_dir(p).unwrap() {
			let e = e.unwrap();
			let m = e.metadata().unwrap();
			n += if m.is_dir() { walk(&e.path()) } else { m.len() };
		}
		n
	}
}
