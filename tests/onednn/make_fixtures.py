#!/usr/bin/python3
"""Parity fixtures for the onednn module, computed with PyTorch (Debian's python3-torch 1.13).

Run with /usr/bin/python3 (the interpreter that has torch):  /usr/bin/python3 tests/onednn/make_fixtures.py
It rewrites tests/onednn/fixtures/<case>/ for every case below, deterministically (fixed seeds):
  model.safetensors   the module's state_dict (written by hand: 8-byte header length + JSON + data)
  pipeline.toml       [resources.model] with the layer list, and an io.npy_read -> onednn.run ->
                      io.npy_write pipeline over inputs/ (the CLI parity check runs it)
  fixture.toml        tolerance (max abs error vs PyTorch), and whether one-step decoding is checked
  inputs/<id>.npy     one record per file: [T, F] float32 features or [T] int64 token ids
  memory/<id>.npy     decoder memory [Tm, d] (decoder cases)
  expected/<id>.npy   PyTorch's output for that record run ALONE (batch of one, no padding), so that
                      a batched run that leaked padding across records would not match.
CI never runs this script: the fixtures are committed.
"""
import json
import math
import os
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
torch.set_num_threads(1)


def save_safetensors(path, tensors, dtype="F32"):
    """The safetensors format: u64 little-endian header size, JSON header, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if dtype == "F32":
            data = t.float().numpy().astype("<f4").tobytes()
        elif dtype == "F16":
            data = t.half().numpy().astype("<f2").tobytes()
        elif dtype == "BF16":
            data = t.bfloat16().view(torch.int16).numpy().astype("<i2").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v + '"'
    if isinstance(v, list) and v and isinstance(v[0], dict):  # a residual block's layers
        return "[" + ", ".join(toml_table(t) for t in v) + "]"
    return repr(v)


def toml_table(layer):
    return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in layer.items()) + " }"


def toml_layers(layers):
    rows = []
    for layer in layers:
        rows.append("  " + toml_table(layer) + ",")
    return "layers = [\n" + "\n".join(rows) + "\n]"


def round_weights(module, dtype):
    """Rounds parameters to the stored dtype so that PyTorch computes with what the file holds."""
    with torch.no_grad():
        for p in module.parameters():
            if dtype == "F16":
                p.copy_(p.half().float())
            elif dtype == "BF16":
                p.copy_(p.bfloat16().float())


class Case:
    def __init__(self, name, layers, module, inputs, tolerance=1e-4, step=False, memory_layers=None, dtype="F32",
                 description="", nobias=False, rename=None, state_fn=None):
        self.name, self.layers, self.module, self.inputs = name, layers, module, inputs
        self.tolerance, self.step, self.memory_layers, self.dtype = tolerance, step, memory_layers, dtype
        self.description, self.nobias, self.rename = description, nobias, rename or {}
        self.state_fn = state_fn  # the saved state_dict from PyTorch's (another module's naming)


def model_biases(module):
    """The biases a PyTorch 2.1 module built with bias=False would not have (the memory model's kept)."""
    return [n for n, _ in module.named_parameters() if n.endswith("bias") and not n.startswith("memconv.")]


def write_case(c):
    d = os.path.join(ROOT, c.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "inputs"))
    os.makedirs(os.path.join(d, "expected"))
    c.module.eval()
    round_weights(c.module, c.dtype)
    state = c.module.state_dict()
    if c.nobias:
        # PyTorch 1.13 has no bias=False for these modules: zero biases compute the same, and the
        # file leaves them out as PyTorch 2.1's state_dict would.
        with torch.no_grad():
            for n in model_biases(c.module):
                c.module.get_parameter(n).zero_()
        state = {k: v for k, v in state.items() if k not in model_biases(c.module)}
    state = {c.rename.get(k, k): v for k, v in state.items()}
    if c.state_fn is not None:
        state = c.state_fn(state)
    save_safetensors(os.path.join(d, "model.safetensors"), state, c.dtype)
    if c.memory_layers is not None:
        os.makedirs(os.path.join(d, "memory"))
    for i, x in enumerate(c.inputs):
        rid = f"r{i}"
        with torch.no_grad():
            y = c.module(x.unsqueeze(0)).squeeze(0)
            if c.memory_layers is not None:
                m = c.module.memory(x.unsqueeze(0)).squeeze(0)
                np.save(os.path.join(d, "memory", rid + ".npy"), np.ascontiguousarray(m.numpy(), dtype=np.float32))
        arr = x.numpy().astype(np.int64 if x.dtype == torch.int64 else np.float32)
        np.save(os.path.join(d, "inputs", rid + ".npy"), np.ascontiguousarray(arr))
        np.save(os.path.join(d, "expected", rid + ".npy"), np.ascontiguousarray(y.numpy(), dtype=np.float32))
    memory_resource, memory_stage, memory_line = "", "", ""
    if c.memory_layers is not None:
        memory_resource, memory_stage = memory_model(toml_layers(c.memory_layers))
        memory_line = 'memory = "memory"\n'
    with open(os.path.join(d, "pipeline.toml"), "w") as f:
        f.write(f"""# Parity fixture '{c.name}' (generated by tests/onednn/make_fixtures.py; do not edit).
# {c.description}
[pipeline]
name = "onednn-parity-{c.name}"

[resources.model]
plugin = "onednn.model"
weights = "model.safetensors"
{toml_layers(c.layers)}
{memory_resource}
[[stage]]
name = "read"
plugin = "io.npy_read"
paths = ["inputs/*.npy"]
output = "x"
{memory_stage}
[[stage]]
name = "model"
plugin = "onednn.run"
model = "model"
input = "x"
output = "y"
{memory_line}batch = {{ size = 3, by_length = true }}

[[stage]]
name = "write"
plugin = "io.npy_write"
dir = "out"
input = "y"
""")
    with open(os.path.join(d, "fixture.toml"), "w") as f:
        f.write(f"tolerance = {c.tolerance!r}\nstep = {toml_value(c.step)}\nmemory = {toml_value(c.memory_layers is not None)}\n")


def memory_model(layers_line):
    """The [resources.memory_model] entry (its `layers = ...` line given) and the stage that runs it
    on field x into field memory, which decoder layers cross-attend to."""
    return f"""
[resources.memory_model]
plugin = "onednn.model"
weights = "model.safetensors"
{layers_line}
""", """
[[stage]]
name = "memory"
plugin = "onednn.run"
model = "memory_model"
input = "x"
output = "memory"
"""


def feats(lengths, dim, scale=1.0):
    return [torch.randn(t, dim) * scale for t in lengths]


def tokens(lengths, vocab):
    return [torch.randint(0, vocab, (t,), dtype=torch.int64) for t in lengths]


LENGTHS = [7, 3, 11, 5]
MHA_PARAMS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")  # uneven on purpose: batches of 3 pad


class Seq(nn.Module):
    """Applies modules in order to a batch-first [1, T, F] tensor; the transposes around Conv1d and
    the (output, state) tuples of RNNs are what seqflow implies."""

    def __init__(self, **mods):
        super().__init__()
        for k, m in mods.items():
            self.add_module(k, m)

    def memory(self, x):
        return self.memconv(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, x, memory=None):
        memory = self.memory(x) if hasattr(self, "memconv") else memory
        for name, m in self.named_children():
            if name == "memconv":
                continue
            if isinstance(m, (nn.Conv1d, nn.BatchNorm1d, nn.GroupNorm, nn.MaxPool1d, nn.AvgPool1d,
                              nn.AdaptiveMaxPool1d, nn.AdaptiveAvgPool1d, nn.PReLU)):
                x = m(x.transpose(1, 2)).transpose(1, 2)
            elif isinstance(m, nn.Flatten):  # [1, T, C] -> [1, C, T] -> one step of C * T features
                x = m(x.transpose(1, 2)).unsqueeze(1)
            elif isinstance(m, (nn.LSTM, nn.GRU, nn.RNN)):
                x = m(x)[0]
            elif isinstance(m, (nn.TransformerDecoderLayer, nn.TransformerDecoder)):
                x = m(x, memory, tgt_mask=causal(x.shape[1]))
            elif isinstance(m, CausalEncoder):
                x = m(x)
            elif isinstance(m, Residual):
                x = m(x, memory)
            elif isinstance(m, nn.MultiheadAttention) and getattr(m, "cross", False):
                x = m(x, memory, memory, need_weights=False)[0]
            elif isinstance(m, nn.MultiheadAttention):
                mask = causal(x.shape[1]) if getattr(m, "causal", False) else None
                x = m(x, x, x, need_weights=False, attn_mask=mask)[0]
            else:
                x = m(x)
        return x


def causal(n):
    return torch.triu(torch.full((n, n), float("-inf")), diagonal=1)


class Conv2dSubsampling(nn.Module):
    """ESPnet's and WeNet's front end: [N, T, F] as a one-channel image (time as height), two strided
    Conv2d + ReLU, then [N, C, T', F'] read back as [N, T', C * F'] into a Linear."""

    def __init__(self, idim, odim, k2=3, s2=2, pad2=0, norm=False):
        super().__init__()
        if norm:  # BatchNorm2d after each conv: running statistics, then a record's own
            self.conv = nn.Sequential(nn.Conv2d(1, 4, 3, 2), nn.BatchNorm2d(4), nn.ReLU(),
                                      nn.Conv2d(4, 4, k2, s2, pad2), nn.BatchNorm2d(4, track_running_stats=False),
                                      nn.ReLU())
        else:
            self.conv = nn.Sequential(nn.Conv2d(1, 4, 3, 2), nn.ReLU(), nn.Conv2d(4, 4, k2, s2, pad2), nn.ReLU())
        with torch.no_grad():
            probe = self.conv(torch.zeros(1, 1, 32, idim))
        self.out = nn.Sequential(nn.Linear(probe.shape[1] * probe.shape[3], odim))

    def forward(self, x):
        x = self.conv(x.unsqueeze(1))
        n, c, t, f = x.shape
        return self.out(x.transpose(1, 2).reshape(n, t, c * f))


class VggFront(nn.Module):
    """ESPnet's VGG2L-style front end, scaled down: Conv2d + ReLU + MaxPool2d(2, ceil_mode), Conv2d +
    ReLU + an AvgPool2d, then [N, C, T', F'] as [N, T', C * F'] into a Linear."""

    def __init__(self, idim, odim):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 4, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2, 2, ceil_mode=True),
                                  nn.Conv2d(4, 4, 3, 1, 1), nn.ReLU(),
                                  nn.AvgPool2d((3, 2), (2, 2), (1, 0), count_include_pad=False))
        with torch.no_grad():
            probe = self.conv(torch.zeros(1, 1, 32, idim))
        self.out = nn.Linear(probe.shape[1] * probe.shape[3], odim)

    def forward(self, x):
        x = self.conv(x.unsqueeze(1))
        n, c, t, f = x.shape
        return self.out(x.transpose(1, 2).reshape(n, t, c * f))


class DeepSpeech2Front(nn.Module):
    """DeepSpeech2's front end, scaled down: [N, T, F] as [N, 1, F, T] (frequency as the image's height,
    time as its width), Conv2d + BatchNorm2d + Hardtanh(0, 20) twice, a MaxPool2d, then [N, C, F', T']
    viewed as [N, C * F', T'] and transposed to [N, T', C * F'] into a GRU."""

    def __init__(self, idim):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 4, (7, 5), (2, 2), (3, 2)), nn.BatchNorm2d(4), nn.Hardtanh(0, 20),
                                  nn.Conv2d(4, 3, (5, 3), (2, 1), (2, 1)), nn.BatchNorm2d(3), nn.Hardtanh(0, 20),
                                  nn.MaxPool2d((2, 3), (1, 2), (1, 1)))
        with torch.no_grad():
            probe = self.conv(torch.zeros(1, 1, idim, 32))
        self.rnn = nn.GRU(probe.shape[1] * probe.shape[2], 6, bidirectional=True, batch_first=True)

    def forward(self, x):
        x = self.conv(x.transpose(1, 2).unsqueeze(1))
        n, c, f, t = x.shape
        return self.rnn(x.view(n, c * f, t).transpose(1, 2))[0]


