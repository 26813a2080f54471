//! The viewer's client: downloads a content from several edges in parallel,
//! verifies every chunk against the manifest, signs cumulative receipts as
//! verified bytes arrive, fails over from slow, dead or lying edges, and
//! resumes a partial download by re-verifying what is already on disk.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::StatusCode;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use pod_http::client::HttpsConnector;
use pod_primitives::{keys, keys::Keypair, ContentId, Manifest, Receipt, SignedTicket};
use pod_wire::{headers, Fault, Side};
use std::collections::VecDeque;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One edge to download from, with the ticket a reporter issued for it.
#[derive(Debug, Clone)]
pub struct Source {
	/// Base URL, e.g. `http://127.0.0.1:8700`.
	pub url: String,
	/// The reporter-signed ticket for this edge.
	pub ticket: SignedTicket,
}

/// What to fetch and from where.
pub struct FetchPlan {
	/// The content.
	pub content: ContentId,
	/// Its manifest (every chunk is checked against it).
	pub manifest: Manifest,
	/// The chain's genesis hash receipts are signed for.
	pub genesis: [u8; 32],
	/// The session key the tickets name as `client`.
	pub session: Keypair,
	/// The edges.
	pub sources: Vec<Source>,
	/// Requests in flight per source (keep within the edge's credit window).
	pub per_source: usize,
	/// Per-request timeout: a source slower than this is failed over.
	pub timeout: Duration,
}

/// How a source behaved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceReport {
	/// The edge's URL.
	pub url: String,
	/// Verified bytes it served.
	pub bytes: u64,
	/// Verified chunks it served.
	pub chunks: u32,
	/// Served bytes that failed the chunk hash: never trusted again.
	pub lying: bool,
	/// The chunk it served bad bytes for (what an accusation names).
	pub lying_chunk: Option<u32>,
	/// Connection errors, timeouts and refusals.
	pub failures: u32,
	/// The last receipt signed for this source's ticket.
	pub last_receipt: Option<Receipt>,
	/// Why its last failed request failed.
	pub last_error: Option<String>,
}

/// The outcome of a download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
	/// Where the content was written.
	pub path: PathBuf,
	/// Its size.
	pub bytes: u64,
	/// Chunks already present and valid on disk (resumed).
	pub resumed_chunks: u32,
	/// How each source behaved.
	pub sources: Vec<SourceReport>,
}

/// Why one request to one source failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
	/// The request could not be sent, or the connection broke.
	#[error("request: {0}")]
	Request(#[source] hyper_util::client::legacy::Error),
	/// The body broke off or was too long.
	#[error("body: {0}")]
	Body(#[source] Box<dyn std::error::Error + Send + Sync>),
	/// No answer in time.
	#[error("timed out after {0:?}")]
	Timeout(Duration),
	/// The edge refused.
	#[error("{status}: {body}")]
	Refused {
		/// Its status.
		status: StatusCode,
		/// Its body, as text.
		body: String,
	},
	/// The bytes failed the chunk hash.
	#[error("served bytes that fail the chunk hash; marked as lying")]
	Lying,
	/// The output file could not be written.
	#[error("writing {path}: {source}")]
	Write {
		/// The output file.
		path: PathBuf,
		/// What the OS said.
		#[source]
		source: std::io::Error,
	},
}

impl Fault for SourceError {
	fn side(&self) -> Side {
		match self {
			SourceError::Write { .. } => Side::Internal,
			_ => Side::Upstream,
		}
	}

	fn retryable(&self) -> bool {
		match self {
			SourceError::Lying => false,
			SourceError::Refused { status, .. } => {
				*status != StatusCode::FORBIDDEN && *status != StatusCode::UNAUTHORIZED
			}
			_ => true,
		}
	}
}

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
	/// The output file could not be opened or synced.
	#[error("writing {path}: {source}")]
	Io {
		/// The output file.
		path: PathBuf,
		/// What the OS said.
		#[source]
		source: std::io::Error,
	},
	/// The plan has no sources.
	#[error("no sources given")]
	NoSources,
	/// Every source is dead or lying.
	#[error("chunk {index} could not be fetched: every source is dead or lying")]
	NoLiveSource {
		/// The chunk that was being fetched.
		index: u32,
	},
	/// A chunk failed on every attempt.
	#[error("chunk {index} could not be fetched from any source; last error: {last}")]
	Exhausted {
		/// The chunk.
		index: u32,
		/// The last attempt's error.
		#[source]
		last: SourceError,
	},
}

