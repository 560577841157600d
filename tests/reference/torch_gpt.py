"""PyTorch GPT-2 that Strata is checked against, and the Strata dump file format.

Owns: the reference model (written from Strata's model description, not
copied), GPT-2's initialisation, the AdamW parameter groups, and reading and
writing the HDF5 dump of `strata-reference-dump` (see FORMAT below). Used by
check_against_torch.py and by perf/torch_gpt.py. Needs Debian's python3-torch
and python3-h5py (/usr/bin/python3).

FORMAT (one HDF5 file):
  root attributes  n_layer n_head n_embd block_size vocab_size real_vocab_size
                   bias(0/1) lr beta1 beta2 eps weight_decay steps
  /batch/x, /batch/y   [B, T] int32 token ids (targets are the next tokens)
  /init/<name>         float32 initial weights at logical shape
  /grad/<name>         float32 gradient of the mean loss at /init on the batch
  /loss0               float64 scalar, the loss at /init
  /losses              [steps] float64, the loss before each AdamW step
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

MODEL_ATTRS = ("n_layer", "n_head", "n_embd", "block_size", "vocab_size", "real_vocab_size", "bias")
OPTIM_ATTRS = ("lr", "beta1", "beta2", "eps", "weight_decay", "steps")
LAYER_NORM_EPS = 1e-5


@dataclass
class GPTConfig:
    n_layer: int
    n_head: int
    n_embd: int
    block_size: int
    vocab_size: int  # rows of wte, possibly padded
    real_vocab_size: int  # logits beyond this are never scored
    bias: bool = True


class LayerNorm(nn.Module):
    """LayerNorm with an optional shift (torch 1.13's nn.LayerNorm has no bias=False)."""

    def __init__(self, width, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.bias = nn.Parameter(torch.zeros(width)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, LAYER_NORM_EPS)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        mask = torch.ones(cfg.block_size, cfg.block_size, dtype=torch.bool).tril()
        self.register_buffer("causal", mask, persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_head
        # [B, T, 3C] -> three [B, n_head, T, hs]
        q, k, v = (t.view(B, T, self.n_head, hs).transpose(1, 2)
                   for t in self.c_attn(x).split(C, dim=2))
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        scores = scores.masked_fill(~self.causal[:T, :T], float("-inf"))
        y = F.softmax(scores, dim=-1) @ v
        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=cfg.bias)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=cfg.bias)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = LayerNorm(cfg.n_embd, cfg.bias)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = LayerNorm(cfg.n_embd, cfg.bias)
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Parameter names match Strata's exactly: wte.weight, h.0.attn.c_attn.weight, ..."""

    def __init__(self, cfg):
        super().__init__()
        if cfg.n_embd % cfg.n_head:
            raise ValueError(f"n_head {cfg.n_head} does not divide n_embd {cfg.n_embd}")
        if not 0 < cfg.real_vocab_size <= cfg.vocab_size:
            raise ValueError(f"real_vocab_size {cfg.real_vocab_size} not in [1, vocab_size {cfg.vocab_size}]")
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.h = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = LayerNorm(cfg.n_embd, cfg.bias)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        # LM head tied to wte, no bias; padded vocabulary rows are never scored.
        logits = F.linear(self.ln_f(x), self.wte.weight)[..., :self.cfg.real_vocab_size]
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.reshape(B * T, -1).float(), targets.reshape(B * T).long())
        return logits, loss


def init_gpt2_(model, generator=None):
    """GPT-2's rules: N(0, 0.02) for embeddings and Linear weights, the two
    residual projections (attn.c_proj, mlp.c_proj) scaled by 1/sqrt(2 n_layer);
    biases 0; LayerNorm gains 1, shifts 0."""
    residual_std = 0.02 / math.sqrt(2 * model.cfg.n_layer)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.zero_()
            elif ".ln_" in name or name.startswith("ln_"):
                p.fill_(1.0)
            else:
                std = residual_std if name.endswith("c_proj.weight") else 0.02
                p.normal_(0.0, std, generator=generator)
    return model


def decays(name, param):
    """Weight decay applies to 2-D weights only (embeddings and Linear matrices)."""
    return param.dim() >= 2


def make_adamw(model, lr, beta1, beta2, eps, weight_decay):
    params = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in params if decays(n, p)], "weight_decay": weight_decay},
        {"params": [p for n, p in params if not decays(n, p)], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=(beta1, beta2), eps=eps)


# ---- dump files -------------------------------------------------------------

class DumpError(Exception):
    """The dump is unreadable or does not follow FORMAT."""


def _scalar_attr(attrs, key):
    if key not in attrs:
        raise DumpError(f"root attribute '{key}' is missing")
    value = attrs[key]
    try:
        flat = [v for v in (value.reshape(-1) if hasattr(value, "reshape") else [value])]
        (only,) = flat
        return only.item() if hasattr(only, "item") else only
    except (ValueError, TypeError):
        raise DumpError(f"root attribute '{key}' is not a scalar: {value!r}")


