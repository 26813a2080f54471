//! `pod-settle-bench`: how many two-signed attestations a PoD chain settles
//! (finalized) per second, next to how many the same machine can merely
//! verify (two sr25519 checks each) on one core.
//!
//! The edges are synthetic: their keys come from `bench_seed(i)`;
//! `--print-keys` lists them so `scripts/bench-settlement.sh` can register
//! them in the chain's genesis (registering thousands by calls takes minutes). For
//! every edge and each of the last `--windows` closed windows, one attestation
//! of `--bytes` for `--content`, co-signed by the dev reporter, is submitted
//! in `submit_attestations` batches, `--inflight` batches at a time, each
//! watched until finalized.
//!
//! With `--flood R`, the windows are settled in two halves, side by side in
//! one run: the first alone, the second while `R` forged batches a second
//! hit the pool (`--flood-batch` attestations each, for a closed window
//! nobody settles, each with one bit of one reporter signature flipped, so
//! every storage check passes and the whole batch's signatures are
//! verified before it is refused: the most a forgery can cost a
//! validator). The forgeries come on their own RPC connection, as a
//! stranger's would: a node run with `--rpc-rate-limit N` holds that
//! connection to `N` calls a minute (the excess waits, then is refused);
//! `--flood-from` picks the address it comes from, so a node that exempts
//! its own edges' address (`--rpc-rate-limit-whitelisted-ips`) limits the
//! spammer alone.
//! It prints both halves' settlement and block rates and what became of
//! the forgeries.

use anyhow::Result;
use clap::Parser;
use pod_chain::Chain;
use pod_primitives::{
	attestation_signatures, dev::REPORTER_SEED, keys, Attestation, AttestationPayload, DomainTag,
	Entry, MAX_BATCH,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
	name = "pod-settle-bench",
	about = "Attestations finalized per second vs raw verification"
)]
struct Args {
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	chain: String,
	/// Synthetic edges registered on chain (keys from their index).
	#[arg(long)]
	edges: u32,
	/// Print, for each of the `--edges` synthetic edges, its public key (hex)
	/// and its owner's account (SS58: the account of the same key, so every
	/// edge has its own owner, as home users do), one edge per line, and exit.
	#[arg(long)]
	print_keys: bool,
	/// Registered content id (hex) the attestations pay for.
	#[arg(long, default_value = "")]
	content: String,
	#[arg(long, default_value_t = 1 << 20)]
	bytes: u64,
	/// The content's price per GiB as registered (to count settlements from
	/// the escrow they took).
	#[arg(long, default_value_t = 1_000_000_000_000)]
	price: u128,
	/// Closed windows to attest for each edge (at most the chain's age limit).
	#[arg(long, default_value_t = 4)]
	windows: u32,
	/// Attestations per extrinsic.
	#[arg(long, default_value_t = MAX_BATCH as usize)]
	batch: usize,
	/// Extrinsics submitted and not yet in a block, at most.
	#[arg(long, default_value_t = 24)]
	inflight: usize,
	/// Forged batches per second sent at the pool while the second half of
	/// the windows settles (0: no flood, one phase).
	#[arg(long, default_value_t = 0.0)]
	flood: f64,
	/// Attestations per forged batch.
	#[arg(long, default_value_t = MAX_BATCH as usize)]
	flood_batch: usize,
	/// The local address the spammer connects from (e.g. 127.0.0.2, so a
	/// node that rate-limits all but 127.0.0.1 limits it); default: any.
	#[arg(long)]
	flood_from: Option<std::net::IpAddr>,
}

/// The seed of synthetic edge `i` (shared with the setup script).
fn bench_seed(i: u32) -> [u8; 32] {
	let s = format!("{:<32}", format!("pod-bench-edge-{i}"));
	s.as_bytes().try_into().expect("32 bytes")
}

