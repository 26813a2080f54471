//! `pod customer …`: a publisher's account on chain — contents, escrow,
//! budgets, grants, usage.

use crate::InputError;
use anyhow::{bail, Context, Result};
use pod_chain::amount;
use pod_chain::listing::{grouped, Format, Listing};
use pod_chain::{Account, Chain};
use pod_primitives::keys;
use pod_wire::hex::hex32;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// Where the chain is.
#[derive(clap::Args, Debug, Clone)]
pub struct ChainArgs {
	/// The chain node's WebSocket RPC.
	#[arg(long, global = true, env = "POD_CHAIN", default_value = "ws://127.0.0.1:9944")]
	pub chain: String,
}

impl ChainArgs {
	/// Connects to the node.
	pub async fn connect(&self) -> Result<Chain> {
		Ok(Chain::connect(&self.chain).await?)
	}
}

/// The account that signs.
#[derive(clap::Args, Debug, Clone)]
pub struct AccountArgs {
	/// A file holding the account's secret URI (mode 0600); otherwise the
	/// `POD_ACCOUNT` environment variable (never a command-line argument:
	/// other users see those).
	#[arg(long, global = true, env = "POD_ACCOUNT_FILE")]
	pub account_file: Option<PathBuf>,
}

impl AccountArgs {
	/// The account.
	pub fn account(&self) -> Result<Account> {
		let (uri, from) = pod_http::service::secret(self.account_file.as_deref(), "POD_ACCOUNT")
			.map_err(InputError)?
			.ok_or_else(|| {
				InputError(
					"no account: --account-file (mode 0600) or POD_ACCOUNT (a secret URI)".into(),
				)
			})?;
		Account::from_uri(&uri).with_context(|| format!("the account in {from}"))
	}
}

/// A customer's commands.
#[derive(clap::Subcommand, Debug)]
pub enum CustomerCmd {
	/// Chunk a file, register it on chain (paying its deposit) and with the
	/// reporter, in one step; prints the content id.
	Publish(PublishArgs),
	/// Move funds into the escrow that pays for deliveries.
	Deposit {
		/// `2.5POD` or planck.
		amount: String,
	},
	/// Ask for escrow back (paid by `claim-withdrawal` after the chain's delay).
	Withdraw {
		/// `2.5POD` or planck.
		amount: String,
	},
	/// Take a withdrawal whose delay has passed.
	ClaimWithdrawal,
	/// Most escrow deliveries may take per window, across every content
	/// (`--content`: one content's budget per window).
	Budget(BudgetArgs),
	/// Name the key the account's viewer grants are signed with.
	GrantKey {
		/// The grant key's public key (hex); `none` to stop honouring grants.
		public: String,
	},
	/// Mint a viewer grant (what a publisher's backend hands a page); prints it as hex.
	Grant(GrantArgs),
	/// Escrow, pending withdrawal, limits, grant key and contents.
	Status,
	/// Bytes delivered and what they cost, per window.
	Usage(UsageArgs),
	/// Follow settlements as blocks finalize: a line whenever usage or escrow changes.
	Watch(WatchArgs),
}

/// `pod customer publish`.
#[derive(clap::Args, Debug)]
pub struct PublishArgs {
	/// The file.
	pub file: PathBuf,
	/// URL the edges fill from (the same bytes, with Range support).
	#[arg(long)]
	pub origin: String,
	/// Price per GiB delivered (`0.01POD` or planck).
	#[arg(long)]
	pub price: String,
	/// The reporter to tell (it schedules viewers onto edges).
	#[arg(long, env = "POD_REPORTER")]
	pub reporter: String,
	#[arg(long, default_value_t = pod_primitives::DEFAULT_CHUNK_SIZE)]
	pub chunk_size: u32,
	/// Where to write the manifest (default: FILE.manifest).
	#[arg(short, long)]
	pub output: Option<PathBuf>,
}

/// `pod customer budget`.
#[derive(clap::Args, Debug)]
pub struct BudgetArgs {
	/// The most per window (`5POD` or planck), or `none`.
	pub limit: String,
	/// One content's budget instead of the account's spending limit.
	#[arg(long)]
	pub content: Option<String>,
	/// With --content: viewers may get tickets without a grant (the budget
	/// bounds what they cost).
	#[arg(long, requires = "content")]
	pub open: bool,
}

