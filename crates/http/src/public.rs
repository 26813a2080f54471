//! How a service's public plane meets browsers: TLS (rustls, HTTP/2 by
//! ALPN) from a certificate and key file, and CORS.
//!
//! Web pages fetch chunks with the pod headers (`x-pod-ticket`,
//! `x-pod-receipt`), which are not CORS-safelisted: every such request is
//! preceded by a preflight `OPTIONS`, answered here before the service's
//! own routes, and the pod response headers are exposed to scripts. The
//! allowed origins default to any: content is public, and what a viewer may
//! take is decided by its grant, not by the page it runs in.

use hyper::header::{self, HeaderName, HeaderValue};
use hyper::Method;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Request headers a page may send.
const ALLOWED_HEADERS: [&str; 8] = [
	"range",
	"content-type",
	pod_wire::headers::TICKET,
	pod_wire::headers::RECEIPT,
	pod_wire::headers::CONTENT,
	pod_wire::headers::ORIGIN,
	pod_wire::headers::PROOF,
	"if-none-match",
];

/// Response headers a page's scripts may read (besides the safelisted).
const EXPOSED_HEADERS: [&str; 8] = [
	"content-range",
	"accept-ranges",
	"retry-after",
	"etag",
	pod_wire::headers::SERVED,
	pod_wire::headers::ACKED,
	pod_wire::headers::FAULT,
	pod_wire::headers::PROOF,
];

/// How long a browser may cache a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

/// A public plane's configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PlaneError {
	/// A TLS file could not be read or holds nothing usable.
	#[error("{path}: {reason}")]
	TlsFile {
		/// The configuration field.
		field: &'static str,
		/// The file.
		path: PathBuf,
		/// What is wrong with it.
		reason: String,
	},
	/// The certificate and key do not make a TLS configuration.
	#[error("the TLS certificate and key cannot be used together: {0}")]
	Tls(#[source] rustls::Error),
	/// Only one of the certificate and the key was given.
	#[error("tls_cert and tls_key go together: give both or neither")]
	HalfTls,
	/// An allowed origin is not a valid header value.
	#[error("{0:?} is not an origin (e.g. https://example.com, or *)")]
	BadOrigin(String),
}

impl PlaneError {
	/// The configuration field at fault.
	pub fn field(&self) -> &'static str {
		match self {
			PlaneError::TlsFile { field, .. } => field,
			PlaneError::Tls(_) | PlaneError::HalfTls => "tls_cert",
			PlaneError::BadOrigin(_) => "cors_origins",
		}
	}
}

/// How the public plane serves: its per-peer connection cap, TLS when it
/// has a certificate, and CORS when it allows any origin.
#[derive(Clone, Default)]
pub struct PublicPlane {
	/// Connections one peer may hold (0: no cap; see
	/// [`crate::server::serve_limited`]).
	pub per_peer: usize,
	/// TLS, when the service has a certificate.
	pub tls: Option<tokio_rustls::TlsAcceptor>,
	/// CORS, when browsers may call the service.
	pub cors: Option<CorsLayer>,
}

impl std::fmt::Debug for PublicPlane {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("PublicPlane")
			.field("per_peer", &self.per_peer)
			.field("tls", &self.tls.is_some())
			.field("cors", &self.cors.is_some())
			.finish()
	}
}

impl PublicPlane {
	/// A plain plane: `per_peer` connections per peer, no TLS, no CORS.
	pub fn plain(per_peer: usize) -> PublicPlane {
		PublicPlane { per_peer, tls: None, cors: None }
	}

	/// The plane a service's configuration asks for: TLS from `tls_cert`
	/// and `tls_key` (PEM) when both are given, CORS for `cors_origins`
	/// (`*` for any; none: no CORS).
	pub fn configured(
		per_peer: usize,
		tls_cert: Option<&Path>,
		tls_key: Option<&Path>,
		cors_origins: &[String],
	) -> Result<PublicPlane, PlaneError> {
		let tls = match (tls_cert, tls_key) {
			(Some(cert), Some(key)) => Some(tls_acceptor(cert, key)?),
			(None, None) => None,
			_ => return Err(PlaneError::HalfTls),
		};
		Ok(PublicPlane { per_peer, tls, cors: cors_layer(cors_origins)? })
	}

