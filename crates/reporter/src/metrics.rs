//! Prometheus metrics of the reporter (`/metrics` on the admin listener,
//! OpenMetrics text: `promtool check metrics` passes on it): counters by
//! reason, confirmed `_bytes`, request latency per route (`_seconds`
//! histogram) and `build_info`.

use pod_http::metrics::{Latency, ReasonLabel};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::{counter::Counter, family::Family};
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

/// All reporter metrics.
pub struct ReporterMetrics {
	registry: Registry,
	/// Clients scheduled.
	pub schedules: Counter,
	/// Tickets issued.
	pub tickets: Counter,
	/// Heartbeats taken.
	pub heartbeats: Counter,
	/// Client receipts stored.
	pub reports: Counter,
	/// Windows confirmed.
	pub confirmations: Counter,
	/// Bytes confirmed.
	pub confirmed_bytes: Counter<u64, AtomicU64>,
	/// Reductions by reason.
	pub reductions: Family<ReasonLabel, Counter>,
	/// Receipts whose client reported less than it signed.
	pub disputes: Counter,
	/// Hold orders by result.
	pub orders: Family<ReasonLabel, Counter>,
	/// Hot contents ordered onto more edges.
	pub hot_orders: Counter,
	/// Audits by result.
	pub audits: Family<ReasonLabel, Counter>,
	/// Refused requests by code.
	pub rejected: Family<ReasonLabel, Counter>,
	/// Confirmation requests refused again from memory, unverified.
	pub repeated_refusals: Counter,
	/// API latency per route.
	pub latency: Latency,
}

impl std::fmt::Debug for ReporterMetrics {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("ReporterMetrics")
	}
}

impl Default for ReporterMetrics {
	fn default() -> Self {
		let mut registry = Registry::with_prefix("pod_reporter");
		let m = ReporterMetrics {
			registry: Registry::default(),
			schedules: Counter::default(),
			tickets: Counter::default(),
			heartbeats: Counter::default(),
			reports: Counter::default(),
			confirmations: Counter::default(),
			confirmed_bytes: Counter::default(),
			reductions: Family::default(),
			disputes: Counter::default(),
			orders: Family::default(),
			hot_orders: Counter::default(),
			audits: Family::default(),
			rejected: Family::default(),
			repeated_refusals: Counter::default(),
			latency: pod_http::metrics::register_latency(&mut registry),
		};
		registry.register("schedules", "Clients scheduled", m.schedules.clone());
		registry.register("tickets", "Tickets issued", m.tickets.clone());
		registry.register("heartbeats", "Edge heartbeats taken", m.heartbeats.clone());
		registry.register("client_receipts", "Client-reported receipts stored", m.reports.clone());
		registry.register(
			"confirmations",
			"Windows confirmed and co-signed",
			m.confirmations.clone(),
		);
		let confirmed = m.confirmed_bytes.clone();
		registry.register_with_unit("confirmed", "Bytes confirmed", Unit::Bytes, confirmed);
		registry.register("reductions", "Confirmation reductions, by reason", m.reductions.clone());
		registry.register(
			"client_disputes",
			"Signed receipts whose client reported less (paid in full, recorded against the edge)",
			m.disputes.clone(),
		);
		registry.register("orders", "Hold orders sent to edges, by result", m.orders.clone());
		registry.register(
			"hot_orders",
			"Hot contents ordered onto more edges",
			m.hot_orders.clone(),
		);
		registry.register("audits", "Audits of edges, by result", m.audits.clone());
		registry.register("rejected", "API requests refused, by reason", m.rejected.clone());
		registry.register(
			"repeated_refusals",
			"Confirmation requests refused again from memory, without verifying",
			m.repeated_refusals.clone(),
		);
		pod_http::metrics::register_build_info(&mut registry, env!("CARGO_PKG_VERSION"));
		ReporterMetrics { registry, ..m }
	}
}

impl ReporterMetrics {
	fn bump(f: &Family<ReasonLabel, Counter>, reason: &str) {
		f.get_or_create(&ReasonLabel::new(reason)).inc();
	}

	/// Counts a confirmation reduction.
	pub fn reduction(&self, reason: &str) {
		Self::bump(&self.reductions, reason);
	}

	/// Counts an order sent.
	pub fn order(&self, ok: bool) {
		Self::bump(&self.orders, if ok { "taken" } else { "failed" });
	}

	/// Counts an audit result (`passed`, `bad_bytes`, `unreachable`, …).
	pub fn audit(&self, result: &str) {
		Self::bump(&self.audits, result);
	}

	/// Counts a refused request.
	pub fn reject(&self, code: &str) {
		Self::bump(&self.rejected, code);
	}

	/// The OpenMetrics text.
	pub fn render(&self) -> String {
		let mut out = String::new();
		encode(&mut out, &self.registry).expect("writing to a String cannot fail");
		out
	}
}
