//! # pod-chain
//!
//! The chain as the edge and the reporter use it, through subxt: the current
//! settlement window, a window's settlement record, credits, and submission of
//! two-signed attestations watched until finalized.
//!
//! Reads go through the `PodApi` runtime API at the latest *finalized* block,
//! so whatever the edge concludes from them cannot be reverted. The extrinsic
//! is built by subxt from the runtime's metadata (pallet and call looked up by
//! name, arguments checked against the metadata's types); only the call's
//! argument is SCALE-encoded here, with the same types the pallet decodes.

#![deny(missing_docs)]

mod account;
pub mod amount;
mod calls;
pub mod listing;

pub use account::{new_secret, parse_account_id, ss58, Account};
pub use calls::{BlockHash, EdgeRegistration, PendingWithdrawal, Redemption};

use codec::{Decode, Encode};
use pod_primitives::{Attestation, PartIndex, PublicKey, SettlementRecord, WindowIndex};
use pod_wire::{Fault, Side};
use subxt::tx::{TransactionInvalid, TransactionStatus, ValidationResult};
use subxt::{OnlineClient, SubstrateConfig};

/// Why a chain operation failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
	/// No connection to the node.
	#[error("cannot reach the node at {url}: {reason}")]
	Connect {
		/// The node's URL.
		url: String,
		/// What the client said.
		reason: String,
	},
	/// An RPC call failed.
	#[error("node RPC failed: {0}")]
	Rpc(String),
	/// The runtime lacks something this client needs.
	#[error("the runtime has no {0}; is this a PoD chain?")]
	Metadata(String),
	/// A runtime API answer did not decode.
	#[error("decoding {what} from the runtime: {err}")]
	Decode {
		/// Which answer.
		what: &'static str,
		/// What the decoder said.
		#[source]
		err: codec::Error,
	},
	/// The pool refused the transaction.
	#[error("the transaction pool refused the transaction: {0}")]
	Invalid(String),
	/// The pool refused the attestation because it would charge less than
	/// the chain's minimum: the customers' escrow, spending limits or
	/// budgets leave nothing to pay (`Pod::ChargeBelowMinimum`). It may be
	/// paid only if a customer tops up within the window's settlement age.
	#[error("the chain refuses the attestation: nobody would pay for it ({0})")]
	Unpayable(String),
	/// The transaction left the pool without being included.
	#[error("the transaction left the pool without reaching a block: {0}")]
	Dropped(String),
	/// The transaction was included and failed.
	#[error("the transaction failed in block 0x{block}: {reason}")]
	Failed {
		/// The block (hex).
		block: String,
		/// The dispatch error.
		reason: String,
	},
	/// A secret URI that names no sr25519 key.
	#[error("not an account's secret (a secret URI such as `//Alice`, a mnemonic or 0x and a hex seed): {0}")]
	BadAccount(String),
}

impl ChainError {
	/// Whether the transaction failed in its block with the pallet error
	/// `name` (e.g. `"InsufficientEscrow"`).
	pub fn failed_with(&self, name: &str) -> bool {
		matches!(self, ChainError::Failed { reason, .. } if reason.contains(name))
	}

	/// Whether the same request may succeed later (node down, pool churn).
	/// `Invalid` and `Failed` need the caller to look at the chain first.
	pub fn retryable(&self) -> bool {
		matches!(self, ChainError::Connect { .. } | ChainError::Rpc(_) | ChainError::Dropped(_))
	}
}

impl Fault for ChainError {
	fn side(&self) -> Side {
		Side::Upstream
	}

	fn retryable(&self) -> bool {
		ChainError::retryable(self)
	}
}

fn rpc(e: impl std::fmt::Display) -> ChainError {
	ChainError::Rpc(e.to_string())
}

/// A content as the chain records it (`pallet_pod::ContentInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Decode)]
pub struct ChainContent {
	/// The customer who pays for its delivery.
	pub owner: [u8; 32],
	/// Size in bytes.
	pub size: u64,
	/// Price per GiB delivered.
	pub price_per_gib: u128,
	/// The origin URL the edges fill from.
	pub origin: Vec<u8>,
	/// The first window in which deliveries are no longer paid, if retired.
	pub retired_from: Option<WindowIndex>,
	/// Most escrow its deliveries may charge per window, if capped.
	pub budget: Option<u128>,
	/// Whether viewers may get tickets without the customer's grant.
	pub open: bool,
}

