//! The edge's earnings loop: heartbeats to its reporters, and for every
//! slot in the ledger (a part of a window's tickets of one reporter), claim
//! → confirmation by that reporter → submission → finality. A window whose
//! receipts do not fit one claim is split into parts when it is claimed.
//!
//! Each step is persisted in the ledger before the next begins, and each
//! step can be repeated safely after a restart:
//! - a claim is resent as stored; the reporter answers a window it already
//!   confirmed with the identical confirmation;
//! - before submitting, the edge asks the chain (finalized state) whether the
//!   window is already settled, so a restart between submission and finality
//!   never turns into a double submission the edge cannot explain;
//! - the pool refuses a second copy of `(edge, window, reporter, part)`; the
//!   edge then reads the chain again instead of guessing.

use crate::daemon::Edge;
use crate::ledger::{LedgerError, Slot, WindowState};
use crate::protocol::{split_claims, PartLimits};
use codec::Encode;
use hyper::Method;
use pod_chain::{Chain, ChainError};
use pod_http::{CallError, HttpClient};
use pod_primitives::{
	keys, Attestation, Claim, DomainTag, PublicKey, SettlementRecord, TicketId, WindowIndex,
};
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
	/// Base URLs of the reporters (heartbeats and confirmations).
	pub reporters: Vec<String>,
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
	/// What one claim may carry; a window with more is claimed in parts.
	pub part_limits: PartLimits,
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
			let hb = edge.heartbeat_message(&cfg).encode();
			drop(edge);
			let mut ok = true;
			for reporter in &cfg.reporters {
				ok &= send_heartbeat(&http, reporter, hb.clone(), failing).await;
			}
			if ok && failing {
				tracing::info!("reporters reachable again");
			}
			failing = !ok;
			tokio::time::sleep(cfg.heartbeat).await;
		}
	});
}

/// Sends one heartbeat; whether the reporter took it.
async fn send_heartbeat(http: &HttpClient, reporter: &str, hb: Vec<u8>, quiet: bool) -> bool {
	let url = format!("{reporter}/heartbeat");
	match pod_http::call(http, Method::POST, &url, &[], hb, Duration::from_secs(5)).await {
		Ok(r) if r.status.is_success() => true,
		Ok(r) => {
			tracing::warn!(%reporter, status = %r.status, body = %r.text(), "heartbeat refused");
			false
		}
		Err(e) => {
			if !quiet {
				tracing::warn!(%reporter, error = %e, "heartbeat failed; retrying");
			}
			false
		}
	}
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
	/// It confirms another edge's, window's or part's claim.
	#[error("the confirmation is for another edge, window or part")]
	OtherClaim,
	/// It credits more than the edge claimed.
	#[error("the confirmation credits {bytes} bytes of {content} above the claim")]
	AboveClaim {
		/// The content (hex).
		content: String,
		/// The bytes it credits.
		bytes: u64,
	},
	/// It is signed by another reporter than the one whose tickets it covers.
	#[error("the confirmation is signed by {0}, not the reporter of the tickets")]
	OtherReporter(String),
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
	/// None of the configured reporter URLs has answered as this reporter yet.
	#[error("no reachable URL for reporter {0} yet")]
	NoReporterUrl(String),
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
			StepError::Confirmation(_) | StepError::NoReporterUrl(_) => true,
		}
	}
}

/// How often the owner's credits are read from the chain for the metrics.
const EARNINGS_EVERY: Duration = Duration::from_secs(30);

/// Drives every unsettled slot forward until the edge is dropped. `urls`
/// maps each reporter's key to its base URL.
pub fn spawn_settlement(
	edge: &Arc<Edge>,
	chain: Chain,
	cfg: SettleConfig,
	urls: ReporterUrls,
	http: HttpClient,
) {
	let me = Arc::downgrade(edge);
	tokio::spawn(async move {
		let mut backoff = Backoff::default();
		let mut earnings_read: Option<Instant> = None;
		loop {
			tokio::time::sleep(cfg.interval).await;
			let Some(edge) = me.upgrade() else { return };
			let settler =
				Settler { edge: &edge, chain: &chain, cfg: &cfg, urls: &urls, http: &http };
			settler.pass(&mut backoff).await;
			if earnings_read.is_none_or(|t| t.elapsed() >= EARNINGS_EVERY) {
				settler.refresh_earnings().await;
				earnings_read = Some(Instant::now());
			}
		}
	});
}

