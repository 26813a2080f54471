//! The account that signs a customer's or an operator's transactions.

use crate::ChainError;
use subxt_signer::sr25519::Keypair;
use subxt_signer::SecretUri;

/// An sr25519 account, from a secret URI: a dev name (`//Alice`), a BIP-39
/// mnemonic with optional derivation (`"word … word//pod"`), or `0x` and a
/// 32-byte hex seed — the forms `pod-node key` and polkadot.js accept.
#[derive(Clone)]
pub struct Account {
	pair: Keypair,
}

impl std::fmt::Debug for Account {
	/// The public id only: a secret never reaches a log.
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "Account(0x{})", hex::encode(self.id()))
	}
}

impl Account {
	/// The account a secret URI names.
	pub fn from_uri(uri: &str) -> Result<Account, ChainError> {
		let uri = uri.trim();
		// An empty phrase means the well-known development phrase to the
		// parser: never a real account's secret.
		if uri.is_empty() || uri.starts_with('/') && !uri.starts_with("//") {
			return Err(ChainError::BadAccount("an empty secret (no phrase, seed or name)".into()));
		}
		// The parser's own message may quote the phrase: say only what is wrong.
		let secret: SecretUri = uri
			.parse()
			.map_err(|_| ChainError::BadAccount("the secret URI does not parse".into()))?;
		let pair = Keypair::from_uri(&secret)
			.map_err(|e| ChainError::BadAccount(format!("no sr25519 key from it ({e})")))?;
		Ok(Account { pair })
	}

	/// The account id (its sr25519 public key).
	pub fn id(&self) -> [u8; 32] {
		self.pair.public_key().0
	}

	/// The signer transactions are built with.
	pub fn signer(&self) -> &Keypair {
		&self.pair
	}
}

/// An account id as people write it: SS58 (prefix 42, what polkadot.js shows).
pub fn ss58(id: &[u8; 32]) -> String {
	subxt::utils::AccountId32(*id).to_string()
}

/// An account id from SS58 or hex (with or without `0x`).
pub fn parse_account_id(text: &str) -> Result<[u8; 32], ChainError> {
	let t = text.trim();
	if let Ok(id) = pod_wire::hex::hex32("account", t.trim_start_matches("0x")) {
		return Ok(id);
	}
	t.parse::<subxt::utils::AccountId32>().map(|a| a.0).map_err(|_| {
		ChainError::BadAccount(format!("{t:?} is neither an SS58 address nor 32 bytes of hex"))
	})
}

/// A new account: a random 32-byte seed as a secret URI (`0x…`).
pub fn new_secret() -> Result<String, ChainError> {
	let mut seed = [0u8; 32];
	getrandom::fill(&mut seed)
		.map_err(|e| ChainError::BadAccount(format!("no randomness: {e}")))?;
	Ok(format!("0x{}", hex::encode(seed)))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn addresses_read_and_write_as_ss58_or_hex() {
		let alice = Account::from_uri("//Alice").unwrap().id();
		assert_eq!(ss58(&alice), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		assert_eq!(parse_account_id(&ss58(&alice)).unwrap(), alice);
		assert_eq!(parse_account_id(&format!("0x{}", hex::encode(alice))).unwrap(), alice);
		assert!(parse_account_id("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQX").is_err());
		let fresh = Account::from_uri(&new_secret().unwrap()).unwrap();
		assert_ne!(fresh.id(), Account::from_uri(&new_secret().unwrap()).unwrap().id());
	}

	#[test]
	fn dev_names_mnemonics_and_seeds_name_accounts() {
		// `//Alice` is the development phrase's derivation, written out.
		let alice = Account::from_uri("//Alice").unwrap();
		assert_eq!(
			hex::encode(alice.id()),
			"d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
		);
		let seed = format!("0x{}", "11".repeat(32));
		assert_ne!(Account::from_uri(&seed).unwrap().id(), alice.id());
		assert!(format!("{alice:?}").starts_with("Account(0xd435"));
	}

	#[test]
	fn what_names_no_key_is_refused_without_echoing_it() {
		for bad in ["", "   ", "not a secret at all", "0x1234", "/soft"] {
			match Account::from_uri(bad) {
				Err(ChainError::BadAccount(why)) => {
					assert!(!why.contains("secret at all"), "{why}")
				}
				other => panic!("{bad:?}: {other:?}"),
			}
		}
	}
}
