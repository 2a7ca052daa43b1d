"""The read classifier in PyTorch, its k-mer tokens and its safetensors export (shared by the scripts).

Tokens are dna.kmer's (k = 4, stride 1): special tokens [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then
5 + the k-mer read as a base-4 number (A=0 C=1 G=2 T=3), a k-mer holding any other letter -> [UNK].
The network is the layer list of pipelines/dna_classify/pipeline.toml:
  embedding(261, 32) -> conv1d(32, 64, 5, padding 2) -> relu -> conv1d(64, 64, 5, padding 2) -> relu
  -> adaptive_avg_pool1d(1) -> linear(64, 5)
Each record is one sequence; a batch of padded sequences is masked so that every sequence gets exactly
the numbers it would get alone (zeros past its end before each convolution, the mean over its own steps),
which is what seqflow's onednn.run computes record by record.
"""
import json
import struct

import numpy as np
import torch
from torch import nn

K = 4
VOCAB = 5 + 4 ** K
EMBED, CHANNELS, KERNEL = 32, 64, 5
LABELS = ["lambda_phage", "c_elegans", "human_mt", "orangutan_mt", "e_coli"]
_CODE = np.full(256, 4, dtype=np.int64)
for _i, _c in enumerate(b"ACGT"):
    _CODE[_c] = _i
    _CODE[ord(chr(_c).lower())] = _i
_CODE[ord("U")] = _CODE[ord("u")] = 3


def kmer_tokens(seq: bytes) -> np.ndarray:
    """dna.kmer's ids for one sequence (int64 [len - K + 1], empty when shorter than K)."""
    c = _CODE[np.frombuffer(seq, dtype=np.uint8)]
    n = len(c) - K + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    ids = np.zeros(n, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    for j in range(K):
        part = c[j:j + n]
        ids = ids * 4 + np.minimum(part, 3)
        bad |= part == 4
    ids += 5
    ids[bad] = 1
    return ids


class ReadClassifier(nn.Module):
    def __init__(self, kernel=KERNEL):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMBED)
        self.conv1 = nn.Conv1d(EMBED, CHANNELS, kernel, padding=kernel // 2)
        self.conv2 = nn.Conv1d(CHANNELS, CHANNELS, kernel, padding=kernel // 2)
        self.head = nn.Linear(CHANNELS, len(LABELS))

    def forward(self, tokens, lengths):
        """tokens: int64 [B, T] (padded with anything), lengths: int64 [B] (>= 1) -> logits [B, C]."""
        mask = (torch.arange(tokens.shape[1])[None, :] < lengths[:, None]).float()[:, None, :]
        x = self.emb(tokens).transpose(1, 2) * mask
        x = torch.relu(self.conv1(x)) * mask
        x = torch.relu(self.conv2(x)) * mask
        x = x.sum(dim=2) / lengths[:, None].float()
        return self.head(x)


def save_safetensors(state, path):
    """safetensors.torch.save_file's format (F32, little-endian), without the package Debian lacks."""
    header, blobs, offset = {}, [], 0
    for name in sorted(state):
        a = state[name].detach().cpu().contiguous().float().numpy().astype("<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").reshape(e["shape"]).copy())
    return out


# ---- The pipeline's read-level computation, written out in NumPy/PyTorch (the parity reference) ----
WINDOW, MIN_WINDOW = 150, 20


def windows(seq: bytes):
    """dna.window (length 150, stride 150) then dna.filter (min_length 20): (offset, bases) pairs."""
    out, start = [], 0
    while start < len(seq):
        w = seq[start:start + WINDOW]
        if len(w) >= MIN_WINDOW:
            out.append((start, w))
        if start + WINDOW >= len(seq):
            break
        start += WINDOW
    return out


def window_logits(model, seqs, batch=256):
    """Logits [n, C] (float32) of each sequence alone, computed in masked batches of similar lengths."""
    toks = [kmer_tokens(s) for s in seqs]
    order = sorted(range(len(toks)), key=lambda i: len(toks[i]))
    out = np.zeros((len(toks), len(LABELS)), dtype=np.float32)
    with torch.no_grad():
        for b in range(0, len(order), batch):
            idx = order[b:b + batch]
            T = max(len(toks[i]) for i in idx)
            x = np.zeros((len(idx), T), dtype=np.int64)
            for j, i in enumerate(idx):
                x[j, :len(toks[i])] = toks[i]
            lens = torch.tensor([len(toks[i]) for i in idx])
            out[idx] = model(torch.from_numpy(x), lens).numpy()
    return out


def read_calls(model, reads, threshold):
    """Per read (id, seq): decode.classify's f32 probabilities of each window, their mean weighted by the
    window's bases (in double), the best class (ties: lower id), 'unknown' below the threshold.
    Returns (calls [(id, label, probability, windows)], window logits, window ids)."""
    wins, owner, wids = [], [], []
    for r, (rid, seq) in enumerate(reads):
        for start, w in windows(seq):
            wins.append(w)
            owner.append(r)
            wids.append(f"{rid}:{start}")
    logits = window_logits(model, wins) if wins else np.zeros((0, len(LABELS)), np.float32)
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p = (p / p.sum(axis=1, keepdims=True)).astype(np.float32).astype(np.float64)
    sums = np.zeros((len(reads), len(LABELS)))
    weight = np.zeros(len(reads))
    count = np.zeros(len(reads), dtype=np.int64)
    for i, r in enumerate(owner):
        sums[r] += len(wins[i]) * p[i]
        weight[r] += len(wins[i])
        count[r] += 1
    calls = []
    for r, (rid, _) in enumerate(reads):
        if count[r] == 0:
            continue
        best = int(np.argmax(sums[r]))
        prob = sums[r][best] / weight[r]
        calls.append((rid, LABELS[best] if prob >= threshold else "unknown", prob, int(count[r])))
    return calls, logits, wids


def read_fastx(path):
    """(id, sequence bytes, header) of every record of a FASTA/FASTQ file (plain or gzip, multi-line)."""
    import gzip
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    lines = data.split(b"\n")
    out, i = [], 0
    if data.startswith(b">"):
        head, chunks = None, []
        for line in lines:
            if line.startswith(b">"):
                if head is not None:
                    out.append((head.split()[0].decode(), b"".join(chunks), head))
                head, chunks = line[1:].rstrip(b"\r"), []
            elif head is not None:
                chunks.append(line.strip())
        if head is not None:
            out.append((head.split()[0].decode(), b"".join(chunks), head))
        return out
    while i < len(lines):
        if not lines[i].startswith(b"@"):
            i += 1
            continue
        head = lines[i][1:].rstrip(b"\r")
        i += 1
        chunks = []
        while i < len(lines) and not lines[i].startswith(b"+"):
            chunks.append(lines[i].strip())
            i += 1
        seq = b"".join(chunks)
        i += 1
        got = 0
        while i < len(lines) and got < len(seq):
            got += len(lines[i].strip())
            i += 1
        out.append((head.split()[0].decode(), seq, head))
    return out


def load_model(path):
    state = load_safetensors(path)
    model = ReadClassifier(kernel=state["conv1.weight"].shape[2])
    model.load_state_dict(state)
    model.eval()
    return model
