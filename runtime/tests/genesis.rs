//! The genesis presets build a working PoD chain state.

use frame_support::traits::fungible::Inspect;
use pod_runtime::{
	genesis_config_presets::{get_preset, SAMPLE_ESCROW},
	Balances, BuildStorage, Pod, Runtime, RuntimeGenesisConfig, EXISTENTIAL_DEPOSIT,
};
use serde_json::Value;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::Sr25519Keyring;

/// RFC 7396-style merge, as the node applies a preset patch to the defaults.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(b), Value::Object(p)) => {
			for (k, v) in p {
				merge(b.entry(k).or_insert(Value::Null), v);
			}
		}
		(b, p) => *b = p,
	}
}

fn state(preset: &str) -> sp_io::TestExternalities {
	let patch: Value =
		serde_json::from_slice(&get_preset(&PresetId::from(preset)).expect("preset exists"))
			.unwrap();
	let mut cfg = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut cfg, patch);
	let cfg: RuntimeGenesisConfig = serde_json::from_value(cfg).expect("preset matches the config");
	sp_io::TestExternalities::new(cfg.build_storage().expect("genesis builds"))
}

#[test]
fn dev_preset_sets_up_pod() {
	state(DEV_RUNTIME_PRESET).execute_with(|| {
		assert!(pallet_pod::Reporters::<Runtime>::contains_key(
			pod_primitives::dev::REPORTER_PUBLIC
		));
		assert_eq!(
			pallet_pod::Operator::<Runtime>::get(),
			Some(Sr25519Keyring::Eve.to_account_id())
		);
		let ferdie = Sr25519Keyring::Ferdie.to_account_id();
		assert_eq!(Pod::escrow_of(&ferdie), SAMPLE_ESCROW);
		assert_eq!(Balances::balance(&Pod::account_id()), EXISTENTIAL_DEPOSIT + SAMPLE_ESCROW);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
	});
}

#[test]
fn local_preset_has_four_validators() {
	state(LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 4);
		assert!(pallet_pod::Reporters::<Runtime>::contains_key(
			pod_primitives::dev::REPORTER_PUBLIC
		));
	});
}

#[test]
fn dev_reporter_key_matches_its_seed() {
	let kp = pod_primitives::keys::keypair_from_seed(&pod_primitives::dev::REPORTER_SEED);
	assert_eq!(kp.public.to_bytes(), pod_primitives::dev::REPORTER_PUBLIC);
}

#[test]
fn unknown_preset_is_none() {
	assert!(get_preset(&PresetId::from("mainnet")).is_none());
}
