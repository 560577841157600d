#!/usr/bin/env bash
# Installs the Debian 12 packages Strata needs, only those missing.
#   scripts/install-deps.sh build   # compilers, MPI, Kokkos, HDF5, ... and node/npm
#   scripts/install-deps.sh test    # the above plus the reference tools for tests
# Debian's apt verifies every package against the archive's signed checksums;
# the versions are those of Debian 12 (bookworm), listed in docs/dependencies.md.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config
  libopenmpi-dev openmpi-bin
  libtrilinos-kokkos-dev libtrilinos-kokkos-kernels-dev libopenblas-dev
  libhdf5-openmpi-dev
  libboost-program-options-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Reference implementations the tests compare against.
test_packages=(python3 python3-numpy python3-h5py python3-torch)

wanted=("${build_packages[@]}")
[[ "${1:-build}" == "test" ]] && wanted+=("${test_packages[@]}")

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# node and npm fetch the tokenizer vocabulary and corpus and run the reference
# encoder; any install that provides the commands will do (Debian's or another).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]} == 0)); then
  echo "[deps] all Debian packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "[deps] error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "[deps] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
