#!/usr/bin/python3
"""Reference outputs for the CTC tests (tests/decode/ctc_test.cpp), from oracles independent of seqflow:

- brute force: for small T and V, every one of the V^T alignments is enumerated, collapsed (repeats
  merged, blanks removed) and its probability added to its labelling's; the labellings ranked by exact
  probability give the true n-best list that an unpruned prefix beam search must find;
- torch.nn.functional.ctc_loss (Debian's python3-torch) gives -log P(labelling) for every labelling
  stored, the brute-force ones and, for inputs too large to enumerate, the greedy labelling and variants
  of it with one label dropped, changed or inserted.

Run with Debian's /usr/bin/python3 (torch 1.13); writes tests/decode/fixtures/ctc_cases.json.
"""
import itertools
import json
import math
import os

import torch

torch.manual_seed(1234)
rng = torch.Generator().manual_seed(99)


def ctc_nll(logprobs, labels, blank):
    lp = torch.tensor(logprobs, dtype=torch.float64).unsqueeze(1)  # [T, 1, V]
    T = lp.shape[0]
    if len(labels) == 0:
        tgt = torch.zeros((1, 0), dtype=torch.long)
    else:
        tgt = torch.tensor([labels], dtype=torch.long)
    loss = torch.nn.functional.ctc_loss(lp, tgt, torch.tensor([T]), torch.tensor([len(labels)]), blank=blank,
                                        reduction="sum", zero_infinity=False)
    return -float(loss)


def collapse(path, blank):
    out, prev = [], None
    for s in path:
        if s != blank and s != prev:
            out.append(s)
        prev = s
    return tuple(out)


def random_logprobs(T, V, sharpness):
    x = torch.randn(T, V, generator=rng, dtype=torch.float64) * sharpness
    return torch.log_softmax(x, dim=-1).float().double()  # float32 values, as the decoder reads them


cases = []
for i, (T, V, blank, sharp) in enumerate([(3, 2, 0, 1.0), (4, 3, 0, 1.5), (5, 3, 1, 1.0), (5, 4, 0, 2.0),
                                          (6, 3, 2, 1.2), (6, 4, 0, 0.7), (7, 3, 0, 1.8), (7, 4, 3, 1.0),
                                          (4, 5, 0, 3.0), (8, 3, 0, 1.0)]):
    lp = random_logprobs(T, V, sharp)
    probs = {}
    for path in itertools.product(range(V), repeat=T):
        p = float(sum(lp[t, s] for t, s in enumerate(path)))
        lab = collapse(path, blank)
        probs[lab] = probs.get(lab, -math.inf)
        m = max(probs[lab], p)
        probs[lab] = m + math.log(math.exp(probs[lab] - m) + math.exp(p - m))
    ranked = sorted(probs.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    cases.append({
        "name": f"brute_{i}", "blank": blank, "logprobs": lp.tolist(),
        "nbest": [{"ids": list(lab), "brute": p, "torch": ctc_nll(lp.tolist(), list(lab), blank)}
                  for lab, p in ranked],
    })

# Larger inputs: peaky frames as a trained model's; torch scores for the greedy labelling and variants.
for i, (T, V, blank) in enumerate([(40, 6, 0), (60, 8, 0), (100, 12, 5)]):
    x = torch.randn(T, V, generator=rng, dtype=torch.float64) * 1.5
    hot = torch.randint(0, V, (T,), generator=rng)
    x[torch.arange(T), hot] += 4.0
    lp = torch.log_softmax(x, dim=-1).float().double()
    greedy = list(collapse(lp.argmax(dim=-1).tolist(), blank))
    variants = [greedy]
    for j in range(min(len(greedy), 6)):
        variants.append(greedy[:j] + greedy[j + 1:])
        variants.append(greedy[:j] + [(greedy[j] % (V - 1)) + (1 if blank == 0 else 0)] + greedy[j + 1:])
    seen, labellings = set(), []
    for v in variants:
        if tuple(v) not in seen and all(s != blank for s in v):
            seen.add(tuple(v))
            labellings.append({"ids": v, "torch": ctc_nll(lp.tolist(), v, blank)})
    cases.append({"name": f"large_{i}", "blank": blank, "logprobs": lp.tolist(), "labellings": labellings})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "ctc_cases.json")
with open(out, "w") as f:
    json.dump({"generated_by": "tests/decode/make_ctc_fixtures.py", "cases": cases}, f, indent=0)
print("wrote", out)
