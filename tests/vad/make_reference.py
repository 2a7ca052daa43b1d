#!/usr/bin/env python3
"""Reference outputs of the silero-vad package (5.1.2, its ONNX model on ONNX Runtime) for tests/vad.

Run with the venv that bench/apps/vad_setup_venv.sh makes (silero-vad, onnxruntime, soundfile, soxr):
    bench/apps/.venv/bin/python tests/vad/make_reference.py

For every recording it reads the samples as seqflow's audio.read does with sample_rate = 16000
(libsndfile floats, channels averaged, libsoxr at its "HQ" recipe when the file is not 16 kHz), runs
the package's get_speech_timestamps with its OnnxWrapper (load_silero_vad(onnx=True)), records the
probability the wrapper returned for every 512-sample window, and writes:
  reference/probs.jsonl     {"id", "root", "file", "num_samples", "probs"}  (probs as float32 values;
                            file is relative to ../shared/data/audio, or to the repo when root is "repo")
  reference/segments.jsonl  {"id", "rules", "segments": [[start, end], ...]} for each rule set in RULES,
                            each from its own get_speech_timestamps call on the package's model
  ../e2e/cases/vad/*/expected/segments.jsonl, the same segments in io.jsonl_write's format
The package's model is the only source of these numbers; seqflow's outputs are never read here.
"""
import json
import os
import sys

import numpy as np
import soundfile
import soxr
import torch
from silero_vad import get_speech_timestamps, load_silero_vad

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "audio")
if not os.path.isdir(DATA):
    DATA = "/work/shared/data/audio"

# Recordings shipped in the repo (synthetic speech, tests/e2e/cases/vad/data/README.md) for the CI cases.
REPO_FILES = ["tests/e2e/cases/vad/data/espeak_16k.wav", "tests/e2e/cases/vad/data/espeak_8k.wav"]
FILES = (["silero_vad_test.wav", "jfk.flac"] + sorted("alsa/" + f for f in os.listdir(os.path.join(DATA, "alsa")))
         + sorted("klettres_en_letters/" + f for f in os.listdir(os.path.join(DATA, "klettres_en_letters"))))

# Rule sets: the package's defaults and four others that exercise each rule (the names are the
# vad.segments parameters, which are get_speech_timestamps' keyword arguments).
RULES = [
    {},
    {"threshold": 0.6, "neg_threshold": 0.3, "min_speech_duration_ms": 100, "min_silence_duration_ms": 50,
     "speech_pad_ms": 0},
    {"max_speech_duration_s": 2.0, "min_silence_duration_ms": 300},
    {"threshold": 0.3, "min_speech_duration_ms": 500, "min_silence_duration_ms": 500, "speech_pad_ms": 200},
    {"threshold": 0.8, "max_speech_duration_s": 0.75, "speech_pad_ms": 100, "min_speech_duration_ms": 0},
]


def read_16k(path):
    x, sr = soundfile.read(path, dtype="float32", always_2d=True)
    x = x.mean(axis=1, dtype=np.float32) if x.shape[1] > 1 else x[:, 0]
    if sr != 16000:
        x = soxr.resample(x, sr, 16000, quality="HQ").astype(np.float32)
    return np.ascontiguousarray(x, dtype=np.float32)


class Recorder:
    """The package's OnnxWrapper, keeping the probability of each call."""

    def __init__(self, model):
        self.model, self.probs = model, []

    def reset_states(self):
        self.model.reset_states()
        self.probs = []

    def __call__(self, chunk, sr):
        out = self.model(chunk, sr)
        self.probs.append(float(out.item()))
        return out


def stem(rel):
    return os.path.splitext(os.path.basename(rel))[0]


def main():
    model = Recorder(load_silero_vad(onnx=True))
    probs_out, seg_out, default_segments = [], [], {}
    for rel in FILES + REPO_FILES:
        root = "repo" if rel in REPO_FILES else "shared"
        audio = read_16k(os.path.join(ROOT if root == "repo" else DATA, rel))
        for k, rules in enumerate(RULES):
            segs = get_speech_timestamps(torch.from_numpy(audio), model, sampling_rate=16000, **rules)
            pairs = [[int(s["start"]), int(s["end"])] for s in segs]
            seg_out.append({"id": stem(rel), "rules": rules, "segments": pairs})
            if k == 0:
                default_segments[rel] = pairs
                probs = np.asarray(model.probs, dtype=np.float32)
                assert len(probs) == (len(audio) + 511) // 512
                probs_out.append({"id": stem(rel), "root": root, "file": rel, "num_samples": int(len(audio)),
                                  "probs": [float(p) for p in probs]})
        print(rel, len(audio), "samples,", len(default_segments[rel]), "segments", file=sys.stderr)
    with open(os.path.join(HERE, "reference", "probs.jsonl"), "w") as f:
        for r in probs_out:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(HERE, "reference", "segments.jsonl"), "w") as f:
        for r in seg_out:
            f.write(json.dumps(r) + "\n")
    # e2e expectations: io.jsonl_write's format ({"id":..,"sample_rate":16000,"segments":[[a,b],..]}).
    cases = {"silero_test_wav": ["silero_vad_test.wav"], "jfk_44k_stereo": ["jfk.flac"],
             "alsa_48k": [r for r in FILES if r.startswith("alsa/")],
             "espeak_16k": [REPO_FILES[0]], "espeak_8k_resampled": [REPO_FILES[1]]}
    for case, rels in cases.items():
        d = os.path.join(ROOT, "tests", "e2e", "cases", "vad", case, "expected")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "segments.jsonl"), "w") as f:
            for rel in rels:
                segs = ",".join("[%d,%d]" % (a, b) for a, b in default_segments[rel])
                f.write('{"id":"%s","sample_rate":16000,"segments":[%s]}\n' % (stem(rel), segs))
    # vad.cut on espeak_16k.wav: one line per segment, times in seconds (Python's shortest repr).
    d = os.path.join(ROOT, "tests", "e2e", "cases", "vad", "espeak_cut", "expected")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "speech.jsonl"), "w") as f:
        for a, b in default_segments[REPO_FILES[0]]:
            t0, t1 = 0.0 + a / 16000, 0.0 + b / 16000
            f.write('{"id":"espeak_16k:%.3f-%.3f","recording":"espeak_16k","start":%r,"end":%r,"offset":%r}\n'
                    % (t0, t1, t0, t1, t0))


if __name__ == "__main__":
    main()
