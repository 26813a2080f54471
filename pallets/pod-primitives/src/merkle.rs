//! The Merkle root over receipts that a claim commits to.
//!
//! Leaves are `BLAKE3("PODLEAF" ‖ ticket_id ‖ bytes_total_le)`, sorted by
//! ticket id so edge and reporter compute the same root from the same set in
//! any order; inner nodes are `BLAKE3("PODNODE" ‖ left ‖ right)`; an odd node
//! is promoted unchanged. The empty set's root is all zeros.

use crate::types::{Hash, TicketId};
use alloc::vec::Vec;

fn leaf(ticket_id: &TicketId, bytes_total: u64) -> Hash {
	let mut h = blake3::Hasher::new();
	h.update(b"PODLEAF");
	h.update(ticket_id);
	h.update(&bytes_total.to_le_bytes());
	*h.finalize().as_bytes()
}

fn node(l: &Hash, r: &Hash) -> Hash {
	let mut h = blake3::Hasher::new();
	h.update(b"PODNODE");
	h.update(l);
	h.update(r);
	*h.finalize().as_bytes()
}

/// Root over `(ticket_id, bytes_total)` pairs. Duplicated ticket ids are the
/// caller's bug; they are hashed as given.
pub fn receipts_root(receipts: &[(TicketId, u64)]) -> Hash {
	if receipts.is_empty() {
		return [0u8; 32];
	}
	let mut sorted: Vec<&(TicketId, u64)> = receipts.iter().collect();
	sorted.sort_by_key(|a| a.0);
	let mut level: Vec<Hash> = sorted.iter().map(|(id, b)| leaf(id, *b)).collect();
	while level.len() > 1 {
		level =
			level.chunks(2).map(|p| if p.len() == 2 { node(&p[0], &p[1]) } else { p[0] }).collect();
	}
	level[0]
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn order_independent_and_sensitive_to_amounts() {
		let a = ([1u8; 16], 10);
		let b = ([2u8; 16], 20);
		let c = ([3u8; 16], 30);
		assert_eq!(receipts_root(&[a, b, c]), receipts_root(&[c, a, b]));
		assert_ne!(receipts_root(&[a, b, c]), receipts_root(&[a, b, ([3u8; 16], 31)]));
		assert_ne!(receipts_root(&[a, b]), receipts_root(&[a, b, c]));
		assert_eq!(receipts_root(&[]), [0u8; 32]);
		assert_eq!(receipts_root(&[a]), leaf(&a.0, a.1));
	}
}
