#!/usr/bin/env bash
# check_tensor_parallel.sh <mpirun> <strata-train> <deck> <token file> <scratch dir> <N>
# Rule 1 through the app for Megatron tensor parallelism, the issue's
# layouts, each with and without every block checkpointed: tp 2, tp 4,
# tp 2 x sp 2, tp 2 x dp 2 under ZeRO-3 (6 rows per replica of the global
# 12), and all three at once, tp 2 x sp 2 x dp 2 under ZeRO-3 (8 ranks). Every loss and gradient norm equals the one-rank run's of its
# step within 1e-5 relative. Then checkpoints across layouts: the tp 2 x
# dp 2 ZeRO-3 run's step-N/2 checkpoint resumes on one rank and at tp 4,
# and both finish on the one-rank trajectory.
set -euo pipefail
mpirun=$1 train=$2 deck=$3 tokens=$4 scratch=$5 n=$6
rm -rf "$scratch"
common=(--data.path="$tokens" --train.decay_steps="$n" --train.warmup_steps=2 --train.eval_every=0
        --log.every=100 --train.steps="$n" --checkpoint.every=0)
. "$(dirname "$0")/compare_losses.sh"

"$train" "$deck" "${common[@]}" --output.dir="$scratch/one" >/dev/null
run() {  # run <name> <np> <options...>: plain, then with checkpointing
  local name=$1 np=$2
  shift 2
  for ckpt in false true; do
    local dir="$scratch/$name-ckpt-$ckpt"
    "$mpirun" --oversubscribe --bind-to none -np "$np" "$train" "$deck" "${common[@]}" \
      --output.dir="$dir" --activation_checkpointing.enabled=$ckpt "$@" >"$dir.out"
    compare_losses "$scratch/one/metrics.csv" "$dir/metrics.csv"
    compare_grad_norms "$scratch/one/metrics.csv" "$dir/metrics.csv"
  done
}
run tp2 2 --parallel.tp=2
grep -q "1 data-parallel rank(s) x 2 tensor-parallel (Megatron)" "$scratch/tp2-ckpt-false.out" ||
  { echo "FAIL: the tp 2 run did not report its layout" >&2; exit 1; }
run tp4 4 --parallel.tp=4
run tp2sp2 4 --parallel.tp=2 --parallel.sp=2
run tp2dp2-zero3 4 --parallel.tp=2 --train.micro_batch=6 --zero.stage=3 \
  --checkpoint.every=$((n / 2))
run tp2sp2dp2-zero3 8 --parallel.tp=2 --parallel.sp=2 --train.micro_batch=6 --zero.stage=3

half="$scratch/tp2dp2-zero3-ckpt-false/checkpoints/step-$((n / 2)).h5"
[[ -f "$half" ]] || { echo "FAIL: the tp 2 x dp 2 run wrote no $half" >&2; exit 1; }
resume() {  # resume <name> <np> <options...>: from the TP checkpoint to step N
  local name=$1 np=$2
  shift 2
  local dir="$scratch/$name"
  "$mpirun" --oversubscribe --bind-to none -np "$np" "$train" "$deck" "${common[@]}" \
    --output.dir="$dir" --checkpoint.resume="$half" "$@" >"$dir.out"
  grep -q "resumed from .*step-$((n / 2)).h5 at step $((n / 2))" "$dir.out" ||
    { echo "FAIL: $name did not resume from the TP checkpoint" >&2; exit 1; }
  compare_losses "$scratch/one/metrics.csv" "$dir/metrics.csv"
}
resume one-from-tp 1
resume tp4-from-tp 4 --parallel.tp=4