/// `pod customer grant`.
#[derive(clap::Args, Debug)]
pub struct GrantArgs {
	/// The grant key's seed file (hex, mode 0600; `pod key new`); otherwise
	/// the `POD_GRANT_KEY_SEED` environment variable.
	#[arg(long)]
	pub grant_key_file: Option<PathBuf>,
	/// The customer's account (SS58 or hex).
	#[arg(long)]
	pub customer: String,
	/// The reporter that will honour it (hex public key).
	#[arg(long)]
	pub reporter: String,
	/// The viewer's session public key (hex).
	#[arg(long)]
	pub viewer: String,
	/// A content it covers (repeat for several).
	#[arg(long = "content", required = true)]
	pub contents: Vec<String>,
	/// Most bytes all its tickets together may allow.
	#[arg(long)]
	pub budget: u64,
	/// Validity in seconds from now.
	#[arg(long, default_value_t = 3600)]
	pub valid_secs: u64,
	/// The chain's genesis hash (hex); default: read from the chain.
	#[arg(long, env = "POD_GENESIS")]
	pub genesis: Option<String>,
}

/// `pod customer usage`.
#[derive(clap::Args, Debug)]
pub struct UsageArgs {
	/// The first window (default: eight before the current one).
	#[arg(long)]
	pub from: Option<u32>,
	/// The last window (default: the current one).
	#[arg(long)]
	pub to: Option<u32>,
	/// `table`, `csv` or `json` (numbers in planck).
	#[arg(long, default_value = "table")]
	pub format: Format,
	/// Whose usage (SS58 or hex; default: the signing account's).
	#[arg(long)]
	pub customer: Option<String>,
}

/// `pod customer watch`.
#[derive(clap::Args, Debug)]
pub struct WatchArgs {
	/// Stop after this many seconds (default: until interrupted).
	#[arg(long)]
	pub for_secs: Option<u64>,
	/// Whose usage (SS58 or hex; default: the signing account's).
	#[arg(long)]
	pub customer: Option<String>,
	/// JSON lines instead of text.
	#[arg(long)]
	pub json: bool,
}

/// Runs a customer command.
pub async fn run(cmd: CustomerCmd, chain: ChainArgs, who: AccountArgs) -> Result<()> {
	match cmd {
		CustomerCmd::Grant(a) => {
			let genesis = match &a.genesis {
				Some(g) => hex32("genesis", g)?,
				None => chain.connect().await?.genesis(),
			};
			grant(a, genesis)
		}
		CustomerCmd::Usage(a) => {
			let id = customer_id(&a.customer, &who)?;
			if let (Some(from), Some(to)) = (a.from, a.to) {
				if from > to {
					return Err(InputError(format!("--from {from} is after --to {to}")).into());
				}
			}
			usage(a, &chain.connect().await?, id).await
		}
		CustomerCmd::Watch(a) => {
			let id = customer_id(&a.customer, &who)?;
			watch(a, &chain.connect().await?, id).await
		}
		CustomerCmd::Publish(a) => {
			// Input and account first: a mistake is said before any connection.
			let price = amount::parse(&a.price)?;
			let account = who.account()?;
			publish(a, price, &chain.connect().await?, &account).await
		}
		CustomerCmd::Status => {
			let account = who.account()?;
			status(&chain.connect().await?, &account).await
		}
		other => {
			let call = Call::of(other)?;
			let account = who.account()?;
			signed(call, &chain.connect().await?, &account).await
		}
	}
}

/// A command that is one signed call, its input checked.
enum Call {
	Deposit(u128),
	Withdraw(u128),
	ClaimWithdrawal,
	SpendLimit(Option<u128>),
	ContentPolicy { id: [u8; 32], budget: Option<u128>, open: bool },
	GrantKey(Option<[u8; 32]>),
}

impl Call {
	fn of(cmd: CustomerCmd) -> Result<Call> {
		Ok(match cmd {
			CustomerCmd::Deposit { amount } => Call::Deposit(amount::parse(&amount)?),
			CustomerCmd::Withdraw { amount } => Call::Withdraw(amount::parse(&amount)?),
			CustomerCmd::ClaimWithdrawal => Call::ClaimWithdrawal,
			CustomerCmd::GrantKey { public } => {
				Call::GrantKey(optional(&public, |k| Ok(hex32("grant key", k)?))?)
			}
			CustomerCmd::Budget(a) => {
				let limit = optional(&a.limit, |l| Ok(amount::parse(l)?))?;
				let Some(content) = a.content else { return Ok(Call::SpendLimit(limit)) };
				if a.open && limit.is_none() {
					let why =
						"an open content needs a budget: it bounds what grant-less viewers cost";
					return Err(InputError(why.into()).into());
				}
				Call::ContentPolicy { id: hex32("content", &content)?, budget: limit, open: a.open }
			}
			_ => unreachable!("run() handles the others"),
		})
	}
}

