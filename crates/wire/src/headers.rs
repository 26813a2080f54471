//! The PoD HTTP headers. Signed values travel as hex SCALE
//! ([`crate::hex::encode_scale`]), so a browser can set them like any header.

/// Request: the reporter-signed `SignedTicket` a chunk request is served under.
pub const TICKET: &str = "x-pod-ticket";
/// Request: the client's latest cumulative `SignedReceipt` for that ticket.
pub const RECEIPT: &str = "x-pod-receipt";
/// Request: a content's origin URL (registering a content, loopback holds).
pub const ORIGIN: &str = "x-pod-origin";
/// Request: the id (hex) of the content whose manifest the body carries
/// (registering a content): checked on chain before the body is read.
pub const CONTENT: &str = "x-pod-content";
/// Request: a reporter's `SignedOrderTerms` for `POST /order`, whose body is
/// the manifest: checked before the body is read.
pub const ORDER: &str = "x-pod-order";
/// Response to a 402: bytes served under the ticket so far.
pub const SERVED: &str = "x-pod-served";
/// Response to a 402: bytes the client has acknowledged so far.
pub const ACKED: &str = "x-pod-acked";
/// Request: with a `Range`, ask for a verified slice in this encoding
/// ([`crate::slice::PROOF_BLAKE3_16K`]): the range's whole groups with the
/// hashes that check them against the chunk's hash. The response says the
/// encoding back, and its `Content-Range` the groups' span (what is charged).
pub const PROOF: &str = "x-pod-proof";
/// Response: which side a failure came from (`upstream`, `downstream`, `internal`).
pub const FAULT: &str = "x-pod-fault";

/// The header value for a ticket or a receipt: hex SCALE.
pub fn value<T: codec::Encode>(v: &T) -> String {
	crate::hex::encode_scale(v)
}
