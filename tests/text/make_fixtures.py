#!/usr/bin/env python3
"""Reference ids for the text module's pathological-input tests, made by the reference libraries.

Run with the bench venv (bench/text/setup_venv.sh installs tokenizers and sentencepiece from PyPI):
    bench/text/.venv/bin/python tests/text/make_fixtures.py
Writes tests/text/fixtures/pathological.jsonl: one object per case with the tokenizer (a file under
../shared/data/tokenizers), how to build the text (literal `text`, or `repeat` x `count`), whether
special tokens are added, the number of ids, the ids themselves when short, and the sha256 of the
ids as little-endian int32 otherwise.
"""
import hashlib
import json
import os
import struct
import sys

import sentencepiece as spm
import tokenizers

ROOT = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(ROOT, "..", "..", "..", "shared", "data", "tokenizers")
OUT = os.path.join(ROOT, "fixtures", "pathological.jsonl")

hf = {
    "qwen3/tokenizer.json": tokenizers.Tokenizer.from_file(os.path.join(DATA, "qwen3/tokenizer.json")),
    "bert-base-uncased/tokenizer.json": tokenizers.Tokenizer.from_file(
        os.path.join(DATA, "bert-base-uncased/tokenizer.json")),
}
sp = spm.SentencePieceProcessor(model_file=os.path.join(DATA, "albert-base-v2/spiece.model"))

cases = []
def add(name, text=None, repeat=None, count=None):
    cases.append({"name": name, "text": text, "repeat": repeat, "count": count})

add("one_char_1mb", repeat="a", count=1_000_000)
add("spaces_100k", repeat=" ", count=100_000)
add("newlines_100k", repeat="\n", count=100_000)
add("digits_200k", repeat="7", count=200_000)
add("cjk_100k", repeat="\u4e2d", count=100_000)
add("emoji_zwj_20k", repeat="\U0001F469\u200D\U0001F4BB", count=20_000)
add("mixed_scripts", text="Hello мир 世界 مرحبا שלום नमस्ते こんにちは 안녕 ǅ ﬁ Ⅻ ①２３ e\u0301 \u212b Straße İstanbul ΣΑΣ")
add("nul_bytes", text="a\x00b\x00\x00c \x00 d\x00")
add("empty", text="")
add("only_spaces", text="    ")
add("controls", text="\x01\x02\x7f\u0085\u200b\ufeffx\u2028y\u2029z")
for i, base in enumerate(["ab cd", " x\ny "]):
    for pos in range(len(base) + 1):
        add(f"special_at_{i}_{pos}", text=base[:pos] + "<|endoftext|>" + base[pos:])
        add(f"bert_special_at_{i}_{pos}", text=base[:pos] + "[SEP]" + base[pos:])
add("special_adjacent", text="<|endoftext|><|endoftext|>[CLS][CLS]<|im_start|>x<|im_end|>")
add("special_partial", text="<|endoftext|<|endoftext|>|> [SEP [SEP]]")

def text_of(c):
    return c["text"] if c["text"] is not None else c["repeat"] * c["count"]

with open(OUT, "w") as f:
    for c in cases:
        t = text_of(c)
        for add_special in (False, True):
            results = {name: tk.encode(t, add_special_tokens=add_special).ids for name, tk in hf.items()}
            ids = sp.encode(t)
            results["albert-base-v2/spiece.model"] = ids  # no bos/eos in this model
            for name, got in results.items():
                rec = {"case": c["name"], "tokenizer": name, "add_special_tokens": add_special,
                       "text": c["text"], "repeat": c["repeat"], "count": c["count"], "n": len(got)}
                if len(got) <= 64:
                    rec["ids"] = got
                else:
                    rec["sha256"] = hashlib.sha256(struct.pack("<%di" % len(got), *got)).hexdigest()
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
print("wrote", OUT, file=sys.stderr)
