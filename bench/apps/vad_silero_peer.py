#!/usr/bin/env python3
"""The Python script a user writes for VAD: the silero-vad package on ONNX Runtime.

    bench/apps/.venv/bin/python bench/apps/vad_silero_peer.py AUDIO_16K.wav OUT.jsonl THREADS

Reads the 16 kHz file (soundfile), runs get_speech_timestamps with load_silero_vad(onnx=True) (its
OnnxWrapper; THREADS sets ONNX Runtime's intra-op threads, which the wrapper fixes at 1) and writes
{"id", "sample_rate", "segments"} as the vad pipeline does. Prints the seconds of the model loop.
"""
import json
import os
import sys
import time

import numpy as np
import onnxruntime
import soundfile
import torch
from silero_vad import get_speech_timestamps, load_silero_vad


def main(path, out, threads):
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    audio, sr = soundfile.read(path, dtype="float32")
    assert sr == 16000, sr
    model = load_silero_vad(onnx=True)
    if threads != 1:
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = threads
        model.session = onnxruntime.InferenceSession(model.session._model_path, providers=["CPUExecutionProvider"],
                                                     sess_options=opts)
    segs = get_speech_timestamps(torch.from_numpy(audio), model, sampling_rate=16000)
    seconds = time.perf_counter() - t0
    with open(out, "w") as f:
        f.write(json.dumps({"id": os.path.splitext(os.path.basename(path))[0], "sample_rate": 16000,
                            "segments": [[s["start"], s["end"]] for s in segs]}, separators=(",", ":")) + "\n")
    print(f"seconds={seconds:.3f} audio_seconds={len(audio) / 16000:.1f} segments={len(segs)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
