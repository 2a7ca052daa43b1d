#!/usr/bin/env python3
"""ONNX Runtime (its Python package) on one benchmark case: one JSON line out, as ort_bench.js prints.
  python3 ort_bench.py MODEL_DIR THREADS REPEAT [MIN_TIME]
For machines with the Python onnxruntime and no Node (the device machine of bench/onednn/README.md).
The same settings as ort_bench.js: intra_op_num_threads = THREADS, inter_op_num_threads = 1,
sequential execution, all graph optimisations, at least REPEAT runs and MIN_TIME seconds (0.5) of runs
after a warm-up, the same input values."""
import json
import math
import os
import sys
import time

import numpy as np
import onnxruntime as ort


def main():
    if len(sys.argv) not in (4, 5) or not sys.argv[2].isdigit() or not sys.argv[3].isdigit():
        sys.exit("usage: ort_bench.py MODEL_DIR THREADS REPEAT [MIN_TIME] (THREADS and REPEAT whole numbers)")
    d, threads, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    min_time = float(sys.argv[4]) if len(sys.argv) > 4 else 0.5
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(os.path.join(d, "model.onnx"), opts, providers=["CPUExecutionProvider"])
    n = meta["B"] * meta["T"] * meta["features"]
    x = np.sin(np.arange(n, dtype=np.float64) * 0.37).astype(np.float32).reshape(meta["B"], meta["T"],
                                                                                 meta["features"])
    feeds = {"x": x}
    session.run(None, feeds)  # warm-up
    secs = []
    while len(secs) < repeat or math.fsum(secs) < min_time:
        t0 = time.perf_counter()
        session.run(None, feeds)
        secs.append(time.perf_counter() - t0)
    secs.sort()
    print(json.dumps({"impl": "onnxruntime", "precision": "f32", "threads": threads, "batch": meta["B"],
                      "steps": meta["T"], "best_s": secs[0], "median_s": secs[len(secs) // 2], "runs": len(secs),
                      "frames_per_s": meta["B"] * meta["T"] / secs[0], "version": ort.__version__}))


if __name__ == "__main__":
    main()