def _datasets(group):
    """Every dataset under group by parameter name; nested groups ('h/0/ln_1/weight')
    read as dotted names too."""
    import h5py
    out = {}
    group.visititems(lambda path, obj: out.__setitem__(path.replace("/", "."), obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def read_dump(path):
    """Returns (GPTConfig, optim dict, x, y, init dict, grad dict, loss0, losses),
    tensors as torch; raises DumpError naming what is wrong."""
    import h5py
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise DumpError(f"cannot open {path} as HDF5: {e}")
    with f:
        attrs = {k: _scalar_attr(f.attrs, k) for k in MODEL_ATTRS + OPTIM_ATTRS}
        for key in MODEL_ATTRS + ("steps",):
            if float(attrs[key]) != int(attrs[key]) or int(attrs[key]) < 0:
                raise DumpError(f"root attribute '{key}' = {attrs[key]} is not a non-negative integer")
        if int(attrs["bias"]) not in (0, 1):
            raise DumpError(f"root attribute 'bias' = {attrs['bias']} is not 0 or 1")
        for name in ("batch/x", "batch/y", "init", "grad", "loss0", "losses"):
            if name not in f:
                raise DumpError(f"'/{name}' is missing")
        x, y = f["batch/x"][()], f["batch/y"][()]
        init, grad = _datasets(f["init"]), _datasets(f["grad"])
        loss0, losses = f["loss0"][()], f["losses"][()]
    cfg = GPTConfig(**{k: int(attrs[k]) for k in MODEL_ATTRS})
    cfg.bias = bool(cfg.bias)
    optim = {k: float(attrs[k]) for k in OPTIM_ATTRS}
    optim["steps"] = int(attrs["steps"])

    if x.ndim != 2 or x.shape != y.shape or x.dtype.kind not in "iu" or y.dtype.kind not in "iu":
        raise DumpError(f"/batch/x {x.shape} {x.dtype} and /batch/y {y.shape} {y.dtype} "
                        "must be integer arrays of one shape [B, T]")
    if not 0 < x.shape[1] <= cfg.block_size:
        raise DumpError(f"T = {x.shape[1]} is not in [1, block_size {cfg.block_size}]")
    for label, tokens in (("x", x), ("y", y)):
        if tokens.size and (tokens.min() < 0 or tokens.max() >= cfg.real_vocab_size):
            raise DumpError(f"/batch/{label} holds ids outside [0, real_vocab_size {cfg.real_vocab_size})")
    if getattr(loss0, "shape", ()) not in ((), (1,)):
        raise DumpError(f"/loss0 has shape {loss0.shape}; expected a scalar")
    if losses.ndim != 1 or losses.shape[0] != optim["steps"]:
        raise DumpError(f"/losses has shape {losses.shape}; expected [steps] = [{optim['steps']}]")
    try:
        expected = {n: tuple(p.shape) for n, p in GPT(cfg).named_parameters()}
    except ValueError as e:
        raise DumpError(f"bad model shape in the root attributes: {e}")
    for label, tensors in (("init", init), ("grad", grad)):
        missing = sorted(set(expected) - set(tensors))
        extra = sorted(set(tensors) - set(expected))
        wrong = sorted(n for n in set(expected) & set(tensors) if tuple(tensors[n].shape) != expected[n])
        problems = ([f"missing: {', '.join(missing)}"] if missing else []) + \
                   ([f"unexpected: {', '.join(extra)}"] if extra else []) + \
                   [f"{n} has shape {tuple(tensors[n].shape)}, expected {expected[n]}" for n in wrong]
        if problems:
            raise DumpError(f"/{label} does not match the model's parameters: " + "; ".join(problems))
    as_torch = lambda d: {n: torch.from_numpy(v.astype("float32")) for n, v in d.items()}
    return (cfg, optim, torch.from_numpy(x.astype("int64")), torch.from_numpy(y.astype("int64")),
            as_torch(init), as_torch(grad), float(loss0), [float(v) for v in losses])


def write_dump(path, cfg, optim, x, y, init, grad, loss0, losses):
    """Writes FORMAT; the inverse of read_dump (used to fabricate test dumps)."""
    import h5py
    with h5py.File(path, "w") as f:
        for key in MODEL_ATTRS:
            f.attrs[key] = int(getattr(cfg, key))
        for key in OPTIM_ATTRS:
            f.attrs[key] = optim[key]
        f["batch/x"] = x.numpy().astype("int32")
        f["batch/y"] = y.numpy().astype("int32")
        for name, t in init.items():
            f[f"init/{name}"] = t.detach().numpy().astype("float32")
        for name, t in grad.items():
            f[f"grad/{name}"] = t.detach().numpy().astype("float32")
        f["loss0"] = float(loss0)
        f["losses"] = torch.tensor(losses, dtype=torch.float64).numpy()
