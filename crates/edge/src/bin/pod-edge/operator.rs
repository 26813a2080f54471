//! The operator's commands: `init`, `register`, `status`, `redeem`.

use anyhow::{bail, Context, Result};
use pod_chain::amount;
use pod_chain::listing::{grouped, Format, Listing};
use pod_chain::{Account, Chain, EdgeRegistration};
use pod_edge::EdgeConfig;
use pod_primitives::{keys, PublicKey, SettlementRecord};
use pod_wire::replies::WindowEarnings;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Input the command cannot use (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// `pod-edge init`.
#[derive(clap::Args, Debug)]
pub struct InitArgs {
	/// The configuration file to write (never overwritten).
	#[arg(long)]
	pub config: PathBuf,
	/// The edge key's file to write (hex seed, mode 0600; default: `edge.key`
	/// beside the configuration). With POD_EDGE_SEED set, that key is used
	/// and no file is written.
	#[arg(long)]
	pub key_file: Option<PathBuf>,
	/// The chain node's WebSocket RPC: genesis, reporters and limits are read from it.
	#[arg(long, env = "POD_CHAIN")]
	pub chain: String,
	/// The reporter's base URL (repeat for several): heartbeats and claims.
	#[arg(long = "reporter-url", required = true)]
	pub reporter_urls: Vec<String>,
	/// Where the cache and the receipt ledger live.
	#[arg(long)]
	pub data_dir: PathBuf,
	/// The region the edge registers in (what viewers ask for).
	#[arg(long)]
	pub region: String,
	/// Bytes per second the edge offers (registered on chain).
	#[arg(long)]
	pub capacity: u64,
	/// The data plane's address.
	#[arg(long, default_value = "0.0.0.0:8700")]
	pub listen: std::net::SocketAddr,
	/// The admin plane's address (keep it private).
	#[arg(long, default_value = "127.0.0.1:8701")]
	pub admin_listen: std::net::SocketAddr,
	/// The data plane's URL as viewers reach it (default `http://{listen}`).
	#[arg(long)]
	pub public_url: Option<String>,
	/// Disk the cache may use, bytes.
	#[arg(long, default_value_t = 100 << 30)]
	pub cache_quota: u64,
	/// The dashboard's files (`web/dashboard` with its `dist/`), served on
	/// the admin plane under `/dashboard/`.
	#[arg(long)]
	pub dashboard_dir: Option<PathBuf>,
	/// Fill from origins on private addresses too (a local test network).
	#[arg(long)]
	pub allow_private_origins: bool,
}

/// Writes a configuration with every chain parameter read from the chain,
/// and a new edge key.
pub async fn init(a: InitArgs) -> Result<()> {
	if a.config.exists() {
		return Err(InputError(format!("{} exists: never overwritten", a.config.display())).into());
	}
	let chain = Chain::connect(&a.chain).await?;
	let reporters = chain.reporters().await?;
	if reporters.is_empty() {
		bail!("the chain at {} has no reporters yet: nobody could confirm deliveries", a.chain);
	}
	let max_window_age: u32 = chain.constant("Pod", "MaxWindowAge").await?;
	let (key, key_file) = edge_key(&a)?;
	let text = config_text(&a, &chain, &reporters, max_window_age, key_file.as_deref());
	std::fs::write(&a.config, text).with_context(|| format!("writing {}", a.config.display()))?;
	let bond: u128 = chain.constant("Pod", "EdgeBond").await?;
	eprintln!("wrote {}; {} reporters on chain", a.config.display(), reporters.len());
	eprintln!(
		"next: pod-edge register --config {} (bonds {})",
		a.config.display(),
		amount::show(bond)
	);
	println!("{}", hex::encode(key));
	Ok(())
}

/// The edge key: POD_EDGE_SEED's, or a new one written to its file.
fn edge_key(a: &InitArgs) -> Result<(PublicKey, Option<PathBuf>)> {
	if let Ok(seed) = std::env::var("POD_EDGE_SEED") {
		let seed = pod_wire::hex::hex32("POD_EDGE_SEED", seed.trim())?;
		return Ok((keys::keypair_from_seed(&seed).public.to_bytes(), None));
	}
	let file = a
		.key_file
		.clone()
		.unwrap_or_else(|| a.config.parent().unwrap_or(Path::new(".")).join("edge.key"));
	let mut seed = [0u8; 32];
	getrandom::fill(&mut seed).context("the OS has no randomness")?;
	pod_http::service::write_secret(&file, &(hex::encode(seed) + "\n")).map_err(InputError)?;
	Ok((keys::keypair_from_seed(&seed).public.to_bytes(), Some(file)))
}

fn toml_str(s: &str) -> String {
	toml::Value::String(s.to_string()).to_string()
}

fn config_text(
	a: &InitArgs,
	chain: &Chain,
	reporters: &[(PublicKey, u128)],
	max_window_age: u32,
	key_file: Option<&Path>,
) -> String {
	let list = |v: Vec<String>| v.iter().map(|s| toml_str(s)).collect::<Vec<_>>().join(", ");
	let keys = list(reporters.iter().map(|(k, _)| hex::encode(k)).collect());
	let (first, more) = a.reporter_urls.split_first().expect("clap requires one");
	let key_line = match key_file {
		Some(f) => format!("key_file = {}", toml_str(&f.display().to_string())),
		None => "# key: POD_EDGE_SEED in the service's environment".into(),
	};
	let public = a
		.public_url
		.as_deref()
		.map_or(String::new(), |u| format!("public_url = {}\n", toml_str(u)));
	let dashboard = a.dashboard_dir.as_deref().map_or(String::new(), |d| {
		format!("dashboard_dir = {}\n", toml_str(&d.display().to_string()))
	});
	format!(
		"# Written by `pod-edge init` from the chain at {chain_url}.\n\
		 # Every key: crates/edge/README.md.\n\
		 listen = \"{listen}\"\nadmin_listen = \"{admin}\"\n{public}{dashboard}\
		 data_dir = {data}\n{key_line}\n\
		 # From the chain:\ngenesis = \"{genesis}\"\nreporters = [{keys}]\nmax_window_age = {max_window_age}\n\
		 chain = {chain_q}\nreporter_url = {first}\nmore_reporter_urls = [{more}]\n\
		 region = {region}\ncapacity = {capacity}\ncache_quota = {quota}\n\
		 allow_private_origins = {private}\nsync_receipts = true\n",
		chain_url = a.chain,
		listen = a.listen,
		admin = a.admin_listen,
		data = toml_str(&a.data_dir.display().to_string()),
		genesis = hex::encode(chain.genesis()),
		chain_q = toml_str(&a.chain),
		first = toml_str(first),
		more = list(more.to_vec()),
		region = toml_str(&a.region),
		capacity = a.capacity,
		quota = a.cache_quota,
		private = a.allow_private_origins,
	)
}

/// The account and the configuration a signed command needs.
#[derive(clap::Args, Debug)]
pub struct OwnerArgs {
	/// The edge's configuration (`pod-edge init` wrote it).
	#[arg(long, env = "POD_EDGE_CONFIG")]
	pub config: PathBuf,
	/// A file holding the owner account's secret URI (mode 0600); otherwise
	/// the `POD_ACCOUNT` environment variable.
	#[arg(long, env = "POD_ACCOUNT_FILE")]
	pub account_file: Option<PathBuf>,
}

impl OwnerArgs {
	fn account(&self) -> Result<Account> {
		let (uri, from) = pod_http::service::secret(self.account_file.as_deref(), "POD_ACCOUNT")
			.map_err(InputError)?
			.ok_or_else(|| {
				InputError("no account: --account-file (mode 0600) or POD_ACCOUNT".into())
			})?;
		Account::from_uri(&uri).with_context(|| format!("the account in {from}"))
	}
}

/// The configuration and its chain.
async fn configured(config: &Path) -> Result<(EdgeConfig, Chain)> {
	let cfg: EdgeConfig = pod_http::service::load_toml(config)?;
	let url =
		cfg.chain.clone().ok_or_else(|| InputError(format!("{}: no `chain`", config.display())))?;
	let chain = Chain::connect(&url).await?;
	if hex::encode(chain.genesis()) != cfg.genesis.trim_start_matches("0x") {
		bail!(
			"{} names genesis {}, but the chain at {url} is another",
			config.display(),
			cfg.genesis
		);
	}
	Ok((cfg, chain))
}

fn edge_seed(cfg: &EdgeConfig) -> Result<[u8; 32]> {
	Ok(pod_http::service::key_seed(&cfg.key_seed, cfg.key_file.as_deref(), "POD_EDGE_SEED")
		.map_err(InputError)?)
}

/// Registers the edge on chain with its key's proof of possession.
pub async fn register(a: OwnerArgs) -> Result<()> {
	let owner = a.account()?;
	let (cfg, chain) = configured(&a.config).await?;
	let pair = keys::keypair_from_seed(&edge_seed(&cfg)?);
	let key = pair.public.to_bytes();
	if let Some(e) = chain.edge(&key).await? {
		if e.owner != owner.id() {
			bail!(
				"edge {} is registered to another account (0x{})",
				hex::encode(key),
				hex::encode(e.owner)
			);
		}
		eprintln!(
			"edge {} is already registered to this account (region {})",
			hex::encode(key),
			String::from_utf8_lossy(&e.region)
		);
		return Ok(());
	}
	let tag = pod_primitives::DomainTag::EdgeRegistration;
	let proof = keys::sign(&pair, tag, &chain.genesis(), &(key, owner.id()));
	let reg = EdgeRegistration { key, region: cfg.region.clone(), capacity: cfg.capacity, proof };
	let block = chain.register_edge(&owner, &reg).await?;
	let bond: u128 = chain.constant("Pod", "EdgeBond").await?;
	eprintln!("registered in block 0x{}; bond {} on hold", hex::encode(block), amount::show(bond));
	println!("{}", hex::encode(key));
	Ok(())
}

/// Turns credits into a redemption request.
pub async fn redeem(a: OwnerArgs, amount_text: &str) -> Result<()> {
	let value = amount::parse(amount_text)?;
	let owner = a.account()?;
	let (_, chain) = configured(&a.config).await?;
	let block = chain.redeem(&owner, value).await?;
	eprintln!("redeemed {} in block 0x{}", amount::show(value), hex::encode(block));
	println!("credits {}", amount::show(chain.credits(&owner.id()).await?));
	for (id, r) in chain.redemptions_of(&owner.id()).await? {
		println!("redemption #{id}: {} asked at block #{}", amount::show(r.amount), r.requested_at);
	}
	Ok(())
}

/// `pod-edge status`.
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
	/// The edge's configuration.
	#[arg(long, env = "POD_EDGE_CONFIG")]
	pub config: PathBuf,
	/// Window parts to list, newest first.
	#[arg(long, default_value_t = 24)]
	pub windows: usize,
	/// `table` (with every reduction explained), `csv` or `json`.
	#[arg(long, default_value = "table")]
	pub format: Format,
}

