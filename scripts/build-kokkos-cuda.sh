#!/usr/bin/env bash
# Builds Kokkos and Kokkos Kernels with the CUDA backend from Debian's own
# trilinos source package (Kokkos 3.4.1), which no Debian binary package ships,
# and prints the CMake arguments that point the Strata build at the result.
#
#   scripts/build-kokkos-cuda.sh                    # build into .deps/kokkos-cuda
#   scripts/build-kokkos-cuda.sh --arch AMPERE86    # another GPU arch
#   scripts/build-kokkos-cuda.sh --check            # also compile the check program
#   scripts/build-kokkos-cuda.sh --kokkos-root /opt/kokkos   # a site's own install:
#                                                   # validate it, print the arguments
#
# The source comes from `apt-get source --download-only trilinos` (deb-src for
# bookworm is enabled if absent) and is cached in .deps/src/. Only
# packages/kokkos and packages/kokkos-kernels are unpacked; the patches in
# scripts/kokkos-cuda/*.patch (why: docs/gpu.md) make Kokkos 3.4.1 build with
# CUDA 13 and each must apply cleanly, or the script stops. Kokkos Kernels
# needs no patch. The CMake arguments are also written to
# <prefix>/strata-cmake-args.txt. A rebuild is skipped when the prefix was
# built with the same arch and patches (--force rebuilds).
#
# Options (environment variable in brackets):
#   --prefix DIR            install prefix [KOKKOS_CUDA_PREFIX], default .deps/kokkos-cuda
#   --arch NAME             Kokkos GPU arch [KOKKOS_CUDA_ARCH]: TURING75, AMPERE80
#                           (default; also runs on 8.6/8.9/9.0 through PTX), AMPERE86
#   --kokkos-root DIR       use this Kokkos install, build nothing [KOKKOS_ROOT]
#   --kokkos-kernels-root DIR  its Kokkos Kernels, if elsewhere [KOKKOSKERNELS_ROOT]
#   --cuda-root DIR         CUDA toolkit [CUDA_ROOT], default /usr/local/cuda
#   --jobs N                parallel build jobs [JOBS], default nproc
#   --check                 compile and link scripts/kokkos-cuda/check against the
#                           prefix; run it too when nvidia-smi sees a GPU
#   --force                 rebuild even if the prefix is up to date
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
patch_dir="$root/scripts/kokkos-cuda"
build_root="$root/.deps/build/kokkos-cuda"

prefix="${KOKKOS_CUDA_PREFIX:-$root/.deps/kokkos-cuda}"
arch="${KOKKOS_CUDA_ARCH:-AMPERE80}"
kokkos_root="${KOKKOS_ROOT:-}"
kernels_root="${KOKKOSKERNELS_ROOT:-}"
cuda_root="${CUDA_ROOT:-/usr/local/cuda}"
jobs="${JOBS:-$(nproc)}"
check=0
force=0

say() { echo "[kokkos-cuda] $*"; }
die() { echo "[kokkos-cuda] error: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --arch) arch="${2:?--arch needs a name such as AMPERE80}"; shift 2 ;;
    --kokkos-root) kokkos_root="${2:?--kokkos-root needs a directory}"; shift 2 ;;
    --kokkos-kernels-root) kernels_root="${2:?--kokkos-kernels-root needs a directory}"; shift 2 ;;
    --cuda-root) cuda_root="${2:?--cuda-root needs a directory}"; shift 2 ;;
    --jobs) jobs="${2:?--jobs needs a number}"; shift 2 ;;
    --check) check=1; shift ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
mkdir -p "$prefix" 2>/dev/null || die "cannot create the prefix $prefix; pass --prefix <writable dir>"
prefix="$(cd "$prefix" && pwd)"

# shellcheck source=scripts/kokkos-from-debian.sh
source "$root/scripts/kokkos-from-debian.sh"

# --- CUDA toolkit ----------------------------------------------------------
find_nvcc() {
  if [[ -x "$cuda_root/bin/nvcc" ]]; then
    export PATH="$cuda_root/bin:$PATH"
  elif command -v nvcc >/dev/null 2>&1; then
    cuda_root="$(cd "$(dirname "$(command -v nvcc)")/.." && pwd)"
  else
    die "no nvcc in $cuda_root/bin or on PATH. Install the CUDA toolkit, or pass --cuda-root <dir> / set CUDA_ROOT (e.g. module load cuda)."
  fi
  # nvcc_wrapper calls $CUDA_ROOT/bin/nvcc when CUDA_ROOT is set.
  export CUDA_ROOT="$cuda_root"
  nvcc_version="$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
  say "CUDA $nvcc_version in $cuda_root"
}

cmake_args_for_strata() {  # cmake_args_for_strata <kokkos prefix> <kernels prefix> <nvcc_wrapper>
  write_cmake_args "$1" "$2" "$3" build/cuda
  say "nvcc_wrapper finds nvcc through CUDA_ROOT or PATH: export CUDA_ROOT=$cuda_root"
}

