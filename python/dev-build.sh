#!/usr/bin/env bash
# Builds the native module of the Python package in place, without maturin or pip:
# python/mywire/_mywire.abi3.so, so that `PYTHONPATH=python python -c "import mywire"` works
# from the repository root. tests/python.rs runs it (debug); the benchmark runs it with --release.
# `pip install .` (maturin, from the root pyproject.toml) is the way to install the package.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
args=()
if [ "${1:-}" = "--release" ]; then
    profile=release
    args=(--release)
fi
# Its own target directory: a `cargo test` that runs this holds the lock of target/.
target="${MYWIRE_PY_TARGET_DIR:-target/python}"
cargo build -q -p mywire-python --target-dir "$target" "${args[@]}"
src="$target/$profile/lib_mywire.so"
if [ "$(uname)" = "Darwin" ]; then
    src="$target/$profile/lib_mywire.dylib"
fi
# Replace, not overwrite: a running interpreter keeps its mapping of the old file.
cp "$src" python/mywire/_mywire.abi3.so.tmp
mv -f python/mywire/_mywire.abi3.so.tmp python/mywire/_mywire.abi3.so
echo "built python/mywire/_mywire.abi3.so ($profile)"
