//! A web browser as one of the clients: Chromium (driven by playwright-core)
//! opens the publisher's demo page, which gets a viewer grant from the
//! publisher's backend (minted with the customer's grant key registered on
//! chain), downloads the content through the devnet's reporter and edges,
//! verifying every chunk and signing every receipt in WebAssembly, and
//! reports its receipts. What each edge delivered to the browser joins the
//! expected books, so the chain must pay exactly those bytes too.
//!
//! The page streams the content into a file (the origin private file
//! system), as a publisher's download page would: its renderer must stay
//! within [`RENDERER_BUDGET_MIB`] whatever the content's size. A page that
//! held the whole content (as the demo once did, and crashed at 256 MiB)
//! fails here as soon as the content is larger than that budget.

use super::{io, Content, GRANT_KEY_SEED};
use crate::books::Expected;
use crate::process::HarnessError;
use crate::publisher::{Publisher, Site};
use crate::web::{self, RENDERER_BUDGET_MIB};
use pod_primitives::{dev, keys};

/// How long the page may take, whatever the content's size.
const PAGE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(900);

/// Runs the page to the end and adds what each edge served it to `expected`.
pub(super) async fn download(
	dir: &std::path::Path,
	content: &Content,
	reporter: &str,
	genesis: [u8; 32],
	expected: &mut Expected,
) -> Result<(), HarnessError> {
	println!("== a browser (Chromium, the demo page) downloads under the publisher's grant");
	let publisher = publisher(content, reporter, genesis, expected).await?;
	let url = format!("{}/demo/index.html", publisher.url);
	let run = web::run_plain(&url, &publisher, &dir.join("chromium.log"), PAGE_TIMEOUT)
		.await
		.map_err(HarnessError::Check)?;
	let outcome = run.outcome;
	if outcome["ok"] != true {
		return Err(HarnessError::Check(format!("the browser's download failed: {outcome}")));
	}
	same_as_origin(content, publisher.result())?;
	let peak_mib = renderer_within_budget(&outcome, run.renderer_peak_kib)?;
	let refused = &outcome["reported"]["refused"];
	if refused.as_array().is_none_or(|r| !r.is_empty()) {
		return Err(HarnessError::Check(format!("the reporter refused receipts: {outcome}")));
	}
	add_to_books(&outcome, expected)?;
	println!(
		"   browser: byte-exact copy in {:.0} ms, streamed to a file; the page's peak resident memory {peak_mib} MiB (budget {RENDERER_BUDGET_MIB})",
		outcome["ms"].as_f64().unwrap_or(0.0)
	);
	Ok(())
}

/// The publisher's site: the demo page and a grant endpoint for the
/// customer's content, through the devnet's reporter.
async fn publisher(
	content: &Content,
	reporter: &str,
	genesis: [u8; 32],
	expected: &Expected,
) -> Result<Publisher, HarnessError> {
	let id = content.manifest.id();
	Ok(Publisher::start(Site {
		web: web::repo().join("web"),
		pkg: web::try_pkg().map_err(HarnessError::Check)?,
		config: serde_json::json!({
			"title": "the end-to-end content", "content": hex::encode(id),
			"reporter": reporter, "edges": super::EDGES, "type": null, "report": true,
		}),
		customer: expected.customer.id(),
		grant_key: keys::keypair_from_seed(&GRANT_KEY_SEED),
		reporter: dev::REPORTER_PUBLIC,
		genesis,
		contents: vec![id],
		budget: content.manifest.size * 2,
		tls: None,
	})
	.await)
}

/// The page streamed (not held the content in memory) and its renderer's
/// peak resident memory, in MiB, is within the budget.
fn renderer_within_budget(
	outcome: &serde_json::Value,
	peak_kib: Option<u64>,
) -> Result<u64, HarnessError> {
	if outcome["streamed"] != true {
		return Err(HarnessError::Check(format!(
			"the page kept the content in memory instead of streaming it to a file: {outcome}"
		)));
	}
	let peak = peak_kib
		.ok_or_else(|| HarnessError::Check("no Chromium renderer was found to measure".into()))?
		>> 10;
	if peak > RENDERER_BUDGET_MIB {
		return Err(HarnessError::Check(format!(
			"the page's renderer peaked at {peak} MiB, above its budget of {RENDERER_BUDGET_MIB} MiB"
		)));
	}
	Ok(peak)
}

fn same_as_origin(content: &Content, got: Option<bytes::Bytes>) -> Result<(), HarnessError> {
	let origin = std::fs::read(&content.file).map_err(io(&content.file))?;
	match got {
		Some(b) if b[..] == origin[..] => Ok(()),
		Some(b) => Err(HarnessError::Check(format!(
			"the browser got different bytes ({} of {})",
			b.len(),
			origin.len()
		))),
		None => Err(HarnessError::Check("the browser posted no bytes".into())),
	}
}

/// Every edge the page used must be one the books know; a lying or dead
/// edge (none here) would have delivered nothing payable.
fn add_to_books(outcome: &serde_json::Value, expected: &mut Expected) -> Result<(), HarnessError> {
	let edges = outcome["edges"].as_array().cloned().unwrap_or_default();
	for e in &edges {
		let served = e["bytes"].as_u64().unwrap_or(0);
		let key = pod_wire::hex::hex32("edge", e["key"].as_str().unwrap_or_default())
			.map_err(|err| HarnessError::Check(err.to_string()))?;
		let entry = expected.edges.get_mut(&key).ok_or_else(|| {
			HarnessError::Check(format!("the browser was sent to an unknown edge {e}"))
		})?;
		entry.1 += served;
		println!(
			"   browser ← edge {}…: {served} bytes, {} chunks",
			&hex::encode(key)[..8],
			e["chunks"]
		);
	}
	Ok(())
}
