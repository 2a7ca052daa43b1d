#!/usr/bin/python3
"""Simulated reads for the DNA read origin classifier, made from ../shared/data/dna (seeded).

Run: /usr/bin/python3 pipelines/dna_classify/make_data.py [--out /work/dnaclass-data] [--seed 1]
(numpy only; about a minute). Nothing is written into the repository.

Classes (their order is the model's output order, pipelines/dna_classify/labels.txt):
  0 lambda_phage   lambda_virus.fa (NC_001416.1, 48,502 bp)
  1 c_elegans      ce.fa (CHROMOSOME_I 1,009,800 bp + 5 kb of II..X and MtDNA)
  2 human_mt       MT-human.fa (rCRS, 16,569 bp)
  3 orangutan_mt   MT-orang.fa (16,499 bp)
  4 e_coli         ecoli_1K_1.fq.gz / ecoli_1K_2.fq.gz (2,054 real Illumina read pairs)

Which part of a genome is which split: each sequence is cut into blocks of 500 bp; in every run of ten
blocks the first seven are for training, the eighth for calibration (the "unknown" threshold) and the last
two for testing. A read is simulated inside one block (test reads inside a 1 kb test region), so no
training read shares a base with a calibration or test read.

E. coli has no reference in ../shared/data, only 2,054 real read pairs (SPAdes' test data set). They
cover one region deeply (about 140x), so its reference is assembled from them: SPAdes 3.15.5 (Debian
package `spades`, one thread, default k-mers) gives a single 1,000 bp contig. The contig is split in
100 bp blocks, 0-600 training, 600-800 calibration, 800-1000 test; simulated reads come from those regions
as for the other genomes. The real reads are placed on the contig by their 25-mers (either strand); those
wholly inside the calibration or test region are real held-out reads (test_ecoli_real.fq, and part of
calib.fq); the counts are printed. This class is therefore learned from 600 bp of E. coli sequence only.

Error models (per simulated read, both strands with probability 1/2):
  illumina: substitutions only, rate uniform in [0.1%, 1%], Phred 30..40 qualities;
  ont: substitutions, insertions and deletions at a total rate uniform in [3%, 12%] (40/25/35 split),
       Phred 5..20 qualities.
Training lengths are uniform in [40, 150] for every class (E. coli: at most its source read), so that read
length says nothing about the class; test reads are 150 bp.

Written to --out: train.fa (the training reads, header `>ID class=N model=illumina|ont`), and FASTQ files
whose headers carry `class=N`: calib.fq, test_sim150_illumina.fq, test_sim150_ont.fq, test_ecoli_real.fq;
seen_sim150_illumina.fq holds new reads from the training blocks (not held out: what the model does on a
genome it was trained on); unknown_calib.fq and unknown_test.fq hold 150 bp sequences of no class (class=-1): i.i.d. random bases with
GC content uniform in [0.3, 0.7], and base-shuffled copies of held-out reads (their composition kept, their
order destroyed).
"""
import argparse
import gzip
import os
import subprocess

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "dna"))
LABELS = ["lambda_phage", "c_elegans", "human_mt", "orangutan_mt", "e_coli"]
GENOMES = {0: "lambda_virus.fa", 1: "ce.fa", 2: "MT-human.fa", 3: "MT-orang.fa"}
BLOCK = 500
# The E. coli contig is 1 kb: train 0-600, calibration 600-800, test 800-1000 (a 150 bp ONT-like read
# needs about 195 bases of its region).
ECOLI_BLOCK = 100
ECOLI_SPLIT = ["train"] * 6 + ["calib"] * 2 + ["test"] * 2
SPLIT_OF_BLOCK = ["train"] * 7 + ["calib"] + ["test"] * 2
COMP = bytes.maketrans(b"ACGTN", b"TGCAN")
BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def read_fasta(path):
    recs, name, chunks = [], None, []
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if line.startswith(b">"):
                if name is not None:
                    recs.append((name, b"".join(chunks).upper()))
                name, chunks = line[1:].split()[0].decode(), []
            elif line:
                chunks.append(line)
    if name is not None:
        recs.append((name, b"".join(chunks).upper()))
    return recs


def read_fastq_gz(path):
    out = []
    with gzip.open(path, "rb") as f:
        lines = f.read().split(b"\n")
    for i in range(0, len(lines) - 3, 4):
        out.append((lines[i][1:].split()[0].decode(), lines[i + 1].strip().upper(), lines[i + 3].strip()))
    return out


