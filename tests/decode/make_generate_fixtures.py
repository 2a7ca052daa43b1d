#!/usr/bin/env python3
"""Reference generations for decode.generate from Hugging Face transformers' generate().

Run with bench/decode/.venv/bin/python (made by bench/decode/make_venv.sh: torch and transformers from
PyPI). The models are the step-capable parity fixtures of tests/onednn, loaded with the same weights:
  gpt2_lm          transformers.GPT2LMHeadModel (its own class and weight names)
  llama_lm         transformers.LlamaForCausalLM
  whisper_decoder  the fixture's reference module (openai-whisper's TextDecoder, tests/onednn/
                   make_fixtures.py) wrapped as a transformers model, so that generate() drives it with
                   the memory fixed per record (memory = the fixture's `mem` embedding of the record's
                   tokens, as its memory_model computes); the decoder start token is its prompt
Every prompt is generated alone (batch 1: no padding). Writes tests/decode/fixtures/generate_hf.json.
CI never runs this script: the fixture is committed.
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
ONEDNN = os.path.join(HERE, "..", "onednn")
sys.path.insert(0, ONEDNN)
import make_fixtures  # noqa: E402  (the reference modules; importing runs nothing)

torch.set_num_threads(1)
VOCAB = 40


def gpt2():
    cfg = transformers.GPT2Config(vocab_size=VOCAB, n_positions=64, n_embd=16, n_layer=2, n_head=4,
                                  activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                                  layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=1, pad_token_id=1)
    m = transformers.GPT2LMHeadModel(cfg)
    state = load_file(os.path.join(ONEDNN, "fixtures", "gpt2_lm", "model.safetensors"))
    missing, unexpected = m.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    assert all(k in ("lm_head.weight",) or k.endswith(".attn.bias") or k.endswith("masked_bias") for k in missing), missing
    m.tie_weights()
    return m.eval()


def llama():
    cfg = transformers.LlamaConfig(vocab_size=VOCAB, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                   num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6,
                                   rope_theta=10000.0, max_position_embeddings=64, tie_word_embeddings=False,
                                   bos_token_id=0, eos_token_id=1, pad_token_id=1)
    m = transformers.LlamaForCausalLM(cfg)
    state = load_file(os.path.join(ONEDNN, "fixtures", "llama_lm", "model.safetensors"))
    missing, unexpected = m.load_state_dict(state, strict=False)
    assert not unexpected and not missing, (missing, unexpected)
    return m.eval()


class WhisperLM(transformers.PreTrainedModel, transformers.GenerationMixin):
    """The fixture's WhisperDecoder as a causal LM over decoder tokens, cross-attending to `memory`."""
    config_class = transformers.PretrainedConfig

    def __init__(self, config, decoder):
        super().__init__(config)
        self.decoder = decoder
        self.memory = None

    def forward(self, input_ids, attention_mask=None, **kwargs):
        d = self.decoder
        x = d.token_embedding(input_ids) + d.positional_embedding[: input_ids.shape[1]]
        xa = self.memory.expand(input_ids.shape[0], -1, -1)
        for block in d.blocks:
            x = block(x, xa, make_fixtures.causal(input_ids.shape[1]))
        logits = d.ln(x) @ d.token_embedding.weight.T
        return transformers.modeling_outputs.CausalLMOutput(logits=logits)

    def prepare_inputs_for_generation(self, input_ids, **kwargs):
        return {"input_ids": input_ids}


def whisper():
    dec = make_fixtures.WhisperDecoder(VOCAB, 16, 4, 32, 2)
    state = load_file(os.path.join(ONEDNN, "fixtures", "whisper_decoder", "model.safetensors"))
    dec.load_state_dict(state)
    cfg = transformers.PretrainedConfig(vocab_size=VOCAB, bos_token_id=0, eos_token_id=1, pad_token_id=1,
                                        is_encoder_decoder=False)
    return WhisperLM(cfg, dec.eval()).eval()


PROMPTS = [[5, 17, 3], [22, 16, 24, 15, 29], [9], [30, 2, 2, 7, 11, 38, 4]]
MEM_TOKENS = [[3, 9, 27, 14, 5, 8], [12, 30, 7], [2, 2, 19, 33, 21, 6, 17, 4, 25], [11, 13]]

