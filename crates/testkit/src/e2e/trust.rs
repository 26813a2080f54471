//! Issue #11's trust scenarios, on the devnet, edges and origin the main run
//! used, with exact amounts checked on chain:
//!
//! - an edge owner's hand-made ticket and receipt earn nothing (the reporter
//!   confirms nothing, the chain refuses an attestation its owner co-signed);
//! - two reporters in one window: an edge that served tickets of both is
//!   paid for both;
//! - a client under-reports (one byte per ticket): the edges are paid what
//!   its signed receipts prove;
//! - a content's per-window budget is reached: the excess is unpaid and
//!   recorded in the usage, the escrow above it untouched;
//! - a reporter is revoked as compromised: what it co-signed was bounded by
//!   its cap, and is voided with the escrow returned;
//! - a stranger registers a junk content (with no escrow behind it) and
//!   downloads it from the same edges in the same window: its entries are
//!   unpaid and recorded, and the edges' windows are paid for everything
//!   else; an edge's window that held junk only (or what a spent budget or
//!   cap leaves nothing for) is refused by the chain's pool and never takes
//!   block space (the edge shows it as `refused`).

use super::*;
use codec::Encode;
use pod_client::{report, FetchPlan};
use pod_primitives::{SettlementRecord, SettlementState, SignedGrant, WindowIndex};

/// The second (honest) and third (to be revoked) reporters' keys.
pub(super) const REPORTER2_SEED: [u8; 32] = [0x72; 32];
pub(super) const REPORTER3_SEED: [u8; 32] = [0x73; 32];

/// A content's per-window budget in the budget scenario: 1.25 MiB's
/// worth, one chunk's tickets and a quarter.
const BUDGET: u128 = PRICE / 1024 + PRICE / 4096;
/// The third reporter's cap per window: 16 MiB's worth (a customer may
/// take half of it: tickets for the 3 MiB content fit).
const REPORTER3_CAP: u128 = PRICE / 64;

/// One reporter of the scenarios: its URL and key.
#[derive(Debug, Clone)]
pub(super) struct ReporterAt {
	pub(super) url: String,
	pub(super) key: PublicKey,
}

/// The key the stranger signs its own viewer grants with.
const STRANGER_GRANT_SEED: [u8; 32] = [0x4A; 32];

/// A small content of the scenarios, served by the main run's origin.
struct Small {
	id: [u8; 32],
	size: u64,
	manifest: Vec<u8>,
	origin_url: String,
	/// The key its owner signs viewer grants with.
	grant_seed: [u8; 32],
}

impl Small {
	fn make(cfg: &E2eConfig, name: &str, size: u64) -> Result<Small, HarnessError> {
		let file = cfg.dir.join("origin").join(name);
		random_file(&file, size)?;
		let m = pod_client::content::manifest_of_file(&file, pod_primitives::DEFAULT_CHUNK_SIZE)
			.map_err(|e| HarnessError::Check(e.to_string()))?;
		let origin_url = format!("http://127.0.0.1:{}/{name}", cfg.offchain_base);
		let grant_seed = super::GRANT_KEY_SEED;
		Ok(Small { id: m.id(), size, manifest: m.encode(), origin_url, grant_seed })
	}
}

/// What one client received, per edge, under which window and reporter.
#[derive(Debug, Clone)]
struct Received {
	window: WindowIndex,
	reporter: PublicKey,
	per_edge: BTreeMap<PublicKey, u64>,
}

fn check(ok: bool, what: impl Into<String>) -> Result<(), HarnessError> {
	if ok {
		Ok(())
	} else {
		Err(HarnessError::Check(what.into()))
	}
}

fn chain_err(e: pod_chain::ChainError) -> HarnessError {
	HarnessError::Check(format!("chain: {e}"))
}

fn price(bytes: u64) -> u128 {
	pod_primitives::settlement::price(bytes, PRICE)
}

