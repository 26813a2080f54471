//! `pod-e2e`: the product end to end on loopback (README command 1 runs it
//! at full size, the test command small and with faults).
//!
//! ```text
//! pod-e2e [--mib N] [--clients N] [--faults] [--quiet] [--browser] [--polkadot-check] [--stop-one] [--dir DIR]
//! ```
//! Everything it starts is stopped when it ends, whatever happens; the logs
//! stay in the directory it names.

use clap::Parser;
use pod_testkit::devnet::DevnetPorts;
use pod_testkit::e2e::{run, E2eConfig};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "pod-e2e", about = "The PoD CDN end to end on a local four-validator devnet")]
struct Args {
	/// Size of the content in MiB.
	#[arg(long, default_value_t = 256)]
	mib: u64,
	/// Clients downloading it.
	#[arg(long, default_value_t = 3)]
	clients: u32,
	/// Kill the reporter and an edge during settlement and stop a validator.
	#[arg(long)]
	faults: bool,
	/// No progress bars (client logs go to files).
	#[arg(long)]
	quiet: bool,
	/// A browser downloads too (Chromium and the browser SDK's build, as the
	/// test command sets up).
	#[arg(long)]
	browser: bool,
	/// Run the @polkadot/api check (scripts/polkadot-check/check.mjs) first.
	#[arg(long)]
	polkadot_check: bool,
	/// Afterwards, stop a validator and check that finality continues.
	#[arg(long)]
	stop_one: bool,
	/// Logs and data (default: a new directory under /tmp).
	#[arg(long)]
	dir: Option<PathBuf>,
	#[arg(long, default_value_t = 9944)]
	rpc_base: u16,
	#[arg(long, default_value_t = 30333)]
	p2p_base: u16,
	#[arg(long, default_value_t = 8600)]
	offchain_base: u16,
	/// Seconds settlement may take.
	#[arg(long, default_value_t = 600)]
	settle_timeout_secs: u64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
	let a = Args::parse();
	let dir = a.dir.unwrap_or_else(|| {
		let n = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map(|d| d.as_millis())
			.unwrap_or(0);
		std::env::temp_dir().join(format!("pod-e2e.{n}"))
	});
	let cfg = E2eConfig {
		dir: dir.clone(),
		mib: a.mib,
		clients: a.clients,
		faults: a.faults,
		quiet: a.quiet,
		browser: a.browser,
		polkadot_check: a.polkadot_check,
		stop_one: a.stop_one,
		ports: DevnetPorts { rpc: a.rpc_base, p2p: a.p2p_base },
		offchain_base: a.offchain_base,
		settle_timeout: Duration::from_secs(a.settle_timeout_secs),
	};
	let result = run(&cfg).await;
	println!("== everything stopped; logs kept in {}", dir.display());
	match result {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("pod-e2e failed: {e}");
			std::process::ExitCode::FAILURE
		}
	}
}