/// Back-off per slot after a failed step, so one stuck slot does not flood
/// the reporter or the node.
#[derive(Debug, Default)]
struct Backoff(HashMap<Slot, (Instant, Duration)>);

impl Backoff {
	fn waiting(&self, s: Slot) -> bool {
		self.0.get(&s).is_some_and(|(t, _)| Instant::now() < *t)
	}

	fn failed(&mut self, s: Slot) -> Duration {
		let back = self
			.0
			.get(&s)
			.map_or(Duration::from_secs(2), |(_, d)| (*d * 2).min(Duration::from_secs(60)));
		self.0.insert(s, (Instant::now() + back, back));
		back
	}

	fn succeeded(&mut self, s: Slot) {
		self.0.remove(&s);
	}
}

/// One pass of the settlement loop.
struct Settler<'a> {
	edge: &'a Arc<Edge>,
	chain: &'a Chain,
	cfg: &'a SettleConfig,
	urls: &'a ReporterUrls,
	http: &'a HttpClient,
}

impl Settler<'_> {
	async fn pass(&self, backoff: &mut Backoff) {
		let current = match self.chain.current_window().await {
			Ok(w) => w,
			Err(e) => return tracing::warn!(error = %e, "cannot read the chain's window; retrying"),
		};
		let slots = match self.edge.ledger.unsettled() {
			Ok(s) => s,
			Err(e) => return tracing::error!(error = %e, "cannot read the ledger"),
		};
		for (slot, state) in slots {
			if backoff.waiting(slot) {
				continue;
			}
			match self.step(current, slot, state).await {
				Ok(()) => backoff.succeeded(slot),
				Err(e) => {
					let retry_in = backoff.failed(slot);
					let (w, reporter) = (slot.window, hex::encode(&slot.reporter[..8]));
					tracing::warn!(window = w, %reporter, error = %e, ?retry_in, "settlement step failed");
				}
			}
		}
	}

	async fn step(
		&self,
		current: WindowIndex,
		slot: Slot,
		state: WindowState,
	) -> Result<(), StepError> {
		match state {
			WindowState::Open => self.claim(current, slot),
			WindowState::Claimed { claim, tickets } => self.confirm(slot, claim, &tickets).await,
			WindowState::Confirmed(att)
			| WindowState::Submitted { attestation: att, .. }
			| WindowState::Refused { attestation: att, .. } => self.submit(current, slot, att).await,
			WindowState::Finalized { .. } | WindowState::Unpaid { .. } => Ok(()),
		}
	}

	fn unpaid(&self, slot: Slot, reason: String) -> Result<(), StepError> {
		Ok(self.edge.ledger.set_state(slot, &WindowState::Unpaid { reason })?)
	}

	/// Open → Claimed, once the chain has left the window and the slot's
	/// last ticket has expired (plus a grace for final receipts): the
	/// window's receipts are split into as few parts as one claim's limits
	/// allow, each part a slot of its own from here on.
	fn claim(&self, current: WindowIndex, slot: Slot) -> Result<(), StepError> {
		let ledger = &self.edge.ledger;
		let w = slot.window;
		let expiry = ledger.expiry(slot)?.unwrap_or(0);
		if current <= w || now_ms() < expiry + self.cfg.claim_grace.as_millis() as u64 {
			return Ok(());
		}
		let receipts = ledger.receipts(slot)?;
		if receipts.is_empty() {
			return self.unpaid(slot, "no receipts in this window".into());
		}
		let parts = match split_claims(self.edge.public, w, &receipts, self.cfg.part_limits) {
			Ok(parts) => parts,
			Err(e) => return self.unpaid(slot, e.to_string()),
		};
		let bytes: u64 = parts.iter().flat_map(|(c, _)| c.entries.iter()).map(|e| e.bytes).sum();
		let n = receipts.len();
		tracing::info!(window = w, bytes, receipts = n, parts = parts.len(), "window claimed");
		Ok(ledger.set_claimed(slot, parts)?)
	}

	/// Claimed → Confirmed: the slot's reporter co-signs the payload, which
	/// the edge checks and signs too.
	async fn confirm(
		&self,
		slot: Slot,
		claim: Claim,
		tickets: &[TicketId],
	) -> Result<(), StepError> {
		let (edge, w) = (self.edge, slot.window);
		let receipts: Vec<_> =
			edge.ledger.receipts_of(tickets)?.into_iter().map(|(_, r)| r).collect();
		let signature = keys::sign(&edge.key, DomainTag::Claim, &edge.genesis, &claim);
		let req = ConfirmRequest { claim: claim.clone(), signature, receipts };
		let Some(base) = self.urls.get(&slot.reporter) else {
			// Its reporter has not answered yet: the slot waits for it.
			return Err(StepError::NoReporterUrl(hex::encode(slot.reporter)));
		};
		let url = format!("{base}/confirm");
		let t = Duration::from_secs(30);
		let reply = pod_http::call(self.http, Method::POST, &url, &[], req.encode(), t).await?;
		let body = match reply.success() {
			Ok(body) => body,
			Err(e) if e.retryable() => return Err(e.into()),
			Err(e) => {
				// A definitive refusal (e.g. nothing confirmed): keep the receipts and say why.
				tracing::warn!(window = w, error = %e, "reporter refused the claim");
				return self.unpaid(slot, format!("reporter: {e}"));
			}
		};
		let resp: ConfirmResponse =
			serde_json::from_slice(&body).map_err(ConfirmationError::NotJson)?;
		let att = check_confirmation(edge, slot, &claim, &resp)?;
		for r in &resp.reductions {
			tracing::info!(window = w, reason = %r.reason, claimed = r.claimed, confirmed = r.confirmed, detail = %r.detail, "reporter reduced the claim");
		}
		let (claimed, confirmed) = (resp.claimed_bytes, resp.confirmed_bytes);
		tracing::info!(window = w, claimed, confirmed, "window confirmed by the reporter");
		let record = pod_wire::replies::SlotRecord {
			receipts: tickets.len(),
			claimed_bytes: claimed,
			confirmed_bytes: confirmed,
			reductions: resp.reductions,
			disputes: resp.disputes.len(),
		};
		edge.ledger.set_confirmed(slot, att, &record)?;
		fault_point("exit-after-confirm");
		Ok(())
	}

	/// Confirmed/Submitted → Finalized, unless the chain already settled the
	/// slot or its window aged out.
	async fn submit(
		&self,
		current: WindowIndex,
		slot: Slot,
		att: Attestation,
	) -> Result<(), StepError> {
		let (w, reporter, public, part) = (slot.window, slot.reporter, self.edge.public, slot.part);
		if let Some(rec) = self.chain.settlement(&public, w, &reporter, part).await? {
			let (credits, bytes) = (rec.credits, rec.bytes);
			tracing::info!(window = w, credits, bytes, "window already settled on chain");
			return self.finalized(slot, [0; 32], Some(&rec));
		}
		if current > w + self.cfg.max_window_age {
			let why = format!("window aged out (chain is at {current}) before it settled");
			return self.unpaid(slot, why);
		}
		let ledger = &self.edge.ledger;
		let a = att.clone();
		let res = self
			.chain
			.submit_attestation(&att, |block| {
				let s = WindowState::Submitted { attestation: a.clone(), block };
				if let Err(e) = ledger.set_state(slot, &s) {
					tracing::error!(window = w, error = %e, "cannot record the submission");
				}
			})
			.await;
		match res {
			Ok(block) => {
				let rec = self.chain.settlement(&public, w, &reporter, part).await?;
				tracing::info!(window = w, block = %hex::encode(block), credits = rec.as_ref().map(|r| r.credits), "attestation finalized");
				self.finalized(slot, block, rec.as_ref())
			}
			// Whatever the error, the finalized chain decides.
			Err(e) => match self.chain.settlement(&public, w, &reporter, part).await? {
				Some(rec) => self.finalized(slot, [0; 32], Some(&rec)),
				None => {
					if let ChainError::Unpayable(reason) = &e {
						let refused =
							WindowState::Refused { attestation: att, reason: reason.clone() };
						ledger.set_state(slot, &refused)?;
					}
					Err(e.into())
				}
			},
		}
	}

	/// Records the slot's finality (and what it earned, in the metrics),
	/// then prunes its rows.
	fn finalized(
		&self,
		slot: Slot,
		block: [u8; 32],
		rec: Option<&SettlementRecord>,
	) -> Result<(), StepError> {
		let ledger = &self.edge.ledger;
		if let Some(rec) = rec {
			let expired = ledger.expiry(slot)?;
			let lag = expired.map(|ms| (now_ms() as f64 - ms as f64) / 1000.0);
			self.edge.metrics.settled(rec.bytes, rec.credits, lag);
		}
		ledger.set_state(slot, &WindowState::Finalized { block })?;
		ledger.prune(slot)?;
		Ok(())
	}

	/// The owner's credits on chain, for the metrics (best effort: a failed
	/// read leaves the last figures).
	async fn refresh_earnings(&self) {
		let Ok(Some(me)) = self.chain.edge(&self.edge.public).await else { return };
		if let (Ok(credits), Ok(unvested)) =
			(self.chain.credits(&me.owner).await, self.chain.unvested(&me.owner).await)
		{
			self.edge.metrics.owner_credits.set(credits as f64);
			self.edge.metrics.owner_unvested.set(unvested as f64);
		}
	}
}