/// An edge as the chain records it (`pallet_pod::EdgeInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Decode)]
pub struct ChainEdge {
	/// The account that registered and bonded it.
	pub owner: [u8; 32],
	/// Its region code.
	pub region: Vec<u8>,
	/// Declared capacity, bytes per second.
	pub capacity: u64,
	/// Its bond on hold.
	pub bond: u128,
	/// The window it registered in.
	pub since: WindowIndex,
	/// Set once it unregistered: its first unserved window and the block its
	/// bond unlocks.
	pub leaving: Option<(WindowIndex, u32)>,
}

/// A connection to a PoD chain node.
#[derive(Clone)]
pub struct Chain {
	api: OnlineClient<SubstrateConfig>,
	url: String,
}

impl std::fmt::Debug for Chain {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.debug_struct("Chain").field("url", &self.url).finish()
	}
}

impl Chain {
	/// Connects to the node's WebSocket RPC, e.g. `ws://127.0.0.1:9944`.
	///
	/// It uses the node's plain RPC methods (subxt's legacy backend) rather
	/// than a `chainHead` subscription: there a finalized block that the
	/// subscription has already unpinned reads as "no such header", which under
	/// load made a settled attestation look failed. `chain_getHeader` and
	/// `state_*` answer for every block the node stores.
	pub async fn connect(url: &str) -> Result<Self, ChainError> {
		let connect = |e: &dyn std::fmt::Display| ChainError::Connect {
			url: url.to_string(),
			reason: e.to_string(),
		};
		let rpc = subxt::rpcs::RpcClient::from_insecure_url(url).await.map_err(|e| connect(&e))?;
		Self::over(url, rpc).await
	}

	/// The chain behind `rpc`, an RPC client the caller built (its own
	/// transport, e.g. a connection from a chosen local address); `url`
	/// names it in errors.
	pub async fn over(url: &str, rpc: subxt::rpcs::RpcClient) -> Result<Self, ChainError> {
		let backend = subxt::backend::LegacyBackend::builder().build(rpc);
		let api = OnlineClient::<SubstrateConfig>::from_backend(std::sync::Arc::new(backend))
			.await
			.map_err(|e| ChainError::Connect { url: url.to_string(), reason: e.to_string() })?;
		Ok(Chain { api, url: url.to_string() })
	}

	/// The node's URL.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The chain's genesis hash (bound into every signed PoD message).
	pub fn genesis(&self) -> [u8; 32] {
		self.api.genesis_hash().0
	}

