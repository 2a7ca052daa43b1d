#!/usr/bin/python3
"""Held-out perplexity of the text_generate model (per SentencePiece token and per character).

The held-out paragraphs (pages never seen in training, see make_data.py) are tokenized as in training
(each followed by </s>), concatenated, and cut into consecutive windows of 128 tokens; every window is
scored from its first token (the first token of a window is not predicted). The first MAX_TOKENS tokens are used.
Run: /usr/bin/python3 eval.py [DATA_DIR]
"""
import math
import os
import sys

import sentencepiece as spm
import torch
import st_io

from model_def import TinyLlama

HERE = os.path.dirname(os.path.abspath(__file__))
SEQ, MAX_TOKENS = 128, 128 * 400


def report(model, sp, path):
    import train
    ids, _ = train.encode_stream(sp, path)
    with open(path, encoding="utf-8") as f:
        chars = sum(len(l) for l in f)  # newline counted as the </s> it becomes
    n_win = min(len(ids), MAX_TOKENS) // SEQ
    frac_chars = chars * (n_win * SEQ) / len(ids)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, n_win, 16):
            w = torch.from_numpy(ids[i * SEQ:min(n_win, i + 16) * SEQ].reshape(-1, SEQ))
            logits = model(w[:, :-1])
            total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1),
                                                       reduction="sum").item()
            count += w[:, 1:].numel()
    print(f"held-out: {count} predicted tokens, perplexity {math.exp(total / count):.2f} per token, "
          f"{total / count / math.log(2):.3f} bits per token, "
          f"~{total / math.log(2) / (frac_chars * count / (n_win * SEQ)):.3f} bits per character")


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "/work/textgen-data"
    torch.set_num_threads(1)
    model = TinyLlama()
    model.load_state_dict(st_io.load(os.path.join(HERE, "model", "model.safetensors")))
    sp = spm.SentencePieceProcessor(model_file=os.path.join(HERE, "model", "tokenizer.model"))
    report(model.eval(), sp, os.path.join(data, "heldout.txt"))


if __name__ == "__main__":
    main()
