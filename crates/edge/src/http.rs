//! The edge's HTTP planes (hyper 1; HTTP/1.1 and HTTP/2 on each port).
//!
//! The public data plane (`listen`), reachable by anyone:
//!
//! | route | what |
//! | --- | --- |
//! | `GET/HEAD /c/{content}/{index}` | a chunk (or a `Range` of it; with `x-pod-proof`, a verified slice of whole 16 KiB groups); needs `x-pod-ticket`, takes `x-pod-receipt` |
//! | `POST /receipt` | a final receipt (`x-pod-ticket` + `x-pod-receipt`), e.g. after the last chunk |
//! | `GET /manifest/{content}` | the manifest (SCALE), public |
//! | `POST /order` | a reporter-signed order: `SignedOrderTerms` in `x-pod-order` (checked first), the manifest as the body: hold and prefetch |
//! | `GET /status` | JSON [`EdgeStatus`](pod_wire::replies::EdgeStatus) |
//! | `GET /healthz` | `200 ok` while the edge serves |
//!
//! The operator's admin plane (`admin_listen`, loopback by default), on its
//! own listener: who can reach it is decided by where it is bound, never by
//! a request's peer address (behind a reverse proxy every request would come
//! from loopback); a request must name it by an address or `localhost`
//! (`Host`, against DNS rebinding), and `POST` routes need the token in
//! `admin.token` (`Authorization: Bearer …`):
//!
//! | route | what |
//! | --- | --- |
//! | `POST /hold/{content}` | hold a content: body = manifest, `x-pod-origin`, `?prefetch=1` |
//! | `GET /metrics` | OpenMetrics text ([`crate::metrics`]) |
//! | `GET /healthz` | `200 ok` |
//! | `GET /status` | as on the data plane |
//! | `GET /dashboard/…` | the dashboard's files, when `dashboard_dir` names them |
//! | `GET /earnings?limit=N` | JSON [`WindowEarnings`](pod_wire::replies::WindowEarnings) of the newest N (default 100, at most 1,000) window parts: receipts, claimed, confirmed, every reduction, block |
//!
//! Every refusal is a specific status with a JSON body
//! `{"error": code, "message": …}`; fill failures also say where the fault
//! was (`x-pod-fault: upstream|internal`) and whether to retry (`retry-after`).

use crate::daemon::{Edge, Holding};
use crate::error::OrderError;
use crate::fill::FillError;
use crate::ledger::LedgerError;
use crate::limiter::{BandwidthError, PACE_PIECE};
use crate::protocol::{check_ticket, ReceiptError, TicketError, TicketSession};
use crate::session::{self, Reservation, Session};
use bytes::Bytes;
use codec::Encode;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{header, HeaderMap, Method, Request, Response, StatusCode};
use pod_http::{json, text, Refusal, Resp};
use pod_primitives::{ContentId, SignedOrderTerms, SignedReceipt, SignedTicket};
use pod_wire::clock::now_ms;
use pod_wire::range::{self, RangeSpec};
use pod_wire::replies::{HoldReply, OrderReply, ReceiptReply};
use pod_wire::{headers, slice, Code, Fault, Side};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Largest manifest or order body taken.
const MAX_MANIFEST_BODY: usize = 256 << 20;

impl From<TicketError> for Refusal {
	fn from(e: TicketError) -> Self {
		let code = match e {
			TicketError::BadSignature => Code::TicketBadSignature,
			TicketError::UnknownReporter => Code::TicketUnknownReporter,
			TicketError::WrongEdge => Code::TicketWrongEdge,
			TicketError::WrongContent => Code::TicketWrongContent,
			TicketError::Expired { .. } => Code::TicketExpired,
			TicketError::ExpiryMismatch => Code::TicketMalformed,
			TicketError::ZeroAllowance => Code::TicketZeroAllowance,
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
			ReceiptError::BadSignature => (StatusCode::FORBIDDEN, Code::ReceiptBadSignature),
			ReceiptError::WrongTicket => (StatusCode::BAD_REQUEST, Code::ReceiptWrongTicket),
			ReceiptError::AheadOfServed { .. } => {
				(StatusCode::BAD_REQUEST, Code::ReceiptAheadOfServed)
			}
		};
		Refusal::new(status, code, e.to_string())
	}
}

