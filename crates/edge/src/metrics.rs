//! Prometheus metrics of an edge (`/metrics` on the admin listener,
//! OpenMetrics text: `promtool check metrics` passes on it).
//!
//! Bytes are `_bytes`, counters `_total`, durations `_seconds` histograms:
//! request latency per route and settlement lag (a window's last ticket
//! expiry to the finality of its attestation). Earnings: bytes and credits
//! settled since start, and the owner's credits on chain (refreshed by the
//! settlement loop).

use crate::ledger::WindowState;
use pod_http::metrics::{Latency, ReasonLabel};
use prometheus_client::encoding::{text::encode, EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge};
use prometheus_client::registry::{Registry, Unit};
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

/// A `state` label: where a window's settlement is.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
	/// [`WindowState::name`].
	pub state: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// All edge metrics.
pub struct Metrics {
	registry: Registry,
	/// Body bytes served (charged bytes; a slice's hashes are not in it).
	pub served_bytes: Counter<u64, AtomicU64>,
	/// Data-plane requests.
	pub requests: Counter,
	/// Data-plane latency per route.
	pub latency: Latency,
	/// Cache hits.
	pub hits: Counter,
	/// Cache misses.
	pub misses: Counter,
	/// Chunks evicted (advanced to the store's own count when rendered).
	pub evictions: Counter,
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
	/// Seconds from a window's last ticket expiry to its attestation's finality.
	pub settlement_lag: Histogram,
	/// Bytes in attestations finalized since start.
	pub settled_bytes: Counter<u64, AtomicU64>,
	/// Credits (planck) minted for them.
	pub earned_credits: Counter<f64, AtomicU64>,
	/// The owner's credits on chain (planck), vested and not.
	pub owner_credits: FloatGauge,
	/// The part of them still vesting.
	pub owner_unvested: FloatGauge,
	/// Windows this edge has not finished settling, by state.
	pub windows: Family<StateLabel, Gauge>,
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
			latency: pod_http::metrics::register_latency(&mut registry),
			hits: Counter::default(),
			misses: Counter::default(),
			evictions: Counter::default(),
			cache_bytes: Gauge::default(),
			fills: Family::default(),
			fill_bytes: Family::default(),
			faulty_sources: Family::default(),
			receipts: Counter::default(),
			rejected: Family::default(),
			collapsed_fills: Counter::default(),
			settlement_lag: Histogram::new(exponential_buckets(1.0, 2.0, 14)),
			settled_bytes: Counter::default(),
			earned_credits: Counter::default(),
			owner_credits: FloatGauge::default(),
			owner_unvested: FloatGauge::default(),
			windows: Family::default(),
			registry: Registry::default(),
		};
		m.register_data_plane(&mut registry);
		m.register_settlement(&mut registry);
		pod_http::metrics::register_build_info(&mut registry, env!("CARGO_PKG_VERSION"));
		Metrics { registry, ..m }
	}
}

impl Metrics {
	fn register_data_plane(&self, r: &mut Registry) {
		let bytes = Unit::Bytes;
		r.register_with_unit(
			"served",
			"Bytes served to clients",
			bytes.clone(),
			self.served_bytes.clone(),
		);
		r.register("requests", "Data-plane requests", self.requests.clone());
		r.register("cache_hits", "Chunk reads served from the cache", self.hits.clone());
		r.register("cache_misses", "Chunk reads that needed a fill", self.misses.clone());
		r.register("cache_evictions", "Chunks evicted from the cache", self.evictions.clone());
		r.register_with_unit(
			"cache",
			"Bytes held in the cache",
			bytes.clone(),
			self.cache_bytes.clone(),
		);
		r.register("fills", "Chunks filled, by source", self.fills.clone());
		r.register_with_unit("fill", "Bytes filled, by source", bytes, self.fill_bytes.clone());
		let faulty = "Fills dropped because the bytes failed their hash, by source";
		r.register("faulty_sources", faulty, self.faulty_sources.clone());
		r.register("receipts", "Client receipts accepted and stored", self.receipts.clone());
		r.register("rejected", "Requests refused, by reason", self.rejected.clone());
		let collapsed = "Misses that waited on another request's fill instead of fetching";
		r.register("collapsed_fills", collapsed, self.collapsed_fills.clone());
	}

	fn register_settlement(&self, r: &mut Registry) {
		let lag = "Seconds from a window's last ticket expiry to the finality of its attestation";
		r.register_with_unit("settlement_lag", lag, Unit::Seconds, self.settlement_lag.clone());
		let settled = "Bytes in attestations finalized since start";
		r.register_with_unit("settled", settled, Unit::Bytes, self.settled_bytes.clone());
		let planck = || Unit::Other("planck".into());
		let earned = "Credits minted to the owner for attestations finalized since start";
		r.register_with_unit("earned_credits", earned, planck(), self.earned_credits.clone());
		let owned = "The owner's credits on chain, vested and vesting";
		r.register_with_unit("owner_credits", owned, planck(), self.owner_credits.clone());
		let vesting = "The owner's credits still vesting";
		r.register_with_unit(
			"owner_unvested_credits",
			vesting,
			planck(),
			self.owner_unvested.clone(),
		);
		let windows = "Windows not yet settled or closed, by settlement state";
		r.register("windows", windows, self.windows.clone());
	}

	/// Counts a refusal.
	pub fn reject(&self, reason: &str) {
		self.rejected.get_or_create(&ReasonLabel::new(reason)).inc();
	}

	/// Counts a finalized settlement of `bytes` for `credits`, `lag_secs`
	/// after its window's last ticket expired.
	pub fn settled(&self, bytes: u64, credits: u128, lag_secs: Option<f64>) {
		self.settled_bytes.inc_by(bytes);
		self.earned_credits.inc_by(credits as f64);
		if let Some(lag) = lag_secs {
			self.settlement_lag.observe(lag.max(0.0));
		}
	}

	/// Sets the windows-by-state gauge from the ledger's unsettled windows.
	pub fn set_windows<'a>(&self, states: impl IntoIterator<Item = &'a WindowState>) {
		self.windows.clear();
		for s in states {
			self.windows.get_or_create(&StateLabel { state: s.name() }).inc();
		}
	}

	/// The OpenMetrics text.
	pub fn render(&self) -> String {
		let mut out = String::new();
		encode(&mut out, &self.registry).expect("writing to a String cannot fail");
		out
	}
}
