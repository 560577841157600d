#!/usr/bin/env bash
# check_sequence_parallel.sh <mpirun> <strata-train> <deck> <token file> <scratch dir> <N>
# Rule 1 through the app for Ulysses sequence parallelism: with one global
# batch of 12 rows, one rank, sp 2 (np 2, each rank half of every sequence),
# sp 2 x dp 2 under ZeRO-2 (np 4, 6 rows per replica) and sp 2 with every
# block checkpointed (np 2) run N steps, and
# every loss equals the one-rank loss of its step within 1e-5 relative.
set -euo pipefail
mpirun=$1 train=$2 deck=$3 tokens=$4 scratch=$5 n=$6
rm -rf "$scratch"
common=(--data.path="$tokens" --train.decay_steps="$n" --train.warmup_steps=2 --train.eval_every=0
        --log.every=100 --train.steps="$n" --checkpoint.every=0)

"$train" "$deck" "${common[@]}" --output.dir="$scratch/one" >/dev/null
"$mpirun" --oversubscribe -np 2 "$train" "$deck" "${common[@]}" --output.dir="$scratch/sp2" \
  --parallel.sp=2 | tee "$scratch/sp2.out"
grep -q "1 data-parallel rank(s) x 2 sequence-parallel (Ulysses)" "$scratch/sp2.out" ||
  { echo "FAIL: the sp 2 run did not report its layout" >&2; exit 1; }
"$mpirun" --oversubscribe -np 4 "$train" "$deck" "${common[@]}" --output.dir="$scratch/sp2dp2" \
  --parallel.sp=2 --train.micro_batch=6 --zero.stage=2 >/dev/null

# Recomputation under Ulysses redoes the block's all-to-alls; still exact.
"$mpirun" --oversubscribe -np 2 "$train" "$deck" "${common[@]}" --output.dir="$scratch/sp2ckpt" \
  --parallel.sp=2 --activation_checkpointing.enabled=true >/dev/null

. "$(dirname "$0")/compare_losses.sh"
compare() { compare_losses "$scratch/one/metrics.csv" "$1"; }
compare "$scratch/sp2/metrics.csv"
compare "$scratch/sp2dp2/metrics.csv"
compare "$scratch/sp2ckpt/metrics.csv"