	async fn call<R: Decode>(
		&self,
		what: &'static str,
		function: &str,
		args: impl Encode,
	) -> Result<R, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let bytes =
			at.runtime_apis().call_raw(function, Some(&args.encode())).await.map_err(rpc)?;
		R::decode(&mut &bytes[..]).map_err(|err| ChainError::Decode { what, err })
	}

	/// The current settlement window (at the finalized head).
	pub async fn current_window(&self) -> Result<WindowIndex, ChainError> {
		self.call("current window", "PodApi_current_window", ()).await
	}

	/// Blocks per window.
	pub async fn window_length(&self) -> Result<u32, ChainError> {
		self.call("window length", "PodApi_window_length", ()).await
	}

	/// The window at the finalized head and when it is expected to end
	/// (unix ms): the head's timestamp plus the blocks left in the window at
	/// the chain's block time (`Pod::MillisecsPerBlock`).
	pub async fn window_end(&self) -> Result<(WindowIndex, u64), ChainError> {
		let block_ms: u64 = self.constant("Pod", "MillisecsPerBlock").await?;
		let number: u32 = self.decoded("System", "Number", "block number").await?;
		let now: u64 = self.decoded("Timestamp", "Now", "timestamp").await?;
		let length = self.window_length().await?.max(1);
		let window = number / length;
		let left = u64::from((window + 1) * length - number);
		Ok((window, now.saturating_add(left.saturating_mul(block_ms))))
	}

	/// A runtime constant (`pallet::name` in the metadata), decoded.
	pub async fn constant<T: Decode>(&self, pallet: &str, name: &str) -> Result<T, ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let addr = subxt::constants::dynamic::<subxt::ext::scale_value::Value>(pallet, name);
		let raw = at.constants().entry_bytes(addr).map_err(rpc)?;
		T::decode(&mut &raw[..]).map_err(|err| ChainError::Decode { what: "a constant", err })
	}

	/// A plain storage value, decoded (its default when absent).
	async fn decoded<T: Decode + Default>(
		&self,
		pallet: &str,
		entry: &str,
		what: &'static str,
	) -> Result<T, ChainError> {
		match self.storage(pallet, entry, ()).await? {
			None => Ok(T::default()),
			Some(raw) => T::decode(&mut &raw[..]).map_err(|err| ChainError::Decode { what, err }),
		}
	}

	/// The finalized settlement of part `part` of `(edge, window)`
	/// co-signed by `reporter`, if any.
	pub async fn settlement(
		&self,
		edge: &PublicKey,
		window: WindowIndex,
		reporter: &PublicKey,
		part: PartIndex,
	) -> Result<Option<SettlementRecord>, ChainError> {
		self.call("settlement", "PodApi_settlement", (edge, window, reporter, part)).await
	}

	/// Every finalized settlement of `(edge, window)`: by reporter and part.
	pub async fn settlements(
		&self,
		edge: &PublicKey,
		window: WindowIndex,
	) -> Result<Vec<(PublicKey, PartIndex, SettlementRecord)>, ChainError> {
		self.call("settlements", "PodApi_settlements", (edge, window)).await
	}

	/// Credits an account will receive when its pending settlements vest.
	pub async fn unvested(&self, account: &[u8; 32]) -> Result<u128, ChainError> {
		self.call("unvested", "PodApi_unvested", account).await
	}

	/// The key whose viewer grants a customer honours (`Pod::GrantKeys`), if named.
	pub async fn grant_key(&self, customer: &[u8; 32]) -> Result<Option<PublicKey>, ChainError> {
		let Some(raw) = self.storage("Pod", "GrantKeys", (*customer,)).await? else {
			return Ok(None);
		};
		PublicKey::decode(&mut &raw[..])
			.map(Some)
			.map_err(|err| ChainError::Decode { what: "grant key", err })
	}

	/// Credits in existence.
	pub async fn total_credits(&self) -> Result<u128, ChainError> {
		self.call("total credits", "PodApi_total_credits", ()).await
	}

	/// Reward credits of an account.
	pub async fn credits(&self, account: &[u8; 32]) -> Result<u128, ChainError> {
		self.call("credits", "PodApi_credits", account).await
	}

	/// A customer's escrow.
	pub async fn escrow(&self, account: &[u8; 32]) -> Result<u128, ChainError> {
		self.call("escrow", "PodApi_escrow", account).await
	}

	/// A customer's delivered bytes and charges in one window.
	pub async fn usage(
		&self,
		account: &[u8; 32],
		window: WindowIndex,
	) -> Result<pod_primitives::UsageRecord, ChainError> {
		self.call("usage", "PodApi_usage", (account, window)).await
	}

	/// A content as registered on chain (`Pod::Contents`), if it is.
	pub async fn content(&self, id: &[u8; 32]) -> Result<Option<ChainContent>, ChainError> {
		let Some(raw) = self.storage("Pod", "Contents", (*id,)).await? else { return Ok(None) };
		ChainContent::decode(&mut &raw[..])
			.map(Some)
			.map_err(|err| ChainError::Decode { what: "content", err })
	}

	/// An edge as registered on chain (`Pod::Edges`), if it is.
	pub async fn edge(&self, key: &PublicKey) -> Result<Option<ChainEdge>, ChainError> {
		let Some(raw) = self.storage("Pod", "Edges", (*key,)).await? else { return Ok(None) };
		ChainEdge::decode(&mut &raw[..])
			.map(Some)
			.map_err(|err| ChainError::Decode { what: "edge", err })
	}

	/// The number of the latest finalized block.
	pub async fn finalized_number(&self) -> Result<u64, ChainError> {
		Ok(self.api.at_current_block().await.map_err(rpc)?.block_number())
	}

	/// The number of the block with this hash.
	pub async fn block_number(&self, hash: [u8; 32]) -> Result<u64, ChainError> {
		let at = self.api.at_block(subxt::config::substrate::H256(hash)).await.map_err(rpc)?;
		Ok(at.block_number())
	}

	/// Submits `att` as `Pod::submit_attestation` (unsigned, authorised by its
	/// two signatures) and waits until it is in a finalized block, whose hash
	/// is returned. `on_block` is told the hash of the first block that
	/// includes it, so a caller can persist that before finality.
	pub async fn submit_attestation(
		&self,
		att: &Attestation,
		on_block: impl FnMut([u8; 32]),
	) -> Result<[u8; 32], ChainError> {
		self.submit_unsigned("submit_attestation", att.encode(), on_block).await
	}

	/// Submits up to `MAX_BATCH` attestations in one `Pod::submit_attestations`
	/// and waits for finality.
	pub async fn submit_attestations(
		&self,
		batch: &[Attestation],
		on_block: impl FnMut([u8; 32]),
	) -> Result<[u8; 32], ChainError> {
		self.submit_unsigned("submit_attestations", batch.encode(), on_block).await
	}

	/// Submits `Pod::<call_name>` with SCALE `args`, signed by `signer`
	/// (default transaction parameters: immortal, no tip), and waits until it
	/// is in a finalized block, whose hash is returned.
	pub async fn submit_signed<S: subxt::tx::Signer<SubstrateConfig>>(
		&self,
		call_name: &str,
		args: Vec<u8>,
		signer: &S,
	) -> Result<[u8; 32], ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let payload = call_payload(&at, call_name, &args)?;
		sign_and_watch(&at, &payload, signer).await
	}

	/// Submits `<pallet>::<call_name>` with SCALE `args` (a pallet other
	/// than Pod, e.g. `Balances`), signed by `signer`, and waits for finality.
	pub async fn submit_signed_in<S: subxt::tx::Signer<SubstrateConfig>>(
		&self,
		pallet: &str,
		call_name: &str,
		args: Vec<u8>,
		signer: &S,
	) -> Result<[u8; 32], ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let payload = payload_in(&at, pallet, call_name, &args)?;
		sign_and_watch(&at, &payload, signer).await
	}

	/// Submits `Sudo::sudo(Pod::<call_name>(args))` signed by the sudo key
	/// and waits for finality. Sudo's own extrinsic succeeds even when the
	/// wrapped call fails (`Sudid` carries its result): callers check the
	/// call's effect.
	pub async fn submit_sudo<S: subxt::tx::Signer<SubstrateConfig>>(
		&self,
		call_name: &str,
		args: Vec<u8>,
		signer: &S,
	) -> Result<[u8; 32], ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let md = at.metadata_ref();
		let sudo = md.pallet_by_name("Sudo").ok_or_else(|| ChainError::Metadata("Sudo".into()))?;
		let sudo_call = sudo
			.call_variant_by_name("sudo")
			.ok_or_else(|| ChainError::Metadata("Sudo::sudo".into()))?;
		let mut data = vec![sudo.call_index(), sudo_call.index];
		data.extend_from_slice(&pod_call_bytes(&at, call_name, &args)?);
		let payload = at
			.tx()
			.from_call_data_bytes(&data)
			.map_err(|e| ChainError::Metadata(format!("a matching sudo({call_name}): {e}")))?;
		sign_and_watch(&at, &payload, signer).await
	}

	async fn submit_unsigned(
		&self,
		call_name: &str,
		args: Vec<u8>,
		on_block: impl FnMut([u8; 32]),
	) -> Result<[u8; 32], ChainError> {
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let payload = call_payload(&at, call_name, &args)?;
		let signed = at.tx().create_unsigned(&payload).map_err(rpc)?;
		let result = match signed.submit_and_watch().await {
			Ok(progress) => watch(progress, on_block).await,
			Err(e) => Err(refusal(e)),
		};
		match result {
			Err(e @ (ChainError::Invalid(_) | ChainError::Failed { .. } | ChainError::Rpc(_))) => {
				Err(self.classify(call_name, &args, e).await)
			}
			other => other,
		}
	}

	/// Why the chain would refuse `Pod::<call_name>(args)` now, asked of the
	/// runtime itself (the pool's own words leave out its custom codes, a
	/// transaction the pool banned says only that, and one that failed in a
	/// block may have been payable when it was sent): `e` as
	/// [`ChainError::Unpayable`] when the runtime says nobody would pay for
	/// it, unchanged otherwise.
	async fn classify(&self, call_name: &str, args: &[u8], e: ChainError) -> ChainError {
		let Ok(at) = self.api.at_current_block().await else { return e };
		let Ok(payload) = call_payload(&at, call_name, args) else { return e };
		let Ok(tx) = at.tx().create_unsigned(&payload) else { return e };
		let Ok(ValidationResult::Invalid(TransactionInvalid::Custom(code))) = tx.validate().await
		else {
			return e;
		};
		let md = at.metadata_ref();
		match md.pallet_by_name("Pod").and_then(|p| p.error_variant_by_index(code)) {
			Some(v) if v.name == "ChargeBelowMinimum" => ChainError::Unpayable(e.to_string()),
			_ => e,
		}
	}

	/// The SCALE value of storage entry `pallet::entry` under `keys`, at the
	/// finalized head, if any (the keys are encoded as the metadata says).
	pub async fn storage<K>(
		&self,
		pallet: &str,
		entry: &str,
		keys: K,
	) -> Result<Option<Vec<u8>>, ChainError>
	where
		K: subxt::ext::frame_decode::storage::IntoEncodableValues
			+ subxt::ext::frame_decode::storage::IntoDecodableValues,
	{
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let addr = subxt::storage::dynamic::<K, subxt::ext::scale_value::Value>(pallet, entry);
		let v = at.storage().try_fetch(addr, keys).await.map_err(rpc)?;
		Ok(v.map(|v| v.bytes().to_vec()))
	}

	/// A map entry decoded, if present.
	async fn decoded_entry<K, T: Decode>(
		&self,
		pallet: &str,
		entry: &str,
		keys: K,
		what: &'static str,
	) -> Result<Option<T>, ChainError>
	where
		K: subxt::ext::frame_decode::storage::IntoEncodableValues
			+ subxt::ext::frame_decode::storage::IntoDecodableValues,
	{
		let Some(raw) = self.storage(pallet, entry, keys).await? else { return Ok(None) };
		T::decode(&mut &raw[..]).map(Some).map_err(|err| ChainError::Decode { what, err })
	}

	/// Every entry of the one-key map `pallet::entry` at the finalized head, as
	/// (whole storage key, SCALE value): for maps whose size the chain
	/// bounds (edges, reporters, contents, redemptions).
	async fn entries(
		&self,
		pallet: &str,
		entry: &str,
	) -> Result<Vec<(Vec<u8>, Vec<u8>)>, ChainError> {
		use subxt::ext::scale_value::Value;
		let at = self.api.at_current_block().await.map_err(rpc)?;
		let addr = subxt::storage::dynamic::<(Value,), Value>(pallet, entry);
		let mut it = at.storage().iter(addr, ()).await.map_err(rpc)?;
		let mut out = Vec::new();
		while let Some(kv) = it.next().await {
			let kv = kv.map_err(rpc)?;
			out.push((kv.key_bytes().to_vec(), kv.value().bytes().to_vec()));
		}
		Ok(out)
	}
}

