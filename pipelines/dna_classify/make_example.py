#!/usr/bin/python3
"""The small shipped input (example/) and the e2e test's expected outputs, the latter from PyTorch.

Run (after make_data.py and train.py): /usr/bin/python3 pipelines/dna_classify/make_example.py
Writes example/reads.fq.gz and example/reads.fa (the same 30 reads: 150 bp reads simulated from the held-out
test blocks of the four genomes, Illumina- and ONT-like; a 900 bp ONT-like lambda read and a 420 bp C.
elegans read, cut into windows; a 60 bp read; a read with Ns; real held-out E. coli reads; two random
sequences), and tests/e2e/cases/examples/dna_classify{,_fasta}/expected/{reads,summary}.tsv computed by
model_def.read_calls (PyTorch) with the threshold in pipeline.toml, with probabilities printed to 4
decimals as decode.read_report does. A read whose probability lies within 1e-5 of a rounding boundary
of the 4th decimal, or of the threshold, is left out: seqflow's probabilities differ from PyTorch's by
about 1e-6, which could change such a read's text.
"""
import gzip
import os
import sys
import tomllib

import numpy as np

import make_data as mdat
import model_def as md

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
E2E = os.path.join(ROOT, "tests", "e2e", "cases", "examples")


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "/work/dnaclass-data"
    rng = np.random.default_rng(7)
    reads = []
    for cls, fname in mdat.GENOMES.items():
        recs = mdat.read_fasta(os.path.join(mdat.DATA, fname))
        pool = [(seq, a, b) for _, seq in recs for a, b in mdat.regions(seq, "test")]
        w = np.array([b - a for _, a, b in pool], dtype=float)
        w /= w.sum()
        for j in range(4):
            model = "illumina" if j < 3 else "ont"
            reads.append((f"{md.LABELS[cls]}_{j}", mdat.sample(rng, pool, w, 150, model), model))
        if cls == 0:
            reads.append(("lambda_long", mdat.sample(rng, pool, w, 900, "ont"), "ont"))
        if cls == 1:
            reads.append(("c_elegans_420", mdat.sample(rng, pool, w, 420, "illumina"), "illumina"))
            reads.append(("c_elegans_60", mdat.sample(rng, pool, w, 60, "illumina"), "illumina"))
            s = bytearray(mdat.sample(rng, pool, w, 150, "illumina"))
            s[40:45] = b"NNNNN"
            reads.append(("c_elegans_with_n", bytes(s), "illumina"))
    ecoli = md.read_fastx(os.path.join(data, "test_ecoli_real.fq"))
    for i in rng.choice(len(ecoli), 4, replace=False):
        reads.append((ecoli[i][0].replace("/", "_"), ecoli[i][1], "real"))
    for j in range(2):
        reads.append((f"random_{j}", mdat.BASES[rng.integers(0, 4, 150)].tobytes(), "illumina"))

    spec = tomllib.load(open(os.path.join(HERE, "pipeline.toml"), "rb"))
    threshold = next(s for s in spec["stage"] if s["name"] == "report")["threshold"]
    model = md.load_model(os.path.join(HERE, "model", "dna_classify.safetensors"))
    calls, _, _ = md.read_calls(model, [(r, s) for r, s, _ in reads], threshold)
    keep = set()
    for rid, _, p, _ in calls:
        frac = p * 1e4 - np.floor(p * 1e4)
        if abs(frac - 0.5) > 0.1 and abs(p - threshold) > 1e-5:
            keep.add(rid)
    reads = [r for r in reads if r[0] in keep]
    calls = [c for c in calls if c[0] in keep]
    os.makedirs(os.path.join(HERE, "example"), exist_ok=True)
    fq = b"".join(b"@%s sim=%s\n%s\n+\n%s\n" % (r.encode(), m.encode(), s, mdat.qual(rng, len(s), "illumina" if m != "ont" else "ont"))
                  for r, s, m in reads)
    with gzip.GzipFile(os.path.join(HERE, "example", "reads.fq.gz"), "wb", mtime=0) as f:
        f.write(fq)
    with open(os.path.join(HERE, "example", "reads.fa"), "wb") as f:
        for r, s, m in reads:
            f.write(b">%s sim=%s\n" % (r.encode(), m.encode()))
            for i in range(0, len(s), 60):
                f.write(s[i:i + 60] + b"\n")
    tsv = "id\tlabel\tprobability\twindows\n" + "".join(f"{r}\t{l}\t{p:.4f}\t{n}\n" for r, l, p, n in calls)
    counts = [sum(1 for c in calls if c[1] == l) for l in md.LABELS + ["unknown"]]
    total = sum(counts)
    summary = "label\treads\tpercent\n" + "".join(
        f"{l}\t{n}\t{100.0 * n / total:.2f}\n" for l, n in zip(md.LABELS + ["unknown"], counts)) + \
        f"total\t{total}\t100.00\n"
    for case, pipe in (("dna_classify", "pipeline.toml"), ("dna_classify_fasta", "pipeline_fasta.toml")):
        d = os.path.join(E2E, case, "expected")
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "reads.tsv"), "w").write(tsv)
        open(os.path.join(d, "summary.tsv"), "w").write(summary)
        open(os.path.join(E2E, case, "args"), "w").write(
            f"run ../../../../../pipelines/dna_classify/{pipe} --set report.path={{out}}/reads.tsv "
            "--set report.summary={out}/summary.tsv --threads 2 --no-progress\n")
    print(tsv + summary)


if __name__ == "__main__":
    main()
