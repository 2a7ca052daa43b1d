#!/usr/bin/python3
"""Writes tests/asr_alnum/reference/ and the expected transcripts of tests/e2e/cases/asr_alnum/ from PyTorch.

Debian's /usr/bin/python3 (torch 1.13, torchaudio 0.13). For each shipped recording of
tests/e2e/cases/asr_alnum/data: torchaudio's fbank (80 bins, int16 scale) + the shipped global CMVN +
the model in PyTorch (pipelines/asr_alnum/model_def.py) give the log-probabilities, and
pipelines/asr_alnum/ref_decode.py (a Python prefix beam search) the transcript and word times:
- whole.json: the whole recordings (whole.toml);
- vad.json: the speech segments of pipeline.toml. The segment boundaries are Silero VAD's as seqflow's
  pipelines/vad/vad.toml computes them with pipeline.toml's rules (checked against the silero-vad package
  by tests/vad); everything after the cut is computed here.
CI compares seqflow's outputs with these files (tests/asr_alnum/pipeline_test.cpp, the e2e cases).
Usage: /usr/bin/python3 tests/asr_alnum/make_reference.py [build/bin/seqflow]
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import torch
import torchaudio

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
APP = os.path.join(ROOT, "pipelines", "asr_alnum")
sys.path.insert(0, APP)
import model_def as md  # noqa: E402
import ref_decode  # noqa: E402

DATA = os.path.join(ROOT, "tests", "e2e", "cases", "asr_alnum", "data")
CASES = os.path.join(ROOT, "tests", "e2e", "cases", "asr_alnum")


def model_logprobs(model, wav, mean, std):
    feats = md.apply_cmvn(md.fbank_of(wav), mean, std)
    with torch.no_grad():
        lp, _ = model(feats.unsqueeze(0), torch.tensor([feats.shape[0]]))
    return lp[0]


def entry(model, wav, mean, std):
    lp = model_logprobs(model, wav, mean, std)
    text, ids, frames, times = ref_decode.decode(lp.double().tolist(), md.LABELS, md.WORDS, frame_shift=0.04)
    return {"text": text, "ids": ids, "frames": frames, "word_times": [[a, b] for a, b in times],
            "logprobs": [[float("%.8g" % v) for v in row] for row in lp.tolist()]}


def vad_segments(seqflow, files):
    """Silero VAD segments (samples at 16 kHz) with pipeline.toml's rules, from pipelines/vad/vad.toml."""
    rules = {}
    with open(os.path.join(APP, "pipeline.toml")) as f:
        text = f.read()
    seg = text.split('name = "segments"', 1)[1].split("[[stage]]", 1)[0]
    for line in seg.splitlines():
        key = line.split("#")[0].strip()
        if "=" in key and not key.startswith(("plugin", "input")):
            k, v = (s.strip() for s in key.split("=", 1))
            rules[k] = v
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.jsonl")
        cmd = [seqflow, "run", os.path.join(ROOT, "pipelines", "vad", "vad.toml"), "--no-progress",
               "--set", "read.paths=" + json.dumps(files), "--set", "write.path=" + out]
        cmd += ["--set=segments.%s=%s" % (k, v) for k, v in rules.items()]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as f:
            return {j["id"]: j["segments"] for j in map(json.loads, f)}


def main():
    seqflow = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bin", "seqflow")
    torch.set_num_threads(1)
    model = md.AlnumCTC()
    state = md.load_safetensors(os.path.join(APP, "model", "asr_alnum.safetensors"))
    model.load_state_dict(state, strict=False)
    model.eval()
    mean, std = md.load_cmvn(os.path.join(APP, "model", "cmvn.json"))
    files = sorted(glob.glob(os.path.join(DATA, "*.flac")))
    segments = vad_segments(seqflow, files)
    whole, vad = {}, {}
    for path in files:
        rid = os.path.basename(path)[:-5]
        wav, rate = torchaudio.load(path)
        assert rate == 16000 and wav.shape[0] == 1, path
        wav = wav[0]
        whole[rid] = entry(model, wav, mean, std)
        for a, b in segments[rid]:
            sid = "%s:%.3f-%.3f" % (rid, a / 16000, b / 16000)
            vad[sid] = entry(model, wav[a:b], mean, std)
            vad[sid].update({"recording": rid, "start_sample": a, "end_sample": b})
    os.makedirs(os.path.join(HERE, "reference"), exist_ok=True)
    for name, obj in (("whole.json", whole), ("vad.json", vad)):
        with open(os.path.join(HERE, "reference", name), "w") as f:
            json.dump(obj, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")
    # The e2e cases compare transcripts byte for byte: io.jsonl_write's compact objects.
    for case, obj in (("whole", whole), ("vad", vad)):
        d = os.path.join(CASES, case, "expected")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "transcripts.jsonl"), "w") as f:
            for k in sorted(obj):
                f.write(json.dumps({"id": k, "text": obj[k]["text"]}, separators=(",", ":")) + "\n")
    for k in sorted(vad):
        print(k, vad[k]["text"])


if __name__ == "__main__":
    main()
