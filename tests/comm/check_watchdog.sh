#!/usr/bin/env bash
# check_watchdog.sh abort|abort-started|finish <mpirun> <comm_watchdog_probe>
# abort, abort-started:  the job must fail (not by this script's own time limit) within a
#         few seconds of the probe's 2 s timeout, and stderr must hold exactly
#         one watchdog line naming the operation, count, dtype, group, both
#         ranks, the timeout and its config key.
# finish: late ranks within (or without) a limit must not trip the watchdog.
set -u
mode=$1 mpirun=$2 probe=$3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

SECONDS=0
timeout 45 "$mpirun" --oversubscribe -np 2 "$probe" "$mode" >"$out" 2>"$err"
status=$?
elapsed=$SECONDS

fail() {
  echo "FAIL ($mode): $1" >&2
  echo "  exit status $status after ${elapsed} s; stdout:" >&2
  sed 's/^/    | /' "$out" >&2
  echo "  stderr:" >&2
  sed 's/^/    | /' "$err" >&2
  exit 1
}

watchdog_lines=$(grep -c 'comm watchdog' "$err")
case "$mode" in
  abort | abort-started)
    ((status == 124)) && fail "the job hung until this script's 45 s limit"
    ((status == 0)) && fail "the job succeeded; rank 0 should have aborted"
    ((elapsed > 25)) && fail "the abort took ${elapsed} s for a 2 s timeout"
    grep -q 'returned although' "$out" && fail "the all_reduce returned on rank 0"
    ((watchdog_lines == 1)) || fail "expected one watchdog line, found $watchdog_lines"
    line=$(grep 'comm watchdog' "$err")
    for pattern in "all_reduce of 1024 fp32 elements" "group 'dp'" "world rank 0" \
      "group rank 0 of 2" "within 2 s" "\[comm\] timeout_s = 2" "skipped this collective" \
      "raise \[comm\] timeout_s"; do
      grep -Eq -- "$pattern" <<<"$line" || fail "the watchdog line does not match /$pattern/"
    done
    ;;
  finish)
    ((status == 0)) || fail "the job failed"
    ((watchdog_lines == 0)) || fail "the watchdog fired"
    grep -q 'finished both all_reduces' "$out" || fail "rank 0 did not report success"
    ;;
  *) echo "usage: check_watchdog.sh abort|abort-started|finish <mpirun> <probe>" >&2; exit 2 ;;
esac
echo "ok ($mode): exit $status after ${elapsed} s"
grep 'comm watchdog' "$err"
exit 0
