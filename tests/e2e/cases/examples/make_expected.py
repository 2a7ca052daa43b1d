"""Expected outputs of the example pipelines in pipelines/, computed here without seqflow.

hello: one JSON object per non-empty line of greetings.txt, id "<file>:<line>".
dna_kmer: reads of at least 25 bases; overlapping 6-mers; id = 5 + rank of the k-mer in lexicographic
order over ACGT (special tokens [PAD] [UNK] [CLS] [SEP] [MASK] = 0..4), k-mers with N -> [UNK] = 1,
framed by [CLS] = 2 and [SEP] = 3.
Run: python3 make_expected.py (from this folder).
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))


def dump(rows, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n")


def hello():
    rows = []
    with open(os.path.join(ROOT, "pipelines", "hello", "greetings.txt")) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line:
                rows.append({"id": f"greetings.txt:{n}", "text": line})
    dump(rows, os.path.join(HERE, "hello", "expected", "hello.jsonl"))


def kmer_ids(seq, k=6):
    code = {"A": 0, "C": 1, "G": 2, "T": 3}
    ids = [2]
    for i in range(len(seq) - k + 1):
        kmer = seq[i:i + k].upper()
        if any(c not in code for c in kmer):
            ids.append(1)
            continue
        v = 0
        for c in kmer:
            v = v * 4 + code[c]
        ids.append(5 + v)
    return ids + [3]


def dna_kmer():
    rows = []
    with open(os.path.join(ROOT, "pipelines", "dna_kmer", "reads.fastq")) as f:
        lines = f.read().split("\n")
    for i in range(0, len(lines) - 3, 4):
        rid = lines[i][1:].split()[0]
        seq = lines[i + 1]
        if len(seq) >= 25:
            rows.append({"id": rid, "seq": seq, "tokens": kmer_ids(seq)})
    dump(rows, os.path.join(HERE, "dna_kmer", "expected", "tokens.jsonl"))


if __name__ == "__main__":
    hello()
    dna_kmer()
