"""A reference CTC prefix beam search with a lexicon, in plain Python, to check decode.ctc_beam's transcripts.

Written from the algorithm (Hannun et al. 2014) and decode.ctc_beam's documented rules
(plugins/decode/README.md), not from its code: per frame, each prefix keeps the log-probabilities of its
alignments ending in a blank and in its last label; a repeated label extends the prefix only across a
blank; the candidates of a frame are the non-blank outputs with log-probability >= token_min_logp plus the
frame's best output; the `beam` most probable prefixes are kept (ties: the smaller id sequence), less
those more than |beam_prune_logp| behind the best. With a lexicon, a prefix whose open word is no prefix
of a lexicon word, or whose completed word is not one, is dropped. Each prefix keeps the frames of its
most probable contribution (for word times). No LM: scores are acoustic only.
"""
import math

NEG_INF = float("-inf")


def lse(a, b):
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    m = max(a, b)
    return m + math.log1p(math.exp(-abs(a - b)))


class Prefix:
    __slots__ = ("ids", "word", "done_ok")

    def __init__(self, ids, word, done_ok):
        self.ids = ids          # tuple of label ids
        self.word = word        # the open word's spelling ("" when none is open)
        self.done_ok = done_ok  # every completed word is a lexicon word


def decode(logp, labels, lexicon, blank=0, delim="|", beam=16, token_min_logp=-5.0, beam_prune_logp=-10.0,
           frame_shift=0.04):
    """logp: list of rows (lists of floats). Returns (text, ids, frames, word_times)."""
    words = set(lexicon)
    prefixes_of = {w[:k] for w in lexicon for k in range(len(w) + 1)}
    delim_id = labels.index(delim)

    def extend(p, c):
        if c == delim_id:
            ok = p.done_ok and (p.word == "" or p.word in words)
            return Prefix(p.ids + (c,), "", ok)
        w = p.word + labels[c]
        return Prefix(p.ids + (c,), w, p.done_ok)

    def alive(p):
        return p.done_ok and p.word in prefixes_of

    root = Prefix((), "", True)
    # state per prefix ids: [prefix, pb, pnb, best contribution, its frames]
    beam_list = [[root, 0.0, NEG_INF, 0.0, ()]]
    vocab = len(labels)
    for t, row in enumerate(logp):
        top = max(range(vocab), key=lambda c: (row[c], -c))
        cands = [c for c in range(vocab) if c != blank and (c == top or row[c] >= token_min_logp)]
        nxt = {}
        order = []

        def add(p, pb, pnb, frames):
            e = nxt.get(p.ids)
            if e is None:
                e = [p, NEG_INF, NEG_INF, NEG_INF, frames]
                nxt[p.ids] = e
                order.append(p.ids)
            if pb != NEG_INF:
                e[1] = lse(e[1], pb)
            if pnb != NEG_INF:
                e[2] = lse(e[2], pnb)
            v = max(pb, pnb)
            if v > e[3]:
                e[3] = v
                e[4] = frames

        for p, pb, pnb, _, frames in beam_list:
            add(p, lse(pb, pnb) + row[blank], NEG_INF, frames)
            if p.ids and pnb != NEG_INF:
                add(p, NEG_INF, pnb + row[p.ids[-1]], frames)
        for p, pb, pnb, _, frames in beam_list:
            total = lse(pb, pnb)
            last = p.ids[-1] if p.ids else -1
            for c in cands:
                v = pb + row[c] if c == last else total + row[c]
                if v == NEG_INF:
                    continue
                q = extend(p, c)
                if not alive(q):
                    continue
                add(q, NEG_INF, v, frames + (t,))
        scored = [(lse(nxt[k][1], nxt[k][2]), k) for k in order]
        scored = [s for s in scored if s[0] != NEG_INF]
        scored.sort(key=lambda s: (-s[0], s[1]))
        scored = scored[:beam]
        if scored:
            floor = scored[0][0] + beam_prune_logp
            while len(scored) > 1 and scored[-1][0] < floor:
                scored.pop()
        beam_list = [nxt[k] for _, k in scored]
        if not beam_list:
            break

    finals = []
    for p, pb, pnb, _, frames in beam_list:
        if not p.done_ok or (p.word and p.word not in words):
            continue
        finals.append((lse(pb, pnb), p.ids, frames))
    if not finals:
        return "", [], [], []
    finals.sort(key=lambda f: (-f[0], f[1]))
    _, ids, frames = finals[0]
    text_words, times = [], []
    cur, first, last = "", None, None
    for i, c in enumerate(ids):
        if c == delim_id:
            if cur:
                text_words.append(cur)
                times.append((frames[first] * frame_shift, (frames[last] + 1) * frame_shift))
            cur, first = "", None
        else:
            if first is None:
                first = i
            cur += labels[c]
            last = i
    if cur:
        text_words.append(cur)
        times.append((frames[first] * frame_shift, (frames[last] + 1) * frame_shift))
    return " ".join(text_words), list(ids), list(frames), times
