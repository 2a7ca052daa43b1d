#!/usr/bin/python3
"""Random models of the onednn benchmark cases, in every peer's format (run with /usr/bin/python3, which
has Debian's python3-torch and python3-onnx):

  make_models.py OUT_DIR [CASE...]

For each case, OUT_DIR/<case>/ gets model.safetensors + layers.toml (seqflow), model.onnx (ONNX Runtime,
exported with torch.onnx.export at the case's batch and length), model.pt (PyTorch's state_dict) and
meta.json (shapes). Cases (the issue's list):
  a   LSTM 80 -> 512, 3 layers, bidirectional, batch 16, 500 steps
  b1  LSTM 256 -> 256, 2 layers, batch 1, 200 steps
  b64 the same model, batch 64
  c   GRU 80 -> 512, 2 layers, bidirectional, batch 16, 500 steps
  d   Transformer encoder d=256, 4 heads, ff 1024, 6 layers, batch 16, length 256
  e   Transformer encoder d=512, 8 heads, ff 2048, 6 layers, batch 8, length 512
Extra cases, shapes on which the recurrent layers' thread rules were measured (not in the default run):
  x1  LSTM 64 -> 64, 2 layers, batch 4, 200 steps         (65k multiply-adds a step)
  x2  GRU 128 -> 128, 3 layers, batch 1, 300 steps        (49k)
  x3  LSTM 40 -> 128, 4 layers, batch 16, 400 steps       (1M)
  x4  GRU 256 -> 512, 2 layers, batch 1, 200 steps        (3 MB of W_hh per layer)
  x5  LSTM 80 -> 512, 3 layers, bidirectional, batch 1, 300 steps  (4 MB per direction)
  x6  Transformer encoder d=128, 2 heads, ff 512, 2 layers, batch 1, length 100
"""
import inspect
import json
import os
import struct
import sys

import torch
import torch.nn as nn

CASES = {
    "a": dict(kind="lstm", I=80, H=512, L=3, D=2, B=16, T=500),
    "b1": dict(kind="lstm", I=256, H=256, L=2, D=1, B=1, T=200),
    "b64": dict(kind="lstm", I=256, H=256, L=2, D=1, B=64, T=200),
    "c": dict(kind="gru", I=80, H=512, L=2, D=2, B=16, T=500),
    "d": dict(kind="transformer", d=256, heads=4, ff=1024, L=6, B=16, T=256),
    "e": dict(kind="transformer", d=512, heads=8, ff=2048, L=6, B=8, T=512),
    "x1": dict(kind="lstm", I=64, H=64, L=2, D=1, B=4, T=200),
    "x2": dict(kind="gru", I=128, H=128, L=3, D=1, B=1, T=300),
    "x3": dict(kind="lstm", I=40, H=128, L=4, D=1, B=16, T=400),
    "x4": dict(kind="gru", I=256, H=512, L=2, D=1, B=1, T=200),
    "x5": dict(kind="lstm", I=80, H=512, L=3, D=2, B=1, T=300),
    "x6": dict(kind="transformer", d=128, heads=2, ff=512, L=2, B=1, T=100),
}


class Encoder(nn.Module):
    def __init__(self, d, heads, ff, L):
        super().__init__()
        self.layers = nn.ModuleList(nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, batch_first=True)
                                    for _ in range(L))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Rnn(nn.Module):
    def __init__(self, kind, I, H, L, D):
        super().__init__()
        cls = nn.LSTM if kind == "lstm" else nn.GRU
        self.rnn = cls(I, H, num_layers=L, bidirectional=D == 2, batch_first=True)

    def forward(self, x):
        return self.rnn(x)[0]


def build(meta):
    if meta["kind"] == "transformer":
        m = Encoder(meta["d"], meta["heads"], meta["ff"], meta["L"])
        layers = [{"type": "transformer_encoder_layer", "prefix": f"layers.{i}", "nhead": meta["heads"]}
                  for i in range(meta["L"])]
        feat = meta["d"]
    else:
        m = Rnn(meta["kind"], meta["I"], meta["H"], meta["L"], meta["D"])
        layers = [{"type": meta["kind"], "prefix": "rnn", "num_layers": meta["L"], "bidirectional": meta["D"] == 2}]
        feat = meta["I"]
    return m.eval(), layers, feat


def save_safetensors(path, state):
    header, blobs, offset = {}, [], 0
    for name in sorted(state):
        data = state[name].detach().float().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(state[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for b in blobs:
            f.write(b)


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        sys.exit(f"make_models.py: unknown case {', '.join(unknown)}; the cases are {' '.join(CASES)}")
    for name in names:
        meta = CASES[name]
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        torch.manual_seed(1234)
        model, layers, feat = build(meta)
        save_safetensors(os.path.join(d, "model.safetensors"), model.state_dict())
        torch.save(model.state_dict(), os.path.join(d, "model.pt"))
        with open(os.path.join(d, "layers.toml"), "w") as f:
            f.write("layers = [\n")
            for layer in layers:
                f.write("  { " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in layer.items()) + " },\n")
            f.write("]\n")
        with open(os.path.join(d, "meta.json"), "w") as f:
            json.dump(dict(meta, features=feat), f)
        x = torch.randn(meta["B"], meta["T"], feat)
        # With gradients enabled PyTorch 1.13 skips the Transformer "fast path", which ONNX cannot export.
        # PyTorch 2.5+ defaults to its dynamo exporter; the TorchScript one that 1.13 uses keeps the
        # models alike across both (the device machine of README.md has PyTorch 2).
        legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
        torch.onnx.export(model, (x,), os.path.join(d, "model.onnx"), input_names=["x"], output_names=["y"],
                          opset_version=14, **legacy)
        print("wrote", d, flush=True)


if __name__ == "__main__":
    main()
