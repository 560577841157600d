#!/usr/bin/env bash
# The CUDA CI job: compiles and links the CUDA backend (NCCL transport,
# cuBLAS GEMMs, pinned memory; src/backends/cuda) against the CUDA toolkit
# and runs its tests, which need no GPU: without one they check that every
# entry point refuses with the binding fix. CUDA_HOME picks the toolkit
# (default /usr/local/cuda); without one the job says so and stops cleanly.
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
