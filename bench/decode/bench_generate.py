#!/usr/bin/env python3
"""Generation: seqflow's decode.generate (over onednn.model's step interface) next to Hugging Face
generate() on PyTorch, same GPT-2-style weights, one thread each: greedy search at batch 1 and beam search
over 16 prompts x 4 beams (one seqflow batch of 16 records; one generate() call with a batch of 16).
Reports generated tokens per second, the ratio, whether the ids are the same, and (with perf) the share
of the run's CPU samples spent in seqflow_decode.so, i.e. decode's own work next to the model's.

The model: transformers.GPT2LMHeadModel(n_embd 256, 4 layers, 4 heads, vocabulary 8192, 512 positions),
random weights with seed 0, saved to bench/decode/data/gpt2_bench/ with its Hugging Face names.
Run: bench/decode/.venv/bin/python bench/decode/bench_generate.py [build dir]
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
OUT = os.path.join(HERE, "data", "gpt2_bench")
REPS = int(os.environ.get("REPS", "3"))
D, LAYERS, HEADS, VOCAB, POS = 256, 4, 4, 8192, 512
PROMPT_LEN, GREEDY_NEW, BEAM_NEW, PROMPTS, BEAMS = 16, 64, 32, 16, 4
torch.set_num_threads(1)
os.environ["OMP_NUM_THREADS"] = "1"


def layers_toml():
    out = ['  { type = "embedding", prefix = "transformer.wte" },',
           '  { type = "positional_encoding", kind = "learned", prefix = "transformer.wpe" },']
    for i in range(LAYERS):
        p = f"transformer.h.{i}"
        out.append(f'  {{ type = "residual", layers = [{{ type = "layer_norm", prefix = "{p}.ln_1" }}, '
                   f'{{ type = "multihead_attention", prefix = "{p}.attn", num_heads = {HEADS}, causal = true, '
                   f'qkv_proj = "c_attn", out_proj = "c_proj", transposed = true }}] }},')
        out.append(f'  {{ type = "residual", layers = [{{ type = "layer_norm", prefix = "{p}.ln_2" }}, '
                   f'{{ type = "linear", prefix = "{p}.mlp.c_fc", transposed = true }}, '
                   f'{{ type = "gelu", approximate = "tanh" }}, '
                   f'{{ type = "linear", prefix = "{p}.mlp.c_proj", transposed = true }}] }},')
    out += ['  { type = "layer_norm", prefix = "transformer.ln_f" },', '  { type = "linear", prefix = "transformer.wte" },']
    return "\n".join(out)


def seqflow_run(name, stage, records):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "prompts.jsonl"), "w") as f:
        for i, p in enumerate(records):
            f.write(json.dumps({"id": f"p{i:02d}", "ids": p}) + "\n")
    open(os.path.join(d, "pipeline.toml"), "w").write(f"""[pipeline]
name = "bench-generate"

[resources.lm]
plugin = "onednn.model"
weights = "../model.safetensors"
layers = [
{layers_toml()}
]

