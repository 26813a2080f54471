//! The product end to end on loopback: a four-validator devnet, an origin,
//! the reporter, three edges and clients; downloads through the edges;
//! windows claimed, confirmed, submitted and finalized; then the chain's
//! books checked against the bytes the clients received. With faults, in
//! the same run: the reporter dies on its first confirmation request, edge
//! 2 dies right after storing its first confirmation (both restarted), and
//! validator Dave stops before settlement.

use crate::binary;
use crate::books::{self, Account, Expected, Snapshot};
use crate::devnet::{Devnet, DevnetPorts};
use crate::process::{wait_for, HarnessError, Proc, Supervised};
use pod_chain::Chain;
use pod_client::FetchSummary;
use pod_primitives::{dev, keys, PublicKey};
use pod_wire::replies::ReporterStatus;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use subxt_signer::sr25519::dev as dev_accounts;

mod browser;
mod peers;
mod trust;

/// What to run.
#[derive(Debug, Clone)]
pub struct E2eConfig {
	/// Logs, chain data and files.
	pub dir: PathBuf,
	/// Size of the content in MiB (plus 12,345 bytes: the last chunk is short).
	pub mib: u64,
	/// Clients downloading it, one after another.
	pub clients: u32,
	/// Kill the reporter and an edge mid-settlement, stop a validator.
	pub faults: bool,
	/// No progress bars.
	pub quiet: bool,
	/// A browser (Chromium, the demo page) downloads too, after the clients.
	pub browser: bool,
	/// Run `scripts/polkadot-check/check.mjs` against the devnet first.
	pub polkadot_check: bool,
	/// Afterwards, stop a validator and check that finality continues.
	pub stop_one: bool,
	/// The devnet's ports.
	pub ports: DevnetPorts,
	/// First port of the origin, reporter and edges.
	pub offchain_base: u16,
	/// How long settlement may take.
	pub settle_timeout: Duration,
}

/// Price the customer pays: 1 UNIT (10^12) per GiB.
const PRICE: u128 = 1_000_000_000_000;
const EDGES: usize = 3;

fn repo_root() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HarnessError + '_ {
	move |source| HarnessError::Io { path: path.into(), source }
}

/// A 32-byte seed from a name, as the demo's keys are made.
fn seed_of(name: &str) -> [u8; 32] {
	let mut s = [b' '; 32];
	s[..name.len().min(32)].copy_from_slice(&name.as_bytes()[..name.len().min(32)]);
	s
}

/// Runs the whole job; returns once the books balanced (or fails saying why).
pub async fn run(cfg: &E2eConfig) -> Result<(), HarnessError> {
	std::fs::create_dir_all(&cfg.dir).map_err(io(&cfg.dir))?;
	println!("== logs in {}", cfg.dir.display());
	let mut devnet = Devnet::start(&binary("pod-node"), &cfg.dir, cfg.ports.clone())?;
	println!("== waiting for the 4 validators to finalize blocks");
	devnet.wait_finalized(2, Duration::from_secs(300)).await?;
	if cfg.polkadot_check {
		polkadot_check(&devnet.ws())?;
	}
	let chain =
		Chain::connect(&devnet.ws()).await.map_err(|e| HarnessError::Check(e.to_string()))?;
	deliver_and_settle(cfg, &mut devnet, &chain).await?;
	if cfg.stop_one {
		finality_with_one_stopped(&mut devnet).await?;
	}
	Ok(())
}

/// `node scripts/polkadot-check/check.mjs WS`: a real polkadot.js client
/// reads and drives Pod with metadata types only.
fn polkadot_check(ws: &str) -> Result<(), HarnessError> {
	let script = repo_root().join("scripts/polkadot-check/check.mjs");
	let status = Command::new("node")
		.arg(&script)
		.arg(ws)
		.status()
		.map_err(|source| HarnessError::Spawn { what: "node check.mjs".into(), source })?;
	if !status.success() {
		return Err(HarnessError::Check(format!("check.mjs failed: {status}")));
	}
	Ok(())
}

