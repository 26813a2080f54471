//! The full node service: client and RocksDB backend, transaction pool,
//! Aura block authoring, GRANDPA finality, networking and RPC.

use futures::FutureExt;
use pod_runtime::{apis::RuntimeApi, opaque::Block};
use sc_client_api::{Backend, BlockBackend, ExecutorProvider};
use sc_consensus_aura::{ImportQueueParams, SlotProportion, StartAuraParams};
use sc_consensus_grandpa::SharedVoterState;
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_consensus_aura::sr25519::{AuthorityId as AuraId, AuthorityPair as AuraPair};
use std::{sync::Arc, time::Duration};

/// The host functions the runtime may import. Built with `runtime-benchmarks`
/// (the optimised node the benchmark scripts run), the runtime also imports the
/// benchmarking ones, and the node must provide them to run it at all.
/// `pod_crypto` provides the batch signature verification pallet-pod uses.
#[cfg(not(feature = "runtime-benchmarks"))]
type HostFunctions = (sp_io::SubstrateHostFunctions, pod_crypto::HostFunctions);
#[cfg(feature = "runtime-benchmarks")]
type HostFunctions = (
	sp_io::SubstrateHostFunctions,
	pod_crypto::HostFunctions,
	frame_benchmarking::benchmarking::HostFunctions,
);

/// Batches of signatures this node remembers having verified (32 bytes each):
/// many blocks' worth of attestation batches, or of single attestations.
const VERIFIED_BATCHES: u32 = 65_536;

/// Registers the cache of verified signature batches for every runtime call
/// the client makes (pool validation, block building and import).
struct VerifiedBatchesFactory(Arc<pod_crypto::VerifiedBatches>);

impl sc_client_api::execution_extensions::ExtensionsFactory<Block> for VerifiedBatchesFactory {
	fn extensions_for(
		&self,
		_: <Block as sp_runtime::traits::Block>::Hash,
		_: sp_runtime::traits::NumberFor<Block>,
	) -> sp_externalities::Extensions {
		let mut extensions = sp_externalities::Extensions::new();
		extensions.register(pod_crypto::VerifiedBatchesExt(self.0.clone()));
		extensions
	}
}

/// The cache's counts as a Prometheus counter read at each scrape:
/// `substrate_pod_signature_batches_total{how="verified"|"cached"}` (the
/// node's registry adds `substrate_`).
#[derive(Clone)]
struct BatchCounts(Arc<pod_crypto::VerifiedBatches>);

impl substrate_prometheus_endpoint::MetricSource for BatchCounts {
	type N = u64;

	fn collect(&self, mut set: impl FnMut(&[&str], u64)) {
		let s = self.0.stats();
		set(&["verified"], s.misses);
		set(&["cached"], s.hits);
	}
}

/// Exports the cache's counts on the node's Prometheus endpoint, if it has one.
fn export_verified_batches(
	cache: &Arc<pod_crypto::VerifiedBatches>,
	registry: Option<&substrate_prometheus_endpoint::Registry>,
) -> Result<(), substrate_prometheus_endpoint::PrometheusError> {
	use substrate_prometheus_endpoint::{register, Opts, SourcedCounter};
	let Some(registry) = registry else { return Ok(()) };
	let opts = Opts::new(
		"pod_signature_batches_total",
		"Signature batches this node checked: verified with curve arithmetic, or answered from its cache",
	)
	.variable_label("how");
	register(SourcedCounter::new(&opts, BatchCounts(cache.clone()))?, registry)?;
	Ok(())
}

/// Logs how often the cache of verified batches answered, every 30 s while
/// it is used.
async fn log_verified_batches(cache: Arc<pod_crypto::VerifiedBatches>) {
	let mut last = cache.stats();
	loop {
		futures_timer::Delay::new(Duration::from_secs(30)).await;
		let now = cache.stats();
		if now != last {
			log::info!(
				target: "pod",
				"signature batches: {} verified, {} answered from cache (since start)",
				now.misses,
				now.hits
			);
			last = now;
		}
	}
}

pub(crate) type FullClient =
	sc_service::TFullClient<Block, RuntimeApi, sc_executor::WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;

/// Blocks between GRANDPA justifications that are imported and generated.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

type GrandpaBlockImport =
	sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>;

pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
	(
		GrandpaBlockImport,
		sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
		Option<Telemetry>,
	),
>;