/// The client at the finalized head.
type AtBlock = subxt::client::ClientAtBlock<
	SubstrateConfig,
	subxt::client::OnlineClientAtBlockImpl<SubstrateConfig>,
>;

/// The bytes of `Pod::<call_name>(args)`, checked against the runtime's
/// metadata before anything is sent.
fn call_payload(
	at: &AtBlock,
	call_name: &str,
	args: &[u8],
) -> Result<subxt::tx::DynamicPayload<subxt::ext::scale_value::Composite<()>>, ChainError> {
	payload_in(at, "Pod", call_name, args)
}

/// `<pallet>::<call_name>(args)`, checked against the runtime's metadata.
fn payload_in(
	at: &AtBlock,
	pallet: &str,
	call_name: &str,
	args: &[u8],
) -> Result<subxt::tx::DynamicPayload<subxt::ext::scale_value::Composite<()>>, ChainError> {
	let data = call_bytes(at, pallet, call_name, args)?;
	// Decoding our bytes against the metadata checks they are the call the
	// runtime expects.
	at.tx()
		.from_call_data_bytes(&data)
		.map_err(|e| ChainError::Metadata(format!("a matching {call_name}: {e}")))
}

/// Signs `payload` (default parameters: immortal, no tip), submits it and
/// waits until it is in a finalized block, whose hash is returned.
async fn sign_and_watch<S: subxt::tx::Signer<SubstrateConfig>>(
	at: &AtBlock,
	payload: &subxt::tx::DynamicPayload<subxt::ext::scale_value::Composite<()>>,
	signer: &S,
) -> Result<[u8; 32], ChainError> {
	use subxt::tx::DefaultParams;
	let mut tx = at.tx();
	let signed =
		tx.create_signed(payload, signer, DefaultParams::default_params()).await.map_err(rpc)?;
	let progress = signed.submit_and_watch().await.map_err(refusal)?;
	watch(progress, |_| {}).await
}