/// One window part: the edge's side and the chain's.
#[derive(Debug, Serialize)]
pub struct Earned {
	/// The edge's side (`GET /earnings`).
	#[serde(flatten)]
	pub edge: WindowEarnings,
	/// What the chain settled for it, once finalized.
	pub settled: Option<Settled>,
}

/// A settlement as the chain records it.
#[derive(Debug, Serialize)]
pub struct Settled {
	/// Bytes paid for.
	pub bytes: u64,
	/// Credits minted to the owner (planck).
	pub credits: u128,
	/// Worth of bytes the customers' escrow, limits or budgets (or the
	/// reporter's cap) left unpaid (planck).
	pub unpaid: u128,
	/// `vesting`, `vested` or `voided`.
	pub state: String,
}

/// The account's totals.
#[derive(Debug, Serialize)]
pub struct Totals {
	/// The owner account (hex).
	pub owner: String,
	/// Credits held (planck).
	pub credits: u128,
	/// Credits still vesting (planck).
	pub unvested: u128,
	/// Redemptions not yet completed: (id, planck).
	pub redemptions: Vec<(u64, u128)>,
}

/// Earnings per window, every reduction explained.
pub async fn status(a: StatusArgs) -> Result<()> {
	let (cfg, chain) = configured(&a.config).await?;
	let key = keys::keypair_from_seed(&edge_seed(&cfg)?).public.to_bytes();
	let rows = earned(&cfg, &chain, &key, a.windows).await?;
	let totals = totals(&chain, &key).await?;
	let standing = standing(&cfg, &key).await;
	match a.format {
		Format::Json => {
			let doc = serde_json::json!({
				"edge": hex::encode(key), "windows": rows, "totals": totals, "standing": standing,
			});
			println!("{}", serde_json::to_string_pretty(&doc)?);
		}
		Format::Csv => print!("{}", listing(&rows).render(Format::Csv)),
		Format::Table => {
			println!("edge {} owned by 0x{}", hex::encode(key), totals.owner);
			print!("{}", listing(&rows).render(Format::Table));
			explain(&rows);
			print_totals(&totals);
			print_standing(&standing);
		}
	}
	Ok(())
}

