# Sourced by the layout checks. compare_losses <one-rank metrics.csv> <metrics.csv>:
# every step of the second run has the first's loss within 1e-5 relative
# (DESIGN.md rule 1), and it has at least one step. compare_grad_norms: the
# same for the gradient norm (column 5), which a layout computes from its
# own pieces.
compare_column() {
  awk -F, -v col="$1" -v what="$2" '
    NR == FNR { if (FNR > 1) want[$1] = $col; next }
    FNR > 1 { n++; d = $col - want[$1]; if (d < 0) d = -d
              if (!($1 in want) || d > 1e-5 * want[$1]) {
                printf "FAIL: %s step %s %s %s vs one rank %s\n", FILENAME, $1, what, $col, want[$1]
                bad = 1 } }
    END { if (bad || n == 0) exit 1
          printf "%s: %d steps, %s equal to one rank\n", FILENAME, n, what }' "$3" "$4"
}
compare_losses() { compare_column 2 loss "$1" "$2"; }
compare_grad_norms() { compare_column 5 grad_norm "$1" "$2"; }
