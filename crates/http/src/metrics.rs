//! What the services' metrics share: the exposition in the format the
//! scraper asks for, the `reason` and `route` labels, request latency
//! histograms and `build_info`.
//!
//! The metrics are kept with `prometheus_client`, which writes OpenMetrics.
//! A scraper that accepts OpenMetrics (Prometheus does) gets that, with its
//! content type; anything else (`curl`, `promtool check metrics`, older
//! scrapers) gets the Prometheus text format 0.0.4, in which a counter's
//! family is named with its `_total` and there is no `# UNIT` or `# EOF`.
//! Either way the content type says what the body is.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// The content type of OpenMetrics text.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `/metrics` answer to `req`, from the OpenMetrics text `openmetrics`:
/// OpenMetrics if the scraper accepts it, else Prometheus text 0.0.4.
pub fn exposition<B>(req: &hyper::Request<B>, openmetrics: String) -> crate::Resp {
	let accept = req.headers().get(hyper::header::ACCEPT).and_then(|v| v.to_str().ok());
	let (ctype, body) = if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
		(OPENMETRICS, openmetrics)
	} else {
		(PROMETHEUS_TEXT, prometheus_text(&openmetrics))
	};
	crate::text(hyper::StatusCode::OK, ctype, body)
}

/// OpenMetrics text as Prometheus text 0.0.4: counter families renamed to
/// their samples' `_total` name, `_created` samples, `# UNIT` and `# EOF`
/// dropped; everything else is the same in both formats.
pub fn prometheus_text(openmetrics: &str) -> String {
	let counters: std::collections::HashSet<&str> = openmetrics
		.lines()
		.filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
		.collect();
	let mut out = String::with_capacity(openmetrics.len());
	for line in openmetrics.lines() {
		if line.starts_with("# UNIT ") || line == "# EOF" {
			continue;
		}
		let meta = ["# HELP ", "# TYPE "].into_iter().find(|p| line.starts_with(p));
		let renamed = meta.and_then(|p| {
			let (name, rest) = line[p.len()..].split_once(' ')?;
			counters.contains(name).then(|| format!("{p}{name}_total {rest}"))
		});
		match renamed {
			Some(l) => out.push_str(&l),
			None if is_created_sample(line, &counters) => continue,
			None => out.push_str(line),
		}
		out.push('\n');
	}
	out
}

fn is_created_sample(line: &str, counters: &std::collections::HashSet<&str>) -> bool {
	let name = line.split(['{', ' ']).next().unwrap_or("");
	name.strip_suffix("_created").is_some_and(|family| counters.contains(family))
}

/// A `reason` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
	/// The reason: a refusal code, a reduction reason, an audit result.
	pub reason: String,
}

impl ReasonLabel {
	/// The label for `reason`.
	pub fn new(reason: impl Into<String>) -> Self {
		ReasonLabel { reason: reason.into() }
	}
}

/// A `route` label: which of a service's routes a request took.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
	/// The route's name (`chunk`, `schedule`, …; `other` for no route).
	pub route: Route,
}

/// A route's name, from a fixed set per service (never a request's path:
/// a label per path would let anyone grow the metrics without bound).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Route(pub &'static str);

impl EncodeLabelValue for Route {
	fn encode(
		&self,
		encoder: &mut prometheus_client::encoding::LabelValueEncoder,
	) -> Result<(), std::fmt::Error> {
		EncodeLabelValue::encode(&self.0, encoder)
	}
}

/// Request latency per route: seconds from a request's arrival to its
/// response's head (a streamed body's transfer is not in it), 0.25 ms to
/// about 8 s.
pub type Latency = Family<RouteLabel, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
	Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// Registers `<prefix>_request_duration_seconds` in `registry`.
pub fn register_latency(registry: &mut Registry) -> Latency {
	let latency: Latency = Family::new_with_constructor(latency_histogram);
	registry.register_with_unit(
		"request_duration",
		"Time from a request's arrival to its response's head, by route",
		Unit::Seconds,
		latency.clone(),
	);
	latency
}

/// A `version` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
	version: &'static str,
}

/// Registers `<prefix>_build_info{version}` = 1 (the crate's version), a
/// gauge as Prometheus' own `build_info`s are: OpenMetrics' `info` type is
/// not one `promtool` (nor every scraper) reads.
pub fn register_build_info(registry: &mut Registry, version: &'static str) {
	let info = Family::<VersionLabel, Gauge>::default();
	info.get_or_create(&VersionLabel { version }).set(1);
	registry.register("build_info", "The version of this build", info);
}

/// Observes one request's latency on `route`.
pub fn observe(latency: &Latency, route: &'static str, started: std::time::Instant) {
	latency
		.get_or_create(&RouteLabel { route: Route(route) })
		.observe(started.elapsed().as_secs_f64());
}

#[cfg(test)]
mod tests {
	use super::*;

	const OM: &str =
		"# HELP x_served Bytes served.\n# TYPE x_served counter\n# UNIT x_served bytes\n\
x_served_total 5\nx_served_created 1.7e9\n# HELP x_cache Bytes held.\n# TYPE x_cache gauge\n\
x_cache 3\n# HELP x_lat Latency.\n# TYPE x_lat histogram\nx_lat_bucket{le=\"+Inf\"} 1\n\
x_lat_sum 0.1\nx_lat_count 1\n# EOF\n";

	#[test]
	fn counters_are_named_with_their_total_and_openmetrics_only_lines_go() {
		let text = prometheus_text(OM);
		assert_eq!(
			text,
			"# HELP x_served_total Bytes served.\n# TYPE x_served_total counter\nx_served_total 5\n\
# HELP x_cache Bytes held.\n# TYPE x_cache gauge\nx_cache 3\n# HELP x_lat Latency.\n\
# TYPE x_lat histogram\nx_lat_bucket{le=\"+Inf\"} 1\nx_lat_sum 0.1\nx_lat_count 1\n"
		);
	}

	#[test]
	fn the_scraper_gets_the_format_it_accepts() {
		let ask = |accept: Option<&str>| {
			let mut b = hyper::Request::builder();
			if let Some(a) = accept {
				b = b.header(hyper::header::ACCEPT, a);
			}
			exposition(&b.body(()).unwrap(), OM.to_string()).headers()["content-type"].clone()
		};
		let prometheus =
			"application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
		assert_eq!(ask(Some(prometheus)), OPENMETRICS);
		assert_eq!(ask(None), PROMETHEUS_TEXT);
		assert_eq!(ask(Some("*/*")), PROMETHEUS_TEXT);
	}
}
