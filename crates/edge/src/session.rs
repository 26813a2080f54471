//! Serving sessions, one per ticket: bytes served, the best receipt, and
//! reservations that give bytes back unless they are sent.

use crate::ledger::{Ledger, LedgerError};
use crate::protocol::TicketSession;
use pod_primitives::{SignedTicket, TicketId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// One ticket's session. A plain mutex: it is never held across an await.
pub type Session = Arc<Mutex<TicketSession>>;

/// Locks a session.
pub fn lock(s: &Session) -> MutexGuard<'_, TicketSession> {
	s.lock().expect("session lock")
}

/// The live sessions by ticket id, each with the ticket as verified when
/// the session began.
#[derive(Debug)]
pub struct Sessions {
	live: Mutex<HashMap<TicketId, (SignedTicket, Session)>>,
	credit: u64,
}

impl Sessions {
	/// No sessions; each new one allows `credit` unacknowledged bytes.
	pub fn new(credit: u64) -> Self {
		Sessions { live: Mutex::new(HashMap::new()), credit }
	}

	/// Live sessions.
	pub fn len(&self) -> usize {
		self.live.lock().expect("sessions lock").len()
	}

	/// Whether there are none.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}

	/// Drops the sessions of tickets that expired more than `grace_ms` ago,
	/// and returns how many. Their final receipts have long been taken (the
	/// window's claim waits far less than the grace), so nothing is lost;
	/// without this the map grows with every ticket ever served, and its
	/// size is advertised as load.
	pub fn evict_expired(&self, now_ms: u64, grace_ms: u64) -> usize {
		let mut live = self.live.lock().expect("sessions lock");
		let before = live.len();
		live.retain(|_, (t, _)| t.ticket.expires_at.saturating_add(grace_ms) > now_ms);
		before - live.len()
	}

	/// The session of exactly this (already verified) ticket, if one is live.
	pub fn known(&self, t: &SignedTicket) -> Option<Session> {
		let live = self.live.lock().expect("sessions lock");
		let (verified, s) = live.get(&t.ticket.ticket_id)?;
		(verified == t).then(|| s.clone())
	}

	/// The session of a verified ticket: live, restored from the ledger after
	/// a restart, or new (the ticket is then recorded).
	pub fn get_or_start(&self, t: &SignedTicket, ledger: &Ledger) -> Result<Session, LedgerError> {
		if let Some(s) = self.known(t) {
			return Ok(s);
		}
		let id = t.ticket.ticket_id;
		let mut session = TicketSession::new(t.clone(), self.credit);
		if ledger.ticket(&id)?.is_some() {
			// Known from before a restart: resume from the stored receipt.
			if let Some(best) = ledger.best_receipt(&id)? {
				session.served = best.receipt.bytes_total;
				session.best = Some(best);
			}
		} else {
			ledger.record_ticket(t)?;
		}
		let mut live = self.live.lock().expect("sessions lock");
		let entry = live.entry(id).or_insert_with(|| (t.clone(), Arc::new(Mutex::new(session))));
		if entry.0 != *t {
			// Same id, different ticket: only the verified one has a session.
			return Err(LedgerError::UnknownTicket(hex::encode(id)));
		}
		Ok(entry.1.clone())
	}
}

/// Bytes counted as served before they are sent, so parallel requests on
/// one ticket cannot overdraw it. Dropped without [`Reservation::commit`]
/// (a failed fill, a refused bandwidth grant, a cancelled request), the
/// bytes are given back.
#[derive(Debug)]
pub struct Reservation {
	session: Session,
	bytes: u64,
}

impl Reservation {
	/// Takes `bytes` from `session`'s allowance; the caller has checked it.
	pub fn take(session: &Session, guard: &mut TicketSession, bytes: u64) -> Self {
		guard.sent(bytes);
		Reservation { session: session.clone(), bytes }
	}

	/// The bytes are on their way: keep them counted.
	pub fn commit(mut self) {
		self.bytes = 0;
	}
}

impl Drop for Reservation {
	fn drop(&mut self) {
		if self.bytes > 0 {
			lock(&self.session).served -= self.bytes;
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pod_primitives::{keys, Ticket};

	/// A signed ticket with `salt` in its id and this expiry.
	fn ticket(salt: u8, expires_at: u64) -> SignedTicket {
		let ticket_id = Ticket::id(expires_at, [salt; 8]);
		let t = Ticket {
			ticket_id,
			reporter: [0; 32],
			edge: [0; 32],
			client: [0; 32],
			content: [0; 32],
			max_bytes: 100,
			window: 0,
			expires_at,
			grant: None,
		};
		keys::sign_ticket(&keys::keypair_from_seed(&[1; 32]), &[0; 32], t)
	}

	fn session() -> Session {
		Arc::new(Mutex::new(TicketSession::new(ticket(1, 0), 50)))
	}

	#[test]
	fn sessions_are_evicted_only_after_their_ticket_expired_plus_grace() {
		let dir = tempfile::tempdir().unwrap();
		let ledger = Ledger::open(dir.path(), false).unwrap();
		let sessions = Sessions::new(10);
		for (salt, expires_at) in [(1u8, 1_000u64), (2, 5_000), (3, 9_000)] {
			sessions.get_or_start(&ticket(salt, expires_at), &ledger).unwrap();
		}
		assert_eq!(sessions.len(), 3);
		// At 5,500 with 1,000 of grace: only the first (1,000 + 1,000 ≤ 5,500) goes.
		assert_eq!(sessions.evict_expired(5_500, 1_000), 1);
		assert_eq!(sessions.len(), 2);
		assert_eq!(sessions.evict_expired(20_000, 1_000), 2);
		assert!(sessions.is_empty());
	}

	#[test]
	fn a_dropped_reservation_gives_its_bytes_back_and_a_committed_one_keeps_them() {
		let s = session();
		let r = Reservation::take(&s, &mut lock(&s), 30);
		assert_eq!(lock(&s).served, 30);
		drop(r);
		assert_eq!(lock(&s).served, 0);
		Reservation::take(&s, &mut lock(&s), 20).commit();
		assert_eq!(lock(&s).served, 20);
	}
}
