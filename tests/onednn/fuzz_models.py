#!/usr/bin/python3
"""Random models through the real CLI against PyTorch (a developer tool, not run by CI: it needs
Debian's python3-torch; run with /usr/bin/python3 from the repository root after a build):

  tests/onednn/fuzz_models.py [--family recurrent|transformer] [--seed S] [--cases N]
                              [--seqflow build/bin/seqflow] [--work DIR]

Each case draws a model, 1-12 records of random lengths and a batch size, then runs
`io.npy_read -> onednn.run -> io.npy_write` at `threads = 1` and `2`:
- recurrent: an LSTM (sometimes with projection), GRU or tanh/relu RNN (widths 1-520, 1-3 layers,
  either direction, with or without bias), for every rnn_kernel and precision f32 and int8;
- transformer: 1-2 TransformerEncoderLayers (1-8 heads of width 1-64, feed-forward 1-1100,
  norm_first either way, relu or gelu, causal or not), f32.
Failures: an f32 output off PyTorch's by more than 1e-4 x max(1, output range), a record missing,
a run that fails, or (recurrent) two thread counts giving different bytes. int8 errors above 5% of
the range are printed as notes (they depend on the model; see plugins/onednn/README.md).
Exit status 1 on any failure."""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "bench", "onednn"))
sys.path.insert(0, os.path.join(here, "..", "e2e", "cases", "onednn"))
from make_cases import pipeline  # noqa: E402
from make_models import save_safetensors  # noqa: E402



