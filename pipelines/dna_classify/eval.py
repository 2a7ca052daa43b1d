#!/usr/bin/python3
"""Evaluates the read classifier: accuracy per data set and class, and seqflow against PyTorch.

Run (after make_data.py, train.py and a build): /usr/bin/python3 pipelines/dna_classify/eval.py
    [--data /work/dnaclass-data] [--seqflow build/bin/seqflow] [--threads 2]

For every evaluation input it
  1. computes the reference in PyTorch (model_def.read_calls: the pipeline's windows, filter, 4-mer
     tokens, the model, decode.classify's softmax and decode.read_report's weighted mean and threshold,
     written out in NumPy/PyTorch);
  2. runs the shipped pipeline.toml with seqflow on the same file (--set read.paths, report.path,
     report.summary) and a copy of it that writes every window's logits (io.jsonl_write);
  3. checks parity: every window's logits within 1e-4 of PyTorch's, every read's label identical and its
     probability within 1e-4 (the TSV holds 4 decimals: within 5e-5 + 1e-4);
  4. reports accuracy (read label == truth; "unknown" counts as wrong for a read of a class and right for
     an unknown one) per data set and per class, with and without the threshold.
Writes the tables to stdout and to eval_results.md beside this script. Exits 1 when a parity check fails.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib

import numpy as np

import model_def as md

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "dna"))


def truth_from_header(reads):
    return [int(h.split(b"class=")[1].split()[0]) for _, _, h in reads]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return p


def parity_pipeline(tmp):
    """pipeline.toml up to decode.classify, then the window logits to JSONL (absolute paths)."""
    text = open(os.path.join(HERE, "pipeline.toml")).read()
    text = text[:text.index('[[stage]]\nname = "classify"')]
    text = text.replace('weights = "model/', f'weights = "{HERE}/model/')
    text += '[[stage]]\nname = "write"\nplugin = "io.jsonl_write"\npath = "logits.jsonl"\nfields = ["id", "logits"]\n'
    path = os.path.join(tmp, "parity.toml")
    open(path, "w").write(text)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/dnaclass-data")
    ap.add_argument("--seqflow", default=os.path.join(ROOT, "build", "bin", "seqflow"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    spec = tomllib.load(open(os.path.join(HERE, "pipeline.toml"), "rb"))
    threshold = next(s for s in spec["stage"] if s["name"] == "report")["threshold"]
    model = md.load_model(os.path.join(HERE, "model", "dna_classify.safetensors"))
    L = md.LABELS
    sets = [
        ("simulated 150 bp, Illumina-like (held-out blocks)", os.path.join(args.data, "test_sim150_illumina.fq"), None),
        ("simulated 150 bp, ONT-like (held-out blocks)", os.path.join(args.data, "test_sim150_ont.fq"), None),
        ("real E. coli reads in the held-out 200 bp of the contig", os.path.join(args.data, "test_ecoli_real.fq"), None),
        ("unknown: random and base-shuffled 150 bp", os.path.join(args.data, "unknown_test.fq"), None),
        ("NOT held out: new simulated 150 bp Illumina-like reads from the training blocks", os.path.join(args.data, "seen_sim150_illumina.fq"), None),
        ("real lambda long reads (racon, ONT)", os.path.join(SHARED, "racon_lambda_reads.fastq.gz"), 0),
        ("real E. coli reads, ecoli_1K_1 (all; 70% from the training region)", os.path.join(SHARED, "ecoli_1K_1.fq.gz"), 4),
        ("real E. coli reads, ecoli_1K_2 (all; 70% from the training region)", os.path.join(SHARED, "ecoli_1K_2.fq.gz"), 4),
    ]
    lines = [f"threshold = {threshold} (pipeline.toml, from calibrate.py)", "",
             "| data set | reads | accuracy | accuracy without threshold | per class (accuracy, reads) |",
             "|---|---|---|---|---|"]
    parity = []
    ok = True
    with tempfile.TemporaryDirectory(prefix="dnaclass-eval-") as tmp:
        ppath = parity_pipeline(tmp)
        for name, path, cls in sets:
            reads = md.read_fastx(path)
            truth = truth_from_header(reads) if cls is None else [cls] * len(reads)
            calls, logits, wids = md.read_calls(model, [(r, s) for r, s, _ in reads], threshold)
            # seqflow: the shipped pipeline, then the parity copy.
            out = os.path.join(tmp, "reads.tsv")
            run([args.seqflow, "run", os.path.join(HERE, "pipeline.toml"), "--set", f'read.paths=["{path}"]',
                 "--set", f"report.path={out}", "--set", f"report.summary={tmp}/summary.tsv",
                 "--threads", str(args.threads), "--no-progress"])
            rows = [l.split("\t") for l in open(out).read().splitlines()[1:]]
            run([args.seqflow, "run", ppath, "--set", f'read.paths=["{path}"]', "--set",
                 f"write.path={tmp}/logits.jsonl", "--threads", str(args.threads), "--no-progress"])
            sf = [json.loads(l) for l in open(os.path.join(tmp, "logits.jsonl"))]
            sf_ids = [r["id"] for r in sf]
            sf_logits = np.array([np.array(r["logits"]).reshape(-1) for r in sf], dtype=np.float64)
            same_windows = sf_ids == wids
            max_diff = float(np.abs(sf_logits - logits).max()) if same_windows and len(wids) else float("nan")
            same_reads = [r[0] for r in rows] == [c[0] for c in calls]
            same_labels = same_reads and all(r[1] == c[1] for r, c in zip(rows, calls))
            prob_diff = max((abs(float(r[2]) - c[2]) for r, c in zip(rows, calls)), default=0.0)
            good = same_windows and max_diff <= 1e-4 and same_labels and prob_diff <= 1.5e-4
            ok &= good
            parity.append(f"| {name} | {len(wids)} | {max_diff:.2e} | {len(calls)} | "
                          f"{'identical' if same_labels else 'DIFFER'} | {prob_diff:.1e} | {'ok' if good else 'FAIL'} |")
            # Accuracy, from the seqflow calls (identical to PyTorch's when parity holds).
            tmap = {r[0]: t for r, t in zip(reads, truth)}
            lab = {r[0]: r[1] for r in rows}
            want = [tmap[i] for i in lab]
            got = [(-1 if lab[i] == "unknown" else L.index(lab[i])) for i in lab]
            acc = np.mean([g == w for g, w in zip(got, want)])
            # Without the threshold: the best class whatever its probability (a threshold of 0).
            best = {c[0]: c[1] for c in md.read_calls(model, [(r, s) for r, s, _ in reads], 0.0)[0]}
            acc0 = np.mean([(L.index(best[i]) == tmap[i]) for i in lab]) if want[0] != -1 else float("nan")
            per = []
            for c in sorted(set(want)):
                m = [g == w for g, w in zip(got, want) if w == c]
                per.append(f"{L[c] if c >= 0 else 'unknown'} {np.mean(m):.4f} ({len(m)})")
            if want and want[0] == -1:
                called = {}
                for g in got:
                    called[g] = called.get(g, 0) + 1
                per.append("called: " + ", ".join(f"{L[k] if k >= 0 else 'unknown'} {v}" for k, v in sorted(called.items())))
            lines.append(f"| {name} | {len(lab)} | {acc:.4f} | "
                         f"{'n/a' if np.isnan(acc0) else f'{acc0:.4f}'} | {'; '.join(per)} |")
            print(lines[-1], flush=True)
    lines += ["", "Parity (seqflow vs PyTorch, every evaluation input):", "",
              "| data set | windows | max abs logit diff | reads | labels | max prob diff (TSV, 4 decimals) | |",
              "|---|---|---|---|---|---|---|"] + parity
    text = "\n".join(lines) + "\n"
    print(text)
    open(os.path.join(HERE, "eval_results.md"), "w").write(text)
    if not ok:
        sys.exit("parity check failed")


if __name__ == "__main__":
    main()
