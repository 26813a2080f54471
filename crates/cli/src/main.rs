//! `pod`: the publisher's and the viewer's command.
//!
//! ```text
//! pod publish FILE [--chunk-size N] [-o MANIFEST]            print the content id
//! pod register MANIFEST --origin URL --reporter URL          register a content with a reporter
//! pod customer publish FILE --origin URL --price P --reporter URL
//!                                                            chunk, register on chain and with the reporter
//! pod customer deposit|withdraw AMOUNT, claim-withdrawal     the escrow that pays for deliveries
//! pod customer budget LIMIT [--content ID [--open]]          spending limit / a content's budget per window
//! pod customer grant-key PUBLIC | grant …                    name the grant key; mint a viewer grant
//! pod customer status | usage [--format table|csv|json] | watch
//!                                                            the account, usage per window, live settlements
//! pod fetch CONTENT -o FILE --reporter URL [--grant G --session-seed S]
//!                                                            download via the reporter
//! pod fetch CONTENT -o FILE --manifest M --source URL=TICKET… --session-seed S --genesis G
//! pod key new --file F | public --file F                     an sr25519 key (edge, reporter, grant)
//! pod network                                               finality, window, reporters, edges by region
//! pod account new --file F | show [ADDR] | transfer TO AMOUNT
//!                                                            accounts that pay
//! pod ticket …                                               (dev) issue a ticket as a reporter
//! ```

mod account;
mod customer;
mod network;

use anyhow::{Context, Result};

/// Input the command cannot use: an amount, a key, a range (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);
use clap::{Parser, Subcommand};
use pod_client::content;
use pod_client::{FetchPlan, FetchReport, FetchSummary, Source};
use pod_primitives::{keys, keys::Keypair, ContentId, Manifest, Ticket};
use pod_wire::hex::hex32;
use pod_wire::Fault;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "pod", version, about = "PoD CDN publisher tool and client")]
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
	/// Register a content (its manifest and origin) with a reporter.
	Register {
		manifest: PathBuf,
		/// URL the edges fill from (the file itself, with Range support).
		#[arg(long)]
		origin: String,
		#[arg(long, env = "POD_REPORTER")]
		reporter: String,
	},
	/// Download a content from edges.
	Fetch(FetchArgs),
	/// sr25519 keys that sign PoD messages: edge, reporter, grant keys.
	#[command(subcommand)]
	Key(account::KeyCmd),
	/// The network: finality, the window, reporters, edges by region.
	Network {
		#[command(flatten)]
		chain: customer::ChainArgs,
	},
	/// Accounts that pay: new, show, transfer.
	Account {
		#[command(subcommand)]
		cmd: account::AccountCmd,
		#[command(flatten)]
		chain: customer::ChainArgs,
		#[command(flatten)]
		account: customer::AccountArgs,
	},
	/// (dev) Issue a ticket signed by a reporter seed; prints it as hex.
	Ticket(TicketArgs),
	/// A customer's account on chain: contents, escrow, budgets, grants, usage.
	Customer {
		#[command(subcommand)]
		cmd: customer::CustomerCmd,
		#[command(flatten)]
		chain: customer::ChainArgs,
		#[command(flatten)]
		account: customer::AccountArgs,
	},
}

#[derive(clap::Args)]
struct FetchArgs {
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
	/// Hex seed of the session key the tickets name as client (required
	/// without --reporter and with --grant; otherwise a fresh key is made).
	#[arg(long, env = "POD_CLIENT_SEED")]
	session_seed: Option<String>,
	/// The publisher's viewer grant for the session key (hex), from `pod
	/// grant` or the publisher's web backend (with --reporter).
	#[arg(long, requires_all = ["reporter", "session_seed"])]
	grant: Option<String>,
	#[arg(long, env = "POD_GENESIS")]
	genesis: Option<String>,
	#[arg(long, default_value_t = 2)]
	per_source: usize,
	#[arg(long, default_value_t = 20)]
	timeout_secs: u64,
	/// No progress bar.
	#[arg(long)]
	quiet: bool,
}

#[derive(clap::Args)]
struct TicketArgs {
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
}