/// Runs every scenario; `reporters` are the main, second and third reporter.
pub(super) async fn run(
	cfg: &E2eConfig,
	chain: &Chain,
	reporters: &[ReporterAt; 3],
	expected: &Expected,
	edge_admins: &BTreeMap<PublicKey, String>,
) -> Result<(), HarnessError> {
	println!("== trust scenarios (issue #11)");
	let min_charge = chain.constant::<u128>("Pod", "MinCharge").await.map_err(chain_err)?;
	let seen = Seen { chain, admins: edge_admins };
	let [r1, r2, r3] = reporters;
	add_reporters(chain, r2, r3).await?;
	let (t, b) =
		(Small::make(cfg, "t.bin", (3 << 20) + 777)?, Small::make(cfg, "b.bin", (2 << 20) + 333)?);
	register_contents(chain, &expected.customer, &t, &b, reporters).await?;
	let stranger = Account { name: "//Eve", pair: dev_accounts::eve() };
	let junk = junk_content(cfg, chain, &stranger, &r1.url).await?;
	for r in [r2, r3] {
		wait_live_edges(&r.url).await?;
	}
	self_dealing_earns_nothing(chain, r1, &t).await?;
	let mut scoped = expected.clone();
	scoped.reporters = reporters.iter().map(|r| r.key).collect();
	let before = Snapshot::take(chain, &scoped).await?;
	let escrow0 = chain.escrow(&expected.customer.id()).await.map_err(chain_err)?;
	let genesis = chain.genesis();
	let customer = expected.customer.id();
	// All four clients in one fresh window, so the two reporters' tickets
	// share it.
	next_window(chain, reporters).await?;
	let (t1, t2, t3, (), ()) = tokio::try_join!(
		client(cfg, r1, &t, customer, genesis, 1, true),
		client(cfg, r2, &t, customer, genesis, 2, false),
		client(cfg, r3, &t, customer, genesis, 3, false),
		tickets_within_budget(r1, &b, customer, genesis),
		unfunded_refused(r1, &junk, stranger.id(), genesis),
	)?;
	revoke_after_settling(&seen, &t3, min_charge).await?;
	revoked_tickets_refused(r3, &t, customer, genesis).await?;
	wait_final(&seen, &[&t1, &t2], &t3).await?;
	let charged_t =
		t1.per_edge.values().chain(t2.per_edge.values()).map(|b| price(*b)).sum::<u128>();
	check_paid(chain, &t1, &[], &t2).await?;
	let honest = Charged { expected: charged_t, min_charge };
	check_revoked(&seen, &t3, escrow0, honest, &expected.customer).await?;
	check_books(chain, &scoped, &before, &[&t1, &t2]).await
}

/// A viewer of the budgeted content gets tickets worth at most the
/// window's budget, and the next viewer in the window none (`402
/// budget_reached`): every byte a ticket allows is one the budget pays.
async fn tickets_within_budget(
	r: &ReporterAt,
	b: &Small,
	customer: [u8; 32],
	genesis: [u8; 32],
) -> Result<(), HarnessError> {
	let mut allowed = Vec::new();
	for n in [4u8, 6] {
		let session = keys::keypair_from_seed(&[0x90 + n; 32]);
		let grant = trust_grant(b, customer, r.key, &session, genesis)?;
		allowed.push(pod_client::schedule(&r.url, &b.id, &session, None, None, Some(&grant)).await);
	}
	let first =
		allowed.remove(0).map_err(|e| HarnessError::Check(format!("budget viewer: {e}")))?;
	let bytes: Vec<u64> = first.sources.iter().map(|s| s.ticket.ticket.max_bytes).collect();
	let worth: u128 = bytes.iter().map(|b| price(*b)).sum();
	check(
		!bytes.is_empty() && worth <= BUDGET,
		format!("tickets of {bytes:?} bytes ({worth}) under a budget of {BUDGET}"),
	)?;
	check(
		refused(&allowed[0], Some(hyper::StatusCode::PAYMENT_REQUIRED), "budget_reached"),
		format!("a viewer past the budget got {:?}", allowed[0].as_ref().map(|s| s.sources.len())),
	)?;
	println!("   a content with a budget of {BUDGET} a window: its first viewer's tickets allow {bytes:?} bytes ({worth}); the next is refused (402 budget_reached)");
	Ok(())
}

