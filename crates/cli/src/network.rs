//! `pod network`: the chain as everyone sees it.

use crate::customer::ChainArgs;
use anyhow::Result;
use pod_chain::listing::grouped;
use pod_chain::{amount, ss58};
use std::collections::BTreeMap;

/// Prints the network: finality, the window, reporters, edges by region.
pub async fn show(chain: ChainArgs) -> Result<()> {
	let chain = chain.connect().await?;
	println!("genesis    0x{}", hex::encode(chain.genesis()));
	println!("finalized  #{}", chain.finalized_number().await?);
	let (window, length) = (chain.current_window().await?, chain.window_length().await?);
	println!("window     {window} ({length} blocks each)");
	println!("credits    {} in existence", amount::show(chain.total_credits().await?));
	let reporters = chain.reporters().await?;
	println!("reporters  {}", reporters.len());
	for (key, cap) in reporters {
		println!("  {} cap {} per window", hex::encode(key), amount::show(cap));
	}
	let mut regions: BTreeMap<String, Vec<String>> = BTreeMap::new();
	let edges = chain.edges().await?;
	println!("edges      {}", edges.len());
	for (key, e) in edges {
		let leaving = if e.leaving.is_some() { ", leaving" } else { "" };
		let line = format!(
			"  {} {} B/s owner {}{leaving}",
			hex::encode(key),
			grouped(e.capacity),
			ss58(&e.owner)
		);
		regions.entry(String::from_utf8_lossy(&e.region).into_owned()).or_default().push(line);
	}
	for (region, lines) in regions {
		println!(" region {region}: {}", lines.len());
		lines.iter().for_each(|l| println!("{l}"));
	}
	Ok(())
}
