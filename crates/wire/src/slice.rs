//! Verified slices of a chunk: part of a chunk checked against the chunk's
//! hash in the manifest, without the rest of the chunk.
//!
//! A manifest names each chunk by its BLAKE3 hash, which is the root of a
//! binary tree over the chunk's 1 KiB pieces. An edge asked for a slice
//! (a `Range` with [`PROOF`](crate::headers::PROOF)) sends the slice's
//! [`GROUP`]-byte groups interleaved with the tree's parent hashes on the way
//! to them (BLAKE3 verified streaming, bao-tree's encoding with 16 KiB chunk
//! groups): the viewer checks every group against the manifest's hash as it
//! decodes, so a seek into a 1 MiB chunk costs 16 KiB and a few hundred bytes
//! of hashes instead of the whole chunk. The manifest is unchanged: the root
//! of that tree is the chunk hash it already holds.
//!
//! Slices always cover whole groups: [`aligned`] is the span an edge serves
//! (and charges) for any requested span, and the span a viewer asks for.

use bao_tree::io::outboard::PreOrderMemOutboard;
use bao_tree::io::sync::{encode_ranges, DecodeResponseIter};
use bao_tree::io::BaoContentItem;
use bao_tree::{blake3, BaoTree, BlockSize, ChunkNum, ChunkRanges};

/// Bytes per verified group (16 KiB).
pub const GROUP: u64 = 16 << 10;
const BLOCK: BlockSize = BlockSize::from_chunk_log(4);
const PIECE: u64 = 1024;

/// The value of [`PROOF`](crate::headers::PROOF) that asks for a verified
/// slice in this encoding.
pub const PROOF_BLAKE3_16K: &str = "blake3-16k";

/// Why a slice is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SliceError {
	/// The span is empty or outside the chunk.
	#[error("bytes {start}..{end} are not a slice of a {len}-byte chunk")]
	Span {
		/// First byte asked.
		start: u64,
		/// One past the last byte asked.
		end: u64,
		/// The chunk's length.
		len: u64,
	},
	/// The encoding does not verify against the chunk's hash: a parent or a
	/// group was wrong (the sender lied, or the bytes were damaged).
	#[error("the slice does not match the chunk's hash: {0}")]
	Mismatch(String),
	/// The encoding is shorter or longer than the slice's.
	#[error("the slice's encoding is {got} bytes, {want} expected")]
	Length {
		/// Bytes received.
		got: u64,
		/// Bytes a correct encoding has.
		want: u64,
	},
}

/// The whole groups covering bytes `start..end` of a `len`-byte chunk, as
/// `start..end` (the last group may be short: the chunk's end).
pub fn aligned(start: u64, end: u64, len: u64) -> Result<(u64, u64), SliceError> {
	if start >= end || end > len {
		return Err(SliceError::Span { start, end, len });
	}
	Ok((start / GROUP * GROUP, end.div_ceil(GROUP).saturating_mul(GROUP).min(len)))
}

fn ranges(start: u64, end: u64) -> ChunkRanges {
	ChunkRanges::from(ChunkNum(start / PIECE)..ChunkNum(end.div_ceil(PIECE)))
}

/// The hashes an edge keeps per chunk to cut slices from it (64 bytes per
/// group: 4 KiB for a 1 MiB chunk).
pub struct ChunkProof(PreOrderMemOutboard);

impl ChunkProof {
	/// Hashes `chunk` once (a BLAKE3 pass over it).
	pub fn of(chunk: &[u8]) -> ChunkProof {
		ChunkProof(PreOrderMemOutboard::create(chunk, BLOCK))
	}

	/// The chunk's hash (the manifest's, when the chunk is right).
	pub fn root(&self) -> [u8; 32] {
		*self.0.root.as_bytes()
	}

	/// The encoded slice of `chunk` (the chunk this proof was made of) for
	/// bytes `start..end`, which [`aligned`] must have produced.
	pub fn encode(&self, chunk: &[u8], start: u64, end: u64) -> Result<Vec<u8>, SliceError> {
		let len = chunk.len() as u64;
		if aligned(start, end, len)? != (start, end) {
			return Err(SliceError::Span { start, end, len });
		}
		let mut out = Vec::with_capacity(encoded_len(len, start, end) as usize);
		encode_ranges(chunk, &self.0, &ranges(start, end), &mut out)
			.map_err(|e| SliceError::Mismatch(e.to_string()))?;
		Ok(out)
	}
}

/// Length of the encoding of bytes `start..end` (aligned) of a `len`-byte
/// chunk: the bytes plus 64 per parent hash pair on the way to them.
pub fn encoded_len(len: u64, start: u64, end: u64) -> u64 {
	let ranges = ranges(start, end);
	let tree = BaoTree::new(len, BLOCK);
	let parents = tree
		.ranges_pre_order_chunks_iter_ref(&ranges, 0)
		.filter(|c| matches!(c, bao_tree::iter::BaoChunk::Parent { .. }))
		.count() as u64;
	(end - start) + 64 * parents
}

