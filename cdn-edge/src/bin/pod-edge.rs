//! `pod-edge`: the edge daemon, the publisher's tool and the viewer's client.
//!
//! ```text
//! pod-edge publish FILE [--chunk-size N] [-o MANIFEST]     print the content id
//! pod-edge run --config edge.toml [overrides…]              run an edge
//! pod-edge key --seed HEX                                  print a seed's public key
//! pod-edge ticket …                                        (dev) issue a ticket as a reporter
//! pod-edge fetch CONTENT -o FILE --reporter URL                 via the reporter
//! pod-edge fetch CONTENT -o FILE --manifest M --source URL=TICKET…  direct
//! pod-edge reporter --config reporter.toml                    run the reporting service
//! pod-edge register MANIFEST --origin URL --reporter URL      register a content with a reporter
//! pod-edge origin --dir DIR --listen ADDR                     a tiny origin (demos, tests)
//! ```

use anyhow::{Context, Result};
use cdn_edge::client::{fetch, FetchPlan, Source};
use cdn_edge::content;
use cdn_edge::edge::{http::header_value, Edge, EdgeConfig};
use clap::{Parser, Subcommand};
use codec::Decode;
use pod_primitives::{sign, SignedTicket, Ticket};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "pod-edge", version, about = "PoD CDN edge box, publisher tool and client")]
struct Cli {
	#[command(subcommand)]
	cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
	/// Chunk a file, write its manifest and print its content id.
	Publish {
		file: PathBuf,
		#[arg(long, default_value_t = pod_primitives::DEFAULT_CHUNK_SIZE)]
		chunk_size: u32,
		/// Where to write the manifest (default: FILE.manifest).
		#[arg(short, long)]
		output: Option<PathBuf>,
	},
	/// Run an edge.
	Run(RunArgs),
	/// Print the sr25519 public key (hex) of a 32-byte hex seed.
	Key {
		#[arg(long)]
		seed: String,
	},
	/// (dev) Issue a ticket signed by a reporter seed; prints it as hex.
	Ticket {
		#[arg(long, env = "POD_REPORTER_SEED")]
		reporter_seed: String,
		#[arg(long)]
		edge: String,
		#[arg(long)]
		client: String,
		#[arg(long)]
		content: String,
		#[arg(long)]
		max_bytes: u64,
		#[arg(long, default_value_t = 0)]
		window: u32,
		/// Validity in seconds from now.
		#[arg(long, default_value_t = 3600)]
		valid_secs: u64,
		#[arg(long, env = "POD_GENESIS")]
		genesis: String,
	},
	/// Download a content from edges.
	Fetch {
		content: String,
		#[arg(short, long)]
		output: PathBuf,
		/// Ask this reporter for edges, tickets and the manifest, and report
		/// the receipts to it afterwards.
		#[arg(long, env = "POD_REPORTER", conflicts_with_all = ["manifest", "sources"])]
		reporter: Option<String>,
		/// Region to prefer (with --reporter).
		#[arg(long)]
		region: Option<String>,
		/// Edges to use (with --reporter).
		#[arg(long)]
		edges: Option<usize>,
		/// The content's manifest file (without --reporter).
		#[arg(long, requires = "sources")]
		manifest: Option<PathBuf>,
		/// `URL=TICKET_HEX`, one per edge (without --reporter).
		#[arg(long = "source")]
		sources: Vec<String>,
		/// Hex seed of the session key the tickets name as client (without
		/// --reporter; with it, a fresh key is made).
		#[arg(long, env = "POD_CLIENT_SEED")]
		session_seed: Option<String>,
		#[arg(long, env = "POD_GENESIS")]
		genesis: Option<String>,
		#[arg(long, default_value_t = 2)]
		per_source: usize,
		#[arg(long, default_value_t = 20)]
		timeout_secs: u64,
		/// No progress bar.
		#[arg(long)]
		quiet: bool,
	},
	/// Run the reporting service.
	Reporter(ReporterArgs),
	/// Register a content (its manifest and origin) with a reporter.
	Register {
		manifest: PathBuf,
		/// URL the edges fill from (the file itself, with Range support).
		#[arg(long)]
		origin: String,
		#[arg(long, env = "POD_REPORTER")]
		reporter: String,
	},
	/// Serve a directory's files with Range support (a stand-in origin).
	Origin {
		#[arg(long)]
		dir: PathBuf,
		#[arg(long, default_value = "127.0.0.1:8600")]
		listen: std::net::SocketAddr,
	},
}

