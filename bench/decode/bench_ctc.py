#!/usr/bin/env python3
"""CTC prefix beam search with a 4-gram word LM: seqflow's decode.ctc_beam next to pyctcdecode (with
kenlm and the same ARPA file), and flashlight-text's lexicon decoder (torchaudio's ctc_decoder is a thin
wrapper over it) where it imports: beam 16, 8 utterances of 1000 frames, V = 32 characters and V = 1000
BPE units (bench/decode/make_data.py makes the data).

Timing: seqflow from the run summary (--stats, the decode stage's busy seconds at --threads 1, so per
thread; the LM loads before the stage runs and is timed apart), the peers around their decode calls in
this process, one thread. Each is repeated REPS times; medians are reported. Transcripts are compared
word for word with pyctcdecode's (and with the spelled reference sentences).

Run: bench/decode/.venv/bin/python bench/decode/bench_ctc.py [build dir, default build]
"""
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(HERE, "data")
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
REPS = int(os.environ.get("REPS", "5"))
BEAM, PRUNE, TOKEN_MIN, ALPHA, BETA, UNK = 16, -10.0, -5.0, 0.5, 1.5, -10.0
# pyctcdecode adds unk_score_offset to the LM's log10 score before alpha x ln(10) scales it; seqflow's
# unk_score is in the final (natural log) units.
UNK_NATS = ALPHA * 2.302585092994046 * UNK
os.environ.setdefault("OMP_NUM_THREADS", "1")


def load(kind):
    files = sorted(f for f in os.listdir(os.path.join(DATA, kind)) if f.endswith(".npy"))
    return [(f[:-4], np.load(os.path.join(DATA, kind, f))) for f in files]


def seqflow(kind, with_lm=True):
    out = os.path.join(DATA, f"seqflow_{kind}")
    os.makedirs(out, exist_ok=True)
    if kind == "chars":
        vocab = 'labels = "../chars.txt"\nword_delimiter = "|"\n'
        res = ""
    else:
        vocab = 'tokenizer = "tok"\n'
        res = '[resources.tok]\nplugin = "decodetest.piece_tokenizer"\npieces = "../pieces.txt"\n'
    lm = 'lm = "../lm.arpa"\n' if with_lm else ""
    pipe = f"""[pipeline]
name = "bench-ctc"
{res}
[[stage]]
name = "read"
plugin = "io.npy_read"
paths = ["../{kind}/*.npy"]
output = "lp"

[[stage]]
name = "decode"
plugin = "decode.ctc_beam"
input = "lp"
{vocab}{lm}beam = {BEAM}
beam_prune_logp = {PRUNE}
token_min_logp = {TOKEN_MIN}
alpha = {ALPHA}
beta = {BETA}
unk_score = {UNK_NATS}

[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = ["id", "text"]
"""
    open(os.path.join(out, "pipeline.toml"), "w").write(pipe)
    env = dict(os.environ, SEQFLOW_PLUGIN_PATH=os.path.join(BUILD, "test_plugins"))
    busy, wall = [], []
    for _ in range(REPS):
        t0 = time.perf_counter()
        subprocess.run([os.path.join(BUILD, "bin", "seqflow"), "run", "pipeline.toml", "--threads", "1",
                        "--no-progress", "--stats", "stats.json"], cwd=out, env=env, check=True,
                       stderr=subprocess.DEVNULL)
        wall.append(time.perf_counter() - t0)
        stats = json.load(open(os.path.join(out, "stats.json")))
        busy.append(next(s["busy_seconds"] for s in stats["stages"] if s["name"] == "decode"))
    texts = {}
    for line in open(os.path.join(out, "out.jsonl")):
        j = json.loads(line)
        texts[j["id"]] = j["text"]
    return statistics.median(busy), statistics.median(wall), texts


def pyctc(kind, utts, with_lm=True):
    from pyctcdecode import build_ctcdecoder
    if kind == "chars":
        chars = open(os.path.join(DATA, "chars.txt")).read().split("\n")[:-1]
        labels = [""] + [" " if c == "|" else c for c in chars[1:]]
    else:
        pieces = open(os.path.join(DATA, "pieces.txt")).read().split("\n")[:-1]
        labels = [""] + pieces[1:]
    t0 = time.perf_counter()
    dec = build_ctcdecoder(labels, kenlm_model_path=os.path.join(DATA, "lm.arpa") if with_lm else None,
                           alpha=ALPHA, beta=BETA, unk_score_offset=UNK)
    load_s = time.perf_counter() - t0
    times, texts = [], {}
    for _ in range(REPS):
        t0 = time.perf_counter()
        for name, lp in utts:
            texts[name] = dec.decode(lp, beam_width=BEAM, beam_prune_logp=PRUNE, token_min_logp=TOKEN_MIN)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), load_s, texts


