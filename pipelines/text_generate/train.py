#!/usr/bin/python3
"""Trains the text_generate model on make_data.py's text (Debian's python3-torch 1.13, CPU, one thread).

Each training example is 129 tokens read from a paragraph's start in the stream of all training paragraphs,
each tokenized with the shipped SentencePiece model and followed by </s> (id 2): position 0 is always a
paragraph's first token, as a prompt's is. Seeded (torch, and the example order); a fixed number of steps.
Writes model/model.safetensors and prints the held-out perplexity (eval.py's computation).
Run: nice -n 10 /usr/bin/python3 train.py [DATA_DIR] [STEPS] [OUT]
"""
import math
import os
import sys
import time

import numpy as np
import sentencepiece as spm
import torch
import st_io

from model_def import CONFIG, EOS_ID, TinyLlama
import eval as evaluate

HERE = os.path.dirname(os.path.abspath(__file__))
SEQ, BATCH, LR, WARMUP, SEED = 128, 8, 3e-3, 30, 1234


def encode_stream(sp, path):
    ids, starts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                starts.append(len(ids))
                ids.extend(sp.encode(line))
                ids.append(EOS_ID)
    return np.array(ids, dtype=np.int64), np.array(starts, dtype=np.int64)


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "/work/textgen-data"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(HERE, "model", "tokenizer.model"))
    assert sp.get_piece_size() == CONFIG["vocab_size"] and sp.id_to_piece(EOS_ID) == "</s>"
    ids, starts = encode_stream(sp, os.path.join(data, "train.txt"))
    starts = starts[starts + SEQ + 1 <= len(ids)]
    print(f"train: {len(ids)} tokens, {len(starts)} paragraph starts", flush=True)
    model = TinyLlama()
    print(f"parameters: {sum(p.numel() for p in model.parameters())}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.95), weight_decay=0.1)
    t0 = time.time()
    for step in range(steps):
        lr = LR * min(1.0, (step + 1) / WARMUP) * 0.5 * (1 + math.cos(math.pi * step / steps))
        for g in opt.param_groups:
            g["lr"] = lr
        pick = starts[rng.integers(0, len(starts), BATCH)]
        batch = torch.from_numpy(np.stack([ids[s:s + SEQ + 1] for s in pick]))
        logits = model(batch[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step} loss {loss.item():.3f} lr {lr:.2e} {time.time() - t0:.0f}s", flush=True)
    model.eval()
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, "model", "model.safetensors")
    st_io.save(model.state_dict(), out)
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")
    evaluate.report(model, sp, os.path.join(data, "heldout.txt"))


if __name__ == "__main__":
    main()