#[derive(clap::Args)]
struct ReporterArgs {
	/// TOML configuration file.
	#[arg(long, env = "POD_REPORTER_CONFIG")]
	config: PathBuf,
	#[arg(long)]
	listen: Option<std::net::SocketAddr>,
	#[arg(long)]
	data_dir: Option<PathBuf>,
	#[arg(long)]
	chain: Option<String>,
	#[arg(long)]
	audit_interval_secs: Option<u64>,
}

#[derive(clap::Args)]
struct RunArgs {
	/// TOML configuration file.
	#[arg(long, env = "POD_EDGE_CONFIG")]
	config: PathBuf,
	#[arg(long, env = "POD_EDGE_LISTEN")]
	listen: Option<std::net::SocketAddr>,
	#[arg(long, env = "POD_EDGE_DATA_DIR")]
	data_dir: Option<PathBuf>,
	#[arg(long, env = "POD_EDGE_CACHE_QUOTA")]
	cache_quota: Option<u64>,
	#[arg(long, env = "POD_EDGE_RATE_LIMIT")]
	rate_limit: Option<u64>,
	#[arg(long, env = "POD_EDGE_MONTHLY_CAP")]
	monthly_cap: Option<u64>,
}

fn hex32(what: &str, s: &str) -> Result<[u8; 32]> {
	let v = hex::decode(s.trim().trim_start_matches("0x"))
		.with_context(|| format!("{what} is not hex"))?;
	v.try_into().map_err(|_| anyhow::anyhow!("{what} must be 32 bytes"))
}

