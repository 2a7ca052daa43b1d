#!/usr/bin/python3
"""Writes the onednn end-to-end cases (run: /usr/bin/python3 tests/e2e/cases/onednn/make_cases.py).

Needs numpy only. Expected outputs are worked out here from the definitions with small integer weights,
so that float32 arithmetic is exact and the npy files can be compared byte for byte:
  linear_relu_exact   y = relu(x W^T + b) for W = [[1, 2], [3, 4], [-1, -1]], b = [0.5, -1, 0]
  embedding_i32       rows of the embedding table for i32 token ids
  residual_exact      y = s(x) + 0.5 * relu(x W^T + b), s the shortcut Linear(2, 3) with weights V and no bias
  bad_records_skip    on_error = "skip": a record with 3 features and an i64 matrix fail alone
The other cases are malformed models or inputs, each with the message it must print.
PyTorch parity of every layer is covered by tests/onednn (fixtures made with PyTorch).
"""
import json
import os
import shutil
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def safetensors(path, tensors, truncate=0):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    blob = struct.pack("<Q", len(text)) + text + b"".join(blobs)
    with open(path, "wb") as f:
        f.write(blob[: len(blob) - truncate])


def case(name, pipeline, weights=None, inputs=None, expected=None, args=None, exit_code=None, stderr=None,
         truncate=0):
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "pipeline.toml"), "w") as f:
        f.write(pipeline)
    if weights is not None:
        safetensors(os.path.join(d, "model.safetensors"), weights, truncate)
    for sub, arrays in (("inputs", inputs), ("expected", expected)):
        if arrays:
            os.makedirs(os.path.join(d, sub))
            for rid, a in arrays.items():
                np.save(os.path.join(d, sub, rid + ".npy"), a)
    if args:
        with open(os.path.join(d, "args"), "w") as f:
            f.write(args + "\n")
    if exit_code is not None:
        with open(os.path.join(d, "expected_exit"), "w") as f:
            f.write(f"{exit_code}\n")
    if stderr:
        with open(os.path.join(d, "expected_stderr"), "w") as f:
            f.write("\n".join(stderr) + "\n")


def pipeline(comment, layers, stage_extra="", pipeline_extra="", resource_extra="", batch=2):
    return f"""# {comment}
[pipeline]
name = "onednn-e2e"
{pipeline_extra}
[resources.model]
plugin = "onednn.model"
weights = "model.safetensors"
layers = {layers}
{resource_extra}
[[stage]]
name = "read"
plugin = "io.npy_read"
paths = ["inputs/*.npy"]
output = "x"

[[stage]]
name = "model"
plugin = "onednn.run"
model = "model"
input = "x"
output = "y"
batch = {{ size = {batch}, by_length = true }}
{stage_extra}
[[stage]]
name = "write"
plugin = "io.npy_write"
dir = "out"
input = "y"
"""


OUT_ARGS = "run pipeline.toml --threads 2 --no-progress --set write.dir={out}"
LINEAR = '[{ type = "linear", prefix = "fc" }, { type = "relu" }]'


def one_record(xs):
    return {"a": xs["a"]}