impl From<FillError> for Refusal {
	fn from(e: FillError) -> Self {
		let (status, code) = match (&e, e.side()) {
			(FillError::NoSuchChunk { .. }, _) => (StatusCode::NOT_FOUND, Code::NoSuchChunk),
			(_, Side::Internal) => (StatusCode::SERVICE_UNAVAILABLE, Code::FillUnavailable),
			_ => (StatusCode::BAD_GATEWAY, Code::FillFailed),
		};
		Refusal::from_fault(status, code, &e)
	}
}

impl From<LedgerError> for Refusal {
	fn from(e: LedgerError) -> Self {
		Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, Code::Ledger, e.to_string())
			.header(headers::FAULT, Side::Internal.as_str())
	}
}

impl From<BandwidthError> for Refusal {
	fn from(e: BandwidthError) -> Self {
		Refusal::new(StatusCode::SERVICE_UNAVAILABLE, Code::MonthlyCap, e.to_string())
			.header(headers::FAULT, Side::Internal.as_str())
	}
}

/// Decodes a hex SCALE header, if present.
fn decode_header<T: codec::Decode>(
	h: &HeaderMap,
	name: &'static str,
	code: Code,
) -> Result<Option<T>, Refusal> {
	let Some(v) = h.get(name) else { return Ok(None) };
	let s = v.to_str().map_err(|_| Refusal::bad_request(code, format!("{name} is not ASCII")))?;
	pod_wire::hex::scale(name, s).map(Some).map_err(|e| Refusal::bad_request(code, e.to_string()))
}

/// The ticket a request must carry.
fn required_ticket(h: &HeaderMap) -> Result<SignedTicket, Refusal> {
	decode_header(h, headers::TICKET, Code::BadTicketHeader)?.ok_or_else(|| {
		Refusal::new(
			StatusCode::UNAUTHORIZED,
			Code::TicketRequired,
			format!("send a reporter-signed ticket in {}", headers::TICKET),
		)
	})
}

/// The receipt a request may carry.
fn optional_receipt(h: &HeaderMap) -> Result<Option<SignedReceipt>, Refusal> {
	decode_header(h, headers::RECEIPT, Code::BadReceiptHeader)
}

/// Serves the data plane on `public` and the admin plane on `admin` until
/// `shutdown` resolves, then stops accepting and lets open connections
/// finish.
pub async fn serve(
	edge: Arc<Edge>,
	public: TcpListener,
	admin: TcpListener,
	shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
	let (e, plane) = (edge.clone(), edge.plane.clone());
	pod_http::serve_planes(
		(public, plane, move |_, req| handle(e.clone(), req)),
		(admin, move |_, req| handle_admin(edge.clone(), req)),
		shutdown,
	)
	.await
}

async fn handle(edge: Arc<Edge>, req: Request<Incoming>) -> Resp {
	let started = std::time::Instant::now();
	edge.metrics.requests.inc();
	let path = req.uri().path().to_string();
	let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
	let (route, result) = match (req.method(), parts.as_slice()) {
		(&Method::GET | &Method::HEAD, ["c", id, index]) => {
			("chunk", chunk(&edge, &req, id, index).await)
		}
		(&Method::POST, ["receipt"]) => ("receipt", receipt_only(&edge, &req).await),
		(&Method::GET, ["manifest", id]) => ("manifest", manifest(&edge, id)),
		(&Method::POST, ["order"]) => ("order", order(&edge, req).await),
		(&Method::GET, ["status"]) => ("status", Ok(json(StatusCode::OK, &edge.status()))),
		(&Method::GET, ["healthz"]) => ("healthz", Ok(healthz())),
		_ => ("other", Err(no_route(&req, &path))),
	};
	let resp = answer(&edge, result);
	pod_http::metrics::observe(&edge.metrics.latency, route, started);
	resp
}

/// `GET /healthz`: the service is up and answering (for load balancers
/// and systemd watchdogs; what it is doing is in `/status`).
fn healthz() -> Resp {
	text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into())
}

async fn handle_admin(edge: Arc<Edge>, req: Request<Incoming>) -> Resp {
	if let Err(r) = admin_guard(&edge, &req) {
		return answer(&edge, Err(r));
	}
	let path = req.uri().path().to_string();
	let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
	let result = match (req.method(), parts.as_slice()) {
		(&Method::POST, ["hold", id]) => hold(&edge, req, id.to_string()).await,
		(&Method::GET, ["metrics"]) => {
			Ok(pod_http::metrics::exposition(&req, edge.render_metrics()))
		}
		(&Method::GET, ["status"]) => Ok(json(StatusCode::OK, &edge.status())),
		(&Method::GET, ["earnings"]) => earnings(&edge, &req),
		(&Method::GET, ["dashboard", ..]) => match edge.dashboard_dir.clone() {
			Some(dir) => Ok(pod_http::files::serve_dir(&dir, "/dashboard", req).await),
			None => Err(no_route(&req, &path)),
		},
		(&Method::GET, ["healthz"]) => Ok(healthz()),
		_ => Err(no_route(&req, &path)),
	};
	answer(&edge, result)
}