#[tokio::main]
async fn main() -> Result<()> {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
		)
		.with_writer(std::io::stderr)
		.init();
	match Cli::parse().cmd {
		Cmd::Publish { file, chunk_size, output } => {
			let m = content::manifest_of_file(&file, chunk_size)?;
			let out = output.unwrap_or_else(|| {
				let mut p = file.clone().into_os_string();
				p.push(".manifest");
				p.into()
			});
			content::write_manifest(&out, &m)?;
			eprintln!("{} bytes in {} chunks; manifest {}", m.size, m.chunks.len(), out.display());
			println!("{}", content::id_hex(&m.id()));
		}
		Cmd::Run(args) => run(args).await?,
		Cmd::Key { seed } => println!(
			"{}",
			hex::encode(sign::keypair_from_seed(&hex32("seed", &seed)?).public.to_bytes())
		),
		Cmd::Ticket {
			reporter_seed,
			edge,
			client,
			content,
			max_bytes,
			window,
			valid_secs,
			genesis,
		} => {
			let reporter = sign::keypair_from_seed(&hex32("reporter seed", &reporter_seed)?);
			let expires_at = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?
				+ Duration::from_secs(valid_secs))
			.as_millis() as u64;
			let mut ticket_id = [0u8; 16];
			ticket_id[..8].copy_from_slice(&expires_at.to_be_bytes());
			ticket_id[8..].copy_from_slice(&rand_bytes());
			let t = Ticket {
				ticket_id,
				reporter: reporter.public.to_bytes(),
				edge: hex32("edge", &edge)?,
				client: hex32("client", &client)?,
				content: hex32("content", &content)?,
				max_bytes,
				window,
				expires_at,
			};
			println!(
				"{}",
				header_value(&sign::sign_ticket(&reporter, &hex32("genesis", &genesis)?, t))
			);
		}
		Cmd::Fetch {
			content,
			output,
			reporter,
			region,
			edges,
			manifest,
			sources,
			session_seed,
			genesis,
			per_source,
			timeout_secs,
			quiet,
		} => {
			let id = content::parse_id(&content).context("content id must be 32 bytes of hex")?;
			let (manifest, sources, genesis, session) = match &reporter {
				Some(rep) => {
					let mut seed = [0u8; 32];
					getrandom::fill(&mut seed).expect("the OS has randomness");
					let session = sign::keypair_from_seed(&seed);
					let s = cdn_edge::client::schedule(rep, &id, &session, region, edges).await?;
					eprintln!("reporter scheduled {} edges:", s.sources.len());
					for src in &s.sources {
						eprintln!(
							"  {} (edge {})",
							src.url,
							&hex::encode(src.ticket.ticket.edge)[..16]
						);
					}
					(s.manifest, s.sources, s.genesis, session)
				}
				None => {
					let m = manifest.context("--manifest (or --reporter) is required")?;
					let manifest = content::read_manifest(&m, Some(&id))?;
					let sources = sources
						.iter()
						.map(|s| {
							let (url, t) =
								s.split_once('=').context("--source is URL=TICKET_HEX")?;
							let bytes = hex::decode(t.trim_start_matches("0x"))
								.context("ticket is not hex")?;
							let ticket = SignedTicket::decode(&mut &bytes[..])
								.context("ticket does not decode")?;
							Ok(Source { url: url.to_string(), ticket })
						})
						.collect::<Result<Vec<_>>>()?;
					let seed =
						session_seed.context("--session-seed is required without --reporter")?;
					let g = genesis.context("--genesis is required without --reporter")?;
					(
						manifest,
						sources,
						hex32("genesis", &g)?,
						sign::keypair_from_seed(&hex32("session seed", &seed)?),
					)
				}
			};
			let size = manifest.size;
			let bar = if quiet {
				indicatif::ProgressBar::hidden()
			} else {
				indicatif::ProgressBar::new(size)
			};
			bar.set_style(
				indicatif::ProgressStyle::with_template(
					"{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
				)
				.expect("valid template"),
			);
			let plan = FetchPlan {
				content: id,
				manifest,
				genesis,
				session: session.clone(),
				sources: sources.clone(),
				per_source,
				timeout: Duration::from_secs(timeout_secs),
			};
			let b = bar.clone();
			let report = fetch(plan, &output, move |n| b.inc(n)).await?;
			bar.finish();
			for s in &report.sources {
				eprintln!(
					"{}: {} bytes in {} chunks{}{}",
					s.url,
					s.bytes,
					s.chunks,
					if s.lying { ", LYING (served bad bytes)" } else { "" },
					if s.failures > 0 {
						format!(", {} failures", s.failures)
					} else {
						String::new()
					}
				);
			}
			eprintln!(
				"{} bytes written to {} ({} chunks resumed)",
				report.bytes,
				report.path.display(),
				report.resumed_chunks
			);
			if let Some(rep) = &reporter {
				let n =
					cdn_edge::client::report(rep, &session, &genesis, &sources, &report).await?;
				eprintln!("reported {n} receipts to the reporter");
			}
			// Machine-readable summary for scripts: bytes received per edge.
			let per_edge: Vec<serde_json::Value> = sources
				.iter()
				.zip(&report.sources)
				.map(|(src, r)| serde_json::json!({ "edge": hex::encode(src.ticket.ticket.edge), "bytes": r.bytes, "lying": r.lying }))
				.collect();
			println!(
				"{}",
				serde_json::json!({ "content": content, "bytes": report.bytes, "sources": per_edge })
			);
		}
		Cmd::Reporter(args) => run_reporter(args).await?,
		Cmd::Register { manifest, origin, reporter } => {
			let bytes = std::fs::read(&manifest)
				.with_context(|| format!("reading {}", manifest.display()))?;
			let http = cdn_edge::httpapi::http_client();
			let (status, body) = cdn_edge::httpapi::call(
				&http,
				hyper::Method::POST,
				&format!("{}/contents", reporter.trim_end_matches('/')),
				&[("x-pod-origin", origin)],
				bytes,
				Duration::from_secs(30),
			)
			.await
			.map_err(anyhow::Error::msg)?;
			anyhow::ensure!(
				status.is_success(),
				"reporter answered {status}: {}",
				String::from_utf8_lossy(&body)
			);
			println!("{}", String::from_utf8_lossy(&body));
		}
		Cmd::Origin { dir, listen } => {
			let listener = tokio::net::TcpListener::bind(listen)
				.await
				.with_context(|| format!("binding {listen}"))?;
			println!("listening on {}", listener.local_addr()?);
			cdn_edge::origin::serve(dir, listener, shutdown_signal()).await?;
		}
	}
	Ok(())
}