def regions(seq, split, block=None, pattern=None):
    """Maximal runs of consecutive blocks of `split`: (start, end) pairs."""
    BLOCK = block or globals()["BLOCK"]
    SPLIT_OF_BLOCK = pattern or globals()["SPLIT_OF_BLOCK"]
    out = []
    nblocks = (len(seq) + BLOCK - 1) // BLOCK
    b = 0
    while b < nblocks:
        if SPLIT_OF_BLOCK[b % 10] != split:
            b += 1
            continue
        e = b
        while e + 1 < nblocks and SPLIT_OF_BLOCK[(e + 1) % 10] == split:
            e += 1
        out.append((b * BLOCK, min(len(seq), (e + 1) * BLOCK)))
        b = e + 1
    return out


def revcomp(s):
    return s.translate(COMP)[::-1]


def mutate(rng, frag, model, length):
    """Applies the error model to `frag` and returns `length` bases (frag holds enough)."""
    a = np.frombuffer(frag, dtype=np.uint8)
    if model == "illumina":
        out = a[:length].copy()
        rate = rng.uniform(0.001, 0.01)
        hit = rng.random(length) < rate
        out[hit] = BASES[(np.searchsorted(BASES, out[hit]) + rng.integers(1, 4, hit.sum())) % 4]
        return out.tobytes()
    rate = rng.uniform(0.03, 0.12)
    r = rng.random(len(a))
    res = []
    for i in range(len(a)):
        if r[i] < rate * 0.35:
            continue  # deletion
        if r[i] < rate * 0.6:
            res.append(BASES[rng.integers(4)])  # insertion before the base
            res.append(a[i])
        elif r[i] < rate:
            res.append(BASES[(np.searchsorted(BASES, a[i]) + rng.integers(1, 4)) % 4])
        else:
            res.append(a[i])
        if len(res) >= length:
            break
    return bytes(bytearray(res[:length]))


