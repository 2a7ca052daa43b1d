#!/usr/bin/env python3
"""Checks the text_generate pipeline against Hugging Face transformers and writes the e2e expectations.

Run with the venv of make_venv.sh (transformers 4.36.2 over Debian's torch 1.13), from anywhere:
  /work/venv-textgen/bin/python pipelines/text_generate/reference.py [path/to/seqflow]
What it does, on the shipped prompts.jsonl (prompts tokenized by Debian's sentencepiece, no <s>/</s>):
  1. loads model/model.safetensors into transformers.LlamaForCausalLM (strict: every name and shape) and
     into model_def.TinyLlama, and checks that their logits agree (1e-5);
  2. generates with generate(): greedy and beam search (4 beams, length_penalty 1, early_stopping false),
     max_new_tokens 24, eos 2;
  3. runs seqflow on pipeline.toml with the same settings and requires identical prompt ids (text.tokenize
     against sentencepiece) and generated ids, and scores within
     1e-4 (beam: sequences_scores; greedy: the sum of the chosen tokens' log-softmax);
  4. runs seqflow's onednn.run on each prompt + continuation and requires every logit within 1e-4 of
     transformers';
  5. sampling (seed 7, temperature 0.8, top_k 40): seqflow's ids at --threads 1 and 2 must be identical,
     every drawn token inside transformers' top 40 at its prefix, and the score within 1e-4 of the sum of
     log-softmax(top-40 logits / 0.8) of the drawn tokens (transformers' RNG is not seqflow's, so the
     draws themselves cannot be compared);
  6. writes tests/e2e/cases/examples/text_generate_{greedy,beam}/expected/generated.jsonl from
     transformers' ids (text by sentencepiece's decode), and text_generate_sample_threads_{1,2} from
     seqflow's sampled ids once checked as in 5.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import sentencepiece as spm
import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import st_io  # noqa: E402
from model_def import CONFIG, EOS_ID, TinyLlama  # noqa: E402

MAX_NEW = 24
SAMPLE = {"seed": 7, "temperature": 0.8, "top_k": 40}
FIELDS = '["id","generated","continuation"]'
CASES = os.path.join(ROOT, "tests", "e2e", "cases", "examples")
torch.set_num_threads(1)


def hf_model(state):
    c = CONFIG
    cfg = transformers.LlamaConfig(vocab_size=c["vocab_size"], hidden_size=c["hidden_size"],
                                   intermediate_size=c["intermediate_size"],
                                   num_hidden_layers=c["num_hidden_layers"],
                                   num_attention_heads=c["num_attention_heads"],
                                   num_key_value_heads=c["num_attention_heads"], rms_norm_eps=c["rms_norm_eps"],
                                   rope_theta=c["rope_theta"], max_position_embeddings=c["max_position_embeddings"],
                                   tie_word_embeddings=False, bos_token_id=1, eos_token_id=EOS_ID, pad_token_id=0)
    m = transformers.LlamaForCausalLM(cfg)
    m.load_state_dict(state, strict=True)
    return m.eval()


def hf_generate(model, prompt, mode):
    kw = dict(max_new_tokens=MAX_NEW, eos_token_id=EOS_ID, pad_token_id=0, do_sample=False,
              output_scores=True, return_dict_in_generate=True, top_k=None, top_p=None, temperature=None)
    if mode == "beam":
        kw.update(num_beams=4, length_penalty=1.0, early_stopping=False)
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), **kw)
    seq = out.sequences[0, len(prompt):].tolist()
    if EOS_ID in seq:
        seq = seq[:seq.index(EOS_ID) + 1]
    if mode == "beam":
        return seq, out.sequences_scores[0].item()
    score = sum(torch.log_softmax(s[0].double(), -1)[t].item() for s, t in zip(out.scores, seq))
    return seq, score


def run_seqflow(seqflow, args, out_dir):
    cmd = [seqflow, "run", os.path.join(HERE, "pipeline.toml"), "--set", f"write.path={out_dir}/generated.jsonl",
           "--set", 'write.fields=["id","ids","generated","continuation","score"]', "--no-progress"] + args
    subprocess.run(cmd, check=True, capture_output=True)
    with open(os.path.join(out_dir, "generated.jsonl")) as f:
        return {r["id"]: r for r in map(json.loads, f)}


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"


def seqflow_logits(seqflow, layers, seqs, tmp):
    """onednn.run over prompt + continuation ids with pipeline.toml's layer list: [T, V] logits each."""
    with open(os.path.join(tmp, "seqs.jsonl"), "w") as f:
        for name, ids in seqs.items():
            f.write(json.dumps({"id": name, "ids": ids}) + "\n")
    with open(os.path.join(tmp, "logits.toml"), "w") as f:
        f.write(f"""[pipeline]
name = "text-generate-logits"
[resources.model]
plugin = "onednn.model"
weights = {json.dumps(os.path.join(HERE, "model", "model.safetensors"))}
layers = {toml_value(layers)}
[[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["seqs.jsonl"]
fields = {{ ids = "tensor:i64" }}
[[stage]]
name = "model"
plugin = "onednn.run"
model = "model"
input = "ids"
output = "logits"
[[stage]]
name = "write"
plugin = "io.npy_write"
dir = "logits"
input = "logits"
""")
    subprocess.run([seqflow, "run", os.path.join(tmp, "logits.toml"), "--no-progress"], check=True,
                   capture_output=True)
    return {name: np.load(os.path.join(tmp, "logits", f"{name}.npy")) for name in seqs}


