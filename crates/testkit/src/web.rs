//! Browsers as viewers: the network a page downloads from (a reporter in
//! this process, honest edges, the publisher's site), and Chromium driven
//! by playwright-core (`web/test/drive.mjs`) to run a page and return its
//! outcome. Used by the browser tests and `pod-web-bench`.

use crate::inproc::{customer_only, start_with, Running, CUSTOMER, GRANT_KEY_SEED};
use crate::local::{
	edge_public, http, reporter_public, status, tls_settings, EdgeProc, Origin, GENESIS,
};
use crate::publisher::{Publisher, Site};
use pod_primitives::{keys, Manifest};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The repository's root.
pub fn repo() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// pod-web's wasm-bindgen output (`POD_WEB_PKG`, default beside the
/// target directory), which must exist.
pub fn pkg() -> PathBuf {
	try_pkg().unwrap_or_else(|e| panic!("{e}"))
}

/// [`pkg`], or why it is missing.
pub fn try_pkg() -> Result<PathBuf, String> {
	let dir = std::env::var_os("POD_WEB_PKG").map(PathBuf::from).unwrap_or_else(|| {
		let home = std::env::var_os("HOME").unwrap_or_default();
		PathBuf::from(home).join(".cache/pod-cdn/wasm-target/pkg")
	});
	if !dir.join("pod_web_bg.wasm").is_file() {
		return Err(format!(
			"no pod-web build in {}: run `. scripts/lib.sh && pod_web_pkg` (the test command does)",
			dir.display()
		));
	}
	Ok(dir)
}

/// Runs the page at `url` in Chromium, keeping a screenshot at `shot`; the
/// page's outcome (`window.podDemo`).
pub fn drive(url: &str, shot: &Path) -> serde_json::Value {
	drive_with(url, shot, &[])
}

/// The Chromium flag that makes it trust certificates chained to the PEM CA
/// at `ca` (by the SHA-256 of the CA's public key).
pub fn trust_flag(ca: &Path) -> String {
	let script = format!(
		"openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform der \
		 | openssl dgst -sha256 -binary | openssl enc -base64",
		ca.display()
	);
	let out = std::process::Command::new("sh").arg("-c").arg(script).output().expect("openssl");
	assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
	format!("--ignore-certificate-errors-spki-list={}", String::from_utf8_lossy(&out.stdout).trim())
}

/// [`drive`] with more Chromium flags.
pub fn drive_with(url: &str, shot: &Path, flags: &[String]) -> serde_json::Value {
	try_drive(url, shot, flags).unwrap_or_else(|e| panic!("{e}"))
}

/// [`drive_with`], saying what went wrong instead of panicking: the driver
/// or its page failed (the page's own outcome has `ok: false` and is
/// returned as it is).
pub fn try_drive(url: &str, shot: &Path, flags: &[String]) -> Result<serde_json::Value, String> {
	let driver = repo().join("web/test/drive.mjs");
	if !repo().join("web/test/node_modules/playwright-core").is_dir() {
		return Err("no playwright-core: run `npm ci` in web/test (the test command does)".into());
	}
	let out = std::process::Command::new("node")
		.env("POD_CHROMIUM_ARGS", flags.join(" "))
		.arg(driver)
		.arg(url)
		.arg(shot)
		.output()
		.map_err(|e| format!("running node: {e}"))?;
	let stdout = String::from_utf8_lossy(&out.stdout);
	let line = stdout.lines().last().unwrap_or_default();
	serde_json::from_str(line).map_err(|e| {
		format!("the driver said {e}: {stdout}\n{}", String::from_utf8_lossy(&out.stderr))
	})
}

/// The most resident memory a page's renderer may reach while it downloads
/// a content of any size (its peak, from /proc). Measured streaming to a
/// file from 3 edges: 154 MiB for 16 MiB of content (Chromium's own renderer
/// with the page and its WebAssembly is most of it), 205 for 64, 299 for
/// 256: what grows is garbage (each chunk's response buffer) that V8 frees
/// in its own time, not held bytes. A page holding the whole content needs
/// about 150 MiB + 3 × its size (chunks, the copy returned, the upload), so
/// it is caught from about 70 MiB up (620 MiB measured for 96), and
/// crashed at 256.
pub const RENDERER_BUDGET_MIB: u64 = 352;