/// Attestations verified per second on one core (two sr25519 signatures
/// each): one signature at a time, and as the pallet does for a batch, in
/// `MAX_BATCH`-attestation batch verifications (pod-crypto, no cache).
fn verify_rates(genesis: &[u8; 32], content: [u8; 32]) -> (f64, f64) {
	use codec::Encode;
	let edge = keys::keypair_from_seed(&bench_seed(0));
	let reporter = keys::keypair_from_seed(&REPORTER_SEED);
	let atts: Vec<Attestation> =
		(0..256).map(|w| attestation(&edge, &reporter, genesis, content, w, 1 << 20)).collect();
	let start = Instant::now();
	let mut n = 0u64;
	while start.elapsed() < Duration::from_secs(3) {
		for a in &atts {
			let p = &a.payload;
			let ok = keys::verify(&p.edge, &a.edge_signature, DomainTag::Attestation, genesis, p)
				&& keys::verify(
					&a.reporter,
					&a.reporter_signature,
					DomainTag::Attestation,
					genesis,
					p,
				);
			assert!(ok, "bench attestations verify");
			n += 1;
		}
	}
	let single = n as f64 / start.elapsed().as_secs_f64();

	let batches: Vec<Vec<u8>> = atts
		.chunks(MAX_BATCH as usize)
		.map(|chunk| attestation_signatures(chunk, genesis).encode())
		.collect();
	let start = Instant::now();
	let mut n = 0u64;
	while start.elapsed() < Duration::from_secs(3) {
		for b in &batches {
			assert!(pod_crypto::verify_encoded(None, b), "bench batches verify");
		}
		n += atts.len() as u64;
	}
	(single, n as f64 / start.elapsed().as_secs_f64())
}

/// Attestations finalized per second between the moment 10% of them were
/// finalized and the moment 90% were: the rate once the pipeline is full,
/// without the wait for the first block and the finality lag after the last.
/// `finals` holds each batch's finality time and size.
fn sustained_rate(mut finals: Vec<(Instant, usize)>) -> Option<f64> {
	finals.sort_by_key(|f| f.0);
	let total: usize = finals.iter().map(|f| f.1).sum();
	let (low, high) = (total / 10, total * 9 / 10);
	let (mut done, mut from, mut to) = (0, None, None);
	for (at, n) in finals {
		done += n;
		if from.is_none() && done >= low {
			from = Some((at, done));
		}
		if done >= high {
			to = Some((at, done));
			break;
		}
	}
	let ((t0, n0), (t1, n1)) = (from?, to?);
	let secs = (t1 - t0).as_secs_f64();
	(secs > 0.0).then(|| (n1 - n0) as f64 / secs)
}

fn attestation(
	edge: &keys::Keypair,
	reporter: &keys::Keypair,
	genesis: &[u8; 32],
	content: [u8; 32],
	window: u32,
	bytes: u64,
) -> Attestation {
	let payload = AttestationPayload {
		edge: edge.public.to_bytes(),
		window,
		part: 0,
		entries: vec![Entry { content, bytes }].try_into().expect("one entry"),
		receipts_root: [window as u8; 32],
		receipt_count: 1,
	};
	let edge_signature = keys::sign(edge, DomainTag::Attestation, genesis, &payload);
	let reporter_signature = keys::sign(reporter, DomainTag::Attestation, genesis, &payload);
	Attestation {
		payload,
		edge_signature,
		reporter: reporter.public.to_bytes(),
		reporter_signature,
	}
}

#[tokio::main]
async fn main() -> Result<()> {
	let args = Args::parse();
	if args.print_keys {
		for i in 0..args.edges {
			let key = keys::keypair_from_seed(&bench_seed(i)).public.to_bytes();
			println!("{} {}", hex::encode(key), subxt::utils::AccountId32(key));
		}
		return Ok(());
	}
	let content = pod_wire::hex::hex32("--content", &args.content)?;
	let chain = Chain::connect(&args.chain).await?;
	let genesis = chain.genesis();
	let (verify, batched) =
		tokio::task::spawn_blocking(move || verify_rates(&genesis, content)).await?;
	println!("raw verification, one core: {verify:.0} attestations/s (2 sr25519 checks each)");
	println!(
		"raw batch verification ({} per batch, as the pallet does), one core: {batched:.0} \
		 attestations/s ({:.2}×)",
		MAX_BATCH,
		batched / verify
	);
	let windows = closed_windows(&chain, &args).await?;
	if args.flood > 0.0 {
		return flood_run(&chain, &args, &windows, genesis, content, batched).await;
	}
	let (rate, _) = phase(&chain, &args, &windows, genesis, content).await?;
	println!("ratio finalized/verifiable: {:.3}", rate / verify);
	println!("ratio finalized/batch-verifiable: {:.3}", rate / batched);
	Ok(())
}