/// The stranger's content has no escrow behind it: its viewer gets no
/// ticket (`402 escrow_exhausted`), so no edge delivers what nobody pays.
async fn unfunded_refused(
	r: &ReporterAt,
	junk: &Small,
	stranger: [u8; 32],
	genesis: [u8; 32],
) -> Result<(), HarnessError> {
	let session = keys::keypair_from_seed(&[0x95; 32]);
	let grant = trust_grant(junk, stranger, r.key, &session, genesis)?;
	let got = pod_client::schedule(&r.url, &junk.id, &session, None, None, Some(&grant)).await;
	check(
		refused(&got, Some(hyper::StatusCode::PAYMENT_REQUIRED), "escrow_exhausted"),
		format!("a viewer of unfunded content got {:?}", got.as_ref().map(|s| s.sources.len())),
	)?;
	println!("   a stranger's content with no escrow: its viewer is refused (402 escrow_exhausted), no edge serves it unpaid");
	Ok(())
}

async fn add_reporters(
	chain: &Chain,
	r2: &ReporterAt,
	r3: &ReporterAt,
) -> Result<(), HarnessError> {
	let root = dev_accounts::alice();
	for (r, cap) in [(r2, u128::MAX / 4), (r3, REPORTER3_CAP)] {
		chain.submit_sudo("add_reporter", (r.key, cap).encode(), &root).await.map_err(chain_err)?;
		let stored = chain.storage("Pod", "Reporters", (r.key,)).await.map_err(chain_err)?;
		check(stored.is_some(), "Root's add_reporter did not take")?;
	}
	println!(
		"   Root added two reporters: one honest, one with a cap of 16 MiB's worth per window"
	);
	Ok(())
}

async fn register_contents(
	chain: &Chain,
	customer: &Account,
	t: &Small,
	b: &Small,
	reporters: &[ReporterAt; 3],
) -> Result<(), HarnessError> {
	for c in [t, b] {
		books::register_content(chain, customer, c.id, c.size, PRICE, &c.origin_url).await?;
	}
	let args = (b.id, Some(BUDGET), false).encode();
	chain.submit_signed("set_content_policy", args, &customer.pair).await.map_err(chain_err)?;
	for r in reporters {
		register_with(&r.url, t).await?;
	}
	register_with(&reporters[0].url, b).await?;
	println!(
		"   two small contents registered; the second has a budget of 1.25 MiB's worth per window"
	);
	Ok(())
}

async fn register_with(reporter: &str, c: &Small) -> Result<(), HarnessError> {
	pod_client::reporter::register(reporter, c.manifest.clone(), &c.origin_url)
		.await
		.map(|_| ())
		.map_err(|e| HarnessError::Check(format!("registering with {reporter}: {e}")))
}

/// Waits for the start of a window, as the chain and every reporter see it,
/// so what follows happens within one (a reporter that still saw the old
/// window would issue tickets for it, expiring within seconds).
async fn next_window(
	chain: &Chain,
	reporters: &[ReporterAt; 3],
) -> Result<WindowIndex, HarnessError> {
	let now = chain.current_window().await.map_err(chain_err)?;
	let w = wait_for(
		"the next window",
		Duration::from_secs(90),
		Duration::from_millis(300),
		|| async { chain.current_window().await.ok().filter(|w| *w > now) },
	)
	.await?;
	for r in reporters {
		let url = format!("{}/status", r.url);
		wait_for(
			"the reporter in the new window",
			Duration::from_secs(30),
			Duration::from_millis(100),
			|| async {
				let s: pod_wire::replies::ReporterStatus =
					serde_json::from_slice(&get(&url).await?).ok()?;
				(s.window >= w).then_some(())
			},
		)
		.await?;
	}
	Ok(w)
}

