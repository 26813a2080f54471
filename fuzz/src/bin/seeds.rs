//! Writes one valid example per fuzz target into `corpus/<target>/`
//! (named by its BLAKE3 hash, so writing them again changes nothing).

fn main() {
	let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
	for (target, bytes) in pod_fuzz::seeds() {
		let dir = root.join(target);
		std::fs::create_dir_all(&dir).expect("corpus directory");
		let name = format!("seed-{}", hex::encode(&pod_primitives::content_id(&bytes)[..8]));
		std::fs::write(dir.join(name), &bytes).expect("seed written");
	}
}