/// Checks `encoded` (from an edge) against `hash`, the manifest's hash of
/// a `len`-byte chunk, and returns bytes `start..end` (aligned) of it.
pub fn decode(
	hash: &[u8; 32],
	len: u64,
	start: u64,
	end: u64,
	encoded: &[u8],
) -> Result<Vec<u8>, SliceError> {
	if aligned(start, end, len)? != (start, end) {
		return Err(SliceError::Span { start, end, len });
	}
	let want = encoded_len(len, start, end);
	if encoded.len() as u64 != want {
		return Err(SliceError::Length { got: encoded.len() as u64, want });
	}
	let tree = BaoTree::new(len, BLOCK);
	let ranges = ranges(start, end);
	let root = blake3::Hash::from_bytes(*hash);
	let mut out = vec![0u8; (end - start) as usize];
	for item in DecodeResponseIter::new(root, tree, encoded, &ranges) {
		let item = item.map_err(|e| SliceError::Mismatch(e.to_string()))?;
		if let BaoContentItem::Leaf(leaf) = item {
			let at = leaf.offset.checked_sub(start);
			let at = at.filter(|at| at + leaf.data.len() as u64 <= end - start);
			let at =
				at.ok_or_else(|| SliceError::Mismatch(format!("a group at {}", leaf.offset)))?;
			out[at as usize..at as usize + leaf.data.len()].copy_from_slice(&leaf.data);
		}
	}
	Ok(out)
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn chunk(len: usize) -> Vec<u8> {
		(0..len).map(|i| (i * 7 + i / 251) as u8).collect()
	}

	fn hash(c: &[u8]) -> [u8; 32] {
		*blake3::hash(c).as_bytes()
	}

	#[test]
	fn the_proofs_root_is_the_manifests_chunk_hash() {
		for len in [1, 1024, 1025, GROUP as usize, 1 << 20, (1 << 20) - 5] {
			let c = chunk(len);
			assert_eq!(ChunkProof::of(&c).root(), hash(&c), "{len}");
		}
	}

	#[test]
	fn a_16k_seek_into_a_1mib_chunk_costs_one_group_and_six_hash_pairs() {
		let c = chunk(1 << 20);
		let (s, e) = aligned(500_000, 500_100, c.len() as u64).unwrap();
		assert_eq!((s, e), (491_520, 507_904));
		let enc = ChunkProof::of(&c).encode(&c, s, e).unwrap();
		assert_eq!(enc.len() as u64, GROUP + 6 * 64);
		assert_eq!(
			decode(&hash(&c), c.len() as u64, s, e, &enc).unwrap(),
			c[s as usize..e as usize]
		);
	}

	#[test]
	fn spans_outside_the_chunk_or_unaligned_are_refused() {
		let c = chunk(40_000);
		let (p, h, len) = (ChunkProof::of(&c), hash(&c), c.len() as u64);
		assert_eq!(aligned(5, 5, len), Err(SliceError::Span { start: 5, end: 5, len }));
		assert!(aligned(0, len + 1, len).is_err());
		assert_eq!(aligned(39_000, len, len), Ok((32_768, len)));
		assert!(p.encode(&c, 1, GROUP).is_err());
		let enc = p.encode(&c, 0, GROUP).unwrap();
		assert!(matches!(decode(&h, len, 1, GROUP, &enc), Err(SliceError::Span { .. })));
	}

	#[test]
	fn short_long_or_other_chunks_encodings_are_refused() {
		let c = chunk(100_000);
		let (len, h) = (c.len() as u64, hash(&c));
		let enc = ChunkProof::of(&c).encode(&c, GROUP, 3 * GROUP).unwrap();
		let want = enc.len() as u64;
		let short = decode(&h, len, GROUP, 3 * GROUP, &enc[..enc.len() - 1]);
		assert_eq!(short, Err(SliceError::Length { got: want - 1, want }));
		let mut long = enc.clone();
		long.push(0);
		assert!(matches!(decode(&h, len, GROUP, 3 * GROUP, &long), Err(SliceError::Length { .. })));
		let other = chunk(100_001);
		assert!(matches!(
			decode(&hash(&other), len, GROUP, 3 * GROUP, &enc),
			Err(SliceError::Mismatch(_))
		));
		// The right bytes for another span of the same chunk do not pass.
		let next = ChunkProof::of(&c).encode(&c, 2 * GROUP, 4 * GROUP).unwrap();
		assert!(decode(&h, len, GROUP, 3 * GROUP, &next).is_err());
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		/// Any span of any chunk round-trips, and its encoding has the
		/// length `encoded_len` says.
		#[test]
		fn every_span_round_trips(len in 1usize..300_000, a in 0.0f64..1.0, b in 0.0f64..1.0) {
			let c = chunk(len);
			let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
			let start = (lo * len as f64) as u64;
			let end = ((hi * len as f64) as u64).max(start + 1).min(len as u64);
			prop_assume!(start < end);
			let (s, e) = aligned(start, end, len as u64).unwrap();
			prop_assert!(s <= start && end <= e && s % GROUP == 0);
			let enc = ChunkProof::of(&c).encode(&c, s, e).unwrap();
			prop_assert_eq!(enc.len() as u64, encoded_len(len as u64, s, e));
			let got = decode(&hash(&c), len as u64, s, e, &enc).unwrap();
			prop_assert_eq!(&got[..], &c[s as usize..e as usize]);
		}

		/// Flipping any bit of an encoding (hash or data) is caught.
		#[test]
		fn every_flipped_bit_is_caught(len in 1usize..120_000, at in 0.0f64..1.0, bit in 0u8..8) {
			let c = chunk(len);
			let (s, e) = aligned(0, len as u64, len as u64).unwrap();
			let mut enc = ChunkProof::of(&c).encode(&c, s, e).unwrap();
			let i = ((at * enc.len() as f64) as usize).min(enc.len() - 1);
			enc[i] ^= 1 << bit;
			prop_assert!(decode(&hash(&c), len as u64, s, e, &enc).is_err());
		}
	}
}
