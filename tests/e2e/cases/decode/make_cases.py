#!/usr/bin/env python3
"""Writes the decode e2e cases (tests/e2e/cases/decode/<case>/): constructed inputs whose outputs are
worked out by hand (in each pipeline's first-line comment), and malformed configurations, labels files
and ARPA models with the exact errors they must give. Run: python3 tests/e2e/cases/decode/make_cases.py"""
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = HERE
for entry in os.listdir(ROOT):
    if os.path.isdir(os.path.join(ROOT, entry)):
        shutil.rmtree(os.path.join(ROOT, entry))
LABELS = "_\na\nb\nc\n|\n"
def fr(hot):  # a frame: log-prob -0.1 on `hot`, -3 elsewhere (argmax is what matters)
    return [-0.1 if i == hot else -3.0 for i in range(5)]
# a a _ b | | c _  -> "ab c", ids 1 2 4 3, frames 0 3 4 6
SPELL = [fr(1), fr(1), fr(0), fr(2), fr(4), fr(4), fr(3), fr(0)]
READ = '''[[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["input.jsonl"]
fields = { lp = "tensor:f32" }
'''
def write(case, pipeline, files, exit_code=None, stderr=None, expected=None, comment=""):
    d = os.path.join(ROOT, case)
    os.makedirs(d)
    with open(os.path.join(d, "pipeline.toml"), "w") as f:
        f.write(f"# {comment}\n[pipeline]\nname = \"decode-e2e\"\n" + pipeline)
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    if exit_code is not None:
        open(os.path.join(d, "expected_exit"), "w").write(f"{exit_code}\n")
    if stderr is not None:
        open(os.path.join(d, "expected_stderr"), "w").write(stderr + "\n")
    if expected is not None:
        os.makedirs(os.path.join(d, "expected"))
        for name, text in expected.items():
            open(os.path.join(d, "expected", name), "w").write(text)
        # Outputs go to the driver's fresh folder.
        open(os.path.join(d, "args"), "w").write(
            "run pipeline.toml --threads 2 --no-progress --set write.path={out}/out.jsonl\n")
def inp(frames, rid="u1"):
    return json.dumps({"id": rid, "lp": frames}) + "\n"
def ctc(plugin, extra, fields='["id", "text", "ids", "frames", "word_times"]'):
    return READ + f'''[[stage]]
name = "decode"
plugin = "decode.{plugin}"
input = "lp"
{extra}
[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = {fields}
'''

# ---- outputs worked out by hand ----
expect = '{"id":"u1","text":"ab c","ids":[1,2,4,3],"frames":[0,3,4,6],"word_times":[[0.0,2.0],[3.0,3.5]]}\n'
for plugin, extra in [("ctc_greedy", ""), ("ctc_beam", "beam = 8\n")]:
    write(f"{plugin}_word_times", ctc(plugin, 'labels = "labels.txt"\nframe_shift = 0.5\n' + extra),
          {"labels.txt": LABELS, "input.jsonl": inp(SPELL)}, expected={"out.jsonl": expect},
          comment=f"{plugin}: frames spell a a _ b | | c _: words 'ab' (frames 0-3, end (3+1) x 0.5 s) and 'c' (frame 6)")
# tokenizer path through the test double: pieces <blank> ▁he llo ▁wor ld
PIECES = "<blank>\n\u2581he\nllo\n\u2581wor\nld\n"
def fr5(hot): return [-0.05 if i == hot else -4.0 for i in range(5)]
TOK = [fr5(1), fr5(0), fr5(2), fr5(0), fr5(3), fr5(3), fr5(4), fr5(0)]
write("ctc_beam_tokenizer", '''[resources.tok]
plugin = "decodetest.piece_tokenizer"
pieces = "pieces.txt"
''' + ctc("ctc_beam", 'tokenizer = "tok"\nframe_shift = 0.25\nbeam = 4\n'),
      {"pieces.txt": PIECES, "input.jsonl": inp(TOK)},
      expected={"out.jsonl": '{"id":"u1","text":"hello world","ids":[1,2,3,4],"frames":[0,2,4,6],"word_times":[[0.0,0.75],[1.0,1.75]]}\n'},
      comment="ctc_beam over SentencePiece units of a tokenizer resource (the test double of seqflow.text.tokenizer): ▁he llo ▁wor ld")
