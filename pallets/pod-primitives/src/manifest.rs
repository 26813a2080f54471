//! Content manifests: size, chunk size and the BLAKE3 hash of every chunk.
//! The content id is the BLAKE3 hash of the encoded manifest.

use crate::types::{ContentId, Hash};
use alloc::vec::Vec;
use codec::{Decode, Encode};

/// Default chunk size: 1 MiB.
pub const DEFAULT_CHUNK_SIZE: u32 = 1 << 20;
/// Most chunks a manifest may list (16 TiB at 1 MiB chunks). Bounds decoding.
pub const MAX_CHUNKS: u32 = 1 << 24;
/// Largest chunk size: what one fill, one verification and one response
/// hold in memory at once.
pub const MAX_CHUNK_SIZE: u32 = 16 << 20;

/// A content's manifest.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Manifest {
	/// Total size in bytes.
	pub size: u64,
	/// Size of every chunk but the last, which may be short.
	pub chunk_size: u32,
	/// BLAKE3 of each chunk, in order.
	pub chunks: Vec<Hash>,
}

/// Why a manifest is malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestError {
	/// The chunk size is zero.
	ZeroChunkSize,
	/// The chunk size is above [`MAX_CHUNK_SIZE`].
	ChunkTooLarge,
	/// The number of chunk hashes does not match `ceil(size / chunk_size)`.
	ChunkCountMismatch {
		/// Chunks the size and chunk size call for.
		expected: u64,
		/// Hashes listed.
		found: u64,
	},
	/// More chunks than [`MAX_CHUNKS`].
	TooManyChunks,
}

impl Manifest {
	/// Checks internal consistency.
	pub fn validate(&self) -> Result<(), ManifestError> {
		if self.chunk_size == 0 {
			return Err(ManifestError::ZeroChunkSize);
		}
		if self.chunk_size > MAX_CHUNK_SIZE {
			return Err(ManifestError::ChunkTooLarge);
		}
		let expected = self.size.div_ceil(self.chunk_size as u64);
		if expected > MAX_CHUNKS as u64 {
			return Err(ManifestError::TooManyChunks);
		}
		if expected != self.chunks.len() as u64 {
			return Err(ManifestError::ChunkCountMismatch {
				expected,
				found: self.chunks.len() as u64,
			});
		}
		Ok(())
	}

	/// The content id: BLAKE3 of the SCALE-encoded manifest.
	pub fn id(&self) -> ContentId {
		content_id(&self.encode())
	}

	/// Length of chunk `index` (the last may be short), or `None` past the end.
	pub fn chunk_len(&self, index: u32) -> Option<u32> {
		let start = (index as u64).checked_mul(self.chunk_size as u64)?;
		if start >= self.size {
			return None;
		}
		Some((self.size - start).min(self.chunk_size as u64) as u32)
	}

	/// Builds the manifest of `data` cut into `chunk_size` chunks.
	pub fn of_bytes(data: &[u8], chunk_size: u32) -> Self {
		assert!(chunk_size > 0, "chunk size must be positive");
		let chunks =
			data.chunks(chunk_size as usize).map(|c| *blake3::hash(c).as_bytes()).collect();
		Manifest { size: data.len() as u64, chunk_size, chunks }
	}

	/// True when `bytes` is exactly chunk `index`.
	pub fn verify_chunk(&self, index: u32, bytes: &[u8]) -> bool {
		match (self.chunks.get(index as usize), self.chunk_len(index)) {
			(Some(h), Some(len)) => {
				bytes.len() == len as usize && blake3::hash(bytes).as_bytes() == h
			}
			_ => false,
		}
	}
}

/// BLAKE3 of an encoded manifest.
pub fn content_id(encoded_manifest: &[u8]) -> ContentId {
	*blake3::hash(encoded_manifest).as_bytes()
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	proptest! {
		#[test]
		fn roundtrip_and_verify(data in proptest::collection::vec(any::<u8>(), 0..5000), cs in 1u32..1500) {
			let m = Manifest::of_bytes(&data, cs);
			prop_assert!(m.validate().is_ok());
			let back = Manifest::decode(&mut &m.encode()[..]).unwrap();
			prop_assert_eq!(&back, &m);
			prop_assert_eq!(back.id(), m.id());
			for (i, c) in data.chunks(cs as usize).enumerate() {
				prop_assert!(m.verify_chunk(i as u32, c));
				let mut bad = c.to_vec();
				bad[0] ^= 1;
				prop_assert!(!m.verify_chunk(i as u32, &bad));
			}
			prop_assert_eq!(m.chunk_len(m.chunks.len() as u32), None);
		}
	}

	#[test]
	fn rejects_inconsistent() {
		let mut m = Manifest::of_bytes(&[1u8; 10], 4);
		m.chunks.pop();
		assert_eq!(m.validate(), Err(ManifestError::ChunkCountMismatch { expected: 3, found: 2 }));
		m.chunk_size = 0;
		assert_eq!(m.validate(), Err(ManifestError::ZeroChunkSize));
		// One chunk of 16 MiB + 1 byte: consistent, but too large to hold.
		let big = Manifest { size: 1, chunk_size: MAX_CHUNK_SIZE + 1, chunks: vec![[0; 32]] };
		assert_eq!(big.validate(), Err(ManifestError::ChunkTooLarge));
		let ok = Manifest { size: 1, chunk_size: MAX_CHUNK_SIZE, chunks: vec![[0; 32]] };
		assert_eq!(ok.validate(), Ok(()));
	}
}
