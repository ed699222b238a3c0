#!/usr/bin/env bash
# Builds WebTensor's web runtime, web/dist/webtensor_runtime.wasm: IREE's C
# runtime (local-sync HAL, system-library and VMVX executable loaders, the VM
# and its bytecode modules, and the io_parameters module with an in-memory
# parameter index, which binds a model's weights) for wasm32 with SIMD, plus
# web/src/*.c, linked
# with Debian's clang-19 and lld-19. Writes web/dist/BUILD_RECORD.json (the
# commits, tools, flags and sha256 of the output), which a test checks.
#
#   web/build.sh --iree-src DIR --flatcc-src DIR [--build-dir DIR]
#
# DIR are git repositories that hold the pinned commits below (a clone of
# github.com/iree-org/iree and github.com/dvidelabs/flatcc); only the
# commits' trees are used, extracted with `git archive`. Needs: clang-19,
# lld-19, llvm-19 (apt-get install clang-19 lld-19 llvm-19), ninja and
# CMake >= 3.26 (pip install cmake; Debian 12 has 3.25).
set -euo pipefail

# The newest IREE commit in reach when this was pinned: 2026-08-21, two
# months before the iree-base-compiler 3.13.0 wheel (IREE 89ece87b). The
# runtime checks the bytecode version (17.0) and module versions, not the
# compiler's version; tests/web runs the wheel's artifacts on this runtime.
IREE_COMMIT=b48a5955575cf8924ffc191f3b0804976e5738b9
# IREE's third_party/flatcc submodule at that commit.
FLATCC_COMMIT=9362cd00f0007d8cbee7bff86e90fb4b6b227ff3

WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR=/tmp/webtensor-web-build
IREE_SRC=""
FLATCC_SRC=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --iree-src) IREE_SRC="$2"; shift 2 ;;
    --flatcc-src) FLATCC_SRC="$2"; shift 2 ;;
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    *) echo "web/build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$IREE_SRC" || -z "$FLATCC_SRC" ]]; then
  echo "web/build.sh: give --iree-src and --flatcc-src (git repositories holding $IREE_COMMIT and $FLATCC_COMMIT)" >&2
  exit 2
fi
for tool in clang-19 clang++-19 wasm-ld-19 llvm-ar-19 ninja cmake git patch sha256sum; do
  command -v "$tool" >/dev/null || { echo "web/build.sh: $tool is not installed" >&2; exit 2; }
done
CMAKE_VERSION=$(cmake --version | head -1 | awk '{print $3}')
if [[ "$(printf '%s\n3.26\n' "$CMAKE_VERSION" | sort -V | head -1)" != "3.26" ]]; then
  echo "web/build.sh: CMake $CMAKE_VERSION is older than 3.26 (pip install cmake)" >&2
  exit 2
fi