def flashlight(kind, utts):
    """flashlight-text's LexiconDecoder with KenLM, set up as torchaudio's ctc_decoder does (lexicon: the
    LM's words spelled in characters and "|"; smeared trie of unigram scores). Characters only."""
    try:
        from flashlight.lib.text.decoder import (CriterionType, KenLM, LexiconDecoder, LexiconDecoderOptions,
                                                 SmearingMode, Trie)
        from flashlight.lib.text.dictionary import Dictionary, create_word_dict, load_words
    except ImportError:
        return None
    chars = open(os.path.join(DATA, "chars.txt")).read().split("\n")[:-1]
    lex_path = os.path.join(DATA, "lexicon_chars.txt")
    with open(lex_path, "w") as f:
        for line in open(os.path.join(DATA, "lm.arpa")):
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and " " not in parts[1] and parts[1] not in ("<s>", "</s>", "<unk>") \
                    and all(c in chars for c in parts[1]):
                f.write(parts[1] + "\t" + " ".join(parts[1]) + " |\n")
    t0 = time.perf_counter()
    tokens = Dictionary(chars)
    lexicon = load_words(lex_path)
    words = create_word_dict(lexicon)
    lm = KenLM(os.path.join(DATA, "lm.arpa"), words)
    trie = Trie(tokens.index_size(), tokens.get_index("|"))
    start = lm.start(False)
    for word, spellings in lexicon.items():
        w = words.get_index(word)
        _, score = lm.score(start, w)
        for sp in spellings:
            trie.insert([tokens.get_index(t) for t in sp], w, score)
    trie.smear(SmearingMode.MAX)
    opts = LexiconDecoderOptions(beam_size=BEAM, beam_size_token=len(chars), beam_threshold=-PRUNE,
                                 lm_weight=ALPHA, word_score=BETA, unk_score=float("-inf"), sil_score=0.0,
                                 log_add=False, criterion_type=CriterionType.CTC)
    dec = LexiconDecoder(opts, trie, lm, tokens.get_index("|"), tokens.get_index("_"), words.get_index("<unk>"),
                         [], False)
    load_s = time.perf_counter() - t0
    times, texts = [], {}
    for _ in range(REPS):
        t0 = time.perf_counter()
        for name, lp in utts:
            x = np.ascontiguousarray(lp, dtype=np.float32)
            best = dec.decode(x.ctypes.data, x.shape[0], x.shape[1])[0]
            texts[name] = " ".join(words.get_entry(w) for w in best.words if w >= 0)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), load_s, texts


def word_agreement(a, b):
    """Fraction of utterances with identical transcripts, and the word error rate of b against a."""
    same = sum(a[k] == b[k] for k in a) / len(a)
    errs, total = 0, 0
    for k in a:
        x, y = a[k].split(), b[k].split()
        d = list(range(len(y) + 1))
        for i in range(1, len(x) + 1):
            prev, d[0] = d[0], i
            for j in range(1, len(y) + 1):
                prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x[i - 1] != y[j - 1]))
        errs += d[len(y)]
        total += len(x)
    return same, errs / max(total, 1)


def cpu_name():
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def main():
    results = {"cpu": cpu_name(), "nproc": os.cpu_count(), "load_avg": os.getloadavg(), "reps": REPS,
               "beam": BEAM, "cases": []}
    for kind in ("chars", "bpe"):
        utts = load(kind)
        frames = sum(lp.shape[0] for _, lp in utts)
        refs = dict(zip([n for n, _ in utts], open(os.path.join(DATA, kind, "refs.txt")).read().split("\n")))
        for with_lm in (True, False):
            s_busy, s_wall, s_text = seqflow(kind, with_lm)
            p_time, p_load, p_text = pyctc(kind, utts, with_lm)
            same, wer = word_agreement(p_text, s_text)
            _, s_wer = word_agreement(refs, s_text)
            _, p_wer = word_agreement(refs, p_text)
            row = {"units": kind, "V": int(utts[0][1].shape[1]), "lm": with_lm, "frames": frames,
                   "seqflow_frames_per_s": frames / s_busy, "seqflow_run_wall_s": s_wall,
                   "pyctcdecode_frames_per_s": frames / p_time, "pyctcdecode_load_s": p_load,
                   "speedup": p_time / s_busy, "identical_transcripts": same, "wer_vs_pyctcdecode": wer,
                   "wer_vs_reference": {"seqflow": s_wer, "pyctcdecode": p_wer}}
            if kind == "chars" and with_lm:
                fl = flashlight(kind, utts)
                if fl is not None:
                    f_time, f_load, f_text = fl
                    _, f_wer = word_agreement(refs, f_text)
                    row.update({"flashlight_frames_per_s": frames / f_time, "flashlight_load_s": f_load,
                                "speedup_vs_flashlight": f_time / s_busy,
                                "wer_vs_reference_flashlight": f_wer})
            results["cases"].append(row)
            print(json.dumps(row), flush=True)
    json.dump(results, open(os.path.join(DATA, "bench_ctc.json"), "w"), indent=1)
    print("cpu:", results["cpu"], "load:", results["load_avg"])


if __name__ == "__main__":
    main()