class Residual(nn.Module):
    """y = shortcut(x) + scale * body(x), body and shortcut applied as Seq applies modules."""

    def __init__(self, body, shortcut=None, scale=1.0):
        super().__init__()
        self.body, self.shortcut, self.scale = body, shortcut, scale

    def forward(self, x, memory=None):
        def run(branch):
            return branch(x, memory) if isinstance(branch, Seq) else branch(x)
        return (x if self.shortcut is None else run(self.shortcut)) + self.scale * run(self.body)


class RelPositionalEncoding(nn.Module):
    """ESPnet's RelPositionalEncoding (espnet/nets/pytorch_backend/transformer/embedding.py), without
    dropout: x * sqrt(d), and the sinusoids of relative positions L - 1 .. -(L - 1) beside it."""

    def __init__(self, d, max_len=200):
        super().__init__()
        self.d, self.xscale = d, math.sqrt(d)
        pe_positive = torch.zeros(max_len, d)
        pe_negative = torch.zeros(max_len, d)
        position = torch.arange(0, max_len, dtype=torch.float32).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * -(math.log(10000.0) / d))
        pe_positive[:, 0::2] = torch.sin(position * div_term)
        pe_positive[:, 1::2] = torch.cos(position * div_term)
        pe_negative[:, 0::2] = torch.sin(-1 * position * div_term)
        pe_negative[:, 1::2] = torch.cos(-1 * position * div_term)
        pe_positive = torch.flip(pe_positive, [0]).unsqueeze(0)
        pe_negative = pe_negative[1:].unsqueeze(0)
        self.register_buffer("pe", torch.cat([pe_positive, pe_negative], dim=1), persistent=False)

    def forward(self, x):
        c = self.pe.size(1) // 2
        return x * self.xscale, self.pe[:, c - x.size(1) + 1: c + x.size(1)]


class AbsPositions(nn.Module):
    """WeNet's RelPositionalEncoding: x * sqrt(d), and the sinusoids of positions 0 .. L - 1."""

    def __init__(self, d, max_len=200):
        super().__init__()
        self.xscale = math.sqrt(d)
        self.register_buffer("pe", Sinusoidal(d, max_len).pe.unsqueeze(0), persistent=False)

    def forward(self, x):
        return x * self.xscale, self.pe[:, : x.size(1)]