/// `Pod::<call_name>` with SCALE `args`, as a runtime call's bytes.
fn pod_call_bytes(at: &AtBlock, call_name: &str, args: &[u8]) -> Result<Vec<u8>, ChainError> {
	call_bytes(at, "Pod", call_name, args)
}

/// `<pallet>::<call_name>` with SCALE `args`, as a runtime call's bytes.
fn call_bytes(
	at: &AtBlock,
	pallet: &str,
	call_name: &str,
	args: &[u8],
) -> Result<Vec<u8>, ChainError> {
	let md = at.metadata_ref();
	let pallet_md = md.pallet_by_name(pallet).ok_or_else(|| ChainError::Metadata(pallet.into()))?;
	let pallet = pallet_md;
	let call = pallet
		.call_variant_by_name(call_name)
		.ok_or_else(|| ChainError::Metadata(format!("{}::{call_name}", pallet.name())))?;
	let mut data = vec![pallet.call_index(), call.index];
	data.extend_from_slice(args);
	Ok(data)
}

/// The pool's refusal arrives as an error on submission.
fn refusal(e: impl std::fmt::Display) -> ChainError {
	let s = e.to_string();
	if s.contains("Invalid Transaction") || s.contains("invalid") {
		ChainError::Invalid(s)
	} else {
		ChainError::Rpc(s)
	}
}