# classify: probabilities given (softmax = false), mean over two frames; classes 1 and 2 tie: lower id first
CLS_READ = READ.replace('lp = "tensor:f32"', 'p = "tensor:f32"')
write("classify_mean_top3", CLS_READ + '''[[stage]]
name = "classify"
plugin = "decode.classify"
input = "p"
labels = "labels.txt"
softmax = false
top_k = 3
[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = ["id", "label", "score", "top_ids", "top_probs"]
''', {"labels.txt": "cat\ndog\nbird\nfish\n",
       "input.jsonl": json.dumps({"id": "x", "p": [[0.75, 0.25, 0.0, 0.0], [0.25, 0.0, 0.25, 0.5]]}) + "\n"},
      expected={"out.jsonl": '{"id":"x","label":"cat","score":0.5,"top_ids":[0,3,1],"top_probs":[0.5,0.25,0.125]}\n'},
      comment="mean of [.75 .25 0 0] and [.25 0 .25 .5] = [.5 .125 .125 .25]: cat 0.5, then fish, then dog before bird (tie: lower id)")
write("classify_softmax_last", CLS_READ + '''[[stage]]
name = "classify"
plugin = "decode.classify"
input = "p"
pool = "last"
top_k = 2
[[stage]]
name = "write"
plugin = "io.jsonl_write"
path = "out.jsonl"
fields = ["id", "label", "score", "top_ids", "top_probs"]
''', {"input.jsonl": json.dumps({"id": "x", "p": [[9.0, 1.0, 1.0], [0.5, 3.0, 3.0]]}) + "\n"},
      expected={"out.jsonl": '{"id":"x","label":"1","score":0.48028778876026895,"top_ids":[1,2],"top_probs":[0.4802878,0.4802878]}\n'},
      comment="last frame [.5 3 3]: softmax 1/(e^-2.5 + 1 + 1) = 0.48028778876026895 (Python, the same order of operations); no labels: the id; tie -> 1 first")

# ---- errors ----
E = lambda case, pipe, files, code, msg, comment: write(case, pipe, files, code, msg, comment=comment)
E("ctc_labels_size_mismatch", ctc("ctc_greedy", 'labels = "labels.txt"\n'),
  {"labels.txt": "_\na\nb\nc\n", "input.jsonl": inp(SPELL)}, 1,
  "field 'lp' has 5 scores per frame but {case}/labels.txt has 4 entries; the vocabulary must list one symbol per model output, the blank included",
  "a labels file of 4 lines for a model with 5 outputs")
E("ctc_blank_outside_vocabulary", ctc("ctc_beam", 'labels = "labels.txt"\nblank = 5\n'),
  {"labels.txt": LABELS, "input.jsonl": inp(SPELL)}, 1,
  "blank 5 is outside the 5 entries of {case}/labels.txt (ids 0..4)", "blank = 5 with 5 labels")
E("ctc_labels_duplicate", ctc("ctc_greedy", 'labels = "labels.txt"\n'),
  {"labels.txt": "_\na\nb\na\n|\n", "input.jsonl": inp(SPELL)}, 1,
  "{case}/labels.txt:4: label 'a' is also on line 2; labels must be distinct", "a label listed twice")
E("ctc_labels_empty_line", ctc("ctc_greedy", 'labels = "labels.txt"\n'),
  {"labels.txt": "_\na\n\nc\n|\n", "input.jsonl": inp(SPELL)}, 1,
  "{case}/labels.txt:3: empty label; every line names the symbol of one output index", "an empty line in the labels file")
E("ctc_no_vocabulary", ctc("ctc_greedy", ''),
  {"input.jsonl": inp(SPELL)}, 1, "give exactly one of `labels` (a vocabulary file) and `tokenizer`", "neither labels nor tokenizer")
E("ctc_input_not_a_matrix", ctc("ctc_greedy", 'labels = "labels.txt"\n'),
  {"labels.txt": LABELS, "input.jsonl": inp([-0.1, -3, -3, -3, -3])}, 1,
  "field 'lp' has shape [5]; expected [T, V] (frames x vocabulary)", "a 1-D input")
E("ctc_nbest_above_beam", ctc("ctc_beam", 'labels = "labels.txt"\nbeam = 4\nnbest = 5\n'),
  {"labels.txt": LABELS, "input.jsonl": inp(SPELL)}, 1, "nbest must be between 1 and beam (4), got 5", "nbest above beam")
E("ctc_hotword_boost_not_a_number", ctc("ctc_beam", 'labels = "labels.txt"\nhotwords = { "ab" = "high" }\n'),
  {"labels.txt": LABELS, "input.jsonl": inp(SPELL)}, 1, "hotwords: the boost of 'ab' must be a number", "a hotword boost given as a string")
