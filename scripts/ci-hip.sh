#!/usr/bin/env bash
# The HIP CI job. Needs hipcc and the HIP runtime (Debian 12: hipcc and
# libamdhip64-dev, ROCm 5.2, installed here when missing), not a GPU; where
# they cannot be installed it says so and stops cleanly.
#   The HIP backend (pinned memory, the dtype conversion kernels;
#   src/backends/hip) is compiled, its kernels by hipcc for gfx90a (MI250X),
#   linked and tested: without an AMD GPU its tests check that every entry
#   point refuses with the binding fix, and that the test binary carries a
#   gfx90a code object. RCCL and rocBLAS are not in Debian 12 and nothing
#   here uses them (docs/gpu.md). About 20 seconds on 2 cores, after the packages.
#   Then Strata's libraries and apps are compiled and linked with a HIP
#   Kokkos for gfx90a, which scripts/build-kokkos-hip.sh builds once into
#   the cache that ci-cuda.sh uses (STRATA_CACHE_DIR, default
#   ~/.cache/strata): about 2.5 minutes the first time, then about 2.5
#   minutes for Strata. Nothing runs on a device.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Stops the job cleanly: this machine cannot have hipcc.
no_hipcc() {
  echo "ci-hip: $1; the HIP job has nothing to build. Install hipcc and libamdhip64-dev to run it."
  exit 0
}
# Debian: install the two packages when missing. Elsewhere (a ROCm
# install) hipcc must already be on PATH.
if command -v dpkg-query >/dev/null 2>&1; then
  hip_packages=(hipcc libamdhip64-dev)
  missing=()
  for package in "${hip_packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} > 0)); then
    command -v apt-get >/dev/null 2>&1 || no_hipcc "no apt-get to install ${missing[*]}"
    sudo=""
    if [[ $(id -u) -ne 0 ]]; then
      command -v sudo >/dev/null 2>&1 || no_hipcc "need root or sudo to install ${missing[*]}"
      sudo="sudo"
    fi
    echo "[ci-hip] installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q || no_hipcc "apt-get update failed"
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" ||
      no_hipcc "apt-get could not install ${missing[*]}"
  fi
elif ! command -v hipcc >/dev/null 2>&1; then
  no_hipcc "no hipcc on PATH and no Debian packaging to install it"
fi

scripts/install-deps.sh build
cmake --preset hip-backend >/dev/null
cmake --build --preset hip-backend -j "$(nproc)"
ctest --preset hip-backend -j "$(nproc)"

cache="${STRATA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/strata}"
# hipcc asks the GPU for its arch when none is given (compiler probes,
# links); there is none here, so name the one we build for.
export HCC_AMDGPU_TARGET="${HCC_AMDGPU_TARGET:-gfx90a}"
scripts/build-kokkos-hip.sh --prefix "$cache/kokkos-hip" --check
mapfile -t kokkos_args < "$cache/kokkos-hip/strata-cmake-args.txt"
cmake -S . -B build/hip -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_TESTS=OFF \
  -DSTRATA_BUILD_PERF=OFF "${kokkos_args[@]}" >/dev/null
cmake --build build/hip -j "$(nproc)"
echo "ci-hip: the HIP backend's tests passed (kernels compiled by hipcc for gfx90a);" \
     "Strata compiled and linked with the HIP Kokkos for gfx90a"
