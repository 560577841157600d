#!/usr/bin/env python3
"""Strata on one GPU: the checks and the throughput comparison of docs/gpu.md.

Stages (--stages, comma-separated; each command runs under its own timeout,
so one that hangs or crashes costs its stage, not the rest):

  trajectory  the tiny deck, fp32, --steps steps on the GPU, against a
              metrics.csv of the CPU build (--reference): the largest
              relative loss difference per step, which must stay below 1e-4.
  bf16        the tiny deck in bf16 for --bf16-steps steps: first and last
              loss (the run converges when the loss falls well below ln 65).
  throughput  for each of --configs (gpt2-124M, gpt2-350M): strata-train
              and PyTorch (perf/torch_gpu.py: torch.compile, SDPA, fused
              AdamW) side by side on the same GPU, the same micro-batch,
              block 1024 and dtype; tokens/s is each side's median over its
              steps after the warm-up, MFU = tokens/s x FLOPs/token over
              --peak-tflops (the H100 SXM's dense bf16 989).

strata-train reads its shared libraries through --strata-env (a wrapper
that sets the environment for one command, for example the runtime bundle's
run.sh); PyTorch runs in the plain environment.

  python3 perf/gpu_bench.py --strata-train build/cuda/bin/strata-train \\
      --strata-env /opt/strata-rt/run.sh --tokens-char char.h5 --tokens-gpt2 gpt2.h5 \\
      --reference tiny-fp32-cpu.csv --out results [--stages trajectory,bf16,throughput]
"""
import argparse
import csv
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES = {"gpt2-124M": (12, 768), "gpt2-350M": (24, 1024)}


def flops_per_token(n_layer, n_embd, block, vocab):
    """Must match perf/compare_torch.py and Strata's metrics."""
    return 3 * (24 * n_layer * n_embd ** 2 + 2 * n_embd * vocab + 4 * n_layer * block * n_embd)


def run(cmd, log_path, timeout):
    """Runs cmd, output to log_path; returns (exit code or 'timeout', seconds)."""
    start = time.time()
    with open(log_path, "w") as log:
        log.write("$ " + " ".join(cmd) + "\n")
        log.flush()
        try:
            code = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    return code, time.time() - start


def tail(path, lines=15):
    with open(path) as f:
        return "".join(f.readlines()[-lines:])


