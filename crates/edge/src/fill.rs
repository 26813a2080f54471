//! Filling cache misses: from peer edges first, then the customer's origin;
//! every chunk is verified against the manifest before it is stored or
//! served; concurrent misses for one chunk share one fetch.

use crate::cache::{ChunkKey, ChunkStore};
use crate::metrics::{FillSource, Metrics, SourceLabel};
use bytes::Bytes;
use futures::future::{BoxFuture, FutureExt, Shared};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::{header, StatusCode};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use pod_primitives::{ContentId, Manifest};
use pod_wire::{Fault, Side};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a fill failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
	/// Not held with an origin, and no peer had it.
	#[error("no origin is known for content {0}")]
	NoOrigin(String),
	/// The origin answered with an error status.
	#[error("origin {url} answered {status}")]
	OriginStatus {
		/// The origin.
		url: String,
		/// Its status.
		status: u16,
	},
	/// The origin ignores byte ranges.
	#[error(
		"origin {url} ignored the byte range (answered 200); refusing to pull the whole object"
	)]
	OriginNoRanges {
		/// The origin.
		url: String,
	},
	/// The origin could not be reached, or its body broke off.
	#[error("origin {url} unreachable: {reason}")]
	OriginUnreachable {
		/// The origin.
		url: String,
		/// What went wrong.
		reason: String,
	},
	/// The origin did not answer in time.
	#[error("origin {url} timed out")]
	Timeout {
		/// The origin.
		url: String,
	},
	/// Every source's bytes failed the chunk hash.
	#[error("every source served bytes that fail the chunk hash")]
	AllSourcesFaulty,
	/// The origin is at an address this edge does not fetch from.
	#[error("origin {url} refused: {reason}")]
	OriginForbidden {
		/// The origin.
		url: String,
		/// Why.
		reason: String,
	},
	/// The index is past the end of the content.
	#[error("chunk index {index} is past the end of the content")]
	NoSuchChunk {
		/// The index asked for.
		index: u32,
	},
}

impl Fault for FillError {
	fn side(&self) -> Side {
		match self {
			FillError::NoOrigin(_) | FillError::NoSuchChunk { .. } => Side::Internal,
			_ => Side::Upstream,
		}
	}

	fn retryable(&self) -> bool {
		!matches!(
			self,
			FillError::NoSuchChunk { .. }
				| FillError::OriginNoRanges { .. }
				| FillError::OriginForbidden { .. }
		)
	}
}

/// An error with its sources, `a: b: c` (a connection error's own message
/// says only "client error (Connect)").
fn chain(e: &dyn std::error::Error) -> String {
	let mut s = e.to_string();
	let mut next = e.source();
	while let Some(inner) = next {
		s.push_str(": ");
		s.push_str(&inner.to_string());
		next = inner.source();
	}
	s
}

/// A source of chunks among peer edges (libp2p request-response).
pub trait PeerSource: Send + Sync + 'static {
	/// Asks peers for a chunk; `None` when no peer has it.
	fn fetch(&self, content: ContentId, index: u32) -> BoxFuture<'static, Option<Bytes>>;
}

/// No peers (single edge, tests).
#[derive(Debug, Default)]
pub struct NoPeers;

impl PeerSource for NoPeers {
	fn fetch(&self, _: ContentId, _: u32) -> BoxFuture<'static, Option<Bytes>> {
		futures::future::ready(None).boxed()
	}
}

type FillFuture = Shared<BoxFuture<'static, Result<Bytes, FillError>>>;

/// The connector origins are fetched through: `http://` or `https://`
/// (rustls, the system's roots plus any the operator adds), public
/// addresses only unless the operator allows private ones.
type OriginConnector =
	hyper_rustls::HttpsConnector<HttpConnector<pod_http::addresses::PublicResolver>>;

/// The filler.
pub struct Filler {
	client: Client<OriginConnector, Empty<Bytes>>,
	allow_private: bool,
	store: Arc<ChunkStore>,
	metrics: Arc<Metrics>,
	peers: std::sync::RwLock<Arc<dyn PeerSource>>,
	inflight: Mutex<HashMap<ChunkKey, FillFuture>>,
	timeout: Duration,
}

impl std::fmt::Debug for Filler {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Filler").field("timeout", &self.timeout).finish()
	}
}