# --- A site's own Kokkos: check it, print the arguments ------------------------
use_site_kokkos() {
  local kroot="$1" kkroot="${2:-$1}"
  find_site_kokkos "$kroot" "$kkroot" KOKKOS_ENABLE_CUDA "kokkos+cuda+wrapper cuda_arch=80" \
    "kokkos-kernels+cublas"
  grep -q '^#define KOKKOSKERNELS_ENABLE_TPL_CUBLAS\b' "$site_kernels_header" ||
    say "warning: Kokkos Kernels in $kkroot was built without cuBLAS (KokkosKernels_ENABLE_TPL_CUBLAS); GEMM will use its native kernels"
  local wrapper="$kroot/bin/nvcc_wrapper"
  if [[ ! -x "$wrapper" ]]; then
    wrapper="$(command -v nvcc_wrapper || true)"
    [[ -n "$wrapper" ]] ||
      die "no nvcc_wrapper in $kroot/bin or on PATH. Load it (Spack: kokkos-nvcc-wrapper, or kokkos+wrapper) so the C++ compiler matches this Kokkos."
  fi
  say "site Kokkos: $(dirname "$site_config") (CUDA), Kokkos Kernels: $(dirname "$site_kernels_config")"
  cmake_args_for_strata "$kroot" "$kkroot" "$wrapper"
}

# --- Build ------------------------------------------------------------------------
build_from_debian_source() {
  case "$arch" in
    TURING75|AMPERE80|AMPERE86) ;;
    *) die "--arch $arch: Kokkos 3.4.1 with CUDA 13 supports TURING75, AMPERE80, AMPERE86 (nvcc 13 has no sm_70 or older; 3.4.1 knows no ADA89/HOPPER90 -- use AMPERE80 for those, it runs through PTX)" ;;
  esac
  local sm="sm_${arch//[!0-9]/}"
  need cmake "apt-get install cmake"
  need g++ "apt-get install build-essential"
  need patch "apt-get install patch"

  local stamp_file="$prefix/.strata-kokkos-cuda-stamp"
  local stamp
  stamp="arch=$arch nvcc=$nvcc_version patches=$(patches_checksum)"
  prefix_up_to_date "$stamp_file" "$stamp" && return

  fetch_source
  unpack_and_patch
  local started=$SECONDS
  # Debian builds Kokkos with the Serial host backend only; so does Strata's CPU build.
  local common=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=17 -DCMAKE_CXX_EXTENSIONS=OFF
                -DCMAKE_INSTALL_PREFIX="$prefix")
  say "configuring Kokkos (CUDA + Serial, $arch)"
  # The patched wrapper must compile CMake's probes for the arch we build.
  export NVCC_WRAPPER_DEFAULT_ARCH="$sm"
  cmake -S "$build_root/src/kokkos" -B "$build_root/kokkos" "${common[@]}" \
    -DCMAKE_CXX_COMPILER="$build_root/src/kokkos/bin/nvcc_wrapper" \
    -DKokkos_ENABLE_CUDA=ON -DKokkos_ENABLE_CUDA_LAMBDA=ON -DKokkos_ENABLE_SERIAL=ON \
    -DKokkos_ARCH_"$arch"=ON -DKokkos_ENABLE_TESTS=OFF -DKokkos_ENABLE_EXAMPLES=OFF >/dev/null
  say "building Kokkos with $jobs jobs"
  logged "$build_root/kokkos.log" "Kokkos failed to build" cmake --build "$build_root/kokkos" -j "$jobs"
  cmake --install "$build_root/kokkos" >/dev/null

  say "configuring Kokkos Kernels (cuBLAS on, cuSPARSE off, float ETI, no UVM)"
  # Host BLAS (OpenBLAS) stays on as in Debian's build. Strata computes in fp32
  # on CudaSpace views: instantiate float (not double, no complex) and no
  # CudaUVMSpace, which halves the build; other types still compile inline.
  cmake -S "$build_root/src/kokkos-kernels" -B "$build_root/kokkos-kernels" "${common[@]}" \
    -DCMAKE_CXX_COMPILER="$prefix/bin/nvcc_wrapper" -DKokkos_ROOT="$prefix" \
    -DKokkosKernels_ENABLE_TPL_CUBLAS=ON -DKokkosKernels_ENABLE_TPL_CUSPARSE=OFF \
    -DKokkosKernels_ENABLE_TPL_BLAS=ON \
    -DKokkosKernels_INST_FLOAT=ON -DKokkosKernels_INST_DOUBLE=OFF \
    -DKokkosKernels_INST_COMPLEX_FLOAT=OFF -DKokkosKernels_INST_COMPLEX_DOUBLE=OFF \
    -DKokkosKernels_INST_MEMSPACE_CUDAUVMSPACE=OFF \
    -DKokkosKernels_ENABLE_TESTS=OFF -DKokkosKernels_ENABLE_EXAMPLES=OFF >/dev/null ||
    die "Kokkos Kernels did not configure; with KokkosKernels_ENABLE_TPL_BLAS a host BLAS is needed: apt-get install libopenblas-dev"
  say "building Kokkos Kernels with $jobs jobs"
  logged "$build_root/kokkos-kernels.log" "Kokkos Kernels failed to build" \
    cmake --build "$build_root/kokkos-kernels" -j "$jobs"
  cmake --install "$build_root/kokkos-kernels" >/dev/null
  echo "$stamp" > "$stamp_file"
  say "built and installed into $prefix in $((SECONDS - started)) s"
}

# --- The check: a parallel_for and a KokkosBlas::gemm on device views -------------
run_check() {
  build_check_program
  say "check program built: $build_root/check/kokkos-cuda-check"
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    "$build_root/check/kokkos-cuda-check" || die "the check program failed on this GPU"
  else
    say "no GPU here: compiled and linked, not run"
  fi
}

find_nvcc
if [[ -n "$kokkos_root" ]]; then
  use_site_kokkos "$kokkos_root" "$kernels_root"
else
  build_from_debian_source
  cmake_args_for_strata "$prefix" "$prefix" "$prefix/bin/nvcc_wrapper"
fi
((check)) && run_check
exit 0
