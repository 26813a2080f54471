//! The signed calls of customers and edge operators, typed, and the reads
//! their tools show. Each call waits until its block is finalized and
//! returns that block's hash; a call the runtime refused is
//! [`ChainError::Failed`] naming the pallet's error
//! ([`ChainError::failed_with`]).

use crate::{Account, Chain, ChainError};
use codec::{Decode, Encode};
use pod_primitives::{ContentId, PublicKey, Signature};

/// `[u8; 32]` block hash.
pub type BlockHash = [u8; 32];

/// A withdrawal waiting for its delay (`Pod::PendingWithdrawals`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Decode)]
pub struct PendingWithdrawal {
	/// Amount requested.
	pub amount: u128,
	/// The block from which `claim_withdrawal` pays it.
	pub unlock_at: u32,
}

/// A redemption request (`Pod::Redemptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Decode)]
pub struct Redemption {
	/// Who redeemed.
	pub who: [u8; 32],
	/// Credits redeemed.
	pub amount: u128,
	/// The block it was asked in.
	pub requested_at: u32,
}

/// `frame_system::AccountInfo` with `pallet_balances::AccountData`.
#[derive(Decode)]
struct AccountInfo {
	_nonce: u32,
	_consumers: u32,
	_providers: u32,
	_sufficients: u32,
	data: AccountData,
}

#[derive(Decode)]
struct AccountData {
	free: u128,
	_reserved: u128,
	_frozen: u128,
	_flags: u128,
}

/// An edge's registration, as `register_edge` takes it.
#[derive(Debug, Clone)]
pub struct EdgeRegistration {
	/// The edge's public key.
	pub key: PublicKey,
	/// Its region code (what viewers ask for).
	pub region: String,
	/// Declared capacity, bytes per second.
	pub capacity: u64,
	/// The edge key's proof that it registers itself for the caller.
	pub proof: Signature,
}

impl Chain {
	/// `Pod::register_edge`: puts the bond on hold from `owner`.
	pub async fn register_edge(
		&self,
		owner: &Account,
		edge: &EdgeRegistration,
	) -> Result<BlockHash, ChainError> {
		let args = (edge.key, edge.region.as_bytes().to_vec(), edge.capacity, edge.proof).encode();
		self.submit_signed("register_edge", args, owner.signer()).await
	}

	/// `Pod::register_content`: `owner` pays for its deliveries.
	pub async fn register_content(
		&self,
		owner: &Account,
		id: ContentId,
		size: u64,
		price_per_gib: u128,
		origin: &str,
	) -> Result<BlockHash, ChainError> {
		let args = (id, size, price_per_gib, origin.as_bytes().to_vec()).encode();
		self.submit_signed("register_content", args, owner.signer()).await
	}

	/// `Pod::set_content_policy`: a content's budget per window, and whether
	/// viewers may get tickets without a grant (needs a budget).
	pub async fn set_content_policy(
		&self,
		owner: &Account,
		id: ContentId,
		budget: Option<u128>,
		open: bool,
	) -> Result<BlockHash, ChainError> {
		let args = (id, budget, open).encode();
		self.submit_signed("set_content_policy", args, owner.signer()).await
	}

	/// `Pod::deposit` into `who`'s escrow.
	pub async fn deposit(&self, who: &Account, amount: u128) -> Result<BlockHash, ChainError> {
		self.submit_signed("deposit", amount.encode(), who.signer()).await
	}

	/// `Pod::withdraw`: asks for `amount` of the escrow back (after the delay).
	pub async fn withdraw(&self, who: &Account, amount: u128) -> Result<BlockHash, ChainError> {
		self.submit_signed("withdraw", amount.encode(), who.signer()).await
	}

	/// `Pod::claim_withdrawal`: pays a withdrawal whose delay passed.
	pub async fn claim_withdrawal(&self, who: &Account) -> Result<BlockHash, ChainError> {
		self.submit_signed("claim_withdrawal", Vec::new(), who.signer()).await
	}

	/// `Pod::set_spend_limit`: most escrow `who`'s deliveries may take per window.
	pub async fn set_spend_limit(
		&self,
		who: &Account,
		limit: Option<u128>,
	) -> Result<BlockHash, ChainError> {
		self.submit_signed("set_spend_limit", limit.encode(), who.signer()).await
	}

	/// `Pod::set_grant_key`: the key `who`'s viewer grants are signed with.
	pub async fn set_grant_key(
		&self,
		who: &Account,
		key: Option<PublicKey>,
	) -> Result<BlockHash, ChainError> {
		self.submit_signed("set_grant_key", key.encode(), who.signer()).await
	}

