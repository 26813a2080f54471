//! The reporter's HTTP API: the public plane (`listen`) and, on its own
//! listener, the operator's admin plane (`admin_listen`, loopback by
//! default; who reaches it is decided by where it is bound, never by a
//! request's peer address).
//!
//! | route | what |
//! | --- | --- |
//! | `POST /contents` | register a content: body = manifest (SCALE), `x-pod-content` = its id, `x-pod-origin` = origin URL |
//! | `GET /contents/{id}/manifest` | the manifest (SCALE) |
//! | `POST /schedule` | JSON [`ScheduleRequest`] → ranked edges with tickets |
//! | `POST /heartbeat` | an edge's `SignedHeartbeat` (SCALE) |
//! | `POST /reports` | JSON [`ClientReport`]: a client's own receipts and signed accusations |
//! | `POST /confirm` | an edge's `ConfirmRequest` (SCALE) → JSON `ConfirmResponse` |
//! | `GET /status` | JSON [`ReporterStatus`](pod_wire::replies::ReporterStatus) |
//! | `GET /healthz` | `200 ok` while the reporter serves |
//!
//! | admin route | what |
//! | --- | --- |
//! | `POST /audit` | audit one random edge now |
//! | `GET /metrics` | OpenMetrics text ([`crate::metrics`]) |
//! | `GET /healthz` | `200 ok` |
//! | `GET /status` | as on the public plane |
//!
//! Refusals are `{"error": code, "message": …}` with a specific status;
//! `425 too_early` carries `retry-after`.

use crate::confirm::ConfirmError;
use crate::error::ReporterError;
use crate::service::Reporter;
use codec::Encode;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use pod_http::reply::scale;
use pod_http::{json, text, Refusal, Resp};
use pod_wire::api::{ClientReport, ConfirmRequest, ScheduleRequest, SignedHeartbeat};
use pod_wire::replies::{ContentRegistered, HeartbeatReply};
use pod_wire::{headers, Code};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

impl From<ReporterError> for Refusal {
	fn from(e: ReporterError) -> Self {
		let msg = e.to_string();
		let (status, code) = match e {
			ReporterError::Store(_) | ReporterError::Config { .. } => {
				return Refusal::internal(msg)
			}
			ReporterError::Chain(_) => {
				let r = Refusal::new(StatusCode::SERVICE_UNAVAILABLE, Code::ChainUnavailable, msg);
				return r.header("retry-after", "2");
			}
			ReporterError::NoEdges => {
				let r = Refusal::new(StatusCode::SERVICE_UNAVAILABLE, Code::NoEdges, msg);
				return r.header("retry-after", "5");
			}
			ReporterError::RateLimited { retry_after_secs, .. } => {
				let r = Refusal::new(StatusCode::TOO_MANY_REQUESTS, Code::RateLimited, msg);
				return r.header("retry-after", retry_after_secs.to_string());
			}
			ReporterError::TooEarly { retry_after_secs, .. } => {
				let r = Refusal::new(StatusCode::TOO_EARLY, Code::TooEarly, msg);
				return r.header("retry-after", retry_after_secs.to_string());
			}
			ReporterError::Confirm(ConfirmError::NothingConfirmed(reductions)) => {
				let detail = serde_json::to_string(&reductions).expect("reductions serialize");
				return Refusal::new(
					StatusCode::UNPROCESSABLE_ENTITY,
					Code::NothingConfirmed,
					detail,
				);
			}
			ReporterError::BadField(e) => return e.into(),
			ReporterError::UnknownContent(_) => (StatusCode::NOT_FOUND, Code::UnknownContent),
			ReporterError::NotOnChain { .. } => (StatusCode::CONFLICT, Code::ContentNotOnChain),
			ReporterError::BadManifest(_) => (StatusCode::BAD_REQUEST, Code::BadManifest),
			ReporterError::BadHeartbeat(_) => (StatusCode::FORBIDDEN, Code::BadHeartbeatSignature),
			ReporterError::EdgeNotOnChain { .. } => (StatusCode::FORBIDDEN, Code::EdgeNotOnChain),
			ReporterError::StaleHeartbeat(_) => (StatusCode::BAD_REQUEST, Code::StaleHeartbeat),
			ReporterError::Confirm(ConfirmError::BadClaimSignature) => {
				(StatusCode::FORBIDDEN, Code::BadClaimSignature)
			}
			ReporterError::Confirm(ConfirmError::TooManyReceipts(..)) => {
				(StatusCode::PAYLOAD_TOO_LARGE, Code::TooManyReceipts)
			}
			ReporterError::Confirm(ConfirmError::PartOutOfRange(_)) => {
				(StatusCode::BAD_REQUEST, Code::PartOutOfRange)
			}
			ReporterError::BadRequest(_) => (StatusCode::BAD_REQUEST, Code::BadRequest),
			ReporterError::BadEdgeUrl(_) => (StatusCode::BAD_REQUEST, Code::BadEdgeUrl),
			ReporterError::Order(_) => (StatusCode::BAD_GATEWAY, Code::Internal),
			ReporterError::NoAudit(_) => (StatusCode::SERVICE_UNAVAILABLE, Code::NoAudit),
			ReporterError::GrantRequired(_) => (StatusCode::FORBIDDEN, Code::GrantRequired),
			ReporterError::GrantRefused(_) => (StatusCode::FORBIDDEN, Code::GrantRefused),
			ReporterError::GrantExhausted { .. } => (StatusCode::FORBIDDEN, Code::GrantExhausted),
			ReporterError::Unfunded { limit, .. } => {
				(StatusCode::PAYMENT_REQUIRED, unfunded(limit))
			}
		};
		Refusal::new(status, code, msg)
	}
}

