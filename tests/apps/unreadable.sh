#!/usr/bin/env bash
# unreadable.sh input|output <scratch dir> <strata-prep> <expect_failure.sh>
# Makes an input file that cannot be read, or an output directory that
# cannot be written, and checks strata-prep's error. chmod stops neither for
# root (CI runs as root), so as root we use what the kernel refuses even to
# root: reading /proc/self/mem at offset 0 fails with EIO, and a path under
# a regular file cannot be created (ENOTDIR). These stand in for the
# permission cases; as a normal user the real chmod cases run.
set -u
what=$1 dir=$2 prep=$3 expect=$4
rm -rf "$dir" && mkdir -p "$dir"
printf 'some text\n' >"$dir/text.txt"
if [[ "$what" == input ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    input=/proc/self/mem pattern="cannot read /proc/self/mem"
  else
    chmod 000 "$dir/text.txt"
    input="$dir/text.txt" pattern="cannot open .*text.txt: Permission denied"
  fi
  "$expect" "--input $input" "$pattern" "fix: make it readable" -- \
    "$prep" --input "$input" --output "$dir/out.h5" --tokenizer char
else
  if [[ $(id -u) -eq 0 ]]; then
    output="$dir/text.txt/out.h5" pattern="is not a directory"
  else
    mkdir -p "$dir/locked" && chmod 555 "$dir/locked"
    output="$dir/locked/out.h5" pattern="cannot write in .*locked: Permission denied"
  fi
  "$expect" "--output $output" "$pattern" "fix: choose" -- \
    "$prep" --input "$dir/text.txt" --output "$output" --tokenizer char
fi
status=$?
chmod -R u+rwx "$dir" 2>/dev/null
exit $status