[[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["prompts.jsonl"]
fields = {{ ids = "tensor:i64" }}

[[stage]]
name = "gen"
plugin = "decode.generate"
model = "lm"
{stage}

[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = ["id", "generated"]
""")
    cmd = [os.path.join(BUILD, "bin", "seqflow"), "run", "pipeline.toml", "--threads", "1", "--no-progress",
           "--stats", "stats.json"]
    busy = []
    for _ in range(REPS):
        subprocess.run(cmd, cwd=d, check=True, stderr=subprocess.DEVNULL)
        stats = json.load(open(os.path.join(d, "stats.json")))
        busy.append(next(s["busy_seconds"] for s in stats["stages"] if s["name"] == "gen"))
    ids = {}
    for line in open(os.path.join(d, "out.jsonl")):
        j = json.loads(line)
        ids[j["id"]] = j["generated"]
    share = None
    if shutil.which("perf"):
        subprocess.run(["perf", "record", "-q", "-o", "perf.data"] + cmd, cwd=d, check=True,
                       stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        rep = subprocess.run(["perf", "report", "-i", "perf.data", "--sort", "dso", "--stdio"], cwd=d,
                             capture_output=True, text=True).stdout
        for line in rep.splitlines():
            if "seqflow_decode.so" in line:
                share = float(line.split("%")[0].strip()) / 100
    return statistics.median(busy), ids, share


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(vocab_size=VOCAB, n_positions=POS, n_embd=D, n_layer=LAYERS, n_head=HEADS,
                                  resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=1,
                                  pad_token_id=1)
    model = transformers.GPT2LMHeadModel(cfg).eval()
    state = {k: v.contiguous() for k, v in model.state_dict().items()
             if k != "lm_head.weight" and not k.endswith(".attn.bias") and not k.endswith("masked_bias")}
    save_file(state, os.path.join(OUT, "model.safetensors"))
    g = torch.Generator().manual_seed(1)
    prompts = [torch.randint(2, VOCAB, (PROMPT_LEN,), generator=g).tolist() for _ in range(PROMPTS)]
    common = dict(do_sample=False, eos_token_id=1, pad_token_id=1, top_k=None, top_p=None, temperature=None)
    result = {"cpu": subprocess.run(["lscpu"], capture_output=True, text=True).stdout.split("Model name:")[1]
              .splitlines()[0].strip(), "load_avg": os.getloadavg(), "torch": torch.__version__,
              "transformers": transformers.__version__, "reps": REPS}

    # Greedy, batch 1: every prompt alone.
    hf_times, hf_ids = [], {}
    with torch.no_grad():
        for _ in range(REPS):
            t0 = time.perf_counter()
            for i, p in enumerate(prompts):
                out = model.generate(torch.tensor([p]), attention_mask=torch.ones(1, PROMPT_LEN, dtype=torch.long),
                                     max_new_tokens=GREEDY_NEW, num_beams=1, **common)
                hf_ids[f"p{i:02d}"] = out[0, PROMPT_LEN:].tolist()
            hf_times.append(time.perf_counter() - t0)
    s_busy, s_ids, share = seqflow_run("greedy", f'mode = "greedy"\nmax_new_tokens = {GREEDY_NEW}\neos_token_id = [1]\n'
                                       'batch = { size = 1 }', prompts)
    tokens = sum(len(v) for v in s_ids.values())
    result["greedy_batch1"] = {"tokens": tokens, "seqflow_tokens_per_s": tokens / s_busy,
                               "hf_tokens_per_s": sum(len(v) for v in hf_ids.values()) / statistics.median(hf_times),
                               "speedup": statistics.median(hf_times) / s_busy, "same_ids": s_ids == hf_ids,
                               "decode_share_of_samples": share}
    print(json.dumps(result["greedy_batch1"]), flush=True)

    # Beam search: 16 prompts x 4 beams in one batch.
    hf_times, hf_ids = [], {}
    with torch.no_grad():
        for _ in range(REPS):
            t0 = time.perf_counter()
            out = model.generate(torch.tensor(prompts), attention_mask=torch.ones(PROMPTS, PROMPT_LEN, dtype=torch.long),
                                 max_new_tokens=BEAM_NEW, num_beams=BEAMS, **common)
            hf_times.append(time.perf_counter() - t0)
    for i in range(PROMPTS):
        seq = out[i, PROMPT_LEN:].tolist()
        if 1 in seq:
            seq = seq[:seq.index(1) + 1]
        hf_ids[f"p{i:02d}"] = seq
    s_busy, s_ids, share = seqflow_run("beam", f'mode = "beam"\nnum_beams = {BEAMS}\nmax_new_tokens = {BEAM_NEW}\n'
                                       f'eos_token_id = [1]\nbatch = {{ size = {PROMPTS} }}', prompts)
    tokens = sum(len(v) for v in s_ids.values())
    result["beam_16x4"] = {"tokens": tokens, "seqflow_tokens_per_s": tokens / s_busy,
                           "hf_tokens_per_s": sum(len(v) for v in hf_ids.values()) / statistics.median(hf_times),
                           "speedup": statistics.median(hf_times) / s_busy, "same_ids": s_ids == hf_ids,
                           "ids_differ": [k for k in s_ids if s_ids[k] != hf_ids.get(k)],
                           "decode_share_of_samples": share}
    print(json.dumps(result["beam_16x4"]), flush=True)
    json.dump(result, open(os.path.join(HERE, "data", "bench_generate.json"), "w"), indent=1)
    print("cpu:", result["cpu"], "load:", result["load_avg"])


if __name__ == "__main__":
    main()