/// Serves the API on `public` and the admin plane on `admin` until
/// `shutdown` resolves.
pub async fn serve(
	reporter: Arc<Reporter>,
	public: TcpListener,
	admin: TcpListener,
	shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
	let (r, plane) = (reporter.clone(), reporter.plane.clone());
	pod_http::serve_planes(
		(public, plane, move |peer, req| handle(r.clone(), peer, req)),
		(admin, move |_, req| handle_admin(reporter.clone(), req)),
		shutdown,
	)
	.await
}

async fn handle_admin(r: Arc<Reporter>, req: Request<Incoming>) -> Resp {
	let path = req.uri().path().to_string();
	let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
	let method = req.method().clone();
	let result = match (&method, parts.as_slice()) {
		(&Method::POST, ["audit"]) => {
			r.audit_once().await.map(|a| json(StatusCode::OK, &a)).map_err(Refusal::from)
		}
		(&Method::GET, ["status"]) => Ok(json(StatusCode::OK, &r.status())),
		(&Method::GET, ["metrics"]) => {
			Ok(pod_http::metrics::exposition(&req, r.metrics().render()))
		}
		(&Method::GET, ["healthz"]) => Ok(healthz()),
		_ => Err(Refusal::not_found(Code::NoRoute, format!("no route for {method} {path}"))),
	};
	result.unwrap_or_else(|e| {
		r.metrics().reject(e.code.as_str());
		e.into_response()
	})
}

async fn handle(r: Arc<Reporter>, peer: SocketAddr, req: Request<Incoming>) -> Resp {
	let started = std::time::Instant::now();
	let path = req.uri().path().to_string();
	let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
	let method = req.method().clone();
	let (route, result) = match (&method, parts.as_slice()) {
		(&Method::POST, ["contents"]) => ("contents", register_content(&r, req).await),
		(&Method::GET, ["contents", id, "manifest"]) => ("manifest", manifest(&r, id)),
		(&Method::POST, ["schedule"]) => ("schedule", schedule(&r, peer, req).await),
		(&Method::POST, ["heartbeat"]) => ("heartbeat", heartbeat(&r, peer, req).await),
		(&Method::POST, ["reports"]) => ("reports", reports(&r, peer, req).await),
		(&Method::POST, ["confirm"]) => ("confirm", confirm(&r, req).await),
		(&Method::GET, ["status"]) | (&Method::GET, ["edges"]) => {
			("status", Ok(json(StatusCode::OK, &r.status())))
		}
		(&Method::GET, ["healthz"]) => ("healthz", Ok(healthz())),
		_ => {
			let no_route = format!("no route for {method} {path}");
			("other", Err(Refusal::not_found(Code::NoRoute, no_route)))
		}
	};
	let resp = result.unwrap_or_else(|e| {
		r.metrics().reject(e.code.as_str());
		e.into_response()
	});
	pod_http::metrics::observe(&r.metrics().latency, route, started);
	resp
}

