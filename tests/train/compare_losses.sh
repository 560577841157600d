# Sourced by the layout checks. compare_losses <one-rank metrics.csv> <metrics.csv>:
# every step of the second run has the first's loss within 1e-5 relative
# (DESIGN.md rule 1), and it has at least one step.
compare_losses() {
  awk -F, 'NR == FNR { if (FNR > 1) want[$1] = $2; next }
           FNR > 1 { n++; d = $2 - want[$1]; if (d < 0) d = -d
                     if (!($1 in want) || d > 1e-5 * want[$1]) {
                       printf "FAIL: %s step %s loss %s vs one rank %s\n", FILENAME, $1, $2, want[$1]
                       bad = 1 } }
           END { if (bad || n == 0) exit 1; printf "%s: %d steps equal to one rank\n", FILENAME, n }' \
    "$1" "$2"
}