impl Filler {
	/// A filler storing into `store`, fetching from public origins only
	/// unless `allow_private` (see [`crate::origin`]), `https://` ones with
	/// `tls`.
	pub fn new(
		store: Arc<ChunkStore>,
		metrics: Arc<Metrics>,
		peers: Arc<dyn PeerSource>,
		allow_private: bool,
		tls: rustls::ClientConfig,
	) -> Self {
		let resolver =
			pod_http::addresses::PublicResolver::new(allow_private, "allow_private_origins");
		let mut connector = HttpConnector::new_with_resolver(resolver);
		connector.set_nodelay(true);
		connector.set_connect_timeout(Some(Duration::from_secs(5)));
		connector.enforce_http(false);
		let connector = hyper_rustls::HttpsConnectorBuilder::new()
			.with_tls_config(tls)
			.https_or_http()
			.enable_http1()
			.wrap_connector(connector);
		Filler {
			client: Client::builder(TokioExecutor::new()).build(connector),
			allow_private,
			store,
			metrics,
			peers: std::sync::RwLock::new(peers),
			inflight: Mutex::new(HashMap::new()),
			timeout: Duration::from_secs(30),
		}
	}

	/// Replaces the peer source (once the libp2p swarm is up).
	pub fn set_peers(&self, peers: Arc<dyn PeerSource>) {
		*self.peers.write().expect("peers lock") = peers;
	}

	/// Returns chunk `index` of `content`, filling and storing it on a miss.
	/// Concurrent calls for one chunk share one fetch.
	pub async fn chunk(
		self: &Arc<Self>,
		content: ContentId,
		manifest: Arc<Manifest>,
		origin: Option<String>,
		index: u32,
	) -> Result<Bytes, FillError> {
		let key = (content, index);
		let hash = *manifest.chunks.get(index as usize).ok_or(FillError::NoSuchChunk { index })?;
		match self.store.get(&key, &hash) {
			Ok(Some(b)) => {
				self.metrics.hits.inc();
				return Ok(b);
			}
			Ok(None) => {}
			// A corrupt cached chunk was deleted: fill it again.
			Err(e) => tracing::warn!(error = %e, "cached chunk dropped"),
		}
		self.metrics.misses.inc();
		let fut = {
			let mut inflight = self.inflight.lock().expect("inflight lock");
			if let Some(f) = inflight.get(&key) {
				self.metrics.collapsed_fills.inc();
				f.clone()
			} else {
				let this = self.clone();
				let f = async move {
					let r = this.fetch_verified(content, &manifest, origin, index).await;
					this.inflight.lock().expect("inflight lock").remove(&(content, index));
					r
				}
				.boxed()
				.shared();
				inflight.insert(key, f.clone());
				f
			}
		};
		fut.await
	}

	async fn fetch_verified(
		&self,
		content: ContentId,
		manifest: &Manifest,
		origin: Option<String>,
		index: u32,
	) -> Result<Bytes, FillError> {
		let hash = manifest.chunks[index as usize];
		let mut faulty = false;
		let peers = self.peers.read().expect("peers lock").clone();
		if let Some(b) = peers.fetch(content, index).await {
			if manifest.verify_chunk(index, &b) {
				return self.keep(content, index, &hash, b, FillSource::Peer);
			}
			faulty = true;
			self.metrics
				.faulty_sources
				.get_or_create(&SourceLabel { source: FillSource::Peer })
				.inc();
			tracing::warn!(content = %hex::encode(content), index, "peer served a chunk that fails its hash");
		}
		let Some(url) = origin else {
			return Err(if faulty {
				FillError::AllSourcesFaulty
			} else {
				FillError::NoOrigin(hex::encode(content))
			});
		};
		let len = manifest.chunk_len(index).ok_or(FillError::NoSuchChunk { index })? as u64;
		let start = index as u64 * manifest.chunk_size as u64;
		let b = self.fetch_origin(&url, start, len).await?;
		if !manifest.verify_chunk(index, &b) {
			self.metrics
				.faulty_sources
				.get_or_create(&SourceLabel { source: FillSource::Origin })
				.inc();
			tracing::warn!(%url, index, "origin served a chunk that fails its hash");
			return Err(FillError::AllSourcesFaulty);
		}
		self.keep(content, index, &hash, b, FillSource::Origin)
	}