/// Follows a submitted transaction until it is in a finalized block (whose
/// hash is returned) or leaves the pool; `on_block` is told the first block
/// that includes it.
async fn watch(
	mut progress: subxt::tx::TransactionProgress<
		SubstrateConfig,
		subxt::client::OnlineClientAtBlockImpl<SubstrateConfig>,
	>,
	mut on_block: impl FnMut([u8; 32]),
) -> Result<[u8; 32], ChainError> {
	let mut included = false;
	while let Some(status) = progress.next().await {
		match status.map_err(rpc)? {
			TransactionStatus::InBestBlock(b) if !included => {
				included = true;
				on_block(b.block_hash().0);
			}
			TransactionStatus::InFinalizedBlock(b) => {
				let block = b.block_hash().0;
				b.wait_for_success().await.map_err(|e| ChainError::Failed {
					block: hex::encode(block),
					reason: e.to_string(),
				})?;
				return Ok(block);
			}
			TransactionStatus::Invalid { message } => return Err(ChainError::Invalid(message)),
			TransactionStatus::Dropped { message } => return Err(ChainError::Dropped(message)),
			TransactionStatus::Error { message } => return Err(ChainError::Rpc(message)),
			_ => {}
		}
	}
	Err(ChainError::Dropped("the node closed the status stream".into()))
}
