#!/usr/bin/env bash
# Builds Kokkos and Kokkos Kernels with the HIP backend (AMD GPUs) from Debian's
# own trilinos source package (Kokkos 3.4.1) with Debian's hipcc (ROCm 5.2,
# clang 15), and prints the CMake arguments that point the Strata build at the
# result. The HIP counterpart of scripts/build-kokkos-cuda.sh.
#
#   scripts/build-kokkos-hip.sh                     # build into .deps/kokkos-hip
#   scripts/build-kokkos-hip.sh --arch VEGA908      # another GPU arch
#   scripts/build-kokkos-hip.sh --check             # also compile the check program
#   scripts/build-kokkos-hip.sh --kokkos-root /opt/kokkos    # a site's own install:
#                                                   # validate it, print the arguments
#
# The source comes from `apt-get source --download-only trilinos` (deb-src for
# bookworm is enabled if absent) and is cached in .deps/src/, shared with
# build-kokkos-cuda.sh. Only packages/kokkos and packages/kokkos-kernels are
# unpacked; the patches in scripts/kokkos-hip/*.patch (each says why) make
# Kokkos 3.4.1 build for gfx90a and each must apply cleanly, or the script
# stops. Kokkos Kernels needs no patch; Debian has no rocBLAS, so GEMMs on
# device views use Kokkos Kernels' native kernels. The CMake arguments are also
# written to <prefix>/strata-cmake-args.txt. A rebuild is skipped when the
# prefix was built with the same arch, hipcc and patches (--force rebuilds).
#
# Options (environment variable in brackets):
#   --prefix DIR            install prefix [KOKKOS_HIP_PREFIX], default .deps/kokkos-hip
#   --arch NAME             Kokkos GPU arch [KOKKOS_HIP_ARCH]: VEGA90A (default,
#                           gfx90a: MI210/MI250X), VEGA908 (MI100), VEGA906 (MI50/60)
#   --kokkos-root DIR       use this Kokkos install, build nothing [KOKKOS_ROOT]
#   --kokkos-kernels-root DIR  its Kokkos Kernels, if elsewhere [KOKKOSKERNELS_ROOT]
#   --hipcc PATH            the HIP compiler [HIPCC], default hipcc on PATH
#   --jobs N                parallel build jobs [JOBS], default nproc
#   --check                 compile and link scripts/kokkos-hip/check against the
#                           prefix and look for the arch's code object in it; run it
#                           too when rocminfo sees an AMD GPU
#   --force                 rebuild even if the prefix is up to date
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
patch_dir="$root/scripts/kokkos-hip"
build_root="${KOKKOS_HIP_BUILD_DIR:-$root/.deps/build/kokkos-hip}"

prefix="${KOKKOS_HIP_PREFIX:-$root/.deps/kokkos-hip}"
arch="${KOKKOS_HIP_ARCH:-VEGA90A}"
kokkos_root="${KOKKOS_ROOT:-}"
kernels_root="${KOKKOSKERNELS_ROOT:-}"
hipcc="${HIPCC:-}"
jobs="${JOBS:-$(nproc)}"
check=0
force=0

say() { echo "[kokkos-hip] $*"; }
die() { echo "[kokkos-hip] error: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --arch) arch="${2:?--arch needs a name such as VEGA90A}"; shift 2 ;;
    --kokkos-root) kokkos_root="${2:?--kokkos-root needs a directory}"; shift 2 ;;
    --kokkos-kernels-root) kernels_root="${2:?--kokkos-kernels-root needs a directory}"; shift 2 ;;
    --hipcc) hipcc="${2:?--hipcc needs a path}"; shift 2 ;;
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

gfx_of() {  # gfx_of <Kokkos arch>
  case "$1" in
    VEGA906) echo gfx906 ;;
    VEGA908) echo gfx908 ;;
    VEGA90A) echo gfx90a ;;
    *) return 1 ;;
  esac
}

