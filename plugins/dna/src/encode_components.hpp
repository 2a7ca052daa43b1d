// dna.kmer, dna.onehot and dna.twobit: the encoders of the dna module, sequence -> tensor.
//
// What it is: SDK transform components over kmer.hpp and seq_ops.hpp. Each reads a string field (`input`)
// and writes tensors straight into the record's new field buffer (no intermediate copy).
// Lifecycle: options and vocabularies are loaded in the constructor; process() encodes one record.
// Threading: instances are immutable after construction (SF_FLAG_THREAD_SAFE): one serves every worker.
// Errors: a bad parameter or vocabulary file fails stage creation with a message naming the stage.
#pragma once

#include "kmer.hpp"
#include "seq_ops.hpp"

#include <seqflow/sdk.hpp>

#include <memory>
#include <string>

namespace seqflow::dna {

inline void require_distinct(CreateContext& ctx, const char* a, const char* b) {
  if (ctx.param(a).as_string() == ctx.param(b).as_string()) {
    throw Error(std::string(a) + " and " + b + " both name field '" + ctx.param(a).as_string() +
                "'; the encoding is a tensor, so give it its own field");
  }
}

class Kmer : public Transform<Kmer> {
 public:
  static constexpr Info info{
      "kmer",
      "DNABERT-style k-mer tokens as an i32 tensor [T]. Ids: the special tokens in order (default [PAD]=0, "
      "[UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4), then the 4^k k-mers in lexicographic order (AAAAAA = 5 for k = "
      "6), or the line numbers of a vocabulary file. Case-insensitive; a k-mer with N or another ambiguity "
      "code is [UNK]. stride 1 gives overlapping k-mers, stride k non-overlapping ones; only complete k-mers "
      "count.",
      "[[stage]]\nname = \"tokens\"\nplugin = \"dna.kmer\"\nk = 6\nstride = 1\nadd_cls_sep = true\n",
      SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"seq\"", "String field holding the sequence."),
      Param::field("output", "\"tokens\"", "Tensor field for the ids (i32, shape [T])."),
      Param::integer("k", "6", "k-mer length, 1 to 12."),
      Param::integer("stride", "1", "Step between k-mer starts: 1 overlapping (DNABERT), k non-overlapping."),
      Param::boolean("canonical", "false",
                     "Give a k-mer and its reverse complement the id of the lexicographically smaller one."),
      Param::boolean("add_cls_sep", "false", "Frame the ids with cls_token ... sep_token."),
      Param::strings("special_tokens", "[\"[PAD]\", \"[UNK]\", \"[CLS]\", \"[SEP]\", \"[MASK]\"]",
                     "Tokens whose ids come before the k-mers, in order (ignored with a vocabulary file)."),
      Param::string("unk_token", "\"[UNK]\"",
                    "Token for k-mers with ambiguous bases (and ones a vocabulary lacks)."),
      Param::string("cls_token", "\"[CLS]\"", "Token put first by add_cls_sep."),
      Param::string("sep_token", "\"[SEP]\"", "Token put last by add_cls_sep."),
      Param::path("vocab", "\"\"",
                  "Vocabulary file, one token per line, id = line number (DNABERT's vocab.txt); overrides "
                  "the implicit order. \"\" uses special_tokens then all 4^k k-mers."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the sequence"),
      Field::writes("output", "tokens", SF_FIELD_TENSOR, SF_DTYPE_I32, "token ids, shape [T]"),
  };

  explicit Kmer(CreateContext& ctx)
      : input_(ctx.field_param("input")),
        output_(ctx.field_param("output")),
        tokenizer_(make_tokenizer(ctx)) {}

  void process(Context&, Record& r) {
    const std::string_view seq = r.string(input_);
    const int64_t t = static_cast<int64_t>(tokenizer_.count(seq.size()));
    tokenizer_.encode(seq, r.make_tensor<int32_t>(output_, {t}).data());
  }

 private:
  static KmerTokenizer make_tokenizer(CreateContext& ctx) {
    require_distinct(ctx, "input", "output");
    KmerOptions o;
    const int64_t k = ctx.param("k").as_int();
    const int64_t stride = ctx.param("stride").as_int();
    if (k < 1 || k > 12) throw Error("k = " + std::to_string(k) + " is out of range; use 1 to 12");
    if (stride < 1) {
      throw Error("stride = " + std::to_string(stride) +
                  " must be 1 or more (1: overlapping, k: non-overlapping)");
    }
    o.k = static_cast<int>(k);
    o.stride = static_cast<int>(std::min<int64_t>(stride, 1 << 30));
    o.canonical = ctx.param("canonical").as_bool();
    o.add_cls_sep = ctx.param("add_cls_sep").as_bool();
    o.special_tokens = ctx.param("special_tokens").as_strings();
    o.unk_token = ctx.param("unk_token").as_string();
    o.cls_token = ctx.param("cls_token").as_string();
    o.sep_token = ctx.param("sep_token").as_string();
    o.vocab_path = ctx.param("vocab").as_string();
    return KmerTokenizer(o);
  }