impl Fault for FetchError {
	fn side(&self) -> Side {
		match self {
			FetchError::Io { .. } | FetchError::NoSources => Side::Internal,
			FetchError::Exhausted { last, .. } => last.side(),
			FetchError::NoLiveSource { .. } => Side::Upstream,
		}
	}

	fn retryable(&self) -> bool {
		// A new schedule brings new tickets and edges.
		!matches!(self, FetchError::NoSources)
	}
}

#[derive(Debug)]
struct SourceState {
	report: SourceReport,
	/// Verified bytes received under this source's ticket (what receipts acknowledge).
	acked: u64,
	chunks_verified: u32,
	dead: bool,
	/// Requests in flight; at most `per_source`, to stay in the edge's credit window.
	inflight: usize,
}

impl SourceState {
	fn new(url: &str) -> Self {
		SourceState {
			report: SourceReport { url: url.to_string(), ..Default::default() },
			acked: 0,
			chunks_verified: 0,
			dead: false,
			inflight: 0,
		}
	}

	/// The cumulative receipt for what this source has delivered so far.
	fn receipt(&self, ticket: &SignedTicket) -> Receipt {
		Receipt {
			ticket_id: ticket.ticket.ticket_id,
			bytes_total: self.acked,
			chunks_verified: self.chunks_verified,
		}
	}
}

struct Shared {
	plan: FetchPlan,
	sources: Vec<Mutex<SourceState>>,
	queue: Mutex<VecDeque<(u32, u32)>>, // (chunk, attempts)
	file: std::fs::File,
	path: PathBuf,
	progress: Box<dyn Fn(u64) + Send + Sync>,
	failed: Mutex<Option<FetchError>>,
	client: Client<HttpsConnector, Empty<Bytes>>,
}

impl Shared {
	fn source(&self, i: usize) -> std::sync::MutexGuard<'_, SourceState> {
		self.sources[i].lock().expect("source lock")
	}

	fn fail(&self, e: FetchError) {
		*self.failed.lock().expect("lock") = Some(e);
	}

	fn has_failed(&self) -> bool {
		self.failed.lock().expect("lock").is_some()
	}
}

/// Verifies which chunks of `path` are already complete.
fn verify_existing(file: &std::fs::File, m: &Manifest) -> Vec<bool> {
	let mut buf = vec![0u8; m.chunk_size as usize];
	(0..m.chunks.len() as u32)
		.map(|i| {
			let len = m.chunk_len(i).unwrap_or(0) as usize;
			let off = i as u64 * m.chunk_size as u64;
			file.read_exact_at(&mut buf[..len], off).is_ok() && m.verify_chunk(i, &buf[..len])
		})
		.collect()
}

fn open_output(out: &Path, size: u64) -> Result<std::fs::File, FetchError> {
	let io = |source| FetchError::Io { path: out.to_path_buf(), source };
	let file = std::fs::OpenOptions::new()
		.read(true)
		.write(true)
		.create(true)
		.truncate(false)
		.open(out)
		.map_err(io)?;
	file.set_len(size).map_err(io)?;
	Ok(file)
}

/// The chunk client: `http://` or `https://` edges (system roots, or
/// `SSL_CERT_FILE`'s), HTTP/2 by ALPN over TLS.
fn chunk_client() -> Client<HttpsConnector, Empty<Bytes>> {
	let tls = pod_http::client_tls(vec![]);
	Client::builder(TokioExecutor::new())
		.build(pod_http::client::connector(tls, Duration::from_secs(3)))
}

