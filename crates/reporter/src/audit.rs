//! Audits: at random, the reporter fetches a chunk from an edge exactly as a
//! client would (its own ticket, a fresh session key) and checks the bytes
//! against the manifest, then one 16 KiB group of it as a verified slice (an
//! edge lying only to viewers who seek fails that). An audit sends no receipt, so it is never paid.
//! Only bad bytes the reporter itself received lower the edge's reputation
//! (a refusal may be the origin's fault); reputation recovers over time;
//! every result shows in `/status` and metrics. A viewer's accusation only
//! asks for such an audit, and never raises the edge's reputation.

use crate::error::ReporterError;
use crate::service::Reporter;
use crate::store::EdgeRecord;
use hyper::{Method, StatusCode};
use pod_primitives::{keys, ContentId, Manifest, PublicKey, SignedTicket};
use pod_wire::clock::now_ms;
use pod_wire::replies::AuditReply;
use pod_wire::{headers, slice};
use std::sync::Arc;
use std::time::Duration;

/// Runs audits every `every` until the reporter is dropped.
pub(crate) fn spawn(reporter: Arc<Reporter>, every: Duration) {
	let me = Arc::downgrade(&reporter);
	drop(reporter);
	tokio::spawn(async move {
		loop {
			tokio::time::sleep(every).await;
			let Some(r) = me.upgrade() else { return };
			if let Err(e) = r.audit_once().await {
				tracing::debug!(error = %e, "no audit this round");
			}
		}
	});
}

fn random_below(n: usize) -> usize {
	let mut b = [0u8; 8];
	getrandom::fill(&mut b).expect("the OS has randomness");
	(u64::from_le_bytes(b) % n.max(1) as u64) as usize
}

/// What an audit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
	Passed,
	BadBytes,
	Refused,
	Unreachable,
}

impl Outcome {
	fn as_str(self) -> &'static str {
		match self {
			Outcome::Passed => "passed",
			Outcome::BadBytes => "bad_bytes",
			Outcome::Refused => "refused",
			Outcome::Unreachable => "unreachable",
		}
	}

	/// Only evidence the reporter obtained itself that the edge served
	/// bytes the manifest does not match lowers reputation: a refusal or a
	/// timeout may be the origin's fault (a customer's own bad origin must
	/// not exclude honest edges), and being down is what heartbeats
	/// measure. A periodic audit passed raises it; an accusation's audit
	/// passed does not (`may_raise`), or accusing one's own edges would
	/// pump them.
	fn reputation_change(self, may_raise: bool) -> i64 {
		match self {
			Outcome::Passed if may_raise => 1,
			Outcome::BadBytes => -50,
			Outcome::Passed | Outcome::Refused | Outcome::Unreachable => 0,
		}
	}
}

/// How long reputation takes to move one point back towards 0: an edge
/// excluded for one bad chunk (-50) is scheduled again after 10 minutes,
/// one caught twice after about 8 hours.
pub const RECOVERY_MS_PER_POINT: u64 = 10 * 60_000;

/// `r`'s reputation at `now`: what was recorded, moved back towards 0 by
/// the time since.
pub fn reputation_now(r: &EdgeRecord, now: u64) -> i64 {
	let steps = (now.saturating_sub(r.reputation_at_ms) / RECOVERY_MS_PER_POINT) as i64;
	match r.reputation_at_ms {
		0 => r.reputation,
		_ if r.reputation > 0 => (r.reputation - steps).max(0),
		_ => (r.reputation + steps).min(0),
	}
}

/// One audit: an edge, a content it says it holds, a chunk of it.
struct Probe {
	edge: PublicKey,
	url: String,
	content: ContentId,
	manifest: Manifest,
	index: u32,
}

impl Reporter {
	/// Audits one random chunk of one random content on one random live edge.
	pub async fn audit_once(&self) -> Result<AuditReply, ReporterError> {
		let probe = self.pick_probe()?;
		let ticket = self.audit_ticket(&probe).await?;
		let (outcome, detail) = self.run_probe(&probe, &ticket).await;
		self.metrics.audit(outcome.as_str());
		if outcome != Outcome::Passed {
			tracing::warn!(edge = %hex::encode(probe.edge), result = outcome.as_str(), %detail, "audit failed");
		}
		self.adjust_edge(&probe.edge, |r| record_audit(r, outcome, detail, true))?;
		Ok(AuditReply { edge: hex::encode(probe.edge), result: outcome.as_str().into() })
	}

