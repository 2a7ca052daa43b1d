#!/usr/bin/python3
"""Data for the CTC benchmark (bench/decode/bench_ctc.py), made from Debian's own text: the files under
/usr/share/doc (changelogs, copyright notices, READMEs), lower-cased, letters and apostrophes.

Writes into bench/decode/data/ (git-ignored, deterministic):
  lm.arpa          a 4-gram word LM over the 20,000 most frequent words (others are <unk>): interpolated
                   absolute discounting (D = 0.7) written in back-off form, 3- and 4-grams seen once pruned
                   (their mass goes to the back-off weights, so every distribution still sums to 1)
  chars.txt        V = 32 CTC labels: blank "_", word delimiter "|", "'", a-z, and three never-used symbols
  bpe.model        a SentencePiece BPE model of 999 units (Debian's python3-sentencepiece) + the blank = 1000
  pieces.txt       its pieces, line 0 the blank "<blank>", for seqflow's tokenizer resource
  {chars,bpe}/uNN.npy   8 synthetic utterances of 1000 frames each: held-out sentences spelled into
                   peaky CTC log-probabilities (1-3 frames per unit, blanks between, noise, and one frame
                   in seven of a unit with a rival 0.5 below it, so that the LM has work to do)
  {chars,bpe}/refs.txt  the sentences spelled
Run: /usr/bin/python3 bench/decode/make_data.py
"""
import collections
import glob
import gzip
import math
import os
import random
import re

import numpy as np
import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data")
VOCAB = 20000
ORDER = 4
D = 0.7
TRAIN_TOKENS = 3_000_000
FRAMES = 1000
UTTERANCES = 8