def write_case(name, rows, threads):
    d = os.path.join(CASES, name)
    os.makedirs(os.path.join(d, "expected"), exist_ok=True)
    with open(os.path.join(d, "expected", "generated.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n")
    mode = name.split("_")[2]
    sets = {"greedy": "", "beam": " --set generate.mode=beam --set generate.num_beams=4",
            "sample": "".join(f" --set generate.{k}={v}" for k, v in [("mode", "sample")] + list(SAMPLE.items()))}[mode]
    with open(os.path.join(d, "args"), "w") as f:
        f.write(f"run ../../../../../pipelines/text_generate/pipeline.toml --set write.path={{out}}/generated.jsonl "
                f"--set write.fields={FIELDS}{sets} --threads {threads} --no-progress\n")


def main():
    import tomllib
    seqflow = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bin", "seqflow")
    sp = spm.SentencePieceProcessor(model_file=os.path.join(HERE, "model", "tokenizer.model"))
    state = st_io.load(os.path.join(HERE, "model", "model.safetensors"))
    hf = hf_model(state)
    mine = TinyLlama().eval()
    mine.load_state_dict(state)
    with open(os.path.join(HERE, "prompts.jsonl")) as f:
        prompts = [json.loads(l) for l in f if l.strip()]
    with open(os.path.join(HERE, "pipeline.toml"), "rb") as f:
        layers = tomllib.load(f)["resources"]["model"]["layers"]
    worst = {"hf_vs_model_def": 0.0, "seqflow_logits": 0.0, "score": 0.0}
    text_mismatches = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode, args in (("greedy", []), ("beam", ["--set", "generate.mode=beam", "--set", "generate.num_beams=4"])):
            got = run_seqflow(seqflow, args + ["--threads", "2"], os.path.join(tmp, mode))
            rows, seqs = [], {}
            for p in prompts:
                ids = sp.encode(p["text"])
                gen, score = hf_generate(hf, ids, mode)
                s = got[p["id"]]
                assert s["ids"] == ids, f"{p['id']}: text.tokenize {s['ids']} != sentencepiece {ids}"
                assert s["generated"] == gen, f"{mode} {p['id']}: seqflow {s['generated']} != transformers {gen}"
                worst["score"] = max(worst["score"], abs(s["score"] - score))
                assert abs(s["score"] - score) < 1e-4, f"{mode} {p['id']}: score {s['score']} vs {score}"
                text = sp.decode([t for t in gen if t != EOS_ID])
                if s["continuation"] != text:
                    text_mismatches.append(f"{mode} {p['id']}: seqflow {s['continuation']!r}, sentencepiece {text!r}")
                rows.append({"id": p["id"], "generated": gen, "continuation": text})
                seqs[f"{mode}_{p['id']}"] = ids + gen
                print(f"{mode:6} {p['id']:9} {p['text']!r} -> {text!r}")
            with torch.no_grad():
                for name, ids in seqs.items():
                    x = torch.tensor([ids])
                    a, b = hf(x).logits[0], mine(x)[0]
                    worst["hf_vs_model_def"] = max(worst["hf_vs_model_def"], (a - b).abs().max().item())
            sf = seqflow_logits(seqflow, layers, seqs, os.path.join(tmp, mode))
            with torch.no_grad():
                for name, ids in seqs.items():
                    ref = hf(torch.tensor([ids])).logits[0].numpy()
                    assert sf[name].shape == ref.shape, (name, sf[name].shape, ref.shape)
                    worst["seqflow_logits"] = max(worst["seqflow_logits"], float(np.abs(sf[name] - ref).max()))
            write_case(f"text_generate_{mode}", rows, 2)
        sample_args = ["--set", "generate.mode=sample"] + [x for k, v in SAMPLE.items()
                                                           for x in ("--set", f"generate.{k}={v}")]
        one = run_seqflow(seqflow, sample_args + ["--threads", "1"], os.path.join(tmp, "s1"))
        two = run_seqflow(seqflow, sample_args + ["--threads", "2"], os.path.join(tmp, "s2"))
        rows = []
        for p in prompts:
            a, b = one[p["id"]], two[p["id"]]
            assert a == b, f"sample {p['id']}: 1 thread {a} != 2 threads {b}"
            ids, score = sp.encode(p["text"]), 0.0
            with torch.no_grad():
                for i, t in enumerate(a["generated"]):
                    logits = hf(torch.tensor([ids + a["generated"][:i]])).logits[0, -1].double()
                    kth = torch.topk(logits, SAMPLE["top_k"]).values[-1]
                    assert logits[t] >= kth, f"sample {p['id']} step {i}: token {t} outside the top {SAMPLE['top_k']}"
                    kept = torch.where(logits >= kth, logits / SAMPLE["temperature"], torch.tensor(-float("inf")).double())
                    score += torch.log_softmax(kept, -1)[t].item()
            worst["score"] = max(worst["score"], abs(a["score"] - score))
            assert abs(a["score"] - score) < 1e-4, f"sample {p['id']}: score {a['score']} vs {score}"
            rows.append({"id": p["id"], "generated": a["generated"], "continuation": a["continuation"]})
            print(f"sample {p['id']:9} {p['text']!r} -> {a['continuation']!r}")
        for threads in (1, 2):
            write_case(f"text_generate_sample_threads_{threads}", rows, threads)
    print("max abs differences:", json.dumps(worst))
    assert worst["hf_vs_model_def"] < 1e-5 and worst["seqflow_logits"] < 1e-4, worst
    assert not text_mismatches, "text.detokenize differs from sentencepiece's decode:\n" + "\n".join(text_mismatches)


if __name__ == "__main__":
    main()
