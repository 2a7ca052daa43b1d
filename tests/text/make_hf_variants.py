#!/usr/bin/env python3
"""Small tokenizer.json files of every model type and many component options, trained here with
Hugging Face `tokenizers` (PyPI) on text from ../shared/data/tokenizers, and their reference ids.

Run with the bench venv:  bench/text/.venv/bin/python tests/text/make_hf_variants.py
Writes tests/text/fixtures/hf/<name>.json (each tokenizer, reloaded from that file before encoding)
and tests/text/fixtures/hf/<name>.expected.jsonl: for each test text the ids with and without special
tokens, and the text decode gives with and without skip_special_tokens.
"""
import json
import os
import random

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from tokenizers import AddedToken, Regex

ROOT = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(ROOT, "..", "..", "..", "shared", "data", "tokenizers")
OUT = os.path.join(ROOT, "fixtures", "hf")

records = [json.loads(l) for l in open(os.path.join(DATA, "qwen3", "fixture.jsonl"))]
corpus = [r["text"] for r in records if r["src"] != "edge"]
# Unigram training wants every character in the vocabulary: train it on Latin text only, so the other
# scripts in the test texts exercise <unk> and byte fallback.
latin = [t for t in corpus if all(ord(c) < 0x250 for c in t)]
edge = [r["text"] for r in records if r["src"] == "edge" and not r.get("add_special_tokens")]
rng = random.Random(7)
tests = rng.sample(corpus, 60) + edge + [
    "Hello <mask>  world foo bar <s>x</s> <sep> y<sep>", "café ÉCOLE naïve 12345 6-7-8", "a--b__c  d\t\te",
    "<|x|> ſ 'S 'LL", "中文字符 and 日本語 한국어", "   leading and trailing   ", ""]

def save_and_reload(name, tok):
    path = os.path.join(OUT, name + ".json")
    tok.save(path)
    return path, Tokenizer.from_file(path)

def write_expected(name, tok, extra_decode=()):
    with open(os.path.join(OUT, name + ".expected.jsonl"), "w") as f:
        for t in tests:
            plain = tok.encode(t, add_special_tokens=False).ids
            spec = tok.encode(t, add_special_tokens=True).ids
            f.write(json.dumps({"text": t, "ids": plain, "ids_special": spec,
                                "decode": tok.decode(spec, skip_special_tokens=False),
                                "decode_skip": tok.decode(spec, skip_special_tokens=True)},
                               ensure_ascii=False) + "\n")
        for ids in extra_decode:
            f.write(json.dumps({"decode_ids": ids, "decode": tok.decode(ids, skip_special_tokens=False),
                                "decode_skip": tok.decode(ids, skip_special_tokens=True)},
                               ensure_ascii=False) + "\n")

def build(name, tok, trainer, edit=None, extra_decode=(), texts=None):
    tok.train_from_iterator(corpus if texts is None else texts, trainer=trainer)
    path, tok = save_and_reload(name, tok)
    if edit is not None:
        j = json.load(open(path))
        edit(j)
        json.dump(j, open(path, "w"), ensure_ascii=False)
        tok = Tokenizer.from_file(path)
    write_expected(name, tok, extra_decode)

# 1. GPT-2/RoBERTa style byte-level BPE, added tokens with lstrip/rstrip/normalized/single_word.
t = Tokenizer(models.BPE())
t.normalizer = normalizers.NFKC()
t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
t.decoder = decoders.ByteLevel()
t.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
tr = trainers.BpeTrainer(vocab_size=700, special_tokens=["<s>", "<pad>", "</s>"],
                         initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
t.train_from_iterator(corpus, trainer=tr)
t.add_special_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False, special=True)])
t.add_tokens([AddedToken("foo bar", normalized=True), AddedToken("world", single_word=True, normalized=False)])
path, t = save_and_reload("bytelevel_bpe", t)
write_expected("bytelevel_bpe", t)

# 2. SentencePiece-style BPE (Llama 2's tokenizer.json layout) with byte_fallback and fuse_unk.
def llama(j):
    j["model"]["byte_fallback"] = True
    j["model"]["fuse_unk"] = True
bytes_ = ["<0x%02X>" % b for b in range(256)]
t = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
t.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
t.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                               decoders.Strip(" ", 1, 0)])
t.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
build("spm_bpe_byte_fallback", t,
      trainers.BpeTrainer(vocab_size=900, special_tokens=["<unk>", "<s>", "</s>"] + bytes_, limit_alphabet=60),
      edit=llama, extra_decode=[[1, 3 + 0xE4, 3 + 0xB8, 3 + 0xAD, 300], [3 + 0xFF, 3 + 0x41], [0, 0, 1]])

# 2b. The same model with merges written as "a b" strings (the older format).
j = json.load(open(os.path.join(OUT, "spm_bpe_byte_fallback.json")))
j["model"]["merges"] = [" ".join(m) for m in j["model"]["merges"]]
json.dump(j, open(os.path.join(OUT, "spm_bpe_string_merges.json"), "w"), ensure_ascii=False)
write_expected("spm_bpe_string_merges", Tokenizer.from_file(os.path.join(OUT, "spm_bpe_string_merges.json")))

