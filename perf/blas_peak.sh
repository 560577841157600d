#!/usr/bin/env bash
# Runs perf_blas_peak once per BLAS setting and prints one table of median
# one-core SGEMM GFLOP/s (docs/blas.md). OPENBLAS_CORETYPE is read when
# libopenblas loads, so every setting needs its own process.
#   perf/blas_peak.sh [build-dir] [extra benchmark args...]
# Extra settings, when the libraries are unpacked somewhere (apt-get download
# + dpkg-deb -x, no install needed):
#   STRATA_BLIS_LIB=/path/libblis.so.4          BLIS via LD_PRELOAD
#   STRATA_OPENBLAS_OMP_DIR=/path/openblas-openmp  OpenBLAS OpenMP build
set -euo pipefail

build=${1:-build/release}
shift || true
bin="$build/perf/perf_blas_peak"
[[ -x "$bin" ]] || { echo "no $bin; build the perf_blas_peak target first" >&2; exit 1; }
out=$(mktemp -d)
common=(--benchmark_repetitions=3 --benchmark_report_aggregates_only=true
        --benchmark_format=json "$@")

run() {  # run <label> <env assignments...>
  local label=$1; shift
  echo "== $label" >&2
  env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 "$@" \
    "$bin" "${common[@]}" > "$out/$label.json"
}

# detect: OpenBLAS's own CPU detection, Strata's re-exec switched off.
run detect STRATA_BLAS_AUTOTUNE=0
for core in Haswell Zen SkylakeX; do run "$core" OPENBLAS_CORETYPE=$core; done
# strata: what an app gets with nothing set (ensure_blas_tuning decides);
# strata-force: a site that exports OPENBLAS_CORETYPE=Haswell, overridden by
# STRATA_BLAS_AUTOTUNE=force (one re-exec to SkylakeX on AVX-512 CPUs).
run strata
run strata-force OPENBLAS_CORETYPE=Haswell STRATA_BLAS_AUTOTUNE=force
if [[ -n "${STRATA_OPENBLAS_OMP_DIR:-}" ]]; then
  run openmp-detect STRATA_BLAS_AUTOTUNE=0 LD_LIBRARY_PATH="$STRATA_OPENBLAS_OMP_DIR"
fi
if [[ -n "${STRATA_BLIS_LIB:-}" ]]; then
  run blis STRATA_BLAS_AUTOTUNE=0 LD_PRELOAD="$STRATA_BLIS_LIB"
fi

python3 - "$out" <<'EOF'
import json, pathlib, sys
runs = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.json"), key=lambda p: p.stat().st_mtime):
    data = json.loads(path.read_text())
    core = data["context"].get("blas", "?")
    medians = {b["run_name"]: b["FLOPS"] / 1e9 for b in data["benchmarks"]
               if b.get("aggregate_name") == "median"}
    runs[path.stem] = (core, medians)
labels = list(runs)
print("settings:")
for label in labels:
    print(f"  {label}: {runs[label][0]}")
names = list(runs[labels[0]][1])
print("| shape (M N K tA tB) | " + " | ".join(labels) + " |")
print("|---|" + "---:|" * len(labels))
for name in names:
    shape = " ".join(part.split(":")[1] for part in name.split("/")[1:]) or name
    cells = [f"{runs[l][1].get(name, float('nan')):.0f}" for l in labels]
    print(f"| {shape} | " + " | ".join(cells) + " |")
EOF
rm -rf "$out"
