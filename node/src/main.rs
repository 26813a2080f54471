//! `pod-node`: the PoD CDN chain node validators run.
//!
//! The standard Substrate node CLI (`--dev`, `--chain local`, `--alice`,
//! `--validator`, `--base-path`, `--rpc-port`, `--port`, `--bootnodes`,
//! `--database rocksdb`), Aura block production, GRANDPA finality, RocksDB.

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
