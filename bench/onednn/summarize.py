#!/usr/bin/python3
"""Table of the onednn benchmark (results.jsonl of run_bench.sh): per case and thread count, the best
frames/s of each peer, seqflow's GFLOP/s and its ratios to raw oneDNN, ONNX Runtime and PyTorch, and
the int8 / bf16 speed-ups over seqflow f32. Markdown on stdout."""
import json
import sys

PEAK_F32_PER_CORE = 170.0  # GFLOP/s, this CPU's f32 FMA peak per core (the measurement)


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    best = {}
    for r in rows:
        key = (r["case"], r["threads"], r["impl"], r.get("precision", "f32"))
        if key not in best or r["best_s"] < best[key]["best_s"]:
            best[key] = r
    cases = sorted({(r["case"], r["threads"]) for r in rows}, key=lambda k: (k[1], k[0]))
    print("| case | threads | seqflow frames/s | GFLOP/s | % of f32 peak | raw oneDNN | ONNX Runtime | PyTorch 1.13 "
          "| seqflow/raw | seqflow/ORT | seqflow/PyTorch | int8 x | bf16 x |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for case, t in cases:
        def get(impl, p="f32"):
            return best.get((case, t, impl, p))
        s = get("seqflow")
        if s is None:
            continue
        fps = s["frames_per_s"]

        def col(r):
            return f"{r['frames_per_s']:.0f}" if r else "-"

        def ratio(r):
            return f"{fps / r['frames_per_s']:.2f}" if r else "-"

        i8, b16 = get("seqflow", "int8"), get("seqflow", "bf16")
        peak = 100.0 * s["gflops"] / (PEAK_F32_PER_CORE * t)
        print(f"| {case} | {t} | {fps:.0f} | {s['gflops']:.1f} | {peak:.0f}% | {col(get('raw'))} | "
              f"{col(get('onnxruntime'))} | {col(get('pytorch'))} | {ratio(get('raw'))} | "
              f"{ratio(get('onnxruntime'))} | {ratio(get('pytorch'))} | "
              f"{(i8['frames_per_s'] / fps) if i8 else 0:.2f} | {(b16['frames_per_s'] / fps) if b16 else 0:.2f} |")


if __name__ == "__main__":
    main()
