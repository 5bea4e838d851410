//! Compiles `proto/webcast.proto` with protox (pure Rust: no `protoc` needed) and tells cargo
//! to rebuild when migrations change (they are embedded).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    println!("cargo:rerun-if-changed=migrations");
    let descriptors = protox::compile(["proto/webcast.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