	/// Whether the plane serves `https`.
	pub fn scheme(&self) -> &'static str {
		if self.tls.is_some() {
			"https"
		} else {
			"http"
		}
	}
}

/// The CORS layer for `origins`: `*` allows any, otherwise the exact
/// origins listed; an empty list means no CORS at all.
pub fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>, PlaneError> {
	if origins.is_empty() {
		return Ok(None);
	}
	let allow = if origins.iter().any(|o| o == "*") {
		AllowOrigin::any()
	} else {
		let values = origins
			.iter()
			.map(|o| {
				let valid = o.starts_with("http://") || o.starts_with("https://");
				let value = HeaderValue::from_str(o.trim_end_matches('/')).ok();
				value.filter(|_| valid).ok_or_else(|| PlaneError::BadOrigin(o.clone()))
			})
			.collect::<Result<Vec<_>, _>>()?;
		AllowOrigin::list(values)
	};
	let names = |list: &[&'static str]| -> Vec<HeaderName> {
		list.iter().map(|h| HeaderName::from_static(h)).collect()
	};
	Ok(Some(
		CorsLayer::new()
			.allow_origin(allow)
			.allow_methods([Method::GET, Method::HEAD, Method::POST, Method::OPTIONS])
			.allow_headers(names(&ALLOWED_HEADERS))
			.expose_headers(
				[names(&EXPOSED_HEADERS), vec![header::CONTENT_LENGTH, header::CONTENT_TYPE]]
					.concat(),
			)
			.max_age(PREFLIGHT_MAX_AGE),
	))
}

/// A TLS acceptor for the PEM certificate chain at `cert` and the PEM
/// private key at `key`, offering HTTP/2 and HTTP/1.1 by ALPN.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, PlaneError> {
	use rustls::pki_types::pem::PemObject;
	use rustls::pki_types::{CertificateDer, PrivateKeyDer};
	let bad = |field, path: &Path, reason: String| PlaneError::TlsFile {
		field,
		path: path.to_path_buf(),
		reason,
	};
	let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
		.and_then(|certs| certs.collect::<Result<_, _>>())
		.map_err(|e| bad("tls_cert", cert, e.to_string()))?;
	if chain.is_empty() {
		return Err(bad("tls_cert", cert, "holds no PEM certificate".into()));
	}
	let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad("tls_key", key, e.to_string()))?;
	let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
	let mut config = rustls::ServerConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.map_err(PlaneError::Tls)?
		.with_no_client_auth()
		.with_single_cert(chain, key)
		.map_err(PlaneError::Tls)?;
	config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
	Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn origins_are_any_a_list_or_none() {
		assert!(cors_layer(&[]).unwrap().is_none());
		assert!(cors_layer(&["*".into()]).unwrap().is_some());
		let list = ["https://pub.example".into(), "http://127.0.0.1:8080/".into()];
		assert!(cors_layer(&list).unwrap().is_some());
		for bad in ["pub.example", "https://bad\nheader"] {
			let e = cors_layer(&[bad.to_string()]).unwrap_err();
			assert!(matches!(e, PlaneError::BadOrigin(ref o) if o == bad), "{e}");
		}
	}

	#[test]
	fn tls_needs_both_files_and_says_which_is_wrong() {
		let dir = std::env::temp_dir().join(format!("pod-http-tls-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let empty = dir.join("empty.pem");
		std::fs::write(&empty, "").unwrap();
		let e = PublicPlane::configured(0, Some(&empty), None, &[]).unwrap_err();
		assert!(matches!(e, PlaneError::HalfTls), "{e}");
		let e = PublicPlane::configured(0, Some(&empty), Some(&empty), &[]).unwrap_err();
		assert!(matches!(e, PlaneError::TlsFile { field: "tls_cert", .. }), "{e}");
		assert_eq!(e.field(), "tls_cert");
		let missing = dir.join("missing.pem");
		let e = PublicPlane::configured(0, Some(&missing), Some(&empty), &[]).unwrap_err();
		assert!(e.to_string().contains("missing.pem"), "{e}");
		let plain = PublicPlane::configured(7, None, None, &["*".into()]).unwrap();
		assert_eq!((plain.scheme(), plain.per_peer, plain.cors.is_some()), ("http", 7, true));
	}
}
