//! What an operator's Prometheus reads (issue #14): the edge's and the
//! reporter's `/metrics` are OpenMetrics for a scraper that accepts it and
//! Prometheus text otherwise, each with its own content type; the latter
//! passes `promtool check metrics` (Debian's prometheus package); counters
//! are counters, bytes `_bytes`, latency a histogram per route, and there
//! is a `build_info`; both services answer `/healthz`.

use hyper::Method;
use pod_testkit::inproc::start;
use pod_testkit::metrics::{promtool_check, sample};
use pod_testkit::*;

/// `/metrics` as Prometheus scrapes it (OpenMetrics, which it accepts) and
/// as `promtool` reads it (Prometheus text, for a client that does not say):
/// both with the content type of their body, the second passing `promtool
/// check metrics`. The OpenMetrics text is returned.
async fn scrape(admin: &str) -> String {
	let url = format!("{admin}/metrics");
	let om = http(Method::GET, &url, &[("accept", PROMETHEUS_ACCEPT.into())], vec![]).await;
	assert_eq!(om.headers["content-type"], pod_http::metrics::OPENMETRICS);
	let om = String::from_utf8(om.body.to_vec()).unwrap();
	assert!(om.ends_with("# EOF\n"), "OpenMetrics ends with # EOF: {om}");
	let plain = http(Method::GET, &url, &[], vec![]).await;
	assert_eq!(plain.headers["content-type"], pod_http::metrics::PROMETHEUS_TEXT);
	let plain = String::from_utf8(plain.body.to_vec()).unwrap();
	if let Err(said) = promtool_check(&plain) {
		panic!("promtool check metrics: {said}\n{plain}");
	}
	om
}

/// What Prometheus 2 sends.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

async fn healthy(base: &str) {
	let r = http(Method::GET, &format!("{base}/healthz"), &[], vec![]).await;
	assert_eq!((r.status.as_u16(), &r.body[..]), (200, &b"ok\n"[..]), "{base}/healthz");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edges_metrics_pass_promtool() {
	let held = HeldContent::start(2 * CHUNK as usize + 10).await;
	let (m, e, t) = (&held.m, &held.edge, &held.ticket);
	assert_eq!(get_chunk(e, m, 0, Some(t), None, None).await.status, 200);
	assert_eq!(get_chunk(e, m, 1, None, None, None).await.status, 401);
	healthy(&e.url()).await;
	healthy(&e.admin_url()).await;
	let text = scrape(&e.admin_url()).await;
	assert_eq!(sample(&text, "pod_edge_served_bytes_total"), Some(CHUNK as f64));
	assert!(text.contains("# TYPE pod_edge_cache_evictions counter"), "{text}");
	assert!(text.contains("# UNIT pod_edge_cache_bytes bytes"), "{text}");
	assert_eq!(
		sample(&text, "pod_edge_request_duration_seconds_count{route=\"chunk\"}"),
		Some(2.0)
	);
	assert!(text.contains("# TYPE pod_edge_settlement_lag_seconds histogram"), "{text}");
	let build = format!("pod_edge_build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"));
	assert_eq!(sample(&text, &build), Some(1.0), "{text}");
	every_dashboard_metric_is_exported(&text);
}

/// Every metric the edges' Grafana dashboard (`deploy/grafana/pod-edge.json`)
/// queries is one the edge exports: a renamed metric cannot leave a panel
/// silently empty.
fn every_dashboard_metric_is_exported(scraped: &str) {
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/grafana/pod-edge.json");
	let dashboard: serde_json::Value =
		serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
	let exprs: Vec<String> = dashboard["panels"]
		.as_array()
		.unwrap()
		.iter()
		.flat_map(|p| p["targets"].as_array().unwrap().iter())
		.map(|t| t["expr"].as_str().unwrap().to_string())
		.collect();
	assert!(exprs.len() >= 12, "{exprs:?}");
	// Families are declared (`# TYPE`) even before their first sample.
	let families: Vec<&str> =
		scraped.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next()).collect();
	let exported = |name: &str| {
		let suffixes = ["", "_total", "_bucket", "_sum", "_count"];
		families.iter().any(|f| name.strip_prefix(f).is_some_and(|rest| suffixes.contains(&rest)))
	};
	for expr in &exprs {
		for name in expr
			.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
			.filter(|w| w.starts_with("pod_edge_"))
		{
			assert!(exported(name), "the dashboard queries {name}, which the edge does not export");
		}
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reporters_metrics_pass_promtool() {
	let tmp = tempfile::tempdir().unwrap();
	let r = start(tmp.path(), 3).await;
	let status = http(Method::GET, &format!("{}/status", r.url), &[], vec![]).await;
	assert_eq!(status.status, 200);
	let refused = http(Method::POST, &format!("{}/schedule", r.url), &[], b"{".to_vec()).await;
	assert_eq!(refused.status, 400);
	healthy(&r.url).await;
	healthy(&r.admin).await;
	let text = scrape(&r.admin).await;
	let route =
		|name: &str| format!("pod_reporter_request_duration_seconds_count{{route=\"{name}\"}}");
	assert_eq!(sample(&text, &route("status")), Some(1.0), "{text}");
	assert_eq!(sample(&text, &route("schedule")), Some(1.0), "{text}");
	assert!(text.contains("# UNIT pod_reporter_confirmed_bytes bytes"), "{text}");
	let build = format!("pod_reporter_build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"));
	assert_eq!(sample(&text, &build), Some(1.0), "{text}");
}