/// Who may use the admin plane beyond where it is bound: a request must
/// name the plane by an address or `localhost`, never by another name (a
/// web page the operator opens cannot rebind its own name to the edge and
/// read `/earnings` or hold contents: its requests carry its name), and a
/// request that changes state must carry the edge's admin token
/// (`Authorization: Bearer …`, in `admin.token` in the data directory,
/// readable only by the operator).
fn admin_guard(edge: &Edge, req: &Request<Incoming>) -> Result<(), Refusal> {
	let host = req
		.headers()
		.get(hyper::header::HOST)
		.and_then(|h| h.to_str().ok())
		.or_else(|| req.uri().authority().map(|a| a.as_str()))
		.unwrap_or("");
	if !admin_host(host) {
		let message =
			format!("Host {host:?}: the admin plane answers only to an address or localhost");
		return Err(Refusal::forbidden(Code::ForeignHost, message));
	}
	if req.method() == Method::GET || req.method() == Method::HEAD {
		return Ok(());
	}
	let given = req.headers().get(hyper::header::AUTHORIZATION).and_then(|h| h.to_str().ok());
	match given.and_then(|v| v.strip_prefix("Bearer ")) {
		Some(token) if edge.admin_token_is(token) => Ok(()),
		_ => Err(Refusal::new(
			StatusCode::UNAUTHORIZED,
			Code::AdminTokenRequired,
			"this admin route needs `Authorization: Bearer <the data directory's admin.token>`",
		)),
	}
}

/// Whether `host` (a `Host` header, with or without a port) is an IP
/// address or `localhost`: names a page could have rebound are not.
fn admin_host(host: &str) -> bool {
	let name = match host.strip_prefix('[') {
		Some(v6) => v6.split(']').next().unwrap_or(""),
		None => host.rsplit_once(':').map_or(host, |(n, _)| n),
	};
	name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok()
}

/// Most window parts one `GET /earnings` lists.
const EARNINGS_MAX: usize = 1000;

fn earnings(edge: &Edge, req: &Request<Incoming>) -> Result<Resp, Refusal> {
	let limit = match req.uri().query().and_then(|q| q.strip_prefix("limit=")) {
		None => 100,
		Some(n) => {
			n.parse::<usize>().ok().filter(|n| (1..=EARNINGS_MAX).contains(n)).ok_or_else(|| {
				Refusal::bad_request(Code::BadRequest, format!("limit={n}: 1 to {EARNINGS_MAX}"))
			})?
		}
	};
	Ok(json(StatusCode::OK, &edge.earnings(limit)?))
}

fn no_route(req: &Request<Incoming>, path: &str) -> Refusal {
	Refusal::not_found(Code::NoRoute, format!("no route for {} {path}", req.method()))
}

fn answer(edge: &Edge, result: Result<Resp, Refusal>) -> Resp {
	result.unwrap_or_else(|r| {
		edge.metrics.reject(r.code.as_str());
		r.into_response()
	})
}

fn parse_id(id: &str) -> Result<ContentId, Refusal> {
	pod_wire::hex::hex32("content id", id).map_err(|_| {
		Refusal::bad_request(Code::BadContentId, format!("{id:?} is not 32 bytes of hex"))
	})
}

fn held(edge: &Edge, id: &ContentId) -> Result<Holding, Refusal> {
	edge.holding(id).ok_or_else(|| {
		Refusal::not_found(Code::UnknownContent, "this edge does not hold that content")
	})
}

fn manifest(edge: &Edge, id: &str) -> Result<Resp, Refusal> {
	let h = held(edge, &parse_id(id)?)?;
	Ok(Response::builder()
		.header(header::CONTENT_TYPE, "application/octet-stream")
		.header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
		.body(pod_http::full(h.manifest.encode()))
		.expect("valid response"))
}

