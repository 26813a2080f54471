//! # pod-web
//!
//! What a web page needs to be a Proof-of-Delivery viewer, compiled to
//! WebAssembly from the same Rust the chain and the edges run, so a browser
//! signs exactly the bytes the reporter and the chain check — no second
//! implementation in JavaScript:
//!
//! | export | what |
//! | --- | --- |
//! | [`Session`] | the viewer's session key, made in memory from the Web Crypto API's randomness; never leaves the module |
//! | [`Plan`] | a reporter's schedule, checked: every ticket names this session and the content; signs the cumulative receipt header for each edge, and accusations |
//! | [`Content`] | a manifest checked against its content id; verifies chunks (BLAKE3) |
//!
//! The JavaScript around it (`web/pod.js`: downloads from several edges,
//! fail-over, the reporter calls, the service worker) holds no key and
//! decides nothing a receipt depends on. Sizes cross to JavaScript as
//! numbers (exact below 2^53 bytes, far above any content).
#![deny(missing_docs)]

mod content;
mod plan;
mod session;

pub use content::Content;
pub use plan::Plan;
pub use session::Session;

/// Why a call was refused: what was wrong, and why. JavaScript sees it as
/// a thrown `Error` with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {why}")]
pub struct Refusal {
	/// The argument or field at fault.
	pub what: &'static str,
	/// What is wrong with it.
	pub why: String,
}

fn refuse(what: &'static str, why: impl std::fmt::Display) -> Refusal {
	Refusal { what, why: why.to_string() }
}

/// A JavaScript number as a byte count: finite, whole, not negative, and
/// exactly representable.
fn whole(what: &'static str, n: f64) -> Result<u64, Refusal> {
	const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
	if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE {
		Ok(n as u64)
	} else {
		Err(refuse(what, format!("{n} is not a whole number of bytes")))
	}
}
