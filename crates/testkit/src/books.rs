//! The chain's books against the bytes the clients received: what each
//! edge was paid, each owner's credits, the operator's fee, the customer's
//! escrow, all recomputed here from the bytes and the price.

use crate::process::HarnessError;
use codec::{Decode, Encode};
use pod_chain::Chain;
use pod_primitives::{PublicKey, SettlementRecord, SettlementState, WindowIndex};
use std::collections::BTreeMap;
use subxt_signer::sr25519::Keypair;

const GIB: u128 = 1 << 30;
const FEE_PPB: u128 = 50_000_000;
const PPB: u128 = 1_000_000_000;

/// A dev account by name (`//Alice` …) with its keypair.
#[derive(Clone)]
pub struct Account {
	/// `//Alice`, …
	pub name: &'static str,
	/// Its sr25519 keypair.
	pub pair: Keypair,
}

impl Account {
	/// The account id.
	pub fn id(&self) -> [u8; 32] {
		self.pair.public_key().0
	}
}

impl std::fmt::Debug for Account {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(self.name)
	}
}

/// What the books should show: bytes per edge (from the clients' summaries),
/// the edges' owners, the customer and the price.
#[derive(Debug, Clone)]
pub struct Expected {
	/// Per edge key: its owner and the bytes clients received from it.
	pub edges: BTreeMap<PublicKey, (Account, u64)>,
	/// The customer who pays.
	pub customer: Account,
	/// Price per GiB.
	pub price: u128,
	/// The reporters whose settlements count.
	pub reporters: Vec<PublicKey>,
}

/// The balances a delivery moves, read before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
	credits: BTreeMap<[u8; 32], u128>,
	total_credits: u128,
	escrow: u128,
	operator_free: u128,
}

fn chain_err(e: pod_chain::ChainError) -> HarnessError {
	HarnessError::Check(format!("chain: {e}"))
}

/// The operator account (`Pod::Operator`).
async fn operator(chain: &Chain) -> Result<[u8; 32], HarnessError> {
	let raw = chain.storage("Pod", "Operator", ()).await.map_err(chain_err)?;
	let raw = raw.ok_or_else(|| HarnessError::Check("the chain has no operator".into()))?;
	<[u8; 32]>::decode(&mut &raw[..]).map_err(|e| HarnessError::Check(format!("operator: {e}")))
}

/// An account's free balance (`System::Account`).
async fn free_balance(chain: &Chain, who: [u8; 32]) -> Result<u128, HarnessError> {
	chain.free_balance(&who).await.map_err(chain_err)
}

impl Snapshot {
	/// How much the total credits and the operator's free balance grew
	/// since `before`.
	pub fn deltas(&self, before: &Snapshot) -> (u128, u128) {
		(
			self.total_credits.saturating_sub(before.total_credits),
			self.operator_free.saturating_sub(before.operator_free),
		)
	}

	/// Reads the balances `expected` is about.
	pub async fn take(chain: &Chain, expected: &Expected) -> Result<Snapshot, HarnessError> {
		let mut credits = BTreeMap::new();
		for (owner, _) in expected.edges.values() {
			credits.insert(owner.id(), chain.credits(&owner.id()).await.map_err(chain_err)?);
		}
		Ok(Snapshot {
			credits,
			total_credits: chain.total_credits().await.map_err(chain_err)?,
			escrow: chain.escrow(&expected.customer.id()).await.map_err(chain_err)?,
			operator_free: free_balance(chain, operator(chain).await?).await?,
		})
	}
}

/// Every finalized settlement of `edge` with one of `reporters` up to
/// window `current` (every part), by window.
pub async fn settlements(
	chain: &Chain,
	edge: &PublicKey,
	reporters: &[PublicKey],
	current: WindowIndex,
) -> Result<Vec<(WindowIndex, SettlementRecord)>, HarnessError> {
	let mut out = Vec::new();
	for w in 0..=current {
		for (reporter, _part, r) in chain.settlements(edge, w).await.map_err(chain_err)? {
			if reporters.contains(&reporter) {
				out.push((w, r));
			}
		}
	}
	Ok(out)
}

/// Waits until no settlement of the expected edges is still vesting (the
/// chain mints credits and pays fees `VestingDelay` blocks after settling).
pub async fn wait_vested(
	chain: &Chain,
	expected: &Expected,
	timeout: std::time::Duration,
) -> Result<(), HarnessError> {
	crate::process::wait_for(
		"every settlement to vest",
		timeout,
		std::time::Duration::from_secs(2),
		|| async {
			let current = chain.current_window().await.ok()?;
			for edge in expected.edges.keys() {
				let recs = settlements(chain, edge, &expected.reporters, current).await.ok()?;
				if recs.iter().any(|(_, r)| r.state == SettlementState::Vesting) {
					return None;
				}
			}
			Some(())
		},
	)
	.await
}

