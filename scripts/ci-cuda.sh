#!/usr/bin/env bash
# The CUDA CI job. Needs the CUDA toolkit (CUDA_HOME, default /usr/local/cuda,
# with cuBLAS and NCCL), not a GPU; without a toolkit it says so and stops
# cleanly.
#  1. The CUDA backend (NCCL transport, cuBLAS GEMMs, pinned memory;
#     src/backends/cuda) is compiled, linked and tested: without a GPU its
#     tests check that every entry point refuses with the binding fix.
#  2. Strata's libraries and apps are compiled and linked with the CUDA
#     Kokkos (nvcc_wrapper), which scripts/build-kokkos-cuda.sh builds once
#     into a cache that outlives clean clones (STRATA_CACHE_DIR, default
#     ~/.cache/strata): about 20 minutes on 2 cores the first time, nothing
#     after. Nothing runs on a device here; docs/gpu.md has what ran on an
#     H100.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}"
if [[ ! -x "$CUDA_HOME/bin/nvcc" ]]; then
  echo "ci-cuda: no CUDA toolkit at $CUDA_HOME (no bin/nvcc); the CUDA job has nothing to build." \
       "Set CUDA_HOME to a toolkit with NCCL to run it."
  exit 0
fi
scripts/install-deps.sh build
cmake --preset cuda-backend >/dev/null
cmake --build --preset cuda-backend -j "$(nproc)"
ctest --preset cuda-backend -j "$(nproc)"

cache="${STRATA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/strata}"
scripts/build-kokkos-cuda.sh --prefix "$cache/kokkos-cuda" --cuda-root "$CUDA_HOME" --check
mapfile -t kokkos_args < "$cache/kokkos-cuda/strata-cmake-args.txt"
export PATH="$CUDA_HOME/bin:$PATH"  # nvcc_wrapper calls nvcc
cmake -S . -B build/cuda -DCMAKE_BUILD_TYPE=Release -DSTRATA_BUILD_TESTS=OFF \
  -DSTRATA_BUILD_PERF=OFF "${kokkos_args[@]}" >/dev/null
cmake --build build/cuda -j "$(nproc)"
echo "ci-cuda: the CUDA backend's tests passed; Strata compiled and linked with the CUDA Kokkos"
