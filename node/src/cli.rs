//! Command-line interface.

use sc_cli::RunCmd;

#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: RunCmd,
}

#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management tools.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),
	/// Build a chain specification.
	#[deprecated(note = "use `export-chain-spec`")]
	BuildSpec(sc_cli::BuildSpecCmd),
	/// Export a chain specification.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),
	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),
	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),
	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),
	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),
	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),
	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),
	/// Db meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),
	/// Benchmarks: `benchmark pallet` (the runtime's `weights.rs`) and
	/// `benchmark storage` (database read and write costs).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),
}