/// Downloads `c` through `reporter` under a grant, in process, and reports
/// the receipts (with `under_report`, one byte per ticket instead).
async fn client(
	cfg: &E2eConfig,
	reporter: &ReporterAt,
	c: &Small,
	customer: [u8; 32],
	genesis: [u8; 32],
	n: u8,
	under_report: bool,
) -> Result<Received, HarnessError> {
	let session = keys::keypair_from_seed(&[0x90 + n; 32]);
	let grant = trust_grant(c, customer, reporter.key, &session, genesis)?;
	let fail = |e: &dyn std::fmt::Display| HarnessError::Check(format!("trust client {n}: {e}"));
	let s = pod_client::schedule(&reporter.url, &c.id, &session, None, None, Some(&grant))
		.await
		.map_err(|e| fail(&e))?;
	let out = cfg.dir.join(format!("trust-client{n}.bin"));
	let plan = FetchPlan {
		content: c.id,
		manifest: s.manifest,
		genesis,
		session: session.clone(),
		sources: s.sources.clone(),
		per_source: 2,
		timeout: Duration::from_secs(20),
	};
	let attempt = pod_client::fetch_attempt(plan, &out, |_| {}).await.map_err(|e| fail(&e))?;
	if let Some(e) = attempt.error {
		let why: Vec<String> = attempt
			.report
			.sources
			.iter()
			.map(|s| format!("{} ({:?})", s.url, s.last_error))
			.collect();
		return Err(fail(&format!("{e}; sources: {}", why.join(", "))));
	}
	let mut fr = attempt.report;
	let mut per_edge = BTreeMap::new();
	for (src, rep) in s.sources.iter().zip(&fr.sources) {
		*per_edge.entry(src.ticket.ticket.edge).or_default() += rep.bytes;
	}
	if under_report {
		for rep in fr.sources.iter_mut() {
			if let Some(r) = rep.last_receipt.as_mut() {
				r.bytes_total = 1;
			}
		}
	}
	report(&reporter.url, &session, &genesis, &s.sources, &fr).await.map_err(|e| fail(&e))?;
	grant_used_once(&reporter.url, c, &session, &grant, &s.sources).await?;
	let window = s.sources.first().map(|s| s.ticket.ticket.window).unwrap_or_default();
	Ok(Received { window, reporter: reporter.key, per_edge })
}

/// The tickets of one schedule allow at most the grant's budget, and the
/// grant gets no more tickets: what its viewer's edges can be paid is
/// bounded by it, once.
async fn grant_used_once(
	url: &str,
	c: &Small,
	session: &keys::Keypair,
	grant: &SignedGrant,
	sources: &[pod_client::Source],
) -> Result<(), HarnessError> {
	let allowed: u64 = sources.iter().map(|s| s.ticket.ticket.max_bytes).sum();
	let id = Some(grant.grant.id());
	check(
		allowed <= grant.grant.budget && sources.iter().all(|s| s.ticket.ticket.grant == id),
		format!("tickets allow {allowed} bytes under a grant of {}", grant.grant.budget),
	)?;
	let again = pod_client::schedule(url, &c.id, session, None, None, Some(grant)).await;
	check(
		super::refused(&again, None, "grant_exhausted"),
		format!(
			"a second schedule under a used-up grant should be refused, got {:?}",
			again.map(|s| s.sources.len())
		),
	)
}

fn trust_grant(
	c: &Small,
	customer: [u8; 32],
	reporter: PublicKey,
	session: &keys::Keypair,
	genesis: [u8; 32],
) -> Result<SignedGrant, HarnessError> {
	let terms = pod_client::grant::GrantTerms {
		customer,
		reporter,
		viewer: session.public.to_bytes(),
		contents: vec![c.id],
		budget: c.size * 2,
		valid_for: Duration::from_secs(600),
	};
	pod_client::grant::mint(&keys::keypair_from_seed(&c.grant_seed), &genesis, terms)
		.map_err(|e| HarnessError::Check(format!("minting a grant: {e}")))
}