	/// `Pod::redeem`: turns `amount` credits into a redemption request.
	pub async fn redeem(&self, who: &Account, amount: u128) -> Result<BlockHash, ChainError> {
		self.submit_signed("redeem", amount.encode(), who.signer()).await
	}

	/// `Balances::transfer_keep_alive`: `amount` to `to` (the sender keeps
	/// the existential deposit).
	pub async fn transfer(
		&self,
		from: &Account,
		to: &[u8; 32],
		amount: u128,
	) -> Result<BlockHash, ChainError> {
		// MultiAddress::Id(to), Compact(amount).
		let args = (0u8, *to, codec::Compact(amount)).encode();
		self.submit_signed_in("Balances", "transfer_keep_alive", args, from.signer()).await
	}

	/// An account's free balance.
	pub async fn free_balance(&self, who: &[u8; 32]) -> Result<u128, ChainError> {
		let info: Option<AccountInfo> =
			self.decoded_entry("System", "Account", (*who,), "account").await?;
		Ok(info.map_or(0, |i| i.data.free))
	}

	/// A customer's spending limit per window, if set.
	pub async fn spend_limit(&self, who: &[u8; 32]) -> Result<Option<u128>, ChainError> {
		self.decoded_entry("Pod", "SpendLimits", (*who,), "spend limit").await
	}

	/// A customer's withdrawal waiting for its delay, if any.
	pub async fn pending_withdrawal(
		&self,
		who: &[u8; 32],
	) -> Result<Option<PendingWithdrawal>, ChainError> {
		self.decoded_entry("Pod", "PendingWithdrawals", (*who,), "pending withdrawal").await
	}

	/// The reporters the chain accepts, with their cap per window.
	pub async fn reporters(&self) -> Result<Vec<(PublicKey, u128)>, ChainError> {
		let mut out = Vec::new();
		for (key, value) in self.entries("Pod", "Reporters").await? {
			let cap = u128::decode(&mut &value[..])
				.map_err(|err| ChainError::Decode { what: "a reporter", err })?;
			out.push((map_key_tail(&key)?, cap));
		}
		Ok(out)
	}

	/// Every edge registered on chain, by key.
	pub async fn edges(&self) -> Result<Vec<(PublicKey, crate::ChainEdge)>, ChainError> {
		let mut out = Vec::new();
		for (key, value) in self.entries("Pod", "Edges").await? {
			let edge = crate::ChainEdge::decode(&mut &value[..])
				.map_err(|err| ChainError::Decode { what: "an edge", err })?;
			out.push((map_key_tail(&key)?, edge));
		}
		Ok(out)
	}

	/// Every content `owner` registered, by id.
	pub async fn contents_of(
		&self,
		owner: &[u8; 32],
	) -> Result<Vec<(ContentId, crate::ChainContent)>, ChainError> {
		let mut out = Vec::new();
		for (key, value) in self.entries("Pod", "Contents").await? {
			let content = crate::ChainContent::decode(&mut &value[..])
				.map_err(|err| ChainError::Decode { what: "a content", err })?;
			if &content.owner == owner {
				out.push((map_key_tail(&key)?, content));
			}
		}
		Ok(out)
	}

	/// `who`'s redemption requests not yet completed, by id.
	pub async fn redemptions_of(
		&self,
		who: &[u8; 32],
	) -> Result<Vec<(u64, Redemption)>, ChainError> {
		let mut out = Vec::new();
		for (key, value) in self.entries("Pod", "Redemptions").await? {
			let r = Redemption::decode(&mut &value[..])
				.map_err(|err| ChainError::Decode { what: "a redemption", err })?;
			let id_bytes: [u8; 8] = key[key.len().saturating_sub(8)..]
				.try_into()
				.map_err(|_| ChainError::Metadata("a Redemptions key of 8 bytes".into()))?;
			if &r.who == who {
				out.push((u64::from_le_bytes(id_bytes), r));
			}
		}
		Ok(out)
	}
}

/// The last 32 bytes of a `Blake2_128Concat` map key: the key itself.
fn map_key_tail(key: &[u8]) -> Result<[u8; 32], ChainError> {
	key.get(key.len().saturating_sub(32)..)
		.and_then(|k| k.try_into().ok())
		.ok_or_else(|| ChainError::Metadata(format!("a map key of 32 bytes (got {})", key.len())))
}
