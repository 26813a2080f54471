//! What every binary of the project sets up the same way: logging to stderr
//! (`RUST_LOG`, default `info`; JSON lines when stderr is not a terminal),
//! reading its TOML configuration file, and its exit codes.
//!
//! | exit code | meaning | restart? |
//! | --- | --- | --- |
//! | 0 | stopped (a signal, or the command finished) | — |
//! | 1 | failed while running (a store, the network, the chain) | yes: it may work again |
//! | 2 | unusable configuration or command line | no: fix it first (systemd units say `RestartPreventExitStatus=2`) |

use std::path::{Path, PathBuf};

/// Logs to stderr, filtered by `RUST_LOG` (default `info`): coloured text
/// on a terminal, JSON lines otherwise ([`crate::logs`]).
pub fn init_tracing() {
	let filter =
		tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
	let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
	match crate::logs::LogFormat::chosen() {
		crate::logs::LogFormat::Text => fmt.init(),
		crate::logs::LogFormat::Json => fmt.event_format(crate::logs::JsonLines).init(),
	}
}

/// A service's key seed (32 bytes of hex), from where an operator keeps it:
/// the file `file` names (which only its owner may read), else the
/// environment variable `env`, else `inline` (the configuration file's own
/// `key_seed`). The error is the reason, for the configuration's `field`.
pub fn key_seed(inline: &str, file: Option<&Path>, env: &str) -> Result<[u8; 32], String> {
	let (text, from) = match secret(file, env)? {
		Some(found) => found,
		None if !inline.trim().is_empty() => (inline.to_string(), "key_seed".to_string()),
		None => return Err(format!("no key: set key_file, {env} or key_seed")),
	};
	pod_wire::hex::hex32("key seed", text.trim()).map_err(|e| format!("{from}: {e}"))
}

/// A secret, and where it came from: the file (refused unless only its
/// owner may read it) or else the environment variable `env`, if set.
pub fn secret(file: Option<&Path>, env: &str) -> Result<Option<(String, String)>, String> {
	if let Some(file) = file {
		private_file(file)?;
		let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
		return Ok(Some((text.trim().to_string(), file.display().to_string())));
	}
	Ok(std::env::var(env).ok().filter(|v| !v.trim().is_empty()).map(|v| (v, env.to_string())))
}

/// Writes a new secret file only its owner may read (mode 0600); an
/// existing file is never overwritten.
pub fn write_secret(file: &Path, text: &str) -> Result<(), String> {
	use std::io::Write;
	let mut opts = std::fs::OpenOptions::new();
	opts.write(true).create_new(true);
	#[cfg(unix)]
	std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
	let mut f = opts.open(file).map_err(|e| match e.kind() {
		std::io::ErrorKind::AlreadyExists => {
			format!("{} exists: a key is never overwritten (move it away first)", file.display())
		}
		_ => format!("{}: {e}", file.display()),
	})?;
	f.write_all(text.as_bytes())
		.and_then(|()| f.sync_all())
		.map_err(|e| format!("{}: {e}", file.display()))
}

/// Refuses a key file that its group or others may read or write.
fn private_file(file: &Path) -> Result<(), String> {
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let meta = std::fs::metadata(file).map_err(|e| format!("{}: {e}", file.display()))?;
		let mode = meta.permissions().mode() & 0o777;
		if mode & 0o077 != 0 {
			return Err(format!(
				"{} is open to its group or others (mode {mode:o}): chmod 600 it",
				file.display()
			));
		}
	}
	Ok(())
}

/// Exit code 2: the configuration or command line cannot be used.
pub const EXIT_CONFIG: u8 = 2;

