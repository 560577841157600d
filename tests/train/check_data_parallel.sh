#!/usr/bin/env bash
# check_data_parallel.sh <mpirun> <strata-train> <deck> <token file> <scratch dir> <N>
# Rule 1 and rule 5 through the app: with one global batch of 12 rows (the
# deck's 12 on one rank, 6 per rank on two),
#  - one rank (stage 0) runs 2N steps, checkpointing at N;
#  - 2 ranks at ZeRO-3 run the same 2N steps;
#  - 2 ranks at ZeRO-1 resume from the ONE-rank step-N checkpoint;
# and every loss of the 2-rank runs equals the one-rank loss of its step
# within 1e-5 relative (fp32; only the summation order differs).
set -euo pipefail
mpirun=$1 train=$2 deck=$3 tokens=$4 scratch=$5 n=$6
rm -rf "$scratch"
common=(--data.path="$tokens" --train.decay_steps=$((2 * n)) --train.warmup_steps=2 --train.eval_every=0
        --log.every=100 --train.steps=$((2 * n)))

"$train" "$deck" "${common[@]}" --output.dir="$scratch/one" --checkpoint.every="$n"
"$mpirun" --oversubscribe -np 2 "$train" "$deck" "${common[@]}" --output.dir="$scratch/zero3" \
  --train.micro_batch=6   --zero.stage=3 --zero.param_persistence_threshold=1000 --zero.reduce_bucket_size=20000 \
  --zero.overlap_comm=true
mkdir -p "$scratch/zero1/checkpoints"
cp "$scratch/one/checkpoints/step-$n.h5" "$scratch/zero1/checkpoints/"
"$mpirun" --oversubscribe -np 2 "$train" "$deck" "${common[@]}" --output.dir="$scratch/zero1" \
  --train.micro_batch=6   --zero.stage=1 --checkpoint.resume="$scratch/zero1/checkpoints/step-$n.h5" |
  tee "$scratch/zero1.out"
grep -q "resumed from .*step-$n.h5 at step $n" "$scratch/zero1.out" ||
  { echo "FAIL: the ZeRO-1 run did not resume from the one-rank checkpoint" >&2; exit 1; }
grep -q "2 data-parallel rank(s), ZeRO stage 1" "$scratch/zero1.out" ||
  { echo "FAIL: the ZeRO-1 run did not report its layout" >&2; exit 1; }

. "$(dirname "$0")/compare_losses.sh"
compare() { compare_losses "$scratch/one/metrics.csv" "$1"; }
compare "$scratch/zero3/metrics.csv"
compare "$scratch/zero1/metrics.csv"
