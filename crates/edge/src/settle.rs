//! The edge's earnings loop: heartbeats to the reporter, and for every
//! window in the ledger, claim → confirmation → submission → finality.
//!
//! Each step is persisted in the ledger before the next begins, and each
//! step can be repeated safely after a restart:
//! - a claim is resent as stored; the reporter answers a window it already
//!   confirmed with the identical confirmation;
//! - before submitting, the edge asks the chain (finalized state) whether the
//!   window is already settled, so a restart between submission and finality
//!   never turns into a double submission the edge cannot explain;
//! - the pool refuses a second copy of `(edge, window)`; the edge then reads
//!   the chain again instead of guessing.

use crate::daemon::Edge;
use crate::ledger::{LedgerError, WindowState};
use crate::protocol::build_claim;
use codec::Encode;
use hyper::Method;
use pod_chain::{Chain, ChainError};
use pod_http::{CallError, HttpClient};
use pod_primitives::{keys, Attestation, Claim, DomainTag, WindowIndex};
use pod_wire::api::{ConfirmRequest, ConfirmResponse, Heartbeat, SignedHeartbeat};
use pod_wire::clock::now_ms;
use pod_wire::hex::DecodeError;
use pod_wire::{Fault, Side};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where the edge reports and gets paid.
#[derive(Debug, Clone)]
pub struct SettleConfig {
	/// Reporter base URL.
	pub reporter: String,
	/// URL other parties reach this edge's data plane at.
	pub public_url: String,
	/// Region advertised in heartbeats.
	pub region: String,
	/// Bytes per second advertised in heartbeats.
	pub capacity: u64,
	/// Time between heartbeats.
	pub heartbeat: Duration,
	/// Time between passes over the unsettled windows.
	pub interval: Duration,
	/// Wait after a window's last ticket expires, for final receipts.
	pub claim_grace: Duration,
	/// Windows older than this are not submitted (the chain's `MaxWindowAge`).
	pub max_window_age: WindowIndex,
}

/// Test hook (feature `fault-injection`): `POD_EDGE_FAULT=exit-after-confirm`
/// exits the process right after a confirmation is stored, before it is
/// submitted.
fn fault_point(point: &str) {
	if cfg!(feature = "fault-injection")
		&& std::env::var("POD_EDGE_FAULT").is_ok_and(|v| v == point)
	{
		tracing::warn!(point, "fault injection: exiting after the confirmation");
		std::process::exit(75);
	}
}

impl Edge {
	fn heartbeat_message(&self, cfg: &SettleConfig) -> SignedHeartbeat {
		let s = self.store.stats();
		let hb = Heartbeat {
			edge: self.public,
			url: cfg.public_url.clone().into_bytes(),
			region: cfg.region.clone().into_bytes(),
			capacity: cfg.capacity,
			load: self.sessions.len() as u32,
			free_disk: self.store.quota().saturating_sub(s.bytes),
			held: self.contents.read().expect("contents lock").keys().copied().collect(),
			at_ms: now_ms(),
		};
		SignedHeartbeat::sign(&self.key, &self.genesis, hb)
	}
}

/// Sends heartbeats until the edge is dropped.
pub fn spawn_heartbeats(edge: &Arc<Edge>, cfg: SettleConfig, http: HttpClient) {
	let me = Arc::downgrade(edge);
	tokio::spawn(async move {
		let mut failing = false;
		loop {
			let Some(edge) = me.upgrade() else { return };
			let hb = edge.heartbeat_message(&cfg);
			drop(edge);
			let url = format!("{}/heartbeat", cfg.reporter);
			let t = Duration::from_secs(5);
			match pod_http::call(&http, Method::POST, &url, &[], hb.encode(), t).await {
				Ok(r) if r.status.is_success() => {
					if failing {
						tracing::info!("reporter reachable again");
					}
					failing = false;
				}
				Ok(r) => tracing::warn!(status = %r.status, body = %r.text(), "heartbeat refused"),
				Err(e) => {
					if !failing {
						tracing::warn!(error = %e, "heartbeat failed; retrying");
					}
					failing = true;
				}
			}
			tokio::time::sleep(cfg.heartbeat).await;
		}
	});
}

