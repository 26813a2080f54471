//! A content's manifest in the browser, and chunk verification.

use crate::{refuse, Refusal};
use pod_wire::primitives::Manifest;
use wasm_bindgen::prelude::*;

/// A content's manifest, checked against its id: the chunk hashes every
/// byte from an edge is verified against before it is used or receipted.
#[wasm_bindgen]
pub struct Content {
	id: String,
	manifest: Manifest,
}

impl Content {
	/// Decodes `manifest` (SCALE, as the reporter serves it) and checks it
	/// is the content `id` (hex) names.
	pub(crate) fn check(id: &str, manifest: &[u8]) -> Result<Content, Refusal> {
		let want = pod_wire::hex::hex32("content", id).map_err(|e| refuse("content", e))?;
		let manifest = pod_wire::manifest::decode_manifest(manifest, Some(&want))
			.map_err(|e| refuse("manifest", e))?;
		Ok(Content { id: hex::encode(want), manifest })
	}
}

#[wasm_bindgen]
impl Content {
	/// The manifest of content `id` (hex), from its bytes; throws unless
	/// the bytes are exactly that content's manifest.
	#[wasm_bindgen(js_name = fromManifest)]
	pub fn from_manifest(id: &str, manifest: &[u8]) -> Result<Content, JsError> {
		Ok(Content::check(id, manifest)?)
	}

	/// The content id (hex).
	#[wasm_bindgen(getter)]
	pub fn id(&self) -> String {
		self.id.clone()
	}

	/// Total size in bytes.
	#[wasm_bindgen(getter)]
	pub fn size(&self) -> f64 {
		self.manifest.size as f64
	}

	/// Size of every chunk but the last.
	#[wasm_bindgen(getter, js_name = chunkSize)]
	pub fn chunk_size(&self) -> u32 {
		self.manifest.chunk_size
	}

	/// How many chunks.
	#[wasm_bindgen(getter)]
	pub fn chunks(&self) -> u32 {
		self.manifest.chunks.len() as u32
	}

	/// Length of chunk `index` (0 past the end).
	#[wasm_bindgen(js_name = chunkLength)]
	pub fn chunk_length(&self, index: u32) -> u32 {
		self.manifest.chunk_len(index).unwrap_or(0)
	}

	/// Whether `bytes` are exactly chunk `index` (BLAKE3 against the
	/// manifest).
	#[wasm_bindgen(js_name = verifyChunk)]
	pub fn verify_chunk(&self, index: u32, bytes: &[u8]) -> bool {
		self.manifest.verify_chunk(index, bytes)
	}

	/// The whole groups covering bytes `start..end` of chunk `index`, as
	/// `[start, end]`: the span to ask an edge for as a verified slice (and
	/// the bytes it charges).
	#[wasm_bindgen(js_name = sliceSpan)]
	pub fn slice_span(&self, index: u32, start: u32, end: u32) -> Result<Vec<u32>, JsError> {
		Ok(self.span(index, start, end)?.into())
	}

	/// Bytes `start..end` of chunk `index` from an edge's verified slice
	/// (`encoded`, the answer to a request with `x-pod-proof`), every group
	/// checked against the chunk's hash; throws if any is wrong, or the
	/// span is not one [`Content::slice_span`] gives.
	#[wasm_bindgen(js_name = verifySlice)]
	pub fn verify_slice(
		&self,
		index: u32,
		start: u32,
		end: u32,
		encoded: &[u8],
	) -> Result<Vec<u8>, JsError> {
		Ok(self.slice(index, start, end, encoded)?)
	}
}

impl Content {
	fn span(&self, index: u32, start: u32, end: u32) -> Result<[u32; 2], Refusal> {
		let len = self.manifest.chunk_len(index).unwrap_or(0) as u64;
		let (s, e) = pod_wire::slice::aligned(start as u64, end as u64, len)
			.map_err(|e| refuse("slice", e))?;
		Ok([s as u32, e as u32])
	}

	pub(crate) fn slice(
		&self,
		index: u32,
		start: u32,
		end: u32,
		encoded: &[u8],
	) -> Result<Vec<u8>, Refusal> {
		let hash = self.manifest.chunks.get(index as usize).ok_or_else(|| {
			refuse("slice", format!("no chunk {index} in {} chunks", self.manifest.chunks.len()))
		})?;
		let len = self.manifest.chunk_len(index).unwrap_or(0) as u64;
		pod_wire::slice::decode(hash, len, start as u64, end as u64, encoded)
			.map_err(|e| refuse("slice", e))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;

	#[test]
	fn only_the_named_contents_manifest_verifies_only_its_chunks() {
		let data: Vec<u8> = (0..2500u32).map(|i| (i * 7) as u8).collect();
		let m = Manifest::of_bytes(&data, 1024);
		let id = hex::encode(m.id());
		let c = Content::check(&id, &m.encode()).unwrap();
		assert_eq!(
			(c.size(), c.chunk_size(), c.chunks(), c.chunk_length(2)),
			(2500.0, 1024, 3, 452)
		);
		assert!(c.verify_chunk(2, &data[2048..]));
		assert!(!c.verify_chunk(1, &data[2048..]));
		let mut bad = data[..1024].to_vec();
		bad[9] ^= 1;
		assert!(!c.verify_chunk(0, &bad));
		let other = Manifest::of_bytes(&data[..100], 1024);
		assert_eq!(Content::check(&id, &other.encode()).err().unwrap().what, "manifest");
		let mut trailing = m.encode();
		trailing.push(0);
		assert_eq!(Content::check(&id, &trailing).err().unwrap().what, "manifest");
	}

	#[test]
	fn slices_verify_against_the_manifest_and_nothing_else_does() {
		let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13 + i / 7) as u8).collect();
		let m = Manifest::of_bytes(&data, 65_536);
		let c = Content::check(&hex::encode(m.id()), &m.encode()).unwrap();
		let [s, e] = c.span(1, 17_000, 18_000).unwrap();
		assert_eq!((s, e), (16_384, 32_768));
		let chunk = &data[65_536..2 * 65_536];
		let enc = pod_wire::slice::ChunkProof::of(chunk).encode(chunk, s as u64, e as u64).unwrap();
		assert_eq!(c.slice(1, s, e, &enc).unwrap(), chunk[16_384..32_768]);
		// The last chunk is short: its one group is the whole of it.
		assert_eq!(c.span(3, 1000, 2000).unwrap(), [0, 200_000 - 3 * 65_536]);
		// Chunk 2's slice is not chunk 1's; there is no chunk 4.
		let two = &data[2 * 65_536..3 * 65_536];
		let enc2 = pod_wire::slice::ChunkProof::of(two).encode(two, s as u64, e as u64).unwrap();
		assert_eq!(c.slice(1, s, e, &enc2).err().unwrap().what, "slice");
		assert_eq!(c.slice(4, s, e, &enc).err().unwrap().what, "slice");
		assert_eq!(c.span(3, 9_000, 9_000).err().unwrap().what, "slice");
	}
}
