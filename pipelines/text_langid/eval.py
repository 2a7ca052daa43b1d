#!/usr/bin/python3
"""Evaluates the language identifier on DATA/eval.tsv (text from source packages never seen in training,
lines of at least 20 characters) and checks seqflow against PyTorch on every evaluation line.

1. PyTorch: sentencepiece's ids (cut to MAX_TOKENS, as pipeline.toml's max_length), the model of
   langid_model.py on each line alone, accuracy per language and the most frequent confusions.
2. seqflow: pipeline.toml through the CLI on the same lines, writing ids, logits, label and score.
   Checks: ids identical to sentencepiece's, logits within 1e-4 (max abs), labels identical, scores
   within 1e-4. Any failure makes the exit status 1.
Writes RESULTS (default pipelines/text_langid/eval_results.json) with the numbers the README quotes.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

import sentencepiece as spm
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from langid_model import MAX_TOKENS, LangId, load_safetensors  # noqa: E402

TOLERANCE = 1e-4


def load_model(model_dir):
    labels = open(os.path.join(model_dir, "labels.txt")).read().split("\n")[:-1]
    sp = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "langid.model"))
    model = LangId(sp.get_piece_size(), len(labels))
    model.load_state_dict(load_safetensors(os.path.join(model_dir, "langid.safetensors")))
    model.eval()
    return sp, model, labels


def torch_outputs(sp, model, texts):
    """Per text: (ids, logits as a list, softmax probability of the best class, best class)."""
    out = []
    with torch.no_grad():
        for text in texts:
            ids = sp.encode(text)[:MAX_TOKENS]
            if not ids:
                out.append((ids, None, None, None))
                continue
            logits = model(torch.tensor([ids]), torch.tensor([len(ids)]))[0].double()
            probs = torch.softmax(logits, 0)
            best = int(torch.argmax(logits))  # ties: the lower class id, as decode.classify
            out.append((ids, logits.float().tolist(), float(probs[best]), best))
    return out


def run_seqflow(seqflow, pipeline, records, threads, workdir):
    """Runs `pipeline` on records [(id, text)] and returns {id: output JSON object}."""
    src = os.path.join(workdir, "in.jsonl")
    dst = os.path.join(workdir, "out.jsonl")
    with open(src, "w", encoding="utf-8") as f:
        for rid, text in records:
            f.write(json.dumps({"id": rid, "text": text}, ensure_ascii=False) + "\n")
    cmd = [seqflow, "run", pipeline, "--no-progress", "--threads", str(threads),
           "--set", f'read.paths=["{src}"]', "--set", f"write.path={dst}",
           "--set", 'write.fields=["id", "ids", "logits", "label", "score"]',
           "--set", f"pipeline.error_log={os.path.join(workdir, 'errors.jsonl')}"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"seqflow failed ({res.returncode}): {' '.join(cmd)}\n{res.stderr}")
    out = {}
    with open(dst, encoding="utf-8") as f:
        for line in f:
            j = json.loads(line)
            out[j["id"]] = j
    return out


def compare(records, ref, got, labels):
    """Counts of mismatches between the PyTorch reference and seqflow's outputs, and the worst errors."""
    report = {"records": len(records), "missing": 0, "ids_differ": 0, "labels_differ": 0, "logits_over_tol": 0,
              "scores_over_tol": 0, "max_abs_logit_error": 0.0, "max_abs_score_error": 0.0}
    for (rid, _), (ids, logits, score, best) in zip(records, ref):
        if logits is None:
            report["missing"] += rid in got  # no text: seqflow must log it as an error, not output it
            continue
        g = got.get(rid)
        if g is None:
            report["missing"] += 1
            continue
        if g["ids"] != ids:
            report["ids_differ"] += 1
        err = max(abs(a - b) for a, b in zip(g["logits"][0], logits))
        report["max_abs_logit_error"] = max(report["max_abs_logit_error"], err)
        report["logits_over_tol"] += err > TOLERANCE or len(g["logits"][0]) != len(logits)
        report["labels_differ"] += g["label"] != labels[best]
        serr = abs(g["score"] - score)
        report["max_abs_score_error"] = max(report["max_abs_score_error"], serr)
        report["scores_over_tol"] += serr > TOLERANCE
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/work/langid-data")
    ap.add_argument("--model", default=os.path.join(HERE, "model"))
    ap.add_argument("--seqflow", default=os.path.join(ROOT, "build", "bin", "seqflow"))
    ap.add_argument("--pipeline", default=os.path.join(HERE, "pipeline.toml"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--results", default=os.path.join(HERE, "eval_results.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)

    sp, model, labels = load_model(args.model)
    rows = []
    with open(os.path.join(args.data, "eval.tsv"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            label, source, text = line.rstrip("\n").split("\t")
            rows.append((f"eval:{n}", label, source, text))
    records = [(rid, text) for rid, _, _, text in rows]
    t0 = time.time()
    ref = torch_outputs(sp, model, [t for _, t in records])
    print(f"PyTorch: {len(records)} lines, {time.time() - t0:.0f} s", flush=True)

    per_lang = collections.defaultdict(lambda: [0, 0])
    confusions = collections.Counter()
    for (rid, label, source, text), (_, _, _, best) in zip(rows, ref):
        per_lang[label][1] += 1
        if best is not None and labels[best] == label:
            per_lang[label][0] += 1
        else:
            confusions[(label, labels[best] if best is not None else "(none)")] += 1
    total_right = sum(v[0] for v in per_lang.values())
    total = sum(v[1] for v in per_lang.values())
    accuracy = {l: v[0] / v[1] for l, v in sorted(per_lang.items())}
    macro = sum(accuracy.values()) / len(accuracy)
    for l, a in accuracy.items():
        print(f"{l}\t{per_lang[l][1]}\t{a:.4f}")
    print(f"overall {total_right / total:.4f} ({total_right}/{total}), mean over languages {macro:.4f}")

    with tempfile.TemporaryDirectory(prefix="langid-eval-") as work:
        t0 = time.time()
        got = run_seqflow(args.seqflow, args.pipeline, records, args.threads, work)
        print(f"seqflow: {time.time() - t0:.0f} s", flush=True)
    parity = compare(records, ref, got, labels)
    print(json.dumps(parity))
    results = {
        "eval_lines": total, "accuracy_overall": total_right / total, "accuracy_mean_over_languages": macro,
        "accuracy_per_language": {l: {"lines": per_lang[l][1], "accuracy": a} for l, a in accuracy.items()},
        "top_confusions": [{"true": a, "predicted": b, "count": c} for (a, b), c in confusions.most_common(25)],
        "parity": parity,
    }
    with open(args.results, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    ok = all(parity[k] == 0 for k in ("missing", "ids_differ", "labels_differ", "logits_over_tol",
                                      "scores_over_tol"))
    print("parity: OK" if ok else "parity: FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
