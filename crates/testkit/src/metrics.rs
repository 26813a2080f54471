//! Checking a service's `/metrics` as Prometheus would: Debian's `promtool
//! check metrics` (the `prometheus` package, which the test command
//! installs) over the exposition, after the content type is checked.

use std::io::Write;
use std::process::{Command, Stdio};

/// What `promtool check metrics` said of `text`: `Ok` if it found no
/// problem, else its complaints.
pub fn promtool_check(text: &str) -> Result<(), String> {
	let mut child = Command::new("promtool")
		.args(["check", "metrics"])
		.stdin(Stdio::piped())
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.map_err(|e| format!("promtool (Debian's prometheus package) cannot run: {e}"))?;
	child
		.stdin
		.take()
		.expect("a piped stdin")
		.write_all(text.as_bytes())
		.map_err(|e| format!("writing to promtool: {e}"))?;
	let out = child.wait_with_output().map_err(|e| format!("promtool: {e}"))?;
	let said =
		format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
	if out.status.success() {
		Ok(())
	} else {
		Err(said)
	}
}

/// The value of the sample `name` (with its labels, as written) in `text`.
pub fn sample(text: &str, name: &str) -> Option<f64> {
	text.lines()
		.find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.split(' ').next()?.parse().ok())
}
