//! `pod-edge`: the edge daemon.
//!
//! ```text
//! pod-edge init --config edge.toml --chain WS --reporter-url URL --data-dir D --region R --capacity B/s
//!                                                write a configuration (chain parameters read from the
//!                                                chain) and a new edge key (mode 0600)
//! pod-edge register --config edge.toml           register the edge on chain (owner: POD_ACCOUNT or
//!                                                --account-file), with the key's proof of possession
//! pod-edge status --config edge.toml [--windows N] [--format table|csv|json]
//!                                                earnings per window, every reduction explained
//! pod-edge redeem AMOUNT --config edge.toml      credits into a redemption request
//! pod-edge run --config edge.toml [overrides…]   run an edge
//! pod-edge key --seed HEX                        print a seed's public key (the edge key to register)
//! pod-edge proof --seed HEX --owner HEX --genesis HEX
//!                                                the proof of possession `register_edge` takes
//! ```

mod operator;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use pod_edge::{Edge, EdgeConfig};
use pod_primitives::keys;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "pod-edge", version, about = "PoD CDN edge box")]
struct Cli {
	#[command(subcommand)]
	cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
	/// Write a configuration (every chain parameter read from the chain) and a new edge key.
	Init(operator::InitArgs),
	/// Register the edge on chain, bonding the owner's funds.
	Register(operator::OwnerArgs),
	/// Earnings per window: receipts, claimed, confirmed, settled, credits; every reduction explained.
	Status(operator::StatusArgs),
	/// Turn credits into a redemption request.
	Redeem {
		/// `2.5POD` or planck.
		amount: String,
		#[command(flatten)]
		owner: operator::OwnerArgs,
	},
	/// Run an edge.
	Run(RunArgs),
	/// Print the sr25519 public key (hex) of a 32-byte hex seed.
	Key {
		#[arg(long)]
		seed: String,
	},
	/// Print (hex) the edge key's proof that it registers itself for
	/// `--owner` on the chain with `--genesis`: the last argument of
	/// `Pod::register_edge`.
	Proof {
		/// The edge key's seed (hex, 32 bytes).
		#[arg(long, env = "POD_EDGE_SEED")]
		seed: String,
		/// The owner's account id (hex, 32 bytes): the account that calls
		/// `register_edge`, puts the bond on hold and earns the credits.
		#[arg(long)]
		owner: String,
		/// The chain's genesis hash (hex).
		#[arg(long, env = "POD_GENESIS")]
		genesis: String,
	},
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

impl RunArgs {
	/// The configuration file with the command line's overrides.
	fn config(&self) -> Result<EdgeConfig> {
		let mut cfg: EdgeConfig = pod_http::service::load_toml(&self.config)?;
		if let Some(v) = self.listen {
			cfg.listen = v;
		}
		if let Some(v) = &self.data_dir {
			cfg.data_dir = v.clone();
		}
		if let Some(v) = self.cache_quota {
			cfg.cache_quota = v;
		}
		if let Some(v) = self.rate_limit {
			cfg.rate_limit = v;
		}
		if let Some(v) = self.monthly_cap {
			cfg.monthly_cap = v;
		}
		Ok(cfg)
	}
}

/// Exit codes: `pod_http::service` (0 stopped, 1 failed while running, 2
/// unusable configuration).
fn main() -> std::process::ExitCode {
	let cli = Cli::parse();
	// The daemon logs; a command's output is its own lines, logs only when asked for.
	if matches!(cli.cmd, Cmd::Run(_)) || std::env::var_os("RUST_LOG").is_some() {
		pod_http::service::init_tracing();
	}
	let result =
		tokio::runtime::Runtime::new().map_err(Into::into).and_then(|rt| rt.block_on(command(cli)));
	pod_http::service::exit(result, |e| {
		matches!(
			e.downcast_ref::<pod_edge::EdgeError>(),
			Some(pod_edge::EdgeError::Config { .. } | pod_edge::EdgeError::ConfigHex(_))
		) || e.chain().any(|c| {
			c.downcast_ref::<pod_wire::hex::DecodeError>().is_some()
				|| c.downcast_ref::<operator::InputError>().is_some()
				|| c.downcast_ref::<pod_chain::amount::AmountError>().is_some()
				|| matches!(
					c.downcast_ref::<pod_chain::ChainError>(),
					Some(pod_chain::ChainError::BadAccount(_))
				)
		})
	})
}

async fn command(cli: Cli) -> Result<()> {
	match cli.cmd {
		Cmd::Init(args) => operator::init(args).await,
		Cmd::Register(args) => operator::register(args).await,
		Cmd::Status(args) => operator::status(args).await,
		Cmd::Redeem { amount, owner } => operator::redeem(owner, &amount).await,
		Cmd::Run(args) => run(args.config()?).await,
		Cmd::Key { seed } => {
			let seed = pod_wire::hex::hex32("seed", &seed)?;
			println!("{}", hex::encode(keys::keypair_from_seed(&seed).public.to_bytes()));
			Ok(())
		}
		Cmd::Proof { seed, owner, genesis } => {
			let pair = keys::keypair_from_seed(&pod_wire::hex::hex32("seed", &seed)?);
			let owner = pod_wire::hex::hex32("owner", &owner)?;
			let genesis = pod_wire::hex::hex32("genesis", &genesis)?;
			let key = pair.public.to_bytes();
			let tag = pod_primitives::DomainTag::EdgeRegistration;
			println!("{}", hex::encode(keys::sign(&pair, tag, &genesis, &(key, owner))));
			Ok(())
		}
	}
}

async fn run(cfg: EdgeConfig) -> Result<()> {
	let edge = Edge::open(&cfg)?;
	start_peers(&edge, &cfg).await?;
	let listener = tokio::net::TcpListener::bind(cfg.listen)
		.await
		.with_context(|| format!("binding {}", cfg.listen))?;
	let addr = listener.local_addr()?;
	tracing::info!(edge = %hex::encode(edge.public()), %addr, "edge serving");
	let admin = tokio::net::TcpListener::bind(cfg.admin_listen)
		.await
		.with_context(|| format!("binding the admin listener {}", cfg.admin_listen))?;
	let admin_addr = admin.local_addr()?;
	edge.start_settlement(&cfg, addr)?;
	edge.start_housekeeping();
	// Printed on stdout so scripts can learn ephemeral ports (admin first).
	println!("admin on {admin_addr}");
	println!("listening on {addr}");
	pod_edge::serve(edge, listener, admin, pod_http::server::shutdown_signal()).await?;
	Ok(())
}

/// Starts the peer layer, if configured, and prints its address on stdout
/// (`p2p <multiaddr>/p2p/<peer id>`) for bootstrapping other edges.
async fn start_peers(edge: &std::sync::Arc<Edge>, cfg: &EdgeConfig) -> Result<()> {
	let Some(peers) = edge.start_peers(cfg).await? else { return Ok(()) };
	tracing::info!(peer_id = %peers.peer_id(), "peer layer started");
	for _ in 0..50 {
		if let Some(a) = peers.listen_addrs().await.first() {
			println!("p2p {a}/p2p/{}", peers.peer_id());
			break;
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	Ok(())
}
