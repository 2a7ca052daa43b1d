"""seqflow's Python API against the CLI and against the Python libraries people use, in one run.

1. stream() overhead: embed.input -> dna.revcomp -> embed.output from Python against `seqflow run` of
   io.jsonl_read -> dna.revcomp -> io.jsonl_write on the same records, for records of 16 B, 1 KB, 16 KB.
2. fbank: audio.fbank through stream() against torchaudio.compliance.kaldi.fbank called per record.
3. tokenize: text.tokenize through stream() against Hugging Face tokenizers' Tokenizer.encode_batch and
   Tokenizer.encode per record (needs bench/python/make_venv.sh and the shared bert-base-uncased).

Usage: PYTHONPATH=build/python VENV/bin/python bench/python/bench_python.py [--reps 3] [--cli build/bin/seqflow]
Prints a table; every number is the median of --reps runs, wall clock, measured in this process.
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import seqflow

ROOT = pathlib.Path(__file__).resolve().parents[2]


def median_time(fn, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cpu_name():
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def bench_overhead(args, rows, tmp):
    rng = np.random.default_rng(1)
    for size, n in ((16, 200_000), (1024, 50_000), (16384, 4_000)):
        seqs = ["".join(rng.choice(list("ACGT"), size)) for _ in range(min(n, 1000))]
        recs = [{"id": f"r{i}", "seq": seqs[i % len(seqs)]} for i in range(n)]
        src = tmp / f"in_{size}.jsonl"
        with open(src, "w") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
        cli_toml = tmp / f"cli_{size}.toml"
        cli_toml.write_text(f"""
[pipeline]
name = "bench-cli"
[[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["{src}"]
fields = {{ seq = "string" }}
[[stage]]
name = "rc"
plugin = "dna.revcomp"
[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "{tmp / f'out_{size}.jsonl'}"
fields = ["id", "seq"]
""")
        py = seqflow.Pipeline("""
[[stage]]
name = "in"
plugin = "embed.input"
fields = { seq = "string" }
[[stage]]
name = "rc"
plugin = "dna.revcomp"
[[stage]]
name = "out"
plugin = "embed.output"
fields = ["id", "seq"]
""")
        for threads in (1, 2):
            def cli():
                subprocess.run([args.cli, "run", str(cli_toml), "--threads", str(threads), "--no-progress"],
                               check=True, capture_output=True)

            def api():
                k = 0
                for _ in py.stream(recs, threads=threads):
                    k += 1
                assert k == n

            t_cli = median_time(cli, args.reps)
            t_api = median_time(api, args.reps)
            rows.append((f"revcomp {size} B x {n}", threads, f"stream() {n / t_api:,.0f} rec/s",
                         f"CLI {n / t_cli:,.0f} rec/s", f"{t_cli / t_api:.2f}"))


def bench_fbank(args, rows):
    try:
        import torch
        import torchaudio.compliance.kaldi as kaldi
    except ImportError:
        rows.append(("fbank", "-", "skipped: no torchaudio", "", ""))
        return
    rng = np.random.default_rng(2)
    waves = [(rng.standard_normal(16000) * 0.1).astype(np.float32) for _ in range(300)]
    p = seqflow.Pipeline("""
[[stage]]
name = "in"
plugin = "embed.input"
fields = { audio = "tensor:f32", sample_rate = "int" }
[[stage]]
name = "fbank"
plugin = "audio.fbank"
num_mel_bins = 80
[[stage]]
name = "out"
plugin = "embed.output"
fields = ["fbank"]
""")
    tensors = [torch.from_numpy(w).unsqueeze(0) for w in waves]
    for threads in (1, 2):
        torch.set_num_threads(threads)

        def api():
            for _ in p.stream(({"audio": w, "sample_rate": 16000} for w in waves), threads=threads):
                pass

        def ref():
            for t in tensors:
                kaldi.fbank(t, num_mel_bins=80, sample_frequency=16000, dither=0.0)

        t_api = median_time(api, args.reps)
        t_ref = median_time(ref, args.reps)
        rows.append((f"fbank 1 s x {len(waves)}", threads, f"stream() {len(waves) / t_api:,.0f} rec/s",
                     f"torchaudio {len(waves) / t_ref:,.0f} rec/s", f"{t_ref / t_api:.2f}"))


def bench_tokenize(args, rows):
    tok_json = ROOT.parent / "shared" / "data" / "tokenizers" / "bert-base-uncased" / "tokenizer.json"
    try:
        from tokenizers import Tokenizer
    except ImportError:
        rows.append(("tokenize", "-", "skipped: no tokenizers (bench/python/make_venv.sh)", "", ""))
        return
    if not tok_json.exists():
        rows.append(("tokenize", "-", f"skipped: {tok_json} absent", "", ""))
        return
    rng = np.random.default_rng(3)
    words = ["sequence", "model", "the", "of", "tokenizer", "pipeline", "stream", "records", "unbelievable",
             "12345", "naïve", "café", "runs", "fast", "!", "?", ","]
    texts = [" ".join(rng.choice(words, 40)) for _ in range(20000)]
    p = seqflow.Pipeline(f"""
[resources.tok]
plugin = "text.tokenizer"
path = "{tok_json}"
[[stage]]
name = "in"
plugin = "embed.input"
fields = {{ text = "string" }}
[[stage]]
name = "tokens"
plugin = "text.tokenize"
tokenizer = "tok"
[[stage]]
name = "out"
plugin = "embed.output"
fields = ["ids"]
""")
    hf = Tokenizer.from_file(str(tok_json))
    first = next(iter(p.stream([{"text": texts[0]}])))["ids"]
    assert list(first) == hf.encode(texts[0]).ids, "seqflow and tokenizers disagree"
    for threads in (1, 2):
        os.environ["RAYON_NUM_THREADS"] = str(threads)  # read once by tokenizers: only the first applies

        def api():
            for _ in p.stream(({"text": t} for t in texts), threads=threads):
                pass

        t_api = median_time(api, args.reps)
        t_batch = median_time(lambda: hf.encode_batch(texts), args.reps)
        t_loop = median_time(lambda: [hf.encode(t) for t in texts], args.reps)
        rows.append((f"tokenize 40 words x {len(texts)}", threads, f"stream() {len(texts) / t_api:,.0f} rec/s",
                     f"encode_batch {len(texts) / t_batch:,.0f} rec/s", f"{t_batch / t_api:.2f}"))
        rows.append((f"tokenize 40 words x {len(texts)}", threads, f"stream() {len(texts) / t_api:,.0f} rec/s",
                     f"encode loop {len(texts) / t_loop:,.0f} rec/s", f"{t_loop / t_api:.2f}"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cli", default=str(ROOT / "build" / "bin" / "seqflow"))
    ap.add_argument("--only", default="overhead,fbank,tokenize")
    args = ap.parse_args()
    print(f"CPU: {cpu_name()}; load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        if "overhead" in args.only:
            bench_overhead(args, rows, tmp)
        if "fbank" in args.only:
            bench_fbank(args, rows)
        if "tokenize" in args.only:
            bench_tokenize(args, rows)
    print(f"{'work':32} {'thr':>3}  {'seqflow Python API':28} {'peer':34} {'API/peer':>8}")
    for r in rows:
        print(f"{r[0]:32} {r[1]!s:>3}  {r[2]:28} {r[3]:34} {r[4]:>8}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
