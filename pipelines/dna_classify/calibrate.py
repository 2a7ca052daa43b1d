#!/usr/bin/python3
"""Chooses the "unknown" probability threshold on held-out calibration data (never the test sets).

Run: /usr/bin/python3 pipelines/dna_classify/calibrate.py [--data /work/dnaclass-data]
Known reads: calib.fq (150 bp reads simulated from the calibration blocks of the four genomes, Illumina-
and ONT-like, and the real E. coli reads inside the contig's calibration region). Unknown reads:
unknown_calib.fq (random sequence of GC 0.3-0.7 and base-shuffled held-out reads). The threshold keeps
95% of the correct calls on known calibration reads: it is the 5th percentile of their probabilities
(rounded down to 0.01), so that "unknown" costs at most 5% of the reads the model gets right; the table
shows, for each threshold, the known reads still right and the unknown reads rejected. (Maximising the
balanced accuracy instead picks a threshold near 0.96 for this model, which turns most real reads into
"unknown".) The choice goes into pipeline.toml's `threshold` (report stage).
"""
import argparse
import os

import numpy as np

import model_def as md

HERE = os.path.dirname(os.path.abspath(__file__))


def calls_of(model, path):
    reads = md.read_fastx(path)
    calls, _, _ = md.read_calls(model, [(rid, seq) for rid, seq, _ in reads], 0.0)
    truth = [int(h.split(b"class=")[1].split()[0]) for _, _, h in reads]
    label = np.array([md.LABELS.index(c[1]) for c in calls])
    prob = np.array([c[2] for c in calls])
    return label, prob, np.array(truth)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/dnaclass-data")
    ap.add_argument("--weights", default=os.path.join(HERE, "model", "dna_classify.safetensors"))
    args = ap.parse_args()
    model = md.load_model(args.weights)
    kl, kp, kt = calls_of(model, os.path.join(args.data, "calib.fq"))
    _, up, _ = calls_of(model, os.path.join(args.data, "unknown_calib.fq"))
    print("threshold  known_right  unknown_rejected")
    for t in np.round(np.arange(0.20, 1.0, 0.05), 2):
        print(f"{t:9.2f}  {np.mean((kl == kt) & (kp >= t)):11.4f}  {np.mean(up < t):16.4f}")
    correct = np.sort(kp[kl == kt])
    t = np.floor(correct[int(0.05 * len(correct))] * 100) / 100
    print(f"known calibration reads right without a threshold: {np.mean(kl == kt):.4f} of {len(kl)}")
    print(f"chosen threshold {t:.2f}: keeps {np.mean(correct >= t):.4f} of the correct calls; known right "
          f"{np.mean((kl == kt) & (kp >= t)):.4f}, unknown rejected {np.mean(up < t):.4f} of {len(up)}")


if __name__ == "__main__":
    main()