ARPA_HEAD = "\\data\\\nngram 1=4\n\n\\1-grams:\n-1.0 <s>\n-0.5 </s>\n-0.3 ab\n"
arpa_cases = [
  ("arpa_missing_data_section", "ngram 1=2\n\\1-grams:\n-1 <s>\n-1 </s>\n\\end\\\n", "{case}/lm.arpa: no \\data\\ section: this is not an ARPA language model", "no \\data\\ line"),
  ("arpa_malformed_probability", ARPA_HEAD + "abc c\n\n\\end\\\n", "{case}/lm.arpa:8: 'abc' is not a log10 probability (a number <= 0)", "a 1-gram line whose probability is not a number"),
  ("arpa_missing_end", ARPA_HEAD + "-0.4 c\n", "{case}/lm.arpa: the file ends without '\\end\\' (truncated?)", "a truncated file"),
  ("arpa_count_mismatch", ARPA_HEAD + "\n\\end\\\n", "{case}/lm.arpa:9: the \\1-grams: section has 3 entries but \\data\\ announced 4", "\\data\\ announces more 1-grams than listed"),
  ("arpa_unknown_word_in_bigram", "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1 <s> -0.2\n-0.5 </s>\n-0.3 ab\n\n\\2-grams:\n-0.1 <s> zz\n\n\\end\\\n",
   "{case}/lm.arpa:11: the word 'zz' is not among the 1-grams: every word of an n-gram must be a unigram", "a bigram over a word that is no unigram"),
  ("arpa_too_many_fields", "\\data\\\nngram 1=3\n\n\\1-grams:\n-1 <s>\n-0.5 </s>\n-0.3 ab -0.1 x\n\n\\end\\\n",
   "{case}/lm.arpa:7: a 1-gram line needs a log10 probability, 1 word; found 4 fields", "a highest-order line with a back-off and one field more"),
]
for case, text, msg, comment in arpa_cases:
    E(case, ctc("ctc_beam", 'labels = "labels.txt"\nlm = "lm.arpa"\n'),
      {"labels.txt": LABELS, "input.jsonl": inp(SPELL), "lm.arpa": text}, 1, msg, "ARPA: " + comment)
E("classify_labels_mismatch", CLS_READ + '''[[stage]]
name = "classify"
plugin = "decode.classify"
input = "p"
labels = "labels.txt"
[[stage]]
name = "write"
plugin = "io.discard"
''', {"labels.txt": "cat\ndog\n", "input.jsonl": json.dumps({"id": "x", "p": [1.0, 2.0, 3.0]}) + "\n"}, 1,
  "field 'p' has 3 classes but {case}/labels.txt has 2 labels; they must match", "2 labels for 3 classes")
E("classify_bad_pool", CLS_READ + '''[[stage]]
name = "classify"
plugin = "decode.classify"
input = "p"
pool = "median"
[[stage]]
name = "write"
plugin = "io.discard"
''', {"input.jsonl": json.dumps({"id": "x", "p": [1.0, 2.0]}) + "\n"}, 2,
  "parameter 'pool' of stage 'classify' (decode.classify) must be one of \"mean\", \"max\", \"first\", \"last\", got \"median\"", "an unknown pool (a validate-time error)")
# ---- generate ----
GPT2 = open(os.path.join(HERE, "..", "..", "..", "onednn", "fixtures", "gpt2_lm", "pipeline.toml")).read()
RES = GPT2[GPT2.index("[resources.model]"):GPT2.index("[[stage]]")].replace('weights = "model.safetensors"', 'weights = "../../../../onednn/fixtures/gpt2_lm/model.safetensors"')
GEN_READ = '''[[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["input.jsonl"]
fields = { ids = "tensor:i64" }
'''
def gen(extra, res=RES):
    return res + GEN_READ + f'''[[stage]]
name = "gen"
plugin = "decode.generate"
model = "model"
{extra}
[[stage]]
name = "write"
plugin = "io.discard"
'''
PROMPT = json.dumps({"id": "p", "ids": [5, 17, 3]}) + "\n"
E("generate_eos_outside_vocabulary", gen("eos_token_id = [40]\n"), {"input.jsonl": PROMPT}, 1,
  "eos_token_id 40 is outside the vocabulary of model 'model' (ids 0..39)", "eos id 40 for a 40-token model")
E("generate_beam_needs_beams", gen('mode = "beam"\n'), {"input.jsonl": PROMPT}, 1,
  "mode = \"beam\" needs num_beams >= 2 (num_beams = 1 is mode = \"greedy\")", "beam mode with one beam")