/// Ends a binary's run: `Ok` is 0; an error is logged and gives
/// [`EXIT_CONFIG`] when `is_config` says it is the configuration's fault,
/// else 1.
pub fn exit(
	result: anyhow::Result<()>,
	is_config: impl Fn(&anyhow::Error) -> bool,
) -> std::process::ExitCode {
	match result {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			let config = is_config(&e) || e.downcast_ref::<ConfigFileError>().is_some();
			tracing::error!(error = format!("{e:#}"), "stopping");
			eprintln!("error: {e:#}");
			std::process::ExitCode::from(if config { EXIT_CONFIG } else { 1 })
		}
	}
}

/// Why a configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
	/// It cannot be read.
	#[error("reading {path}: {source}")]
	Read {
		/// The file.
		path: PathBuf,
		/// What the OS said.
		#[source]
		source: std::io::Error,
	},
	/// It is not the TOML expected (unknown keys are refused).
	#[error("parsing {path}: {source}")]
	Parse {
		/// The file.
		path: PathBuf,
		/// What the parser said.
		#[source]
		source: toml::de::Error,
	},
}

/// Reads and parses a TOML configuration file.
pub fn load_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ConfigFileError> {
	let text = std::fs::read_to_string(path)
		.map_err(|source| ConfigFileError::Read { path: path.into(), source })?;
	toml::from_str(&text).map_err(|source| ConfigFileError::Parse { path: path.into(), source })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_key_comes_from_a_private_file_then_the_environment_then_inline() {
		use std::os::unix::fs::PermissionsExt;
		let dir = std::env::temp_dir().join(format!("pod-http-key-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let (a, b) = ("11".repeat(32), "22".repeat(32));
		let file = dir.join("key");
		std::fs::write(&file, format!("{a}\n")).unwrap();
		std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
		let env = "POD_HTTP_TEST_SEED_UNSET";
		assert_eq!(key_seed(&b, Some(&file), env), Ok([0x11; 32]), "the file wins");
		assert_eq!(key_seed(&b, None, env), Ok([0x22; 32]), "then inline");
		std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
		let open = key_seed(&b, Some(&file), env).unwrap_err();
		assert!(open.contains("mode 640") && open.contains("chmod 600"), "{open}");
		assert!(key_seed("", None, env).unwrap_err().contains("no key"));
		let bad = key_seed("zz", None, env).unwrap_err();
		assert!(bad.starts_with("key_seed:"), "{bad}");
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn a_secret_file_is_written_private_and_never_overwritten() {
		use std::os::unix::fs::PermissionsExt;
		let dir = std::env::temp_dir().join(format!("pod-http-secret-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let file = dir.join("edge.key");
		write_secret(&file, "first").unwrap();
		let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
		assert_eq!(mode, 0o600);
		let again = write_secret(&file, "second").unwrap_err();
		assert!(again.contains("never overwritten"), "{again}");
		let (text, from) = secret(Some(&file), "POD_HTTP_TEST_UNSET").unwrap().unwrap();
		assert_eq!((text.as_str(), from), ("first", file.display().to_string()));
		assert_eq!(secret(None, "POD_HTTP_TEST_UNSET"), Ok(None));
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[derive(Debug, serde::Deserialize, PartialEq)]
	#[serde(deny_unknown_fields)]
	struct Cfg {
		listen: String,
	}

	#[test]
	fn a_config_file_is_read_parsed_and_its_errors_name_the_file() {
		let dir = std::env::temp_dir().join(format!("pod-http-cfg-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let p = dir.join("ok.toml");
		std::fs::write(&p, "listen = \"x\"\n").unwrap();
		assert_eq!(load_toml::<Cfg>(&p).unwrap(), Cfg { listen: "x".into() });
		std::fs::write(&p, "listen = \"x\"\nlisten_typo = 1\n").unwrap();
		let e = load_toml::<Cfg>(&p).unwrap_err();
		assert!(matches!(e, ConfigFileError::Parse { .. }) && e.to_string().contains("ok.toml"));
		assert!(matches!(
			load_toml::<Cfg>(&dir.join("missing")),
			Err(ConfigFileError::Read { .. })
		));
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