/// A stranger's junk content: registered on chain and at the main reporter,
/// its grant key named, and no escrow deposited.
async fn junk_content(
	cfg: &E2eConfig,
	chain: &Chain,
	stranger: &Account,
	reporter: &str,
) -> Result<Small, HarnessError> {
	let mut junk = Small::make(cfg, "junk.bin", (1 << 20) + 5)?;
	junk.grant_seed = STRANGER_GRANT_SEED;
	books::register_content(chain, stranger, junk.id, junk.size, PRICE, &junk.origin_url).await?;
	let key = keys::keypair_from_seed(&STRANGER_GRANT_SEED).public.to_bytes();
	books::set_grant_key(chain, stranger, key).await?;
	register_with(reporter, &junk).await?;
	println!("   a stranger ({}) registers a junk content with no escrow behind it", stranger.name);
	Ok(junk)
}

/// The claim an edge owner would make for a ticket it made up (no reporter
/// issued it) and a receipt it signed itself, as its own viewer.
fn hand_made_claim(
	edge: &keys::Keypair,
	window: WindowIndex,
	t: &Small,
	genesis: &[u8; 32],
) -> pod_wire::api::ConfirmRequest {
	let ticket_id = pod_primitives::Ticket::id(1, [9; 8]);
	let receipt = pod_primitives::Receipt { ticket_id, bytes_total: t.size, chunks_verified: 4 };
	let receipts = vec![keys::sign_receipt(edge, genesis, receipt)];
	let claim = pod_primitives::Claim {
		edge: edge.public.to_bytes(),
		window,
		part: 0,
		entries: vec![pod_primitives::Entry { content: t.id, bytes: t.size }]
			.try_into()
			.expect("one entry"),
		receipts_root: pod_primitives::merkle::receipts_root(&[(ticket_id, t.size)]),
		receipt_count: 1,
	};
	let signature = keys::sign(edge, pod_primitives::DomainTag::Claim, genesis, &claim);
	pod_wire::api::ConfirmRequest { claim, signature, receipts }
}

/// An edge owner hand-makes a ticket and a receipt for it: the reporter
/// confirms nothing, and an attestation the owner co-signs itself (as if
/// its edge key were a reporter's) is refused by the chain.
async fn self_dealing_earns_nothing(
	chain: &Chain,
	r1: &ReporterAt,
	t: &Small,
) -> Result<(), HarnessError> {
	let edge = keys::keypair_from_seed(&edge_seed(0));
	let window = chain.current_window().await.map_err(chain_err)?.saturating_sub(1);
	let genesis = chain.genesis();
	let req = hand_made_claim(&edge, window, t, &genesis);
	let claim = req.claim.clone();
	// The reporter follows the finalized head, a block or two behind: until
	// it sees the window closed it answers 425, so ask until it decides.
	let http = pod_http::http_client();
	let url = format!("{}/confirm", r1.url);
	let body = req.encode();
	let r = wait_for(
		"the reporter's answer",
		Duration::from_secs(90),
		Duration::from_secs(2),
		|| async {
			let t = Duration::from_secs(30);
			let r = pod_http::call(&http, hyper::Method::POST, &url, &[], body.clone(), t)
				.await
				.ok()?;
			(r.status != hyper::StatusCode::TOO_EARLY).then_some(r)
		},
	)
	.await?;
	check(
		r.status.as_u16() == 422 && r.text().contains("unknown_ticket"),
		format!("a hand-made ticket should confirm nothing, got {} {}", r.status, r.text()),
	)?;
	let payload = pod_primitives::AttestationPayload {
		edge: claim.edge,
		window,
		part: 0,
		entries: claim.entries,
		receipts_root: claim.receipts_root,
		receipt_count: 1,
	};
	let sig = keys::sign(&edge, pod_primitives::DomainTag::Attestation, &genesis, &payload);
	let att = pod_primitives::Attestation {
		payload,
		edge_signature: sig,
		reporter: edge.public.to_bytes(),
		reporter_signature: sig,
	};
	let refused = chain.submit_attestation(&att, |_| {}).await;
	check(refused.is_err(), "the chain accepted an attestation its edge's owner co-signed")?;
	let rec = chain.settlements(&claim.edge, window).await.map_err(chain_err)?;
	let rec = rec.first();
	check(rec.is_none(), "a self-dealt window settled")?;
	println!("   an edge owner's hand-made ticket and receipt: nothing confirmed, the chain refuses it, 0 earned");
	Ok(())
}

