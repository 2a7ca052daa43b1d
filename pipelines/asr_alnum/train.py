#!/usr/bin/python3
"""Trains the asr_alnum CTC model on make_data.py's training split (Debian's PyTorch 1.13, CPU).

Usage: nice -n 5 /usr/bin/python3 train.py DATA_DIR [--epochs E] [--seed S] [--out MODEL_DIR]

Steps: torchaudio fbank of every training file (cached in DATA_DIR/train_fbank.pt), global CMVN
statistics over all training frames (MODEL_DIR/cmvn.json), CTC training with SpecAugment-style masks,
then the weights as safetensors (MODEL_DIR/asr_alnum.safetensors), the labels and the lexicon.
Seeded: the batch order, masks and initial weights come from torch generators seeded with --seed, and
torch runs on --threads threads (default 1), so a rerun on the same machine and torch build should give
the same weights (not verified by a second full run: the shared machine had no time for one).
One thread, not two: on this shared 2-core machine (load 10-20), two torch threads ran the BiLSTM 3x
slower in wall time than one (OpenMP threads wait for each other at every step while the other
engineers' jobs hold the cores), for 4x the CPU time.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_def as md  # noqa: E402


def load_split(data_dir, split, limit):
    with open(os.path.join(data_dir, split + ".jsonl")) as f:
        items = [json.loads(line) for line in f]
    if limit:
        items = items[:limit]
    cache = os.path.join(data_dir, "%s_%d_fbank.pt" % (split, len(items)))
    if os.path.exists(cache):
        feats = torch.load(cache)
    else:
        feats = []
        for k, it in enumerate(items):
            feats.append(md.fbank(os.path.join(data_dir, it["path"])))
            if (k + 1) % 1000 == 0:
                print("fbank %d/%d" % (k + 1, len(items)), file=sys.stderr, flush=True)
        torch.save(feats, cache)
    return items, feats


def targets(text):
    ids = []
    for i, w in enumerate(text.split()):
        if i:
            ids.append(md.LABELS.index(md.DELIM))
        ids.append(md.LABELS.index(w))
    return ids


def batches(lengths, max_frames, gen, shortest_first=False):
    """Length-sorted buckets of at most max_frames padded frames, in a seeded random order (or shortest
    first: SortaGrad, Amodei et al. 2016, which gets CTC past its all-blank plateau sooner)."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    out, cur = [], []
    for i in order:
        if cur and (len(cur) + 1) * lengths[i] > max_frames:
            out.append(cur)
            cur = []
        cur.append(i)
    if cur:
        out.append(cur)
    perm = torch.randperm(len(out), generator=gen).tolist()
    return out if shortest_first else [out[p] for p in perm]


def spec_augment(x, lengths, gen):
    n, t, f = x.shape
    for b in range(n):
        for _ in range(2):
            w = int(torch.randint(0, 11, (1,), generator=gen))
            f0 = int(torch.randint(0, f - w + 1, (1,), generator=gen))
            x[b, :, f0:f0 + w] = 0.0
        length = int(lengths[b])
        for _ in range(max(1, length // 150)):
            w = int(torch.randint(0, 9, (1,), generator=gen))
            t0 = int(torch.randint(0, max(1, length - w), (1,), generator=gen))
            x[b, t0:t0 + w, :] = 0.0
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--max-frames", type=int, default=5000)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sortagrad", type=int, default=1, help="1: the first epoch shortest utterances first")
    ap.add_argument("--init", default="", help="start from these weights (safetensors) and cmvn.json beside them")
    ap.add_argument("--ckpt-dir", default="", help="per-epoch checkpoints (default: DATA_DIR)")
    ap.add_argument("--limit", type=int, default=0, help="train on the first N utterances only")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "model"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    t0 = time.time()
    items, feats = load_split(args.data_dir, "train", args.limit)
    print("features: %d utterances, %.0f s" % (len(items), time.time() - t0), file=sys.stderr, flush=True)

    total = torch.zeros(md.NUM_BINS, dtype=torch.float64)
    total_sq = torch.zeros(md.NUM_BINS, dtype=torch.float64)
    count = 0
    for x in feats:
        xd = x.double()
        total += xd.sum(0)
        total_sq += (xd * xd).sum(0)
        count += x.shape[0]
    mean = total / count
    std = (total_sq / count - mean * mean).clamp_min(1e-20).sqrt()
    if args.init:
        # Fine-tuning keeps the statistics the weights were trained with.
        mean, std = md.load_cmvn(os.path.join(os.path.dirname(args.init), "cmvn.json"))
    with open(os.path.join(args.out, "cmvn.json"), "w") as f:
        json.dump({"mean": mean.tolist(), "std": std.tolist()}, f)
        f.write("\n")
    feats = [md.apply_cmvn(x, mean, std) for x in feats]
    tgts = [torch.tensor(targets(it["text"]), dtype=torch.long) for it in items]
    lengths = [x.shape[0] for x in feats]

    model = md.AlnumCTC()
    if args.init:
        state = md.load_safetensors(args.init)
        result = model.load_state_dict(state, strict=False)
        assert not result.unexpected_keys and all(k.endswith("num_batches_tracked") for k in result.missing_keys)
    n_params = sum(p.numel() for p in model.parameters())
    print("parameters: %d" % n_params, file=sys.stderr, flush=True)
    gen = torch.Generator().manual_seed(args.seed)
    plan = [batches(lengths, args.max_frames, gen, shortest_first=(e == 0 and args.sortagrad))
            for e in range(args.epochs)]
    steps = sum(len(p) for p in plan)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.15)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    step = 0
    for epoch in range(args.epochs):
        model.train()
        run_loss, n_b = 0.0, 0
        for b in plan[epoch]:
            lens = torch.tensor([lengths[i] for i in b])
            x = torch.zeros(len(b), int(lens.max()), md.NUM_BINS)
            for k, i in enumerate(b):
                x[k, :lengths[i]] = feats[i]
            x = spec_augment(x, lens, gen)
            tg = [tgts[i] for i in b]
            logp, out_len = model(x, lens)
            loss = ctc(logp.transpose(0, 1), torch.cat(tg), out_len, torch.tensor([len(t) for t in tg]))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            step += 1
            run_loss += float(loss)
            n_b += 1
            if step % 50 == 0:
                el = time.time() - t0
                print("epoch %d step %d/%d loss %.3f  %.0f s elapsed" % (epoch, step, steps, run_loss / n_b, el),
                      file=sys.stderr, flush=True)
        print("epoch %d done: mean loss %.4f, %.0f s" % (epoch, run_loss / max(1, n_b), time.time() - t0),
              file=sys.stderr, flush=True)
        torch.save(model.state_dict(), os.path.join(args.ckpt_dir or args.data_dir, "checkpoint_epoch%d.pt" % epoch))

    model.eval()
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    md.save_safetensors(state, os.path.join(args.out, "asr_alnum.safetensors"))
    with open(os.path.join(args.out, "labels.txt"), "w") as f:
        f.write("\n".join(md.LABELS) + "\n")
    with open(os.path.join(args.out, "lexicon.txt"), "w") as f:
        f.write("\n".join(md.WORDS) + "\n")
    with open(os.path.join(args.out, "train_log.json"), "w") as f:
        json.dump({"epochs": args.epochs, "seed": args.seed, "steps": steps, "parameters": n_params,
                   "utterances": len(items), "final_loss": run_loss / max(1, n_b),
                   "seconds": round(time.time() - t0)}, f, indent=1)
        f.write("\n")
    print("wrote %s in %.0f s" % (args.out, time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
