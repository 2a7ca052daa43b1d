#!/usr/bin/env python3
"""Decoding's share of a speech pipeline: the acoustic model of pipelines/acoustic_model (the onednn
parity fixture `acoustic`: Conv1d + 2-layer BiLSTM + Linear + log_softmax, V = 10) followed by
decode.ctc_beam (beam 16, no LM) over its 4 inputs copied 100 times each, one thread; the run summary's
busy seconds of the two stages are compared. Run: python3 bench/decode/bench_speech.py [build dir]
"""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
OUT = os.path.join(HERE, "data", "speech")
REPS = int(os.environ.get("REPS", "5"))


def main():
    os.makedirs(OUT, exist_ok=True)
    src = open(os.path.join(ROOT, "pipelines", "acoustic_model", "pipeline.toml")).read()
    res = src[src.index("[resources.acoustic]"):src.index("[[stage]]")]
    res = res.replace('weights = "../../tests', 'weights = "' + os.path.join(ROOT, "tests"))
    src_dir = os.path.join(ROOT, "tests", "onednn", "fixtures", "acoustic", "inputs")
    os.makedirs(os.path.join(OUT, "inputs"), exist_ok=True)
    for name in sorted(os.listdir(src_dir)):
        data = open(os.path.join(src_dir, name), "rb").read()
        for k in range(100):
            open(os.path.join(OUT, "inputs", f"c{k:03d}_{name}"), "wb").write(data)
    open(os.path.join(OUT, "labels.txt"), "w").write("_\na\nb\nc\nd\ne\nf\ng\nh\n|\n")
    open(os.path.join(OUT, "pipeline.toml"), "w").write(f"""[pipeline]
name = "bench-speech"
{res}
[[stage]]
name = "read"
plugin = "io.npy_read"
paths = ["inputs/*.npy"]
output = "features"

[[stage]]
name = "model"
plugin = "onednn.run"
model = "acoustic"
input = "features"
output = "logprobs"
batch = {{ size = 4, by_length = true }}

[[stage]]
name = "decode"
plugin = "decode.ctc_beam"
labels = "labels.txt"
beam = 16

[[stage]]
name = "write"
plugin = "io.discard"
""")
    model, dec = [], []
    for _ in range(REPS):
        subprocess.run([os.path.join(BUILD, "bin", "seqflow"), "run", "pipeline.toml", "--threads", "1",
                        "--no-progress", "--stats", "stats.json"], cwd=OUT, check=True, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
        stats = {s["name"]: s for s in json.load(open(os.path.join(OUT, "stats.json")))["stages"]}
        model.append(stats["model"]["busy_seconds"])
        dec.append(stats["decode"]["busy_seconds"])
    m, d = statistics.median(model), statistics.median(dec)
    print(json.dumps({"records": stats["decode"]["in"], "model_busy_s": m, "decode_busy_s": d,
                      "decode_over_model": d / m, "load_avg": os.getloadavg()}))


if __name__ == "__main__":
    main()