async fn finality_with_one_stopped(devnet: &mut Devnet) -> Result<(), HarnessError> {
	println!("== one of four validators stops: finality continues");
	devnet.stop("dave");
	let f0 = devnet.wait_finalized(1, Duration::from_secs(30)).await?;
	let f1 = devnet.wait_finalized(f0 + 3, Duration::from_secs(120)).await?;
	println!("finalized #{f0} -> #{f1} with Alice, Bob and Charlie");
	Ok(())
}

/// The off-chain side of one run.
/// A reporter's admin port is its port plus this.
const ADMIN_OFFSET: u16 = 200;

struct Offchain {
	_origin: Proc,
	reporter: Supervised,
	/// The trust scenarios' second and third reporters.
	_more_reporters: Vec<Proc>,
	edges: Vec<Supervised>,
	reporter_url: String,
}

/// Edge `i`'s admin port is `offchain_base + i` plus this.
const EDGE_ADMIN_OFFSET: u16 = 40;

/// Edge `i`'s admin plane.
fn edge_admin_url(cfg: &E2eConfig, i: usize) -> String {
	format!("http://127.0.0.1:{}", cfg.offchain_base + i as u16 + EDGE_ADMIN_OFFSET)
}

/// The main, second and third reporters: URLs and keys.
fn reporters_at(cfg: &E2eConfig) -> [trust::ReporterAt; 3] {
	let at = |port: u16, seed: &[u8; 32]| trust::ReporterAt {
		url: format!("http://127.0.0.1:{port}"),
		key: keys::keypair_from_seed(seed).public.to_bytes(),
	};
	let b = cfg.offchain_base;
	[
		at(b + 1, &dev::REPORTER_SEED),
		at(b + 2, &trust::REPORTER2_SEED),
		at(b + 3, &trust::REPORTER3_SEED),
	]
}

async fn deliver_and_settle(
	cfg: &E2eConfig,
	devnet: &mut Devnet,
	chain: &Chain,
) -> Result<(), HarnessError> {
	let content = Content::make(cfg)?;
	let owners = [
		Account { name: "//Alice", pair: dev_accounts::alice() },
		Account { name: "//Charlie", pair: dev_accounts::charlie() },
		Account { name: "//Dave", pair: dev_accounts::dave() },
	];
	let customer = Account { name: "//Ferdie", pair: dev_accounts::ferdie() };
	let off = start_offchain(cfg, &devnet.ws(), chain.genesis(), &content, &owners).await?;
	let edge_keys: Vec<PublicKey> = (0..EDGES).map(edge_public).collect();
	register_on_chain(chain, &owners, &edge_keys, &customer, &content).await?;
	let reg = pod_client::reporter::register(
		&off.reporter_url,
		content.manifest_bytes(),
		&content.origin_url,
	)
	.await
	.map_err(|e| HarnessError::Check(format!("registering with the reporter: {e}")))?;
	println!("   content registered with the reporter: {}", reg.content);
	junk_content_refused(&off.reporter_url).await?;
	origin_hijack_refused(&off.reporter_url, &content).await?;
	unregistered_edge_refused(&off.reporter_url, chain.genesis()).await?;
	let reporters = vec![pod_primitives::dev::REPORTER_PUBLIC];
	let mut expected = Expected { edges: BTreeMap::new(), customer, price: PRICE, reporters };
	for (key, owner) in edge_keys.iter().zip(owners) {
		expected.edges.insert(*key, (owner, 0));
	}
	let before = Snapshot::take(chain, &expected).await?;
	wait_live_edges(&off.reporter_url).await?;
	claimed_regions_ignored(&off.reporter_url).await?;
	ungranted_viewer_refused(&off.reporter_url, &content).await?;
	download(cfg, &content, &off.reporter_url, chain.genesis(), &mut expected)?;
	if cfg.browser {
		browser::download(&cfg.dir, &content, &off.reporter_url, chain.genesis(), &mut expected)
			.await?;
	}
	peers::unregistered_peer_refused(cfg, &content, chain.genesis()).await?;
	if cfg.faults {
		println!("== fault: validator Dave stops before settlement");
		devnet.stop("dave");
	}
	wait_settled(cfg, chain, &expected).await?;
	println!("== the chain's books against the bytes the clients received");
	books::verify(chain, &expected, &before).await?;
	node_metrics(devnet).await?;
	let admins = (0..EDGES).map(|i| (edge_public(i), edge_admin_url(cfg, i))).collect();
	trust::run(cfg, chain, &reporters_at(cfg), &expected, &admins).await?;
	if cfg.faults {
		check_faults_fired(&off)?;
	}
	print_audits(&format!("http://127.0.0.1:{}", cfg.offchain_base + ADMIN_OFFSET + 1)).await;
	Ok(())
}

