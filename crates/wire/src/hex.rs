//! Hex forms of keys, ids and SCALE values, as JSON fields, URL segments and
//! header values carry them. An optional `0x` prefix is accepted everywhere.

use codec::{Decode, Encode};

/// Why a hex field did not decode. `what` names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
	/// Not hex at all.
	#[error("{what} is not hex: {source}")]
	Hex {
		/// The field.
		what: &'static str,
		/// What the hex decoder said.
		#[source]
		source: ::hex::FromHexError,
	},
	/// Hex of the wrong length.
	#[error("{what} must be {expected} bytes, got {got}")]
	Length {
		/// The field.
		what: &'static str,
		/// Bytes expected.
		expected: usize,
		/// Bytes found.
		got: usize,
	},
	/// Hex, but not the SCALE encoding of the expected type.
	#[error("{what} does not decode: {source}")]
	Scale {
		/// The field.
		what: &'static str,
		/// What the SCALE decoder said.
		#[source]
		source: codec::Error,
	},
}

fn strip(s: &str) -> &str {
	let s = s.trim();
	s.strip_prefix("0x").unwrap_or(s)
}

/// Decodes hex into bytes.
pub fn bytes(what: &'static str, s: &str) -> Result<Vec<u8>, DecodeError> {
	::hex::decode(strip(s)).map_err(|source| DecodeError::Hex { what, source })
}

/// Decodes exactly `N` bytes of hex (keys, ids, hashes, signatures).
pub fn array<const N: usize>(what: &'static str, s: &str) -> Result<[u8; N], DecodeError> {
	let v = bytes(what, s)?;
	let got = v.len();
	v.try_into().map_err(|_| DecodeError::Length { what, expected: N, got })
}

/// Decodes 32 bytes of hex: a public key, a content id, a genesis hash.
pub fn hex32(what: &'static str, s: &str) -> Result<[u8; 32], DecodeError> {
	array::<32>(what, s)
}

/// Decodes hex-encoded SCALE of `T`. Trailing bytes are refused: one value,
/// one encoding.
pub fn scale<T: Decode>(what: &'static str, s: &str) -> Result<T, DecodeError> {
	let b = bytes(what, s)?;
	decode_all(what, &b)
}

/// Decodes SCALE bytes of `T`, refusing trailing bytes.
pub fn decode_all<T: Decode>(what: &'static str, mut b: &[u8]) -> Result<T, DecodeError> {
	let v = T::decode(&mut b).map_err(|source| DecodeError::Scale { what, source })?;
	if !b.is_empty() {
		return Err(DecodeError::Scale { what, source: "trailing bytes after the value".into() });
	}
	Ok(v)
}

/// The hex form of SCALE-encoded `v` (no prefix), as headers and JSON carry it.
pub fn encode_scale<T: Encode>(v: &T) -> String {
	::hex::encode(v.encode())
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn fields_are_checked_for_hex_length_and_encoding() {
		assert_eq!(hex32("key", &format!("0x{}", "ab".repeat(32))).unwrap(), [0xab; 32]);
		assert!(matches!(hex32("key", "zz"), Err(DecodeError::Hex { what: "key", .. })));
		assert_eq!(
			hex32("key", "abab"),
			Err(DecodeError::Length { what: "key", expected: 32, got: 2 })
		);
		assert_eq!(scale::<u32>("n", "05000000").unwrap(), 5);
		assert!(matches!(scale::<u32>("n", "0500"), Err(DecodeError::Scale { .. })));
		assert!(matches!(scale::<u32>("n", "0500000000"), Err(DecodeError::Scale { .. })));
	}

	proptest! {
		#[test]
		fn scale_round_trips(v: (u64, Vec<u8>, [u8; 32])) {
			prop_assert_eq!(scale::<(u64, Vec<u8>, [u8; 32])>("v", &encode_scale(&v)).unwrap(), v);
		}

		#[test]
		fn arbitrary_text_never_panics(s in ".*") {
			let _ = hex32("k", &s);
			let _ = scale::<(u64, Vec<u8>)>("v", &s);
		}
	}
}
