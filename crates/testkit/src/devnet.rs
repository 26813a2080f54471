//! A four-validator local chain on loopback (Alice, Bob, Charlie, Dave; the
//! `local` chain spec), stopped when dropped.

use crate::process::{wait_for, HarnessError, Proc};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The validators, in start order; Alice is the bootnode.
pub const VALIDATORS: [&str; 4] = ["alice", "bob", "charlie", "dave"];
/// A fixed node key for Alice makes her peer id known to the others.
const ALICE_NODE_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";
const ALICE_PEER_ID: &str = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";

/// Where the devnet listens.
#[derive(Debug, Clone)]
pub struct DevnetPorts {
	/// Alice's RPC port; the others follow.
	pub rpc: u16,
	/// Alice's p2p port; the others follow.
	pub p2p: u16,
}

impl DevnetPorts {
	/// Alice's Prometheus port (loopback); the others follow.
	pub fn prometheus(&self) -> u16 {
		self.rpc + 200
	}
}

/// The running devnet.
#[derive(Debug)]
pub struct Devnet {
	nodes: BTreeMap<&'static str, Proc>,
	ports: DevnetPorts,
	dir: PathBuf,
}

impl Devnet {
	/// Starts the four validators of `node` with their data and logs in `dir`.
	pub fn start(node: &Path, dir: &Path, ports: DevnetPorts) -> Result<Devnet, HarnessError> {
		std::fs::create_dir_all(dir)
			.map_err(|source| HarnessError::Io { path: dir.into(), source })?;
		let mut nodes = BTreeMap::new();
		for (i, who) in VALIDATORS.iter().enumerate() {
			let cmd = validator(node, dir, who, i as u16, &ports);
			nodes.insert(*who, Proc::spawn(who, cmd, &dir.join(format!("{who}.log")))?);
		}
		Ok(Devnet { nodes, ports, dir: dir.into() })
	}

	/// Alice's WebSocket RPC URL.
	pub fn ws(&self) -> String {
		format!("ws://127.0.0.1:{}", self.ports.rpc)
	}

	/// Alice's Prometheus endpoint.
	pub fn metrics_url(&self) -> String {
		format!("http://127.0.0.1:{}/metrics", self.ports.prometheus())
	}

	/// Where the logs are.
	pub fn dir(&self) -> &Path {
		&self.dir
	}

	/// Stops one validator (SIGINT-like graceful stop, then kill).
	pub fn stop(&mut self, who: &str) {
		if let Some(mut p) = self.nodes.remove(who) {
			p.stop(Duration::from_secs(15));
		}
	}

	/// Waits until Alice's node has finalized block `n`.
	pub async fn wait_finalized(&self, n: u64, timeout: Duration) -> Result<u64, HarnessError> {
		let url = self.ws();
		wait_for(&format!("block #{n} finalized at {url}"), timeout, Duration::from_secs(1), || {
			let url = url.clone();
			async move {
				let chain = pod_chain::Chain::connect(&url).await.ok()?;
				chain.finalized_number().await.ok().filter(|f| *f >= n)
			}
		})
		.await
	}
}

fn validator(node: &Path, dir: &Path, who: &str, i: u16, ports: &DevnetPorts) -> Command {
	let mut cmd = Command::new(node);
	cmd.args(["--chain", "local", &format!("--{who}"), "--validator", "--base-path"])
		.arg(dir.join(who))
		.args(["--database", "rocksdb", "--listen-addr"])
		.arg(format!("/ip4/127.0.0.1/tcp/{}", ports.p2p + i))
		.args(["--rpc-port", &(ports.rpc + i).to_string(), "--rpc-cors", "all"])
		.args(["--no-telemetry", "--no-mdns", "--prometheus-port"])
		.arg((ports.prometheus() + i).to_string())
		.arg("--unsafe-force-node-key-generation");
	if who == "alice" {
		cmd.args(["--node-key", ALICE_NODE_KEY]);
	} else {
		cmd.arg("--bootnodes").arg(format!("/ip4/127.0.0.1/tcp/{}/p2p/{ALICE_PEER_ID}", ports.p2p));
	}
	cmd
}