/// The published content: its file, manifest and origin URL.
struct Content {
	file: PathBuf,
	manifest: pod_primitives::Manifest,
	origin_url: String,
}

impl Content {
	fn make(cfg: &E2eConfig) -> Result<Content, HarnessError> {
		let dir = cfg.dir.join("origin");
		std::fs::create_dir_all(&dir).map_err(io(&dir))?;
		let file = dir.join("video.bin");
		let size = (cfg.mib << 20) + 12_345;
		println!(
			"== content: {} MiB of random bytes (+12345, so the last chunk is short)",
			cfg.mib
		);
		random_file(&file, size)?;
		let manifest =
			pod_client::content::manifest_of_file(&file, pod_primitives::DEFAULT_CHUNK_SIZE)
				.map_err(|e| HarnessError::Check(e.to_string()))?;
		println!("   content id {}, {size} bytes", hex::encode(manifest.id()));
		let origin_url = format!("http://127.0.0.1:{}/video.bin", cfg.offchain_base);
		Ok(Content { file, manifest, origin_url })
	}

	fn manifest_bytes(&self) -> Vec<u8> {
		codec::Encode::encode(&self.manifest)
	}
}

fn random_file(path: &Path, size: u64) -> Result<(), HarnessError> {
	use std::io::Read;
	let mut src = std::fs::File::open("/dev/urandom").map_err(io(Path::new("/dev/urandom")))?;
	let mut out = std::fs::File::create(path).map_err(io(path))?;
	std::io::copy(&mut (&mut src).take(size), &mut out).map_err(io(path))?;
	Ok(())
}

fn edge_seed(i: usize) -> [u8; 32] {
	seed_of(&format!("pod-cdn/demo/edge-{i}"))
}

fn edge_public(i: usize) -> PublicKey {
	keys::keypair_from_seed(&edge_seed(i)).public.to_bytes()
}

async fn start_offchain(
	cfg: &E2eConfig,
	ws: &str,
	genesis: [u8; 32],
	content: &Content,
	owners: &[Account; EDGES],
) -> Result<Offchain, HarnessError> {
	let base = cfg.offchain_base;
	let mut origin = Command::new(binary("pod-origin"));
	origin.arg("--dir").arg(content.file.parent().expect("in a directory"));
	origin.args(["--listen", &format!("127.0.0.1:{base}")]);
	let origin = Proc::spawn("origin", origin, &cfg.dir.join("origin.log"))?;
	let reporter_url = format!("http://127.0.0.1:{}", base + 1);
	println!("== reporter on {reporter_url} (dev reporter key, registered at genesis)");
	let reporter = start_reporter(cfg, ws)?;
	wait_http(&format!("{reporter_url}/status"), Duration::from_secs(120)).await?;
	let mut more = Vec::new();
	for (i, seed) in [(2, trust::REPORTER2_SEED), (3, trust::REPORTER3_SEED)] {
		more.push(start_more_reporter(cfg, ws, i, &seed)?);
	}
	println!("== three edges (owners Alice, Charlie, Dave)");
	let mut edges = Vec::new();
	let mut bootstrap = None;
	for (i, owner) in owners.iter().enumerate() {
		edges.push(start_edge(cfg, ws, genesis, &reporter_url, i, bootstrap.as_deref())?);
		let url = format!("http://127.0.0.1:{}", base + 10 + i as u16);
		wait_http(&format!("{url}/status"), Duration::from_secs(60)).await?;
		if i == 0 {
			bootstrap = Some(p2p_address(&cfg.dir.join("edge0.log")).await?);
		}
		let key = &hex::encode(edge_public(i))[..16];
		println!("   edge {i}: {key}… on {url} owned by {}", owner.name);
	}
	Ok(Offchain { _origin: origin, reporter, _more_reporters: more, edges, reporter_url })
}

