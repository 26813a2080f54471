//! The edge's HTTP data plane (hyper 1; HTTP/1.1 and HTTP/2 on one port).
//!
//! | route | what |
//! | --- | --- |
//! | `GET/HEAD /c/{content}/{index}` | a chunk (or a `Range` of it); needs `x-pod-ticket`, takes `x-pod-receipt` |
//! | `POST /receipt` | a final receipt (`x-pod-ticket` + `x-pod-receipt`), e.g. after the last chunk |
//! | `GET /manifest/{content}` | the manifest (SCALE), public |
//! | `POST /hold/{content}` | loopback only: body = manifest, `x-pod-origin`, `?prefetch=1` |
//! | `POST /order` | a reporter-signed `SignedOrder` (SCALE): hold and prefetch |
//! | `GET /metrics` | Prometheus text |
//! | `GET /status` | JSON |
//!
//! Every refusal is a specific status with a JSON body
//! `{"error": code, "message": …}`; fill failures also say where the fault
//! was (`x-pod-fault: upstream|internal`) and whether to retry (`retry-after`).

use super::range::{self, RangeSpec};
use super::Edge;
use crate::fill::{FaultSide, FillError};
use crate::httpapi::{self, text, Refusal, Resp};
use crate::protocol::{check_ticket, ReceiptError, TicketError, TicketSession};
use bytes::Bytes;
use codec::{Decode, Encode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{header, HeaderMap, Method, Request, Response, StatusCode};
use pod_primitives::{SignedReceipt, SignedTicket};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

/// Header carrying the hex SCALE `SignedTicket`.
pub const TICKET_HEADER: &str = "x-pod-ticket";
/// Header carrying the hex SCALE `SignedReceipt`.
pub const RECEIPT_HEADER: &str = "x-pod-receipt";

pub(crate) fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl From<TicketError> for Refusal {
	fn from(e: TicketError) -> Self {
		let code = match e {
			TicketError::BadSignature => "ticket_bad_signature",
			TicketError::UnknownReporter => "ticket_unknown_reporter",
			TicketError::WrongEdge => "ticket_wrong_edge",
			TicketError::WrongContent => "ticket_wrong_content",
			TicketError::Expired { .. } => "ticket_expired",
			TicketError::ExpiryMismatch => "ticket_malformed",
			TicketError::ZeroAllowance => "ticket_zero_allowance",
		};
		let status = if matches!(e, TicketError::ExpiryMismatch) {
			StatusCode::BAD_REQUEST
		} else {
			StatusCode::FORBIDDEN
		};
		Refusal::new(status, code, e.to_string())
	}
}

impl From<ReceiptError> for Refusal {
	fn from(e: ReceiptError) -> Self {
		let (status, code) = match e {
			ReceiptError::BadSignature => (StatusCode::FORBIDDEN, "receipt_bad_signature"),
			ReceiptError::WrongTicket => (StatusCode::BAD_REQUEST, "receipt_wrong_ticket"),
			ReceiptError::AheadOfServed { .. } => {
				(StatusCode::BAD_REQUEST, "receipt_ahead_of_served")
			}
		};
		Refusal::new(status, code, e.to_string())
	}
}

impl From<FillError> for Refusal {
	fn from(e: FillError) -> Self {
		let (status, code) = match (&e, e.side()) {
			(FillError::NoSuchChunk { .. }, _) => (StatusCode::NOT_FOUND, "no_such_chunk"),
			(_, FaultSide::Upstream) => (StatusCode::BAD_GATEWAY, "fill_failed"),
			(_, FaultSide::Internal) => (StatusCode::SERVICE_UNAVAILABLE, "fill_unavailable"),
		};
		let side = match e.side() {
			FaultSide::Upstream => "upstream",
			FaultSide::Internal => "internal",
		};
		let mut r = Refusal::new(status, code, e.to_string()).header("x-pod-fault", side);
		if e.retryable() {
			r = r.header("retry-after", "1");
		}
		r
	}
}

fn decode_header<T: Decode>(h: &HeaderMap, name: &str) -> Result<Option<T>, String> {
	let Some(v) = h.get(name) else { return Ok(None) };
	let s = v.to_str().map_err(|_| format!("{name} is not ASCII"))?;
	let bytes = hex::decode(s.trim().trim_start_matches("0x"))
		.map_err(|e| format!("{name} is not hex: {e}"))?;
	T::decode(&mut &bytes[..]).map(Some).map_err(|e| format!("{name} does not decode: {e}"))
}

/// The ticket a request must carry.
fn required_ticket(h: &HeaderMap) -> Result<SignedTicket, Refusal> {
	decode_header(h, TICKET_HEADER)
		.map_err(|m| Refusal::new(StatusCode::BAD_REQUEST, "bad_ticket_header", m))?
		.ok_or_else(|| {
			Refusal::new(
				StatusCode::UNAUTHORIZED,
				"ticket_required",
				format!("send a reporter-signed ticket in {TICKET_HEADER}"),
			)
		})
}

/// The receipt a request may carry.
fn optional_receipt(h: &HeaderMap) -> Result<Option<SignedReceipt>, Refusal> {
	decode_header(h, RECEIPT_HEADER)
		.map_err(|m| Refusal::new(StatusCode::BAD_REQUEST, "bad_receipt_header", m))
}

/// Hex SCALE encoding for the ticket/receipt headers.
pub fn header_value<T: Encode>(v: &T) -> String {
	hex::encode(v.encode())
}

/// Serves until `shutdown` resolves, then stops accepting and lets open
/// connections finish.
pub async fn serve(
	edge: Arc<Edge>,
	listener: TcpListener,
	shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
	httpapi::serve(listener, shutdown, move |peer, req| handle(edge.clone(), peer, req)).await
}

async fn handle(edge: Arc<Edge>, peer: SocketAddr, req: Request<Incoming>) -> Resp {
	edge.metrics.requests.inc();
	let path = req.uri().path().to_string();
	let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
	let result = match (req.method(), parts.as_slice()) {
		(&Method::GET | &Method::HEAD, ["c", id, index]) => chunk(&edge, &req, id, index).await,
		(&Method::POST, ["receipt"]) => receipt_only(&edge, &req).await,
		(&Method::GET, ["manifest", id]) => manifest(&edge, id),
		(&Method::POST, ["hold", id]) => hold(&edge, peer, req, id.to_string()).await,
		(&Method::POST, ["order"]) => order(&edge, req).await,
		(&Method::GET, ["metrics"]) => {
			Ok(text(StatusCode::OK, "text/plain; version=0.0.4", edge.render_metrics()))
		}
		(&Method::GET, ["status"]) => {
			Ok(text(StatusCode::OK, "application/json", edge.status().to_string()))
		}
		_ => Err(Refusal::new(
			StatusCode::NOT_FOUND,
			"no_route",
			format!("no route for {} {path}", req.method()),
		)),
	};
	result.unwrap_or_else(|r| {
		edge.metrics.reject(r.code);
		r.into_response()
	})
}

fn parse_id(id: &str) -> Result<pod_primitives::ContentId, Refusal> {
	crate::content::parse_id(id).ok_or_else(|| {
		Refusal::new(
			StatusCode::BAD_REQUEST,
			"bad_content_id",
			format!("{id:?} is not 32 bytes of hex"),
		)
	})
}

fn manifest(edge: &Edge, id: &str) -> Result<Resp, Refusal> {
	let id = parse_id(id)?;
	let h = edge.holding(&id).ok_or_else(|| {
		Refusal::new(
			StatusCode::NOT_FOUND,
			"unknown_content",
			"this edge does not hold that content",
		)
	})?;
	Ok(Response::builder()
		.header(header::CONTENT_TYPE, "application/octet-stream")
		.header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
		.body(Full::new(Bytes::from(h.manifest.encode())))
		.expect("valid response"))
}

async fn hold(
	edge: &Arc<Edge>,
	peer: SocketAddr,
	req: Request<Incoming>,
	id: String,
) -> Result<Resp, Refusal> {
	if !peer.ip().is_loopback() {
		return Err(Refusal::new(
			StatusCode::FORBIDDEN,
			"admin_only",
			"hold orders are taken on loopback only",
		));
	}
	let id = parse_id(&id)?;
	let origin =
		req.headers().get("x-pod-origin").and_then(|v| v.to_str().ok()).map(str::to_string);
	let prefetch = req.uri().query().is_some_and(|q| q.split('&').any(|kv| kv == "prefetch=1"));
	let body = httpapi::body(req, 256 << 20).await?;
	let m = edge
		.hold(id, &body, origin)
		.map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "bad_manifest", e.to_string()))?;
	if prefetch {
		edge.prefetch(id);
	}
	Ok(text(
		StatusCode::OK,
		"application/json",
		serde_json::json!({ "content": hex::encode(id), "chunks": m.chunks.len(), "size": m.size, "prefetch": prefetch })
			.to_string(),
	))
}

