"""The script a user writes for language identification with the same model: sentencepiece + PyTorch.

Reads JSONL {"id", "text"}, tokenizes with sentencepiece (ids cut to 128, as the pipeline), runs the model of
pipelines/text_langid/langid_model.py on batches of 32 lines of similar length (padding masked), writes
{"id", "label", "score"} in input order. Lines without tokens are left out, as the pipeline logs them.
Usage: python langid_peer.py IN.jsonl OUT.jsonl THREADS
"""
import json
import os
import sys

import sentencepiece as spm
import torch

APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "pipelines", "text_langid")
sys.path.insert(0, APP)
from langid_model import MAX_TOKENS, LangId, load_safetensors  # noqa: E402

BATCH = 32


def main():
    src, dst, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    model_dir = os.path.join(APP, "model")
    labels = open(os.path.join(model_dir, "labels.txt")).read().split("\n")[:-1]
    sp = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "langid.model"))
    model = LangId(sp.get_piece_size(), len(labels))
    model.load_state_dict(load_safetensors(os.path.join(model_dir, "langid.safetensors")))
    model.eval()
    ids_of, texts = [], []
    with open(src, encoding="utf-8") as f:
        for line in f:
            j = json.loads(line)
            ids_of.append(j["id"])
            texts.append(j["text"])
    tokens = [t[:MAX_TOKENS] for t in sp.encode(texts)]
    order = sorted((i for i in range(len(tokens)) if tokens[i]), key=lambda i: len(tokens[i]))
    result = {}
    with torch.inference_mode():
        for b in range(0, len(order), BATCH):
            idx = order[b:b + BATCH]
            lengths = torch.tensor([len(tokens[i]) for i in idx])
            ids = torch.zeros(len(idx), int(lengths.max()), dtype=torch.long)
            for row, i in enumerate(idx):
                ids[row, :lengths[row]] = torch.tensor(tokens[i])
            probs = torch.softmax(model(ids, lengths).double(), 1)
            score, best = probs.max(1)
            for row, i in enumerate(idx):
                result[i] = (labels[int(best[row])], float(score[row]))
    with open(dst, "w", encoding="utf-8") as f:
        for i in range(len(tokens)):
            if i in result:
                f.write(json.dumps({"id": ids_of[i], "label": result[i][0], "score": result[i][1]},
                                   ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