/// Reporter `i` (2 or 3) of the trust scenarios: Root adds it later.
fn start_more_reporter(
	cfg: &E2eConfig,
	ws: &str,
	i: u16,
	seed: &[u8; 32],
) -> Result<Proc, HarnessError> {
	let path = cfg.dir.join(format!("reporter{i}.toml"));
	let toml = format!(
		"listen = \"127.0.0.1:{}\"\nadmin_listen = \"127.0.0.1:{}\"\ndata_dir = \"{}\"\nkey_seed = \"{}\"\n\
		 chain = \"{ws}\"\nticket_ttl_secs = 40\nconfirm_grace_ms = 3000\nedge_timeout_secs = 15\n\
		 allow_private_edges = true\n",
		cfg.offchain_base + i,
		cfg.offchain_base + ADMIN_OFFSET + i,
		cfg.dir.join(format!("reporter{i}")).display(),
		hex::encode(seed),
	);
	std::fs::write(&path, toml).map_err(io(&path))?;
	let mut c = Command::new(binary("pod-reporter"));
	c.arg("--config").arg(&path);
	Proc::spawn(&format!("reporter{i}"), c, &cfg.dir.join(format!("reporter{i}.log")))
}

fn start_reporter(cfg: &E2eConfig, ws: &str) -> Result<Supervised, HarnessError> {
	let path = cfg.dir.join("reporter.toml");
	let toml = format!(
		"listen = \"127.0.0.1:{}\"\nadmin_listen = \"127.0.0.1:{}\"\ndata_dir = \"{}\"\nkey_seed = \"{}\"\n\
		 chain = \"{ws}\"\nticket_ttl_secs = 40\nconfirm_grace_ms = 3000\nedge_timeout_secs = 15\n\
		 hot_threshold = 2\nhot_replicas = 3\naudit_interval_secs = 4\nallow_private_edges = true\n",
		cfg.offchain_base + 1,
		cfg.offchain_base + ADMIN_OFFSET + 1,
		cfg.dir.join("reporter").display(),
		hex::encode(dev::REPORTER_SEED),
	);
	std::fs::write(&path, toml).map_err(io(&path))?;
	let faults = cfg.faults;
	let make = move || {
		let mut c = Command::new(binary("pod-reporter"));
		c.arg("--config").arg(&path);
		if faults {
			c.env("POD_REPORTER_FAULT", "exit-on-confirm");
		}
		c
	};
	Supervised::start("reporter", make, "POD_REPORTER_FAULT", &cfg.dir.join("reporter.log"))
}

fn start_edge(
	cfg: &E2eConfig,
	ws: &str,
	genesis: [u8; 32],
	reporter_url: &str,
	i: usize,
	bootstrap: Option<&str>,
) -> Result<Supervised, HarnessError> {
	let base = cfg.offchain_base + i as u16;
	let all = reporters_at(cfg);
	let path = cfg.dir.join(format!("edge{i}.toml"));
	let size = (cfg.mib << 20) + 12_345;
	let mut toml = format!(
		"listen = \"127.0.0.1:{}\"\nadmin_listen = \"127.0.0.1:{}\"\ndata_dir = \"{}\"\nkey_seed = \"{}\"\ngenesis = \"{}\"\n\
		 reporters = [{}]\nreporter_url = \"{reporter_url}\"\nchain = \"{ws}\"\n\
		 more_reporter_urls = [{}]\n\
		 heartbeat_secs = 2\nclaim_grace_ms = 2000\ncache_quota = {}\nmin_free = 0\n\
		 allow_private_origins = true\nregion = \"claimed-{i}\"\n\
		 p2p_listen = \"/ip4/127.0.0.1/tcp/{}\"\n",
		base + 10,
		base + EDGE_ADMIN_OFFSET,
		cfg.dir.join(format!("edge{i}")).display(),
		hex::encode(edge_seed(i)),
		hex::encode(genesis),
		all.iter().map(|r| format!("\"{}\"", hex::encode(r.key))).collect::<Vec<_>>().join(", "),
		all[1..].iter().map(|r| format!("\"{}\"", r.url)).collect::<Vec<_>>().join(", "),
		size * 2,
		base + 20,
	);
	if let Some(b) = bootstrap {
		toml.push_str(&format!("bootstrap = [\"{b}\"]\n"));
	}
	if i == 0 {
		// One receipt per claim: every window this edge serves with more
		// than one ticket of a reporter settles in parts, and the books
		// check that the parts together pay exactly what one claim would.
		toml.push_str("claim_receipts = 1\n");
	}
	std::fs::write(&path, toml).map_err(io(&path))?;
	let fault = cfg.faults && i == 2;
	let make = move || {
		let mut c = Command::new(binary("pod-edge"));
		c.arg("run").arg("--config").arg(&path);
		if fault {
			c.env("POD_EDGE_FAULT", "exit-after-confirm");
		}
		c
	};
	Supervised::start(
		&format!("edge{i}"),
		make,
		"POD_EDGE_FAULT",
		&cfg.dir.join(format!("edge{i}.log")),
	)
}