/// Waits until every edge of the third reporter's client settled or was
/// refused (its cap left nothing to pay), with the settlements still
/// vesting, then Root revokes it.
async fn revoke_after_settling(
	seen: &Seen<'_>,
	t3: &Received,
	min_charge: u128,
) -> Result<(), HarnessError> {
	let out = wait_for(
		"the third reporter's settlements",
		Duration::from_secs(240),
		Duration::from_secs(1),
		|| async { seen.outcome(t3).await.ok().filter(|o| o.complete(t3)) },
	)
	.await?;
	check(
		out.records.iter().all(|r| r.state == SettlementState::Vesting),
		"the third reporter's settlements vested before Root could revoke it",
	)?;
	let charged: u128 = out.records.iter().map(|r| r.charged).sum();
	let full: u128 = t3.per_edge.values().map(|b| price(*b)).sum();
	// Every settlement charged what the cap left; a refused window found
	// less than the minimum charge left.
	let capped = full.min(REPORTER3_CAP);
	check(
		charged == capped || (!out.refused.is_empty() && REPORTER3_CAP - charged < min_charge),
		format!("the third reporter's settlements charged {charged}, its cap allows {REPORTER3_CAP} of {full}"),
	)?;
	chain_revoke(seen.chain, t3).await?;
	println!(
		"   the third reporter co-signed {charged} of {full} (its cap; {} window(s) it left nothing for were refused); Root revokes it before that vests",
		out.refused.len()
	);
	Ok(())
}

/// Once Root revoked the third reporter, the edges follow the chain: a
/// ticket it still signs (it does not know it was revoked) is refused
/// (`ticket_unknown_reporter`) within a few seconds.
async fn revoked_tickets_refused(
	r3: &ReporterAt,
	t: &Small,
	customer: [u8; 32],
	genesis: [u8; 32],
) -> Result<(), HarnessError> {
	let started = std::time::Instant::now();
	let session = keys::keypair_from_seed(&[0x97; 32]);
	let grant = trust_grant(t, customer, r3.key, &session, genesis)?;
	let s = pod_client::schedule(&r3.url, &t.id, &session, None, None, Some(&grant))
		.await
		.map_err(|e| HarnessError::Check(format!("the revoked reporter's schedule: {e}")))?;
	let src = s.sources.first().ok_or_else(|| HarnessError::Check("no source".into()))?;
	let url = format!("{}/c/{}/0", src.url, hex::encode(t.id));
	let ticket = pod_wire::headers::value(&src.ticket);
	let http = pod_http::http_client();
	wait_for(
		"edges to refuse the revoked reporter's tickets",
		Duration::from_secs(30),
		Duration::from_millis(500),
		|| async {
			let h = [(pod_wire::headers::TICKET, ticket.clone())];
			let r = pod_http::call(
				&http,
				hyper::Method::GET,
				&url,
				&h,
				vec![],
				Duration::from_secs(10),
			)
			.await
			.ok()?;
			(r.status == hyper::StatusCode::FORBIDDEN
				&& r.text().contains("ticket_unknown_reporter"))
			.then_some(())
		},
	)
	.await?;
	println!("   a ticket the revoked reporter signed afterwards is refused by the edge (403 ticket_unknown_reporter), at most {:.1} s after the revocation was in a block", started.elapsed().as_secs_f64());
	Ok(())
}

async fn chain_revoke(chain: &Chain, t3: &Received) -> Result<(), HarnessError> {
	chain
		.submit_sudo("revoke_reporter", t3.reporter.encode(), &dev_accounts::alice())
		.await
		.map_err(chain_err)
		.map(|_| ())
}