CONFIGS = [
    {"name": "greedy", "mode": "greedy", "max_new_tokens": 12},
    {"name": "greedy_eos", "mode": "greedy", "max_new_tokens": 15, "eos_token_id": [7, 15, 27]},
    {"name": "greedy_penalties", "mode": "greedy", "max_new_tokens": 16, "repetition_penalty": 1.3,
     "no_repeat_ngram_size": 2, "min_new_tokens": 4, "eos_token_id": [3, 8]},
    {"name": "beam4", "mode": "beam", "num_beams": 4, "max_new_tokens": 10, "eos_token_id": [27, 20],
     "num_return_sequences": 2},
    {"name": "beam3_lp", "mode": "beam", "num_beams": 3, "max_new_tokens": 12, "eos_token_id": [5, 11, 17],
     "length_penalty": 0.6, "no_repeat_ngram_size": 3},
    {"name": "beam5_early", "mode": "beam", "num_beams": 5, "max_new_tokens": 9, "eos_token_id": [15, 17],
     "early_stopping": True, "repetition_penalty": 1.2, "num_return_sequences": 3},
    {"name": "beam4_never", "mode": "beam", "num_beams": 4, "max_new_tokens": 8, "eos_token_id": [4, 13, 27],
     "early_stopping": "never", "length_penalty": 1.5},
]


def run(model, prompt, cfg, memory=None):
    kw = dict(max_new_tokens=cfg["max_new_tokens"], do_sample=False, num_beams=cfg.get("num_beams", 1),
              num_return_sequences=cfg.get("num_return_sequences", 1), output_scores=True,
              return_dict_in_generate=True, min_new_tokens=cfg.get("min_new_tokens", 0),
              repetition_penalty=cfg.get("repetition_penalty", 1.0),
              no_repeat_ngram_size=cfg.get("no_repeat_ngram_size", 0),
              length_penalty=cfg.get("length_penalty", 1.0), early_stopping=cfg.get("early_stopping", False),
              eos_token_id=cfg.get("eos_token_id", 39), pad_token_id=1,
              top_k=None, top_p=None, temperature=None, use_cache=False)
    if memory is not None:
        model.memory = memory
    ids = torch.tensor([prompt])
    with torch.no_grad():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), **kw)
    seqs = [s[len(prompt):].tolist() for s in out.sequences]
    # Drop the padding generate() adds after an eos (or after a shorter beam).
    eos = kw["eos_token_id"] if isinstance(kw["eos_token_id"], list) else [kw["eos_token_id"]]
    clean = []
    for s in seqs:
        c = []
        for t in s:
            c.append(t)
            if t in eos:
                break
        clean.append(c)
    scores = out.sequences_scores.tolist() if getattr(out, "sequences_scores", None) is not None else None
    return clean, scores


def main():
    models = {"gpt2_lm": gpt2(), "llama_lm": llama(), "whisper_decoder": whisper()}
    # Sanity: the HF models give the onednn fixtures' expected logits.
    for name in ("gpt2_lm", "llama_lm"):
        x = np.load(os.path.join(ONEDNN, "fixtures", name, "inputs", "r0.npy"))
        want = np.load(os.path.join(ONEDNN, "fixtures", name, "expected", "r0.npy"))
        with torch.no_grad():
            got = models[name](torch.tensor(x[None].astype(np.int64))).logits[0].numpy()
        assert np.abs(got - want).max() < 1e-4, (name, np.abs(got - want).max())
    cases = []
    for name, model in models.items():
        for cfg in CONFIGS:
            for i, p in enumerate(PROMPTS):
                memory, mem_tokens = None, None
                prompt = p
                if name == "whisper_decoder":
                    mem_tokens = MEM_TOKENS[i]
                    with torch.no_grad():
                        memory = model.decoder.mem(torch.tensor([mem_tokens]))
                    prompt = [p[0]]  # the decoder start token
                seqs, scores = run(model, prompt, cfg, memory)
                cases.append({"model": name, "config": cfg["name"], "record": f"r{i}", "prompt": prompt,
                              "memory_tokens": mem_tokens, "ids": seqs, "scores": scores})
    out = {"generated_by": "tests/decode/make_generate_fixtures.py", "transformers": transformers.__version__,
           "torch": torch.__version__, "configs": CONFIGS, "cases": cases}
    with open(os.path.join(HERE, "fixtures", "generate_hf.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", len(cases), "cases")


if __name__ == "__main__":
    main()
