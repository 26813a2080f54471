//! Subcommand dispatch.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use pod_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"PoD CDN Node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		"PoD CDN developers".into()
	}

	fn support_url() -> String {
		"the project's issue tracker".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" => Box::new(chain_spec::development_chain_spec()?),
			"" | "local" => Box::new(chain_spec::local_chain_spec()?),
			path => {
				Box::new(chain_spec::ChainSpec::from_json_file(std::path::PathBuf::from(path))?)
			}
		})
	}
}

/// Parses the command line and runs the node or a subcommand.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args();
	match &cli.subcommand {
		None => run_node(&cli),
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		#[allow(deprecated)]
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		}
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let spec = cli.load_spec(&cmd.chain)?;
			cmd.run(spec)
		}
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => run_benchmark(&cli, cmd),
		Some(sub) => run_chain_maintenance(&cli, sub),
	}
}

/// Runs the node until it is stopped, on the configured network backend.
fn run_node(cli: &Cli) -> sc_cli::Result<()> {
	let runner = cli.create_runner(&cli.run)?;
	runner.run_node_until_exit(|config| async move {
		match config.network.network_backend {
			sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
				sc_network::NetworkWorker<Block, <Block as sp_runtime::traits::Block>::Hash>,
			>(config)
			.map_err(sc_cli::Error::Service),
			sc_network::config::NetworkBackendType::Litep2p => {
				service::new_full::<sc_network::Litep2pNetworkBackend>(config)
					.map_err(sc_cli::Error::Service)
			}
		}
	})
}

/// The subcommands that read or rewrite the chain's database.
fn run_chain_maintenance(cli: &Cli, sub: &Subcommand) -> sc_cli::Result<()> {
	match sub {
		Subcommand::CheckBlock(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let PartialComponents { client, task_manager, import_queue, .. } =
				service::new_partial(&config)?;
			Ok((cmd.run(client, import_queue), task_manager))
		}),
		Subcommand::ExportBlocks(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
			Ok((cmd.run(client, config.database), task_manager))
		}),
		Subcommand::ExportState(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
			Ok((cmd.run(client, config.chain_spec), task_manager))
		}),
		Subcommand::ImportBlocks(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let PartialComponents { client, task_manager, import_queue, .. } =
				service::new_partial(&config)?;
			Ok((cmd.run(client, import_queue), task_manager))
		}),
		Subcommand::PurgeChain(cmd) => {
			cli.create_runner(cmd)?.sync_run(|config| cmd.run(config.database))
		}
		Subcommand::Revert(cmd) => cli.create_runner(cmd)?.async_run(|config| {
			let PartialComponents { client, task_manager, backend, .. } =
				service::new_partial(&config)?;
			let aux_revert = Box::new(|client, _, blocks| {
				sc_consensus_grandpa::revert(client, blocks)?;
				Ok(())
			});
			Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
		}),
		Subcommand::ChainInfo(cmd) => {
			cli.create_runner(cmd)?.sync_run(|config| cmd.run::<Block>(&config))
		}
		_ => Err("not a chain-maintenance subcommand".into()),
	}
}

/// `benchmark pallet` (the runtime's weights) and `benchmark storage` (what
/// a database read and write cost on this machine's disk, with this
/// node's state), the benchmarks built into the node.
#[cfg(feature = "runtime-benchmarks")]
fn run_benchmark(cli: &Cli, cmd: &frame_benchmarking_cli::BenchmarkCmd) -> sc_cli::Result<()> {
	use frame_benchmarking_cli::BenchmarkCmd;
	let runner = cli.create_runner(cmd)?;
	runner.sync_run(|config| match cmd {
		BenchmarkCmd::Pallet(cmd) => cmd
			.run_with_spec::<sp_runtime::traits::HashingFor<Block>, pod_crypto::HostFunctions>(
				Some(config.chain_spec),
			),
		BenchmarkCmd::Storage(cmd) => {
			let parts = service::new_partial(&config)?;
			let (db, storage) = (parts.backend.expose_db(), parts.backend.expose_storage());
			let cache = parts.backend.expose_shared_trie_cache();
			cmd.run(config, parts.client, db, storage, cache)
		}
		_ => Err("pod-node has `benchmark pallet` and `benchmark storage`".into()),
	})
}