# --- hipcc ---------------------------------------------------------------------
find_hipcc() {
  if [[ -z "$hipcc" ]]; then
    hipcc="$(command -v hipcc || true)"
    [[ -n "$hipcc" ]] ||
      die "no hipcc on PATH. On Debian 12: apt-get install hipcc libamdhip64-dev; elsewhere load the site's ROCm (module load rocm) or pass --hipcc <path> / set HIPCC."
  fi
  [[ -x "$hipcc" ]] || die "--hipcc $hipcc is not an executable"
  hipcc="$(cd "$(dirname "$hipcc")" && pwd)/$(basename "$hipcc")"
  # hipcc asks rocm_agent_enumerator for the GPU whenever a command line names
  # no --offload-arch (CMake's compiler probe, links); with no /dev/kfd that
  # prints a Python traceback. Name the arch being built instead.
  local gfx
  gfx="$(gfx_of "$arch")" || gfx=gfx90a
  export HCC_AMDGPU_TARGET="${HCC_AMDGPU_TARGET:-$gfx}"
  hip_version="$("$hipcc" --version 2>/dev/null | sed -n 's/^HIP version: \([0-9.]*\).*/\1/p')"
  [[ -n "$hip_version" ]] || die "$hipcc --version names no HIP version; is it ROCm's hipcc?"
  say "HIP $hip_version: $hipcc"
}

cmake_args_for_strata() {  # cmake_args_for_strata <kokkos prefix> <kernels prefix> <hipcc>
  write_cmake_args "$1" "$2" "$3" build/hip
  say "without an AMD GPU, hipcc's links print a rocm_agent_enumerator traceback; export HCC_AMDGPU_TARGET=$HCC_AMDGPU_TARGET silences it"
}

# --- A site's own Kokkos: check it, print the arguments ------------------------
use_site_kokkos() {
  local kroot="$1" kkroot="${2:-$1}"
  find_site_kokkos "$kroot" "$kkroot" KOKKOS_ENABLE_HIP "kokkos+rocm amdgpu_target=gfx90a" \
    "kokkos-kernels+rocblas"
  grep -q '^#define KOKKOSKERNELS_ENABLE_TPL_ROCBLAS\b' "$site_kernels_header" ||
    say "note: Kokkos Kernels in $kkroot was built without rocBLAS (KokkosKernels_ENABLE_TPL_ROCBLAS); GEMM will use its native kernels"
  say "site Kokkos: $(dirname "$site_config") (HIP), Kokkos Kernels: $(dirname "$site_kernels_config")"
  cmake_args_for_strata "$kroot" "$kkroot" "$hipcc"
}

