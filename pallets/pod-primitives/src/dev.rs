//! Well-known keys of the dev and local chains. Never use them for real.

/// Seed of the dev reporter's sr25519 key (schnorrkel mini secret key).
pub const REPORTER_SEED: [u8; 32] = *b"pod-cdn/dev/reporter/seed/v1____";

/// Public key of [`REPORTER_SEED`]; the genesis presets put it in the reporter set.
pub const REPORTER_PUBLIC: [u8; 32] = [
	0xd8, 0x61, 0xc3, 0x1c, 0xc3, 0xb2, 0xee, 0x4f, 0xa8, 0x20, 0x45, 0xbd, 0x20, 0xb7, 0xda, 0x1e,
	0xa8, 0xe0, 0x16, 0xe2, 0x74, 0xf3, 0xa1, 0x79, 0x0c, 0xc6, 0x2d, 0xbc, 0x21, 0x78, 0xa7, 0x3b,
];

#[cfg(all(test, feature = "signing"))]
mod tests {
	#[test]
	fn reporter_public_matches_seed() {
		let kp = crate::keys::keypair_from_seed(&super::REPORTER_SEED);
		assert_eq!(kp.public.to_bytes(), super::REPORTER_PUBLIC, "{:?}", kp.public.to_bytes());
	}
}
