//! Refusal codes: the `error` field of every JSON refusal the edge and the
//! reporter send (`{"error": code, "message": …}`). Clients match on these,
//! never on messages.

use serde::{Deserialize, Serialize};

macro_rules! codes {
	($($(#[$doc:meta])* $variant:ident => $s:literal,)*) => {
		/// A machine-readable refusal code.
		#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
		pub enum Code {
			$($(#[$doc])* #[serde(rename = $s)] $variant,)*
		}

		impl Code {
			/// Every code, for documentation and tests.
			pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

			/// The code as sent on the wire.
			pub const fn as_str(self) -> &'static str {
				match self {
					$(Code::$variant => $s,)*
				}
			}

			/// The code for its wire name, if it is one of ours.
			pub fn parse(s: &str) -> Option<Code> {
				match s {
					$($s => Some(Code::$variant),)*
					_ => None,
				}
			}
		}
	};
}

codes! {
	// Requests in general.
	/// No route for this method and path.
	NoRoute => "no_route",
	/// The method is not served on this path.
	MethodNotAllowed => "method_not_allowed",
	/// The body is unreadable or over the size limit.
	BadBody => "bad_body",
	/// The body is not the JSON the route takes.
	BadJson => "bad_json",
	/// A hex field is not hex or has the wrong length.
	BadHex => "bad_hex",
	/// A SCALE field or body does not decode.
	BadScale => "bad_scale",
	/// Some other malformed request.
	BadRequest => "bad_request",
	/// The fault is the server's.
	Internal => "internal",
	/// An admin request named a `Host` that is not the admin plane's own
	/// (a page in the operator's browser rebinding its name to loopback).
	ForeignHost => "foreign_host",
	/// A state-changing admin request without the edge's admin token.
	AdminTokenRequired => "admin_token_required",
	// Tickets and receipts (edge data plane).
	/// A chunk request without `x-pod-ticket`.
	TicketRequired => "ticket_required",
	/// `x-pod-ticket` is not hex SCALE of a signed ticket.
	BadTicketHeader => "bad_ticket_header",
	/// The ticket's signature does not verify.
	TicketBadSignature => "ticket_bad_signature",
	/// The ticket's reporter is not one the edge honours.
	TicketUnknownReporter => "ticket_unknown_reporter",
	/// The ticket names another edge.
	TicketWrongEdge => "ticket_wrong_edge",
	/// The ticket names another content.
	TicketWrongContent => "ticket_wrong_content",
	/// The ticket has expired.
	TicketExpired => "ticket_expired",
	/// The ticket's id does not encode its expiry.
	TicketMalformed => "ticket_malformed",
	/// The ticket allows zero bytes.
	TicketZeroAllowance => "ticket_zero_allowance",
	/// The ticket's byte allowance is used up.
	TicketExhausted => "ticket_exhausted",
	/// Too much is unacknowledged (402), or a receipt-only request has none (400).
	ReceiptRequired => "receipt_required",
	/// `x-pod-receipt` is not hex SCALE of a signed receipt.
	BadReceiptHeader => "bad_receipt_header",
	/// The receipt is not signed by the ticket's client.
	ReceiptBadSignature => "receipt_bad_signature",
	/// The receipt is for another ticket.
	ReceiptWrongTicket => "receipt_wrong_ticket",
	/// The receipt acknowledges more than was served.
	ReceiptAheadOfServed => "receipt_ahead_of_served",
	// Contents and chunks.
	/// A content id is not 32 bytes of hex.
	BadContentId => "bad_content_id",
	/// A chunk index is not a number.
	BadChunkIndex => "bad_chunk_index",
	/// The content is not known here.
	UnknownContent => "unknown_content",
	/// The chunk index is past the end of the content.
	NoSuchChunk => "no_such_chunk",
	/// The `Range` cannot be satisfied.
	RangeUnsatisfiable => "range_unsatisfiable",
	/// `x-pod-proof` names an encoding this edge does not serve.
	ProofUnknown => "proof_unknown",
	/// The `Range` asks for more than one response may carry.
	RangeTooLarge => "range_too_large",
	/// No such file (the stand-in origin).
	NotFound => "not_found",
	/// A manifest does not decode, is inconsistent or has another id.
	BadManifest => "bad_manifest",
	/// Filling the chunk failed upstream.
	FillFailed => "fill_failed",
	/// Filling the chunk failed here (disk, configuration).
	FillUnavailable => "fill_unavailable",
	/// The edge's monthly byte cap is reached.
	MonthlyCap => "monthly_cap",
	/// The receipt ledger failed.
	Ledger => "ledger",
	/// A hold order does not decode.
	BadOrder => "bad_order",
	/// A hold order is not from a reporter, does not verify or has expired.
	OrderRefused => "order_refused",
	/// Too many requests of this kind are being handled; retry shortly
	/// (503, with `retry-after`).
	Busy => "busy",
	// Reporter.
	/// Registering a content needs `x-pod-origin`.
	OriginRequired => "origin_required",
	/// Registering a content needs its id in `x-pod-content`.
	ContentIdRequired => "content_id_required",
	/// The content is not registered (or retired, or another size) on chain.
	ContentNotOnChain => "content_not_on_chain",
	/// The chain node cannot be reached.
	ChainUnavailable => "chain_unavailable",
	/// No live edge can serve the content.
	NoEdges => "no_edges",
	/// A heartbeat's signature does not verify.
	BadHeartbeatSignature => "bad_heartbeat_signature",
	/// A heartbeat from an edge that is not registered and bonded on chain
	/// (or is leaving).
	EdgeNotOnChain => "edge_not_on_chain",
	/// A heartbeat's clock is too far from the reporter's.
	StaleHeartbeat => "stale_heartbeat",
	/// The window cannot be confirmed yet (425, with `retry-after`).
	TooEarly => "too_early",
	/// A claim is not signed by the edge it names.
	BadClaimSignature => "bad_claim_signature",
	/// A confirmation request carries too many receipts.
	TooManyReceipts => "too_many_receipts",
	/// A claim names a part of its window at or above `MAX_PARTS`.
	PartOutOfRange => "part_out_of_range",
	/// Nothing in a claim is supported by valid receipts.
	NothingConfirmed => "nothing_confirmed",
	/// No audit could be run.
	NoAudit => "no_audit",
	/// The content is not open: scheduling needs the publisher's grant.
	GrantRequired => "grant_required",
	/// The grant is not valid for this request (signature, viewer, content,
	/// reporter, expiry); the message says which.
	GrantRefused => "grant_refused",
	/// A heartbeat's URL is not one the reporter connects to (not
	/// `http(s)://host`, too long, or a private address).
	BadEdgeUrl => "bad_edge_url",
	/// The grant's byte budget is used up.
	GrantExhausted => "grant_exhausted",
	/// The customer's escrow (less requested withdrawals and what earlier
	/// tickets reserved) pays for no ticket (402).
	EscrowExhausted => "escrow_exhausted",
	/// The customer's spending limit for the window is reserved by earlier
	/// tickets (402; the next window has its own).
	SpendLimitReached => "spend_limit_reached",
	/// The content's budget for the window is reserved by earlier tickets
	/// (402; the next window has its own).
	BudgetReached => "budget_reached",
	/// The reporter's cap for the window, or the customer's share of it, is
	/// reserved by earlier tickets (402; the next window has its own).
	ReporterCapReached => "reporter_cap_reached",
	/// Too many schedules of open contents from one viewer key or client
	/// network (429, with `retry-after`).
	RateLimited => "rate_limited",
}

impl std::fmt::Display for Code {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(self.as_str())
	}
}

#[cfg(test)]
mod tests {
	use super::Code;

	#[test]
	fn wire_names_are_unique_and_round_trip() {
		let mut seen = std::collections::HashSet::new();
		for c in Code::ALL {
			assert!(seen.insert(c.as_str()), "{c:?} repeats a name");
			assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{}\"", c.as_str()));
			assert_eq!(serde_json::from_str::<Code>(&format!("\"{c}\"")).unwrap(), *c);
			assert_eq!(Code::parse(c.as_str()), Some(*c));
		}
		assert_eq!(Code::parse("no_such_code"), None);
	}
}