# 3. Character BPE with continuing_subword_prefix, end_of_word_suffix and ignore_merges.
def ignore(j):
    j["model"]["ignore_merges"] = True
t = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
t.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase()])
t.pre_tokenizer = pre_tokenizers.Whitespace()
t.decoder = decoders.BPEDecoder(suffix="</w>")
build("bpe_prefix_suffix", t,
      trainers.BpeTrainer(vocab_size=800, special_tokens=["[UNK]"], continuing_subword_prefix="##",
                          end_of_word_suffix="</w>", limit_alphabet=80), edit=ignore)

# 4. WordPiece with a normalizer and pre-tokenizer sequence, TemplateProcessing.
t = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=12))
t.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase(),
                                     normalizers.Strip()])
t.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                           pre_tokenizers.Punctuation(behavior="contiguous"),
                                           pre_tokenizers.Digits(individual_digits=True)])
t.decoder = decoders.WordPiece(prefix="##", cleanup=True)
t.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
build("wordpiece_sequence", t,
      trainers.WordPieceTrainer(vocab_size=900, special_tokens=["[UNK]", "[CLS]", "[SEP]"], limit_alphabet=300))

# 5. Cased BERT normalizer options.
t = Tokenizer(models.WordPiece(unk_token="[UNK]"))
t.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False,
                                          lowercase=False)
t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
t.decoder = decoders.WordPiece()
t.post_processor = processors.BertProcessing(("[SEP]", 2), ("[CLS]", 1))
build("bert_cased", t, trainers.WordPieceTrainer(vocab_size=900, special_tokens=["[UNK]", "[CLS]", "[SEP]"]))

# 6. Unigram with Metaspace (prepend always, split).
t = Tokenizer(models.Unigram())
t.normalizer = normalizers.NFKC()
t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
t.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
build("unigram_metaspace", t, trainers.UnigramTrainer(vocab_size=700, special_tokens=["<pad>", "<unk>"],
                                                       unk_token="<unk>"), texts=latin)

# 7. Unigram, Metaspace prepend "first" without split, a special token inside texts, byte fallback.
def ufb(j):
    j["model"]["byte_fallback"] = True
t = Tokenizer(models.Unigram())
t.normalizer = normalizers.NFC()
t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
t.decoder = decoders.Sequence([decoders.Metaspace(replacement="▁", prepend_scheme="first", split=False),
                               decoders.ByteFallback()])
tr = trainers.UnigramTrainer(vocab_size=800, special_tokens=["<pad>", "<unk>", "<sep>"] + bytes_, unk_token="<unk>")
t.train_from_iterator(latin, trainer=tr)
path, t = save_and_reload("unigram_first_byte_fallback", t)
j = json.load(open(path)); ufb(j); json.dump(j, open(path, "w"), ensure_ascii=False)
write_expected("unigram_first_byte_fallback", Tokenizer.from_file(path))

# 8. WordLevel behind each Split behavior, invert, UnicodeScripts, CharDelimiterSplit, Replace (regex).
behaviors = ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]
for k, b in enumerate(behaviors):
    t = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    t.normalizer = normalizers.Sequence([normalizers.Replace(Regex(r"\d+"), "0"), normalizers.Lowercase()])
    pts = [pre_tokenizers.Split(Regex(r"\s+|[-_,.]"), behavior=b, invert=bool(k % 2))]
    if k == 0:
        pts.append(pre_tokenizers.UnicodeScripts())
    if k == 1:
        pts.append(pre_tokenizers.CharDelimiterSplit("e"))
    if k == 2:
        pts.append(pre_tokenizers.Split(" ", behavior="isolated"))
    t.pre_tokenizer = pre_tokenizers.Sequence(pts)
    build("wordlevel_split_" + b, t, trainers.WordLevelTrainer(vocab_size=900, special_tokens=["[UNK]"]))

# 9. CTC decoder over a character vocabulary.
t = Tokenizer(models.WordLevel(unk_token="<unk>"))
t.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
t.decoder = decoders.CTC(pad_token="<pad>", word_delimiter_token="|", cleanup=True)
t.train_from_iterator(corpus, trainer=trainers.WordLevelTrainer(vocab_size=200, special_tokens=["<pad>", "<unk>", "|"]))
path, t = save_and_reload("ctc_chars", t)
i = t.token_to_id
write_expected("ctc_chars", t, extra_decode=[
    [i("h"), i("h"), i("<pad>"), i("h"), i("e"), i("e"), i("|"), i("y"), i("<pad>"), i("y"), i("|"), i("|")],
    [i("<pad>"), i("<pad>"), i("|"), i("|"), i("a"), i("."), i("<unk>")]])
print("wrote", OUT)