/// The `p2p <multiaddr>` line an edge prints when its peer layer is up.
async fn p2p_address(log: &Path) -> Result<String, HarnessError> {
	wait_for(
		"edge 0's p2p address",
		Duration::from_secs(30),
		Duration::from_millis(200),
		|| async {
			let text = std::fs::read_to_string(log).ok()?;
			text.lines().find_map(|l| l.strip_prefix("p2p ").map(str::to_string))
		},
	)
	.await
}

async fn get(url: &str) -> Option<bytes::Bytes> {
	let http = pod_http::http_client();
	let r =
		pod_http::call(&http, hyper::Method::GET, url, &[], vec![], Duration::from_secs(2)).await;
	r.ok()?.success().ok()
}

async fn wait_http(url: &str, timeout: Duration) -> Result<(), HarnessError> {
	wait_for(url, timeout, Duration::from_millis(500), || async { get(url).await.map(|_| ()) })
		.await
}

async fn wait_live_edges(reporter: &str) -> Result<(), HarnessError> {
	let url = format!("{reporter}/status");
	wait_for(
		"3 live edges at the reporter",
		Duration::from_secs(60),
		Duration::from_secs(1),
		|| async {
			let s: ReporterStatus = serde_json::from_slice(&get(&url).await?).ok()?;
			(s.edges.iter().filter(|e| e.live).count() >= EDGES).then_some(())
		},
	)
	.await
}

/// Each edge's heartbeat claims a region of its own (`claimed-i`); the
/// reporter records the one its owner registered and bonded on chain.
async fn claimed_regions_ignored(reporter: &str) -> Result<(), HarnessError> {
	let url = format!("{reporter}/status");
	let body =
		get(&url).await.ok_or_else(|| HarnessError::Check(format!("{url} did not answer")))?;
	let s: ReporterStatus =
		serde_json::from_slice(&body).map_err(|e| HarnessError::Check(format!("{url}: {e}")))?;
	for e in &s.edges {
		if e.record.region != "local" {
			let why = format!(
				"the reporter took edge {}'s region from its heartbeat: {:?}",
				e.edge, e.record.region
			);
			return Err(HarnessError::Check(why));
		}
	}
	println!("   the edges' heartbeats claim regions of their own; the reporter records the chain's (\"local\")");
	Ok(())
}

async fn register_on_chain(
	chain: &Chain,
	owners: &[Account; EDGES],
	edge_keys: &[PublicKey],
	customer: &Account,
	content: &Content,
) -> Result<(), HarnessError> {
	println!("== on chain: register the edges (bonded) and the content (Ferdie pays 1 UNIT/GiB)");
	let m = &content.manifest;
	let squatter = Account { name: "//Bob", pair: dev_accounts::bob() };
	books::squatting_refused(chain, &squatter, edge_keys[0]).await?;
	let pairs: Vec<_> = (0..EDGES).map(|i| keys::keypair_from_seed(&edge_seed(i))).collect();
	let edges = owners.iter().zip(&pairs).map(|(o, p)| books::register_edge(chain, o, p));
	let content_reg =
		books::register_content(chain, customer, m.id(), m.size, PRICE, &content.origin_url);
	let (edges, content_reg) = tokio::join!(futures::future::join_all(edges), content_reg);
	edges.into_iter().collect::<Result<Vec<_>, _>>()?;
	content_reg?;
	// The customer's next transaction: after the first, not beside it (nonces).
	let grant_key = keys::keypair_from_seed(&GRANT_KEY_SEED).public.to_bytes();
	books::set_grant_key(chain, customer, grant_key).await?;
	println!("   Ferdie names the key that signs its viewer grants (set_grant_key)");
	Ok(())
}

