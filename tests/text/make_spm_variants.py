#!/usr/bin/env python3
"""Small SentencePiece .model files (BPE and Unigram, byte fallback, user-defined and control pieces,
whitespace options), trained here with PyPI `sentencepiece` on text from ../shared/data/tokenizers,
and their reference ids and decodes.

Run with the bench venv:  bench/text/.venv/bin/python tests/text/make_spm_variants.py
Writes tests/text/fixtures/spm/<name>.model and <name>.expected.jsonl (ids of sp.encode(text), of
sp.encode(text, add_bos=True, add_eos=True), and sp.decode(ids)).
"""
import io
import json
import os
import random

import sentencepiece as spm

ROOT = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(ROOT, "..", "..", "..", "shared", "data", "tokenizers")
OUT = os.path.join(ROOT, "fixtures", "spm")
os.makedirs(OUT, exist_ok=True)

records = [json.loads(l) for l in open(os.path.join(DATA, "qwen3", "fixture.jsonl"))]
corpus = [r["text"] for r in records if r["src"] != "edge"]
edge = [r["text"] for r in records if r["src"] == "edge" and not r.get("add_special_tokens")]
rng = random.Random(11)
tests = rng.sample(corpus, 60) + edge + ["foo<ud1>bar <ctl> foo  foo", "  two  spaces   and 12345 digits  ",
                                         "\u00e9\u0301 ﬁ ① Ⅻ", ""]
lines = [l for t in corpus for l in t.split("\n") if l.strip()]

variants = {
    "bpe_byte_fallback": dict(model_type="bpe", vocab_size=700, byte_fallback=True,
                              normalization_rule_name="identity", user_defined_symbols=["<ud1>", "foo"],
                              control_symbols=["<ctl>"], character_coverage=0.98),
    "unigram_raw_whitespace": dict(model_type="unigram", vocab_size=700, byte_fallback=True, split_digits=True,
                                   normalization_rule_name="identity", add_dummy_prefix=False,
                                   remove_extra_whitespaces=False, user_defined_symbols=["<ud1>"],
                                   character_coverage=0.98),
    "bpe_no_fallback": dict(model_type="bpe", vocab_size=500, normalization_rule_name="identity",
                            character_coverage=0.98, bos_id=-1, eos_id=-1),
}
for name, opts in variants.items():
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=model, **opts,
                                   minloglevel=2, hard_vocab_limit=False)
    path = os.path.join(OUT, name + ".model")
    open(path, "wb").write(model.getvalue())
    sp = spm.SentencePieceProcessor(model_file=path)
    with open(os.path.join(OUT, name + ".expected.jsonl"), "w") as f:
        for t in tests:
            ids = sp.encode(t)
            try:
                both = [i for i in sp.encode(t, add_bos=True, add_eos=True) if i >= 0]
            except ValueError:  # a model without bos/eos refuses add_bos; seqflow adds nothing
                both = ids
            f.write(json.dumps({"text": t, "ids": ids, "ids_special": both, "decode": sp.decode(ids)},
                               ensure_ascii=False) + "\n")
print("wrote", OUT)