/// The parts shared by the node and the chain-maintenance subcommands.
pub fn new_partial(config: &Configuration) -> Result<Service, ServiceError> {
	let telemetry = telemetry_worker(config)?;
	let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			// Keep the default pruning behaviour: no extra blocks are pinned.
			Vec::new(),
		)?;
	let client = Arc::new(client);
	// Each attestation batch is verified once per node: the pool's
	// re-validations and the block that carries it find it in this cache.
	let verified = Arc::new(pod_crypto::VerifiedBatches::new(VERIFIED_BATCHES));
	client.execution_extensions().set_extensions_factory(VerifiedBatchesFactory(verified.clone()));
	export_verified_batches(&verified, config.prometheus_registry())
		.map_err(|e| ServiceError::Other(format!("registering the batch metrics: {e}")))?;
	task_manager.spawn_handle().spawn("pod-verified-batches", None, log_verified_batches(verified));

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
		client.clone(),
		GRANDPA_JUSTIFICATION_PERIOD,
		&client,
		select_chain.clone(),
		telemetry.as_ref().map(|x| x.handle()),
	)?;

	let import_queue = aura_import_queue(
		config,
		&task_manager,
		&client,
		&grandpa_block_import,
		telemetry.as_ref(),
	)?;

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (grandpa_block_import, grandpa_link, telemetry),
	})
}

/// Builds and starts a full node (a validator when the role says so).
pub fn new_full<
	N: sc_network::NetworkBackend<Block, <Block as sp_runtime::traits::Block>::Hash>,
>(
	config: Configuration,
) -> Result<TaskManager, ServiceError> {
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (block_import, grandpa_link, mut telemetry),
	} = new_partial(&config)?;
	let role = config.role;
	let force_authoring = config.force_authoring;
	let name = config.network.node_name.clone();
	let enable_grandpa = !config.disable_grandpa;
	let prometheus_registry = config.prometheus_registry().cloned();
	let parts = NetworkParts {
		client: &client,
		backend,
		pool: &transaction_pool,
		task_manager: &mut task_manager,
		import_queue,
		keystore: &keystore_container,
		telemetry: &mut telemetry,
		grandpa_link: &grandpa_link,
	};
	let net = start_network_and_rpc::<N>(config, parts)?;
	if role.is_authority() {
		let authoring = Authoring {
			client,
			pool: transaction_pool.clone(),
			select_chain,
			block_import,
			keystore: keystore_container.keystore(),
			sync: net.sync.clone(),
			force_authoring,
			prometheus: prometheus_registry.clone(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
		};
		start_aura(&task_manager, authoring)?;
	}
	if enable_grandpa {
		let voting = Voting {
			link: grandpa_link,
			network: net.network,
			sync: net.sync,
			notification_service: net.grandpa_notifications,
			protocol_name: net.grandpa_protocol,
			// Only an authority needs a keystore for GRANDPA.
			keystore: role.is_authority().then(|| keystore_container.keystore()),
			name,
			role,
			prometheus: prometheus_registry,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			pool: transaction_pool,
		};
		start_grandpa(&task_manager, voting)?;
	}
	Ok(task_manager)
}

/// What networking and RPC are built from.
struct NetworkParts<'a> {
	client: &'a Arc<FullClient>,
	backend: Arc<FullBackend>,
	pool: &'a Arc<FullPool>,
	task_manager: &'a mut TaskManager,
	import_queue: sc_consensus::DefaultImportQueue<Block>,
	keystore: &'a sc_service::KeystoreContainer,
	telemetry: &'a mut Option<Telemetry>,
	grandpa_link: &'a sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
}

/// The running network, as consensus needs it.
struct Networked {
	network: Arc<dyn sc_network::service::traits::NetworkService>,
	sync: Arc<sc_network_sync::SyncingService<Block>>,
	grandpa_protocol: sc_network::ProtocolName,
	grandpa_notifications: Box<dyn sc_network::NotificationService>,
}

/// Builds the network (with GRANDPA's protocol and warp sync), the offchain
/// workers if enabled, and the RPC server with the node's other tasks.
fn start_network_and_rpc<
	N: sc_network::NetworkBackend<Block, <Block as sp_runtime::traits::Block>::Hash>,
