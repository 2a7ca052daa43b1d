"""A PyTorch IterableDataset over a seqflow pipeline, sharded across DataLoader workers, training a few steps.

PipelineDataset runs the pipeline in each worker with shard=(worker id, number of workers) -- what
`seqflow run --shard I/N` does -- so the workers together see every record once, and each yields its
records as dicts with torch tensors (torch.from_numpy: no copy of the engine's buffers). The same class
serves any pipeline that ends in embed.output:
  audio -> fbank:  audio.read -> audio.fbank -> embed.output fields = ["id", "fbank"]
  text -> ids:     io.jsonl_read -> text.tokenize -> embed.output fields = ["id", "ids"]
  reads -> k-mers: dna.fastq_read -> dna.kmer -> embed.output (below)
The demo tokenizes pipelines/dna_kmer/reads.fastq into 3-mers and trains an EmbeddingBag classifier of
"GC-rich read" for a few steps. Workers start with "spawn": oneTBB's thread pool does not survive fork().

Usage: PYTHONPATH=build/python /usr/bin/python3 python/examples/torch_dataloader.py [--workers 2] [--steps 20]
"""
import argparse
import pathlib

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

import seqflow

READS = pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "dna_kmer" / "reads.fastq"

KMER_PIPELINE = f"""
[pipeline]
name = "kmer-dataset"

[[stage]]
name = "read"
plugin = "dna.fastq_read"
paths = ["{READS}"]

[[stage]]
name = "tokens"
plugin = "dna.kmer"
k = 3

[[stage]]
name = "out"
plugin = "embed.output"
fields = ["id", "seq", "tokens"]
"""


class PipelineDataset(IterableDataset):
    """Records of a seqflow pipeline (one that ends in embed.output), one shard per DataLoader worker."""

    def __init__(self, pipeline, overrides=None, threads=1, epochs=1):
        self.pipeline, self.overrides, self.threads, self.epochs = pipeline, overrides, threads, epochs

    def __iter__(self):
        info = get_worker_info()
        shard = None if info is None else (info.id, info.num_workers)
        p = seqflow.Pipeline(self.pipeline, self.overrides)  # loaded in the worker, after spawn
        for _ in range(self.epochs):
            for rec in p.stream(threads=self.threads, shard=shard):
                yield {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in rec.items()}


def collate(batch):
    """EmbeddingBag input: the token ids of the batch end to end, with offsets; label = GC fraction > 0.5."""
    tokens = [r["tokens"].long() for r in batch]
    offsets = torch.tensor([0] + [len(t) for t in tokens[:-1]]).cumsum(0)
    gc = [sum(c in "GC" for c in r["seq"]) / max(1, len(r["seq"])) for r in batch]
    return torch.cat(tokens), offsets, torch.tensor(gc) > 0.5, [r["id"] for r in batch]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    torch.manual_seed(0)
    data = PipelineDataset(KMER_PIPELINE, epochs=100)
    loader = DataLoader(data, batch_size=4, num_workers=args.workers, collate_fn=collate,
                        multiprocessing_context="spawn" if args.workers > 0 else None)
    bag = torch.nn.EmbeddingBag(4 ** 3 + 5, 16, mode="mean")  # 3-mers plus the special tokens
    head = torch.nn.Linear(16, 2)
    opt = torch.optim.Adam(list(bag.parameters()) + list(head.parameters()), lr=0.05)
    seen = set()
    losses = []
    for step, (tokens, offsets, labels, ids) in enumerate(loader):
        loss = torch.nn.functional.cross_entropy(head(bag(tokens, offsets)), labels.long())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        seen.update(ids)
        if step + 1 == args.steps:
            break
    print(f"{len(losses)} steps, loss {losses[0]:.3f} -> {losses[-1]:.3f}, {len(seen)} distinct reads seen")
    return losses, seen


if __name__ == "__main__":
    main()
