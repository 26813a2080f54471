//! The protocol's messages (`docs/design.md`).

use bounded_collections::{BoundedVec, ConstU32};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// An sr25519 public key (edge, reporter or client session key).
pub type PublicKey = [u8; 32];
/// An sr25519 signature.
pub type Signature = [u8; 64];
/// BLAKE3 hash of a content's encoded [`crate::Manifest`].
pub type ContentId = [u8; 32];
/// A 32-byte hash (genesis hash, Merkle root, chunk hash).
pub type Hash = [u8; 32];
/// Ticket id: 8-byte big-endian expiry followed by 8 random bytes.
pub type TicketId = [u8; 16];
/// Settlement window index: window `w` covers blocks `[w·L, (w+1)·L)`.
pub type WindowIndex = u32;

/// Id of a viewer grant: the BLAKE3 hash of its SCALE encoding.
pub type GrantId = [u8; 32];

/// Most contents one viewer grant may name.
pub const MAX_GRANT_CONTENTS: u32 = 16;
/// Bound for [`ViewerGrant::contents`].
pub type MaxGrantContents = ConstU32<MAX_GRANT_CONTENTS>;

/// Most `(content, bytes)` entries one claim or attestation may carry.
pub const MAX_ENTRIES: u32 = 64;
/// Most attestations one `submit_attestations` batch may carry.
pub const MAX_BATCH: u32 = 128;
/// Parts one `(edge, window, reporter)` may be settled in. A window whose
/// receipts or contents do not fit one claim (more than [`MAX_ENTRIES`]
/// contents, or more receipts than one confirmation request carries) is
/// claimed and settled in parts `0..MAX_PARTS`, each ticket in exactly one.
pub const MAX_PARTS: u16 = 256;
/// Which part of an `(edge, window, reporter)` a claim or attestation covers.
pub type PartIndex = u16;

/// Bound for [`AttestationPayload::entries`].
pub type MaxEntries = ConstU32<MAX_ENTRIES>;
/// Bound for a batch of attestations.
pub type MaxBatch = ConstU32<MAX_BATCH>;

/// Bytes delivered for one content within one window.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Entry {
	/// The content served.
	pub content: ContentId,
	/// Bytes delivered, as confirmed by receipts.
	pub bytes: u64,
}

/// The "order limit" a reporter issues to let one client fetch one content
/// from one edge. Signed by the reporter under [`crate::DomainTag::Ticket`].
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Ticket {
	/// Unique id: the expiry (8 bytes, big-endian ms), then 8 random bytes.
	pub ticket_id: TicketId,
	/// The issuing reporter.
	pub reporter: PublicKey,
	/// The edge that may serve under it.
	pub edge: PublicKey,
	/// The client's session public key; it signs the receipts.
	pub client: PublicKey,
	/// The content it is for.
	pub content: ContentId,
	/// Most bytes the edge may be paid for under this ticket.
	pub max_bytes: u64,
	/// The settlement window it was issued in.
	pub window: WindowIndex,
	/// Unix time in milliseconds after which the edge must refuse the ticket.
	pub expires_at: u64,
	/// The publisher's viewer grant it was issued under (`None`: an open
	/// content, which needs no grant), so every paid receipt traces back to
	/// the publisher's authorisation.
	pub grant: Option<GrantId>,
}

/// A publisher's authorisation for one viewer: the CDN's signed URL.
///
/// The publisher's web backend mints one when it serves a page, signed
/// under [`crate::DomainTag::Grant`] by the key the customer named on chain
/// (`set_grant_key`). A reporter issues tickets for a content that is not
/// open only under a valid grant, and all tickets under one grant together
/// never allow more than its `budget`. A grant names the reporter that
/// honours it, so its budget is counted in one place.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ViewerGrant {
	/// The customer (account id) whose grant key signs it and whose
	/// contents it covers.
	pub customer: [u8; 32],
	/// The reporter that honours it.
	pub reporter: PublicKey,
	/// The viewer's session key: only it can be scheduled under the grant.
	pub viewer: PublicKey,
	/// The contents it covers (each registered by `customer`).
	pub contents: BoundedVec<ContentId, MaxGrantContents>,
	/// Most bytes all its tickets together may allow.
	pub budget: u64,
	/// Unix time (ms) after which no ticket is issued under it.
	pub expires_at: u64,
	/// Makes two grants with the same terms distinct.
	pub nonce: [u8; 16],
}

impl ViewerGrant {
	/// The grant's id: BLAKE3 of its SCALE encoding.
	pub fn id(&self) -> GrantId {
		*blake3::hash(&self.encode()).as_bytes()
	}
}

