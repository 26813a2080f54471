//! The hashes a verified slice is cut with ([`pod_wire::slice`]), kept per
//! chunk: the first slice of a chunk costs a BLAKE3 pass over it, later
//! ones only the cut. 4 KiB per 1 MiB chunk; the set holds at most
//! [`PROOFS_KEPT`] chunks' and starts again when full (a viewer seeking
//! across more chunks than that pays one pass per chunk, as a whole-chunk
//! read does anyway).

use pod_primitives::ContentId;
use pod_wire::slice::ChunkProof;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Chunks whose proofs are kept (4 MiB of hashes at 1 MiB chunks).
pub const PROOFS_KEPT: usize = 1024;

/// Proofs of recently sliced chunks.
#[derive(Default)]
pub struct Proofs(Mutex<HashMap<(ContentId, u32), Arc<ChunkProof>>>);

impl Proofs {
	/// The proof of chunk `index` of `content`, whose verified bytes are `chunk`.
	pub fn of(&self, content: ContentId, index: u32, chunk: &[u8]) -> Arc<ChunkProof> {
		if let Some(p) = self.lock().get(&(content, index)) {
			return p.clone();
		}
		let made = Arc::new(ChunkProof::of(chunk));
		let mut kept = self.lock();
		if kept.len() >= PROOFS_KEPT {
			kept.clear();
		}
		kept.insert((content, index), made.clone());
		made
	}

	fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(ContentId, u32), Arc<ChunkProof>>> {
		self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
	}
}