/// `GET /healthz`: the service is up and answering (what it is doing is
/// in `/status`).
fn healthz() -> Resp {
	text(StatusCode::OK, "text/plain; charset=utf-8", "ok\n".into())
}

async fn register_content(r: &Reporter, req: Request<Incoming>) -> Result<Resp, Refusal> {
	let origin = req
		.headers()
		.get(headers::ORIGIN)
		.and_then(|v| v.to_str().ok())
		.map(str::to_string)
		.ok_or_else(|| {
			Refusal::bad_request(Code::OriginRequired, "send the origin URL in x-pod-origin")
		})?;
	let id = req
		.headers()
		.get(headers::CONTENT)
		.and_then(|v| v.to_str().ok())
		.map(|v| pod_wire::hex::hex32("content id", v))
		.transpose()?
		.ok_or_else(|| {
			Refusal::bad_request(Code::ContentIdRequired, "send the content id in x-pod-content")
		})?;
	// Checked on chain before the body is read, and the body bounded by
	// the largest manifest the chain's size allows.
	let limit = r.manifest_limit(&id).await?;
	let body = pod_http::body(req, limit).await?;
	let id = r.register_content(Some(&id), &body, &origin).await?;
	Ok(json(StatusCode::OK, &ContentRegistered { content: hex::encode(id) }))
}

fn manifest(r: &Reporter, id: &str) -> Result<Resp, Refusal> {
	let id = pod_wire::hex::hex32("content id", id)?;
	let (m, _) = r.content(&id)?;
	Ok(pod_http::binary(StatusCode::OK, "application/octet-stream", m.encode().into()))
}

async fn schedule(
	r: &Arc<Reporter>,
	peer: SocketAddr,
	req: Request<Incoming>,
) -> Result<Resp, Refusal> {
	let s: ScheduleRequest = pod_http::json_body(req, 64 << 10).await?;
	Ok(json(StatusCode::OK, &r.schedule(&s, peer.ip()).await?))
}

async fn heartbeat(
	r: &Reporter,
	peer: SocketAddr,
	req: Request<Incoming>,
) -> Result<Resp, Refusal> {
	let body = pod_http::body(req, 4 << 20).await?;
	let hb: SignedHeartbeat = scale("heartbeat", &body)?;
	r.heartbeat(&hb, peer.ip()).await?;
	Ok(json(StatusCode::OK, &HeartbeatReply { window: r.window() }))
}

async fn reports(
	r: &Arc<Reporter>,
	peer: SocketAddr,
	req: Request<Incoming>,
) -> Result<Resp, Refusal> {
	let rep: ClientReport = pod_http::json_body(req, 16 << 20).await?;
	Ok(json(StatusCode::OK, &r.report(&rep, peer.ip())?))
}

async fn confirm(r: &Reporter, req: Request<Incoming>) -> Result<Resp, Refusal> {
	// The largest legitimate request: a claim with `MAX_CONFIRM_RECEIPTS`
	// receipts of 92 bytes each, plus slack.
	const LIMIT: usize = pod_wire::api::MAX_CONFIRM_RECEIPTS * 96 + (64 << 10);
	let body = pod_http::body(req, LIMIT).await?;
	let c: ConfirmRequest = scale("confirm request", &body)?;
	fault_point(&c);
	let answer = r.confirm(c, &body).await?;
	Ok(pod_http::binary(StatusCode::OK, "application/json", answer.into()))
}

/// Test hook (feature `fault-injection`): `POD_REPORTER_FAULT=exit-on-confirm`
/// dies between an edge's claim and the confirmation.
fn fault_point(c: &ConfirmRequest) {
	if cfg!(feature = "fault-injection")
		&& std::env::var("POD_REPORTER_FAULT").is_ok_and(|v| v == "exit-on-confirm")
	{
		tracing::warn!(window = c.claim.window, "fault injection: exiting before confirming");
		std::process::exit(75);
	}
}

/// The code of a schedule refused for want of money.
fn unfunded(limit: crate::funds::Limit) -> Code {
	use crate::funds::Limit;
	match limit {
		Limit::Escrow => Code::EscrowExhausted,
		Limit::SpendLimit => Code::SpendLimitReached,
		Limit::ContentBudget => Code::BudgetReached,
		Limit::ReporterCap | Limit::CustomerShare => Code::ReporterCapReached,
	}
}
