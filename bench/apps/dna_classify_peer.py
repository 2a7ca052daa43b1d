#!/usr/bin/env python3
"""The script a user would write instead of pipelines/dna_classify: pyfastx reads the FASTQ, NumPy makes
the 4-mer ids, PyTorch runs the same weights; 150-base windows, the read's mean of window probabilities
weighted by bases, "unknown" below the threshold; the same reads.tsv and summary.tsv as the pipeline.
Usage: dna_classify_peer.py READS.fq[.gz] OUT_DIR THREADS   (run with the venv of dna_classify_setup_venv.sh)
"""
import json
import os
import struct
import sys

import numpy as np
import pyfastx
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
PIPE = os.path.normpath(os.path.join(HERE, "..", "..", "pipelines", "dna_classify"))
LABELS = open(os.path.join(PIPE, "labels.txt")).read().split()
WINDOW, MIN_WINDOW, THRESHOLD, BATCH = 150, 20, 0.5, 256
CODE = np.full(256, 4, dtype=np.int64)
for i, c in enumerate(b"ACGT"):
    CODE[c] = CODE[c + 32] = i


def tokens(seq):
    c = CODE[np.frombuffer(seq.encode(), dtype=np.uint8)]
    n = len(c) - 3
    ids = c[:n] * 64 + c[1:n + 1] * 16 + c[2:n + 2] * 4 + c[3:n + 3] + 5
    bad = (c[:n] == 4) | (c[1:n + 1] == 4) | (c[2:n + 2] == 4) | (c[3:n + 3] == 4)
    ids[bad] = 1
    return ids


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(261, 32)
        self.conv1 = nn.Conv1d(32, 64, 5, padding=2)
        self.conv2 = nn.Conv1d(64, 64, 5, padding=2)
        self.head = nn.Linear(64, 5)

    def forward(self, x):
        x = torch.relu(self.conv1(self.emb(x).transpose(1, 2)))
        x = torch.relu(self.conv2(x))
        return self.head(x.mean(dim=2))


def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return {k: torch.from_numpy(np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype="<f4")
                                .reshape(v["shape"]).copy()) for k, v in header.items() if k != "__metadata__"}


def main():
    path, out, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    net = Net()
    net.load_state_dict(load(os.path.join(PIPE, "model", "dna_classify.safetensors")))
    net.eval()
    os.makedirs(out, exist_ok=True)
    counts = [0] * (len(LABELS) + 1)
    tsv = open(os.path.join(out, "reads.tsv"), "w")
    tsv.write("id\tlabel\tprobability\twindows\n")
    pending = []  # (read id, [(window tokens, bases)]) waiting for a full batch of 150-base windows

    def flush():
        full = [(r, j) for r, (_, ws) in enumerate(pending) for j, (t, n) in enumerate(ws) if n == WINDOW]
        probs = {}
        with torch.no_grad():
            for b in range(0, len(full), BATCH):
                part = full[b:b + BATCH]
                x = torch.from_numpy(np.stack([pending[r][1][j][0] for r, j in part]))
                p = torch.softmax(net(x).double(), dim=1).float().double().numpy()
                for k, key in enumerate(part):
                    probs[key] = p[k]
            for r, (_, ws) in enumerate(pending):
                for j, (t, n) in enumerate(ws):
                    if n != WINDOW:
                        probs[(r, j)] = torch.softmax(net(torch.from_numpy(t)[None]).double(), 1).float().double().numpy()[0]
        for r, (rid, ws) in enumerate(pending):
            s = sum(n * probs[(r, j)] for j, (_, n) in enumerate(ws))
            best = int(np.argmax(s))
            p = s[best] / sum(n for _, n in ws)
            label = LABELS[best] if p >= THRESHOLD else "unknown"
            counts[best if p >= THRESHOLD else len(LABELS)] += 1
            tsv.write(f"{rid}\t{label}\t{p:.4f}\t{len(ws)}\n")
        pending.clear()

    n_windows = 0
    for name, seq, _ in pyfastx.Fastq(path, build_index=False):
        ws = []
        for start in range(0, len(seq), WINDOW):
            w = seq[start:start + WINDOW]
            if len(w) >= MIN_WINDOW:
                ws.append((tokens(w), len(w)))
            if start + WINDOW >= len(seq):
                break
        if ws:
            pending.append((name, ws))
            n_windows += len(ws)
        if n_windows >= 4096:
            flush()
            n_windows = 0
    flush()
    tsv.close()
    total = sum(counts)
    with open(os.path.join(out, "summary.tsv"), "w") as f:
        f.write("label\treads\tpercent\n")
        for label, n in zip(LABELS + ["unknown", "total"], counts + [total]):
            f.write(f"{label}\t{n}\t{100.0 * n / total if total else 0.0:.2f}\n")


if __name__ == "__main__":
    main()
