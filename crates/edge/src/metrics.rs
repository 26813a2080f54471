//! Prometheus metrics of an edge (`/metrics`, text exposition format).

use pod_http::metrics::ReasonLabel;
use prometheus_client::encoding::{text::encode, EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// Where a fill came from.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum FillSource {
	/// The customer's origin.
	Origin,
	/// Another edge.
	Peer,
}

/// A `source` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
	/// Where a fill came from.
	pub source: FillSource,
}

/// All edge metrics.
pub struct Metrics {
	registry: Registry,
	/// Body bytes served.
	pub served_bytes: Counter<u64, AtomicU64>,
	/// Data-plane requests.
	pub requests: Counter,
	/// Cache hits.
	pub hits: Counter,
	/// Cache misses.
	pub misses: Counter,
	/// Chunks evicted (running total, set from the store).
	pub evictions: Gauge,
	/// Bytes in the cache.
	pub cache_bytes: Gauge,
	/// Fills by source.
	pub fills: Family<SourceLabel, Counter>,
	/// Filled bytes by source.
	pub fill_bytes: Family<SourceLabel, Counter>,
	/// Fills dropped for failing their hash, by source.
	pub faulty_sources: Family<SourceLabel, Counter>,
	/// Receipts stored.
	pub receipts: Counter,
	/// Refusals by code.
	pub rejected: Family<ReasonLabel, Counter>,
	/// Misses that shared another request's fill.
	pub collapsed_fills: Counter,
}

impl std::fmt::Debug for Metrics {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("Metrics")
	}
}

impl Default for Metrics {
	fn default() -> Self {
		let mut registry = Registry::with_prefix("pod_edge");
		let m = Metrics {
			served_bytes: Counter::default(),
			requests: Counter::default(),
			hits: Counter::default(),
			misses: Counter::default(),
			evictions: Gauge::default(),
			cache_bytes: Gauge::default(),
			fills: Family::default(),
			fill_bytes: Family::default(),
			faulty_sources: Family::default(),
			receipts: Counter::default(),
			rejected: Family::default(),
			collapsed_fills: Counter::default(),
			registry: Registry::default(),
		};
		registry.register("served_bytes", "Body bytes served to clients", m.served_bytes.clone());
		registry.register("requests", "Data-plane requests", m.requests.clone());
		registry.register("cache_hits", "Chunk reads served from the cache", m.hits.clone());
		registry.register("cache_misses", "Chunk reads that needed a fill", m.misses.clone());
		registry.register("cache_evictions", "Chunks evicted from the cache", m.evictions.clone());
		registry.register("cache_bytes", "Bytes held in the cache", m.cache_bytes.clone());
		registry.register("fills", "Chunks filled, by source", m.fills.clone());
		registry.register("fill_bytes", "Bytes filled, by source", m.fill_bytes.clone());
		registry.register(
			"faulty_sources",
			"Fills dropped because the bytes failed their hash, by source",
			m.faulty_sources.clone(),
		);
		registry.register("receipts", "Client receipts accepted and stored", m.receipts.clone());
		registry.register("rejected", "Requests refused, by reason", m.rejected.clone());
		registry.register(
			"collapsed_fills",
			"Misses that waited on another request's fill instead of fetching",
			m.collapsed_fills.clone(),
		);
		Metrics { registry, ..m }
	}
}

impl Metrics {
	/// Counts a refusal.
	pub fn reject(&self, reason: &str) {
		self.rejected.get_or_create(&ReasonLabel::new(reason)).inc();
	}

	/// The text exposition.
	pub fn render(&self) -> String {
		let mut out = String::new();
		encode(&mut out, &self.registry).expect("writing to a String cannot fail");
		out
	}
}
