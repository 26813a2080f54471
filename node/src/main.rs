//! `pod-node`: the PoD CDN chain node validators run.
//!
//! The standard Substrate node CLI (`--dev`, `--chain local`, `--alice`,
//! `--validator`, `--base-path`, `--rpc-port`, `--port`, `--bootnodes`,
//! `--database rocksdb`), Aura block production, GRANDPA finality, RocksDB.

// The node returns Substrate's own error types (`sc_service::Error`,
// `sc_cli::Error`), which are large; every service function and CLI runner
// closure would otherwise box and unbox them at each `?`.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
