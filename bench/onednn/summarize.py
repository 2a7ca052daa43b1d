#!/usr/bin/python3
"""Table of the onednn benchmark (results.jsonl of run_bench.sh): per case and thread count, the best
frames/s of each peer, seqflow's GFLOP/s and its ratios to raw oneDNN, ONNX Runtime and PyTorch, the
int8 / bf16 speed-ups over seqflow f32, and seqflow with oneDNN's RNN primitive (rnn_kernel =
"primitive") for recurrent cases. "best" ratios divide best-of-all-rounds numbers; "med" ratios are the
median over rounds of the ratio within one round (peers of a round ran back to back, so a slow phase of
the machine hits both). Markdown on stdout."""
import json
import os
import statistics
import sys

# GFLOP/s, the f32 FMA peak per core of the CPU measured (the measurement on this project's
# 2-core machines); PEAK_F32_PER_CORE overrides it for another CPU (device_bench.sh).
PEAK_F32_PER_CORE = float(os.environ.get("PEAK_F32_PER_CORE", "170"))


def label(r):
    return (r["impl"], r.get("precision", "f32"), r.get("rnn_kernel", "auto"))


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    best, by_round = {}, {}
    for r in rows:
        key = (r["case"], r["threads"]) + label(r)
        if key not in best or r["best_s"] < best[key]["best_s"]:
            best[key] = r
        by_round.setdefault((r["case"], r["threads"], r.get("round", 0)), {})[label(r)] = r
    cases = sorted({(r["case"], r["threads"]) for r in rows}, key=lambda k: (k[1], k[0]))
    SF, RAW, ORT = ("seqflow", "f32", "auto"), ("raw", "f32", "-"), ("onnxruntime", "f32", "auto")
    I8, BF, PRIM = ("seqflow", "int8", "auto"), ("seqflow", "bf16", "auto"), ("seqflow", "f32", "primitive")
    versions = sorted({f"{r['impl']} {r['version']}" for r in rows if "version" in r})
    if versions:
        print("Peers: " + ", ".join(versions) + "\n")
    print("| case | threads | seqflow frames/s | GFLOP/s | % of f32 peak | raw oneDNN | ONNX Runtime | PyTorch "
          "| seqflow/raw best (med) | seqflow/ORT best (med) | seqflow/PyTorch | int8 x best (med) "
          "| bf16 x | primitive kernel |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for case, t in cases:
        def get(lab):
            for k, r in best.items():
                if k[:2] == (case, t) and label(r)[0] == lab[0] and label(r)[1] == lab[1] and (
                        lab[0] != "seqflow" or label(r)[2] == lab[2]):
                    return r
            return None

        def med(a, b):
            ratios = [rs[b]["best_s"] / rs[a]["best_s"]
                      for (c, th, _), rs in sorted(by_round.items())
                      if (c, th) == (case, t) and a in rs and b in rs]
            return f" ({statistics.median(ratios):.2f})" if len(ratios) > 1 else ""

        s = get(SF)
        if s is None:
            continue
        fps = s["frames_per_s"]

        def col(r):
            return f"{r['frames_per_s']:.0f}" if r else "-"

        def ratio(r):
            return f"{fps / r['frames_per_s']:.2f}" if r else "-"

        raw, ort, i8, b16, prim = get(RAW), get(ORT), get(I8), get(BF), get(PRIM)
        bf16_x = f"{b16['frames_per_s'] / fps:.2f}" if b16 else "-"
        ort_key = label(ort) if ort else ORT
        peak = 100.0 * s["gflops"] / (PEAK_F32_PER_CORE * t)
        print(f"| {case} | {t} | {fps:.0f} | {s['gflops']:.1f} | {peak:.0f}% | {col(raw)} | {col(ort)} | "
              f"{col(get(('pytorch', 'f32', 'auto')))} | {ratio(raw)}{med(SF, RAW) if raw else ''} | "
              f"{ratio(ort)}{med(SF, ort_key) if ort else ''} | {ratio(get(('pytorch', 'f32', 'auto')))} | "
              f"{(i8['frames_per_s'] / fps) if i8 else 0:.2f}{med(I8, SF) if i8 else ''} | "
              f"{bf16_x} | {col(prim)} |")


if __name__ == "__main__":
    main()
