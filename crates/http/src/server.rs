//! The serve loop: HTTP/1.1 and HTTP/2 (h2c) on one port, keep-alive, and a
//! graceful stop that lets open requests finish. Every service is reachable
//! by anyone, so a client that dribbles its request headers is cut off
//! after [`HEADER_READ_TIMEOUT`] (slowloris), at most [`MAX_CONNECTIONS`]
//! connections are served at once (the rest wait in the listen backlog),
//! and one peer — an IPv4 address or an IPv6 /64 — holds at most
//! [`MAX_CONNECTIONS_PER_PEER`] of them (the rest are closed at once), so a
//! single attacker cannot take every slot from everyone else.

use crate::public::PublicPlane;
use crate::reply::Resp;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 4096;
/// Connections one peer (an IPv4 address, an IPv6 /64) may hold at once.
pub const MAX_CONNECTIONS_PER_PEER: usize = 256;

/// Who a connection counts against: its IPv4 address, or its IPv6 /64 (one
/// host's usual allocation).
fn peer_of(ip: IpAddr) -> IpAddr {
	let IpAddr::V6(v6) = ip else { return ip };
	if let Some(v4) = v6.to_ipv4_mapped() {
		return v4.into();
	}
	let s = v6.segments();
	Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0).into()
}

/// Connections held per peer; a [`PeerSlot`] gives its place back on drop.
#[derive(Debug, Default, Clone)]
struct PerPeer(Arc<std::sync::Mutex<HashMap<IpAddr, usize>>>);

/// One connection's place in its peer's count.
struct PeerSlot(PerPeer, IpAddr);

impl PerPeer {
	/// A place for one more connection from `ip`, unless its peer holds
	/// `max` already.
	fn admit(&self, ip: IpAddr, max: usize) -> Option<PeerSlot> {
		let peer = peer_of(ip);
		let mut m = self.0.lock().expect("per-peer counts");
		let n = m.entry(peer).or_default();
		if *n >= max {
			return None;
		}
		*n += 1;
		Some(PeerSlot(self.clone(), peer))
	}
}

impl Drop for PeerSlot {
	fn drop(&mut self) {
		let mut m = (self.0).0.lock().expect("per-peer counts");
		if let Some(n) = m.get_mut(&self.1) {
			*n -= 1;
			if *n == 0 {
				m.remove(&self.1);
			}
		}
	}
}

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
	serve_limited(listener, PublicPlane::plain(MAX_CONNECTIONS_PER_PEER), shutdown, handler).await
}

/// [`serve`] as `plane` says: at most `plane.per_peer` connections per
/// peer (0: no per-peer cap — behind a reverse proxy on the same host every
/// client is one peer, and the proxy limits them itself), TLS and CORS when
/// it has them.
pub async fn serve_limited<H, F>(
	listener: TcpListener,
	plane: PublicPlane,
	shutdown: impl Future<Output = ()>,
	handler: H,
) -> std::io::Result<()>
where
	H: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
	F: Future<Output = Resp> + Send + 'static,
{
	let per_peer_cap = if plane.per_peer == 0 { usize::MAX } else { plane.per_peer };
	let graceful = hyper_util::server::graceful::GracefulShutdown::new();
	let mut builder = Builder::new(TokioExecutor::new());
	builder
		.http1()
		.timer(hyper_util::rt::TokioTimer::new())
		.header_read_timeout(HEADER_READ_TIMEOUT);
	builder.http2().timer(hyper_util::rt::TokioTimer::new());
	let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
	let per_peer_counts = PerPeer::default();
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
				let Some(peer_slot) = per_peer_counts.admit(peer.ip(), per_peer_cap) else {
					tracing::debug!(%peer, "too many connections from this peer; closed");
					continue;
				};
				let _ = stream.set_nodelay(true);
				let conn = Connection {
					peer,
					plane: plane.clone(),
					builder: builder.clone(),
					watcher: graceful.watcher(),
				};
				let handler = handler.clone();
				tokio::spawn(async move {
					conn.serve(stream, handler).await;
					drop((slot, peer_slot));
				});
			},
			_ = &mut shutdown => break,
		}
	}
	drop(listener);
	graceful.shutdown().await;
	Ok(())
}

/// One accepted connection, and what it is served with.
struct Connection {
	peer: SocketAddr,
	plane: PublicPlane,
	builder: Builder<TokioExecutor>,
	watcher: hyper_util::server::graceful::Watcher,
}