/// How one reporter sees this edge: whether it schedules it, its
/// reputation and why.
#[derive(Debug, Serialize)]
struct Standing {
	reporter_url: String,
	/// The reporter's record of the edge, or why there is none.
	seen: Result<pod_wire::replies::ReporterEdge, String>,
}

/// Asks every reporter the edge heartbeats to how it sees the edge.
async fn standing(cfg: &EdgeConfig, key: &PublicKey) -> Vec<Standing> {
	let http = pod_http::http_client();
	let t = std::time::Duration::from_secs(10);
	let mut out = Vec::new();
	for url in cfg.reporter_url.iter().chain(&cfg.more_reporter_urls) {
		let url = url.trim_end_matches('/').to_string();
		let asked =
			pod_http::call(&http, hyper::Method::GET, &format!("{url}/status"), &[], vec![], t)
				.await;
		let seen = asked
			.map_err(|e| e.to_string())
			.and_then(|r| r.success().map_err(|e| e.to_string()))
			.and_then(|body| {
				serde_json::from_slice::<pod_wire::replies::ReporterStatus>(&body)
					.map_err(|e| e.to_string())
			})
			.and_then(|s| {
				let me = hex::encode(key);
				s.edges
					.into_iter()
					.find(|e| e.edge == me)
					.ok_or_else(|| "it has no heartbeat from this edge".into())
			});
		out.push(Standing { reporter_url: url, seen });
	}
	out
}