/// Settles one attestation per edge for each of `windows`; returns the
/// finalized rate (attestations/s) and finalized blocks per second while
/// it ran.
async fn phase(
	chain: &Chain,
	args: &Args,
	windows: &[u32],
	genesis: [u8; 32],
	content: [u8; 32],
) -> Result<(f64, f64)> {
	// Settling takes the customer's escrow at once (credits vest later):
	// what it took counts the settlements.
	let owner = chain
		.content(&content)
		.await?
		.ok_or_else(|| anyhow::anyhow!("content {} is not registered", hex::encode(content)))?
		.owner;
	let escrow_before = chain.escrow(&owner).await?;
	let atts = sign_all(args, windows, genesis, content);
	let n_atts = atts.len();
	let (block0, start) = (chain.finalized_number().await?, Instant::now());
	let outcome = submit_all(chain, args, atts).await?;
	let blocks = (chain.finalized_number().await? - block0) as f64 / start.elapsed().as_secs_f64();
	let taken = escrow_before - chain.escrow(&owner).await?;
	let rate = report(chain, args, &outcome, start, taken, n_atts).await;
	println!("finalized blocks while it ran: {blocks:.3}/s");
	Ok((rate, blocks))
}

/// The two halves of the windows, the second under a flood of forgeries.
async fn flood_run(
	chain: &Chain,
	args: &Args,
	windows: &[u32],
	genesis: [u8; 32],
	content: [u8; 32],
	batched: f64,
) -> Result<()> {
	anyhow::ensure!(windows.len() >= 2, "a flood run needs two closed windows or more");
	let forged_window = windows[0]
		.checked_sub(1)
		.ok_or_else(|| anyhow::anyhow!("no earlier closed window to forge for"))?;
	let (calm, stormy) = windows.split_at(windows.len() / 2);
	println!("== baseline: windows {calm:?}, no flood");
	let (rate0, blocks0) = phase(chain, args, calm, genesis, content).await?;
	println!("== windows {stormy:?} while {} forged batches/s hit the pool", args.flood);
	let forged = forgeries(args, genesis, content, forged_window);
	let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
	// The spammer's own connection, as a stranger's would be: a node's
	// `--rpc-rate-limit` counts calls per connection.
	let spammer = match args.flood_from {
		Some(local) => connect_from(&args.chain, local).await?,
		None => Chain::connect(&args.chain).await?,
	};
	let flood = tokio::spawn(flood(spammer, forged, args.flood, stop.clone()));
	let (rate1, blocks1) = phase(chain, args, stormy, genesis, content).await?;
	stop.store(true, std::sync::atomic::Ordering::Relaxed);
	let f = flood.await?;
	let per = args.flood_batch.clamp(1, MAX_BATCH as usize);
	println!(
		"forgeries: {} batches sent ({} attestations, {} signatures to verify each), {} refused by the pool as invalid, {} refused by the node's RPC rate limit, {} accepted, {} otherwise (RPC errors, timeouts)",
		f.sent,
		f.sent * per,
		2 * per,
		f.refused,
		f.rate_limited,
		f.accepted,
		f.sent - f.refused - f.rate_limited - f.accepted
	);
	let cost = (f.refused * per) as f64 / f.seconds / batched;
	println!(
		"the forgeries asked the node they were sent to (the pool does not pass invalid ones on) for {:.2} core-seconds of batch verification per second: {:.1} batches/s sent of {} attempted, {:.1} reached the pool",
		cost,
		f.sent as f64 / f.seconds,
		args.flood,
		f.refused as f64 / f.seconds
	);
	println!(
		"under flood / baseline: settlement {:.3}, finalized blocks {:.3}",
		rate1 / rate0,
		blocks1 / blocks0
	);
	anyhow::ensure!(f.accepted == 0, "a forged batch was accepted");
	Ok(())
}

/// The chain at `url` (`ws://` host and port) over a connection from the
/// local address `local`.
async fn connect_from(url: &str, local: std::net::IpAddr) -> Result<Chain> {
	use jsonrpsee::client_transport::ws::{Url, WsTransportClientBuilder};
	let parsed = Url::parse(url)?;
	let addr = tokio::net::lookup_host((
		parsed.host_str().unwrap_or("127.0.0.1"),
		parsed.port_or_known_default().unwrap_or(9944),
	))
	.await?
	.next()
	.ok_or_else(|| anyhow::anyhow!("{url} resolves to nothing"))?;
	let socket = if local.is_ipv4() {
		tokio::net::TcpSocket::new_v4()?
	} else {
		tokio::net::TcpSocket::new_v6()?
	};
	socket.bind((local, 0).into())?;
	let stream = socket.connect(addr).await?;
	let (tx, rx) = WsTransportClientBuilder::default().build_with_stream(parsed, stream).await?;
	let client = jsonrpsee::core::client::ClientBuilder::default().build_with_tokio(tx, rx);
	Ok(Chain::over(url, subxt::rpcs::RpcClient::new(client)).await?)
}

