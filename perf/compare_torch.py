#!/usr/bin/python3
"""Side-by-side one-core training speed: strata-train against PyTorch.

Owns the comparison's fairness rules: both sides on the same single core
(taskset), one thread (OMP/OPENBLAS_NUM_THREADS=1), the same BLAS setting,
runs interleaved (the side that goes first alternating), >= 3 repetitions each;
and the MFU denominator, the best one-core SGEMM rate torch.mm reaches (2048^2
float32, best of 5, in every repetition) under each setting's OPENBLAS_CORETYPE.
Strata's own SGEMM probe and metrics.csv mfu are reported beside it. Settings:
  as-is      the caller's environment as it is (OPENBLAS_CORETYPE included);
             Strata's re-exec off (STRATA_BLAS_AUTOTUNE=0)
  detect     OPENBLAS_CORETYPE unset: OpenBLAS picks its kernels from its CPU
             table; Strata's re-exec off
  tuned      OPENBLAS_CORETYPE=SkylakeX on both sides (only on AVX-512 CPUs)
  tuned-omp  tuned, and torch on Debian's OpenMP OpenBLAS via LD_PRELOAD
             (unpacked libopenblas0-openmp; --openblas-openmp names it)

  /usr/bin/python3 perf/compare_torch.py --tokens-char char.h5 --tokens-gpt2 gpt2.h5
      [--strata-train build/release/bin/strata-train] [--configs tiny,small,gpt2-124M]
      [--settings tuned,as-is] [--reps 3] [--core 0]
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PYTHON = "/usr/bin/python3"  # Debian's, with torch
# name: (n_layer, n_head, n_embd, block, batch, vocab, timed steps, warm-up steps)
# (runs of 60, 20 and 8 steps in all; the first few are warm-up, left out of the median)
CONFIGS = {
    "tiny": (4, 4, 128, 64, 12, 65, 55, 5),
    "small": (6, 6, 384, 256, 8, 65, 17, 3),
    "gpt2-124M": (12, 12, 768, 256, 4, 50304, 6, 2),
}
OPENMP_BLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0"
PEAK_SNIPPET = """
import time, torch
torch.set_num_threads(1)
a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
torch.mm(a, b)
times = []
for _ in range(5):
    t = time.perf_counter(); torch.mm(a, b); times.append(time.perf_counter() - t)