fn print_standing(standing: &[Standing]) {
	for s in standing {
		match &s.seen {
			Ok(e) => {
				let r = &e.record;
				let scheduled = if !e.live {
					"not scheduled: no recent heartbeat"
				} else if r.reputation <= -50 {
					"not scheduled: reputation too low (it recovers a point every 10 minutes)"
				} else {
					"scheduled"
				};
				println!(
					"reporter {}: {scheduled}; reputation {} (audits passed {}, failed {}, bad bytes confirmed {})",
					s.reporter_url, r.reputation, r.audits_passed, r.audits_failed, r.lying_reports
				);
				if let Some(why) = &r.last_failure {
					println!("  last failed audit: {why}");
				}
			}
			Err(why) => println!("reporter {}: unknown ({why})", s.reporter_url),
		}
	}
}

async fn earned(cfg: &EdgeConfig, chain: &Chain, key: &PublicKey, n: usize) -> Result<Vec<Earned>> {
	let admin = admin_url(cfg.admin_listen);
	let url = format!("{admin}/earnings?limit={}", n.clamp(1, 1000));
	let http = pod_http::http_client();
	let t = std::time::Duration::from_secs(10);
	let reply =
		pod_http::call(&http, hyper::Method::GET, &url, &[], Vec::new(), t).await.with_context(
			|| format!("asking the edge's admin plane at {admin} (is pod-edge running?)"),
		)?;
	let body = reply.success()?;
	let windows: Vec<WindowEarnings> =
		serde_json::from_slice(&body).context("the edge's /earnings")?;
	let mut settled: HashMap<u32, Vec<(PublicKey, u16, SettlementRecord)>> = HashMap::new();
	let mut out = Vec::new();
	for w in windows {
		if let std::collections::hash_map::Entry::Vacant(e) = settled.entry(w.window) {
			e.insert(chain.settlements(key, w.window).await?);
		}
		let record = settled[&w.window]
			.iter()
			.find(|(r, p, _)| hex::encode(r) == w.reporter && *p == w.part)
			.map(|(_, _, s)| Settled {
				bytes: s.bytes,
				credits: s.credits,
				unpaid: s.unpaid,
				state: format!("{:?}", s.state).to_lowercase(),
			});
		out.push(Earned { edge: w, settled: record });
	}
	Ok(out)
}