/// A viewer's accusation: the edge of ticket `ticket_id` served bytes for
/// chunk `chunk` that fail the chunk's hash. Signed by the ticket's client
/// under [`crate::DomainTag::Accusation`]; a reporter confirms it with an
/// audit of its own before it costs the edge anything.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Accusation {
	/// The ticket the bad bytes were served under.
	pub ticket_id: TicketId,
	/// The chunk whose bytes failed their hash.
	pub chunk: u32,
}

/// An accusation with its viewer's signature.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct SignedAccusation {
	/// The accusation.
	pub accusation: Accusation,
	/// The ticket client's signature under [`crate::DomainTag::Accusation`].
	pub signature: Signature,
}

/// A grant with the signature of the customer's grant key.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SignedGrant {
	/// The grant.
	pub grant: ViewerGrant,
	/// Its signature under [`crate::DomainTag::Grant`].
	pub signature: Signature,
}

impl Ticket {
	/// A ticket id: the expiry (8 bytes, big-endian ms), then `nonce`.
	pub fn id(expires_at: u64, nonce: [u8; 8]) -> TicketId {
		let mut id = [0u8; 16];
		id[..8].copy_from_slice(&expires_at.to_be_bytes());
		id[8..].copy_from_slice(&nonce);
		id
	}

	/// The expiry encoded in the first 8 bytes of a ticket id.
	pub fn expiry_of(id: &TicketId) -> u64 {
		let mut b = [0u8; 8];
		b.copy_from_slice(&id[..8]);
		u64::from_be_bytes(b)
	}
}

/// A client's cumulative acknowledgement of what it received under a ticket.
/// Signed by the client's session key under [`crate::DomainTag::Receipt`].
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Receipt {
	/// The ticket it acknowledges bytes under.
	pub ticket_id: TicketId,
	/// Total bytes received so far; never decreases.
	pub bytes_total: u64,
	/// Chunks the client has verified against the manifest.
	pub chunks_verified: u32,
}

/// What an edge claims for one window, sent with its receipts to the reporter.
/// Signed by the edge under [`crate::DomainTag::Claim`].
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Claim {
	/// The claiming edge.
	pub edge: PublicKey,
	/// The window claimed.
	pub window: WindowIndex,
	/// Which part of the window's tickets of one reporter this claims
	/// (see [`MAX_PARTS`]).
	pub part: PartIndex,
	/// Bytes per content.
	pub entries: BoundedVec<Entry, MaxEntries>,
	/// [`crate::merkle::receipts_root`] over `(ticket_id, bytes_total)` leaves.
	pub receipts_root: Hash,
	/// Receipts behind the claim.
	pub receipt_count: u32,
}

/// The confirmed payload both the edge and a reporter sign under
/// [`crate::DomainTag::Attestation`]: the two-sided confirmation.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct AttestationPayload {
	/// The edge paid.
	pub edge: PublicKey,
	/// The window settled.
	pub window: WindowIndex,
	/// The part of the window's tickets it settles (see [`MAX_PARTS`]).
	pub part: PartIndex,
	/// Confirmed bytes per content; never above what both sides support.
	pub entries: BoundedVec<Entry, MaxEntries>,
	/// Merkle root of the confirmed `(ticket_id, bytes)` leaves.
	pub receipts_root: Hash,
	/// Receipts behind the confirmation.
	pub receipt_count: u32,
}

/// An attestation as submitted on chain.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Attestation {
	/// What both sides signed.
	pub payload: AttestationPayload,
	/// The edge's signature over the payload.
	pub edge_signature: Signature,
	/// The co-signing reporter's public key.
	pub reporter: PublicKey,
	/// The reporter's signature over the same payload.
	pub reporter_signature: Signature,
}

impl AttestationPayload {
	/// Sum of the entries' bytes (saturating).
	pub fn total_bytes(&self) -> u64 {
		self.entries.iter().fold(0u64, |acc, e| acc.saturating_add(e.bytes))
	}
}

/// What settling one `(edge, window)` paid; its presence is the settled flag.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct SettlementRecord {
	/// The co-signing reporter.
	pub reporter: PublicKey,
	/// Bytes confirmed across all entries.
	pub bytes: u64,
	/// Taken from customers' escrow (`fee + credits`).
	pub charged: u128,
	/// Paid to the operator.
	pub fee: u128,
	/// Minted to the edge's owner.
	pub credits: u128,
	/// Worth of the bytes that were not paid: beyond the customers' escrow,
	/// spending limits or content budgets, or the reporter's cap.
	pub unpaid: u128,
	/// Whether the credits have vested, are still pending, or were voided.
	pub state: SettlementState,
}

