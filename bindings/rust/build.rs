//! Finds libsparseflow for the linker.
//!
//! 1. `SPARSEFLOW_LIB_DIR`: the directory holding `libsparseflow.so`; it is added to the search
//!    path and, for this crate's own tests, examples and binaries, to the run-time path (rpath).
//! 2. Otherwise `pkg-config --libs sparseflow` (honouring `PKG_CONFIG` and `PKG_CONFIG_PATH`),
//!    run as a process; its `-L` directories get the same rpath.
//!
//! With the `gpu-tests` feature the CUDA runtime's directory (`CUDA_LIB_DIR`, else
//! `$CUDA_PATH/lib64`, else `/usr/local/cuda/lib64`) is added for the tests, which link
//! `cudart` themselves. The library itself never links `cudart` (libsparseflow carries its own).
//!
//! Dependents' build scripts can read the directory found as `DEP_SPARSEFLOW_LIB_DIR`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SPARSEFLOW_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_LIBDIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_SYSROOT_DIR");

    match env::var_os("SPARSEFLOW_LIB_DIR") {
        Some(dir) if !dir.is_empty() => from_lib_dir(Path::new(&dir)),
        _ => from_pkg_config(),
    }

    if env::var_os("CARGO_FEATURE_GPU_TESTS").is_some() {
        println!("cargo:rerun-if-env-changed=CUDA_LIB_DIR");
        println!("cargo:rerun-if-env-changed=CUDA_PATH");
        let dir = match (env::var_os("CUDA_LIB_DIR"), env::var_os("CUDA_PATH")) {
            (Some(dir), _) if !dir.is_empty() => PathBuf::from(dir),
            (_, Some(root)) if !root.is_empty() => PathBuf::from(root).join("lib64"),
            _ => PathBuf::from("/usr/local/cuda/lib64"),
        };
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-arg-tests=-Wl,-rpath,{}", dir.display());
    }
}

fn from_lib_dir(dir: &Path) {
    if !dir.join("libsparseflow.so").exists() && !dir.join("libsparseflow.dylib").exists() {
        println!(
            "cargo:warning=SPARSEFLOW_LIB_DIR={} holds no libsparseflow.so; linking may fail",
            dir.display()
        );
    }
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib=sparseflow");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    println!("cargo:lib_dir={}", dir.display());
}

fn from_pkg_config() {
    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let output = Command::new(&pkg_config).args(["--libs", "sparseflow"]).output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => panic!(
            "`{} --libs sparseflow` failed ({}): {}\nSet SPARSEFLOW_LIB_DIR to the directory of \
             libsparseflow.so, or PKG_CONFIG_PATH to the directory of sparseflow.pc.",
            pkg_config,
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
        Err(err) => panic!(
            "could not run `{} --libs sparseflow`: {}\nSet SPARSEFLOW_LIB_DIR to the directory \
             of libsparseflow.so, or install pkg-config.",
            pkg_config, err
        ),
    };
    let libs = String::from_utf8(output.stdout).expect("pkg-config printed non-UTF-8 output");
    let mut linked = false;
    for token in libs.split_whitespace() {
        if let Some(dir) = token.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
            // For this crate's own tests and examples, also with an installed .pc (no rpath).
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
            println!("cargo:lib_dir={}", dir);
        } else if let Some(lib) = token.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={}", lib);
            linked |= lib == "sparseflow";
        } else if token.starts_with("-Wl,") || token == "-pthread" {
            // e.g. the build tree's -Wl,-rpath,<dir>
            println!("cargo:rustc-link-arg={}", token);
        } else {
            println!("cargo:warning=ignoring `{}` from pkg-config --libs sparseflow", token);
        }
    }
    if !linked {
        println!("cargo:rustc-link-lib=dylib=sparseflow");
    }
}
