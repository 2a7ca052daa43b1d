#!/usr/bin/env python3
"""Reference decodes of byte pieces by sentencepiece itself, for the byte-fallback .model fixtures.

sentencepiece decodes a run of byte pieces one UTF-8 character at a time: a valid character is kept and
every byte that starts no valid character becomes U+FFFD (Hugging Face's ByteFallback decoder instead
turns a whole invalid run into one U+FFFD per byte). Random runs of byte pieces, valid and invalid UTF-8,
mixed with ordinary pieces, decoded by sp.decode.

Run with Debian's python3-sentencepiece:  /usr/bin/python3 tests/text/make_spm_byte_decodes.py
Writes tests/text/fixtures/spm/<name>.byte_decodes.jsonl ({"decode_ids": [...], "decode": "..."}).
"""
import json
import os
import random

import sentencepiece as spm

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "spm")
# Byte strings that exercise UTF-8's edges: truncated, overlong, surrogates, past U+10FFFF, stray
# continuations, and valid 1- to 4-byte characters.
EDGES = [b"\xe2\x41", b"\xe2\x82", b"\xe2\x82\xac", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
         b"\x80\x80", b"\xf0\x9f\x98\x80", b"\xc3\xa9\xe2", b"\xff", b"\xf0\x9f\x98", b"a\xcc\x81"]

for name in ("bpe_byte_fallback", "unigram_raw_whitespace"):
    sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, name + ".model"))
    byte_id = {b: sp.piece_to_id("<0x%02X>" % b) for b in range(256)}
    assert all(not sp.is_unknown(i) for i in byte_id.values()), name + " has no byte pieces"
    normal = [i for i in range(sp.get_piece_size())
              if not (sp.is_byte(i) or sp.is_control(i) or sp.is_unknown(i))]
    rng = random.Random(5)
    seqs = [[byte_id[b] for b in e] for e in EDGES]
    for _ in range(200):
        ids = []
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 0.3:
                ids.append(rng.choice(normal))
            elif rng.random() < 0.5:
                ids += [byte_id[b] for b in rng.choice(EDGES)]
            else:
                ids += [byte_id[rng.randrange(256)] for _ in range(rng.randint(1, 4))]
        seqs.append(ids)
    with open(os.path.join(OUT, name + ".byte_decodes.jsonl"), "w") as f:
        for ids in seqs:
            f.write(json.dumps({"decode_ids": ids, "decode": sp.decode(ids)}, ensure_ascii=False) + "\n")
print("wrote", OUT)