def sample(rng, pool, weights, length, model):
    """One read of `length` bases from a region of `pool` (sequence, start, end), random strand."""
    need = length + (length // 4 + 8 if model == "ont" else 0)
    while True:
        seq, start, end = pool[rng.choice(len(pool), p=weights)]
        span = min(need, end - start)
        if span < length:
            continue
        p = rng.integers(start, end - span + 1)
        frag = seq[p:p + span]
        if frag.count(b"N") > 0:
            continue
        if rng.random() < 0.5:
            frag = revcomp(frag)
        out = mutate(rng, frag, model, length)
        if len(out) == length:
            return out


def qual(rng, n, model):
    lo, hi = (30, 41) if model == "illumina" else (5, 21)
    return (rng.integers(lo, hi, n) + 33).astype(np.uint8).tobytes()


def write_fastq(path, rows):
    with open(path, "wb") as f:
        for rid, cls, seq, q, note in rows:
            f.write(b"@%s class=%d %s\n%s\n+\n%s\n" % (rid.encode(), cls, note.encode(), seq, q))


def assemble_ecoli(out):
    """SPAdes (Debian package `spades`, one thread) on both mates; returns its single contig."""
    d = os.path.join(out, "spades_ecoli")
    contigs = os.path.join(d, "contigs.fasta")
    if not os.path.exists(contigs):
        subprocess.run(["spades.py", "-1", os.path.join(DATA, "ecoli_1K_1.fq.gz"), "-2",
                        os.path.join(DATA, "ecoli_1K_2.fq.gz"), "-o", d, "-t", "1", "-m", "4"],
                       check=True, stdout=subprocess.DEVNULL)
    recs = read_fasta(contigs)
    assert len(recs) == 1, f"expected one contig in {contigs}, got {len(recs)}"
    return recs[0][1]


def place(seq, contig, index):
    """(start, end) of a read on the contig (either strand) by its 25-mers' votes, or None."""
    for s in (seq, revcomp(seq)):
        votes = {}
        for i in range(0, len(s) - 24, 5):
            p = index.get(s[i:i + 25])
            if p is not None:
                votes[p - i] = votes.get(p - i, 0) + 1
        if votes:
            start = max(votes, key=votes.get)
            if votes[start] >= 2:
                a = max(0, start)
                return a, min(len(contig), start + len(s))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/work/dnaclass-data")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train-per-class", type=int, default=60000)
    ap.add_argument("--test-per-class", type=int, default=2000)
    ap.add_argument("--calib-per-class", type=int, default=1000)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)

    pools = {}
    for cls, fname in GENOMES.items():
        recs = read_fasta(os.path.join(DATA, fname))
        pools[cls] = {s: [(seq, a, b) for _, seq in recs for a, b in regions(seq, s)]
                      for s in ("train", "calib", "test")}

    # E. coli: its reference is assembled from its reads (SPAdes, one 1 kb contig); the real reads are
    # placed on it by their 25-mers, and those inside a calibration or test region are held-out reads.
    contig = assemble_ecoli(args.out)
    pools[4] = {s: [(contig, a, b) for a, b in regions(contig, s, ECOLI_BLOCK, ECOLI_SPLIT)] for s in ("train", "calib", "test")}
    index = {}
    for i in range(len(contig) - 24):
        index.setdefault(contig[i:i + 25], i)
    ecoli_real = {"calib": [], "test": []}
    placed = {"train": 0, "calib": 0, "test": 0, "straddle": 0, "unplaced": 0}
    for fname in ("ecoli_1K_1.fq.gz", "ecoli_1K_2.fq.gz"):
        for rid, seq, q in read_fastq_gz(os.path.join(DATA, fname)):
            span = place(seq, contig, index)
            if span is None:
                placed["unplaced"] += 1
                continue
            kinds = {ECOLI_SPLIT[(b // ECOLI_BLOCK) % 10] for b in range(span[0], span[1])}
            if len(kinds) != 1:
                placed["straddle"] += 1
                continue
            kind = kinds.pop()
            placed[kind] += 1
            if kind != "train":
                ecoli_real[kind].append((rid, seq, q))
    print("e_coli contig", len(contig), "bp; real reads placed:", placed)

    def weights(pool):
        w = np.array([max(0, e - s) for _, s, e in pool], dtype=np.float64)
        return w / w.sum()

    # Training reads.
    with open(os.path.join(args.out, "train.fa"), "wb") as f:
        n = 0
        for cls in range(len(LABELS)):
            pool = pools[cls]["train"]
            w = weights(pool)
            for j in range(args.train_per_class):
                model = "illumina" if j % 2 == 0 else "ont"
                length = int(rng.integers(40, 151))
                read = sample(rng, pool, w, length, model)
                f.write(b">t%07d class=%d model=%s\n%s\n" % (n, cls, model.encode(), read))
                n += 1
    print(f"train.fa: {n} reads")

    def sim_set(split, per_class, model, prefix):
        rows = []
        for cls in range(len(LABELS)):
            pool = pools[cls][split]
            w = weights(pool)
            for j in range(per_class):
                read = sample(rng, pool, w, 150, model)
                rows.append((f"{prefix}{cls}_{j:05d}", cls, read, qual(rng, 150, model), f"model={model}"))
        return rows

    calib = sim_set("calib", args.calib_per_class // 2, "illumina", "ci") + \
        sim_set("calib", args.calib_per_class // 2, "ont", "co")
    calib += [(rid, 4, s, q, "model=real") for rid, s, q in ecoli_real["calib"]]
    write_fastq(os.path.join(args.out, "calib.fq"), calib)
    ill = sim_set("test", args.test_per_class, "illumina", "ti")
    ont = sim_set("test", args.test_per_class, "ont", "to")
    write_fastq(os.path.join(args.out, "test_sim150_illumina.fq"), ill)
    write_fastq(os.path.join(args.out, "test_sim150_ont.fq"), ont)
    write_fastq(os.path.join(args.out, "test_ecoli_real.fq"),
                [(rid, 4, s, q, "model=real") for rid, s, q in ecoli_real["test"]])

    def unknown_set(n, held, prefix):
        rows = []
        for j in range(n):
            if j % 2 == 0:
                gc = rng.uniform(0.3, 0.7)
                p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
                seq = BASES[rng.choice(4, 150, p=p)].tobytes()
                note = f"kind=random_gc{gc:.2f}"
            else:
                src = held[rng.integers(len(held))][2]
                seq = np.frombuffer(src, dtype=np.uint8)[rng.permutation(len(src))].tobytes()
                note = "kind=shuffled"
            rows.append((f"{prefix}{j:05d}", -1, seq, qual(rng, 150, "illumina"), note))
        return rows

    write_fastq(os.path.join(args.out, "unknown_calib.fq"), unknown_set(2000, calib, "uc"))
    write_fastq(os.path.join(args.out, "unknown_test.fq"), unknown_set(4000, ill + ont, "ut"))
    # Not held out: new reads (positions, strands and errors drawn afresh) from the training blocks, to show
    # what the model does on an organism whose whole genome it was trained on.
    write_fastq(os.path.join(args.out, "seen_sim150_illumina.fq"),
                sim_set("train", args.test_per_class // 2, "illumina", "si"))
    print("written to", args.out)


if __name__ == "__main__":
    main()
