#!/usr/bin/env python3
"""Reference ids from PyPI `tiktoken` for the rank files fetch_tiktoken.sh converts from npm.

Run with the bench venv after tests/text/fetch_tiktoken.sh:
    bench/text/.venv/bin/python tests/text/make_tiktoken_fixtures.py
tiktoken's own encoding constructors (tiktoken_ext.openai_public) are used with their download
replaced by the local file, whose sha256 tiktoken checks against the official hash: so the converted
files are byte-identical to OpenAI's and the patterns and special tokens are tiktoken's.
Writes tests/text/fixtures/tiktoken/<encoding>.expected.jsonl: per text (as WTF-8 hex), encode(text,
allowed_special="all"), encode_ordinary(text) and decode(ids).
"""
import hashlib
import json
import os
import random

import tiktoken
import tiktoken.load
from tiktoken_ext import openai_public

ROOT = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(ROOT, ".cache", "tiktoken")
DATA = os.path.join(ROOT, "..", "..", "..", "shared", "data", "tokenizers")
OUT = os.path.join(ROOT, "fixtures", "tiktoken")
os.makedirs(OUT, exist_ok=True)

def local_load(url, expected_hash=None):
    path = os.path.join(CACHE, url.rsplit("/", 1)[1])
    data = open(path, "rb").read()
    assert hashlib.sha256(data).hexdigest() == expected_hash, path + " differs from OpenAI's file"
    return tiktoken.load.load_tiktoken_bpe(path)
openai_public.load_tiktoken_bpe = local_load

records = [json.loads(l) for l in open(os.path.join(DATA, "qwen3", "fixture.jsonl"))]
corpus = [r["text"] for r in records if r["src"] != "edge"]
edge = [r["text"] for r in records if r["src"] == "edge" and not r.get("add_special_tokens")]
rng = random.Random(5)
tests = rng.sample(corpus, 80) + edge + [
    "a<|endoftext|>b<|fim_prefix|>c<|endofprompt|>", "<|endoftext", "'S 'LL 'Re HELLO'S", "x\ud800y\udfffz",
    "12345678901", "   \n\n  \t x  ", "中文 日本語 한국어 ǅungla ﬁ", "a" * 3000, " " * 2000 + "x"]

for name in ["r50k_base", "p50k_base", "p50k_edit", "cl100k_base", "o200k_base"]:
    enc = tiktoken.Encoding(**getattr(openai_public, name)())
    with open(os.path.join(OUT, name + ".expected.jsonl"), "w") as f:
        for t in tests:
            ids = enc.encode(t, allowed_special="all")
            # The text as WTF-8 hex: one test text holds lone surrogates, which JSON cannot carry as UTF-8.
            f.write(json.dumps({"wtf8": t.encode("utf-8", "surrogatepass").hex(), "ids": ids, "ordinary": enc.encode_ordinary(t), "decode": enc.decode(ids)},
                               ensure_ascii=False) + "\n")
    print(name)
