//! Amounts of the chain's token: planck on chain, `POD` for people.

/// Text that is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AmountError(String);

type Result<T> = std::result::Result<T, AmountError>;

fn bad(text: &str, why: &str) -> AmountError {
	AmountError(format!("{text:?}: {why}"))
}

/// Planck per POD (the chain spec's `tokenDecimals`: 12).
const PLANCK_PER_POD: u128 = 1_000_000_000_000;
const DECIMALS: usize = 12;

/// Parses `12.5POD`, `12.5 POD` (tokens) or a bare integer (planck).
pub fn parse(text: &str) -> Result<u128> {
	let t = text.trim();
	let Some(tokens) = t.strip_suffix("POD").map(str::trim_end) else {
		let why = "an amount is planck (an integer) or tokens with the unit, e.g. 2.5POD";
		return t.parse::<u128>().map_err(|_| bad(text, why));
	};
	let (whole, frac) = tokens.split_once('.').unwrap_or((tokens, ""));
	if whole.is_empty() && frac.is_empty() || frac.len() > DECIMALS {
		return Err(bad(text, "at most 12 decimals of POD"));
	}
	let digits = |s: &str| s.is_empty() || s.bytes().all(|b| b.is_ascii_digit());
	if !digits(whole) || !digits(frac) {
		return Err(bad(text, "not a number of POD"));
	}
	let too_large = || bad(text, "too large");
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
	let frac: u128 = format!("{frac:0<DECIMALS$}").parse().map_err(|_| too_large())?;
	whole.checked_mul(PLANCK_PER_POD).and_then(|w| w.checked_add(frac)).ok_or_else(too_large)
}

/// `12.5 POD` (trailing zeros dropped).
pub fn show(planck: u128) -> String {
	let (whole, frac) = (planck / PLANCK_PER_POD, planck % PLANCK_PER_POD);
	if frac == 0 {
		return format!("{whole} POD");
	}
	let frac = format!("{frac:0>DECIMALS$}");
	format!("{whole}.{} POD", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn tokens_and_planck_parse_and_show() {
		assert_eq!(parse("2.5POD").unwrap(), 2_500_000_000_000);
		assert_eq!(parse(" 3 POD ").unwrap(), 3 * PLANCK_PER_POD);
		assert_eq!(parse(".000000000001POD").unwrap(), 1);
		assert_eq!(parse("42").unwrap(), 42);
		assert_eq!(show(2_500_000_000_000), "2.5 POD");
		assert_eq!(show(3 * PLANCK_PER_POD), "3 POD");
		assert_eq!(show(1), "0.000000000001 POD");
		for n in [0, 1, 999, PLANCK_PER_POD, 123_456_789_012_345] {
			assert_eq!(parse(&show(n)).unwrap(), n);
		}
	}

	#[test]
	fn what_is_not_an_amount_is_refused() {
		for bad in ["", "POD", "1.5", "-1", "1e3POD", "1.0000000000001POD", "x POD", "1..2POD"] {
			assert!(parse(bad).is_err(), "{bad}");
		}
		assert!(parse(&format!("{}POD", u128::MAX)).is_err());
	}
}
