#!/usr/bin/env python3
"""Turns the outputs of run_all.sh into the results table of bench/README.md and checks the bars.

Usage: summarize.py ENGINE_BENCH_JSON RESULTS_TXT
  ENGINE_BENCH_JSON: engine_bench --benchmark_out (with --benchmark_repetitions, medians used)
  RESULTS_TXT: the `RESULT key=value` lines of gstreamer_identity.sh and memory_flat.sh

Per-stage cost is the least-squares slope of the median per-record time over 1, 5 and 10 stages, the
same method as gstreamer_identity.sh uses for identity elements.
"""
import json
import sys


def slope(points):
    n = len(points)
    sx = sum(x for x, _ in points)
    sy = sum(y for _, y in points)
    sxx = sum(x * x for x, _ in points)
    sxy = sum(x * y for x, y in points)
    return (n * sxy - sx * sy) / (n * sxx - sx * sx)


def main():
    with open(sys.argv[1]) as f:
        bench = json.load(f)
    medians = {b["run_name"]: b for b in bench["benchmarks"] if b.get("aggregate_name") == "median"}
    # One repetition (REPS=1) gives no aggregates: use the single runs.
    for b in bench["benchmarks"]:
        if b.get("run_type") == "iteration":
            medians.setdefault(b["run_name"], b)
    results = {}
    with open(sys.argv[2]) as f:
        for line in f:
            if line.startswith("RESULT "):
                key, value = line[len("RESULT "):].strip().split("=", 1)
                results[key] = float(value)

    def per_stage(name, threads, counter):
        pts = []
        for stages in (1, 5, 10):
            run = f"{name}/stages:{stages}/threads:{threads}/process_time/real_time"
            if run in medians:
                pts.append((stages, medians[run][counter]))
        return slope(pts) if len(pts) >= 2 else None

    def fmt(v, digits=1):
        return "n/a" if v is None else f"{v:.{digits}f}"

    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    print(f"machine: {bench['context'].get('num_cpus')} CPUs at {bench['context'].get('mhz_per_cpu')} MHz; "
          f"load at start of engine_bench: {bench['context'].get('load_average_at_start', 'unknown')}")
    print()
    print("| ns per record per stage (slope over 1, 5, 10 stages) | CPU, 1 thread | wall, 1 thread "
          "| CPU, 2 threads | wall, 2 threads |")
    print("|---|---|---|---|---|")
    rows = {}
    for label, name in (("seqflow (benchkit.pass, chunked)", "BM_SeqflowPass"),
                        ("hand-written oneTBB, unlimited nodes", "BM_TbbGraphUnlimited"),
                        ("hand-written oneTBB, serial nodes", "BM_TbbGraphSerial")):
        vals = [per_stage(name, t, c) for t in (1, 2) for c in ("cpu_ns_rec", "ns_rec")]
        rows[name] = vals
        print(f"| {label} | " + " | ".join(fmt(v) for v in vals) + " |")
    gst_cpu, gst_wall = results.get("gst_cpu_ns_buf_elem"), results.get("gst_wall_ns_buf_elem")
    print(f"| GStreamer identity (1 streaming thread) | {fmt(gst_cpu)} | {fmt(gst_wall)} | - | - |")
    print()

    sf_cpu = rows["BM_SeqflowPass"][0]
    tbb_u, tbb_s = rows["BM_TbbGraphUnlimited"][0], rows["BM_TbbGraphSerial"][0]
    print("| ratio (CPU, 1 thread) | value |")
    print("|---|---|")
    print(f"| hand-written TBB unlimited / seqflow | {fmt(ratio(tbb_u, sf_cpu), 2)} |")
    print(f"| hand-written TBB serial / seqflow | {fmt(ratio(tbb_s, sf_cpu), 2)} |")
    print(f"| GStreamer identity / seqflow | {fmt(ratio(gst_cpu, sf_cpu), 2)} |")
    print()

    def spin_rows(name):
        return {t: medians.get(f"{name}/threads:{t}/process_time/real_time") for t in (1, 2)}

    spin, ref = spin_rows("BM_SeqflowSpin"), spin_rows("BM_ReferenceSpin")
    speedup = ref_speedup = None
    if ref[1] and ref[2]:
        ref_speedup = ref[1]["real_time"] / ref[2]["real_time"]
    if spin[1] and spin[2]:
        speedup = spin[1]["real_time"] / spin[2]["real_time"]
        print("| CPU-bound stage | wall s | CPU s | µs per record (wall) |")
        print("|---|---|---|---|")
        labels = (("seqflow, benchkit.spin", spin), ("reference: tbb::parallel_for, same work", ref))
        for label, rows in labels:
            for t in (1, 2):
                if rows[t]:
                    print(f"| {label}, {t} thread{'s' if t > 1 else ''} | {rows[t]['wall_s']:.3f} | "
                          f"{rows[t]['cpu_s']:.3f} | {rows[t]['us_rec']:.2f} |")
        print(f"| speed-up 1 -> 2 threads (wall): seqflow | {speedup:.2f}x | "
              f"CPU 2 / CPU 1 = {spin[2]['cpu_s'] / spin[1]['cpu_s']:.2f} | |")
        print(f"| speed-up 1 -> 2 threads (wall): reference | {fmt(ref_speedup, 2)}x | | |")
        print()

    rss = {k[len("rss_"):-len("_kb")]: v for k, v in results.items()
           if k.startswith("rss_") and k.endswith("_kb")}
    rss_ratio = results.get("rss_ratio")
    if rss:
        print("| input | peak RSS (MB) |")
        print("|---|---|")
        for size, kb in sorted(rss.items(), key=lambda kv: float(kv[0][:-2])):
            print(f"| {size[:-2]} GB JSONL | {kb / 1024:.1f} |")
        print(f"| ratio largest / smallest | {fmt(rss_ratio, 3)} |")
        print()

    def verdict(ok):
        return "n/a" if ok is None else ("MET" if ok else "NOT MET")

    print("| bar | measured | verdict |")
    print("|---|---|---|")
    print(f"| seqflow CPU ns/record/stage (1 thread) <= hand-written TBB unlimited | {fmt(sf_cpu)} vs "
          f"{fmt(tbb_u)} | {verdict(None if sf_cpu is None or tbb_u is None else sf_cpu <= tbb_u)} |")
    print(f"| >= 4x below GStreamer identity (CPU) | {fmt(ratio(gst_cpu, sf_cpu), 2)}x | "
          f"{verdict(None if ratio(gst_cpu, sf_cpu) is None else ratio(gst_cpu, sf_cpu) >= 4)} |")
    print(f"| CPU-bound stage >= 1.8x from 1 to 2 threads | {fmt(speedup, 2)}x "
          f"(machine allowed {fmt(ref_speedup, 2)}x) | "
          f"{verdict(None if speedup is None else speedup >= 1.8)} |")
    print(f"| peak RSS within 20% between 1 GB and 4 GB | {fmt(rss_ratio, 3)} | "
          f"{verdict(None if rss_ratio is None else abs(rss_ratio - 1) <= 0.2)} |")


if __name__ == "__main__":
    main()
