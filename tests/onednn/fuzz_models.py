#!/usr/bin/python3
"""Random models through the real CLI against PyTorch (a developer tool, not run by CI: it needs
Debian's python3-torch; run with /usr/bin/python3 from the repository root after a build):

  tests/onednn/fuzz_models.py [--family recurrent|transformer|composite] [--seed S] [--cases N]
                              [--seqflow build/bin/seqflow] [--work DIR] [--only CASE] [--kinds K,...]

Each case draws a model, 1-12 records of random lengths and a batch size, then runs
`io.npy_read -> onednn.run -> io.npy_write`:
- recurrent: an LSTM (sometimes with projection), GRU or tanh/relu RNN (widths 1-520, 1-3 layers,
  either direction, with or without bias), for every rnn_kernel and precision f32 and int8;
- transformer: 1-2 TransformerEncoderLayers (1-8 heads of width 1-64, feed-forward 1-1100,
  norm_first either way, relu or gelu, causal or not), f32;
- composite: a chain of 2-6 layers of every other kind (see draw_composite), f32.
Each runs at one thread, with `model.threads = 2`, and with two engine workers (`--threads 2`).
Failures: an f32 output off PyTorch's by more than 1e-4 x max(1, output range), a record missing or
of the wrong shape, a run that fails, two engine workers giving other bytes than one, or
(recurrent) two oneDNN threads giving other bytes than one. int8 errors above 5% of
the range are printed as notes (they depend on the model; see plugins/onednn/README.md).
Each case's folder under --work keeps its pipeline, inputs and PyTorch's outputs (expected/).
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
from make_fixtures import (AbsPositions, Learned, LlamaRMSNorm, RelPositionalEncoding,  # noqa: E402
                           RelPositionMultiHeadedAttention, Sinusoidal, memory_model)
from make_models import save_safetensors  # noqa: E402



def features(rng, width):
    return lambda T: torch.randn(T, width) * float(rng.choice([0.5, 1, 3]))


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
    return dict(layers=layers, modules={"rnn": m}, forward=lambda x: m(x)[0], make_input=features(rng, I), desc=desc,
                runs=runs, recurrent=True)


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
    return dict(layers=layers, modules={"layers": blocks}, forward=forward, make_input=features(rng, d), desc=desc,
                runs=[("auto", "f32")])


def divisors(n):
    return [k for k in range(1, n + 1) if n % k == 0]


def maybe_weight_norm(rng, module, parts):
    """Sometimes puts `module` under torch.nn.utils.weight_norm (any dim, or None), g away from ||v||."""
    if rng.random() >= 0.25:
        return module
    dims = list(range(module.weight.dim())) + [None]
    dim = dims[int(rng.integers(0, len(dims)))]
    module = nn.utils.weight_norm(module, dim=dim)
    with torch.no_grad():
        module.weight_g.mul_(torch.rand_like(module.weight_g) + 0.5)
    parts.append(f"weight_norm dim {dim}")
    return module


KINDS = ["conv1d", "linear", "layer_norm", "batch_norm", "group_norm", "pool", "act", "act", "dropout",
         "positional", "recurrent", "encoder", "decoder", "flip", "conv2d", "attention", "rel_attention"]


class SplitAttention(nn.Module):
    """Self-attention with separate q/k/v/out Linears under the names `names` (Hugging Face's or
    ESPnet's), computed by PyTorch's own F.multi_head_attention_forward."""

    def __init__(self, d, heads, names, k_bias, kdim):
        super().__init__()
        self.d, self.heads, self.names = d, heads, names
        for i, n in enumerate(names):
            self.add_module(n, nn.Linear(kdim if i in (1, 2) else d, d, bias=k_bias or i != 1))

    def forward(self, x, kv, mask):
        q, k, v, o = (getattr(self, n) for n in self.names)
        zero = torch.zeros(self.d)
        bias = torch.cat([q.bias, k.bias if k.bias is not None else zero, v.bias])
        y = nn.functional.multi_head_attention_forward(
            x.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1), self.d, self.heads, None, bias, None, None,
            False, 0.0, o.weight, o.bias, training=False, need_weights=False, attn_mask=mask,
            use_separate_proj_weight=True, q_proj_weight=q.weight, k_proj_weight=k.weight, v_proj_weight=v.weight)[0]
        return y.transpose(0, 1)


def on_image(m, x, c, time_is_width):
    """A 2-d module on [1, T, c * F] steps as PyTorch speech front ends apply it: the image [1, c, T, F]
    (ESPnet), or [1, c, F, T] (DeepSpeech2); its output read back as [1, T', c' * F']."""
    img = x.reshape(1, x.shape[1], c, -1).permute(0, 2, 1, 3)
    y = m(img.transpose(2, 3) if time_is_width else img)
    if time_is_width:
        y = y.transpose(2, 3)
    return y.permute(0, 2, 1, 3).reshape(1, y.shape[2], -1)


def keeps_length(item):
    """Whether a shrink entry (a conv1d's (k, s, dil, pad, mode); pools are tuples led by a string)
    gives every record its own length."""
    if isinstance(item[0], str):
        return False
    k, s, dil, pad, _ = item
    span = dil * (k - 1)
    return s == 1 and (pad == "same" or (span == 0 if pad == "valid" else 2 * pad == span))


def wrap_residual(rng, segs, mods, steps, layers, shrink, parts):
    """Wraps a run of one to three drawn layers that keep each record's length in a residual block
    (x + scale * body(x), or a Linear shortcut where the width changes or by chance)."""
    a = int(rng.integers(0, len(segs)))
    b = min(len(segs), a + int(rng.integers(1, 4)))
    seg = segs[a:b]
    if any(s[8] for s in seg) or not all(keeps_length(it) for s in seg for it in shrink[s[4]:s[5]]):
        return
    d_in, d_out = seg[0][6], seg[-1][7]
    body = steps[seg[0][0]:seg[-1][1]]
    inner = ", ".join(layers[seg[0][2]:seg[-1][3]])
    name = f"res{a}"
    if rng.random() < 0.3:  # a gated block instead: body(x) * act(Linear(x))
        mods[name] = nn.Linear(d_in, d_out)
        act = str(rng.choice(["silu", "sigmoid"]))
        f = nn.SiLU() if act == "silu" else nn.Sigmoid()

        def gated(m, x, mem, body=body, f=f):
            y = x
            for n, g in body:
                y = g(mods.get(n), y, mem)
            return y * f(m(x))
        steps[seg[0][0]:seg[-1][1]] = [(name, gated)]
        layers[seg[0][2]:seg[-1][3]] = [f'{{ type = "gated", layers = [{inner}], gate = [{{ type = "linear", '
                                        f'prefix = "{name}" }}, {{ type = "{act}" }}] }}']
        parts.append(f"gated over {b - a} layers, gate {act}")
        return
    short = d_in != d_out or rng.random() < 0.3
    scale = float(rng.choice([1.0, 0.5, -2.0]))
    if short:
        mods[name] = nn.Linear(d_in, d_out)

    def res(m, x, mem, body=body, scale=scale):
        y = x
        for n, f in body:
            y = f(mods.get(n), y, mem)
        return (x if m is None else m(x)) + scale * y
    steps[seg[0][0]:seg[-1][1]] = [(name if short else None, res)]
    shortcut = f', shortcut = [{{ type = "linear", prefix = "{name}" }}]' if short else ""
    layers[seg[0][2]:seg[-1][3]] = [f'{{ type = "residual", scale = {scale!r}, layers = [{inner}]{shortcut} }}']
    parts.append(f"residual over {b - a} layers scale {scale}" + (" with a shortcut" if short else ""))


def draw_composite(rng):
    """A random chain of the other layer kinds (Embedding or features in; Conv1d, Linear, LayerNorm,
    activations, Dropout, positional encodings, a small LSTM/GRU/RNN, Transformer encoder and decoder
    layers; sometimes softmax or log_softmax last), as draw_recurrent; a decoder layer cross-attends
    to a memory made from the input by a second model (a Conv1d or an Embedding)."""
    mods, steps, layers, parts = {}, [], [], []
    tokens = rng.random() < 0.3
    vocab = int(rng.integers(1, 400))
    if tokens:
        d = int(rng.choice([1, 4, 16, 24, 64, 96]))
        max_norm = float(rng.choice([0.5, 2.0, 5.0])) if rng.random() < 0.3 else None
        norm_type = float(rng.choice([1.0, 2.0, 3.0]))
        mods["emb"] = nn.Embedding(vocab, d, max_norm=max_norm, norm_type=norm_type)
        steps.append(("emb", lambda m, x, mem: m(x)))
        layers.append('{ type = "embedding", prefix = "emb"' +
                      (f", max_norm = {max_norm!r}, norm_type = {norm_type!r} }}" if max_norm else " }"))
        width = d
        parts.append(f"embedding {vocab}x{d}" + (f" max_norm {max_norm} p {norm_type}" if max_norm else ""))
    else:
        width = d = int(rng.choice([1, 3, 8, 16, 40, 80]))
    memory, memory_layers, shrink = None, None, []
    mem_fn, shrink_mem = None, None

    def make_memory(m):
        """A memory of m features per step, made from the input by a second model (an Embedding of the
        tokens, or a Conv1d of the features), for decoder layers and cross-attention."""
        nonlocal memory, memory_layers, mem_fn, shrink_mem
        memory = m
        if tokens:
            mods["mem"] = nn.Embedding(vocab, m)
            memory_layers = '[ { type = "embedding", prefix = "mem" } ]'
            mem_fn = mods["mem"]
        else:
            k, s = int(rng.integers(1, 4)), int(rng.choice([1, 2, 3]))
            mods["mem"] = nn.Conv1d(width, m, k, stride=s)
            memory_layers = f'[ {{ type = "conv1d", prefix = "mem", kernel_size = {k}, stride = {s} }} ]'
            mem_fn = lambda x: mods["mem"](x.transpose(1, 2)).transpose(1, 2)  # noqa: E731
            shrink_mem = (k, s)
        parts.append("memory " + memory_layers)
    chan, chan_d = 1, -1  # a conv2d's output: `chan` channels of d / chan features while d == chan_d
    segs = []  # each drawn layer: (steps from, to, layers from, to, shrink from, to, width in, out, 2-d)
    for i in range(int(rng.integers(2, 7))):
        mark = (len(steps), len(layers), len(shrink), d, chan_d == d)
        kind = str(rng.choice(KINDS))
        name = f"l{i}"
        if d == 1 and kind in ("layer_norm", "encoder", "decoder"):
            # A LayerNorm over one feature, or over a row of equal values, is its bias, and PyTorch's
            # rounding noise in x - mean comes out amplified by 1 / sqrt(eps) (seen: 1.4e-4 and 5.6e-3
            # off the exact constant, the second after a hardtanh clipped a whole row).
            continue
        if kind == "conv1d":
            g = int(rng.choice(divisors(d)[:4]))
            out = g * int(rng.choice([1, 2, 5, 16]))
            k, s, dil = int(rng.integers(1, 8)), int(rng.choice([1, 1, 2, 3])), int(rng.choice([1, 1, 2, 3]))
            pad = ["same", "valid", 0, 1, 3][int(rng.integers(0, 5 if s == 1 else 2) + (0 if s == 1 else 3))]
            bias = bool(rng.random() < 0.8)
            mode = ["zeros", "zeros", "reflect", "replicate", "circular"][int(rng.integers(0, 5))]
            mods[name] = maybe_weight_norm(rng, nn.Conv1d(d, out, k, stride=s, padding=pad, dilation=dil, groups=g,
                                                          bias=bias, padding_mode=mode), parts)
            steps.append((name, lambda m, x, mem: m(x.transpose(1, 2)).transpose(1, 2)))
            padv = f'"{pad}"' if isinstance(pad, str) else pad
            layers.append(f'{{ type = "conv1d", prefix = "{name}", kernel_size = {k}, stride = {s}, '
                          f'padding = {padv}, dilation = {dil}, groups = {g}, bias = {str(bias).lower()}, '
                          f'padding_mode = "{mode}" }}')
            shrink.append((k, s, dil, pad, mode))  # a conv1d
            parts.append(f"conv1d {d}->{out} k{k} s{s} d{dil} g{g} pad {pad} {mode}")
            d = out
        elif kind == "linear":
            out, bias = int(rng.choice([1, 7, 32, 130])), bool(rng.random() < 0.8)
            mods[name] = maybe_weight_norm(rng, nn.Linear(d, out, bias=bias), parts)
            steps.append((name, lambda m, x, mem: m(x)))
            layers.append(f'{{ type = "linear", prefix = "{name}", bias = {str(bias).lower()} }}')
            parts.append(f"linear {d}->{out}")
            d = out
        elif kind == "layer_norm" and rng.random() < 0.3:  # RMSNorm, as LLaMA's
            eps = float(rng.choice([1e-5, 1e-6]))
            mods[name] = LlamaRMSNorm(d, eps)
            with torch.no_grad():
                mods[name].weight.normal_(1.0, 0.3)
            steps.append((name, lambda m, x, mem: m(x)))
            layers.append(f'{{ type = "rms_norm", prefix = "{name}", eps = {eps!r} }}')
            parts.append(f"rms_norm eps {eps}")
        elif kind == "layer_norm":
            eps, affine = float(rng.choice([1e-5, 1e-6, 1e-3])), bool(rng.random() < 0.7)
            mods[name] = nn.LayerNorm(d, eps=eps, elementwise_affine=affine)
            if affine:
                with torch.no_grad():
                    mods[name].weight.normal_(1.0, 0.3)
                    mods[name].bias.normal_(0.0, 0.3)
            steps.append((name, lambda m, x, mem: m(x)))
            layers.append(f'{{ type = "layer_norm", prefix = "{name}", normalized_shape = {d}, eps = {eps!r}, '
                          f'elementwise_affine = {str(affine).lower()} }}')
            parts.append(f"layer_norm eps {eps} affine {affine}")
        elif kind == "conv2d":
            cin = chan if d == chan_d else 1
            F = d // cin
            cout = int(rng.choice([1, 2, 4]))
            g = int(rng.choice([k for k in (1, 2) if cin % k == 0 and cout % k == 0]))
            kt, kf, st, sf = (int(v) for v in rng.integers(1, [4, 4, 3, 3]))
            dt, df = (int(v) for v in rng.integers(1, [3, 3]))
            pt, pf = (int(v) for v in rng.integers(0, [3, 3]))
            fo = (F + 2 * pf - df * (kf - 1) - 1) // sf + 1
            if fo < 1:
                continue
            tw = rng.random() < 0.4  # DeepSpeech2's image: [N, C, F, T], PyTorch's pairs (features, time)
            hw = (lambda a, b: (b, a)) if tw else (lambda a, b: (a, b))
            mods[name] = maybe_weight_norm(
                rng, nn.Conv2d(cin, cout, hw(kt, kf), hw(st, sf), hw(pt, pf), hw(dt, df), g), parts)
            steps.append((name, lambda m, x, mem, c=cin, tw=tw: on_image(m, x, c, tw)))
            layers.append(f'{{ type = "conv2d", prefix = "{name}", kernel_size = {list(hw(kt, kf))}, '
                          f'stride = {list(hw(st, sf))}, padding = {list(hw(pt, pf))}, dilation = {list(hw(dt, df))}, '
                          f'groups = {g}' + (f", time_dim = {int(rng.choice([3, -1]))} }}" if tw else " }"))
            shrink.append((kt, st, dt, pt, "zeros"))  # along time, as a conv1d
            parts.append(f"conv2d {cin}x{F}->{cout}x{fo} k({kt},{kf}) s({st},{sf}) p({pt},{pf}) d({dt},{df}) g{g}"
                         + (" time as width" if tw else ""))
            d = cout * fo
            chan, chan_d = cout, d
        elif kind == "flip":
            steps.append((None, lambda m, x, mem: x.flip(1)))
            layers.append('{ type = "flip" }')
            parts.append("flip")
        elif kind == "pool" and d == chan_d and chan > 1 and rng.random() < 0.5:  # a 2-d pool after a conv2d
            which = ["max_pool2d", "avg_pool2d"][int(rng.integers(0, 2))]
            F = d // chan
            k = [int(v) for v in rng.integers(1, 4, 2)]
            st = [int(v) for v in rng.integers(1, 3, 2)]
            pad = [int(rng.integers(0, k[i] // 2 + 1)) for i in range(2)]
            dil = [int(v) for v in rng.integers(1, 3, 2)] if which == "max_pool2d" else [1, 1]
            ceil = bool(rng.random() < 0.4)

            def pooled(n, i):
                num = n + 2 * pad[i] - dil[i] * (k[i] - 1) - 1
                if num < 0:
                    return 0
                o = (-(-num // st[i]) if ceil else num // st[i]) + 1
                return o - 1 if ceil and (o - 1) * st[i] >= n + pad[i] else o
            fo = pooled(F, 1)
            if fo < 1:
                continue
            tw = rng.random() < 0.4
            hw = (lambda v: v[::-1]) if tw else (lambda v: v)
            kw = dict(kernel_size=tuple(hw(k)), stride=tuple(hw(st)), padding=tuple(hw(pad)), ceil_mode=ceil)
            extra = f", dilation = {hw(dil)}" if which == "max_pool2d" else ", count_include_pad = false"
            if which == "max_pool2d":
                kw["dilation"] = tuple(hw(dil))
            else:
                kw["count_include_pad"] = False
            mods[name] = (nn.MaxPool2d if which == "max_pool2d" else nn.AvgPool2d)(**kw)
            steps.append((name, lambda m, x, mem, c=chan, tw=tw: on_image(m, x, c, tw)))
            layers.append(f'{{ type = "{which}", kernel_size = {hw(k)}, stride = {hw(st)}, padding = {hw(pad)}, '
                          f'ceil_mode = {str(ceil).lower()}{extra}' + (", time_dim = 3 }" if tw else " }"))
            shrink.append(("pool", k[0], st[0], dil[0], pad[0], ceil))
            parts.append(f"{which} k{k} s{st} p{pad} d{dil} ceil {ceil}" + (" time as width" if tw else ""))
            d = chan * fo
            chan_d = d
        elif kind == "pool":
            which = ["max_pool1d", "avg_pool1d", "adaptive_max_pool1d", "adaptive_avg_pool1d"][int(rng.integers(0, 4))]
            if which.startswith("adaptive"):
                size = int(rng.choice([1, 1, 3, 8]))
                mods[name] = (nn.AdaptiveMaxPool1d if "max" in which else nn.AdaptiveAvgPool1d)(size)
                layers.append(f'{{ type = "{which}", output_size = {size} }}')
                shrink.append(("adaptive", size))
                parts.append(f"{which} {size}")
            else:
                k, s = int(rng.integers(1, 6)), int(rng.integers(1, 4))
                dil = int(rng.choice([1, 2])) if which == "max_pool1d" else 1
                pad = int(rng.integers(0, k // 2 + 1))  # PyTorch: at most half the (undilated) kernel
                ceil = bool(rng.random() < 0.3)
                kw = dict(kernel_size=k, stride=s, padding=pad, ceil_mode=ceil)
                extra = ""
                if which == "max_pool1d":
                    kw["dilation"] = dil
                    extra = f", dilation = {dil}"
                else:
                    kw["count_include_pad"] = bool(rng.random() < 0.5)
                    extra = f", count_include_pad = {str(kw['count_include_pad']).lower()}"
                mods[name] = (nn.MaxPool1d if which == "max_pool1d" else nn.AvgPool1d)(**kw)
                layers.append(f'{{ type = "{which}", kernel_size = {k}, stride = {s}, padding = {pad}, '
                              f'ceil_mode = {str(ceil).lower()}{extra} }}')
                shrink.append(("pool", k, s, dil, pad, ceil))
                parts.append(f"{which} k{k} s{s} d{dil} pad {pad} ceil {ceil}")
            steps.append((name, lambda m, x, mem: m(x.transpose(1, 2)).transpose(1, 2)))
        elif kind == "batch_norm":
            two_d = d == chan_d and chan > 1 and rng.random() < 0.7  # BatchNorm2d after a conv2d
            eps = float(rng.choice([1e-5, 1e-3]))
            mods[name] = nn.BatchNorm2d(chan, eps=eps) if two_d else nn.BatchNorm1d(d, eps=eps)
            bn = mods[name]
            with torch.no_grad():
                for t, mu, sd in ((bn.weight, 1, .3), (bn.bias, 0, .3), (bn.running_mean, 0, 1)):
                    t.normal_(mu, sd)
                bn.running_var.uniform_(0.3, 3.0)
            if two_d:
                def bn2d(m, x, mem, c=chan):
                    y = m(x.reshape(1, x.shape[1], c, -1).permute(0, 2, 1, 3))
                    return y.permute(0, 2, 1, 3).reshape(1, x.shape[1], -1)
                steps.append((name, bn2d))
            else:
                steps.append((name, lambda m, x, mem: m(x.transpose(1, 2)).transpose(1, 2)))
            kind_name = "batch_norm2d" if two_d else "batch_norm"
            layers.append(f'{{ type = "{kind_name}", prefix = "{name}", eps = {eps!r} }}')
            parts.append(kind_name)
        elif kind == "group_norm":
            # Groups of two or more features: one feature over one step has no variance to normalize.
            options = [g for g in divisors(d) if d // g >= 2]
            if not options:
                continue
            groups = int(rng.choice(options))
            mods[name] = nn.GroupNorm(groups, d)
            with torch.no_grad():
                mods[name].weight.normal_(1, .3)
                mods[name].bias.normal_(0, .3)
            steps.append((name, lambda m, x, mem: m(x.transpose(1, 2)).transpose(1, 2)))
            layers.append(f'{{ type = "group_norm", prefix = "{name}", num_groups = {groups} }}')
            parts.append(f"group_norm {groups}")
        elif kind in ("act", "dropout"):
            acts = {  # TOML entry, module
                "relu": ('{ type = "relu" }', nn.ReLU()), "gelu": ('{ type = "gelu" }', nn.GELU()),
                "gelu_tanh": ('{ type = "gelu", approximate = "tanh" }', nn.GELU(approximate="tanh")),
                "silu": ('{ type = "silu" }', nn.SiLU()), "tanh": ('{ type = "tanh" }', nn.Tanh()),
                "sigmoid": ('{ type = "sigmoid" }', nn.Sigmoid()), "mish": ('{ type = "mish" }', nn.Mish()),
                "leaky_relu": ('{ type = "leaky_relu", negative_slope = 0.1 }', nn.LeakyReLU(0.1)),
                "elu": ('{ type = "elu", alpha = 0.5 }', nn.ELU(0.5)), "relu6": ('{ type = "relu6" }', nn.ReLU6()),
                # Wide bounds: a row clipped to one value everywhere is what LayerNorm cannot take (below).
                "hardtanh": ('{ type = "hardtanh", min_val = -4.0, max_val = 4.0 }', nn.Hardtanh(-4.0, 4.0)),
                "softplus": ('{ type = "softplus", beta = 2.0, threshold = 4.0 }', nn.Softplus(2.0, 4.0)),
                "identity": ('{ type = "identity" }', nn.Identity())}
            a = "dropout" if kind == "dropout" else str(rng.choice(sorted(acts)))
            entry, f = ('{ type = "dropout", p = 0.5 }', nn.Dropout(0.5)) if a == "dropout" else acts[a]
            f.eval()
            steps.append((None, lambda m, x, mem, f=f: f(x)))
            layers.append(entry)
            parts.append(a)
        elif kind == "positional":
            scale = float(rng.choice([1.0, 0.5, 4.0]))
            if d % 2 == 0 and rng.random() < 0.5:
                pe = Sinusoidal(d, 400, scale)
                steps.append((None, lambda m, x, mem, pe=pe: pe(x)))
                layers.append(f'{{ type = "positional_encoding", kind = "sinusoidal", d_model = {d}, '
                              f'max_len = 400, scale = {scale!r} }}')
                parts.append("sinusoidal")
            else:
                mods[name] = Learned(400, d)
                steps.append((name, lambda m, x, mem: m(x)))
                layers.append(f'{{ type = "positional_encoding", kind = "learned", prefix = "{name}.emb" }}')
                parts.append("learned positions")
        elif kind == "attention":  # nn.MultiheadAttention, or separate projections named as HF or ESPnet do
            if d > 256:
                continue
            nh = int(rng.choice(divisors(d)[-3:]))
            cross = rng.random() < 0.4  # to the memory: of any width (kdim) when this layer makes it
            if cross and memory is None:
                make_memory(int(rng.choice([d, 1, 5, 24])))
            kdim = memory if cross else d
            causal = bool(rng.random() < 0.5) and not cross
            naming = ["packed", "hf", "espnet"][int(rng.integers(0, 3))]
            if naming == "packed":
                mods[name] = nn.MultiheadAttention(d, nh, kdim=kdim, vdim=kdim, batch_first=True)
                with torch.no_grad():
                    mods[name].in_proj_bias.normal_(0, 0.3)
            else:
                names = (["q_proj", "k_proj", "v_proj", "out_proj"] if naming == "hf" else
                         ["linear_q", "linear_k", "linear_v", "linear_out"])
                mods[name] = SplitAttention(d, nh, names, bool(rng.random() < 0.5), kdim)

            def attention(m, x, mem, causal=causal, cross=cross):
                mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1]) if causal else None
                kv = mem if cross else x
                if isinstance(m, nn.MultiheadAttention):
                    return m(x, kv, kv, need_weights=False, attn_mask=mask)[0]
                return m(x, kv, mask)
            steps.append((name, attention))
            layers.append(f'{{ type = "multihead_attention", prefix = "{name}", num_heads = {nh}, '
                          f'causal = {str(causal).lower()}, cross_attention = {str(cross).lower()} }}')
            parts.append(f"attention d {d} heads {nh} {naming} causal {causal}" +
                         (f" cross kdim {kdim}" if cross else ""))
        elif kind == "rel_attention":  # Conformer's, ESPnet's (relative) or WeNet's (absolute) positions
            if d > 256 or d % 2:
                continue
            nh = int(rng.choice(divisors(d)[-3:]))
            relative = bool(rng.random() < 0.6)
            mods[name] = RelPositionMultiHeadedAttention(nh, d, rel_shift=relative)
            positions = (RelPositionalEncoding if relative else AbsPositions)(d, 400)

            def rel(m, x, mem, positions=positions):
                return m(x, positions(x)[1])
            steps.append((name, rel))
            layers.append(f'{{ type = "rel_multihead_attention", prefix = "{name}", num_heads = {nh}, '
                          f'pos = "{"relative" if relative else "absolute"}" }}')
            parts.append(f"rel_attention d {d} heads {nh} {'relative' if relative else 'absolute'}")
        elif kind == "recurrent":
            rk = str(rng.choice(["lstm", "gru", "rnn"]))
            H, L, D = int(rng.choice([1, 8, 33, 64])), int(rng.integers(1, 3)), int(rng.choice([1, 2]))
            kw = dict(num_layers=L, bidirectional=D == 2, batch_first=True)
            mods[name] = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[rk](d, H, **kw)
            steps.append((name, lambda m, x, mem: m(x)[0]))
            layers.append(f'{{ type = "{rk}", prefix = "{name}", num_layers = {L}, '
                          f'bidirectional = {str(D == 2).lower()} }}')
            parts.append(f"{rk} {d}->{H} x{L} dirs {D}")
            d = H * D
        else:
            if d > 256 or (kind == "decoder" and memory is not None and memory != d):
                continue
            nh = int(rng.choice(divisors(d)[-3:]))
            ff, nf = int(rng.choice([1, 16, 200])), bool(rng.random() < 0.5)
            act, causal = str(rng.choice(["relu", "gelu"])), bool(rng.random() < 0.5)
            eps = float(rng.choice([1e-5, 1e-6]))
            cls = nn.TransformerEncoderLayer if kind == "encoder" else nn.TransformerDecoderLayer
            mods[name] = cls(d, nh, ff, dropout=0.0, activation=act, layer_norm_eps=eps, batch_first=True,
                             norm_first=nf)

            def run(m, x, mem, causal=causal, kind=kind):
                mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1]) if causal else None
                return m(x, src_mask=mask) if kind == "encoder" else m(x, mem, tgt_mask=mask)
            steps.append((name, run))
            layers.append(f'{{ type = "transformer_{kind}_layer", prefix = "{name}", nhead = {nh}, '
                          f'dim_feedforward = {ff}, activation = "{act}", layer_norm_eps = {eps!r}, '
                          f'norm_first = {str(nf).lower()}, causal = {str(causal).lower()} }}')
            parts.append(f"{kind} d {d} heads {nh} ff {ff} norm_first {nf} {act} causal {causal}")
            if kind == "decoder" and memory is None:
                make_memory(d)
        if kind in ("conv1d", "linear", "recurrent", "encoder", "decoder", "attention", "rel_attention"):
            chan_d = -1  # they mix features: seqflow's 2-d pools then refuse to run (no channels left)
        segs.append((mark[0], len(steps), mark[1], len(layers), mark[2], len(shrink), mark[3], d,
                     mark[4] or chan_d == d))
    if segs and rng.random() < 0.4:
        wrap_residual(rng, segs, mods, steps, layers, shrink, parts)
    if rng.random() < 0.3 or not layers:  # every draw skipped: a model needs a layer
        a = str(rng.choice(["softmax", "log_softmax"]))
        f = nn.Softmax(dim=-1) if a == "softmax" else nn.LogSoftmax(dim=-1)
        steps.append((None, lambda m, x, mem, f=f: f(x)))
        layers.append(f'{{ type = "{a}" }}')
        parts.append(a)

    def forward(x):
        mem = mem_fn(x) if memory is not None else None
        for n, f in steps:
            x = f(mods.get(n), x, mem)
        return x

    def out_len(T):
        for item in shrink:
            if item[0] == "adaptive":
                T = item[1]
                continue
            if item[0] == "pool":  # PyTorch's pooling_output_shape
                _, k, s, dil, pad, ceil = item
                num = T + 2 * pad - dil * (k - 1) - 1
                if num < 0:
                    return 0
                n = (-(-num // s) if ceil else num // s) + 1
                T = n - 1 if ceil and (n - 1) * s >= T + pad else n
                continue
            k, s, dil, pad, mode = item
            span = dil * (k - 1)
            most = 0 if pad == "valid" else span - span // 2 if pad == "same" else pad
            if (mode == "reflect" and T <= most) or (mode == "circular" and T < most):
                return 0  # F.pad refuses
            T = T if pad == "same" else (T + 2 * (0 if pad == "valid" else pad) - span - 1) // s + 1
            if T < 1:
                return 0
        return T

    min_len = next((T for T in range(1, 10000) if out_len(T) >= 1 and
                    (memory is None or tokens or T >= shrink_mem[0])), None)
    if min_len is None:  # no length gets through (reflect padding after a pool to one step): redraw
        return draw_composite(rng)

    def make_input(T):
        T = max(T, min_len)
        return torch.randint(0, vocab, (T,), dtype=torch.int64) if tokens else features(rng, width)(T)
    return dict(layers=", ".join(layers), memory_layers=memory_layers, modules=mods, forward=forward,
                make_input=make_input, desc=" | ".join(parts), runs=[("auto", "f32")])


def with_memory(text, memory_layers):
    """Adds a memory model and the stage that runs it before the model's (decoder layers)."""
    if memory_layers is None:
        return text
    resource, stage = memory_model(f"layers = {memory_layers}")
    text = text.replace("\n[[stage]]\nname = \"model\"", resource + stage + "\n[[stage]]\nname = \"model\"", 1)
    return text.replace('output = "y"\n', 'output = "y"\nmemory = "memory"\n', 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", choices=["recurrent", "transformer", "composite"], default="recurrent")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", type=int, default=20)
    ap.add_argument("--seqflow", default="build/bin/seqflow")
    ap.add_argument("--work", default="/tmp/seqflow-fuzz")
    ap.add_argument("--only", type=int, help="run only this case (the others are drawn, to reproduce it)")
    ap.add_argument("--kinds", help="composite: draw only these layer kinds, comma-separated (" + ",".join(
        sorted(set(KINDS))) + "), e.g. conv2d,pool,batch_norm to aim at 2-d front ends")
    a = ap.parse_args()
    seqflow = os.path.abspath(a.seqflow)
    rng = np.random.default_rng(a.seed)
    torch.manual_seed(a.seed)
    fails = 0
    if a.kinds:
        unknown = set(a.kinds.split(",")) - set(KINDS)
        if unknown:
            sys.exit(f"fuzz_models.py: unknown kinds {', '.join(sorted(unknown))}; "
                     f"the kinds are {' '.join(sorted(set(KINDS)))}")
        KINDS[:] = a.kinds.split(",")
    draw = {"recurrent": draw_recurrent, "transformer": draw_transformer, "composite": draw_composite}[a.family]
    for case in range(a.cases):
        m = draw(rng)
        for mod in m["modules"].values():
            mod.eval()
        d = os.path.join(a.work, f"case{case}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "inputs"))
        save_safetensors(os.path.join(d, "model.safetensors"),
                         {f"{p}.{k}": v for p, mod in m["modules"].items() for k, v in mod.state_dict().items()})
        lens = [int(rng.choice([1, 2, rng.integers(1, 301)])) for _ in range(int(rng.integers(1, 13)))]
        xs = [m["make_input"](T) for T in lens]
        for i, x in enumerate(xs):
            ids = x.dtype == torch.int64
            np.save(os.path.join(d, "inputs", f"r{i:02d}.npy"),
                    x.numpy().astype(rng.choice([np.int32, np.int64])) if ids else x.numpy())
        bs = int(rng.choice([1, 3, 8, 40]))
        with open(os.path.join(d, "pipeline.toml"), "w") as f:
            f.write(with_memory(pipeline(m["desc"], f"[ {m['layers']} ]", batch=bs), m.get("memory_layers")))
        with torch.no_grad():
            want = [m["forward"](x.unsqueeze(0))[0].numpy() for x in xs]
        rng_out = max(float(np.abs(w).max()) for w in want)
        os.makedirs(os.path.join(d, "expected"))
        for i, w in enumerate(want):
            np.save(os.path.join(d, "expected", f"r{i:02d}.npy"), w)
        if a.only is not None and case != a.only:
            continue
        desc = f"case {case}: {m['desc']}, records {len(lens)} batch {bs}"
        fails_before = fails
        for kern, prec in m["runs"]:
            first = None
            # "model 2": two oneDNN threads in one stage; "workers 2": two engine workers, which must
            # give one worker's bytes for every model (recurrent layers also for two oneDNN threads).
            for how, args in [("1 thread", []), ("model 2", ["--set", "model.threads=2"]),
                              ("workers 2", ["--threads", "2"])]:
                out = f"out_{kern}_{prec}_{how.replace(' ', '')}"
                r = subprocess.run([seqflow, "run", "pipeline.toml", "--no-progress", "--set", f"write.dir={out}",
                                    "--set", f"resources.model.rnn_kernel={kern}",
                                    "--set", f"resources.model.precision={prec}"] + args,
                                   cwd=d, capture_output=True, text=True,
                                   env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"))
                what = f"{desc}, {kern}/{prec}/{how}"
                if r.returncode != 0:
                    print("FAIL run:", what, r.stderr[-300:])
                    fails += 1
                    continue
                files = sorted(os.listdir(os.path.join(d, out)))
                got = [np.load(os.path.join(d, out, f)) for f in files]
                if len(got) != len(want) or any(g.shape != w.shape for g, w in zip(got, want)):
                    print("FAIL records:", what, [g.shape for g in got], "want", [w.shape for w in want])
                    fails += 1
                    continue
                # NaN compares false: a NaN on one side only must fail, not pass. Equal values agree,
                # infinities and NaN included (PyTorch's max pool of a window wholly in its padding is
                # -inf, and what follows it may be inf or NaN).
                err = max(float(np.nan_to_num(np.where((g == w) | (np.isnan(g) & np.isnan(w)), 0, np.abs(g - w)),
                                              nan=np.inf).max(initial=0))
                          for g, w in zip(got, want))
                if prec == "f32" and not err <= 1e-4 * max(1.0, rng_out):
                    print(f"FAIL f32 error {err:.3g}:", what)
                    fails += 1
                if prec == "int8" and not err <= 0.05 * max(1.0, rng_out):
                    print(f"note: int8 error {err:.3g} (range {rng_out:.3g}):", what)
                if first is None:
                    first = got
                elif (how == "workers 2" or m.get("recurrent")) and \
                        any(p.tobytes() != q.tobytes() for p, q in zip(first, got)):
                    print("FAIL bytes differ from one thread's:", what)
                    fails += 1
        print("ok  " if fails == fails_before else "FAIL", desc, flush=True)
    print(f"{fails} failures in {a.cases} cases")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