START=$(date +%s)
SRC="$BUILD_DIR/iree"
rm -rf "$SRC" "$BUILD_DIR/host" "$BUILD_DIR/wasm" "$BUILD_DIR/objects"
mkdir -p "$SRC/third_party/flatcc" "$BUILD_DIR/objects"
git -C "$IREE_SRC" archive "$IREE_COMMIT" | tar -x -C "$SRC"
git -C "$FLATCC_SRC" archive "$FLATCC_COMMIT" | tar -x -C "$SRC/third_party/flatcc"
for p in "$WEB"/patches/*.patch; do
  patch -s -p1 -d "$SRC" < "$p"
done

# Host tools the cross build runs: the flatbuffer schema compiler and the
# data embedder.
cmake -G Ninja -S "$SRC" -B "$BUILD_DIR/host" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DIREE_BUILD_COMPILER=OFF -DIREE_BUILD_TESTS=OFF -DIREE_BUILD_SAMPLES=OFF \
  -DIREE_BUILD_BENCHMARKS=OFF -DIREE_ENABLE_LIBBACKTRACE=OFF \
  -DIREE_HAL_DRIVER_DEFAULTS=OFF -DIREE_HAL_EXECUTABLE_LOADER_DEFAULTS=OFF \
  -DIREE_HAL_EXECUTABLE_PLUGIN_DEFAULTS=OFF > "$BUILD_DIR/host-configure.log"
ninja -C "$BUILD_DIR/host" iree-flatcc-cli iree-c-embed-data > "$BUILD_DIR/host-build.log"

cmake -G Ninja -S "$SRC" -B "$BUILD_DIR/wasm" -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DCMAKE_TOOLCHAIN_FILE="$WEB/cmake/wasm32-debian.cmake" -DIREE_SOURCE_DIR="$SRC" \
  -DIREE_HOST_BIN_DIR="$BUILD_DIR/host/tools" -DIREE_ENABLE_LIBBACKTRACE=OFF \
  -DIREE_BUILD_BENCHMARKS=OFF > "$BUILD_DIR/wasm-configure.log"
# The parameter module and what it needs beyond the unified runtime: a
# model's weights are IREE parameters (scope "model") that JS hands over as
# memory, indexed by name (web/src/webtensor_runtime.c).
PARAMETER_LIBS=(modules/io/parameters/libiree_modules_io_parameters_parameters.a
  io/libiree_io_parameter_index_provider.a io/libiree_io_parameter_index.a
  io/libiree_io_parameter_provider.a io/libiree_io_file_handle.a
  hal/utils/libiree_hal_utils_file_cache.a)
PARAMETER_TARGETS=()
for lib in "${PARAMETER_LIBS[@]}"; do
  name=$(basename "$lib" .a)
  PARAMETER_TARGETS+=("${name#lib}")
done
ninja -C "$BUILD_DIR/wasm" iree_runtime_unified iree_wasm_libc flatcc_parsing "${PARAMETER_TARGETS[@]}" > "$BUILD_DIR/wasm-build.log"

# Our C, with the flags IREE's toolchain gives the runtime.
CFLAGS=(--target=wasm32-unknown-unknown -nostdinc -nostdlib -ffreestanding
  -isystem "$SRC/build_tools/wasm/libc/include" -isystem "$SRC/third_party/flatcc/include"
  -I"$SRC/runtime/src" -I"$BUILD_DIR/wasm/runtime/src"
  -fno-exceptions -fvisibility=hidden -mbulk-memory -msign-ext -mnontrapping-fptoint -msimd128
  -DIREE_SYNCHRONIZATION_DISABLE_UNSAFE=1 -DIREE_THREADING_ENABLE=0 -DIREE_PLATFORM_WEB=1
  -DIREE_ALLOCATOR_SYSTEM_CTL=iree_allocator_libc_ctl -Os -DNDEBUG -std=gnu11
  -Wall -Werror -Wno-pointer-sign -Wno-unused-function)
for c in "$WEB"/src/*.c; do
  clang-19 "${CFLAGS[@]}" -c "$c" -o "$BUILD_DIR/objects/$(basename "${c%.c}").o"
done

# The runtime exports its memory, its stack pointer and a growable function
# table: side modules import all three (runtime.mjs links them in). It also
# exports the C library functions LLVM may leave as calls in a side module.
SIDE_MODULE_EXPORTS=(memcpy memmove memset fmaxf fminf fmax fmin fmodf fmod remainderf remainder
  roundf round expf exp exp2f exp2 expm1f expm1 logf log log10f log10 log1pf log1p log2f log2
  sinf sin cosf cos atanf atan atan2f atan2 tanhf tanh powf pow erff erf)
LDFLAGS=(--no-entry --export-table --growable-table --export=__stack_pointer
  --max-memory=4294967296 -z stack-size=1048576 --gc-sections --strip-all)
for symbol in "${SIDE_MODULE_EXPORTS[@]}"; do LDFLAGS+=("--export=$symbol"); done
mkdir -p "$WEB/dist"
wasm-ld-19 "${LDFLAGS[@]}" -o "$WEB/dist/webtensor_runtime.wasm" "$BUILD_DIR"/objects/*.o \
  "$BUILD_DIR/wasm/runtime/src/iree/runtime/libiree_runtime_unified.a" \
  "${PARAMETER_LIBS[@]/#/$BUILD_DIR/wasm/runtime/src/iree/}" \
  "$BUILD_DIR/wasm/build_tools/wasm/libc/libiree_wasm_libc.a" \
  "$BUILD_DIR/wasm/build_tools/third_party/flatcc/libflatcc_parsing.a"
END=$(date +%s)

# The record: what went in (commits, our sources and patches, tools, flags)
# and what came out.
python3 - "$WEB" "$BUILD_DIR" "$IREE_COMMIT" "$FLATCC_COMMIT" "$((END - START))" "${CFLAGS[*]}" "${LDFLAGS[*]}" <<'EOF'
import hashlib, json, pathlib, subprocess, sys
web, build_dir, iree, flatcc, seconds, cflags, ldflags = sys.argv[1:]
web = pathlib.Path(web)
sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()
inputs = sorted([*web.glob("src/*.c"), *web.glob("patches/*.patch"), web / "cmake/wasm32-debian.cmake", web / "build.sh"])
record = {
    "iree_commit": iree,
    "flatcc_commit": flatcc,
    "clang": subprocess.run(["clang-19", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
    "cmake_build_type": "MinSizeRel",
    "cflags": cflags.replace(build_dir, "<build>"),
    "ldflags": ldflags,
    "inputs": {str(p.relative_to(web)): sha(p) for p in inputs},
    "outputs": {"dist/webtensor_runtime.wasm": sha(web / "dist/webtensor_runtime.wasm")},
    "build_seconds": int(seconds),
}
(web / "dist/BUILD_RECORD.json").write_text(json.dumps(record, indent=2) + "\n")
EOF
SIZE=$(stat -c %s "$WEB/dist/webtensor_runtime.wasm")
GZ=$(gzip -9 -c "$WEB/dist/webtensor_runtime.wasm" | wc -c)
echo "web/dist/webtensor_runtime.wasm: $SIZE bytes ($GZ gzipped), built in $((END - START)) s"