def metrics(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def strata(args, deck, out, overrides, log, timeout):
    cmd = ([args.strata_env] if args.strata_env else []) + [args.strata_train, deck,
           f"--output.dir={out}", "--checkpoint.every=0"] + overrides
    code, seconds = run(cmd, log, timeout)
    print(f"  strata {' '.join(overrides)}: exit {code} in {seconds:.0f} s", flush=True)
    if code != 0:
        print(tail(log), flush=True)
        return None
    return metrics(os.path.join(out, "metrics.csv"))


def stage_trajectory(args, results):
    out = os.path.join(args.out, "tiny-fp32")
    rows = strata(args, os.path.join(REPO, "inputs", "tiny.ini"), out,
                  [f"--data.path={args.tokens_char}", f"--train.steps={args.steps}",
                   "--precision.dtype=fp32"], os.path.join(args.out, "tiny-fp32.log"), 600)
    if rows is None:
        results["trajectory"] = {"ok": False}
        return
    reference = metrics(args.reference)
    worst = 0.0
    for gpu, cpu in zip(rows, reference):
        a, b = float(gpu["loss"]), float(cpu["loss"])
        worst = max(worst, abs(a - b) / abs(b))
        print(f"  step {gpu['step']}: gpu {a:.7f} cpu {b:.7f} rel {abs(a - b) / abs(b):.2e}")
    results["trajectory"] = {"steps": len(rows), "reference_steps": len(reference),
                             "max_rel_loss_diff": worst, "ok": worst < 1e-4 and len(rows) == len(reference)}
    print(f"  trajectory: max relative loss difference {worst:.3e} over {len(rows)} steps")


def stage_bf16(args, results):
    out = os.path.join(args.out, "tiny-bf16")
    rows = strata(args, os.path.join(REPO, "inputs", "tiny.ini"), out,
                  [f"--data.path={args.tokens_char}", f"--train.steps={args.bf16_steps}",
                   "--precision.dtype=bf16"], os.path.join(args.out, "tiny-bf16.log"), 600)
    if rows is None:
        results["bf16"] = {"ok": False}
        return
    first, last = float(rows[0]["loss"]), float(rows[-1]["loss"])
    vals = [float(r["val_loss"]) for r in rows if r["val_loss"]]
    results["bf16"] = {"first_loss": first, "last_loss": last, "val_losses": vals,
                       "ok": all(math.isfinite(float(r["loss"])) for r in rows) and last < first - 1.0}
    print(f"  bf16: loss {first:.4f} -> {last:.4f}, val {vals}")


def torch_side(args, config, dtype, log):
    cmd = [sys.executable, os.path.join(REPO, "perf", "torch_gpu.py"), "--config", config,
           "--batch", str(args.batch), "--block", "1024", "--dtype", dtype, "--pad-vocab",
           "--steps", str(args.torch_steps), "--warmup", "5", "--peak-tflops", str(args.peak_tflops)]
    if args.tokens_gpt2:
        cmd += ["--tokens", args.tokens_gpt2]
    code, seconds = run(cmd, log, args.timeout)
    print(f"  torch {config} {dtype}: exit {code} in {seconds:.0f} s", flush=True)
    if code != 0:
        print(tail(log), flush=True)
        return None
    with open(log) as f:
        found = re.findall(r"tokens_per_s=([\d.]+)", f.read())
    return float(found[-1]) if found else None


def stage_throughput(args, results):
    table = results.setdefault("throughput", [])
    for config in args.configs.split(","):
        n_layer, n_embd = SHAPES[config]
        per_token = flops_per_token(n_layer, n_embd, 1024, 50304)
        deck = os.path.join(REPO, "inputs", f"{config}.ini")
        for dtype in args.dtypes.split(","):
            out = os.path.join(args.out, f"{config}-{dtype}")
            rows = strata(args, deck, out,
                          [f"--data.path={args.tokens_gpt2}", f"--train.steps={args.strata_steps}",
                           f"--train.micro_batch={args.batch}", "--train.grad_accum=1", "--train.warmup_steps=1",
                           "--train.eval_every=0", f"--precision.dtype={dtype}"],
                          os.path.join(args.out, f"{config}-{dtype}-strata.log"), args.timeout)
            ours = (statistics.median(float(r["tokens_per_s"]) for r in rows[2:])
                    if rows and len(rows) > 2 else None)
            theirs = torch_side(args, config, dtype, os.path.join(args.out, f"{config}-{dtype}-torch.log"))
            row = {"config": config, "dtype": dtype, "batch": args.batch, "strata_tokens_per_s": ours,
                   "torch_tokens_per_s": theirs}
            for side in ("strata", "torch"):
                rate = row[f"{side}_tokens_per_s"]
                row[f"{side}_mfu"] = rate * per_token / 1e12 / args.peak_tflops if rate else None
            row["ratio"] = ours / theirs if ours and theirs else None
            table.append(row)
            print("  " + json.dumps(row), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--strata-train", required=True)
    p.add_argument("--strata-env", help="wrapper command that sets strata-train's environment")
    p.add_argument("--tokens-char", help="strata-prep --tokenizer char file (the tiny deck)")
    p.add_argument("--tokens-gpt2", help="strata-prep --tokenizer gpt2 file (throughput)")
    p.add_argument("--reference", help="the CPU build's metrics.csv of the same trajectory run")
    p.add_argument("--stages", default="trajectory,bf16,throughput")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--bf16-steps", type=int, default=200)
    p.add_argument("--configs", default="gpt2-124M,gpt2-350M")
    p.add_argument("--dtypes", default="bf16")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--strata-steps", type=int, default=6)
    p.add_argument("--torch-steps", type=int, default=15)
    p.add_argument("--peak-tflops", type=float, default=989.0)
    p.add_argument("--timeout", type=int, default=240, help="seconds per throughput command")
    p.add_argument("--out", default="gpu_bench")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for stage in args.stages.split(","):
        print(f"== {stage}", flush=True)
        {"trajectory": stage_trajectory, "bf16": stage_bf16, "throughput": stage_throughput}[stage](args, results)
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
