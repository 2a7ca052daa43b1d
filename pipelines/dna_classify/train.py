#!/usr/bin/python3
"""Trains the read classifier on make_data.py's train.fa (Debian's torch 1.13, CPU, one thread, seeded).

Run: nice -n 10 /usr/bin/python3 pipelines/dna_classify/train.py [--data /work/dnaclass-data]
Writes model/dna_classify.safetensors (the state_dict, F32) next to this script and prints the loss and
the accuracy on a slice of calib.fq after every epoch. Same seed, same data -> same weights (torch's
deterministic CPU kernels, one thread).
"""
import argparse
import os
import time

import numpy as np
import torch

import model_def as md

HERE = os.path.dirname(os.path.abspath(__file__))


def read_labeled(path):
    """(sequence bytes, class) from a FASTA or FASTQ file whose headers hold `class=N`."""
    out = []
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    fastq = lines[0].startswith(b"@")
    step = 4 if fastq else 2
    for i in range(0, len(lines) - 1, step):
        cls = int(lines[i].split(b"class=")[1].split()[0])
        out.append((lines[i + 1], cls))
    return out


def batchify(items):
    toks = [md.kmer_tokens(s) for s, _ in items]
    T = max(len(t) for t in toks)
    x = np.zeros((len(toks), T), dtype=np.int64)
    for i, t in enumerate(toks):
        x[i, :len(t)] = t
    return (torch.from_numpy(x), torch.tensor([len(t) for t in toks]),
            torch.tensor([c for _, c in items]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/dnaclass-data")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kernel", type=int, default=md.KERNEL)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--limit", type=int, default=0, help="train on the first N shuffled reads only")
    ap.add_argument("--out", default=os.path.join(HERE, "model", "dna_classify.safetensors"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)

    train = read_labeled(os.path.join(args.data, "train.fa"))
    calib = read_labeled(os.path.join(args.data, "calib.fq"))
    calib = [calib[i] for i in rng.permutation(len(calib))[:1000]]
    order = rng.permutation(len(train))
    if args.limit:
        order = order[:args.limit]
    # Batches of similar lengths waste less on padding; their order is shuffled each epoch.
    model = md.ReadClassifier(kernel=args.kernel)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = args.epochs * ((len(order) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.time()
    for epoch in range(args.epochs):
        idx = rng.permutation(order)
        chunks = [idx[i:i + args.batch * 50] for i in range(0, len(idx), args.batch * 50)]
        batches = []
        for ch in chunks:
            ch = sorted(ch, key=lambda i: len(train[i][0]))
            batches += [ch[i:i + args.batch] for i in range(0, len(ch), args.batch)]
        model.train()
        total, n = 0.0, 0
        for bi in rng.permutation(len(batches)):
            x, lens, y = batchify([train[i] for i in batches[bi]])
            loss = loss_fn(model(x, lens), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(y)
            n += len(y)
        model.eval()
        with torch.no_grad():
            x, lens, y = batchify(calib)
            acc = (model(x, lens).argmax(1) == y).float().mean().item()
        print(f"epoch {epoch + 1}: loss {total / n:.4f}, calib accuracy {acc:.4f}, {time.time() - t0:.0f} s",
              flush=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    md.save_safetensors(model.state_dict(), args.out)
    print("saved", args.out, os.path.getsize(args.out), "bytes")


if __name__ == "__main__":
    main()
