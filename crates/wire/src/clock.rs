//! The one wall clock every role uses for ticket expiry and heartbeats.

/// Milliseconds since the Unix epoch (0 if the clock is before it).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub fn now_ms() -> u64 {
	use std::time::{SystemTime, UNIX_EPOCH};
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Milliseconds since the Unix epoch, from JavaScript's `Date.now()`
/// (`std::time::SystemTime` panics in a browser).
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub fn now_ms() -> u64 {
	js_sys::Date::now().max(0.0) as u64
}

#[cfg(test)]
mod tests {
	#[test]
	fn the_clock_is_after_2024_and_moves_forward() {
		let a = super::now_ms();
		assert!(a > 1_704_067_200_000, "{a}");
		std::thread::sleep(std::time::Duration::from_millis(2));
		assert!(super::now_ms() > a);
	}
}