>(
	config: Configuration,
	p: NetworkParts<'_>,
) -> Result<Networked, ServiceError> {
	let mut net_config = sc_network::config::FullNetworkConfiguration::<
		Block,
		<Block as sp_runtime::traits::Block>::Hash,
		N,
	>::new(&config.network, config.prometheus_registry().cloned());
	let metrics = N::register_notification_metrics(config.prometheus_registry());
	let (grandpa_protocol, grandpa_notifications) =
		grandpa_peers_set(&config, p.client, &mut net_config, metrics.clone());
	let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
		p.backend.clone(),
		p.grandpa_link.shared_authority_set().clone(),
		Vec::default(),
	));
	let (network, system_rpc_tx, tx_handler_controller, sync, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: p.client.clone(),
			transaction_pool: p.pool.clone(),
			spawn_handle: p.task_manager.spawn_handle(),
			spawn_essential_handle: p.task_manager.spawn_essential_handle(),
			import_queue: p.import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: Some(WarpSyncConfig::WithProvider(warp_sync)),
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;
	if config.offchain_worker.enabled {
		let (client, backend, pool) = (p.client, &p.backend, p.pool);
		start_offchain_workers(
			&config,
			p.task_manager,
			client,
			p.keystore,
			backend,
			pool,
			network.clone(),
		)?;
	}
	let (client, pool) = (p.client.clone(), p.pool.clone());
	let rpc_builder = Box::new(move |_| {
		let deps = crate::rpc::FullDeps { client: client.clone(), pool: pool.clone() };
		crate::rpc::create_full(deps).map_err(Into::into)
	});
	sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: Arc::new(network.clone()),
		client: p.client.clone(),
		keystore: p.keystore.keystore(),
		task_manager: p.task_manager,
		transaction_pool: p.pool.clone(),
		rpc_builder,
		backend: p.backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync.clone(),
		config,
		telemetry: p.telemetry.as_mut(),
		tracing_execute_block: None,
	})?;
	Ok(Networked { network, sync, grandpa_protocol, grandpa_notifications })
}

type FullPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;

/// Runs the runtime's offchain workers on every imported block.
fn start_offchain_workers(
	config: &Configuration,
	task_manager: &TaskManager,
	client: &Arc<FullClient>,
	keystore: &sc_service::KeystoreContainer,
	backend: &Arc<FullBackend>,
	pool: &Arc<FullPool>,
	network: Arc<dyn sc_network::service::traits::NetworkService>,
) -> Result<(), ServiceError> {
	let offchain_workers = sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
		runtime_api_provider: client.clone(),
		is_validator: config.role.is_authority(),
		keystore: Some(keystore.keystore()),
		offchain_db: backend.offchain_storage(),
		transaction_pool: Some(OffchainTransactionPoolFactory::new(pool.clone())),
		network_provider: Arc::new(network),
		enable_http_requests: true,
		custom_extensions: |_| vec![],
	})?;
	task_manager.spawn_handle().spawn(
		"offchain-workers-runner",
		"offchain-worker",
		offchain_workers.run(client.clone(), task_manager.spawn_handle()).boxed(),
	);
	Ok(())
}

/// What block authoring needs.
struct Authoring {
	client: Arc<FullClient>,
	pool: Arc<FullPool>,
	select_chain: FullSelectChain,
	block_import: GrandpaBlockImport,
	keystore: sp_keystore::KeystorePtr,
	sync: Arc<sc_network_sync::SyncingService<Block>>,
	force_authoring: bool,
	prometheus: Option<substrate_prometheus_endpoint::Registry>,
	telemetry: Option<sc_telemetry::TelemetryHandle>,
}

/// Starts Aura block authoring, an essential task: if it fails, the node
/// goes down with it.
fn start_aura(task_manager: &TaskManager, a: Authoring) -> Result<(), ServiceError> {
	let proposer_factory = sc_basic_authorship::ProposerFactory::new(
		task_manager.spawn_handle(),
		a.client.clone(),
		a.pool,
		a.prometheus.as_ref(),
		a.telemetry.clone(),
	);
	let slot_duration = sc_consensus_aura::slot_duration::<AuraId, _, _>(&*a.client)?;
	let aura =
		sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(StartAuraParams {
			slot_duration,
			client: a.client,
			select_chain: a.select_chain,
			block_import: a.block_import,
			proposer_factory,
			create_inherent_data_providers: move |_, ()| async move {
				let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
				let slot =
					sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
						*timestamp,
						slot_duration,
					);
				Ok((slot, timestamp))
			},
			force_authoring: a.force_authoring,
			backoff_authoring_blocks: Option::<()>::None,
			keystore: a.keystore,
			sync_oracle: a.sync.clone(),
			justification_sync_link: a.sync,
			block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
			max_block_proposal_slot_portion: None,
			telemetry: a.telemetry,
			compatibility_mode: Default::default(),
		})?;
	task_manager.spawn_essential_handle().spawn_blocking("aura", Some("block-authoring"), aura);
	Ok(())
}

