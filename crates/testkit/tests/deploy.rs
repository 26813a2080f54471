//! Running it for real (issue #14): the systemd units in `deploy/systemd`
//! pass `systemd-analyze verify` (pointed at the binaries this build made);
//! the sample configurations in `deploy/config` are read by the services'
//! own configuration types (unknown keys are refused); and the binaries
//! exit with the documented codes: 2 for an unusable configuration, which
//! the units do not restart.

use pod_testkit::binary;
use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy() -> PathBuf {
	PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// `unit` with its `/usr/local/bin/<name>` replaced by this build's binary,
/// written to `dir`.
fn unit_for_this_build(unit: &Path, dir: &Path) -> PathBuf {
	let mut text = std::fs::read_to_string(unit).unwrap();
	for name in ["pod-edge", "pod-reporter", "pod-node"] {
		let built = binary(name);
		text = text.replace(&format!("/usr/local/bin/{name}"), built.to_str().unwrap());
	}
	let out = dir.join(unit.file_name().unwrap());
	std::fs::write(&out, text).unwrap();
	out
}

#[test]
fn the_systemd_units_verify() {
	let tmp = tempfile::tempdir().unwrap();
	let mut units: Vec<PathBuf> = std::fs::read_dir(deploy().join("systemd"))
		.unwrap()
		.map(|e| e.unwrap().path())
		.filter(|p| p.extension().is_some_and(|x| x == "service"))
		.collect();
	units.sort();
	assert_eq!(units.len(), 3, "{units:?}");
	for unit in units {
		let local = unit_for_this_build(&unit, tmp.path());
		let out = Command::new("systemd-analyze")
			.args(["verify", "--man=no"])
			.arg(&local)
			.output()
			.expect("systemd-analyze (Debian's systemd package) runs");
		let said = format!(
			"{}{}",
			String::from_utf8_lossy(&out.stdout),
			String::from_utf8_lossy(&out.stderr)
		);
		assert!(out.status.success() && said.trim().is_empty(), "{}: {said}", unit.display());
	}
}

#[test]
fn the_sample_configurations_are_read_by_the_services() {
	let edge: pod_edge::EdgeConfig =
		pod_http::service::load_toml(&deploy().join("config/edge.toml")).unwrap();
	assert_eq!(edge.admin_listen.ip().to_string(), "127.0.0.1", "admin stays on loopback");
	let reporter: pod_reporter::ReporterConfig =
		pod_http::service::load_toml(&deploy().join("config/reporter.toml")).unwrap();
	assert_eq!(reporter.admin_listen.ip().to_string(), "127.0.0.1");
}

/// An unusable configuration exits 2 (not restarted by the units), with
/// the reason on stderr: a missing key file, a key file others may read, a
/// missing configuration file, a bad flag.
#[test]
fn an_unusable_configuration_exits_2() {
	let tmp = tempfile::tempdir().unwrap();
	let bad = tmp.path().join("bad.toml");
	let sample = std::fs::read_to_string(deploy().join("config/edge.toml")).unwrap();
	let data = tmp.path().join("data");
	let sample = sample.replace("/var/lib/pod-edge", data.to_str().unwrap());
	std::fs::write(&bad, sample).unwrap();
	let run = |cmd: &mut Command| {
		let out = cmd.output().unwrap();
		(out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
	};
	let (code, said) = run(Command::new(binary("pod-edge")).args(["run", "--config"]).arg(&bad));
	assert_eq!(code, Some(2), "{said}");
	assert!(said.contains("key_seed") || said.contains("seed"), "{said}");
	// A key file its group or others may read is refused.
	use std::os::unix::fs::PermissionsExt;
	let key = tmp.path().join("edge.key");
	std::fs::write(&key, "11".repeat(32)).unwrap();
	std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
	let open_key = tmp.path().join("open-key.toml");
	let text = std::fs::read_to_string(&bad).unwrap();
	std::fs::write(&open_key, text.replace("/etc/pod/edge.key", key.to_str().unwrap())).unwrap();
	let (code, said) =
		run(Command::new(binary("pod-edge")).args(["run", "--config"]).arg(&open_key));
	assert_eq!(code, Some(2), "{said}");
	assert!(said.contains("chmod 600"), "{said}");
	let missing = tmp.path().join("none.toml");
	let (code, said) =
		run(Command::new(binary("pod-edge")).args(["run", "--config"]).arg(&missing));
	assert_eq!(code, Some(2), "{said}");
	assert!(said.contains("none.toml"), "{said}");
	let (code, said) = run(Command::new(binary("pod-reporter")).arg("--config").arg(&missing));
	assert_eq!(code, Some(2), "{said}");
	let (code, _) = run(Command::new(binary("pod-edge")).arg("--no-such-flag"));
	assert_eq!(code, Some(2), "a usage error");
}

/// Runs a command with no secrets inherited and a chain nobody listens on:
/// (exit code, stderr).
fn tool(name: &str, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
	let mut cmd = Command::new(binary(name));
	cmd.args(args).env("POD_CHAIN", "ws://127.0.0.1:1");
	for var in
		["POD_ACCOUNT", "POD_ACCOUNT_FILE", "POD_EDGE_SEED", "POD_GRANT_KEY_SEED", "RUST_LOG"]
	{
		cmd.env_remove(var);
	}
	for (k, v) in env {
		cmd.env(k, v);
	}
	let out = cmd.output().unwrap();
	(out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
}

/// (binary, arguments, environment, what its error must say).
type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

/// The customer's and the operator's tools say what is wrong with their
/// input before they connect to anything (exit 2, never "cannot reach the
/// node"), never echo a secret, and never overwrite a key or a configuration.
#[test]
fn the_tools_refuse_bad_input_before_connecting() {
	let tmp = tempfile::tempdir().unwrap();
	let alice = [("POD_ACCOUNT", "//Alice")];
	let cases: &[Case] = &[
		("pod", &["customer", "deposit", "5POD"], &[], "no account"),
		("pod", &["customer", "deposit", "5PODS"], &alice, "\"5PODS\""),
		("pod", &["customer", "deposit", "1.0000000000001POD"], &alice, "12 decimals"),
		("pod", &["customer", "withdraw", "3 planck"], &alice, "planck"),
		(
			"pod",
			&["customer", "budget", "none", "--content", "00", "--open"],
			&alice,
			"needs a budget",
		),
		("pod", &["customer", "grant-key", "abcd"], &alice, "grant key"),
		("pod", &["customer", "status"], &[("POD_ACCOUNT", "correct horse battery")], "secret URI"),
		("pod", &["customer", "usage", "--customer", "//x"], &[], "neither an SS58 address"),
		(
			"pod",
			&["customer", "usage", "--from", "9", "--to", "3", "--customer", ALICE],
			&[],
			"after --to",
		),
		("pod", &["account", "transfer", "5Grwva", "1POD"], &alice, "SS58"),
		("pod-edge", &["redeem", "lots", "--config", "none.toml"], &alice, "\"lots\""),
	];
	for (bin, args, env, says) in cases {
		let (code, said) = tool(bin, args, env);
		assert_eq!(code, Some(2), "{bin} {args:?}: {said}");
		assert!(said.contains(says), "{bin} {args:?} should say {says:?}: {said}");
		assert!(!said.contains("cannot reach"), "{bin} {args:?} connected first: {said}");
		assert!(!said.contains("horse"), "{bin} {args:?} echoed a secret: {said}");
	}
	// A secret file others may read is refused; new key files are 0600 and
	// never overwritten.
	let key = tmp.path().join("grant.key");
	let k = key.to_str().unwrap();
	let (code, said) = tool("pod", &["key", "new", "--file", k], &[]);
	assert_eq!(code, Some(0), "{said}");
	use std::os::unix::fs::PermissionsExt;
	assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
	let before = std::fs::read(&key).unwrap();
	let (code, said) = tool("pod", &["key", "new", "--file", k], &[]);
	assert_eq!((code, std::fs::read(&key).unwrap()), (Some(2), before), "{said}");
	assert!(said.contains("never overwritten"), "{said}");
	let account = tmp.path().join("owner.secret");
	std::fs::write(&account, "//Alice").unwrap();
	std::fs::set_permissions(&account, std::fs::Permissions::from_mode(0o640)).unwrap();
	let a = account.to_str().unwrap();
	let (code, said) = tool("pod", &["customer", "deposit", "1POD", "--account-file", a], &[]);
	assert_eq!(code, Some(2), "{said}");
	assert!(said.contains("chmod 600"), "{said}");
	// init never overwrites a configuration.
	let config = tmp.path().join("edge.toml");
	std::fs::write(&config, "# mine").unwrap();
	let c = config.to_str().unwrap();
	let init = ["init", "--config", c, "--chain", "ws://127.0.0.1:1", "--reporter-url", "http://x"];
	let rest = ["--data-dir", "d", "--region", "r", "--capacity", "1"];
	let args: Vec<&str> = init.iter().chain(rest.iter()).copied().collect();
	let (code, said) = tool("pod-edge", &args, &[]);
	assert_eq!(code, Some(2), "{said}");
	assert!(said.contains("never overwritten"), "{said}");
	assert_eq!(std::fs::read_to_string(&config).unwrap(), "# mine");
}