class RelPositionMultiHeadedAttention(nn.Module):
    """ESPnet's RelPositionMultiHeadedAttention (rel_pos_type = "latest"), without dropout and with
    rel_shift as ESPnet writes it; rel_shift = False is WeNet's, whose positions are the key's."""

    def __init__(self, n_head, n_feat, rel_shift=True):
        super().__init__()
        self.d_k, self.h, self.shift = n_feat // n_head, n_head, rel_shift
        self.linear_q, self.linear_k = nn.Linear(n_feat, n_feat), nn.Linear(n_feat, n_feat)
        self.linear_v, self.linear_out = nn.Linear(n_feat, n_feat), nn.Linear(n_feat, n_feat)
        self.linear_pos = nn.Linear(n_feat, n_feat, bias=False)
        self.pos_bias_u = nn.Parameter(torch.randn(self.h, self.d_k) * 0.3)
        self.pos_bias_v = nn.Parameter(torch.randn(self.h, self.d_k) * 0.3)

    def rel_shift(self, x):
        zero_pad = torch.zeros((*x.size()[:3], 1), dtype=x.dtype)
        x_padded = torch.cat([zero_pad, x], dim=-1)
        x_padded = x_padded.view(*x.size()[:2], x.size(3) + 1, x.size(2))
        return x_padded[:, :, 1:].view_as(x)[:, :, :, : x.size(-1) // 2 + 1]

    def forward(self, x, pos_emb):
        n = x.size(0)
        q = self.linear_q(x).view(n, -1, self.h, self.d_k)
        k = self.linear_k(x).view(n, -1, self.h, self.d_k).transpose(1, 2)
        v = self.linear_v(x).view(n, -1, self.h, self.d_k).transpose(1, 2)
        p = self.linear_pos(pos_emb).view(pos_emb.size(0), -1, self.h, self.d_k).transpose(1, 2)
        q_with_bias_u = (q + self.pos_bias_u).transpose(1, 2)
        q_with_bias_v = (q + self.pos_bias_v).transpose(1, 2)
        matrix_ac = torch.matmul(q_with_bias_u, k.transpose(-2, -1))
        matrix_bd = torch.matmul(q_with_bias_v, p.transpose(-2, -1))
        if self.shift:
            matrix_bd = self.rel_shift(matrix_bd)
        attn = torch.softmax((matrix_ac + matrix_bd) / math.sqrt(self.d_k), dim=-1)
        return self.linear_out(torch.matmul(attn, v).transpose(1, 2).contiguous().view(n, -1, self.h * self.d_k))


class ConformerBlock(nn.Module):
    """ESPnet's Conformer EncoderLayer (macaron feed-forward, relative self-attention, convolution
    module), eval mode, scaled down."""

    def __init__(self, d, heads, rel_shift=True):
        super().__init__()
        ff = lambda: nn.Sequential(nn.Linear(d, 2 * d), nn.SiLU(), nn.Linear(2 * d, d))  # noqa: E731
        self.norm_ff_macaron, self.feed_forward_macaron = nn.LayerNorm(d), ff()
        self.norm_mha, self.self_attn = nn.LayerNorm(d), RelPositionMultiHeadedAttention(heads, d, rel_shift)
        self.norm_conv = nn.LayerNorm(d)
        self.pointwise_conv1 = nn.Conv1d(d, 2 * d, 1)
        self.depthwise_conv = nn.Conv1d(d, d, 7, padding=3, groups=d)
        self.norm = nn.BatchNorm1d(d)
        self.pointwise_conv2 = nn.Conv1d(d, d, 1)
        self.norm_ff, self.feed_forward = nn.LayerNorm(d), ff()
        self.norm_final = nn.LayerNorm(d)

    def forward(self, x, pos_emb):
        x = x + 0.5 * self.feed_forward_macaron(self.norm_ff_macaron(x))
        x = x + self.self_attn(self.norm_mha(x), pos_emb)
        c = self.pointwise_conv1(self.norm_conv(x).transpose(1, 2))
        c = nn.functional.glu(c, dim=1)
        c = self.pointwise_conv2(nn.functional.silu(self.norm(self.depthwise_conv(c))))
        x = x + c.transpose(1, 2)
        x = x + 0.5 * self.feed_forward(self.norm_ff(x))
        return self.norm_final(x)


class Conformer(nn.Module):
    def __init__(self, idim, d, heads, out, rel_shift=True):
        super().__init__()
        self.embed = nn.Linear(idim, d)
        self.pos = (RelPositionalEncoding if rel_shift else AbsPositions)(d, 2000)
        self.encoders = nn.ModuleList([ConformerBlock(d, heads, rel_shift) for _ in range(2)])
        self.head = nn.Linear(d, out)

    def forward(self, x):
        x, pos_emb = self.pos(self.embed(x))
        for block in self.encoders:
            x = block(x, pos_emb)
        return self.head(x)


def conformer_layers(rel_pos):
    """The layer list of Conformer(): each EncoderLayer as residual blocks."""
    def block(p):
        ff = lambda n: [{"type": "layer_norm", "prefix": f"{p}.norm_{n}"},  # noqa: E731
                        {"type": "linear", "prefix": f"{p}.{'feed_forward' if n == 'ff' else 'feed_forward_macaron'}.0"},
                        {"type": "silu"},
                        {"type": "linear", "prefix": f"{p}.{'feed_forward' if n == 'ff' else 'feed_forward_macaron'}.2"}]
        attn = {"type": "rel_multihead_attention", "prefix": f"{p}.self_attn", "num_heads": 2}
        if rel_pos != "relative":
            attn["pos"] = rel_pos
        return [{"type": "residual", "scale": 0.5, "layers": ff("ff_macaron")},
                {"type": "residual", "layers": [{"type": "layer_norm", "prefix": f"{p}.norm_mha"}, attn]},
                {"type": "residual", "layers": [
                    {"type": "layer_norm", "prefix": f"{p}.norm_conv"},
                    {"type": "conv1d", "prefix": f"{p}.pointwise_conv1"}, {"type": "glu"},
                    {"type": "conv1d", "prefix": f"{p}.depthwise_conv", "padding": 3, "groups": 8},
                    {"type": "batch_norm", "prefix": f"{p}.norm"}, {"type": "silu"},
                    {"type": "conv1d", "prefix": f"{p}.pointwise_conv2"}]},
                {"type": "residual", "scale": 0.5, "layers": ff("ff")},
                {"type": "layer_norm", "prefix": f"{p}.norm_final"}]
    return ([{"type": "linear", "prefix": "embed"}, {"type": "rel_positional_encoding"}] + block("encoders.0") +
            block("encoders.1") + [{"type": "linear", "prefix": "head"}])


class Wav2Vec2Encoder(nn.Module):
    """Hugging Face's Wav2Vec2 feature projection and encoder (post-norm layer), scaled down, with its
    module names: the positional convolution (weight norm over dim 2, an even kernel whose extra last
    step SamePad removes) added to its input, attention as nn.MultiheadAttention (saved as q_proj ..
    out_proj by the fixture's state_fn)."""

    def __init__(self, idim, d, heads, k):
        super().__init__()
        self.feature_projection = nn.Module()
        self.feature_projection.layer_norm = nn.LayerNorm(idim)
        self.feature_projection.projection = nn.Linear(idim, d)
        self.encoder = nn.Module()
        self.encoder.pos_conv_embed = nn.Module()
        self.encoder.pos_conv_embed.conv = nn.utils.weight_norm(nn.Conv1d(d, d, k, padding=k // 2, groups=2), dim=2)
        self.encoder.layer_norm = nn.LayerNorm(d)
        layer = nn.Module()
        layer.attention = nn.MultiheadAttention(d, heads, batch_first=True)
        layer.layer_norm = nn.LayerNorm(d)
        layer.feed_forward = nn.Module()
        layer.feed_forward.intermediate_dense = nn.Linear(d, 2 * d)
        layer.feed_forward.output_dense = nn.Linear(2 * d, d)
        layer.final_layer_norm = nn.LayerNorm(d)
        self.encoder.layers = nn.ModuleList([layer])

    def forward(self, x):
        x = self.feature_projection.projection(self.feature_projection.layer_norm(x))
        pos = self.encoder.pos_conv_embed.conv(x.transpose(1, 2))[:, :, :-1]  # SamePad
        x = self.encoder.layer_norm(x + nn.functional.gelu(pos).transpose(1, 2))
        for layer in self.encoder.layers:
            x = layer.layer_norm(x + layer.attention(x, x, x, need_weights=False)[0])
            ff = layer.feed_forward
            x = layer.final_layer_norm(x + ff.output_dense(nn.functional.gelu(ff.intermediate_dense(x))))
        return x


class WhisperAttention(nn.Module):
    """openai-whisper's MultiHeadAttention (whisper/model.py): query, key (no bias), value, out; q and k
    each scaled by d_head ** -0.25."""

    def __init__(self, d, n_head):
        super().__init__()
        self.n_head = n_head
        self.query, self.key = nn.Linear(d, d), nn.Linear(d, d, bias=False)
        self.value, self.out = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x, xa=None, mask=None):
        q, k, v = self.query(x), self.key(x if xa is None else xa), self.value(x if xa is None else xa)
        n_ctx, n_state = q.shape[1], q.shape[2]
        scale = (n_state // self.n_head) ** -0.25
        q = q.view(*q.shape[:2], self.n_head, -1).permute(0, 2, 1, 3) * scale
        k = k.view(*k.shape[:2], self.n_head, -1).permute(0, 2, 3, 1) * scale
        v = v.view(*v.shape[:2], self.n_head, -1).permute(0, 2, 1, 3)
        qk = q @ k
        if mask is not None:
            qk = qk + mask[:n_ctx, :n_ctx]
        w = torch.softmax(qk.float(), dim=-1)
        return self.out((w @ v).permute(0, 2, 1, 3).flatten(start_dim=2))


class WhisperBlock(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.attn, self.attn_ln = WhisperAttention(d, n_head), nn.LayerNorm(d)
        self.cross_attn, self.cross_attn_ln = WhisperAttention(d, n_head), nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.mlp_ln = nn.LayerNorm(d)

    def forward(self, x, xa, mask):
        x = x + self.attn(self.attn_ln(x), mask=mask)
        x = x + self.cross_attn(self.cross_attn_ln(x), xa)
        return x + self.mlp(self.mlp_ln(x))


class WhisperDecoder(nn.Module):
    """openai-whisper's TextDecoder, scaled down, with its names: token and learned positional
    embeddings, blocks of causal self-attention, cross-attention to the audio features and an MLP,
    logits from the token embedding (tied). The audio features here are an embedding of the same
    tokens (`mem`), which the fixture's memory model computes."""

    def __init__(self, vocab, d, n_head, n_ctx, n_layer):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, d)
        self.positional_embedding = nn.Parameter(torch.randn(n_ctx, d) * 0.1)
        self.blocks = nn.ModuleList([WhisperBlock(d, n_head) for _ in range(n_layer)])
        self.ln = nn.LayerNorm(d)
        self.mem = nn.Embedding(vocab, d)

    def memory(self, tokens):
        return self.mem(tokens)

    def forward(self, tokens):
        xa = self.memory(tokens)
        x = self.token_embedding(tokens) + self.positional_embedding[: tokens.shape[1]]
        for block in self.blocks:
            x = block(x, xa, causal(tokens.shape[1]))
        return self.ln(x) @ self.token_embedding.weight.T


def whisper_layers(n_layer, heads):
    names = {"q_proj": "query", "k_proj": "key", "v_proj": "value", "out_proj": "out"}
    layers = [{"type": "embedding", "prefix": "token_embedding"},
              {"type": "positional_encoding", "kind": "learned", "prefix": "positional_embedding"}]
    for i in range(n_layer):
        b = f"blocks.{i}"
        layers += [
            {"type": "residual", "layers": [{"type": "layer_norm", "prefix": f"{b}.attn_ln"},
                                            {"type": "multihead_attention", "prefix": f"{b}.attn", "num_heads": heads,
                                             "causal": True, **names}]},
            {"type": "residual", "layers": [{"type": "layer_norm", "prefix": f"{b}.cross_attn_ln"},
                                            {"type": "multihead_attention", "prefix": f"{b}.cross_attn",
                                             "num_heads": heads, "cross_attention": True, **names}]},
            {"type": "residual", "layers": [{"type": "layer_norm", "prefix": f"{b}.mlp_ln"},
                                            {"type": "linear", "prefix": f"{b}.mlp.0"}, {"type": "gelu"},
                                            {"type": "linear", "prefix": f"{b}.mlp.2"}]}]
    return layers + [{"type": "layer_norm", "prefix": "ln"}, {"type": "linear", "prefix": "token_embedding"}]


class RobertaEncoder(nn.Module):
    """Hugging Face's RobertaModel, scaled down, with its names: word + position (from padding_idx + 1)
    + token type embeddings, LayerNorm, then BertLayers (post-norm attention and feed-forward, exact
    GELU); the attention is nn.MultiheadAttention, saved under BERT's names by the fixture's state_fn."""

    def __init__(self, vocab, d, heads, n_layer, max_pos=64):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(vocab, d)
        self.embeddings.position_embeddings = nn.Embedding(max_pos, d)
        self.embeddings.token_type_embeddings = nn.Embedding(1, d)
        self.embeddings.LayerNorm = nn.LayerNorm(d, eps=1e-12)
        self.encoder = nn.Module()
        layers = []
        for _ in range(n_layer):
            layer = nn.Module()
            layer.attention = nn.MultiheadAttention(d, heads, batch_first=True)
            layer.attention_norm = nn.LayerNorm(d, eps=1e-12)
            layer.intermediate = nn.Linear(d, 2 * d)
            layer.output = nn.Linear(2 * d, d)
            layer.output_norm = nn.LayerNorm(d, eps=1e-12)
            layers.append(layer)
        self.encoder.layer = nn.ModuleList(layers)

    def forward(self, ids):
        e = self.embeddings
        pos = torch.arange(ids.shape[1]) + 2  # RoBERTa: padding_idx (1) + 1 onwards
        x = e.word_embeddings(ids) + e.position_embeddings(pos) + e.token_type_embeddings.weight[0]
        x = e.LayerNorm(x)
        for layer in self.encoder.layer:
            x = layer.attention_norm(x + layer.attention(x, x, x, need_weights=False)[0])
            x = layer.output_norm(x + layer.output(nn.functional.gelu(layer.intermediate(x))))
        return x


def roberta_state(n_layer):
    """The state_dict of RobertaEncoder under Hugging Face's names."""
    def fn(state):
        out = {}
        for k, v in state.items():
            if not k.startswith("encoder.layer."):
                out[k] = v
                continue
            i, rest = k.split(".")[2], ".".join(k.split(".")[3:])
            p = f"encoder.layer.{i}"
            if rest.startswith("attention.in_proj_"):
                kind = rest.rsplit("_", 1)[1]
                for n, part in zip(["query", "key", "value"], v.chunk(3)):
                    out[f"{p}.attention.self.{n}.{kind}"] = part.clone()
            elif rest.startswith("attention.out_proj."):
                out[f"{p}.attention.output.dense.{rest.rsplit('.', 1)[1]}"] = v
            else:
                rename = {"attention_norm": "attention.output.LayerNorm", "intermediate": "intermediate.dense",
                          "output": "output.dense", "output_norm": "output.LayerNorm"}
                mod, param = rest.rsplit(".", 1)
                out[f"{p}.{rename[mod]}.{param}"] = v
        return out
    return fn


def roberta_layers(n_layer, heads):
    layers = [{"type": "embedding", "prefix": "embeddings.word_embeddings"},
              {"type": "positional_encoding", "kind": "learned", "prefix": "embeddings.position_embeddings",
               "offset": 2},
              {"type": "token_type_embedding", "prefix": "embeddings.token_type_embeddings"},
              {"type": "layer_norm", "prefix": "embeddings.LayerNorm", "eps": 1e-12}]
    for i in range(n_layer):
        p = f"encoder.layer.{i}"
        layers += [
            {"type": "residual", "layers": [{"type": "multihead_attention", "prefix": f"{p}.attention",
                                             "num_heads": heads, "q_proj": "self.query", "k_proj": "self.key",
                                             "v_proj": "self.value", "out_proj": "output.dense"}]},
            {"type": "layer_norm", "prefix": f"{p}.attention.output.LayerNorm", "eps": 1e-12},
            {"type": "residual", "layers": [{"type": "linear", "prefix": f"{p}.intermediate.dense"}, {"type": "gelu"},
                                            {"type": "linear", "prefix": f"{p}.output.dense"}]},
            {"type": "layer_norm", "prefix": f"{p}.output.LayerNorm", "eps": 1e-12}]
    return layers


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class EsmSelfAttention(nn.Module):
    """Hugging Face's EsmSelfAttention with rotary position embeddings (modeling_esm.py: RotaryEmbedding,
    rotate_half, apply_rotary_pos_emb), eval mode: q scaled by d_head ** -0.5, then rotated with k."""

    def __init__(self, d, heads):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.inv_freq = 1.0 / (10000 ** (torch.arange(0, self.dh, 2, dtype=torch.int64).float() / self.dh))

    def forward(self, x):
        n, T, _ = x.shape
        split = lambda t: t.view(n, T, self.h, self.dh).permute(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(self.query(x)) * self.dh ** -0.5, split(self.key(x)), split(self.value(x))
        freqs = torch.outer(torch.arange(T).type_as(self.inv_freq), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        probs = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        return (probs @ v).permute(0, 2, 1, 3).reshape(n, T, -1)


class EsmEncoder(nn.Module):
    """Hugging Face's EsmModel, scaled down, with its names: token embedding times ESM-2's token dropout
    factor 0.88 (no mask tokens), pre-norm layers with rotary self-attention and GELU feed-forward,
    emb_layer_norm_after."""

    def __init__(self, vocab, d, heads, n_layer):
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(vocab, d)
        self.encoder = nn.Module()
        layers = []
        for _ in range(n_layer):
            layer = nn.Module()
            layer.attention = nn.Module()
            layer.attention.LayerNorm = nn.LayerNorm(d)
            layer.attention.self = EsmSelfAttention(d, heads)
            layer.attention.output = nn.Module()
            layer.attention.output.dense = nn.Linear(d, d)
            layer.LayerNorm = nn.LayerNorm(d)
            layer.intermediate = nn.Module()
            layer.intermediate.dense = nn.Linear(d, 2 * d)
            layer.output = nn.Module()
            layer.output.dense = nn.Linear(2 * d, d)
            layers.append(layer)
        self.encoder.layer = nn.ModuleList(layers)
        self.encoder.emb_layer_norm_after = nn.LayerNorm(d)

    def forward(self, ids):
        x = self.embeddings.word_embeddings(ids)
        x = (x * (1 - 0.15 * 0.8) / (1 - torch.zeros(1))[:, None, None]).to(x.dtype)  # token dropout, no masks
        for layer in self.encoder.layer:
            a = layer.attention
            x = x + a.output.dense(a.self(a.LayerNorm(x)))
            x = x + layer.output.dense(nn.functional.gelu(layer.intermediate.dense(layer.LayerNorm(x))))
        return self.encoder.emb_layer_norm_after(x)


def esm_layers(n_layer, heads):
    layers = [{"type": "embedding", "prefix": "embeddings.word_embeddings", "scale": 0.88}]
    for i in range(n_layer):
        p = f"encoder.layer.{i}"
        layers += [
            {"type": "residual", "layers": [{"type": "layer_norm", "prefix": f"{p}.attention.LayerNorm"},
                                            {"type": "multihead_attention", "prefix": f"{p}.attention",
                                             "num_heads": heads, "rotary": "half", "q_proj": "self.query",
                                             "k_proj": "self.key", "v_proj": "self.value",
                                             "out_proj": "output.dense"}]},
            {"type": "residual", "layers": [{"type": "layer_norm", "prefix": f"{p}.LayerNorm"},
                                            {"type": "linear", "prefix": f"{p}.intermediate.dense"}, {"type": "gelu"},
                                            {"type": "linear", "prefix": f"{p}.output.dense"}]}]
    return layers + [{"type": "layer_norm", "prefix": "encoder.emb_layer_norm_after"}]


class GptjAttention(nn.Module):
    """Hugging Face's GPTJAttention without its rotary_dim cut (rotary on all of a head's dims): q_proj,
    k_proj, v_proj, out_proj without biases, rotate_every_two (pairs 2i, 2i + 1), causal."""

    def __init__(self, d, heads):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.q_proj, self.k_proj = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)
        self.v_proj, self.out_proj = nn.Linear(d, d, bias=False), nn.Linear(d, d, bias=False)

    @staticmethod
    def rotate_every_two(x):
        x1, x2 = x[:, :, :, ::2], x[:, :, :, 1::2]
        return torch.stack((-x2, x1), dim=-1).flatten(-2)

    def forward(self, x):
        n, T, _ = x.shape
        split = lambda t: t.view(n, T, self.h, self.dh)  # noqa: E731
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        inv_freq = 1.0 / (10000 ** (torch.arange(0, self.dh, 2, dtype=torch.int64) / self.dh))
        sinusoid = torch.einsum("i , j -> i j", torch.arange(T, dtype=torch.int64).float(), inv_freq).float()
        sin, cos = torch.sin(sinusoid), torch.cos(sinusoid)
        sin = torch.repeat_interleave(sin[None, :, None, :], 2, 3)
        cos = torch.repeat_interleave(cos[None, :, None, :], 2, 3)
        q, k = q * cos + self.rotate_every_two(q) * sin, k * cos + self.rotate_every_two(k) * sin
        q, k, v = q.permute(0, 2, 1, 3), k.permute(0, 2, 1, 3), v.permute(0, 2, 1, 3)
        w = (q @ k.transpose(-1, -2)) / math.sqrt(self.dh) + causal(T)
        return self.out_proj((torch.softmax(w, dim=-1) @ v).permute(0, 2, 1, 3).reshape(n, T, -1))


class LlamaRMSNorm(nn.Module):
    """Hugging Face's LlamaRMSNorm (modeling_llama.py)."""

    def __init__(self, hidden_size, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.variance_epsilon = eps

    def forward(self, hidden_states):
        variance = hidden_states.to(torch.float32).pow(2).mean(-1, keepdim=True)
        return self.weight * (hidden_states * torch.rsqrt(variance + self.variance_epsilon))


class LlamaAttention(nn.Module):
    """Hugging Face's LlamaAttention, eval mode: grouped-query (repeat_kv), rotary (rotate_half), causal."""

    def __init__(self, d, heads, kv_heads, base=10000.0):
        super().__init__()
        self.h, self.kv, self.dh = heads, kv_heads, d // heads
        self.q_proj = nn.Linear(d, heads * self.dh, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * self.dh, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * self.dh, bias=False)
        self.o_proj = nn.Linear(heads * self.dh, d, bias=False)
        self.inv_freq = 1.0 / (base ** (torch.arange(0, self.dh, 2, dtype=torch.int64).float() / self.dh))

    def forward(self, x):
        n, T, _ = x.shape
        q = self.q_proj(x).view(n, T, self.h, self.dh).transpose(1, 2)
        k = self.k_proj(x).view(n, T, self.kv, self.dh).transpose(1, 2)
        v = self.v_proj(x).view(n, T, self.kv, self.dh).transpose(1, 2)
        freqs = torch.outer(torch.arange(T).float(), self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        rep = self.h // self.kv
        k = k[:, :, None].expand(n, self.kv, rep, T, self.dh).reshape(n, self.h, T, self.dh)
        v = v[:, :, None].expand(n, self.kv, rep, T, self.dh).reshape(n, self.h, T, self.dh)
        w = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(self.dh) + causal(T), dim=-1)
        return self.o_proj((w @ v).transpose(1, 2).reshape(n, T, -1))


class LlamaForCausalLM(nn.Module):
    """Hugging Face's LlamaForCausalLM, scaled down, with its names: RMSNorm pre-norm decoder layers of
    grouped-query rotary attention and SwiGLU MLP (down_proj(silu(gate_proj(x)) * up_proj(x))), final
    norm, lm_head."""

    def __init__(self, vocab, d, heads, kv_heads, n_layer, ff):
        super().__init__()
        self.model = nn.Module()
        self.model.embed_tokens = nn.Embedding(vocab, d)
        layers = []
        for _ in range(n_layer):
            layer = nn.Module()
            layer.input_layernorm = LlamaRMSNorm(d)
            layer.self_attn = LlamaAttention(d, heads, kv_heads)
            layer.post_attention_layernorm = LlamaRMSNorm(d)
            layer.mlp = nn.Module()
            layer.mlp.gate_proj = nn.Linear(d, ff, bias=False)
            layer.mlp.up_proj = nn.Linear(d, ff, bias=False)
            layer.mlp.down_proj = nn.Linear(ff, d, bias=False)
            layers.append(layer)
        self.model.layers = nn.ModuleList(layers)
        self.model.norm = LlamaRMSNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        with torch.no_grad():  # trained-looking norms
            for m in self.modules():
                if isinstance(m, LlamaRMSNorm):
                    m.weight.normal_(1.0, 0.3)

    def forward(self, ids):
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = x + layer.self_attn(layer.input_layernorm(x))
            h, mlp = layer.post_attention_layernorm(x), layer.mlp
            x = x + mlp.down_proj(nn.functional.silu(mlp.gate_proj(h)) * mlp.up_proj(h))
        return self.lm_head(self.model.norm(x))


def llama_layers(n_layer, heads):
    layers = [{"type": "embedding", "prefix": "model.embed_tokens"}]
    for i in range(n_layer):
        p = f"model.layers.{i}"
        layers += [
            {"type": "residual", "layers": [{"type": "rms_norm", "prefix": f"{p}.input_layernorm", "eps": 1e-6},
                                            {"type": "multihead_attention", "prefix": f"{p}.self_attn",
                                             "num_heads": heads, "causal": True, "rotary": "half"}]},
            {"type": "residual", "layers": [
                {"type": "rms_norm", "prefix": f"{p}.post_attention_layernorm", "eps": 1e-6},
                {"type": "gated", "layers": [{"type": "linear", "prefix": f"{p}.mlp.up_proj"}],
                 "gate": [{"type": "linear", "prefix": f"{p}.mlp.gate_proj"}, {"type": "silu"}]},
                {"type": "linear", "prefix": f"{p}.mlp.down_proj"}]}]
    return layers + [{"type": "rms_norm", "prefix": "model.norm", "eps": 1e-6}, {"type": "linear", "prefix": "lm_head"}]


class Conv1D(nn.Module):
    """Hugging Face's Conv1D (pytorch_utils.py): a Linear whose weight is stored [in, out]."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.2)
        self.bias = nn.Parameter(torch.randn(nf) * 0.1)

    def forward(self, x):
        return torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight).view(x.size()[:-1] + (self.nf,))


class Gpt2LMHeadModel(nn.Module):
    """Hugging Face's GPT2LMHeadModel, scaled down, with its names: wte + wpe, blocks of ln_1 + causal
    attention (c_attn packing q, k, v; c_proj) and ln_2 + MLP (c_fc, gelu_new, c_proj), all Conv1D;
    ln_f; logits from the tied wte."""

    def __init__(self, vocab, d, heads, n_layer, n_pos=64):
        super().__init__()
        self.h_, self.dh = heads, d // heads
        self.transformer = nn.Module()
        self.transformer.wte = nn.Embedding(vocab, d)
        self.transformer.wpe = nn.Embedding(n_pos, d)
        blocks = []
        for _ in range(n_layer):
            b = nn.Module()
            b.ln_1, b.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
            b.attn = nn.Module()
            b.attn.c_attn, b.attn.c_proj = Conv1D(3 * d, d), Conv1D(d, d)
            b.mlp = nn.Module()
            b.mlp.c_fc, b.mlp.c_proj = Conv1D(4 * d, d), Conv1D(d, 4 * d)
            blocks.append(b)
        self.transformer.h = nn.ModuleList(blocks)
        self.transformer.ln_f = nn.LayerNorm(d)

    def attn(self, a, x):
        n, T, d = x.shape
        q, k, v = a.c_attn(x).split(d, dim=2)
        split = lambda t: t.view(n, T, self.h_, self.dh).permute(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(q), split(k), split(v)
        w = q @ k.transpose(-1, -2) / torch.full([], v.size(-1) ** 0.5)
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        w = torch.where(mask, w, torch.full([], torch.finfo(w.dtype).min))
        out = (torch.softmax(w, dim=-1) @ v).permute(0, 2, 1, 3).reshape(n, T, d)
        return a.c_proj(out)

    def forward(self, ids):
        t = self.transformer
        x = t.wte(ids) + t.wpe(torch.arange(ids.shape[1]))
        for b in t.h:
            x = x + self.attn(b.attn, b.ln_1(x))
            h = b.mlp.c_fc(b.ln_2(x))
            h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
            x = x + b.mlp.c_proj(h)
        return t.ln_f(x) @ t.wte.weight.T


def gpt2_layers(n_layer, heads):
    layers = [{"type": "embedding", "prefix": "transformer.wte"},
              {"type": "positional_encoding", "kind": "learned", "prefix": "transformer.wpe"}]
    for i in range(n_layer):
        p = f"transformer.h.{i}"
        layers += [
            {"type": "residual", "layers": [{"type": "layer_norm", "prefix": f"{p}.ln_1"},
                                            {"type": "multihead_attention", "prefix": f"{p}.attn", "num_heads": heads,
                                             "causal": True, "qkv_proj": "c_attn", "out_proj": "c_proj",
                                             "transposed": True}]},
            {"type": "residual", "layers": [{"type": "layer_norm", "prefix": f"{p}.ln_2"},
                                            {"type": "linear", "prefix": f"{p}.mlp.c_fc", "transposed": True},
                                            {"type": "gelu", "approximate": "tanh"},
                                            {"type": "linear", "prefix": f"{p}.mlp.c_proj", "transposed": True}]}]
    return layers + [{"type": "layer_norm", "prefix": "transformer.ln_f"}, {"type": "linear", "prefix": "transformer.wte"}]


class CausalEncoder(nn.TransformerEncoderLayer):
    def forward(self, x):
        return super().forward(x, src_mask=causal(x.shape[1]))


class Sinusoidal(nn.Module):
    """The PyTorch tutorial's PositionalEncoding (without its dropout), with x * scale first."""

    def __init__(self, d, max_len=64, scale=1.0):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
        pe = torch.zeros(max_len, d)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe, persistent=False)
        self.scale = scale

    def forward(self, x):
        return x * self.scale + self.pe[: x.shape[1]]


class Learned(nn.Module):
    def __init__(self, max_len, d):
        super().__init__()
        self.emb = nn.Embedding(max_len, d)

    def forward(self, x):
        return x + self.emb.weight[: x.shape[1]]


class Fn(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


def cases():
    out = []

    def case(name, layers, build, inputs, **kw):
        torch.manual_seed(sum(map(ord, name)))
        module = build()
        # Trained-looking norms: PyTorch initialises them to weight 1, bias 0, which would hide a mix-up.
        with torch.no_grad():
            for m in module.modules():
                if isinstance(m, (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm)) and m.weight is not None:
                    m.weight.normal_(1.0, 0.3)
                    m.bias.normal_(0.0, 0.3)
                if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) and m.running_mean is not None:
                    m.running_mean.normal_(0.0, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
        out.append(Case(name, layers, module, inputs(), **kw))

    # ---- row-wise layers ----
    case("linear", [{"type": "linear", "prefix": "fc"}], lambda: Seq(fc=nn.Linear(12, 7)),
         lambda: feats(LENGTHS, 12), description="nn.Linear(12, 7)")
    case("linear_nobias", [{"type": "linear", "prefix": "fc", "bias": False}],
         lambda: Seq(fc=nn.Linear(12, 5, bias=False)), lambda: feats(LENGTHS, 12),
         description="nn.Linear(12, 5, bias=False)")
    case("linear_f16", [{"type": "linear", "prefix": "fc"}], lambda: Seq(fc=nn.Linear(12, 7)),
         lambda: feats(LENGTHS, 12), dtype="F16", description="nn.Linear(12, 7), F16 weights")
    case("linear_bf16", [{"type": "linear", "prefix": "fc"}], lambda: Seq(fc=nn.Linear(12, 7)),
         lambda: feats(LENGTHS, 12), dtype="BF16", description="nn.Linear(12, 7), BF16 weights")
    case("embedding", [{"type": "embedding", "prefix": "emb"}], lambda: Seq(emb=nn.Embedding(20, 6)),
         lambda: tokens(LENGTHS, 20), description="nn.Embedding(20, 6)")
    # max_norm renormalises looked-up rows even in eval mode; N(0, 1) rows of 6 have norms of 1-4.
    case("embedding_max_norm", [{"type": "embedding", "prefix": "emb", "max_norm": 2.5}],
         lambda: Seq(emb=nn.Embedding(20, 6, max_norm=2.5)), lambda: tokens(LENGTHS, 20),
         description="nn.Embedding(20, 6, max_norm=2.5)")
    case("embedding_max_norm_l1", [{"type": "embedding", "prefix": "emb", "max_norm": 4.0, "norm_type": 1.0}],
         lambda: Seq(emb=nn.Embedding(20, 6, max_norm=4.0, norm_type=1.0)), lambda: tokens(LENGTHS, 20),
         description="nn.Embedding(20, 6, max_norm=4.0, norm_type=1.0)")
    case("layer_norm", [{"type": "layer_norm", "prefix": "ln", "eps": 1e-6}],
         lambda: Seq(ln=nn.LayerNorm(10, eps=1e-6)), lambda: feats(LENGTHS, 10, 3.0),
         description="nn.LayerNorm(10, eps=1e-6) with trained-looking affine weights")
    case("layer_norm_plain", [{"type": "layer_norm", "elementwise_affine": False, "normalized_shape": 10}],
         lambda: Seq(ln=nn.LayerNorm(10, elementwise_affine=False)), lambda: feats(LENGTHS, 10, 3.0),
         description="nn.LayerNorm(10, elementwise_affine=False)")
    case("layer_norm_nobias", [{"type": "layer_norm", "prefix": "ln", "bias": False}],
         lambda: Seq(ln=nn.LayerNorm(10)), lambda: feats(LENGTHS, 10, 3.0), nobias=True,
         description="nn.LayerNorm(10, bias=False) (PyTorch 2.1), as a zero bias")
    case("batch_norm", [{"type": "batch_norm", "prefix": "bn", "eps": 1e-3}],
         lambda: Seq(bn=nn.BatchNorm1d(6, eps=1e-3)), lambda: feats(LENGTHS, 6, 2.0), step=True,
         description="nn.BatchNorm1d(6, eps=1e-3) with trained-looking running statistics")
    case("batch_norm_batch_stats", [{"type": "batch_norm", "prefix": "bn", "track_running_stats": False}],
         lambda: Seq(bn=nn.BatchNorm1d(6, track_running_stats=False)), lambda: feats(LENGTHS, 6, 2.0),
         description="nn.BatchNorm1d(6, track_running_stats=False): each record's own statistics")
    case("group_norm", [{"type": "group_norm", "prefix": "gn", "num_groups": 2}],
         lambda: Seq(gn=nn.GroupNorm(2, 6)), lambda: feats(LENGTHS, 6, 2.0),
         description="nn.GroupNorm(2, 6) over each record's steps")
    acts = {
        "relu": ({"type": "relu"}, nn.ReLU()),
        "gelu": ({"type": "gelu"}, nn.GELU()),
        "gelu_tanh": ({"type": "gelu", "approximate": "tanh"}, nn.GELU(approximate="tanh")),
        "silu": ({"type": "silu"}, nn.SiLU()),
        "tanh": ({"type": "tanh"}, nn.Tanh()),
        "sigmoid": ({"type": "sigmoid"}, nn.Sigmoid()),
        "softmax": ({"type": "softmax", "dim": -1}, nn.Softmax(dim=-1)),
        "log_softmax": ({"type": "log_softmax", "dim": -1}, nn.LogSoftmax(dim=-1)),
        "dropout": ({"type": "dropout", "p": 0.3}, nn.Dropout(0.3)),
        "leaky_relu": ({"type": "leaky_relu", "negative_slope": 0.2}, nn.LeakyReLU(0.2)),
        "elu": ({"type": "elu", "alpha": 0.7}, nn.ELU(0.7)),
        "hardtanh": ({"type": "hardtanh", "min_val": -0.5, "max_val": 2.0}, nn.Hardtanh(-0.5, 2.0)),
        "relu6": ({"type": "relu6"}, nn.ReLU6()),
        "softplus": ({"type": "softplus", "beta": 2.0, "threshold": 3.0}, nn.Softplus(2.0, 3.0)),
        "mish": ({"type": "mish"}, nn.Mish()),
        "identity": ({"type": "identity"}, nn.Identity()),
    }
    for n, (cfg, m) in acts.items():
        case("act_" + n, [cfg], lambda m=m: Seq(f=m), lambda: feats([6, 2, 9], 8, 3.0), description=str(m))

    def prelu():
        m = nn.PReLU(8)
        with torch.no_grad():
            m.weight.uniform_(-0.5, 0.5)  # a slope per feature, all different
        return m

    case("act_prelu", [{"type": "prelu", "prefix": "f"}], lambda: Seq(f=prelu()),
         lambda: feats([6, 2, 9], 8, 3.0), description="nn.PReLU(8): a slope per feature")
    case("act_glu", [{"type": "linear", "prefix": "fc"}, {"type": "glu"}],
         lambda: Seq(fc=nn.Linear(8, 10), f=nn.GLU()), lambda: feats([6, 2, 9], 8, 3.0),
         description="nn.Linear(8, 10) + nn.GLU(): the first 5 features gated by the last 5")

    # ---- convolutions ----
    convs = {
        "conv1d": ({}, dict()),
        "conv1d_stride_pad": ({"stride": 2, "padding": 2}, dict(stride=2, padding=2)),
        "conv1d_dilation": ({"dilation": 2}, dict(dilation=2)),
        "conv1d_groups": ({"groups": 2, "padding": 1}, dict(groups=2, padding=1)),
        "conv1d_same": ({"padding": "same", "dilation": 2}, dict(padding="same", dilation=2)),
        "conv1d_reflect": ({"padding": 2, "padding_mode": "reflect"}, dict(padding=2, padding_mode="reflect")),
        "conv1d_replicate_same": ({"padding": "same", "dilation": 2, "padding_mode": "replicate"},
                                  dict(padding="same", dilation=2, padding_mode="replicate")),
        "conv1d_circular": ({"stride": 2, "padding": 3, "padding_mode": "circular"},
                            dict(stride=2, padding=3, padding_mode="circular")),
    }
    for n, (cfg, kw) in convs.items():
        layer = {"type": "conv1d", "prefix": "conv", "kernel_size": 3}
        layer.update(cfg)
        case(n, [layer], lambda kw=kw: Seq(conv=nn.Conv1d(6, 8, 3, **kw)), lambda: feats([7, 5, 11, 6], 6),
             description=f"nn.Conv1d(6, 8, 3, {kw})")

    # Weight normalization (TCNs, wav2vec2's positional convolution): g drawn away from ||v||, which
    # weight_norm starts it at, so that a weight taken as v alone would not match.
    def weight_norm(module, dim=0):
        module = nn.utils.weight_norm(module, dim=dim)
        with torch.no_grad():
            module.weight_g.mul_(torch.rand_like(module.weight_g) + 0.5)
        return module

    case("conv1d_weight_norm", [{"type": "conv1d", "prefix": "conv", "padding": 1}],
         lambda: Seq(conv=weight_norm(nn.Conv1d(6, 8, 3, padding=1))), lambda: feats([7, 5, 11, 6], 6),
         description="nn.utils.weight_norm(nn.Conv1d(6, 8, 3, padding=1)): conv.weight_g, conv.weight_v")
    case("conv1d_weight_norm_dim2", [{"type": "conv1d", "prefix": "conv", "padding": 2, "groups": 2}],
         lambda: Seq(conv=weight_norm(nn.Conv1d(8, 8, 5, padding=2, groups=2), dim=2)),
         lambda: feats([7, 5, 11, 6], 8),
         description="wav2vec2's positional convolution: weight_norm(Conv1d(8, 8, 5, groups=2), dim=2)")
    case("linear_weight_norm_param", [{"type": "linear", "prefix": "fc"}],
         lambda: Seq(fc=weight_norm(nn.Linear(12, 7))), lambda: feats(LENGTHS, 12),
         rename={"fc.weight_g": "fc.parametrizations.weight.original0",
                 "fc.weight_v": "fc.parametrizations.weight.original1"},
         description="weight norm as PyTorch 2.1's parametrizations.weight_norm names it (original0 = g, "
                     "original1 = v; computed by 1.13's weight_norm)")

    # ---- pooling over time ----
    pools = {
        "max_pool1d": ({"type": "max_pool1d", "kernel_size": 3, "stride": 2, "padding": 1},
                       nn.MaxPool1d(3, stride=2, padding=1)),
        "max_pool1d_dilation_ceil": ({"type": "max_pool1d", "kernel_size": 3, "stride": 2, "dilation": 2,
                                      "ceil_mode": True}, nn.MaxPool1d(3, stride=2, dilation=2, ceil_mode=True)),
        "avg_pool1d": ({"type": "avg_pool1d", "kernel_size": 3, "padding": 1}, nn.AvgPool1d(3, padding=1)),
        "avg_pool1d_ceil_exclude_pad": ({"type": "avg_pool1d", "kernel_size": 4, "stride": 3, "padding": 2,
                                         "ceil_mode": True, "count_include_pad": False},
                                        nn.AvgPool1d(4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)),
        "adaptive_avg_pool1d": ({"type": "adaptive_avg_pool1d", "output_size": 1}, nn.AdaptiveAvgPool1d(1)),
        "adaptive_max_pool1d": ({"type": "adaptive_max_pool1d", "output_size": 4}, nn.AdaptiveMaxPool1d(4)),
    }
    for n, (cfg, m) in pools.items():
        case(n, [cfg], lambda m=m: Seq(pool=m), lambda: feats([7, 5, 11, 6], 6, 2.0), description=str(m))

    # ---- recurrent ----
    rnns = {
        "lstm": ({"type": "lstm"}, lambda: nn.LSTM(6, 8, batch_first=True)),
        "lstm_bi2": ({"type": "lstm", "num_layers": 2, "bidirectional": True},
                     lambda: nn.LSTM(6, 8, num_layers=2, bidirectional=True, batch_first=True)),
        "lstm_proj": ({"type": "lstm", "num_layers": 2, "proj_size": 5},
                      lambda: nn.LSTM(6, 8, num_layers=2, proj_size=5, batch_first=True)),
        "lstm_nobias": ({"type": "lstm", "bias": False}, lambda: nn.LSTM(6, 8, bias=False, batch_first=True)),
        "gru": ({"type": "gru"}, lambda: nn.GRU(6, 8, batch_first=True)),
        "gru_bi2": ({"type": "gru", "num_layers": 2, "bidirectional": True},
                    lambda: nn.GRU(6, 8, num_layers=2, bidirectional=True, batch_first=True)),
        "rnn_tanh": ({"type": "rnn", "num_layers": 2}, lambda: nn.RNN(6, 8, num_layers=2, batch_first=True)),
        "rnn_relu_bi": ({"type": "rnn", "nonlinearity": "relu", "bidirectional": True},
                        lambda: nn.RNN(6, 8, nonlinearity="relu", bidirectional=True, batch_first=True)),
        "lstm_bf16": ({"type": "lstm", "bidirectional": True},
                      lambda: nn.LSTM(6, 8, bidirectional=True, batch_first=True)),
    }
    for n, (cfg, build) in rnns.items():
        layer = {"prefix": "rnn"}
        layer.update(cfg)
        case(n, [layer], lambda build=build: Seq(rnn=build()), lambda: feats(LENGTHS, 6),
             dtype="BF16" if n.endswith("bf16") else "F32", step=not cfg.get("bidirectional", False),
             description=str(layer))

    # ---- positional encodings ----
    case("pos_sinusoidal",
         [{"type": "positional_encoding", "kind": "sinusoidal", "d_model": 16, "max_len": 64, "scale": 2.0}],
         lambda: Seq(pe=Sinusoidal(16, 64, 2.0)), lambda: feats([40, 12, 33], 16),
         description="tutorial PositionalEncoding, x * 2 + pe")
    # Positions past seqflow's 4096-row table are computed as they are needed: a record past it.
    case("pos_sinusoidal_long",
         [{"type": "positional_encoding", "kind": "sinusoidal", "d_model": 2, "max_len": 5000}],
         lambda: Seq(pe=Sinusoidal(2, 5000)), lambda: feats([4200, 7], 2),
         description="tutorial PositionalEncoding(2, max_len=5000) over 4200 steps")
    case("pos_learned", [{"type": "positional_encoding", "kind": "learned", "prefix": "pe.emb"}],
         lambda: Seq(pe=Learned(32, 16)), lambda: feats([20, 12, 31], 16), description="learned positions")

    # ---- Transformer layers ----
    def enc(norm_first=False, act="relu", causal_mask=False):
        cls = CausalEncoder if causal_mask else nn.TransformerEncoderLayer
        return cls(16, 4, 32, dropout=0.1, activation=act, batch_first=True, norm_first=norm_first)

    for n, kw, cfg in [
        ("encoder_post_relu", {}, {}),
        ("encoder_pre_gelu", dict(norm_first=True, act="gelu"), {"norm_first": True, "activation": "gelu"}),
        ("encoder_causal", dict(causal_mask=True), {"causal": True}),
    ]:
        layer = {"type": "transformer_encoder_layer", "prefix": "enc", "nhead": 4}
        layer.update(cfg)
        case(n, [layer], lambda kw=kw: Seq(enc=enc(**kw)), lambda: feats(LENGTHS, 16),
             step=n == "encoder_causal", description=str(layer))
    # Decoder memory: a strided convolution of the decoder's own input, so that memory and target
    # lengths differ per record and the CLI pipeline can make it with a second onednn.run stage.
    for n, nf in [("decoder_post", False), ("decoder_pre", True)]:
        layer = {"type": "transformer_decoder_layer", "prefix": "dec", "nhead": 4, "norm_first": nf}
        case(n, [layer],
             lambda nf=nf: Seq(memconv=nn.Conv1d(16, 16, 3, stride=2, padding=1),
                               dec=nn.TransformerDecoderLayer(16, 4, 32, batch_first=True, norm_first=nf)),
             lambda: feats(LENGTHS, 16), step=True,
             memory_layers=[{"type": "conv1d", "prefix": "memconv", "kernel_size": 3, "stride": 2, "padding": 1}],
             description=str(layer) + ", memory = Conv1d(16, 16, 3, stride=2, padding=1)(x)")

    case("encoder_nobias", [{"type": "transformer_encoder_layer", "prefix": "enc", "nhead": 4, "bias": False,
                              "norm_first": True, "activation": "gelu"}],
         lambda: Seq(enc=enc(norm_first=True, act="gelu")), lambda: feats(LENGTHS, 16), nobias=True,
         description="TransformerEncoderLayer(16, 4, 32, bias=False, norm_first=True) (PyTorch 2.1), as zero biases")
    case("decoder_nobias", [{"type": "transformer_decoder_layer", "prefix": "dec", "nhead": 4, "bias": False}],
         lambda: Seq(memconv=nn.Conv1d(16, 16, 3, stride=2, padding=1),
                     dec=nn.TransformerDecoderLayer(16, 4, 32, batch_first=True)),
         lambda: feats(LENGTHS, 16), step=True, nobias=True,
         memory_layers=[{"type": "conv1d", "prefix": "memconv", "kernel_size": 3, "stride": 2, "padding": 1}],
         description="TransformerDecoderLayer(16, 4, 32, bias=False) (PyTorch 2.1), as zero biases")

    # nn.TransformerEncoder and nn.TransformerDecoder stacks, their sizes and final norms left to the file.
    case("encoder_stack", [{"type": "transformer_encoder", "prefix": "enc", "nhead": 4, "activation": "gelu",
                            "norm_eps": 0.1}],
         lambda: Seq(enc=nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 32, batch_first=True,
                                                                          activation="gelu"),
                                               num_layers=3, norm=nn.LayerNorm(16, eps=0.1))),
         lambda: feats(LENGTHS, 16),
         description="nn.TransformerEncoder(TransformerEncoderLayer(16, 4, 32, gelu), 3, norm=LayerNorm(eps=0.1)): "
                     "an eps large enough that the default 1e-5 fails")
    case("decoder_stack", [{"type": "transformer_decoder", "prefix": "dec", "nhead": 4, "norm_first": True}],
         lambda: Seq(memconv=nn.Conv1d(16, 16, 3, stride=2, padding=1),
                     dec=nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 4, 32, batch_first=True,
                                                                          norm_first=True),
                                               num_layers=2, norm=nn.LayerNorm(16))),
         lambda: feats(LENGTHS, 16), step=True,
         memory_layers=[{"type": "conv1d", "prefix": "memconv", "kernel_size": 3, "stride": 2, "padding": 1}],
         description="nn.TransformerDecoder(TransformerDecoderLayer(16, 4, 32, norm_first), 2, norm=LayerNorm)")
    def lstm_inferred():
        m = Seq(rnn=nn.LSTM(10, 12, num_layers=2, bidirectional=True, proj_size=5, bias=False, batch_first=True),
                head=nn.Linear(10, 6, bias=False))
        with torch.no_grad():  # outputs of order 1, not the 0.01 a small projection and head give
            m.rnn.weight_hr_l1.mul_(4.0)
            m.rnn.weight_hr_l1_reverse.mul_(4.0)
            m.head.weight.mul_(8.0)
        return m

    case("lstm_inferred", [{"type": "lstm", "prefix": "rnn"}, {"type": "linear", "prefix": "head"}],
         lstm_inferred, lambda: feats(LENGTHS, 10, scale=2.0),
         description="LSTM(10, 12, num_layers=2, bidirectional, proj_size=5, bias=False) + Linear(bias=False), "
                     "every such key left to the file")

    # ---- residual blocks ----
    case("residual_jasper",
         [{"type": "conv1d", "prefix": "pre", "padding": 1}, {"type": "relu"},
          {"type": "residual",
           "layers": [{"type": "conv1d", "prefix": "blk.body.conv1", "padding": 2, "groups": 2},
                      {"type": "batch_norm", "prefix": "blk.body.bn1"}, {"type": "relu"},
                      {"type": "conv1d", "prefix": "blk.body.conv2", "padding": 2},
                      {"type": "batch_norm", "prefix": "blk.body.bn2"}],
           "shortcut": [{"type": "conv1d", "prefix": "blk.shortcut.proj"},
                        {"type": "batch_norm", "prefix": "blk.shortcut.bn"}]},
          {"type": "relu"},
          {"type": "residual",
           "layers": [{"type": "conv1d", "prefix": "down.body.c1", "stride": 2, "padding": 1}, {"type": "relu"},
                      {"type": "conv1d", "prefix": "down.body.c2", "padding": 1}],
           "shortcut": [{"type": "conv1d", "prefix": "down.shortcut.c", "stride": 2}]},
          {"type": "linear", "prefix": "head"}],
         lambda: Seq(pre=nn.Conv1d(6, 8, 3, padding=1), act=nn.ReLU(),
                     blk=Residual(Seq(conv1=nn.Conv1d(8, 12, 5, padding=2, groups=2), bn1=nn.BatchNorm1d(12),
                                      act=nn.ReLU(), conv2=nn.Conv1d(12, 12, 5, padding=2),
                                      bn2=nn.BatchNorm1d(12)),
                                  Seq(proj=nn.Conv1d(8, 12, 1), bn=nn.BatchNorm1d(12))),
                     act2=nn.ReLU(),
                     down=Residual(Seq(c1=nn.Conv1d(12, 12, 3, stride=2, padding=1), act=nn.ReLU(),
                                       c2=nn.Conv1d(12, 12, 3, padding=1)),
                                   Seq(c=nn.Conv1d(12, 12, 1, stride=2))),
                     head=nn.Linear(12, 5)),
         lambda: feats([30, 17, 41, 8], 6),
         description="Jasper-style residual block (Conv1d + BatchNorm1d body, 1x1 Conv1d + BatchNorm1d "
                     "shortcut) and a ResNet-style downsampling block with a strided shortcut")
    case("residual_lm",
         [{"type": "embedding", "prefix": "emb"},
          {"type": "residual", "scale": 0.5,
           "layers": [{"type": "layer_norm", "prefix": "ff.body.ln"}, {"type": "linear", "prefix": "ff.body.w1"},
                      {"type": "silu"}, {"type": "linear", "prefix": "ff.body.w2"}]},
          {"type": "residual",
           "layers": [{"type": "layer_norm", "prefix": "rnn.body.ln"}, {"type": "lstm", "prefix": "rnn.body.lstm"},
                      {"type": "residual", "layers": [{"type": "linear", "prefix": "rnn.body.inner.body.fc"},
                                                      {"type": "tanh"}]}]},
          {"type": "residual",
           "layers": [{"type": "transformer_encoder_layer", "prefix": "att.body.blk", "nhead": 2, "causal": True,
                       "norm_first": True}]},
          {"type": "linear", "prefix": "head"}, {"type": "log_softmax"}],
         lambda: Seq(emb=nn.Embedding(30, 16),
                     ff=Residual(Seq(ln=nn.LayerNorm(16), w1=nn.Linear(16, 32), act=nn.SiLU(), w2=nn.Linear(32, 16)),
                                 scale=0.5),
                     rnn=Residual(Seq(ln=nn.LayerNorm(16), lstm=nn.LSTM(16, 16, batch_first=True),
                                      inner=Residual(Seq(fc=nn.Linear(16, 16), act=nn.Tanh())))),
                     att=Residual(Seq(blk=CausalEncoder(16, 2, 32, batch_first=True, norm_first=True))),
                     head=nn.Linear(16, 30), out=nn.LogSoftmax(dim=-1)),
         lambda: tokens([10, 4, 16, 7], 30), step=True,
         description="residual blocks: a Conformer-style half-step feed-forward (scale 0.5), an LSTM block "
                     "with a nested residual, a causal attention block; checked step by step too")

    # nn.MultiheadAttention alone, in residual blocks; its weights also saved as separate projections
    # (Hugging Face's, ESPnet's, BERT's names), PyTorch's module computing the expected outputs.
    def mha(causal=False):
        m = nn.MultiheadAttention(16, 4, batch_first=True)
        m.causal = causal
        with torch.no_grad():
            m.in_proj_bias.normal_(0.0, 0.3)
            m.out_proj.bias.normal_(0.0, 0.3)
        return m

    def split(prefix, names, drop_k_bias=False):
        """The packed in_proj of `prefix` saved as three Linears named `names` (q, k, v, out)."""
        def fn(state):
            out = {}
            for k, v in state.items():
                if k.startswith(prefix + ".in_proj_"):
                    kind = k.rsplit("_", 1)[1]  # weight or bias
                    for i, part in enumerate(v.chunk(3)):
                        if not (drop_k_bias and kind == "bias" and i == 1):
                            out[f"{prefix}.{names[i]}.{kind}"] = part.clone()
                elif k.startswith(prefix + ".out_proj."):
                    out[f"{prefix}.{names[3]}.{k.rsplit('.', 1)[1]}"] = v
                else:
                    out[k] = v
            return out
        return fn

    case("mha_packed",
         [{"type": "residual", "layers": [{"type": "layer_norm", "prefix": "blk.body.ln"},
                                          {"type": "multihead_attention", "prefix": "blk.body.att", "num_heads": 4}]},
          {"type": "linear", "prefix": "head"}],
         lambda: Seq(blk=Residual(Seq(ln=nn.LayerNorm(16), att=mha())), head=nn.Linear(16, 6)),
         lambda: feats(LENGTHS, 16),
         description="pre-norm block: x + MultiheadAttention(LayerNorm(x)), nn.MultiheadAttention's packed weights")

    def whisper_like():
        m = Seq(blk=Residual(Seq(ln=nn.LayerNorm(16), att=mha(causal=True))), head=nn.Linear(16, 6))
        with torch.no_grad():  # Whisper's k_proj has no bias: a key bias moves no softmax anyway
            m.blk.body.att.in_proj_bias[16:32].zero_()
        return m
    case("mha_hf_causal",
         [{"type": "residual", "layers": [{"type": "layer_norm", "prefix": "blk.body.ln"},
                                          {"type": "multihead_attention", "prefix": "blk.body.att", "num_heads": 4,
                                           "causal": True}]},
          {"type": "linear", "prefix": "head"}],
         whisper_like, lambda: feats(LENGTHS, 16), step=True,
         state_fn=split("blk.body.att", ["q_proj", "k_proj", "v_proj", "out_proj"], drop_k_bias=True),
         description="causal self-attention saved as Hugging Face's q_proj/k_proj/v_proj/out_proj (k_proj "
                     "without bias, as Whisper's), found without keys; checked step by step too")
    case("mha_espnet",
         [{"type": "residual", "layers": [{"type": "multihead_attention", "prefix": "att", "num_heads": 4}]},
          {"type": "layer_norm", "prefix": "ln"}],
         lambda: Seq(att=Residual(Seq(m=mha())), ln=nn.LayerNorm(16)),
         lambda: feats(LENGTHS, 16),
         rename={"att.body.m." + k: "att." + k for k in MHA_PARAMS},
         state_fn=split("att", ["linear_q", "linear_k", "linear_v", "linear_out"]),
         description="post-norm block: LayerNorm(x + MultiheadAttention(x)), saved as ESPnet's "
                     "linear_q/linear_k/linear_v/linear_out")
    case("mha_bert_names",
         [{"type": "residual", "layers": [{"type": "multihead_attention", "prefix": "attention", "num_heads": 4,
                                           "q_proj": "self.query", "k_proj": "self.key", "v_proj": "self.value",
                                           "out_proj": "output.dense"}]},
          {"type": "layer_norm", "prefix": "attention.output.LayerNorm"}],
         lambda: Seq(att=Residual(Seq(m=mha())), ln=nn.LayerNorm(16)),
         lambda: feats(LENGTHS, 16),
         rename={**{"att.body.m." + k: "attention." + k for k in MHA_PARAMS},
                 "ln.weight": "attention.output.LayerNorm.weight", "ln.bias": "attention.output.LayerNorm.bias"},
         state_fn=split("attention", ["self.query", "self.key", "self.value", "output.dense"]),
         description="BERT's attention block names (attention.self.query ... attention.output.dense, "
                     "attention.output.LayerNorm) given as keys")

    # Conformer: ESPnet's relative-position attention (its code transcribed above as the reference),
    # and WeNet's variant with the keys' positions.
    case("conformer_espnet", conformer_layers("relative"), lambda: Conformer(10, 8, 2, 5),
         lambda: feats([30, 17, 41, 9], 10),
         description="2 ESPnet Conformer EncoderLayers (macaron FF, RelPositionMultiHeadedAttention, conv "
                     "module) as residual blocks, RelPositionalEncoding's x * sqrt(d)")
    case("conformer_wenet", conformer_layers("absolute"), lambda: Conformer(10, 8, 2, 5, rel_shift=False),
         lambda: feats([30, 17, 41, 9], 10),
         description="the same with WeNet's relative attention: linear_pos of the keys' absolute positions, "
                     "no rel_shift")

    case("wav2vec2_encoder",
         [{"type": "layer_norm", "prefix": "feature_projection.layer_norm"},
          {"type": "linear", "prefix": "feature_projection.projection"},
          {"type": "residual", "layers": [{"type": "conv1d", "prefix": "encoder.pos_conv_embed.conv", "padding": [4, 3],
                                           "groups": 2}, {"type": "gelu"}]},
          {"type": "layer_norm", "prefix": "encoder.layer_norm"},
          {"type": "residual", "layers": [{"type": "multihead_attention", "prefix": "encoder.layers.0.attention",
                                           "num_heads": 4}]},
          {"type": "layer_norm", "prefix": "encoder.layers.0.layer_norm"},
          {"type": "residual", "layers": [{"type": "linear", "prefix": "encoder.layers.0.feed_forward.intermediate_dense"},
                                          {"type": "gelu"},
                                          {"type": "linear", "prefix": "encoder.layers.0.feed_forward.output_dense"}]},
          {"type": "layer_norm", "prefix": "encoder.layers.0.final_layer_norm"}],
         lambda: Wav2Vec2Encoder(12, 16, 4, 8), lambda: feats([30, 17, 41, 9], 12),
         state_fn=split("encoder.layers.0.attention", ["q_proj", "k_proj", "v_proj", "out_proj"]),
         description="Hugging Face's Wav2Vec2 feature projection and encoder layer (its names): the positional "
                     "conv (weight norm, dim 2, even kernel: padding [left, right] = [4, 3] is its SamePad) "
                     "added as a residual, post-norm attention and feed-forward blocks")

    case("whisper_decoder", whisper_layers(2, 4), lambda: WhisperDecoder(40, 16, 4, 32, 2),
         lambda: tokens([10, 4, 16, 7], 40), step=True, memory_layers=[{"type": "embedding", "prefix": "mem"}],
         description="openai-whisper's TextDecoder under its own names: residual blocks of causal "
                     "multihead_attention, cross_attention to the memory and an MLP, logits from the tied "
                     "token embedding; checked step by step too")

    def cross_kdim():
        m = Seq(memconv=nn.Conv1d(16, 12, 3, stride=2, padding=1),
                blk=Residual(Seq(ln=nn.LayerNorm(16), att=nn.MultiheadAttention(16, 4, kdim=12, vdim=12,
                                                                                 batch_first=True))))
        m.blk.body.att.cross = True
        with torch.no_grad():
            m.blk.body.att.in_proj_bias.normal_(0.0, 0.3)
        return m
    case("mha_cross_kdim",
         [{"type": "residual", "layers": [{"type": "layer_norm", "prefix": "blk.body.ln"},
                                          {"type": "multihead_attention", "prefix": "blk.body.att", "num_heads": 4,
                                           "cross_attention": True}]}],
         cross_kdim, lambda: feats(LENGTHS, 16), step=True,
         memory_layers=[{"type": "conv1d", "prefix": "memconv", "kernel_size": 3, "stride": 2, "padding": 1}],
         description="x + MultiheadAttention(LayerNorm(x), memory) with kdim = vdim = 12 (nn.MultiheadAttention's "
                     "q/k/v_proj_weight parameters); memory = Conv1d(16, 12, 3, stride=2, padding=1)(x)")

    # Records long enough that attention takes its queries in blocks (at most 4M scores at once):
    # 2 heads x 2100 x 2100 keys, and Conformer's 2 heads x 1500 x (1500 + 2999) positions.
    case("encoder_long", [{"type": "transformer_encoder_layer", "prefix": "enc", "nhead": 2}],
         lambda: Seq(enc=nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)), lambda: feats([2100, 5], 8),
         description="TransformerEncoderLayer(8, 2, 16) on a 2100-step record: attention in query blocks")
    case("conformer_long", conformer_layers("relative"), lambda: Conformer(10, 8, 2, 5),
         lambda: feats([1500, 40], 10),
         description="the Conformer of conformer_espnet on a 1500-step record: relative attention in "
                     "query blocks")

    case("roberta_encoder", roberta_layers(2, 4), lambda: RobertaEncoder(50, 16, 4, 2),
         lambda: tokens([12, 5, 20, 9], 50), state_fn=roberta_state(2),
         description="Hugging Face's RobertaModel encoder under its names: positions from offset 2, the token "
                     "type row, post-norm BertLayers with multihead_attention under BERT's names")

    case("esm2_encoder", esm_layers(2, 2), lambda: EsmEncoder(33, 16, 2, 2), lambda: tokens([12, 5, 20, 9], 33),
         description="Hugging Face's EsmModel (ESM-2) under its names: embedding times the token dropout factor "
                     "0.88, pre-norm layers with rotary multihead_attention (rotate_half), emb_layer_norm_after")

    case("rotary_interleaved_lm",
         [{"type": "embedding", "prefix": "emb"},
          {"type": "residual", "layers": [{"type": "layer_norm", "prefix": "blk.body.ln"},
                                          {"type": "multihead_attention", "prefix": "blk.body.attn", "num_heads": 2,
                                           "causal": True, "rotary": "interleaved"}]},
          {"type": "linear", "prefix": "head"}, {"type": "log_softmax"}],
         lambda: Seq(emb=nn.Embedding(30, 16), blk=Residual(Seq(ln=nn.LayerNorm(16), attn=GptjAttention(16, 2))),
                     head=nn.Linear(16, 30), out=nn.LogSoftmax(dim=-1)),
         lambda: tokens([10, 4, 16, 7], 30), step=True,
         description="a GPT-J-style causal block: rotary embeddings on pairs (2i, 2i + 1) (rotate_every_two), "
                     "projections without biases; checked step by step too")

    case("llama_lm", llama_layers(2, 4), lambda: LlamaForCausalLM(40, 16, 4, 2, 2, 24),
         lambda: tokens([10, 4, 16, 7], 40), step=True,
         description="Hugging Face's LlamaForCausalLM under its names: rms_norm, grouped-query multihead_attention "
                     "(4 query heads, 2 key/value heads) with rotary, a gated SwiGLU MLP; checked step by step too")

    case("gpt2_lm", gpt2_layers(2, 4), lambda: Gpt2LMHeadModel(40, 16, 4, 2), lambda: tokens([10, 4, 16, 7], 40),
         step=True,
         description="Hugging Face's GPT2LMHeadModel under its names: Conv1D weights stored [in, out] "
                     "(transposed = true), c_attn packing q, k and v (qkv_proj), gelu_new, tied logits; "
                     "checked step by step too")

    # ---- composite models ----
    case("acoustic",
         [{"type": "conv1d", "prefix": "conv", "kernel_size": 3, "stride": 2, "padding": 1},
          {"type": "relu"},
          {"type": "lstm", "prefix": "rnn", "num_layers": 2, "bidirectional": True},
          {"type": "linear", "prefix": "head"},
          {"type": "log_softmax"}],
         lambda: Seq(conv=nn.Conv1d(12, 16, 3, stride=2, padding=1), act=nn.ReLU(),
                     rnn=nn.LSTM(16, 12, num_layers=2, bidirectional=True, batch_first=True),
                     head=nn.Linear(24, 10), out=nn.LogSoftmax(dim=-1)),
         lambda: feats([30, 17, 41, 8], 12),
         description="Conv1d + BiLSTM + Linear acoustic model")
    case("conv_bn_block",
         [{"type": "conv1d", "prefix": "conv1", "kernel_size": 5, "padding": 2},
          {"type": "batch_norm", "prefix": "bn1"},
          {"type": "relu"},
          {"type": "conv1d", "prefix": "conv2", "kernel_size": 3, "padding": 1, "groups": 4, "bias": False},
          {"type": "batch_norm", "prefix": "bn2"},
          {"type": "relu"},
          {"type": "linear", "prefix": "head"},
          {"type": "log_softmax"}],
         lambda: Seq(conv1=nn.Conv1d(12, 16, 5, padding=2), bn1=nn.BatchNorm1d(16), act1=nn.ReLU(),
                     conv2=nn.Conv1d(16, 16, 3, padding=1, groups=4, bias=False), bn2=nn.BatchNorm1d(16),
                     act2=nn.ReLU(), head=nn.Linear(16, 10), out=nn.LogSoftmax(dim=-1)),
         lambda: feats([30, 17, 41, 8], 12),
         description="Jasper/QuartzNet-style Conv1d + BatchNorm1d + ReLU blocks and a CTC head")
    case("dna_cnn",
         [{"type": "conv1d", "prefix": "conv1", "kernel_size": 8},
          {"type": "relu"},
          {"type": "max_pool1d", "kernel_size": 4},
          {"type": "conv1d", "prefix": "conv2", "kernel_size": 4, "padding": "same"},
          {"type": "relu"},
          {"type": "adaptive_max_pool1d", "output_size": 1},
          {"type": "linear", "prefix": "head"},
          {"type": "sigmoid"}],
         lambda: Seq(conv1=nn.Conv1d(4, 16, 8), act1=nn.ReLU(), pool1=nn.MaxPool1d(4),
                     conv2=nn.Conv1d(16, 16, 4, padding="same"), act2=nn.ReLU(), pool2=nn.AdaptiveMaxPool1d(1),
                     head=nn.Linear(16, 3), out=nn.Sigmoid()),
         lambda: [torch.nn.functional.one_hot(torch.randint(0, 4, (t,)), 4).float() for t in [60, 33, 100, 41]],
         description="Basset-style DNA CNN: one-hot bases, Conv1d + ReLU + MaxPool1d, global max pool, "
                     "sigmoid head (one output step per sequence)")
    case("dna_cnn_flatten",
         [{"type": "conv1d", "prefix": "conv1", "kernel_size": 5},
          {"type": "relu"},
          {"type": "max_pool1d", "kernel_size": 2},
          {"type": "conv1d", "prefix": "conv2", "kernel_size": 3},
          {"type": "relu"},
          {"type": "dropout", "p": 0.2},
          {"type": "flatten"},
          {"type": "linear", "prefix": "fc1"},
          {"type": "relu"},
          {"type": "linear", "prefix": "fc2"},
          {"type": "sigmoid"}],
         lambda: Seq(conv1=nn.Conv1d(4, 8, 5), act1=nn.ReLU(), pool=nn.MaxPool1d(2), conv2=nn.Conv1d(8, 6, 3),
                     act2=nn.ReLU(), drop=nn.Dropout(0.2), flat=nn.Flatten(), fc1=nn.Linear(6 * 16, 12),
                     act3=nn.ReLU(), fc2=nn.Linear(12, 3), out=nn.Sigmoid()),
         lambda: [torch.nn.functional.one_hot(torch.randint(0, 4, (40,)), 4).float() for _ in range(4)],
         description="DeepSEA-style CNN on 40 bp: Conv1d, MaxPool1d, Flatten (channel-major) into Linear")
    flip = lambda: Fn(lambda x: x.flip(1))  # noqa: E731
    case("basecaller",
         [{"type": "conv1d", "prefix": "conv1", "kernel_size": 5, "padding": 2},
          {"type": "silu"},
          {"type": "conv1d", "prefix": "conv2", "kernel_size": 5, "stride": 2, "padding": 2},
          {"type": "silu"},
          {"type": "flip"}, {"type": "lstm", "prefix": "rnn1"}, {"type": "flip"},
          {"type": "lstm", "prefix": "rnn2"},
          {"type": "flip"}, {"type": "lstm", "prefix": "rnn3"}, {"type": "flip"},
          {"type": "linear", "prefix": "head"}],
         lambda: Seq(conv1=nn.Conv1d(1, 4, 5, padding=2), act1=nn.SiLU(),
                     conv2=nn.Conv1d(4, 8, 5, stride=2, padding=2), act2=nn.SiLU(),
                     f1=flip(), rnn1=nn.LSTM(8, 8, batch_first=True), f2=flip(),
                     rnn2=nn.LSTM(8, 8, batch_first=True),
                     f3=flip(), rnn3=nn.LSTM(8, 8, batch_first=True), f4=flip(), head=nn.Linear(8, 5)),
         lambda: feats([120, 57, 200, 33], 1),
         description="Bonito-style basecaller: raw signal, Conv1d + SiLU, LSTMs alternating direction "
                     "(flip, LSTM, flip), a linear head")
    case("conv2d_subsampling",
         [{"type": "conv2d", "prefix": "sub.conv.0", "stride": 2}, {"type": "relu"},
          {"type": "conv2d", "prefix": "sub.conv.2", "stride": 2}, {"type": "relu"},
          {"type": "linear", "prefix": "sub.out.0"}],
         lambda: Seq(sub=Conv2dSubsampling(20, 12)), lambda: feats([30, 17, 41, 9], 20),
         description="ESPnet/WeNet Conv2dSubsampling: Conv2d(1, 4, 3, 2) + ReLU + Conv2d(4, 4, 3, 2) + ReLU, "
                     "[N, C, T', F'] -> [N, T', C * F'], Linear")
    case("conv2d_batch_norm2d",
         [{"type": "conv2d", "prefix": "sub.conv.0", "stride": 2}, {"type": "batch_norm2d", "prefix": "sub.conv.1"},
          {"type": "relu"},
          {"type": "conv2d", "prefix": "sub.conv.3", "stride": 2},
          {"type": "batch_norm2d", "prefix": "sub.conv.4", "track_running_stats": False},
          {"type": "relu"},
          {"type": "linear", "prefix": "sub.out.0"}],
         lambda: Seq(sub=Conv2dSubsampling(20, 12, norm=True)), lambda: feats([30, 17, 41, 9], 20),
         description="Conv2d + BatchNorm2d (running statistics, then a record's own) + ReLU, twice, into Linear")
    case("conv2d_deepspeech2",
         [{"type": "conv2d", "prefix": "ds2.conv.0", "stride": [2, 2], "padding": [3, 2], "time_dim": 3},
          {"type": "batch_norm2d", "prefix": "ds2.conv.1"}, {"type": "hardtanh", "min_val": 0.0, "max_val": 20.0},
          {"type": "conv2d", "prefix": "ds2.conv.3", "stride": [2, 1], "padding": [2, 1], "time_dim": 3},
          {"type": "batch_norm2d", "prefix": "ds2.conv.4"}, {"type": "hardtanh", "min_val": 0.0, "max_val": 20.0},
          {"type": "max_pool2d", "kernel_size": [2, 3], "stride": [1, 2], "padding": [1, 1], "time_dim": 3},
          {"type": "gru", "prefix": "ds2.rnn"}],
         lambda: Seq(ds2=DeepSpeech2Front(15)), lambda: feats([30, 17, 41, 9], 15, scale=3.0),
         description="DeepSpeech2-style front end: frequency as the image's height (time_dim = 3), "
                     "Conv2d + BatchNorm2d + Hardtanh twice, MaxPool2d, view + transpose into a BiGRU")
    case("conv2d_vgg_pools",
         [{"type": "conv2d", "prefix": "vgg.conv.0", "padding": 1}, {"type": "relu"},
          {"type": "max_pool2d", "kernel_size": 2, "ceil_mode": True},
          {"type": "conv2d", "prefix": "vgg.conv.3", "padding": 1}, {"type": "relu"},
          {"type": "avg_pool2d", "kernel_size": [3, 2], "stride": [2, 2], "padding": [1, 0],
           "count_include_pad": False},
          {"type": "linear", "prefix": "vgg.out"}],
         lambda: Seq(vgg=VggFront(13, 8)), lambda: feats([30, 17, 41, 9], 13),
         description="VGG2L-style front end: Conv2d + MaxPool2d(2, ceil_mode=True), Conv2d + AvgPool2d, Linear")
    case("conv2d_pairs",
         [{"type": "conv2d", "prefix": "sub.conv.0", "stride": 2}, {"type": "relu"},
          {"type": "conv2d", "prefix": "sub.conv.2", "kernel_size": [3, 5], "stride": [1, 2], "padding": [1, 2]},
          {"type": "relu"},
          {"type": "linear", "prefix": "sub.out.0"}],
         lambda: Seq(sub=Conv2dSubsampling(16, 6, k2=(3, 5), s2=(1, 2), pad2=(1, 2))),
         lambda: feats([30, 17, 41, 9], 16),
         description="Conv2d with kernel, stride and padding pairs: (3, 5), (1, 2), (1, 2)")
    case("waveform_frontend",
         [{"type": "conv1d", "prefix": "conv0", "kernel_size": 10, "stride": 5, "bias": False},
          {"type": "group_norm", "prefix": "norm0", "num_groups": 8},
          {"type": "gelu"},
          {"type": "conv1d", "prefix": "conv1", "kernel_size": 3, "stride": 2, "bias": False},
          {"type": "gelu"}],
         lambda: Seq(conv0=nn.Conv1d(1, 8, 10, stride=5, bias=False), norm0=nn.GroupNorm(8, 8), act0=nn.GELU(),
                     conv1=nn.Conv1d(8, 8, 3, stride=2, bias=False), act1=nn.GELU()),
         lambda: feats([400, 161, 77], 1),
         description="wav2vec2's feature extractor, scaled down: raw samples, Conv1d + GroupNorm(C, C) + GELU")
    case("classifier",
         [{"type": "embedding", "prefix": "emb"},
          {"type": "positional_encoding", "kind": "sinusoidal", "max_len": 64, "scale": 4.0},
          {"type": "transformer_encoder_layer", "prefix": "layers.0", "nhead": 4},
          {"type": "transformer_encoder_layer", "prefix": "layers.1", "nhead": 4},
          {"type": "linear", "prefix": "head"}],
         lambda: Seq(emb=nn.Embedding(50, 16), pe=Sinusoidal(16, 64, 4.0),
                     layers=nn.Sequential(enc(), enc()), head=nn.Linear(16, 3)),
         lambda: tokens([12, 5, 20, 9], 50),
         description="Embedding + positional + Transformer encoder classifier (per-step logits)")
    case("lm",
         [{"type": "embedding", "prefix": "emb"},
          {"type": "positional_encoding", "kind": "sinusoidal", "max_len": 64},
          {"type": "transformer_encoder_layer", "prefix": "blocks.0", "nhead": 4, "causal": True, "norm_first": True},
          {"type": "transformer_encoder_layer", "prefix": "blocks.1", "nhead": 4, "causal": True, "norm_first": True},
          {"type": "layer_norm", "prefix": "ln_f"},
          {"type": "linear", "prefix": "head"},
          {"type": "log_softmax"}],
         lambda: Seq(emb=nn.Embedding(40, 16), pe=Sinusoidal(16, 64),
                     blocks=nn.Sequential(CausalEncoder(16, 4, 32, batch_first=True, norm_first=True),
                                          CausalEncoder(16, 4, 32, batch_first=True, norm_first=True)),
                     ln_f=nn.LayerNorm(16), head=nn.Linear(16, 40), out=nn.LogSoftmax(dim=-1)),
         lambda: tokens([10, 4, 16, 7], 40), step=True,
         description="decoder-only Transformer LM (causal self-attention), checked step by step too")
    case("lstm_lm",
         [{"type": "embedding", "prefix": "emb"},
          {"type": "lstm", "prefix": "rnn", "num_layers": 2},
          {"type": "linear", "prefix": "head"},
          {"type": "log_softmax"}],
         lambda: Seq(emb=nn.Embedding(30, 8), rnn=nn.LSTM(8, 12, num_layers=2, batch_first=True),
                     head=nn.Linear(12, 30), out=nn.LogSoftmax(dim=-1)),
         lambda: tokens([9, 4, 14, 6], 30), step=True, description="LSTM language model")
    return out


def main():
    only = set(sys.argv[1:])
    for c in cases():
        if only and c.name not in only:
            continue
        write_case(c)
        print("wrote", c.name)


if __name__ == "__main__":
    main()
