#!/usr/bin/python3
"""Evaluates asr_alnum: accuracy of the seqflow pipelines and their parity with PyTorch.

Usage: /usr/bin/python3 eval.py DATA_DIR [--seqflow build/bin/seqflow] [--out results.json]

Sets: the held-out synthetic split (DATA_DIR/eval.jsonl: voices and variants never used in training), the
real klettres letters (../shared/data/audio/klettres_en_letters, one letter each) and the real alsa
recordings (../shared/data/audio/alsa: "Front Left" ...; out of vocabulary, so only what the model
says is reported).

For every utterance:
- seqflow whole.toml (whole file) writes its transcript, word times and log-probabilities;
- PyTorch (model_def.AlnumCTC with the shipped weights) on torchaudio's fbank + the same CMVN gives
  the reference log-probabilities: the max abs difference is reported (bar 1e-4);
- ref_decode.py (a Python prefix beam search) decodes PyTorch's log-probabilities: its transcript must
  equal seqflow's;
- seqflow pipeline.toml (Silero VAD in front) transcribes it too; its segments' texts, joined in order,
  are the recording's transcript.
Word accuracy = 1 - (word edit distance / reference words); string accuracy = exact transcripts.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import model_def as md  # noqa: E402
import ref_decode  # noqa: E402

SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data", "audio")


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(b)]


def run_seqflow(seqflow, pipeline, items, fields, tmp, tag, threads):
    scp = os.path.join(tmp, tag + ".scp")
    with open(scp, "w") as f:
        for it in items:
            f.write("%s %s\n" % (it["id"], it["abs"]))
    out = os.path.join(tmp, tag + ".jsonl")
    cmd = [seqflow, "run", os.path.join(HERE, pipeline), "--no-progress", "--threads", str(threads),
           "--set", "read.paths=[]", "--set", "read.manifest=" + scp, "--set", "write.path=" + out,
           "--set", "write.fields=" + json.dumps(fields)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return [json.loads(line) for line in f]


def load_model():
    model = md.AlnumCTC()
    state = md.load_safetensors(os.path.join(HERE, "model", "asr_alnum.safetensors"))
    missing = model.load_state_dict(state, strict=False)
    assert all(k.endswith("num_batches_tracked") for k in missing.missing_keys), missing
    assert not missing.unexpected_keys, missing
    model.eval()
    return model


def torch_logprobs(model, path, mean, std):
    feats = md.apply_cmvn(md.fbank(path), mean, std)
    with torch.no_grad():
        lp, _ = model(feats.unsqueeze(0), torch.tensor([feats.shape[0]]))
    return lp[0].double()


def evaluate(name, items, args, model, mean, std, tmp, has_reference=True):
    whole = run_seqflow(args.seqflow, "whole.toml", items, ["id", "text", "word_times", "logprobs"], tmp,
                        name + "_whole", args.threads)
    vad = run_seqflow(args.seqflow, "pipeline.toml", items, ["id", "recording", "start", "text"], tmp,
                      name + "_vad", args.threads)
    by_id = {r["id"]: r for r in whole}
    vad_text = {}
    for r in sorted(vad, key=lambda r: (r["recording"], r["start"])):
        vad_text.setdefault(r["recording"], []).append(r["text"])
    labels = md.LABELS
    worst, frames, mismatches, rows = 0.0, 0, [], []
    errs = {"whole": 0, "vad": 0, "torch": 0}
    exact = {"whole": 0, "vad": 0, "torch": 0}
    n_words = 0
    for it in items:
        r = by_id[it["id"]]
        ours = torch.tensor(r["logprobs"], dtype=torch.float64)
        ref = torch_logprobs(model, it["abs"], mean, std)
        if ours.shape != ref.shape:
            raise SystemExit("%s: seqflow gives %s log-probabilities, PyTorch %s" %
                             (it["id"], tuple(ours.shape), tuple(ref.shape)))
        worst = max(worst, float((ours - ref).abs().max()))
        frames += ref.shape[0]
        py_text, _, _, py_times = ref_decode.decode(ref.tolist(), labels, md.WORDS, frame_shift=0.04)
        if py_text != r["text"]:
            mismatches.append({"id": it["id"], "seqflow": r["text"], "python": py_text})
        hyp = {"whole": r["text"], "vad": " ".join(t for t in vad_text.get(it["id"], []) if t),
               "torch": py_text}
        rows.append(dict({"id": it["id"], "reference": it.get("text")}, **hyp))
        if has_reference:
            refw = it["text"].split()
            n_words += len(refw)
            for k, h in hyp.items():
                errs[k] += edit_distance(refw, h.split())
                exact[k] += h == it["text"]
    res = {"utterances": len(items), "frames": frames, "max_abs_logprob_diff": worst,
           "transcripts_differing_from_python": mismatches}
    if has_reference:
        res["words"] = n_words
        for k in errs:
            res[k] = {"word_accuracy": round(1 - errs[k] / n_words, 4),
                      "string_accuracy": round(exact[k] / len(items), 4)}
    res["transcripts"] = rows if not has_reference or name != "synthetic_eval" else rows[:20]
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data_dir")
    ap.add_argument("--seqflow", default=os.path.join(ROOT, "build", "bin", "seqflow"))
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load_model()
    mean, std = md.load_cmvn(os.path.join(HERE, "model", "cmvn.json"))

    with open(os.path.join(args.data_dir, "eval.jsonl")) as f:
        synth = [json.loads(line) for line in f]
    if args.limit:
        synth = synth[:args.limit]
    for it in synth:
        it["abs"] = os.path.abspath(os.path.join(args.data_dir, it["path"]))
    letters = [{"id": "klettres_" + c, "text": c.lower(),
                "abs": os.path.join(SHARED, "klettres_en_letters", c + ".wav")} for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    alsa_dir = os.path.join(SHARED, "alsa")
    alsa = [{"id": "alsa_" + f[:-4], "text": f[:-4].replace("_", " ").lower(), "src": os.path.join(alsa_dir, f)}
            for f in sorted(os.listdir(alsa_dir)) if f.endswith(".wav")] if os.path.isdir(alsa_dir) else []
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        # alsa's files are 48 kHz: both sides get the same 16 kHz copy (SoX, no dither), so that the
        # comparison is not one of resamplers (libsoxr in audio.read, torchaudio's sinc filter).
        for it in alsa:
            it["abs"] = os.path.join(tmp, it["id"] + ".wav")
            subprocess.run(["sox", "-D", it["src"], "-r", "16000", "-b", "16", it["abs"]], check=True)
        results["synthetic_eval"] = evaluate("synthetic_eval", synth, args, model, mean, std, tmp)
        if os.path.isdir(os.path.join(SHARED, "klettres_en_letters")):
            results["klettres"] = evaluate("klettres", letters, args, model, mean, std, tmp)
        if alsa:
            results["alsa"] = evaluate("alsa", alsa, args, model, mean, std, tmp, has_reference=False)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    for k, v in results.items():
        summary = {x: v[x] for x in ("utterances", "max_abs_logprob_diff", "whole", "vad", "torch") if x in v}
        summary["transcripts_differing_from_python"] = len(v["transcripts_differing_from_python"])
        print(k, json.dumps(summary))


if __name__ == "__main__":
    main()
