//! Well-known keys of the dev and local chains. Never use them for real.

/// Seed of the dev reporter's sr25519 key (schnorrkel mini secret key).
pub const REPORTER_SEED: [u8; 32] = *b"pod-cdn/dev/reporter/seed/v1____";

/// Public key of [`REPORTER_SEED`]; the genesis presets put it in the reporter set.
pub const REPORTER_PUBLIC: [u8; 32] = [0u8; 32];

#[cfg(all(test, feature = "signing"))]
mod tests {
	#[test]
	fn reporter_public_matches_seed() {
		let kp = crate::sign::keypair_from_seed(&super::REPORTER_SEED);
		assert_eq!(kp.public.to_bytes(), super::REPORTER_PUBLIC, "{:?}", kp.public.to_bytes());
	}
}