E("generate_prompt_outside_vocabulary", gen(""), {"input.jsonl": json.dumps({"id": "p", "ids": [5, 41]}) + "\n"}, 1,
  "prompt id 41 at position 1 is outside the vocabulary (0..39)", "a prompt id outside the vocabulary fails its record")
E("generate_model_without_step_interface", '''[resources.tok]
plugin = "decodetest.piece_tokenizer"
pieces = "pieces.txt"
''' + GEN_READ + '''[[stage]]
name = "gen"
plugin = "decode.generate"
model = "tok"
[[stage]]
name = "write"
plugin = "io.discard"
''', {"input.jsonl": PROMPT, "pieces.txt": PIECES}, 2,
  "resource 'tok' (decodetest.piece_tokenizer) does not provide interface 'seqflow.onednn.step' that parameter 'model' of stage 'gen' (decode.generate) needs",
  "a resource that is no step-capable model (a validate-time error)")
E("generate_non_causal_model", gen("", RES.replace("causal = true", "causal = false")), {"input.jsonl": PROMPT}, 1,
  "model 'model' cannot be stepped:", "GPT-2's layers with causal = false: not a decoder")
E("generate_no_prompt_no_bos", gen('input = ""\n'), {"input.jsonl": PROMPT}, 1,
  "the record has no prompt ids and bos_token_id is not set", "no prompt field and no bos_token_id")

# ---- read_report: window classifications -> per-read calls and the summary ----
RR_READ = '''[[stage]]
name = "read"
plugin = "io.jsonl_read"
paths = ["input.jsonl"]
fields = { source_id = "string", seq = "string", top_ids = "tensor:i32", top_probs = "tensor:f32" }
'''
def rr(extra, labels="labels.txt"):
    return RR_READ + f'''[[stage]]
name = "write"
plugin = "decode.read_report"
labels = "{labels}"
path = "reads.tsv"
{extra}'''
def win(wid, read, nbases, probs, ids=(0, 1, 2)):
    return json.dumps({"id": wid, "source_id": read, "seq": "A" * nbases, "top_ids": list(ids),
                       "top_probs": probs}) + "\n"
def rr_args(case, extra=""):
    open(os.path.join(ROOT, case, "args"), "w").write(
        "run pipeline.toml --threads 2 --no-progress --set write.path={out}/reads.tsv" + extra + "\n")
WINDOWS = (win("r1:0", "r1", 150, [0.5, 0.25, 0.25]) + win("r1:150", "r1", 50, [0.0, 1.0, 0.0]) +
           win("r2:0", "r2", 100, [0.05, 0.9, 0.05], (1, 0, 2)) + win("r3:0", "r3", 80, [0.3, 0.35, 0.35]) +
           win("r4:0", "r4", 100, [0.6, 0.2, 0.2]) + win("r4:100", "r4", 100, [0.2, 0.2, 0.6]))
write("read_report_mean_threshold", rr('summary = "summary.tsv"\nweight = "seq"\nthreshold = 0.4\n'),
      {"labels.txt": "a\nb\nc\n", "input.jsonl": WINDOWS},
      expected={"reads.tsv": "id\tlabel\tprobability\twindows\nr1\tb\t0.4375\t2\nr2\ta\t0.9000\t1\n"
                             "r3\tunknown\t0.3500\t1\nr4\ta\t0.4000\t2\n",
                "summary.tsv": "label\treads\tpercent\na\t2\t50.00\nb\t1\t25.00\nc\t0\t0.00\nunknown\t1\t25.00\n"
                               "total\t4\t100.00\n"},
      comment="r1: (150 x [.5 .25 .25] + 50 x [0 1 0]) / 200 = [.375 .4375 .1875] -> b; r2 (ids in another order) a .9; "
              "r3 b .35 (tie with c: lower id) < 0.4 -> unknown; r4 [.4 .2 .4]: tie a/c -> a, .4 >= .4; summary 2/1/0/1 of 4")
rr_args("read_report_mean_threshold", " --set write.summary={out}/summary.tsv")
write("read_report_vote_unweighted", rr('aggregate = "vote"\nprecision = 2\n'),
      {"labels.txt": "a\nb\nc\n",
       "input.jsonl": win("r1:0", "r1", 150, [0.6, 0.4, 0.0]) + win("r1:150", "r1", 150, [0.6, 0.4, 0.0]) +
                      win("r1:300", "r1", 10, [0.0, 1.0, 0.0]) + win("r2:0", "r2", 10, [0.1, 0.0, 0.9])},
      expected={"reads.tsv": "id\tlabel\tprobability\twindows\nr1\ta\t0.40\t3\nr2\tc\t0.90\t1\n"},
      comment="vote, each window once: r1 a 2 votes to b's 1 although b's mean is higher; a's mean probability 1.2/3; no summary")