def corpus_lines():
    for f in sorted(glob.glob("/usr/share/doc/**/*", recursive=True)):
        base = os.path.basename(f)
        try:
            if f.endswith(".gz"):
                text = gzip.open(f, "rt", errors="ignore").read()
            elif base in ("copyright", "README", "NEWS") or f.endswith(".txt"):
                text = open(f, errors="ignore").read()
            else:
                continue
        except (OSError, EOFError, gzip.BadGzipFile):
            continue
        for line in text.splitlines():
            words = re.findall(r"[a-z]+(?:'[a-z]+)?", line.lower())
            if len(words) >= 4:
                yield words


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = list(corpus_lines())
    rng = random.Random(1)
    rng.shuffle(lines)
    train, held, tokens = [], [], 0
    for ws in lines:
        if tokens < TRAIN_TOKENS:
            train.append(ws)
            tokens += len(ws)
        elif len(held) < 2000:
            held.append(ws)
    unigrams = collections.Counter(w for ws in train for w in ws)
    vocab = set(w for w, _ in sorted(unigrams.items(), key=lambda kv: (-kv[1], kv[0]))[:VOCAB])
    counts = [collections.Counter() for _ in range(ORDER + 1)]
    for ws in train:
        s = ["<s>"] + [w if w in vocab else "<unk>" for w in ws] + ["</s>"]
        for n in range(1, ORDER + 1):
            for i in range(1 if n == 1 else 0, len(s) - n + 1):  # <s> is no unigram event
                counts[n][tuple(s[i:i + n])] += 1
    kept = [None, dict(counts[1])]
    for n in range(2, ORDER + 1):
        kept.append({g: c for g, c in counts[n].items() if n <= 2 or c >= 2})
    # Context totals and the discounted mass left to each context.
    ctx_total = [None] + [collections.Counter() for _ in range(ORDER)]
    ctx_listed = [None] + [collections.Counter() for _ in range(ORDER)]
    for n in range(2, ORDER + 1):
        for g, c in counts[n].items():
            ctx_total[n][g[:-1]] += c
        for g, c in kept[n].items():
            ctx_listed[n][g[:-1]] += c - D
    grams1 = sorted(kept[1])
    N = sum(kept[1].values())
    gamma0 = D * len(grams1) / N
    prob = [None, {}]
    for g in grams1:
        prob[1][g] = (kept[1][g] - D) / N + gamma0 / len(grams1)
    prob[1][("<s>",)] = 0.0
    backoff = [None] + [dict() for _ in range(ORDER)]
    for n in range(2, ORDER + 1):
        prob.append({})
        for g, c in kept[n].items():
            h = g[:-1]
            gamma = (ctx_total[n][h] - ctx_listed[n][h]) / ctx_total[n][h]
            backoff[n - 1][h] = gamma
            lower = g[1:]
            p_lower = prob[n - 1].get(lower)
            if p_lower is None:  # the suffix was pruned: its own back-off estimate
                p_lower = backoff_prob(prob, backoff, lower)
            prob[n][g] = (c - D) / ctx_total[n][h] + gamma * p_lower
    with open(os.path.join(OUT, "lm.arpa"), "w") as f:
        f.write("\\data\\\n")
        for n in range(1, ORDER + 1):
            f.write(f"ngram {n}={len(prob[n]) if n > 1 else len(prob[1])}\n")
        for n in range(1, ORDER + 1):
            f.write(f"\n\\{n}-grams:\n")
            for g in sorted(prob[n]):
                p = prob[n][g]
                lp = -99.0 if p <= 0 else math.log10(p)
                line = f"{lp:.6f}\t{' '.join(g)}"
                if n < ORDER and g in backoff[n]:
                    line += f"\t{math.log10(backoff[n][g]):.6f}"
                f.write(line + "\n")
        f.write("\n\\end\\\n")
    print("lm.arpa:", [len(prob[n]) for n in range(1, ORDER + 1)], "n-grams over", tokens, "training tokens")

    chars = ["_", "|", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["0", "1", "2"]
    open(os.path.join(OUT, "chars.txt"), "w").write("\n".join(chars) + "\n")
    with open(os.path.join(OUT, "sp_train.txt"), "w") as f:
        for ws in train[:200000]:
            f.write(" ".join(ws) + "\n")
    spm.SentencePieceTrainer.train(input=os.path.join(OUT, "sp_train.txt"), model_prefix=os.path.join(OUT, "bpe"),
                                   vocab_size=999, model_type="bpe", character_coverage=1.0, bos_id=-1,
                                   eos_id=-1, unk_id=0, num_threads=2, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, "bpe.model"))
    pieces = ["<blank>"] + [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    open(os.path.join(OUT, "pieces.txt"), "w").write("\n".join(pieces) + "\n")

    rng = np.random.default_rng(7)
    for kind in ("chars", "bpe"):
        os.makedirs(os.path.join(OUT, kind), exist_ok=True)
        V = len(chars) if kind == "chars" else len(pieces)
        refs = []
        pos = 0
        for u in range(UTTERANCES):
            frames, words = [], []
            while True:
                ws = held[pos % len(held)]
                pos += 1
                if kind == "chars":
                    units = []
                    for w in ws:
                        units += [chars.index(c) for c in w] + [1]
                else:
                    units = [i + 1 for i in sp.encode(" ".join(ws))]
                need = sum(2 for _ in units) + 1
                if len(frames) + need > FRAMES and words:
                    break
                words += ws
                prev = None
                for t in units:
                    if t == prev or rng.random() < 0.5:
                        frames.append(0)
                    frames += [t] * int(rng.integers(1, 3))
                    prev = t
            frames += [0] * (FRAMES - len(frames))
            frames = frames[:FRAMES]
            logits = rng.normal(0.0, 1.5, size=(FRAMES, V))
            for t, lab in enumerate(frames):
                logits[t, lab] += 6.0
                if lab != 0 and rng.random() < 0.15:  # a near-tie the LM may settle
                    logits[t, int(rng.integers(3 if kind == "chars" else 1, V))] += 5.5
            lp = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True)) - logits.max(1, keepdims=True)
            np.save(os.path.join(OUT, kind, f"u{u:02d}.npy"), lp.astype(np.float32))
            refs.append(" ".join(words))
        open(os.path.join(OUT, kind, "refs.txt"), "w").write("\n".join(refs) + "\n")
    print("wrote", OUT)


def backoff_prob(prob, backoff, g):
    """p(w | h) from the back-off form for an n-gram that is not listed."""
    if len(g) == 1:
        return prob[1].get(g, 0.0)
    if g in prob[len(g)]:
        return prob[len(g)][g]
    return backoff[len(g) - 1].get(g[:-1], 1.0) * backoff_prob(prob, backoff, g[1:])


if __name__ == "__main__":
    main()