/// Takes a reporter-signed hold order (SCALE `SignedOrder` body): the same
/// order the gossip topic carries, for a reporter that is not on the mesh.
async fn order(edge: &Arc<Edge>, req: Request<Incoming>) -> Result<Resp, Refusal> {
	let body = httpapi::body(req, 256 << 20).await?;
	let o = pod_primitives::SignedOrder::decode(&mut &body[..])
		.map_err(|e| Refusal::bad_request("bad_order", format!("order does not decode: {e}")))?;
	edge.take_order(&o)
		.map_err(|e| Refusal::new(StatusCode::FORBIDDEN, "order_refused", e.to_string()))?;
	Ok(text(
		StatusCode::OK,
		"application/json",
		serde_json::json!({ "content": hex::encode(o.order.content), "held": true }).to_string(),
	))
}

/// Takes a receipt without serving anything. The ticket may have expired
/// meanwhile: expiry limits serving, not acknowledging what was served.
async fn receipt_only(edge: &Arc<Edge>, req: &Request<Incoming>) -> Result<Resp, Refusal> {
	let ticket = required_ticket(req.headers())?;
	let receipt = optional_receipt(req.headers())?.ok_or_else(|| {
		Refusal::new(
			StatusCode::BAD_REQUEST,
			"receipt_required",
			format!("send the receipt in {RECEIPT_HEADER}"),
		)
	})?;
	if edge.known_session(&ticket).is_none() {
		let content = ticket.ticket.content;
		check_ticket(&ticket, &edge.genesis, &edge.public, &content, 0, |k| edge.is_reporter(k))?;
	}
	let session = edge
		.session(&ticket)
		.map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "ledger", e.to_string()))?;
	let mut s = session.lock().await;
	let stored = s.accept(&receipt, &edge.genesis)?;
	if stored {
		edge.ledger.record_receipt(&receipt).map_err(|e| {
			Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "ledger", e.to_string())
		})?;
		edge.metrics.receipts.inc();
	}
	Ok(text(
		StatusCode::OK,
		"application/json",
		serde_json::json!({ "stored": stored, "acked": s.acked(), "served": s.served }).to_string(),
	))
}

