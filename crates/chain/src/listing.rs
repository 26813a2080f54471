//! Listings of chain data for the tools: tables for people, CSV and JSON
//! for scripts.

use serde::Serialize;

/// How a listing is printed (`table`, `csv`, `json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
	/// Aligned columns.
	Table,
	/// RFC 4180 CSV with a header row.
	Csv,
	/// One JSON array (raw numbers, planck).
	Json,
}

impl std::str::FromStr for Format {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, String> {
		match s {
			"table" => Ok(Format::Table),
			"csv" => Ok(Format::Csv),
			"json" => Ok(Format::Json),
			_ => Err(format!("{s:?}: table, csv or json")),
		}
	}
}

/// A listing: column names, and for each row its cells for the table and
/// the CSV, and its value for JSON.
pub struct Listing<'a, T> {
	/// Column names.
	pub headers: &'a [&'a str],
	/// The rows.
	pub rows: &'a [T],
	/// A row's cells, in the headers' order.
	pub cells: &'a dyn Fn(&T, Format) -> Vec<String>,
}

impl<T: Serialize> Listing<'_, T> {
	/// The listing as text in `format`.
	pub fn render(&self, format: Format) -> String {
		match format {
			Format::Json => serde_json::to_string_pretty(self.rows).expect("rows serialize") + "\n",
			Format::Csv => self.lines(format, |cells| {
				cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",")
			}),
			Format::Table => self.table(),
		}
	}

	fn lines(&self, format: Format, line: impl Fn(&[String]) -> String) -> String {
		let header: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
		let mut out = line(&header) + "\n";
		for r in self.rows {
			out += &(line(&(self.cells)(r, format)) + "\n");
		}
		out
	}

	fn table(&self) -> String {
		let rows: Vec<Vec<String>> =
			self.rows.iter().map(|r| (self.cells)(r, Format::Table)).collect();
		let mut width: Vec<usize> = self.headers.iter().map(|h| h.len()).collect();
		for r in &rows {
			for (w, c) in width.iter_mut().zip(r) {
				*w = (*w).max(c.chars().count());
			}
		}
		let line = |cells: &[String]| {
			let padded: Vec<String> =
				cells.iter().zip(&width).map(|(c, w)| format!("{c:>w$}")).collect();
			padded.join("  ").trim_end().to_string()
		};
		let header: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
		let mut out = line(&header) + "\n";
		for r in &rows {
			out += &(line(r) + "\n");
		}
		out
	}
}

/// A CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(c: &str) -> String {
	if c.contains([',', '"', '\n', '\r']) {
		format!("\"{}\"", c.replace('"', "\"\""))
	} else {
		c.to_string()
	}
}

/// `1,234,567`.
pub fn grouped(n: impl Into<u128>) -> String {
	let digits = n.into().to_string();
	let mut out = String::new();
	for (i, ch) in digits.chars().enumerate() {
		if i > 0 && (digits.len() - i) % 3 == 0 {
			out.push(',');
		}
		out.push(ch);
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[derive(Serialize)]
	struct Row {
		name: String,
		n: u64,
	}

	fn listing(rows: &[Row]) -> Listing<'_, Row> {
		Listing {
			headers: &["name", "n"],
			rows,
			cells: &|r, _| vec![r.name.clone(), r.n.to_string()],
		}
	}

	#[test]
	fn a_listing_renders_as_a_table_csv_and_json() {
		let rows = [Row { name: "a,\"b\"".into(), n: 7 }, Row { name: "c".into(), n: 1234 }];
		let l = listing(&rows);
		assert_eq!(l.render(Format::Csv), "name,n\n\"a,\"\"b\"\"\",7\nc,1234\n");
		assert_eq!(l.render(Format::Table), " name     n\na,\"b\"     7\n    c  1234\n");
		let json: serde_json::Value = serde_json::from_str(&l.render(Format::Json)).unwrap();
		assert_eq!(json[1]["n"], 1234);
		assert_eq!(grouped(1234567u64), "1,234,567");
		assert_eq!(grouped(12u64), "12");
	}
}
