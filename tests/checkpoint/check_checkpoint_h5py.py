#!/usr/bin/python3
"""Cross-checks a Strata checkpoint with h5py, an independent reader: format
attributes, state, the exact set of datasets, their dtype and shape, and every
value (the test writer stores a formula h5py can recompute). Exits non-zero
with the list of mismatches.

usage: check_checkpoint_h5py.py <step-N.h5> --step N
"""
import argparse
import hashlib
import sys

import h5py
import numpy as np

# Mirrors tests/checkpoint/checkpoint_test_support.hpp.
MODEL = [("wte.weight", (7, 5)), ("h.0/attn.c_attn.weight", (3, 4, 5)),
         ("ln_f.bias", (9,)), ("scale", (1,))]
CONFIG = "[train]\nlr = 0.0006  # the peak\nseed = 1337\n[output]\ndir = out-\u00e9\n"


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--step", type=int, required=True)
    args = parser.parse_args()
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    with h5py.File(args.file, "r") as f:
        expect("format", text(f.attrs["format"]), "strata-checkpoint")
        expect("format_version", int(f.attrs["format_version"]), 1)
        expect("step", int(f.attrs["step"]), args.step)
        expect("config", text(f.attrs["config"]), CONFIG)
        expect("config_sha256", text(f.attrs["config_sha256"]),
               hashlib.sha256(CONFIG.encode("utf-8")).hexdigest())
        expect("optimizer step", int(f["optimizer"].attrs["step"]), args.step - 1)
        expect("rng", {k: int(v) for k, v in f["rng"].attrs.items()},
               {"seed": 0x1234567890ABCDEF, "dropout": 123456789012, "init": 7})
        expect("data step", int(f["data"].attrs["step"]), args.step)
        expect("sample_cursor", int(f["data"].attrs["sample_cursor"]), args.step * 32 + 5)

        found = []
        f.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
        wanted = [f"model/{n}" for n, _ in MODEL] + [
            f"optimizer/{n}/{m}" for n, _ in MODEL for m in ("exp_avg", "exp_avg_sq")]
        expect("datasets", sorted(found), sorted(wanted))

        for t, (name, shape) in enumerate(MODEL):
            for which, path in enumerate([f"model/{name}", f"optimizer/{name}/exp_avg",
                                          f"optimizer/{name}/exp_avg_sq"]):
                if path not in f:
                    continue
                data = f[path]
                expect(f"{path} dtype", data.dtype.str, "<f4")
                expect(f"{path} shape", data.shape, shape)
                want = ((t + 1) * 1000 + 0.5 * np.arange(int(np.prod(shape))) + 0.25 * which)
                want = want.astype(np.float32).reshape(shape)
                if data.shape == shape and not np.array_equal(data[()], want):
                    problems.append(f"{path}: values differ from the formula")

    for problem in problems:
        print("MISMATCH", problem)
    print("h5py: checkpoint OK" if not problems else f"h5py: {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