async fn hold(edge: &Arc<Edge>, req: Request<Incoming>, id: String) -> Result<Resp, Refusal> {
	let id = parse_id(&id)?;
	let origin =
		req.headers().get(headers::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_string);
	let prefetch = req.uri().query().is_some_and(|q| q.split('&').any(|kv| kv == "prefetch=1"));
	let body = pod_http::body(req, MAX_MANIFEST_BODY).await?;
	let m = edge
		.hold(id, &body, origin)
		.map_err(|e| Refusal::bad_request(Code::BadManifest, e.to_string()))?;
	if prefetch {
		edge.prefetch(id);
	}
	let reply =
		HoldReply { content: hex::encode(id), chunks: m.chunks.len(), size: m.size, prefetch };
	Ok(json(StatusCode::OK, &reply))
}

/// Takes a reporter-signed hold order: its signed terms in the
/// `x-pod-order` header (checked first), its manifest as the body (checked
/// against the content id when held). The same order the gossip topic
/// carries, for a reporter that is not on the mesh.
async fn order(edge: &Arc<Edge>, req: Request<Incoming>) -> Result<Resp, Refusal> {
	let head: SignedOrderTerms = decode_header(req.headers(), headers::ORDER, Code::BadOrder)?
		.ok_or_else(|| {
			let why = format!("send the order's signed terms in {}", headers::ORDER);
			Refusal::bad_request(Code::BadOrder, why)
		})?;
	let refused = |e: OrderError| Refusal::forbidden(Code::OrderRefused, e.to_string());
	edge.check_order_terms(&head).map_err(refused)?;
	let Ok(_slot) = edge.order_slots.try_acquire() else {
		let why = "other hold orders are being read; retry shortly";
		let r = Refusal::new(StatusCode::SERVICE_UNAVAILABLE, Code::Busy, why);
		return Err(r.header("retry-after", "1"));
	};
	let manifest = pod_http::body(req, MAX_MANIFEST_BODY).await?.to_vec();
	let o = head.with_manifest(manifest);
	edge.check_order_origin(&o).await.map_err(|e| match e {
		OrderError::ChainUnreadable { .. } => {
			Refusal::new(StatusCode::SERVICE_UNAVAILABLE, Code::Busy, e.to_string())
				.header("retry-after", "2")
		}
		e => refused(e),
	})?;
	edge.execute_order(&o).map_err(refused)?;
	Ok(json(StatusCode::OK, &OrderReply { content: hex::encode(o.order.content), held: true }))
}

/// Takes a receipt without serving anything. The ticket may have expired
/// meanwhile: expiry limits serving, not acknowledging what was served.
async fn receipt_only(edge: &Arc<Edge>, req: &Request<Incoming>) -> Result<Resp, Refusal> {
	let ticket = required_ticket(req.headers())?;
	let receipt = optional_receipt(req.headers())?.ok_or_else(|| {
		Refusal::bad_request(
			Code::ReceiptRequired,
			format!("send the receipt in {}", headers::RECEIPT),
		)
	})?;
	if edge.sessions.known(&ticket).is_none() {
		let content = ticket.ticket.content;
		check_ticket(&ticket, &edge.genesis, &edge.public, &content, 0, |k| edge.is_reporter(k))?;
	}
	let session = edge.sessions.get_or_start(&ticket, &edge.ledger)?;
	let mut s = session::lock(&session);
	let stored = take_receipt(edge, &mut s, Some(receipt))?;
	Ok(json(StatusCode::OK, &ReceiptReply { stored, acked: s.acked(), served: s.served }))
}

/// What a chunk request names: the content, the chunk and its length.
struct ChunkTarget {
	id: ContentId,
	index: u32,
	holding: Holding,
	len: u64,
}

impl ChunkTarget {
	fn parse(edge: &Edge, id: &str, index: &str) -> Result<Self, Refusal> {
		let id = parse_id(id)?;
		let index: u32 = index.parse().map_err(|_| {
			Refusal::bad_request(Code::BadChunkIndex, format!("{index:?} is not a chunk index"))
		})?;
		let holding = held(edge, &id)?;
		let len = holding.manifest.chunk_len(index).ok_or_else(|| {
			Refusal::not_found(
				Code::NoSuchChunk,
				format!("content has {} chunks", holding.manifest.chunks.len()),
			)
		})? as u64;
		Ok(ChunkTarget { id, index, holding, len })
	}

	fn etag(&self) -> String {
		format!("\"{}\"", hex::encode(self.holding.manifest.chunks[self.index as usize]))
	}
}

