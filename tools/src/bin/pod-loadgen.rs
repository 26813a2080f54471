//! `pod-loadgen`: an HTTP/1.1 load generator for `scripts/bench-edge.sh`.
//!
//! Opens `--connections` keep-alive connections and, for `--seconds`, has each
//! fetch chunks (or `--range`-sized byte ranges) round-robin over `--chunks`
//! chunk paths. With the signing options it sends a ticket per connection and
//! signs a cumulative receipt once per MiB received, as a real client does;
//! `scripts/bench-edge.sh` passes them for nginx too, which ignores the
//! headers, so both servers see the same requests and the load generator does
//! the same work. Prints throughput and latency percentiles as JSON.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use pod_primitives::{keys, Receipt, Ticket};
use pod_wire::hex::hex32;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
	/// `host:port` of the server.
	#[arg(long)]
	addr: String,
	/// Path prefix of the chunks: requests go to `{prefix}/{index}`.
	#[arg(long)]
	prefix: String,
	#[arg(long)]
	chunks: u32,
	#[arg(long, default_value_t = 64)]
	connections: usize,
	#[arg(long, default_value_t = 10)]
	seconds: u64,
	/// Request this many bytes of each chunk (a `Range`) instead of all of it.
	#[arg(long)]
	range: Option<u64>,
	/// Sign tickets and receipts (for an edge): reporter seed, edge public key,
	/// content id and genesis, all hex.
	#[arg(long)]
	reporter_seed: Option<String>,
	#[arg(long)]
	edge: Option<String>,
	#[arg(long)]
	content: Option<String>,
	#[arg(long)]
	genesis: Option<String>,
}

struct Signer {
	reporter: keys::Keypair,
	client: keys::Keypair,
	edge: [u8; 32],
	content: [u8; 32],
	genesis: [u8; 32],
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<()> {
	let a = Args::parse();
	let signer = match (&a.reporter_seed, &a.edge, &a.content, &a.genesis) {
		(Some(r), Some(e), Some(c), Some(g)) => Some(std::sync::Arc::new(Signer {
			reporter: keys::keypair_from_seed(&hex32("reporter seed", r)?),
			client: keys::keypair_from_seed(&[42; 32]),
			edge: hex32("edge", e)?,
			content: hex32("content", c)?,
			genesis: hex32("genesis", g)?,
		})),
		(None, None, None, None) => None,
		_ => bail!("--reporter-seed, --edge, --content and --genesis go together"),
	};
	let deadline = Instant::now() + Duration::from_secs(a.seconds);
	let mut tasks = Vec::new();
	for c in 0..a.connections {
		let (addr, prefix, signer) = (a.addr.clone(), a.prefix.clone(), signer.clone());
		let (chunks, range) = (a.chunks, a.range);
		tasks.push(tokio::spawn(async move {
			connection(c, addr, prefix, chunks, range, signer, deadline).await
		}));
	}
	let mut lat = Vec::new();
	let (mut bytes, mut errors) = (0u64, 0u64);
	for t in tasks {
		let (l, b, e) = t.await?.context("connection")?;
		lat.extend(l);
		bytes += b;
		errors += e;
	}
	lat.sort_unstable();
	let pct = |p: f64| {
		lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
			.copied()
			.unwrap_or(0)
	};
	let secs = a.seconds as f64;
	println!(
		"{}",
		serde_json::json!({
			"requests": lat.len(), "errors": errors, "bytes": bytes,
			"mib_per_s": bytes as f64 / secs / (1 << 20) as f64,
			"req_per_s": lat.len() as f64 / secs,
			"p50_us": pct(0.50), "p99_us": pct(0.99),
		})
	);
	if errors > 0 {
		bail!("{errors} requests failed");
	}
	Ok(())
}

async fn connection(
	c: usize,
	addr: String,
	prefix: String,
	chunks: u32,
	range: Option<u64>,
	signer: Option<std::sync::Arc<Signer>>,
	deadline: Instant,
) -> Result<(Vec<u64>, u64, u64)> {
	let stream = tokio::net::TcpStream::connect(&addr)
		.await
		.with_context(|| format!("connecting {addr}"))?;
	stream.set_nodelay(true)?;
	let (mut send, conn) = http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)).await?;
	tokio::spawn(conn);
	let ticket = signer.as_ref().map(|s| {
		let expires_at = pod_wire::clock::now_ms() + 3_600_000;
		let ticket_id = Ticket::id(expires_at, (c as u64).to_be_bytes());
		let t = Ticket {
			ticket_id,
			reporter: s.reporter.public.to_bytes(),
			edge: s.edge,
			client: s.client.public.to_bytes(),
			content: s.content,
			max_bytes: u64::MAX / 2,
			window: 0,
			expires_at,
			grant: None,
		};
		(ticket_id, pod_wire::headers::value(&keys::sign_ticket(&s.reporter, &s.genesis, t)))
	});
	let (mut lat, mut received, mut errors) = (Vec::new(), 0u64, 0u64);
	// Like a real client, sign a receipt once per MiB received (the edge's
	// credit window is larger), not on every small range.
	let mut acked = 0u64;
	let mut i = c as u32;
	while Instant::now() < deadline {
		let mut req = hyper::Request::get(format!("{prefix}/{}", i % chunks)).header("host", &addr);
		if let Some(r) = range {
			let start = (i as u64 * 4096) % 65_536;
			req = req.header("range", format!("bytes={}-{}", start, start + r - 1));
		}
		if let (Some(s), Some((ticket_id, t))) = (&signer, &ticket) {
			req = req.header(pod_wire::headers::TICKET, t);
			if received > 0 && received - acked >= 1 << 20 {
				acked = received;
				let r =
					Receipt { ticket_id: *ticket_id, bytes_total: received, chunks_verified: 0 };
				let r = keys::sign_receipt(&s.client, &s.genesis, r);
				req = req.header(pod_wire::headers::RECEIPT, pod_wire::headers::value(&r));
			}
		}
		let t0 = Instant::now();
		let resp = send.send_request(req.body(Empty::new())?).await?;
		let ok = resp.status().is_success();
		let body = resp.into_body().collect().await?.to_bytes();
		lat.push(t0.elapsed().as_micros() as u64);
		if ok {
			received += body.len() as u64;
		} else {
			errors += 1;
			if errors == 1 {
				eprintln!("connection {c}: {}", String::from_utf8_lossy(&body));
			}
		}
		i = i.wrapping_add(1);
	}
	Ok((lat, received, errors))
}
