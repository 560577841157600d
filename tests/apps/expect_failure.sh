#!/usr/bin/env bash
# expect_failure.sh <regex> [<regex> ...] -- <command ...>
# Passes only if the command fails the way Strata promises: a non-zero exit
# that is not a crash (signal) or a timeout, stderr matching every regex
# (grep -E; typically the file/option and the fix), and no raw HDF5 or C++
# runtime diagnostics leaking out.
set -u
patterns=()
while (($# > 0)) && [[ "$1" != "--" ]]; do patterns+=("$1"); shift; done
if (($# < 2)) || ((${#patterns[@]} == 0)); then
  echo "usage: expect_failure.sh <regex> [<regex> ...] -- <command ...>" >&2
  exit 2
fi
shift  # the --

stderr_file=$(mktemp)
trap 'rm -f "$stderr_file"' EXIT
"$@" >/dev/null 2>"$stderr_file"
status=$?
stderr=$(cat "$stderr_file")

fail() {
  echo "FAIL: $1" >&2
  echo "  command: $*" >&2
  echo "  exit status: $status" >&2
  echo "  stderr:" >&2
  sed 's/^/    | /' "$stderr_file" >&2
  exit 1
}

((status == 0)) && fail "the command succeeded; it should have failed"
((status >= 124)) && fail "the command crashed, timed out or was killed (status $status)"
for pattern in "${patterns[@]}"; do
  grep -Eq -- "$pattern" <<<"$stderr" || fail "stderr does not match /$pattern/"
done
for leak in "HDF5-DIAG" "terminate called" "Segmentation fault" "what\\(\\):"; do
  grep -Eq -- "$leak" <<<"$stderr" && fail "stderr shows a raw diagnostic (/$leak/)"
done
echo "ok: exit $status; stderr:"
sed 's/^/    | /' "$stderr_file"
exit 0