/// One download attempt: how every source behaved (with the receipts signed
/// for it, to report even when the download did not finish) and, if it did
/// not finish, why.
#[derive(Debug)]
pub struct Attempt {
	/// What was done; `bytes` is the content's size.
	pub report: FetchReport,
	/// Why the download stopped short, if it did. The chunks verified so far
	/// are on disk: a new attempt with new tickets (e.g. for the next window,
	/// once these expired) resumes from them.
	pub error: Option<FetchError>,
}

/// Downloads `plan.content` into `out`, calling `progress` with each chunk's
/// verified byte count.
pub async fn fetch(
	plan: FetchPlan,
	out: &Path,
	progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<FetchReport, FetchError> {
	let attempt = fetch_attempt(plan, out, progress).await?;
	match attempt.error {
		None => Ok(attempt.report),
		Some(e) => Err(e),
	}
}

/// Like [`fetch`], but a download that stops short still returns what each
/// source delivered and the receipts signed for it.
pub async fn fetch_attempt(
	plan: FetchPlan,
	out: &Path,
	progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<Attempt, FetchError> {
	if plan.sources.is_empty() {
		return Err(FetchError::NoSources);
	}
	let file = open_output(out, plan.manifest.size)?;
	let done = verify_existing(&file, &plan.manifest);
	let resumed_chunks = done.iter().filter(|d| **d).count() as u32;
	for (i, _) in done.iter().enumerate().filter(|(_, d)| **d) {
		progress(plan.manifest.chunk_len(i as u32).unwrap_or(0) as u64);
	}
	let queue = done.iter().enumerate().filter(|(_, d)| !**d).map(|(i, _)| (i as u32, 0)).collect();
	let workers = plan.sources.len() * plan.per_source.max(1);
	let shared = Arc::new(Shared {
		sources: plan.sources.iter().map(|s| Mutex::new(SourceState::new(&s.url))).collect(),
		plan,
		queue: Mutex::new(queue),
		file,
		path: out.to_path_buf(),
		progress: Box::new(progress),
		failed: Mutex::new(None),
		client: chunk_client(),
	});
	let tasks: Vec<_> = (0..workers).map(|w| tokio::spawn(worker(shared.clone(), w))).collect();
	for t in tasks {
		let _ = t.await;
	}
	send_final_receipts(&shared).await;
	let io = |source| FetchError::Io { path: shared.path.clone(), source };
	shared.file.sync_all().map_err(io)?;
	let report = FetchReport {
		path: shared.path.clone(),
		bytes: shared.plan.manifest.size,
		resumed_chunks,
		sources: (0..shared.sources.len()).map(|i| shared.source(i).report.clone()).collect(),
	};
	let error = shared.failed.lock().expect("lock").take();
	Ok(Attempt { report, error })
}

/// The edges hold receipts only up to the request before each one's last
/// chunk: send every source its final receipt.
async fn send_final_receipts(shared: &Shared) {
	for src in 0..shared.sources.len() {
		if let Err(e) = final_receipt(shared, src).await {
			let url = &shared.plan.sources[src].url;
			tracing::warn!(source = %url, error = %e, "final receipt not delivered");
		}
	}
}

/// What [`pick`] found.
enum Pick {
	/// Use this source (its in-flight count has been taken).
	Source(usize),
	/// Live sources exist but all are at their in-flight limit: wait.
	Busy,
	/// Every source is dead or lying.
	None,
}

/// Picks a live, not fully busy source with the fewest failures, preferring
/// `hint` and avoiding `avoid` unless it is the only live one.
fn pick(shared: &Shared, hint: usize, avoid: Option<usize>) -> Pick {
	let n = shared.sources.len();
	let limit = shared.plan.per_source.max(1);
	let live: Vec<usize> =
		(0..n).map(|k| (hint + k) % n).filter(|i| !shared.source(*i).dead).collect();
	if live.is_empty() {
		return Pick::None;
	}
	let preferred: Vec<usize> = live.iter().copied().filter(|i| Some(*i) != avoid).collect();
	let candidates = if preferred.is_empty() { live } else { preferred };
	let mut best: Option<(u32, usize)> = None;
	for i in candidates {
		let s = shared.source(i);
		if s.inflight < limit && best.is_none_or(|(f, _)| s.report.failures < f) {
			best = Some((s.report.failures, i));
		}
	}
	match best {
		Some((_, i)) => {
			shared.source(i).inflight += 1;
			Pick::Source(i)
		}
		None => Pick::Busy,
	}
}

async fn worker(shared: Arc<Shared>, w: usize) {
	let n_sources = shared.sources.len();
	let mut last_failed: Option<usize> = None;
	while !shared.has_failed() {
		let Some((index, attempts)) = shared.queue.lock().expect("lock").pop_front() else {
			return;
		};
		let src = match pick(&shared, w % n_sources, last_failed) {
			Pick::Source(s) => s,
			Pick::Busy => {
				shared.queue.lock().expect("lock").push_front((index, attempts));
				tokio::time::sleep(Duration::from_millis(2)).await;
				continue;
			}
			Pick::None => return shared.fail(FetchError::NoLiveSource { index }),
		};
		let result = get_chunk(&shared, src, index).await;
		shared.source(src).inflight -= 1;
		match result {
			Ok(()) => last_failed = None,
			// The edge wants receipts for bytes still arriving on other requests:
			// not a fault, just wait for them.
			Err(ChunkFailure::NeedReceipt) => {
				shared.queue.lock().expect("lock").push_front((index, attempts));
				tokio::time::sleep(Duration::from_millis(5)).await;
			}
			Err(ChunkFailure::Failed(e)) => {
				let url = &shared.plan.sources[src].url;
				tracing::warn!(source = %url, index, error = %e, "chunk failed; failing over");
				last_failed = Some(src);
				if attempts + 1 >= (3 * n_sources as u32).max(3) {
					return shared.fail(FetchError::Exhausted { index, last: e });
				}
				shared.queue.lock().expect("lock").push_back((index, attempts + 1));
			}
		}
	}
}

/// How fetching one chunk failed.
enum ChunkFailure {
	/// 402: send a receipt first (bytes are in flight on other requests).
	NeedReceipt,
	/// Anything else: fail over.
	Failed(SourceError),
}

impl From<SourceError> for ChunkFailure {
	fn from(e: SourceError) -> Self {
		ChunkFailure::Failed(e)
	}
}

/// Sends `req` and reads a body of at most `limit` bytes within the timeout.
async fn exchange(
	shared: &Shared,
	req: hyper::Request<Empty<Bytes>>,
	limit: usize,
) -> Result<(StatusCode, Bytes), SourceError> {
	let work = async {
		let resp = shared.client.request(req).await.map_err(SourceError::Request)?;
		let status = resp.status();
		let body = Limited::new(resp.into_body(), limit).collect().await;
		Ok((status, body.map_err(SourceError::Body)?.to_bytes()))
	};
	let timeout = shared.plan.timeout;
	tokio::time::timeout(timeout, work).await.map_err(|_| SourceError::Timeout(timeout))?
}

async fn final_receipt(shared: &Shared, src: usize) -> Result<(), SourceError> {
	let plan = &shared.plan;
	let source = &plan.sources[src];
	let Some(r) = shared.source(src).report.last_receipt else { return Ok(()) };
	let signed = keys::sign_receipt(&plan.session, &plan.genesis, r);
	let req = hyper::Request::post(format!("{}/receipt", source.url.trim_end_matches('/')))
		.header(headers::TICKET, headers::value(&source.ticket))
		.header(headers::RECEIPT, headers::value(&signed))
		.body(Empty::new())
		.expect("a POST with hex headers is a valid request");
	let (status, body) = exchange(shared, req, 64 << 10).await?;
	if status != StatusCode::OK {
		return Err(SourceError::Refused { status, body: String::from_utf8_lossy(&body).into() });
	}
	Ok(())
}

/// The chunk request to source `src`, with the receipt for everything it
/// has delivered so far.
fn chunk_request(shared: &Shared, src: usize, index: u32) -> hyper::Request<Empty<Bytes>> {
	let plan = &shared.plan;
	let source = &plan.sources[src];
	let receipt = {
		let s = shared.source(src);
		(s.acked > 0).then(|| s.receipt(&source.ticket))
	};
	let url =
		format!("{}/c/{}/{}", source.url.trim_end_matches('/'), hex::encode(plan.content), index);
	let mut req = hyper::Request::get(&url).header(headers::TICKET, headers::value(&source.ticket));
	if let Some(r) = receipt {
		let signed = keys::sign_receipt(&plan.session, &plan.genesis, r);
		req = req.header(headers::RECEIPT, headers::value(&signed));
	}
	req.body(Empty::new()).expect("a GET with hex headers is a valid request")
}

/// Fetches, verifies and writes one chunk from source `src`.
async fn get_chunk(shared: &Shared, src: usize, index: u32) -> Result<(), ChunkFailure> {
	let m = &shared.plan.manifest;
	let len = m.chunk_len(index).expect("queued chunks are inside the content") as usize;
	let req = chunk_request(shared, src, index);
	let (status, body) = match exchange(shared, req, len + 64 * 1024).await {
		Ok(r) => r,
		Err(e) => {
			let mut s = shared.source(src);
			s.report.failures += 1;
			s.report.last_error = Some(e.to_string());
			return Err(e.into());
		}
	};
	if status == StatusCode::PAYMENT_REQUIRED {
		return Err(ChunkFailure::NeedReceipt);
	}
	if status != StatusCode::OK {
		let e = SourceError::Refused { status, body: String::from_utf8_lossy(&body).into() };
		let mut s = shared.source(src);
		s.report.failures += 1;
		s.report.last_error = Some(e.to_string());
		// A refused ticket will not get better: stop using this source.
		s.dead |= !e.retryable();
		return Err(e.into());
	}
	if !m.verify_chunk(index, &body) {
		let mut s = shared.source(src);
		s.report.lying = true;
		s.report.lying_chunk.get_or_insert(index);
		s.dead = true;
		return Err(SourceError::Lying.into());
	}
	let off = index as u64 * m.chunk_size as u64;
	shared
		.file
		.write_all_at(&body, off)
		.map_err(|source| SourceError::Write { path: shared.path.clone(), source })?;
	delivered(shared, src, body.len() as u64);
	(shared.progress)(body.len() as u64);
	Ok(())
}

/// Counts a verified chunk from `src`: the next receipt acknowledges it.
fn delivered(shared: &Shared, src: usize, n: u64) {
	let ticket = &shared.plan.sources[src].ticket;
	let mut s = shared.source(src);
	s.acked += n;
	s.chunks_verified += 1;
	s.report.bytes += n;
	s.report.chunks += 1;
	s.report.last_receipt = Some(s.receipt(ticket));
}

/// The `pod fetch` command's summary on stdout (JSON), for scripts: bytes
/// received per edge.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FetchSummary {
	/// Content id (hex).
	pub content: String,
	/// Bytes of the content.
	pub bytes: u64,
	/// Per edge, in schedule order.
	pub sources: Vec<SourceSummary>,
}

/// One edge in a [`FetchSummary`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceSummary {
	/// The edge's public key (hex).
	pub edge: String,
	/// Verified bytes it delivered.
	pub bytes: u64,
	/// Whether it served bytes failing their hash.
	pub lying: bool,
}

impl FetchSummary {
	/// This summary and `later`'s (a later round of the same download)
	/// together: bytes per edge added up.
	pub fn merge(mut self, later: FetchSummary) -> FetchSummary {
		for s in later.sources {
			match self.sources.iter_mut().find(|o| o.edge == s.edge) {
				Some(o) => {
					o.bytes += s.bytes;
					o.lying |= s.lying;
				}
				None => self.sources.push(s),
			}
		}
		self
	}
}

impl FetchReport {
	/// The summary of this download from `sources` (the plan's, in order).
	pub fn summary(&self, content: &ContentId, sources: &[Source]) -> FetchSummary {
		let per_edge = sources
			.iter()
			.zip(&self.sources)
			.map(|(src, r)| SourceSummary {
				edge: hex::encode(src.ticket.ticket.edge),
				bytes: r.bytes,
				lying: r.lying,
			})
			.collect();
		FetchSummary { content: hex::encode(content), bytes: self.bytes, sources: per_edge }
	}
}
