//! Operator bandwidth controls: a serving rate cap (token bucket, bytes/s)
//! and a monthly cap (bytes per calendar month, UTC), persisted so a restart
//! does not reset the month.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Why bytes may not be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BandwidthError {
	/// The monthly byte cap is reached.
	#[error("monthly cap of {cap} bytes reached ({served} served in {month})")]
	MonthlyCap {
		/// The cap.
		cap: u64,
		/// Bytes served this month.
		served: u64,
		/// The month (`YYYY-MM`).
		month: String,
	},
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Persisted {
	month: String,
	served: u64,
}

#[derive(Debug)]
struct State {
	persisted: Persisted,
	unsaved: u64,
	tokens: f64,
	last: Instant,
}

/// A snapshot for `/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandwidthSnapshot {
	/// Bytes per second (0: none).
	pub rate_limit: u64,
	/// Bytes per month (0: none).
	pub monthly_cap: u64,
	/// The month counted.
	pub month: String,
	/// Bytes served in it.
	pub served_this_month: u64,
}

/// The limiter.
#[derive(Debug)]
pub struct Bandwidth {
	path: PathBuf,
	rate_limit: u64,
	monthly_cap: u64,
	state: Mutex<State>,
}

/// `YYYY-MM` of a Unix time (UTC), by the civil-from-days algorithm.
pub(crate) fn month_of(unix_secs: u64) -> String {
	let z = (unix_secs / 86_400) as i64 + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z - era * 146_097;
	let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let m = if mp < 10 { mp + 3 } else { mp - 9 };
	let y = yoe + era * 400 + i64::from(m <= 2);
	format!("{y:04}-{m:02}")
}

fn this_month() -> String {
	month_of(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

/// Saves at most every this many bytes (and on drop).
const SAVE_EVERY: u64 = 64 << 20;

/// The largest piece of a body sent at once under a rate cap.
pub const PACE_PIECE: usize = 16 << 10;

impl Bandwidth {
	/// Opens the limiter, restoring this month's count from `path`.
	pub fn open(
		path: PathBuf,
		rate_limit: u64,
		monthly_cap: u64,
	) -> Result<Self, crate::EdgeError> {
		let month = this_month();
		let persisted = match std::fs::read(&path) {
			Ok(b) => serde_json::from_slice::<Persisted>(&b)
				.ok()
				.filter(|p| p.month == month)
				.unwrap_or(Persisted { month, served: 0 }),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => Persisted { month, served: 0 },
			Err(source) => return Err(crate::EdgeError::Io { what: "reading", path, source }),
		};
		Ok(Bandwidth {
			path,
			rate_limit,
			monthly_cap,
			state: Mutex::new(State { persisted, unsaved: 0, tokens: 0.0, last: Instant::now() }),
		})
	}

	/// Accounts `n` bytes about to be served against the monthly cap, all
	/// at once, so a response that starts is never cut short by it.
	pub fn account(&self, n: u64) -> Result<(), BandwidthError> {
		let mut s = self.state.lock().expect("bandwidth lock");
		let month = this_month();
		if s.persisted.month != month {
			s.persisted = Persisted { month, served: 0 };
		}
		if self.monthly_cap > 0 && s.persisted.served.saturating_add(n) > self.monthly_cap {
			return Err(BandwidthError::MonthlyCap {
				cap: self.monthly_cap,
				served: s.persisted.served,
				month: s.persisted.month.clone(),
			});
		}
		s.persisted.served += n;
		s.unsaved += n;
		if s.unsaved >= SAVE_EVERY {
			s.unsaved = 0;
			self.save(&s.persisted);
		}
		Ok(())
	}

	/// Whether no rate cap applies.
	pub fn unlimited(&self) -> bool {
		self.rate_limit == 0
	}

	/// Waits until `n` more bytes may leave under the rate cap. The bucket
	/// holds a tenth of a second's worth (at least one [`PACE_PIECE`]), so
	/// bytes leave as a steady stream, not in bursts at line rate: a body is
	/// sent in pieces of at most [`PACE_PIECE`], each paced here.
	pub async fn pace(&self, n: u64) {
		if self.rate_limit == 0 {
			return;
		}
		let wait = {
			let mut s = self.state.lock().expect("bandwidth lock");
			let now = Instant::now();
			let rate = self.rate_limit as f64;
			let bucket = (rate / 10.0).max(PACE_PIECE as f64);
			s.tokens = (s.tokens + now.duration_since(s.last).as_secs_f64() * rate).min(bucket);
			s.last = now;
			s.tokens -= n as f64;
			Duration::from_secs_f64((-s.tokens / rate).max(0.0))
		};
		if !wait.is_zero() {
			tokio::time::sleep(wait).await;
		}
	}

	fn save(&self, p: &Persisted) {
		let tmp = self.path.with_extension("tmp");
		let ok = serde_json::to_vec(p)
			.ok()
			.and_then(|b| std::fs::write(&tmp, b).ok())
			.and_then(|_| std::fs::rename(&tmp, &self.path).ok());
		if ok.is_none() {
			tracing::warn!(path = %self.path.display(), "could not save the bandwidth counter");
		}
	}

	/// Current figures.
	pub fn snapshot(&self) -> BandwidthSnapshot {
		let s = self.state.lock().expect("bandwidth lock");
		BandwidthSnapshot {
			rate_limit: self.rate_limit,
			monthly_cap: self.monthly_cap,
			month: s.persisted.month.clone(),
			served_this_month: s.persisted.served,
		}
	}
}

impl Drop for Bandwidth {
	fn drop(&mut self) {
		let s = self.state.lock().expect("bandwidth lock");
		self.save(&s.persisted);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn months() {
		assert_eq!(month_of(0), "1970-01");
		assert_eq!(month_of(951_782_400), "2000-02"); // 2000-02-29T00:00Z
		assert_eq!(month_of(1_798_761_599), "2026-12"); // 2026-12-31T23:59:59
		assert_eq!(month_of(1_798_761_600), "2027-01");
	}

	#[tokio::test]
	async fn monthly_cap_survives_restart() {
		let dir = tempfile::tempdir().unwrap();
		let p = dir.path().join("bw.json");
		{
			let b = Bandwidth::open(p.clone(), 0, 1_000).unwrap();
			b.account(600).unwrap();
		}
		let b = Bandwidth::open(p, 0, 1_000).unwrap();
		assert_eq!(b.snapshot().served_this_month, 600);
		b.account(400).unwrap();
		assert!(matches!(
			b.account(1),
			Err(BandwidthError::MonthlyCap { cap: 1_000, served: 1_000, .. })
		));
	}

	/// Pieces leave at the capped rate from the start: no second's worth
	/// of burst at line rate, just a tenth of a second's (here 1 piece).
	#[tokio::test(start_paused = true)]
	async fn rate_cap_paces_pieces() {
		let dir = tempfile::tempdir().unwrap();
		let rate = 4 * PACE_PIECE as u64; // 4 pieces a second
		let b = Bandwidth::open(dir.path().join("bw.json"), rate, 0).unwrap();
		let t0 = tokio::time::Instant::now();
		let mut at = Vec::new();
		for _ in 0..8 {
			b.pace(PACE_PIECE as u64).await;
			at.push(t0.elapsed().as_millis());
		}
		assert_eq!(at, vec![250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
		// Idle for a while: at most one piece's worth is saved up.
		tokio::time::sleep(Duration::from_secs(10)).await;
		let t1 = tokio::time::Instant::now();
		b.pace(PACE_PIECE as u64).await;
		b.pace(PACE_PIECE as u64).await;
		assert_eq!(t1.elapsed().as_millis(), 250);
	}
}
