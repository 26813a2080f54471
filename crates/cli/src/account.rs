//! `pod account …` and `pod key …`: accounts that pay and keys that sign.

use crate::customer::{AccountArgs, ChainArgs};
use crate::InputError;
use anyhow::Result;
use pod_chain::{amount, parse_account_id, ss58, Account};
use pod_primitives::keys;
use std::path::PathBuf;

/// `pod account`.
#[derive(clap::Subcommand, Debug)]
pub enum AccountCmd {
	/// Make a new account: its secret goes to a new file (mode 0600); prints
	/// its address.
	New {
		/// The secret's file (never overwritten).
		#[arg(long)]
		file: PathBuf,
	},
	/// An account's address, balance, escrow and credits (default: the signing account).
	Show {
		/// SS58 or hex; default: the account of --account-file / POD_ACCOUNT.
		address: Option<String>,
	},
	/// Send funds from the signing account.
	Transfer {
		/// The receiver (SS58 or hex).
		to: String,
		/// `2.5POD` or planck.
		amount: String,
	},
}

/// `pod key`: sr25519 keys that sign PoD messages (edge, reporter, grant keys).
#[derive(clap::Subcommand, Debug)]
pub enum KeyCmd {
	/// Make a new key: its seed (hex) goes to a new file (mode 0600); prints
	/// its public key.
	New {
		/// The seed's file (never overwritten).
		#[arg(long)]
		file: PathBuf,
	},
	/// The public key (hex) of a seed.
	Public {
		/// A file holding the seed (hex).
		#[arg(long, conflicts_with = "seed")]
		file: Option<PathBuf>,
		/// The seed itself (hex, 32 bytes).
		#[arg(long)]
		seed: Option<String>,
	},
}

/// Runs a key command.
pub fn key(cmd: KeyCmd) -> Result<()> {
	let seed = match cmd {
		KeyCmd::New { file } => {
			let mut seed = [0u8; 32];
			getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
			pod_http::service::write_secret(&file, &(hex::encode(seed) + "\n"))
				.map_err(InputError)?;
			seed
		}
		KeyCmd::Public { file: Some(file), .. } => {
			pod_http::service::key_seed("", Some(&file), "").map_err(InputError)?
		}
		KeyCmd::Public { seed: Some(seed), .. } => pod_wire::hex::hex32("seed", &seed)?,
		KeyCmd::Public { .. } => return Err(InputError("--file or --seed".into()).into()),
	};
	println!("{}", hex::encode(keys::keypair_from_seed(&seed).public.to_bytes()));
	Ok(())
}

/// Runs an account command.
pub async fn run(cmd: AccountCmd, chain: ChainArgs, who: AccountArgs) -> Result<()> {
	match cmd {
		AccountCmd::New { file } => {
			let secret = pod_chain::new_secret()?;
			let id = Account::from_uri(&secret)?.id();
			pod_http::service::write_secret(&file, &(secret + "\n")).map_err(InputError)?;
			eprintln!("secret in {} (mode 0600): keep it, and a copy offline", file.display());
			println!("{}", ss58(&id));
			Ok(())
		}
		AccountCmd::Show { address } => {
			let id = match address {
				Some(a) => parse_account_id(&a)?,
				None => who.account()?.id(),
			};
			show(&chain.connect().await?, id).await
		}
		AccountCmd::Transfer { to, amount: text } => {
			let (to, value) = (parse_account_id(&to)?, amount::parse(&text)?);
			let from = who.account()?;
			let chain = chain.connect().await?;
			let block = chain.transfer(&from, &to, value).await?;
			eprintln!(
				"sent {} to {} in block 0x{}",
				amount::show(value),
				ss58(&to),
				hex::encode(block)
			);
			println!("balance {}", amount::show(chain.free_balance(&from.id()).await?));
			Ok(())
		}
	}
}

async fn show(chain: &pod_chain::Chain, id: [u8; 32]) -> Result<()> {
	println!("address  {}", ss58(&id));
	println!("hex      0x{}", hex::encode(id));
	println!("balance  {}", amount::show(chain.free_balance(&id).await?));
	println!("escrow   {}", amount::show(chain.escrow(&id).await?));
	println!("credits  {}", amount::show(chain.credits(&id).await?));
	Ok(())
}
