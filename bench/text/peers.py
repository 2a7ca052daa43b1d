#!/usr/bin/env python3
"""One peer tokenizer on the benchmark corpus, one thread: prints one JSON line like bench_text
(median MB/s over --reps runs by wall clock and by thread CPU time, id count, CRC-32 of the ids as
little-endian int32 in document order).

    peers.py PEER TOKENIZER CORPUS [--encoding NAME] [--reps N] [--single-char BYTES]
PEER: tokenizers | tiktoken | sentencepiece | tokendagger | gigatoken.
"""
import argparse
import array
import hashlib
import json
import os
import sys
import time
import zlib

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")

ap = argparse.ArgumentParser()
ap.add_argument("peer")
ap.add_argument("tokenizer")
ap.add_argument("corpus")
ap.add_argument("--encoding", default="")
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--single-char", type=int, default=0)
a = ap.parse_args()


def tiktoken_spec(name, path):
    """tiktoken's own definition of `name`, its rank file read from `path` (no download)."""
    import tiktoken.load
    from tiktoken_ext import openai_public

    def local(url, expected_hash=None):
        data = open(path, "rb").read()
        assert hashlib.sha256(data).hexdigest() == expected_hash, path + " differs from OpenAI's file"
        return tiktoken.load.load_tiktoken_bpe(path)

    openai_public.load_tiktoken_bpe = local
    return getattr(openai_public, name)()


t0 = time.perf_counter()
if a.peer == "tokenizers":
    import tokenizers
    tok = tokenizers.Tokenizer.from_file(a.tokenizer)
    encode = lambda s: tok.encode(s, add_special_tokens=False).ids
elif a.peer == "sentencepiece":
    import sentencepiece
    sp = sentencepiece.SentencePieceProcessor(model_file=a.tokenizer)
    encode = sp.encode
elif a.peer == "tiktoken":
    import tiktoken
    enc = tiktoken.Encoding(**tiktoken_spec(a.encoding, a.tokenizer))
    encode = lambda s: enc.encode(s, allowed_special="all")
elif a.peer == "tokendagger":
    import tokendagger
    spec = tiktoken_spec(a.encoding, a.tokenizer)
    enc = tokendagger.Encoding(spec["name"], pat_str=spec["pat_str"], mergeable_ranks=spec["mergeable_ranks"],
                               special_tokens=spec["special_tokens"])
    # tokendagger 0.1.1's encode(..., allowed_special=...) returns [] for every text; encode_ordinary
    # works, and the corpus holds no special-token strings (the CRC check confirms equal ids).
    encode = enc.encode_ordinary
elif a.peer == "gigatoken":
    import gigatoken
    if a.tokenizer.endswith(".tiktoken"):
        g = gigatoken.Tokenizer.from_tiktoken(a.tokenizer)
    elif a.tokenizer.endswith(".model"):
        g = gigatoken.Tokenizer.from_sentencepiece(a.tokenizer)
    else:
        g = gigatoken.Tokenizer(a.tokenizer)
    encode = g.encode
else:
    sys.exit("unknown peer " + a.peer)
load_s = time.perf_counter() - t0

if a.single_char:
    docs = ["a" * a.single_char]
else:
    docs = open(a.corpus, encoding="utf-8", newline="").read().split("\x1e")  # keep CR bytes
nbytes = sum(len(d.encode()) for d in docs)
walls, cpus = [], []
for _ in range(a.reps):
    c0, w0 = time.thread_time(), time.perf_counter()
    out = [encode(d) for d in docs]
    walls.append(time.perf_counter() - w0)
    cpus.append(time.thread_time() - c0)
crc, n = 0, 0
for ids in out:
    b = array.array("i", [int(x) for x in ids]).tobytes()
    n += len(ids)
    crc = zlib.crc32(b, crc)
walls.sort()
cpus.sort()
mw, mc = walls[len(walls) // 2], cpus[len(cpus) // 2]
print(json.dumps({"impl": a.peer, "mb": round(nbytes / 1e6, 2), "threads": 1, "reps": a.reps, "wall_s": round(mw, 4),
                  "cpu_s": round(mc, 4), "mb_s_wall": round(nbytes / 1e6 / mw, 2), "mb_s_cpu": round(nbytes / 1e6 / mc, 2),
                  "ids": n, "crc32": crc, "load_s": round(load_s, 3)}))
