//! The serve loop: HTTP/1.1 and HTTP/2 (h2c) on one port, keep-alive, and a
//! graceful stop that lets open requests finish. Every service is reachable
//! by anyone, so a client that dribbles its request headers is cut off
//! after [`HEADER_READ_TIMEOUT`] (slowloris), and at most
//! [`MAX_CONNECTIONS`] connections are served at once (the rest wait in the
//! listen backlog).

use crate::reply::Resp;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 4096;

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
	let mut builder = Builder::new(TokioExecutor::new());
	builder
		.http1()
		.timer(hyper_util::rt::TokioTimer::new())
		.header_read_timeout(HEADER_READ_TIMEOUT);
	builder.http2().timer(hyper_util::rt::TokioTimer::new());
	let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
	tokio::pin!(shutdown);
	loop {
		// Accept only with a free slot: the kernel's backlog holds the rest.
		let slot = tokio::select! {
			s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
			_ = &mut shutdown => break,
		};
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
					drop(slot);
				});
			},
			_ = &mut shutdown => break,
		}
	}
	drop(listener);
	graceful.shutdown().await;
	Ok(())
}

/// A service's public plane and its operator's admin plane, each on its own
/// listener (who reaches the admin plane is decided by where it is bound,
/// never by a request's peer address), both until `shutdown` resolves.
pub async fn serve_planes<P, PF, A, AF>(
	(public, on_public): (TcpListener, P),
	(admin, on_admin): (TcpListener, A),
	shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
	P: Fn(SocketAddr, Request<Incoming>) -> PF + Clone + Send + Sync + 'static,
	PF: Future<Output = Resp> + Send + 'static,
	A: Fn(SocketAddr, Request<Incoming>) -> AF + Clone + Send + Sync + 'static,
	AF: Future<Output = Resp> + Send + 'static,
{
	let (tx, rx) = tokio::sync::watch::channel(false);
	let stopped = move || {
		let mut rx = rx.clone();
		async move {
			let _ = rx.wait_for(|stop| *stop).await;
		}
	};
	let both = async {
		tokio::try_join!(serve(public, stopped(), on_public), serve(admin, stopped(), on_admin))
	};
	tokio::pin!(both);
	tokio::select! {
		r = &mut both => return r.map(|_| ()),
		_ = shutdown => {},
	}
	let _ = tx.send(true);
	both.await.map(|_| ())
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

#[cfg(test)]
mod tests {
	use super::*;
	use tokio::io::{AsyncReadExt, AsyncWriteExt};

	/// A client that sends half its headers and then nothing is cut off
	/// after the header timeout instead of holding its connection forever.
	#[tokio::test(start_paused = true)]
	async fn a_client_dribbling_its_headers_is_cut_off() {
		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let addr = listener.local_addr().unwrap();
		let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
		let server = tokio::spawn(serve(
			listener,
			async {
				let _ = stopped.await;
			},
			|_, _| async { crate::reply::text(hyper::StatusCode::OK, "text/plain", "ok".into()) },
		));
		let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
		c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
		tokio::time::sleep(HEADER_READ_TIMEOUT + Duration::from_secs(1)).await;
		let mut buf = Vec::new();
		let n = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut buf))
			.await
			.expect("the server closed the connection")
			.unwrap_or(0);
		// Closed, with at most a 408 and nothing served.
		let text = String::from_utf8_lossy(&buf[..n]);
		assert!(!text.contains("200 OK"), "{text}");
		stop.send(()).unwrap();
		server.await.unwrap().unwrap();
	}
}
