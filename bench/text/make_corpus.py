#!/usr/bin/env python3
"""Builds the text benchmark's corpus: about 100 MB of real mixed text, documents separated by the
byte 0x1E (no document contains it), into bench/text/.cache/corpus.txt (and corpus.jsonl).

Sources, in order: the texts of the shared tokenizer fixtures (../shared/data/tokenizers: licences,
man pages, changelogs, ~170 languages of gettext catalogs, emoji annotations) repeated 4 times, then
Debian documentation: /usr/share/doc (plain and .gz files) and man page sources under /usr/share/man
(English and translated), each file valid UTF-8 only, cut into documents of at most 64 KB at blank
lines. Files are visited in sorted order, so the corpus is the same on the same machine.
"""
import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, ".cache", "corpus.txt")
SHARED = os.path.join(HERE, "..", "..", "..", "shared", "data", "tokenizers")
TARGET = int(float(sys.argv[1]) * 1e6) if len(sys.argv) > 1 else 100_000_000

docs, size = [], 0
def add(text):
    global size
    while text:
        cut = len(text) if len(text) <= 65536 else text.rfind("\n\n", 0, 65536)
        if cut <= 0:
            cut = 65536
        d = text[:cut].replace("\x1e", " ")
        text = text[cut:]
        if d.strip():
            docs.append(d)
            size += len(d.encode())
        if size >= TARGET:
            return

for f in ["qwen3/fixture.jsonl", "bert-base-uncased/fixture.jsonl", "albert-base-v2/fixture.jsonl"]:
    p = os.path.join(SHARED, f)
    if os.path.exists(p):
        texts = [json.loads(l)["text"] for l in open(p, encoding="utf-8")]
        for _ in range(4):
            add("\n".join(texts))

def files(root):
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()
        for n in sorted(names):
            yield os.path.join(dirpath, n)

for root in ["/usr/share/doc", "/usr/share/man"]:
    for p in files(root):
        if size >= TARGET:
            break
        if os.path.islink(p):
            continue
        try:
            raw = gzip.open(p).read() if p.endswith(".gz") else open(p, "rb").read()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
            continue
        if "\x00" in text:
            continue
        add(text)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w", encoding="utf-8", newline="") as f:
    f.write("\x1e".join(docs))
# The same documents as JSON Lines, for the seqflow pipeline run (io.jsonl_read).
with open(OUT.replace(".txt", ".jsonl"), "w", encoding="utf-8", newline="") as f:
    for k, d in enumerate(docs):
        f.write(json.dumps({"id": str(k), "text": d}, ensure_ascii=False) + "\n")
print(f"{OUT}: {size / 1e6:.1f} MB in {len(docs)} documents", file=sys.stderr)