async fn chunk(
	edge: &Arc<Edge>,
	req: &Request<Incoming>,
	id: &str,
	index: &str,
) -> Result<Resp, Refusal> {
	let id = parse_id(id)?;
	let index: u32 = index.parse().map_err(|_| {
		Refusal::new(
			StatusCode::BAD_REQUEST,
			"bad_chunk_index",
			format!("{index:?} is not a chunk index"),
		)
	})?;
	let holding = edge.holding(&id).ok_or_else(|| {
		Refusal::new(
			StatusCode::NOT_FOUND,
			"unknown_content",
			"this edge does not hold that content",
		)
	})?;
	let len = holding.manifest.chunk_len(index).ok_or_else(|| {
		Refusal::new(
			StatusCode::NOT_FOUND,
			"no_such_chunk",
			format!("content has {} chunks", holding.manifest.chunks.len()),
		)
	})? as u64;
	let hash = holding.manifest.chunks[index as usize];
	let etag = format!("\"{}\"", hex::encode(hash));

	// Ticket: required, and checked before anything else is revealed.
	let ticket = required_ticket(req.headers())?;
	// A ticket already verified for a live session is only re-checked for
	// content and expiry: no signature work on the hot path.
	match edge.known_session(&ticket) {
		Some(_) if ticket.ticket.content != id => return Err(TicketError::WrongContent.into()),
		Some(_) if now_ms() >= ticket.ticket.expires_at => {
			return Err(TicketError::Expired {
				expires_at: ticket.ticket.expires_at,
				now: now_ms(),
			}
			.into())
		}
		Some(_) => {}
		None => check_ticket(&ticket, &edge.genesis, &edge.public, &id, now_ms(), |k| {
			edge.is_reporter(k)
		})?,
	}
	let receipt = optional_receipt(req.headers())?;

	let spec = range::parse(req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()), len);
	let (status, start, end) = match spec {
		RangeSpec::Full => (StatusCode::OK, 0, len - 1),
		RangeSpec::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
		RangeSpec::Unsatisfiable => {
			return Err(Refusal::new(
				StatusCode::RANGE_NOT_SATISFIABLE,
				"range_unsatisfiable",
				"range outside the chunk",
			)
			.header("content-range", format!("bytes */{len}")))
		}
	};
	let body_len = end - start + 1;
	let head = req.method() == Method::HEAD;

	let session = edge
		.session(&ticket)
		.map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "ledger", e.to_string()))?;
	{
		let mut s = session.lock().await;
		if let Some(r) = receipt {
			if s.accept(&r, &edge.genesis)? {
				// Durable before anything more is sent.
				edge.ledger.record_receipt(&r).map_err(|e| {
					Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "ledger", e.to_string())
						.header("x-pod-fault", "internal")
				})?;
				edge.metrics.receipts.inc();
			}
		}
		if !head {
			let left = s.ticket.ticket.max_bytes.saturating_sub(s.served);
			if body_len > left {
				return Err(Refusal::new(
					StatusCode::FORBIDDEN,
					"ticket_exhausted",
					format!("ticket allows {left} more bytes, {body_len} asked"),
				));
			}
			if s.allowance() < body_len {
				return Err(Refusal::new(
					StatusCode::PAYMENT_REQUIRED,
					"receipt_required",
					format!(
						"{} bytes served, {} acknowledged: send a receipt in {RECEIPT_HEADER}",
						s.served,
						s.acked()
					),
				)
				.header("x-pod-served", s.served.to_string())
				.header("x-pod-acked", s.acked().to_string()));
			}
			// Reserve now so parallel requests on one ticket cannot overdraw it.
			s.sent(body_len);
		}
	}
	let unreserve = || async {
		if !head {
			session.lock().await.served -= body_len;
		}
	};

	let base = Response::builder()
		.header(header::ETAG, &etag)
		.header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
		.header(header::ACCEPT_RANGES, "bytes")
		.header(header::CONTENT_TYPE, "application/octet-stream");
	if head {
		return Ok(base
			.header(header::CONTENT_LENGTH, len)
			.body(Full::new(Bytes::new()))
			.expect("valid response"));
	}
	let bytes = match edge
		.filler
		.chunk(id, holding.manifest.clone(), holding.origin.clone(), index)
		.await
	{
		Ok(b) => b,
		Err(e) => {
			unreserve().await;
			return Err(e.into());
		}
	};
	if let Err(e) = edge.bandwidth.take(body_len).await {
		unreserve().await;
		return Err(Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "monthly_cap", e.to_string())
			.header("x-pod-fault", "internal"));
	}
	edge.metrics.served_bytes.inc_by(body_len);
	let body = bytes.slice(start as usize..=end as usize);
	let mut b = base.status(status);
	if status == StatusCode::PARTIAL_CONTENT {
		b = b.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
	}
	Ok(b.body(Full::new(body)).expect("valid response"))
}

