// A loaded tokenizer: the pipeline of one file (Hugging Face tokenizer.json, tiktoken rank file,
// SentencePiece .model or BERT vocab.txt) behind one encode/decode.
//
// What: load_tokenizer() recognises the format from the content and builds the stages;
// encode() runs added-token extraction, normalizer, pre-tokenizer and model (with a per-thread
// cache of pre-token ids), post_process() adds special tokens, decode() maps ids back to text.
// Lifecycle: loaded once, immutable after. Threading: every const method may run concurrently;
// the pre-token cache is thread_local. Ownership: plain values. Errors: load_tokenizer throws
// TokenizerError naming the file and the place; encode throws TokenizerError for invalid UTF-8
// input (the caller fails that record); decode throws for an id outside the vocabulary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "byte_trie.hpp"
#include "pipeline.hpp"

namespace seqflow::text {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool single_word = false;
};

enum class Format { kHfJson, kTiktoken, kSentencePiece, kBertVocab };

struct LoadOptions {
  std::string encoding;                                         // tiktoken: cl100k_base, ...
  std::string pattern;                                          // tiktoken: split pattern
  std::vector<std::pair<std::string, int32_t>> special_tokens;  // tiktoken: extra specials
  bool lowercase = true;                                        // vocab.txt
};

class Tokenizer {
 public:
  Format format = Format::kHfJson;
  NormalizerPtr normalizer;
  PreTokenizerPtr pre_tokenizer;
  ModelPtr model;
  PostProcessorPtr post_processor;
  DecoderPtr decoder;
  std::vector<AddedToken> added;
  /// The model sees raw bytes (ByteLevel folded into the vocabulary).
  bool byte_level = false;
  /// tiktoken: lone surrogates in WTF-8 become U+FFFD (as tiktoken's Python wrapper does).
  bool replace_surrogates = false;
  /// tiktoken: decode joins the bytes and replaces invalid UTF-8 by U+FFFD (errors="replace").
  bool lossy_decode = false;
  /// SentencePiece: decode drops the leading space that add_dummy_prefix made, unknown ids decode
  /// as " ⁇ ".
  bool spm_decode = false;
  bool spm_dummy_prefix = false;
  int32_t spm_unk = -1;
  /// id -> entry as stored in the file; id -> special.
  std::vector<std::string> pieces;
  std::vector<uint8_t> special;
  std::unordered_map<std::string, int32_t> piece_ids;

  /// Finishes construction (added-token tries); `normalize_added` applies the normalizer to the
  /// normalized added tokens as Hugging Face does.
  void finalize();

  /// text -> tokens before post-processing. allow_special=false treats special added tokens as
  /// text (tiktoken's encode_ordinary). Offsets are filled when track is set.
  void encode(std::string_view text, bool allow_special, bool track, Encoding& out) const;
  void post_process(Encoding& e, bool add_special_tokens) const;
  size_t num_added_by_post_processor() const;
  /// ids -> text; throws TokenizerError naming the first id outside the vocabulary.
  std::string decode(const int32_t* ids, size_t n, bool skip_special) const;
  int64_t vocab_size() const { return static_cast<int64_t>(pieces.size()); }

 private:
  void encode_segment(std::string_view text, uint32_t origin, bool at_input_start, bool track,
                      Encoding& out) const;
  void encode_normalized(Text&& t, bool at_input_start, Encoding& out) const;
  void find_added(std::string_view s, const ByteTrie& trie, bool allow_special,
                  std::vector<std::pair<int32_t, std::pair<size_t, size_t>>>& out) const;
  ByteTrie raw_trie_, norm_trie_;
  bool has_raw_ = false, has_norm_ = false;
  uint64_t serial_ = 0;
};

/// Loads `path`; the format is recognised from the content.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path, const LoadOptions& opt);

// Loaders, one per format (the content is already read).
std::unique_ptr<Tokenizer> load_hf_json(const std::string& content, const std::string& path);
std::unique_ptr<Tokenizer> load_sentencepiece(const std::string& content, const std::string& path);
std::unique_ptr<Tokenizer> load_tiktoken(const std::string& content, const std::string& path,
                                         const LoadOptions& opt);
std::unique_ptr<Tokenizer> load_bert_vocab(const std::string& content, const std::string& path,
                                           const LoadOptions& opt);

}  // namespace seqflow::text