/// The request's ticket, checked before anything else is revealed. A ticket
/// already verified for a live session is only re-checked for content and
/// expiry: no signature work on the hot path.
fn admit_ticket(edge: &Edge, h: &HeaderMap, content: &ContentId) -> Result<SignedTicket, Refusal> {
	let ticket = required_ticket(h)?;
	let now = now_ms();
	if edge.sessions.known(&ticket).is_none() {
		check_ticket(&ticket, &edge.genesis, &edge.public, content, now, |k| edge.is_reporter(k))?;
	} else if !edge.is_reporter(&ticket.ticket.reporter) {
		// A session outlives nothing: its reporter was revoked or removed
		// since it started.
		return Err(TicketError::UnknownReporter.into());
	} else if &ticket.ticket.content != content {
		return Err(TicketError::WrongContent.into());
	} else if now >= ticket.ticket.expires_at {
		return Err(TicketError::Expired { expires_at: ticket.ticket.expires_at, now }.into());
	}
	Ok(ticket)
}

/// The status and inclusive byte span a `Range` asks for.
fn byte_span(h: &HeaderMap, len: u64) -> Result<(StatusCode, u64, u64), Refusal> {
	match range::parse(h.get(header::RANGE).and_then(|v| v.to_str().ok()), len) {
		RangeSpec::Full => Ok((StatusCode::OK, 0, len - 1)),
		RangeSpec::Partial { start, end } => Ok((StatusCode::PARTIAL_CONTENT, start, end)),
		RangeSpec::Unsatisfiable => Err(Refusal::new(
			StatusCode::RANGE_NOT_SATISFIABLE,
			Code::RangeUnsatisfiable,
			"range outside the chunk",
		)
		.header("content-range", format!("bytes */{len}"))),
	}
}

/// Admits a receipt into the session; a better one is made durable before
/// anything more is sent. Returns whether it improved on the best.
fn take_receipt(
	edge: &Edge,
	s: &mut TicketSession,
	receipt: Option<SignedReceipt>,
) -> Result<bool, Refusal> {
	let Some(r) = receipt else { return Ok(false) };
	if !s.accept(&r, &edge.genesis)? {
		return Ok(false);
	}
	edge.ledger.record_receipt(&r)?;
	edge.metrics.receipts.inc();
	Ok(true)
}

/// Checks that `n` more bytes fit the ticket and the credit window.
fn check_allowance(s: &TicketSession, n: u64) -> Result<(), Refusal> {
	let left = s.ticket.ticket.max_bytes.saturating_sub(s.served);
	if n > left {
		return Err(Refusal::forbidden(
			Code::TicketExhausted,
			format!("ticket allows {left} more bytes, {n} asked"),
		));
	}
	if s.allowance() < n {
		let message = format!(
			"{} bytes served, {} acknowledged: send a receipt in {}",
			s.served,
			s.acked(),
			headers::RECEIPT
		);
		return Err(Refusal::new(StatusCode::PAYMENT_REQUIRED, Code::ReceiptRequired, message)
			.header(headers::SERVED, s.served.to_string())
			.header(headers::ACKED, s.acked().to_string()));
	}
	Ok(())
}

/// Takes the request's receipt and, unless `head`, reserves `n` bytes.
fn admit_bytes(
	edge: &Edge,
	session: &Session,
	receipt: Option<SignedReceipt>,
	n: u64,
	head: bool,
) -> Result<Option<Reservation>, Refusal> {
	let mut s = session::lock(session);
	take_receipt(edge, &mut s, receipt)?;
	if head {
		return Ok(None);
	}
	check_allowance(&s, n)?;
	Ok(Some(Reservation::take(session, &mut s, n)))
}

async fn chunk(
	edge: &Arc<Edge>,
	req: &Request<Incoming>,
	id: &str,
	index: &str,
) -> Result<Resp, Refusal> {
	let target = ChunkTarget::parse(edge, id, index)?;
	let ticket = admit_ticket(edge, req.headers(), &target.id)?;
	let receipt = optional_receipt(req.headers())?;
	let span = Span::asked(req.headers(), target.len)?;
	let n = span.charged();
	let head = req.method() == Method::HEAD;
	let session = edge.sessions.get_or_start(&ticket, &edge.ledger)?;
	let reservation = admit_bytes(edge, &session, receipt, n, head)?;
	let base = Response::builder()
		.header(header::ETAG, target.etag())
		// Every delivery is paid under a ticket: a cache answering in the
		// edge's place would make the viewer's receipts run ahead of what
		// the edge served (and a slice and a whole chunk share a URL).
		.header(header::CACHE_CONTROL, "no-store")
		.header(header::VARY, headers::PROOF)
		.header(header::ACCEPT_RANGES, "bytes");
	let Some(reservation) = reservation else {
		let empty = pod_http::full(Bytes::new());
		let b = base.header(header::CONTENT_TYPE, "application/octet-stream");
		return Ok(b.header(header::CONTENT_LENGTH, target.len).body(empty).expect("valid"));
	};
	let h = &target.holding;
	let bytes =
		edge.filler.chunk(target.id, h.manifest.clone(), h.origin.clone(), target.index).await?;
	let body = span.body(edge, &target, bytes)?;
	edge.bandwidth.account(body.len() as u64)?;
	reservation.commit();
	edge.metrics.served_bytes.inc_by(n);
	let b = span.headers(base, target.len).header(header::CONTENT_LENGTH, body.len());
	Ok(b.body(paced(edge.clone(), body)).expect("valid response"))
}