/// The customer's grant key: what its web backend signs viewer grants with.
const GRANT_KEY_SEED: [u8; 32] = [0x47; 32];

/// A viewer without the publisher's grant (say, an edge owner's own client
/// hoping to be paid for serving itself) is not scheduled.
async fn ungranted_viewer_refused(reporter: &str, content: &Content) -> Result<(), HarnessError> {
	let viewer = keys::keypair_from_seed(&[0x66; 32]);
	let r = pod_client::schedule(reporter, &content.manifest.id(), &viewer, None, None, None).await;
	if !refused(&r, Some(hyper::StatusCode::FORBIDDEN), "grant_required") {
		return Err(HarnessError::Check(format!(
			"scheduling without a grant should be refused with grant_required, got {r:?}"
		)));
	}
	println!("   a viewer without the publisher's grant is refused by the reporter");
	Ok(())
}

/// Whether `r` is the reporter's refusal (with `status`, if given) whose
/// body contains `needle`.
fn refused<T>(
	r: &Result<T, pod_client::ReporterCallError>,
	status: Option<hyper::StatusCode>,
	needle: &str,
) -> bool {
	matches!(
		r,
		Err(pod_client::ReporterCallError::Call(pod_http::CallError::Status { status: s, body, .. }))
			if status.is_none_or(|want| *s == want) && body.contains(needle)
	)
}

/// The grant the publisher's backend gives client `c`'s session key: this
/// content, through this reporter, for at most twice its size (room to fail
/// over), valid for an hour.
fn grant_for(
	content: &Content,
	customer: &Account,
	session: &keys::Keypair,
	genesis: [u8; 32],
) -> Result<pod_primitives::SignedGrant, HarnessError> {
	let terms = pod_client::grant::GrantTerms {
		customer: customer.id(),
		reporter: pod_primitives::dev::REPORTER_PUBLIC,
		viewer: session.public.to_bytes(),
		contents: vec![content.manifest.id()],
		budget: content.manifest.size * 2,
		valid_for: Duration::from_secs(3600),
	};
	pod_client::grant::mint(&keys::keypair_from_seed(&GRANT_KEY_SEED), &genesis, terms)
		.map_err(|e| HarnessError::Check(format!("minting a grant: {e}")))
}

/// Runs the `pod fetch` clients one after another, compares every copy byte
/// for byte, and adds what each edge delivered to the expected books.
fn download(
	cfg: &E2eConfig,
	content: &Content,
	reporter: &str,
	genesis: [u8; 32],
	expected: &mut Expected,
) -> Result<(), HarnessError> {
	println!(
		"== {} client(s) download through the edges, each under a grant the publisher minted",
		cfg.clients
	);
	for c in 1..=cfg.clients {
		let out = cfg.dir.join(format!("client{c}.bin"));
		let seed = [0x50 + c as u8; 32];
		let grant =
			grant_for(content, &expected.customer, &keys::keypair_from_seed(&seed), genesis)?;
		let summary = fetch(cfg, content, reporter, &out, c, &seed, &grant)?;
		if !same_bytes(&content.file, &out)? {
			return Err(HarnessError::Check(format!("client {c} got different bytes")));
		}
		println!("   client {c}: byte-exact copy");
		for s in summary.sources {
			let key = pod_wire::hex::hex32("edge", &s.edge)
				.map_err(|e| HarnessError::Check(e.to_string()))?;
			let entry = expected.edges.get_mut(&key).ok_or_else(|| {
				HarnessError::Check(format!("client {c} was sent to an unknown edge {}", s.edge))
			})?;
			entry.1 += s.bytes;
		}
	}
	Ok(())
}

