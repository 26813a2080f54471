//! `Range: bytes=…` parsing (RFC 9110 §14), single ranges only.

/// The outcome of parsing a `Range` header against a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSpec {
	/// No usable range (absent, multi-range or not bytes): serve everything (200).
	Full,
	/// Serve `[start, end]` inclusive (206).
	Partial {
		/// First byte.
		start: u64,
		/// Last byte (inclusive).
		end: u64,
	},
	/// The range cannot be satisfied (416).
	Unsatisfiable,
}

/// Parses `header` for a representation of `len` bytes.
pub fn parse(header: Option<&str>, len: u64) -> RangeSpec {
	let Some(h) = header else { return RangeSpec::Full };
	let Some(spec) = h.trim().strip_prefix("bytes=") else { return RangeSpec::Full };
	if spec.contains(',') {
		// Multiple ranges: ignoring the header and sending 200 is allowed.
		return RangeSpec::Full;
	}
	let Some((a, b)) = spec.trim().split_once('-') else { return RangeSpec::Unsatisfiable };
	let (a, b) = (a.trim(), b.trim());
	if a.is_empty() {
		// Suffix: the last `b` bytes.
		let Ok(n) = b.parse::<u64>() else { return RangeSpec::Unsatisfiable };
		if n == 0 || len == 0 {
			return RangeSpec::Unsatisfiable;
		}
		return RangeSpec::Partial { start: len.saturating_sub(n), end: len - 1 };
	}
	let Ok(start) = a.parse::<u64>() else { return RangeSpec::Unsatisfiable };
	if start >= len {
		return RangeSpec::Unsatisfiable;
	}
	let end = if b.is_empty() {
		len - 1
	} else {
		match b.parse::<u64>() {
			Ok(e) if e >= start => e.min(len - 1),
			_ => return RangeSpec::Unsatisfiable,
		}
	};
	RangeSpec::Partial { start, end }
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn forms() {
		use RangeSpec::*;
		assert_eq!(parse(None, 10), Full);
		assert_eq!(parse(Some("bytes=0-4"), 10), Partial { start: 0, end: 4 });
		assert_eq!(parse(Some("bytes=5-"), 10), Partial { start: 5, end: 9 });
		assert_eq!(parse(Some("bytes=-3"), 10), Partial { start: 7, end: 9 });
		assert_eq!(parse(Some("bytes=-30"), 10), Partial { start: 0, end: 9 });
		assert_eq!(parse(Some("bytes=8-100"), 10), Partial { start: 8, end: 9 });
		assert_eq!(parse(Some("bytes=10-"), 10), Unsatisfiable);
		assert_eq!(parse(Some("bytes=5-4"), 10), Unsatisfiable);
		assert_eq!(parse(Some("bytes=-0"), 10), Unsatisfiable);
		assert_eq!(parse(Some("bytes=x-1"), 10), Unsatisfiable);
		assert_eq!(parse(Some("bytes=0-1,3-4"), 10), Full);
		assert_eq!(parse(Some("items=0-1"), 10), Full);
	}

	proptest! {
		#[test]
		fn partial_ranges_are_inside(len in 1u64..10_000, a in 0u64..20_000, b in 0u64..20_000) {
			for h in [format!("bytes={a}-{b}"), format!("bytes={a}-"), format!("bytes=-{b}")] {
				if let RangeSpec::Partial { start, end } = parse(Some(&h), len) {
					prop_assert!(start <= end && end < len, "{h} on {len}: {start}-{end}");
				}
			}
		}
	}
}