/// Checks the reporter's confirmation against the edge's own claim and signs
/// it: same edge and window, no entry above the claim, a valid signature from
/// a reporter this edge honours.
fn check_confirmation(
	edge: &Edge,
	slot: Slot,
	claim: &Claim,
	resp: &ConfirmResponse,
) -> Result<Attestation, ConfirmationError> {
	let c = resp.decode()?;
	let payload = c.payload;
	if payload.edge != edge.public || payload.window != claim.window || payload.part != claim.part {
		return Err(ConfirmationError::OtherClaim);
	}
	if c.reporter != slot.reporter {
		return Err(ConfirmationError::OtherReporter(hex::encode(c.reporter)));
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
		let reporters = std::iter::once(&reporter)
			.chain(&cfg.more_reporter_urls)
			.map(|u| u.trim_end_matches('/').to_string())
			.collect();
		let scfg = SettleConfig {
			reporters,
			public_url: cfg.public_url.clone().unwrap_or_else(|| {
				let scheme = if cfg.tls_cert.is_some() { "https" } else { "http" };
				format!("{scheme}://{listen}")
			}),
			region: cfg.region.clone(),
			capacity: cfg.capacity,
			heartbeat: Duration::from_secs(cfg.heartbeat_secs.max(1)),
			interval: Duration::from_secs(2),
			claim_grace: Duration::from_millis(cfg.claim_grace_ms),
			max_window_age: cfg.max_window_age,
			part_limits: PartLimits { receipts: cfg.claim_receipts, ..PartLimits::default() },
		};
		let http = pod_http::http_client();
		spawn_heartbeats(self, scfg.clone(), http.clone());
		if let Some(url) = cfg.chain.clone() {
			tokio::spawn(connect_and_settle(Arc::downgrade(self), url, scfg, http));
		}
		Ok(())
	}
}