/// `--flood-batch` attestations for `window` (closed, settled by nobody),
/// correctly signed: the flood flips one bit of one of them each time.
fn forgeries(args: &Args, genesis: [u8; 32], content: [u8; 32], window: u32) -> Vec<Attestation> {
	let reporter = keys::keypair_from_seed(&REPORTER_SEED);
	let n = (args.flood_batch.clamp(1, MAX_BATCH as usize) as u32).min(args.edges);
	(0..n)
		.map(|i| {
			let edge = keys::keypair_from_seed(&bench_seed(i));
			attestation(&edge, &reporter, &genesis, content, window, args.bytes)
		})
		.collect()
}

/// What the flood came to.
struct Flood {
	sent: usize,
	refused: usize,
	rate_limited: usize,
	accepted: usize,
	seconds: f64,
}

/// Sends forged batches at `rate` a second until `stop`, each a new
/// transaction: bit `k` of the `s` half of one reporter signature flipped
/// (low bytes only, so `s` stays canonical and the whole batch verification
/// runs before it fails).
async fn flood(
	chain: Chain,
	honest: Vec<Attestation>,
	rate: f64,
	stop: Arc<std::sync::atomic::AtomicBool>,
) -> Flood {
	let start = Instant::now();
	let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
	let in_flight = Arc::new(tokio::sync::Semaphore::new(32));
	let mut tasks = Vec::new();
	let mut k = 0usize;
	while !stop.load(std::sync::atomic::Ordering::Relaxed) {
		tick.tick().await;
		let Ok(permit) = in_flight.clone().try_acquire_owned() else { continue };
		let mut batch = honest.clone();
		let (att, bit) = (k % batch.len(), (k / batch.len()) % (31 * 8));
		batch[att].reporter_signature[32 + bit / 8] ^= 1 << (bit % 8);
		k += 1;
		let chain = chain.clone();
		tasks.push(tokio::spawn(async move {
			let r = tokio::time::timeout(
				Duration::from_secs(30),
				chain.submit_attestations(&batch, |_| {}),
			)
			.await;
			drop(permit);
			r
		}));
	}
	let seconds = start.elapsed().as_secs_f64();
	let mut f = Flood { sent: tasks.len(), refused: 0, rate_limited: 0, accepted: 0, seconds };
	for t in tasks {
		match t.await {
			Ok(Ok(Ok(_))) => f.accepted += 1,
			Ok(Ok(Err(pod_chain::ChainError::Invalid(_)))) => f.refused += 1,
			Ok(Ok(Err(e))) if e.to_string().contains("rate limit") => f.rate_limited += 1,
			_ => {}
		}
	}
	f
}

/// The last `--windows` closed windows of the chain.
async fn closed_windows(chain: &Chain, args: &Args) -> Result<Vec<u32>> {
	let current = chain.current_window().await?;
	let k = args.windows.min(current).min(20);
	anyhow::ensure!(k > 0, "no closed window yet (chain at window {current})");
	let windows: Vec<u32> = (current - k..current).collect();
	println!(
		"chain at window {current}: {} edges × windows {:?} = {} attestations",
		args.edges,
		windows,
		args.edges as usize * windows.len()
	);
	Ok(windows)
}

/// Signs every attestation up front (both cores), so signing is not measured.
fn sign_all(
	args: &Args,
	windows: &[u32],
	genesis: [u8; 32],
	content: [u8; 32],
) -> Vec<Attestation> {
	let reporter = Arc::new(keys::keypair_from_seed(&REPORTER_SEED));
	let t = Instant::now();
	let threads = 2u32;
	let handles: Vec<_> = (0..threads)
		.map(|part| {
			let (reporter, windows) = (reporter.clone(), windows.to_vec());
			let (edges, bytes) = (args.edges, args.bytes);
			std::thread::spawn(move || {
				let mut out = Vec::new();
				for i in (part..edges).step_by(threads as usize) {
					let edge = keys::keypair_from_seed(&bench_seed(i));
					for w in &windows {
						out.push(attestation(&edge, &reporter, &genesis, content, *w, bytes));
					}
				}
				out
			})
		})
		.collect();
	let atts: Vec<Attestation> =
		handles.into_iter().flat_map(|h| h.join().expect("signing thread")).collect();
	println!("signed {} attestations in {:.1} s", atts.len(), t.elapsed().as_secs_f64());
	atts
}

/// One batch's outcome: its finalized block, when it entered a block, when
/// it was finalized, and its size.
type Settled = ([u8; 32], Instant, Instant, usize);