print(f"gflops={2 * 2048**3 / min(times) / 1e9:.2f}")
"""


def flops_per_token(n_layer, n_embd, block, vocab):
    """Training matmul FLOPs per token: 3x forward (weights 24 L C^2, LM head
    2 C V, attention scores and mixing 4 L T C, counted as PaLM does)."""
    return 3 * (24 * n_layer * n_embd ** 2 + 2 * n_embd * vocab + 4 * n_layer * block * n_embd)


def has_avx512():
    with open("/proc/cpuinfo") as f:
        flags = next((l for l in f if l.startswith("flags")), "").split()
    return all(f in flags for f in ("avx512f", "avx512bw", "avx512dq", "avx512vl"))


def environment(setting, side, openmp_blas):
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "STRATA_BLAS_AUTOTUNE")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if setting in ("as-is", "detect"):
        env["STRATA_BLAS_AUTOTUNE"] = "0"
    if setting != "as-is":
        env.pop("OPENBLAS_CORETYPE", None)
    if setting.startswith("tuned") and has_avx512():
        env["OPENBLAS_CORETYPE"] = "SkylakeX"
    if setting == "tuned-omp" and side == "torch":
        env["LD_PRELOAD"] = openmp_blas
    return env


def run(cmd, env, core, log):
    full = ["taskset", "-c", str(core)] + cmd
    log.write("$ " + " ".join(full) + "\n")
    log.flush()
    proc = subprocess.run(full, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log.write(proc.stdout)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}; see the log")
    return proc.stdout


def last_value(text, key):
    return float([l for l in text.splitlines() if l.startswith(key + "=")][-1].split("=", 1)[1])


def token_file(name, args):
    return args.tokens_gpt2 if CONFIGS[name][5] > 65 else args.tokens_char


def torch_rate(name, setting, args, log):
    L, H, C, T, B, V, steps, warm = CONFIGS[name]
    cmd = [PYTHON, os.path.join(REPO, "perf", "torch_gpt.py"), f"--n-layer={L}", f"--n-head={H}",
           f"--n-embd={C}", f"--block={T}", f"--batch={B}", f"--vocab={V}", f"--steps={steps}",
           f"--warmup={warm}", "--threads=1", f"--tokens={token_file(name, args)}"]
    return last_value(run(cmd, environment(setting, "torch", args.openblas_openmp), args.core, log),
                      "tokens_per_s")


PROBES = {}   # (config, setting) -> [strata's own SGEMM probe, GFLOP/s, per run]
OWN_MFU = {}  # (config, setting) -> [median of metrics.csv's mfu (against that probe), per run]


def strata_rate(name, setting, args, log):
    L, H, C, T, B, V, steps, warm = CONFIGS[name]
    out = tempfile.mkdtemp(prefix=f"strata-{name}-")
    try:
        # The deck's model; the shapes, step count and a plain schedule from here, so
        # both sides do the same work per step (the decks may use longer contexts,
        # accumulation, warm-up and evaluation).
        cmd = [args.strata_train, os.path.join(args.inputs, f"{name}.ini"), f"--output.dir={out}",
               f"--train.steps={steps + warm}", f"--model.n_layer={L}", f"--model.n_head={H}",
               f"--model.n_embd={C}", f"--model.block_size={T}", f"--model.vocab_size={V}",
               f"--data.path={token_file(name, args)}",
               f"--data.tokenizer={'gpt2' if V > 65 else 'char'}", f"--train.micro_batch={B}",
               "--train.grad_accum=1", "--train.global_batch=0", "--train.lr_schedule=constant",
               "--train.warmup_steps=0", "--train.eval_every=0", "--checkpoint.every=0",
               "--log.every=10"]
        text = run(cmd, environment(setting, "strata", args.openblas_openmp), args.core, log)
        probe = [l for l in text.splitlines() if "SGEMM probe peak" in l]
        if probe:
            gf = float(probe[-1].split("SGEMM probe peak")[1].split()[0])
            PROBES.setdefault((name, setting), []).append(gf)
        with open(os.path.join(out, "metrics.csv")) as f:
            rows = [r for r in csv.DictReader(f) if r.get("tokens_per_s")]
        rates = [float(r["tokens_per_s"]) for r in rows[warm:]]
        mfus = [float(r["mfu"]) for r in rows[warm:] if r.get("mfu")]
        if mfus:
            OWN_MFU.setdefault((name, setting), []).append(statistics.median(mfus))
        if not rates:
            raise RuntimeError(f"{out}/metrics.csv has no tokens_per_s after {warm} warm-up steps")
        return statistics.median(rates)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--strata-train", default=os.path.join(REPO, "build", "release", "bin", "strata-train"))
    p.add_argument("--inputs", default=os.path.join(REPO, "inputs"), help="folder of tiny.ini, small.ini, ...")
    p.add_argument("--configs", default="tiny,small,gpt2-124M")
    p.add_argument("--settings", default="tuned,as-is", help="any of as-is,detect,tuned,tuned-omp")
    p.add_argument("--tokens-char", required=True,
                   help="strata-prep --tokenizer char file, vocabulary <= 65 (tiny, small)")
    p.add_argument("--tokens-gpt2", help="strata-prep --tokenizer gpt2 file (gpt2-124M)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--core", type=int, default=0, help="CPU to pin to")
    p.add_argument("--openblas-openmp", default=OPENMP_BLAS,
                   help="libopenblas.so.0 of libopenblas0-openmp (installed, or apt-get download + dpkg-deb -x)")
    p.add_argument("--log", default="compare_torch.log")
    p.add_argument("--json", help="write every measurement here")
    args = p.parse_args()

    configs, settings = args.configs.split(","), args.settings.split(",")
    if "tuned-omp" in settings and not os.path.exists(args.openblas_openmp):
        print(f"no {args.openblas_openmp}; tuned-omp left out (see --openblas-openmp)", file=sys.stderr)
        settings.remove("tuned-omp")
    with_strata = os.access(args.strata_train, os.X_OK)
    if not with_strata:
        print(f"no {args.strata_train}: torch only", file=sys.stderr)

    results = {}  # (config, setting, side) -> [tokens/s per rep]
    peaks = {}
    load_before = os.getloadavg()
    with open(args.log, "w") as log:
        for rep in range(args.reps):  # interleaved, so drift in the machine's load hits both sides
            for setting in settings:  # the peak too: best over every rep
                out = run([PYTHON, "-c", PEAK_SNIPPET], environment(setting, "torch", args.openblas_openmp),
                          args.core, log)
                peaks[setting] = max(peaks.get(setting, 0.0), last_value(out, "gflops"))
                print(f"rep {rep} SGEMM 2048^2 one core, {setting}: {last_value(out, 'gflops'):.1f} GFLOP/s",
                      file=sys.stderr)
            for name in configs:
                for setting in settings:
                    sides = [("torch", torch_rate)] + ([("strata", strata_rate)] if with_strata else [])
                    if rep % 2:  # alternate which side runs first
                        sides.reverse()
                    for side, measure in sides:
                        rate = measure(name, setting, args, log)
                        results.setdefault((name, setting, side), []).append(rate)
                        print(f"rep {rep} {name} {setting} {side}: {rate:.1f} tokens/s", file=sys.stderr)

    load_after = os.getloadavg()
    inherited = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())
                         if k.startswith(("OPENBLAS_", "OMP_", "GOMP_", "KMP_")))
    print(f"core {args.core}; inherited BLAS/OpenMP environment (both sides): {inherited or 'none'}")
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in load_before)
          + "; after: " + ", ".join(f"{x:.2f}" for x in load_after))
    print("MFU denominator, per setting: best one-core SGEMM of the run under that setting's "
          "OPENBLAS_CORETYPE (torch.mm 2048^2 fp32, best of 5, every rep): "
          + ", ".join(f"{s} {v:.1f} GFLOP/s" for s, v in peaks.items()))
    print("| config | setting | strata tokens/s (min–max) | torch tokens/s (min–max) | strata/torch | "
          "strata MFU | torch MFU | strata probe GFLOP/s, own MFU |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in configs:
        L, _, C, T, _, V, _, _ = CONFIGS[name]
        fpt = flops_per_token(L, C, T, V)
        for setting in settings:
            t = results.get((name, setting, "torch"), [])
            s = results.get((name, setting, "strata"), [])
            tm = statistics.median(t)
            sm = statistics.median(s) if s else None
            peak = peaks[setting]
            mfu = lambda r: f"{100 * r * fpt / (peak * 1e9):.1f}%"
            pr, own = PROBES.get((name, setting)), OWN_MFU.get((name, setting))
            own_text = (f"{statistics.median(pr):.1f}, {100 * statistics.median(own):.1f}%" if pr and own else "—")
            print(f"| {name} | {setting} | {f'{sm:.0f} ({min(s):.0f}–{max(s):.0f})' if s else '—'} | "
                  f"{tm:.0f} ({min(t):.0f}–{max(t):.0f}) | "
                  f"{f'{sm / tm:.2f}' if s else '—'} | {mfu(sm) if s else '—'} | {mfu(tm)} | {own_text} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_before": load_before, "load_after": load_after, "peaks_gflops": peaks,
                       "strata_probe_gflops": {f"{c} {st}": v for (c, st), v in PROBES.items()},
                       "strata_own_mfu": {f"{c} {st}": v for (c, st), v in OWN_MFU.items()}, "runs": [{"config": c, "setting": st, "side": sd, "tokens_per_s": v}
                                                     for (c, st, sd), v in results.items()]}, f, indent=1)


if __name__ == "__main__":
    main()
