//! What every binary of the project sets up the same way: logging to stderr
//! (`RUST_LOG`, default `info`) and reading its TOML configuration file.

use std::path::{Path, PathBuf};

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
	let filter =
		tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
	tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
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
