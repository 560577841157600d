#!/usr/bin/python3
"""Cross-checks a strata-prep token file with h5py, an independent reader:
format, dtype, attributes, split, and (given the source text) that the
tokens decode back to it. Exits non-zero with a message on any mismatch.

usage: check_tokens_h5py.py <tokens.h5> [--text <source text file>] [--bpe-dir <dir>]
"""
import argparse
import hashlib
import json
import os
import sys

import h5py
import numpy as np


def gpt2_byte_decoder():
    """Inverse of GPT-2's bytes_to_unicode: printable bytes map to themselves,
    the other 68 to code points from 256 up, in byte order."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    table, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            table[chr(byte)] = byte
        else:
            table[chr(256 + extra)] = byte
            extra += 1
    return table


def decode(ids, tokenizer, vocab, bpe_dir):
    if tokenizer == "char":
        return "".join(vocab[i] for i in ids).encode("utf-8")
    with open(os.path.join(bpe_dir, "encoder.json"), encoding="utf-8") as f:
        encoder = json.load(f)
    names = {v: k for k, v in encoder.items()}
    byte_of = gpt2_byte_decoder()
    return bytes(byte_of[c] for i in ids for c in names[int(i)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--text")
    parser.add_argument("--bpe-dir")
    args = parser.parse_args()
    problems = []

    def check(condition, message):
        if not condition:
            problems.append(message)

    with h5py.File(args.file, "r") as f:
        attrs = dict(f.attrs)
        tokens = f["tokens"]
        check(attrs.get("format") == "strata-tokens", f"format is {attrs.get('format')!r}")
        check(int(attrs.get("format_version", 0)) == 1, "format_version is not 1")
        vocab_size = int(attrs["vocab_size"])
        n = int(attrs["n_tokens"])
        train = int(attrs["train_tokens"])
        fraction = float(attrs["val_fraction"])
        tokenizer = attrs["tokenizer"]
        vocab = attrs["tokenizer_vocab"]
        check(tokens.ndim == 1, f"/tokens has {tokens.ndim} dimensions")
        check(tokens.chunks is None, "/tokens is chunked, not contiguous")
        want = np.uint16 if vocab_size <= 65536 else np.uint32
        check(tokens.dtype == want, f"dtype {tokens.dtype} for vocab_size {vocab_size}")
        check(tokens.shape[0] == n, f"n_tokens {n} but /tokens holds {tokens.shape[0]}")
        check(0 < train <= n, f"train_tokens {train} outside (0, {n}]")
        check(0.0 <= fraction < 1.0, f"val_fraction {fraction}")
        ids = tokens[...].astype(np.int64)
        check(int(ids.max()) < vocab_size, f"token {ids.max()} >= vocab_size {vocab_size}")
        if tokenizer == "char":
            check(len(vocab) == vocab_size, f"char vocabulary of {len(vocab)} != {vocab_size}")
            check(list(vocab) == sorted(set(vocab)), "char vocabulary is not sorted and unique")
        else:
            check(tokenizer == "gpt2-bpe" and vocab == "" and vocab_size == 50257,
                  f"gpt2 attributes: {tokenizer!r}, vocab {vocab!r}, size {vocab_size}")
        check(len(attrs["source_sha256"]) == 64, "source_sha256 is not 64 hex digits")

        if args.text:
            with open(args.text, "rb") as f_text:
                text = f_text.read()
            check(hashlib.sha256(text).hexdigest() == attrs["source_sha256"],
                  "source_sha256 differs from the text's SHA-256")
            head = decode(ids[:40].tolist(), tokenizer, vocab, args.bpe_dir)
            check(text.startswith(head), f"the first 40 tokens decode to {head[:80]!r}")
            whole = decode(ids.tolist(), tokenizer, vocab, args.bpe_dir)
            check(whole == text, "all tokens do not decode back to the source text")
            train_text = decode(ids[:train].tolist(), tokenizer, vocab, args.bpe_dir)
            check(train_text.endswith(b"\n"), "the val split does not start at a line boundary")

    if problems:
        for problem in problems:
            print(f"check_tokens_h5py: {args.file}: {problem}", file=sys.stderr)
        return 1
    print(f"check_tokens_h5py: {args.file}: ok ({n} tokens, train {train}, {tokenizer})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
