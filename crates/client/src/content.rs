//! Publishing: cut a file into chunks, build its manifest, derive its id;
//! manifest files.

use codec::Encode;
use pod_primitives::{ContentId, Manifest};
use pod_wire::manifest::{decode_manifest, ManifestDecodeError};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Largest chunk size a manifest may use (the primitives' bound, 16 MiB).
pub use pod_primitives::MAX_CHUNK_SIZE;

/// Why publishing or loading a manifest failed.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
	/// The file could not be read or written.
	#[error("{path}: {source}")]
	Io {
		/// The file.
		path: PathBuf,
		/// What the OS said.
		#[source]
		source: io::Error,
	},
	/// The chunk size is out of range.
	#[error("chunk size must be between 1 byte and 16 MiB, got {0}")]
	BadChunkSize(u32),
	/// Nothing to publish.
	#[error("{path} is empty; there is nothing to publish")]
	Empty {
		/// The file.
		path: PathBuf,
	},
	/// A manifest file is unusable.
	#[error("manifest {path}: {source}")]
	Manifest {
		/// The file.
		path: PathBuf,
		/// What is wrong with it.
		#[source]
		source: ManifestDecodeError,
	},
}

/// Builds the manifest of the file at `path`, reading it once in chunk-sized
/// pieces (constant memory for any file size).
pub fn manifest_of_file(path: &Path, chunk_size: u32) -> Result<Manifest, ContentError> {
	if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
		return Err(ContentError::BadChunkSize(chunk_size));
	}
	let err = |source| ContentError::Io { path: path.to_path_buf(), source };
	let mut f = File::open(path).map_err(err)?;
	let mut buf = vec![0u8; chunk_size as usize];
	let mut chunks = Vec::new();
	let mut size = 0u64;
	loop {
		let n = read_full(&mut f, &mut buf).map_err(err)?;
		if n == 0 {
			break;
		}
		chunks.push(*blake3::hash(&buf[..n]).as_bytes());
		size += n as u64;
		if n < buf.len() {
			break;
		}
	}
	if size == 0 {
		return Err(ContentError::Empty { path: path.to_path_buf() });
	}
	Ok(Manifest { size, chunk_size, chunks })
}

/// Reads until `buf` is full or EOF; returns the bytes read.
pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
	let mut n = 0;
	while n < buf.len() {
		match r.read(&mut buf[n..]) {
			Ok(0) => break,
			Ok(k) => n += k,
			Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
			Err(e) => return Err(e),
		}
	}
	Ok(n)
}

/// Writes `manifest` (SCALE) to `path`.
pub fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), ContentError> {
	std::fs::write(path, manifest.encode())
		.map_err(|source| ContentError::Io { path: path.to_path_buf(), source })
}

/// Reads and checks a manifest; with `expected`, also checks its id.
pub fn read_manifest(path: &Path, expected: Option<&ContentId>) -> Result<Manifest, ContentError> {
	let bytes = std::fs::read(path)
		.map_err(|source| ContentError::Io { path: path.to_path_buf(), source })?;
	decode_manifest(&bytes, expected)
		.map_err(|source| ContentError::Manifest { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn publish_matches_in_memory_manifest() {
		let dir = tempfile::tempdir().unwrap();
		let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
		let f = dir.path().join("file");
		std::fs::write(&f, &data).unwrap();
		let m = manifest_of_file(&f, 1024).unwrap();
		assert_eq!(m, Manifest::of_bytes(&data, 1024));
		let mf = dir.path().join("file.manifest");
		write_manifest(&mf, &m).unwrap();
		assert_eq!(read_manifest(&mf, Some(&m.id())).unwrap(), m);
		assert!(matches!(
			read_manifest(&mf, Some(&[0; 32])),
			Err(ContentError::Manifest { source: ManifestDecodeError::WrongId { .. }, .. })
		));
		std::fs::write(&mf, b"junk").unwrap();
		assert!(matches!(
			read_manifest(&mf, None),
			Err(ContentError::Manifest { source: ManifestDecodeError::Scale(_), .. })
		));
	}

	#[test]
	fn refuses_empty_files_and_bad_chunk_sizes() {
		let dir = tempfile::tempdir().unwrap();
		let f = dir.path().join("empty");
		std::fs::write(&f, b"").unwrap();
		assert!(matches!(manifest_of_file(&f, 1024), Err(ContentError::Empty { .. })));
		assert!(matches!(manifest_of_file(&f, 0), Err(ContentError::BadChunkSize(0))));
		assert!(matches!(
			manifest_of_file(&dir.path().join("missing"), 1024),
			Err(ContentError::Io { .. })
		));
	}
}
