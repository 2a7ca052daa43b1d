#!/usr/bin/env python3
"""Converts Silero VAD v5's 16 kHz branch from the silero-vad package's ONNX file to safetensors.

Run with Debian's python3 (python3-onnx, numpy; no torch, no onnxruntime):
    pip download --no-deps silero-vad==5.1.2 -d /tmp/sv && unzip -o /tmp/sv/silero_vad-5.1.2-*.whl -d /tmp/sv
    /usr/bin/python3 pipelines/vad/convert_silero.py /tmp/sv/silero_vad/data/silero_vad.onnx \
        pipelines/vad/model/silero_vad_v5_16k.safetensors

The ONNX graph is an If on the sample rate; its then-branch (sr == 16000) holds the 16 kHz weights as
Constant nodes named after the PyTorch module (`stft.forward_basis_buffer`, `encoder.K.reparam_conv.*`,
`decoder.rnn.*` of an LSTMCell, `decoder.decoder.2.*`). They are written under the names the seqflow
layer list in pipelines/vad/vad.toml reads: the LSTMCell's weights as a one-layer nn.LSTM's
(`decoder.rnn.weight_ih_l0`, ...: the same (i, f, g, o) gate order and math). The values are copied
bit for bit; the script checks the graph's structure it relies on (conv strides, paddings, the
reflect pad, the slices into real and imaginary parts) and fails if any differs.
"""
import hashlib
import json
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper

PREFIX = "If_0_then_branch__Inline_0_"

NAMES = {
    "_stft.forward_basis_buffer": "stft.weight",
    "_encoder.0.reparam_conv.weight": "encoder.0.weight",
    "_encoder.0.reparam_conv.bias": "encoder.0.bias",
    "_encoder.1.reparam_conv.weight": "encoder.1.weight",
    "_encoder.1.reparam_conv.bias": "encoder.1.bias",
    "_encoder.2.reparam_conv.weight": "encoder.2.weight",
    "_encoder.2.reparam_conv.bias": "encoder.2.bias",
    "_encoder.3.reparam_conv.weight": "encoder.3.weight",
    "_encoder.3.reparam_conv.bias": "encoder.3.bias",
    "_decoder.rnn.weight_ih": "decoder.rnn.weight_ih_l0",
    "_decoder.rnn.weight_hh": "decoder.rnn.weight_hh_l0",
    "_decoder.rnn.bias_ih": "decoder.rnn.bias_ih_l0",
    "_decoder.rnn.bias_hh": "decoder.rnn.bias_hh_l0",
    "_decoder.decoder.2.weight": "decoder.conv.weight",
    "_decoder.decoder.2.bias": "decoder.conv.bias",
}
SHAPES = {
    "stft.weight": (258, 1, 256),
    "encoder.0.weight": (128, 129, 3),
    "encoder.1.weight": (64, 128, 3),
    "encoder.2.weight": (64, 64, 3),
    "encoder.3.weight": (128, 64, 3),
    "decoder.rnn.weight_ih_l0": (512, 128),
    "decoder.rnn.weight_hh_l0": (512, 128),
    "decoder.conv.weight": (1, 128, 1),
}
# The convolutions of the branch in order: (kernel, stride, pads), as the layer list writes them.
CONVS = [([256], [128], [0, 0]), ([3], [1], [1, 1]), ([3], [2], [1, 1]), ([3], [2], [1, 1]),
         ([3], [1], [1, 1]), ([1], [1], [0, 0])]


def short(name):
    return name[len(PREFIX):] if name.startswith(PREFIX) else name


def main(src, dst):
    model = onnx.load(src)
    branch = None
    for node in model.graph.node:
        if node.op_type == "If":
            for a in node.attribute:
                if a.name == "then_branch":
                    branch = a.g
    if branch is None:
        sys.exit(f"{src}: no If node with a then_branch: not Silero VAD v5's graph")
    consts = {}
    for n in branch.node:
        if n.op_type == "Constant":
            consts[short(n.output[0])] = numpy_helper.to_array(n.attribute[0].t)
    # The structure the layer list assumes.
    assert int(consts["_self.stft.hop_length"]) == 128, "hop length"
    assert consts["_/stft/padding/Constant_1_output_0"].tolist() == [0, 64], "STFT pad [0, 64]"
    pads = [n for n in branch.node if n.op_type == "Pad"]
    assert len(pads) == 1 and onnx.helper.get_attribute_value(pads[0].attribute[0]) == b"reflect", "reflect pad"
    assert consts["_/stft/Constant_8_output_0"].tolist() == [129], "real part: channels 0..128"
    assert consts["_/stft/Constant_15_output_0"].tolist() == [129], "imaginary part: channels 129.."
    convs = [n for n in branch.node if n.op_type == "Conv"]
    got = []
    for n in convs:
        at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        got.append((list(at["kernel_shape"]), list(at["strides"]), list(at["pads"])))
        assert list(at["dilations"]) == [1] and at["group"] == 1
    assert got == CONVS, f"convolutions {got}"
    ops = [n.op_type for n in branch.node if n.op_type in ("Relu", "Sigmoid", "Sqrt")]
    assert ops == ["Sqrt", "Relu", "Relu", "Relu", "Relu", "Relu", "Sigmoid"], ops

    tensors = {}
    for onnx_name, name in NAMES.items():
        a = np.ascontiguousarray(consts[onnx_name].astype(np.float32))
        if name in SHAPES:
            assert a.shape == SHAPES[name], (name, a.shape)
        tensors[name] = a
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        b = tensors[name].tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    header["__metadata__"] = {
        "source": "silero-vad 5.1.2 (PyPI) silero_vad/data/silero_vad.onnx, If then-branch (16 kHz)",
        "source_sha256": hashlib.sha256(open(src, "rb").read()).hexdigest(),
        "license": "MIT (Silero Team), see LICENSE",
    }
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    print(f"wrote {dst}: {len(tensors)} tensors, {offset} bytes of weights")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: convert_silero.py SILERO_VAD.onnx OUT.safetensors")
    main(sys.argv[1], sys.argv[2])
