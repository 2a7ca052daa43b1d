#!/usr/bin/env python3
"""results.jsonl (run_bench.sh) -> a markdown table: MB/s per implementation, ratio to seqflow,
whether its ids equal seqflow's, with the CPU and the load average of the run."""
import json
import os
import subprocess
import sys

rows = [json.loads(l) for l in open(sys.argv[1])]
cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), "?")
print(f"CPU: {model}, {os.cpu_count()} cores; load average at the end: {os.getloadavg()[0]:.1f}; "
      "median of the runs (column runs); MB/s by wall clock and by the calling thread's CPU time.\n")
print("| case | implementation | runs | MB/s (wall) | MB/s (CPU) | seqflow / it (wall) | seqflow / it (CPU) | ids equal seqflow's |")
print("|---|---|---|---|---|---|---|---|")
ours = {}
for r in rows:
    if r.get("impl") == "seqflow" and r.get("threads", 1) == 1:
        ours[r["case"]] = r
for r in rows:
    c = r["case"]
    if "error" in r:
        print(f"| {c} | {r['impl']} | - | - | - | - | - | failed: {r['error'][:80]} |")
        continue
    o = ours.get(c)
    name = r["impl"] + (f" ({r['threads']} threads)" if r.get("threads", 1) > 1 else "")
    peer = o and r["impl"] != "seqflow"
    ratio_w = f"{o['mb_s_wall'] / r['mb_s_wall']:.2f}x" if peer else "-"
    ratio = f"{o['mb_s_cpu'] / r['mb_s_cpu']:.2f}x" if peer else "-"
    same = "-" if r["impl"] == "seqflow" or not o else ("yes" if (r["ids"], r["crc32"]) == (o["ids"], o["crc32"]) else "NO")
    print(f"| {c} | {name} | {r['reps']} | {r['mb_s_wall']:.1f} | {r['mb_s_cpu']:.1f} | {ratio_w} | {ratio} | {same} |")