/// Why a reporter's confirmation cannot be signed.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmationError {
	/// The reply is not a confirmation.
	#[error("the reporter's reply is not a confirmation: {0}")]
	NotJson(#[source] serde_json::Error),
	/// A field of it does not decode.
	#[error("the confirmation does not decode: {0}")]
	Decode(#[from] DecodeError),
	/// It confirms another edge's or another window's claim.
	#[error("the confirmation is for another edge or window")]
	OtherClaim,
	/// It credits more than the edge claimed.
	#[error("the confirmation credits {bytes} bytes of {content} above the claim")]
	AboveClaim {
		/// The content (hex).
		content: String,
		/// The bytes it credits.
		bytes: u64,
	},
	/// It is signed by a key this edge does not honour.
	#[error("{0} is not a reporter this edge honours")]
	UnknownReporter(String),
	/// Its signature does not verify.
	#[error("the reporter's signature does not verify")]
	BadSignature,
}

/// Why a window step did not advance.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
	/// The ledger failed.
	#[error("ledger: {0}")]
	Ledger(#[from] LedgerError),
	/// The chain failed.
	#[error("chain: {0}")]
	Chain(#[from] ChainError),
	/// The reporter could not be reached, or asked us to come back later.
	#[error("reporter: {0}")]
	Reporter(#[from] CallError),
	/// The reporter's confirmation is unusable.
	#[error("reporter: {0}")]
	Confirmation(#[from] ConfirmationError),
}

impl Fault for StepError {
	fn side(&self) -> Side {
		match self {
			StepError::Ledger(_) => Side::Internal,
			_ => Side::Upstream,
		}
	}

	fn retryable(&self) -> bool {
		match self {
			StepError::Ledger(_) => false,
			StepError::Chain(e) => e.retryable(),
			StepError::Reporter(e) => e.retryable(),
			// A reporter that sent a bad confirmation may send a good one later.
			StepError::Confirmation(_) => true,
		}
	}
}

/// Drives every unsettled window forward until the edge is dropped.
pub fn spawn_settlement(edge: &Arc<Edge>, chain: Chain, cfg: SettleConfig, http: HttpClient) {
	let me = Arc::downgrade(edge);
	tokio::spawn(async move {
		let mut backoff = Backoff::default();
		loop {
			tokio::time::sleep(cfg.interval).await;
			let Some(edge) = me.upgrade() else { return };
			let settler = Settler { edge: &edge, chain: &chain, cfg: &cfg, http: &http };
			settler.pass(&mut backoff).await;
		}
	});
}

/// Back-off per window after a failed step, so one stuck window does not
/// flood the reporter or the node.
#[derive(Debug, Default)]
struct Backoff(HashMap<WindowIndex, (Instant, Duration)>);

impl Backoff {
	fn waiting(&self, w: WindowIndex) -> bool {
		self.0.get(&w).is_some_and(|(t, _)| Instant::now() < *t)
	}

	fn failed(&mut self, w: WindowIndex) -> Duration {
		let back = self
			.0
			.get(&w)
			.map_or(Duration::from_secs(2), |(_, d)| (*d * 2).min(Duration::from_secs(60)));
		self.0.insert(w, (Instant::now() + back, back));
		back
	}

	fn succeeded(&mut self, w: WindowIndex) {
		self.0.remove(&w);
	}
}

/// One pass of the settlement loop.
struct Settler<'a> {
	edge: &'a Arc<Edge>,
	chain: &'a Chain,
	cfg: &'a SettleConfig,
	http: &'a HttpClient,
}

impl Settler<'_> {
	async fn pass(&self, backoff: &mut Backoff) {
		let current = match self.chain.current_window().await {
			Ok(w) => w,
			Err(e) => return tracing::warn!(error = %e, "cannot read the chain's window; retrying"),
		};
		let windows = match self.edge.ledger.unsettled_windows() {
			Ok(w) => w,
			Err(e) => return tracing::error!(error = %e, "cannot read the ledger"),
		};
		for (w, state) in windows {
			if backoff.waiting(w) {
				continue;
			}
			match self.step(current, w, state).await {
				Ok(()) => backoff.succeeded(w),
				Err(e) => {
					let retry_in = backoff.failed(w);
					tracing::warn!(window = w, error = %e, ?retry_in, "settlement step failed");
				}
			}
		}
	}

	async fn step(
		&self,
		current: WindowIndex,
		w: WindowIndex,
		state: WindowState,
	) -> Result<(), StepError> {
		match state {
			WindowState::Open => self.claim(current, w),
			WindowState::Claimed(claim) => self.confirm(w, claim).await,
			WindowState::Confirmed(att) | WindowState::Submitted { attestation: att, .. } => {
				self.submit(current, w, att).await
			}
			WindowState::Finalized { .. } | WindowState::Unpaid { .. } => Ok(()),
		}
	}

	fn unpaid(&self, w: WindowIndex, reason: String) -> Result<(), StepError> {
		Ok(self.edge.ledger.set_window_state(w, &WindowState::Unpaid { reason })?)
	}

	/// Open → Claimed, once the chain has left the window and its last
	/// ticket has expired (plus a grace for final receipts).
	fn claim(&self, current: WindowIndex, w: WindowIndex) -> Result<(), StepError> {
		let ledger = &self.edge.ledger;
		let expiry = ledger.window_expiry(w)?.unwrap_or(0);
		if current <= w || now_ms() < expiry + self.cfg.claim_grace.as_millis() as u64 {
			return Ok(());
		}
		let receipts = ledger.window_receipts(w)?;
		if receipts.is_empty() {
			return self.unpaid(w, "no receipts in this window".into());
		}
		let claim = match build_claim(self.edge.public, w, &receipts) {
			Ok(claim) => claim,
			Err(e) => return self.unpaid(w, e.to_string()),
		};
		let bytes: u64 = claim.entries.iter().map(|e| e.bytes).sum();
		tracing::info!(window = w, bytes, receipts = claim.receipt_count, "window claimed");
		Ok(ledger.set_window_state(w, &WindowState::Claimed(claim))?)
	}

	/// Claimed → Confirmed: the reporter's co-signed payload, checked and
	/// signed by the edge too.
	async fn confirm(&self, w: WindowIndex, claim: Claim) -> Result<(), StepError> {
		let edge = self.edge;
		let receipts: Vec<_> =
			edge.ledger.window_receipts(w)?.into_iter().map(|(_, r)| r).collect();
		let signature = keys::sign(&edge.key, DomainTag::Claim, &edge.genesis, &claim);
		let req = ConfirmRequest { claim: claim.clone(), signature, receipts };
		let url = format!("{}/confirm", self.cfg.reporter);
		let t = Duration::from_secs(30);
		let reply = pod_http::call(self.http, Method::POST, &url, &[], req.encode(), t).await?;
		let body = match reply.success() {
			Ok(body) => body,
			Err(e) if e.retryable() => return Err(e.into()),
			Err(e) => {
				// A definitive refusal (e.g. nothing confirmed): keep the receipts and say why.
				tracing::warn!(window = w, error = %e, "reporter refused the claim");
				return self.unpaid(w, format!("reporter: {e}"));
			}
		};
		let resp: ConfirmResponse =
			serde_json::from_slice(&body).map_err(ConfirmationError::NotJson)?;
		let att = check_confirmation(edge, &claim, &resp)?;
		for r in &resp.reductions {
			tracing::info!(window = w, reason = %r.reason, claimed = r.claimed, confirmed = r.confirmed, detail = %r.detail, "reporter reduced the claim");
		}
		let (claimed, confirmed) = (resp.claimed_bytes, resp.confirmed_bytes);
		tracing::info!(window = w, claimed, confirmed, "window confirmed by the reporter");
		edge.ledger.set_window_state(w, &WindowState::Confirmed(att))?;
		fault_point("exit-after-confirm");
		Ok(())
	}

	/// Confirmed/Submitted → Finalized, unless the chain already settled the
	/// window or it aged out.
	async fn submit(
		&self,
		current: WindowIndex,
		w: WindowIndex,
		att: Attestation,
	) -> Result<(), StepError> {
		let reporter = att.reporter;
		if let Some(rec) = self.chain.settlement(&self.edge.public, w, &reporter).await? {
			let (credits, bytes) = (rec.credits, rec.bytes);
			tracing::info!(window = w, credits, bytes, "window already settled on chain");
			return self.finalized(w, [0; 32]);
		}
		if current > w + self.cfg.max_window_age {
			return self
				.unpaid(w, format!("window aged out (chain is at {current}) before it settled"));
		}
		let ledger = &self.edge.ledger;
		let a = att.clone();
		let res = self
			.chain
			.submit_attestation(&att, |block| {
				let s = WindowState::Submitted { attestation: a.clone(), block };
				if let Err(e) = ledger.set_window_state(w, &s) {
					tracing::error!(window = w, error = %e, "cannot record the submission");
				}
			})
			.await;
		match res {
			Ok(block) => {
				let rec = self.chain.settlement(&self.edge.public, w, &reporter).await?;
				tracing::info!(window = w, block = %hex::encode(block), credits = rec.as_ref().map(|r| r.credits), "attestation finalized");
				self.finalized(w, block)
			}
			// Whatever the error, the finalized chain decides.
			Err(e) => match self.chain.settlement(&self.edge.public, w, &reporter).await? {
				Some(_) => self.finalized(w, [0; 32]),
				None => Err(e.into()),
			},
		}
	}

	fn finalized(&self, w: WindowIndex, block: [u8; 32]) -> Result<(), StepError> {
		self.edge.ledger.set_window_state(w, &WindowState::Finalized { block })?;
		self.edge.ledger.prune_window(w)?;
		Ok(())
	}
}

/// Checks the reporter's confirmation against the edge's own claim and signs
/// it: same edge and window, no entry above the claim, a valid signature from
/// a reporter this edge honours.
fn check_confirmation(
	edge: &Edge,
	claim: &Claim,
	resp: &ConfirmResponse,
) -> Result<Attestation, ConfirmationError> {
	let c = resp.decode()?;
	let payload = c.payload;
	if payload.edge != edge.public || payload.window != claim.window {
		return Err(ConfirmationError::OtherClaim);
	}
	for e in payload.entries.iter() {
		let claimed = claim.entries.iter().find(|c| c.content == e.content).map(|c| c.bytes);
		if claimed.is_none_or(|c| e.bytes > c) {
			let content = hex::encode(e.content);
			return Err(ConfirmationError::AboveClaim { content, bytes: e.bytes });
		}
	}
	if !edge.is_reporter(&c.reporter) {
		return Err(ConfirmationError::UnknownReporter(hex::encode(c.reporter)));
	}
	if !keys::verify(&c.reporter, &c.signature, DomainTag::Attestation, &edge.genesis, &payload) {
		return Err(ConfirmationError::BadSignature);
	}
	let edge_signature = keys::sign(&edge.key, DomainTag::Attestation, &edge.genesis, &payload);
	Ok(Attestation {
		payload,
		edge_signature,
		reporter: c.reporter,
		reporter_signature: c.signature,
	})
}

impl Edge {
	/// Starts heartbeats to the reporter and, with a chain configured, the
	/// settlement loop. `listen` is the bound data-plane address.
	pub fn start_settlement(
		self: &Arc<Self>,
		cfg: &crate::EdgeConfig,
		listen: std::net::SocketAddr,
	) -> Result<(), crate::EdgeError> {
		let Some(reporter) = cfg.reporter_url.clone() else {
			if cfg.chain.is_some() {
				let reason = "settling on chain needs reporter_url".into();
				return Err(crate::EdgeError::Config { field: "chain", reason });
			}
			return Ok(());
		};
		let scfg = SettleConfig {
			reporter: reporter.trim_end_matches('/').to_string(),
			public_url: cfg.public_url.clone().unwrap_or_else(|| format!("http://{listen}")),
			region: cfg.region.clone(),
			capacity: cfg.capacity,
			heartbeat: Duration::from_secs(cfg.heartbeat_secs.max(1)),
			interval: Duration::from_secs(2),
			claim_grace: Duration::from_millis(cfg.claim_grace_ms),
			max_window_age: cfg.max_window_age,
		};
		let http = pod_http::http_client();
		spawn_heartbeats(self, scfg.clone(), http.clone());
		if let Some(url) = cfg.chain.clone() {
			tokio::spawn(connect_and_settle(Arc::downgrade(self), url, scfg, http));
		}
		Ok(())
	}
}

/// Connects to the node (which may still be starting: it keeps trying),
/// checks it is the configured chain, then starts the settlement loop.
async fn connect_and_settle(
	edge: std::sync::Weak<Edge>,
	url: String,
	cfg: SettleConfig,
	http: HttpClient,
) {
	let chain = loop {
		match Chain::connect(&url).await {
			Ok(c) => break c,
			Err(e) => {
				tracing::warn!(error = %e, "chain not reachable yet; retrying");
				tokio::time::sleep(Duration::from_secs(3)).await;
			}
		}
	};
	let Some(edge) = edge.upgrade() else { return };
	if chain.genesis() != edge.genesis {
		tracing::error!(
			chain = %hex::encode(chain.genesis()),
			configured = %hex::encode(edge.genesis),
			"the node's genesis differs from the configured one: not settling"
		);
		return;
	}
	tracing::info!(node = %url, "settling windows on chain");
	spawn_settlement(&edge, chain, cfg, http);
}
