//! The serve loop: HTTP/1.1 and HTTP/2 (h2c) on one port, keep-alive, and a
//! graceful stop that lets open requests finish.

use crate::reply::Resp;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Serves `handler` on `listener` until `shutdown` resolves, then stops
/// accepting and lets open connections finish.
pub async fn serve<H, F>(
	listener: TcpListener,
	shutdown: impl Future<Output = ()>,
	handler: H,
) -> std::io::Result<()>
where
	H: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
	F: Future<Output = Resp> + Send + 'static,
{
	let graceful = hyper_util::server::graceful::GracefulShutdown::new();
	let builder = Builder::new(TokioExecutor::new());
	tokio::pin!(shutdown);
	loop {
		tokio::select! {
			accepted = listener.accept() => {
				let (stream, peer) = match accepted {
					Ok(a) => a,
					Err(e) => {
						tracing::warn!(error = %e, "accept failed");
						// Out of descriptors: back off instead of spinning.
						tokio::time::sleep(std::time::Duration::from_millis(10)).await;
						continue;
					},
				};
				let _ = stream.set_nodelay(true);
				let handler = handler.clone();
				let svc = hyper::service::service_fn(move |req| {
					let fut = handler(peer, req);
					async move { Ok::<_, std::convert::Infallible>(fut.await) }
				});
				let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
				let conn = graceful.watch(conn.into_owned());
				tokio::spawn(async move {
					if let Err(e) = conn.await {
						tracing::debug!(error = %e, %peer, "connection ended");
					}
				});
			},
			_ = &mut shutdown => break,
		}
	}
	drop(listener);
	graceful.shutdown().await;
	Ok(())
}

/// Resolves on Ctrl-C or SIGTERM: the services' graceful-stop signal.
pub async fn shutdown_signal() {
	let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
		.expect("installing a SIGTERM handler");
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {},
		_ = term.recv() => {},
	}
	tracing::info!("shutting down: finishing open requests");
}
