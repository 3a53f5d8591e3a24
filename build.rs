//! Links the `faxvox` executable position-dependent (non-PIE) on Linux.
//!
//! Every command is a short process (`tiff2pdf`, `pdf2tiff`, `call`, `spool`…) as well as the
//! long-running `serve`. As a PIE, the dynamic loader applies about 80 000 relative
//! relocations at each start, writing to 1.4 MB of pointer tables (vtables, static string
//! tables) and so copying each of those pages: about half of the start-up time and two
//! thirds of its page faults. Linked at a fixed address the tables are ready in the file and
//! the pages are shared. The code is still compiled position-independent (only the link
//! changes), so dependencies, build scripts, proc macros, tests and the fuzz targets are
//! unaffected; shared libraries, the heap and the stacks keep their random addresses.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
