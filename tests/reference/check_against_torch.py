#!/usr/bin/python3
"""Checks a Strata reference dump against PyTorch on identical weights.

Owns the pass/fail rule of the reference tests:
  loss0      |L_strata - L_torch| / |L_torch|                      <= 1e-5
  gradients  max|g_strata - g_torch| / max(max|g_torch|, tiny)     <= 1e-4 per parameter
  AdamW      loss before each of `steps` steps on the same batch,  <= 1e-4 relative
Exit 0 pass, 1 fail (with a report), 2 malformed dump or bad usage.

  /usr/bin/python3 check_against_torch.py DUMP.h5
  /usr/bin/python3 check_against_torch.py --self-test   # fabricates dumps from torch itself
  /usr/bin/python3 check_against_torch.py --fabricate OUT.h5 [--perturb-grad NAME]
      writes a torch-made dump (NAME's gradient nudged past the tolerance) for ctest
"""
import argparse
import copy
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_gpt  # noqa: E402

LOSS_RTOL = 1e-5
GRAD_RTOL = 1e-4
STEP_RTOL = 1e-4
TINY = 1e-30  # a gradient that is exactly zero in torch must be exactly zero in Strata
WORST_SHOWN = 5


def deterministic_torch():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)


def model_at(cfg, weights):
    model = torch_gpt.GPT(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(weights[name])
    return model


def torch_run(cfg, optim, x, y, init):
    """Loss and gradients at init, then the losses before each AdamW step."""
    model = model_at(cfg, init)
    _, loss = model(x, y)
    loss.backward()
    loss0 = loss.item()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}

    model = model_at(cfg, init)
    opt = torch_gpt.make_adamw(model, optim["lr"], optim["beta1"], optim["beta2"], optim["eps"],
                               optim["weight_decay"])
    losses = []
    for _ in range(optim["steps"]):
        opt.zero_grad(set_to_none=True)
        _, loss = model(x, y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    return loss0, grads, losses


def rel(a, b):
    return abs(a - b) / max(abs(b), TINY)


def compare(dump, out=print):
    """Returns True when the dump agrees with torch; prints a report either way."""
    cfg, optim, x, y, init, grad, loss0, losses = dump
    B, T = x.shape
    out(f"model n_layer={cfg.n_layer} n_head={cfg.n_head} n_embd={cfg.n_embd} block={cfg.block_size} "
        f"vocab={cfg.vocab_size} (real {cfg.real_vocab_size}) bias={int(cfg.bias)}; batch {B}x{T}; "
        f"AdamW lr={optim['lr']:g} betas=({optim['beta1']:g}, {optim['beta2']:g}) eps={optim['eps']:g} "
        f"wd={optim['weight_decay']:g}, {optim['steps']} steps")
    t_loss0, t_grads, t_losses = torch_run(cfg, optim, x, y, init)
    ok = True

    err = rel(loss0, t_loss0)
    passed = err <= LOSS_RTOL
    ok &= passed
    out(f"loss0: strata {loss0:.9g} torch {t_loss0:.9g} rel {err:.2e} (tol {LOSS_RTOL:g}) "
        f"{'ok' if passed else 'FAIL'}")

    errors = []
    for name, g_torch in t_grads.items():
        diff = (grad[name] - g_torch).abs().max().item()
        scale = max(g_torch.abs().max().item(), TINY)
        errors.append((diff / scale, name, diff, scale))
    errors.sort(reverse=True)
    failed = [e for e in errors if not e[0] <= GRAD_RTOL]  # NaN fails too
    ok &= not failed
    out(f"gradients: {len(errors)} parameters, {len(failed)} over tol {GRAD_RTOL:g}; worst:")
    for e, name, diff, scale in (failed if len(failed) > WORST_SHOWN else errors[:WORST_SHOWN]):
        out(f"  {name:32s} rel {e:.2e}  max|diff| {diff:.3e}  max|g_torch| {scale:.3e}"
            f"{'  FAIL' if not e <= GRAD_RTOL else ''}")

    step_fail = 0
    for k, (s, t) in enumerate(zip(losses, t_losses)):
        err = rel(s, t)
        passed = err <= STEP_RTOL
        step_fail += not passed
        out(f"step {k}: strata {s:.9g} torch {t:.9g} rel {err:.2e}{'' if passed else '  FAIL'}")
    ok &= step_fail == 0
    out(f"{'PASS' if ok else 'FAIL'}: loss0, {len(errors)} gradients, {len(losses)} AdamW steps")
    return ok


def fabricate(path, cfg, optim, batch, seed):
    """A dump that Strata would write if it agreed with torch exactly."""
    gen = torch.Generator().manual_seed(seed)
    model = torch_gpt.init_gpt2_(torch_gpt.GPT(cfg), gen)
    init = {n: p.detach().clone() for n, p in model.named_parameters()}
    x = torch.randint(0, cfg.real_vocab_size, (batch, cfg.block_size), generator=gen)
    y = torch.randint(0, cfg.real_vocab_size, (batch, cfg.block_size), generator=gen)
    loss0, grads, losses = torch_run(cfg, optim, x, y, init)
    torch_gpt.write_dump(path, cfg, optim, x, y, init, grads, loss0, losses)
    return init, grads


def fabricate_cli(path, perturb):
    cfg = torch_gpt.GPTConfig(n_layer=2, n_head=2, n_embd=32, block_size=16, vocab_size=64,
                              real_vocab_size=50, bias=True)
    optim = dict(lr=1e-3, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, steps=3)
    fabricate(path, cfg, optim, batch=4, seed=7)
    if perturb:
        import h5py
        with h5py.File(path, "a") as f:
            if f"grad/{perturb}" not in f:
                print(f"--perturb-grad: no parameter {perturb}", file=sys.stderr)
                return 2
            g = f[f"grad/{perturb}"][()]
            g.reshape(-1)[0] += 3 * GRAD_RTOL * abs(g).max()
            f[f"grad/{perturb}"][...] = g
    print(f"wrote {path}" + (f" with {perturb} perturbed" if perturb else ""))
    return 0


def self_test():
    """The checker passes torch's own dumps and fails each kind of disagreement."""
    import h5py
    optim = dict(lr=1e-3, beta1=0.9, beta2=0.95, eps=1e-8, weight_decay=0.1, steps=3)
    failures = []
    quiet = lambda *_: None

    def expect(label, want, got):
        print(f"self-test {label}: expected {want}, got {got} -> {'ok' if want == got else 'WRONG'}")
        if want != got:
            failures.append(label)

    with tempfile.TemporaryDirectory() as tmp:
        for bias in (True, False):
            cfg = torch_gpt.GPTConfig(n_layer=2, n_head=2, n_embd=32, block_size=16, vocab_size=64,
                                      real_vocab_size=50, bias=bias)
            path = os.path.join(tmp, f"bias{int(bias)}.h5")
            fabricate(path, cfg, optim, batch=4, seed=1 + bias)
            expect(f"bias={int(bias)} unperturbed", "pass", "pass" if compare(torch_gpt.read_dump(path)) else "fail")

        # One gradient element off by 3x the tolerance must fail, on its own.
        cfg, _, x, y, init, grad, loss0, losses = dump = torch_gpt.read_dump(path)
        g = grad["h.1.mlp.c_fc.weight"]
        g[3, 5] += 3 * GRAD_RTOL * g.abs().max()
        print("self-test: report for a perturbed gradient (h.1.mlp.c_fc.weight[3,5]):")
        expect("perturbed gradient", "fail", "pass" if compare(dump) else "fail")
        g[3, 5] -= 3 * GRAD_RTOL * g.abs().max()

        bad = list(torch_gpt.read_dump(path))
        bad[6] *= 1 + 3 * LOSS_RTOL
        expect("perturbed loss0", "fail", "pass" if compare(bad, quiet) else "fail")
        bad = list(torch_gpt.read_dump(path))
        bad[7] = bad[7][:-1] + [bad[7][-1] * (1 + 3 * STEP_RTOL)]
        expect("perturbed last step loss", "fail", "pass" if compare(bad, quiet) else "fail")
        bad = list(torch_gpt.read_dump(path))
        bad[4] = copy.copy(bad[4])
        bad[4]["wpe.weight"] = bad[4]["wpe.weight"] * 1.001  # Strata started from other weights
        expect("perturbed init", "fail", "pass" if compare(bad, quiet) else "fail")

        with h5py.File(path, "a") as f:
            del f["grad/ln_f.weight"]
        try:
            torch_gpt.read_dump(path)
            expect("missing /grad/ln_f.weight", "DumpError", "no error")
        except torch_gpt.DumpError as e:
            expect("missing /grad/ln_f.weight", "DumpError", "DumpError")
            print(f"  message: {e}")
    print(f"self-test {'PASS' if not failures else 'FAIL: ' + ', '.join(failures)}")
    return 0 if not failures else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", nargs="?", help="HDF5 file written by strata-reference-dump")
    parser.add_argument("--self-test", action="store_true", help="check the checker on torch-made dumps")
    parser.add_argument("--fabricate", metavar="OUT", help="write a torch-made dump of a tiny model")
    parser.add_argument("--perturb-grad", metavar="NAME", help="with --fabricate: nudge this gradient")
    args = parser.parse_args()
    if (args.dump is not None) + args.self_test + (args.fabricate is not None) != 1 or \
            (args.perturb_grad and not args.fabricate):
        parser.print_usage(sys.stderr)
        print("check_against_torch.py: give one of DUMP, --self-test, --fabricate OUT", file=sys.stderr)
        return 2
    deterministic_torch()
    if args.self_test:
        return self_test()
    if args.fabricate:
        return fabricate_cli(args.fabricate, args.perturb_grad)
    try:
        dump = torch_gpt.read_dump(args.dump)
    except torch_gpt.DumpError as e:
        print(f"check_against_torch.py: malformed dump {args.dump}: {e}\n"
              "fix: regenerate it with strata-reference-dump (format: tests/reference/torch_gpt.py)",
              file=sys.stderr)
        return 2
    return 0 if compare(dump) else 1


if __name__ == "__main__":
    sys.exit(main())