/// Where a settlement's payment stands.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum SettlementState {
	/// The escrow is taken; credits and fee wait for the vesting delay.
	#[default]
	Vesting,
	/// The credits were minted and the fee paid.
	Vested,
	/// Its reporter was revoked before it vested: the customers got the
	/// charge back and nothing was minted.
	Voided,
}

/// A customer's delivered bytes and charges in one window.
#[derive(
	Clone,
	Copy,
	Debug,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct UsageRecord {
	/// Bytes delivered.
	pub bytes: u64,
	/// Charged to the escrow (less what voided settlements gave back).
	pub charged: u128,
	/// Worth of delivered bytes that were not paid: escrow exhausted, or the
	/// customer's spending limit or a content's budget reached.
	pub unpaid: u128,
}

/// A ticket with the reporter's signature, as carried in the `x-pod-ticket` header.
#[derive(
	Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct SignedTicket {
	/// The ticket.
	pub ticket: Ticket,
	/// The reporter's signature.
	pub signature: Signature,
}

/// A receipt with the client's session-key signature, as carried in the
/// `x-pod-receipt` header and stored in the edge's ledger.
#[derive(
	Clone,
	Copy,
	Debug,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct SignedReceipt {
	/// The receipt.
	pub receipt: Receipt,
	/// The client session key's signature.
	pub signature: Signature,
}

/// A reporter's order for edges to hold (prefetch) a content ahead of demand,
/// gossiped to edges and signed under [`crate::DomainTag::Order`].
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct HoldOrder {
	/// The content to hold.
	pub content: ContentId,
	/// The SCALE-encoded manifest (its BLAKE3 hash is `content`).
	pub manifest: alloc::vec::Vec<u8>,
	/// The customer's origin URL.
	pub origin: alloc::vec::Vec<u8>,
	/// Orders are ignored after this Unix time (ms).
	pub expires_at: u64,
}

/// A hold order with the reporter's signature over its
/// [`HoldOrder::terms`].
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SignedOrder {
	/// The order.
	pub order: HoldOrder,
	/// The reporter that signed it.
	pub reporter: PublicKey,
	/// Its signature.
	pub signature: Signature,
}

/// What a reporter signs in a hold order: everything but the manifest,
/// which `content` (its BLAKE3 hash) commits to. So an edge can check who
/// sent an order, and that it is fresh, before it reads a manifest of up
/// to hundreds of MiB, then check the manifest against `content`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct OrderTerms {
	/// The content to hold: the BLAKE3 hash of its SCALE manifest.
	pub content: ContentId,
	/// The customer's origin URL.
	pub origin: alloc::vec::Vec<u8>,
	/// Orders are ignored after this Unix time (ms).
	pub expires_at: u64,
}

/// An order's signed terms without its manifest: what travels in the
/// `x-pod-order` header of `POST /order`, whose body is the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SignedOrderTerms {
	/// The terms.
	pub terms: OrderTerms,
	/// The reporter that signed them.
	pub reporter: PublicKey,
	/// Its signature over `terms` under [`crate::DomainTag::Order`].
	pub signature: Signature,
}

impl HoldOrder {
	/// What the reporter signs.
	pub fn terms(&self) -> OrderTerms {
		OrderTerms {
			content: self.content,
			origin: self.origin.clone(),
			expires_at: self.expires_at,
		}
	}
}

impl SignedOrder {
	/// The signed terms alone (the `x-pod-order` header).
	pub fn head(&self) -> SignedOrderTerms {
		SignedOrderTerms {
			terms: self.order.terms(),
			reporter: self.reporter,
			signature: self.signature,
		}
	}
}

impl SignedOrderTerms {
	/// The whole order, once its manifest has been read.
	pub fn with_manifest(self, manifest: alloc::vec::Vec<u8>) -> SignedOrder {
		let OrderTerms { content, origin, expires_at } = self.terms;
		SignedOrder {
			order: HoldOrder { content, manifest, origin, expires_at },
			reporter: self.reporter,
			signature: self.signature,
		}
	}
}

/// An edge's credential on the edges' chunk exchange: its edge key's
/// signature, under [`crate::DomainTag::PeerBinding`], over
/// `(edge, peer id bytes)`. Sent with every chunk request; the answering
/// edge checks it against the requesting connection's peer id (which
/// libp2p's noise handshake authenticates) and the key against the chain's
/// registered edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct PeerCredential {
	/// The edge key.
	pub edge: PublicKey,
	/// Its signature over `(edge, peer id bytes)`.
	pub signature: Signature,
}
