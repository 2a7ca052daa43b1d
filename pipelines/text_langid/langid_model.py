"""The language identification model in PyTorch, shared by train.py and eval.py.

The module tree mirrors pipeline.toml's layer list, one layer per module, each `prefix` the module's
state_dict() name:
  embedding            nn.Embedding(vocab, d)                      -> { type = "embedding" }
  (no parameters)      x * sqrt(d) + sinusoidal positions (the PyTorch tutorial's TransformerModel)
                                                                   -> { type = "positional_encoding", scale = 8.0 }
  encoder              nn.TransformerEncoder, pre-norm, final norm -> { type = "transformer_encoder" }
  (no parameters)      mean over the record's steps                -> { type = "adaptive_avg_pool1d" }
  head                 nn.Linear(d, languages)                     -> { type = "linear" }
"""
import json
import math
import struct

import torch
from torch import nn

D_MODEL = 64
NHEAD = 4
DIM_FEEDFORWARD = 192
NUM_LAYERS = 2
MAX_LEN = 512  # positions the sinusoid table covers; pipeline.toml truncates inputs to MAX_TOKENS
MAX_TOKENS = 128
SCALE = math.sqrt(D_MODEL)


def sinusoids(max_len, d):
    """The PyTorch tutorial's PositionalEncoding table, in float32 as the tutorial computes it."""
    position = torch.arange(max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
    pe = torch.zeros(max_len, d)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


class LangId(nn.Module):
    def __init__(self, vocab_size, num_classes, dropout=0.1):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, D_MODEL)
        # The tutorial's initialisation and sqrt(d) scale: with nn.Embedding's N(0, 1) rows, AdamW's steps of
        # about lr per update left the rows of all but the most frequent pieces near their random start
        # after one epoch (training accuracy stalled at 84%).
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        self.register_buffer("pe", sinusoids(MAX_LEN, D_MODEL), persistent=False)
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(D_MODEL, NHEAD, DIM_FEEDFORWARD, dropout=dropout, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, NUM_LAYERS, norm=nn.LayerNorm(D_MODEL),
                                             enable_nested_tensor=False)
        self.head = nn.Linear(D_MODEL, num_classes)

    def forward(self, ids, lengths):
        """ids [N, T] (padding anywhere past each length), lengths [N] -> logits [N, C]."""
        t = ids.shape[1]
        pad = torch.arange(t).unsqueeze(0) >= lengths.unsqueeze(1)
        x = self.dropout(self.embedding(ids) * SCALE + self.pe[:t])
        x = self.encoder(x, src_key_padding_mask=pad if bool(pad.any()) else None)
        x = x.masked_fill(pad.unsqueeze(2), 0.0).sum(1) / lengths.unsqueeze(1).to(x.dtype)
        return self.head(x)


def save_safetensors(state, path, metadata=None):
    """safetensors' format written directly (Debian has no python3-safetensors): an 8-byte little-endian
    header length, the JSON header, then each F32 tensor's bytes in order."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(state):
        t = state[name].detach().to(torch.float32).contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
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
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(e["shape"])
    return out