impl Edge {
	/// The serving session of a ticket, restored from the ledger after a restart.
	pub(crate) fn session(
		&self,
		t: &SignedTicket,
	) -> Result<Arc<tokio::sync::Mutex<TicketSession>>, crate::ledger::LedgerError> {
		let id = t.ticket.ticket_id;
		if let Some(s) = self.known_session(t) {
			return Ok(s);
		}
		let mut session = TicketSession::new(t.clone(), self.credit);
		if self.ledger.ticket(&id)?.is_some() {
			// Known from before a restart: resume from the stored receipt.
			if let Some(best) = self.ledger.best_receipt(&id)? {
				session.served = best.receipt.bytes_total;
				session.best = Some(best);
			}
		} else {
			self.ledger.record_ticket(t)?;
		}
		let mut sessions = self.sessions.lock().expect("sessions lock");
		let entry = sessions
			.entry(id)
			.or_insert_with(|| (t.clone(), Arc::new(tokio::sync::Mutex::new(session))));
		if entry.0 != *t {
			// Same id, different ticket: only the verified one has a session.
			return Err(crate::ledger::LedgerError::UnknownTicket(hex::encode(id)));
		}
		Ok(entry.1.clone())
	}

	/// The session of exactly this (already verified) ticket, if one is live.
	pub(crate) fn known_session(
		&self,
		t: &SignedTicket,
	) -> Option<Arc<tokio::sync::Mutex<TicketSession>>> {
		let sessions = self.sessions.lock().expect("sessions lock");
		let (verified, s) = sessions.get(&t.ticket.ticket_id)?;
		(verified == t).then(|| s.clone())
	}

	pub(crate) fn render_metrics(&self) -> String {
		let s = self.store.stats();
		self.metrics.cache_bytes.set(s.bytes as i64);
		self.metrics.evictions.set(s.evictions as i64);
		self.metrics.render()
	}
}