/// A page run in Chromium as a viewer runs it: headless, no debugger attached
/// (Playwright's DevTools session keeps up to ~200 MB of response bodies in
/// the renderer, which would hide what the page itself holds), the page
/// posting its own outcome to its publisher (`config.report`).
pub struct PlainRun {
	/// The page's outcome (`window.podDemo`).
	pub outcome: serde_json::Value,
	/// The largest peak resident set of the browser's renderers, in KiB.
	pub renderer_peak_kib: Option<u64>,
}

/// Opens `url` (a page of `publisher`'s) in a plain headless Chromium and
/// waits up to `timeout` for the page's outcome; the browser's output goes
/// to `log`.
pub async fn run_plain(
	url: &str,
	publisher: &Publisher,
	log: &Path,
	timeout: Duration,
) -> Result<PlainRun, String> {
	let profile = tempfile::tempdir().map_err(|e| format!("a profile directory: {e}"))?;
	let mut cmd = std::process::Command::new(
		std::env::var_os("CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()),
	);
	cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
		.args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
		.arg(format!("--user-data-dir={}", profile.path().display()))
		.arg(url);
	let browser = crate::process::Proc::spawn("chromium", cmd, log).map_err(|e| e.to_string())?;
	let deadline = tokio::time::Instant::now() + timeout;
	let mut peak = None;
	loop {
		// Sampled while the page runs: a renderer's VmHWM is its own peak,
		// but a renderer that exits takes it along.
		peak = peak.max(renderer_peak_kib(browser.id()));
		if let Some(outcome) = publisher.outcome() {
			return Ok(PlainRun { outcome, renderer_peak_kib: peak });
		}
		if tokio::time::Instant::now() > deadline {
			return Err(format!(
				"the page posted no outcome within {timeout:?} (Chromium's log: {})",
				log.display()
			));
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
}

/// The largest peak resident set (VmHWM, KiB) among the Chromium renderers
/// descending from process `root`.
fn renderer_peak_kib(root: u32) -> Option<u64> {
	let mut parent = std::collections::HashMap::new();
	for entry in std::fs::read_dir("/proc").ok()?.flatten() {
		let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
		let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
		// After the command's closing parenthesis: state, then the parent's id.
		let ppid =
			stat.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').nth(1)?.parse().ok());
		parent.insert(pid, ppid.unwrap_or(0u32));
	}
	let descends = |mut pid: u32| {
		while pid > 1 && pid != root {
			pid = parent.get(&pid).copied().unwrap_or(0);
		}
		pid == root
	};
	let renderer = |pid: u32| {
		std::fs::read(format!("/proc/{pid}/cmdline"))
			.is_ok_and(|c| c.windows(15).any(|w| w == b"--type=renderer"))
	};
	let hwm = |pid: u32| {
		let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
		let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
		line.split_whitespace().nth(1)?.parse::<u64>().ok()
	};
	parent.keys().filter(|&&p| descends(p) && renderer(p)).filter_map(|&p| hwm(p)).max()
}

/// A reporter (no chain), honest edges heartbeating to it, and the test
/// customer's content `m` (from an origin serving its bytes) registered
/// there, for grants only.
pub struct Network {
	/// The reporter.
	pub reporter: Running,
	/// The honest edges (keys 0, 1, …).
	pub edges: Vec<EdgeProc>,
	/// The origin the edges fill from (plain HTTP, byte ranges).
	pub origin: Origin,
}

impl Network {
	/// `edges` honest edges in `dir`, each with `edge_config` added.
	pub async fn start(
		dir: &Path,
		bytes: Arc<Vec<u8>>,
		m: &Manifest,
		edges: u8,
		edge_config: &str,
	) -> Network {
		Self::start_with(dir, bytes, m, edges, edge_config, None).await
	}

	/// [`Self::start`], the reporter and the edges serving HTTPS with the
	/// certificate [`test_ca`] made in `pki` when given (whoever calls them
	/// must trust its CA: `SSL_CERT_FILE` for this process and the edges).
	pub async fn start_with(
		dir: &Path,
		bytes: Arc<Vec<u8>>,
		m: &Manifest,
		edges: u8,
		edge_config: &str,
		pki: Option<&Path>,
	) -> Network {
		let origin = Origin::start(bytes).await;
		let tls = pki.map(tls_settings).unwrap_or_default();
		let reporter = start_with(&dir.join("reporter"), 3, &tls).await;
		let url = &reporter.url;
		let extra = format!("reporter_url = \"{url}\"\nheartbeat_secs = 1\n{edge_config}\n{tls}");
		let edges =
			(0..edges).map(|i| EdgeProc::start(&dir.join(format!("e{i}")), i, &extra)).collect();
		let h = [("x-pod-origin", origin.url()), ("x-pod-content", hex::encode(m.id()))];
		let contents = format!("{url}/contents");
		let r = http(hyper::Method::POST, &contents, &h, codec::Encode::encode(m)).await;
		assert_eq!(r.status, 200, "{}", r.error());
		let anyone = keys::keypair_from_seed(&[1; 32]);
		customer_only(&reporter.reporter, m.id(), m.size, &anyone, m.size);
		Network { reporter, edges, origin }
	}

	/// The publisher's site for content `m` (media type `media`), once the
	/// reporter knows `known` edges.
	pub async fn publisher(&self, m: &Manifest, media: Option<&str>, known: usize) -> Publisher {
		self.publisher_with(m, media, known, None).await
	}

	/// [`Self::publisher`], over HTTPS with the certificate in `pki`.
	pub async fn publisher_with(
		&self,
		m: &Manifest,
		media: Option<&str>,
		known: usize,
		pki: Option<&Path>,
	) -> Publisher {
		let config = serde_json::json!({ "type": media });
		self.publisher_of(m, config, known, pki).await
	}

	/// The publisher's site for content `m`, once the reporter knows `known`
	/// edges, its page's `/config` with `config`'s fields added (e.g. a
	/// `range` the demo page reads instead of the whole content).
	pub async fn publisher_of(
		&self,
		m: &Manifest,
		config: serde_json::Value,
		known: usize,
		pki: Option<&Path>,
	) -> Publisher {
		wait_for_edges(&self.reporter.url, known).await;
		let mut page = serde_json::json!({
			"title": "a test content", "content": hex::encode(m.id()),
			"reporter": self.reporter.url, "edges": 3,
		});
		for (k, v) in config.as_object().into_iter().flatten() {
			page[k] = v.clone();
		}
		Publisher::start(Site {
			web: repo().join("web"),
			pkg: pkg(),
			config: page,
			customer: CUSTOMER,
			grant_key: keys::keypair_from_seed(&GRANT_KEY_SEED),
			reporter: reporter_public(),
			genesis: GENESIS,
			contents: vec![m.id()],
			budget: 64 * m.size,
			tls: pki.map(Path::to_path_buf),
		})
		.await
	}

	/// Each honest edge holds the browser's receipts for exactly what the
	/// page says it delivered (`edges`: the page's per-edge outcome, one
	/// record per edge and schedule); their sum.
	pub async fn check_receipts(&self, edges: &[serde_json::Value]) -> u64 {
		let mut served = 0;
		for (i, e) in self.edges.iter().enumerate() {
			let key = hex::encode(edge_public(i as u8));
			// One record per schedule: a download that outlives its window
			// renews its tickets, and the edge holds receipts for both.
			let records: Vec<_> = edges.iter().filter(|r| r["key"] == key.as_str()).collect();
			if records.is_empty() {
				continue;
			}
			for record in &records {
				assert_eq!(record["dead"], false, "{record}");
			}
			let seen: u64 = records.iter().map(|r| r["bytes"].as_u64().unwrap()).sum();
			assert_eq!(
				acked(e).await,
				seen,
				"edge {i} holds the browser's receipt for what it served"
			);
			served += seen;
		}
		served
	}
}

/// Bytes an edge holds receipts for, over every window.
pub async fn acked(e: &EdgeProc) -> u64 {
	let windows = status(e).await["windows"].as_array().cloned().unwrap_or_default();
	windows.iter().map(|w| w["acked_bytes"].as_u64().unwrap_or(0)).sum()
}

/// Waits until the reporter knows `n` edges.
pub async fn wait_for_edges(reporter: &str, n: usize) {
	for _ in 0..100 {
		let s = http(hyper::Method::GET, &format!("{reporter}/status"), &[], vec![]).await.json();
		if s["edges"].as_array().is_some_and(|a| a.len() >= n) {
			return;
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	panic!("the reporter never knew {n} edges");
}