impl Connection {
	/// The TLS handshake (within the header timeout: a client that
	/// dribbles its hello is cut off like one that dribbles its headers),
	/// then HTTP until the connection ends.
	async fn serve<H, F>(self, stream: tokio::net::TcpStream, handler: H)
	where
		H: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
		F: Future<Output = Resp> + Send + 'static,
	{
		let peer = self.peer;
		let Some(acceptor) = self.plane.tls.clone() else {
			return self.http(TokioIo::new(stream), handler).await;
		};
		match tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream)).await {
			Ok(Ok(tls)) => self.http(TokioIo::new(tls), handler).await,
			Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake failed"),
			Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
		}
	}

	/// HTTP/1.1 or HTTP/2 on `io`, each request through CORS (when the
	/// plane has it) to `handler`.
	async fn http<I, H, F>(self, io: I, handler: H)
	where
		I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
		H: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
		F: Future<Output = Resp> + Send + 'static,
	{
		let peer = self.peer;
		let routes = tower::service_fn(move |req| {
			let fut = handler(peer, req);
			async move { Ok::<_, std::convert::Infallible>(fut.await) }
		});
		let svc = tower::ServiceBuilder::new().option_layer(self.plane.cors).service(routes);
		let svc = hyper_util::service::TowerToHyperService::new(svc);
		let conn = self.builder.serve_connection_with_upgrades(io, svc).into_owned();
		if let Err(e) = self.watcher.watch(conn).await {
			tracing::debug!(error = %e, %peer, "connection ended");
		}
	}
}

/// A service's public plane (served as `plane` says, see
/// [`serve_limited`]) and its operator's admin plane, each on its own
/// listener (who reaches the admin plane is decided by where it is bound,
/// never by a request's peer address), both until `shutdown` resolves.
pub async fn serve_planes<P, PF, A, AF>(
	(public, plane, on_public): (TcpListener, PublicPlane, P),
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
		tokio::try_join!(
			serve_limited(public, plane, stopped(), on_public),
			serve(admin, stopped(), on_admin)
		)
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

	/// A server answering "ok" to everything; stopped by its sender.
	async fn ok_server(
	) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>)
	{
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
		(addr, stop, server)
	}

	/// A client that sends half its headers and then nothing is cut off
	/// after the header timeout instead of holding its connection forever.
	#[tokio::test(start_paused = true)]
	async fn a_client_dribbling_its_headers_is_cut_off() {
		let (addr, stop, server) = ok_server().await;
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

	/// A keep-alive connection that sends nothing after its answer is
	/// closed after the header timeout too, so idle connections do not
	/// hold their places.
	#[tokio::test(start_paused = true)]
	async fn an_idle_keep_alive_connection_is_closed() {
		let (addr, stop, server) = ok_server().await;
		let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
		c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
		let mut buf = vec![0; 4096];
		let n = c.read(&mut buf).await.unwrap();
		assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
		tokio::time::sleep(HEADER_READ_TIMEOUT - Duration::from_secs(1)).await;
		let early = tokio::time::timeout(Duration::from_millis(10), c.read(&mut buf)).await;
		assert!(early.is_err(), "closed before the timeout: {early:?}");
		tokio::time::sleep(Duration::from_secs(2)).await;
		let closed = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf))
			.await
			.expect("the server closed the idle connection");
		assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
		stop.send(()).unwrap();
		server.await.unwrap().unwrap();
	}

	/// One peer gets at most its share of connections; another peer is
	/// still admitted; a closed connection gives its place back. IPv6
	/// counts per /64, an IPv4-mapped address as the IPv4 one.
	#[test]
	fn one_peer_holds_at_most_its_share() {
		let p = PerPeer::default();
		let a: IpAddr = "192.0.2.1".parse().unwrap();
		let mut held: Vec<_> = (0..3).map(|_| p.admit(a, 3).expect("under the cap")).collect();
		assert!(p.admit(a, 3).is_none(), "a fourth from the same address");
		let other = p.admit("192.0.2.2".parse().unwrap(), 3);
		assert!(other.is_some(), "another address");
		held.pop();
		held.push(p.admit(a, 3).expect("a place was given back"));
		assert!(p.admit(a, 3).is_none());
		let v6 = |s: &str| peer_of(s.parse().unwrap());
		assert_eq!(v6("2001:db8:1:2:aaaa::1"), v6("2001:db8:1:2:bbbb::9"));
		assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
		assert_eq!(v6("::ffff:192.0.2.1"), a);
		drop(held);
		assert_eq!(p.0.lock().unwrap().len(), 1, "only the other address still holds a place");
		drop(other);
		assert!(p.0.lock().unwrap().is_empty(), "no entry outlives its last connection");
	}
}
