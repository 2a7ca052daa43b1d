#!/usr/bin/python3
"""Writes the .npy fixtures of the io e2e cases (run from any folder: paths are relative to this file).

Made with numpy 1.24 (Debian's python3-numpy). Inputs exercise every dtype, byte order, Fortran order and
format version that io.npy_read accepts; expected outputs are what np.save itself writes for the C-order,
little-endian version of each input, so io.npy_write is checked against numpy, not against itself.
Malformed files are valid np.save output cut or altered at known byte offsets.
"""
import io
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def path(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def save(arr, *parts, version=None):
    with open(path(*parts), "wb") as f:
        if version is None:
            np.save(f, arr)
        else:
            np.lib.format.write_array(f, arr, version=version)


def npy_bytes(arr):
    b = io.BytesIO()
    np.save(b, arr)
    return b.getvalue()


# ---- npy_roundtrip: inputs, and what np.save writes for their C-order little-endian equivalents ----
inputs = {
    "f32_2x3": np.array([[1.5, -2.0, 0.25], [3.0, 1e-7, 100.0]], dtype="<f4"),
    "i64_scalar": np.array(-42, dtype="<i8"),
    "u8_vec": np.array([0, 1, 200, 255], dtype="|u1"),
    "i8_vec": np.array([-128, -1, 0, 127], dtype="|i1"),
    "f16_vec": np.array([0.5, -2.0, 65504.0], dtype="<f2"),
    "bool_vec": np.array([True, False, True], dtype="|b1"),
    "be_i4": np.array([1, -2, 65536], dtype=">i4"),
    "be_f4": np.array([[0.5, -1.0]], dtype=">f4"),
    "fortran_i4": np.asfortranarray(np.array([[0, 1, 2], [3, 4, 5]], dtype="<i4")),
    "i4_3d": np.arange(12, dtype="<i4").reshape(2, 3, 2),
    "empty_f32": np.zeros((0, 3), dtype="<f4"),
}
for name, arr in inputs.items():
    save(arr, "npy_roundtrip", "arrays", name + ".npy")
save(np.array([7.0, 8.0], dtype="<f4"), "npy_roundtrip", "arrays", "v2_f32.npy", version=(2, 0))
save(np.array([9, 10], dtype="<i8"), "npy_roundtrip", "arrays", "v3_i64.npy", version=(3, 0))

expected = dict(inputs)
expected["bool_vec"] = inputs["bool_vec"].astype("|u1")
expected["v2_f32"] = np.array([7.0, 8.0], dtype="<f4")
expected["v3_i64"] = np.array([9, 10], dtype="<i8")
for name, arr in expected.items():
    c = np.array(arr, order="C")  # not ascontiguousarray: it turns rank 0 into rank 1
    little = c.astype(c.dtype.newbyteorder("<")) if c.dtype.itemsize > 1 else c
    save(little, "npy_roundtrip", "expected", "arrays", name + ".npy")

# ---- jsonl_to_npy: tensors read from JSON, written by io.npy_write ----
save(np.array([[1.0, -2.5], [0.15625, 256.0]], dtype="<f4"), "jsonl_to_npy", "expected", "bf16", "sample-1.npy")
save(np.array([0.1, 1.0 / 3.0], dtype="<f4"), "jsonl_to_npy", "expected", "f32", "sample-1.npy")
save(np.array([[3, -4, 9007199254740993]], dtype="<i8"), "jsonl_to_npy", "expected", "i64", "sample-1.npy")
save(np.array([1.0, 2.0], dtype="<f4"), "jsonl_to_npy", "expected", "bf16", "2.npy")
save(np.array([], dtype="<f4"), "jsonl_to_npy", "expected", "f32", "2.npy")
save(np.zeros((2, 0), dtype="<i8"), "jsonl_to_npy", "expected", "i64", "2.npy")

# ---- malformed inputs ----
good = npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3))  # 128-byte header + 24 data bytes
with open(path("npy_truncated_header", "arrays", "cut.npy"), "wb") as f:
    f.write(good[:30])
with open(path("npy_truncated_data", "arrays", "short.npy"), "wb") as f:
    f.write(good[:-4])
with open(path("npy_bad_magic", "arrays", "renamed.npy"), "wb") as f:
    f.write(b"PK\x03\x04" + good[4:])  # what a .npz (zip) renamed to .npy starts with
save(np.zeros((2, 2), dtype="<f8"), "npy_unsupported_dtype", "arrays", "doubles.npy")
save(np.zeros((1,) * 9, dtype="<f4"), "npy_rank9", "arrays", "deep.npy")
# npy_skip_bad_files: one good file between two bad ones.
save(np.array([1, 2, 3], dtype="<i4"), "npy_skip_bad_files", "arrays", "b_good.npy")
with open(path("npy_skip_bad_files", "arrays", "a_cut.npy"), "wb") as f:
    f.write(good[:30])
save(np.zeros(2, dtype="<c8"), "npy_skip_bad_files", "arrays", "c_complex.npy")
