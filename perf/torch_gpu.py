#!/usr/bin/python3
"""PyTorch's side of Strata's GPU training-throughput comparison (one NVIDIA H100).

Owns: a compact GPT-2-shaped model written for this file (token + learned
position embeddings, pre-LayerNorm blocks with bias, fused QKV projection,
scaled_dot_product_attention(is_causal=True), tanh-GELU MLP of 4C, final
LayerNorm, LM head tied to wte, cross-entropy over the whole vocabulary, GPT-2
init), trained the way idiomatic PyTorch trains it fastest: torch.compile, bf16
autocast over fp32 parameters (as Strata's master weights), fused AdamW. Each
step is forward + loss, backward, grad-norm clip (1.0), AdamW (lr 6e-4, betas
0.9/0.95, eps 1e-8, weight decay 0.1 on 2-D weights only), zero_grad; it is timed
between two torch.cuda.synchronize() calls, batch preparation left out. The
warm-up steps (torch.compile compiles in the first) are left out of the median.

Prints `step k loss x.xxxx t ms` per step, a header line (torch, device, dtype,
compile, parameters, tokens per step), then one machine-readable line
  tokens_per_s=<x> tflops=<y> mfu=<z> peak_memory_gib=<w>
tokens_per_s from the median step time; tflops with Strata's FLOP count
(flops_per_token below, the model's vocabulary, padded when --pad-vocab);
mfu = tflops / --peak-tflops as a fraction; peak memory from
torch.cuda.max_memory_allocated (nan off CUDA). An out-of-memory run says so in
one line naming --batch and exits 2. --sweep-batch 8,16,32 runs each batch
with a fresh model and prints the result line prefixed `batch=<b> `, or
`batch=<b> oom`, for each.

  /usr/bin/python3 perf/torch_gpu.py --config gpt2-124M [--batch 16] [--dtype bf16|fp32]
      [--no-compile] [--tf32] [--pad-vocab] [--tokens gpt2.h5] [--sweep-batch 8,16,32]
  /usr/bin/python3 perf/torch_gpu.py --config tiny --device cpu --dtype fp32 --no-compile \\
      --steps 3 --warmup 1 --batch 4          # CPU smoke test
"""
import argparse
import gc
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name: (n_layer, n_head, n_embd, default block, default vocab)
CONFIGS = {
    "gpt2-124M": (12, 12, 768, 1024, 50257),
    "gpt2-350M": (24, 16, 1024, 1024, 50257),
    "tiny": (4, 4, 128, 64, 65),
}


def flops_per_token(n_layer, n_embd, block, vocab):
    """Training matmul FLOPs per token: 3x forward (weights 24 L C^2, LM head
    2 C V, attention scores and mixing 4 L T C, counted as PaLM does).
    Must match perf/compare_torch.py's flops_per_token and Strata's metrics."""
    return 3 * (24 * n_layer * n_embd ** 2 + 2 * n_embd * vocab + 4 * n_layer * block * n_embd)


class CausalSelfAttention(nn.Module):
    def __init__(self, n_head, n_embd):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)  # q, k, v in one matmul
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                   for t in self.c_attn(x).split(C, dim=2))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # torch < 2.0 (Debian's CPU build): the same thing written out
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            y = att.masked_fill(~mask, float("-inf")).softmax(dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, n_head, n_embd):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_head, n_embd)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, n_layer, n_head, n_embd, block, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.h = nn.ModuleList(Block(n_head, n_embd) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        # GPT-2 init: N(0, 0.02), residual output projections N(0, 0.02 / sqrt(2 L)),
        # zero biases, LayerNorm (1, 0) as constructed.
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() == 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("c_proj.weight") else 0.02
                nn.init.normal_(p, mean=0.0, std=std)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        for block in self.h:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)  # LM head tied to wte
        return F.cross_entropy(logits.view(B * T, -1), targets.reshape(B * T))