def main():
    W = np.array([[1, 2], [3, 4], [-1, -1]], np.float32)
    b = np.array([0.5, -1, 0], np.float32)
    xs = {"a": np.array([[1, 1], [2, -1], [0.5, 0.25]], np.float32), "b": np.array([[-2, 1]], np.float32),
          "c": np.array([[4, -3], [1, 0]], np.float32)}
    relu = lambda v: np.maximum(v, 0).astype(np.float32)
    case("linear_relu_exact",
         pipeline("Linear(2, 3) + ReLU with small integer weights: outputs are exact (see make_cases.py).", LINEAR),
         {"fc.weight": W, "fc.bias": b}, xs, {k: relu(x @ W.T + b) for k, x in xs.items()}, OUT_ARGS)

    V = np.array([[1, 0], [0, 1], [1, 1]], np.float32)
    case("residual_exact",
         pipeline("A residual block with a shortcut: y = shortcut(x) + 0.5 * relu(fc(x)), exact (see make_cases.py).",
                  '[{ type = "residual", scale = 0.5, layers = [{ type = "linear", prefix = "fc" }, { type = "relu" }], '
                  'shortcut = [{ type = "linear", prefix = "skip" }] }]'),
         {"fc.weight": W, "fc.bias": b, "skip.weight": V}, xs,
         {k: (x @ V.T + 0.5 * relu(x @ W.T + b)).astype(np.float32) for k, x in xs.items()}, OUT_ARGS)
    case("residual_width_mismatch",
         pipeline("A residual block whose body changes the width (2 -> 3) needs a shortcut to match it.",
                  '[{ type = "residual", layers = [{ type = "linear", prefix = "fc" }] }]'),
         {"fc.weight": W, "fc.bias": b}, one_record(xs), exit_code=2,
         stderr=["layer 0 (residual): its body gives 3 features per step and its input has 2: a block that changes "
                 "the width needs a shortcut (such as a linear)"])

    case("residual_layers_not_a_list",
         pipeline("A residual block's layers given as one table instead of a list of tables.",
                  '[{ type = "residual", layers = { type = "relu" } }]'),
         {"fc.weight": W, "fc.bias": b}, one_record(xs), exit_code=2,
         stderr=["layers[0].layers must be a boolean, number, string, or a list of integers or of layer tables"])
    case("residual_item_not_a_table",
         pipeline("A residual block's list of layers holds a number.",
                  '[{ type = "residual", layers = [{ type = "relu" }, 3] }]'),
         {"fc.weight": W, "fc.bias": b}, one_record(xs), exit_code=2,
         stderr=["layers[0].layers[1] must be a table such as { type = \"linear\", prefix = \"head\" }"])

    table = np.arange(12, dtype=np.float32).reshape(4, 3) * 0.5
    toks = {"s1": np.array([3, 0, 1], np.int32), "s2": np.array([2], np.int32)}
    case("embedding_i32", pipeline("Embedding(4, 3) looked up with i32 token ids.", '[{ type = "embedding", prefix = "emb" }]'),
         {"emb.weight": table}, toks, {k: table[t] for k, t in toks.items()}, OUT_ARGS)

    bad = {"good": xs["a"], "wide": np.ones((2, 3), np.float32), "ints": np.ones((2, 2), np.int64)}
    case("bad_records_skip",
         pipeline("on_error = skip: records of the wrong width or dtype fail alone; the good one is written.",
                  LINEAR, pipeline_extra='on_error = "skip"\n'),
         {"fc.weight": W, "fc.bias": b}, bad, {"good": relu(xs["a"] @ W.T + b)}, OUT_ARGS,
         stderr=["record wide: has 3 features per step, the model expects 2",
                 "record ints: tensor is i64 with 2 dims; expected [T, F] or [T] f32/f16/bf16 features, or [T] "
                 "i32/i64 token ids"])

    # Every input value is exact in f16 and bf16, so the outputs are the f32 ones, byte for byte.
    half = {"a": xs["a"].astype(np.float16), "b": xs["b"], "c": xs["c"].astype(np.float16)}
    case("half_features",
         pipeline("f16 features (numpy <f2) are converted to f32; one record stays f32.", LINEAR),
         {"fc.weight": W, "fc.bias": b}, half, {k: relu(x @ W.T + b) for k, x in xs.items()}, OUT_ARGS)
    jsonl = pipeline("bf16 features from io.jsonl_read are converted to f32.", LINEAR).replace(
        'plugin = "io.npy_read"\npaths = ["inputs/*.npy"]\noutput = "x"',
        'plugin = "io.jsonl_read"\npaths = ["inputs.jsonl"]\nfields = { x = "tensor:bf16" }')
    case("bf16_jsonl_features", jsonl, {"fc.weight": W, "fc.bias": b}, None,
         {k: relu(x @ W.T + b) for k, x in xs.items()}, OUT_ARGS)
    with open(os.path.join(HERE, "bf16_jsonl_features", "inputs.jsonl"), "w") as f:
        for k, x in xs.items():
            f.write(json.dumps({"id": k, "x": x.tolist()}) + "\n")

    # Linear(2, 3), Flatten (channel-major: feature c of step t at c * 4 + t) into Linear(12, 1): records
    # must have 4 steps; the 3-step record fails alone under on_error = "skip".
    fw, hw = np.array([[1, 0], [0, 1], [1, 1]], np.float32), np.arange(1, 13, dtype=np.float32).reshape(1, 12)
    steps = {"four": np.array([[0, 1], [1, 1], [2, 1], [3, 1]], np.float32),
             "three": np.array([[1, 2], [3, 4], [5, 6]], np.float32)}
    flat = lambda v: ((v @ fw.T).T.reshape(1, -1) @ hw.T).astype(np.float32)
    case("flatten_length",
         pipeline("flatten takes the length its next linear fixes; a record of another length fails alone.",
                  '[{ type = "linear", prefix = "fc", bias = false }, { type = "flatten" }, '
                  '{ type = "linear", prefix = "head", bias = false }]', pipeline_extra='on_error = "skip"\n'),
         {"fc.weight": fw, "head.weight": hw}, steps, {"four": flat(steps["four"])}, OUT_ARGS,
         stderr=["record three: 3 steps: layer 1 (flatten) takes sequences of 4 steps here (3 features x 4 = the "
                 "next layer's 12 inputs), this one has 3"])

    # Conv1d(1, 2, 2) on [T] samples: y[t] = (x[t] + 2 x[t+1], -x[t] + 0.5) with bias (0, 0.5).
    cw, cb = np.array([[[1, 2]], [[-1, 0]]], np.float32), np.array([0, 0.5], np.float32)
    waves = {"w1": np.array([1, -2, 0.5, 4], np.float32), "w2": np.array([3, 1], np.float32)}
    conv = lambda v: np.stack([v[:-1] + 2 * v[1:], -v[:-1] + 0.5], axis=1).astype(np.float32)
    case("waveform_1d",
         pipeline("A [T] f32 tensor is T steps of one feature: raw samples into Conv1d(1, 2, 2).",
                  '[{ type = "conv1d", prefix = "conv" }]'),
         {"conv.weight": cw, "conv.bias": cb}, waves, {k: conv(v) for k, v in waves.items()}, OUT_ARGS)

    case("token_out_of_range",
         pipeline("Token id 9 is outside Embedding(4, 3): the record fails and the run stops.",
                  '[{ type = "embedding", prefix = "emb" }]'),
         {"emb.weight": table}, {"s1": np.array([1, 9], np.int64)}, exit_code=1,
         stderr=["record s1: step 1: token id 9 is outside the embedding's range [0, 4)"])

    lstm = {"rnn.weight_ih_l0": np.zeros((8, 2)), "rnn.weight_hh_l0": np.zeros((8, 2)),
            "rnn.bias_ih_l0": np.zeros(8), "rnn.bias_hh_l0": np.zeros(8)}
    one = {"a": xs["a"]}
    case("missing_parameter",
         pipeline("The prefix does not match the state_dict: the error names the parameter and suggests the right one.",
                  '[{ type = "lstm", prefix = "rn" }]'),
         lstm, one, exit_code=2,
         stderr=["resource 'model' (onednn.model): layer 0 (lstm, prefix 'rn'): parameter 'rn.weight_ih_l0' is "
                 "missing from {case}/model.safetensors (did you mean 'rnn.weight_ih_l0'?)"])
    case("shape_mismatch",
         pipeline("hidden_size = 3 contradicts the weights (hidden size 2).",
                  '[{ type = "lstm", prefix = "rnn", hidden_size = 3 }]'),
         lstm, one, exit_code=2,
         stderr=["layer 0 (lstm, prefix 'rnn'): parameter 'rnn.weight_ih_l0' has shape [8, 2], expected [12, 2]"])
    case("unused_parameter",
         pipeline("bias = false for an LSTM saved with biases: the layer would ignore two of the file's "
                  "parameters and give other outputs than the saved module, so it is refused.",
                  '[{ type = "lstm", prefix = "rnn", bias = false }]'),
         lstm, one, exit_code=2,
         stderr=["layer 0 (lstm, prefix 'rnn'): {case}/model.safetensors has 2 parameters under the layer's "
                 "prefix that the layer does not use ('rnn.bias_hh_l0' [8], 'rnn.bias_ih_l0' [8])"])
    case("unknown_layer_key",
         pipeline("A misspelt constructor argument.", '[{ type = "lstm", prefix = "rnn", num_layer = 2 }]'),
         lstm, one, exit_code=2,
         stderr=["layer 0 (lstm, prefix 'rnn'): unknown key 'num_layer' (did you mean 'num_layers'?)"])
    case("unknown_layer_type",
         pipeline("A misspelt layer type.", '[{ type = "lstn", prefix = "rnn" }]'),
         lstm, one, exit_code=2, stderr=["layer 0: unknown type 'lstn' (did you mean 'lstm'?)"])
    case("truncated_weights",
         pipeline("The weights file lost its last 10 bytes.", LINEAR),
         {"fc.weight": W, "fc.bias": b}, one, exit_code=2, truncate=10,
         stderr=["{case}/model.safetensors: tensor 'fc.weight': data_offsets [12, 36) end past the data section "
                 "(26 bytes): the file is truncated or corrupt"])
    case("validate_shape_mismatch",
         pipeline("validate creates the resources, so bad weights are found before a run.",
                  '[{ type = "lstm", prefix = "rnn", hidden_size = 3 }]'),
         lstm, one, args="validate pipeline.toml", exit_code=2,
         stderr=["pipeline.toml:5:1: error: resource 'model' (onednn.model): layer 0 (lstm, prefix 'rnn'): "
                 "parameter 'rnn.weight_ih_l0' has shape [8, 2], expected [12, 2]"])
    case("list_key_not_integers",
         pipeline("Layer keys take PyTorch's tuples as lists of integers, not of floats.",
                  '[{ type = "linear", prefix = "fc" }, { type = "max_pool1d", kernel_size = [2.5] }]'),
         {"fc.weight": W, "fc.bias": b}, one, exit_code=2,
         stderr=["pipeline.toml:5:1: error: resource 'model' (onednn.model): layers[1].kernel_size must be a list "
                 "of integers such as [3, 5]"])
    case("pair_for_one_dim",
         pipeline("A 1-d layer's key takes an integer or a one-element list, not a pair.",
                  '[{ type = "linear", prefix = "fc" }, { type = "max_pool1d", kernel_size = [2, 3] }]'),
         {"fc.weight": W, "fc.bias": b}, one, exit_code=2,
         stderr=["layer 1 (max_pool1d): key 'kernel_size' must be an integer"])
    case("bad_threads",
         pipeline("threads must be at least 1.", LINEAR, stage_extra="threads = 0\n"),
         {"fc.weight": W, "fc.bias": b}, one, exit_code=1, stderr=["stage 'model' (onednn.run): threads must be at least 1"])
    case("bad_rnn_kernel",
         pipeline("rnn_kernel must name a kernel.", LINEAR, resource_extra='rnn_kernel = "fast"\n'),
         {"fc.weight": W, "fc.bias": b}, one, exit_code=2,
         stderr=["pipeline.toml:9:14: error: parameter 'rnn_kernel' of resource 'model' (onednn.model) must be one of "
                 "\"auto\", \"primitive\", \"matmul\", got \"fast\""])


if __name__ == "__main__":
    main()
