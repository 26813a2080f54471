//! `pod-reporter`: the reporting service.
//!
//! ```text
//! pod-reporter --config reporter.toml [--listen ADDR] [--data-dir DIR] [--chain URL] [--audit-interval-secs N]
//! ```

use anyhow::{Context, Result};
use clap::Parser;
use pod_reporter::{Reporter, ReporterConfig, ReporterError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long to wait for the chain node at start-up (tries, 2 s apart).
const CHAIN_TRIES: u32 = 60;

#[derive(Parser)]
#[command(name = "pod-reporter", version, about = "PoD CDN reporting service")]
struct Args {
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

impl Args {
	/// The configuration file with the command line's overrides.
	fn config(self) -> Result<ReporterConfig> {
		let mut cfg: ReporterConfig = pod_http::service::load_toml(&self.config)?;
		if let Some(v) = self.listen {
			cfg.listen = v;
		}
		if let Some(v) = self.data_dir {
			cfg.data_dir = v;
		}
		if let Some(v) = self.chain {
			cfg.chain = v;
		}
		if let Some(v) = self.audit_interval_secs {
			cfg.audit_interval_secs = v;
		}
		Ok(cfg)
	}
}

/// Exit codes: `pod_http::service` (0 stopped, 1 failed while running, 2
/// unusable configuration).
fn main() -> std::process::ExitCode {
	pod_http::service::init_tracing();
	let args = Args::parse();
	let result =
		tokio::runtime::Runtime::new().map_err(Into::into).and_then(|rt| rt.block_on(run(args)));
	pod_http::service::exit(result, |e| {
		matches!(e.downcast_ref::<ReporterError>(), Some(ReporterError::Config { .. }))
	})
}

async fn run(args: Args) -> Result<()> {
	let cfg = args.config()?;
	let (listen, admin_listen) = (cfg.listen, cfg.admin_listen);
	let reporter = open(cfg).await?;
	reporter.start();
	let listener =
		tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
	let addr = listener.local_addr()?;
	tracing::info!(reporter = %hex::encode(reporter.public()), %addr, window = reporter.window(), "reporter serving");
	let admin = tokio::net::TcpListener::bind(admin_listen)
		.await
		.with_context(|| format!("binding the admin listener {admin_listen}"))?;
	// Printed on stdout so scripts can learn ephemeral ports (admin first).
	println!("admin on {}", admin.local_addr()?);
	println!("listening on {addr}");
	let stop = pod_http::server::shutdown_signal();
	pod_reporter::http::serve(reporter, listener, admin, stop).await?;
	Ok(())
}

/// Opens the reporter; the node may still be starting, so it keeps trying
/// for a while.
async fn open(cfg: ReporterConfig) -> Result<Arc<Reporter>> {
	let mut tries = 0;
	loop {
		match Reporter::open(cfg.clone()).await {
			Ok(r) => return Ok(r),
			Err(ReporterError::Chain(e)) if tries < CHAIN_TRIES => {
				tries += 1;
				tracing::warn!(error = %e, "chain not reachable yet; retrying");
				tokio::time::sleep(Duration::from_secs(2)).await;
			}
			Err(e) => return Err(e.into()),
		}
	}
}