/// Bytes settled per edge so far.
pub async fn settled_bytes(
	chain: &Chain,
	expected: &Expected,
) -> Result<BTreeMap<PublicKey, u64>, HarnessError> {
	let current = chain.current_window().await.map_err(chain_err)?;
	let mut out = BTreeMap::new();
	for edge in expected.edges.keys() {
		let recs = settlements(chain, edge, &expected.reporters, current).await?;
		let bytes = recs.iter().map(|(_, r)| r.bytes).sum();
		out.insert(*edge, bytes);
	}
	Ok(out)
}

/// Totals over the settlements checked.
#[derive(Debug, Default)]
struct Totals {
	bytes: u64,
	charged: u128,
	fee: u128,
	credits: u128,
	per_owner: BTreeMap<[u8; 32], u128>,
}

fn fmt(v: impl Into<u128>) -> String {
	pod_chain::listing::grouped(v)
}

/// Checks every settlement against the formula, recomputed here from its
/// bytes and the price, and adds it to the totals.
fn check_record(
	w: WindowIndex,
	edge: &PublicKey,
	r: &SettlementRecord,
	price: u128,
	problems: &mut Vec<String>,
) {
	let charged = r.bytes as u128 * price / GIB;
	let fee = charged * FEE_PPB / PPB;
	let e = &hex::encode(edge)[..8];
	if r.charged != charged {
		problems.push(format!("window {w} of {e}: charged {} != {charged}", r.charged));
	}
	if r.fee != fee {
		problems.push(format!("window {w} of {e}: fee {} != {fee}", r.fee));
	}
	if r.credits != r.charged - r.fee {
		problems.push(format!("window {w} of {e}: credits {} != charged − fee", r.credits));
	}
}

/// Checks the books after the deliveries against `before`, prints the
/// summary, and fails naming every mismatch.
pub async fn verify(
	chain: &Chain,
	expected: &Expected,
	before: &Snapshot,
) -> Result<(), HarnessError> {
	wait_vested(chain, expected, std::time::Duration::from_secs(180)).await?;
	let after = Snapshot::take(chain, expected).await?;
	let mut problems = Vec::new();
	let mut t = Totals::default();
	let current = chain.current_window().await.map_err(chain_err)?;
	println!("\nedge              owner     windows  bytes received  bytes settled  credits minted (planck)");
	for (edge, (owner, received)) in &expected.edges {
		let recs = settlements(chain, edge, &expected.reporters, current).await?;
		let (mut bytes, mut credits) = (0u64, 0u128);
		for (w, r) in &recs {
			check_record(*w, edge, r, expected.price, &mut problems);
			bytes += r.bytes;
			credits += r.credits;
			t.charged += r.charged;
			t.fee += r.fee;
		}
		t.bytes += bytes;
		t.credits += credits;
		*t.per_owner.entry(owner.id()).or_default() += credits;
		let e = &hex::encode(edge)[..16];
		println!(
			"{e}  {:<8}  {:>7}  {:>14}  {:>13}  {}",
			owner.name,
			recs.len(),
			fmt(*received),
			fmt(bytes),
			fmt(credits)
		);
		if bytes != *received {
			problems.push(format!("edge {e} settled {bytes} bytes, clients received {received}"));
		}
	}
	balance_sheet(expected, before, &after, &t, &mut problems);
	print_usage(chain, expected).await?;
	if problems.is_empty() {
		println!("BALANCED: every byte the clients received was paid exactly once");
		return Ok(());
	}
	for p in &problems {
		println!("MISMATCH {p}");
	}
	Err(HarnessError::Check(format!("NOT BALANCED: {} mismatches", problems.len())))
}

/// The balances' changes against the settlements' totals.
fn balance_sheet(
	expected: &Expected,
	before: &Snapshot,
	after: &Snapshot,
	t: &Totals,
	problems: &mut Vec<String>,
) {
	let owners: BTreeMap<[u8; 32], &Account> =
		expected.edges.values().map(|(o, _)| (o.id(), o)).collect();
	let owners: Vec<&Account> = owners.into_values().collect();
	for o in &owners {
		let d = after.credits[&o.id()] - before.credits[&o.id()];
		if d != t.per_owner[&o.id()] {
			let want = t.per_owner[&o.id()];
			problems.push(format!("credits of {} grew by {d}, settlements say {want}", o.name));
		}
	}
	let d_fee = after.operator_free - before.operator_free;
	let d_escrow = before.escrow - after.escrow;
	let d_total = after.total_credits - before.total_credits;
	if d_fee != t.fee {
		problems.push(format!("operator received {d_fee}, settlements say {}", t.fee));
	}
	if d_escrow != t.charged {
		problems.push(format!("escrow fell by {d_escrow}, settlements charged {}", t.charged));
	}
	if d_total != t.credits {
		problems.push(format!("total credits grew by {d_total}, settlements minted {}", t.credits));
	}
	if d_escrow != d_fee + d_total {
		problems.push("escrow taken != fee + credits".into());
	}
	println!("\nbytes delivered and settled : {}", fmt(t.bytes));
	for o in &owners {
		println!("credits minted to {:<9}: {} planck", o.name, fmt(t.per_owner[&o.id()]));
	}
	println!("operator fee                : {} planck", fmt(d_fee));
	let (b, a) = (fmt(before.escrow), fmt(after.escrow));
	println!("customer escrow             : {b} → {a} planck (−{})", fmt(d_escrow));
	println!(
		"check: escrow taken {} = fee {} + credits {}",
		fmt(d_escrow),
		fmt(d_fee),
		fmt(d_total)
	);
}