fn fetch(
	cfg: &E2eConfig,
	content: &Content,
	reporter: &str,
	out: &Path,
	c: u32,
	session_seed: &[u8; 32],
	grant: &pod_primitives::SignedGrant,
) -> Result<FetchSummary, HarnessError> {
	let log = cfg.dir.join(format!("client{c}.log"));
	let mut cmd = Command::new(binary("pod"));
	cmd.arg("fetch").arg(hex::encode(content.manifest.id())).arg("-o").arg(out);
	cmd.args(["--reporter", reporter]).stdout(Stdio::piped());
	cmd.args(["--session-seed", &hex::encode(session_seed)]);
	cmd.args(["--grant", &pod_wire::hex::encode_scale(grant)]);
	if cfg.quiet {
		cmd.arg("--quiet").stderr(Stdio::from(std::fs::File::create(&log).map_err(io(&log))?));
	}
	let output = cmd
		.output()
		.map_err(|source| HarnessError::Spawn { what: format!("client {c}"), source })?;
	if !output.status.success() {
		return Err(HarnessError::Check(format!(
			"client {c} failed ({}); see {}",
			output.status,
			log.display()
		)));
	}
	serde_json::from_slice(&output.stdout)
		.map_err(|e| HarnessError::Check(format!("client {c}'s summary: {e}")))
}

fn same_bytes(a: &Path, b: &Path) -> Result<bool, HarnessError> {
	let (mut fa, mut fb) = (
		std::io::BufReader::new(std::fs::File::open(a).map_err(io(a))?),
		std::io::BufReader::new(std::fs::File::open(b).map_err(io(b))?),
	);
	let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
	loop {
		let na = pod_client::content::read_full(&mut fa, &mut ba).map_err(io(a))?;
		let nb = pod_client::content::read_full(&mut fb, &mut bb).map_err(io(b))?;
		if na != nb || ba[..na] != bb[..nb] {
			return Ok(false);
		}
		if na == 0 {
			return Ok(true);
		}
	}
}

/// Waits until every edge's finalized settlements reach the bytes the
/// clients received from it, printing progress as it changes.
async fn wait_settled(
	cfg: &E2eConfig,
	chain: &Chain,
	expected: &Expected,
) -> Result<(), HarnessError> {
	println!("== waiting for windows to close, claims, confirmations and finalized attestations");
	let deadline = std::time::Instant::now() + cfg.settle_timeout;
	let mut last = String::new();
	loop {
		// A node busy or briefly unreachable is not a failure: try again.
		if let Ok(got) = books::settled_bytes(chain, expected).await {
			let line: Vec<String> = expected
				.edges
				.iter()
				.map(|(k, (_, want))| format!("{}… {}/{}", &hex::encode(k)[..8], got[k], want))
				.collect();
			let line = line.join("  ");
			if line != last {
				println!("settled (finalized): {line}");
				last = line;
			}
			if expected.edges.iter().all(|(k, (_, want))| got[k] >= *want) {
				return Ok(());
			}
		}
		if std::time::Instant::now() >= deadline {
			let what = format!("settlement of every delivered byte (last: {last})");
			return Err(HarnessError::Timeout { what, after: cfg.settle_timeout });
		}
		tokio::time::sleep(Duration::from_secs(3)).await;
	}
}

/// Alice's Prometheus endpoint: the node's own `pod_` family passes
/// `promtool check metrics` and counted the signature batches it verified
/// for the attestations just settled; the whole exposition parses.
/// polkadot-sdk's own metric names break promtool's naming rules (counters
/// without `_total`, …): those complaints are printed, not ours to fix.
async fn node_metrics(devnet: &Devnet) -> Result<(), HarnessError> {
	let check = |m: String| HarnessError::Check(m);
	let text = get(&devnet.metrics_url()).await.ok_or_else(|| check("no node metrics".into()))?;
	let text = String::from_utf8_lossy(&text);
	let ours: String = text
		.lines()
		.filter(|l| l.contains("pod_signature_batches"))
		.map(|l| format!("{l}\n"))
		.collect();
	crate::metrics::promtool_check(&ours)
		.map_err(|e| check(format!("promtool, pod metrics: {e}")))?;
	let verified = ours
		.lines()
		.find(|l| l.starts_with("pod_signature_batches_total{how=\"verified\""))
		.and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
		.unwrap_or(0.0);
	if verified < 1.0 {
		return Err(check(format!("the node verified no signature batch:\n{ours}")));
	}
	let upstream = match crate::metrics::promtool_check(&text) {
		Ok(()) => Vec::new(),
		Err(said) if said.contains("error while linting") => {
			return Err(check(format!("promtool cannot parse the node's metrics: {said}")))
		}
		Err(said) => said.lines().map(str::to_string).collect(),
	};
	if let Some(ours) = upstream.iter().find(|l| l.starts_with("pod")) {
		return Err(check(format!("promtool on a pod metric: {ours}")));
	}
	println!(
		"   node metrics: {verified} signature batches verified; promtool passes pod's; {} naming complaints about polkadot-sdk's own",
		upstream.len()
	);
	Ok(())
}

