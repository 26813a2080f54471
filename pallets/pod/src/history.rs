//! History: a window's records (`Settled`, `WindowBytes`, `Usage`,
//! `ContentSpend`, `ReporterSpend`, `CustomerSpend`) are needed while the window can still
//! settle and, for the people reading them, `HistoryWindows` windows
//! longer. Then `on_idle` deletes them, a bounded number of keys per block
//! in the block's spare weight, so the chain's state grows with the traffic
//! of recent windows, not with its whole history. Every such map is keyed by
//! window first, so a window's records are one prefix per map.

use crate::pallet::*;
use crate::types::{PruneState, PRUNED_MAPS};
use crate::weights::WeightInfo;
use frame_support::pallet_prelude::*;
use pod_primitives::WindowIndex;
use sp_io::MultiRemovalResults;

impl<T: Config> Pallet<T> {
	/// The oldest window whose records are kept now: later ones can still
	/// settle, or are within `HistoryWindows` of the last that could.
	pub fn oldest_kept_window() -> WindowIndex {
		let kept = T::MaxWindowAge::get().saturating_add(T::HistoryWindows::get());
		Self::current_window().saturating_sub(kept)
	}

	/// Deletes the records of windows before [`Self::oldest_kept_window`],
	/// oldest first, as far as `limit` allows; returns the weight used.
	pub fn prune_history(limit: Weight) -> Weight {
		let mut used = T::DbWeight::get().reads(1);
		let horizon = Self::oldest_kept_window();
		let start = PruneCursor::<T>::get();
		if start.window >= horizon {
			return used;
		}
		let mut state = start;
		// A pass over one map costs at most what a whole empty window
		// measured (a pass per map); every key it deletes costs the slope.
		let pass = T::WeightInfo::prune_history(0);
		let per_key = T::WeightInfo::prune_history(1).saturating_sub(pass);
		while state.window < horizon {
			let after_pass = used.saturating_add(pass);
			if after_pass.any_gt(limit) {
				break;
			}
			let Some(keys) = keys_within(limit.saturating_sub(after_pass), per_key) else {
				break;
			};
			let (done, finished) = Self::prune_step(&mut state, keys);
			used = used.saturating_add(pass).saturating_add(per_key.saturating_mul(done.into()));
			// `clear_prefix` starts from its prefix on every call (this
			// SDK's version ignores cursors) and, within one block, deletes
			// the same database keys again: a map it did not empty waits
			// for the next block.
			if !finished {
				break;
			}
		}
		if state != start {
			PruneCursor::<T>::put(state);
		}
		used
	}

	/// Deletes up to `keys` keys of the map `state` points at; if that
	/// emptied it, moves `state` to the next map or (after the last) to the
	/// next window. Returns the keys deleted and whether the map is empty.
	fn prune_step(state: &mut PruneState, keys: u32) -> (u32, bool) {
		let done = clear_window::<T>(state.map, state.window, keys);
		let finished = done.maybe_cursor.is_none();
		if finished && usize::from(state.map) + 1 < PRUNED_MAPS.len() {
			state.map += 1;
		} else if finished {
			Self::deposit_event(Event::HistoryPruned { window: state.window });
			*state = PruneState { window: state.window.saturating_add(1), map: 0 };
		}
		(done.loops, finished)
	}
}

/// How many keys fit in `room` at `per_key` each, or `None` when not one
/// does (a dimension `per_key` does not use does not bound it).
fn keys_within(room: Weight, per_key: Weight) -> Option<u32> {
	let by_time = room.ref_time().checked_div(per_key.ref_time()).unwrap_or(u64::MAX);
	let by_proof = room.proof_size().checked_div(per_key.proof_size()).unwrap_or(u64::MAX);
	let keys = by_time.min(by_proof);
	(keys > 0).then(|| keys.min(u32::MAX.into()) as u32)
}

/// Deletes up to `limit` keys of window `w` in map `map` (an index into
/// `PRUNED_MAPS`).
fn clear_window<T: Config>(map: u8, w: WindowIndex, limit: u32) -> MultiRemovalResults {
	match map {
		0 => Settled::<T>::clear_prefix((w,), limit, None),
		1 => WindowBytes::<T>::clear_prefix(w, limit, None),
		2 => Usage::<T>::clear_prefix(w, limit, None),
		3 => ContentSpend::<T>::clear_prefix(w, limit, None),
		4 => ReporterSpend::<T>::clear_prefix(w, limit, None),
		_ => CustomerSpend::<T>::clear_prefix(w, limit, None),
	}
}