def draw_recurrent(rng):
    """A random recurrent model: (layers TOML, PyTorch module, input width, description, runs)."""
    kind = str(rng.choice(["lstm", "gru", "rnn_tanh", "rnn_relu"]))
    H = int(rng.choice([1, 5, 33, 64, 130, 256, 300, 520]))
    I = int(rng.choice([1, 3, 40, 128, 257]))
    L, D, bias = int(rng.integers(1, 4)), int(rng.choice([1, 2])), bool(rng.random() < 0.8)
    proj = int(rng.choice([0, 0, max(1, H // 3)])) if kind == "lstm" and H > 3 else 0
    kw = dict(num_layers=L, bidirectional=D == 2, batch_first=True, bias=bias)
    if kind == "lstm":
        m = nn.LSTM(I, H, proj_size=proj, **kw)
    elif kind == "gru":
        m = nn.GRU(I, H, **kw)
    else:
        m = nn.RNN(I, H, nonlinearity=kind[4:], **kw)
    extra = (f', nonlinearity = "{kind[4:]}"' if kind.startswith("rnn") else "") + \
        (f", proj_size = {proj}" if proj else "") + ("" if bias else ", bias = false")
    layers = f'{{ prefix = "rnn", type = "{"rnn" if kind.startswith("rnn") else kind}", num_layers = {L}, ' \
             f'bidirectional = {"true" if D == 2 else "false"}{extra} }}'
    runs = [(k, p) for k in ["auto", "matmul", "primitive"] for p in ["f32", "int8"]]
    desc = f"{kind} hidden {H} input {I} layers {L} dirs {D} bias {bias} proj {proj}"
    return layers, {"rnn": m}, lambda x: m(x)[0], I, desc, runs


def draw_transformer(rng):
    """A random stack of TransformerEncoderLayers, as draw_recurrent."""
    H, dh = int(rng.choice([1, 2, 3, 4, 8])), int(rng.choice([1, 5, 8, 16, 24, 64]))
    d, ff = H * dh, int(rng.choice([1, 7, 64, 200, 1100]))
    nf, act, causal = bool(rng.random() < 0.5), str(rng.choice(["relu", "gelu"])), bool(rng.random() < 0.4)
    L = int(rng.integers(1, 3))
    blocks = nn.ModuleList(nn.TransformerEncoderLayer(d, H, ff, dropout=0.0, activation=act, batch_first=True,
                                                      norm_first=nf) for _ in range(L))

    def forward(x):
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1]) if causal else None
        for b in blocks:
            x = b(x, src_mask=mask)
        return x

    layers = ", ".join(f'{{ type = "transformer_encoder_layer", prefix = "layers.{i}", nhead = {H}, '
                       f'norm_first = {str(nf).lower()}, activation = "{act}", causal = {str(causal).lower()} }}'
                       for i in range(L))
    desc = f"transformer d {d} heads {H} ff {ff} norm_first {nf} {act} causal {causal} layers {L}"
    return layers, {"layers": blocks}, forward, d, desc, [("auto", "f32")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", choices=["recurrent", "transformer"], default="recurrent")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--seqflow", default="build/bin/seqflow")
    ap.add_argument("--work", default="/tmp/seqflow-fuzz")
    a = ap.parse_args()
    seqflow = os.path.abspath(a.seqflow)
    rng = np.random.default_rng(a.seed)
    torch.manual_seed(a.seed)
    fails = 0
    for case in range(a.cases):
        layers, modules, forward, width, desc, runs = (draw_recurrent if a.family == "recurrent"
                                                        else draw_transformer)(rng)
        for m in modules.values():
            m.eval()
        d = os.path.join(a.work, f"case{case}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "inputs"))
        save_safetensors(os.path.join(d, "model.safetensors"),
                         {f"{p}.{k}": v for p, m in modules.items() for k, v in m.state_dict().items()})
        lens = [int(rng.choice([1, 2, rng.integers(1, 301)])) for _ in range(int(rng.integers(1, 13)))]
        xs = [torch.randn(T, width) * float(rng.choice([0.5, 1, 3])) for T in lens]
        for i, x in enumerate(xs):
            np.save(os.path.join(d, "inputs", f"r{i:02d}.npy"), x.numpy())
        bs = int(rng.choice([1, 3, 8, 40]))
        with open(os.path.join(d, "pipeline.toml"), "w") as f:
            f.write(pipeline(desc, f"[ {layers} ]", batch=bs))
        with torch.no_grad():
            want = [forward(x.unsqueeze(0))[0].numpy() for x in xs]
        rng_out = max(float(np.abs(w).max()) for w in want)
        desc = f"case {case}: {desc}, records {len(lens)} batch {bs}"
        fails_before = fails
        for kern, prec in runs:
            first = None
            for thr in [1, 2]:
                out = f"out_{kern}_{prec}_{thr}"
                r = subprocess.run([seqflow, "run", "pipeline.toml", "--no-progress", "--set", f"write.dir={out}",
                                    "--set", f"model.threads={thr}", "--set", f"resources.model.rnn_kernel={kern}",
                                    "--set", f"resources.model.precision={prec}"],
                                   cwd=d, capture_output=True, text=True,
                                   env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"))
                what = f"{desc}, {kern}/{prec}/threads {thr}"
                if r.returncode != 0:
                    print("FAIL run:", what, r.stderr[-300:])
                    fails += 1
                    continue
                files = sorted(os.listdir(os.path.join(d, out)))
                got = [np.load(os.path.join(d, out, f)) for f in files]
                if len(got) != len(want):
                    print("FAIL records:", what, len(got), "of", len(want))
                    fails += 1
                    continue
                err = max(float(np.abs(g - w).max()) for g, w in zip(got, want))
                if prec == "f32" and err > 1e-4 * max(1.0, rng_out):
                    print(f"FAIL f32 error {err:.3g}:", what)
                    fails += 1
                if prec == "int8" and err > 0.05 * max(1.0, rng_out):
                    print(f"note: int8 error {err:.3g} (range {rng_out:.3g}):", what)
                if first is None:
                    first = got
                elif a.family == "recurrent" and any(not np.array_equal(p, q) for p, q in zip(first, got)):
                    print("FAIL bytes differ between 1 and 2 threads:", what)
                    fails += 1
        print("ok  " if fails == fails_before else "FAIL", desc, flush=True)
    print(f"{fails} failures in {a.cases} cases")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
