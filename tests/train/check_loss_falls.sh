#!/usr/bin/env bash
# check_loss_falls.sh <strata-train> <deck> <token file> <run dir> <steps>
# Trains the deck briefly and checks what the run leaves behind: the files
# DESIGN.md lists, one metrics row per step, and a loss that falls by at
# least a third from the first step to the mean of the last five.
set -euo pipefail
train=$1 deck=$2 tokens=$3 dir=$4 steps=$5
rm -rf "$dir"
"$train" "$deck" --data.path="$tokens" --output.dir="$dir" --train.steps="$steps" \
  --train.eval_every="$steps" --checkpoint.every=0 --log.every=10
for f in config.resolved.ini log.txt metrics.csv ledger.json; do
  [[ -s "$dir/$f" ]] || { echo "FAIL: $dir/$f missing or empty" >&2; exit 1; }
done
rows=$(($(wc -l <"$dir/metrics.csv") - 1))
((rows == steps)) || { echo "FAIL: $rows metrics rows for $steps steps" >&2; exit 1; }
grep -q "final train loss" "$dir/log.txt" || { echo "FAIL: no summary in log.txt" >&2; exit 1; }
awk -F, -v steps="$steps" '
  NR == 2 { first = $2 }
  NR > steps - 4 { tail += $2; n++ }
  END {
    last = tail / n
    printf "first loss %.4f, mean of last five %.4f, val %s\n", first, last, $3
    if (!(last < first * 2 / 3)) { print "FAIL: the loss did not fall" > "/dev/stderr"; exit 1 }
    if ($3 == "") { print "FAIL: no val_loss on the last step" > "/dev/stderr"; exit 1 }
  }' "$dir/metrics.csv"
