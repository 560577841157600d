#!/usr/bin/env python3
"""Tensor (Megatron) and Ulysses sequence parallelism: throughput and
activation memory against the TP and SP degrees, and the longest sequence
that trains under a fixed device_memory_limit.

Two tables, both from strata-train's own outputs (metrics.csv for tokens/s,
ledger.json for rank 0's memory ledger):

  1. gpt2-124M at block 1024, one sample per replica, for each TP x SP
     layout of --layouts, with and without activation checkpointing:
     tokens/s (global; median over the timed steps) and rank 0's peak
     activation and device bytes.
  2. For SP = 1, 2, 4 (checkpointing off and on): the longest power-of-two
     sequence that trains 2 steps of the --search model under
     --limit. A layout that does not fit stops at startup with the
     [memory] device_memory_limit error, so the search is cheap until the
     first size that fits runs its steps.

Every rank is one process under `mpirun --oversubscribe --bind-to core`
(`--bind-to none` when there are more ranks than cores). The output folder
is fresh, so the deck's `resume = latest` finds nothing to resume. On
the 2-core development machine a layout of 4 ranks runs on 2 cores, so its
tokens/s measures oversubscription, not the parallelism; its memory figures
are what they would be on 4 cores.

  /usr/bin/python3 perf/model_parallel.py --tokens-gpt2 gpt2.h5 --tokens-char char.h5
      [--strata-train build/release/bin/strata-train] [--layouts 1x1,2x1,4x1,1x2,1x4,2x2]
      [--sp 1,2,4] [--limit 64MiB]
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_CORETYPE": "SkylakeX"}
# n_layer, n_head, n_embd, vocab; the search model is the tiny config's shape.
GPT2 = (12, 12, 768, 50304)
SEARCH = (4, 4, 128, 65)
MiB = 1 << 20


def train(args, sp, shape, block, tokens, tokenizer, steps, checkpointing, extra=(), tp=1):
    """Runs strata-train; returns (ok, tokens/s median, rank 0 memory json, stderr tail)."""
    L, H, C, V = shape
    ranks = tp * sp
    with tempfile.TemporaryDirectory(prefix="strata-mp-") as out:
        # More ranks than cores: no binding (Open MPI refuses to bind two to a core).
        binding = "core" if ranks <= (os.cpu_count() or 1) else "none"
        cmd = ["mpirun", "--oversubscribe", "--bind-to", binding, "-np", str(ranks)]
        for key, value in MPI_ENV.items():
            cmd += ["-x", f"{key}={value}"]
        cmd += [args.strata_train, os.path.join(REPO, "inputs", "gpt2-124M.ini"),
                f"--output.dir={out}", f"--model.n_layer={L}", f"--model.n_head={H}",
                f"--model.n_embd={C}", f"--model.vocab_size={V}", f"--model.block_size={block}",
                f"--data.path={tokens}", f"--data.tokenizer={tokenizer}",
                "--train.micro_batch=1", "--train.grad_accum=1", "--train.global_batch=0",
                f"--train.steps={steps}", "--train.lr_schedule=constant", "--train.warmup_steps=0",
                "--train.eval_every=0", "--checkpoint.every=0",
                "--log.every=1", f"--parallel.sp={sp}", f"--parallel.tp={tp}",
                f"--activation_checkpointing.enabled={'true' if checkpointing else 'false'}"]
        cmd += list(extra)
        env = dict(os.environ, **MPI_ENV)
        run = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            return False, None, None, run.stdout + run.stderr
        with open(os.path.join(out, "metrics.csv")) as f:
            rows = list(csv.DictReader(f))
        rates = [float(r["tokens_per_s"]) for r in rows[1:] if r.get("tokens_per_s")]
        with open(os.path.join(out, "ledger.json")) as f:
            memory = json.load(f)["ranks"][0]["memory"]["tiers"]["device"]
        return True, statistics.median(rates) if rates else None, memory, ""


def first_error(output):
    """strata-train's own error line, not mpirun's epilogue."""
    for line in output.splitlines():
        if "error" in line and "strata" in line:
            return line.strip()[:200]
    return output.strip()[-200:].replace("\n", " ")


def throughput_table(args):
    print("\n## gpt2-124M, block 1024, micro-batch 1 per replica, ZeRO 0, fp32\n")
    print("| TP | SP | checkpointing | tokens/s (global) | rank 0 activation peak | "
          "rank 0 device peak |")
    print("|---:|---:|---|---:|---:|---:|")
    for tp, sp in args.layouts:
        for checkpointing in (False, True):
            ok, rate, memory, err = train(args, sp, GPT2, 1024, args.tokens_gpt2, "gpt2",
                                          args.steps, checkpointing, tp=tp)
            mode = "on" if checkpointing else "off"
            if not ok:
                print(f"| {tp} | {sp} | {mode} | failed: {first_error(err)} | | |")
                continue
            act = memory["categories"]["activation"]["peak"] / MiB
            print(f"| {tp} | {sp} | {mode} | {rate:.0f} | {act:.1f} MiB | "
                  f"{memory['peak'] / MiB:.1f} MiB |", flush=True)


def longest_table(args):
    L, H, C, V = SEARCH
    print(f"\n## Longest sequence under device_memory_limit = {args.limit} "
          f"({L}x{H}x{C}, vocabulary {V}, micro-batch 1, 2 steps)\n")
    print("| SP | checkpointing | longest T that trains | rank 0 device peak there | next T |")
    print("|---:|---|---:|---:|---|")
    for sp in args.sp:
        for checkpointing in (False, True):
            best, peak, refusal = None, None, ""
            block = args.min_block
            while block <= args.max_block:
                ok, _, memory, err = train(args, sp, SEARCH, block, args.tokens_char, "char", 2,
                                           checkpointing, [f"--memory.device_memory_limit={args.limit}"])
                if not ok:
                    refusal = ("refused by the budget" if "device_memory_limit" in err
                               else "failed: " + first_error(err))
                    break
                best, peak = block, memory["peak"] / MiB
                block *= 2
            nxt = f"{block}: {refusal}" if refusal else f"> {args.max_block} not tried"
            print(f"| {sp} | {'on' if checkpointing else 'off'} | {best if best else '-'} | "
                  f"{f'{peak:.1f} MiB' if peak else '-'} | {nxt} |", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--strata-train", default=os.path.join(REPO, "build", "release", "bin", "strata-train"))
    p.add_argument("--tokens-gpt2", required=True, help="strata-prep --tokenizer gpt2 file")
    p.add_argument("--tokens-char", required=True, help="strata-prep --tokenizer char file (the search)")
    p.add_argument("--layouts", default="1x1,2x1,4x1,1x2,1x4,2x2",
                   help="TPxSP layouts of the throughput table")
    p.add_argument("--sp", default="1,2,4", help="SP degrees of the longest-sequence search")
    p.add_argument("--steps", type=int, default=3, help="gpt2-124M steps (the first is not timed)")
    p.add_argument("--limit", default="64MiB", help="device_memory_limit of the search")
    p.add_argument("--min-block", type=int, default=256)
    p.add_argument("--max-block", type=int, default=16384)
    p.add_argument("--skip-throughput", action="store_true")
    p.add_argument("--skip-longest", action="store_true")
    args = p.parse_args()
    args.sp = [int(s) for s in args.sp.split(",") if s]
    args.layouts = [tuple(int(x) for x in l.split("x")) for l in args.layouts.split(",") if l]
    if not args.skip_throughput:
        throughput_table(args)
    if not args.skip_longest:
        longest_table(args)


if __name__ == "__main__":
    sys.exit(main())