	fn keep(
		&self,
		content: ContentId,
		index: u32,
		hash: &[u8; 32],
		b: Bytes,
		source: FillSource,
	) -> Result<Bytes, FillError> {
		let label = SourceLabel { source };
		self.metrics.fills.get_or_create(&label).inc();
		self.metrics.fill_bytes.get_or_create(&label).inc_by(b.len() as u64);
		match self.store.put((content, index), &b, hash) {
			Ok(()) => {}
			// Serving still works when the disk refuses (full, quota): the bytes are verified.
			Err(e) => tracing::warn!(error = %e, "filled chunk not cached"),
		}
		Ok(b)
	}

	async fn fetch_origin(&self, url: &str, start: u64, len: u64) -> Result<Bytes, FillError> {
		let uri: hyper::Uri = url.parse().map_err(|e: hyper::http::uri::InvalidUri| {
			FillError::OriginUnreachable { url: url.into(), reason: e.to_string() }
		})?;
		// A literal IP never reaches the resolver: check it here.
		if let Some(ip) = pod_http::addresses::literal_ip(&uri) {
			if !self.allow_private && !pod_http::addresses::is_public(ip) {
				let reason = pod_http::addresses::refusal(&ip.to_string(), "allow_private_origins");
				return Err(FillError::OriginForbidden { url: url.into(), reason });
			}
		}
		let req = hyper::Request::get(uri)
			.header(header::RANGE, format!("bytes={}-{}", start, start + len - 1))
			.body(Empty::new())
			.expect("a GET with a range header is a valid request");
		let unreachable = |e: &dyn std::fmt::Display| FillError::OriginUnreachable {
			url: url.into(),
			reason: e.to_string(),
		};
		let work = async {
			let resp = self.client.request(req).await.map_err(|e| unreachable(&chain(&e)))?;
			match resp.status() {
				StatusCode::PARTIAL_CONTENT => {}
				StatusCode::OK => return Err(FillError::OriginNoRanges { url: url.into() }),
				s => return Err(FillError::OriginStatus { url: url.into(), status: s.as_u16() }),
			}
			let body = Limited::new(resp.into_body(), len as usize + 1);
			let bytes = body.collect().await.map_err(|e| unreachable(&*e))?.to_bytes();
			Ok(bytes)
		};
		tokio::time::timeout(self.timeout, work)
			.await
			.map_err(|_| FillError::Timeout { url: url.into() })?
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn filler(dir: &std::path::Path, allow_private: bool) -> Arc<Filler> {
		let store = Arc::new(ChunkStore::open(dir, 1 << 30, 0).unwrap());
		let tls = pod_http::client_tls(vec![]);
		Arc::new(Filler::new(store, Arc::default(), Arc::new(NoPeers), allow_private, tls))
	}

	/// Without `allow_private_origins`, an origin on loopback is never
	/// contacted, whether named by its IP or by a name that resolves to it;
	/// the refusal is final (no retry can help).
	#[tokio::test]
	async fn private_origins_are_refused_unless_allowed() {
		let dir = tempfile::tempdir().unwrap();
		let m = Arc::new(Manifest::of_bytes(&[1u8; 100], 64));
		let f = filler(dir.path(), false);
		for origin in ["http://127.0.0.1:9/x", "http://[::1]:9/x", "http://10.0.0.1:9/x"] {
			let e = f.chunk([1; 32], m.clone(), Some(origin.into()), 0).await.unwrap_err();
			assert!(matches!(e, FillError::OriginForbidden { .. }), "{origin}: {e}");
			assert!(!e.retryable());
		}
		let e = f.chunk([1; 32], m.clone(), Some("http://localhost:9/x".into()), 0).await;
		let e = e.unwrap_err().to_string();
		assert!(e.contains("private, loopback or link-local"), "{e}");
		// Allowed: the edge tries (and here finds nothing listening).
		let f = filler(dir.path(), true);
		let e = f.chunk([1; 32], m, Some("http://127.0.0.1:9/x".into()), 0).await.unwrap_err();
		assert!(matches!(e, FillError::OriginUnreachable { .. }), "{e}");
	}
}
