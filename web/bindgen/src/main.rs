//! `pod-bindgen WASM OUT_DIR`: pod-web's JavaScript bindings for a web page
//! (ES module, TypeScript declarations), as `wasm-bindgen --target web`
//! writes them, through wasm-bindgen's own library at the version the
//! workspace's wasm-bindgen crate has (a mismatch is refused by the library).

use std::process::ExitCode;

fn main() -> ExitCode {
	let args: Vec<String> = std::env::args().skip(1).collect();
	let [wasm, out] = args.as_slice() else {
		eprintln!("usage: pod-bindgen WASM OUT_DIR");
		return ExitCode::from(2);
	};
	match bindgen(wasm, out) {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("pod-bindgen: {wasm}: {e:#}");
			ExitCode::FAILURE
		},
	}
}

/// The options `wasm-bindgen --target web` uses (its defaults: TypeScript
/// declarations, and `init()` finding the wasm beside the module by default).
fn bindgen(wasm: &str, out: &str) -> anyhow::Result<()> {
	wasm_bindgen_cli_support::Bindgen::new()
		.input_path(wasm)
		.web(true)?
		.typescript(true)
		.omit_default_module_path(false)
		.generate(out)
}