# --- Build ------------------------------------------------------------------------
build_from_debian_source() {
  gfx_of "$arch" >/dev/null ||
    die "--arch $arch: Kokkos 3.4.1 (patched) with Debian's hipcc 5.2 supports VEGA906, VEGA908, VEGA90A (Debian's clang 15 knows no gfx942 for MI300; that needs a newer ROCm and a site Kokkos >= 4: --kokkos-root)"
  need cmake "apt-get install cmake"
  need patch "apt-get install patch"

  local stamp_file="$prefix/.strata-kokkos-hip-stamp"
  local stamp
  stamp="arch=$arch hip=$hip_version patches=$(patches_checksum)"
  prefix_up_to_date "$stamp_file" "$stamp" && return

  fetch_source
  unpack_and_patch
  local started=$SECONDS
  # Debian builds Kokkos with the Serial host backend only; so does Strata's CPU build.
  local common=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=17 -DCMAKE_CXX_EXTENSIONS=OFF
                -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_CXX_COMPILER="$hipcc")
  say "configuring Kokkos (HIP + Serial, $arch)"
  logged "$build_root/kokkos-configure.log" "Kokkos did not configure" \
    cmake -S "$build_root/src/kokkos" -B "$build_root/kokkos" "${common[@]}" \
    -DKokkos_ENABLE_HIP=ON -DKokkos_ENABLE_SERIAL=ON \
    -DKokkos_ARCH_"$arch"=ON -DKokkos_ENABLE_TESTS=OFF -DKokkos_ENABLE_EXAMPLES=OFF
  say "building Kokkos with $jobs jobs"
  logged "$build_root/kokkos.log" "Kokkos failed to build" cmake --build "$build_root/kokkos" -j "$jobs"
  cmake --install "$build_root/kokkos" >/dev/null

  say "configuring Kokkos Kernels (BLAS component, float ETI, host BLAS, no rocBLAS)"
  # Strata uses only KokkosBlas (GEMM) and computes in fp32 on HIPSpace views:
  # build the BLAS component, instantiate float (not double, no complex) with
  # int ordinals and offsets; other types still compile inline. Kokkos Kernels
  # 3.4.1 has no rocBLAS TPL (and Debian no rocBLAS): device GEMMs use its
  # native kernels. Host BLAS (OpenBLAS) stays on as in Debian's build.
  cmake -S "$build_root/src/kokkos-kernels" -B "$build_root/kokkos-kernels" "${common[@]}" \
    -DKokkos_ROOT="$prefix" \
    -DKokkosKernels_ENABLED_COMPONENTS=BLAS \
    -DKokkosKernels_ENABLE_TPL_BLAS=ON \
    -DKokkosKernels_INST_FLOAT=ON -DKokkosKernels_INST_DOUBLE=OFF \
    -DKokkosKernels_INST_COMPLEX_FLOAT=OFF -DKokkosKernels_INST_COMPLEX_DOUBLE=OFF \
    -DKokkosKernels_INST_ORDINAL_INT=ON -DKokkosKernels_INST_ORDINAL_INT64_T=OFF \
    -DKokkosKernels_INST_OFFSET_INT=ON -DKokkosKernels_INST_OFFSET_SIZE_T=OFF \
    -DKokkosKernels_ENABLE_TESTS=OFF -DKokkosKernels_ENABLE_EXAMPLES=OFF \
    >"$build_root/kokkos-kernels-configure.log" 2>&1 ||
    { tail -30 "$build_root/kokkos-kernels-configure.log" >&2
      die "Kokkos Kernels did not configure (log: $build_root/kokkos-kernels-configure.log); with KokkosKernels_ENABLE_TPL_BLAS a host BLAS is needed: apt-get install libopenblas-dev"; }
  say "building Kokkos Kernels with $jobs jobs"
  logged "$build_root/kokkos-kernels.log" "Kokkos Kernels failed to build" \
    cmake --build "$build_root/kokkos-kernels" -j "$jobs"
  cmake --install "$build_root/kokkos-kernels" >/dev/null
  echo "$stamp" > "$stamp_file"
  say "built and installed into $prefix in $((SECONDS - started)) s"
}

# --- The check: reductions, team scratch and a KokkosBlas::gemm on device views ---
amd_gpu_visible() {
  command -v rocminfo >/dev/null 2>&1 && rocminfo 2>/dev/null | grep -q 'Name: *gfx'
}

run_check() {
  local gfx
  gfx="$(gfx_of "$arch")" || gfx="$HCC_AMDGPU_TARGET"
  build_check_program
  local program="$build_root/check/kokkos-hip-check"
  say "check program built: $program"
  if command -v roc-obj-ls >/dev/null 2>&1; then
    roc-obj-ls "$program" | grep -q -- "--$gfx\b" ||
      die "the check program holds no $gfx code object (roc-obj-ls $program)"
    say "it holds $gfx code objects"
  fi
  if amd_gpu_visible; then
    "$program" || die "the check program failed on this GPU"
  else
    say "no AMD GPU here: compiled and linked, not run"
  fi
}

find_hipcc
if [[ -n "$kokkos_root" ]]; then
  use_site_kokkos "$kokkos_root" "$kernels_root"
else
  build_from_debian_source
  cmake_args_for_strata "$prefix" "$prefix" "$hipcc"
fi
((check)) && run_check
exit 0