/// Exit codes: 0 done, 1 failed, 2 unusable input (an account, key or
/// amount that cannot be used; clap's own usage errors are 2 too).
fn main() -> std::process::ExitCode {
	// A command's output is its own lines; logs only when asked for.
	if std::env::var_os("RUST_LOG").is_some() {
		pod_http::service::init_tracing();
	}
	let cli = Cli::parse();
	let result =
		tokio::runtime::Runtime::new().map_err(Into::into).and_then(|rt| rt.block_on(command(cli)));
	pod_http::service::exit(result, |e| {
		e.chain().any(|c| {
			c.downcast_ref::<pod_chain::ChainError>()
				.is_some_and(|c| matches!(c, pod_chain::ChainError::BadAccount(_)))
				|| c.downcast_ref::<pod_wire::hex::DecodeError>().is_some()
				|| c.downcast_ref::<InputError>().is_some()
				|| c.downcast_ref::<pod_chain::amount::AmountError>().is_some()
		})
	})
}

async fn command(cli: Cli) -> Result<()> {
	match cli.cmd {
		Cmd::Publish { file, chunk_size, output } => publish(file, chunk_size, output),
		Cmd::Register { manifest, origin, reporter } => register(manifest, origin, reporter).await,
		Cmd::Fetch(args) => fetch_command(args).await,
		Cmd::Key(cmd) => account::key(cmd),
		Cmd::Network { chain } => network::show(chain).await,
		Cmd::Account { cmd, chain, account } => account::run(cmd, chain, account).await,
		Cmd::Ticket(args) => ticket(args),
		Cmd::Customer { cmd, chain, account } => customer::run(cmd, chain, account).await,
	}
}

fn publish(file: PathBuf, chunk_size: u32, output: Option<PathBuf>) -> Result<()> {
	let m = content::manifest_of_file(&file, chunk_size)?;
	let out = output.unwrap_or_else(|| {
		let mut p = file.clone().into_os_string();
		p.push(".manifest");
		p.into()
	});
	content::write_manifest(&out, &m)?;
	eprintln!("{} bytes in {} chunks; manifest {}", m.size, m.chunks.len(), out.display());
	println!("{}", hex::encode(m.id()));
	Ok(())
}

async fn register(manifest: PathBuf, origin: String, reporter: String) -> Result<()> {
	let bytes =
		std::fs::read(&manifest).with_context(|| format!("reading {}", manifest.display()))?;
	let reply = pod_client::reporter::register(&reporter, bytes, &origin).await?;
	println!("{}", serde_json::to_string(&reply)?);
	Ok(())
}

fn ticket(a: TicketArgs) -> Result<()> {
	let reporter = keys::keypair_from_seed(&hex32("reporter seed", &a.reporter_seed)?);
	let expires_at = pod_wire::clock::now_ms() + a.valid_secs * 1000;
	let mut nonce = [0u8; 8];
	getrandom::fill(&mut nonce).expect("the OS has randomness");
	let ticket_id = Ticket::id(expires_at, nonce);
	let t = Ticket {
		ticket_id,
		reporter: reporter.public.to_bytes(),
		edge: hex32("edge", &a.edge)?,
		client: hex32("client", &a.client)?,
		content: hex32("content", &a.content)?,
		max_bytes: a.max_bytes,
		window: a.window,
		expires_at,
		grant: None,
	};
	let genesis = hex32("genesis", &a.genesis)?;
	println!("{}", pod_wire::headers::value(&keys::sign_ticket(&reporter, &genesis, t)));
	Ok(())
}

/// Where a download comes from: the manifest, the edges with their tickets,
/// the chain and the session key.
struct Plan {
	manifest: Manifest,
	sources: Vec<Source>,
	genesis: [u8; 32],
	session: Keypair,
}

/// The session key the tickets will name: the one a grant names, or a
/// fresh one.
fn session_key(a: &FetchArgs) -> Result<Keypair> {
	let seed = match &a.session_seed {
		Some(s) => hex32("session seed", s)?,
		None => {
			let mut seed = [0u8; 32];
			getrandom::fill(&mut seed).expect("the OS has randomness");
			seed
		}
	};
	Ok(keys::keypair_from_seed(&seed))
}

/// Asks the reporter for edges, tickets and the manifest, under `session`.
async fn scheduled_plan(
	reporter: &str,
	id: &ContentId,
	a: &FetchArgs,
	session: Keypair,
) -> Result<Plan> {
	let grant: Option<pod_primitives::SignedGrant> =
		a.grant.as_deref().map(|g| pod_wire::hex::scale("grant", g)).transpose()?;
	let (region, edges) = (a.region.clone(), a.edges);
	let s = pod_client::schedule(reporter, id, &session, region, edges, grant.as_ref()).await?;
	eprintln!("reporter scheduled {} edges:", s.sources.len());
	for src in &s.sources {
		eprintln!("  {} (edge {})", src.url, &hex::encode(src.ticket.ticket.edge)[..16]);
	}
	Ok(Plan { manifest: s.manifest, sources: s.sources, genesis: s.genesis, session })
}