fn rand_bytes() -> [u8; 8] {
	let mut b = [0u8; 8];
	getrandom::fill(&mut b).expect("the OS has randomness");
	b
}

async fn run(args: RunArgs) -> Result<()> {
	let text = std::fs::read_to_string(&args.config)
		.with_context(|| format!("reading {}", args.config.display()))?;
	let mut cfg: EdgeConfig =
		toml::from_str(&text).with_context(|| format!("parsing {}", args.config.display()))?;
	if let Some(v) = args.listen {
		cfg.listen = v;
	}
	if let Some(v) = args.data_dir {
		cfg.data_dir = v;
	}
	if let Some(v) = args.cache_quota {
		cfg.cache_quota = v;
	}
	if let Some(v) = args.rate_limit {
		cfg.rate_limit = v;
	}
	if let Some(v) = args.monthly_cap {
		cfg.monthly_cap = v;
	}
	let edge = Edge::open(&cfg)?;
	if let Some(peers) = edge.start_peers(&cfg).await? {
		tracing::info!(peer_id = %peers.peer_id(), "peer layer started");
		// Let the listener come up so its address can be printed for bootstrapping.
		for _ in 0..50 {
			let addrs = peers.listen_addrs().await;
			if let Some(a) = addrs.first() {
				println!("p2p {a}/p2p/{}", peers.peer_id());
				break;
			}
			tokio::time::sleep(Duration::from_millis(20)).await;
		}
	}
	let listener = tokio::net::TcpListener::bind(cfg.listen)
		.await
		.with_context(|| format!("binding {}", cfg.listen))?;
	let addr = listener.local_addr()?;
	tracing::info!(edge = %hex::encode(edge.public()), %addr, "edge serving");
	edge.start_settlement(&cfg, addr)?;
	// Printed on stdout so scripts can learn an ephemeral port.
	println!("listening on {addr}");
	cdn_edge::edge::serve(edge, listener, shutdown_signal()).await?;
	Ok(())
}

async fn shutdown_signal() {
	let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
		.expect("installing a SIGTERM handler");
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {},
		_ = term.recv() => {},
	}
	tracing::info!("shutting down: finishing open requests");
}

async fn run_reporter(args: ReporterArgs) -> Result<()> {
	let text = std::fs::read_to_string(&args.config)
		.with_context(|| format!("reading {}", args.config.display()))?;
	let mut cfg: cdn_edge::reporter::ReporterConfig =
		toml::from_str(&text).with_context(|| format!("parsing {}", args.config.display()))?;
	if let Some(v) = args.listen {
		cfg.listen = v;
	}
	if let Some(v) = args.data_dir {
		cfg.data_dir = v;
	}
	if let Some(v) = args.chain {
		cfg.chain = v;
	}
	if let Some(v) = args.audit_interval_secs {
		cfg.audit_interval_secs = v;
	}
	let listen = cfg.listen;
	// The node may still be starting: keep trying for a while.
	let mut tries = 0;
	let reporter = loop {
		match cdn_edge::reporter::Reporter::open(cfg.clone()).await {
			Ok(r) => break r,
			Err(cdn_edge::reporter::ReporterError::Chain(e)) if tries < 60 => {
				tries += 1;
				tracing::warn!(error = %e, "chain not reachable yet; retrying");
				tokio::time::sleep(Duration::from_secs(2)).await;
			}
			Err(e) => return Err(e.into()),
		}
	};
	reporter.start();
	let listener =
		tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
	let addr = listener.local_addr()?;
	tracing::info!(reporter = %hex::encode(reporter.public()), %addr, window = reporter.window(), "reporter serving");
	println!("listening on {addr}");
	cdn_edge::reporter::http::serve(reporter, listener, shutdown_signal()).await?;
	Ok(())
}