def make_adamw(model, device):
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    extra = {"fused": True} if device.type == "cuda" else {}
    return torch.optim.AdamW(groups, lr=6e-4, betas=(0.9, 0.95), eps=1e-8, **extra)


def batches(args, batch, device, gen):
    """Yields (x, y) [batch, block] on device forever: random ids below the
    unpadded vocabulary, or random windows of a token file."""
    if args.tokens:
        import h5py
        with h5py.File(args.tokens, "r") as f:
            tokens = torch.from_numpy(f["tokens"][()].astype("int64"))
        if int(tokens.max()) >= args.data_vocab:
            raise SystemExit(f"{args.tokens} holds ids >= --vocab {args.data_vocab}")
        span = args.block + 1
        if len(tokens) <= span:
            raise SystemExit(f"{args.tokens} holds {len(tokens)} tokens, fewer than --block + 2")
        cpu_gen = torch.Generator().manual_seed(gen.initial_seed())
        while True:
            starts = torch.randint(0, len(tokens) - span, (batch,), generator=cpu_gen)
            window = torch.stack([tokens[s:s + span] for s in starts.tolist()])
            if device.type == "cuda":
                window = window.pin_memory()
            window = window.to(device, non_blocking=True)
            yield window[:, :-1], window[:, 1:]
    while True:
        x = torch.randint(0, args.data_vocab, (batch, args.block + 1), device=device, generator=gen)
        yield x[:, :-1], x[:, 1:]


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def set_tf32(enabled):
    """TF32 for fp32 matmuls (cuBLAS) and cuDNN. On torch with the newer
    fp32_precision API (2.9+), writing the legacy allow_tf32 flags beside it
    can make inductor refuse the mix, so there the matmul switch goes through
    set_float32_matmul_precision and cuDNN is left at its default (TF32 on;
    this model runs no cuDNN convolution anyway)."""
    if not enabled:
        return
    try:  # older torch's matmul flags object raises AssertionError on unknown names
        new_api = torch.backends.cuda.matmul.fp32_precision is not None
    except (AttributeError, AssertionError):
        new_api = False
    if new_api:
        torch.set_float32_matmul_precision("high")
    else:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def is_oom(e):
    oom_types = tuple(t for t in (getattr(torch, "OutOfMemoryError", None),
                                  getattr(torch.cuda, "OutOfMemoryError", None)) if t)
    seen = set()
    while e is not None and id(e) not in seen:  # torch.compile may wrap it
        seen.add(id(e))
        if (oom_types and isinstance(e, oom_types)) or \
                (isinstance(e, RuntimeError) and "out of memory" in str(e).lower()):
            return True
        e = e.__cause__ or e.__context__
    return False


def run(args, batch, device):
    """Trains a fresh model for warm-up + timed steps at this batch; returns the result line."""
    torch.manual_seed(1337)
    model = GPT(args.n_layer, args.n_head, args.n_embd, args.block, args.vocab).to(device)
    n_params = sum(p.numel() for p in model.parameters())  # wte counted once (tied)
    n_embedding = model.wte.weight.numel() + model.wpe.weight.numel()
    opt = make_adamw(model, device)
    step_model = torch.compile(model) if args.compile else model
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    gen = torch.Generator(device=device).manual_seed(1)
    data = batches(args, batch, device, gen)
    bf16 = args.dtype == "bf16"
    times = []
    for step in range(args.warmup + args.steps):
        x, y = next(data)
        sync(device)
        t0 = time.perf_counter()
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = step_model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync(device)
        dt = time.perf_counter() - t0
        if step >= args.warmup:
            times.append(dt)
        print(f"step {step} loss {loss.item():.4f} {dt * 1e3:.1f} ms"
              f"{'' if step >= args.warmup else ' (warm-up)'}", flush=True)

    tokens_per_step = batch * args.block
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else str(device)
    print(f"torch {torch.__version__} device={name!r} dtype={args.dtype} compile={args.compile} "
          f"tf32={args.tf32} matmul_precision={torch.get_float32_matmul_precision()} "
          f"config={args.config} L={args.n_layer} H={args.n_head} C={args.n_embd} "
          f"block={args.block} vocab={args.vocab} params={n_params} "
          f"non_embedding_params={n_params - n_embedding} batch={batch} "
          f"tokens_per_step={tokens_per_step}", flush=True)
    tokens_per_s = tokens_per_step / statistics.median(times)
    tflops = tokens_per_s * flops_per_token(args.n_layer, args.n_embd, args.block, args.vocab) / 1e12
    peak = torch.cuda.max_memory_allocated(device) / 2 ** 30 if device.type == "cuda" else float("nan")
    return (f"tokens_per_s={tokens_per_s:.1f} tflops={tflops:.3f} "
            f"mfu={tflops / args.peak_tflops:.4f} peak_memory_gib={peak:.2f}")