async fn signed(call: Call, chain: &Chain, who: &Account) -> Result<()> {
	let block = match call {
		Call::Deposit(amount) => chain.deposit(who, amount).await?,
		Call::Withdraw(amount) => {
			let block = chain.withdraw(who, amount).await?;
			let p = chain.pending_withdrawal(&who.id()).await?.context("no pending withdrawal")?;
			eprintln!("{} claimable from block #{}", amount::show(p.amount), p.unlock_at);
			block
		}
		Call::ClaimWithdrawal => chain.claim_withdrawal(who).await?,
		Call::SpendLimit(limit) => chain.set_spend_limit(who, limit).await?,
		Call::ContentPolicy { id, budget, open } => {
			chain.set_content_policy(who, id, budget, open).await?
		}
		Call::GrantKey(key) => chain.set_grant_key(who, key).await?,
	};
	eprintln!("finalized in block 0x{}", hex::encode(block));
	println!("escrow {}", amount::show(chain.escrow(&who.id()).await?));
	Ok(())
}

/// `none` → None, else `parse(text)`.
fn optional<T>(text: &str, parse: impl Fn(&str) -> Result<T>) -> Result<Option<T>> {
	if text.trim().eq_ignore_ascii_case("none") {
		return Ok(None);
	}
	parse(text).map(Some)
}

async fn publish(a: PublishArgs, price: u128, chain: &Chain, who: &Account) -> Result<()> {
	if price == 0 {
		return Err(
			InputError("--price 0: the chain refuses contents priced at zero".into()).into()
		);
	}
	let m = pod_client::content::manifest_of_file(&a.file, a.chunk_size)?;
	let id = m.id();
	let out = a.output.unwrap_or_else(|| {
		let mut p = a.file.clone().into_os_string();
		p.push(".manifest");
		p.into()
	});
	pod_client::content::write_manifest(&out, &m)?;
	eprintln!("{} bytes in {} chunks; manifest {}", m.size, m.chunks.len(), out.display());
	match chain.content(&id).await? {
		Some(c) if c.owner != who.id() => bail!("content {} is another account's", hex::encode(id)),
		Some(c) if c.origin != a.origin.as_bytes() => {
			bail!(
				"content {} is registered with origin {}",
				hex::encode(id),
				show_origin(&c.origin)
			)
		}
		Some(_) => eprintln!("already registered on chain by this account"),
		None => {
			chain.register_content(who, id, m.size, price, &a.origin).await?;
			eprintln!("registered on chain at {} per GiB", amount::show(price));
		}
	}
	let bytes = std::fs::read(&out).with_context(|| format!("reading {}", out.display()))?;
	pod_client::reporter::register(&a.reporter, bytes, &a.origin).await?;
	eprintln!("the reporter at {} schedules it", a.reporter);
	println!("{}", hex::encode(id));
	Ok(())
}

fn show_origin(origin: &[u8]) -> String {
	String::from_utf8_lossy(origin).into_owned()
}

fn grant(a: GrantArgs, genesis: [u8; 32]) -> Result<()> {
	let seed = pod_http::service::key_seed("", a.grant_key_file.as_deref(), "POD_GRANT_KEY_SEED")
		.map_err(InputError)?;
	let key = keys::keypair_from_seed(&seed);
	let contents =
		a.contents.iter().map(|c| Ok(hex32("content", c)?)).collect::<Result<Vec<_>>>()?;
	let terms = pod_client::grant::GrantTerms {
		customer: pod_chain::parse_account_id(&a.customer)?,
		reporter: hex32("reporter", &a.reporter)?,
		viewer: hex32("viewer", &a.viewer)?,
		contents,
		budget: a.budget,
		valid_for: Duration::from_secs(a.valid_secs),
	};
	let g = pod_client::grant::mint(&key, &genesis, terms)?;
	eprintln!("grant {} for {} bytes", hex::encode(g.grant.id()), g.grant.budget);
	println!("{}", pod_wire::hex::encode_scale(&g));
	Ok(())
}

async fn status(chain: &Chain, who: &Account) -> Result<()> {
	let id = who.id();
	println!("account      0x{}", hex::encode(id));
	println!("escrow       {}", amount::show(chain.escrow(&id).await?));
	if let Some(p) = chain.pending_withdrawal(&id).await? {
		println!("withdrawing  {} (claimable from block #{})", amount::show(p.amount), p.unlock_at);
	}
	let limit = chain.spend_limit(&id).await?;
	println!("spend limit  {}", limit.map_or("none".into(), amount::show));
	let key = chain.grant_key(&id).await?;
	println!("grant key    {}", key.map_or("none".into(), hex::encode));
	for (cid, c) in chain.contents_of(&id).await? {
		let budget = c.budget.map_or("no budget".into(), |b| format!("budget {}", amount::show(b)));
		let open = if c.open { ", open" } else { "" };
		let retired = c.retired_from.map_or(String::new(), |w| format!(", retired from w{w}"));
		println!(
			"content      {} {} B at {}/GiB, {budget}{open}{retired}",
			hex::encode(cid),
			grouped(c.size),
			amount::show(c.price_per_gib)
		);
	}
	Ok(())
}

