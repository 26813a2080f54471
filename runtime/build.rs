#[cfg(feature = "std")]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

/// Nothing to do when this crate itself is being built for wasm.
#[cfg(not(feature = "std"))]
fn main() {}
