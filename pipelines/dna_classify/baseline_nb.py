#!/usr/bin/python3
"""Diagnostic, not part of the pipeline: a k-mer naive Bayes (base composition only, add-one smoothing)
trained on make_data.py's train.fa and tested on the held-out reads. It shows how far composition alone
gets on the held-out blocks (README: "why the held-out numbers are low").
Run: /usr/bin/python3 pipelines/dna_classify/baseline_nb.py [K=6] [--data /work/dnaclass-data]"""
import os
import sys

import numpy as np

import model_def as md

K = int(sys.argv[1]) if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else 6
DATA = sys.argv[sys.argv.index("--data") + 1] if "--data" in sys.argv else "/work/dnaclass-data"


def ids(s):
    c = md._CODE[np.frombuffer(s, np.uint8)]
    n = len(c) - K + 1
    v = np.zeros(n, np.int64)
    bad = np.zeros(n, bool)
    for j in range(K):
        v = v * 4 + np.minimum(c[j:j + n], 3)
        bad |= c[j:j + n] == 4
    return v[~bad]


cnt = np.ones((len(md.LABELS), 4 ** K))
lines = open(os.path.join(DATA, "train.fa"), "rb").read().split(b"\n")
for i in range(0, len(lines) - 1, 2):
    cls = int(lines[i].split(b"class=")[1].split()[0])
    np.add.at(cnt[cls], ids(lines[i + 1]), 1)
logp = np.log(cnt / cnt.sum(1, keepdims=True))
for f in ["test_sim150_illumina.fq", "test_sim150_ont.fq", "test_ecoli_real.fq"]:
    reads = md.read_fastx(os.path.join(DATA, f))
    truth = np.array([int(h.split(b"class=")[1].split()[0]) for _, _, h in reads])
    pred = np.array([logp[:, ids(s)].sum(1).argmax() for _, s, _ in reads])
    per = ", ".join(f"{md.LABELS[c]} {np.mean(pred[truth == c] == c):.3f}" for c in range(len(md.LABELS))
                    if (truth == c).any())
    print(f"{f}: {K}-mer naive Bayes accuracy {np.mean(pred == truth):.4f} ({per})")
