#!/usr/bin/python3
"""PyTorch on one benchmark case: one JSON line out. Here Debian's 1.13 (generic BLAS, for the record);
on the device machine PyTorch 2, the issue's peer (device_bench.sh).
  /usr/bin/python3 torch_bench.py MODEL_DIR THREADS REPEAT
Eval mode, inference_mode, torch.set_num_threads(THREADS), the state_dict of make_models.py."""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_models import build  # noqa: E402


def main():
    d, threads, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    model, _, feat = build(meta)
    model.load_state_dict(torch.load(os.path.join(d, "model.pt")))
    x = torch.randn(meta["B"], meta["T"], feat)
    secs = []
    with torch.inference_mode():
        model(x)
        for _ in range(repeat):
            t0 = time.perf_counter()
            model(x)
            secs.append(time.perf_counter() - t0)
    secs.sort()
    print(json.dumps({"impl": "pytorch", "precision": "f32", "threads": threads, "batch": meta["B"],
                      "steps": meta["T"], "best_s": secs[0], "median_s": secs[len(secs) // 2],
                      "frames_per_s": meta["B"] * meta["T"] / secs[0], "version": torch.__version__}))


if __name__ == "__main__":
    main()