/// A stranger's content that no customer registered on chain is refused
/// by the reporter, so no edge is ever ordered to serve it.
/// A heartbeat from an edge key nobody registered on chain is refused, so
/// the reporter never schedules (or sends requests to) such an edge.
async fn unregistered_edge_refused(reporter: &str, genesis: [u8; 32]) -> Result<(), HarnessError> {
	let key = keys::keypair_from_seed(&seed_of("pod-cdn/demo/stranger"));
	let hb = pod_wire::api::Heartbeat {
		edge: key.public.to_bytes(),
		url: b"http://127.0.0.1:9/".to_vec(),
		region: b"eu".to_vec(),
		capacity: 1 << 30,
		load: 0,
		free_disk: 1 << 40,
		held: vec![],
		at_ms: pod_wire::clock::now_ms(),
	};
	let signed = pod_wire::api::SignedHeartbeat::sign(&key, &genesis, hb);
	let url = format!("{reporter}/heartbeat");
	let http = pod_http::http_client();
	let body = codec::Encode::encode(&signed);
	let r = pod_http::call(&http, hyper::Method::POST, &url, &[], body, Duration::from_secs(10))
		.await
		.map_err(|e| HarnessError::Check(format!("heartbeat: {e}")))?;
	if r.status != hyper::StatusCode::FORBIDDEN || !r.text().contains("edge_not_on_chain") {
		return Err(HarnessError::Check(format!(
			"an unregistered edge's heartbeat should be refused, got {} {}",
			r.status,
			r.text()
		)));
	}
	println!("   a heartbeat from an edge key not registered on chain is refused");
	Ok(())
}

/// Registering the customer's content again with another origin (to make
/// edges fill it from a server the caller controls) is refused: the origin
/// is the one the customer registered on chain.
async fn origin_hijack_refused(reporter: &str, content: &Content) -> Result<(), HarnessError> {
	let evil = "http://127.0.0.1:9/evil.bin";
	let r = pod_client::reporter::register(reporter, content.manifest_bytes(), evil).await;
	if !refused(&r, Some(hyper::StatusCode::CONFLICT), "records origin") {
		return Err(HarnessError::Check(format!(
			"an origin hijack should be refused, got {:?}",
			r.map(|r| r.content)
		)));
	}
	println!(
		"   re-registering the content with another origin is refused (the chain's origin rules)"
	);
	Ok(())
}

async fn junk_content_refused(reporter: &str) -> Result<(), HarnessError> {
	let junk = pod_primitives::Manifest::of_bytes(b"junk nobody pays for", 1 << 20);
	let r =
		pod_client::reporter::register(reporter, codec::Encode::encode(&junk), "http://x/y").await;
	if !refused(&r, Some(hyper::StatusCode::CONFLICT), "content_not_on_chain") {
		return Err(HarnessError::Check(format!("junk content registration: {r:?}")));
	}
	println!("   a content not registered on chain is refused by the reporter");
	Ok(())
}

fn check_faults_fired(off: &Offchain) -> Result<(), HarnessError> {
	if off.reporter.restarts() == 0 {
		return Err(HarnessError::Check("the reporter's fault did not fire".into()));
	}
	if off.edges[2].restarts() == 0 {
		return Err(HarnessError::Check("edge 2's fault did not fire".into()));
	}
	println!("faults exercised: reporter restarted before confirming, edge 2 restarted before submitting, Dave stopped");
	Ok(())
}

async fn print_audits(reporter: &str) {
	let Some(m) = get(&format!("{reporter}/metrics")).await else { return };
	let text = String::from_utf8_lossy(&m);
	let lines: Vec<&str> =
		text.lines().filter(|l| l.starts_with("pod_reporter_audits_total")).collect();
	println!("audits: {}", lines.join(" "));
}
