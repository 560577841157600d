#!/usr/bin/env bash
# check_activation_checkpointing.sh <strata-train> <deck> <token file> <scratch dir> <steps>
# Through the app: a run with every block checkpointed and one with the
# first two report how many blocks they checkpoint, and their loss, val_loss,
# lr and grad_norm columns equal, digit for digit, those of a run without.
set -euo pipefail
train=$1 deck=$2 tokens=$3 scratch=$4 steps=$5
rm -rf "$scratch"
common=(--data.path="$tokens" --train.steps="$steps" --train.warmup_steps=2 --train.eval_every=2
        --train.eval_steps=2 --log.every=100)

"$train" "$deck" "${common[@]}" --output.dir="$scratch/off" > "$scratch.off.log"
"$train" "$deck" "${common[@]}" --output.dir="$scratch/all" \
  --activation_checkpointing.enabled=true > "$scratch.all.log"
"$train" "$deck" "${common[@]}" --output.dir="$scratch/two" \
  --activation_checkpointing.enabled=true --activation_checkpointing.num_blocks=2 > "$scratch.two.log"

layers=$(sed -n 's/^n_layer *= *//p' "$deck")
for run in off:0 all:$layers two:2; do
  name=${run%%:*} blocks=${run##*:}
  grep -q "activation checkpointing: $blocks of $layers blocks" "$scratch.$name.log" ||
    { echo "FAIL: the $name run does not report $blocks checkpointed blocks" >&2; exit 1; }
done
columns() { cut -d, -f1-5 "$1"; }
for name in all two; do
  if ! diff <(columns "$scratch/off/metrics.csv") <(columns "$scratch/$name/metrics.csv"); then
    echo "FAIL: the $name run's metrics differ from the run without checkpointing" >&2
    exit 1
  fi
done
[[ $(wc -l < "$scratch/off/metrics.csv") -eq $((steps + 1)) ]] ||
  { echo "FAIL: expected $steps metrics rows" >&2; exit 1; }
echo "checkpointed runs equal the plain run over $steps steps"
