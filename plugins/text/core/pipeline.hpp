// The stages of a tokenizer, as Hugging Face's tokenizers lays them out: normalizer, pre-tokenizer,
// model, post-processor and decoder, each an interface with one class per component type.
//
// What: the data that flows between stages (Text: a string whose every byte remembers the span of
// the original input it came from; Pieces: the pre-tokens cut from a Text) and the interfaces.
// Lifecycle: built once by a loader (hf_json.cpp, sentencepiece.cpp, tiktoken.cpp, bert_vocab.cpp),
// then immutable. Threading: every const method may run concurrently. Errors: loaders throw
// TokenizerError; encoding never fails except on a per-call limit the caller is told about.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seqflow::text {

/// A malformed or unsupported tokenizer file; the message names the file and the place.
class TokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A byte span of the original input.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

/// A string with, when tracking, the original span of each of its bytes.
struct Text {
  std::string s;
  std::vector<Span> align;  // empty unless track
  bool track = false;

  void push(char c, Span o) {
    s += c;
    if (track) align.push_back(o);
  }
  void push(std::string_view v, Span o) {
    s.append(v);
    if (track) align.insert(align.end(), v.size(), o);
  }
  /// Appends bytes [b, e) of `from` with their own alignment.
  void copy(const Text& from, size_t b, size_t e) {
    s.append(from.s, b, e - b);
    if (track) align.insert(align.end(), from.align.begin() + b, from.align.begin() + e);
  }
  Span span_of(size_t b, size_t e) const {
    if (!track || b >= e) return {};
    return {align[b].begin, align[e - 1].end};
  }
};

/// Pre-tokens: byte ranges of `text`.
struct Pieces {
  Text text;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(const Text& in, Text& out) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  /// Splits (and may rewrite) every range of `p`.
  virtual void split(Pieces& p) const = 0;
};

/// One token of a model's output: id and byte span within the pre-token.
struct TokenOut {
  int32_t id;
  uint32_t begin, end;
};

class Model {
 public:
  virtual ~Model() = default;
  /// Tokenizes one pre-token, appending to `out`.
  virtual void tokenize(std::string_view piece, std::vector<TokenOut>& out) const = 0;
};

/// An encoding under construction: ids and, when `track` is set, their original spans.
struct Encoding {
  std::vector<int32_t> ids;
  std::vector<Span> offsets;
  bool track = false;
  void add(int32_t id, Span s) {
    ids.push_back(id);
    if (track) offsets.push_back(s);
  }
};

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual size_t added_tokens() const = 0;
  virtual void process(Encoding& e, bool add_special_tokens) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  /// Rewrites the token strings in place (Hugging Face's decode_chain).
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

using NormalizerPtr = std::unique_ptr<Normalizer>;
using PreTokenizerPtr = std::unique_ptr<PreTokenizer>;
using ModelPtr = std::unique_ptr<Model>;
using PostProcessorPtr = std::unique_ptr<PostProcessor>;
using DecoderPtr = std::unique_ptr<Decoder>;

}  // namespace seqflow::text