/// How often an edge reads the chain's reporter set: a revoked reporter's
/// tickets and orders are refused within this (and a block).
const REPORTER_SET_POLL: Duration = Duration::from_secs(3);

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
	edge.peer_gate.follow(chain.clone());
	edge.follow_reporters(chain.clone(), REPORTER_SET_POLL);
	let urls = ReporterUrls::default();
	tokio::spawn(urls.clone().resolve(cfg.reporters.clone(), http.clone()));
	spawn_settlement(&edge, chain, cfg, urls, http);
}

/// Which base URL answers as which reporter key, learnt from each
/// reporter's `/status`.
#[derive(Debug, Clone, Default)]
pub struct ReporterUrls(Arc<std::sync::RwLock<HashMap<PublicKey, String>>>);

impl ReporterUrls {
	/// The base URL of `reporter`, once it answered.
	pub fn get(&self, reporter: &PublicKey) -> Option<String> {
		self.0.read().expect("urls lock").get(reporter).cloned()
	}

	/// Asks every URL which reporter it is, retrying those that do not
	/// answer until all have.
	async fn resolve(self, mut pending: Vec<String>, http: HttpClient) {
		while !pending.is_empty() {
			let mut left = Vec::new();
			for url in pending {
				match reporter_key(&http, &url).await {
					Some(key) => {
						tracing::info!(%url, reporter = %hex::encode(key), "reporter identified");
						self.0.write().expect("urls lock").insert(key, url);
					}
					None => left.push(url),
				}
			}
			pending = left;
			tokio::time::sleep(Duration::from_secs(3)).await;
		}
	}
}

/// The key the reporter at `url` says it signs with.
async fn reporter_key(http: &HttpClient, url: &str) -> Option<PublicKey> {
	let t = Duration::from_secs(5);
	let r =
		pod_http::call(http, Method::GET, &format!("{url}/status"), &[], vec![], t).await.ok()?;
	let status: pod_wire::replies::ReporterStatus =
		serde_json::from_slice(&r.success().ok()?).ok()?;
	pod_wire::hex::hex32("reporter", &status.reporter).ok()
}
