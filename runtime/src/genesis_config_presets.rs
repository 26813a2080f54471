//! Genesis presets: `dev` (Alice alone) and `local_testnet` (Alice, Bob,
//! Charlie and Dave validate, so one can stop and GRANDPA still finalizes).
//!
//! Both fund the well-known dev accounts and set up PoD: Eve is the operator
//! (receives the 5% fee), Ferdie is a sample customer with escrow, and the dev
//! reporter key (`pod_primitives::dev::REPORTER_SEED`) is in the reporter set.

use crate::{AccountId, BalancesConfig, PodConfig, RuntimeGenesisConfig, SudoConfig, UNIT};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What attestations the development reporter co-signs may charge per window
/// (`pallet_pod::ReporterInfo::cap_per_window`).
pub const DEV_REPORTER_CAP: u128 = 1_000 * UNIT;

/// Escrow the sample customer (Ferdie) starts with.
pub const SAMPLE_ESCROW: u128 = 10_000 * UNIT;

fn genesis(authorities: &[Sr25519Keyring], grandpa: &[Ed25519Keyring]) -> Value {
	let endowed: Vec<AccountId> = Sr25519Keyring::iter()
		.filter(|k| k != &Sr25519Keyring::One && k != &Sr25519Keyring::Two)
		.map(|k| k.to_account_id())
		.collect();
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.iter().cloned().map(|k| (k, 1u128 << 60)).collect::<Vec<_>>(),
		},
		aura: pallet_aura::GenesisConfig {
			authorities: authorities.iter().map(|k| AuraId::from(k.public())).collect::<Vec<_>>(),
		},
		grandpa: pallet_grandpa::GenesisConfig {
			authorities: grandpa
				.iter()
				.map(|k| (GrandpaId::from(k.public()), 1))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(Sr25519Keyring::Alice.to_account_id()) },
		pod: PodConfig {
			operator: Some(Sr25519Keyring::Eve.to_account_id()),
			reporters: vec![(pod_primitives::dev::REPORTER_PUBLIC, DEV_REPORTER_CAP)],
			escrows: vec![(Sr25519Keyring::Ferdie.to_account_id(), SAMPLE_ESCROW)],
		},
	})
}

/// Alice alone.
pub fn development_config_genesis() -> Value {
	genesis(&[Sr25519Keyring::Alice], &[Ed25519Keyring::Alice])
}

/// Alice, Bob, Charlie and Dave.
pub fn local_config_genesis() -> Value {
	use Ed25519Keyring as E;
	use Sr25519Keyring as S;
	genesis(&[S::Alice, S::Bob, S::Charlie, S::Dave], &[E::Alice, E::Bob, E::Charlie, E::Dave])
}

/// The preset named `id`, as JSON.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	Some(serde_json::to_string(&patch).expect("JSON serialisation works; qed").into_bytes())
}

/// The presets this runtime knows.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