	/// Audits the chunk a viewer accused an edge of serving bad bytes for:
	/// the accusation counts against the edge (`lying_reports`) only if the
	/// edge serves the reporter bad bytes too; otherwise it is an ordinary
	/// audit result.
	pub(crate) async fn audit_accusation(&self, a: crate::reports::Accused) {
		let probe = match self.accused_probe(a) {
			Ok(p) => p,
			Err(e) => return tracing::warn!(error = %e, "cannot audit an accusation"),
		};
		let outcome = match self.audit_ticket(&probe).await {
			Ok(ticket) => self.run_probe(&probe, &ticket).await,
			Err(e) => return tracing::warn!(error = %e, "cannot audit an accusation"),
		};
		let (outcome, detail) = outcome;
		self.metrics.audit(outcome.as_str());
		let edge = hex::encode(a.edge);
		tracing::info!(%edge, chunk = a.chunk, result = outcome.as_str(), "accusation audited");
		let confirmed = outcome == Outcome::BadBytes;
		let recorded = self.adjust_edge(&a.edge, |r| {
			record_audit(r, outcome, detail, false);
			r.lying_reports += u64::from(confirmed);
		});
		if let Err(e) = recorded {
			tracing::warn!(error = %e, "cannot record an accusation's audit");
		}
	}

	fn accused_probe(&self, a: crate::reports::Accused) -> Result<Probe, ReporterError> {
		let rec = self.store.edge(&a.edge)?.ok_or_else(|| {
			ReporterError::NoAudit(format!("edge {} never sent a heartbeat", hex::encode(a.edge)))
		})?;
		let (manifest, _) = self.content(&a.content)?;
		let (edge, url, content, index) = (a.edge, rec.url, a.content, a.chunk);
		Ok(Probe { edge, url, content, manifest, index })
	}

	fn pick_probe(&self) -> Result<Probe, ReporterError> {
		let edges: Vec<_> =
			self.live_edges()?.into_iter().filter(|(_, r)| !r.held.is_empty()).collect();
		if edges.is_empty() {
			return Err(ReporterError::NoAudit("no live edge holds anything".into()));
		}
		let (edge, rec) = &edges[random_below(edges.len())];
		let c_hex = &rec.held[random_below(rec.held.len())];
		let content = pod_wire::hex::hex32("held content", c_hex)
			.map_err(|e| ReporterError::NoAudit(format!("the edge reported {e}")))?;
		let (manifest, _) = self.content(&content)?;
		let index = random_below(manifest.chunks.len()) as u32;
		Ok(Probe { edge: *edge, url: rec.url.clone(), content, manifest, index })
	}

	/// A ticket for the audit, under a fresh key, stored like any other and
	/// shaped like a viewer's, so that an edge cannot tell an audit from a
	/// viewer and lie only to viewers: a schedule's allowance, its window's
	/// expiry, and for a content that is not open a grant id (random: audit
	/// tickets are never receipted, so no grant is ever charged). Its
	/// requests still come from the reporter's address (docs/attacks.md).
	async fn audit_ticket(&self, p: &Probe) -> Result<SignedTicket, ReporterError> {
		let mut seed = [0u8; 32];
		getrandom::fill(&mut seed).expect("the OS has randomness");
		let session = keys::keypair_from_seed(&seed).public.to_bytes();
		let open = self.records.content(&p.content).await?.is_none_or(|c| c.open);
		let grant = (!open).then(|| {
			let mut id = [0u8; 32];
			getrandom::fill(&mut id).expect("the OS has randomness");
			id
		});
		let n = self.cfg.schedule_count.clamp(1, crate::schedule::MAX_EDGES);
		let cap = crate::grants::ticket_cap(p.manifest.size, p.manifest.chunk_size, n);
		let chunk = p.manifest.chunk_len(p.index).unwrap_or(0) as u64;
		let terms = crate::schedule::TicketTerms {
			client: session,
			content: p.content,
			max_bytes: cap.max(chunk),
			window: self.window(),
			expires_at: self.ticket_expiry(now_ms()),
			grant,
		};
		let t = self.issue_ticket(p.edge, terms);
		self.store.put_tickets(std::slice::from_ref(&t))?;
		Ok(t)
	}

	/// The chunk whole, then one random 16 KiB group of it as a verified
	/// slice: an edge that lies only to viewers who seek is caught too.
	async fn run_probe(&self, p: &Probe, t: &SignedTicket) -> (Outcome, String) {
		let found = self.probe_whole(p, t).await;
		let chunk = p.manifest.chunk_len(p.index).unwrap_or(0) as u64;
		// A group more than the chunk: not within the smallest allowances.
		if found.0 != Outcome::Passed || t.ticket.max_bytes < chunk + slice::GROUP {
			return found;
		}
		self.probe_slice(p, t).await
	}

	async fn probe_whole(&self, p: &Probe, t: &SignedTicket) -> (Outcome, String) {
		let h = [(headers::TICKET, headers::value(t))];
		match self.probe_get(p, &h).await {
			Err(e) => (Outcome::Unreachable, e.to_string()),
			Ok(r) if r.status != StatusCode::OK => {
				(Outcome::Refused, format!("edge answered {}", r.status))
			}
			Ok(r) if !p.manifest.verify_chunk(p.index, &r.body) => (
				Outcome::BadBytes,
				format!("chunk {} of {} failed its hash", p.index, hex::encode(p.content)),
			),
			Ok(_) => (Outcome::Passed, String::new()),
		}
	}

