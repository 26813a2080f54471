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

use super::Edge;
use crate::chain::{Chain, ChainError};
use crate::httpapi::{self, HttpClient};
use crate::ledger::WindowState;
use crate::protocol::build_claim;
use crate::reporter::api::{ConfirmRequest, ConfirmResponse, Heartbeat, SignedHeartbeat};
use codec::Encode;
use hyper::{Method, StatusCode};
use pod_primitives::{sign, Attestation, DomainTag, WindowIndex};
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
	pub region: String,
	pub capacity: u64,
	pub heartbeat: Duration,
	pub interval: Duration,
	/// Wait after a window's last ticket expires, for final receipts.
	pub claim_grace: Duration,
	/// Windows older than this are not submitted (the chain's `MaxWindowAge`).
	pub max_window_age: WindowIndex,
}

fn now_ms() -> u64 {
	super::http::now_ms()
}

/// Test hook: `POD_EDGE_FAULT=exit-after-confirm` exits the process right
/// after a confirmation is stored, before it is submitted.
fn fault(point: &str) -> bool {
	std::env::var("POD_EDGE_FAULT").is_ok_and(|v| v == point)
}

impl Edge {
	fn heartbeat_message(&self, cfg: &SettleConfig) -> SignedHeartbeat {
		let s = self.store.stats();
		let hb = Heartbeat {
			edge: self.public,
			url: cfg.public_url.clone().into_bytes(),
			region: cfg.region.clone().into_bytes(),
			capacity: cfg.capacity,
			load: self.sessions.lock().expect("sessions lock").len() as u32,
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
			match httpapi::call(&http, Method::POST, &url, &[], hb.encode(), Duration::from_secs(5))
				.await
			{
				Ok((s, _)) if s.is_success() => {
					if failing {
						tracing::info!("reporter reachable again");
					}
					failing = false;
				}
				Ok((s, b)) => {
					tracing::warn!(status = %s, body = %String::from_utf8_lossy(&b), "heartbeat refused")
				}
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

/// Why a window step did not advance.
#[derive(Debug, thiserror::Error)]
enum StepError {
	#[error("ledger: {0}")]
	Ledger(#[from] crate::ledger::LedgerError),
	#[error("chain: {0}")]
	Chain(#[from] ChainError),
	#[error("reporter: {0}")]
	Reporter(String),
}

/// Drives every unsettled window forward until the edge is dropped.
pub fn spawn_settlement(edge: &Arc<Edge>, chain: Chain, cfg: SettleConfig, http: HttpClient) {
	let me = Arc::downgrade(edge);
	tokio::spawn(async move {
		// Back-off per window after a failed step, so one stuck window does
		// not flood the reporter or the node.
		let mut next_try: HashMap<WindowIndex, (Instant, Duration)> = HashMap::new();
		loop {
			tokio::time::sleep(cfg.interval).await;
			let Some(edge) = me.upgrade() else { return };
			let current = match chain.current_window().await {
				Ok(w) => w,
				Err(e) => {
					tracing::warn!(error = %e, "cannot read the chain's window; retrying");
					continue;
				}
			};
			let windows = match edge.ledger.unsettled_windows() {
				Ok(w) => w,
				Err(e) => {
					tracing::error!(error = %e, "cannot read the ledger");
					continue;
				}
			};
			for (w, state) in windows {
				if next_try.get(&w).is_some_and(|(t, _)| Instant::now() < *t) {
					continue;
				}
				match step(&edge, &chain, &cfg, &http, current, w, state).await {
					Ok(()) => {
						next_try.remove(&w);
					}
					Err(e) => {
						let back = next_try.get(&w).map_or(Duration::from_secs(2), |(_, d)| {
							(*d * 2).min(Duration::from_secs(60))
						});
						tracing::warn!(window = w, error = %e, retry_in = ?back, "settlement step failed");
						next_try.insert(w, (Instant::now() + back, back));
					}
				}
			}
		}
	});
}

async fn step(
	edge: &Arc<Edge>,
	chain: &Chain,
	cfg: &SettleConfig,
	http: &HttpClient,
	current: WindowIndex,
	w: WindowIndex,
	state: WindowState,
) -> Result<(), StepError> {
	let ledger = &edge.ledger;
	match state {
		WindowState::Open => {
			if current <= w {
				return Ok(());
			}
			let expiry = ledger.window_expiry(w)?.unwrap_or(0);
			if now_ms() < expiry + cfg.claim_grace.as_millis() as u64 {
				return Ok(());
			}
			let receipts = ledger.window_receipts(w)?;
			if receipts.is_empty() {
				ledger.set_window_state(
					w,
					&WindowState::Unpaid { reason: "no receipts in this window".into() },
				)?;
				return Ok(());
			}
			match build_claim(edge.public, w, &receipts) {
				Ok(claim) => {
					tracing::info!(
						window = w,
						bytes = claim.entries.iter().map(|e| e.bytes).sum::<u64>(),
						receipts = claim.receipt_count,
						"window claimed"
					);
					ledger.set_window_state(w, &WindowState::Claimed(claim))?;
				}
				Err(e) => {
					ledger.set_window_state(w, &WindowState::Unpaid { reason: e.to_string() })?;
				}
			}
			Ok(())
		}
		WindowState::Claimed(claim) => {
			let receipts: Vec<_> = ledger.window_receipts(w)?.into_iter().map(|(_, r)| r).collect();
			let signature = sign::sign(&edge.key, DomainTag::Claim, &edge.genesis, &claim);
			let req = ConfirmRequest { claim: claim.clone(), signature, receipts };
			let url = format!("{}/confirm", cfg.reporter);
			let (status, body) =
				httpapi::call(http, Method::POST, &url, &[], req.encode(), Duration::from_secs(30))
					.await
					.map_err(StepError::Reporter)?;
			let text = String::from_utf8_lossy(&body).into_owned();
			match status {
				StatusCode::OK => {}
				StatusCode::TOO_EARLY
				| StatusCode::SERVICE_UNAVAILABLE
				| StatusCode::INTERNAL_SERVER_ERROR
				| StatusCode::BAD_GATEWAY => {
					return Err(StepError::Reporter(format!("{status}: {text}")));
				}
				_ => {
					// A definitive refusal (e.g. nothing confirmed): keep the
					// receipts and say why.
					tracing::warn!(window = w, %status, %text, "reporter refused the claim");
					ledger.set_window_state(
						w,
						&WindowState::Unpaid { reason: format!("reporter: {status}: {text}") },
					)?;
					return Ok(());
				}
			}
			let resp: ConfirmResponse = serde_json::from_slice(&body)
				.map_err(|e| StepError::Reporter(format!("bad confirmation: {e}")))?;
			let att = check_confirmation(edge, &claim, &resp).map_err(StepError::Reporter)?;
			for r in &resp.reductions {
				tracing::info!(window = w, reason = %r.reason, claimed = r.claimed, confirmed = r.confirmed, detail = %r.detail, "reporter reduced the claim");
			}
			tracing::info!(
				window = w,
				claimed = resp.claimed_bytes,
				confirmed = resp.confirmed_bytes,
				"window confirmed by the reporter"
			);
			ledger.set_window_state(w, &WindowState::Confirmed(att))?;
			if fault("exit-after-confirm") {
				tracing::warn!(window = w, "fault injection: exiting after the confirmation");
				std::process::exit(75);
			}
			Ok(())
		}
		WindowState::Confirmed(att) | WindowState::Submitted { attestation: att, .. } => {
			if let Some(rec) = chain.settlement(&edge.public, w).await? {
				tracing::info!(
					window = w,
					credits = rec.credits,
					bytes = rec.bytes,
					"window already settled on chain"
				);
				ledger.set_window_state(w, &WindowState::Finalized { block: [0; 32] })?;
				ledger.prune_window(w)?;
				return Ok(());
			}
			if current > w + cfg.max_window_age {
				ledger.set_window_state(
					w,
					&WindowState::Unpaid {
						reason: format!(
							"window aged out (chain is at {current}) before it settled"
						),
					},
				)?;
				return Ok(());
			}
			let a = att.clone();
			let res = chain
				.submit_attestation(&att, |block| {
					let s = WindowState::Submitted { attestation: a.clone(), block };
					if let Err(e) = ledger.set_window_state(w, &s) {
						tracing::error!(window = w, error = %e, "cannot record the submission");
					}
				})
				.await;
			match res {
				Ok(block) => {
					let rec = chain.settlement(&edge.public, w).await?;
					tracing::info!(window = w, block = %hex::encode(block), credits = rec.as_ref().map(|r| r.credits), "attestation finalized");
					ledger.set_window_state(w, &WindowState::Finalized { block })?;
					ledger.prune_window(w)?;
					Ok(())
				}
				Err(e) => {
					// Whatever the error, the finalized chain decides.
					if chain.settlement(&edge.public, w).await?.is_some() {
						ledger.set_window_state(w, &WindowState::Finalized { block: [0; 32] })?;
						ledger.prune_window(w)?;
						return Ok(());
					}
					Err(e.into())
				}
			}
		}
		WindowState::Finalized { .. } | WindowState::Unpaid { .. } => Ok(()),
	}
}

/// Checks the reporter's confirmation against the edge's own claim and signs
/// it: same edge and window, no entry above the claim, a valid signature from
/// a reporter this edge honours.
fn check_confirmation(
	edge: &Edge,
	claim: &pod_primitives::Claim,
	resp: &ConfirmResponse,
) -> Result<Attestation, String> {
	let (payload, reporter, reporter_signature) = resp.decode()?;
	if payload.edge != edge.public || payload.window != claim.window {
		return Err("the confirmation is for another edge or window".into());
	}
	for e in payload.entries.iter() {
		let claimed = claim.entries.iter().find(|c| c.content == e.content).map(|c| c.bytes);
		if claimed.is_none_or(|c| e.bytes > c) {
			return Err(format!(
				"the confirmation credits {} bytes of {} above the claim",
				e.bytes,
				hex::encode(e.content)
			));
		}
	}
	if !edge.is_reporter(&reporter) {
		return Err(format!("{} is not a reporter this edge honours", hex::encode(reporter)));
	}
	if !sign::verify(
		&reporter,
		&reporter_signature,
		DomainTag::Attestation,
		&edge.genesis,
		&payload,
	) {
		return Err("the reporter's signature does not verify".into());
	}
	let edge_signature = sign::sign(&edge.key, DomainTag::Attestation, &edge.genesis, &payload);
	Ok(Attestation { payload, edge_signature, reporter, reporter_signature })
}
