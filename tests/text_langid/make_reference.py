#!/usr/bin/python3
"""The shipped sample inputs of pipelines/text_langid and their reference outputs, from sentencepiece and
PyTorch (never from seqflow), so that CI checks the pipeline without PyTorch.

Writes
  pipelines/text_langid/samples.jsonl, samples.txt   2 held-out lines per language (the two with the
      smallest SHA-1 among eval lines of 20-160 characters) and a few hand-written edge cases: a
      paragraph longer than the 128 tokens the pipeline keeps, mixed scripts, digits only, an emoji, an
      empty text (no tokens: the pipeline logs it as an error)
  tests/text_langid/reference/expected.jsonl   per record: id, text, ids (sentencepiece 0.1.97, cut to
      128), logits (PyTorch 1.13, each record alone), label, score (softmax in double); ids and logits
      are null for the empty text
  tests/e2e/cases/examples/text_langid/expected/langid.jsonl and
  tests/e2e/cases/examples/text_langid_lines/expected/langid.jsonl   id and label, as io.jsonl_write
      writes them (the lines pipeline numbers lines of samples.txt, skipping the empty one)
Run: /usr/bin/python3 tests/text_langid/make_reference.py [--data /work/langid-data]
"""
import argparse
import collections
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
APP = os.path.join(ROOT, "pipelines", "text_langid")
sys.path.insert(0, APP)
from eval import load_model, torch_outputs  # noqa: E402

EDGE_CASES = [
    ("mixed_scripts", "Der Dienst 日本語 konnte nicht gestartet werden"),
    ("digits_only", "1234 5678 90"),
    ("emoji", "🙂 ¿Dónde está el archivo de configuración?"),
    ("empty", ""),
]


def dump(rows, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/work/langid-data")
    args = ap.parse_args()
    by_lang = collections.defaultdict(list)
    with open(os.path.join(args.data, "eval.tsv"), encoding="utf-8") as f:
        for line in f:
            label, _, text = line.rstrip("\n").split("\t")
            by_lang[label].append(text)
    records = []
    for label in sorted(by_lang):
        picked = sorted((t for t in by_lang[label] if 20 <= len(t) <= 160),
                        key=lambda t: hashlib.sha1(t.encode()).hexdigest())[:2]
        records += [(f"{label}_{i}", t) for i, t in enumerate(picked)]
    long_de = " ".join(sorted(by_lang["de"], key=lambda t: hashlib.sha1(t.encode()).hexdigest())[:12])
    records.append(("long_paragraph", long_de))
    records += EDGE_CASES

    dump([{"id": rid, "text": t} for rid, t in records], os.path.join(APP, "samples.jsonl"))
    with open(os.path.join(APP, "samples.txt"), "w", encoding="utf-8") as f:
        f.write("".join(t + "\n" for _, t in records))

    import torch
    torch.set_num_threads(1)
    sp, model, labels = load_model(os.path.join(APP, "model"))
    ref = torch_outputs(sp, model, [t for _, t in records])
    rows, e2e, e2e_lines = [], [], []
    for n, ((rid, text), (ids, logits, score, best)) in enumerate(zip(records, ref), 1):
        if logits is None:
            rows.append({"id": rid, "text": text, "ids": None, "logits": None, "label": None, "score": None})
            continue
        rows.append({"id": rid, "text": text, "ids": ids, "logits": logits, "label": labels[best], "score": score})
        e2e.append({"id": rid, "label": labels[best]})
        e2e_lines.append({"id": f"samples.txt:{n}", "label": labels[best]})
    dump(rows, os.path.join(HERE, "reference", "expected.jsonl"))
    cases = os.path.join(ROOT, "tests", "e2e", "cases", "examples")
    dump(e2e, os.path.join(cases, "text_langid", "expected", "langid.jsonl"))
    dump(e2e_lines, os.path.join(cases, "text_langid_lines", "expected", "langid.jsonl"))
    print(f"{len(records)} samples, {sum(r['label'] == r['id'].rsplit('_', 1)[0] for r in rows[:-5])} of "
          f"{len(rows) - 5} held-out lines labelled with their language")


if __name__ == "__main__":
    main()