	async fn probe_slice(&self, p: &Probe, t: &SignedTicket) -> (Outcome, String) {
		let len = p.manifest.chunk_len(p.index).unwrap_or(0) as u64;
		let group = random_below(len.div_ceil(slice::GROUP) as usize) as u64 * slice::GROUP;
		let Ok((start, end)) = slice::aligned(group, (group + slice::GROUP).min(len), len) else {
			return (Outcome::Passed, String::new());
		};
		let h = [
			(headers::TICKET, headers::value(t)),
			(headers::PROOF, slice::PROOF_BLAKE3_16K.to_string()),
			("range", format!("bytes={start}-{}", end - 1)),
		];
		let hash = &p.manifest.chunks[p.index as usize];
		match self.probe_get(p, &h).await {
			Err(e) => (Outcome::Unreachable, e.to_string()),
			Ok(r) if r.status != StatusCode::PARTIAL_CONTENT => {
				(Outcome::Refused, format!("edge answered {} to a verified slice", r.status))
			}
			Ok(r) => match slice::decode(hash, len, start, end, &r.body) {
				Ok(_) => (Outcome::Passed, String::new()),
				Err(e) => (
					Outcome::BadBytes,
					format!(
						"bytes {start}..{end} of chunk {} of {}: {e}",
						p.index,
						hex::encode(p.content)
					),
				),
			},
		}
	}

	async fn probe_get(
		&self,
		p: &Probe,
		h: &[(&str, String)],
	) -> Result<pod_http::Reply, pod_http::CallError> {
		let url = format!("{}/c/{}/{}", p.url, hex::encode(p.content), p.index);
		let t = Duration::from_secs(20);
		pod_http::call(&self.http, Method::GET, &url, h, Vec::new(), t).await
	}
}

fn record_audit(r: &mut EdgeRecord, outcome: Outcome, detail: String, may_raise: bool) {
	r.reputation += outcome.reputation_change(may_raise);
	if outcome == Outcome::Passed {
		r.audits_passed += 1;
	} else {
		r.audits_failed += 1;
		r.last_failure = Some(format!("{}: {detail}", outcome.as_str()));
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::testing::{reporter, G};

	/// Reputation returns towards 0, a point per `RECOVERY_MS_PER_POINT`:
	/// an edge excluded for bad bytes is scheduled again in time.
	#[test]
	fn reputation_recovers_over_time() {
		let at = |reputation, reputation_at_ms| EdgeRecord {
			reputation,
			reputation_at_ms,
			..Default::default()
		};
		let step = RECOVERY_MS_PER_POINT;
		assert_eq!(reputation_now(&at(-50, 1), 1), -50);
		assert_eq!(reputation_now(&at(-50, 1), 1 + step), -49);
		assert_eq!(reputation_now(&at(-50, 1), 1 + 60 * step), 0);
		assert_eq!(reputation_now(&at(30, 1), 1 + 10 * step), 20);
		assert_eq!(reputation_now(&at(30, 1), 1 + 60 * step), 0);
		assert_eq!(reputation_now(&at(-7, 0), u64::MAX), -7, "never set: as recorded");
		assert!(reputation_now(&at(-50, 1), 1 + step) > crate::placement::EXCLUDED_REPUTATION);
	}

	/// An audit's ticket is shaped like a viewer's: a schedule's allowance,
	/// its window's expiry, a grant id for a content that is not open; the
	/// edge cannot serve audits honestly and lie to viewers.
	#[tokio::test]
	async fn audit_tickets_look_like_viewers_tickets() {
		let dir = tempfile::tempdir().unwrap();
		let r = reporter(dir.path(), 5);
		let manifest = Manifest::of_bytes(&vec![7u8; 5 << 20], 1 << 20);
		let content = r
			.register_content(None, &codec::Encode::encode(&manifest), "http://o/x")
			.await
			.unwrap();
		let closed = pod_chain::ChainContent {
			owner: [1; 32],
			size: manifest.size,
			price_per_gib: 1,
			origin: vec![],
			retired_from: None,
			budget: None,
			open: false,
		};
		r.records.set_content(content, closed.clone());
		let probe = Probe {
			edge: [4; 32],
			url: "http://e".into(),
			content,
			manifest: manifest.clone(),
			index: 2,
		};
		let before = r.ticket_expiry(now_ms());
		let t = r.audit_ticket(&probe).await.unwrap().ticket;
		let after = r.ticket_expiry(now_ms());
		let viewer_cap =
			crate::grants::ticket_cap(manifest.size, manifest.chunk_size, r.cfg.schedule_count);
		assert_eq!(t.max_bytes, viewer_cap);
		assert!((before..=after).contains(&t.expires_at), "a viewer's expiry: {}", t.expires_at);
		assert!(t.grant.is_some(), "viewers of a content that is not open hold grants");
		r.records.set_content(
			content,
			pod_chain::ChainContent { open: true, budget: Some(1), ..closed },
		);
		assert!(r.audit_ticket(&probe).await.unwrap().ticket.grant.is_none());
		let _ = G;
	}
}