/// A plan from the command line: manifest file, `URL=TICKET` sources, seed.
fn direct_plan(id: &ContentId, a: &FetchArgs) -> Result<Plan> {
	let m = a.manifest.as_ref().context("--manifest (or --reporter) is required")?;
	let manifest = content::read_manifest(m, Some(id))?;
	let sources = a
		.sources
		.iter()
		.map(|s| {
			let (url, t) = s.split_once('=').context("--source is URL=TICKET_HEX")?;
			Ok(Source { url: url.to_string(), ticket: pod_wire::hex::scale("ticket", t)? })
		})
		.collect::<Result<Vec<_>>>()?;
	let seed = a.session_seed.as_ref().context("--session-seed is required without --reporter")?;
	let g = a.genesis.as_ref().context("--genesis is required without --reporter")?;
	let session = keys::keypair_from_seed(&hex32("session seed", seed)?);
	Ok(Plan { manifest, sources, genesis: hex32("genesis", g)?, session })
}

fn progress_bar(size: u64, quiet: bool) -> indicatif::ProgressBar {
	let bar =
		if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(size) };
	bar.set_style(
		indicatif::ProgressStyle::with_template(
			"{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
		)
		.expect("valid template"),
	);
	bar
}

fn print_report(report: &FetchReport) {
	for s in &report.sources {
		let lying = if s.lying { ", LYING (served bad bytes)" } else { "" };
		let failures =
			if s.failures > 0 { format!(", {} failures", s.failures) } else { String::new() };
		eprintln!("{}: {} bytes in {} chunks{lying}{failures}", s.url, s.bytes, s.chunks);
		if let Some(e) = &s.last_error {
			eprintln!("  last failure: {e}");
		}
	}
	eprintln!(
		"{} bytes written to {} ({} chunks resumed)",
		report.bytes,
		report.path.display(),
		report.resumed_chunks
	);
}

/// Schedules in a window left before the download finished: a ticket
/// lives at most until its window ends, so a long download renews them.
const MAX_ROUNDS: u32 = 8;

async fn fetch_command(a: FetchArgs) -> Result<()> {
	let id = hex32("content id", &a.content)?;
	let Some(rep) = a.reporter.clone() else {
		let plan = direct_plan(&id, &a)?;
		let attempt = fetch_round(&a, &id, &plan).await?;
		if let Some(e) = attempt.error {
			return Err(e.into());
		}
		let report = attempt.report;
		println!("{}", serde_json::to_string(&report.summary(&id, &plan.sources))?);
		return Ok(());
	};
	let session = session_key(&a)?;
	let mut summary: Option<FetchSummary> = None;
	for round in 1..=MAX_ROUNDS {
		let plan = scheduled_plan(&rep, &id, &a, session.clone()).await?;
		let attempt = fetch_round(&a, &id, &plan).await?;
		// Reported before renewing: the reporter closes the expired tickets
		// at these receipts and gives the rest back to the grant.
		let (n, _) =
			pod_client::report(&rep, &session, &plan.genesis, &plan.sources, &attempt.report)
				.await?;
		eprintln!("reported {n} receipts to the reporter");
		let s = attempt.report.summary(&id, &plan.sources);
		summary = Some(match summary {
			None => s,
			Some(total) => total.merge(s),
		});
		match attempt.error {
			None => break,
			Some(e) if e.retryable() && round < MAX_ROUNDS => {
				eprintln!("round {round} stopped short ({e}); renewing the tickets");
			}
			Some(e) => return Err(e.into()),
		}
	}
	// Machine-readable summary for scripts: bytes received per edge.
	println!("{}", serde_json::to_string(&summary.expect("at least one round"))?);
	Ok(())
}

/// One download attempt from `plan`, resuming from what is on disk.
async fn fetch_round(a: &FetchArgs, id: &ContentId, plan: &Plan) -> Result<pod_client::Attempt> {
	let bar = progress_bar(plan.manifest.size, a.quiet);
	let fetch_plan = FetchPlan {
		content: *id,
		manifest: plan.manifest.clone(),
		genesis: plan.genesis,
		session: plan.session.clone(),
		sources: plan.sources.clone(),
		per_source: a.per_source,
		timeout: Duration::from_secs(a.timeout_secs),
	};
	let b = bar.clone();
	let attempt = pod_client::fetch_attempt(fetch_plan, &a.output, move |n| b.inc(n)).await?;
	bar.finish();
	print_report(&attempt.report);
	Ok(attempt)
}