/// The customer's usage in its last windows, as the customer sees it.
async fn print_usage(chain: &Chain, expected: &Expected) -> Result<(), HarnessError> {
	let current = chain.current_window().await.map_err(chain_err)?;
	let mut seen = Vec::new();
	for w in 0..=current {
		let u = chain.usage(&expected.customer.id(), w).await.map_err(chain_err)?;
		if u.bytes > 0 {
			seen.push(format!("w{w}: {} B", fmt(u.bytes)));
		}
	}
	let recent = &seen[seen.len().saturating_sub(6)..];
	println!("customer usage (last windows): {}", recent.join(", "));
	Ok(())
}

/// `Pod::register_edge(key, region, capacity, proof)` signed by `owner`,
/// with the edge key's proof of possession; an edge already registered is
/// fine.
pub async fn register_edge(
	chain: &Chain,
	owner: &Account,
	edge: &pod_primitives::keys::Keypair,
) -> Result<(), HarnessError> {
	let key = edge.public.to_bytes();
	let proof = edge_proof(chain.genesis(), edge, owner.id());
	let args = (key, b"local".to_vec(), 100_000_000u64, proof).encode();
	accept_existing(
		chain.submit_signed("register_edge", args, &owner.pair).await,
		"EdgeAlreadyRegistered",
	)
}

/// `Pod::register_content(id, size, price, origin)` signed by `customer`.
pub async fn register_content(
	chain: &Chain,
	customer: &Account,
	id: [u8; 32],
	size: u64,
	price: u128,
	origin: &str,
) -> Result<(), HarnessError> {
	let args = (id, size, price, origin.as_bytes().to_vec()).encode();
	let r = chain.submit_signed("register_content", args, &customer.pair).await;
	accept_existing(r, "ContentAlreadyRegistered")
}

/// The customer names the key its viewer grants are signed with.
pub async fn set_grant_key(
	chain: &Chain,
	customer: &Account,
	key: PublicKey,
) -> Result<(), HarnessError> {
	let args = Some(key).encode();
	chain.submit_signed("set_grant_key", args, &customer.pair).await.map(|_| ()).map_err(chain_err)
}

fn accept_existing(
	r: Result<[u8; 32], pod_chain::ChainError>,
	already: &str,
) -> Result<(), HarnessError> {
	match r {
		Ok(_) => Ok(()),
		Err(pod_chain::ChainError::Failed { reason, .. }) if reason.contains(already) => Ok(()),
		Err(e) => Err(chain_err(e)),
	}
}

/// The edge key's proof that it registers itself for `owner` on this chain.
pub fn edge_proof(
	genesis: [u8; 32],
	edge: &pod_primitives::keys::Keypair,
	owner: [u8; 32],
) -> pod_primitives::Signature {
	let key = edge.public.to_bytes();
	let tag = pod_primitives::DomainTag::EdgeRegistration;
	pod_primitives::keys::sign(edge, tag, &genesis, &(key, owner))
}

/// A squatter's attempt: registering `key` without its holder's proof
/// (here, a proof the squatter made with a key of its own) must be refused.
pub async fn squatting_refused(
	chain: &Chain,
	squatter: &Account,
	key: PublicKey,
) -> Result<(), HarnessError> {
	let own = pod_primitives::keys::keypair_from_seed(&[0x5a; 32]);
	let proof = edge_proof(chain.genesis(), &own, squatter.id());
	let args = (key, b"local".to_vec(), 1u64, proof).encode();
	match chain.submit_signed("register_edge", args, &squatter.pair).await {
		Err(pod_chain::ChainError::Failed { reason, .. }) if reason.contains("BadEdgeProof") => {
			println!("   registering an edge key without its proof is refused (BadEdgeProof)");
			Ok(())
		}
		other => Err(HarnessError::Check(format!("squatting on an edge key: {other:?}"))),
	}
}
