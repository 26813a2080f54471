//! What every binary of the project sets up the same way: logging to stderr
//! (`RUST_LOG`, default `info`), reading its TOML configuration file, and
//! its exit codes.
//!
//! | exit code | meaning | restart? |
//! | --- | --- | --- |
//! | 0 | stopped (a signal, or the command finished) | — |
//! | 1 | failed while running (a store, the network, the chain) | yes: it may work again |
//! | 2 | unusable configuration or command line | no: fix it first (systemd units say `RestartPreventExitStatus=2`) |

use std::path::{Path, PathBuf};

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
	let filter =
		tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
	tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
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