rr_args("read_report_vote_unweighted")
RR_IN = {"labels.txt": "a\nb\nc\n", "input.jsonl": win("r1:0", "r1", 150, [0.5, 0.25, 0.25])}
E("read_report_threshold_not_probability", rr("threshold = 1.5\n"), RR_IN, 1,
  "decode.read_report: threshold = 1.500000 is not a probability; give a value in [0, 1]", "a threshold above 1")
E("read_report_bad_aggregate", rr('aggregate = "median"\n'), RR_IN, 2,
  "parameter 'aggregate' of stage 'write' (decode.read_report) must be one of \"mean\", \"vote\", got \"median\"",
  "an unknown aggregate (a validate-time error)")
E("read_report_bad_precision", rr("precision = 18\n"), RR_IN, 1,
  "decode.read_report: precision = 18 must be 0 to 17 decimals", "too many decimals")
E("read_report_label_clash", rr(""), {"labels.txt": "a\nunknown\n", "input.jsonl": RR_IN["input.jsonl"]}, 1,
  "the class 'unknown' clashes with the summary's own lines (unknown_label, total); rename it",
  "a class named like the unknown line")
E("read_report_empty_label", rr(""), {"labels.txt": "a\n\nc\n", "input.jsonl": RR_IN["input.jsonl"]}, 1,
  "{case}/labels.txt:2: a label must be non-empty text without tabs (it is a TSV column); write one class name per line",
  "an empty line in the labels file")
E("read_report_labels_missing", rr("", "nolabels.txt"), {"input.jsonl": RR_IN["input.jsonl"]}, 1,
  "nolabels.txt: cannot open the labels file; check the `labels` path", "no labels file")
E("read_report_top_k_short", rr(""), {"labels.txt": "a\nb\nc\n",
                                     "input.jsonl": win("r1:0", "r1", 150, [0.75, 0.25], (0, 1))}, 1,
  "read 'r1': a window lists 2 classes but there are 3; give decode.classify top_k = 3",
  "decode.classify's top_k below the number of classes: the read's mean would miss classes")
E("read_report_class_outside_labels", rr(""), {"labels.txt": "a\nb\nc\n",
                                              "input.jsonl": win("r1:0", "r1", 150, [0.5, 0.25, 0.25], (0, 1, 3))}, 1,
  "read 'r1': class id 3 is outside the 3 classes", "a class id the labels do not name")
E("read_report_id_with_tab", rr(""), {"labels.txt": "a\nb\nc\n",
                                     "input.jsonl": win("r\t1:0", "r\t1", 150, [0.5, 0.25, 0.25])}, 1,
  "read id 'r\t1' holds a tab or line break, which a TSV cannot hold", "a read id a TSV cannot hold")
E("read_report_ids_probs_differ", rr(""), {"labels.txt": "a\nb\nc\n", "input.jsonl": json.dumps(
    {"id": "r1:0", "source_id": "r1", "seq": "ACGT", "top_ids": [0, 1, 2], "top_probs": [0.5, 0.5]}) + "\n"}, 1,
  "fields 'top_ids' and 'top_probs' differ in length (3 vs 2)", "class ids and probabilities of different lengths")
E("read_report_weight_not_a_length", RR_READ.replace('seq = "string"', 'seq = "int"') + '''[[stage]]
name = "write"
plugin = "decode.read_report"
labels = "labels.txt"
path = "reads.tsv"
weight = "seq"
''', {"labels.txt": "a\nb\nc\n", "input.jsonl": json.dumps(
    {"id": "r1:0", "source_id": "r1", "seq": 7, "top_ids": [0, 1, 2], "top_probs": [0.5, 0.25, 0.25]}) + "\n"}, 1,
  "field 'seq' must be a string or a tensor: its length weights the window", "a weight field without a length")
E("read_report_empty_unknown_label", rr('unknown_label = ""\n'), RR_IN, 1,
  "decode.read_report: unknown_label must be non-empty text without tabs or line breaks", "an empty unknown label")
E("read_report_probability_out_of_range", rr(""), {"labels.txt": "a\nb\nc\n",
                                                  "input.jsonl": win("r1:0", "r1", 150, [1.5, 0.25, 0.25])}, 1,
  "read 'r1': class 0 has probability 1.500000, not in [0, 1]", "a probability above 1 (not decode.classify's output)")
