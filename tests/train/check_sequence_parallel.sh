#!/usr/bin/env bash
# check_sequence_parallel.sh <mpirun> <strata-train> <deck> <token file> <scratch dir> <N>
# Rule 1 through the app for Ulysses sequence parallelism: with one global
# batch of 12 rows, one rank, sp 2 (np 2, each rank half of every sequence),
# sp 4 (np 4) and sp 2 x dp 2 under ZeRO-2 (np 4, 6 rows per replica), each
# with and without every block checkpointed, run N steps, and every loss
# equals the one-rank loss of its step within 1e-5 relative.
set -euo pipefail
mpirun=$1 train=$2 deck=$3 tokens=$4 scratch=$5 n=$6
rm -rf "$scratch"
common=(--data.path="$tokens" --train.decay_steps="$n" --train.warmup_steps=2 --train.eval_every=0
        --log.every=100 --train.steps="$n" --checkpoint.every=0)

"$train" "$deck" "${common[@]}" --output.dir="$scratch/one" >/dev/null
. "$(dirname "$0")/compare_losses.sh"
"$mpirun" --oversubscribe -np 2 "$train" "$deck" "${common[@]}" --output.dir="$scratch/sp2" \
  --parallel.sp=2 | tee "$scratch/sp2.out"
grep -q "1 data-parallel rank(s) x 2 sequence-parallel (Ulysses)" "$scratch/sp2.out" ||
  { echo "FAIL: the sp 2 run did not report its layout" >&2; exit 1; }
compare_losses "$scratch/one/metrics.csv" "$scratch/sp2/metrics.csv"
# Recomputation under Ulysses redoes the block's all-to-alls; still exact.
"$mpirun" --oversubscribe -np 2 "$train" "$deck" "${common[@]}" --output.dir="$scratch/sp2ckpt" \
  --parallel.sp=2 --activation_checkpointing.enabled=true >/dev/null
compare_losses "$scratch/one/metrics.csv" "$scratch/sp2ckpt/metrics.csv"
for ckpt in false true; do
  "$mpirun" --oversubscribe --bind-to none -np 4 "$train" "$deck" "${common[@]}" \
    --output.dir="$scratch/sp4-$ckpt" --parallel.sp=4 --activation_checkpointing.enabled=$ckpt \
    >/dev/null
  compare_losses "$scratch/one/metrics.csv" "$scratch/sp4-$ckpt/metrics.csv"
  "$mpirun" --oversubscribe --bind-to none -np 4 "$train" "$deck" "${common[@]}" \
    --output.dir="$scratch/sp2dp2-$ckpt" --parallel.sp=2 --train.micro_batch=6 --zero.stage=2 \
    --activation_checkpointing.enabled=$ckpt >/dev/null
  compare_losses "$scratch/one/metrics.csv" "$scratch/sp2dp2-$ckpt/metrics.csv"
done