/// One window of a customer's usage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowUsage {
	/// The window.
	pub window: u32,
	/// Bytes delivered and settled.
	pub bytes: u64,
	/// Taken from the escrow (planck).
	pub charged: u128,
	/// Worth of delivered bytes not paid (escrow, limit or budget reached).
	pub unpaid: u128,
}

fn customer_id(given: &Option<String>, who: &AccountArgs) -> Result<[u8; 32]> {
	match given {
		Some(text) => Ok(pod_chain::parse_account_id(text)?),
		None => Ok(who.account()?.id()),
	}
}

async fn usage(a: UsageArgs, chain: &Chain, id: [u8; 32]) -> Result<()> {
	let to = match a.to {
		Some(w) => w,
		None => chain.current_window().await?,
	};
	let from = a.from.unwrap_or(to.saturating_sub(8));
	if from > to {
		return Err(InputError(format!("--from {from} is after --to {to}")).into());
	}
	let mut rows = Vec::new();
	for window in from..=to {
		let u = chain.usage(&id, window).await?;
		rows.push(WindowUsage { window, bytes: u.bytes, charged: u.charged, unpaid: u.unpaid });
	}
	let cells = |r: &WindowUsage, f: Format| match f {
		Format::Table => vec![
			r.window.to_string(),
			grouped(r.bytes),
			amount::show(r.charged),
			amount::show(r.unpaid),
		],
		_ => vec![
			r.window.to_string(),
			r.bytes.to_string(),
			r.charged.to_string(),
			r.unpaid.to_string(),
		],
	};
	let headers = ["window", "bytes", "charged", "unpaid"];
	print!("{}", Listing { headers: &headers, rows: &rows, cells: &cells }.render(a.format));
	Ok(())
}

/// What `watch` compares between blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Snapshot {
	block: u64,
	window: u32,
	escrow: u128,
	usage: WindowUsage,
	previous: WindowUsage,
}

async fn snapshot(chain: &Chain, id: &[u8; 32], block: u64) -> Result<Snapshot> {
	let window = chain.current_window().await?;
	let read = |w: u32| async move {
		let u = chain.usage(id, w).await?;
		anyhow::Ok(WindowUsage { window: w, bytes: u.bytes, charged: u.charged, unpaid: u.unpaid })
	};
	let (usage, previous) = (read(window).await?, read(window.saturating_sub(1)).await?);
	Ok(Snapshot { block, window, escrow: chain.escrow(id).await?, usage, previous })
}

async fn watch(a: WatchArgs, chain: &Chain, id: [u8; 32]) -> Result<()> {
	let until = a.for_secs.map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
	let mut last: Option<Snapshot> = None;
	eprintln!("watching 0x{} at {} (finalized blocks)", hex::encode(id), chain.url());
	while until.is_none_or(|u| tokio::time::Instant::now() < u) {
		let block = chain.finalized_number().await?;
		if last.as_ref().is_none_or(|l| l.block != block) {
			let now = snapshot(chain, &id, block).await?;
			if last.as_ref().is_none_or(|l| changed(l, &now)) {
				print_change(last.as_ref(), &now, a.json)?;
			}
			last = Some(now);
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	Ok(())
}

fn changed(a: &Snapshot, b: &Snapshot) -> bool {
	(a.window, a.escrow, &a.usage, &a.previous) != (b.window, b.escrow, &b.usage, &b.previous)
}

fn print_change(last: Option<&Snapshot>, now: &Snapshot, json: bool) -> Result<()> {
	if json {
		println!("{}", serde_json::to_string(now)?);
		return Ok(());
	}
	let spent = last.map_or(0, |l| l.escrow.saturating_sub(now.escrow));
	let delta = if spent > 0 { format!(" (-{})", amount::show(spent)) } else { String::new() };
	let w = |u: &WindowUsage| {
		format!(
			"w{} {} B charged {} unpaid {}",
			u.window,
			grouped(u.bytes),
			amount::show(u.charged),
			amount::show(u.unpaid)
		)
	};
	println!(
		"#{} escrow {}{delta} | {} | {}",
		now.block,
		amount::show(now.escrow),
		w(&now.usage),
		w(&now.previous)
	);
	Ok(())
}