/// The telemetry worker and handle, if telemetry endpoints are configured.
fn telemetry_worker(
	config: &Configuration,
) -> Result<Option<(TelemetryWorker, Telemetry)>, ServiceError> {
	Ok(config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?)
}

/// Imports blocks checked by Aura (slots, authors) and GRANDPA (justifications).
fn aura_import_queue(
	config: &Configuration,
	task_manager: &TaskManager,
	client: &Arc<FullClient>,
	block_import: &GrandpaBlockImport,
	telemetry: Option<&Telemetry>,
) -> Result<sc_consensus::DefaultImportQueue<Block>, ServiceError> {
	let cidp_client = client.clone();
	Ok(sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(ImportQueueParams {
		block_import: block_import.clone(),
		justification_import: Some(Box::new(block_import.clone())),
		client: client.clone(),
		create_inherent_data_providers: move |parent_hash, _| {
			let cidp_client = cidp_client.clone();
			async move {
				let slot_duration =
					sc_consensus_aura::standalone::slot_duration_at(&*cidp_client, parent_hash)?;
				let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
				let slot =
					sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
						*timestamp,
						slot_duration,
					);
				Ok((slot, timestamp))
			}
		},
		spawner: &task_manager.spawn_essential_handle(),
		registry: config.prometheus_registry(),
		check_for_equivocation: Default::default(),
		telemetry: telemetry.map(|x| x.handle()),
		compatibility_mode: Default::default(),
	})?)
}

/// GRANDPA's notification protocol on this chain, added to the network.
fn grandpa_peers_set<
	N: sc_network::NetworkBackend<Block, <Block as sp_runtime::traits::Block>::Hash>,
>(
	config: &Configuration,
	client: &Arc<FullClient>,
	net_config: &mut sc_network::config::FullNetworkConfiguration<
		Block,
		<Block as sp_runtime::traits::Block>::Hash,
		N,
	>,
	metrics: sc_network::service::NotificationMetrics,
) -> (sc_network::ProtocolName, Box<dyn sc_network::NotificationService>) {
	let peer_store_handle = net_config.peer_store_handle();
	let protocol_name = sc_consensus_grandpa::protocol_standard_name(
		&client.block_hash(0).ok().flatten().expect("Genesis block exists; qed"),
		&config.chain_spec,
	);
	let (protocol_config, notification_service) =
		sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
			protocol_name.clone(),
			metrics,
			peer_store_handle,
		);
	net_config.add_notification_protocol(protocol_config);
	(protocol_name, notification_service)
}

/// What the GRANDPA voter needs.
struct Voting {
	link: sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
	network: Arc<dyn sc_network::service::traits::NetworkService>,
	sync: Arc<sc_network_sync::SyncingService<Block>>,
	notification_service: Box<dyn sc_network::NotificationService>,
	protocol_name: sc_network::ProtocolName,
	keystore: Option<sp_keystore::KeystorePtr>,
	name: String,
	role: sc_service::Role,
	prometheus: Option<substrate_prometheus_endpoint::Registry>,
	telemetry: Option<sc_telemetry::TelemetryHandle>,
	pool: Arc<FullPool>,
}

/// Starts the GRANDPA voter, an essential task.
fn start_grandpa(task_manager: &TaskManager, v: Voting) -> Result<(), ServiceError> {
	let config = sc_consensus_grandpa::Config {
		gossip_duration: Duration::from_millis(333),
		justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
		name: Some(v.name),
		observer_enabled: false,
		keystore: v.keystore,
		local_role: v.role,
		telemetry: v.telemetry.clone(),
		protocol_name: v.protocol_name,
	};
	let params = sc_consensus_grandpa::GrandpaParams {
		config,
		link: v.link,
		network: v.network,
		sync: Arc::new(v.sync),
		notification_service: v.notification_service,
		voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
		prometheus_registry: v.prometheus,
		shared_voter_state: SharedVoterState::empty(),
		telemetry: v.telemetry,
		offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(v.pool),
	};
	task_manager.spawn_essential_handle().spawn_blocking(
		"grandpa-voter",
		None,
		sc_consensus_grandpa::run_grandpa_voter(params)?,
	);
	Ok(())
}
