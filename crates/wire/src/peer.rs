//! The frames of the edges' chunk exchange (libp2p `/pod/chunk/2`): a
//! request is the SCALE [`ChunkRequest`] (content, index and the asking
//! edge's [`PeerCredential`]), 132 bytes; a response is a big-endian `u32`
//! length, then that many bytes of chunk, 0 meaning "not held" (or "not for
//! you"). The edge's codec reads exactly these frames; nothing longer than
//! the largest chunk a manifest allows is ever read.

use crate::primitives::{ContentId, PeerCredential, MAX_CHUNK_SIZE};
use codec::{Decode, Encode};

/// Bytes of a chunk request.
pub const REQUEST_LEN: usize = 132;

/// One edge asking another for a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct ChunkRequest {
	/// The content.
	pub content: ContentId,
	/// The chunk's index in its manifest.
	pub index: u32,
	/// Who asks: an edge key bound to the asking peer id.
	pub credential: PeerCredential,
}

/// Why a peer's frame was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
	/// A request that is not [`REQUEST_LEN`] bytes.
	#[error("a chunk request is {REQUEST_LEN} bytes, got {0}")]
	RequestLength(usize),
	/// A response announcing more than a chunk can hold.
	#[error(
		"a peer announced a chunk of {0} bytes, more than the {MAX_CHUNK_SIZE} a chunk may have"
	)]
	ChunkTooLarge(u32),
}

/// A chunk request's bytes.
pub fn encode_request(req: &ChunkRequest) -> [u8; REQUEST_LEN] {
	let mut out = [0u8; REQUEST_LEN];
	out.copy_from_slice(&req.encode());
	out
}

/// A chunk request from its bytes.
pub fn decode_request(b: &[u8]) -> Result<ChunkRequest, FrameError> {
	if b.len() != REQUEST_LEN {
		return Err(FrameError::RequestLength(b.len()));
	}
	Ok(ChunkRequest::decode(&mut &b[..]).expect("any 132 bytes are a request; qed"))
}

/// The length prefix of a response carrying `chunk` (`None`: not held).
pub fn response_header(chunk: Option<&[u8]>) -> [u8; 4] {
	(chunk.map_or(0, <[u8]>::len) as u32).to_be_bytes()
}

/// How many bytes of chunk follow a response's length prefix: `None` for
/// "not held", refused above [`MAX_CHUNK_SIZE`] before anything is read.
pub fn response_len(header: [u8; 4]) -> Result<Option<usize>, FrameError> {
	match u32::from_be_bytes(header) {
		0 => Ok(None),
		n if n > MAX_CHUNK_SIZE => Err(FrameError::ChunkTooLarge(n)),
		n => Ok(Some(n as usize)),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn frames_round_trip_and_are_bounded() {
		let credential = PeerCredential { edge: [8; 32], signature: [9; 64] };
		let request = ChunkRequest { content: [7; 32], index: 0xDEAD, credential };
		let req = encode_request(&request);
		assert_eq!(decode_request(&req), Ok(request));
		assert_eq!(decode_request(&req[..131]), Err(FrameError::RequestLength(131)));
		assert_eq!(response_len(response_header(None)), Ok(None));
		assert_eq!(response_len(response_header(Some(&[1, 2, 3]))), Ok(Some(3)));
		assert_eq!(response_len(MAX_CHUNK_SIZE.to_be_bytes()), Ok(Some(MAX_CHUNK_SIZE as usize)));
		let over = MAX_CHUNK_SIZE + 1;
		assert_eq!(response_len(over.to_be_bytes()), Err(FrameError::ChunkTooLarge(over)));
	}
}
