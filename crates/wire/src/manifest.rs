//! Checking manifest bytes from a file, an origin, a reporter or a peer.

use crate::primitives::{content_id, ContentId, Manifest, ManifestError};
use codec::Decode;

/// Why manifest bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestDecodeError {
	/// Not the SCALE encoding of a manifest.
	#[error("the manifest does not decode: {0}")]
	Scale(#[source] codec::Error),
	/// Decodes, but its size, chunk size and hashes disagree.
	#[error("the manifest is inconsistent: {0:?}")]
	Inconsistent(ManifestError),
	/// A valid manifest of another content.
	#[error("the manifest has id {found}, expected {expected}")]
	WrongId {
		/// The id asked for (hex).
		expected: String,
		/// The id of the bytes given (hex).
		found: String,
	},
}

/// Decodes and checks manifest bytes; with `expected`, also that they are the
/// manifest of that content (the id is the BLAKE3 hash of these bytes).
/// Trailing bytes are refused: a manifest has one encoding, so one id.
pub fn decode_manifest(
	bytes: &[u8],
	expected: Option<&ContentId>,
) -> Result<Manifest, ManifestDecodeError> {
	let mut rest = bytes;
	let m = Manifest::decode(&mut rest).map_err(ManifestDecodeError::Scale)?;
	if !rest.is_empty() {
		return Err(ManifestDecodeError::Scale("trailing bytes after the manifest".into()));
	}
	m.validate().map_err(ManifestDecodeError::Inconsistent)?;
	if let Some(id) = expected {
		let found = content_id(bytes);
		if &found != id {
			return Err(ManifestDecodeError::WrongId {
				expected: ::hex::encode(id),
				found: ::hex::encode(found),
			});
		}
	}
	Ok(m)
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;

	#[test]
	fn only_consistent_manifests_of_the_asked_content_pass() {
		let m = Manifest::of_bytes(&[7u8; 3000], 1024);
		let bytes = m.encode();
		assert_eq!(decode_manifest(&bytes, Some(&m.id())).unwrap(), m);
		assert_eq!(decode_manifest(&bytes, None).unwrap(), m);
		assert!(matches!(
			decode_manifest(&bytes, Some(&[0; 32])),
			Err(ManifestDecodeError::WrongId { .. })
		));
		assert!(matches!(decode_manifest(b"junk", None), Err(ManifestDecodeError::Scale(_))));
		// The same manifest with a byte appended would be another content
		// id for the same chunks: refused.
		let mut longer = bytes.clone();
		longer.push(0);
		assert!(matches!(decode_manifest(&longer, None), Err(ManifestDecodeError::Scale(_))));
		let short = Manifest { chunks: m.chunks[..2].to_vec(), ..m.clone() };
		assert!(matches!(
			decode_manifest(&short.encode(), None),
			Err(ManifestDecodeError::Inconsistent(ManifestError::ChunkCountMismatch { .. }))
		));
	}
}
