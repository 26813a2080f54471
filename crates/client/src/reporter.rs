//! Talking to the reporter: being scheduled onto edges, reporting the
//! client's own receipts, registering a content.

use crate::fetch::{FetchReport, Source};
use hyper::Method;
use pod_http::{CallError, HttpClient};
use pod_primitives::{keys, keys::Keypair, Accusation, ContentId, Manifest, SignedTicket};
use pod_wire::api::{ClientReport, ScheduleRequest, ScheduleResponse};
use pod_wire::hex::DecodeError;
use pod_wire::manifest::{decode_manifest, ManifestDecodeError};
use pod_wire::replies::{ContentRegistered, ReportReply};
use pod_wire::{headers, Fault, Side};
use std::time::Duration;

/// Deadline of one request to the reporter.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Why a request to the reporter failed.
#[derive(Debug, thiserror::Error)]
pub enum ReporterCallError {
	/// No answer, or a refusal.
	#[error("reporter: {0}")]
	Call(#[from] CallError),
	/// An answer that is not the JSON expected.
	#[error("reporter sent a bad {what}: {source}")]
	Json {
		/// What was expected.
		what: &'static str,
		/// What the parser said.
		#[source]
		source: serde_json::Error,
	},
	/// A field of the answer does not decode.
	#[error("reporter sent a bad field: {0}")]
	Field(#[from] DecodeError),
	/// The manifest is not the content's.
	#[error("reporter sent a bad manifest: {0}")]
	Manifest(#[from] ManifestDecodeError),
	/// A ticket for another client or content.
	#[error("reporter sent a ticket that names another client or content")]
	ForeignTicket,
}

impl Fault for ReporterCallError {
	fn side(&self) -> Side {
		match self {
			ReporterCallError::Call(e) => e.side(),
			_ => Side::Upstream,
		}
	}

	fn retryable(&self) -> bool {
		match self {
			ReporterCallError::Call(e) => e.retryable(),
			_ => false,
		}
	}
}

/// One request to the reporter; anything but a success is a refusal.
async fn call(
	http: &HttpClient,
	method: Method,
	url: &str,
	headers: &[(&str, String)],
	body: Vec<u8>,
) -> Result<bytes::Bytes, ReporterCallError> {
	Ok(pod_http::call(http, method, url, headers, body, TIMEOUT).await?.success()?)
}

fn json<T: serde::de::DeserializeOwned>(
	what: &'static str,
	b: &[u8],
) -> Result<T, ReporterCallError> {
	serde_json::from_slice(b).map_err(|source| ReporterCallError::Json { what, source })
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// What the reporter scheduled: where to download from, with what key.
#[derive(Debug, Clone)]
pub struct Scheduled {
	/// The content's manifest (checked against its id).
	pub manifest: Manifest,
	/// The chain's genesis hash receipts are signed for.
	pub genesis: [u8; 32],
	/// The edges in the order the reporter drew them, each with its ticket.
	pub sources: Vec<Source>,
}

/// Asks the reporter at `reporter` for edges and tickets for `content`,
/// naming `session`'s public key as the client, and fetches the manifest.
pub async fn schedule(
	reporter: &str,
	content: &ContentId,
	session: &Keypair,
	region: Option<String>,
	count: Option<usize>,
	grant: Option<&pod_primitives::SignedGrant>,
) -> Result<Scheduled, ReporterCallError> {
	let http = pod_http::http_client();
	let base = reporter.trim_end_matches('/');
	let client = session.public.to_bytes();
	let req = ScheduleRequest {
		content: hex::encode(content),
		client: hex::encode(client),
		region,
		count,
		grant: grant.map(pod_wire::hex::encode_scale),
	};
	let body = serde_json::to_vec(&req).expect("requests serialize");
	let h = [(JSON.0, JSON.1.to_string())];
	let b = call(&http, Method::POST, &format!("{base}/schedule"), &h, body).await?;
	let s: ScheduleResponse = json("schedule", &b)?;
	let genesis = pod_wire::hex::hex32("genesis", &s.genesis)?;
	let m = call(&http, Method::GET, &format!("{base}{}", s.manifest), &[], Vec::new()).await?;
	let manifest = decode_manifest(&m, Some(content))?;
	let mut sources = Vec::new();
	for e in s.edges {
		let ticket: SignedTicket = pod_wire::hex::scale("ticket", &e.ticket)?;
		if ticket.ticket.client != client || &ticket.ticket.content != content {
			return Err(ReporterCallError::ForeignTicket);
		}
		sources.push(Source { url: e.url, ticket });
	}
	Ok(Scheduled { manifest, genesis, sources })
}

/// Sends the client's own final receipts (and the edges it caught lying) to
/// the reporter: the client's side of the two-way confirmation. Returns how
/// many receipts were sent and the reporter's answer.
pub async fn report(
	reporter: &str,
	session: &Keypair,
	genesis: &[u8; 32],
	sources: &[Source],
	report: &FetchReport,
) -> Result<(usize, ReportReply), ReporterCallError> {
	let mut r = ClientReport::default();
	for (src, rep) in sources.iter().zip(&report.sources) {
		if let Some(last) = rep.last_receipt {
			r.receipts.push(headers::value(&keys::sign_receipt(session, genesis, last)));
		}
		if let Some(chunk) = rep.lying_chunk {
			let a = Accusation { ticket_id: src.ticket.ticket.ticket_id, chunk };
			r.lying.push(pod_wire::hex::encode_scale(&keys::sign_accusation(session, genesis, a)));
		}
	}
	let http = pod_http::http_client();
	let url = format!("{}/reports", reporter.trim_end_matches('/'));
	let body = serde_json::to_vec(&r).expect("reports serialize");
	let b = call(&http, Method::POST, &url, &[(JSON.0, JSON.1.to_string())], body).await?;
	Ok((r.receipts.len(), json("report reply", &b)?))
}

/// Registers a content (its manifest bytes and origin URL) with a reporter.
pub async fn register(
	reporter: &str,
	manifest: Vec<u8>,
	origin: &str,
) -> Result<ContentRegistered, ReporterCallError> {
	let http = pod_http::http_client();
	let url = format!("{}/contents", reporter.trim_end_matches('/'));
	let id = hex::encode(pod_primitives::content_id(&manifest));
	let h = [(headers::ORIGIN, origin.to_string()), (headers::CONTENT, id)];
	let b = call(&http, Method::POST, &url, &h, manifest).await?;
	json("registration reply", &b)
}
