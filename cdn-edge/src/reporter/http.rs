//! The reporter's HTTP API.
//!
//! | route | what |
//! | --- | --- |
//! | `POST /contents` | register a content: body = manifest (SCALE), `x-pod-origin` = origin URL |
//! | `GET /contents/{id}/manifest` | the manifest (SCALE) |
//! | `POST /schedule` | JSON [`ScheduleRequest`](super::api::ScheduleRequest) → ranked edges with tickets |
//! | `POST /heartbeat` | an edge's `SignedHeartbeat` (SCALE) |
//! | `POST /reports` | JSON [`ClientReport`](super::api::ClientReport): a client's own receipts |
//! | `POST /confirm` | an edge's `ConfirmRequest` (SCALE) → JSON [`ConfirmResponse`](super::api::ConfirmResponse) |
//! | `POST /audit` | loopback only: audit one random edge now |
//! | `GET /status` | JSON: window, edges with health and reputation |
//! | `GET /metrics` | Prometheus text |
//!
//! Refusals are `{"error": code, "message": …}` with a specific status;
//! `425 too_early` carries `retry-after`.

use super::api::{ClientReport, ConfirmRequest, ScheduleRequest, SignedHeartbeat};
use super::{Reporter, ReporterError};
use crate::httpapi::{self, json, text, Refusal, Resp};
use codec::{Decode, Encode};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

impl From<ReporterError> for Refusal {
	fn from(e: ReporterError) -> Self {
		use super::confirm::ConfirmError as C;
		let msg = e.to_string();
		match e {
			ReporterError::Store(_) => Refusal::internal(msg),
			ReporterError::Chain(_) => {
				Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "chain_unavailable", msg)
					.header("retry-after", "2")
			}
			ReporterError::Config(_) => Refusal::internal(msg),
			ReporterError::UnknownContent(_) => {
				Refusal::new(StatusCode::NOT_FOUND, "unknown_content", msg)
			}
			ReporterError::BadManifest(_) => Refusal::bad_request("bad_manifest", msg),
			ReporterError::NoEdges => {
				Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "no_edges", msg)
					.header("retry-after", "5")
			}
			ReporterError::BadHeartbeat(_) => {
				Refusal::new(StatusCode::FORBIDDEN, "bad_heartbeat_signature", msg)
			}
			ReporterError::StaleHeartbeat(_) => Refusal::bad_request("stale_heartbeat", msg),
			ReporterError::TooEarly { retry_after_secs, .. } => {
				Refusal::new(StatusCode::TOO_EARLY, "too_early", msg)
					.header("retry-after", retry_after_secs.to_string())
			}
			ReporterError::Confirm(C::BadClaimSignature) => {
				Refusal::new(StatusCode::FORBIDDEN, "bad_claim_signature", msg)
			}
			ReporterError::Confirm(C::TooManyReceipts(..)) => {
				Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, "too_many_receipts", msg)
			}
			ReporterError::Confirm(C::NothingConfirmed(reductions)) => Refusal::new(
				StatusCode::UNPROCESSABLE_ENTITY,
				"nothing_confirmed",
				serde_json::to_string(&reductions).expect("reductions serialize"),
			),
			ReporterError::BadRequest(_) => Refusal::bad_request("bad_request", msg),
		}
	}
}

/// Serves the API until `shutdown` resolves.
pub async fn serve(
	reporter: Arc<Reporter>,
	listener: TcpListener,
	shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
	httpapi::serve(listener, shutdown, move |peer, req| handle(reporter.clone(), peer, req)).await
}

fn scale<T: Decode>(what: &'static str, b: &[u8]) -> Result<T, Refusal> {
	T::decode(&mut &b[..])
		.map_err(|e| Refusal::bad_request("bad_scale", format!("{what} does not decode: {e}")))
}

async fn handle(r: Arc<Reporter>, peer: SocketAddr, req: Request<Incoming>) -> Resp {
	let path = req.uri().path().to_string();
	let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
	let method = req.method().clone();
	let result: Result<Resp, Refusal> = async {
		match (&method, parts.as_slice()) {
			(&Method::POST, ["contents"]) => {
				let origin = req
					.headers()
					.get("x-pod-origin")
					.and_then(|v| v.to_str().ok())
					.map(str::to_string)
					.ok_or_else(|| {
						Refusal::bad_request(
							"origin_required",
							"send the origin URL in x-pod-origin",
						)
					})?;
				let body = httpapi::body(req, 256 << 20).await?;
				let id = r.register_content(&body, &origin)?;
				Ok(json(StatusCode::OK, &serde_json::json!({ "content": hex::encode(id) })))
			}
			(&Method::GET, ["contents", id, "manifest"]) => {
				let id = httpapi::hex32("content id", id)?;
				let (m, _) = r.content(&id)?;
				Ok(httpapi::binary(StatusCode::OK, "application/octet-stream", m.encode().into()))
			}
			(&Method::POST, ["schedule"]) => {
				let s: ScheduleRequest = httpapi::json_body(req, 64 << 10).await?;
				let out = r.schedule(&s).await?;
				Ok(json(StatusCode::OK, &serde_json::to_value(out).expect("serializes")))
			}
			(&Method::POST, ["heartbeat"]) => {
				let body = httpapi::body(req, 4 << 20).await?;
				let hb: SignedHeartbeat = scale("heartbeat", &body)?;
				r.heartbeat(&hb)?;
				Ok(json(StatusCode::OK, &serde_json::json!({ "window": r.window() })))
			}
			(&Method::POST, ["reports"]) => {
				let rep: ClientReport = httpapi::json_body(req, 16 << 20).await?;
				let (stored, refused) = r.report(&rep)?;
				Ok(json(
					StatusCode::OK,
					&serde_json::json!({ "stored": stored, "refused": refused }),
				))
			}
			(&Method::POST, ["confirm"]) => {
				let body = httpapi::body(req, 64 << 20).await?;
				let c: ConfirmRequest = scale("confirm request", &body)?;
				// Test hook: die between an edge's claim and the confirmation.
				if std::env::var("POD_REPORTER_FAULT").is_ok_and(|v| v == "exit-on-confirm") {
					tracing::warn!(
						window = c.claim.window,
						"fault injection: exiting before confirming"
					);
					std::process::exit(75);
				}
				let answer = r.confirm(&c).await?;
				Ok(text(
					StatusCode::OK,
					"application/json",
					String::from_utf8_lossy(&answer).into_owned(),
				))
			}
			(&Method::POST, ["audit"]) => {
				if !peer.ip().is_loopback() {
					return Err(Refusal::new(
						StatusCode::FORBIDDEN,
						"admin_only",
						"audits are triggered on loopback only",
					));
				}
				let (edge, result) = r
					.audit_once()
					.await
					.map_err(|e| Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "no_audit", e))?;
				Ok(json(StatusCode::OK, &serde_json::json!({ "edge": edge, "result": result })))
			}
			(&Method::GET, ["status"]) | (&Method::GET, ["edges"]) => {
				Ok(json(StatusCode::OK, &r.status()))
			}
			(&Method::GET, ["metrics"]) => {
				Ok(text(StatusCode::OK, "text/plain; version=0.0.4", r.metrics().render()))
			}
			_ => Err(Refusal::new(
				StatusCode::NOT_FOUND,
				"no_route",
				format!("no route for {method} {path}"),
			)),
		}
	}
	.await;
	result.unwrap_or_else(|e| {
		r.metrics().reject(e.code);
		e.into_response()
	})
}