/// The settlements (every part) of `edge` in `window` with `reporter`.
async fn edge_records(
	chain: &Chain,
	edge: &PublicKey,
	window: WindowIndex,
	reporter: &PublicKey,
) -> Result<Vec<SettlementRecord>, HarnessError> {
	let all = chain.settlements(edge, window).await.map_err(chain_err)?;
	Ok(all.into_iter().filter(|(r, _, _)| r == reporter).map(|(_, _, rec)| rec).collect())
}

/// Where the scenarios look: the chain, and each edge's admin plane.
struct Seen<'a> {
	chain: &'a Chain,
	admins: &'a BTreeMap<PublicKey, String>,
}

/// What became of the windows behind what one client received.
struct Outcome {
	/// Every settlement of its edges' windows.
	records: Vec<SettlementRecord>,
	/// Edges with at least one settlement.
	settled: std::collections::BTreeSet<PublicKey>,
	/// Edges whose window the chain refused (nobody would pay for it).
	refused: std::collections::BTreeSet<PublicKey>,
}

impl Outcome {
	/// Whether every edge of `r` settled or was refused.
	fn complete(&self, r: &Received) -> bool {
		r.per_edge.keys().all(|e| self.settled.contains(e) || self.refused.contains(e))
	}
}

impl Seen<'_> {
	async fn outcome(&self, r: &Received) -> Result<Outcome, HarnessError> {
		let mut out =
			Outcome { records: vec![], settled: Default::default(), refused: Default::default() };
		for edge in r.per_edge.keys() {
			let recs = edge_records(self.chain, edge, r.window, &r.reporter).await?;
			if !recs.is_empty() {
				out.settled.insert(*edge);
			} else if self.refused(edge, r).await? {
				out.refused.insert(*edge);
			}
			out.records.extend(recs);
		}
		Ok(out)
	}

	/// Whether `edge` shows its window of `r` as refused by the chain.
	async fn refused(&self, edge: &PublicKey, r: &Received) -> Result<bool, HarnessError> {
		let admin = self.admins.get(edge).ok_or_else(|| {
			HarnessError::Check(format!("no admin URL for edge {}", hex::encode(edge)))
		})?;
		let url = format!("{admin}/status");
		let body =
			get(&url).await.ok_or_else(|| HarnessError::Check(format!("{url} did not answer")))?;
		let status: pod_wire::replies::EdgeStatus = serde_json::from_slice(&body)
			.map_err(|e| HarnessError::Check(format!("{url}: {e}")))?;
		let reporter = hex::encode(r.reporter);
		Ok(status
			.windows
			.iter()
			.any(|w| w.window == r.window && w.reporter == reporter && w.state == "refused"))
	}
}

/// Waits until the honest settlements vested and the revoked reporter's
/// were voided, every edge's window settled or refused.
async fn wait_final(
	seen: &Seen<'_>,
	honest: &[&Received],
	revoked: &Received,
) -> Result<(), HarnessError> {
	let done = |o: &Outcome, r: &Received, state| {
		o.complete(r) && o.records.iter().all(|rec| rec.state == state)
	};
	wait_for("vesting and voiding", Duration::from_secs(300), Duration::from_secs(2), || async {
		for r in honest {
			let o = seen.outcome(r).await.ok()?;
			if !done(&o, r, SettlementState::Vested) {
				return None;
			}
		}
		let o = seen.outcome(revoked).await.ok()?;
		done(&o, revoked, SettlementState::Voided).then_some(())
	})
	.await
}