/// The admin plane's URL (a wildcard address is asked on loopback).
fn admin_url(addr: std::net::SocketAddr) -> String {
	let ip =
		if addr.ip().is_unspecified() { "127.0.0.1".parse().expect("an ip") } else { addr.ip() };
	format!("http://{}", std::net::SocketAddr::new(ip, addr.port()))
}

fn listing(rows: &[Earned]) -> Listing<'_, Earned> {
	const HEADERS: [&str; 10] = [
		"window",
		"part",
		"reporter",
		"state",
		"receipts",
		"acked_bytes",
		"confirmed_bytes",
		"settled_bytes",
		"credits",
		"vesting",
	];
	Listing { headers: &HEADERS, rows, cells: &cells }
}

fn cells(r: &Earned, f: Format) -> Vec<String> {
	let table = f == Format::Table;
	let bytes = |n: u64| if table { grouped(n) } else { n.to_string() };
	let planck = |n: u128| if table { amount::show(n) } else { n.to_string() };
	let e = &r.edge;
	let reporter = if table { e.reporter[..8].to_string() } else { e.reporter.clone() };
	let confirmed = e.confirmation.as_ref().map_or("-".into(), |c| bytes(c.confirmed_bytes));
	let (settled, credits, vesting) = match &r.settled {
		Some(s) => (bytes(s.bytes), planck(s.credits), s.state.clone()),
		None => ("-".into(), "-".into(), "-".into()),
	};
	vec![
		e.window.to_string(),
		e.part.to_string(),
		reporter,
		e.state.clone(),
		e.receipts.to_string(),
		bytes(e.acked_bytes),
		confirmed,
		settled,
		credits,
		vesting,
	]
}

/// Every byte not paid, and why: the reporter's cuts, the chain's, and
/// windows closed unpaid.
fn explain(rows: &[Earned]) {
	let mut lines = Vec::new();
	for r in rows {
		let e = &r.edge;
		let at = format!("w{} part {} (reporter {})", e.window, e.part, &e.reporter[..8]);
		if let Some(c) = &e.confirmation {
			for cut in &c.reductions {
				let lost = cut.claimed.saturating_sub(cut.confirmed);
				lines.push(format!(
					"{at}: -{} B {}: {} ({})",
					grouped(lost),
					cut.reason,
					cut.reason.explanation(),
					cut.detail
				));
			}
		}
		if let Some(s) = r.settled.as_ref().filter(|s| s.unpaid > 0) {
			lines.push(format!(
				"{at}: {} unpaid by the chain: the customers' escrow, spending limits or content budgets, or the reporter's cap per window, ran out",
				amount::show(s.unpaid)
			));
		}
		if let Some(note) = &e.note {
			lines.push(format!("{at}: {}: {note}", e.state));
		}
	}
	if lines.is_empty() {
		println!("no reductions: every receipted byte was confirmed");
	} else {
		println!("reductions:");
		lines.iter().for_each(|l| println!("  {l}"));
	}
}

async fn totals(chain: &Chain, key: &PublicKey) -> Result<Totals> {
	let edge = chain.edge(key).await?.ok_or_else(|| {
		InputError(format!("edge {} is not registered: pod-edge register first", hex::encode(key)))
	})?;
	let owner = edge.owner;
	let redemptions = chain.redemptions_of(&owner).await?;
	Ok(Totals {
		owner: hex::encode(owner),
		credits: chain.credits(&owner).await?,
		unvested: chain.unvested(&owner).await?,
		redemptions: redemptions.into_iter().map(|(id, r)| (id, r.amount)).collect(),
	})
}

fn print_totals(t: &Totals) {
	println!("credits {} (vesting {})", amount::show(t.credits), amount::show(t.unvested));
	for (id, planck) in &t.redemptions {
		println!("redemption #{id}: {} waiting for the operator", amount::show(*planck));
	}
}
