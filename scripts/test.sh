#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the
# whole test suite (unit, multi-rank, reference and end-to-end tests).
# Extra arguments go to ctest, e.g. scripts/test.sh -R tokenizer
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-deps.sh test
scripts/fetch-data.sh
scripts/build.sh release
ctest --preset release -j "$(nproc)" "$@"