  Slot input_;
  Slot output_;
  KmerTokenizer tokenizer_;
};

class OneHot : public Transform<OneHot> {
 public:
  static constexpr Info info{
      "onehot",
      "One-hot encoding as a tensor [L, 4], channels A, C, G, T (U counts as T), either case. N and the "
      "other IUPAC codes are all zeros, or with ambiguous = \"uniform\" share 1 among the bases they stand "
      "for (N = 0.25 each, R = 0.5 A + 0.5 G; f32 only). Gaps and other bytes are all zeros.",
      "[[stage]]\nname = \"onehot\"\nplugin = \"dna.onehot\"\ndtype = \"f32\"\nambiguous = \"uniform\"\n",
      SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"seq\"", "String field holding the sequence."),
      Param::field("output", "\"onehot\"", "Tensor field for the encoding, shape [L, 4]."),
      Param::string("dtype", "\"f32\"", "Element type of the tensor.", "f32|u8"),
      Param::string("ambiguous", "\"zeros\"",
                    "N and other ambiguity codes: all zeros, or uniform over their bases.", "zeros|uniform"),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the sequence"),
      Field::writes("output", "onehot", SF_FIELD_TENSOR, SF_DTYPE_ANY, "[L, 4], dtype per `dtype`"),
  };

  explicit OneHot(CreateContext& ctx) : input_(ctx.field_param("input")), output_(ctx.field_param("output")) {
    require_distinct(ctx, "input", "output");
    u8_ = ctx.param("dtype").as_string() == "u8";
    ambiguous_ = ctx.param("ambiguous").as_string() == "uniform" ? Ambiguous::kUniform : Ambiguous::kZeros;
    if (u8_ && ambiguous_ == Ambiguous::kUniform) {
      throw Error(
          "dtype \"u8\" cannot hold 0.25; use dtype = \"f32\" with ambiguous = \"uniform\", or ambiguous = "
          "\"zeros\"");
    }
  }

  void process(Context&, Record& r) {
    const std::string_view seq = r.string(input_);
    const int64_t n = static_cast<int64_t>(seq.size());
    if (u8_) onehot_u8(seq, r.make_tensor<uint8_t>(output_, {n, 4}).data());
    else onehot_f32(seq, r.make_tensor<float>(output_, {n, 4}).data(), ambiguous_);
  }

 private:
  Slot input_;
  Slot output_;
  bool u8_ = false;
  Ambiguous ambiguous_ = Ambiguous::kZeros;
};

class TwoBit : public Transform<TwoBit> {
 public:
  static constexpr Info info{
      "twobit",
      "Packed 2-bit codes (A=0, C=1, G=2, T/U=3, four bases per byte, first base in the high bits) as a u8 "
      "tensor [(L+3)/4], an N mask (1 bit per base for every byte that is not A/C/G/T/U, coded 0 in the "
      "codes; first base in the high bit, numpy.unpackbits order) as a u8 tensor [(L+7)/8], and L.",
      "[[stage]]\nname = \"pack\"\nplugin = \"dna.twobit\"\n", SF_FLAG_THREAD_SAFE, 0};
  static constexpr sf_param_decl params[] = {
      Param::field("input", "\"seq\"", "String field holding the sequence."),
      Param::field("output", "\"twobit\"", "Tensor field for the packed codes, u8 [(L+3)/4]."),
      Param::field("mask_output", "\"n_mask\"", "Tensor field for the packed N mask, u8 [(L+7)/8]."),
      Param::field("length_output", "\"length\"", "Int field for L, the number of bases; \"\" to skip it."),
  };
  static constexpr sf_field_decl fields[] = {
      Field::reads("input", "seq", SF_FIELD_STRING, SF_DTYPE_ANY, "the sequence"),
      Field::writes("output", "twobit", SF_FIELD_TENSOR, SF_DTYPE_U8, "packed 2-bit codes"),
      Field::writes("mask_output", "n_mask", SF_FIELD_TENSOR, SF_DTYPE_U8, "packed mask of non-ACGT bases"),
      Field::writes("length_output", "length", SF_FIELD_INT, SF_DTYPE_ANY, "number of bases"),
  };

  explicit TwoBit(CreateContext& ctx)
      : input_(ctx.field_param("input")),
        output_(ctx.field_param("output")),
        mask_(ctx.field_param("mask_output")) {
    require_distinct(ctx, "input", "output");
    require_distinct(ctx, "input", "mask_output");
    require_distinct(ctx, "output", "mask_output");
    const std::string length = ctx.param("length_output").as_string();
    if (!length.empty()) length_ = ctx.field(length);
  }

  void process(Context&, Record& r) {
    const std::string_view seq = r.string(input_);
    const int64_t n = static_cast<int64_t>(seq.size());
    uint8_t* codes = r.make_tensor<uint8_t>(output_, {(n + 3) / 4}).data();
    uint8_t* mask = r.make_tensor<uint8_t>(mask_, {(n + 7) / 8}).data();
    twobit(seq, codes, mask);
    if (length_) r.set_int(length_, n);
  }

 private:
  Slot input_;
  Slot output_;
  Slot mask_;
  Slot length_;
};

}  // namespace seqflow::dna