def reset(device):
    """Drops compiled graphs and cached memory between sweep entries."""
    try:
        import torch._dynamo
        torch._dynamo.reset()
    except ImportError:  # torch < 2.0
        pass
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", choices=tuple(CONFIGS), default="gpt2-124M")
    p.add_argument("--block", type=int, help="context length (default 1024; tiny: 64)")
    p.add_argument("--vocab", type=int, help="vocabulary, all ids scored (default 50257; tiny: 65)")
    p.add_argument("--pad-vocab", action="store_true",
                   help="round the model's vocabulary up to a multiple of 64 (data ids stay below --vocab)")
    p.add_argument("--batch", type=int, default=16, help="micro-batch rows per step")
    p.add_argument("--sweep-batch", help="comma-separated batch sizes, each run with a fresh model")
    p.add_argument("--steps", type=int, default=20, help="timed steps after the warm-up")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first (torch.compile compiles here)")
    p.add_argument("--dtype", choices=("bf16", "fp32"), default="bf16",
                   help="bf16: autocast over fp32 parameters")
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=True,
                   help="torch.compile the model (default on)")
    p.add_argument("--device", default="cuda")
    p.add_argument("--peak-tflops", type=float, default=989.0,
                   help="MFU denominator (default: H100 SXM dense bf16)")
    p.add_argument("--tf32", action="store_true", help="TF32 tensor cores for fp32 matmuls")
    p.add_argument("--tokens", help="HDF5 file with dataset 'tokens' (int32 ids) to sample windows from")
    args = p.parse_args()

    args.n_layer, args.n_head, args.n_embd, block, vocab = CONFIGS[args.config]
    args.block = args.block or block
    args.data_vocab = args.vocab or vocab
    args.vocab = args.data_vocab
    if args.pad_vocab and args.vocab % 64:
        args.vocab = (args.vocab + 63) // 64 * 64
        print(f"vocab padded {args.data_vocab} -> {args.vocab} (ids drawn below {args.data_vocab}; "
              f"FLOPs counted with {args.vocab})")
    if args.steps < 1 or args.warmup < 0:
        raise SystemExit("--steps must be >= 1 and --warmup >= 0")
    if args.compile and not hasattr(torch, "compile"):
        raise SystemExit(f"torch {torch.__version__} has no torch.compile: use --no-compile")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: use --device cpu")
    set_tf32(args.tf32)

    if args.sweep_batch:
        for b in (int(s) for s in args.sweep_batch.split(",") if s.strip()):
            try:
                line = run(args, b, device)
            except Exception as e:
                if not is_oom(e):
                    raise
                line = "oom"
            print(f"batch={b} {line}", flush=True)
            reset(device)
        return
    try:
        line = run(args, args.batch, device)
    except Exception as e:
        if not is_oom(e):
            raise
        print(f"out of memory at --batch {args.batch} ({args.config}, block {args.block}, "
              f"{args.dtype}): try a smaller --batch", file=sys.stderr, flush=True)
        sys.exit(2)
    print(line, flush=True)


if __name__ == "__main__":
    main()