/// What a chunk request asks for: bytes `start..=end` of the chunk, plain
/// or as a verified slice ([`pod_wire::slice`], whole 16 KiB groups).
struct Span {
	status: StatusCode,
	start: u64,
	end: u64,
	proof: bool,
}

impl Span {
	fn asked(h: &HeaderMap, len: u64) -> Result<Span, Refusal> {
		let (status, start, end) = byte_span(h, len)?;
		let Some(proof) = h.get(headers::PROOF) else {
			return Ok(Span { status, start, end, proof: false });
		};
		if proof.as_bytes() != slice::PROOF_BLAKE3_16K.as_bytes() {
			let message = format!("{} must be {}", headers::PROOF, slice::PROOF_BLAKE3_16K);
			return Err(Refusal::bad_request(Code::ProofUnknown, message));
		}
		let (start, end) = slice::aligned(start, end + 1, len).expect("a satisfiable range");
		Ok(Span { status: StatusCode::PARTIAL_CONTENT, start, end: end - 1, proof: true })
	}

	/// Bytes charged (and receipted): the chunk's bytes sent, not the hashes.
	fn charged(&self) -> u64 {
		self.end - self.start + 1
	}

	fn body(&self, edge: &Edge, t: &ChunkTarget, chunk: Bytes) -> Result<Bytes, Refusal> {
		if !self.proof {
			return Ok(chunk.slice(self.start as usize..=self.end as usize));
		}
		let proof = edge.proofs.of(t.id, t.index, &chunk);
		let encoded = proof.encode(&chunk, self.start, self.end + 1).map_err(|e| {
			Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, Code::Internal, e.to_string())
		})?;
		Ok(encoded.into())
	}

	fn headers(
		&self,
		b: hyper::http::response::Builder,
		len: u64,
	) -> hyper::http::response::Builder {
		let mut b = b.status(self.status);
		if self.status == StatusCode::PARTIAL_CONTENT {
			b = b.header(header::CONTENT_RANGE, format!("bytes {}-{}/{len}", self.start, self.end));
		}
		if self.proof {
			return b
				.header(headers::PROOF, slice::PROOF_BLAKE3_16K)
				.header(header::CONTENT_TYPE, "application/x-pod-slice");
		}
		b.header(header::CONTENT_TYPE, "application/octet-stream")
	}
}

/// `bytes` as a body sent in pieces of at most [`PACE_PIECE`], each when
/// the operator's rate cap allows it: a home uplink sees a steady stream,
/// not a chunk at line rate after a wait.
fn paced(edge: Arc<Edge>, bytes: Bytes) -> pod_http::Body {
	if edge.bandwidth.unlimited() {
		return pod_http::full(bytes);
	}
	let pieces = futures::stream::unfold((edge, bytes), |(edge, mut rest)| async move {
		if rest.is_empty() {
			return None;
		}
		let piece = rest.split_to(rest.len().min(PACE_PIECE));
		edge.bandwidth.pace(piece.len() as u64).await;
		Some((Ok(Frame::data(piece)), (edge, rest)))
	});
	StreamBody::new(pieces).boxed_unsync()
}

impl Edge {
	pub(crate) fn render_metrics(&self) -> String {
		let s = self.store.stats();
		self.metrics.cache_bytes.set(s.bytes as i64);
		let counted = self.metrics.evictions.get();
		self.metrics.evictions.inc_by(s.evictions.saturating_sub(counted));
		if let Ok(windows) = self.ledger.unsettled() {
			self.metrics.set_windows(windows.iter().map(|(_, state)| state));
		}
		self.metrics.render()
	}
}