/// Both reporters paid the same window; the under-reporting client's edges
/// were paid their signed receipts in full.
async fn check_paid(
	chain: &Chain,
	t1: &Received,
	same_reporter: &[&Received],
	t2: &Received,
) -> Result<(), HarnessError> {
	check(
		t1.window == t2.window,
		"the two reporters' clients were scheduled in different windows",
	)?;
	let shared: Vec<_> = t1.per_edge.keys().filter(|e| t2.per_edge.contains_key(*e)).collect();
	check(!shared.is_empty(), "no edge served both reporters' clients")?;
	for edge in &shared {
		let a = edge_records(chain, edge, t1.window, &t1.reporter).await?;
		let b = edge_records(chain, edge, t2.window, &t2.reporter).await?;
		let credits = |recs: &[SettlementRecord]| recs.iter().map(|r| r.credits).sum::<u128>();
		check(credits(&a) > 0 && credits(&b) > 0, "an edge was not paid by both reporters")?;
	}
	println!("   every client's tickets allowed at most its grant's budget; the used-up grant got no more");
	println!(
		"   {} edge(s) served both reporters' tickets in window {} and were paid by both",
		shared.len(),
		t1.window
	);
	let mut paid = 0u64;
	for edge in t1.per_edge.keys() {
		let recs = edge_records(chain, edge, t1.window, &t1.reporter).await?;
		paid += recs.iter().map(|r| r.bytes).sum::<u64>();
	}
	let own: u64 = t1.per_edge.values().sum();
	// Other clients of the same reporter in the same window share the
	// settlements of the edges they have in common with t1; a part of a
	// window holding only what nobody pays for (junk, a spent budget) is
	// refused, so their bytes are paid at most.
	let mut most = own;
	for other in same_reporter.iter().filter(|o| o.window == t1.window) {
		most += other
			.per_edge
			.iter()
			.filter(|(e, _)| t1.per_edge.contains_key(*e))
			.map(|(_, b)| b)
			.sum::<u64>();
	}
	check(
		own <= paid && paid <= most,
		format!("the under-reporting client's edges were paid for {paid} bytes; its signed receipts prove {own}, and with the other clients' on those edges at most {most} could be"),
	)?;
	println!("   a client reported 1 byte per ticket: its edges were paid {paid} bytes, all {own} its signed receipts prove among them");
	Ok(())
}

/// What the honest settlements should have charged the customer: the
/// price of every byte, within the budget; a budget can end up to one
/// minimum charge short (a window it left less than that for is refused).
#[derive(Clone, Copy)]
struct Charged {
	expected: u128,
	min_charge: u128,
}

/// The revoked reporter's charges went back to the customer: the escrow
/// fell by exactly what the honest settlements charged.
async fn check_revoked(
	seen: &Seen<'_>,
	t3: &Received,
	escrow0: u128,
	charged: Charged,
	customer: &Account,
) -> Result<(), HarnessError> {
	let escrow1 = seen.chain.escrow(&customer.id()).await.map_err(chain_err)?;
	let fell = escrow0 - escrow1;
	check(
		fell <= charged.expected && charged.expected - fell < charged.min_charge.max(1),
		format!("escrow fell by {fell}, the honest settlements charged {}", charged.expected),
	)?;
	let voided = seen
		.outcome(t3)
		.await?
		.records
		.iter()
		.filter(|r| r.state == SettlementState::Voided)
		.count();
	println!("   its {voided} settlement(s) were voided and the escrow returned: escrow fell by exactly {fell}, what the honest settlements charged");
	Ok(())
}

/// Credits and the operator's fee moved by exactly what the honest
/// settlements record.
async fn check_books(
	chain: &Chain,
	expected: &Expected,
	before: &Snapshot,
	honest: &[&Received],
) -> Result<(), HarnessError> {
	let after = Snapshot::take(chain, expected).await?;
	let mut seen = std::collections::BTreeSet::new();
	let (mut credits, mut fee) = (0u128, 0u128);
	for r in honest {
		for edge in r.per_edge.keys() {
			if seen.insert((*edge, r.window, r.reporter)) {
				for rec in edge_records(chain, edge, r.window, &r.reporter).await? {
					check(
						rec.charged == rec.fee + rec.credits,
						"a settlement's charge is not fee + credits",
					)?;
					credits += rec.credits;
					fee += rec.fee;
				}
			}
		}
	}
	let (dc, df) = after.deltas(before);
	check(
		dc == credits && df == fee,
		format!("credits grew by {dc} and fees by {df}; the settlements say {credits} and {fee}"),
	)?;
	println!("   books: {credits} credits minted and {fee} fee paid, exactly what the honest settlements record");
	Ok(())
}
