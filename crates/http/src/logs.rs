//! Log lines: human-readable with colours on a terminal; one JSON object
//! per line otherwise (journald, files, log shippers), so no ANSI codes
//! reach them and every field stays a field. `POD_LOG_FORMAT=text|json`
//! overrides the choice.
//!
//! The JSON lines are written here rather than with tracing-subscriber's
//! `json` feature: turning that feature on would change the feature set of
//! the tracing-subscriber the node's polkadot-sdk stack shares, and rebuild
//! that stack, for a few dozen lines.

use std::io::IsTerminal;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::fmt::{format::Writer, FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
	/// tracing-subscriber's text, coloured.
	Text,
	/// One JSON object per line.
	Json,
}

impl LogFormat {
	/// `POD_LOG_FORMAT` if set (`text` or `json`), else text on a terminal
	/// and JSON otherwise.
	pub fn chosen() -> LogFormat {
		match std::env::var("POD_LOG_FORMAT").as_deref() {
			Ok("json") => LogFormat::Json,
			Ok("text") => LogFormat::Text,
			_ if std::io::stderr().is_terminal() => LogFormat::Text,
			_ => LogFormat::Json,
		}
	}
}

/// Writes each event as `{"time","level","target","message",…fields}`.
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
	S: Subscriber + for<'a> LookupSpan<'a>,
	N: for<'a> FormatFields<'a> + 'static,
{
	fn format_event(
		&self,
		_: &FmtContext<'_, S, N>,
		mut writer: Writer<'_>,
		event: &Event<'_>,
	) -> std::fmt::Result {
		let meta = event.metadata();
		let mut fields = Fields(serde_json::Map::new());
		fields.0.insert("time".into(), now_rfc3339().into());
		fields.0.insert("level".into(), meta.level().as_str().into());
		fields.0.insert("target".into(), meta.target().into());
		event.record(&mut fields);
		let line = serde_json::Value::Object(fields.0).to_string();
		writeln!(writer, "{line}")
	}
}

struct Fields(serde_json::Map<String, serde_json::Value>);

impl Visit for Fields {
	fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
		self.0.insert(field.name().into(), format!("{value:?}").into());
	}

	fn record_str(&mut self, field: &Field, value: &str) {
		self.0.insert(field.name().into(), value.into());
	}

	fn record_i64(&mut self, field: &Field, value: i64) {
		self.0.insert(field.name().into(), value.into());
	}

	fn record_u64(&mut self, field: &Field, value: u64) {
		self.0.insert(field.name().into(), value.into());
	}

	fn record_bool(&mut self, field: &Field, value: bool) {
		self.0.insert(field.name().into(), value.into());
	}
}

/// UTC now in RFC 3339, as tracing-subscriber writes it.
fn now_rfc3339() -> String {
	let mut s = String::with_capacity(32);
	let _ = tracing_subscriber::fmt::time::SystemTime.format_time(&mut Writer::new(&mut s));
	s
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn events_are_one_json_object_per_line_with_their_fields() {
		use tracing_subscriber::fmt::MakeWriter;
		#[derive(Clone, Default)]
		struct Buf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
		impl std::io::Write for Buf {
			fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
				self.0.lock().unwrap().extend_from_slice(b);
				Ok(b.len())
			}
			fn flush(&mut self) -> std::io::Result<()> {
				Ok(())
			}
		}
		impl<'a> MakeWriter<'a> for Buf {
			type Writer = Buf;
			fn make_writer(&'a self) -> Buf {
				self.clone()
			}
		}
		let buf = Buf::default();
		let sub =
			tracing_subscriber::fmt().event_format(JsonLines).with_writer(buf.clone()).finish();
		tracing::subscriber::with_default(sub, || {
			tracing::warn!(window = 7, edge = %"ab\"c", ok = true, "settlement \"step\" failed");
		});
		let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
		assert_eq!(text.lines().count(), 1, "{text}");
		let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
		assert_eq!(v["level"], "WARN");
		assert_eq!(v["message"], "settlement \"step\" failed");
		assert_eq!(
			(v["window"].as_u64(), v["edge"].as_str(), v["ok"].as_bool()),
			(Some(7), Some("ab\"c"), Some(true))
		);
		let time = v["time"].as_str().unwrap();
		assert!(time.starts_with("20") && time.ends_with('Z') && time.contains('T'), "{time}");
		assert!(!text.contains('\u{1b}'), "no ANSI codes");
	}
}