/// What the submissions came to.
struct Outcome {
	settled: Vec<Settled>,
	failed: usize,
	batches: usize,
}

/// Submits one batch, retrying what can be retried; the permit is released
/// once the batch is in a block.
async fn submit_batch(
	chain: Chain,
	b: Vec<Attestation>,
	permit: tokio::sync::OwnedSemaphorePermit,
) -> Result<Settled, pod_chain::ChainError> {
	// The permit is held until the batch is in a block, not until finality:
	// the pool then holds about `inflight` batches, which it re-validates
	// (both signatures of every attestation) after every block, while
	// finality follows on its own.
	let mut permit = Some(permit);
	let mut in_block = None;
	let mut last_err = None;
	for _ in 0..3 {
		let seen = |_| {
			drop(permit.take());
			in_block.get_or_insert_with(Instant::now);
		};
		match chain.submit_attestations(&b, seen).await {
			Ok(block) => {
				let now = Instant::now();
				return Ok((block, in_block.unwrap_or(now), now, b.len()));
			}
			Err(e) if e.retryable() => {
				last_err = Some(e);
				tokio::time::sleep(Duration::from_millis(500)).await;
			}
			Err(e) => return Err(e),
		}
	}
	Err(last_err.expect("a retry happened"))
}

/// Submits every batch, at most `--inflight` not yet in a block.
async fn submit_all(chain: &Chain, args: &Args, atts: Vec<Attestation>) -> Result<Outcome> {
	let batches: Vec<Vec<Attestation>> =
		atts.chunks(args.batch.clamp(1, MAX_BATCH as usize)).map(<[_]>::to_vec).collect();
	let n = batches.len();
	let sem = Arc::new(tokio::sync::Semaphore::new(args.inflight.max(1)));
	let mut tasks = Vec::new();
	for b in batches {
		let permit = sem.clone().acquire_owned().await?;
		tasks.push(tokio::spawn(submit_batch(chain.clone(), b, permit)));
	}
	let mut out = Outcome { settled: Vec::new(), failed: 0, batches: n };
	for t in tasks {
		match t.await? {
			Ok(s) => out.settled.push(s),
			Err(e) => {
				out.failed += 1;
				eprintln!("batch failed: {e}");
			}
		}
	}
	Ok(out)
}

/// Prints the rates; returns the finalized rate.
async fn report(
	chain: &Chain,
	args: &Args,
	o: &Outcome,
	start: Instant,
	taken: u128,
	n_atts: usize,
) -> f64 {
	let last = o.settled.iter().map(|s| s.2).max().unwrap_or(start);
	let last_in_block = o.settled.iter().map(|s| s.1).max().unwrap_or(start);
	let elapsed = (last - start).as_secs_f64();
	let per = pod_primitives::settlement::settle(
		args.bytes,
		args.price,
		u128::MAX,
		pod_primitives::settlement::OPERATOR_FEE_PPB,
	)
	.charge;
	let settled = taken.checked_div(per).unwrap_or(0) as usize;
	// The blocks that carry the settlements, first to last (a block the
	// node no longer serves is left out of this range only).
	let blocks: std::collections::HashSet<[u8; 32]> = o.settled.iter().map(|s| s.0).collect();
	let mut numbers = Vec::new();
	for b in &blocks {
		if let Ok(n) = chain.block_number(*b).await {
			numbers.push(n);
		}
	}
	let (first, last_block) = (numbers.iter().min(), numbers.iter().max());
	let rate = settled as f64 / elapsed;
	let included = (last_in_block - start).as_secs_f64();
	println!(
		"settled {settled} of {n_atts} attestations in {} extrinsics ({} without a \
		 finalized outcome), finalized in blocks #{}..#{}; last one in a block after \
		 {included:.1} s, last finality after {elapsed:.1} s",
		o.batches,
		o.failed,
		first.copied().unwrap_or_default(),
		last_block.copied().unwrap_or_default(),
	);
	println!("settlement, into blocks: {:.0} attestations/s", settled as f64 / included);
	println!("settlement, finalized (first submission to last finality): {rate:.0} attestations/s");
	let finals = o.settled.iter().map(|s| (s.2, s.3)).collect();
	match sustained_rate(finals) {
		Some(r) => println!(
			"settlement, finalized, sustained (from 10% to 90% of them finalized): {r:.0} \
			 attestations/s"
		),
		None => println!("settlement, finalized, sustained: too few finality events to tell"),
	}
	rate
}
