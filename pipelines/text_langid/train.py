#!/usr/bin/python3
"""Trains the language identifier: a SentencePiece tokenizer (Debian's spm_train) and a small Transformer
encoder classifier (langid_model.py) on DATA/train.tsv from make_data.py.

Writes into pipelines/text_langid/model/: langid.model (the tokenizer), langid.safetensors (the weights,
state_dict names), labels.txt (one language code per line, class i on line i). Seeded and single-threaded:
the same data gives the same files. Run with `nice -n 10`: 47 minutes wall (2 min of it spm_train) on a
2-core machine at load average 10-16; the training loop is about 2,160 steps of 3,000 tokens.
"""
import argparse
import collections
import os
import random
import subprocess
import sys
import tempfile
import time

import sentencepiece as spm
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from langid_model import LangId, save_safetensors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_SIZE = 8000
SEED = 18
EPOCHS = 2
BATCH_TOKENS = 3000
MAX_LINES_PER_LANG = 6000   # of make_data.py's 12,000, to keep training near its time budget on a shared core
TRAIN_TOKENS = 64           # training lines are cut to this many tokens (the pipeline reads up to MAX_TOKENS)
SPM_LINES = 120000          # lines spm_train samples (seeded) from the training text
LR = 2e-3
WARMUP = 300


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            label, source, text = line.rstrip("\n").split("\t")
            rows.append((label, source, text))
    return rows


def train_tokenizer(rows, prefix):
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as f:
        for _, _, text in rows:
            f.write(text + "\n")
        corpus = f.name
    try:
        # character_coverage 0.9995 keeps the CJK characters of the catalogs that occur more than a few
        # times; byte_fallback spells the rarer ones as UTF-8 bytes instead of <unk>. One thread and a
        # fixed seed make the model file reproducible.
        subprocess.run(["spm_train", f"--input={corpus}", f"--model_prefix={prefix}", "--model_type=unigram",
                        f"--vocab_size={VOCAB_SIZE}", "--character_coverage=0.9995", "--byte_fallback=true",
                        "--num_threads=1", f"--random_seed={SEED}", f"--input_sentence_size={SPM_LINES}",
                        "--shuffle_input_sentence=true",
                        "--minloglevel=1"], check=True)
    finally:
        os.unlink(corpus)


def batches(examples, rng):
    """Batches of examples of similar length, at most BATCH_TOKENS padded tokens each, in random order."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i][0]), rng.random()))
    out, cur, width = [], [], 0
    for i in order:
        w = max(width, len(examples[i][0]))
        if cur and w * (len(cur) + 1) > BATCH_TOKENS:
            out.append(cur)
            cur, w = [], len(examples[i][0])
        cur.append(i)
        width = w
    if cur:
        out.append(cur)
    rng.shuffle(out)
    return out


def collate(examples, idx):
    lengths = torch.tensor([len(examples[i][0]) for i in idx])
    ids = torch.zeros(len(idx), int(lengths.max()), dtype=torch.long)
    for row, i in enumerate(idx):
        ids[row, :lengths[row]] = torch.tensor(examples[i][0])
    labels = torch.tensor([examples[i][1] for i in idx])
    return ids, lengths, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/work/langid-data")
    ap.add_argument("--out", default=os.path.join(HERE, "model"))
    ap.add_argument("--epochs", type=int, default=EPOCHS)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    os.makedirs(args.out, exist_ok=True)

    rows = read_tsv(os.path.join(args.data, "train.tsv"))
    rng.shuffle(rows)
    per_lang = collections.Counter()
    kept = []
    for r in rows:
        per_lang[r[0]] += 1
        if per_lang[r[0]] <= MAX_LINES_PER_LANG:
            kept.append(r)
    rows = kept
    labels = sorted(set(r[0] for r in rows))
    with open(os.path.join(args.out, "labels.txt"), "w") as f:
        f.write("".join(l + "\n" for l in labels))
    prefix = os.path.join(args.out, "langid")
    t0 = time.time()
    train_tokenizer(rows, prefix)
    os.unlink(prefix + ".vocab")
    print(f"tokenizer: {time.time() - t0:.0f} s", flush=True)

    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    index = {l: i for i, l in enumerate(labels)}
    examples = []
    for label, _, text in rows:
        ids = sp.encode(text)[:TRAIN_TOKENS]
        if ids:
            examples.append((ids, index[label]))
    counts = collections.Counter(e[1] for e in examples)
    # Classes weighted by the inverse square root of their size: the smallest (th, ar) have a quarter of
    # the largest's lines.
    weight = torch.tensor([(max(counts.values()) / counts[i]) ** 0.5 for i in range(len(labels))])
    print(f"{len(examples)} training lines, {len(labels)} languages", flush=True)

    model = LangId(sp.get_piece_size(), len(labels))
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    plan = [batches(examples, rng) for _ in range(args.epochs)]
    total = sum(len(p) for p in plan)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / WARMUP, max(0.02, (total - s) / (total - WARMUP))))
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    step = 0
    for epoch, epoch_batches in enumerate(plan):
        model.train()
        seen, loss_sum, correct = 0, 0.0, 0
        for idx in epoch_batches:
            ids, lengths, y = collate(examples, idx)
            logits = model(ids, lengths)
            loss = loss_fn(logits, y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            seen += len(idx)
            loss_sum += loss.item() * len(idx)
            correct += int((logits.argmax(1) == y).sum())
            if step % 200 == 0:
                print(f"epoch {epoch} step {step}/{total} loss {loss_sum / seen:.4f} acc {correct / seen:.4f} "
                      f"{time.time() - t0:.0f} s", flush=True)
        print(f"epoch {epoch} done: loss {loss_sum / seen:.4f} acc {correct / seen:.4f} {time.time() - t0:.0f} s",
              flush=True)

    model.eval()
    save_safetensors(model.state_dict(), os.path.join(args.out, "langid.safetensors"),
                     {"vocab_size": str(sp.get_piece_size()), "labels": ",".join(labels)})
    print(f"saved {args.out}, {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
